//! The edge as a hostile page or a careless client meets it: the admin API refuses other
//! origins and rebound names, heads follow RFC 9112, oversized bodies get a 413 the client
//! can read, and clients that stop reading lose their connection.

use crate::support::{Req, TOKEN, TestServer};
use convmock::Config;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const PAGE: &str = "http://127.0.0.1:5173";

fn admin(s: &TestServer, method: &str, path: &str) -> Req {
    Req::new(s.addr, method, path)
}

/// What the admin API shows of the server's state: data, journal size, fault rules.
fn admin_view(s: &TestServer) -> (String, usize, String) {
    let data = admin(s, "GET", "/__admin/conversations").send().expect(200);
    let journal = admin(s, "GET", "/__admin/requests")
        .send()
        .expect(200)
        .json();
    let faults = admin(s, "GET", "/__admin/faults").send().expect(200);
    let journaled = journal["requests"].as_array().map_or(0, Vec::len);
    (data.body, journaled, faults.body)
}

#[test]
fn a_page_on_another_local_port_cannot_use_the_admin_api() {
    let s = TestServer::start();
    s.call("POST", "/v1/conversations")
        .form("contact_id=mine")
        .send()
        .expect(201);
    let before = admin_view(&s);
    let attempts = [
        // What a page can send without a preflight: a form post, a text/plain fetch.
        admin(&s, "POST", "/__admin/reset").header("Origin", PAGE),
        admin(&s, "POST", "/__admin/faults")
            .header("Origin", PAGE)
            .body_as("text/plain", br#"{"path": "/*", "drop": true}"#),
        admin(&s, "PUT", "/__admin/clock")
            .header("Origin", PAGE)
            .body_as("text/plain;charset=UTF-8", br#"{"now": 1}"#),
        admin(&s, "GET", "/__admin/requests")
            .header("Origin", PAGE)
            .header("Sec-Fetch-Site", "same-site"),
        // A no-cors GET carries no Origin, but the browser still marks it.
        admin(&s, "GET", "/__admin/conversations").header("Sec-Fetch-Site", "same-site"),
        admin(&s, "DELETE", "/__admin/requests").header("Origin", "null"),
        admin(&s, "OPTIONS", "/__admin/faults")
            .header("Origin", PAGE)
            .header("Access-Control-Request-Method", "POST"),
    ];
    for attempt in attempts {
        let r = attempt.send().expect(403);
        assert_eq!(r.header("access-control-allow-origin"), None, "{}", r.body);
        assert!(r.body.contains("--admin-allow-origin"), "{}", r.body);
    }
    assert_eq!(admin_view(&s), before, "nothing changed");
    // The emulated API stays open to that page.
    let r = s
        .call("GET", "/v1/conversations?limit=1")
        .header("Origin", PAGE)
        .header("Sec-Fetch-Site", "same-site")
        .send()
        .expect(200);
    assert_eq!(r.header("access-control-allow-origin"), Some(PAGE));
}

#[test]
fn a_dns_rebinding_page_gets_nothing_from_the_admin_api() {
    let s = TestServer::start();
    s.call("GET", "/v1/conversations").send().expect(200);
    let port = s.addr.port();
    let rebound = format!("attacker.test:{port}");
    for (method, path) in [("GET", "/__admin/requests"), ("POST", "/__admin/reset")] {
        let r = admin(&s, method, path)
            .header("Host", &rebound)
            .header("Origin", &format!("http://{rebound}"))
            .send()
            .expect(403);
        assert!(!r.body.contains(TOKEN), "{}", r.body);
        assert!(r.body.contains("--allow-host"), "{}", r.body);
    }
    // The wrong port is another server.
    admin(&s, "GET", "/__admin/health")
        .header("Host", "127.0.0.1:1")
        .send()
        .expect(403);
    assert_eq!(admin_view(&s).1, 1, "the journal was not reset");
}

#[test]
fn clients_without_an_origin_and_the_servers_own_page_use_the_admin_api() {
    let s = TestServer::start();
    let port = s.addr.port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
    ] {
        admin(&s, "GET", "/__admin/health")
            .header("Host", &host)
            .send()
            .expect(200);
        let r = admin(&s, "PUT", "/__admin/clock")
            .header("Host", &host)
            .header("Origin", &format!("http://{host}"))
            .header("Sec-Fetch-Site", "same-origin")
            .json(r#"{"now": 5}"#)
            .send()
            .expect(200);
        assert_eq!(r.header("access-control-allow-origin"), None);
    }
    // A body-less write needs no Content-Type: `curl -X POST .../reset` works.
    admin(&s, "POST", "/__admin/reset")
        .no_content_type()
        .send()
        .expect(200);
}

#[test]
fn admin_writes_with_a_body_must_say_it_is_json() {
    let s = TestServer::start();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let mut req = admin(&s, "POST", "/__admin/faults");
        req = match content_type {
            Some(ct) => req.body_as(ct, br#"{"path": "/*", "status": 503}"#),
            None => req
                .body_as("x", br#"{"path": "/*", "status": 503}"#)
                .no_content_type(),
        };
        let r = req.send().expect(415);
        assert!(r.body.contains("application/json"), "{}", r.body);
    }
    assert_eq!(
        admin(&s, "GET", "/__admin/faults").send().json()["faults"],
        serde_json::json!([])
    );
    s.get("/v1/conversations").expect(200);
    // So must a write whose call reads no body: it changes nothing either.
    for (method, path) in [
        ("POST", "/__admin/reset"),
        ("DELETE", "/__admin/requests"),
        ("DELETE", "/__admin/faults"),
    ] {
        admin(&s, method, path)
            .body_as("text/plain", b"{}")
            .send()
            .expect(415);
    }
    let journal = admin(&s, "GET", "/__admin/requests").send().json();
    assert_eq!(journal["requests"].as_array().map(Vec::len), Some(1));
}

#[test]
fn allowed_origins_get_cors_on_the_admin_api() {
    let s = TestServer::with(Config {
        admin_allow_origins: vec![PAGE.into()],
        allow_hosts: vec!["devbox.test".into()],
        ..Config::default()
    });
    let r = admin(&s, "OPTIONS", "/__admin/faults")
        .header("Origin", PAGE)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .expect(204);
    assert_eq!(r.header("access-control-allow-origin"), Some(PAGE));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, HEAD, POST, DELETE")
    );
    let r = admin(&s, "GET", "/__admin/health")
        .header("Origin", PAGE)
        .header("Sec-Fetch-Site", "same-site")
        .send()
        .expect(200);
    assert_eq!(r.header("access-control-allow-origin"), Some(PAGE));
    admin(&s, "GET", "/__admin/health")
        .header("Origin", "http://127.0.0.1:5174")
        .send()
        .expect(403);
    admin(&s, "GET", "/__admin/health")
        .header("Host", &format!("devbox.test:{}", s.addr.port()))
        .send()
        .expect(200);
}

/// Sends raw bytes on a new connection and reads until the server closes.
fn raw(s: &TestServer, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(s.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(request).expect("write");
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn http_1_1_needs_exactly_one_host_header() {
    let s = TestServer::start();
    let get = |head: &str| {
        raw(
            &s,
            format!("GET /v1/conversations/xgQQXg3hrtjh7AvZ {head}\r\n\r\n").as_bytes(),
        )
    };
    let auth = format!("Authorization: Bearer {TOKEN}\r\nConnection: close");
    let missing = get(&format!("HTTP/1.1\r\n{auth}"));
    assert!(missing.starts_with("HTTP/1.1 400"), "{missing}");
    assert!(missing.contains("Host header"), "{missing}");
    let twice = get(&format!("HTTP/1.1\r\nHost: a\r\nHost: b\r\n{auth}"));
    assert!(twice.starts_with("HTTP/1.1 400"), "{twice}");
    assert!(twice.contains("only one Host"), "{twice}");
    let one = get(&format!("HTTP/1.1\r\nHost: a\r\n{auth}"));
    assert!(one.starts_with("HTTP/1.1 200"), "{one}");
    // HTTP/1.0 may leave it out.
    let old = get(&format!("HTTP/1.0\r\n{auth}"));
    assert!(old.starts_with("HTTP/1.0 200"), "{old}");
}

#[test]
fn a_head_over_64_kib_is_refused_even_in_one_write() {
    let s = TestServer::start();
    let head = |extra: usize| {
        format!(
            "GET /v1/conversations HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {TOKEN}\r\n\
             Connection: close\r\nX-Padding: {}\r\n\r\n",
            "p".repeat(extra)
        )
    };
    let big = raw(&s, head(100 * 1024).as_bytes());
    assert!(
        big.starts_with("HTTP/1.1 431"),
        "{}",
        &big[..big.len().min(200)]
    );
    assert!(big.contains("65536 bytes"), "{big}");
    let fits = raw(&s, head(60 * 1024).as_bytes());
    assert!(fits.starts_with("HTTP/1.1 200"), "{}", &fits[..200]);
}

/// Sends a whole oversized body before reading, as Node's `fetch` and Python's `urllib` do,
/// and returns what came back.
fn send_whole_then_read(s: &TestServer, body_len: usize, chunked: bool) -> String {
    let mut stream = TcpStream::connect(s.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {body_len}")
    };
    let head = format!(
        "POST /v1/conversations HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("head");
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = 0;
    while sent < body_len {
        let n = chunk.len().min(body_len - sent);
        let written = if chunked {
            let mut framed = format!("{n:x}\r\n").into_bytes();
            framed.extend_from_slice(&chunk[..n]);
            framed.extend_from_slice(b"\r\n");
            stream.write_all(&framed)
        } else {
            stream.write_all(&chunk[..n])
        };
        if let Err(e) = written {
            return format!("write failed after {sent} bytes: {e}");
        }
        sent += n;
    }
    if chunked && stream.write_all(b"0\r\n\r\n").is_err() {
        return "write of the last chunk failed".to_owned();
    }
    let mut out = Vec::new();
    match stream.read_to_end(&mut out) {
        Ok(_) => String::from_utf8_lossy(&out).into_owned(),
        // A reset after the answer arrived still leaves the answer read.
        Err(e) if !out.is_empty() => {
            let text = String::from_utf8_lossy(&out).into_owned();
            format!("{text}\n(then {e})")
        }
        Err(e) => format!("read failed: {e}"),
    }
}

#[test]
fn a_client_that_sends_its_whole_oversized_body_reads_the_413() {
    let s = TestServer::start();
    for (len, chunked) in [(2 << 20, false), (16 << 20, false), (3 << 20, true)] {
        let answer = send_whole_then_read(&s, len, chunked);
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "{len} bytes, chunked {chunked}: {}",
            &answer[..answer.len().min(300)]
        );
        assert!(answer.contains("1 MiB"), "{answer}");
    }
    // A client that asks first gets the 413 without sending anything.
    let mut stream = TcpStream::connect(s.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let head = format!(
        "POST /v1/conversations HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("head");
    let mut out = [0u8; 16];
    stream
        .read_exact(&mut out)
        .expect("an answer without the body");
    assert!(out.starts_with(b"HTTP/1.1 413"), "{out:?}");
    s.get("/v1/conversations").expect(200);
}

/// Pipelines `count` requests for the OpenAPI document (30 KB each) and never reads.
fn flood_without_reading(s: &TestServer, count: usize) -> TcpStream {
    let stream = TcpStream::connect(s.addr).expect("connect");
    let mut writer = stream.try_clone().expect("clone");
    std::thread::spawn(move || {
        let one = b"GET /openapi.json HTTP/1.1\r\nHost: a\r\n\r\n";
        for _ in 0..count {
            if writer.write_all(one).is_err() {
                break;
            }
        }
    });
    stream
}

#[test]
fn clients_that_stop_reading_lose_their_connection_and_slot() {
    let s = TestServer::with(Config {
        header_timeout: Duration::from_secs(1),
        max_connections: 2,
        ..Config::default()
    });
    let started = Instant::now();
    let stuck: Vec<TcpStream> = (0..2).map(|_| flood_without_reading(&s, 5000)).collect();
    std::thread::sleep(Duration::from_millis(300));
    // Both slots are held by clients that read nothing; the write timeout frees them.
    let r = s.get("/v1/conversations/xgQQXg3hrtjh7AvZ").expect(200);
    assert!(r.body.contains("xgQQXg3hrtjh7AvZ"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "served only after a hang"
    );
    // What the stuck clients find when they finally read, well after the timeout: the
    // connection was closed long before all 5000 answers were written.
    std::thread::sleep(Duration::from_secs(3).saturating_sub(started.elapsed()));
    for mut stream in stuck {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut total = 0usize;
        let mut buf = vec![0u8; 1 << 16];
        let ended = loop {
            match stream.read(&mut buf) {
                Ok(0) => break true,
                Ok(n) => total += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                    break false;
                }
                Err(_) => break true,
            }
        };
        assert!(ended, "the connection is still open after {total} bytes");
        assert!(
            total < 5000 * 30_000,
            "{total} bytes: every answer was written"
        );
    }
}
