//! The admin API under `/__admin/`: how a test suite drives the server between tests.
//!
//! Health, reset, the request journal, the clock, the ID queue, each resource of a workspace,
//! dropping a workspace, and the fault rules. Never behind the API's bearer token (behind `--admin-token` when one is
//! set), never journaled, never subject to faults. Bodies are JSON; bad input is a 400 in the
//! running profile's error shape.

use crate::body::{BodyKind, decode, parse_body, parse_pairs};
use crate::error::ApiError;
use crate::events::{self, Event};
use crate::exchange::{Method, Reply, Request, Status};
use crate::faults::{check_pattern, path_matches};
use crate::http::{bearer, shown_token};
use crate::journal::Entry;
use crate::journal_live;
use crate::listing::{Listing, while_held};
use crate::live;
use crate::model::{
    MAX_TIMESTAMP, Problem, RawValue, a_timestamp, clip, describe, is_timestamp, to_body,
};
use crate::resources::{Contact, Conversation, Group, Message, Resource};
use crate::simulate;
use crate::state::AppState;
use crate::webhooks::{self, Refusal, StatusFilter};
use crate::workspace::Held;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The admin API's path prefix.
pub const PREFIX: &str = "/__admin";

/// Whether a path belongs to the admin API.
pub fn is_admin_path(path: &str) -> bool {
    path == PREFIX || path.starts_with("/__admin/")
}

/// One admin call.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Call {
    Index,
    Health,
    Reset,
    Requests,
    ClearRequests,
    Clock,
    SetClock,
    NextIds,
    AddNextIds,
    /// A resource's records in a workspace, in list order.
    Records(Resource),
    Faults,
    AddFault,
    ClearFaults,
    RemoveFault(String),
    /// The token as it is in the path, still percent-encoded.
    RemoveWorkspace(String),
    /// The last events, oldest first; or, asked for as `text/event-stream`, live.
    Events,
    Webhooks,
    AddWebhook,
    RemoveWebhook(String),
    Deliveries,
    Replay(String),
    Flush,
    /// A message from the other participant of a conversation.
    SimulateMessage,
    /// A message read by the other participant.
    SimulateRead,
}

fn route(method: &Method, path: &str) -> Result<Call, ApiError> {
    let rest = path.strip_prefix("/__admin/").unwrap_or("");
    let get = method.is_read();
    let (call, allow) = match rest {
        "" => (get.then_some(Call::Index), "GET, HEAD"),
        "health" => (get.then_some(Call::Health), "GET, HEAD"),
        "events" => (get.then_some(Call::Events), "GET, HEAD"),
        "reset" => ((*method == Method::Post).then_some(Call::Reset), "POST"),
        "simulate/message" => (
            (*method == Method::Post).then_some(Call::SimulateMessage),
            "POST",
        ),
        "simulate/read" => (
            (*method == Method::Post).then_some(Call::SimulateRead),
            "POST",
        ),
        "requests" => (
            match method {
                _ if get => Some(Call::Requests),
                Method::Delete => Some(Call::ClearRequests),
                _ => None,
            },
            "GET, HEAD, DELETE",
        ),
        "clock" => (
            match method {
                _ if get => Some(Call::Clock),
                Method::Put => Some(Call::SetClock),
                _ => None,
            },
            "GET, HEAD, PUT",
        ),
        "next-ids" => (
            match method {
                _ if get => Some(Call::NextIds),
                Method::Post => Some(Call::AddNextIds),
                _ => None,
            },
            "GET, HEAD, POST",
        ),
        "faults" => (
            match method {
                _ if get => Some(Call::Faults),
                Method::Post => Some(Call::AddFault),
                Method::Delete => Some(Call::ClearFaults),
                _ => None,
            },
            "GET, HEAD, POST, DELETE",
        ),
        "webhooks" => (
            match method {
                _ if get => Some(Call::Webhooks),
                Method::Post => Some(Call::AddWebhook),
                _ => None,
            },
            "GET, HEAD, POST",
        ),
        "webhooks/deliveries" => (get.then_some(Call::Deliveries), "GET, HEAD"),
        "webhooks/flush" => ((*method == Method::Post).then_some(Call::Flush), "POST"),
        _ if rest.starts_with("webhooks/") => match webhook_path(rest) {
            Some((id, false)) => (
                (*method == Method::Delete).then(|| Call::RemoveWebhook(id.to_owned())),
                "DELETE",
            ),
            Some((id, true)) => (
                (*method == Method::Post).then(|| Call::Replay(id.to_owned())),
                "POST",
            ),
            None => {
                return Err(ApiError::NoRoute {
                    method: method.to_string(),
                    path: path.to_owned(),
                });
            }
        },
        _ => match (
            Resource::from_plural(rest),
            rest.strip_prefix("workspaces/"),
            rest.strip_prefix("faults/"),
        ) {
            (Some(resource), _, _) => (get.then_some(Call::Records(resource)), "GET, HEAD"),
            (_, Some(token), _) if !token.contains('/') => (
                (*method == Method::Delete).then(|| Call::RemoveWorkspace(token.to_owned())),
                "DELETE",
            ),
            (_, _, Some(id)) if !id.is_empty() && !id.contains('/') => (
                (*method == Method::Delete).then(|| Call::RemoveFault(id.to_owned())),
                "DELETE",
            ),
            _ => {
                return Err(ApiError::NoRoute {
                    method: method.to_string(),
                    path: path.to_owned(),
                });
            }
        },
    };
    call.ok_or_else(|| ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: path.to_owned(),
        allow,
    })
}

