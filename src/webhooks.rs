//! Webhooks: the endpoints that receive events (API.md section 11), and their deliveries.
//!
//! An endpoint is registered at start-up (`--webhook URL`) or through the admin API. The
//! [`Webhooks`] registry listens on the event bus: for each event an endpoint takes, it
//! records a [`Delivery`] and puts it in that endpoint's bounded queue, without waiting (it
//! runs under the lock of the workspace the event happened in). One task per endpoint sends
//! its queue in order, one at a time: a POST of the event's exact bytes, signed with
//! HMAC-SHA256 of the endpoint's secret, retried after 1, 2, 4… seconds. A dead or slow
//! receiver fills only its own queue; past the queue's bound an event is recorded as a
//! failed delivery instead of waiting. Endpoint IDs, secrets and delivery IDs come from the
//! seed, each from a stream of its own, so that registering a webhook never moves an ID the
//! API hands out. The events themselves are made by `events`; the admin calls' routing is
//! in `admin`.

use crate::events::{self, Event, Listener};
use crate::ids::IdGen;
use crate::model::{Problem, clip, describe};
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full, Limited};
use hyper::Uri;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use serde_json::{Map, Value};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Handle;
use tokio::sync::{Notify, watch};
use tokio::task::AbortHandle;

/// The header that carries a delivery's signature.
pub const SIGNATURE_HEADER: &str = "x-protocol-signature";
/// How long a receiver has to answer one attempt (connecting included).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an event was not queued for an endpoint, made once.
fn dropped() -> Arc<str> {
    static DROPPED: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| {
        format!(
            "dropped: {QUEUE_EVENTS} events (or {} MiB) were already waiting for this endpoint; \
             the receiver is too slow or down",
            QUEUE_BYTES >> 20
        )
        .into()
    });
    Arc::clone(&DROPPED)
}

/// How much of a receiver's answer is read (and thrown away) so that its connection can be
/// used again.
const ANSWER_BYTES: usize = 64 << 10;
/// How many times a failed delivery is retried by default (`--webhook-retries`).
pub const DEFAULT_RETRIES: u32 = 3;
/// The most retries `--webhook-retries` takes (the last waits 2^(N-1) seconds).
pub const MAX_RETRIES: u32 = 10;
/// How many endpoints may be registered at once.
pub const MAX_WEBHOOKS: usize = 16;
/// How many events one endpoint's queue holds; past it an event is recorded as failed.
pub const QUEUE_EVENTS: usize = 1000;
/// How many bytes of events one endpoint's queue holds (besides [`ENTRY_OVERHEAD`] each).
pub const QUEUE_BYTES: usize = 16 << 20;
/// How many deliveries the list keeps (the oldest are dropped), like the journal.
pub const MAX_DELIVERIES: usize = 1000;
/// How many bytes of events and errors the delivery list keeps in all (the oldest are
/// dropped past it).
pub const MAX_DELIVERY_BYTES: usize = 32 << 20;
/// What a queued event or a kept delivery costs besides its event's JSON.
const ENTRY_OVERHEAD: usize = 256;
/// The longest URL an endpoint may have.
pub const MAX_URL_LEN: usize = 2048;
/// The longest secret an endpoint may have.
pub const MAX_SECRET_LEN: usize = 256;
/// How long `POST /__admin/webhooks/flush` waits by default, and at most.
pub const FLUSH_TIMEOUT_MS: (u64, u64) = (30_000, 600_000);

/// What sets the endpoints' stream (their IDs and secrets) apart from the records'.
const WEBHOOK_STREAM: u64 = 0x7765_6268_6f6f_6b73;
/// What sets the deliveries' ID stream apart.
const DELIVERY_STREAM: u64 = 0x6465_6c69_7665_7279;

/// What a delivery has come to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Queued, being sent, or waiting to be retried.
    Pending,
    /// A receiver answered 2xx.
    Delivered,
    /// Given up: every attempt failed, the queue was full, or the endpoint was removed.
    Failed,
}

