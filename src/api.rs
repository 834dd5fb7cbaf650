//! The five operations of the Conversations API.
//!
//! Each function validates its input before taking the workspace's lock, holds the lock for
//! the store call and the serialization of the answer, and returns a [`Reply`] or an
//! [`ApiError`]. Nothing here knows hyper; `http` turns the reply into a response.

use crate::body::parse_pairs;
use crate::error::ApiError;
use crate::exchange::{Reply, Status};
use crate::json::{conversation_body, page_body};
use crate::model::{self, Conversation, Fields, Problem, clip, parse_bool};
use crate::router::Base;
use crate::state::SharedWorkspace;
use crate::store::{Cursor, ListQuery, Patch, UnknownCursor};

/// The fields an update may change.
const UPDATABLE: [&str; 4] = ["pinned_message_id", "is_pinned", "is_muted", "archived_at"];
/// The fields only the server sets.
const READ_ONLY: [&str; 6] = [
    "id",
    "contact_id",
    "group_id",
    "last_active_at",
    "last_opened_at",
    "created_at",
];

/// `GET {base}/conversations`.
/// The query is validated first ([`list_query`]), before any workspace is touched.
pub fn list(ws: &SharedWorkspace, q: &ListQuery, compact: bool) -> Result<Reply, ApiError> {
    let ws = ws.read();
    let page = ws.store.list(q).map_err(|UnknownCursor(cursor)| {
        let (name, id) = match &cursor {
            Cursor::After(id) => ("starting_after", id),
            Cursor::Before(id) => ("ending_before", id),
        };
        ApiError::invalid(Problem::param(
            name,
            format!("Invalid '{name}': no such conversation: '{}'", clip(id)),
        ))
    })?;
    Ok(Reply::json(Status::OK, page_body(&page, compact)))
}

/// Validates a list's query string: every problem is reported, each by name.
pub fn list_query(query: &str) -> Result<ListQuery, ApiError> {
    let pairs = parse_pairs(query.as_bytes(), "query string").map_err(ApiError::invalid)?;
    let mut q = ListQuery::default();
    let mut problems = Vec::new();
    let boolean = |name: &str, v: &str, problems: &mut Vec<Problem>| {
        let parsed = parse_bool(v);
        if parsed.is_none() {
            problems.push(Problem::param(
                name,
                format!(
                    "Invalid value for '{name}': expected true or false, got '{}'.",
                    clip(v)
                ),
            ));
        }
        parsed
    };
    for (name, value) in &pairs {
        match name.as_str() {
            "limit" => match value.parse::<usize>() {
                Ok(n) if (1..=100).contains(&n) && value.bytes().all(|b| b.is_ascii_digit()) => {
                    q.limit = n
                }
                _ => problems.push(Problem::param(
                    "limit",
                    format!(
                        "Invalid value for 'limit': expected an integer from 1 to 100, got '{}'.",
                        clip(value)
                    ),
                )),
            },
            "muted" => q.muted = boolean("muted", value, &mut problems),
            "archived" => q.archived = boolean("archived", value, &mut problems),
            "pinned" => q.pinned = boolean("pinned", value, &mut problems),
            "group_id" | "starting_after" | "ending_before" if value.is_empty() => {
                problems.push(Problem::param(
                    name,
                    format!("Invalid value for '{name}': expected an ID, got an empty value."),
                ))
            }
            "group_id" => q.group_id = Some(value.clone()),
            "starting_after" => q.cursor = Some(Cursor::After(value.clone())),
            "ending_before" => q.cursor = Some(Cursor::Before(value.clone())),
            other => problems.push(Problem::param(
                other,
                format!(
                    "Unknown parameter '{}': a list accepts limit, muted, archived, pinned, \
                     group_id, starting_after and ending_before.",
                    clip(other)
                ),
            )),
        }
    }
    let has = |n: &str| pairs.iter().any(|(name, _)| name == n);
    if has("starting_after") && has("ending_before") {
        problems.push(Problem::param(
            "ending_before",
            "Use at most one of 'starting_after' and 'ending_before'.",
        ));
    }
    if problems.is_empty() {
        Ok(q)
    } else {
        Err(ApiError::Invalid(problems))
    }
}

/// A create's fields, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewConversation {
    /// The other contact, if any.
    pub contact_id: Option<Box<str>>,
    /// The group, if any.
    pub group_id: Option<Box<str>>,
}