/// `webhooks/{id}` as `(id, false)`, `webhooks/deliveries/{id}/replay` as `(id, true)`.
fn webhook_path(rest: &str) -> Option<(&str, bool)> {
    let segment = |s: &str| !s.is_empty() && !s.contains('/');
    let after = rest.strip_prefix("webhooks/")?;
    match after
        .strip_prefix("deliveries/")
        .and_then(|r| r.strip_suffix("/replay"))
    {
        Some(id) => segment(id).then_some((id, true)),
        None => segment(after).then_some((after, false)),
    }
}

/// The methods an admin path allows, for a CORS preflight; `None` for an unknown path.
pub fn allowed(path: &str) -> Option<&'static str> {
    // No admin call takes OPTIONS, so routing it yields the path's `Allow` list.
    match route(&Method::Options, path) {
        Err(ApiError::MethodNotAllowed { allow, .. }) => Some(allow),
        _ => None,
    }
}

/// Answers one admin request; `body` is the request body as read (or why it could not be).
/// Only a flush waits.
pub async fn handle(
    state: &AppState,
    req: &Request<'_>,
    body: Result<&[u8], ApiError>,
) -> Result<Reply, ApiError> {
    if let Some(expected) = &state.config.admin_token {
        let sent = req.authorization.and_then(bearer);
        if sent.as_deref() != Some(expected.as_str()) {
            return Err(ApiError::Unauthorized {
                reason: "The admin API needs 'Authorization: Bearer <admin token>', the token \
                         given with --admin-token.",
            });
        }
    }
    let call = route(req.method, req.path)?;
    let query = req.query.unwrap_or("");
    let compact = state.config.compact;
    match call {
        Call::Index => {
            no_params(query)?;
            ok(compact, &index())
        }
        Call::Health => {
            no_params(query)?;
            ok(compact, &json!({ "status": "ok" }))
        }
        Call::Reset => {
            no_params(query)?;
            state.reset();
            ok(compact, &json!({ "status": "ok" }))
        }
        Call::Requests => {
            let params = params(query, &["method", "path", "token"])?;
            let method = param(&params, "method").map(str::to_ascii_uppercase);
            let path = param(&params, "path").map(str::to_owned);
            if let Some(pattern) = &path {
                check_pattern("path", pattern).map_err(ApiError::invalid)?;
            }
            // The token as sent; under --token the journal shows it as <token N>.
            let token =
                param(&params, "token").map(|t| shown_token(&state.config.auth, t.to_owned()));
            let keep = move |e: &Entry| {
                method.as_ref().is_none_or(|m| m == e.method.as_str())
                    && path.as_deref().is_none_or(|p| path_matches(p, e.path()))
                    && token.as_deref().is_none_or(|t| e.sent_with(t))
            };
            if req.wants_event_stream() {
                let closed = state.bus.closed();
                return Ok(journal_live::reply(state, keep, closed));
            }
            let entries = state.journal.matching(keep);
            // Written after the journal's lock is released, as the client reads.
            Ok(Reply::streamed(Listing::new(
                "requests",
                while_held(entries),
                compact,
            )))
        }
        Call::Events => {
            let params = params(query, &["token", "type"])?;
            let token = param(&params, "token");
            let kind = param(&params, "type");
            if let Some(kind) = kind {
                check_event_type(kind)?;
            }
            let filter = live::Filter {
                token: token.map(str::to_owned),
                kind: kind.map(str::to_owned),
            };
            if req.wants_event_stream() {
                let last = req.last_event_id.map(String::from_utf8_lossy);
                return Ok(live::reply(&state.bus, filter, last.as_deref()));
            }
            let events: Vec<_> = state
                .bus
                .recent()
                .into_iter()
                .filter(|e| filter.takes(e))
                .collect();
            Ok(Reply::streamed(Listing::new("events", events, compact)))
        }
        Call::SimulateMessage => simulate::message(state, &workspace_token(state, query)?, body),
        Call::SimulateRead => simulate::read(state, &workspace_token(state, query)?, body),
        Call::ClearRequests => {
            no_params(query)?;
            state.journal.clear();
            Ok(Reply::no_content())
        }
        Call::Clock => {
            no_params(query)?;
            ok(compact, &clock(state))
        }
        Call::SetClock => {
            no_params(query)?;
            let body = json_object(body)?;
            set_clock(state, &body)?;
            ok(compact, &clock(state))
        }
        Call::NextIds => {
            let token = workspace_token(state, query)?;
            let ids = state.view_workspace(&token, |ws| ws.queued_ids());
            Ok(Reply::streamed(Listing::new("ids", ids, compact)))
        }
        Call::AddNextIds => {
            let token = workspace_token(state, query)?;
            let body = json_object(body)?;
            let ids = id_list(&body)?;
            let invalid = |message| ApiError::invalid(Problem::param("ids", message));
            // One pass over the fixtures, before the workspace's lock is taken; and only a
            // call worth answering makes (or evicts for) a workspace.
            state.config.fixtures.check_unused(&ids).map_err(invalid)?;
            let ws = state.workspace(&token)?;
            ws.write().enqueue_ids(&ids).map_err(invalid)?;
            // What was added, not the whole queue: that may be long (GET shows it).
            ok(compact, &json!({ "ids": ids }))
        }
        Call::Records(resource) => {
            let token = workspace_token(state, query)?;
            Ok(match resource {
                Resource::Conversations => records::<Conversation>(state, &token, compact),
                Resource::Contacts => records::<Contact>(state, &token, compact),
                Resource::Groups => records::<Group>(state, &token, compact),
                Resource::Messages => records::<Message>(state, &token, compact),
            })
        }
        Call::Faults => {
            no_params(query)?;
            let rules = state.faults.rules();
            Ok(Reply::streamed(Listing::new("faults", rules, compact)))
        }
        Call::AddFault => {
            no_params(query)?;
            let body = json_object(body)?;
            let rule = state
                .faults
                .add(&Value::Object(body))
                .map_err(ApiError::Invalid)?;
            Ok(Reply {
                status: Status::CREATED,
                ..Reply::ok(to_body(&rule, compact))
            })
        }
        Call::ClearFaults => {
            no_params(query)?;
            state.faults.clear();
            Ok(Reply::no_content())
        }
        Call::RemoveWorkspace(token) => {
            no_params(query)?;
            remove_workspace(state, &token)
        }
        Call::Webhooks => {
            no_params(query)?;
            let hooks = state.webhooks.list();
            Ok(Reply::streamed(Listing::new("webhooks", hooks, compact)))
        }
        Call::AddWebhook => {
            no_params(query)?;
            let body = json_object(body)?;
            let registration = webhooks::registration(&body).map_err(ApiError::invalid)?;
            let hook = state.webhooks.add(&registration).map_err(refused)?;
            Ok(Reply::json(Status::CREATED, to_body(&hook, compact)))
        }
        Call::RemoveWebhook(id) => {
            no_params(query)?;
            state.webhooks.remove(&id).map_err(refused)?;
            Ok(Reply::no_content())
        }
        Call::Deliveries => deliveries(state, query),
        Call::Replay(id) => {
            no_params(query)?;
            let delivery = state.webhooks.replay(&id).map_err(refused)?;
            Ok(Reply::json(Status::ACCEPTED, to_body(&delivery, compact)))
        }
        Call::Flush => {
            no_params(query)?;
            let timeout = flush_timeout(body)?;
            let (counts, settled) = state.webhooks.flush(timeout).await;
            let status = if settled {
                Status::OK
            } else {
                Status::GATEWAY_TIMEOUT
            };
            Ok(Reply::json(status, to_body(&counts, compact)))
        }
        Call::RemoveFault(id) => {
            if state.faults.remove(&id) {
                Ok(Reply::no_content())
            } else {
                Err(ApiError::UnknownFault { id: clip(&id) })
            }
        }
    }
}

