//! Hostile and broken clients: the server answers or closes cleanly, keeps serving others,
//! and its state stays consistent.

use crate::support::{Resp, TestServer};
use convmock::Config;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

const DOC: &str = "/v1/conversations/xgQQXg3hrtjh7AvZ";

fn connect(s: &TestServer) -> TcpStream {
    let conn = TcpStream::connect(s.addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn
}

/// Reads until the peer closes; what arrived, or `None` if the read failed (a reset).
fn read_all(conn: &mut TcpStream) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    conn.read_to_end(&mut out).ok().map(|_| out)
}

/// The server still answers, and the documented conversation is as documented.
fn still_healthy(s: &TestServer) {
    let r = s.get(DOC).expect(200);
    assert_eq!(r.json()["is_muted"], false);
    assert_eq!(s.get("/v1/conversations").ids().len(), 7);
}

fn short_timeouts() -> Config {
    Config {
        header_timeout: Duration::from_secs(1),
        ..Config::default()
    }
}

#[test]
fn deeply_nested_json_is_a_400_not_a_stack_overflow() {
    let s = TestServer::start();
    let depth = 10_000;
    let body = format!(
        "{{\"is_muted\": {}true{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let r = s.call("PUT", DOC).json(&body).send().expect(400);
    assert!(
        r.body.contains("not valid JSON"),
        "{}",
        &r.body[..200.min(r.body.len())]
    );
    let objects = format!("{}{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    s.call("POST", "/v1/conversations")
        .json(&objects)
        .send()
        .expect(400);
    still_healthy(&s);
}

#[test]
fn invalid_utf8_in_bodies_is_a_400() {
    let s = TestServer::start();
    let form = s
        .call("PUT", DOC)
        .body_as("application/x-www-form-urlencoded", b"is_muted=tr\xffue")
        .send()
        .expect(400);
    assert!(form.body.contains("UTF-8"), "{}", form.body);
    s.call("PUT", DOC)
        .body_as("application/x-www-form-urlencoded", b"is_muted=%FF")
        .send()
        .expect(400);
    s.call("PUT", DOC)
        .body_as("application/json", b"{\"pinned_message_id\": \"\xc3\x28\"}")
        .send()
        .expect(400);
    still_healthy(&s);
}

#[test]
fn a_100_kib_header_block_is_refused_and_the_server_goes_on() {
    let s = TestServer::start();
    let mut conn = connect(&s);
    let filler = "x".repeat(100 * 1024);
    let _ = write!(
        conn,
        "GET /v1/conversations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nX-Filler: {filler}\r\n\r\n"
    );
    match read_all(&mut conn) {
        Some(answer) if !answer.is_empty() => {
            let r = Resp::parse(&answer);
            assert_eq!(r.status, 431);
        }
        _ => {} // closed without an answer: also clean
    }
    still_healthy(&s);
}

#[test]
fn a_request_sent_byte_by_byte_is_answered() {
    let s = TestServer::start();
    let mut conn = connect(&s);
    let request = format!(
        "GET {DOC} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n"
    );
    for byte in request.as_bytes() {
        conn.write_all(&[*byte]).unwrap();
        conn.flush().unwrap();
        std::thread::sleep(Duration::from_millis(3));
    }
    let r = Resp::parse(&read_all(&mut conn).unwrap());
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["id"], "xgQQXg3hrtjh7AvZ");
}

#[test]
fn a_head_that_stalls_halfway_is_closed_after_the_header_timeout() {
    let s = TestServer::with(short_timeouts());
    let mut conn = connect(&s);
    conn.write_all(b"GET /v1/conversations HTTP/1.1\r\nHost: x\r\nAuthor")
        .unwrap();
    let started = Instant::now();
    let answer = read_all(&mut conn).unwrap_or_default();
    // Closed by the server (hyper may say 408 first), well before our own read timeout.
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
        "{answer:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(8));
    still_healthy(&s);
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_timeout() {
    let s = TestServer::with(short_timeouts());
    let mut conn = connect(&s);
    write!(
        conn,
        "GET {DOC} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    conn.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let started = Instant::now();
    let _ = read_all(&mut conn); // the rest of the answer, then the close
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "closed while idle"
    );
}

#[test]
fn a_body_shorter_than_its_length_changes_nothing() {
    let s = TestServer::with(short_timeouts());
    // The client stops sending but keeps the connection open: 408 once the time is up.
    let mut conn = connect(&s);
    write!(
        conn,
        "PUT {DOC} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\nis_muted=true"
    )
    .unwrap();
    let r = Resp::parse(&read_all(&mut conn).unwrap());
    assert_eq!(r.status, 408, "{}", r.body);
    // The client sends part of the body and then closes its side.
    let mut conn = connect(&s);
    write!(
        conn,
        "POST /v1/conversations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\ncontact_id=x"
    )
    .unwrap();
    conn.shutdown(Shutdown::Write).unwrap();
    let _ = read_all(&mut conn);
    still_healthy(&s);
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let s = TestServer::start();
    let mut conn = connect(&s);
    let one = |method: &str, path: &str, body: &str| {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let batch = [
        one("PUT", DOC, "is_muted=true"),
        one("GET", "/v1/conversations/nope", ""),
        one("DELETE", "/v1/conversations/hSIhXBhNe8X1d8Et", ""),
        format!(
            "GET {DOC} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n"
        ),
    ]
    .concat();
    conn.write_all(batch.as_bytes()).unwrap();
    let answer = String::from_utf8(read_all(&mut conn).unwrap()).unwrap();
    let statuses: Vec<&str> = answer
        .match_indices("HTTP/1.1 ")
        .map(|(i, _)| &answer[i + 9..i + 12])
        .collect();
    assert_eq!(statuses, ["200", "404", "204", "200"]);
    assert!(
        answer.ends_with("\"archived_at\": null\n}\n"),
        "the last answer is whole"
    );
    assert_eq!(s.get(DOC).json()["is_muted"], true);
}

#[test]
fn a_client_that_leaves_mid_response_does_not_disturb_others() {
    let fixtures = convmock::Fixtures::parse("many", &crate::support::many_fixtures(300)).unwrap();
    let s = TestServer::with(Config {
        fixtures,
        ..Config::default()
    });
    for _ in 0..20 {
        let mut conn = connect(&s);
        write!(
            conn,
            "GET /v1/conversations?limit=100 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n"
        )
        .unwrap();
        let mut first = [0u8; 64];
        let _ = conn.read(&mut first);
        drop(conn); // gone with most of the answer unread
    }
    assert_eq!(s.get("/v1/conversations?limit=100").ids().len(), 100);
}

#[test]
fn past_the_connection_bound_new_clients_wait_their_turn() {
    let s = TestServer::with(Config {
        max_connections: 2,
        ..Config::default()
    });
    let hold = |s: &TestServer| {
        let mut conn = connect(s);
        write!(
            conn,
            "GET {DOC} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n"
        )
        .unwrap();
        let mut head = [0u8; 12];
        conn.read_exact(&mut head).unwrap();
        conn
    };
    let first = hold(&s);
    let _second = hold(&s);
    let addr = s.addr;
    let waiting = std::thread::spawn(move || {
        crate::support::Req::new(addr, "GET", DOC)
            .token("t")
            .send()
            .status
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !waiting.is_finished(),
        "a third connection waits while two are open"
    );
    drop(first);
    assert_eq!(waiting.join().unwrap(), 200);
}

/// `n` distinct names of three characters from `[0-9A-Za-z]`.
fn short_names(n: usize) -> Vec<String> {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..n)
        .map(|i| {
            [i / (62 * 62), i / 62 % 62, i % 62]
                .iter()
                .map(|d| char::from(DIGITS[*d]))
                .collect()
        })
        .collect()
}

#[test]
fn a_body_of_too_many_names_is_refused_at_once_and_others_are_served_meanwhile() {
    use convmock::body::MAX_NAMES;
    let s = TestServer::start();
    // 200,000 form names (800 KB) and 130,000 JSON keys (1 MB), both under the body limit.
    let names = short_names(200_000);
    let form = names.join("&");
    let members: Vec<String> = names[..130_000]
        .iter()
        .map(|n| format!("\"{n}\":0"))
        .collect();
    let json = format!("{{{}}}", members.join(","));
    assert!(
        form.len() < convmock::error::MAX_BODY_BYTES
            && json.len() < convmock::error::MAX_BODY_BYTES
    );

    let (done, answers) = std::sync::mpsc::channel();
    for (content_type, body) in [
        ("application/x-www-form-urlencoded", form),
        ("application/json", json),
    ] {
        let (done, addr) = (done.clone(), s.addr);
        std::thread::spawn(move || {
            let r = crate::support::Req::new(addr, "PUT", DOC)
                .token("t")
                .body_as(content_type, body.as_bytes())
                .send();
            let _ = done.send((content_type, r));
        });
    }
    // Both hostile bodies are in the server's hands; a plain GET is still answered.
    std::thread::sleep(Duration::from_millis(200));
    s.get(DOC).expect(200);
    for _ in 0..2 {
        // A generous bound: only a server that hangs on the body misses it.
        let (content_type, r) = answers
            .recv_timeout(Duration::from_secs(20))
            .expect("each body is answered, not worked on for minutes");
        assert_eq!(r.status, 400, "{content_type}: {}", r.body);
        let message = r.json()["error_message"].as_str().unwrap().to_owned();
        assert!(
            message.contains(&format!("more than {MAX_NAMES} names")),
            "{content_type}: {message}"
        );
    }

    // The query string has the same bound; a body just under it is read in full.
    let too_many = short_names(MAX_NAMES + 1).join("&");
    let r = s.get(&format!("/v1/conversations?{too_many}")).expect(400);
    assert!(
        r.body.contains(&format!("more than {MAX_NAMES} names")),
        "{}",
        r.body
    );
    let at_the_bound = short_names(MAX_NAMES).join("&");
    let r = s.call("PUT", DOC).form(&at_the_bound).send().expect(400);
    assert!(r.body.contains("Unknown parameter '000'"), "{}", r.body);
    still_healthy(&s);
}
