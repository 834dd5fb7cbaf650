//! The documented calls on contacts, groups and messages (API.md section 10's table): with
//! the clock at 692233200 and the documented IDs queued, each answers exactly as documented.

use crate::support::TestServer;
use convmock::{Config, Fixtures};

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

#[test]
fn the_documented_updates_change_only_what_they_send() {
    let s = TestServer::with(Config {
        clock: Some(692233200),
        ..Config::default()
    });
    let before = s.get("/v1/contacts/WAz8eIbvDR60rouK").json();
    let after = s
        .call("PUT", "/v1/contacts/WAz8eIbvDR60rouK")
        .form("display_name=UncleFrank")
        .send()
        .expect(200)
        .json();
    let mut expected = before;
    expected["display_name"] = "UncleFrank".into();
    assert_eq!(after, expected);

    let before = s.get("/v1/groups/l7cGNIBKZiNJ6wqF").json();
    let after = s
        .call("PUT", "/v1/groups/l7cGNIBKZiNJ6wqF")
        .form("description=The finest in New York.")
        .send()
        .expect(200)
        .json();
    let mut expected = before;
    expected["description"] = "The finest in New York.".into();
    assert_eq!(after, expected);

    let before = s.get("/v1/messages/SIuAFUNKdSYHZF2w").json();
    let after = s
        .call("PUT", "/v1/messages/SIuAFUNKdSYHZF2w")
        .form("reactions[red_angry_face][]=KateMcCallister")
        .send()
        .expect(200)
        .json();
    let mut expected = before;
    expected["reactions"] = serde_json::json!([{"red_angry_face": ["KateMcCallister"]}]);
    expected["updated_at"] = 692233200.into();
    assert_eq!(after, expected);
}
