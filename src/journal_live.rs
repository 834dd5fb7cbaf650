//! The journal, live: `GET /__admin/requests` with `Accept: text/event-stream` answers
//! Server-Sent Events, one record per request as it is journaled.
//!
//! A stream first sends the entries the journal holds (those its filters take), then
//! `event: ready`, then each new entry as `event: request` (the entry as the list shows it),
//! and `event: cleared` when the journal is emptied (a reset, `DELETE /__admin/requests`).
//! A stream holds no entry of its own: its task is woken when the journal moves, waits
//! [`LINGER`] for more, and reads what is new from the journal itself, in a few writes. So a
//! busy journal costs a few wake-ups a second per reader, and a reader that falls behind holds
//! nothing: it loses what the journal drops meanwhile (past `--journal-limit`) and is told how
//! many (`event: lost`). A heartbeat comment keeps a quiet stream open; it ends when the client
//! leaves or the server shuts down. The entries themselves are kept by `journal`.

use crate::exchange::Reply;
use crate::journal::{Entry, Marks};
use crate::live::{HEARTBEAT, closing, send};
use crate::state::AppState;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How many writes wait between a stream's task and its connection: one, so that a reader
/// that does not read holds a write or two, not a backlog.
const WAITING_WRITES: usize = 1;

/// How large a write grows before it is handed to the connection (one entry may take it
/// past: at most about 0.4 MiB, a 64 KiB body of control bytes written as six each).
const WRITE_BYTES: usize = 64 << 10;

/// How long a stream waits after a change for more to come, so that a busy journal is sent
/// a few times a second in a few writes, not in one write per request.
pub const LINGER: Duration = Duration::from_millis(50);

/// The comment a stream opens with, so that the client sees its headers at once.
const OPENING: &[u8] = b": convmock requests\n\n";

/// 200 with a live stream of the entries `keep` takes: those held first, then each new one.
/// Starts the stream's task: call it on the runtime.
pub fn reply(
    state: &AppState,
    keep: impl Fn(&Entry) -> bool + Send + 'static,
    closed: watch::Receiver<bool>,
) -> Reply {
    let (held, at, changes) = state.journal.follow(&keep);
    // Held weakly, and written by the stream's task a write at a time as the client reads:
    // a reader that never reads keeps no entry the journal lets go, and costs a write.
    let held: Vec<Weak<Entry>> = held.iter().map(Arc::downgrade).collect();
    let (tx, rx) = mpsc::channel(WAITING_WRITES);
    tokio::spawn(run(tx, held, state.clone(), at, changes, keep, closed));
    Reply::live(rx)
}

async fn run(
    tx: mpsc::Sender<Vec<u8>>,
    held: Vec<Weak<Entry>>,
    state: AppState,
    mut at: Marks,
    mut changes: watch::Receiver<Marks>,
    keep: impl Fn(&Entry) -> bool,
    mut closed: watch::Receiver<bool>,
) {
    let count = held.len();
    let mut out = OPENING.to_vec();
    if !write_entries(&tx, &mut closed, &mut out, held).await {
        return;
    }
    out.extend_from_slice(format!("event: ready\ndata: {{\"held\": {count}}}\n\n").as_bytes());
    if !send(&tx, &mut closed, out).await {
        return;
    }
    let start = tokio::time::Instant::now() + HEARTBEAT;
    let mut beat = tokio::time::interval_at(start, HEARTBEAT);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = closing(&mut closed) => return,
            () = tx.closed() => return,
            changed = changes.changed() => if changed.is_err() {
                return;
            },
            _ = beat.tick() => {
                if !send(&tx, &mut closed, b": heartbeat\n\n".to_vec()).await {
                    return;
                }
                continue;
            }
        }
        tokio::time::sleep(LINGER).await;
        // Seen before the read, so that a change made during it wakes the next round.
        changes.borrow_and_update();
        let catch = state.journal.since(&mut at, &keep);
        let mut out = Vec::new();
        if catch.cleared {
            out.extend_from_slice(b"event: cleared\ndata: {}\n\n");
        }
        if catch.lost > 0 {
            write_lost(&mut out, catch.lost);
        }
        // Held weakly while they wait for the client, as the first ones are.
        let entries: Vec<Weak<Entry>> = catch.entries.iter().map(Arc::downgrade).collect();
        drop(catch);
        if !write_entries(&tx, &mut closed, &mut out, entries).await {
            return;
        }
        if !out.is_empty() && !send(&tx, &mut closed, out).await {
            return;
        }
    }
}

/// Writes `entries` after what `out` holds, handing each write of about [`WRITE_BYTES`] to
/// the connection as the client reads; one the journal let go meanwhile is counted in an
/// `event: lost`. `false` once the client has left or the server is closing.
async fn write_entries(
    tx: &mpsc::Sender<Vec<u8>>,
    closed: &mut watch::Receiver<bool>,
    out: &mut Vec<u8>,
    entries: Vec<Weak<Entry>>,
) -> bool {
    let mut gone = 0u64;
    for entry in entries {
        match entry.upgrade() {
            Some(entry) => write_entry(out, &entry),
            None => gone += 1,
        }
        if out.len() >= WRITE_BYTES && !send(tx, closed, std::mem::take(out)).await {
            return false;
        }
    }
    if gone > 0 {
        write_lost(out, gone);
    }
    true
}

