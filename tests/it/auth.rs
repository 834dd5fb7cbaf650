//! Bearer tokens, `--token`, `--no-auth`, and workspaces under `--isolate`.

use crate::support::{Req, TestServer};
use convmock::{Auth, Config};

const DOC: &str = "/v1/conversations/xgQQXg3hrtjh7AvZ";

#[test]
fn every_api_request_needs_a_bearer_token_before_anything_else() {
    let s = TestServer::start();
    for (method, path) in [
        ("GET", "/v1/conversations"),
        ("POST", "/external/conversations"),
        ("GET", DOC),
        ("PUT", DOC),
        ("DELETE", DOC),
        ("PATCH", DOC),
        ("GET", "/v1/unknown"),
        ("GET", "/v1/conversations/nope"),
    ] {
        let r = s.call(method, path).no_token().send().expect(401);
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        assert_eq!(r.json()["error_code"], "401");
    }
    for bad in ["Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "Token abc"] {
        let r = s
            .call("GET", DOC)
            .header("Authorization", bad)
            .send()
            .expect(401);
        assert!(r.body.contains("Bearer"), "{}", r.body);
    }
    // Nothing was deleted by the refused DELETE.
    s.get(DOC).expect(200);
}

#[test]
fn listed_tokens_are_the_only_ones_accepted() {
    let s = TestServer::with(Config {
        auth: Auth::Tokens(vec!["alpha".into(), "beta".into()]),
        ..Config::default()
    });
    s.call("GET", DOC).token("alpha").send().expect(200);
    s.call("GET", DOC).token("beta").send().expect(200);
    let r = s.call("GET", DOC).token("gamma").send().expect(401);
    assert!(r.body.contains("Invalid bearer token"), "{}", r.body);
    s.call("DELETE", DOC).token("gamma").send().expect(401);
    s.call("GET", DOC).token("alpha").send().expect(200);
}

#[test]
fn under_listed_tokens_the_journal_never_shows_one() {
    let s = TestServer::with(Config {
        auth: Auth::Tokens(vec!["alpha-secret".into(), "beta-secret".into()]),
        ..Config::default()
    });
    s.call("GET", DOC).token("beta-secret").send().expect(200);
    s.call("GET", DOC).token("alpha-secret").send().expect(200);
    s.call("GET", DOC).token("alpha-secrex").send().expect(401);
    let journal = Req::new(s.addr, "GET", "/__admin/requests")
        .send()
        .expect(200);
    assert!(!journal.body.contains("secre"), "{}", journal.body);
    let shown: Vec<_> = journal.json()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["token"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(shown, ["<token 2>", "<token 1>", "<unlisted token>"]);
    // A suite that knows its token finds its own requests by it.
    let mine = Req::new(s.addr, "GET", "/__admin/requests?token=alpha-secret").send();
    let mine = mine.json()["requests"].as_array().unwrap().clone();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["token"], "<token 1>");
    // Long tokens that share their kept start (JWTs with the same claims) stay apart.
    let start = format!("eyJ{}", "A".repeat(300));
    let long = TestServer::start();
    for who in ["alice", "bob"] {
        long.call("POST", "/v1/conversations")
            .token(&format!("{start}.{who}"))
            .form(&format!("contact_id={who}"))
            .send()
            .expect(201);
    }
    let alice = Req::new(
        long.addr,
        "GET",
        &format!("/__admin/requests?token={start}.alice"),
    )
    .send();
    let bodies: Vec<_> = alice.json()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["body"].clone())
        .collect();
    assert_eq!(bodies, ["contact_id=alice"]);
    // Without --token a token is a name, not a secret: shown as sent.
    let open = TestServer::start();
    open.call("GET", DOC).token("mine").send().expect(200);
    open.call("GET", DOC).token("theirs").send().expect(200);
    let journal = Req::new(open.addr, "GET", "/__admin/requests?token=mine").send();
    let entries = journal.json()["requests"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["token"], "mine");
}

#[test]
fn no_auth_accepts_requests_without_the_header() {
    let s = TestServer::with(Config {
        auth: Auth::Disabled,
        ..Config::default()
    });
    s.call("GET", DOC).no_token().send().expect(200);
    s.call("GET", DOC).send().expect(200);
}

