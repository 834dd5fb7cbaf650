//! The admin API: health, reset, the journal, the clock, the ID queue, a workspace's store,
//! and the admin token.

use crate::support::{Req, TestServer};
use convmock::{Config, Fixtures};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::sync::Arc;

fn admin(s: &TestServer, method: &str, path: &str) -> Req {
    Req::new(s.addr, method, path)
}

fn seeded() -> Config {
    Config {
        seed: Some(7),
        clock: Some(1_700_000_000),
        ..Config::default()
    }
}

/// Creates, updates and deletes; every answer's status, `Request-Id` and body.
fn workout(s: &TestServer) -> Vec<String> {
    let mut out = Vec::new();
    let mut record = |r: crate::support::Resp| {
        let request_id = r.header("request-id").unwrap_or("none").to_owned();
        out.push(format!("{} {request_id} {}", r.status, r.body))
    };
    for i in 0..3 {
        record(
            s.call("POST", "/v1/conversations")
                .form(&format!("contact_id=c{i}"))
                .send(),
        );
    }
    record(
        s.call("PUT", "/v1/conversations/xgQQXg3hrtjh7AvZ")
            .form("is_pinned=true")
            .send(),
    );
    record(
        s.call("DELETE", "/v1/conversations/hSIhXBhNe8X1d8Et")
            .send(),
    );
    record(s.get("/v1/conversations?limit=100"));
    out
}

#[test]
fn health_answers_ok_without_a_token() {
    let s = TestServer::start();
    let r = admin(&s, "GET", "/__admin/health").send().expect(200);
    assert_eq!(r.json(), json!({"status": "ok"}));
}

