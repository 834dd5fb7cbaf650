//! The documented calls on contacts, groups and messages (API.md section 10): list, create,
//! retrieve, update and delete of each, sent as curl commands written in the documents'
//! style — each documented conversation command with its resource, ID and `-d` lines
//! changed — under both documents' hosts and base paths, with only the host replaced. Each
//! command and its answer is an insta snapshot in `snapshots/`, reviewed against API.md.

use crate::documented::{Example, examples, run_curl};
use crate::support::TestServer;
use convmock::{Config, Fixtures};
use serde_json::Value;

/// The documents' time: the clock of every server here.
const CLOCK: i64 = 692233200;

/// The ID the documents use for a second object of every resource.
const SECOND: &str = "hSIhXBhNe8X1d8Et";

/// The two documents, named as their snapshots are.
const DOCUMENTS: [(&str, &str); 2] = [
    ("self", include_str!("../documents/self-conversations.txt")),
    (
        "oblic",
        include_str!("../documents/oblic-conversations.txt"),
    ),
];

/// The documented calls of one resource.
struct Documented {
    /// The path segment, as in `/v1/contacts`.
    resource: &'static str,
    /// The documented object: first in the default list, retrieved, updated, deleted.
    id: &'static str,
    /// The update call's one field and value, and the keys whose values it changes.
    update: (&'static str, &'static str, &'static [&'static str]),
    /// The list call's `-d` lines.
    list: &'static [&'static str],
    /// The data set of the create call: its `next_ids`, and what the call refers to.
    create_fixtures: &'static str,
    /// The create call's fields.
    create: &'static [(&'static str, &'static str)],
}

const CONTACTS: Documented = Documented {
    resource: "contacts",
    id: "WAz8eIbvDR60rouK",
    update: ("display_name", "UncleFrank", &["display_name"]),
    list: &["active=true", "limit=10"],
    create_fixtures: r#"{"next_ids": ["WAz8eIbvDR60rouK", "xgQQXg3hrtjh7AvZ"]}"#,
    create: &[
        ("username", "FrankMcCallister"),
        ("phone_number", "1-800-759-3000"),
        (
            "avatar_url",
            "https://assets.protocol.chat/avatars/frank.jpg",
        ),
    ],
};

const GROUPS: Documented = Documented {
    resource: "groups",
    id: "l7cGNIBKZiNJ6wqF",
    update: ("description", "The finest in New York.", &["description"]),
    list: &["limit=10"],
    create_fixtures: r#"{"next_ids": ["l7cGNIBKZiNJ6wqF", "ZYjVAbCE9g5XRlra"]}"#,
    create: &[("name", "Plaza Hotel")],
};

const MESSAGES: Documented = Documented {
    resource: "messages",
    id: "SIuAFUNKdSYHZF2w",
    update: (
        "reactions[red_angry_face][]",
        "KateMcCallister",
        &["reactions", "updated_at"],
    ),
    list: &["limit=10"],
    create_fixtures: r#"{
        "conversations": [{"id": "xgQQXg3hrtjh7AvZ", "contact_id": "WAz8eIbvDR60rouK", "created_at": 692233200}],
        "next_ids": ["gWqY86BMFRiH5o11"]
    }"#,
    create: &[
        ("conversation_id", "xgQQXg3hrtjh7AvZ"),
        ("message", "You’re what the French call ‘les incompetents.’"),
    ],
};

/// The document's conversation call with this `method` (on one conversation or on the
/// collection), rewritten for `resource`: same flags, host, base path and header, the
/// documented conversation ID replaced by `id`, the `-d` lines by `data`.
fn mirror(
    all: &[Example],
    method: &str,
    on_one: bool,
    resource: &str,
    id: &str,
    data: &[String],
) -> String {
    let documented = all
        .iter()
        .find(|e| e.method == method && e.curl.contains("/conversations/") == on_one)
        .unwrap_or_else(|| panic!("the document has a {method} example"));
    documented
        .curl
        .lines()
        .map(|line| line.trim_end().trim_end_matches('\\').trim_end())
        .filter(|line| !line.trim_start().starts_with("-d "))
        .map(|line| {
            line.replace("conversations", resource)
                .replace("xgQQXg3hrtjh7AvZ", id)
        })
        .chain(data.iter().map(|d| format!("  -d {d}")))
        .collect::<Vec<_>>()
        .join(" \\\n")
}

