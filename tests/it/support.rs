//! What the integration tests share: a server on port 0 (in-process or the real binary), a
//! plain HTTP/1.1 client over a TCP socket, and temporary fixture files.

use convmock::{Config, Server};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The token most tests send.
pub const TOKEN: &str = "test-token";

/// A server started in this process on 127.0.0.1, port 0; shut down on drop.
pub struct TestServer {
    runtime: tokio::runtime::Runtime,
    server: Option<Server>,
    pub addr: SocketAddr,
}

impl TestServer {
    /// The documented data, the default flags, no log lines.
    pub fn start() -> Self {
        TestServer::with(Config::default())
    }

    /// `config`, on a free port of 127.0.0.1, quiet.
    pub fn with(config: Config) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let server = runtime
            .block_on(Server::start(Config {
                host: "127.0.0.1".into(),
                port: 0,
                quiet: true,
                ..config
            }))
            .expect("the server starts on a free port");
        let addr = server.addr();
        TestServer {
            runtime,
            server: Some(server),
            addr,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A request with the default token.
    pub fn call(&self, method: &str, path: &str) -> Req {
        Req::new(self.addr, method, path).token(TOKEN)
    }

    /// `GET path` with the default token.
    pub fn get(&self, path: &str) -> Resp {
        self.call("GET", path).send()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.shutdown());
        }
    }
}

/// A request being built.
pub struct Req {
    addr: SocketAddr,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    chunked: bool,
}

impl Req {
    pub fn new(addr: SocketAddr, method: &str, path: &str) -> Self {
        Req {
            addr,
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
            chunked: false,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn token(self, token: &str) -> Self {
        self.header("Authorization", &format!("Bearer {token}"))
    }

    pub fn no_token(mut self) -> Self {
        self.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
        self
    }

    /// A form body, as `curl -d` sends it.
    pub fn form(self, body: &str) -> Self {
        self.body_as("application/x-www-form-urlencoded", body.as_bytes())
    }

    /// A JSON body.
    pub fn json(self, body: &str) -> Self {
        self.body_as("application/json", body.as_bytes())
    }

    pub fn no_content_type(mut self) -> Self {
        self.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        self
    }

    pub fn body_as(mut self, content_type: &str, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self.header("Content-Type", content_type)
    }

    /// Sends the body with `Transfer-Encoding: chunked`, in 64 KiB chunks, with no length.
    pub fn chunked(mut self) -> Self {
        self.chunked = true;
        self.header("Transfer-Encoding", "chunked")
    }

    /// Sends it on a new connection (`Connection: close`) and reads the whole answer.
    pub fn send(self) -> Resp {
        let mut stream = TcpStream::connect(self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.path);
        // The server's own address, unless the test names another.
        if !self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("host"))
        {
            head.push_str(&format!("Host: {}\r\n", self.addr));
        }
        head.push_str("Connection: close\r\n");
        for (n, v) in &self.headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        if !self.chunked
            && (!self.body.is_empty() || matches!(self.method.as_str(), "POST" | "PUT"))
        {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).expect("write head");
        // The server may answer (413) and close before reading the whole body.
        if self.chunked {
            for chunk in self.body.chunks(64 * 1024) {
                let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                framed.extend_from_slice(chunk);
                framed.extend_from_slice(b"\r\n");
                if stream.write_all(&framed).is_err() {
                    break;
                }
            }
            let _ = stream.write_all(b"0\r\n\r\n");
        } else {
            let _ = stream.write_all(&self.body);
        }
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        Resp::parse(&raw)
    }
}

/// A parsed response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn parse(raw: &[u8]) -> Self {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let chunked = headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v == "chunked");
        let raw_body = &raw[split + 4..];
        let body = if chunked {
            dechunk(raw_body)
        } else {
            raw_body.to_vec()
        };
        let body = String::from_utf8(body).expect("a UTF-8 body");
        Resp {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `id` of a conversation response.
    pub fn id(&self) -> String {
        self.json()["id"]
            .as_str()
            .expect("a conversation's id")
            .to_owned()
    }

    /// The IDs of a list response's `data`, in order.
    pub fn ids(&self) -> Vec<String> {
        self.json()["data"]
            .as_array()
            .expect("a list body")
            .iter()
            .map(|c| c["id"].as_str().expect("an id").to_owned())
            .collect()
    }

    /// Asserts the status, showing the body when it is not the expected one.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        self
    }
}