/// Validates a create's fields: every problem is reported, each by name.
pub fn new_conversation(fields: &Fields) -> Result<NewConversation, ApiError> {
    let mut contact_id = None;
    let mut group_id = None;
    let mut problems = Vec::new();
    for (name, raw) in fields {
        let slot = match name.as_str() {
            "contact_id" => &mut contact_id,
            "group_id" => &mut group_id,
            other => {
                problems.push(Problem::param(
                    other,
                    format!(
                        "Unknown parameter '{}': a create accepts contact_id and group_id.",
                        clip(other)
                    ),
                ));
                continue;
            }
        };
        match model::optional_id(name, raw) {
            Ok(v) => *slot = v,
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() && contact_id.is_none() && group_id.is_none() {
        problems.push(Problem::param(
            "contact_id",
            "Missing parameter: a create needs 'contact_id' or 'group_id' (or both).",
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    Ok(NewConversation {
        contact_id,
        group_id,
    })
}

/// `POST {base}/conversations`: 201 with the new conversation and its `Location`; a 429
/// when the workspace already holds `max_objects` conversations.
pub fn create(
    ws: &SharedWorkspace,
    base: Base,
    new: NewConversation,
    now: i64,
    compact: bool,
    max_objects: usize,
) -> Result<Reply, ApiError> {
    let mut ws = ws.write();
    let held = ws.store.len();
    if held >= max_objects {
        return Err(ApiError::TooManyObjects {
            held,
            limit: max_objects,
        });
    }
    let id = ws.new_id();
    let created = ws
        .store
        .insert(Conversation::new(id, new.contact_id, new.group_id, now))
        .expect("new_id never returns an ID that is in the store");
    let location = format!("{}/conversations/{}", base.prefix(), created.id);
    Ok(Reply {
        status: Status::CREATED,
        location: Some(location),
        ..Reply::json(Status::CREATED, conversation_body(created, compact))
    })
}

/// `GET {base}/conversations/{id}`.
pub fn retrieve(ws: &SharedWorkspace, id: &str, compact: bool) -> Result<Reply, ApiError> {
    let ws = ws.read();
    let c = ws.store.get(id).ok_or_else(|| not_found(id))?;
    Ok(Reply::json(Status::OK, conversation_body(c, compact)))
}

/// `PUT {base}/conversations/{id}`: a partial update; an empty one changes nothing.
/// The patch is validated first ([`patch`]), before any workspace is touched.
pub fn update(
    ws: &SharedWorkspace,
    id: &str,
    patch: &Patch,
    compact: bool,
) -> Result<Reply, ApiError> {
    let mut ws = ws.write();
    let c = ws.store.update(id, patch).ok_or_else(|| not_found(id))?;
    Ok(Reply::json(Status::OK, conversation_body(c, compact)))
}

/// Validates an update's fields: every problem is reported, each by name.
pub fn patch(fields: &Fields) -> Result<Patch, ApiError> {
    let mut patch = Patch::default();
    let mut problems = Vec::new();
    for (name, raw) in fields {
        let typed = match name.as_str() {
            "pinned_message_id" => {
                model::nullable_string(name, raw).map(|v| patch.pinned_message_id = Some(v))
            }
            "is_pinned" => model::boolean(name, raw).map(|v| patch.is_pinned = Some(v)),
            "is_muted" => model::boolean(name, raw).map(|v| patch.is_muted = Some(v)),
            "archived_at" => {
                model::nullable_timestamp(name, raw).map(|v| patch.archived_at = Some(v))
            }
            ro if READ_ONLY.contains(&ro) => Err(Problem::param(
                ro,
                format!("'{ro}' is read-only and cannot be updated."),
            )),
            other => Err(Problem::param(
                other,
                format!(
                    "Unknown parameter '{}': an update accepts {}.",
                    clip(other),
                    UPDATABLE.join(", ")
                ),
            )),
        };
        if let Err(p) = typed {
            problems.push(p);
        }
    }
    if problems.is_empty() {
        Ok(patch)
    } else {
        Err(ApiError::Invalid(problems))
    }
}

/// `DELETE {base}/conversations/{id}`: 204, for good.
pub fn delete(ws: &SharedWorkspace, id: &str) -> Result<Reply, ApiError> {
    if !ws.write().delete(id) {
        return Err(not_found(id));
    }
    Ok(Reply::no_content())
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound { id: clip(id) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RawValue;

    fn problems(result: Result<impl std::fmt::Debug, ApiError>) -> Vec<Option<String>> {
        match result {
            Err(ApiError::Invalid(ps)) => ps.into_iter().map(|p| p.param).collect(),
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn list_queries_validate_every_parameter_by_name() {
        let q =
            list_query("limit=3&muted=true&archived=false&group_id=g&starting_after=x").unwrap();
        assert_eq!(q.limit, 3);
        assert_eq!(
            (q.muted, q.archived, q.pinned),
            (Some(true), Some(false), None)
        );
        assert_eq!(q.cursor, Some(Cursor::After("x".into())));
        assert_eq!(list_query("").unwrap(), ListQuery::default());
        for (query, param) in [
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=+5", "limit"),
            ("limit=ten", "limit"),
            ("limit=", "limit"),
            ("muted=yes", "muted"),
            ("archived=1", "archived"),
            ("pinned=", "pinned"),
            ("group_id=", "group_id"),
            ("starting_after=", "starting_after"),
            ("starting_after=a&ending_before=b", "ending_before"),
            ("colour=red", "colour"),
            ("limit=1&limit=2", "limit"),
        ] {
            assert_eq!(
                problems(list_query(query)),
                [Some(param.to_owned())],
                "{query}"
            );
        }
        assert_eq!(problems(list_query("limit=0&muted=x")).len(), 2);
    }

    #[test]
    fn updates_reject_read_only_unknown_and_mistyped_fields_by_name() {
        let f = |name: &str, value: &str| vec![(name.to_owned(), RawValue::Form(value.to_owned()))];
        assert_eq!(patch(&f("is_muted", "true")).unwrap().is_muted, Some(true));
        assert_eq!(
            patch(&f("archived_at", "")).unwrap().archived_at,
            Some(None)
        );
        assert_eq!(patch(&vec![]).unwrap(), Patch::default());
        for (name, value) in [
            ("id", "x"),
            ("created_at", "1"),
            ("contact_id", "c"),
            ("nickname", "x"),
            ("is_muted", "maybe"),
            ("archived_at", "-3"),
        ] {
            assert_eq!(problems(patch(&f(name, value))), [Some(name.to_owned())]);
        }
    }
}