impl State {
    /// Every state, as the admin API names them.
    pub const NAMES: [&'static str; 3] = ["pending", "delivered", "failed"];

    fn name(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Delivered => "delivered",
            State::Failed => "failed",
        }
    }
}

/// How it went so far.
#[derive(Debug)]
struct Progress {
    attempts: u32,
    status: Option<u16>,
    error: Option<Arc<str>>,
    state: State,
    duration_ms: f64,
}

/// One event on its way to one endpoint.
#[derive(Debug)]
pub struct Delivery {
    id: Box<str>,
    webhook: Arc<str>,
    event: Arc<Event>,
    progress: Mutex<Progress>,
}

impl Delivery {
    fn kept_bytes(&self) -> usize {
        ENTRY_OVERHEAD + self.event.json.len()
    }
}

/// `id, webhook, event, attempts, status, error, state, duration_ms`.
impl Serialize for Delivery {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let p = self.progress.lock();
        let mut s = serializer.serialize_struct("Delivery", 8)?;
        s.serialize_field("id", &*self.id)?;
        s.serialize_field("webhook", &*self.webhook)?;
        s.serialize_field("event", &*self.event)?;
        s.serialize_field("attempts", &p.attempts)?;
        s.serialize_field("status", &p.status)?;
        s.serialize_field("error", &p.error)?;
        s.serialize_field("state", p.state.name())?;
        s.serialize_field("duration_ms", &p.duration_ms)?;
        s.end()
    }
}

/// What `POST /__admin/webhooks/flush` answers: deliveries since start-up or the last reset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Delivered.
    pub delivered: u64,
    /// Given up.
    pub failed: u64,
    /// Not yet either.
    pub pending: u64,
}

/// The deliveries of one generation (start-up to reset): the bounded list, the counts, and
/// the generator of their IDs.
#[derive(Debug)]
struct Log {
    inner: Mutex<LogInner>,
    counts: watch::Sender<Counts>,
}

#[derive(Debug)]
struct LogInner {
    ids: IdGen,
    list: VecDeque<Arc<Delivery>>,
    bytes: usize,
}

impl Log {
    fn new(seed: u64) -> Self {
        Log {
            inner: Mutex::new(LogInner {
                ids: IdGen::new(seed ^ DELIVERY_STREAM, []),
                list: VecDeque::new(),
                bytes: 0,
            }),
            counts: watch::Sender::new(Counts::default()),
        }
    }

    /// A new delivery of `event` to `webhook`, listed: pending, or, with `dropped`, failed
    /// at once for that reason.
    fn record(
        &self,
        webhook: &Arc<str>,
        event: &Arc<Event>,
        dropped: Option<&Arc<str>>,
    ) -> Arc<Delivery> {
        let mut inner = self.inner.lock();
        let delivery = Arc::new(Delivery {
            id: inner.ids.next(|_| false),
            webhook: Arc::clone(webhook),
            event: Arc::clone(event),
            progress: Mutex::new(Progress {
                attempts: 0,
                status: None,
                error: dropped.cloned(),
                state: if dropped.is_some() {
                    State::Failed
                } else {
                    State::Pending
                },
                duration_ms: 0.0,
            }),
        });
        inner.bytes += delivery.kept_bytes();
        inner.list.push_back(Arc::clone(&delivery));
        while inner.list.len() > MAX_DELIVERIES || inner.bytes > MAX_DELIVERY_BYTES {
            let Some(old) = inner.list.pop_front() else {
                break;
            };
            inner.bytes -= old.kept_bytes();
        }
        self.counts.send_modify(|c| match dropped {
            Some(_) => c.failed += 1,
            None => c.pending += 1,
        });
        delivery
    }