#[test]
fn without_isolate_every_token_shares_one_store() {
    let s = TestServer::start();
    let c = s
        .call("POST", "/v1/conversations")
        .token("one")
        .form("contact_id=x")
        .send()
        .expect(201)
        .json();
    let path = format!("/external/conversations/{}", c["id"].as_str().unwrap());
    s.call("GET", &path).token("two").send().expect(200);
}

#[test]
fn isolated_tokens_never_see_each_others_changes() {
    let s = TestServer::with(Config {
        isolate: true,
        ..Config::default()
    });
    let fresh_list = s
        .call("GET", "/v1/conversations")
        .token("b")
        .send()
        .expect(200)
        .body;

    let created = s
        .call("POST", "/v1/conversations")
        .token("a")
        .form("group_id=secret")
        .send()
        .expect(201)
        .json();
    let new_path = format!("/v1/conversations/{}", created["id"].as_str().unwrap());
    s.call("PUT", DOC)
        .token("a")
        .form("is_muted=true")
        .send()
        .expect(200);
    s.call("DELETE", "/v1/conversations/hSIhXBhNe8X1d8Et")
        .token("a")
        .send()
        .expect(204);

    // b: the new conversation is 404, the update and delete never happened.
    s.call("GET", &new_path).token("b").send().expect(404);
    s.call("PUT", &new_path)
        .token("b")
        .form("is_muted=true")
        .send()
        .expect(404);
    s.call("DELETE", &new_path).token("b").send().expect(404);
    assert_eq!(
        s.call("GET", DOC).token("b").send().json()["is_muted"],
        false
    );
    s.call("GET", "/v1/conversations/hSIhXBhNe8X1d8Et")
        .token("b")
        .send()
        .expect(200);
    assert_eq!(
        s.call("GET", "/v1/conversations").token("b").send().body,
        fresh_list
    );
    // A third token starts from the fixtures too; a still sees its own changes.
    assert_eq!(
        s.call("GET", "/v1/conversations").token("c").send().body,
        fresh_list
    );
    s.call("GET", &new_path).token("a").send().expect(200);
    assert_eq!(
        s.call("GET", DOC).token("a").send().json()["is_muted"],
        true
    );
    // The two base paths are one API: the same token sees the same workspace on both.
    s.call("GET", &new_path.replace("/v1", "/external"))
        .token("a")
        .send()
        .expect(200);
}

#[test]
fn no_auth_with_isolate_picks_the_workspace_by_token_when_one_is_sent() {
    let s = TestServer::with(Config {
        auth: Auth::Disabled,
        isolate: true,
        ..Config::default()
    });
    s.call("DELETE", DOC).token("mine").send().expect(204);
    s.call("GET", DOC).token("mine").send().expect(404);
    // Without a header (or with Basic credentials) requests share the default workspace.
    s.call("GET", DOC).no_token().send().expect(200);
    s.call("DELETE", DOC)
        .header("Authorization", "Basic dTpw")
        .send()
        .expect(204);
    s.call("GET", DOC).no_token().send().expect(404);
    s.call("GET", DOC).token("other").send().expect(200);
}

#[test]
fn each_isolated_workspace_gets_the_fixtures_and_its_own_id_queue() {
    let fixtures = convmock::Fixtures::parse(
        "inline",
        r#"{"conversations": [{"id": "seeded", "created_at": 1}], "next_ids": ["first", "second"]}"#,
    )
    .unwrap();
    let s = TestServer::with(Config {
        fixtures,
        isolate: true,
        ..Config::default()
    });
    for token in ["a", "b"] {
        let create = |t: &str| {
            s.call("POST", "/v1/conversations")
                .token(t)
                .form("contact_id=x")
                .send()
                .expect(201)
                .id()
        };
        assert_eq!(create(token), "first");
        assert_eq!(create(token), "second");
        assert_eq!(create(token).len(), 16);
        s.call("GET", "/v1/conversations/seeded")
            .token(token)
            .send()
            .expect(200);
    }
}
