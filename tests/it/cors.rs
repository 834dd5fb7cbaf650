//! CORS for pages on another origin, and the headers every response carries.

use crate::support::TestServer;

#[test]
fn a_preflight_needs_no_token_and_allows_the_api_headers() {
    let s = TestServer::start();
    let r = s
        .call("OPTIONS", "/v1/conversations/xgQQXg3hrtjh7AvZ")
        .no_token()
        .header("Origin", "http://localhost:5173")
        .header("Access-Control-Request-Method", "PUT")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type, x-trace",
        )
        .send()
        .expect(204);
    assert_eq!(r.body, "");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, HEAD, PUT, DELETE, OPTIONS")
    );
    let allowed = r
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for h in ["authorization", "content-type", "x-trace"] {
        assert!(allowed.contains(h), "{allowed}");
    }
    assert!(r.header("access-control-max-age").is_some());
    let r = s
        .call("OPTIONS", "/external/conversations")
        .no_token()
        .send()
        .expect(204);
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, HEAD, POST, OPTIONS")
    );
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}

#[test]
fn every_response_allows_the_origin_and_exposes_request_id_and_location() {
    let s = TestServer::start();
    let responses = [
        s.call("GET", "/v1/conversations")
            .header("Origin", "http://app.test")
            .send(),
        s.call("POST", "/v1/conversations")
            .header("Origin", "http://app.test")
            .form("contact_id=a")
            .send(),
        s.call("GET", "/v1/conversations/nope")
            .header("Origin", "http://app.test")
            .send(),
        s.call("GET", "/v1/conversations")
            .no_token()
            .header("Origin", "http://app.test")
            .send(),
        s.call("GET", "/elsewhere")
            .header("Origin", "http://app.test")
            .send(),
    ];
    let mut ids = std::collections::HashSet::new();
    for r in &responses {
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some("http://app.test")
        );
        assert_eq!(r.header("vary"), Some("Origin"));
        let exposed = r.header("access-control-expose-headers").unwrap();
        assert!(exposed.contains("Request-Id") && exposed.contains("Location"));
        let id = r
            .header("request-id")
            .expect("a Request-Id on every response");
        assert!(ids.insert(id.to_owned()), "Request-Ids differ");
    }
    let plain = s.get("/v1/conversations");
    assert_eq!(plain.header("access-control-allow-origin"), Some("*"));
}

#[test]
fn a_preflight_for_an_unknown_path_is_a_404_the_page_can_read() {
    let s = TestServer::start();
    let r = s
        .call("OPTIONS", "/v1/nope")
        .no_token()
        .header("Origin", "http://localhost:3000")
        .send()
        .expect(404);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert_eq!(r.header("access-control-allow-methods"), None);
}

#[test]
fn a_preflight_asking_for_thousands_of_headers_is_answered_at_once() {
    let s = TestServer::start();
    // About 50 KB of distinct names: quadratic matching took a second of CPU per request.
    let names: Vec<String> = (0..9_000).map(|i| format!("x{i:x}")).collect();
    let started = std::time::Instant::now();
    for _ in 0..3 {
        let r = s
            .call("OPTIONS", "/v1/conversations")
            .no_token()
            .header("Origin", "http://localhost:5173")
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", &names.join(","))
            .send()
            .expect(204);
        let allowed = r.header("access-control-allow-headers").unwrap();
        assert_eq!(allowed.split(", ").count(), 2 + names.len());
    }
    // A bound against a hang, not a speed target.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn a_page_on_another_origin_may_read_the_openapi_document_and_the_index() {
    let s = TestServer::start();
    for path in ["/openapi.json", "/"] {
        let r = s
            .call("OPTIONS", path)
            .no_token()
            .header("Origin", "http://localhost:5173")
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "x-trace")
            .send()
            .expect(204);
        assert_eq!(r.header("access-control-allow-methods"), Some("GET, HEAD"));
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some("http://localhost:5173")
        );
    }
}
