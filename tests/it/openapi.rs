//! `GET /openapi.json`: served without a token, consistent with what the server answers.

use crate::support::{Req, TestServer};
use convmock::{Config, Profile};
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
