//! What one list page costs with 10 and with 1,000,000 conversations in the store.
//!
//! `cargo bench --bench list_page` prints a markdown table for `BENCHMARKS.md`: the median
//! time of one page (`limit=10`) for the first page, a page after a cursor in the middle,
//! a page before that cursor, and a filtered page, each through the store alone and through
//! the whole list operation (query parsing, the page, JSON serialization), with the ratio of
//! the large store to the small one. Every figure is a median of 31 batches measured in
//! the same run, so the ratios are comparable even on a noisy machine.

use convmock::api;
use convmock::fixtures::Fixtures;
use convmock::resources::Conversation;
use convmock::resources::conversations::DESCRIPTION;
use convmock::state::{SharedWorkspace, Workspace, WorkspaceCell};
use convmock::store::ListQuery;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

const BATCHES: usize = 31;
const PER_BATCH: usize = 2_000;

fn fixtures(n: usize) -> Fixtures {
    Fixtures {
        conversations: (0..n)
            .map(|i| {
                let mut c = Conversation::new(
                    format!("c{i:015}").into(),
                    Some(format!("u{i:015}").into()),
                    None,
                    1_600_000_000 + (i / 4) as i64,
                );
                c.is_muted = i % 3 == 0;
                std::sync::Arc::new(c)
            })
            .collect(),
        ..Fixtures::default()
    }
}

/// Median nanoseconds per call of `f`.
fn median_ns(mut f: impl FnMut()) -> f64 {
    for _ in 0..PER_BATCH {
        f();
    }
    let mut samples: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..PER_BATCH {
                f();
            }
            start.elapsed().as_nanos() as f64 / PER_BATCH as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[BATCHES / 2]
}

struct Case {
    name: &'static str,
    /// The smaller store: as small as still gives a full page of ten for this case.
    small_n: usize,
    query: fn(&str) -> String,
}

type SharedWs = SharedWorkspace;

/// A workspace of `n` conversations and the ID in the middle of its list order.
fn build(n: usize) -> (SharedWs, String) {
    let started = Instant::now();
    let ws: SharedWs = Arc::new(WorkspaceCell::new(Workspace::seeded(&fixtures(n), 1)));
    eprintln!("seeded {n} conversations in {:.2?}", started.elapsed());
    let mid = ws
        .read()
        .conversations
        .iter()
        .nth(n / 2)
        .map(|c| c.id.to_string())
        .expect("the store is not empty");
    (ws, mid)
}

fn main() {
    let large_n = 1_000_000;
    let cases = [
        Case {
            name: "first page",
            small_n: 10,
            query: |_| "limit=10".to_owned(),
        },
        Case {
            name: "page after a cursor",
            small_n: 31,
            query: |mid| format!("limit=10&starting_after={mid}"),
        },
        Case {
            name: "page before a cursor",
            small_n: 31,
            query: |mid| format!("limit=10&ending_before={mid}"),
        },
        Case {
            name: "first page, muted=true",
            small_n: 31,
            query: |_| "limit=10&muted=true".to_owned(),
        },
    ];
    let (large, large_mid) = build(large_n);

    println!("| page (`limit=10`) | layer | small store | {large_n} conversations | ratio |");
    println!("|---|---|---:|---:|---:|");
    for case in &cases {
        let (small, small_mid) = build(case.small_n);
        let runs = [
            (&small, (case.query)(&small_mid)),
            (&large, (case.query)(&large_mid)),
        ];
        let store_ns: Vec<f64> = runs
            .iter()
            .map(|(ws, query)| {
                let q: ListQuery = api::list_query(&DESCRIPTION, query).expect("a valid query");
                let ws = ws.read();
                assert_eq!(
                    ws.conversations.list(&q).expect("a page").data.len(),
                    10,
                    "a full page"
                );
                median_ns(|| {
                    let page = ws
                        .conversations
                        .list(black_box(&q))
                        .expect("a known cursor");
                    black_box(page.data.len());
                })
            })
            .collect();
        let api_ns: Vec<f64> = runs
            .iter()
            .map(|(ws, query)| {
                median_ns(|| {
                    let q = api::list_query(&DESCRIPTION, black_box(query)).expect("a valid query");
                    let reply = api::list::<Conversation>(ws, &q, false).expect("a page");
                    black_box(reply.body);
                })
            })
            .collect();
        for (layer, ns) in [("store", &store_ns), ("list operation", &api_ns)] {
            println!(
                "| {} | {layer} | {:.2} µs ({} conversations) | {:.2} µs | {:.2}× |",
                case.name,
                ns[0] / 1000.0,
                case.small_n,
                ns[1] / 1000.0,
                ns[1] / ns[0]
            );
        }
    }
}
