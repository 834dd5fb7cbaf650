//! The other participant: messages the account receives and reads of the account's
//! messages, made through the admin API so that a client's incoming-message handling can be
//! tested.
//!
//! `POST /__admin/simulate/message` sends a message from the conversation's contact, or from
//! a member of its group, through the same send as the API's ([`Workspace::send_from`]):
//! the same checks and bounds, `last_active_at` moved, `message.created` and
//! `conversation.updated` emitted. With `delay_ms` it is checked now and sent later by a
//! task; at most [`MAX_DELAYED`] wait at a time, a reset drops them, shutdown ends them.
//! `POST /__admin/simulate/read` sets a message's `read_at`. Who may speak in a conversation
//! is decided here, from the workspace's records; the rest is `workspace`'s.

use crate::api::new_record;
use crate::body::{BodyKind, parse_body};
use crate::error::ApiError;
use crate::events::Action;
use crate::exchange::{Reply, Status};
use crate::json::record_body;
use crate::live::closing;
use crate::model::{Fields, Problem, RawValue, clip, describe, json_integer};
use crate::resources::{Embedded, Owned, Patch, messages};
use crate::state::{AppState, WorkspaceCell};
use crate::workspace::Workspace;
use parking_lot::Mutex;
use serde_json::{Value, json};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// The longest `delay_ms` a simulated message may wait.
pub const MAX_DELAY_MS: u64 = 60_000;
/// How many delayed messages may wait at a time, server-wide.
pub const MAX_DELAYED: usize = 1000;

const CONVERSATION_ID: &str = "conversation_id";
const CONTACT_ID: &str = "contact_id";
const DELAY_MS: &str = "delay_ms";
const MESSAGE_ID: &str = "message_id";

/// The delayed messages waiting to be sent.
#[derive(Debug)]
pub struct Delayed {
    /// One permit per message that may wait; a reset starts a fresh count.
    slots: Mutex<Arc<Semaphore>>,
    /// Moved by each reset: a message scheduled before it is dropped at once.
    generation: watch::Sender<u64>,
}

impl Default for Delayed {
    fn default() -> Self {
        Delayed {
            slots: Mutex::new(Arc::new(Semaphore::new(MAX_DELAYED))),
            generation: watch::Sender::new(0),
        }
    }
}

impl Delayed {
    /// Drops every message waiting (a reset): each wakes and ends, and the bound counts
    /// from zero again at once.
    pub fn cancel(&self) {
        *self.slots.lock() = Arc::new(Semaphore::new(MAX_DELAYED));
        self.generation.send_modify(|g| *g += 1);
    }

    fn generation(&self) -> u64 {
        *self.generation.borrow()
    }

    fn slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        Arc::clone(&self.slots.lock())
            .try_acquire_owned()
            .map_err(|_| ApiError::TooManyDelayed { limit: MAX_DELAYED })
    }
}

/// What a simulated message asks for, checked.
struct Simulated {
    conversation_id: String,
    contact_id: Option<String>,
    delay_ms: Option<u64>,
    patch: Patch,
}

/// `POST /__admin/simulate/message` in the workspace of `token`: 201 with the message, or,
/// with `delay_ms`, 202 with what will be sent once the delay has passed.
pub fn message(
    state: &AppState,
    token: &str,
    body: Result<&[u8], ApiError>,
) -> Result<Reply, ApiError> {
    let asked = simulated(&parse_body(Some(BodyKind::Json), body?)?)?;
    let ws = state.workspace(token)?;
    let Some(delay_ms) = asked.delay_ms else {
        let body = send(state, token, &mut ws.write(), &asked)?;
        return Ok(Reply::json(Status::CREATED, body));
    };
    // Checked now, so that a mistake is a 400 here, not a message that never comes.
    let speaker = sender(
        &ws.read(),
        &asked.conversation_id,
        asked.contact_id.as_deref(),
    )?
    .id;
    let permit = state.delayed.slot()?;
    let answer = json!({
        "status": "scheduled",
        CONVERSATION_ID: asked.conversation_id,
        CONTACT_ID: speaker,
        DELAY_MS: delay_ms,
    });
    let body = crate::model::to_body(&answer, state.config.compact);
    let (state, token, generation) = (state.clone(), token.to_owned(), state.delayed.generation());
    // Held weakly while it waits: a waiting message neither keeps its workspace in use (so
    // that, under --isolate, it can be evicted like any idle one) nor alive once it is gone.
    let ws = Arc::downgrade(&ws);
    tokio::spawn(async move {
        let mut closed = state.bus.closed();
        let mut reset = state.delayed.generation.subscribe();
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(delay_ms)) => {}
            () = closing(&mut closed) => return,
            _ = reset.wait_for(|g| *g != generation) => return,
        }
        if let Err(err) = send_later(&state, &token, &ws, generation, &asked)
            && !state.config.quiet
        {
            crate::log::line(format!(
                "convmock: a delayed message in conversation '{}' was not sent: {}",
                clip(&asked.conversation_id),
                err.messages().join(" ")
            ));
        }
        drop(permit);
    });
    Ok(Reply::json(Status::ACCEPTED, body))
}