    /// Ends a pending delivery (once: a later call for the same delivery changes nothing).
    fn finish(&self, delivery: &Delivery, state: State, error: Option<Arc<str>>) {
        {
            let mut p = delivery.progress.lock();
            if p.state != State::Pending {
                return;
            }
            p.state = state;
            if error.is_some() {
                p.error = error;
            }
        }
        self.counts.send_modify(|c| {
            c.pending -= 1;
            match state {
                State::Delivered => c.delivered += 1,
                State::Failed => c.failed += 1,
                State::Pending => {}
            }
        });
    }

    fn find(&self, id: &str) -> Option<Arc<Delivery>> {
        self.inner
            .lock()
            .list
            .iter()
            .find(|d| &*d.id == id)
            .cloned()
    }
}

/// An endpoint as registered.
#[derive(Debug)]
pub struct Registration {
    /// Where events are POSTed (`http://` only).
    pub url: String,
    /// The HMAC key; `None` draws one from the seed.
    pub secret: Option<String>,
    /// Event type patterns (`message.created`, `conversation.*`, `*`); `None` takes all.
    pub events: Option<Vec<String>>,
    /// Under `--isolate`, only the events of this token's workspace.
    pub token: Option<String>,
}

/// One registered endpoint.
#[derive(Debug)]
struct Endpoint {
    id: Arc<str>,
    url: String,
    uri: Uri,
    secret: String,
    events: Vec<String>,
    token: Option<String>,
    queue: Mutex<Queue>,
    wake: Notify,
    task: Mutex<Option<AbortHandle>>,
}

#[derive(Debug, Default)]
struct Queue {
    waiting: VecDeque<Arc<Delivery>>,
    bytes: usize,
    /// The delivery being sent, for a removal to fail it.
    current: Option<Arc<Delivery>>,
}

impl Endpoint {
    fn takes(&self, event: &Event) -> bool {
        self.token
            .as_deref()
            .is_none_or(|t| event.token.as_deref() == Some(t))
            && self.events.iter().any(|p| event.matches(p))
    }

    /// Whether `event` would find the queue full.
    fn is_full(&self, event: &Event) -> bool {
        let queue = self.queue.lock();
        queue.waiting.len() >= QUEUE_EVENTS
            || queue.bytes + ENTRY_OVERHEAD + event.json.len() > QUEUE_BYTES
    }

    /// Queues `delivery`, or fails it at once when the queue is full.
    fn push(&self, log: &Log, delivery: Arc<Delivery>) {
        let mut queue = self.queue.lock();
        let bytes = delivery.kept_bytes();
        if queue.waiting.len() >= QUEUE_EVENTS || queue.bytes + bytes > QUEUE_BYTES {
            drop(queue);
            log.finish(&delivery, State::Failed, Some(dropped()));
            return;
        }
        queue.bytes += bytes;
        queue.waiting.push_back(delivery);
        drop(queue);
        self.wake.notify_one();
    }

    fn next(&self) -> Option<Arc<Delivery>> {
        let mut queue = self.queue.lock();
        let delivery = queue.waiting.pop_front()?;
        queue.bytes -= delivery.kept_bytes();
        queue.current = Some(Arc::clone(&delivery));
        Some(delivery)
    }

    /// Stops its task and fails what it had not delivered.
    fn stop(&self, log: &Log, why: &str) {
        if let Some(task) = self.task.lock().take() {
            task.abort();
        }
        let left: Vec<_> = {
            let mut queue = self.queue.lock();
            queue.bytes = 0;
            queue
                .current
                .take()
                .into_iter()
                .chain(queue.waiting.drain(..))
                .collect()
        };
        for delivery in left {
            log.finish(&delivery, State::Failed, Some(Arc::from(why)));
        }
    }
}

/// `id, url, secret, events, token`.
impl Serialize for Endpoint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Webhook", 5)?;
        s.serialize_field("id", &*self.id)?;
        s.serialize_field("url", &self.url)?;
        s.serialize_field("secret", &self.secret)?;
        s.serialize_field("events", &self.events)?;
        s.serialize_field("token", &self.token)?;
        s.end()
    }
}