/// A `Transfer-Encoding: chunked` body, decoded (a streamed answer is sent so).
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size line");
        let size = std::str::from_utf8(&raw[..eol])
            .ok()
            .and_then(|line| usize::from_str_radix(line.split(';').next()?.trim(), 16).ok())
            .expect("a hexadecimal chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[eol + 2 + size + 2..];
    }
}

/// A file under the target directory that is removed on drop.
pub struct TempFile {
    pub path: PathBuf,
}

impl TempFile {
    pub fn new(name: &str, contents: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join(format!(
            "{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, contents).expect("write a temporary file");
        TempFile { path }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The real `convmock` binary, started with `args` and `--port 0`.
pub struct Binary {
    pub child: Child,
    pub addr: SocketAddr,
    /// Kept open so that the child never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
    pub ready_line: String,
}

impl Binary {
    /// Starts the binary and waits for its ready line.
    pub fn start(args: &[&str]) -> Self {
        Binary::start_with_env(args, &[])
    }

    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_convmock"));
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if !env.iter().any(|(k, _)| *k == "CONVMOCK_PORT") && !args.contains(&"--port") {
            cmd.args(["--port", "0"]);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn convmock");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut ready_line = String::new();
        stdout
            .read_line(&mut ready_line)
            .expect("read the ready line");
        let addr = ready_line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected ready line {ready_line:?}"))
            .parse()
            .expect("an address in the ready line");
        Binary {
            child,
            addr,
            _stdout: stdout,
            ready_line,
        }
    }

    pub fn call(&self, method: &str, path: &str) -> Req {
        Req::new(self.addr, method, path).token(TOKEN)
    }

    /// Sends a signal by name (`TERM`, `INT`) to this process only.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Sends a signal by name and waits for the exit status and what was on stderr.
    pub fn signal_and_wait(self, signal: &str) -> (Option<i32>, String) {
        self.signal(signal);
        self.wait()
    }

    /// Waits for the process to exit; its status and what was on stderr.
    pub fn wait(mut self) -> (Option<i32>, String) {
        let exit = self.child.wait().expect("wait for convmock");
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut stderr);
        }
        (exit.code(), stderr)
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        // Only the process this test started, by its own handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fixtures file with `n` conversations whose `created_at` repeat in runs of three, so
/// that ties are common; every fifth is muted, every seventh archived, every third pinned,
/// and groups cycle through `g0`..`g3` for even entries (odd ones are contact conversations).
pub fn many_fixtures(n: usize) -> String {
    let conversations: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "id": format!("c{i:04}"),
                "contact_id": if i % 2 == 1 { serde_json::json!(format!("u{i}")) } else { serde_json::Value::Null },
                "group_id": if i % 2 == 0 { serde_json::json!(format!("g{}", i / 2 % 4)) } else { serde_json::Value::Null },
                "is_muted": i % 5 == 0,
                "archived_at": if i % 7 == 0 { serde_json::json!(1_000_000 + i) } else { serde_json::Value::Null },
                "is_pinned": i % 3 == 0,
                "created_at": 1_600_000_000 + (i / 3) as i64 * 60 - if i % 11 == 0 { 7_200 } else { 0 },
            })
        })
        .collect();
    serde_json::json!({ "conversations": conversations }).to_string()
}

/// What a webhook receiver was sent: the body and the signature header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub body: Vec<u8>,
    pub signature: String,
    pub content_type: String,
}

/// A webhook receiver on 127.0.0.1: answers each POST with the next status of its script
/// (200 once the script is spent), one connection at a time, and keeps what it was sent.
pub struct Receiver {
    pub addr: SocketAddr,
    received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    pub fn start(script: &[u16]) -> Self {
        use std::sync::{Arc, Mutex, atomic::AtomicBool};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a receiver");
        let addr = listener.local_addr().expect("its address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (kept, stopped) = (Arc::clone(&received), Arc::clone(&stop));
        let mut script = Vec::from(script).into_iter();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let Some(request) = read_request(&conn) else {
                    continue;
                };
                let status = script.next().unwrap_or(200);
                kept.lock().expect("not poisoned").push(request);
                let mut conn = conn;
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Receiver {
            addr,
            received,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// What it was sent so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("not poisoned").clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One request: its head, then `Content-Length` bytes of body.
pub fn read_request(conn: &TcpStream) -> Option<Received> {
    conn.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut reader = BufReader::new(conn);
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let length: usize = header("content-length").parse().ok()?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        body,
        signature: header("x-protocol-signature"),
        content_type: header("content-type"),
    })
}
