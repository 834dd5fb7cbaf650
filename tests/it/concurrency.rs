//! Many clients at once: no lost or torn update, no duplicate ID, no data seen across
//! isolated workspaces; and unknown tokens cost nothing.

use crate::support::{Req, TestServer};
use convmock::{Auth, Config};
use std::collections::HashSet;
use std::sync::Arc;

const DOC: &str = "/v1/conversations/xgQQXg3hrtjh7AvZ";

#[test]
fn concurrent_updates_of_one_conversation_end_in_one_of_the_writes() {
    let s = Arc::new(TestServer::start());
    let writers: Vec<_> = (0..16)
        .map(|i| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                for round in 0..10 {
                    let k = i * 100 + round;
                    s.call("PUT", DOC)
                        .form(&format!(
                            "pinned_message_id=m{k}&archived_at={k}&is_muted={}&is_pinned={}",
                            k % 2 == 0,
                            k % 3 == 0
                        ))
                        .send()
                        .expect(200);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let last = s.get(DOC).json();
    let k = last["archived_at"].as_u64().unwrap();
    // Every field comes from the same write: none was lost half-way.
    assert_eq!(last["pinned_message_id"], format!("m{k}"));
    assert_eq!(last["is_muted"], k.is_multiple_of(2));
    assert_eq!(last["is_pinned"], k.is_multiple_of(3));
    assert!(k % 100 < 10 && k / 100 < 16);
}

#[test]
fn parallel_creates_get_distinct_ids_and_are_all_listed() {
    let s = Arc::new(TestServer::start());
    let creators: Vec<_> = (0..8)
        .map(|i| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                (0..25)
                    .map(|j| {
                        s.call("POST", "/external/conversations")
                            .form(&format!("contact_id=c{i}-{j}"))
                            .send()
                            .expect(201)
                            .id()
                    })
                    .collect::<Vec<String>>()
            })
        })
        .collect();
    let created: Vec<String> = creators
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    let distinct: HashSet<&String> = created.iter().collect();
    assert_eq!(distinct.len(), 200);
    let mut listed = HashSet::new();
    let mut cursor = String::new();
    loop {
        let r = s
            .get(&format!("/v1/conversations?limit=100{cursor}"))
            .expect(200);
        let ids = r.ids();
        listed.extend(ids.iter().cloned());
        if r.json()["has_more"] == false {
            break;
        }
        cursor = format!("&starting_after={}", ids.last().unwrap());
    }
    assert_eq!(listed.len(), 207, "the 200 created and the 7 fixtures");
    assert!(created.iter().all(|id| listed.contains(id)));
}

#[test]
fn sixty_four_isolated_tokens_in_parallel_never_see_each_other() {
    let s = Arc::new(TestServer::with(Config {
        isolate: true,
        ..Config::default()
    }));
    let fixtures: HashSet<String> = s.get("/v1/conversations").ids().into_iter().collect();
    let workers: Vec<_> = (0..64)
        .map(|t| {
            let s = Arc::clone(&s);
            let fixtures = fixtures.clone();
            std::thread::spawn(move || {
                let token = format!("token-{t}");
                let mut mine = HashSet::new();
                for j in 0..5 {
                    let c = s
                        .call("POST", "/v1/conversations")
                        .token(&token)
                        .form(&format!("contact_id={token}&group_id=g{j}"))
                        .send()
                        .expect(201)
                        .json();
                    mine.insert(c["id"].as_str().unwrap().to_owned());
                    let page = s
                        .call("GET", "/v1/conversations?limit=100")
                        .token(&token)
                        .send();
                    for c in page.json()["data"].as_array().unwrap() {
                        let id = c["id"].as_str().unwrap();
                        assert!(
                            fixtures.contains(id) || mine.contains(id),
                            "{token} saw {id}"
                        );
                        if !fixtures.contains(id) {
                            assert_eq!(c["contact_id"], token.as_str());
                        }
                    }
                }
                s.call("DELETE", DOC).token(&token).send().expect(204);
                (token, mine)
            })
        })
        .collect();
    let results: Vec<(String, HashSet<String>)> =
        workers.into_iter().map(|w| w.join().unwrap()).collect();
    // Afterwards, no token can reach another's conversations.
    for (i, (token, _)) in results.iter().enumerate() {
        let (_, other) = &results[(i + 1) % results.len()];
        for id in other {
            let r = Req::new(s.addr, "GET", &format!("/v1/conversations/{id}"))
                .token(token)
                .send();
            assert_eq!(r.status, 404, "{token} reached {id}");
        }
    }
    // Each token deleted its own copy of the documented conversation; a new one still has it.
    s.call("GET", DOC).token("a-new-token").send().expect(200);
}

#[test]
fn a_flood_of_unknown_tokens_creates_no_workspace() {
    let s = TestServer::with(Config {
        isolate: true,
        auth: Auth::Tokens(vec!["known".into()]),
        max_workspaces: 1,
        ..Config::default()
    });
    s.call("DELETE", DOC).token("known").send().expect(204);
    for i in 0..2_000 {
        s.call("GET", "/v1/conversations")
            .token(&format!("stranger-{i}"))
            .send()
            .expect(401);
    }
    // Had any of them made a workspace, it would have taken the place of the real one.
    s.call("GET", DOC).token("known").send().expect(404);
}

#[test]
fn past_the_workspace_bound_a_new_token_takes_the_place_of_the_least_recently_used() {
    let s = TestServer::with(Config {
        isolate: true,
        max_workspaces: 3,
        ..Config::default()
    });
    for t in ["a", "b", "c"] {
        s.call("DELETE", DOC).token(t).send().expect(204);
    }
    s.call("GET", DOC).token("a").send().expect(404);
    // b is now the least recently used: d takes its place.
    s.call("GET", DOC).token("d").send().expect(200);
    for t in ["a", "c"] {
        s.call("GET", DOC).token(t).send().expect(404);
    }
    // b starts again from the fixtures (and d, now least recently used, makes room).
    s.call("GET", DOC).token("b").send().expect(200);
    s.call("GET", DOC).token("a").send().expect(404);
}

#[test]
fn refused_requests_from_new_tokens_create_no_workspace() {
    let s = TestServer::with(Config {
        isolate: true,
        max_workspaces: 1,
        ..Config::default()
    });
    s.call("DELETE", DOC).token("careful").send().expect(204);
    for i in 0..5 {
        let t = format!("careless-{i}");
        s.call("GET", "/v1/conversations?limit=0")
            .token(&t)
            .send()
            .expect(400);
        s.call("POST", "/v1/conversations")
            .token(&t)
            .form("colour=red")
            .send()
            .expect(400);
        s.call("PUT", DOC)
            .token(&t)
            .form("is_muted=maybe")
            .send()
            .expect(400);
    }
    // Had any of them made a workspace, it would have taken the place of this one.
    s.call("GET", DOC).token("careful").send().expect(404);
}
