//! The five operations over real HTTP: what each accepts, what it answers, what it changes.

use crate::support::{TempFile, TestServer, many_fixtures};
use convmock::{Config, Fixtures};
use serde_json::json;

const DOC_ID: &str = "xgQQXg3hrtjh7AvZ";

#[test]
fn create_answers_201_with_location_under_the_same_base_and_lists_it_first() {
    let s = TestServer::start();
    for base in ["/v1", "/external"] {
        let r = s
            .call("POST", &format!("{base}/conversations"))
            .form("contact_id=WAz8eIbvDR60rouK")
            .send()
            .expect(201);
        let c = r.json();
        let id = c["id"].as_str().unwrap();
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(
            r.header("location"),
            Some(format!("{base}/conversations/{id}").as_str())
        );
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(
            c,
            json!({
                "id": id, "contact_id": "WAz8eIbvDR60rouK", "group_id": null,
                "pinned_message_id": null, "is_pinned": false, "is_muted": false,
                "last_active_at": null, "last_opened_at": null,
                "created_at": c["created_at"], "archived_at": null
            })
        );
        let now = convmock::clock::system_now();
        assert!((now - c["created_at"].as_i64().unwrap()).abs() < 60);
        // Both bases are one store: the other base retrieves it, and the list shows it first.
        let other = if base == "/v1" { "/external" } else { "/v1" };
        let got = s.get(&format!("{other}/conversations/{id}")).expect(200);
        assert_eq!(got.body, r.body);
        assert_eq!(s.get(&format!("{other}/conversations")).ids()[0], id);
    }
}

