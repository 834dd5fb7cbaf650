//! `GET /openapi.json`: served without a token, consistent with what the server answers.

use crate::documented::{Example, examples};
use crate::support::{Req, TestServer};
use convmock::error::MAX_BODY_BYTES;
use convmock::model::MAX_TIMESTAMP;
use convmock::{Config, Profile};
use regex::Regex;
use serde_json::Value;

fn document(s: &TestServer) -> Value {
    let r = Req::new(s.addr, "GET", "/openapi.json").send().expect(200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.json()
}

fn required(schema: &Value) -> Vec<String> {
    let mut keys: Vec<String> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    keys.sort();
    keys
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[test]
fn the_document_describes_both_base_paths_with_bearer_auth() {
    let s = TestServer::start();
    let doc = document(&s);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for base in ["/v1", "/external"] {
        let collection = &paths[&format!("{base}/conversations")];
        let item = &paths[&format!("{base}/conversations/{{id}}")];
        assert!(collection["get"]["parameters"].as_array().unwrap().len() == 7);
        assert!(
            collection["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
                .is_object()
        );
        assert!(item["put"]["requestBody"]["content"]["application/json"].is_object());
        assert!(item["delete"]["responses"]["204"].is_object());
    }
    let limit = &paths["/v1/conversations"]["get"]["parameters"][0];
    assert_eq!(limit["name"], "limit");
    assert_eq!(
        (
            limit["schema"]["minimum"].as_u64(),
            limit["schema"]["maximum"].as_u64()
        ),
        (Some(1), Some(100))
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"]["type"],
        "http"
    );
    // The document is not behind the token, and it is not an API path.
    Req::new(s.addr, "HEAD", "/openapi.json").send().expect(200);
    Req::new(s.addr, "POST", "/openapi.json").send().expect(405);
}

#[test]
fn live_answers_have_exactly_the_described_keys() {
    let s = TestServer::start();
    let doc = document(&s);
    let schemas = &doc["components"]["schemas"];
    let conversation = s.get("/v1/conversations/xgQQXg3hrtjh7AvZ").json();
    assert_eq!(keys(&conversation), required(&schemas["Conversation"]));
    let list = s.get("/v1/conversations").json();
    assert_eq!(keys(&list), required(&schemas["ConversationList"]));
    let error = s.get("/v1/conversations/nope").json();
    assert_eq!(keys(&error), required(&schemas["Error"]));
}

#[test]
fn the_error_schema_is_the_running_profiles() {
    for profile in [Profile::SelfChat, Profile::Oblic, Profile::Protocol] {
        let s = TestServer::with(Config {
            profile,
            ..Config::default()
        });
        let doc = document(&s);
        let error = s.get("/v1/conversations/nope").json();
        assert_eq!(
            keys(&error),
            required(&doc["components"]["schemas"]["Error"]),
            "{profile}"
        );
    }
}

#[test]
fn every_timestamp_is_described_up_to_the_largest_one_javascript_holds() {
    let s = TestServer::start();
    let doc = document(&s);
    let schemas = &doc["components"]["schemas"];
    let mut described = Vec::new();
    for (schema, field) in [
        ("Conversation", "last_active_at"),
        ("Conversation", "last_opened_at"),
        ("Conversation", "created_at"),
        ("Conversation", "archived_at"),
        ("UpdateConversation", "archived_at"),
    ] {
        let property = &schemas[schema]["properties"][field];
        described.push((
            field,
            property["minimum"].as_i64(),
            property["maximum"].as_i64(),
        ));
    }
    assert!(
        described
            .iter()
            .all(|(_, min, max)| (*min, *max) == (Some(0), Some(MAX_TIMESTAMP))),
        "{described:?}"
    );

    // The form spelling is text: a pattern for exactly the decimal strings 0..=MAX_TIMESTAMP,
    // and the empty string for null.
    let pattern = schemas["UpdateConversationForm"]["properties"]["archived_at"]["pattern"]
        .as_str()
        .expect("a pattern");
    let pattern = Regex::new(pattern).expect("a pattern the regex crate reads");
    let largest = MAX_TIMESTAMP.to_string();
    for accepted in ["", "0", "705103200", "0705103200", &largest] {
        assert!(pattern.is_match(accepted), "{accepted:?} is described");
        // ... and the server takes what is described.
        let answer = s
            .call("PUT", "/v1/conversations/xgQQXg3hrtjh7AvZ")
            .form(&format!("archived_at={accepted}"))
            .send()
            .expect(200)
            .json();
        let expected = accepted.parse::<i64>().ok();
        assert_eq!(answer["archived_at"].as_i64(), expected, "{accepted:?}");
    }
    let past = (MAX_TIMESTAMP + 1).to_string();
    let i64_max = i64::MAX.to_string();
    for refused in [
        &past,
        &i64_max,
        "99999999999999999999",
        "-1",
        "+1",
        "1.5",
        " 1",
        "1e3",
    ] {
        assert!(!pattern.is_match(refused), "{refused:?} is not described");
    }
}

#[test]
fn a_create_body_is_a_choice_of_complete_objects_each_naming_a_contact_or_a_group() {
    let s = TestServer::start();
    let doc = document(&s);
    for name in ["CreateConversation", "CreateConversationForm"] {
        let schema = &doc["components"]["schemas"][name];
        // Properties beside the choice would be what code generators make the type of, and
        // `{}` fits them: every property lives inside the alternatives.
        assert_eq!(
            (schema.get("properties"), schema.get("type")),
            (None, None),
            "{name}"
        );
        let alternatives = schema["anyOf"].as_array().expect("anyOf");
        let mut named = Vec::new();
        for alternative in alternatives {
            assert_eq!(alternative["type"], "object", "{name}");
            assert_eq!(alternative["additionalProperties"], false, "{name}");
            assert_eq!(
                keys(&alternative["properties"]),
                ["contact_id", "group_id"],
                "{name}"
            );
            let required = required(alternative);
            let schema = &alternative["properties"][&required[0]];
            assert_eq!(
                schema["type"], "string",
                "{name}: a required ID is a string"
            );
            assert_eq!(schema["minLength"], 1, "{name}: a required ID is not empty");
            named.extend(required);
        }
        assert_eq!(named, ["contact_id", "group_id"], "{name}");
    }
    // The server refuses what no alternative takes, and takes what each one does.
    for (body, status) in [
        ("{}", 400),
        (r#"{"contact_id": null, "group_id": null}"#, 400),
        (r#"{"contact_id": "c"}"#, 201),
        (r#"{"contact_id": null, "group_id": "g"}"#, 201),
    ] {
        s.call("POST", "/v1/conversations")
            .json(body)
            .send()
            .expect(status);
    }
    for (body, status) in [
        ("", 400),
        ("contact_id=&group_id=", 400),
        ("contact_id=c&group_id=", 201),
        ("group_id=g", 201),
    ] {
        s.call("POST", "/v1/conversations")
            .form(body)
            .send()
            .expect(status);
    }
}

/// The value of the one example an object (a parameter, a media type) gives.
fn example(node: &Value) -> &Value {
    let examples = node["examples"].as_object().expect("examples");
    assert_eq!(examples.len(), 1, "one example in {node}");
    let (_, example) = examples.iter().next().expect("an example");
    &example["value"]
}

/// The example of a response's JSON content.
fn answer<'a>(operation: &'a Value, status: &str) -> &'a Value {
    example(&operation["responses"][status]["content"]["application/json"])
}

/// A body example as the form text it stands for (`a=1&b=2`).
fn form_text(body: &Value) -> String {
    let pairs = body.as_object().expect("an object");
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let pairs: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", text(v)))
        .collect();
    pairs.join("&")
}

/// The data a documented curl command sends with `-d`, as form text.
fn curl_data(curl: &str) -> String {
    let data: Vec<String> = curl
        .lines()
        .filter_map(|line| line.trim().strip_prefix("-d "))
        .map(|d| d.trim_end_matches('\\').trim().replace(['\'', '"'], ""))
        .collect();
    data.join("&")
}

/// The status and JSON body of a reviewed answer in `snapshots/`.
fn snapshot(name: &str) -> (u16, Value) {
    let path = format!("{}/snapshots/{name}.snap", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("the snapshot exists");
    // A header between two `---` lines, then the status line, then the body.
    let answer = text.splitn(3, "---\n").nth(2).expect("a snapshot header");
    let (status, body) = answer.split_once('\n').expect("a status line");
    (
        status.parse().expect("a status"),
        serde_json::from_str(body).expect("a JSON body"),
    )
}

#[test]
fn the_examples_are_the_documented_calls_and_their_documented_answers() {
    let s = TestServer::start();
    let doc = document(&s);
    for (name, text, base) in [
        (
            "self",
            include_str!("../documents/self-conversations.txt"),
            "/v1",
        ),
        (
            "oblic",
            include_str!("../documents/oblic-conversations.txt"),
            "/external",
        ),
    ] {
        let calls = examples(text);
        let call = |method: &str, on_item: bool| -> &Example {
            calls
                .iter()
                .find(|e| e.method == method && e.curl.contains("/conversations/") == on_item)
                .expect("the documented call")
        };
        let documented = |e: &Example| -> Value {
            serde_json::from_str(e.response.as_deref().expect("a documented answer"))
                .expect("a JSON answer")
        };
        let collection = &doc["paths"][format!("{base}/conversations")];
        let item = &doc["paths"][format!("{base}/conversations/{{id}}")];

        // List: the documented limit; an answer that begins as documented (the documents
        // elide the rest) and is the reviewed one in full.
        let list = call("GET", false);
        let limit = &collection["get"]["parameters"][0];
        assert_eq!(
            format!("limit={}", example(limit)),
            curl_data(&list.curl),
            "{name}"
        );
        let listed = answer(&collection["get"], "200");
        let (shown, _) = list
            .response
            .as_deref()
            .and_then(|r| r.split_once("\n      // ..."))
            .expect("the documented list elides the rest");
        let pretty = serde_json::to_string_pretty(listed).unwrap();
        assert!(pretty.starts_with(shown), "{name}:\n{pretty}\n---\n{shown}");
        assert_eq!((200, listed), (200, &snapshot(&format!("{name}_list")).1));

        // Create and update: the documented body in both encodings, the documented answer.
        for (method, operation, status) in [
            ("POST", &collection["post"], "201"),
            ("PUT", &item["put"], "200"),
        ] {
            let documented_call = call(method, method == "PUT");
            let content = &operation["requestBody"]["content"];
            for encoding in ["application/x-www-form-urlencoded", "application/json"] {
                assert_eq!(
                    form_text(example(&content[encoding])),
                    curl_data(&documented_call.curl),
                    "{name} {method} {encoding}"
                );
            }
            assert_eq!(
                answer(operation, status),
                &documented(documented_call),
                "{name} {method}"
            );
        }
        assert_eq!(
            example(&item["put"]["requestBody"]["content"]["application/json"])["is_muted"],
            true,
            "the JSON example keeps the JSON types"
        );

        // Retrieve, update and delete name the documented conversation.
        let id = example(&item["parameters"][0]).as_str().expect("an ID");
        for method in ["GET", "PUT", "DELETE"] {
            let first_line = call(method, true).curl.lines().next().unwrap_or_default();
            assert!(
                first_line
                    .trim_end_matches('\\')
                    .trim_end()
                    .ends_with(&format!("{base}/conversations/{id}")),
                "{name} {method}: {first_line}"
            );
        }
        assert_eq!(answer(&item["get"], "200"), &documented(call("GET", true)));

        // After the delete, each of them answers the reviewed 404.
        let (status, gone) = snapshot(&format!("{name}_retrieve_after_delete"));
        assert_eq!(status, 404);
        for method in ["get", "put", "delete"] {
            assert_eq!(answer(&item[method], "404"), &gone, "{name} {method}");
        }
    }
}

#[test]
fn the_error_examples_are_what_the_server_answers_in_every_profile() {
    for profile in [Profile::SelfChat, Profile::Oblic, Profile::Protocol] {
        let s = TestServer::with(Config {
            profile,
            ..Config::default()
        });
        let doc = document(&s);
        for base in ["/v1", "/external"] {
            let url = format!("{base}/conversations");
            let item_url = format!("{url}/xgQQXg3hrtjh7AvZ");
            let collection = &doc["paths"][&url];
            let item = &doc["paths"][format!("{url}/{{id}}")];
            let live = |req: Req, status: u16| req.send().expect(status).json();
            let cases = [
                (
                    &collection["get"],
                    "400",
                    live(s.call("GET", &format!("{url}?limit=0")), 400),
                ),
                (
                    &collection["post"],
                    "400",
                    live(s.call("POST", &url).form(""), 400),
                ),
                (
                    &item["put"],
                    "400",
                    live(s.call("PUT", &item_url).json(r#"{"created_at": 0}"#), 400),
                ),
                (
                    &collection["get"],
                    "401",
                    live(Req::new(s.addr, "GET", &url), 401),
                ),
                (
                    &item["delete"],
                    "401",
                    live(Req::new(s.addr, "DELETE", &item_url), 401),
                ),
                (
                    &collection["post"],
                    "413",
                    live(
                        s.call("POST", &url).form(&"a".repeat(MAX_BODY_BYTES + 1)),
                        413,
                    ),
                ),
                (
                    &item["put"],
                    "415",
                    live(s.call("PUT", &item_url).body_as("text/plain", b"x"), 415),
                ),
            ];
            for (operation, status, answered) in &cases {
                assert_eq!(
                    answer(operation, status),
                    answered,
                    "{profile} {} {status}",
                    operation["operationId"]
                );
            }
            // The documented conversation, once deleted (by the first base path's turn).
            s.call("DELETE", &item_url).send();
            for method in ["GET", "PUT", "DELETE"] {
                let answered = live(s.call(method, &item_url), 404);
                let operation = &item[method.to_lowercase()];
                assert_eq!(answer(operation, "404"), &answered, "{profile} {method}");
            }
            // Any other status, such as a fault rule's.
            Req::new(s.addr, "POST", "/__admin/faults")
                .json(&format!(
                    r#"{{"path": "{url}", "status": 503, "count": 1}}"#
                ))
                .send()
                .expect(201);
            let answered = live(s.call("GET", &url), 503);
            assert_eq!(
                answer(&collection["get"], "default"),
                &answered,
                "{profile}"
            );
        }
    }
}

/// Follows the links of an answer: each linked operation's path under the same base, with
/// its `id` read from `body` at the link's JSON pointer, sorted by method (DELETE first).
fn follow(doc: &Value, base: &str, links: &Value, body: &Value) -> Vec<(String, String)> {
    let mut targets = Vec::new();
    for (name, link) in links.as_object().expect("links") {
        let operation_id = link["operationId"].as_str().expect("an operationId");
        let (template, method) = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(t, item)| {
                let item = item.as_object().unwrap();
                item.iter().map(move |(m, op)| (t, m, op))
            })
            .find(|(_, _, op)| op["operationId"] == operation_id)
            .map(|(t, m, _)| (t.clone(), m.to_uppercase()))
            .unwrap_or_else(|| panic!("{name}: no operation {operation_id}"));
        assert!(
            template.starts_with(&format!("{base}/")),
            "{name}: {template}"
        );
        let expression = link["parameters"]["id"].as_str().expect("the id parameter");
        let pointer = expression
            .strip_prefix("$response.body#")
            .expect("an id from the body");
        let id = body
            .pointer(pointer)
            .and_then(Value::as_str)
            .expect("an ID there");
        targets.push((method, template.replace("{id}", id)));
    }
    targets.sort();
    targets
}

#[test]
fn a_created_conversation_links_to_its_retrieve_update_and_delete_under_the_same_base() {
    let s = TestServer::start();
    let doc = document(&s);
    for base in ["/v1", "/external"] {
        let url = format!("{base}/conversations");
        let created = s.call("POST", &url).form("group_id=g").send().expect(201);
        let id = created.id();
        let links = &doc["paths"][&url]["post"]["responses"]["201"]["links"];
        let targets = follow(&doc, base, links, &created.json());
        let path = format!("{url}/{id}");
        let expected: Vec<(String, String)> = ["DELETE", "GET", "PUT"]
            .iter()
            .map(|m| (m.to_string(), path.clone()))
            .collect();
        assert_eq!(targets, expected, "{base}");
        // Followed in the order a client would: read, change, delete.
        s.call("GET", &path).send().expect(200);
        s.call("PUT", &path)
            .form("is_pinned=true")
            .send()
            .expect(200);
        s.call("DELETE", &path).send().expect(204);
    }
}

#[test]
fn a_full_workspace_answers_the_described_429() {
    let limit = convmock::config::DEFAULT_MAX_OBJECTS;
    let conversations: Vec<String> = (0..limit)
        .map(|i| format!(r#"{{"id": "c{i}", "created_at": {i}}}"#))
        .collect();
    let fixtures = convmock::Fixtures::parse(
        "full",
        &format!(r#"{{"conversations": [{}]}}"#, conversations.join(",")),
    )
    .expect("valid fixtures");
    let s = TestServer::with(Config {
        fixtures,
        ..Config::default()
    });
    let doc = document(&s);
    for base in ["/v1", "/external"] {
        let url = format!("{base}/conversations");
        let answered = s
            .call("POST", &url)
            .form("contact_id=a")
            .send()
            .expect(429)
            .json();
        let described = answer(&doc["paths"][&url]["post"], "429");
        assert_eq!(described, &answered, "{base}");
    }
}
