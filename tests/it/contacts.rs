//! Contacts over real HTTP: their operations, their 400s, and what creating and deleting one
//! does to conversations.

use crate::support::TestServer;
use convmock::Config;
use serde_json::json;

const FRANK: &str = "WAz8eIbvDR60rouK";
const FRANKS_CONVERSATION: &str = "xgQQXg3hrtjh7AvZ";

fn frozen() -> TestServer {
    TestServer::with(Config {
        clock: Some(692233200),
        seed: Some(7),
        ..Config::default()
    })
}

#[test]
fn the_default_contacts_list_frank_first_and_hector_second() {
    let s = TestServer::start();
    for base in ["/v1", "/external"] {
        let page = s
            .get(&format!("{base}/contacts?limit=10"))
            .expect(200)
            .json();
        assert_eq!(page["has_more"], false);
        let ids: Vec<&str> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(&ids[..2], [FRANK, "hSIhXBhNe8X1d8Et"]);
        assert!(
            !ids.contains(&"inEIRvzjC6YLMX3o"),
            "the account is not listed"
        );
    }
    // The documented create's values, with its conversation and a last activity.
    let frank = s.get(&format!("/v1/contacts/{FRANK}")).expect(200).json();
    assert_eq!(
        frank,
        json!({
            "id": FRANK, "username": "FrankMcCallister", "phone_number": "1-800-759-3000",
            "avatar_url": "https://assets.protocol.chat/avatars/frank.jpg",
            "display_name": null, "conversation_id": FRANKS_CONVERSATION,
            "last_active_at": 705103200, "created_at": 692233200
        })
    );
}

#[test]
fn active_keeps_contacts_by_whether_they_were_ever_active() {
    let s = TestServer::start();
    let all = s.get("/v1/contacts").ids();
    let active = s.get("/v1/contacts?active=true").ids();
    let inactive = s.get("/v1/contacts?active=false").ids();
    assert!(!active.is_empty() && !inactive.is_empty());
    assert_eq!(active.len() + inactive.len(), all.len());
    for id in &inactive {
        let c = s.get(&format!("/v1/contacts/{id}")).expect(200).json();
        assert!(c["last_active_at"].is_null(), "{c}");
    }
    let r = s.get("/v1/contacts?active=yes").expect(400).json();
    assert!(
        r["error_message"].as_str().unwrap().contains("'active'"),
        "{r}"
    );
    let r = s.get("/v1/contacts?muted=true").expect(400).json();
    assert!(
        r["error_message"].as_str().unwrap().contains("'muted'"),
        "{r}"
    );
}