/// `?type=`: a pattern that names at least one event type.
fn check_event_type(kind: &str) -> Result<(), ApiError> {
    if events::all_types()
        .iter()
        .any(|t| Event::matches_type(t, kind))
    {
        return Ok(());
    }
    Err(ApiError::invalid(Problem::param(
        "type",
        format!(
            "Invalid value for 'type': '{}' is no event type (say 'message.created', \
             'conversation.*' or '*').",
            clip(kind)
        ),
    )))
}

/// A refused webhook call as the error it answers with.
fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::Invalid(problem) => ApiError::invalid(problem),
        Refusal::Unknown(resource, id) => ApiError::NotFound { resource, id },
    }
}

/// `GET /__admin/webhooks/deliveries?webhook=&type=&status=`.
fn deliveries(state: &AppState, query: &str) -> Result<Reply, ApiError> {
    let params = params(query, &["webhook", "type", "status"])?;
    let webhook = param(&params, "webhook");
    let kind = param(&params, "type");
    if let Some(kind) = kind {
        check_event_type(kind)?;
    }
    let status = param(&params, "status")
        .map(StatusFilter::parse)
        .transpose()
        .map_err(ApiError::invalid)?;
    let list = state.webhooks.deliveries(|d| {
        webhook.is_none_or(|w| d.webhook == w)
            && kind.is_none_or(|k| d.event.matches(k))
            && status.is_none_or(|s| s.passes(d))
    });
    Ok(Reply::streamed(Listing::new(
        "deliveries",
        list,
        state.config.compact,
    )))
}

