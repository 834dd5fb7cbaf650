//! Error bodies in each profile: their shape, their status code, and the field they name.

use crate::support::{Req, TestServer};
use convmock::{Config, Profile};

fn server(profile: Profile) -> TestServer {
    TestServer::with(Config {
        profile,
        ..Config::default()
    })
}

#[test]
fn unknown_conversation_is_404_in_every_profile_exactly_as_the_contract_shows() {
    let cases = [
        (
            Profile::SelfChat,
            "{\n  \"url\": \"/v1/conversations/nope\",\n  \"type\": \"invalid_request\",\n  \"error_code\": \"404\",\n  \"error_message\": \"No such conversation: 'nope'\"\n}\n",
        ),
        (
            Profile::Oblic,
            "{\n  \"status\": \"error\",\n  \"data\": null,\n  \"errors\": [\n    {\n      \"cd\": \"RESOURCE_NOT_FOUND\",\n      \"message\": \"No such conversation: 'nope'\"\n    }\n  ]\n}\n",
        ),
        (
            Profile::Protocol,
            "{\n  \"type\": \"invalid_request\",\n  \"message\": \"No such conversation: 'nope'\",\n  \"documentation_url\": \"https://protocol.chat/docs/errors/invalid_request\"\n}\n",
        ),
    ];
    for (profile, expected) in cases {
        let r = server(profile).get("/v1/conversations/nope").expect(404);
        assert_eq!(r.body, expected, "{profile}");
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
}

#[test]
fn every_error_status_has_the_profiles_shape_and_code() {
    // (request, status, oblic cd)
    type Case = (
        &'static str,
        &'static str,
        Option<&'static str>,
        u16,
        &'static str,
    );
    let cases: [Case; 6] = [
        (
            "GET",
            "/v1/conversations?limit=0",
            None,
            400,
            "INVALID_REQUEST",
        ),
        (
            "GET",
            "/v1/conversations",
            Some("none"),
            401,
            "NOT_AUTHENTICATED",
        ),
        (
            "GET",
            "/v1/conversations/nope",
            None,
            404,
            "RESOURCE_NOT_FOUND",
        ),
        ("PATCH", "/v1/conversations", None, 405, "INVALID_REQUEST"),
        (
            "PUT",
            "/v1/conversations/xgQQXg3hrtjh7AvZ",
            Some("text/csv"),
            415,
            "INVALID_REQUEST",
        ),
        ("GET", "/nowhere", None, 404, "RESOURCE_NOT_FOUND"),
    ];
    for profile in [Profile::SelfChat, Profile::Oblic, Profile::Protocol] {
        let s = server(profile);
        for (method, path, extra, status, cd) in cases {
            let mut req = s.call(method, path);
            match extra {
                Some("none") => req = req.no_token(),
                Some(ct) => req = req.body_as(ct, b"a,b"),
                None => {}
            }
            let r = req.send().expect(status);
            let body = r.json();
            let keys: Vec<&str> = body
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            match profile {
                Profile::SelfChat => {
                    assert_eq!(body["url"], path);
                    assert_eq!(body["type"], "invalid_request");
                    assert_eq!(body["error_code"], status.to_string());
                    assert!(!body["error_message"].as_str().unwrap().is_empty());
                    assert!(r.body.find("\"url\"") < r.body.find("\"error_message\""));
                }
                Profile::Oblic => {
                    assert_eq!(body["status"], "error");
                    assert!(body["data"].is_null());
                    assert_eq!(body["errors"][0]["cd"], cd, "{method} {path}");
                    assert!(!body["errors"][0]["message"].as_str().unwrap().is_empty());
                }
                Profile::Protocol => {
                    assert_eq!(body["type"], "invalid_request");
                    assert_eq!(
                        body["documentation_url"],
                        "https://protocol.chat/docs/errors/invalid_request"
                    );
                    assert!(!body["message"].as_str().unwrap().is_empty());
                }
            }
            let expected_keys = if profile == Profile::SelfChat { 4 } else { 3 };
            assert_eq!(
                keys.len(),
                expected_keys,
                "no key missing or extra: {keys:?}"
            );
        }
    }
}

#[test]
fn oblic_lists_one_entry_per_problem_and_the_others_name_the_first() {
    let path = "/v1/conversations?limit=500&muted=maybe&colour=red";
    let r = server(Profile::Oblic).get(path).expect(400);
    let errors = r.json()["errors"].as_array().unwrap().clone();
    let messages: Vec<&str> = errors
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].contains("'limit'"));
    assert!(messages[1].contains("'muted'"));
    assert!(messages[2].contains("'colour'"));
    assert!(errors.iter().all(|e| e["cd"] == "INVALID_REQUEST"));

    let r = server(Profile::SelfChat).get(path).expect(400);
    assert_eq!(r.json()["url"], path, "the url keeps the query");
    assert!(
        r.json()["error_message"]
            .as_str()
            .unwrap()
            .contains("'limit'")
    );
    let r = server(Profile::Protocol).get(path).expect(400);
    assert!(r.json()["message"].as_str().unwrap().contains("'limit'"));
}