/// `event: lost`: `lost` entries were dropped from the journal before this reader read them.
fn write_lost(out: &mut Vec<u8>, lost: u64) {
    let data = serde_json::json!({
        "reason": "lagged",
        "lost": lost,
        "message": format!(
            "This reader fell behind the journal: {lost} requests were dropped from the \
             journal before it read them."
        ),
    });
    out.extend_from_slice(format!("event: lost\ndata: {data}\n\n").as_bytes());
}

/// `event: request\ndata: <the entry's compact JSON>\n\n`: compact JSON is one line.
fn write_entry(out: &mut Vec<u8>, entry: &Entry) {
    out.extend_from_slice(b"event: request\ndata: ");
    // Writing to a Vec fails only if the entry cannot be serialized, which it always can.
    if serde_json::to_writer(&mut *out, entry).is_err() {
        out.extend_from_slice(b"null");
    }
    out.extend_from_slice(b"\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::exchange::Content;
    use crate::exchange::Method;

    fn entry(path: &str) -> Entry {
        let mut e = Entry::new(1, Method::Get, path, Some("t"));
        e.status = Some(200);
        e
    }

    async fn next(rx: &mut mpsc::Receiver<Vec<u8>>) -> String {
        String::from_utf8(rx.recv().await.expect("a write")).expect("text")
    }

    /// A server's state with a journal of `limit` entries.
    fn state(limit: usize) -> AppState {
        AppState::new(Config {
            journal_limit: limit,
            ..Config::default()
        })
    }

    /// A stream's writes, and what keeps it from being told the server is closing.
    fn stream(
        state: &AppState,
        keep: impl Fn(&Entry) -> bool + Send + 'static,
    ) -> (mpsc::Receiver<Vec<u8>>, watch::Sender<bool>) {
        let (closer, closed) = watch::channel(false);
        match reply(state, keep, closed).body {
            Some(Content::Live(rx)) => (rx, closer),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_follower_gets_the_held_entries_then_each_new_one_its_filter_takes() {
        let state = state(10);
        state.journal.record(entry("/v1/held"));
        let (mut rx, _open) = stream(&state, |e| e.path() != "/v1/skipped");
        let first = next(&mut rx).await;
        assert!(
            first.starts_with(": convmock requests\n\nevent: request\ndata: {"),
            "{first}"
        );
        assert!(first.contains("\"path\":\"/v1/held\""), "{first}");
        assert!(
            first.ends_with("event: ready\ndata: {\"held\": 1}\n\n"),
            "{first}"
        );
        state.journal.record(entry("/v1/skipped"));
        state.journal.record(entry("/v1/new"));
        let live = next(&mut rx).await;
        assert!(
            live.contains("\"path\":\"/v1/new\"") && !live.contains("skipped"),
            "{live}"
        );
        assert_eq!(live.matches("event: request").count(), 1, "{live}");
        state.journal.clear();
        assert_eq!(next(&mut rx).await, "event: cleared\ndata: {}\n\n");
    }

    #[tokio::test]
    async fn a_follower_that_falls_behind_the_journal_is_told_how_many_entries_it_lost() {
        let state = state(10);
        let (mut rx, closer) = stream(&state, |_| true);
        next(&mut rx).await;
        // Recorded at once: the journal keeps 10 of them by the time the follower reads.
        for _ in 0..15 {
            state.journal.record(entry("/v1/x"));
        }
        let text = next(&mut rx).await;
        assert!(text.starts_with("event: lost\ndata: {"), "{text}");
        assert!(text.contains("\"lost\":5"), "{text}");
        assert_eq!(text.matches("event: request").count(), 10, "{text}");
        // And the stream ends when the server shuts down.
        closer.send_replace(true);
        while rx.recv().await.is_some() {}
    }

    #[tokio::test]
    async fn a_full_journal_is_sent_a_bounded_write_at_a_time() {
        let state = state(1000);
        for n in 0..200 {
            let mut e = entry(&format!("/v1/held/{n}"));
            e.set_body(&[1u8; 8 << 10]);
            state.journal.record(e);
        }
        let (mut rx, _open) = stream(&state, |_| true);
        // 200 entries of 48 KiB of JSON each (control bytes are written as six): nearly
        // 10 MiB, in writes of about 64 KiB, not one.
        let mut writes = Vec::new();
        loop {
            let w = next(&mut rx).await;
            let ready = w.contains("event: ready");
            writes.push(w.len());
            if ready {
                break;
            }
        }
        assert!(writes.len() > 100, "{} writes", writes.len());
        assert!(
            writes.iter().all(|&len| len < 2 * WRITE_BYTES),
            "{writes:?}"
        );
    }
}
