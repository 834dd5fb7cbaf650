//! The HTTP edge: a hyper request in, a hyper response out.
//!
//! This module reads what the API needs from a request (method, path, query, token, a
//! size-limited body), hands it to `router` and `api`, and turns the answer or the error into
//! a response with the headers every response carries: `Request-Id`, CORS and, for JSON,
//! `Content-Type`. It also answers CORS preflights, applies fault rules and `--latency`,
//! journals each request and writes its log line. Every failure becomes a response, except
//! a drop fault, which closes the connection on purpose.

use crate::admin;
use crate::api;
use crate::body::{BodyKind, body_kind, parse_body};
use crate::config::Auth;
use crate::error::{ApiError, MAX_BODY_BYTES};
use crate::exchange::{self, Content, EVENT_STREAM, Live, Pieces, Reply, Status};
use crate::faults::Action;
use crate::guard::{self, AdminCors};
use crate::journal::Entry;
use crate::model::{Fields, Problem};
use crate::router;
use crate::state::{AppState, Reached};
use crate::ui;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body as _, Bytes, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode, Uri};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The response body: one buffer, or pieces made only when hyper is ready to write more
/// (see [`Content`]). An enum, so that the one-buffer case costs no allocation of its own.
pub enum Body {
    /// The whole body.
    Full(Full<Bytes>),
    /// Pieces, made one at a time.
    Pieces(Pieces),
    /// Records sent as they come, until their sender ends.
    Live(Live),
}

impl Body {
    /// A body of these bytes.
    pub fn new(bytes: Bytes) -> Self {
        Body::Full(Full::new(bytes))
    }
}

