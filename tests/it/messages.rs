//! Messages over real HTTP: sending from the account, `last_active_at`, reactions in both
//! encodings, attachments refused, and what deleting a message or its conversation does.

use crate::support::TestServer;
use convmock::Config;
use serde_json::{Value, json};

const DOC_MESSAGE: &str = "SIuAFUNKdSYHZF2w";
const DOC_CONVERSATION: &str = "xgQQXg3hrtjh7AvZ";

fn frozen() -> TestServer {
    TestServer::with(Config {
        clock: Some(692233200),
        ..Config::default()
    })
}

fn message(r: &Value) -> &str {
    r["error_message"].as_str().unwrap()
}

#[test]
fn the_default_messages_list_the_documented_one_first_and_resolve() {
    let s = TestServer::start();
    assert_eq!(
        s.get("/external/messages?limit=10").json()["has_more"],
        false
    );
    assert_eq!(
        s.get("/v1/messages").ids()[..2],
        [DOC_MESSAGE, "hSIhXBhNe8X1d8Et"]
    );
    let m = s
        .get(&format!("/v1/messages/{DOC_MESSAGE}"))
        .expect(200)
        .json();
    assert_eq!(m["conversation_id"], DOC_CONVERSATION);
    assert_eq!(m["contact"]["username"], "LinnieMcCallister");
    assert_eq!(
        s.get(&format!("/v1/messages?conversation_id={DOC_CONVERSATION}"))
            .ids(),
        [DOC_MESSAGE, "hSIhXBhNe8X1d8Et"]
    );
    assert!(
        s.get("/v1/messages?conversation_id=nothing")
            .ids()
            .is_empty()
    );
    // Every pinned_message_id of the default conversations resolves, in its conversation.
    for c in s.get("/v1/conversations?limit=100").json()["data"]
        .as_array()
        .unwrap()
    {
        if let Some(pinned) = c["pinned_message_id"].as_str() {
            let m = s.get(&format!("/v1/messages/{pinned}")).expect(200).json();
            assert_eq!(m["conversation_id"], c["id"]);
        }
    }
}

#[test]
fn the_documented_send_answers_from_the_account_and_moves_last_active_at() {
    let s = frozen();
    s.call("POST", "/__admin/next-ids")
        .json(r#"{"ids": ["gWqY86BMFRiH5o11"]}"#)
        .send()
        .expect(200);
    let r = s
        .call("POST", "/v1/messages")
        .form(
            "conversation_id=xgQQXg3hrtjh7AvZ\
             &message=You%E2%80%99re+what+the+French+call+%E2%80%98les+incompetents.%E2%80%99",
        )
        .send()
        .expect(201);
    assert_eq!(r.header("location"), Some("/v1/messages/gWqY86BMFRiH5o11"));
    assert_eq!(
        r.body,
        r#"{
  "id": "gWqY86BMFRiH5o11",
  "conversation_id": "xgQQXg3hrtjh7AvZ",
  "contact": {
    "id": "inEIRvzjC6YLMX3o",
    "username": "LinnieMcCallister",
    "phone_number": "1-800-759-3000",
    "avatar_url": "https://assets.protocol.chat/avatars/linnie.jpg",
    "last_active_at": 705103200,
    "created_at": 692233200
  },
  "message": "You’re what the French call ‘les incompetents.’",
  "reactions": [],
  "attachments": [],
  "read_at": null,
  "created_at": 692233200,
  "updated_at": null
}
"#
    );
    let c = s
        .get(&format!("/v1/conversations/{DOC_CONVERSATION}"))
        .json();
    assert_eq!(c["last_active_at"], 692233200);
    assert!(
        !s.get("/v1/contacts").body.contains("inEIRvzjC6YLMX3o"),
        "me is not listed"
    );
}