/// A start-up endpoint, for the line that shows its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Started {
    /// Its ID.
    pub id: String,
    /// Its URL.
    pub url: String,
    /// Its secret (given with `--webhook-secret`, or drawn from the seed).
    pub secret: String,
}

/// The endpoints of one generation and the generator of their IDs and secrets.
#[derive(Debug)]
struct Hooks {
    endpoints: Vec<Arc<Endpoint>>,
    ids: IdGen,
    log: Arc<Log>,
}

/// Every webhook endpoint, and the deliveries to them. Registered once on the bus.
pub struct Webhooks {
    seed: u64,
    retries: u32,
    isolate: bool,
    startup: Vec<Registration>,
    hooks: RwLock<Hooks>,
    client: Client<HttpConnector, Full<Bytes>>,
    runtime: Mutex<Option<Handle>>,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("endpoints", &self.hooks.read().endpoints.len())
            .finish_non_exhaustive()
    }
}

/// Why a webhook call is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A bad field (400).
    Invalid(Problem),
    /// No such webhook, or delivery (404): which, and the ID.
    Unknown(&'static str, String),
}

impl Webhooks {
    /// No endpoints yet: `start` registers the start-up ones. `retries` is
    /// `--webhook-retries`; `startup` are the `--webhook` endpoints.
    pub fn new(seed: u64, retries: u32, isolate: bool, startup: Vec<Registration>) -> Self {
        Webhooks {
            seed,
            retries,
            isolate,
            startup,
            hooks: RwLock::new(Hooks {
                endpoints: Vec::new(),
                ids: IdGen::new(seed ^ WEBHOOK_STREAM, []),
                log: Arc::new(Log::new(seed)),
            }),
            client: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
            runtime: Mutex::new(None),
        }
    }

    /// Registers the start-up endpoints, their tasks on `runtime` (as every later one's).
    pub fn start(&self, runtime: Handle) -> Result<Vec<Started>, String> {
        *self.runtime.lock() = Some(runtime);
        let mut hooks = self.hooks.write();
        let mut started = Vec::new();
        for registration in &self.startup {
            let endpoint = self
                .add_to(&mut hooks, registration)
                .map_err(|p| format!("--webhook {}: {}", registration.url, p.message))?;
            started.push(Started {
                id: endpoint.id.to_string(),
                url: endpoint.url.clone(),
                secret: endpoint.secret.clone(),
            });
        }
        Ok(started)
    }

    /// Checks and registers an endpoint; its JSON.
    pub fn add(&self, registration: &Registration) -> Result<Value, Refusal> {
        let mut hooks = self.hooks.write();
        if hooks.endpoints.len() >= MAX_WEBHOOKS {
            return Err(Refusal::Invalid(Problem::general(format!(
                "{MAX_WEBHOOKS} webhooks are registered, the most there may be: delete one \
                 (DELETE /__admin/webhooks/{{id}}) first."
            ))));
        }
        let endpoint = self
            .add_to(&mut hooks, registration)
            .map_err(Refusal::Invalid)?;
        Ok(serde_json::to_value(&*endpoint).expect("an endpoint serializes"))
    }