/// `POST /__admin/webhooks/flush`'s `{"timeout_ms": N}`, or the default without a body.
fn flush_timeout(body: Result<&[u8], ApiError>) -> Result<Duration, ApiError> {
    let (default, max) = webhooks::FLUSH_TIMEOUT_MS;
    if body.as_ref().is_ok_and(|b| b.trim_ascii().is_empty()) {
        return Ok(Duration::from_millis(default));
    }
    let body = json_object(body)?;
    if let Some(key) = body.keys().find(|k| *k != "timeout_ms") {
        return Err(ApiError::invalid(Problem::param(
            key,
            format!("Unknown key '{}': a flush takes timeout_ms.", clip(key)),
        )));
    }
    match body.get("timeout_ms") {
        None => Ok(Duration::from_millis(default)),
        Some(value) => as_integer(value)
            .and_then(|ms| u64::try_from(ms).ok())
            .filter(|ms| *ms <= max)
            .map(Duration::from_millis)
            .ok_or_else(|| {
                ApiError::invalid(Problem::param(
                    "timeout_ms",
                    format!(
                        "Invalid 'timeout_ms': expected milliseconds from 0 to {max}, got {}.",
                        describe(value)
                    ),
                ))
            }),
    }
}

/// `DELETE /__admin/workspaces/{token}`: the token is percent-decoded (`+` is itself).
fn remove_workspace(state: &AppState, encoded: &str) -> Result<Reply, ApiError> {
    let token = decode(encoded.replace('+', "%2B").as_bytes()).ok_or_else(|| {
        ApiError::invalid(Problem::general(format!(
            "The token in the path is not valid percent-encoded UTF-8: '{}'.",
            clip(encoded)
        )))
    })?;
    if state.remove_workspace(&token) {
        Ok(Reply::no_content())
    } else {
        Err(ApiError::UnknownWorkspace {
            token: clip(&token),
            isolated: state.is_isolated(),
        })
    }
}

/// Every admin call's path, for `GET /__admin/` (a test checks each routes).
const CALLS: [&str; 17] = [
    "/__admin/health",
    "/__admin/events",
    "/__admin/webhooks",
    "/__admin/webhooks/{id}",
    "/__admin/webhooks/deliveries",
    "/__admin/webhooks/deliveries/{id}/replay",
    "/__admin/webhooks/flush",
    "/__admin/simulate/message",
    "/__admin/simulate/read",
    "/__admin/reset",
    "/__admin/requests",
    "/__admin/clock",
    "/__admin/next-ids",
    "/__admin/conversations",
    "/__admin/faults",
    "/__admin/faults/{id}",
    "/__admin/workspaces/{token}",
];

/// `GET /__admin/`: each call with the methods it takes.
fn index() -> Value {
    let calls: Vec<Value> = CALLS
        .iter()
        .map(|path| json!({ "path": path, "methods": allowed(path).unwrap_or_default() }))
        .collect();
    json!({ "calls": calls })
}

