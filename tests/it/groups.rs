//! Groups over real HTTP: members embedded with their current values, the bracket form,
//! the 400s that name a contact, and what creating and deleting a group does.

use crate::support::TestServer;
use convmock::Config;
use serde_json::{Value, json};

const PLAZA: &str = "l7cGNIBKZiNJ6wqF";
const FAMILY: &str = "Gk8nRbT2qLx4VwYe";
const FRANK: &str = "WAz8eIbvDR60rouK";
const HECTOR: &str = "hSIhXBhNe8X1d8Et";

fn members(group: &Value) -> Vec<&str> {
    group["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["username"].as_str().unwrap())
        .collect()
}

fn message(r: &Value) -> &str {
    r["error_message"].as_str().unwrap()
}

#[test]
fn the_documented_group_lists_first_with_its_members_embedded() {
    let s = TestServer::start();
    let page = s.get("/external/groups?limit=10").expect(200).json();
    assert_eq!(page["has_more"], false);
    assert_eq!(s.get("/v1/groups").ids()[..2], [PLAZA, HECTOR]);
    let plaza = s.get(&format!("/v1/groups/{PLAZA}")).expect(200).json();
    assert_eq!(plaza["name"], "Plaza Hotel");
    assert_eq!(members(&plaza), ["Hector", "Cedric", "Hester", "Cliff"]);
    assert_eq!(
        plaza["contacts"][0],
        json!({
            "id": HECTOR, "username": "Hector", "phone_number": "1-800-555-0105",
            "avatar_url": "https://assets.protocol.chat/avatars/hector.jpg",
            "last_active_at": 705000000, "created_at": 692200000
        })
    );
    // Every group_id of the default conversations resolves.
    for c in s.get("/v1/conversations?limit=100").json()["data"]
        .as_array()
        .unwrap()
    {
        if let Some(group) = c["group_id"].as_str() {
            s.get(&format!("/v1/groups/{group}")).expect(200);
        }
    }
    assert_eq!(
        s.get("/v1/groups?archived=true").ids(),
        ["Jf2Kx7PqW9bN4sTc"]
    );
    assert_eq!(s.get("/v1/groups?archived=false").ids().len(), 3);
}

#[test]
fn creating_a_group_creates_its_conversation_and_takes_members_in_order() {
    let s = TestServer::with(Config {
        clock: Some(692233200),
        ..Config::default()
    });
    s.call("POST", "/__admin/next-ids")
        .json(r#"{"ids": ["newGroup1", "ZYjVAbCE9g5XRlra"]}"#)
        .send()
        .expect(200);
    let r = s
        .call("POST", "/v1/groups")
        .form(&format!(
            "name=Plaza+Hotel+Lobby&contacts[]={FRANK}&contacts[]={HECTOR}"
        ))
        .send()
        .expect(201);
    assert_eq!(r.header("location"), Some("/v1/groups/newGroup1"));
    let g = r.json();
    assert_eq!(g["conversation_id"], "ZYjVAbCE9g5XRlra");
    assert_eq!(members(&g), ["FrankMcCallister", "Hector"]);
    assert_eq!(
        (&g["description"], &g["avatar_url"], &g["archived_at"]),
        (&json!(null), &json!(null), &json!(null))
    );
    let conversation = s
        .get("/v1/conversations/ZYjVAbCE9g5XRlra")
        .expect(200)
        .json();
    assert_eq!(conversation["group_id"], "newGroup1");
    assert_eq!(conversation["contact_id"], json!(null));
    // JSON takes an array; `contacts[]=` alone is the empty list.
    let g = s
        .call("POST", "/v1/groups")
        .json(&format!(r#"{{"name": "x", "contacts": ["{HECTOR}"]}}"#))
        .send()
        .expect(201)
        .json();
    assert_eq!(members(&g), ["Hector"]);
    let g = s
        .call("PUT", &format!("/v1/groups/{PLAZA}"))
        .form("contacts[]=")
        .send()
        .expect(200)
        .json();
    assert_eq!(g["contacts"], json!([]));
}

#[test]
fn an_unknown_or_repeated_member_is_a_400_naming_it_and_changes_nothing() {
    let s = TestServer::start();
    let before = s.get("/v1/conversations?limit=100").ids();
    for (body, named) in [
        ("name=x&contacts[]=nobody", "'nobody'"),
        (
            &*format!("name=x&contacts[]={FRANK}&contacts[]={FRANK}"),
            FRANK,
        ),
        ("name=x&contacts=abc", "'contacts'"),
        ("name=x&contacts[]=&contacts[]=", "'contacts'"),
        (
            &*format!("name=x&contacts[]=&contacts[]={FRANK}"),
            "'contacts'",
        ),
        ("name=x&contacts[a][]=b", "'contacts'"),
        ("contacts[]=", "'name'"),
        ("name=", "'name'"),
    ] {
        let r = s
            .call("POST", "/v1/groups")
            .form(body)
            .send()
            .expect(400)
            .json();
        assert!(message(&r).contains(named), "{body}: {r}");
    }
    let r = s
        .call("PUT", &format!("/v1/groups/{PLAZA}"))
        .json(r#"{"contacts": ["nobody"], "name": "Renamed"}"#)
        .send()
        .expect(400)
        .json();
    assert!(
        message(&r).contains("'contacts'") && message(&r).contains("'nobody'"),
        "{r}"
    );
    assert_eq!(
        s.get(&format!("/v1/groups/{PLAZA}")).json()["name"],
        "Plaza Hotel"
    );
    assert_eq!(
        s.get("/v1/conversations?limit=100").ids(),
        before,
        "no conversation made"
    );
}

#[test]
fn an_update_sets_each_settable_field_and_refuses_the_rest() {
    let s = TestServer::start();
    let g = s
        .call("PUT", &format!("/v1/groups/{PLAZA}"))
        .form("description=The+finest+in+New+York.&archived_at=705103200")
        .send()
        .expect(200)
        .json();
    assert_eq!(g["description"], "The finest in New York.");
    assert_eq!(g["archived_at"], 705103200);
    assert_eq!(g["name"], "Plaza Hotel");
    let g = s
        .call("PUT", &format!("/v1/groups/{PLAZA}"))
        .json(&format!(
            r#"{{"name": "Plaza", "avatar_url": null, "contacts": ["{FRANK}"]}}"#
        ))
        .send()
        .expect(200)
        .json();
    assert_eq!(
        (g["name"].as_str(), &g["avatar_url"]),
        (Some("Plaza"), &json!(null))
    );
    assert_eq!(members(&g), ["FrankMcCallister"]);
    for body in ["name=", "conversation_id=x", "created_at=1", "id=x"] {
        let r = s
            .call("PUT", &format!("/v1/groups/{PLAZA}"))
            .form(body)
            .send()
            .expect(400)
            .json();
        let field = body.split('=').next().unwrap();
        assert!(message(&r).contains(&format!("'{field}'")), "{body}: {r}");
    }
    s.call("PUT", "/v1/groups/nope")
        .form("name=x")
        .send()
        .expect(404);
}

#[test]
fn deleting_a_contact_removes_it_from_every_group() {
    let s = TestServer::start();
    s.call("DELETE", &format!("/v1/contacts/{HECTOR}"))
        .send()
        .expect(204);
    let plaza = s.get(&format!("/v1/groups/{PLAZA}")).json();
    assert_eq!(members(&plaza), ["Cedric", "Hester", "Cliff"]);
    // The group that shares Hector's ID is a group, not a contact: it stays.
    assert_eq!(
        members(&s.get(&format!("/v1/groups/{HECTOR}")).json()),
        ["Cedric"]
    );
}

#[test]
fn deleting_a_group_deletes_its_conversations_and_a_conversation_leaves_its_group() {
    let s = TestServer::start();
    // The family group has two conversations; it names the first.
    s.call("DELETE", "/v1/conversations/hSIhXBhNe8X1d8Et")
        .send()
        .expect(204);
    let family = s.get(&format!("/v1/groups/{FAMILY}")).json();
    assert_eq!(family["conversation_id"], json!(null));
    s.call("DELETE", &format!("/v1/groups/{FAMILY}"))
        .send()
        .expect(204);
    s.get(&format!("/v1/groups/{FAMILY}")).expect(404);
    s.get("/v1/conversations/Lc2VnR8yTq5XwM1b").expect(404);
    assert!(
        s.get(&format!("/v1/conversations?group_id={FAMILY}"))
            .ids()
            .is_empty()
    );
    s.call("DELETE", &format!("/v1/groups/{FAMILY}"))
        .send()
        .expect(404);
    // Other groups' members are untouched.
    assert_eq!(
        members(&s.get(&format!("/v1/groups/{PLAZA}")).json()).len(),
        4
    );
}
