//! Bounds on what the server keeps and hands out: the journal's memory, and the number of
//! conversations a workspace holds.

use crate::support::{Binary, Req, TempFile, TestServer, many_fixtures};
use convmock::journal::{
    JOURNAL_ENTRY_OVERHEAD, MAX_JOURNAL_BODY, MAX_JOURNAL_BYTES, MAX_JOURNAL_TARGET,
    MAX_JOURNAL_TOKEN,
};
use convmock::{Config, Fixtures, Profile};
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[test]
fn the_journal_keeps_a_bounded_number_of_bytes_and_cuts_long_targets_and_tokens() {
    let s = TestServer::start();
    let per_entry = JOURNAL_ENTRY_OVERHEAD
        + "POST".len()
        + MAX_JOURNAL_BODY
        + MAX_JOURNAL_TARGET
        + MAX_JOURNAL_TOKEN;
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
    // Each entry also keeps why it was refused (the 404's message).
    let error = requests[0]["error"].as_str().expect("a 404 says why").len();
    let fits = MAX_JOURNAL_BYTES / ("POST".len() + per_entry + error);
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

/// What eight clients that send `GET path` and never read a byte of the answer add to the
/// server's memory, in MiB, once each answer has begun.
fn grown_by_eight_non_readers(b: &Binary, path: &str) -> u64 {
    let before = rss_kib(b);
    let readers: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut conn = TcpStream::connect(b.addr).expect("connect");
            write!(conn, "GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", b.addr)
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
    let grown_mib = rss_kib(b).saturating_sub(before) / 1024;
    // Others are served meanwhile.
    b.call("GET", "/v1/conversations?limit=1")
        .send()
        .expect(200);
    drop(readers);
    grown_mib
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
    // Eight readers of a ~100 MB answer each.
    let grown = grown_by_eight_non_readers(&b, "/__admin/requests");
    assert!(grown < 200, "the server grew by {grown} MiB");
}

#[test]
fn stalled_readers_of_a_journal_that_moves_on_do_not_keep_its_old_entries() {
    let b = Binary::start(&["--quiet"]);
    let body = vec![1u8; MAX_JOURNAL_BODY];
    let fill = || {
        // More than the journal's 32 MiB: every entry a reader saw is dropped by the next.
        for _ in 0..(MAX_JOURNAL_BYTES / MAX_JOURNAL_BODY + 10) {
            Req::new(b.addr, "POST", "/elsewhere")
                .body_as("application/octet-stream", &body)
                .send()
                .expect(404);
        }
    };
    fill();
    let before = rss_kib(&b);
    let mut readers = Vec::new();
    for _ in 0..6 {
        let mut conn = TcpStream::connect(b.addr).expect("connect");
        write!(
            conn,
            "GET /__admin/requests HTTP/1.1\r\nHost: {}\r\n\r\n",
            b.addr
        )
        .expect("send the request");
        let mut first = [0u8; 1];
        conn.set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        assert_eq!(conn.peek(&mut first).expect("the answer begins"), 1);
        readers.push(conn);
        fill();
    }
    let grown_mib = rss_kib(&b).saturating_sub(before) / 1024;
    // Six snapshots of 32 MiB each would be 190 MiB.
    assert!(grown_mib < 80, "the server grew by {grown_mib} MiB");
    drop(readers);
}

#[test]
fn clients_that_request_full_admin_lists_and_never_read_cost_little_memory() {
    // A workspace of 10,000 conversations with 255-character IDs: a 13 MB answer.
    let long = |c: char, i: usize| format!("{i:05}{}", c.to_string().repeat(250));
    let conversations: Vec<String> = (0..10_000)
        .map(|i| {
            format!(
                r#"{{"id": "{}", "contact_id": "{}", "group_id": "{}", "pinned_message_id": "{}", "created_at": {i}}}"#,
                long('i', i),
                long('c', i),
                long('g', i),
                long('p', i)
            )
        })
        .collect();
    let fixtures = TempFile::new(
        "full.json",
        &format!(r#"{{"conversations": [{}]}}"#, conversations.join(",")),
    );
    let b = Binary::start(&["--quiet", "--fixtures", fixtures.path.to_str().unwrap()]);
    let grown = grown_by_eight_non_readers(&b, "/__admin/conversations");
    assert!(
        grown < 40,
        "8 readers of the conversations grew the server by {grown} MiB"
    );

    // 1,000 fault rules with 1 KiB patterns of control bytes: a 6 MB answer.
    for i in 0..1000 {
        let pattern = format!("/zz{i:04}{}", "\\u0001".repeat(1015));
        Req::new(b.addr, "POST", "/__admin/faults")
            .json(&format!(r#"{{"path": "{pattern}", "status": 503}}"#))
            .send()
            .expect(201);
    }
    let grown = grown_by_eight_non_readers(&b, "/__admin/faults");
    assert!(
        grown < 20,
        "8 readers of the fault rules grew the server by {grown} MiB"
    );
}

fn create(s: &TestServer) -> crate::support::Resp {
    s.call("POST", "/v1/conversations")
        .form("contact_id=c")
        .send()
}

fn listed(s: &TestServer) -> usize {
    s.get("/v1/conversations?limit=100").ids().len()
}

#[test]
fn a_create_past_the_object_limit_is_a_429_naming_it_until_one_is_deleted() {
    let s = TestServer::with(Config {
        max_objects: 10,
        profile: Profile::Oblic,
        ..Config::default()
    });
    // Seven fixtures, three creates.
    let mut created: Vec<String> = (0..3).map(|_| create(&s).expect(201).id()).collect();
    let full = create(&s).expect(429);
    assert_eq!(full.json()["errors"][0]["cd"], "RATE_LIMITED");
    let message = full.json()["errors"][0]["message"].to_string();
    assert!(
        message.contains("holds 10 ") && message.contains("at most 10 (--max-objects)"),
        "{message}"
    );
    assert_eq!(listed(&s), 10, "the refused create added nothing");
    let gone = created.pop().unwrap();
    s.call("DELETE", &format!("/v1/conversations/{gone}"))
        .send()
        .expect(204);
    create(&s).expect(201);
    create(&s).expect(429);
}

#[test]
fn fixtures_beyond_the_object_limit_load_whole_and_take_creates_once_under_it() {
    let s = TestServer::with(Config {
        max_objects: 10,
        fixtures: Fixtures::parse("inline", &many_fixtures(12)).unwrap(),
        ..Config::default()
    });
    assert_eq!(listed(&s), 12);
    assert!(create(&s).expect(429).body.contains("holds 12 "));
    for i in 0..3 {
        s.call("DELETE", &format!("/v1/conversations/c{i:04}"))
            .send()
            .expect(204);
    }
    create(&s).expect(201);
    create(&s).expect(429);
}

#[test]
fn the_object_limit_is_a_flag_and_a_variable() {
    // The documented seven fixtures fill a limit of 7.
    let b = Binary::start(&["--quiet", "--max-objects", "8"]);
    let form = |b: &Binary| {
        b.call("POST", "/v1/conversations")
            .form("contact_id=c")
            .send()
    };
    form(&b).expect(201);
    form(&b).expect(429);
    let b = Binary::start_with_env(&["--quiet"], &[("CONVMOCK_MAX_OBJECTS", "7")]);
    assert!(form(&b).expect(429).body.contains("--max-objects"));
}

#[test]
fn a_body_in_one_byte_chunks_costs_about_its_size() {
    // A million chunks take a debug build a while on a busy machine: the body's time limit
    // is not what this test is about.
    let b = Binary::start(&["--quiet", "--header-timeout", "300"]);
    let before = rss_kib(&b);
    // Two clients each send a 1 MiB body in one-byte chunks and hold back its end.
    let chunk = b"1\r\na\r\n".repeat(1 << 20);
    let senders: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut conn = TcpStream::connect(b.addr).expect("connect");
            write!(
                conn,
                "POST /v1/conversations HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer t\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\n\
                 Transfer-Encoding: chunked\r\n\r\n",
                b.addr
            )
            .expect("head");
            conn.write_all(&chunk).expect("the chunks");
            conn
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let grown_mib = rss_kib(&b).saturating_sub(before) / 1024;
    assert!(
        grown_mib < 20,
        "two 1 MiB bodies grew the server by {grown_mib} MiB"
    );
    for mut conn in senders {
        conn.write_all(b"0\r\n\r\n").expect("the last chunk");
        conn.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut answer = [0u8; 12];
        conn.read_exact(&mut answer).expect("an answer");
        assert_eq!(&answer, b"HTTP/1.1 400");
    }
}

/// Sends `body` (JSON) and, when `field` is given, expects a 400 naming it and the limit;
/// otherwise a success.
fn bounded(s: &TestServer, method: &str, path: &str, body: &str, refused: Option<&str>) {
    let r = s.call(method, path).json(body).send();
    let Some(field) = refused else {
        assert!(r.status < 300, "{path} {body:.80}: {}", r.body);
        return;
    };
    let m = r.expect(400).json()["error_message"]
        .as_str()
        .expect("an error message")
        .to_owned();
    assert!(m.contains(&format!("'{field}'")), "{m}");
    assert!(m.contains("more than"), "{m}");
}

#[test]
fn chat_text_members_and_reactions_are_bounded_and_each_refusal_names_its_field() {
    let s = TestServer::start();
    // Characters, not bytes: 100 four-byte characters are a name of 100.
    let name = |n: usize| "😠".repeat(n);
    for (n, refused) in [(100, None), (101, Some("username"))] {
        let body = json!({ "username": name(n), "phone_number": "1" }).to_string();
        bounded(&s, "POST", "/v1/contacts", &body, refused);
    }
    for (n, refused) in [(4096, None), (4097, Some("message"))] {
        let body = json!({ "conversation_id": "xgQQXg3hrtjh7AvZ", "message": "x".repeat(n) });
        bounded(&s, "POST", "/v1/messages", &body.to_string(), refused);
    }
    let long_url = format!("https://x/{}", "a".repeat(1024));
    let body = json!({ "name": "g", "avatar_url": long_url }).to_string();
    bounded(&s, "POST", "/v1/groups", &body, Some("avatar_url"));

    // Members: 100 contacts is the most a group names.
    let members: Vec<String> = (0..101)
        .map(|i| {
            let body = json!({ "username": format!("member{i}"), "phone_number": "1" });
            let r = s
                .call("POST", "/v1/contacts")
                .json(&body.to_string())
                .send();
            r.expect(201).json()["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let body = json!({ "name": "g", "contacts": &members[..100] }).to_string();
    bounded(&s, "POST", "/v1/groups", &body, None);
    let body = json!({ "name": "g", "contacts": members }).to_string();
    bounded(&s, "POST", "/v1/groups", &body, Some("contacts"));

    // Reactions: 20 emoji, each with 20 usernames, in JSON and in a form.
    let path = "/v1/messages/SIuAFUNKdSYHZF2w";
    let reactions = |emoji: usize, users: usize| {
        let users: Vec<String> = (0..users).map(|u| format!("u{u}")).collect();
        let map: serde_json::Map<String, serde_json::Value> = (0..emoji)
            .map(|e| (format!("e{e}"), json!(users)))
            .collect();
        json!({ "reactions": map }).to_string()
    };
    bounded(&s, "PUT", path, &reactions(20, 20), None);
    bounded(&s, "PUT", path, &reactions(21, 1), Some("reactions"));
    bounded(&s, "PUT", path, &reactions(1, 21), Some("reactions"));
    let body = json!({ "reactions": { name(101): ["a"] } }).to_string();
    bounded(&s, "PUT", path, &body, Some("reactions"));
    let form: String = (0..21)
        .map(|u| format!("reactions[smile][]=u{u}"))
        .collect::<Vec<_>>()
        .join("&");
    let r = s.call("PUT", path).form(&form).send().expect(400);
    assert!(r.body.contains("'reactions'"), "{}", r.body);
    // What was refused changed nothing.
    let m = s.get(path).expect(200).json();
    assert_eq!(m["reactions"].as_array().unwrap().len(), 20);
}

#[test]
fn a_workspace_full_of_text_refuses_what_adds_to_it_with_a_429_and_takes_what_frees_room() {
    let s = TestServer::with(Config {
        max_workspace_bytes: 256 << 10,
        ..Config::default()
    });
    let text = "é".repeat(4096);
    let send = |text: &str| {
        let body = json!({ "conversation_id": "xgQQXg3hrtjh7AvZ", "message": text });
        s.call("POST", "/v1/messages")
            .json(&body.to_string())
            .send()
    };
    // Sends `text` until the workspace is full: the IDs sent, and the refusal.
    let fill = |text: &str| {
        let mut sent = Vec::new();
        loop {
            let r = send(text);
            if r.status != 201 {
                return (sent, r.expect(429));
            }
            sent.push(r.json()["id"].as_str().unwrap().to_owned());
            assert!(sent.len() < 1000, "256 KiB holds fewer than 1000 messages");
        }
    };
    // 8 KiB a message: about 30 fit beside the default data.
    let (sent, refused) = fill(&text);
    assert!(
        (20..=32).contains(&sent.len()),
        "{} messages fitted",
        sent.len()
    );
    let m = refused.json()["error_message"].as_str().unwrap().to_owned();
    assert!(m.contains("--max-workspace-mib"), "{m}");
    // An update that takes text away is taken; once short messages fill what it freed, one
    // that adds the text back is refused and changes nothing.
    let one = format!("/v1/messages/{}", sent[0]);
    s.call("PUT", &one)
        .json(r#"{"message": "short"}"#)
        .send()
        .expect(200);
    let (short, _) = fill("a short message");
    assert!(!short.is_empty());
    let body = json!({ "message": text }).to_string();
    s.call("PUT", &one).json(&body).send().expect(429);
    assert_eq!(s.get(&one).expect(200).json()["message"], "short");
    // A delete makes room again.
    s.call("DELETE", &format!("/v1/messages/{}", sent[1]))
        .send()
        .expect(204);
    send(&text).expect(201);
}