#[test]
fn creating_a_contact_creates_its_conversation_with_ids_in_queue_order() {
    let s = frozen();
    s.call("POST", "/__admin/next-ids")
        .json(r#"{"ids": ["newContact1", "newConversation1"]}"#)
        .send()
        .expect(200);
    let r = s
        .call("POST", "/external/contacts")
        .form(
            "username=MarleyTheNeighbour&phone_number=1-800-555-0199\
             &avatar_url=https%3A%2F%2Fassets.protocol.chat%2Favatars%2Fmarley.jpg",
        )
        .send()
        .expect(201);
    assert_eq!(r.header("location"), Some("/external/contacts/newContact1"));
    assert_eq!(
        r.json(),
        json!({
            "id": "newContact1", "username": "MarleyTheNeighbour",
            "phone_number": "1-800-555-0199",
            "avatar_url": "https://assets.protocol.chat/avatars/marley.jpg",
            "display_name": null, "conversation_id": "newConversation1",
            "last_active_at": null, "created_at": 692233200
        })
    );
    let conversation = s
        .get("/v1/conversations/newConversation1")
        .expect(200)
        .json();
    assert_eq!(conversation["contact_id"], "newContact1");
    assert_eq!(conversation["group_id"], json!(null));
    assert_eq!(conversation["created_at"], 692233200);
    assert_eq!(s.get("/v1/contacts").ids()[0], "newContact1");
}

#[test]
fn a_create_needs_a_username_and_a_phone_number_and_takes_free_text() {
    let s = TestServer::start();
    let r = s.call("POST", "/v1/contacts").form("").send().expect(400);
    let message = r.json()["error_message"].as_str().unwrap().to_owned();
    assert!(message.contains("'username'"), "{message}");
    let oblic = TestServer::with(Config {
        profile: convmock::config::Profile::Oblic,
        ..Config::default()
    });
    let r = oblic
        .call("POST", "/v1/contacts")
        .json(r#"{"display_name": "x"}"#)
        .send()
        .expect(400)
        .json();
    let messages: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(messages.iter().any(|m| m.contains("'username'")), "{r}");
    assert!(messages.iter().any(|m| m.contains("'phone_number'")), "{r}");
    for (body, field) in [
        (r#"{"username": "", "phone_number": "1"}"#, "username"),
        (r#"{"username": "a", "phone_number": 5}"#, "phone_number"),
        (r#"{"username": "a", "phone_number": "1", "id": "x"}"#, "id"),
        (
            r#"{"username": "a", "phone_number": "1", "conversation_id": "x"}"#,
            "conversation_id",
        ),
    ] {
        let r = s
            .call("POST", "/v1/contacts")
            .json(body)
            .send()
            .expect(400)
            .json();
        let m = r["error_message"].as_str().unwrap();
        assert!(m.contains(&format!("'{field}'")), "{body}: {m}");
    }
    // Free text: spaces, slashes and non-ASCII letters, which an ID would refuse.
    let c = s
        .call("POST", "/v1/contacts")
        .json(r#"{"username": "Old Man Marley", "phone_number": "+1 (800) 555/0100", "display_name": "Marley’s"}"#)
        .send()
        .expect(201)
        .json();
    assert_eq!(c["username"], "Old Man Marley");
    assert_eq!(c["display_name"], "Marley’s");
}

#[test]
fn an_update_changes_only_the_display_name() {
    let s = TestServer::start();
    let r = s
        .call("PUT", &format!("/v1/contacts/{FRANK}"))
        .form("display_name=UncleFrank")
        .send()
        .expect(200)
        .json();
    assert_eq!(r["display_name"], "UncleFrank");
    assert_eq!(r["username"], "FrankMcCallister");
    let cleared = s
        .call("PUT", &format!("/v1/contacts/{FRANK}"))
        .json(r#"{"display_name": null}"#)
        .send()
        .expect(200)
        .json();
    assert_eq!(cleared["display_name"], json!(null));
    for field in [
        "username",
        "phone_number",
        "avatar_url",
        "conversation_id",
        "last_active_at",
    ] {
        let r = s
            .call("PUT", &format!("/v1/contacts/{FRANK}"))
            .form(&format!("{field}=x"))
            .send()
            .expect(400)
            .json();
        let m = r["error_message"].as_str().unwrap();
        assert!(m.contains(&format!("'{field}'")), "{m}");
    }
    s.call("PUT", "/v1/contacts/nope")
        .form("display_name=x")
        .send()
        .expect(404);
    let r = s.get("/v1/contacts/nope").expect(404).json();
    assert_eq!(r["error_message"], "No such contact: 'nope'");
}

#[test]
fn deleting_a_contact_deletes_its_conversations_and_nothing_else() {
    let s = TestServer::start();
    // A second conversation with Frank, and one with someone else.
    let second = s
        .call("POST", "/v1/conversations")
        .form(&format!("contact_id={FRANK}"))
        .send()
        .expect(201)
        .id();
    let before = s.get("/v1/conversations?limit=100").ids();
    s.call("DELETE", &format!("/v1/contacts/{FRANK}"))
        .send()
        .expect(204);
    s.get(&format!("/v1/contacts/{FRANK}")).expect(404);
    s.get(&format!("/v1/conversations/{FRANKS_CONVERSATION}"))
        .expect(404);
    s.get(&format!("/v1/conversations/{second}")).expect(404);
    let after = s.get("/v1/conversations?limit=100").ids();
    assert_eq!(after.len(), before.len() - 2);
    s.call("DELETE", &format!("/v1/contacts/{FRANK}"))
        .send()
        .expect(404);
}

#[test]
fn deleting_a_contacts_conversation_leaves_the_contact_without_one() {
    let s = TestServer::start();
    s.call(
        "DELETE",
        &format!("/v1/conversations/{FRANKS_CONVERSATION}"),
    )
    .send()
    .expect(204);
    let frank = s.get(&format!("/v1/contacts/{FRANK}")).expect(200).json();
    assert_eq!(frank["conversation_id"], json!(null));
}

#[test]
fn contacts_are_isolated_between_tokens_and_reset() {
    let s = TestServer::with(Config {
        isolate: true,
        ..Config::default()
    });
    let created = s
        .call("POST", "/v1/contacts")
        .token("alice")
        .form("username=a&phone_number=1")
        .send()
        .expect(201)
        .id();
    s.call("GET", &format!("/v1/contacts/{created}"))
        .token("bob")
        .send()
        .expect(404);
    s.call("DELETE", &format!("/v1/contacts/{FRANK}"))
        .token("alice")
        .send()
        .expect(204);
    s.call("GET", &format!("/v1/contacts/{FRANK}"))
        .token("bob")
        .send()
        .expect(200);
    let listed = s.get("/__admin/contacts?token=alice").expect(200).json();
    assert_eq!(listed["contacts"][0]["id"], created.as_str());
    s.call("POST", "/__admin/reset").send().expect(200);
    s.call("GET", &format!("/v1/contacts/{created}"))
        .token("alice")
        .send()
        .expect(404);
    s.call("GET", &format!("/v1/conversations/{FRANKS_CONVERSATION}"))
        .token("alice")
        .send()
        .expect(200);
}

#[test]
fn a_queued_id_may_not_be_one_a_record_of_any_resource_or_the_account_has() {
    let s = TestServer::start();
    for (id, says) in [
        ("inEIRvzjC6YLMX3o", "ID of a contact here"),
        ("l7cGNIBKZiNJ6wqF", "ID of a group here"),
        ("SIuAFUNKdSYHZF2w", "ID of a message here"),
    ] {
        let r = s
            .call("POST", "/__admin/next-ids")
            .json(&format!(r#"{{"ids": ["{id}"]}}"#))
            .send()
            .expect(400)
            .json();
        let m = r["error_message"].as_str().unwrap();
        assert!(m.contains(says), "{id}: {m}");
    }
    for plural in ["contacts", "groups", "messages"] {
        let listed = s.get(&format!("/__admin/{plural}")).expect(200).json();
        assert!(!listed[plural].as_array().unwrap().is_empty(), "{plural}");
    }
}
