//! Events: what each change of a workspace emits, and the one bus every reader of them
//! reads from.
//!
//! A workspace's operations (`workspace`) record an [`Event`] for each object they create,
//! change or remove, cascades included, in the order API.md section 11 gives; the request
//! that made them hands them to the [`Bus`] while it still holds the workspace's lock, so
//! the bus sees each workspace's events in the order they happened. The bus keeps the last
//! ones in a bounded ring (`GET /__admin/events`), sends them to live subscribers, and
//! offers each to its listeners (the webhook endpoints). Nothing else makes events.

use crate::ids::IdGen;
use crate::resources::{Layout, Record, Resource};
use parking_lot::{Mutex, RwLock};
use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use tokio::sync::{broadcast, watch};

/// What happened to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// It was created.
    Created,
    /// It was changed (by a request, or by a cascade that did not remove it).
    Updated,
    /// It was removed; the payload is the object as it was.
    Deleted,
}

impl Action {
    /// The last part of an event's type.
    pub fn name(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Deleted => "deleted",
        }
    }
}

/// One event: `{"id", "type", "payload"}`, kept as the exact compact JSON a webhook
/// delivery sends and signs.
#[derive(Debug)]
pub struct Event {
    /// Its ID, from the workspace's event stream.
    pub id: Box<str>,
    /// The resource of its object.
    pub resource: Resource,
    /// What happened to it.
    pub action: Action,
    /// The token of the workspace it happened in, under `--isolate`.
    pub token: Option<Arc<str>>,
    /// `{"id":…,"type":…,"payload":…}` on one line, no newline.
    pub json: Arc<[u8]>,
}

impl Event {
    /// `conversation.created`, `message.deleted`, …
    pub fn type_name(&self) -> String {
        type_name(self.resource, self.action)
    }

    /// Whether `pattern` (`message.created`, `conversation.*`, `*`) takes this event.
    pub fn matches(&self, pattern: &str) -> bool {
        // Without making the type's name: this runs for every event and every reader.
        let singular = self.resource.describe().singular;
        match pattern.split_once('.') {
            _ if pattern == "*" => true,
            Some((resource, "*")) => resource == singular,
            Some((resource, action)) => resource == singular && action == self.action.name(),
            None => false,
        }
    }

    /// Whether `pattern` takes events of the type `type_name`.
    pub fn matches_type(type_name: &str, pattern: &str) -> bool {
        match (pattern.split_once('.'), type_name.split_once('.')) {
            _ if pattern == "*" => true,
            (Some((resource, "*")), Some((of, _))) => resource == of,
            _ => pattern == type_name,
        }
    }
}

/// An event in an admin list: its JSON, laid out as the list is.
impl serde::Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let value: serde_json::Value =
            serde_json::from_slice(&self.json).map_err(serde::ser::Error::custom)?;
        value.serialize(s)
    }
}

/// An event type's name.
pub fn type_name(resource: Resource, action: Action) -> String {
    format!("{}.{}", resource.describe().singular, action.name())
}

/// Every event type, in the order of [`Resource::ALL`]: what a webhook takes by default.
pub fn all_types() -> Vec<String> {
    Resource::ALL
        .into_iter()
        .flat_map(|r| {
            [Action::Created, Action::Updated, Action::Deleted]
                .into_iter()
                .map(move |a| type_name(r, a))
        })
        .collect()
}

/// A workspace's events not yet handed to the bus, and the generator of their IDs.
#[derive(Debug)]
pub struct Outbox {
    ids: IdGen,
    pending: Vec<Event>,
}

/// What sets the event IDs' stream apart from the records' (same seed, other numbers), so
/// that events never change the IDs a create hands out.
const EVENT_STREAM: u64 = 0x6576_656e_7473_0001;

impl Outbox {
    /// An empty outbox whose IDs come from `seed`, apart from the records' IDs.
    pub fn new(seed: u64) -> Self {
        Outbox {
            ids: IdGen::new(seed ^ EVENT_STREAM, []),
            pending: Vec::new(),
        }
    }

