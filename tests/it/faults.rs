//! Injected faults and latency, over real HTTP.

use crate::support::{Req, TestServer};
use convmock::{Config, Profile};
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn add_fault(s: &TestServer, rule: serde_json::Value) -> serde_json::Value {
    Req::new(s.addr, "POST", "/__admin/faults")
        .json(&rule.to_string())
        .send()
        .expect(201)
        .json()
}

#[test]
fn a_status_fault_with_count_2_fires_exactly_twice() {
    let s = TestServer::start();
    let rule = add_fault(
        &s,
        json!({"method": "GET", "path": "/v1/conversations/*", "status": 503, "count": 2}),
    );
    assert_eq!(rule["id"], "fault_1");
    assert_eq!(rule["status"], 503);
    assert_eq!(rule["count"], 2);
    assert_eq!(rule["probability"], 1.0);
    // Other methods and paths are untouched.
    s.get("/v1/conversations").expect(200);
    s.call("PUT", "/v1/conversations/xgQQXg3hrtjh7AvZ")
        .form("")
        .send()
        .expect(200);
    let statuses: Vec<u16> = (0..5)
        .map(|_| s.get("/v1/conversations/xgQQXg3hrtjh7AvZ").status)
        .collect();
    assert_eq!(statuses, [503, 503, 200, 200, 200]);
    let rules = Req::new(s.addr, "GET", "/__admin/faults").send().json();
    assert_eq!(rules, json!({"faults": []}), "the rule expired");
}

#[test]
fn an_injected_status_has_the_profiles_error_body_and_429_says_when_to_retry() {
    for (profile, key, expected) in [
        (Profile::SelfChat, "/type", "api_error"),
        (Profile::Oblic, "/errors/0/cd", "INTERNAL_ERROR"),
        (Profile::Protocol, "/type", "api_error"),
    ] {
        let s = TestServer::with(Config {
            profile,
            ..Config::default()
        });
        add_fault(
            &s,
            json!({"path": "/external/conversations", "status": 500, "count": 1}),
        );
        let r = s.get("/external/conversations").expect(500);
        assert_eq!(r.json().pointer(key).unwrap(), expected, "{profile}");
        assert!(r.body.contains("fault"), "{}", r.body);
    }
    let s = TestServer::with(Config {
        profile: Profile::Oblic,
        ..Config::default()
    });
    add_fault(&s, json!({"path": "/v1/conversations", "status": 429}));
    let r = s
        .call("POST", "/v1/conversations")
        .form("contact_id=x")
        .send()
        .expect(429);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.json()["errors"][0]["cd"], "RATE_LIMITED");
    // The refused create stored nothing.
    Req::new(s.addr, "DELETE", "/__admin/faults")
        .send()
        .expect(204);
    assert_eq!(s.get("/v1/conversations").ids().len(), 7);
}

