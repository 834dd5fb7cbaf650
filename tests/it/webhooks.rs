//! Webhooks (API.md section 11): what each endpoint receives, signed and in order; retries,
//! failures, replay, flush, and the admin calls' checks. Receivers are plain TCP servers on
//! 127.0.0.1 (`support::Receiver`).

use crate::events::post;
use crate::support::{Binary, Received, Receiver, TestServer};
use convmock::Config;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::BTreeSet;

const SECRET: &str = "shh-its-a-secret";

/// Whether `signature` is the lowercase hex HMAC-SHA256 of `body` under `secret`, checked
/// with the hmac crate's constant-time comparison.
fn signed(secret: &str, body: &[u8], signature: &str) -> bool {
    let lower = signature
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let bytes: Option<Vec<u8>> = (0..signature.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(signature.get(i..i + 2)?, 16).ok())
        .collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    lower && bytes.is_some_and(|b| mac.verify_slice(&b).is_ok())
}

fn register(s: &TestServer, body: Value) -> Value {
    s.call("POST", "/__admin/webhooks")
        .json(&body.to_string())
        .send()
        .expect(201)
        .json()
}

fn flush(s: &TestServer) -> Value {
    s.call("POST", "/__admin/webhooks/flush")
        .send()
        .expect(200)
        .json()
}

fn put(s: &TestServer, path: &str, body: Value) {
    s.call("PUT", path)
        .json(&body.to_string())
        .send()
        .expect(200);
}

fn delete(s: &TestServer, path: &str) {
    s.call("DELETE", path).send().expect(204);
}

/// The events the server emitted, in order, as the compact bytes a delivery sends.
fn emitted(s: &TestServer) -> Vec<Vec<u8>> {
    s.get("/__admin/events").expect(200).json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::to_vec(e).unwrap())
        .collect()
}