#[test]
fn create_accepts_json_and_a_group_or_both() {
    let s = TestServer::start();
    let c = s
        .call("POST", "/v1/conversations")
        .json(r#"{"group_id": "G1"}"#)
        .send()
        .expect(201)
        .json();
    assert_eq!(
        (c["group_id"].as_str(), c["contact_id"].is_null()),
        (Some("G1"), true)
    );
    let both = s
        .call("POST", "/v1/conversations")
        .form("contact_id=C1&group_id=G2")
        .send()
        .expect(201)
        .json();
    assert_eq!(
        (both["contact_id"].as_str(), both["group_id"].as_str()),
        (Some("C1"), Some("G2"))
    );
    // An empty form value counts as absent.
    let c = s
        .call("POST", "/v1/conversations")
        .form("contact_id=C3&group_id=")
        .send()
        .expect(201)
        .json();
    assert!(c["group_id"].is_null());
}

#[test]
fn create_without_a_contact_or_group_is_400_naming_them() {
    let s = TestServer::with(Config {
        profile: convmock::Profile::Oblic,
        ..Config::default()
    });
    for body in ["", "contact_id=", "contact_id=&group_id="] {
        let r = s
            .call("POST", "/v1/conversations")
            .form(body)
            .send()
            .expect(400);
        let message = r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            message.contains("contact_id") && message.contains("group_id"),
            "{message}"
        );
    }
    let r = s
        .call("POST", "/v1/conversations")
        .json("{}")
        .send()
        .expect(400);
    assert!(r.body.contains("contact_id"));
    let before = s.get("/v1/conversations").body;
    let r = s
        .call("POST", "/v1/conversations")
        .form("contact_id=C&is_muted=true")
        .send()
        .expect(400);
    assert!(r.body.contains("'is_muted'"), "{}", r.body);
    let r = s
        .call("POST", "/v1/conversations")
        .json(r#"{"contact_id": 5}"#)
        .send()
        .expect(400);
    assert!(
        r.body.contains("'contact_id'") && r.body.contains("string"),
        "{}",
        r.body
    );
    assert_eq!(
        s.get("/v1/conversations").body,
        before,
        "a refused create stores nothing"
    );
}

#[test]
fn retrieve_answers_the_conversation_and_changes_nothing() {
    let s = TestServer::start();
    let list = s.get("/v1/conversations").body;
    let a = s.get(&format!("/v1/conversations/{DOC_ID}")).expect(200);
    let b = s
        .get(&format!("/external/conversations/{DOC_ID}"))
        .expect(200);
    assert_eq!(a.body, b.body);
    assert_eq!(a.json()["id"], DOC_ID);
    assert_eq!(s.get("/v1/conversations").body, list);
}

#[test]
fn unknown_ids_are_404_for_retrieve_update_and_delete() {
    let s = TestServer::start();
    let r = s.get("/v1/conversations/nope").expect(404);
    assert_eq!(r.json()["error_message"], "No such conversation: 'nope'");
    s.call("PUT", "/v1/conversations/nope")
        .form("is_muted=true")
        .send()
        .expect(404);
    s.call("DELETE", "/external/conversations/nope")
        .send()
        .expect(404);
}

#[test]
fn update_changes_only_the_fields_sent() {
    let s = TestServer::start();
    let path = format!("/v1/conversations/{DOC_ID}");
    let before = s.get(&path).json();
    let after = s
        .call("PUT", &path)
        .form("is_pinned=true")
        .send()
        .expect(200)
        .json();
    let mut expected = before.clone();
    expected["is_pinned"] = json!(true);
    assert_eq!(after, expected);

    let r = s
        .call("PUT", &path)
        .form("pinned_message_id=M1&archived_at=705200000&is_muted=true")
        .send()
        .expect(200)
        .json();
    assert_eq!(
        (
            &r["pinned_message_id"],
            &r["archived_at"],
            &r["is_muted"],
            &r["is_pinned"]
        ),
        (&json!("M1"), &json!(705200000), &json!(true), &json!(true))
    );
    // An empty form value is null: unpin the message, unarchive.
    let r = s
        .call("PUT", &path)
        .form("pinned_message_id=&archived_at=")
        .send()
        .expect(200)
        .json();
    assert!(r["pinned_message_id"].is_null() && r["archived_at"].is_null());
    // JSON, with null and booleans.
    let r = s
        .call("PUT", &path)
        .json(r#"{"archived_at": 1, "is_muted": false, "pinned_message_id": null}"#)
        .send()
        .expect(200)
        .json();
    assert_eq!(
        (&r["archived_at"], &r["is_muted"]),
        (&json!(1), &json!(false))
    );
    let r = s
        .call("PUT", &path)
        .json(r#"{"archived_at": null}"#)
        .send()
        .expect(200)
        .json();
    assert!(r["archived_at"].is_null());
    // The change is stored, not just echoed.
    assert_eq!(s.get(&path).json(), r);
}

#[test]
fn an_empty_update_returns_the_conversation_unchanged() {
    let s = TestServer::start();
    let path = format!("/v1/conversations/{DOC_ID}");
    let before = s.get(&path).body;
    assert_eq!(s.call("PUT", &path).send().expect(200).body, before);
    assert_eq!(
        s.call("PUT", &path).form("").send().expect(200).body,
        before
    );
    assert_eq!(
        s.call("PUT", &path).json("{}").send().expect(200).body,
        before
    );
}

#[test]
fn update_rejects_read_only_unknown_and_mistyped_fields_by_name() {
    let s = TestServer::start();
    let path = format!("/v1/conversations/{DOC_ID}");
    let before = s.get(&path).body;
    for field in [
        "id",
        "contact_id",
        "group_id",
        "last_active_at",
        "last_opened_at",
        "created_at",
    ] {
        let r = s
            .call("PUT", &path)
            .form(&format!("{field}=1"))
            .send()
            .expect(400);
        let message = r.json()["error_message"].as_str().unwrap().to_owned();
        assert!(
            message.contains(&format!("'{field}'")) && message.contains("read-only"),
            "{message}"
        );
    }
    let r = s.call("PUT", &path).form("nickname=x").send().expect(400);
    assert!(r.body.contains("'nickname'"), "{}", r.body);
    for (body, field, expected) in [
        ("is_muted=yes", "is_muted", "boolean"),
        ("is_pinned=1", "is_pinned", "boolean"),
        ("archived_at=yesterday", "archived_at", "timestamp"),
        ("archived_at=-1", "archived_at", "timestamp"),
    ] {
        let r = s.call("PUT", &path).form(body).send().expect(400);
        let message = r.json()["error_message"].as_str().unwrap().to_owned();
        assert!(
            message.contains(&format!("'{field}'")) && message.contains(expected),
            "{message}"
        );
    }
    for (body, field, expected) in [
        (r#"{"is_muted": "true"}"#, "is_muted", "boolean"),
        (r#"{"archived_at": 1.5}"#, "archived_at", "timestamp"),
        (r#"{"pinned_message_id": 3}"#, "pinned_message_id", "string"),
        (r#"{"created_at": 3}"#, "created_at", "read-only"),
        (r#"{"id": "x"}"#, "id", "read-only"),
        (
            r#"{"is_muted": true, "is_muted": false}"#,
            "is_muted",
            "more than once",
        ),
    ] {
        let r = s.call("PUT", &path).json(body).send().expect(400);
        let message = r.json()["error_message"].as_str().unwrap().to_owned();
        assert!(
            message.contains(&format!("'{field}'")) && message.contains(expected),
            "{message}"
        );
    }
    let long = format!("pinned_message_id={}", "m".repeat(256));
    let r = s.call("PUT", &path).form(&long).send().expect(400);
    assert!(
        r.body.contains("an ID is 1 to 255 characters"),
        "{}",
        r.body
    );
    // Four-byte characters would make 255 characters 1,020 bytes: IDs use the ID alphabet.
    let wide = format!("pinned_message_id={}", "%F0%9F%98%80".repeat(255));
    let r = s.call("PUT", &path).form(&wide).send().expect(400);
    assert!(r.body.contains("'pinned_message_id'"), "{}", r.body);
    s.call("POST", "/v1/conversations")
        .json(r#"{"contact_id": "Frank McCallister"}"#)
        .send()
        .expect(400);
    // A refused update changes nothing, even when another field in it was valid.
    s.call("PUT", &path)
        .form("is_muted=true&id=x")
        .send()
        .expect(400);
    assert_eq!(s.get(&path).body, before);
}

#[test]
fn timestamps_past_2_53_minus_1_are_refused_naming_the_field_and_the_limit() {
    use convmock::model::MAX_TIMESTAMP;
    let s = TestServer::start();
    let path = format!("/v1/conversations/{DOC_ID}");
    let before = s.get(&path).body;
    let past = MAX_TIMESTAMP + 1;
    for r in [
        s.call("PUT", &path)
            .form(&format!("archived_at={past}"))
            .send(),
        s.call("PUT", &path)
            .json(&format!(r#"{{"archived_at": {past}}}"#))
            .send(),
        s.call("PUT", &path)
            .json(&format!(r#"{{"archived_at": {}}}"#, i64::MAX))
            .send(),
    ] {
        let message = r.expect(400).json()["error_message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            message.contains("'archived_at'") && message.contains(&MAX_TIMESTAMP.to_string()),
            "{message}"
        );
    }
    assert_eq!(s.get(&path).body, before);
    // The largest one JavaScript holds exactly is taken, and read back unchanged.
    let r = s
        .call("PUT", &path)
        .json(&format!(r#"{{"archived_at": {MAX_TIMESTAMP}}}"#))
        .send()
        .expect(200);
    assert_eq!(r.json()["archived_at"], MAX_TIMESTAMP);
}

#[test]
fn delete_is_204_then_404_for_good() {
    let s = TestServer::start();
    let path = format!("/external/conversations/{DOC_ID}");
    let r = s.call("DELETE", &path).send().expect(204);
    assert_eq!(r.body, "");
    assert_eq!(r.header("content-type"), None);
    s.get(&path).expect(404);
    s.get(&format!("/v1/conversations/{DOC_ID}")).expect(404);
    s.call("DELETE", &path).send().expect(404);
    s.call("PUT", &path)
        .form("is_muted=true")
        .send()
        .expect(404);
    assert!(
        !s.get("/v1/conversations")
            .ids()
            .contains(&DOC_ID.to_owned())
    );
}

#[test]
fn head_answers_like_get_without_a_body() {
    let s = TestServer::start();
    for path in [
        "/v1/conversations",
        "/external/conversations/xgQQXg3hrtjh7AvZ",
    ] {
        let get = s.get(path).expect(200);
        let head = s.call("HEAD", path).send().expect(200);
        assert_eq!(head.body, "");
        assert_eq!(head.header("content-length"), get.header("content-length"));
        assert_eq!(head.header("content-type"), Some("application/json"));
    }
    s.call("HEAD", "/v1/conversations/nope").send().expect(404);
}

#[test]
fn other_methods_are_405_with_allow_and_unknown_paths_404() {
    let s = TestServer::start();
    for (method, path, allow) in [
        ("DELETE", "/v1/conversations", "GET, HEAD, POST, OPTIONS"),
        ("PUT", "/external/conversations", "GET, HEAD, POST, OPTIONS"),
        (
            "POST",
            "/v1/conversations/x",
            "GET, HEAD, PUT, DELETE, OPTIONS",
        ),
        (
            "PATCH",
            "/external/conversations/x",
            "GET, HEAD, PUT, DELETE, OPTIONS",
        ),
    ] {
        let r = s.call(method, path).send().expect(405);
        assert_eq!(r.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(r.json()["error_code"], "405");
    }
    for path in [
        "/index.html",
        "/v2/conversations",
        "/v1/contactz",
        "/v1/conversations/a/b",
        "/v1/conversations/",
    ] {
        let r = s.get(path).expect(404);
        assert_eq!(r.json()["type"], "invalid_request");
    }
}

#[test]
fn bodies_are_checked_for_type_size_and_syntax() {
    let s = TestServer::start();
    let path = format!("/v1/conversations/{DOC_ID}");
    let r = s
        .call("PUT", &path)
        .body_as("text/plain", b"is_muted=true")
        .send()
        .expect(415);
    assert!(r.body.contains("text/plain"), "{}", r.body);
    let r = s
        .call("PUT", &path)
        .json(r#"{"is_muted": tru"#)
        .send()
        .expect(400);
    assert!(r.body.contains("not valid JSON"), "{}", r.body);
    let r = s.call("PUT", &path).json("[true]").send().expect(400);
    assert!(r.body.contains("must be an object"), "{}", r.body);
    // A body needs a Content-Type; parameters on it are fine.
    let r = s
        .call("PUT", &path)
        .body_as("", b"is_muted=true")
        .no_content_type()
        .send()
        .expect(415);
    assert!(r.body.contains("no Content-Type"), "{}", r.body);
    let r = s
        .call("PUT", &path)
        .body_as("application/json; charset=utf-8", br#"{"is_muted": true}"#)
        .send()
        .expect(200);
    assert_eq!(r.json()["is_muted"], true);
    let r = s.call("PUT", &path).form("is_muted=%ZZ").send().expect(400);
    assert!(r.body.contains("'is_muted'"), "{}", r.body);
    // Over 1 MiB: 413, whether the length is declared or not.
    let big = format!("pinned_message_id={}", "x".repeat(1 << 20));
    let r = s.call("PUT", &path).form(&big).send().expect(413);
    assert!(r.body.contains("1 MiB"), "{}", r.body);
    let r = s
        .call("POST", "/v1/conversations")
        .form(&big)
        .chunked()
        .send();
    assert_eq!(r.status, 413, "{}", r.body);
    // Exactly 1 MiB is read in full (here a valid update padded with empty segments).
    let fits = format!("is_muted=true{}", "&".repeat((1 << 20) - 13));
    assert_eq!(fits.len(), 1 << 20);
    let r = s.call("PUT", &path).form(&fits).send().expect(200);
    assert_eq!(r.json()["is_muted"], true);
}

#[test]
fn ids_are_16_alphanumerics_and_never_repeat() {
    let fixtures = TempFile::new("few.json", &many_fixtures(3));
    let s = TestServer::with(Config {
        fixtures: Fixtures::from_file(&fixtures.path).unwrap(),
        ..Config::default()
    });
    let mut seen = std::collections::HashSet::new();
    for _ in 0..60 {
        let c = s
            .call("POST", "/v1/conversations")
            .form("contact_id=c")
            .send()
            .expect(201)
            .json();
        let id = c["id"].as_str().unwrap().to_owned();
        assert!(
            id.len() == 16 && id.bytes().all(|b| b.is_ascii_alphanumeric()),
            "{id}"
        );
        s.call("DELETE", &format!("/v1/conversations/{id}"))
            .send()
            .expect(204);
        assert!(seen.insert(id));
    }
}

#[test]
fn creates_in_the_same_second_list_latest_first() {
    let s = TestServer::with(Config {
        clock: Some(1_700_000_000),
        ..Config::default()
    });
    let ids: Vec<String> = (0..4)
        .map(|i| {
            s.call("POST", "/v1/conversations")
                .form(&format!("contact_id=c{i}"))
                .send()
                .expect(201)
                .id()
        })
        .collect();
    let listed = s.get("/v1/conversations?limit=4").ids();
    let newest_first: Vec<String> = ids.into_iter().rev().collect();
    assert_eq!(listed, newest_first);
}

#[test]
fn an_integral_float_timestamp_is_stored_as_exactly_that_integer() {
    let s = TestServer::start();
    let path = "/v1/conversations/xgQQXg3hrtjh7AvZ";
    for (sent, stored) in [
        ("9007199254740991.0", 9_007_199_254_740_991_i64),
        ("90071992547409910e-1", 9_007_199_254_740_991),
        ("1234567890123457.0", 1_234_567_890_123_457),
    ] {
        let r = s
            .call("PUT", path)
            .json(&format!(r#"{{"archived_at": {sent}}}"#))
            .send()
            .expect(200);
        assert_eq!(r.json()["archived_at"], stored, "{sent}");
    }
}