    fn add_to(
        &self,
        hooks: &mut Hooks,
        registration: &Registration,
    ) -> Result<Arc<Endpoint>, Problem> {
        let uri = check_url(&registration.url)?;
        let events = match &registration.events {
            Some(patterns) => check_patterns(patterns)?,
            None => vec!["*".to_owned()],
        };
        if let Some(secret) = &registration.secret
            && (secret.is_empty() || secret.len() > MAX_SECRET_LEN)
        {
            return Err(Problem::param(
                "secret",
                format!("Invalid 'secret': expected 1 to {MAX_SECRET_LEN} bytes."),
            ));
        }
        if registration.token.is_some() && !self.isolate {
            return Err(Problem::param(
                "token",
                "Invalid 'token': without --isolate every token shares the one workspace, so \
                 a webhook takes its events without one.",
            ));
        }
        let id: Arc<str> = Arc::from(hooks.ids.next(|_| false));
        let secret = match &registration.secret {
            Some(secret) => secret.clone(),
            None => format!(
                "whsec_{}{}",
                hooks.ids.next(|_| false),
                hooks.ids.next(|_| false)
            ),
        };
        let endpoint = Arc::new(Endpoint {
            id,
            url: registration.url.clone(),
            uri,
            secret,
            events,
            token: registration.token.clone(),
            queue: Mutex::default(),
            wake: Notify::new(),
            task: Mutex::new(None),
        });
        let sender = Sender {
            endpoint: Arc::clone(&endpoint),
            log: Arc::clone(&hooks.log),
            client: self.client.clone(),
            retries: self.retries,
        };
        let runtime = self
            .runtime
            .lock()
            .clone()
            .or_else(|| Handle::try_current().ok());
        if let Some(runtime) = runtime {
            *endpoint.task.lock() = Some(runtime.spawn(sender.run()).abort_handle());
        }
        hooks.endpoints.push(Arc::clone(&endpoint));
        Ok(endpoint)
    }

    /// Every endpoint's JSON, in the order they were registered.
    pub fn list(&self) -> Vec<Value> {
        self.hooks
            .read()
            .endpoints
            .iter()
            .map(|e| serde_json::to_value(&**e).expect("an endpoint serializes"))
            .collect()
    }

    /// Removes an endpoint; what it had not delivered is failed.
    pub fn remove(&self, id: &str) -> Result<(), Refusal> {
        let (endpoint, log) = {
            let mut hooks = self.hooks.write();
            let at = hooks
                .endpoints
                .iter()
                .position(|e| &*e.id == id)
                .ok_or_else(|| Refusal::Unknown("webhook", clip(id)))?;
            (hooks.endpoints.remove(at), Arc::clone(&hooks.log))
        };
        endpoint.stop(
            &log,
            "the webhook was removed before this event was delivered",
        );
        Ok(())
    }

    /// The deliveries kept, oldest first, that pass `keep`.
    pub fn deliveries(&self, keep: impl Fn(&Filter<'_>) -> bool) -> Vec<Arc<Delivery>> {
        let log = Arc::clone(&self.hooks.read().log);
        let inner = log.inner.lock();
        inner
            .list
            .iter()
            .filter(|d| {
                let p = d.progress.lock();
                keep(&Filter {
                    webhook: &d.webhook,
                    event: &d.event,
                    state: p.state,
                    status: p.status,
                })
            })
            .cloned()
            .collect()
    }

    /// Sends a delivery's event again to its endpoint, as a new delivery; its JSON.
    pub fn replay(&self, id: &str) -> Result<Value, Refusal> {
        let hooks = self.hooks.read();
        let old = hooks
            .log
            .find(id)
            .ok_or_else(|| Refusal::Unknown("delivery", clip(id)))?;
        let endpoint = hooks
            .endpoints
            .iter()
            .find(|e| e.id == old.webhook)
            .ok_or_else(|| Refusal::Unknown("webhook", old.webhook.to_string()))?;
        let delivery = hooks.log.record(&endpoint.id, &old.event, None);
        endpoint.push(&hooks.log, Arc::clone(&delivery));
        Ok(serde_json::to_value(&*delivery).expect("a delivery serializes"))
    }

    /// Waits until nothing is pending, at most `timeout`; the counts, and whether nothing
    /// is pending.
    pub async fn flush(&self, timeout: Duration) -> (Counts, bool) {
        let mut counts = self.hooks.read().log.counts.subscribe();
        let settled = tokio::time::timeout(timeout, counts.wait_for(|c| c.pending == 0))
            .await
            .is_ok();
        let now = *counts.borrow();
        (now, settled)
    }

    /// As at start-up: the endpoints registered through the admin API removed, the start-up
    /// ones registered again (same IDs and secrets), with empty queues; no deliveries.
    pub fn reset(&self) {
        let old = {
            let mut hooks = self.hooks.write();
            let fresh = Hooks {
                endpoints: Vec::new(),
                ids: IdGen::new(self.seed ^ WEBHOOK_STREAM, []),
                log: Arc::new(Log::new(self.seed)),
            };
            let old = std::mem::replace(&mut *hooks, fresh);
            for registration in &self.startup {
                // Checked when they were first registered.
                let _ = self.add_to(&mut hooks, registration);
            }
            old
        };
        for endpoint in &old.endpoints {
            endpoint.stop(&old.log, "a reset removed this delivery");
        }
    }
}

impl Drop for Webhooks {
    fn drop(&mut self) {
        for endpoint in &self.hooks.get_mut().endpoints {
            if let Some(task) = endpoint.task.lock().take() {
                task.abort();
            }
        }
    }
}

impl Listener for Webhooks {
    fn offer(&self, event: &Arc<Event>) {
        let hooks = self.hooks.read();
        for endpoint in hooks.endpoints.iter().filter(|e| e.takes(event)) {
            // This runs under the lock of the event's workspace: an event a full queue drops
            // is listed as failed at once, with a reason made once.
            if endpoint.is_full(event) {
                hooks.log.record(&endpoint.id, event, Some(&dropped()));
                continue;
            }
            let delivery = hooks.log.record(&endpoint.id, event, None);
            endpoint.push(&hooks.log, delivery);
        }
    }
}

/// What the deliveries list filters on.
#[derive(Debug)]
pub struct Filter<'a> {
    /// The endpoint's ID.
    pub webhook: &'a str,
    /// The event.
    pub event: &'a Event,
    /// Where it stands.
    pub state: State,
    /// The last HTTP status.
    pub status: Option<u16>,
}