#[test]
fn a_send_needs_an_existing_conversation_and_a_message_and_no_attachments() {
    let s = TestServer::start();
    for (body, field) in [
        (r#"{"message": "hi"}"#, "'conversation_id'"),
        (
            r#"{"conversation_id": "nothing", "message": "hi"}"#,
            "'nothing'",
        ),
        (r#"{"conversation_id": "xgQQXg3hrtjh7AvZ"}"#, "'message'"),
        (
            r#"{"conversation_id": "xgQQXg3hrtjh7AvZ", "message": ""}"#,
            "'message'",
        ),
        (
            r#"{"conversation_id": "xgQQXg3hrtjh7AvZ", "message": "hi", "attachments": [{}]}"#,
            "not emulated",
        ),
        (
            r#"{"conversation_id": "xgQQXg3hrtjh7AvZ", "message": "hi", "contact": "x"}"#,
            "'contact'",
        ),
    ] {
        let r = s
            .call("POST", "/v1/messages")
            .json(body)
            .send()
            .expect(400)
            .json();
        assert!(message(&r).contains(field), "{body}: {r}");
    }
    let r = s
        .call("POST", "/v1/messages")
        .form("conversation_id=xgQQXg3hrtjh7AvZ&message=hi&attachments[]=photo.jpg")
        .send()
        .expect(400)
        .json();
    assert!(message(&r).contains("'attachments'"), "{r}");
    let sent = s
        .call("POST", "/v1/messages")
        .json(r#"{"conversation_id": "xgQQXg3hrtjh7AvZ", "message": "hi", "attachments": []}"#)
        .send()
        .expect(201)
        .json();
    assert_eq!(sent["attachments"], json!([]));
}

#[test]
fn an_update_replaces_reactions_in_either_encoding_and_sets_updated_at() {
    let s = frozen();
    let m = s
        .call("PUT", &format!("/v1/messages/{DOC_MESSAGE}"))
        .form("reactions[red_angry_face][]=KateMcCallister")
        .send()
        .expect(200)
        .json();
    assert_eq!(
        m["reactions"],
        json!([{"red_angry_face": ["KateMcCallister"]}])
    );
    assert_eq!(m["updated_at"], 692233200);
    let m = s
        .call("PUT", &format!("/v1/messages/{DOC_MESSAGE}"))
        .form("reactions[smile][]=Kevin&reactions[heart][]=Kate&reactions[smile][]=Buzz")
        .send()
        .expect(200)
        .json();
    assert_eq!(
        m["reactions"],
        json!([{"smile": ["Kevin", "Buzz"]}, {"heart": ["Kate"]}])
    );
    let m = s
        .call("PUT", &format!("/v1/messages/{DOC_MESSAGE}"))
        .json(r#"{"reactions": {"zzz": ["a"], "aaa": ["b", "c"]}, "message": "Edited"}"#)
        .send()
        .expect(200)
        .json();
    assert_eq!(m["reactions"], json!([{"zzz": ["a"]}, {"aaa": ["b", "c"]}]));
    assert_eq!(m["message"], "Edited");
    let m = s
        .call("PUT", &format!("/v1/messages/{DOC_MESSAGE}"))
        .form("reactions[]=")
        .send()
        .expect(200)
        .json();
    assert_eq!(m["reactions"], json!([]));
    for body in [
        r#"{"reactions": ["smile"]}"#,
        r#"{"reactions": {"smile": ["a", "a"]}}"#,
        r#"{"message": ""}"#,
        r#"{"attachments": ["x"]}"#,
        r#"{"conversation_id": "hSIhXBhNe8X1d8Et"}"#,
        r#"{"read_at": 1}"#,
    ] {
        let r = s
            .call("PUT", &format!("/v1/messages/{DOC_MESSAGE}"))
            .json(body)
            .send()
            .expect(400)
            .json();
        let field = body.split('"').nth(1).unwrap();
        assert!(message(&r).contains(&format!("'{field}'")), "{body}: {r}");
    }
}

#[test]
fn deleting_a_pinned_message_unpins_it() {
    let s = TestServer::start();
    let pinned = "Mq7ZpL3vXc9NbR2t";
    let c = s.get("/v1/conversations/hSIhXBhNe8X1d8Et").json();
    assert_eq!(c["pinned_message_id"], pinned);
    s.call("DELETE", &format!("/v1/messages/{pinned}"))
        .send()
        .expect(204);
    s.get(&format!("/v1/messages/{pinned}")).expect(404);
    let c = s.get("/v1/conversations/hSIhXBhNe8X1d8Et").json();
    assert_eq!(c["pinned_message_id"], json!(null));
    assert_eq!(c["is_pinned"], true, "only the message goes");
    s.call("DELETE", &format!("/v1/messages/{pinned}"))
        .send()
        .expect(404);
}

#[test]
fn deleting_a_conversation_or_its_contact_deletes_its_messages() {
    let s = TestServer::start();
    s.call("DELETE", "/v1/contacts/WAz8eIbvDR60rouK")
        .send()
        .expect(204);
    s.get(&format!("/v1/messages/{DOC_MESSAGE}")).expect(404);
    s.get("/v1/messages/hSIhXBhNe8X1d8Et").expect(404);
    s.call("DELETE", "/v1/conversations/Zr6JdQ3mWb8KfT0s")
        .send()
        .expect(204);
    s.get("/v1/messages/Pb4XtN7kRz2QmW8c").expect(404);
    assert_eq!(s.get("/v1/messages").ids(), ["Mq7ZpL3vXc9NbR2t"]);
    // A group's deletion carries its conversations' messages too.
    s.call("DELETE", "/v1/groups/Gk8nRbT2qLx4VwYe")
        .send()
        .expect(204);
    assert!(s.get("/v1/messages").ids().is_empty());
}

#[test]
fn strict_references_refuse_what_the_workspace_does_not_hold_and_default_allows_it() {
    let strict = TestServer::with(Config {
        strict_references: true,
        ..Config::default()
    });
    let free = TestServer::start();
    for (method, path, body, field) in [
        (
            "POST",
            "/v1/conversations",
            "contact_id=nobody",
            "contact_id",
        ),
        ("POST", "/v1/conversations", "group_id=nogroup", "group_id"),
        (
            "PUT",
            "/v1/conversations/xgQQXg3hrtjh7AvZ",
            "pinned_message_id=nomessage",
            "pinned_message_id",
        ),
        // A message of another conversation.
        (
            "PUT",
            "/v1/conversations/xgQQXg3hrtjh7AvZ",
            "pinned_message_id=Mq7ZpL3vXc9NbR2t",
            "pinned_message_id",
        ),
    ] {
        let r = strict
            .call(method, path)
            .form(body)
            .send()
            .expect(400)
            .json();
        assert!(message(&r).contains(&format!("'{field}'")), "{body}: {r}");
        assert!(message(&r).contains("--strict-references"), "{r}");
        let ok = if method == "POST" { 201 } else { 200 };
        free.call(method, path).form(body).send().expect(ok);
    }
    strict
        .call("POST", "/v1/conversations")
        .form("contact_id=WAz8eIbvDR60rouK&group_id=l7cGNIBKZiNJ6wqF")
        .send()
        .expect(201);
    let c = strict
        .call("PUT", "/v1/conversations/xgQQXg3hrtjh7AvZ")
        .form(&format!("pinned_message_id={DOC_MESSAGE}"))
        .send()
        .expect(200)
        .json();
    assert_eq!(c["pinned_message_id"], DOC_MESSAGE);
}

#[test]
fn a_page_of_long_messages_arrives_whole_written_a_piece_at_a_time() {
    let s = TestServer::start();
    let text = "’".repeat(4096);
    for _ in 0..100 {
        let body = json!({ "conversation_id": "xgQQXg3hrtjh7AvZ", "message": text });
        s.call("POST", "/v1/messages")
            .json(&body.to_string())
            .send()
            .expect(201);
    }
    // About 1.2 MiB of JSON: sent in pieces (no length known up front), whole and in order.
    let big = s.get("/v1/messages?limit=100").expect(200);
    assert_eq!(big.header("transfer-encoding"), Some("chunked"));
    assert!(big.body.len() > 1 << 20, "{}", big.body.len());
    let page = big.json();
    let data = page["data"].as_array().unwrap();
    assert_eq!(data.len(), 100);
    assert!(data.iter().all(|m| m["message"] == text.as_str()));
    assert_eq!(page["has_more"], true);
    // Byte for byte the layout of a small page: each record as a retrieve writes it, indented.
    let first = s.get(&format!("/v1/messages/{}", data[0]["id"].as_str().unwrap()));
    let indented = first.body.trim_end().replace('\n', "\n    ");
    assert!(big.body.starts_with(&format!(
        "{{\n  \"has_more\": true,\n  \"data\": [\n    {indented},"
    )));
    // A page under 64 KiB still says its length.
    let small = s.get("/v1/messages?limit=2").expect(200);
    assert!(small.header("content-length").is_some());
}
