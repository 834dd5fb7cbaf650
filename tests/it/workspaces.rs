//! Workspaces under `--isolate`: their own `Request-Id` sequences, least-recently-used
//! eviction past `--max-workspaces`, and `DELETE /__admin/workspaces/{token}`.

use crate::support::{Req, TestServer};
use convmock::Config;

fn isolated() -> Config {
    Config {
        isolate: true,
        ..Config::default()
    }
}

fn request_id(r: &crate::support::Resp) -> String {
    r.header("request-id").expect("a Request-Id").to_owned()
}

#[test]
fn under_isolate_each_token_numbers_its_request_ids_from_1() {
    let s = TestServer::with(isolated());
    let list = |token: &str| {
        request_id(
            &s.call("GET", "/v1/conversations")
                .token(token)
                .send()
                .expect(200),
        )
    };
    assert_eq!(list("a"), "req_0000000000000001");
    for _ in 0..5 {
        list("b");
    }
    s.call("GET", "/v1/conversations/nope")
        .token("b")
        .send()
        .expect(404);
    assert_eq!(list("a"), "req_0000000000000002");
    // A's own refused request counts in A's sequence.
    let refused = s
        .call("GET", "/v1/conversations?limit=0")
        .token("a")
        .send()
        .expect(400);
    assert_eq!(request_id(&refused), "req_0000000000000003");
    assert_eq!(list("a"), "req_0000000000000004");
    assert_eq!(list("b"), "req_0000000000000007");
    // What reaches no workspace counts apart: no token, a path outside the API, and the
    // refused first request of a token that has no workspace yet.
    let outside = [
        s.call("GET", "/v1/conversations")
            .no_token()
            .send()
            .expect(401),
        s.get("/elsewhere").expect(404),
        s.call("GET", "/v1/conversations?limit=0")
            .token("c")
            .send()
            .expect(400),
    ];
    let ids: Vec<String> = outside.iter().map(request_id).collect();
    assert_eq!(
        ids,
        [
            "srv_0000000000000001",
            "srv_0000000000000002",
            "srv_0000000000000003"
        ]
    );
    assert_eq!(list("c"), "req_0000000000000001");
    // A reset starts every sequence again.
    Req::new(s.addr, "POST", "/__admin/reset")
        .send()
        .expect(200);
    assert_eq!(list("b"), "req_0000000000000001");
    let outside = s.get("/elsewhere").expect(404);
    assert_eq!(request_id(&outside), "srv_0000000000000001");
}
