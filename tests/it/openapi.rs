//! `GET /openapi.json`: served without a token, consistent with what the server answers.

use crate::support::{Req, TestServer};
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