/// Sends a delayed message once its delay has passed, unless a reset came since or its
/// workspace is gone (evicted, or removed).
fn send_later(
    state: &AppState,
    token: &str,
    ws: &Weak<WorkspaceCell>,
    generation: u64,
    asked: &Simulated,
) -> Result<(), ApiError> {
    let Some(ws) = ws.upgrade() else {
        return Ok(());
    };
    if !state
        .existing_workspace(token)
        .is_some_and(|current| Arc::ptr_eq(&current, &ws))
    {
        return Ok(());
    }
    let mut held = ws.write();
    // Under the lock a reset takes to replace the records, after it moved the generation.
    if state.delayed.generation() != generation {
        return Ok(());
    }
    send(state, token, &mut held, asked).map(drop)
}

/// Sends the message now, as the API sends one, and hands its events to the bus under the
/// workspace's lock; the message's body.
fn send(
    state: &AppState,
    token: &str,
    held: &mut Workspace,
    asked: &Simulated,
) -> Result<Vec<u8>, ApiError> {
    let sender = sender(held, &asked.conversation_id, asked.contact_id.as_deref())?;
    let sent = held.send_from(
        &asked.patch,
        state.clock.now(),
        state.config.room(),
        state.config.strict_references,
        sender,
    )?;
    let body = record_body(sent, state.config.compact);
    state
        .bus
        .publish(events_token(state, token), held.events.take());
    Ok(body)
}

/// `POST /__admin/simulate/read`: the message's `read_at` set to now; 200 with it.
pub fn read(
    state: &AppState,
    token: &str,
    body: Result<&[u8], ApiError>,
) -> Result<Reply, ApiError> {
    let fields = parse_body(Some(BodyKind::Json), body?)?;
    let mut problems = Vec::new();
    let mut id = None;
    for (name, raw) in &fields {
        match (name.as_str(), raw) {
            (MESSAGE_ID, RawValue::Json(Value::String(s))) if !s.is_empty() => id = Some(s),
            (MESSAGE_ID, raw) => problems.push(Problem::param(
                MESSAGE_ID,
                format!(
                    "Invalid 'message_id': expected a message's ID, got {}.",
                    shown(raw)
                ),
            )),
            (other, _) => problems.push(unknown(other, &[MESSAGE_ID])),
        }
    }
    let id = match (id, problems.is_empty()) {
        (Some(id), true) => id,
        (None, true) => return Err(missing(MESSAGE_ID)),
        _ => return Err(ApiError::Invalid(problems)),
    };
    let ws = state.workspace(token)?;
    let mut held = ws.write();
    let now = state.clock.now();
    let Workspace {
        messages, events, ..
    } = &mut *held;
    let read = messages
        .update(id, |m| m.read_at = Some(now))
        .ok_or_else(|| ApiError::NotFound {
            resource: messages::DESCRIPTION.singular,
            id: clip(id),
        })?;
    events.emit(Action::Updated, read);
    let body = record_body(read, state.config.compact);
    state
        .bus
        .publish(events_token(state, token), held.events.take());
    Ok(Reply::ok(body))
}

/// The token a workspace's events are filed under: its own under `--isolate`.
fn events_token<'a>(state: &AppState, token: &'a str) -> Option<&'a str> {
    state.config.isolate.then_some(token)
}

