//! The live event stream: `GET /__admin/events` with `Accept: text/event-stream` answers
//! Server-Sent Events, one record per event as it happens.
//!
//! A stream is a task that follows the [`Bus`] and hands records to the connection through
//! a small channel ([`Content::Live`]); `http` sends each as it comes. A reconnecting client
//! (`Last-Event-ID`) first gets the events the ring still holds after that one, then the live
//! ones: the bus gives both at once ([`Bus::follow`]), so none is sent twice or skipped.
//! Memory stays bounded whatever the client does: a client that reads slowly blocks the task,
//! which then falls behind on the bus and is told how many events it lost (`event: lost`);
//! one that reads nothing loses its connection to the write timeout (`server`). A heartbeat
//! comment every [`HEARTBEAT`] keeps proxies and idle timers from closing a quiet stream; the
//! stream ends when the client leaves or the server shuts down ([`Bus::close`]).

use crate::events::{Bus, Event, LIVE_BACKLOG};
use crate::exchange::Reply;
use std::sync::Weak;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, watch};

/// How often a stream sends `: heartbeat` (a comment every client ignores).
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// How many records wait between a stream's task and its connection: one, so that a reader
/// that does not read holds a record or two (the largest event, a group of 100 members, is
/// about 0.7 MiB of JSON), not a backlog; the events themselves wait in the ring.
const WAITING_RECORDS: usize = 1;

/// The comment a stream opens with, so that the client sees its headers and a first byte
/// at once.
const OPENING: &[u8] = b": convmock events\n\n";

/// Which events a reader takes: those of one workspace (`?token=`) and of one type or
/// family (`?type=`), as the list of them has it.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only the events of this workspace's token.
    pub token: Option<String>,
    /// Only the events this pattern takes (`message.created`, `conversation.*`, `*`).
    pub kind: Option<String>,
}

impl Filter {
    /// Whether this reader takes `event`.
    pub fn takes(&self, event: &Event) -> bool {
        self.token
            .as_deref()
            .is_none_or(|t| event.token.as_deref() == Some(t))
            && self.kind.as_deref().is_none_or(|k| event.matches(k))
    }
}

/// 200 with a live stream of the events `filter` takes; after `last_event_id`, when given,
/// the ones the ring still holds first. Starts the stream's task: call it on the runtime.
pub fn reply(bus: &Bus, filter: Filter, last_event_id: Option<&str>) -> Reply {
    let (held, live) = bus.follow();
    let mut first = vec![OPENING.to_vec()];
    let backlog: Vec<Weak<Event>> = match last_event_id.filter(|id| !id.is_empty()) {
        None => Vec::new(),
        Some(id) => {
            let names = |e: &Weak<Event>| e.upgrade().is_some_and(|e| *e.id == *id);
            let after = match held.iter().rposition(names) {
                Some(at) => at + 1,
                None => {
                    first.push(unknown_id(id));
                    0
                }
            };
            held.into_iter().skip(after).collect()
        }
    };
    let (tx, rx) = mpsc::channel(WAITING_RECORDS);
    tokio::spawn(run(tx, first, backlog, live, filter, bus.closed()));
    Reply::live(rx)
}

/// Sends `first`, then `backlog`, then every live event `filter` takes, with heartbeats,
/// until the client leaves or the bus closes.
async fn run(
    tx: mpsc::Sender<Vec<u8>>,
    first: Vec<Vec<u8>>,
    backlog: Vec<Weak<Event>>,
    mut live: broadcast::Receiver<Weak<Event>>,
    filter: Filter,
    mut closed: watch::Receiver<bool>,
) {
    for record in first {
        if !send(&tx, &mut closed, record).await {
            return;
        }
    }
    // Events are held weakly, here and in the live channel: one the ring let go before this
    // reader got to it is lost, and counted.
    let mut missed = 0;
    for event in backlog {
        let Some(event) = event.upgrade() else {
            missed += 1;
            continue;
        };
        if !filter.takes(&event) {
            continue;
        }
        if missed > 0 && !send(&tx, &mut closed, lagged(std::mem::take(&mut missed))).await {
            return;
        }
        if !send(&tx, &mut closed, record(&event)).await {
            return;
        }
    }
    let start = tokio::time::Instant::now() + HEARTBEAT;
    let mut beat = tokio::time::interval_at(start, HEARTBEAT);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let next = tokio::select! {
            () = closing(&mut closed) => return,
            () = tx.closed() => return,
            got = live.recv() => match got.map(|weak| weak.upgrade()) {
                Ok(Some(event)) if filter.takes(&event) && missed > 0 => {
                    let lost = lagged(std::mem::take(&mut missed));
                    if !send(&tx, &mut closed, lost).await {
                        return;
                    }
                    record(&event)
                }
                Ok(Some(event)) if filter.takes(&event) => record(&event),
                Ok(Some(_)) => continue,
                Ok(None) => {
                    missed += 1;
                    continue;
                }
                Err(RecvError::Lagged(n)) => lagged(n + std::mem::take(&mut missed)),
                Err(RecvError::Closed) => return,
            },
            _ = beat.tick() => b": heartbeat\n\n".to_vec(),
        };
        if !send(&tx, &mut closed, next).await {
            return;
        }
    }
}