/// `GET /__admin/{plural}`: `{"conversations": [...]}`, in list order, written as the
/// client reads it; the records are taken under the workspace's lock, written after.
/// A JSON integer, or an integral float, as the API's bodies count them.
fn as_integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => crate::model::json_integer(n),
        _ => None,
    }
}

/// A workspace's records, written as the client reads them. The reader holds each record
/// weakly with its place in the list: a record the server deletes meanwhile is left out, one
/// it updates (which moves it) is found again at its place and shown as it is then, and a
/// reader that never reads keeps neither alive.
fn records<R: Held>(state: &AppState, token: &str, compact: bool) -> Reply {
    let Some(ws) = state.existing_workspace(token) else {
        // A token not seen yet: the fixtures it would start from, which stay held anyway.
        let records = state.view_workspace(token, |ws| ws.store::<R>().shared());
        return Reply::streamed(Listing::new(R::DESCRIPTION.plural, records, compact));
    };
    let placed: Vec<_> = ws
        .read()
        .store::<R>()
        .placed()
        .into_iter()
        .map(|(place, record)| (place, Arc::downgrade(&record)))
        .collect();
    let ws = Arc::downgrade(&ws);
    let items = placed.into_iter().filter_map(move |(place, record)| {
        record
            .upgrade()
            .or_else(|| ws.upgrade()?.read().store::<R>().at(&place))
    });
    Reply::streamed(Listing::new(R::DESCRIPTION.plural, items, compact))
}

fn ok<T: Serialize + ?Sized>(compact: bool, value: &T) -> Result<Reply, ApiError> {
    Ok(Reply::ok(to_body(value, compact)))
}

#[derive(Serialize)]
struct ClockState {
    now: i64,
    frozen: bool,
}

fn clock(state: &AppState) -> ClockState {
    ClockState {
        now: state.clock.now(),
        frozen: state.clock.frozen_at().is_some(),
    }
}

fn set_clock(state: &AppState, body: &Map<String, Value>) -> Result<(), ApiError> {
    let invalid = |param: &str, message: String| ApiError::invalid(Problem::param(param, message));
    if let Some(key) = body
        .keys()
        .find(|k| !["now", "advance", "system"].contains(&k.as_str()))
    {
        return Err(invalid(
            key,
            format!(
                "Unknown key '{}': the clock takes now, advance or system.",
                clip(key)
            ),
        ));
    }
    if body.len() != 1 {
        return Err(ApiError::invalid(Problem::general(
            "Send exactly one of {\"now\": T}, {\"advance\": S} or {\"system\": true}.",
        )));
    }
    if let Some(now) = body.get("now") {
        // An integral float counts, as in the API's bodies (`datetime.timestamp()` is one).
        let t = as_integer(now)
            .filter(|t| is_timestamp(*t))
            .ok_or_else(|| {
                invalid(
                    "now",
                    format!(
                        "Invalid 'now': expected {}, got {}.",
                        a_timestamp(),
                        describe(now)
                    ),
                )
            })?;
        state.clock.set(Some(t));
    } else if let Some(advance) = body.get("advance") {
        let s = as_integer(advance).ok_or_else(|| {
            invalid(
                "advance",
                format!(
                    "Invalid 'advance': expected an integer of seconds, got {}.",
                    describe(advance)
                ),
            )
        })?;
        if state.clock.frozen_at().is_none() {
            return Err(invalid(
                "advance",
                "The clock is not frozen: freeze it first with {\"now\": T}.".to_owned(),
            ));
        }
        state.clock.advance(s).ok_or_else(|| {
            let past = if s < 0 {
                "before 1970".to_owned()
            } else {
                format!("past {MAX_TIMESTAMP}, the largest timestamp")
            };
            invalid(
                "advance",
                format!("Invalid 'advance': {s} seconds would move the clock {past}."),
            )
        })?;
    } else if body.get("system") == Some(&Value::Bool(true)) {
        state.clock.set(None);
    } else {
        return Err(invalid(
            "system",
            "Invalid 'system': only true makes sense (it unfreezes the clock).".to_owned(),
        ));
    }
    Ok(())
}