#[test]
fn compact_output_is_one_line_for_answers_and_errors() {
    let s = TestServer::with(Config {
        compact: true,
        ..Config::default()
    });
    let ok = s.get("/v1/conversations/xgQQXg3hrtjh7AvZ").expect(200);
    assert_eq!(ok.body.lines().count(), 1);
    assert!(
        ok.body
            .starts_with(r#"{"id":"xgQQXg3hrtjh7AvZ","contact_id":"WAz8eIbvDR60rouK","#)
    );
    let err = s.get("/v1/conversations/nope").expect(404);
    assert_eq!(err.body.lines().count(), 1);
    assert_eq!(err.json()["error_code"], "404");
}

#[test]
fn an_oversized_body_is_413_in_every_profiles_shape() {
    let big = format!("contact_id={}", "x".repeat(2 << 20));
    for profile in [Profile::SelfChat, Profile::Oblic, Profile::Protocol] {
        let r = server(profile)
            .call("POST", "/v1/conversations")
            .form(&big)
            .send()
            .expect(413);
        let body = r.json();
        match profile {
            Profile::SelfChat => assert_eq!(body["error_code"], "413"),
            Profile::Oblic => assert_eq!(body["errors"][0]["cd"], "INVALID_REQUEST"),
            Profile::Protocol => assert_eq!(body["type"], "invalid_request"),
        }
        assert!(r.body.contains("1 MiB"), "{}", r.body);
    }
}

#[test]
fn the_root_lists_where_everything_is_instead_of_a_404() {
    let s = TestServer::start();
    let r = Req::new(s.addr, "GET", "/").send().expect(200);
    let index = r.json();
    assert_eq!(index["name"], "convmock");
    assert_eq!(index["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(index["api"], serde_json::json!(["/v1", "/external"]));
    assert_eq!(index["openapi"], "/openapi.json");
    assert_eq!(index["admin"], "/__admin/");
    // Each place it names answers; the admin API's lists its calls.
    Req::new(s.addr, "GET", "/openapi.json").send().expect(200);
    let admin = Req::new(s.addr, "GET", "/__admin/")
        .send()
        .expect(200)
        .json();
    let calls = admin["calls"].as_array().expect("a list of calls");
    assert!(
        calls
            .iter()
            .any(|c| c["path"] == "/__admin/reset" && c["methods"] == "POST"),
        "{admin}"
    );
    let unknown = Req::new(s.addr, "GET", "/__admin/nope").send().expect(404);
    assert!(
        unknown.body.contains("GET /__admin/ lists the calls"),
        "{}",
        unknown.body
    );
    Req::new(s.addr, "GET", "/__admin/health")
        .send()
        .expect(200);
    let r = Req::new(s.addr, "POST", "/").send().expect(405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
}

#[test]
fn json_sent_as_a_form_is_told_to_say_it_is_json() {
    let s = TestServer::start();
    for body in [r#"{"contact_id": "a"}"#, " [1]"] {
        let r = s
            .call("POST", "/v1/conversations")
            .form(body)
            .send()
            .expect(400);
        assert!(
            r.json()["error_message"]
                .as_str()
                .is_some_and(|m| m.contains("'Content-Type: application/json'")),
            "{}",
            r.body
        );
    }
    s.call("POST", "/v1/conversations")
        .json(r#"{"contact_id": "a"}"#)
        .send()
        .expect(201);
}

#[test]
fn the_journal_keeps_why_each_request_was_refused() {
    let s = TestServer::start();
    s.get("/v1/conversations/nope").expect(404);
    s.call("GET", "/v1/conversations?limit=0")
        .send()
        .expect(400);
    s.get("/v1/conversations/xgQQXg3hrtjh7AvZ").expect(200);
    let journal = Req::new(s.addr, "GET", "/__admin/requests")
        .send()
        .expect(200);
    let errors: Vec<serde_json::Value> = journal.json()["requests"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["error"].clone())
        .collect();
    assert_eq!(errors[0], "No such conversation: 'nope'");
    assert!(
        errors[1].as_str().is_some_and(|m| m.contains("'limit'")),
        "{}",
        errors[1]
    );
    assert_eq!(errors[2], serde_json::Value::Null);
}
