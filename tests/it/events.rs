//! Events (API.md section 11): what each change emits, in order, and the admin list of them.

use crate::support::TestServer;
use convmock::Config;
use serde_json::{Value, json};

/// The events the server holds, as `(type, payload id)`.
fn events(s: &TestServer, query: &str) -> Vec<(String, String)> {
    let r = s.get(&format!("/__admin/events{query}")).expect(200).json();
    r["events"]
        .as_array()
        .expect("an events list")
        .iter()
        .map(|e| {
            let kind = e["type"].as_str().expect("a type").to_owned();
            let id = e["payload"]["id"].as_str().expect("a payload").to_owned();
            (kind, id)
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, id)| ((*k).to_owned(), (*id).to_owned()))
        .collect()
}

/// `POST path` with a JSON body, which must be created; the answer.
pub fn post(s: &TestServer, path: &str, body: Value) -> Value {
    s.call("POST", path)
        .json(&body.to_string())
        .send()
        .expect(201)
        .json()
}

#[test]
fn each_change_emits_its_events_in_the_documented_order_and_a_refusal_none() {
    let s = TestServer::start();
    assert!(events(&s, "").is_empty());
    let contact = post(
        &s,
        "/v1/contacts",
        json!({"username": "Kevin", "phone_number": "1"}),
    );
    let (kevin, his) = (
        contact["id"].as_str().unwrap(),
        contact["conversation_id"].as_str().unwrap(),
    );
    let group = post(
        &s,
        "/v1/groups",
        json!({"name": "Family", "contacts": [kevin]}),
    );
    let (family, its) = (
        group["id"].as_str().unwrap(),
        group["conversation_id"].as_str().unwrap(),
    );
    let sent = post(
        &s,
        "/v1/messages",
        json!({"conversation_id": his, "message": "Hi"}),
    );
    let hi = sent["id"].as_str().unwrap();
    s.call("PUT", &format!("/v1/conversations/{his}"))
        .json(&json!({"pinned_message_id": hi}).to_string())
        .send()
        .expect(200);
    // Refused: no event.
    s.call("POST", "/v1/messages").json("{}").send().expect(400);
    s.call("DELETE", "/v1/messages/nope").send().expect(404);
    assert_eq!(
        events(&s, ""),
        pairs(&[
            ("contact.created", kevin),
            ("conversation.created", his),
            ("group.created", family),
            ("conversation.created", its),
            ("message.created", hi),
            ("conversation.updated", his),
            ("conversation.updated", his),
        ])
    );
    s.call("DELETE", "/__admin/requests").send().expect(204);
    // A cascade: the contact first, then its conversation and that conversation's
    // messages, then the group it leaves.
    s.call("DELETE", &format!("/v1/contacts/{kevin}"))
        .send()
        .expect(204);
    let after: Vec<_> = events(&s, "").into_iter().skip(7).collect();
    assert_eq!(
        after,
        pairs(&[
            ("contact.deleted", kevin),
            ("conversation.deleted", his),
            ("message.deleted", hi),
            ("group.updated", family),
        ])
    );
    // A deleted object's payload is as it was; an updated one's is as it is now.
    let all = s.get("/__admin/events").expect(200).json();
    let list = all["events"].as_array().unwrap();
    assert_eq!(list[7]["payload"]["username"], "Kevin");
    assert_eq!(list[10]["payload"]["contacts"], json!([]));
    // The journal names the events each request emitted.
    let journal = s.get("/__admin/requests?method=DELETE").expect(200).json();
    let ids: Vec<&Value> = list[7..11].iter().map(|e| &e["id"]).collect();
    assert_eq!(journal["requests"][0]["events"], json!(ids));
    // Deleting the group: the group, then its conversation.
    s.call("DELETE", &format!("/v1/groups/{family}"))
        .send()
        .expect(204);
    let tail: Vec<_> = events(&s, "").into_iter().skip(11).collect();
    assert_eq!(
        tail,
        pairs(&[("group.deleted", family), ("conversation.deleted", its)])
    );
    // Filters by type; a reset forgets them.
    assert_eq!(events(&s, "?type=group.*").len(), 3);
    assert_eq!(events(&s, "?type=message.created").len(), 1);
    s.get("/__admin/events?type=nothing").expect(400);
    s.call("POST", "/__admin/reset").send().expect(200);
    assert!(events(&s, "").is_empty());
}

#[test]
fn deleting_a_pinned_message_updates_the_conversation_after_the_message() {
    let s = TestServer::start();
    let pinning: Vec<Value> = s.get("/__admin/conversations").expect(200).json()["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["pinned_message_id"].is_string())
        .cloned()
        .collect();
    let conversation = pinning[0]["id"].as_str().unwrap();
    let message = pinning[0]["pinned_message_id"].as_str().unwrap();
    s.call("DELETE", &format!("/v1/messages/{message}"))
        .send()
        .expect(204);
    assert_eq!(
        events(&s, ""),
        pairs(&[
            ("message.deleted", message),
            ("conversation.updated", conversation)
        ])
    );
    let list = s.get("/__admin/events").expect(200).json();
    assert_eq!(
        list["events"][1]["payload"]["pinned_message_id"],
        Value::Null
    );
}

#[test]
fn with_a_seed_and_a_clock_two_runs_give_the_same_events_byte_for_byte() {
    let run = || {
        let s = TestServer::with(Config {
            seed: Some(7),
            clock: Some(692233200),
            ..Config::default()
        });
        let c = post(
            &s,
            "/v1/contacts",
            json!({"username": "Kevin", "phone_number": "1"}),
        );
        post(
            &s,
            "/v1/messages",
            json!({"conversation_id": c["conversation_id"], "message": "Hi"}),
        );
        s.call(
            "DELETE",
            &format!("/v1/contacts/{}", c["id"].as_str().unwrap()),
        )
        .send()
        .expect(204);
        (c["id"].clone(), s.get("/__admin/events").expect(200).body)
    };
    let (first, second) = (run(), run());
    assert_eq!(first, second);
    // Events draw their IDs from a stream of their own: the contact's ID is the first a
    // create draws from seed 7, whatever events came before.
    let s = TestServer::with(Config {
        seed: Some(7),
        ..Config::default()
    });
    s.call("PUT", "/v1/conversations/xgQQXg3hrtjh7AvZ")
        .json(r#"{"is_muted": true}"#)
        .send()
        .expect(200);
    let c = post(
        &s,
        "/v1/contacts",
        json!({"username": "Kevin", "phone_number": "1"}),
    );
    assert_eq!(c["id"], first.0);
}

#[test]
fn under_isolate_each_workspace_s_events_are_filed_under_its_token() {
    let s = TestServer::with(Config {
        isolate: true,
        ..Config::default()
    });
    for token in ["alice", "bob"] {
        s.call("PUT", "/v1/conversations/xgQQXg3hrtjh7AvZ")
            .header("Authorization", &format!("Bearer {token}"))
            .json(r#"{"is_muted": true}"#)
            .send()
            .expect(200);
    }
    assert_eq!(events(&s, "").len(), 2);
    assert_eq!(events(&s, "?token=alice").len(), 1);
    assert!(events(&s, "?token=carol").is_empty());
}