/// Hands `record` to the connection, waiting while the client reads; `false` once the
/// client has left or the bus has closed.
pub(crate) async fn send(
    tx: &mpsc::Sender<Vec<u8>>,
    closed: &mut watch::Receiver<bool>,
    record: Vec<u8>,
) -> bool {
    tokio::select! {
        sent = tx.send(record) => sent.is_ok(),
        () = closing(closed) => false,
    }
}

/// Completes when the bus closes (or is gone).
pub(crate) async fn closing(closed: &mut watch::Receiver<bool>) {
    let _ = closed.wait_for(|c| *c).await;
}

/// `id: …\nevent: <type>\ndata: <the event's compact JSON>\n\n`. The JSON is one line:
/// compact JSON escapes every line break inside its strings.
fn record(event: &Event) -> Vec<u8> {
    let kind = event.type_name();
    let mut out = Vec::with_capacity(event.json.len() + event.id.len() + kind.len() + 24);
    out.extend_from_slice(b"id: ");
    out.extend_from_slice(event.id.as_bytes());
    out.extend_from_slice(b"\nevent: ");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    out.extend_from_slice(&event.json);
    out.extend_from_slice(b"\n\n");
    out
}

/// The record of events this reader lost by falling behind.
fn lagged(n: u64) -> Vec<u8> {
    let data = serde_json::json!({
        "reason": "lagged",
        "lost": n,
        "message": format!(
            "This reader fell behind (more than {LIVE_BACKLOG} events, or past what the \
             ring keeps): the oldest {n} were dropped (of every type and workspace, before \
             the filters)."
        ),
    });
    lost(&data)
}

/// The record for a `Last-Event-ID` the ring no longer holds.
fn unknown_id(id: &str) -> Vec<u8> {
    let data = serde_json::json!({
        "reason": "unknown_last_event_id",
        "lost": null,
        "last_event_id": id,
        "message": "The ring no longer holds this event (or never did): some events after it \
                    may be lost; every event the ring holds follows.",
    });
    lost(&data)
}

fn lost(data: &serde_json::Value) -> Vec<u8> {
    format!("event: lost\ndata: {data}\n\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Action, Outbox};
    use crate::exchange::Content;
    use crate::resources::conversations::documented;

    fn publish(bus: &Bus, out: &mut Outbox, n: usize) {
        for _ in 0..n {
            out.emit(Action::Updated, &documented());
        }
        bus.publish(None, out.take());
    }

    async fn next(rx: &mut mpsc::Receiver<Vec<u8>>) -> String {
        String::from_utf8(rx.recv().await.expect("a record")).expect("text")
    }

    fn live(reply: Reply) -> mpsc::Receiver<Vec<u8>> {
        match reply.body {
            Some(Content::Live(rx)) => rx,
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_reader_that_falls_behind_is_told_how_many_it_lost() {
        let bus = Bus::default();
        let mut out = Outbox::new(1);
        let mut rx = live(reply(&bus, Filter::default(), None));
        assert_eq!(next(&mut rx).await, ": convmock events\n\n");
        // Nothing is read meanwhile: the task fills the channel, then the bus passes it.
        let total = LIVE_BACKLOG + 100 + WAITING_RECORDS;
        publish(&bus, &mut out, total);
        // Every event is either read or counted in a report: past the channel's backlog, and
        // once the ring has let it go.
        let mut records = 0;
        let mut lost = 0;
        while records + lost < total {
            let r = next(&mut rx).await;
            if let Some(data) = r.strip_prefix("event: lost\ndata: ") {
                let v: serde_json::Value = serde_json::from_str(data.trim()).unwrap();
                lost += v["lost"].as_u64().map_or(0, |n| n as usize);
            } else {
                assert!(
                    r.starts_with("id: ") && r.contains("\nevent: conversation.updated\n"),
                    "{r}"
                );
                records += 1;
            }
        }
        assert!(lost >= 100, "{lost}");
        bus.close();
        assert!(
            rx.recv().await.is_none(),
            "the stream ends when the bus closes"
        );
    }

    #[tokio::test]
    async fn a_resumed_reader_gets_what_followed_its_last_event_then_live_ones() {
        let bus = Bus::default();
        let mut out = Outbox::new(1);
        publish(&bus, &mut out, 3);
        let held = bus.recent();
        let mut rx = live(reply(&bus, Filter::default(), Some(&held[0].id)));
        next(&mut rx).await;
        for e in &held[1..] {
            assert!(next(&mut rx).await.starts_with(&format!("id: {}\n", e.id)));
        }
        publish(&bus, &mut out, 1);
        let fresh = bus.recent()[3].id.clone();
        assert!(next(&mut rx).await.starts_with(&format!("id: {fresh}\n")));

        let mut rx = live(reply(&bus, Filter::default(), Some("gone")));
        next(&mut rx).await;
        assert!(next(&mut rx).await.contains("\"unknown_last_event_id\""));
        assert!(
            next(&mut rx)
                .await
                .starts_with(&format!("id: {}\n", held[0].id))
        );
    }
}