/// Sends `curl` to `server`, snapshots the command and its answer as `name`, and returns
/// the status and body.
fn call(server: &TestServer, name: &str, curl: &str) -> (u16, String) {
    let (status, body) = run_curl(curl, server);
    insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, format!("$ {curl}\n{status}\n{body}"));
    });
    (status, body)
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Runs the documented calls of `doc` under each document's host and base path.
fn check(doc: &Documented) {
    let resource = doc.resource;
    let fields = |pairs: &[(&str, &str)]| -> Vec<String> {
        pairs
            .iter()
            .map(|(k, v)| format!("'{k}'=\"{v}\""))
            .collect()
    };
    for (profile, document) in DOCUMENTS {
        let all = examples(document);
        let name = |op: &str| format!("{profile}_{resource}_{op}");
        let curl =
            |method, on_one, data: &[String]| mirror(&all, method, on_one, resource, doc.id, data);
        let server = TestServer::with(Config {
            clock: Some(CLOCK),
            ..Config::default()
        });

        // List: the documented object first, hSIhXBhNe8X1d8Et second, one page.
        let list: Vec<String> = doc.list.iter().map(|d| d.to_string()).collect();
        let (status, body) = call(&server, &name("list"), &curl("GET", false, &list));
        let listed = json(&body);
        assert_eq!(status, 200, "{body}");
        assert_eq!(listed["has_more"], false);
        assert_eq!(listed["data"][0]["id"], doc.id);
        assert_eq!(listed["data"][1]["id"], SECOND);

        // Retrieve: the object as listed.
        let retrieve = curl("GET", true, &[]);
        let (status, body) = call(&server, &name("retrieve"), &retrieve);
        assert_eq!((status, json(&body)), (200, listed["data"][0].clone()));

        // Update: only the keys it changes differ from the retrieved object.
        let (status, updated) = call(
            &server,
            &name("update"),
            &curl("PUT", true, &fields(&[(doc.update.0, doc.update.1)])),
        );
        assert_eq!(status, 200, "{updated}");
        let (before, after) = (json(&body), json(&updated));
        let changed: Vec<&String> = after
            .as_object()
            .expect("an object")
            .iter()
            .filter(|(key, value)| before[key.as_str()] != **value)
            .map(|(key, _)| key)
            .collect();
        assert_eq!(changed, doc.update.2, "{updated}");

        // Delete: 204 with no body, then 404 for the object and for a second delete.
        let delete = curl("DELETE", true, &[]);
        assert_eq!(
            call(&server, &name("delete"), &delete),
            (204, String::new())
        );
        let (status, body) = call(&server, &name("retrieve_after_delete"), &retrieve);
        assert_eq!(status, 404, "{body}");
        assert_eq!(run_curl(&delete, &server).0, 404);

        // Create, on the data set that queues the documented IDs.
        let server = TestServer::with(Config {
            clock: Some(CLOCK),
            fixtures: Fixtures::parse("inline", doc.create_fixtures).expect("valid fixtures"),
            ..Config::default()
        });
        let (status, body) = call(
            &server,
            &name("create"),
            &curl("POST", false, &fields(doc.create)),
        );
        let queued = json(doc.create_fixtures)["next_ids"][0].clone();
        assert_eq!((status, json(&body)["id"].clone()), (201, queued), "{body}");
    }
}

#[test]
fn the_documented_contact_calls_answer_as_reviewed_under_both_base_paths() {
    check(&CONTACTS);
}

#[test]
fn the_documented_group_calls_answer_as_reviewed_under_both_base_paths() {
    check(&GROUPS);
}

#[test]
fn the_documented_message_calls_answer_as_reviewed_under_both_base_paths() {
    check(&MESSAGES);
}

#[test]
fn the_group_id_the_documents_also_spell_with_a_capital_l_is_unknown() {
    let server = TestServer::start();
    server.get("/v1/groups/l7cGNIBKZiNJ6wqF").expect(200);
    server.get("/v1/groups/L7cGNIBKZiNJ6wqF").expect(404);
}
