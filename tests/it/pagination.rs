//! The list over a few hundred conversations: order, cursors both ways, filters, and every
//! 400 a list can give.

use crate::support::{TempFile, TestServer, many_fixtures};
use convmock::{Config, Fixtures};
use serde_json::Value;

const N: usize = 300;

fn server() -> (TestServer, Vec<Value>) {
    let text = many_fixtures(N);
    let file = TempFile::new("many.json", &text);
    let s = TestServer::with(Config {
        fixtures: Fixtures::from_file(&file.path).unwrap(),
        ..Config::default()
    });
    let all: Value = serde_json::from_str(&text).unwrap();
    (s, all["conversations"].as_array().unwrap().clone())
}

/// The contract's order, computed independently: `created_at` descending, then the
/// later fixture entry first.
fn expected_order(all: &[Value], keep: impl Fn(&Value) -> bool) -> Vec<String> {
    let mut indexed: Vec<(usize, &Value)> =
        all.iter().enumerate().filter(|(_, c)| keep(c)).collect();
    indexed.sort_by_key(|(i, c)| {
        (
            std::cmp::Reverse(c["created_at"].as_i64().unwrap()),
            std::cmp::Reverse(*i),
        )
    });
    indexed
        .iter()
        .map(|(_, c)| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Walks every page forward from the start, then backward from the end.
fn walk(s: &TestServer, filter: &str, limit: usize) -> (Vec<String>, Vec<String>) {
    let mut forward = Vec::new();
    let mut cursor: Option<String> = None;
    let mut last_page = Vec::new();
    for _ in 0..=N {
        let after = cursor
            .as_ref()
            .map(|c| format!("&starting_after={c}"))
            .unwrap_or_default();
        let r = s
            .get(&format!("/v1/conversations?limit={limit}{filter}{after}"))
            .expect(200);
        let ids = r.ids();
        assert!(ids.len() <= limit);
        forward.extend(ids.iter().cloned());
        let has_more = r.json()["has_more"].as_bool().unwrap();
        if has_more {
            assert_eq!(ids.len(), limit, "a page with more after it is full");
        }
        if !has_more {
            last_page = ids;
            break;
        }
        cursor = ids.last().cloned();
    }
    // Backward: from the first item of the last page, ending_before until has_more is false.
    let mut backward = last_page.clone();
    let mut cursor = last_page.first().cloned();
    while let Some(c) = cursor {
        let r = s
            .get(&format!(
                "/v1/conversations?limit={limit}{filter}&ending_before={c}"
            ))
            .expect(200);
        let ids = r.ids();
        let mut page = ids.clone();
        page.extend(backward);
        backward = page;
        cursor = if r.json()["has_more"].as_bool().unwrap() {
            ids.first().cloned()
        } else {
            None
        };
    }
    (forward, backward)
}

#[test]
fn pages_walk_forward_and_backward_in_the_contracts_order() {
    let (s, all) = server();
    let expected = expected_order(&all, |_| true);
    for limit in [1, 7, 10, 100] {
        let (forward, backward) = walk(&s, "", limit);
        assert_eq!(forward, expected, "forward, limit {limit}");
        assert_eq!(backward, expected, "backward, limit {limit}");
    }
}

#[test]
fn has_more_is_exact_at_the_boundaries() {
    let (s, all) = server();
    let order = expected_order(&all, |_| true);
    let r = s.get("/v1/conversations").expect(200);
    assert_eq!(r.ids(), order[..10], "the default limit is 10");
    assert_eq!(r.json()["has_more"], true);
    // The page that ends exactly at the last conversation has nothing more.
    let r = s
        .get(&format!(
            "/v1/conversations?limit=10&starting_after={}",
            order[N - 11]
        ))
        .expect(200);
    assert_eq!(r.ids(), order[N - 10..]);
    assert_eq!(r.json()["has_more"], false);
    let r = s
        .get(&format!(
            "/v1/conversations?limit=10&starting_after={}",
            order[N - 1]
        ))
        .expect(200);
    assert_eq!(
        (r.ids().len(), &r.json()["has_more"]),
        (0, &Value::Bool(false))
    );
    // Backward to the very start.
    let r = s
        .get(&format!(
            "/v1/conversations?limit=10&ending_before={}",
            order[10]
        ))
        .expect(200);
    assert_eq!(r.ids(), order[..10]);
    assert_eq!(r.json()["has_more"], false);
    let r = s
        .get(&format!(
            "/v1/conversations?limit=10&ending_before={}",
            order[11]
        ))
        .expect(200);
    assert_eq!(r.ids(), order[1..11]);
    assert_eq!(r.json()["has_more"], true);
    let r = s.get("/v1/conversations?limit=100").expect(200);
    assert_eq!(r.ids(), order[..100]);
}

#[test]
fn boolean_and_group_filters_keep_only_matches_both_ways() {
    let (s, all) = server();
    type Keep = Box<dyn Fn(&Value) -> bool>;
    let cases: [(&str, Keep); 9] = [
        ("&muted=true", Box::new(|c| c["is_muted"] == true)),
        ("&muted=false", Box::new(|c| c["is_muted"] == false)),
        ("&archived=true", Box::new(|c| !c["archived_at"].is_null())),
        ("&archived=false", Box::new(|c| c["archived_at"].is_null())),
        ("&pinned=true", Box::new(|c| c["is_pinned"] == true)),
        ("&pinned=false", Box::new(|c| c["is_pinned"] == false)),
        ("&group_id=g2", Box::new(|c| c["group_id"] == "g2")),
        ("&group_id=nobody", Box::new(|_| false)),
        (
            "&muted=false&archived=false&pinned=true&group_id=g1",
            Box::new(|c| {
                c["is_muted"] == false
                    && c["archived_at"].is_null()
                    && c["is_pinned"] == true
                    && c["group_id"] == "g1"
            }),
        ),
    ];
    for (filter, keep) in cases {
        let expected = expected_order(&all, keep);
        let (forward, backward) = walk(&s, filter, 9);
        assert_eq!(forward, expected, "{filter}");
        assert_eq!(backward, expected, "{filter} backward");
    }
    // Absent, archived conversations are listed too.
    let (all_ids, _) = walk(&s, "", 100);
    assert_eq!(all_ids.len(), N);
}

#[test]
fn filters_follow_updates() {
    let (s, _) = server();
    let muted_before = walk(&s, "&muted=true", 100).0;
    let target = s.get("/v1/conversations?muted=false&limit=1").ids()[0].clone();
    s.call("PUT", &format!("/v1/conversations/{target}"))
        .form("is_muted=true")
        .send()
        .expect(200);
    let muted_after = walk(&s, "&muted=true", 100).0;
    assert_eq!(muted_after.len(), muted_before.len() + 1);
    assert!(muted_after.contains(&target));
}

#[test]
fn every_bad_list_parameter_is_a_400_naming_it() {
    let (s, _) = server();
    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-1", "limit"),
        ("limit=2.5", "limit"),
        ("limit=ten", "limit"),
        ("muted=yes", "muted"),
        ("archived=TRUE", "archived"),
        ("pinned=1", "pinned"),
        ("group_id=", "group_id"),
        ("starting_after=c0001&ending_before=c0002", "ending_before"),
        ("starting_after=nope", "starting_after"),
        ("ending_before=nope", "ending_before"),
        ("sort=asc", "sort"),
        ("limit=5&limit=6", "limit"),
    ] {
        let r = s.get(&format!("/v1/conversations?{query}")).expect(400);
        let message = r.json()["error_message"].as_str().unwrap().to_owned();
        assert!(
            message.contains(&format!("'{param}'")),
            "{query}: {message}"
        );
    }
}
