//! The documented calls on contacts, groups and messages (API.md section 10's table): with
//! the clock at 692233200 and the documented IDs queued, each answers exactly as documented.

use crate::support::TestServer;
use convmock::{Config, Fixtures};
use serde_json::json;

/// A server frozen at the documents' time, on a fixtures file holding `file`.
fn documented_with(file: &str) -> TestServer {
    TestServer::with(Config {
        clock: Some(692233200),
        fixtures: Fixtures::parse("inline", file).expect("valid fixtures"),
        ..Config::default()
    })
}

#[test]
fn the_documented_contact_create_answers_as_documented() {
    let s = documented_with(r#"{"next_ids": ["WAz8eIbvDR60rouK", "xgQQXg3hrtjh7AvZ"]}"#);
    let r = s
        .call("POST", "/v1/contacts")
        .form(
            "username=FrankMcCallister&phone_number=1-800-759-3000\
             &avatar_url=https://assets.protocol.chat/avatars/frank.jpg",
        )
        .send()
        .expect(201);
    assert_eq!(
        r.body,
        r#"{
  "id": "WAz8eIbvDR60rouK",
  "username": "FrankMcCallister",
  "phone_number": "1-800-759-3000",
  "avatar_url": "https://assets.protocol.chat/avatars/frank.jpg",
  "display_name": null,
  "conversation_id": "xgQQXg3hrtjh7AvZ",
  "last_active_at": null,
  "created_at": 692233200
}
"#
    );
}

#[test]
fn the_documented_group_create_answers_as_documented() {
    let s = documented_with(r#"{"next_ids": ["l7cGNIBKZiNJ6wqF", "ZYjVAbCE9g5XRlra"]}"#);
    let r = s
        .call("POST", "/v1/groups")
        .form("name=Plaza Hotel")
        .send()
        .expect(201);
    assert_eq!(
        r.body,
        r#"{
  "id": "l7cGNIBKZiNJ6wqF",
  "name": "Plaza Hotel",
  "description": null,
  "avatar_url": null,
  "conversation_id": "ZYjVAbCE9g5XRlra",
  "contacts": [],
  "created_at": 692233200,
  "archived_at": null
}
"#
    );
}

/// Sends the documented update `form` to `path` and checks that the answer is the record
/// as it was, with only `changes` made.
fn changes_only(s: &TestServer, path: &str, form: &str, changes: serde_json::Value) {
    let mut expected = s.get(path).expect(200).json();
    let after = s.call("PUT", path).form(form).send().expect(200).json();
    for (key, value) in changes.as_object().unwrap() {
        expected[key] = value.clone();
    }
    assert_eq!(after, expected, "{path}");
}

#[test]
fn the_documented_updates_change_only_what_they_send() {
    let s = TestServer::with(Config {
        clock: Some(692233200),
        ..Config::default()
    });
    changes_only(
        &s,
        "/v1/contacts/WAz8eIbvDR60rouK",
        "display_name=UncleFrank",
        json!({"display_name": "UncleFrank"}),
    );
    changes_only(
        &s,
        "/v1/groups/l7cGNIBKZiNJ6wqF",
        "description=The finest in New York.",
        json!({"description": "The finest in New York."}),
    );
    changes_only(
        &s,
        "/v1/messages/SIuAFUNKdSYHZF2w",
        "reactions[red_angry_face][]=KateMcCallister",
        json!({
            "reactions": [{"red_angry_face": ["KateMcCallister"]}],
            "updated_at": 692233200,
        }),
    );
}