fn id_list(body: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    let invalid = |message: String| ApiError::invalid(Problem::param("ids", message));
    if let Some(key) = body.keys().find(|k| *k != "ids") {
        return Err(ApiError::invalid(Problem::param(
            key,
            format!("Unknown key '{}': send {{\"ids\": [...]}}.", clip(key)),
        )));
    }
    let Some(Value::Array(items)) = body.get("ids") else {
        return Err(invalid("Send {\"ids\": [...]}, a list of IDs.".to_owned()));
    };
    items
        .iter()
        .map(|v| {
            v.as_str().map(str::to_owned).ok_or_else(|| {
                invalid(format!(
                    "Invalid 'ids': expected strings, got {}.",
                    describe(v)
                ))
            })
        })
        .collect()
}

/// The token of the workspace an admin call is about: `?token=T` under `--isolate`; the
/// one store otherwise.
fn workspace_token(state: &AppState, query: &str) -> Result<String, ApiError> {
    let params = params(query, &["token"])?;
    // `?token=` (empty) is the workspace of requests sent without a token (`--no-auth`).
    match params.into_iter().find(|(name, _)| name == "token") {
        Some((_, token)) => Ok(token),
        None if state.is_isolated() => Err(ApiError::invalid(Problem::param(
            "token",
            "Missing parameter 'token': under --isolate, ?token=T names the workspace.",
        ))),
        None => Ok(String::new()),
    }
}

fn params(query: &str, allowed: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let pairs = parse_pairs(query.as_bytes(), "query string").map_err(ApiError::invalid)?;
    let unknown: Vec<Problem> = pairs
        .iter()
        .filter(|(name, _)| !allowed.contains(&name.as_str()))
        .map(|(name, _)| {
            let accepted = if allowed.is_empty() {
                "this call takes none".to_owned()
            } else {
                format!("this call takes {}", allowed.join(", "))
            };
            Problem::param(
                name,
                format!("Unknown parameter '{}': {accepted}.", clip(name)),
            )
        })
        .collect();
    if unknown.is_empty() {
        Ok(pairs)
    } else {
        Err(ApiError::Invalid(unknown))
    }
}

fn no_params(query: &str) -> Result<(), ApiError> {
    params(query, &[]).map(|_| ())
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, v)| n == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// An admin body: a JSON object, whatever the `Content-Type` says, so that a plain
/// `curl -d '{"now": 0}'` works.
/// An admin body: a JSON object, read as the API reads one (a key given twice is a 400).
fn json_object(body: Result<&[u8], ApiError>) -> Result<Map<String, Value>, ApiError> {
    let fields = parse_body(Some(BodyKind::Json), body?)?;
    Ok(fields
        .into_iter()
        .filter_map(|(key, value)| match value {
            RawValue::Json(value) => Some((key, value)),
            RawValue::Form(_) | RawValue::Brackets(_) => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_paths_route_by_method_with_405_and_404() {
        assert_eq!(
            route(&Method::Get, "/__admin/health").unwrap(),
            Call::Health
        );
        assert_eq!(
            route(&Method::Delete, "/__admin/faults/fault_3").unwrap(),
            Call::RemoveFault("fault_3".into())
        );
        assert_eq!(
            route(&Method::Put, "/__admin/clock").unwrap(),
            Call::SetClock
        );
        assert_eq!(
            route(&Method::Head, "/__admin/conversations").unwrap(),
            Call::Records(Resource::Conversations)
        );
        assert_eq!(
            route(&Method::Delete, "/__admin/workspaces/a%2Fb+c").unwrap(),
            Call::RemoveWorkspace("a%2Fb+c".into())
        );
        assert!(matches!(
            route(&Method::Get, "/__admin/workspaces/a"),
            Err(ApiError::MethodNotAllowed {
                allow: "DELETE",
                ..
            })
        ));
        match route(&Method::Get, "/__admin/reset") {
            Err(ApiError::MethodNotAllowed { allow, .. }) => assert_eq!(allow, "POST"),
            other => panic!("{other:?}"),
        }
        for path in CALLS {
            assert!(allowed(path).is_some(), "{path} is listed but not routed");
        }
        assert_eq!(route(&Method::Get, "/__admin/").unwrap(), Call::Index);
        assert_eq!(route(&Method::Get, "/__admin").unwrap(), Call::Index);
        for path in [
            "/__admin/nope",
            "/__admin/faults/a/b",
            "/__admin/workspaces",
            "/__admin/workspaces/a/b",
        ] {
            assert!(
                matches!(route(&Method::Get, path), Err(ApiError::NoRoute { .. })),
                "{path}"
            );
        }
        assert!(is_admin_path("/__admin/health") && !is_admin_path("/__administrator"));
    }
}