#[test]
fn a_drop_fault_closes_the_connection_without_a_response() {
    let s = TestServer::start();
    add_fault(
        &s,
        json!({"method": "DELETE", "path": "/v1/conversations/*", "drop": true}),
    );
    let mut conn = TcpStream::connect(s.addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.write_all(
        b"DELETE /v1/conversations/xgQQXg3hrtjh7AvZ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n",
    )
    .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    match conn.read_to_end(&mut answer) {
        // Closed: end of stream, or a reset.
        Ok(_) => {}
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
    assert!(
        answer.is_empty(),
        "no response bytes: {:?}",
        String::from_utf8_lossy(&answer)
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "closed, not left hanging"
    );
    // The conversation was not deleted, and the drop is journaled without a status.
    s.get("/v1/conversations/xgQQXg3hrtjh7AvZ").expect(200);
    let journal = Req::new(s.addr, "GET", "/__admin/requests?method=DELETE")
        .send()
        .json();
    assert_eq!(journal["requests"][0]["status"], serde_json::Value::Null);
}

#[test]
fn a_delay_fault_delays_only_its_route_while_others_are_served() {
    let s = Arc::new(TestServer::start());
    let delay = Duration::from_millis(1500);
    add_fault(
        &s,
        json!({"path": "/v1/conversations/xgQQXg3hrtjh7AvZ", "delay_ms": delay.as_millis() as u64}),
    );
    let slow_done = Arc::new(AtomicBool::new(false));
    let slow = {
        let (s, done) = (Arc::clone(&s), Arc::clone(&slow_done));
        std::thread::spawn(move || {
            let started = Instant::now();
            let r = s.get("/v1/conversations/xgQQXg3hrtjh7AvZ");
            done.store(true, Ordering::SeqCst);
            (r.status, started.elapsed())
        })
    };
    // Twenty other requests all finish while the delayed one is still waiting.
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..20 {
        s.get("/v1/conversations?limit=1").expect(200);
        s.get("/external/conversations/hSIhXBhNe8X1d8Et")
            .expect(200);
    }
    assert!(
        !slow_done.load(Ordering::SeqCst),
        "others were not held up by the delay"
    );
    let (status, elapsed) = slow.join().unwrap();
    assert_eq!(status, 200, "a delayed request is then answered normally");
    assert!(elapsed >= delay, "{elapsed:?}");
}

#[test]
fn probabilities_are_reproducible_with_a_seed() {
    let pattern = || {
        let s = TestServer::with(Config {
            seed: Some(11),
            ..Config::default()
        });
        add_fault(
            &s,
            json!({"path": "/v1/conversations", "status": 503, "probability": 0.5}),
        );
        (0..40)
            .map(|_| s.get("/v1/conversations").status == 503)
            .collect::<Vec<bool>>()
    };
    let first = pattern();
    assert_eq!(first, pattern());
    let hits = first.iter().filter(|h| **h).count();
    assert!(
        (5..=35).contains(&hits),
        "{hits} of 40 hit at probability 0.5"
    );
}

#[test]
fn rules_are_listed_and_removed_one_by_one_or_all() {
    let s = TestServer::start();
    add_fault(&s, json!({"path": "/a", "status": 500}));
    add_fault(&s, json!({"path": "/b", "delay_ms": 10, "method": "post"}));
    let list = Req::new(s.addr, "GET", "/__admin/faults")
        .send()
        .expect(200)
        .json();
    let ids: Vec<&str> = list["faults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["fault_1", "fault_2"]);
    assert_eq!(list["faults"][1]["method"], "POST");
    Req::new(s.addr, "DELETE", "/__admin/faults/fault_1")
        .send()
        .expect(204);
    Req::new(s.addr, "DELETE", "/__admin/faults/fault_1")
        .send()
        .expect(404);
    let list = Req::new(s.addr, "GET", "/__admin/faults").send().json();
    assert_eq!(list["faults"][0]["id"], "fault_2");
    Req::new(s.addr, "DELETE", "/__admin/faults")
        .send()
        .expect(204);
    assert_eq!(
        Req::new(s.addr, "GET", "/__admin/faults").send().json(),
        json!({"faults": []})
    );
    let r = Req::new(s.addr, "POST", "/__admin/faults")
        .json(r#"{"path": "/a", "status": 503, "drop": true}"#)
        .send()
        .expect(400);
    assert!(r.body.contains("exactly one"), "{}", r.body);
}

#[test]
fn faults_never_touch_the_admin_api() {
    let s = TestServer::start();
    add_fault(&s, json!({"path": "/__admin/health", "drop": true}));
    add_fault(&s, json!({"path": "/__admin/*", "status": 500}));
    Req::new(s.addr, "GET", "/__admin/health")
        .send()
        .expect(200);
}

#[test]
fn latency_delays_every_api_response_but_not_the_admin_api() {
    let s = TestServer::with(Config {
        latency: Some((300, 300)),
        ..Config::default()
    });
    let started = Instant::now();
    s.get("/v1/conversations").expect(200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    // Not a timing claim about the admin API: only that it answers (no fault applies there).
    Req::new(s.addr, "GET", "/__admin/health")
        .send()
        .expect(200);
}

#[test]
fn a_client_that_gives_up_during_a_delay_is_still_journaled() {
    let s = TestServer::start();
    add_fault(&s, json!({"path": "/v1/conversations", "delay_ms": 2000}));
    let mut conn = TcpStream::connect(s.addr).unwrap();
    conn.write_all(b"POST /v1/conversations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 12\r\n\r\ncontact_id=a")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    drop(conn);
    // The entry appears once the server notices the client left (at the latest when the
    // delay ends); the created conversation does not.
    let mut entry = serde_json::Value::Null;
    for _ in 0..50 {
        let journal = Req::new(s.addr, "GET", "/__admin/requests").send().json();
        if let Some(first) = journal["requests"].get(0) {
            entry = first.clone();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(entry["method"], "POST", "{entry}");
    assert_eq!(entry["body"], "contact_id=a");
    assert_eq!(entry["status"], serde_json::Value::Null);
    Req::new(s.addr, "DELETE", "/__admin/faults")
        .send()
        .expect(204);
    assert_eq!(s.get("/v1/conversations").ids().len(), 7);
}

#[test]
fn refused_requests_are_journaled_with_their_body() {
    let s = TestServer::start();
    add_fault(
        &s,
        json!({"path": "/v1/conversations", "method": "POST", "status": 503, "count": 1}),
    );
    s.call("POST", "/v1/conversations")
        .form("contact_id=retry-me")
        .send()
        .expect(503);
    s.call("POST", "/v1/conversations")
        .no_token()
        .form("contact_id=no-token")
        .send()
        .expect(401);
    s.call("POST", "/v1/conversations")
        .form("contact_id=retry-me")
        .send()
        .expect(201);
    let journal = Req::new(s.addr, "GET", "/__admin/requests").send().json();
    let seen: Vec<(u64, &str)> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["status"].as_u64().unwrap(), e["body"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            (503, "contact_id=retry-me"),
            (401, "contact_id=no-token"),
            (201, "contact_id=retry-me")
        ]
    );
}

#[test]
fn injected_statuses_carry_the_headers_their_status_calls_for() {
    let s = TestServer::start();
    add_fault(
        &s,
        json!({"path": "/v1/conversations", "status": 405, "count": 1}),
    );
    add_fault(
        &s,
        json!({"path": "/v1/conversations", "status": 401, "count": 1}),
    );
    let r = s.get("/v1/conversations").expect(405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, POST, OPTIONS"));
    let r = s.get("/v1/conversations").expect(401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
}

#[test]
fn a_get_rule_also_matches_head() {
    let s = TestServer::start();
    add_fault(
        &s,
        json!({"method": "GET", "path": "/v1/conversations", "status": 503, "count": 1}),
    );
    s.call("HEAD", "/v1/conversations").send().expect(503);
    s.call("HEAD", "/v1/conversations").send().expect(200);
}

#[test]
fn fault_rules_and_their_patterns_are_bounded_and_refused_past_it_by_name() {
    use convmock::faults::{MAX_PATTERN_BYTES, MAX_RULES};
    let s = TestServer::start();
    let post = |rule: serde_json::Value| {
        Req::new(s.addr, "POST", "/__admin/faults")
            .json(&rule.to_string())
            .send()
    };
    let at_most = format!("/{}", "p".repeat(MAX_PATTERN_BYTES - 1));
    let first = post(json!({"path": at_most, "status": 500})).expect(201);
    let r = post(json!({"path": format!("{at_most}q"), "status": 500})).expect(400);
    let message = r.json()["error_message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("'path'") && message.contains(&MAX_PATTERN_BYTES.to_string()),
        "{message}"
    );
    for i in 1..MAX_RULES {
        post(json!({"path": format!("/nowhere/{i}"), "status": 500})).expect(201);
    }
    let r = post(json!({"path": "/one/more", "status": 500})).expect(400);
    let message = r.json()["error_message"].as_str().unwrap().to_owned();
    assert!(message.contains(&MAX_RULES.to_string()), "{message}");
    let rules = Req::new(s.addr, "GET", "/__admin/faults").send().json();
    assert_eq!(rules["faults"].as_array().unwrap().len(), MAX_RULES);
    // Removing one makes room for one.
    let id = first.json()["id"].as_str().unwrap().to_owned();
    Req::new(s.addr, "DELETE", &format!("/__admin/faults/{id}"))
        .send()
        .expect(204);
    post(json!({"path": "/one/more", "status": 500})).expect(201);
    s.get("/v1/conversations").expect(200);
}