/// `?status=`: a state by name, or an HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    /// `pending`, `delivered` or `failed`.
    State(State),
    /// The last HTTP status answered.
    Http(u16),
}

impl StatusFilter {
    /// Reads `?status=`.
    pub fn parse(value: &str) -> Result<Self, Problem> {
        let state = match value {
            "pending" => Some(State::Pending),
            "delivered" => Some(State::Delivered),
            "failed" => Some(State::Failed),
            _ => None,
        };
        if let Some(state) = state {
            return Ok(StatusFilter::State(state));
        }
        value
            .parse::<u16>()
            .ok()
            .filter(|s| (100..1000).contains(s))
            .map(StatusFilter::Http)
            .ok_or_else(|| {
                Problem::param(
                    "status",
                    format!(
                        "Invalid value for 'status': '{}' is neither a state ({}) nor an HTTP \
                         status.",
                        clip(value),
                        State::NAMES.join(", ")
                    ),
                )
            })
    }

    /// Whether a delivery passes.
    pub fn passes(self, filter: &Filter<'_>) -> bool {
        match self {
            StatusFilter::State(state) => filter.state == state,
            StatusFilter::Http(status) => filter.status == Some(status),
        }
    }
}

/// Reads `POST /__admin/webhooks`'s body.
pub fn registration(body: &Map<String, Value>) -> Result<Registration, Problem> {
    const KEYS: [&str; 4] = ["url", "secret", "events", "token"];
    if let Some(key) = body.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(Problem::param(
            key,
            format!(
                "Unknown key '{}': a webhook takes {}.",
                clip(key),
                KEYS.join(", ")
            ),
        ));
    }
    let string = |key: &str| -> Result<Option<String>, Problem> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(Problem::param(
                key,
                format!(
                    "Invalid '{key}': expected a string, got {}.",
                    describe(other)
                ),
            )),
        }
    };
    let url = string("url")?.ok_or_else(|| {
        Problem::param(
            "url",
            "Missing 'url': send {\"url\": \"http://127.0.0.1:9000/hook\"}.",
        )
    })?;
    let events = match body.get("events") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_owned).ok_or_else(|| {
                        Problem::param(
                            "events",
                            format!("Invalid 'events': expected strings, got {}.", describe(v)),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(other) => {
            return Err(Problem::param(
                "events",
                format!(
                    "Invalid 'events': expected a list of event types, got {}.",
                    describe(other)
                ),
            ));
        }
    };
    Ok(Registration {
        url,
        secret: string("secret")?,
        events,
        token: string("token")?,
    })
}

/// An endpoint's URL: `http://host[:port]/path`, as hyper reads it.
pub fn check_url(url: &str) -> Result<Uri, Problem> {
    let invalid = |why: &str| {
        Problem::param(
            "url",
            format!(
                "Invalid 'url': {why} (like http://127.0.0.1:9000/hook), got '{}'.",
                clip(url)
            ),
        )
    };
    if url.len() > MAX_URL_LEN {
        return Err(invalid(&format!(
            "expected at most {MAX_URL_LEN} bytes of http:// URL"
        )));
    }
    let uri: Uri = url
        .parse()
        .map_err(|_| invalid("expected an http:// URL"))?;
    if uri.scheme_str() != Some("http") {
        return Err(invalid(
            "only http:// URLs are delivered to, a receiver on this machine or network",
        ));
    }
    if crate::admin::is_admin_path(uri.path()) {
        // Events POSTed to an admin API (this server's, say) would reset it, replay
        // deliveries or add rules on every change.
        return Err(invalid(
            "an admin API's path (/__admin/...) takes no events",
        ));
    }
    match uri.authority() {
        Some(a) if !a.host().is_empty() && !a.as_str().contains('@') => Ok(uri),
        _ => Err(invalid(
            "expected an http:// URL with a host and no user name",
        )),
    }
}

/// A webhook's `events`: at least one, each naming at least one event type.
fn check_patterns(patterns: &[String]) -> Result<Vec<String>, Problem> {
    let invalid = |message: String| Problem::param("events", message);
    if patterns.is_empty() {
        return Err(invalid(
            "Invalid 'events': the list is empty; leave it out to take every event.".to_owned(),
        ));
    }
    let types = events::all_types();
    for pattern in patterns {
        if !types.iter().any(|t| Event::matches_type(t, pattern)) {
            return Err(invalid(format!(
                "Invalid 'events': '{}' is no event type (say 'message.created', \
                 'conversation.*' or '*').",
                clip(pattern)
            )));
        }
    }
    Ok(patterns.to_vec())
}

/// `--webhook URL`, checked as the admin API checks one.
pub fn parse_url(url: &str) -> Result<String, String> {
    check_url(url)
        .map(|_| url.to_owned())
        .map_err(|p| p.message)
}

/// The signature of `body` under `secret`: lowercase hex HMAC-SHA256.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    hex
}

