//! How long each create takes while a workspace's stores grow to 1,000,000 records.
//!
//! `cargo bench --bench create_growth` grows one workspace, in process (no HTTP, no lock
//! contention), by 1,000,000 creates of each resource in turn (a contact or a group also
//! creates its conversation; every message goes to one conversation and moves its
//! `last_active_at`), timing every create alone, and prints a markdown table for
//! `BENCHMARKS.md`: the median, p99, p99.9 and largest time of one create, and how many took
//! more than 1 ms. A store whose index grew by rehashing the whole of it made the create
//! that crossed each threshold wait for that copy; those creates are the largest figures.
//! The times are wall-clock on whatever machine runs it: a busy machine adds preemptions
//! to the tail, so the count of creates over 1 ms is the figure to compare between builds
//! run in one session.

use convmock::fixtures::Fixtures;
use convmock::resources::{Contact, Conversation, Group, Message, Owned, Patch, Record};
use convmock::state::Workspace;
use convmock::workspace::{Held, Room};
use std::time::Instant;

const CREATES: usize = 1_000_000;
const NOW: i64 = 1_700_000_000;

/// Times `CREATES` creates of `R` with `patch` and prints one table row.
fn grow<R: Held>(ws: &mut Workspace, patch: &Patch) {
    let mut ns: Vec<u64> = Vec::with_capacity(CREATES);
    for _ in 0..CREATES {
        let start = Instant::now();
        let created = ws.create::<R>(patch, NOW, Room::UNBOUNDED, false);
        let took = start.elapsed();
        assert!(created.is_ok(), "a create within the limit succeeds");
        ns.push(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
    }
    let over_1ms = ns.iter().filter(|&&t| t > 1_000_000).count();
    ns.sort_unstable();
    let at = |q: f64| ns[((ns.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
    println!(
        "| {} | {:.2} µs | {:.2} µs | {:.1} µs | {:.1} ms | {over_1ms} |",
        R::DESCRIPTION.plural,
        at(0.5),
        at(0.99),
        at(0.999),
        at(1.0) / 1000.0,
    );
}

/// A patch of one text field of `R`.
fn text<R: Record>(field: &str, value: &str) -> Patch {
    let (number, _) = R::DESCRIPTION
        .field(field)
        .expect("the resource has the field");
    Patch(vec![(number, Owned::Text(Some(value.into())))])
}

fn main() {
    let mut ws = Workspace::seeded(&Fixtures::documented(), 1);
    println!("| creates of | median | p99 | p99.9 | largest | over 1 ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    grow::<Conversation>(&mut ws, &text::<Conversation>("contact_id", "c"));
    grow::<Contact>(&mut ws, &text::<Contact>("username", "u"));
    grow::<Group>(&mut ws, &text::<Group>("name", "g"));
    grow::<Message>(
        &mut ws,
        &text::<Message>("conversation_id", "xgQQXg3hrtjh7AvZ"),
    );
}
