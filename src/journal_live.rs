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

use crate::exchange::{Content, Reply, Status};
use crate::journal::{Entry, Marks};
use crate::live::{HEARTBEAT, closing, send};
use crate::state::AppState;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How many writes wait between a stream's task and its connection.
const WAITING_WRITES: usize = 16;

/// How many entries one write carries at most.
const BATCH: usize = 256;

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
    let (tx, rx) = mpsc::channel(WAITING_WRITES);
    let mut first = OPENING.to_vec();
    for entry in &held {
        write_entry(&mut first, entry);
    }
    first.extend_from_slice(
        format!("event: ready\ndata: {{\"held\": {}}}\n\n", held.len()).as_bytes(),
    );
    drop(held);
    tokio::spawn(run(tx, first, state.clone(), at, changes, keep, closed));
    Reply {
        status: Status::OK,
        body: Some(Content::Live(rx)),
        location: None,
    }
}

async fn run(
    tx: mpsc::Sender<Vec<u8>>,
    first: Vec<u8>,
    state: AppState,
    mut at: Marks,
    mut changes: watch::Receiver<Marks>,
    keep: impl Fn(&Entry) -> bool,
    mut closed: watch::Receiver<bool>,
) {
    if !send(&tx, &mut closed, first).await {
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
            let data = serde_json::json!({
                "reason": "lagged",
                "lost": catch.lost,
                "message": format!(
                    "This reader fell behind the journal: the {} oldest requests since its \
                     last read were dropped from the journal before it read them.",
                    catch.lost
                ),
            });
            out.extend_from_slice(format!("event: lost\ndata: {data}\n\n").as_bytes());
        }
        for chunk in catch.entries.chunks(BATCH) {
            for entry in chunk {
                write_entry(&mut out, entry);
            }
            if !send(&tx, &mut closed, std::mem::take(&mut out)).await {
                return;
            }
        }
        if !out.is_empty() && !send(&tx, &mut closed, out).await {
            return;
        }
    }
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
}
