//! Bounds on what the server keeps and hands out: the journal's memory, and the number of
//! conversations a workspace holds.

use crate::support::{Binary, Req, TestServer};
use convmock::journal::{
    MAX_JOURNAL_BODY, MAX_JOURNAL_BYTES, MAX_JOURNAL_TARGET, MAX_JOURNAL_TOKEN,
};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[test]
fn the_journal_keeps_a_bounded_number_of_bytes_and_cuts_long_targets_and_tokens() {
    let s = TestServer::start();
    let per_entry = MAX_JOURNAL_BODY + MAX_JOURNAL_TARGET + MAX_JOURNAL_TOKEN;
    let fits = MAX_JOURNAL_BYTES / per_entry;
    let body = vec![b'b'; MAX_JOURNAL_BODY];
    let token = "t".repeat(4 * MAX_JOURNAL_TOKEN);
    let sent = fits + 20;
    for i in 0..sent {
        let target = format!("/elsewhere?n={i:05}&pad={}", "q".repeat(MAX_JOURNAL_TARGET));
        Req::new(s.addr, "POST", &target)
            .token(&token)
            .body_as("application/octet-stream", &body)
            .send()
            .expect(404);
    }
    let journal = Req::new(s.addr, "GET", "/__admin/requests")
        .send()
        .expect(200);
    let requests = journal.json()["requests"].as_array().unwrap().clone();
    assert_eq!(requests.len(), fits, "entries kept of {sent}");
    let newest = requests.last().unwrap();
    let query = newest["query"].as_str().unwrap();
    assert!(
        query.starts_with(&format!("n={:05}&pad=qq", sent - 1)),
        "{}",
        &query[..20]
    );
    assert!(query.ends_with("q..."));
    assert_eq!(
        "/elsewhere?".len() + query.len(),
        MAX_JOURNAL_TARGET + "...".len()
    );
    assert_eq!(
        newest["token"],
        format!("{}...", &token[..MAX_JOURNAL_TOKEN])
    );
    assert_eq!(newest["body"].as_str().unwrap().len(), MAX_JOURNAL_BODY);
}
/// The server process's resident memory, in KiB.
fn rss_kib(b: &Binary) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", b.child.id()))
        .expect("the server's /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

#[test]
fn clients_that_request_a_full_journal_and_never_read_cost_little_memory() {
    let b = Binary::start(&["--quiet"]);
    // Control bytes: each is six bytes (`\u0001`) in the JSON answer.
    let body = vec![1u8; MAX_JOURNAL_BODY];
    for _ in 0..250 {
        Req::new(b.addr, "POST", "/elsewhere")
            .body_as("application/octet-stream", &body)
            .send()
            .expect(404);
    }
    let before = rss_kib(&b);
    // Eight readers of a ~100 MB answer each, that never read a byte of it.
    let readers: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut conn = TcpStream::connect(b.addr).expect("connect");
            write!(
                conn,
                "GET /__admin/requests HTTP/1.1\r\nHost: {}\r\n\r\n",
                b.addr
            )
            .expect("send the request");
            conn
        })
        .collect();
    // Each answer has begun (its first bytes are waiting) once its handler has returned.
    let deadline = Instant::now() + Duration::from_secs(120);
    for conn in &readers {
        conn.set_read_timeout(Some(Duration::from_secs(120)))
            .expect("timeout");
        let mut first = [0u8; 1];
        assert_eq!(conn.peek(&mut first).expect("the answer begins"), 1);
        assert!(Instant::now() < deadline);
    }
    std::thread::sleep(Duration::from_millis(300));
    let grown_mib = rss_kib(&b).saturating_sub(before) / 1024;
    assert!(grown_mib < 200, "the server grew by {grown_mib} MiB");
    b.call("GET", "/v1/conversations/xgQQXg3hrtjh7AvZ")
        .send()
        .expect(200);
    drop(readers);
}
