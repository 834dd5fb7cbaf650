//! The journal, live: `GET /__admin/requests` with `Accept: text/event-stream` answers
//! Server-Sent Events, one record per request as it is journaled.
//!
//! A stream first sends the entries the journal holds (those its filters take), then
//! `event: ready`, then each new entry as `event: request` (the entry as the list shows it),
//! and `event: cleared` when the journal is emptied (a reset, `DELETE /__admin/requests`).
//! Like the event stream (`live`), it is a task that hands records to the connection through
//! a small channel: a reader that falls more than [`LIVE_BACKLOG`] entries behind loses the
//! oldest and is told how many (`event: lost`); memory stays bounded whatever it does.
//! Entries that come together go out together, in one write. A heartbeat comment keeps a
//! quiet stream open; it ends when the client leaves or the server shuts down. The entries
//! themselves are kept by `journal`.

use crate::exchange::{Content, Reply, Status};
use crate::journal::{Change, Entry, Journal, LIVE_BACKLOG};
use crate::live::{HEARTBEAT, closing, send};
use std::sync::Arc;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, mpsc, watch};

/// How many writes wait between a stream's task and its connection.
const WAITING_WRITES: usize = 16;

/// How many changes one write carries at most.
const BATCH: usize = 256;

/// The comment a stream opens with, so that the client sees its headers at once.
const OPENING: &[u8] = b": convmock requests\n\n";

/// 200 with a live stream of the entries `keep` takes: those held first, then each new one.
/// Starts the stream's task: call it on the runtime.
pub fn reply(
    journal: &Journal,
    keep: impl Fn(&Entry) -> bool + Send + 'static,
    closed: watch::Receiver<bool>,
) -> Reply {
    let (held, live) = journal.follow(&keep);
    let (tx, rx) = mpsc::channel(WAITING_WRITES);
    tokio::spawn(run(tx, held, live, keep, closed));
    Reply {
        status: Status::OK,
        body: Some(Content::Live(rx)),
        location: None,
    }
}

async fn run(
    tx: mpsc::Sender<Vec<u8>>,
    held: Vec<Arc<Entry>>,
    mut live: broadcast::Receiver<Change>,
    keep: impl Fn(&Entry) -> bool,
    mut closed: watch::Receiver<bool>,
) {
    let mut first = OPENING.to_vec();
    for (i, entry) in held.iter().enumerate() {
        write_entry(&mut first, entry);
        if (i + 1) % BATCH == 0 && !send(&tx, &mut closed, std::mem::take(&mut first)).await {
            return;
        }
    }
    first.extend_from_slice(
        format!("event: ready\ndata: {{\"held\": {}}}\n\n", held.len()).as_bytes(),
    );
    drop(held);
    if !send(&tx, &mut closed, first).await {
        return;
    }
    let start = tokio::time::Instant::now() + HEARTBEAT;
    let mut beat = tokio::time::interval_at(start, HEARTBEAT);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let mut out = Vec::new();
        tokio::select! {
            () = closing(&mut closed) => return,
            () = tx.closed() => return,
            got = live.recv() => {
                if !write_change(&mut out, got, &keep) {
                    return;
                }
                // What else has come meanwhile goes in the same write.
                for _ in 1..BATCH {
                    let more = match live.try_recv() {
                        Ok(change) => Ok(change),
                        Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
                        Err(TryRecvError::Closed) => Err(RecvError::Closed),
                        Err(TryRecvError::Empty) => break,
                    };
                    if !write_change(&mut out, more, &keep) {
                        return;
                    }
                }
            }
            _ = beat.tick() => out.extend_from_slice(b": heartbeat\n\n"),
        }
        if !out.is_empty() && !send(&tx, &mut closed, out).await {
            return;
        }
    }
}

/// Writes the record of one change, if `keep` takes it; `false` once the journal is gone.
fn write_change(
    out: &mut Vec<u8>,
    got: Result<Change, RecvError>,
    keep: &impl Fn(&Entry) -> bool,
) -> bool {
    match got {
        Ok(Change::Recorded(entry)) if keep(&entry) => write_entry(out, &entry),
        Ok(Change::Recorded(_)) => {}
        Ok(Change::Cleared) => out.extend_from_slice(b"event: cleared\ndata: {}\n\n"),
        Err(RecvError::Lagged(n)) => {
            let data = serde_json::json!({
                "reason": "lagged",
                "lost": n,
                "message": format!(
                    "This reader fell more than {LIVE_BACKLOG} requests behind: the oldest \
                     {n} were dropped (before the filters)."
                ),
            });
            out.extend_from_slice(format!("event: lost\ndata: {data}\n\n").as_bytes());
        }
        Err(RecvError::Closed) => return false,
    }
    true
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
    use crate::exchange::Method;

    fn entry(path: &str) -> Entry {
        let mut e = Entry::new(1, Method::Get, path, Some("t"));
        e.status = Some(200);
        e
    }

    async fn next(rx: &mut mpsc::Receiver<Vec<u8>>) -> String {
        String::from_utf8(rx.recv().await.expect("a write")).expect("text")
    }

    /// A stream's writes, and what keeps it from being told the server is closing.
    fn stream(
        journal: &Journal,
        keep: impl Fn(&Entry) -> bool + Send + 'static,
    ) -> (mpsc::Receiver<Vec<u8>>, watch::Sender<bool>) {
        let (closer, closed) = watch::channel(false);
        match reply(journal, keep, closed).body {
            Some(Content::Live(rx)) => (rx, closer),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_follower_gets_the_held_entries_then_each_new_one_its_filter_takes() {
        let journal = Journal::new(10);
        journal.record(entry("/v1/held"));
        let (mut rx, _open) = stream(&journal, |e| e.path() != "/v1/skipped");
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
        journal.record(entry("/v1/skipped"));
        journal.record(entry("/v1/new"));
        let live = next(&mut rx).await;
        assert!(
            live.contains("\"path\":\"/v1/new\"") && !live.contains("skipped"),
            "{live}"
        );
        journal.clear();
        assert_eq!(next(&mut rx).await, "event: cleared\ndata: {}\n\n");
    }

    #[tokio::test]
    async fn a_follower_that_falls_behind_is_told_how_many_entries_it_lost() {
        let journal = Journal::new(10);
        let (mut rx, closer) = stream(&journal, |_| true);
        next(&mut rx).await;
        for _ in 0..LIVE_BACKLOG + 5 {
            journal.record(entry("/v1/x"));
        }
        let text = next(&mut rx).await;
        assert!(text.starts_with("event: lost\ndata: {"), "{text}");
        assert!(text.contains("\"lost\":5"), "{text}");
        // And the stream ends when the server shuts down.
        closer.send_replace(true);
        while rx.recv().await.is_some() {}
    }
}