#[test]
fn reset_restores_the_exact_fixture_state_and_a_fresh_process_answers() {
    let s = TestServer::with(seeded());
    let fixtures_view = admin(&s, "GET", "/__admin/conversations")
        .send()
        .expect(200)
        .body;
    let first = workout(&s);
    assert_ne!(
        admin(&s, "GET", "/__admin/conversations").send().body,
        fixtures_view
    );
    admin(&s, "PUT", "/__admin/clock")
        .json(r#"{"now": 5}"#)
        .send()
        .expect(200);
    admin(&s, "POST", "/__admin/faults")
        .json(r#"{"path": "/nowhere", "status": 500}"#)
        .send()
        .expect(201);

    let r = admin(&s, "POST", "/__admin/reset").send().expect(200);
    assert_eq!(r.json(), json!({"status": "ok"}));
    assert_eq!(
        admin(&s, "GET", "/__admin/conversations").send().body,
        fixtures_view
    );
    assert_eq!(
        admin(&s, "GET", "/__admin/requests").send().json(),
        json!({"requests": []})
    );
    assert_eq!(
        admin(&s, "GET", "/__admin/faults").send().json(),
        json!({"faults": []})
    );
    assert_eq!(
        admin(&s, "GET", "/__admin/clock").send().json(),
        json!({"now": 1_700_000_000, "frozen": true})
    );
    // The same requests now get the same answers, byte for byte, as the first time and as
    // a fresh process with the same flags.
    assert_eq!(workout(&s), first);
    assert_eq!(workout(&TestServer::with(seeded())), first);
}

#[test]
fn reset_empties_every_isolated_workspace() {
    let s = TestServer::with(Config {
        isolate: true,
        ..seeded()
    });
    let fresh = s.call("GET", "/v1/conversations").token("a").send().body;
    s.call("DELETE", "/v1/conversations/xgQQXg3hrtjh7AvZ")
        .token("a")
        .send()
        .expect(204);
    s.call("DELETE", "/v1/conversations/xgQQXg3hrtjh7AvZ")
        .token("b")
        .send()
        .expect(204);
    admin(&s, "POST", "/__admin/reset").send().expect(200);
    for token in ["a", "b"] {
        assert_eq!(
            s.call("GET", "/v1/conversations").token(token).send().body,
            fresh
        );
    }
}

#[test]
fn the_journal_shows_each_request_oldest_first_and_filters() {
    let s = TestServer::with(seeded());
    s.call("POST", "/v1/conversations")
        .form("contact_id=abc")
        .send()
        .expect(201);
    s.get("/external/conversations?limit=2").expect(200);
    s.call("GET", "/v1/conversations/nope")
        .no_token()
        .send()
        .expect(401);
    admin(&s, "GET", "/__admin/health").send().expect(200);

    let all = admin(&s, "GET", "/__admin/requests")
        .send()
        .expect(200)
        .json();
    let requests = all["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 3, "admin calls are not journaled: {all}");
    let first = &requests[0];
    assert_eq!(first["time"], 1_700_000_000);
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], "/v1/conversations");
    assert_eq!(first["query"], Value::Null);
    assert_eq!(first["body"], "contact_id=abc");
    assert_eq!(first["status"], 201);
    assert_eq!(first["token"], "test-token");
    assert!(first["duration_ms"].as_f64().unwrap() >= 0.0);
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "time",
            "method",
            "path",
            "query",
            "body",
            "status",
            "error",
            "token",
            "duration_ms",
            "events"
        ]
    );
    assert_eq!(requests[1]["query"], "limit=2");
    assert_eq!(requests[2]["status"], 401);
    assert_eq!(requests[2]["token"], Value::Null);

    let gets = admin(&s, "GET", "/__admin/requests?method=get")
        .send()
        .json();
    assert_eq!(gets["requests"].as_array().unwrap().len(), 2);
    let items = admin(&s, "GET", "/__admin/requests?path=/v1/conversations/*")
        .send()
        .json();
    assert_eq!(items["requests"][0]["path"], "/v1/conversations/nope");
    assert_eq!(items["requests"].as_array().unwrap().len(), 1);
    let any_base = admin(
        &s,
        "GET",
        "/__admin/requests?method=GET&path=/*/conversations",
    )
    .send();
    assert_eq!(
        any_base.json()["requests"][0]["path"],
        "/external/conversations"
    );

    admin(&s, "DELETE", "/__admin/requests").send().expect(204);
    assert_eq!(
        admin(&s, "GET", "/__admin/requests").send().json(),
        json!({"requests": []})
    );
    admin(&s, "GET", "/__admin/requests?colour=red")
        .send()
        .expect(400);
}

#[test]
fn the_journal_never_holds_more_than_its_limit_under_load() {
    let limit = 40;
    let s = Arc::new(TestServer::with(Config {
        journal_limit: limit,
        ..Config::default()
    }));
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                for i in 0..40 {
                    s.get(&format!(
                        "/v1/conversations?limit={}",
                        1 + (w * 40 + i) % 100
                    ))
                    .expect(200);
                }
            })
        })
        .collect();
    // Watch it while the load runs.
    let mut seen_max = 0;
    while workers.iter().any(|w| !w.is_finished()) {
        let n = admin(&s, "GET", "/__admin/requests").send().json()["requests"]
            .as_array()
            .unwrap()
            .len();
        assert!(n <= limit, "{n} entries");
        seen_max = seen_max.max(n);
    }
    for w in workers {
        w.join().unwrap();
    }
    let entries = admin(&s, "GET", "/__admin/requests").send().json();
    assert_eq!(entries["requests"].as_array().unwrap().len(), limit);
    assert!(seen_max <= limit);
}