fn types(received: &[Received]) -> Vec<String> {
    received
        .iter()
        .map(|r| {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            v["type"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// Creates, updates and deletes one of each resource; the contact's delete cascades.
fn one_of_everything(s: &TestServer) {
    let conversation = post(s, "/v1/conversations", json!({"contact_id": "c1"}));
    let conversation = conversation["id"].as_str().unwrap().to_owned();
    put(
        s,
        &format!("/v1/conversations/{conversation}"),
        json!({"is_muted": true}),
    );
    let contact = post(
        s,
        "/v1/contacts",
        json!({"username": "Kevin", "phone_number": "1"}),
    );
    let (kevin, his) = (
        contact["id"].as_str().unwrap().to_owned(),
        contact["conversation_id"].as_str().unwrap().to_owned(),
    );
    put(
        s,
        &format!("/v1/contacts/{kevin}"),
        json!({"display_name": "K"}),
    );
    let group = post(
        s,
        "/v1/groups",
        json!({"name": "Family", "contacts": [kevin]}),
    );
    let family = group["id"].as_str().unwrap().to_owned();
    put(
        s,
        &format!("/v1/groups/{family}"),
        json!({"name": "McCallisters"}),
    );
    let message = post(
        s,
        "/v1/messages",
        json!({"conversation_id": his, "message": "Hi"}),
    );
    let hi = message["id"].as_str().unwrap().to_owned();
    put(
        s,
        &format!("/v1/messages/{hi}"),
        json!({"message": "Hello"}),
    );
    let bye = post(
        s,
        "/v1/messages",
        json!({"conversation_id": conversation, "message": "Bye"}),
    );
    delete(s, &format!("/v1/messages/{}", bye["id"].as_str().unwrap()));
    delete(s, &format!("/v1/conversations/{conversation}"));
    delete(s, &format!("/v1/contacts/{kevin}"));
    delete(s, &format!("/v1/groups/{family}"));
}

#[test]
fn every_event_of_every_resource_arrives_once_in_order_and_signed() {
    let receiver = Receiver::start(&[]);
    let s = TestServer::start();
    let hook = register(&s, json!({"url": receiver.url(), "secret": SECRET}));
    assert_eq!(hook["secret"], SECRET);
    assert_eq!(hook["events"], json!(["*"]));
    one_of_everything(&s);
    // Refused requests emit nothing, so deliver nothing.
    s.call("POST", "/v1/messages").json("{}").send().expect(400);
    let counts = flush(&s);
    let received = receiver.received();
    let sent = emitted(&s);
    assert_eq!(counts["delivered"], sent.len());
    assert_eq!(counts["failed"], 0);
    assert_eq!(counts["pending"], 0);
    // Exactly the events, once each, in the order they happened, byte for byte.
    let bodies: Vec<_> = received.iter().map(|r| r.body.clone()).collect();
    assert_eq!(bodies, sent);
    for r in &received {
        assert!(signed(SECRET, &r.body, &r.signature), "{r:?}");
        assert!(!signed("another secret", &r.body, &r.signature));
        assert_eq!(r.content_type, "application/json");
        assert!(!r.body.ends_with(b"\n"));
    }
    let all: BTreeSet<String> = convmock::events::all_types().into_iter().collect();
    assert_eq!(types(&received).into_iter().collect::<BTreeSet<_>>(), all);
    // Each listed as delivered on the first attempt.
    let list = s.get("/__admin/webhooks/deliveries").expect(200).json();
    let deliveries = list["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), sent.len());
    for d in deliveries {
        assert_eq!(
            (&d["state"], &d["attempts"], &d["status"], &d["webhook"]),
            (&json!("delivered"), &json!(1), &json!(200), &hook["id"])
        );
        assert!(d["error"].is_null() && d["duration_ms"].is_number());
    }
    assert_eq!(
        deliveries[0]["event"],
        serde_json::from_slice::<Value>(&sent[0]).unwrap()
    );
}

#[test]
fn a_cascade_arrives_in_the_documented_order() {
    let receiver = Receiver::start(&[]);
    let s = TestServer::start();
    let contact = post(
        &s,
        "/v1/contacts",
        json!({"username": "Kevin", "phone_number": "1"}),
    );
    let (kevin, his) = (
        contact["id"].as_str().unwrap(),
        contact["conversation_id"].as_str().unwrap(),
    );
    post(
        &s,
        "/v1/groups",
        json!({"name": "Family", "contacts": [kevin]}),
    );
    post(
        &s,
        "/v1/messages",
        json!({"conversation_id": his, "message": "Hi"}),
    );
    register(&s, json!({"url": receiver.url(), "secret": SECRET}));
    delete(&s, &format!("/v1/contacts/{kevin}"));
    flush(&s);
    assert_eq!(
        types(&receiver.received()),
        [
            "contact.deleted",
            "conversation.deleted",
            "message.deleted",
            "group.updated"
        ]
    );
}

#[test]
fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt() {
    let receiver = Receiver::start(&[500, 503]);
    let server = Binary::start(&[
        "--quiet",
        "--seed",
        "3",
        "--webhook",
        &receiver.url(),
        "--webhook-secret",
        SECRET,
        "--webhook-retries",
        "2",
    ]);
    server
        .call("POST", "/v1/conversations")
        .form("contact_id=c1")
        .send()
        .expect(201);
    // Two retries: 1 s, then 2 s.
    let counts = server
        .call("POST", "/__admin/webhooks/flush")
        .send()
        .expect(200)
        .json();
    assert_eq!(counts, json!({"delivered": 1, "failed": 0, "pending": 0}));
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    assert!(received.iter().all(|r| *r == received[0]));
    assert!(signed(SECRET, &received[0].body, &received[0].signature));
    let list = server
        .call("GET", "/__admin/webhooks/deliveries")
        .send()
        .expect(200)
        .json();
    let d = &list["deliveries"][0];
    assert_eq!((&d["attempts"], &d["status"]), (&json!(3), &json!(200)));
    assert_eq!(
        (&d["state"], &d["error"]),
        (&json!("delivered"), &Value::Null)
    );
    // The start-up endpoint is listed with the secret it was given.
    let hooks = server
        .call("GET", "/__admin/webhooks")
        .send()
        .expect(200)
        .json();
    assert_eq!(hooks["webhooks"][0]["url"], receiver.url());
    assert_eq!(hooks["webhooks"][0]["secret"], SECRET);
}

#[test]
fn a_start_up_webhook_prints_its_generated_secret_once_and_survives_a_reset() {
    let receiver = Receiver::start(&[]);
    let server = Binary::start(&["--quiet", "--seed", "9", "--webhook", &receiver.url()]);
    assert!(
        server
            .ready_line
            .starts_with("listening on http://127.0.0.1:")
    );
    let hooks = server
        .call("GET", "/__admin/webhooks")
        .send()
        .expect(200)
        .json();
    let secret = hooks["webhooks"][0]["secret"].as_str().unwrap().to_owned();
    server
        .call("POST", "/__admin/webhooks")
        .json(&json!({"url": receiver.url()}).to_string())
        .send()
        .expect(201);
    server.call("POST", "/__admin/reset").send().expect(200);
    let after = server
        .call("GET", "/__admin/webhooks")
        .send()
        .expect(200)
        .json();
    assert_eq!(after["webhooks"], hooks["webhooks"]);
    server
        .call("POST", "/v1/conversations")
        .form("contact_id=c1")
        .send()
        .expect(201);
    server
        .call("POST", "/__admin/webhooks/flush")
        .send()
        .expect(200);
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert!(signed(&secret, &received[0].body, &received[0].signature));
    let (_, stderr) = server.signal_and_wait("TERM");
    assert_eq!(stderr.matches(&secret).count(), 1, "{stderr}");
}

#[test]
fn a_dead_receiver_ends_failed_after_its_retries_while_the_api_answers() {
    // A port nobody listens on any more.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let s = TestServer::with(Config {
        webhook_retries: 1,
        ..Config::default()
    });
    register(&s, json!({"url": url}));
    post(&s, "/v1/conversations", json!({"contact_id": "c1"}));
    // Waiting for its retry: the API answers meanwhile.
    s.get("/v1/conversations").expect(200);
    post(&s, "/v1/conversations", json!({"contact_id": "c2"}));
    let counts = flush(&s);
    assert_eq!(counts, json!({"delivered": 0, "failed": 2, "pending": 0}));
    let failed = s
        .get("/__admin/webhooks/deliveries?status=failed")
        .expect(200)
        .json();
    let list = failed["deliveries"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    for d in list {
        assert_eq!((&d["attempts"], &d["status"]), (&json!(2), &Value::Null));
        let error = d["error"].as_str().unwrap();
        assert!(error.contains("refused"), "{error}");
    }
    let none = s
        .get("/__admin/webhooks/deliveries?status=delivered")
        .expect(200)
        .json();
    assert_eq!(none["deliveries"], json!([]));
}

#[test]
fn a_replay_sends_the_same_bytes_and_signature_again() {
    let receiver = Receiver::start(&[]);
    let s = TestServer::start();
    register(&s, json!({"url": receiver.url(), "secret": SECRET}));
    post(&s, "/v1/conversations", json!({"contact_id": "c1"}));
    flush(&s);
    let list = s.get("/__admin/webhooks/deliveries").expect(200).json();
    let first = list["deliveries"][0]["id"].as_str().unwrap().to_owned();
    let replayed = s
        .call(
            "POST",
            &format!("/__admin/webhooks/deliveries/{first}/replay"),
        )
        .send()
        .expect(202)
        .json();
    assert_ne!(replayed["id"], first);
    assert_eq!(replayed["event"], list["deliveries"][0]["event"]);
    assert_eq!(flush(&s)["delivered"], 2);
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0], received[1]);
    s.call("POST", "/__admin/webhooks/deliveries/nope/replay")
        .send()
        .expect(404);
}

#[test]
fn with_a_seed_and_a_clock_two_runs_deliver_identical_bytes_and_signatures() {
    let run = || {
        let receiver = Receiver::start(&[]);
        let s = TestServer::with(Config {
            seed: Some(42),
            clock: Some(1_700_000_000),
            ..Config::default()
        });
        // No secret given: drawn from the seed.
        let hook = register(&s, json!({"url": receiver.url()}));
        one_of_everything(&s);
        flush(&s);
        let ids = s.get("/__admin/webhooks/deliveries").expect(200).json()["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].clone())
            .collect::<Vec<_>>();
        (
            hook["id"].clone(),
            hook["secret"].clone(),
            ids,
            receiver.received(),
        )
    };
    let (a, b) = (run(), run());
    assert!(!a.3.is_empty());
    assert_eq!(a, b);
}

#[test]
fn registering_a_webhook_changes_no_id_the_api_hands_out() {
    let created = |with_hook: bool| {
        let receiver = Receiver::start(&[]);
        let s = TestServer::with(Config {
            seed: Some(7),
            ..Config::default()
        });
        if with_hook {
            register(&s, json!({"url": receiver.url()}));
        }
        let c = post(&s, "/v1/conversations", json!({"contact_id": "c1"}));
        flush(&s);
        (c["id"].clone(), emitted(&s))
    };
    assert_eq!(created(false), created(true));
}

#[test]
fn a_flush_that_times_out_is_a_504_with_the_counts_and_a_silent_receiver_fails_after_5_s() {
    // Accepts connections (the kernel does) but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let s = TestServer::with(Config {
        webhook_retries: 0,
        ..Config::default()
    });
    assert_eq!(
        flush(&s),
        json!({"delivered": 0, "failed": 0, "pending": 0})
    );
    register(
        &s,
        json!({"url": format!("http://{}/", silent.local_addr().unwrap())}),
    );
    post(&s, "/v1/conversations", json!({"contact_id": "c1"}));
    let r = s
        .call("POST", "/__admin/webhooks/flush")
        .json(r#"{"timeout_ms": 50}"#)
        .send()
        .expect(504);
    assert_eq!(r.json(), json!({"delivered": 0, "failed": 0, "pending": 1}));
    s.call("POST", "/__admin/webhooks/flush")
        .json(r#"{"timeout_ms": -1}"#)
        .send()
        .expect(400);
    // Without an answer within 5 s, the attempt fails (and, with no retries, the delivery).
    assert_eq!(
        flush(&s),
        json!({"delivered": 0, "failed": 1, "pending": 0})
    );
    let list = s.get("/__admin/webhooks/deliveries").expect(200).json();
    let error = list["deliveries"][0]["error"].as_str().unwrap();
    assert!(error.contains("no answer within 5 s"), "{error}");
    // A reset removes the endpoint and clears the deliveries: nothing is left to wait for.
    post(&s, "/v1/conversations", json!({"contact_id": "c2"}));
    s.call("POST", "/__admin/reset").send().expect(200);
    assert_eq!(flush(&s)["pending"], 0);
    assert_eq!(
        s.get("/__admin/webhooks").expect(200).json(),
        json!({"webhooks": []})
    );
    drop(silent);
}

#[test]
fn a_full_queue_records_the_dropped_events_as_failed_without_slowing_the_api() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let s = TestServer::with(Config {
        webhook_retries: 0,
        ..Config::default()
    });
    register(
        &s,
        json!({"url": format!("http://{}/", silent.local_addr().unwrap()),
               "events": ["conversation.created"]}),
    );
    // The queue's worth, and more: every 5 s the receiver fails to answer takes one out
    // of the queue, so a few more than one past the bound make the test hold on a slow
    // machine too.
    let queued = convmock::webhooks::QUEUE_EVENTS;
    for n in 0..queued + 10 {
        post(
            &s,
            "/v1/conversations",
            json!({"contact_id": format!("c{n}")}),
        );
    }
    let failed = s
        .get("/__admin/webhooks/deliveries?status=failed")
        .expect(200)
        .json();
    let list = failed["deliveries"].as_array().unwrap();
    assert!(!list.is_empty());
    for d in list {
        let error = d["error"].as_str().unwrap();
        assert!(error.contains("dropped"), "{error}");
        assert_eq!(d["attempts"], 0);
    }
    drop(silent);
}

#[test]
fn bad_webhooks_are_refused_naming_the_field() {
    let s = TestServer::start();
    let refused = |body: Value| {
        let r = s
            .call("POST", "/__admin/webhooks")
            .json(&body.to_string())
            .send()
            .expect(400);
        r.body
    };
    for (body, field) in [
        (json!({"url": "https://example.com/hook"}), "url"),
        (json!({"url": "127.0.0.1:9000"}), "url"),
        (json!({}), "url"),
        (
            json!({"url": "http://127.0.0.1:9/", "events": ["message.sent"]}),
            "events",
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": []}),
            "events",
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "events": "message.created"}),
            "events",
        ),
        (json!({"url": "http://127.0.0.1:9/", "token": "t"}), "token"),
        (
            json!({"url": "http://127.0.0.1:9/", "secret": ""}),
            "secret",
        ),
        (
            json!({"url": "http://127.0.0.1:9/", "colour": "red"}),
            "colour",
        ),
    ] {
        let message = refused(body.clone());
        assert!(message.contains(&format!("'{field}'")), "{body}: {message}");
    }
    s.call("DELETE", "/__admin/webhooks/nope")
        .send()
        .expect(404);
    s.get("/__admin/webhooks/deliveries?status=done")
        .expect(400);
    s.get("/__admin/webhooks/deliveries?type=nothing")
        .expect(400);
    assert_eq!(
        s.get("/__admin/webhooks").expect(200).json(),
        json!({"webhooks": []})
    );
}

