//! The dashboard page under /__admin/ui: served from the binary with headers that let it run
//! nothing but its own files, behind the admin API's origin checks but not its token.

use crate::support::TestServer;
use convmock::Config;

fn page(s: &TestServer, path: &str) -> crate::support::Req {
    s.call("GET", path).no_token()
}

#[test]
fn the_dashboard_is_served_with_a_strict_content_security_policy() {
    let s = TestServer::start();
    let r = page(&s, "/__admin/ui").send().expect(200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let csp = r.header("content-security-policy").unwrap_or_default();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r.body.contains("<script src=\"/__admin/ui/app.js\""));
    let js = page(&s, "/__admin/ui/app.js").send().expect(200);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(js.header("x-content-type-options"), Some("nosniff"));
    page(&s, "/__admin/ui/app.css").send().expect(200);
    page(&s, "/__admin/ui/other.js").send().expect(404);
    let r = s.call("POST", "/__admin/ui").no_token().send().expect(405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    // Page loads are not journaled, like every admin call.
    let journal = page(&s, "/__admin/requests").send().expect(200).json();
    assert_eq!(journal["requests"].as_array().map(Vec::len), Some(0));
    // `GET /` points at it.
    assert_eq!(
        page(&s, "/").send().expect(200).json()["dashboard"],
        "/__admin/ui"
    );
}

#[test]
fn the_dashboard_loads_without_the_admin_token_but_reads_nothing_without_it() {
    let s = TestServer::with(Config {
        admin_token: Some("s3cret".into()),
        ..Config::default()
    });
    page(&s, "/__admin/ui").send().expect(200);
    page(&s, "/__admin/requests").send().expect(401);
}

#[test]
fn the_dashboard_is_refused_to_pages_of_other_origins() {
    let s = TestServer::start();
    page(&s, "/__admin/ui")
        .header("Origin", "http://127.0.0.1:1")
        .send()
        .expect(403);
    page(&s, "/__admin/ui/app.js")
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .expect(403);
}
