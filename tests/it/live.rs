//! The live event stream: `GET /__admin/events` as Server-Sent Events, read over a raw
//! socket as an `EventSource` reads it, and with `curl -N`.

use crate::events::post;
use crate::support::{Binary, TestServer};
use convmock::Config;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// One SSE record: its fields, and its comments.
#[derive(Debug, Default)]
pub struct Record {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
    pub comments: Vec<String>,
}

impl Record {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).expect("a record's data is JSON")
    }
}

/// An open event stream: the response head, then records as they come.
pub struct Stream {
    reader: BufReader<TcpStream>,
    pub status: u16,
    pub head: String,
    /// Decoded body bytes not yet made into records.
    pending: Vec<u8>,
    ended: bool,
}

impl Stream {
    /// `GET /__admin/events{query}` with `Accept: text/event-stream` and `headers`.
    pub fn open(addr: SocketAddr, query: &str, headers: &[(&str, &str)]) -> Stream {
        let mut socket = TcpStream::connect(addr).expect("connect");
        socket
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("a read timeout");
        let mut request = format!(
            "GET /__admin/events{query} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n"
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        socket
            .write_all(request.as_bytes())
            .expect("send the request");
        let mut reader = BufReader::new(socket);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("a head line");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        let status = head[9..12].parse().expect("a status");
        let mut stream = Stream {
            reader,
            status,
            head,
            pending: Vec::new(),
            ended: false,
        };
        if stream.header("transfer-encoding").as_deref() != Some("chunked") {
            // An error answer with its length: read it whole.
            let length = stream
                .header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0; length];
            stream.reader.read_exact(&mut body).expect("the body");
            stream.pending = body;
            stream.ended = true;
        }
        stream
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    /// The body so far, for an answer that is not a stream.
    pub fn body(&self) -> String {
        String::from_utf8_lossy(&self.pending).into_owned()
    }

    /// Reads one more chunk of the chunked body; `false` at its end.
    fn read_chunk(&mut self) -> bool {
        let mut size = String::new();
        self.reader.read_line(&mut size).expect("a chunk size");
        let size = usize::from_str_radix(size.trim(), 16).expect("a hex chunk size");
        let mut chunk = vec![0; size + 2];
        self.reader.read_exact(&mut chunk).expect("a chunk");
        self.pending.extend_from_slice(&chunk[..size]);
        if size == 0 {
            self.ended = true;
        }
        size > 0
    }

    /// The next record; `None` once the stream has ended.
    pub fn next(&mut self) -> Option<Record> {
        loop {
            if let Some(end) = self.pending.windows(2).position(|w| w == b"\n\n") {
                let text = String::from_utf8(self.pending[..end].to_vec()).expect("UTF-8");
                self.pending.drain(..end + 2);
                let mut record = Record::default();
                for line in text.lines() {
                    match line.split_once(": ") {
                        Some(("", comment)) => record.comments.push(comment.to_owned()),
                        Some(("id", v)) => record.id = Some(v.to_owned()),
                        Some(("event", v)) => record.event = Some(v.to_owned()),
                        Some(("data", v)) => record.data.push_str(v),
                        _ => panic!("an unexpected line {line:?}"),
                    }
                }
                return Some(record);
            }
            if self.ended || !self.read_chunk() {
                return None;
            }
        }
    }

    /// The next record that is not only comments.
    pub fn next_event(&mut self) -> Record {
        loop {
            let record = self.next().expect("the stream goes on");
            if record.event.is_some() {
                return record;
            }
        }
    }
}

fn event_ids(s: &TestServer) -> Vec<String> {
    s.get("/__admin/events").expect(200).json()["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[test]
fn a_change_appears_on_the_stream_as_it_happens_with_its_id_and_type() {
    let s = TestServer::start();
    let mut all = Stream::open(s.addr, "", &[]);
    assert_eq!(all.status, 200);
    assert_eq!(
        all.header("content-type").as_deref(),
        Some("text/event-stream")
    );
    assert_eq!(all.header("cache-control").as_deref(), Some("no-cache"));
    let opening = all.next().expect("an opening comment");
    assert_eq!(opening.comments, ["convmock events"]);
    let mut messages = Stream::open(s.addr, "?type=message.*", &[]);

    let created = post(&s, "/v1/conversations", json!({"contact_id": "c1"}));
    let record = all.next_event();
    assert_eq!(record.event.as_deref(), Some("conversation.created"));
    let event = record.json();
    assert_eq!(record.id.as_deref(), event["id"].as_str());
    assert_eq!(event["type"], "conversation.created");
    assert_eq!(event["payload"], created);
    // The same event as the list shows.
    assert_eq!(event_ids(&s), [record.id.clone().unwrap()]);

    let sent = post(
        &s,
        "/v1/messages",
        json!({"conversation_id": created["id"], "message": "Hi"}),
    );
    // The filtered stream skipped the conversation's event.
    let first = messages.next_event();
    assert_eq!(first.event.as_deref(), Some("message.created"));
    assert_eq!(first.json()["payload"]["id"], sent["id"]);
    assert_eq!(all.next_event().event.as_deref(), Some("message.created"));
    assert_eq!(
        all.next_event().event.as_deref(),
        Some("conversation.updated")
    );
}

#[test]
fn last_event_id_resumes_from_the_ring_without_a_repeat_or_a_gap() {
    let s = TestServer::start();
    for n in 0..3 {
        post(
            &s,
            "/v1/conversations",
            json!({"contact_id": format!("c{n}")}),
        );
    }
    let held = event_ids(&s);
    let mut resumed = Stream::open(s.addr, "", &[("Last-Event-ID", &held[0])]);
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..2 {
        seen.push(resumed.next_event().id.expect("an id"));
    }
    assert_eq!(seen, held[1..]);
    post(&s, "/v1/conversations", json!({"contact_id": "c3"}));
    let fresh = resumed.next_event().id.expect("an id");
    assert_eq!(event_ids(&s)[3], fresh);

    // An ID the ring does not hold: said so, then every event it holds.
    let mut lost = Stream::open(s.addr, "", &[("Last-Event-ID", "notAnEventIdHere")]);
    let record = lost.next_event();
    assert_eq!(record.event.as_deref(), Some("lost"));
    assert_eq!(record.id, None);
    let said = record.json();
    assert_eq!(said["reason"], "unknown_last_event_id");
    assert_eq!(said["last_event_id"], "notAnEventIdHere");
    let replayed: Vec<String> = (0..4).map(|_| lost.next_event().id.unwrap()).collect();
    assert_eq!(replayed, event_ids(&s));
}

#[test]
fn a_reader_that_falls_behind_is_told_how_many_events_it_lost() {
    let s = TestServer::with(Config {
        max_workspace_bytes: 256 << 20,
        header_timeout: Duration::from_secs(120),
        ..Config::default()
    });
    let mut slow = Stream::open(s.addr, "", &[]);
    let conversation = post(&s, "/v1/conversations", json!({"contact_id": "c"}));
    // 16 KiB a message: far more than the sockets hold and the bus keeps for a reader
    // that reads nothing meanwhile.
    let text = "😀".repeat(4096);
    let sent = 1500;
    for _ in 0..sent {
        post(
            &s,
            "/v1/messages",
            json!({"conversation_id": conversation["id"], "message": text}),
        );
    }
    let last = post(&s, "/v1/conversations", json!({"contact_id": "last"}));
    let (mut events, mut lost, mut read_last) = (0u64, 0u64, Value::Null);
    // Every event made is either read or counted as lost: 1 + 2 per message + 1.
    let made = 2 + 2 * sent as u64;
    while events + lost < made {
        let record = slow.next_event();
        if record.event.as_deref() == Some("lost") {
            let said = record.json();
            assert_eq!(said["reason"], "lagged");
            lost += said["lost"].as_u64().expect("a count");
        } else {
            events += 1;
            read_last = record.json()["payload"]["id"].clone();
        }
    }
    assert!(lost > 0, "nothing was lost: {events} events read");
    assert_eq!(events + lost, made);
    // Those lost are the oldest: the last one made is the last one read.
    assert_eq!(read_last, last["id"]);
}

#[test]
fn admin_guards_apply_to_the_stream() {
    let s = TestServer::start();
    let elsewhere = Stream::open(s.addr, "", &[("Origin", "http://evil.example")]);
    assert_eq!(elsewhere.status, 403);
    assert!(
        elsewhere.body().contains("another origin"),
        "{}",
        elsewhere.body()
    );
    let cross = Stream::open(s.addr, "", &[("Sec-Fetch-Site", "cross-site")]);
    assert_eq!(cross.status, 403);
    let bad_type = Stream::open(s.addr, "?type=nope", &[]);
    assert_eq!(bad_type.status, 400);

    let guarded = TestServer::with(Config {
        admin_token: Some("admin-secret".into()),
        ..Config::default()
    });
    assert_eq!(Stream::open(guarded.addr, "", &[]).status, 401);
    let mut allowed = Stream::open(
        guarded.addr,
        "",
        &[("Authorization", "Bearer admin-secret")],
    );
    assert_eq!(allowed.status, 200);
    assert!(allowed.next().is_some());
}

#[test]
fn an_open_stream_ends_at_shutdown_and_does_not_hold_it_up() {
    let server = Binary::start(&[]);
    let mut stream = Stream::open(server.addr, "", &[]);
    assert!(stream.next().is_some());
    server.signal("TERM");
    // The stream's end: the last chunk, not a reset or a timeout.
    while stream.next().is_some() {}
    assert!(stream.ended);
    let (code, stderr) = server.wait();
    assert_eq!(code, Some(0));
    assert!(!stderr.contains("did not finish"), "{stderr}");
}

#[test]
fn curl_n_prints_each_event_as_it_happens() {
    let s = TestServer::start();
    let mut curl = Command::new("curl")
        .args(["-sN", "-H", "Accept: text/event-stream"])
        .arg(format!(
            "{}/__admin/events?type=conversation.created",
            s.url()
        ))
        .stdout(Stdio::piped())
        .spawn()
        .expect("curl runs (it is installed by .ci/run)");
    let out = curl.stdout.take().expect("curl's output");
    let (lines, seen) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let wait = Duration::from_secs(20);
    // The opening comment: curl is subscribed.
    assert_eq!(
        seen.recv_timeout(wait).expect("a line"),
        ": convmock events"
    );
    assert_eq!(seen.recv_timeout(wait).expect("a line"), "");
    let created = post(&s, "/v1/conversations", json!({"contact_id": "c"}));
    let mut got = Vec::new();
    while got.len() < 4 {
        got.push(seen.recv_timeout(wait).expect("a line"));
    }
    // Only the process this test started, by its own handle.
    let _ = curl.kill();
    let _ = curl.wait();
    assert_eq!(got[1], "event: conversation.created");
    let data: Value = serde_json::from_str(got[2].strip_prefix("data: ").expect("data")).unwrap();
    assert_eq!(data["payload"], created);
    assert_eq!(got[0], format!("id: {}", data["id"].as_str().unwrap()));
    assert_eq!(got[3], "");
}

#[test]
fn a_quiet_stream_gets_a_heartbeat_and_outlives_the_idle_timeout() {
    // Idle keep-alive connections close after 1 s here; a stream with nothing to say is
    // not idle: it stays open, says `: heartbeat` every 15 s, and carries the next event.
    let s = TestServer::with(Config {
        header_timeout: Duration::from_secs(1),
        ..Config::default()
    });
    let mut stream = Stream::open(s.addr, "", &[]);
    assert_eq!(
        stream.next().expect("an opening comment").comments,
        ["convmock events"]
    );
    // The stream's read timeout (20 s) bounds how long a missing heartbeat takes to fail.
    let beat = stream.next().expect("the stream goes on");
    assert_eq!(
        (beat.comments, beat.event),
        (vec!["heartbeat".to_owned()], None)
    );
    let created = post(&s, "/v1/conversations", json!({"contact_id": "c1"}));
    let record = stream.next_event();
    assert_eq!(record.json()["payload"], created);
}