/// What one endpoint's task owns (never the server's state, so that a server's end ends it).
struct Sender {
    endpoint: Arc<Endpoint>,
    log: Arc<Log>,
    client: Client<HttpConnector, Full<Bytes>>,
    retries: u32,
}

impl Sender {
    async fn run(self) {
        loop {
            let Some(delivery) = self.endpoint.next() else {
                self.endpoint.wake.notified().await;
                continue;
            };
            self.deliver(&delivery).await;
            self.endpoint.queue.lock().current = None;
        }
    }

    async fn deliver(&self, delivery: &Delivery) {
        let signature = sign(self.endpoint.secret.as_bytes(), &delivery.event.json);
        for attempt in 0..=self.retries {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(1 << (attempt - 1).min(30))).await;
            }
            let started = Instant::now();
            let answer = tokio::time::timeout(
                ATTEMPT_TIMEOUT,
                self.attempt(Arc::clone(&delivery.event.json), &signature),
            )
            .await;
            let (status, error) = match answer {
                Ok(Ok(status)) if (200..300).contains(&status) => (Some(status), None),
                Ok(Ok(status)) => (
                    Some(status),
                    Some(format!("the receiver answered {status}")),
                ),
                Ok(Err(e)) => (None, Some(e)),
                Err(_) => (
                    None,
                    Some(format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs())),
                ),
            };
            {
                let mut p = delivery.progress.lock();
                p.attempts = attempt + 1;
                p.status = status;
                p.error = error.as_deref().map(Arc::from);
                p.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            }
            if error.is_none() {
                self.log.finish(delivery, State::Delivered, None);
                return;
            }
        }
        self.log.finish(delivery, State::Failed, None);
    }

    /// One POST; the status, or why there was none.
    async fn attempt(&self, body: Arc<[u8]>, signature: &str) -> Result<u16, String> {
        let request = hyper::Request::post(self.endpoint.uri.clone())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(Full::new(Bytes::from_owner(body)))
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| connection_error(&e))?;
        let status = response.status().as_u16();
        // The status is the answer; the body is read (up to a bound, which a receiver has no
        // reason to pass) only so that the connection can carry the next delivery: one left
        // unread is closed, and every event would pay for a new connection.
        let _ = Limited::new(response.into_body(), ANSWER_BYTES)
            .collect()
            .await;
        Ok(status)
    }
}