/// Reads a simulated message's body: the fields a send takes, checked as a send checks
/// them, and `contact_id` and `delay_ms`; every problem reported by name.
fn simulated(fields: &Fields) -> Result<Simulated, ApiError> {
    let mut problems = Vec::new();
    let (mut contact_id, mut delay_ms) = (None, None);
    let mut sent = Fields::new();
    for (name, raw) in fields {
        match (name.as_str(), raw) {
            (CONTACT_ID, RawValue::Json(Value::String(s))) if !s.is_empty() => {
                contact_id = Some(s.clone());
            }
            (CONTACT_ID, raw) => problems.push(Problem::param(
                CONTACT_ID,
                format!(
                    "Invalid 'contact_id': expected a contact's ID, got {}.",
                    shown(raw)
                ),
            )),
            (DELAY_MS, raw) => {
                let ms = match raw {
                    RawValue::Json(Value::Number(n)) => json_integer(n),
                    _ => None,
                };
                match ms.and_then(|ms| u64::try_from(ms).ok()) {
                    Some(ms) if ms <= MAX_DELAY_MS => delay_ms = Some(ms),
                    _ => problems.push(Problem::param(
                        DELAY_MS,
                        format!(
                            "Invalid 'delay_ms': expected an integer of milliseconds from 0 to \
                             {MAX_DELAY_MS}, got {}.",
                            shown(raw)
                        ),
                    )),
                }
            }
            (other, _)
                if messages::DESCRIPTION
                    .field(other)
                    .is_some_and(|(_, field)| field.create) =>
            {
                sent.push((name.clone(), raw.clone()));
            }
            (other, _) => {
                let mut takes: Vec<&str> =
                    messages::DESCRIPTION.creatable().map(|f| f.name).collect();
                takes.extend([CONTACT_ID, DELAY_MS]);
                problems.push(unknown(other, &takes));
            }
        }
    }
    let patch = match new_record(&messages::DESCRIPTION, &sent) {
        Ok(patch) => Some(patch),
        Err(ApiError::Invalid(more)) => {
            problems.extend(more);
            None
        }
        Err(other) => return Err(other),
    };
    let conversation_id = patch.as_ref().and_then(|patch| {
        let (number, _) = messages::DESCRIPTION.field(CONVERSATION_ID)?;
        patch.0.iter().find_map(|(n, v)| match v {
            Owned::Text(Some(id)) if *n == number => Some(id.to_string()),
            _ => None,
        })
    });
    match (patch, conversation_id) {
        (Some(patch), Some(conversation_id)) if problems.is_empty() => Ok(Simulated {
            conversation_id,
            contact_id,
            delay_ms,
            patch,
        }),
        _ if problems.is_empty() => Err(missing(CONVERSATION_ID)),
        _ => Err(ApiError::Invalid(problems)),
    }
}

/// Who speaks in a simulated message: in a group's conversation, the member `contact_id`
/// names (required); in a contact's, that contact (`contact_id`, if given, must be it); in a
/// conversation with neither, the contact `contact_id` names (required). 404 for a
/// conversation or contact this workspace does not hold; 400 naming `contact_id` otherwise.
fn sender(
    ws: &Workspace,
    conversation_id: &str,
    contact_id: Option<&str>,
) -> Result<Embedded, ApiError> {
    let not_found = |resource: &'static str, id: &str| ApiError::NotFound {
        resource,
        id: clip(id),
    };
    let wrong = |message: String| ApiError::invalid(Problem::param(CONTACT_ID, message));
    let conversation = ws
        .conversations
        .get(conversation_id)
        .ok_or_else(|| not_found("conversation", conversation_id))?;
    let group = conversation
        .group_id
        .as_deref()
        .and_then(|g| ws.groups.get(g));
    if let Some(group) = group {
        let named = contact_id.ok_or_else(|| {
            wrong(format!(
                "Missing 'contact_id': conversation '{}' is group '{}''s; name the member who \
                 speaks.",
                clip(conversation_id),
                group.id
            ))
        })?;
        let member = group.contacts.iter().find(|c| *c.id == *named);
        return match (member, ws.contacts.get(named)) {
            (Some(_), Some(contact)) => Ok(Embedded::from(contact)),
            (Some(member), None) => Ok(member.clone()),
            (None, Some(_)) => Err(wrong(format!(
                "Invalid 'contact_id': contact '{}' is not a member of group '{}'.",
                clip(named),
                group.id
            ))),
            (None, None) => Err(not_found("contact", named)),
        };
    }
    let own = conversation
        .contact_id
        .as_deref()
        .and_then(|c| ws.contacts.get(c));
    match (own, contact_id) {
        (Some(own), Some(named)) if *own.id != *named => Err(wrong(format!(
            "Invalid 'contact_id': conversation '{}' is with contact '{}', not '{}'; leave \
             contact_id out or name that contact.",
            clip(conversation_id),
            own.id,
            clip(named)
        ))),
        (Some(own), _) => Ok(Embedded::from(own)),
        (None, Some(named)) => ws
            .contacts
            .get(named)
            .map(Embedded::from)
            .ok_or_else(|| not_found("contact", named)),
        (None, None) => Err(wrong(format!(
            "Missing 'contact_id': conversation '{}' has no contact or group here; name the \
             contact who speaks.",
            clip(conversation_id)
        ))),
    }
}

fn shown(raw: &RawValue) -> String {
    match raw {
        RawValue::Json(value) => describe(value),
        RawValue::Form(_) | RawValue::Brackets(_) => "a form value".to_owned(),
    }
}

fn unknown(name: &str, takes: &[&str]) -> Problem {
    Problem::param(
        name,
        format!(
            "Unknown parameter '{}': this call takes {}.",
            clip(name),
            takes.join(", ")
        ),
    )
}

fn missing(name: &str) -> ApiError {
    ApiError::invalid(Problem::param(
        name,
        format!("Missing parameter '{name}': this call needs it."),
    ))
}
