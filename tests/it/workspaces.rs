//! Workspaces under `--isolate`: their own `Request-Id` sequences, least-recently-used
//! eviction past `--max-workspaces`, and `DELETE /__admin/workspaces/{token}`.

use crate::support::{Req, TestServer};
use convmock::Config;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

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

/// One keep-alive connection, for runs of many requests.
struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(s: &TestServer) -> Self {
        let stream = TcpStream::connect(s.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        Conn {
            reader: BufReader::new(stream),
        }
    }

    /// Sends a request (a form body when `form` is given) and reads the answer.
    fn send(&mut self, method: &str, path: &str, token: &str, form: Option<&str>) -> (u16, String) {
        let mut head =
            format!("{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n");
        if let Some(body) = form {
            head.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(form.unwrap_or(""));
        self.reader
            .get_mut()
            .write_all(head.as_bytes())
            .expect("send");
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("a status line");
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status");
        let mut length = 0;
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("a header line");
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("a length");
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).expect("the body");
        (status, String::from_utf8(body).expect("UTF-8"))
    }
}

#[test]
fn ten_thousand_fresh_tokens_run_through_eight_workspaces_and_one_in_use_keeps_its_data() {
    let s = TestServer::with(Config {
        max_workspaces: 8,
        ..isolated()
    });
    let mut conn = Conn::open(&s);
    let (status, created) = conn.send(
        "POST",
        "/v1/conversations",
        "keeper",
        Some("contact_id=kept"),
    );
    assert_eq!(status, 201);
    let kept: serde_json::Value = serde_json::from_str(&created).unwrap();
    let kept_path = format!("/v1/conversations/{}", kept["id"].as_str().unwrap());
    for i in 0..10_000 {
        let token = format!("test-{i}");
        let (status, created) = conn.send("POST", "/v1/conversations", &token, Some("group_id=g"));
        assert_eq!(status, 201, "create {i}: {created}");
        let (status, page) = conn.send("GET", "/v1/conversations?limit=100", &token, None);
        assert_eq!(status, 200, "list {i}: {page}");
        // The new conversation is listed first, above the seven fixtures.
        let id = &created[created.find("\"id\": ").expect("an id")..][..26];
        assert_eq!(page.matches("\"id\": ").count(), 8, "list {i}");
        assert_eq!(page.find("\"id\": "), page.find(id), "list {i}");
        // Used every fourth test, the keeper is never the least recently used of eight.
        if i % 4 == 0 {
            let (status, _) = conn.send("GET", &kept_path, "keeper", None);
            assert_eq!(status, 200, "the keeper's conversation, after {i} tokens");
        }
    }
    // The early tokens' workspaces went; looking at one does not bring it back.
    let view = |token: &str| {
        Req::new(
            s.addr,
            "GET",
            &format!("/__admin/conversations?token={token}"),
        )
        .send()
        .expect(200)
        .json()["conversations"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(view("test-0"), 7);
    assert_eq!(view("test-9999"), 8);
    assert_eq!(view("keeper"), 8);
}

const DOC: &str = "/v1/conversations/xgQQXg3hrtjh7AvZ";

#[test]
fn deleting_a_workspace_frees_its_slot_and_its_data() {
    let s = TestServer::with(Config {
        max_workspaces: 2,
        profile: convmock::Profile::Oblic,
        ..isolated()
    });
    // A token with characters a URL path must escape.
    let odd = "a/b+c%d";
    for token in ["keep", odd] {
        s.call("DELETE", DOC).token(token).send().expect(204);
    }
    Req::new(s.addr, "DELETE", "/__admin/workspaces/a%2Fb+c%25d")
        .send()
        .expect(204);
    let again = Req::new(s.addr, "DELETE", "/__admin/workspaces/a%2Fb%2Bc%25d")
        .send()
        .expect(404);
    assert_eq!(again.json()["errors"][0]["cd"], "RESOURCE_NOT_FOUND");
    assert!(again.body.contains("'a/b+c%d'"), "{}", again.body);
    // The freed slot takes a new token without evicting the other workspace.
    s.call("GET", DOC).token("new").send().expect(200);
    s.call("GET", DOC).token("keep").send().expect(404);
    // The deleted token starts again from the fixtures.
    s.call("GET", DOC).token(odd).send().expect(200);
    Req::new(s.addr, "DELETE", "/__admin/workspaces/%zz")
        .send()
        .expect(400);
    Req::new(s.addr, "GET", "/__admin/workspaces/keep")
        .send()
        .expect(405);
}

#[test]
fn without_isolate_there_is_no_workspace_to_delete() {
    let s = TestServer::start();
    s.get(DOC).expect(200);
    let r = Req::new(s.addr, "DELETE", "/__admin/workspaces/test-token")
        .send()
        .expect(404);
    assert!(r.body.contains("--isolate"), "{}", r.body);
}