/// A client error with its causes ("connection refused" is a cause of "client error").
fn connection_error(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_the_lowercase_hex_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn only_http_urls_with_a_host_are_taken() {
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        for bad in [
            "https://example.com/hook",
            "127.0.0.1:9000",
            "/hook",
            "http://user@127.0.0.1/",
            "ftp://x/",
            "",
        ] {
            let problem = check_url(bad).expect_err(bad);
            assert_eq!(problem.param.as_deref(), Some("url"), "{bad}");
        }
    }

    #[test]
    fn patterns_must_name_an_event_type() {
        let ok =
            |p: &[&str]| check_patterns(&p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert!(ok(&["*", "message.created", "group.*"]).is_ok());
        for bad in [
            &[][..],
            &["attachment.created"],
            &["message"],
            &["message.sent"],
        ] {
            assert_eq!(ok(bad).unwrap_err().param.as_deref(), Some("events"));
        }
    }

    #[test]
    fn status_filters_take_a_state_or_an_http_status() {
        assert_eq!(
            StatusFilter::parse("failed"),
            Ok(StatusFilter::State(State::Failed))
        );
        assert_eq!(StatusFilter::parse("500"), Ok(StatusFilter::Http(500)));
        assert!(StatusFilter::parse("done").is_err());
    }

    #[test]
    fn ids_and_secrets_come_from_the_seed_and_are_kept_by_a_reset() {
        let startup = || {
            vec![Registration {
                url: "http://127.0.0.1:9/".into(),
                secret: None,
                events: None,
                token: None,
            }]
        };
        let a = Webhooks::new(7, 0, false, startup());
        let b = Webhooks::new(7, 0, false, startup());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (x, y) = (
            a.start(rt.handle().clone()).unwrap(),
            b.start(rt.handle().clone()).unwrap(),
        );
        assert_eq!(x, y);
        assert!(x[0].secret.starts_with("whsec_") && x[0].secret.len() == 38);
        let added = a
            .add(&Registration {
                url: "http://127.0.0.1:9/other".into(),
                secret: Some("s".into()),
                events: Some(vec!["message.*".into()]),
                token: None,
            })
            .unwrap();
        assert_eq!(added["events"], serde_json::json!(["message.*"]));
        assert_eq!(a.list().len(), 2);
        a.reset();
        let kept = a.list();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0]["id"], x[0].id.as_str());
        assert_eq!(kept[0]["secret"], x[0].secret.as_str());
    }

    #[test]
    fn a_url_on_an_admin_api_is_refused_naming_url() {
        let err = check_url("http://127.0.0.1:8080/__admin/reset").unwrap_err();
        assert_eq!(err.param.as_deref(), Some("url"));
        assert!(err.message.contains("/__admin/"), "{}", err.message);
        assert!(check_url("http://127.0.0.1:8080/hook").is_ok());
    }
}