    /// Records that `record` of `R` was created, changed or removed.
    pub fn emit<R: Record>(&mut self, action: Action, record: &R) {
        let id = self.ids.next(|_| false);
        let resource = R::DESCRIPTION.resource;
        let mut json = Vec::with_capacity(64 + R::SIZE_HINT);
        json.extend_from_slice(b"{\"id\":\"");
        json.extend_from_slice(id.as_bytes());
        json.extend_from_slice(b"\",\"type\":\"");
        json.extend_from_slice(type_name(resource, action).as_bytes());
        json.extend_from_slice(b"\",\"payload\":");
        record.write_json(&mut json, Layout::Compact);
        json.push(b'}');
        self.pending.push(Event {
            id,
            resource,
            action,
            token: None,
            json: json.into(),
        });
    }

    /// The events recorded since the last call, in order.
    pub fn take(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.pending)
    }
}

/// A reader the bus offers each event to (a webhook endpoint). `offer` runs under the
/// lock of the workspace the event happened in: it must only queue, never wait.
pub trait Listener: Send + Sync {
    /// Takes `event`, or lets it pass.
    fn offer(&self, event: &Arc<Event>);
}

/// How many events the ring keeps.
pub const RING_EVENTS: usize = 1000;
/// How many bytes of events the ring keeps (besides [`EVENT_OVERHEAD`] each).
pub const RING_BYTES: usize = 32 << 20;
/// What an event costs besides its JSON, for the ring's byte bound.
const EVENT_OVERHEAD: usize = 128;
/// How many events a live subscriber may fall behind before it loses the oldest.
pub const LIVE_BACKLOG: usize = 1024;

/// The ring of the last events, oldest first.
#[derive(Default)]
struct Ring {
    events: VecDeque<Arc<Event>>,
    bytes: usize,
}

/// Where every event goes.
pub struct Bus {
    ring: Mutex<Ring>,
    live: broadcast::Sender<Weak<Event>>,
    listeners: RwLock<Vec<Arc<dyn Listener>>>,
    /// Set when the server shuts down: live subscribers end.
    closed: watch::Sender<bool>,
}

impl Default for Bus {
    fn default() -> Self {
        Bus {
            ring: Mutex::default(),
            live: broadcast::channel(LIVE_BACKLOG).0,
            listeners: RwLock::default(),
            closed: watch::Sender::new(false),
        }
    }
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("ring", &self.ring.lock().events.len())
            .finish_non_exhaustive()
    }
}

impl Bus {
    /// Hands out the events of one request in the workspace of `token`, in order. Called
    /// under that workspace's lock.
    pub fn publish(&self, token: Option<&str>, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let token: Option<Arc<str>> = token.map(Arc::from);
        let listeners = self.listeners.read();
        let mut ring = self.ring.lock();
        for mut event in events {
            event.token = token.clone();
            let event = Arc::new(event);
            ring.bytes += event.json.len() + EVENT_OVERHEAD;
            ring.events.push_back(Arc::clone(&event));
            while ring.events.len() > RING_EVENTS || ring.bytes > RING_BYTES {
                let Some(old) = ring.events.pop_front() else {
                    break;
                };
                ring.bytes -= old.json.len() + EVENT_OVERHEAD;
            }
            for listener in listeners.iter() {
                listener.offer(&event);
            }
            // Live subscribers hold events weakly: what a slow one has not read yet lives
            // only as long as the ring keeps it, within the ring's byte bound. No
            // subscriber is no error.
            let _ = self.live.send(Arc::downgrade(&event));
        }
    }

    /// The events the ring holds, oldest first.
    pub fn recent(&self) -> Vec<Arc<Event>> {
        self.ring.lock().events.iter().cloned().collect()
    }

    /// A live subscription: every event from now on, with [`broadcast`]'s lag report when
    /// the subscriber falls more than [`LIVE_BACKLOG`] behind.
    pub fn subscribe(&self) -> broadcast::Receiver<Weak<Event>> {
        self.live.subscribe()
    }