#[test]
fn a_webhook_takes_only_its_events_and_its_token_and_stops_when_deleted() {
    let (all, messages, alice) = (
        Receiver::start(&[]),
        Receiver::start(&[]),
        Receiver::start(&[]),
    );
    let s = TestServer::with(Config {
        isolate: true,
        ..Config::default()
    });
    let every = register(&s, json!({"url": all.url()}));
    register(&s, json!({"url": messages.url(), "events": ["message.*"]}));
    register(&s, json!({"url": alice.url(), "token": "alice"}));
    let conversation = |token: &str| {
        s.call("POST", "/v1/conversations")
            .token(token)
            .form("contact_id=c1")
            .send()
            .expect(201)
            .id()
    };
    let mine = conversation("alice");
    conversation("bob");
    s.call("POST", "/v1/messages")
        .token("alice")
        .json(&json!({"conversation_id": mine, "message": "Hi"}).to_string())
        .send()
        .expect(201);
    flush(&s);
    assert_eq!(all.received().len(), 4);
    assert_eq!(types(&messages.received()), ["message.created"]);
    assert_eq!(
        types(&alice.received()),
        [
            "conversation.created",
            "message.created",
            "conversation.updated"
        ]
    );
    let by_type = s
        .get("/__admin/webhooks/deliveries?type=conversation.*")
        .expect(200)
        .json();
    assert_eq!(by_type["deliveries"].as_array().unwrap().len(), 5);
    let id = every["id"].as_str().unwrap();
    let of_one = s
        .get(&format!("/__admin/webhooks/deliveries?webhook={id}"))
        .expect(200)
        .json();
    assert_eq!(of_one["deliveries"].as_array().unwrap().len(), 4);
    delete(&s, &format!("/__admin/webhooks/{id}"));
    conversation("bob");
    flush(&s);
    assert_eq!(all.received().len(), 4);
    assert_eq!(
        s.get("/__admin/webhooks").expect(200).json()["webhooks"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn deliveries_to_a_receiver_that_keeps_connections_open_share_one() {
    use std::io::Write;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    // A receiver that answers each POST with a body and keeps the connection open,
    // counting the connections it is opened.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let (opened, answered) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (o, a) = (Arc::clone(&opened), Arc::clone(&answered));
    std::thread::spawn(move || {
        for conn in listener.incoming().take(50) {
            let Ok(mut conn) = conn else { continue };
            o.fetch_add(1, Ordering::SeqCst);
            let a = Arc::clone(&a);
            std::thread::spawn(move || {
                // An answer with a page of text, as some frameworks send.
                let page = "ok ".repeat(10_000);
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{page}",
                    page.len()
                );
                while crate::support::read_request(&conn).is_some() {
                    a.fetch_add(1, Ordering::SeqCst);
                    if conn.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    let s = TestServer::start();
    register(&s, json!({ "url": format!("http://{addr}/hook") }));
    for _ in 0..20 {
        put(
            &s,
            "/v1/conversations/xgQQXg3hrtjh7AvZ",
            json!({ "is_muted": true }),
        );
    }
    assert_eq!(flush(&s)["delivered"], 20);
    assert_eq!(answered.load(Ordering::SeqCst), 20);
    // Each answer read to its end, the connection carries the next delivery.
    assert_eq!(opened.load(Ordering::SeqCst), 1);
}