impl From<Content> for Body {
    fn from(content: Content) -> Self {
        match content {
            Content::Full(body) => Body::new(Bytes::from(body)),
            Content::Pieces(pieces) => Body::Pieces(pieces),
            Content::Live(records) => Body::Live(records),
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::Full(Full::default())
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            Body::Full(full) => Pin::new(full).poll_frame(cx),
            Body::Pieces(pieces) => {
                Poll::Ready(pieces.next().map(|p| Ok(Frame::data(Bytes::from(p)))))
            }
            Body::Live(records) => records
                .poll_recv(cx)
                .map(|r| r.map(|r| Ok(Frame::data(Bytes::from(r))))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Full(full) => full.is_end_stream(),
            Body::Pieces(_) | Body::Live(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(full) => full.size_hint(),
            Body::Pieces(_) | Body::Live(_) => SizeHint::default(),
        }
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
const EXPOSED: HeaderValue = HeaderValue::from_static("Request-Id, Location");
const PREFLIGHT_HEADERS: &str = "Authorization, Content-Type";
/// `Allow` for an injected 405 on a path no route knows.
const ANY_METHOD: &str = "GET, HEAD, POST, PUT, DELETE, OPTIONS";
const JSON: HeaderValue = HeaderValue::from_static("application/json");
const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");
/// Where the OpenAPI description of the emulated API is served.
pub const OPENAPI_PATH: &str = "/openapi.json";
/// Where the index of this server's parts is served.
pub const INDEX_PATH: &str = "/";

/// Why the service gives hyper no response: a drop fault closes the connection instead.
#[derive(Debug)]
pub struct DroppedByFault;

impl std::fmt::Display for DroppedByFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault rule")
    }
}

impl std::error::Error for DroppedByFault {}

/// Answers one request. Every failure becomes the profile's error body; the one exception
/// is a drop fault, which returns an error so that hyper closes the connection unanswered.
pub async fn handle(
    state: AppState,
    req: Request<Incoming>,
) -> Result<Response<Body>, DroppedByFault> {
    let (parts, incoming) = req.into_parts();
    let method = method_of(&parts.method);
    let path = parts.uri.path();
    let url = parts.uri.path_and_query().map_or(path, |pq| pq.as_str());
    let is_admin = admin::is_admin_path(path);
    // Journals and logs the request when it ends, however it ends: answered, dropped by a
    // fault, or abandoned by a client that hung up during a delay.
    let mut record = Record::start(&state, &parts, &method, is_admin);

    // A malformed head, and an admin call from elsewhere, are refused before the body is
    // read or anything else is done.
    let admin_cors = match guard::check_head(&parts).and_then(|()| {
        if is_admin {
            guard::check_admin(&parts, &state.config, state.config.port)
        } else {
            Ok(AdminCors::None)
        }
    }) {
        Ok(cors) => cors,
        Err(err) => {
            let response = record.refuse(&state, &err, url, path);
            record.outcome = Outcome::Answered(response.status());
            let nowhere = Reached::default();
            return Ok(finish(&state, &parts, &nowhere, AdminCors::None, response));
        }
    };

    // The body is read once, bounded in size and time, before anything else, so that the
    // journal shows what was sent whatever the answer; a read error matters only to an
    // operation that needs the body.
    let mut body = read_limited(&parts.headers, incoming, state.config.header_timeout).await;
    if let (Ok(bytes), Some(entry)) = (&body, &mut record.entry) {
        entry.set_body(bytes);
    }
    if is_admin
        && let Ok(bytes) = &body
        && guard::admin_body_must_be_json(&parts.method, bytes)
    {
        let content_type = parts.headers.get(header::CONTENT_TYPE);
        if !matches!(
            body_kind(content_type.map(HeaderValue::as_bytes)),
            Ok(Some(BodyKind::Json))
        ) {
            body = Err(ApiError::AdminNeedsJson {
                content_type: content_type
                    .map(|v| crate::model::clip(&String::from_utf8_lossy(v.as_bytes())))
                    .unwrap_or_default(),
            });
        }
    }

    let mut injected = None;
    if !is_admin {
        // Decided under the faults' lock; slept with no lock held.
        match state.faults.check(parts.method.as_str(), path) {
            Some(Action::Drop) => {
                record.outcome = Outcome::Dropped;
                return Err(DroppedByFault);
            }
            Some(Action::Delay(ms)) => tokio::time::sleep(Duration::from_millis(ms)).await,
            Some(Action::Status(status)) => injected = Some(status),
            None => {}
        }
        if let Some(ms) = state.faults.latency_ms() {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }

    let mut reached = Reached::default();
    let preflight_for = (parts.method == Method::OPTIONS)
        .then(|| allowed_methods(path))
        .flatten();
    let page = is_admin.then(|| ui::serve(&method, path)).flatten();
    let response = if let Some(status) = injected {
        record.refuse(&state, &ApiError::Injected { status }, url, path)
    } else if let Some(methods) = preflight_for {
        // Browsers send preflights without credentials: no authentication here.
        preflight(&parts.headers, methods)
    } else if let Some(page) = page {
        match page {
            Ok(asset) => asset_response(asset),
            Err(err) => record.refuse(&state, &err, url, path),
        }
    } else {
        let answered = match body {
            // Every admin write with a body must say it is JSON, whether or not the call
            // reads it.
            Err(refused @ ApiError::AdminNeedsJson { .. }) => Err(refused),
            body if is_admin => {
                let request = exchange::Request {
                    method: &method,
                    path,
                    query: parts.uri.query(),
                    authorization: authorization(&parts.headers),
                    accept: parts.headers.get(header::ACCEPT).map(HeaderValue::as_bytes),
                    last_event_id: parts.headers.get(LAST_EVENT_ID).map(HeaderValue::as_bytes),
                };
                admin::handle(&state, &request, body.as_deref().map_err(ApiError::clone)).await
            }
            body => answer(&state, &parts, &method, body, &mut reached),
        };
        match answered {
            Ok(reply) => reply_response(reply),
            Err(err) => record.refuse(&state, &err, url, path),
        }
    };

    record.outcome = Outcome::Answered(response.status());
    if let Some(entry) = &mut record.entry {
        entry.set_events(reached.events.take());
    }
    Ok(finish(&state, &parts, &reached, admin_cors, response))
}

/// Adds the headers every response carries: `Request-Id`, and CORS — open on the emulated
/// API, only for an `--admin-allow-origin` origin on the admin API.
fn finish(
    state: &AppState,
    parts: &Parts,
    reached: &Reached,
    admin_cors: AdminCors,
    mut response: Response<Body>,
) -> Response<Body> {
    let is_admin = admin::is_admin_path(parts.uri.path());
    let headers = response.headers_mut();
    let request_id = if is_admin {
        state.next_admin_request_id()
    } else {
        state.next_request_id(reached)
    };
    if let Ok(id) = HeaderValue::from_maybe_shared(Bytes::from(request_id)) {
        headers.insert(REQUEST_ID, id);
    }
    if is_admin && admin_cors == AdminCors::None {
        return response;
    }
    match parts.headers.get(header::ORIGIN) {
        Some(origin) => {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        None => {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
    }
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSED);
    response
}

/// How a request ended, for its journal entry and log line.
enum Outcome {
    Answered(StatusCode),
    Dropped,
    /// The client went away before an answer was ready (during a delay, say).
    Abandoned,
}

/// A request's journal entry and log line, written when it is dropped.
struct Record {
    state: AppState,
    entry: Option<Entry>,
    /// What the log line shows; `None` with `--quiet`.
    logged: Option<(Method, Uri)>,
    started: Instant,
    outcome: Outcome,
    /// Why the request was refused, for the log line.
    why: Option<String>,
}

impl Record {
    fn start(state: &AppState, parts: &Parts, method: &exchange::Method, is_admin: bool) -> Self {
        // Admin calls are the test's own bookkeeping: not journaled.
        let entry = (!is_admin && state.journal.is_on()).then(|| {
            let token = authorization(&parts.headers).and_then(bearer);
            let uri = &parts.uri;
            Entry::new(
                state.clock.now(),
                method.clone(),
                uri.path_and_query()
                    .map_or_else(|| uri.path(), |pq| pq.as_str()),
                token.map(|t| shown_token(&state.config.auth, t)).as_deref(),
            )
        });
        Record {
            state: state.clone(),
            entry,
            logged: (!state.config.quiet).then(|| (parts.method.clone(), parts.uri.clone())),
            started: Instant::now(),
            outcome: Outcome::Abandoned,
            why: None,
        }
    }

    /// The error's answer, keeping why the request was refused (the error's first message)
    /// for the journal and the log line.
    fn refuse(
        &mut self,
        state: &AppState,
        err: &ApiError,
        url: &str,
        path: &str,
    ) -> Response<Body> {
        if self.logged.is_some() || self.entry.is_some() {
            self.why = err.messages().into_iter().next();
        }
        error_response(state, err, url, path)
    }
}

/// A message or URL on one line, cut at `max` characters, for a log line.
fn one_line(message: &str, max: usize) -> String {
    let mut line: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max + 1)
        .collect();
    if line.chars().count() > max {
        line = line.chars().take(max).collect();
        line.push('…');
    }
    line
}

impl Drop for Record {
    fn drop(&mut self) {
        let status = match self.outcome {
            Outcome::Answered(status) => Some(status),
            Outcome::Dropped | Outcome::Abandoned => None,
        };
        if let Some(mut entry) = self.entry.take() {
            entry.status = status.map(|s| s.as_u16());
            if let Some(why) = &self.why {
                entry.set_error(why);
            }
            entry.duration_ms = (self.started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
            self.state.journal.record(entry);
        }
        if let Some((method, uri)) = &self.logged {
            let shown = match self.outcome {
                Outcome::Answered(status) => status.as_u16().to_string(),
                Outcome::Dropped => "dropped".to_owned(),
                Outcome::Abandoned => "abandoned".to_owned(),
            };
            let url = uri.path_and_query().map_or("/", |pq| pq.as_str());
            let why = self.why.as_deref().map(|why| one_line(why, 200));
            log_line(method, url, &shown, self.started, why.as_deref());
        }
    }
}

/// The methods a CORS preflight may allow for a path; `None` for an unknown path.
fn allowed_methods(path: &str) -> Option<&'static str> {
    if admin::is_admin_path(path) {
        admin::allowed(path)
    } else if path == OPENAPI_PATH || path == INDEX_PATH {
        Some(READ_ONLY_ALLOW)
    } else {
        router::allowed(path)
    }
}

/// The methods of the documents anyone may read (`/`, `/openapi.json`).
const READ_ONLY_ALLOW: &str = "GET, HEAD";

fn answer(
    state: &AppState,
    parts: &Parts,
    method: &exchange::Method,
    body: Result<Bytes, ApiError>,
    reached: &mut Reached,
) -> Result<Reply, ApiError> {
    let path = parts.uri.path();
    if path == OPENAPI_PATH {
        return read_only(method, OPENAPI_PATH, || state.openapi_document());
    }
    if path == INDEX_PATH {
        return read_only(method, INDEX_PATH, || {
            crate::model::to_body(&index(), state.config.compact)
        });
    }
    if !router::is_api_path(path) {
        return Err(ApiError::NoRoute {
            method: parts.method.to_string(),
            path: path.to_owned(),
        });
    }
    // A preflight for a known path was answered before this; one for an unknown path gets
    // its 404 without a token, like the preflight it is.
    let token: &str = if parts.method == Method::OPTIONS {
        ""
    } else {
        reached.token.insert(authenticate(
            &state.config.auth,
            authorization(&parts.headers),
        )?)
    };
    let route = router::route(method, path)?;
    // Everything the request says is checked before its workspace is looked up, so that a
    // refused request under `--isolate` does not create (or count as) a workspace.
    let fields = if route.op.reads_body() {
        let kind = body_kind(
            parts
                .headers
                .get(header::CONTENT_TYPE)
                .map(HeaderValue::as_bytes),
        )?;
        parse_body(kind, &body?)?
    } else {
        Fields::new()
    };
    let call = api::check(&route, parts.uri.query(), &fields)?;
    let ws = state.workspace(token)?;
    reached.workspace = Some(Arc::clone(&ws));
    let cx = api::Context {
        compact: state.config.compact,
        room: state.config.room(),
        strict_references: state.config.strict_references,
        clock: &state.clock,
        bus: &state.bus,
        token: state.config.isolate.then_some(token),
        emitted: &reached.events,
    };
    api::serve(&ws, &route, call, &cx)
}

/// A document anyone may read, no token needed: `GET /openapi.json`, `GET /`.
fn read_only(
    method: &exchange::Method,
    path: &'static str,
    body: impl FnOnce() -> Vec<u8>,
) -> Result<Reply, ApiError> {
    if method.is_read() {
        return Ok(Reply::ok(body()));
    }
    Err(ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: path.to_owned(),
        allow: "GET, HEAD",
    })
}

/// A method in convmock's own terms.
fn method_of(method: &Method) -> exchange::Method {
    match *method {
        Method::GET => exchange::Method::Get,
        Method::HEAD => exchange::Method::Head,
        Method::POST => exchange::Method::Post,
        Method::PUT => exchange::Method::Put,
        Method::DELETE => exchange::Method::Delete,
        Method::OPTIONS => exchange::Method::Options,
        _ => exchange::Method::Other(method.as_str().into()),
    }
}

/// A status in hyper's terms; every [`Status`] is one.
fn status_code(status: Status) -> StatusCode {
    StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The `Authorization` header's value, if one was sent.
fn authorization(headers: &HeaderMap) -> Option<&[u8]> {
    headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
}

/// `GET /`: what this server is and where its parts are, for someone who opens it in a
/// browser or curls it first.
fn index() -> serde_json::Value {
    serde_json::json!({
        "name": "convmock",
        "version": env!("CARGO_PKG_VERSION"),
        "api": router::Base::ALL.map(router::Base::prefix),
        "openapi": OPENAPI_PATH,
        "admin": format!("{}/", admin::PREFIX),
        "dashboard": ui::PATH,
    })
}

/// The bearer token, or why there is none. With `--no-auth` a missing header, or one that
/// is not a bearer token (a client sending Basic credentials), is the empty token, which
/// names the default workspace.
pub(crate) fn authenticate(auth: &Auth, authorization: Option<&[u8]>) -> Result<String, ApiError> {
    if *auth == Auth::Disabled {
        return Ok(authorization.and_then(bearer).unwrap_or_default());
    }
    let token = match authorization {
        None => None,
        Some(value) => Some(bearer(value).ok_or(ApiError::Unauthorized {
            reason: "The Authorization header must be 'Bearer <token>' with a non-empty token.",
        })?),
    };
    match (auth, token) {
        (_, None) => Err(ApiError::Unauthorized {
            reason: "Missing bearer token: send an 'Authorization: Bearer <token>' header.",
        }),
        (Auth::AnyToken | Auth::Disabled, Some(token)) => Ok(token),
        (Auth::Tokens(allowed), Some(token)) => {
            if allowed.contains(&token) {
                Ok(token)
            } else {
                Err(ApiError::Unauthorized {
                    reason: "Invalid bearer token: this server accepts only the tokens it was \
                             started with (--token).",
                })
            }
        }
    }
}

/// A bearer token as the journal shows it: as sent, except under `--token`, where tokens
/// are secrets and anyone who may read the journal could otherwise collect them: there a
/// listed token shows as `<token N>` (its place among the `--token` flags, from 1) and any
/// other as `<unlisted token>`.
pub fn shown_token(auth: &Auth, token: String) -> String {
    match auth {
        Auth::Tokens(listed) => match listed.iter().position(|t| *t == token) {
            Some(i) => format!("<token {}>", i + 1),
            None => "<unlisted token>".to_owned(),
        },
        Auth::AnyToken | Auth::Disabled => token,
    }
}

/// The token of a `Bearer` header's value; `None` for another scheme, an empty token, or a
/// value that is not visible ASCII (as `HeaderValue::to_str` has it).
pub fn bearer(value: &[u8]) -> Option<String> {
    if !value
        .iter()
        .all(|b| *b == b'\t' || (b' '..=b'~').contains(b))
    {
        return None;
    }
    let text = value.trim_ascii();
    let space = text.iter().position(|b| *b == b' ')?;
    let (scheme, token) = (&text[..space], text[space + 1..].trim_ascii());
    if !scheme.eq_ignore_ascii_case(b"bearer") || token.is_empty() {
        return None;
    }
    // Visible ASCII, so this is the text as is.
    Some(token.iter().map(|b| char::from(*b)).collect())
}

/// How much of an oversized body is read and thrown away before its 413 is sent. A client
/// that is still sending when the server answers and closes (Node's `fetch`, Python's
/// `urllib`) fails on its write and never sees the answer; reading the rest first, up to
/// this bound and within the body timeout (as nginx's lingering close does), lets it.
pub const DRAIN_BYTES: u64 = 32 << 20;

/// Reads a request body of at most 1 MiB within `timeout`; no body is the empty body. A
/// larger one is a 413, sent once the rest has been read and thrown away (up to
/// [`DRAIN_BYTES`] and within the same timeout); a declared length past that bound, or a
/// client waiting for `100 Continue`, gets it at once.
pub async fn read_limited(
    headers: &HeaderMap,
    mut incoming: Incoming,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    if incoming.is_end_stream() {
        return Ok(Bytes::new());
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        let waits = headers
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        if waits || declared.is_some_and(|n| n > DRAIN_BYTES) {
            return Err(ApiError::PayloadTooLarge);
        }
    }
    let mut read = BodyRead::default();
    let finished = tokio::time::timeout(timeout, read.run(&mut incoming)).await;
    match (finished, read.over) {
        (_, true) => Err(ApiError::PayloadTooLarge),
        (Ok(Ok(())), false) => Ok(read.into_bytes()),
        (Ok(Err(_)), false) => Err(ApiError::invalid(Problem::general(
            "The request body could not be read in full.",
        ))),
        (Err(_elapsed), false) => Err(ApiError::BodyTimeout {
            seconds: timeout.as_secs(),
        }),
    }
}

/// A body being read: its chunks while it fits in 1 MiB, then only a count.
#[derive(Default)]
struct BodyRead {
    /// The first chunk, kept as it came (most bodies are one).
    first: Option<Bytes>,
    /// Every later chunk, copied: a chunk kept as it came can hold on to a whole read
    /// buffer, so a body of a million one-byte chunks would cost far more than its size.
    rest: Vec<u8>,
    seen: u64,
    /// Past 1 MiB: the rest is being read and thrown away.
    over: bool,
}

impl BodyRead {
    async fn run(&mut self, incoming: &mut Incoming) -> Result<(), hyper::Error> {
        while let Some(frame) = incoming.frame().await {
            let Ok(data) = frame?.into_data() else {
                continue; // trailers
            };
            self.seen += data.len() as u64;
            if self.seen > DRAIN_BYTES {
                self.over = true;
                return Ok(());
            }
            if self.seen > MAX_BODY_BYTES as u64 {
                self.over = true;
                self.first = None;
                self.rest = Vec::new();
            } else if self.first.is_none() {
                self.first = Some(data);
            } else {
                self.rest.extend_from_slice(&data);
            }
        }
        Ok(())
    }

    /// The body, copied only when it came in more than one chunk.
    fn into_bytes(self) -> Bytes {
        match self.first {
            None => Bytes::new(),
            Some(first) if self.rest.is_empty() => first,
            Some(first) => {
                let mut whole = Vec::with_capacity(first.len() + self.rest.len());
                whole.extend_from_slice(&first);
                whole.extend_from_slice(&self.rest);
                Bytes::from(whole)
            }
        }
    }
}

/// A CORS preflight: 204 with what a page on another origin may send.
fn preflight(headers: &HeaderMap, methods: &'static str) -> Response<Body> {
    let mut allow_headers = PREFLIGHT_HEADERS.to_owned();
    if let Some(requested) = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|v| v.to_str().ok())
    {
        // Each name once, found in a set: a head can ask for 15,000 names.
        let mut known: std::collections::HashSet<String> = PREFLIGHT_HEADERS
            .split(", ")
            .map(str::to_ascii_lowercase)
            .collect();
        for name in requested
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            if known.insert(name.to_ascii_lowercase()) {
                allow_headers.push_str(", ");
                allow_headers.push_str(name);
            }
        }
    }
    let mut response = Response::new(Body::default());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(methods),
    );
    if let Ok(v) = HeaderValue::from_str(&allow_headers) {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
    }
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

/// A response whose header map has room for every header it will carry, so that it is
/// allocated once and never regrown.
fn response_with(body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.headers_mut() = HeaderMap::with_capacity(8);
    response
}

/// A file of the dashboard, with headers that let it load and run nothing but its own files.
fn asset_response(asset: &'static ui::Asset) -> Response<Body> {
    let mut response = response_with(Body::new(Bytes::from_static(asset.bytes)));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(ui::CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // Served from the binary: a new binary may bring a new page.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn reply_response(reply: Reply) -> Response<Body> {
    let mut response = match reply.body {
        Some(body @ Content::Live(_)) => {
            let mut r = response_with(body.into());
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(EVENT_STREAM));
            // A proxy or a browser must pass each record on as it comes.
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            r
        }
        Some(body) => {
            let mut r = response_with(body.into());
            r.headers_mut().insert(header::CONTENT_TYPE, JSON);
            r
        }
        None => response_with(Body::default()),
    };
    *response.status_mut() = status_code(reply.status);
    if let Some(location) = reply.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn error_response(state: &AppState, err: &ApiError, url: &str, path: &str) -> Response<Body> {
    let (status, body) = err.render(state.config.profile, url, state.config.compact);
    let mut response = response_with(Body::new(Bytes::from(body)));
    *response.status_mut() = status_code(status);
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, JSON);
    // The headers a status calls for, injected ones included.
    match (err, status) {
        (ApiError::MethodNotAllowed { allow, .. }, _) => {
            h.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        (_, Status::METHOD_NOT_ALLOWED) => {
            let allow = allowed_methods(path).unwrap_or(ANY_METHOD);
            h.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        (_, Status::UNAUTHORIZED) => {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        (ApiError::Injected { .. }, Status::TOO_MANY_REQUESTS) => {
            h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        _ => {}
    }
    // What is left of such a request on the connection cannot be trusted to be read right.
    if matches!(
        err,
        ApiError::PayloadTooLarge | ApiError::HeadTooLarge { .. } | ApiError::BadHost { .. }
    ) {
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// `HH:MM:SS.mmm METHOD /path?query STATUS 0.12ms`, on stderr, and ` — why` for a refused
/// request; `dropped` for a connection a fault closed, `abandoned` for a client that left
/// before its answer.
fn log_line(method: &Method, url: &str, status: &str, started: Instant, why: Option<&str>) {
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() % 86_400;
    let (dash, why) = why.map_or(("", ""), |why| (" — ", why));
    let url = one_line(url, 2000);
    crate::log::line(format!(
        "{:02}:{:02}:{:02}.{:03} {method} {url} {status} {elapsed:.2}ms{dash}{why}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        now.subsec_millis(),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &str) -> Option<&[u8]> {
        Some(auth.as_bytes())
    }

    #[test]
    fn bearer_tokens_are_checked_against_the_auth_mode() {
        let any = Auth::AnyToken;
        assert_eq!(authenticate(&any, headers("Bearer abc")).unwrap(), "abc");
        assert_eq!(authenticate(&any, headers("bearer  abc ")).unwrap(), "abc");
        for bad in ["Bearer", "Bearer ", "Basic abc", "abc"] {
            assert!(authenticate(&any, headers(bad)).is_err(), "{bad}");
        }
        assert!(authenticate(&any, None).is_err());
        let listed = Auth::Tokens(vec!["t1".into()]);
        assert!(authenticate(&listed, headers("Bearer t1")).is_ok());
        assert!(authenticate(&listed, headers("Bearer t2")).is_err());
        assert_eq!(authenticate(&Auth::Disabled, None).unwrap(), "");
        assert_eq!(
            authenticate(&Auth::Disabled, headers("Bearer w")).unwrap(),
            "w"
        );
        assert_eq!(
            authenticate(&Auth::Disabled, headers("Basic dTpw")).unwrap(),
            ""
        );
        // Read as HeaderValue::to_str reads a value: visible ASCII and tabs only.
        assert_eq!(bearer(b"Bearer \tt\t").as_deref(), Some("t"));
        assert_eq!(bearer(b"Bearer t\xe9"), None);
        assert_eq!(bearer(b"Bearer t\x01"), None);
        assert_eq!(bearer(b"Bearer\tt"), None);
    }
}