    /// The events the ring holds and a live subscription to every later one, taken
    /// together under the ring's lock (which [`Bus::publish`] holds while it sends): each
    /// event is in exactly one of the two, so a reader resuming from the ring sees no event
    /// twice and misses none.
    pub fn follow(&self) -> (Vec<Weak<Event>>, broadcast::Receiver<Weak<Event>>) {
        let ring = self.ring.lock();
        let live = self.live.subscribe();
        (ring.events.iter().map(Arc::downgrade).collect(), live)
    }

    /// Ends every live subscription, now and to come: the server is shutting down.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// What a live subscriber watches to learn that the bus is closed.
    pub fn closed(&self) -> watch::Receiver<bool> {
        self.closed.subscribe()
    }

    /// Adds a listener.
    pub fn listen(&self, listener: Arc<dyn Listener>) {
        self.listeners.write().push(listener);
    }

    /// Removes a listener (by pointer).
    pub fn unlisten(&self, listener: &Arc<dyn Listener>) {
        self.listeners.write().retain(|l| !Arc::ptr_eq(l, listener));
    }

    /// Forgets the ring (a reset).
    pub fn clear(&self) {
        *self.ring.lock() = Ring::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::conversations::documented;

    #[test]
    fn an_event_is_the_compact_object_under_its_type_and_its_own_id_stream() {
        let mut a = Outbox::new(7);
        let mut b = Outbox::new(7);
        let c = documented();
        a.emit(Action::Updated, &c);
        b.emit(Action::Updated, &c);
        let (x, y) = (a.take(), b.take());
        assert_eq!(x[0].json, y[0].json);
        let v: serde_json::Value = serde_json::from_slice(&x[0].json).unwrap();
        assert_eq!(v["type"], "conversation.updated");
        assert_eq!(v["payload"]["id"], "xgQQXg3hrtjh7AvZ");
        assert_eq!(v["id"].as_str().unwrap().len(), 16);
        // Not the IDs a create would draw from the same seed.
        let mut records = IdGen::new(7, []);
        assert_ne!(v["id"].as_str().unwrap(), &*records.next(|_| false));
        assert!(!x[0].json.ends_with(b"\n"));
        assert!(x[0].matches("conversation.*") && x[0].matches("*"));
        assert!(x[0].matches("conversation.updated") && !x[0].matches("message.updated"));
    }

    #[test]
    fn the_ring_keeps_the_last_events() {
        let bus = Bus::default();
        let mut out = Outbox::new(1);
        for _ in 0..RING_EVENTS + 5 {
            out.emit(Action::Created, &documented());
        }
        let events = out.take();
        let fifth = events[5].id.clone();
        bus.publish(None, events);
        let recent = bus.recent();
        assert_eq!(recent.len(), RING_EVENTS);
        assert_eq!(recent[0].id, fifth);
    }

    #[test]
    fn a_follower_gets_each_event_once_from_the_ring_or_live() {
        let bus = Bus::default();
        let mut out = Outbox::new(2);
        out.emit(Action::Created, &documented());
        bus.publish(None, out.take());
        let (held, mut live) = bus.follow();
        out.emit(Action::Updated, &documented());
        bus.publish(None, out.take());
        let next = live.try_recv().unwrap().upgrade().unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(next.action, Action::Updated);
        assert!(live.try_recv().is_err());
        let mut closed = bus.closed();
        bus.close();
        assert!(*closed.borrow_and_update());
    }

    #[test]
    fn a_follower_that_does_not_read_keeps_nothing_the_ring_has_let_go() {
        let bus = Bus::default();
        let (_, mut live) = bus.follow();
        let mut out = Outbox::new(3);
        for _ in 0..RING_EVENTS + 10 {
            out.emit(Action::Created, &documented());
        }
        bus.publish(None, out.take());
        // The first ten left the ring: the follower's handles to them are dead.
        for _ in 0..10 {
            assert!(live.try_recv().unwrap().upgrade().is_none());
        }
        assert!(live.try_recv().unwrap().upgrade().is_some());
    }
}
