//! The other participant: `POST /__admin/simulate/message` and `/simulate/read`.

use crate::events::post;
use crate::live::Stream;
use crate::support::{Resp, TestServer};
use convmock::Config;
use serde_json::{Value, json};

fn simulate(s: &TestServer, call: &str, body: Value) -> Resp {
    s.call("POST", &format!("/__admin/simulate/{call}"))
        .json(&body.to_string())
        .send()
}

/// The types of the last `n` events, oldest first.
fn last_events(s: &TestServer, n: usize) -> Vec<String> {
    let events = s.get("/__admin/events").expect(200).json()["events"]
        .as_array()
        .expect("events")
        .clone();
    events[events.len() - n..]
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

fn contact(s: &TestServer, name: &str) -> (String, String) {
    let c = post(
        s,
        "/v1/contacts",
        json!({"username": name, "phone_number": "1"}),
    );
    (
        c["id"].as_str().unwrap().to_owned(),
        c["conversation_id"].as_str().unwrap().to_owned(),
    )
}

/// Whether the error's message names `field` (quoted, as every 400 names it).
fn names(r: &Resp, field: &str) -> bool {
    let body = r.json();
    let message = body["error_message"].as_str().expect("an error message");
    message.contains(&format!("'{field}'"))
}

#[test]
fn a_contact_sends_a_message_as_a_send_does() {
    let s = TestServer::start();
    s.call("PUT", "/__admin/clock")
        .json(r#"{"now": 1700000000}"#)
        .send()
        .expect(200);
    let (kevin, his) = contact(&s, "Kevin");
    let r = simulate(
        &s,
        "message",
        json!({"conversation_id": his, "message": "Keep the change, ya filthy animal"}),
    )
    .expect(201);
    let message = r.json();
    assert_eq!(message["contact"]["id"], kevin.as_str());
    assert_eq!(message["contact"]["username"], "Kevin");
    assert_eq!(message["created_at"], 1700000000);
    assert_eq!(
        last_events(&s, 2),
        ["message.created", "conversation.updated"]
    );
    let conversation = s
        .get(&format!("/v1/conversations/{his}"))
        .expect(200)
        .json();
    assert_eq!(conversation["last_active_at"], 1700000000);
    // Listed like any message, and the account's own sends still come from the account.
    let listed = s
        .get(&format!("/v1/messages?conversation_id={his}"))
        .expect(200)
        .json();
    assert_eq!(listed["data"][0], message);
    let mine = post(
        &s,
        "/v1/messages",
        json!({"conversation_id": his, "message": "Hi"}),
    );
    assert_ne!(mine["contact"]["id"], kevin.as_str());
    // Naming the conversation's own contact is fine; another is not.
    simulate(
        &s,
        "message",
        json!({"conversation_id": his, "contact_id": kevin, "message": "Again"}),
    )
    .expect(201);
    let (marv, _) = contact(&s, "Marv");
    let r = simulate(
        &s,
        "message",
        json!({"conversation_id": his, "contact_id": marv, "message": "No"}),
    )
    .expect(400);
    assert!(names(&r, "contact_id"), "{}", r.body);
}

#[test]
fn a_group_member_speaks_in_the_group_and_no_one_else_does() {
    let s = TestServer::start();
    let (harry, _) = contact(&s, "Harry");
    let (marv, _) = contact(&s, "Marv");
    let (kevin, _) = contact(&s, "Kevin");
    let group = post(
        &s,
        "/v1/groups",
        json!({"name": "Wet Bandits", "contacts": [harry, marv]}),
    );
    let theirs = group["conversation_id"].as_str().unwrap();
    let sent = simulate(
        &s,
        "message",
        json!({"conversation_id": theirs, "contact_id": marv, "message": "Harry!"}),
    )
    .expect(201)
    .json();
    assert_eq!(sent["contact"]["id"], marv.as_str());
    assert_eq!(sent["contact"]["username"], "Marv");
    let r = simulate(
        &s,
        "message",
        json!({"conversation_id": theirs, "message": "Who?"}),
    )
    .expect(400);
    assert!(names(&r, "contact_id"), "{}", r.body);
    let r = simulate(
        &s,
        "message",
        json!({"conversation_id": theirs, "contact_id": kevin, "message": "Not a member"}),
    )
    .expect(400);
    assert!(names(&r, "contact_id"), "{}", r.body);
    assert!(r.body.contains("not a member"), "{}", r.body);
    simulate(
        &s,
        "message",
        json!({"conversation_id": theirs, "contact_id": "nobodyHere", "message": "?"}),
    )
    .expect(404);
}

#[test]
fn bad_input_is_a_400_naming_the_field_and_unknown_ids_404() {
    let s = TestServer::start();
    let (_, his) = contact(&s, "Kevin");
    let before = s.get("/__admin/events").expect(200).json()["events"]
        .as_array()
        .unwrap()
        .len();
    let cases = [
        (
            json!({"conversation_id": his, "message": "x".repeat(4097)}),
            "message",
        ),
        (json!({"conversation_id": his}), "message"),
        (json!({"message": "Hi"}), "conversation_id"),
        (
            json!({"conversation_id": his, "message": "Hi", "delay_ms": 60001}),
            "delay_ms",
        ),
        (
            json!({"conversation_id": his, "message": "Hi", "delay_ms": -1}),
            "delay_ms",
        ),
        (
            json!({"conversation_id": his, "message": "Hi", "contact_id": 7}),
            "contact_id",
        ),
        (
            json!({"conversation_id": his, "message": "Hi", "sender": "x"}),
            "sender",
        ),
    ];
    for (body, named) in cases {
        let r = simulate(&s, "message", body.clone()).expect(400);
        assert!(names(&r, named), "{body}: {}", r.body);
    }
    simulate(
        &s,
        "message",
        json!({"conversation_id": "noSuchConversa", "message": "Hi"}),
    )
    .expect(404);
    let r = simulate(&s, "read", json!({})).expect(400);
    assert!(names(&r, "message_id"), "{}", r.body);
    let r = simulate(&s, "read", json!({"message_id": 3})).expect(400);
    assert!(names(&r, "message_id"), "{}", r.body);
    simulate(&s, "read", json!({"message_id": "noSuchMessage"})).expect(404);
    s.call("GET", "/__admin/simulate/read").send().expect(405);
    // Nothing refused made an event.
    let after = s.get("/__admin/events").expect(200).json()["events"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before);
}

#[test]
fn a_read_sets_read_at_to_now_and_emits_message_updated() {
    let s = TestServer::start();
    let (_, his) = contact(&s, "Kevin");
    let mine = post(
        &s,
        "/v1/messages",
        json!({"conversation_id": his, "message": "Are you home?"}),
    );
    assert_eq!(mine["read_at"], Value::Null);
    s.call("PUT", "/__admin/clock")
        .json(r#"{"now": 1700000100}"#)
        .send()
        .expect(200);
    let id = mine["id"].as_str().unwrap();
    let read = simulate(&s, "read", json!({"message_id": id}))
        .expect(200)
        .json();
    assert_eq!(read["read_at"], 1700000100);
    assert_eq!(read["updated_at"], mine["updated_at"], "a read is no edit");
    assert_eq!(last_events(&s, 1), ["message.updated"]);
    let shown = s.get(&format!("/v1/messages/{id}")).expect(200).json();
    assert_eq!(shown, read);
}

#[test]
fn a_delayed_message_is_accepted_now_and_arrives_later() {
    let s = TestServer::start();
    let (kevin, his) = contact(&s, "Kevin");
    let mut stream = Stream::open(s.addr, "?type=message.created", &[]);
    let accepted = simulate(
        &s,
        "message",
        json!({"conversation_id": his, "message": "Later", "delay_ms": 300}),
    )
    .expect(202)
    .json();
    assert_eq!(accepted["status"], "scheduled");
    assert_eq!(accepted["contact_id"], kevin.as_str());
    assert_eq!(accepted["delay_ms"], 300);
    let arrived = stream.next_event().json();
    assert_eq!(arrived["payload"]["message"], "Later");
    assert_eq!(arrived["payload"]["contact"]["id"], kevin.as_str());
}

#[test]
fn delayed_messages_are_bounded_and_a_reset_drops_them() {
    let s = TestServer::with(Config {
        isolate: true,
        ..Config::default()
    });
    let (_, his) = contact(&s, "Kevin");
    let path = format!("/__admin/simulate/message?token={}", crate::support::TOKEN);
    let later = json!({"conversation_id": his, "message": "Much later", "delay_ms": 60000});
    let mut accepted = 0;
    loop {
        let r = s.call("POST", &path).json(&later.to_string()).send();
        if r.status == 429 {
            assert!(r.body.contains("delayed"), "{}", r.body);
            break;
        }
        r.expect(202);
        accepted += 1;
        assert!(accepted <= 1000, "no bound on delayed messages");
    }
    assert_eq!(accepted, convmock::simulate::MAX_DELAYED);
    // Without ?token= under --isolate, the call does not know the workspace.
    let r = simulate(&s, "message", later.clone()).expect(400);
    assert!(names(&r, "token"), "{}", r.body);
    s.call("POST", "/__admin/reset").send().expect(200);
    // The reset dropped them: the bound counts from zero, and the workspace is as new.
    let (_, fresh) = contact(&s, "Kevin");
    let again = json!({"conversation_id": fresh, "message": "Soon", "delay_ms": 60000});
    s.call("POST", &path)
        .json(&again.to_string())
        .send()
        .expect(202);
}

#[test]
fn messages_waiting_for_their_delay_do_not_keep_their_workspaces_from_being_evicted() {
    let s = TestServer::with(Config {
        isolate: true,
        max_workspaces: 3,
        ..Config::default()
    });
    let get = |token: &str| {
        s.call("GET", "/v1/conversations/xgQQXg3hrtjh7AvZ")
            .header("Authorization", &format!("Bearer {token}"))
            .send()
    };
    for token in ["a", "b", "c"] {
        get(token).expect(200);
        let body =
            json!({"conversation_id": "xgQQXg3hrtjh7AvZ", "message": "hi", "delay_ms": 60000});
        s.call("POST", &format!("/__admin/simulate/message?token={token}"))
            .json(&body.to_string())
            .send()
            .expect(202);
    }
    // Every slot's workspace has a message waiting, and none is in use: a new token takes
    // the place of the least recently used.
    get("newcomer").expect(200);
}