#[test]
fn the_clock_freezes_moves_and_follows_the_system_again() {
    let s = TestServer::start();
    let frozen = admin(&s, "GET", "/__admin/clock").send().expect(200).json();
    assert_eq!(frozen["frozen"], false);
    let r = admin(&s, "PUT", "/__admin/clock")
        .json(r#"{"advance": 60}"#)
        .send()
        .expect(400);
    assert!(r.body.contains("not frozen"), "{}", r.body);

    // curl's default form Content-Type is refused: a page could send it without asking.
    let r = admin(&s, "PUT", "/__admin/clock")
        .form(r#"{"now": 1000}"#)
        .send()
        .expect(415);
    assert!(r.body.contains("application/json"), "{}", r.body);
    let r = admin(&s, "PUT", "/__admin/clock")
        .json(r#"{"now": 1000}"#)
        .send()
        .expect(200);
    assert_eq!(r.json(), json!({"now": 1000, "frozen": true}));
    let created = s
        .call("POST", "/v1/conversations")
        .form("group_id=g")
        .send()
        .json();
    assert_eq!(created["created_at"], 1000);
    let r = admin(&s, "PUT", "/__admin/clock")
        .json(r#"{"advance": 3600}"#)
        .send()
        .expect(200);
    assert_eq!(r.json(), json!({"now": 4600, "frozen": true}));
    let created = s
        .call("POST", "/v1/conversations")
        .form("group_id=g")
        .send()
        .json();
    assert_eq!(created["created_at"], 4600);
    admin(&s, "PUT", "/__admin/clock")
        .json(r#"{"advance": -5000}"#)
        .send()
        .expect(400);
    let r = admin(&s, "PUT", "/__admin/clock")
        .json(r#"{"system": true}"#)
        .send()
        .expect(200);
    assert_eq!(r.json()["frozen"], false);
    assert!(r.json()["now"].as_i64().unwrap() > 1_700_000_000);

    for bad in [
        r#"{}"#,
        r#"{"now": -1}"#,
        r#"{"now": 1, "advance": 1}"#,
        r#"{"system": false}"#,
        r#"{"when": 1}"#,
        r#"[1]"#,
        r#"{"now": "#,
    ] {
        let r = admin(&s, "PUT", "/__admin/clock")
            .json(bad)
            .send()
            .expect(400);
        assert_eq!(r.json()["error_code"], "400", "{bad}");
    }
}

#[test]
fn the_admin_clock_stays_within_2_53_minus_1() {
    use convmock::model::MAX_TIMESTAMP;
    let s = TestServer::start();
    let limit = MAX_TIMESTAMP.to_string();
    let set = |body: String| admin(&s, "PUT", "/__admin/clock").json(&body).send();
    let r = set(format!(r#"{{"now": {}}}"#, MAX_TIMESTAMP + 1)).expect(400);
    let message = r.json()["error_message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("'now'") && message.contains(&limit),
        "{message}"
    );
    let r = set(format!(r#"{{"now": {}}}"#, MAX_TIMESTAMP - 10)).expect(200);
    assert_eq!(r.json(), json!({"now": MAX_TIMESTAMP - 10, "frozen": true}));
    let r = set(r#"{"advance": 11}"#.to_owned()).expect(400);
    let message = r.json()["error_message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("'advance'") && message.contains(&limit),
        "{message}"
    );
    let r = set(r#"{"advance": 10}"#.to_owned()).expect(200);
    assert_eq!(r.json()["now"], MAX_TIMESTAMP);
    let created = s
        .call("POST", "/v1/conversations")
        .form("contact_id=x")
        .send()
        .expect(201);
    assert_eq!(created.json()["created_at"], MAX_TIMESTAMP);
}

#[test]
fn queued_ids_go_to_the_next_creates() {
    let s = TestServer::start();
    let r = admin(&s, "POST", "/__admin/next-ids")
        .json(r#"{"ids": ["first-id", "second_id"]}"#)
        .send()
        .expect(200);
    assert_eq!(r.json(), json!({"ids": ["first-id", "second_id"]}));
    let r = admin(&s, "POST", "/__admin/next-ids")
        .json(r#"{"ids": ["third"]}"#)
        .send();
    assert_eq!(r.json(), json!({"ids": ["third"]}), "only what was added");
    assert_eq!(
        admin(&s, "GET", "/__admin/next-ids").send().json(),
        json!({"ids": ["first-id", "second_id", "third"]})
    );
    let create = || {
        s.call("POST", "/v1/conversations")
            .form("contact_id=x")
            .send()
            .expect(201)
            .json()["id"]
            .clone()
    };
    assert_eq!(create(), "first-id");
    assert_eq!(
        admin(&s, "GET", "/__admin/next-ids").send().json(),
        json!({"ids": ["second_id", "third"]})
    );
    assert_eq!(create(), "second_id");
    for (bad, named) in [
        (r#"{"ids": ["has space"]}"#, "'has space'"),
        (r#"{"ids": ["xgQQXg3hrtjh7AvZ"]}"#, "'xgQQXg3hrtjh7AvZ'"),
        (r#"{"ids": ["third"]}"#, "'third' is already queued"),
        (r#"{"ids": ["dup", "dup"]}"#, "'dup'"),
        (r#"{"ids": [1]}"#, "'ids'"),
        (r#"{"ids": "abc"}"#, "\"ids\""),
        (r#"{"id": ["abc"]}"#, "'id'"),
    ] {
        let r = admin(&s, "POST", "/__admin/next-ids")
            .json(bad)
            .send()
            .expect(400);
        let message = r.json()["error_message"].as_str().unwrap().to_owned();
        assert!(message.contains(named), "{bad}: {message}");
    }
    assert_eq!(
        admin(&s, "GET", "/__admin/next-ids").send().json(),
        json!({"ids": ["third"]})
    );
}

#[test]
fn the_id_queue_holds_at_most_its_limit_and_a_call_past_it_adds_nothing() {
    use convmock::ids::MAX_QUEUED_IDS;
    let s = TestServer::with(Config {
        isolate: true,
        ..Config::default()
    });
    let post = |token: &str, ids: std::ops::Range<usize>| {
        let ids: Vec<String> = ids.map(|i| format!("q{i}")).collect();
        admin(&s, "POST", &format!("/__admin/next-ids?token={token}"))
            .json(&json!({ "ids": ids }).to_string())
            .send()
    };
    let queue_len = |token: &str| {
        admin(&s, "GET", &format!("/__admin/next-ids?token={token}"))
            .send()
            .json()["ids"]
            .as_array()
            .unwrap()
            .len()
    };
    let r = post("a", 0..MAX_QUEUED_IDS - 1).expect(200);
    assert_eq!(
        r.json()["ids"].as_array().unwrap().len(),
        MAX_QUEUED_IDS - 1
    );
    // Two more would pass the limit: neither is added.
    let r = post("a", MAX_QUEUED_IDS..MAX_QUEUED_IDS + 2).expect(400);
    let message = r.json()["error_message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("'ids'") && message.contains(&MAX_QUEUED_IDS.to_string()),
        "{message}"
    );
    assert_eq!(queue_len("a"), MAX_QUEUED_IDS - 1);
    let r = post("a", MAX_QUEUED_IDS..MAX_QUEUED_IDS + 1).expect(200);
    assert_eq!(r.json(), json!({ "ids": [format!("q{MAX_QUEUED_IDS}")] }));
    assert_eq!(queue_len("a"), MAX_QUEUED_IDS);
    post("a", 0..1).expect(400);
    // The limit is per workspace.
    post("b", 0..MAX_QUEUED_IDS).expect(200);
    post("b", MAX_QUEUED_IDS + 1..MAX_QUEUED_IDS + 2).expect(400);
}

#[test]
fn under_isolate_admin_calls_name_the_workspace_by_token() {
    let s = TestServer::with(Config {
        isolate: true,
        fixtures: Fixtures::parse(
            "inline",
            r#"{"conversations": [{"id": "one", "created_at": 1}]}"#,
        )
        .unwrap(),
        ..Config::default()
    });
    let r = admin(&s, "GET", "/__admin/conversations")
        .send()
        .expect(400);
    assert!(r.body.contains("'token'"), "{}", r.body);
    s.call("POST", "/v1/conversations")
        .token("alice")
        .form("contact_id=bob")
        .send()
        .expect(201);
    let alice = admin(&s, "GET", "/__admin/conversations?token=alice")
        .send()
        .expect(200)
        .json();
    let alice = alice["conversations"].as_array().unwrap();
    assert_eq!(alice.len(), 2);
    assert_eq!(alice[0]["contact_id"], "bob", "list order, newest first");
    let carol = admin(&s, "GET", "/__admin/conversations?token=carol")
        .send()
        .json();
    assert_eq!(carol["conversations"].as_array().unwrap().len(), 1);

    admin(&s, "POST", "/__admin/next-ids?token=carol")
        .json(r#"{"ids": ["for-carol"]}"#)
        .send()
        .expect(200);
    let id = |t: &str| {
        s.call("POST", "/v1/conversations")
            .token(t)
            .form("contact_id=x")
            .send()
            .json()["id"]
            .clone()
    };
    assert_ne!(id("alice"), "for-carol");
    assert_eq!(id("carol"), "for-carol");
}

#[test]
fn an_admin_token_guards_the_admin_api_only() {
    let s = TestServer::with(Config {
        admin_token: Some("s3cret".into()),
        ..Config::default()
    });
    let r = admin(&s, "GET", "/__admin/health").send().expect(401);
    assert!(r.body.contains("--admin-token"), "{}", r.body);
    admin(&s, "POST", "/__admin/reset")
        .token("wrong")
        .send()
        .expect(401);
    admin(&s, "GET", "/__admin/health")
        .token("s3cret")
        .send()
        .expect(200);
    // The API keeps its own tokens.
    s.get("/v1/conversations").expect(200);
}

#[test]
fn unknown_admin_paths_and_methods_are_404_and_405_in_the_profile_shape() {
    let s = TestServer::with(Config {
        profile: convmock::Profile::Oblic,
        ..Config::default()
    });
    let r = admin(&s, "GET", "/__admin/nothing").send().expect(404);
    assert_eq!(r.json()["errors"][0]["cd"], "RESOURCE_NOT_FOUND");
    let r = admin(&s, "GET", "/__admin/reset").send().expect(405);
    assert_eq!(r.header("allow"), Some("POST"));
    let r = admin(&s, "DELETE", "/__admin/faults/fault_99")
        .send()
        .expect(404);
    assert!(r.body.contains("fault_99"));
    let r = admin(&s, "POST", "/__admin/faults")
        .json("not json")
        .send()
        .expect(400);
    assert_eq!(r.json()["status"], "error");
}

#[test]
fn admin_reads_never_create_a_workspace() {
    let s = TestServer::with(Config {
        isolate: true,
        max_workspaces: 1,
        ..Config::default()
    });
    // The one workspace the bound allows, with a change to tell it from a fresh one.
    s.call("DELETE", "/v1/conversations/xgQQXg3hrtjh7AvZ")
        .token("real")
        .send()
        .expect(204);
    for token in ["peek1", "peek2", "peek3"] {
        let r = admin(&s, "GET", &format!("/__admin/conversations?token={token}")).send();
        assert_eq!(
            r.expect(200).json()["conversations"]
                .as_array()
                .unwrap()
                .len(),
            7
        );
        admin(&s, "GET", &format!("/__admin/next-ids?token={token}"))
            .send()
            .expect(200);
    }
    // Had a read made a workspace, it would have taken the place of the real one.
    s.call("GET", "/v1/conversations/xgQQXg3hrtjh7AvZ")
        .token("real")
        .send()
        .expect(404);
}

#[test]
fn an_empty_token_names_the_workspace_of_requests_without_one() {
    let s = TestServer::with(Config {
        isolate: true,
        auth: convmock::Auth::Disabled,
        ..Config::default()
    });
    s.call("POST", "/v1/conversations")
        .no_token()
        .form("contact_id=anon")
        .send()
        .expect(201);
    let r = admin(&s, "GET", "/__admin/conversations?token=")
        .send()
        .expect(200);
    assert_eq!(r.json()["conversations"].as_array().unwrap().len(), 8);
    let other = admin(&s, "GET", "/__admin/conversations?token=someone")
        .send()
        .expect(200);
    assert_eq!(other.json()["conversations"].as_array().unwrap().len(), 7);
}

#[test]
fn admin_bodies_are_read_as_strictly_as_the_apis() {
    let s = TestServer::start();
    let r = admin(&s, "PUT", "/__admin/clock")
        .json(r#"{"now": 5, "now": 9}"#)
        .send()
        .expect(400);
    assert!(
        r.body.contains("'now' is given more than once"),
        "{}",
        r.body
    );
    assert_eq!(
        admin(&s, "GET", "/__admin/clock").send().json()["frozen"],
        false
    );
    admin(&s, "POST", "/__admin/faults")
        .json(r#"{"path": "/*", "status": 500, "status": 503}"#)
        .send()
        .expect(400);
}

#[test]
fn a_refused_next_ids_call_takes_no_workspace_slot() {
    let s = TestServer::with(Config {
        isolate: true,
        max_workspaces: 1,
        ..Config::default()
    });
    let mine = s
        .call("POST", "/v1/conversations")
        .token("a")
        .form("contact_id=mine")
        .send()
        .expect(201)
        .id();
    admin(&s, "POST", "/__admin/next-ids?token=b")
        .json(r#"{"ids": 5}"#)
        .send()
        .expect(400);
    // Had the refused call made b's workspace, a's (the least recently used) was evicted.
    s.call("GET", &format!("/v1/conversations/{mine}"))
        .token("a")
        .send()
        .expect(200);
}

#[test]
fn a_conversation_updated_while_the_list_is_read_is_listed_as_it_is_then() {
    let s = TestServer::start();
    let long = "c".repeat(255);
    // Enough conversations that the answer outgrows the sockets' buffers: the last ones
    // are written only once the client reads on.
    let ids: Vec<String> = (0..6000)
        .map(|_| {
            s.call("POST", "/v1/conversations")
                .form(&format!("contact_id={long}&group_id={long}"))
                .send()
                .expect(201)
                .id()
        })
        .collect();
    let mut conn = std::net::TcpStream::connect(s.addr).expect("connect");
    write!(
        conn,
        "GET /__admin/conversations HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        s.addr
    )
    .expect("send");
    let mut start = vec![0u8; 2048];
    conn.read_exact(&mut start).expect("the answer begins");
    // The first created is listed last of them; an update moves it in memory.
    s.call("PUT", &format!("/v1/conversations/{}", ids[0]))
        .form("is_muted=true")
        .send()
        .expect(200);
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).expect("the rest");
    start.extend_from_slice(&rest);
    let raw = String::from_utf8(start).expect("UTF-8");
    let body = crate::support::Resp::parse(raw.as_bytes()).json();
    let listed = body["conversations"].as_array().expect("a list");
    assert_eq!(listed.len(), 6007, "every conversation is listed");
    let first = listed
        .iter()
        .find(|c| c["id"] == ids[0].as_str())
        .expect("the updated conversation is listed");
    assert_eq!(first["is_muted"], true, "as it is when written");
}

#[test]
fn admin_numbers_may_be_integral_floats_as_in_the_api() {
    let s = TestServer::start();
    // Python's datetime.timestamp() and JavaScript numbers send these.
    let r = admin(&s, "PUT", "/__admin/clock")
        .json(r#"{"now": 1700000000.0}"#)
        .send()
        .expect(200);
    assert_eq!(r.json()["now"], 1_700_000_000);
    admin(&s, "PUT", "/__admin/clock")
        .json(r#"{"advance": 60.0}"#)
        .send()
        .expect(200);
    admin(&s, "POST", "/__admin/faults")
        .json(r#"{"path": "/zz", "status": 503.0, "count": 2.0}"#)
        .send()
        .expect(201);
    admin(&s, "PUT", "/__admin/clock")
        .json(r#"{"now": 1700000000.5}"#)
        .send()
        .expect(400);
}
