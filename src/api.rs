//! The five operations every resource serves, and the dispatch to them.
//!
//! A request is first checked against its resource's description ([`check`]): a list's
//! query, a create's or an update's fields, every problem reported by name. Only then is
//! its workspace looked up, and [`serve`] runs the operation for the resource: an
//! exhaustive `match` over (resource, operation), so a new resource or operation cannot be
//! served by another's arm. Each operation holds the workspace's lock for the store call and
//! the serialization of the answer, and returns a [`Reply`] or an [`ApiError`]. Nothing here
//! knows hyper; `http` turns the reply into a response.

use crate::body::parse_pairs;
use crate::clock::Clock;
use crate::error::ApiError;
use crate::events::Bus;
use crate::exchange::{Reply, Status};
use crate::json::{page_content, record_body};
use crate::model::{self, Fields, Null, Problem, clip, parse_bool};
use crate::resources::{
    Contact, Conversation, Description, Filter, Group, Message, Owned, Patch, Record, Resource,
    Test, join_and,
};
use crate::router::{Base, Op, Route};
use crate::state::SharedWorkspace;
use crate::store::{Condition, Cursor, ListQuery, OrderKey, UnknownCursor};
use crate::workspace::{Held, Room, Workspace};
use std::sync::Arc;

/// A request, checked against its resource's description: what its operation needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call<'a> {
    /// A list, with its query.
    List(ListQuery),
    /// A create, with the fields it sets.
    Create(Patch),
    /// A retrieve of this ID.
    Retrieve(&'a str),
    /// An update of this ID, with the fields it sets.
    Update(&'a str, Patch),
    /// A delete of this ID.
    Delete(&'a str),
}

/// Checks what a request says — its query, or its body's `fields` — against its resource's
/// description, before any workspace is touched.
pub fn check<'a>(
    route: &Route<'a>,
    query: Option<&str>,
    fields: &Fields,
) -> Result<Call<'a>, ApiError> {
    let description = route.resource.describe();
    let id = route.id.unwrap_or_default();
    Ok(match route.op {
        Op::List => Call::List(list_query(description, query.unwrap_or(""))?),
        Op::Create => Call::Create(new_record(description, fields)?),
        Op::Retrieve => Call::Retrieve(id),
        Op::Update => Call::Update(id, patch(description, fields)?),
        Op::Delete => Call::Delete(id),
    })
}

/// What the operations need of the server besides the workspace.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// `--compact`.
    pub compact: bool,
    /// `--max-objects` and `--max-workspace-mib`.
    pub room: Room,
    /// `--strict-references`.
    pub strict_references: bool,
    /// The clock a create's `created_at` comes from.
    pub clock: &'a Clock,
    /// Where the events of a change go.
    pub bus: &'a Bus,
    /// The workspace's token, under `--isolate`: what its events are filed under.
    pub token: Option<&'a str>,
    /// Where the IDs of the events the request emitted are noted, for its journal entry.
    pub emitted: &'a std::cell::RefCell<Vec<Box<str>>>,
}

impl Context<'_> {
    /// Hands the events of this request's change to the bus, under the workspace's lock so
    /// that each workspace's events reach it in the order they happened.
    fn publish(&self, ws: &mut Workspace) {
        let events = ws.events.take();
        self.emitted
            .borrow_mut()
            .extend(events.iter().map(|e| e.id.clone()));
        self.bus.publish(self.token, events);
    }
}

/// Runs a checked request's operation in its workspace.
pub fn serve(
    ws: &SharedWorkspace,
    route: &Route<'_>,
    call: Call<'_>,
    cx: &Context<'_>,
) -> Result<Reply, ApiError> {
    match (route.resource, call) {
        (Resource::Conversations, Call::List(q)) => list::<Conversation>(ws, &q, cx.compact),
        (Resource::Conversations, Call::Create(new)) => {
            create::<Conversation>(ws, route.base, &new, cx)
        }
        (Resource::Conversations, Call::Retrieve(id)) => {
            retrieve::<Conversation>(ws, id, cx.compact)
        }
        (Resource::Conversations, Call::Update(id, patch)) => {
            update::<Conversation>(ws, id, &patch, cx)
        }
        (Resource::Conversations, Call::Delete(id)) => delete::<Conversation>(ws, id, cx),
        (Resource::Contacts, Call::List(q)) => list::<Contact>(ws, &q, cx.compact),
        (Resource::Contacts, Call::Create(new)) => create::<Contact>(ws, route.base, &new, cx),
        (Resource::Contacts, Call::Retrieve(id)) => retrieve::<Contact>(ws, id, cx.compact),
        (Resource::Contacts, Call::Update(id, patch)) => update::<Contact>(ws, id, &patch, cx),
        (Resource::Contacts, Call::Delete(id)) => delete::<Contact>(ws, id, cx),
        (Resource::Groups, Call::List(q)) => list::<Group>(ws, &q, cx.compact),
        (Resource::Groups, Call::Create(new)) => create::<Group>(ws, route.base, &new, cx),
        (Resource::Groups, Call::Retrieve(id)) => retrieve::<Group>(ws, id, cx.compact),
        (Resource::Groups, Call::Update(id, patch)) => update::<Group>(ws, id, &patch, cx),
        (Resource::Groups, Call::Delete(id)) => delete::<Group>(ws, id, cx),
        (Resource::Messages, Call::List(q)) => list::<Message>(ws, &q, cx.compact),
        (Resource::Messages, Call::Create(new)) => create::<Message>(ws, route.base, &new, cx),
        (Resource::Messages, Call::Retrieve(id)) => retrieve::<Message>(ws, id, cx.compact),
        (Resource::Messages, Call::Update(id, patch)) => update::<Message>(ws, id, &patch, cx),
        (Resource::Messages, Call::Delete(id)) => delete::<Message>(ws, id, cx),
    }
}

/// `GET {base}/{plural}`.
pub fn list<R: Held>(
    ws: &SharedWorkspace,
    q: &ListQuery,
    compact: bool,
) -> Result<Reply, ApiError> {
    let held = ws.read();
    let page = held.store::<R>().list(q).map_err(|UnknownCursor(cursor)| {
        let (name, id) = match &cursor {
            Cursor::After(id) => (STARTING_AFTER, id),
            Cursor::Before(id) => (ENDING_BEFORE, id),
        };
        ApiError::invalid(Problem::param(
            name,
            format!(
                "Invalid '{name}': no such {}: '{}'",
                R::DESCRIPTION.singular,
                clip(id)
            ),
        ))
    })?;
    let records = page.places.into_iter().zip(page.data.into_iter().cloned());
    let (has_more, records) = (page.has_more, records.collect());
    drop(held);
    let shared = Arc::downgrade(ws);
    let refind = move |place: &OrderKey| shared.upgrade()?.read().store::<R>().at(place);
    Ok(Reply {
        status: Status::OK,
        body: Some(page_content(has_more, records, compact, refind)),
        location: None,
    })
}

/// `POST {base}/{plural}`: 201 with the new record and its `Location`; a 429 when the
/// workspace has no room for it.
pub fn create<R: Held>(
    ws: &SharedWorkspace,
    base: Base,
    new: &Patch,
    cx: &Context<'_>,
) -> Result<Reply, ApiError> {
    let mut ws = ws.write();
    let created = ws.create::<R>(new, cx.clock.now(), cx.room, cx.strict_references)?;
    let location = format!(
        "{}/{}/{}",
        base.prefix(),
        R::DESCRIPTION.plural,
        created.id()
    );
    let body = record_body(created, cx.compact);
    cx.publish(&mut ws);
    Ok(Reply {
        location: Some(location),
        ..Reply::json(Status::CREATED, body)
    })
}

/// `GET {base}/{plural}/{id}`.
pub fn retrieve<R: Held>(ws: &SharedWorkspace, id: &str, compact: bool) -> Result<Reply, ApiError> {
    let ws = ws.read();
    let record = ws.store::<R>().get(id).ok_or_else(|| not_found::<R>(id))?;
    Ok(Reply::json(Status::OK, record_body(record, compact)))
}

/// `PUT {base}/{plural}/{id}`: a partial update; an empty one changes nothing.
pub fn update<R: Held>(
    ws: &SharedWorkspace,
    id: &str,
    patch: &Patch,
    cx: &Context<'_>,
) -> Result<Reply, ApiError> {
    let mut ws = ws.write();
    let record = ws
        .update::<R>(id, patch, cx.clock.now(), cx.room, cx.strict_references)?
        .ok_or_else(|| not_found::<R>(id))?;
    let body = record_body(record, cx.compact);
    cx.publish(&mut ws);
    Ok(Reply::json(Status::OK, body))
}

/// `DELETE {base}/{plural}/{id}`: 204, for good.
pub fn delete<R: Held>(
    ws: &SharedWorkspace,
    id: &str,
    cx: &Context<'_>,
) -> Result<Reply, ApiError> {
    let mut ws = ws.write();
    if !ws.delete::<R>(id) {
        return Err(not_found::<R>(id));
    }
    cx.publish(&mut ws);
    Ok(Reply::no_content())
}

fn not_found<R: Record>(id: &str) -> ApiError {
    ApiError::NotFound {
        resource: R::DESCRIPTION.singular,
        id: clip(id),
    }
}

/// A list's page size parameter.
const LIMIT: &str = "limit";
/// The cursor that starts a page after a record.
const STARTING_AFTER: &str = "starting_after";
/// The cursor that ends a page before a record.
const ENDING_BEFORE: &str = "ending_before";

/// Validates a list's query string against the resource's filters: every problem is
/// reported, each by name.
pub fn list_query(description: &Description, query: &str) -> Result<ListQuery, ApiError> {
    let pairs = parse_pairs(query.as_bytes(), "query string").map_err(ApiError::invalid)?;
    let mut q = ListQuery::default();
    let mut problems = Vec::new();
    for (name, value) in &pairs {
        match name.as_str() {
            LIMIT => match value.parse::<usize>() {
                Ok(n) if (1..=100).contains(&n) && value.bytes().all(|b| b.is_ascii_digit()) => {
                    q.limit = n
                }
                _ => problems.push(Problem::param(
                    LIMIT,
                    format!(
                        "Invalid value for 'limit': expected an integer from 1 to 100, got '{}'.",
                        clip(value)
                    ),
                )),
            },
            STARTING_AFTER | ENDING_BEFORE if value.is_empty() => problems.push(empty_id(name)),
            STARTING_AFTER => q.cursor = Some(Cursor::After(value.clone())),
            ENDING_BEFORE => q.cursor = Some(Cursor::Before(value.clone())),
            other => match description.filters.iter().find(|f| f.param == other) {
                Some(filter) => match condition(description, filter, value) {
                    Ok(c) => q.filters.push(c),
                    Err(p) => problems.push(p),
                },
                None => {
                    let mut accepted = vec![LIMIT];
                    accepted.extend(description.filters.iter().map(|f| f.param));
                    accepted.extend([STARTING_AFTER, ENDING_BEFORE]);
                    problems.push(Problem::param(
                        other,
                        format!(
                            "Unknown parameter '{}': a list accepts {}.",
                            clip(other),
                            join_and(&accepted)
                        ),
                    ))
                }
            },
        }
    }
    let has = |n: &str| pairs.iter().any(|(name, _)| name == n);
    if has(STARTING_AFTER) && has(ENDING_BEFORE) {
        problems.push(Problem::param(
            ENDING_BEFORE,
            "Use at most one of 'starting_after' and 'ending_before'.",
        ));
    }
    if problems.is_empty() {
        Ok(q)
    } else {
        Err(ApiError::Invalid(problems))
    }
}

/// A 400 for a parameter that names a record but is empty.
fn empty_id(name: &str) -> Problem {
    Problem::param(
        name,
        format!("Invalid value for '{name}': expected an ID, got an empty value."),
    )
}

/// A filter's condition for a query value.
fn condition(
    description: &Description,
    filter: &Filter,
    value: &str,
) -> Result<Condition, Problem> {
    let (field, _) = description
        .field(filter.field)
        .expect("a filter tests a field of its resource (checked by a unit test)");
    let boolean = || {
        parse_bool(value).ok_or_else(|| {
            Problem::param(
                filter.param,
                format!(
                    "Invalid value for '{}': expected true or false, got '{}'.",
                    filter.param,
                    clip(value)
                ),
            )
        })
    };
    Ok(match filter.test {
        Test::Equals if value.is_empty() => return Err(empty_id(filter.param)),
        Test::Is => Condition::Is {
            field,
            value: boolean()?,
        },
        Test::IsSet => Condition::IsSet {
            field,
            set: boolean()?,
        },
        Test::Equals => Condition::Equals {
            field,
            value: value.to_owned(),
        },
    })
}

/// Validates a create's fields against the fields a create may set: every problem is
/// reported, each by name.
pub fn new_record(description: &Description, fields: &Fields) -> Result<Patch, ApiError> {
    let mut patch = Patch::default();
    let mut problems = Vec::new();
    for (name, raw) in fields {
        match description.field(name) {
            Some((number, field)) if field.create => {
                match model::field_value(field, Null::for_field(field, false), raw) {
                    Ok(value) => patch.0.push((number, value)),
                    Err(p) => problems.push(p),
                }
            }
            _ => {
                let accepted: Vec<&str> = description.creatable().map(|f| f.name).collect();
                problems.push(Problem::param(
                    name,
                    format!(
                        "Unknown parameter '{}': a create accepts {}.",
                        clip(name),
                        join_and(&accepted)
                    ),
                ));
            }
        }
    }
    let one_of = description.create_needs_one_of;
    let names_one = patch.0.iter().any(|(number, value)| {
        one_of.contains(&description.fields[*number].name) && *value != Owned::Text(None)
    });
    if problems.is_empty() && !one_of.is_empty() && !names_one {
        let quoted: Vec<String> = one_of.iter().map(|n| format!("'{n}'")).collect();
        problems.push(Problem::param(
            one_of[0],
            format!(
                "Missing parameter: a create needs {} (or both).",
                quoted.join(" or ")
            ),
        ));
    }
    for name in description.create_requires {
        let given = patch.0.iter().any(|(number, value)| {
            description.fields[*number].name == *name && *value != Owned::Text(None)
        });
        if !given {
            problems.push(Problem::param(
                name,
                format!("Missing parameter '{name}': a create needs it."),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    Ok(patch)
}

/// Validates an update's fields against the fields an update may change: every problem is
/// reported, each by name.
pub fn patch(description: &Description, fields: &Fields) -> Result<Patch, ApiError> {
    let mut patch = Patch::default();
    let mut problems = Vec::new();
    for (name, raw) in fields {
        let typed = match description.field(name) {
            Some((number, field)) if field.updatable => {
                model::field_value(field, Null::for_field(field, true), raw)
                    .map(|value| patch.0.push((number, value)))
            }
            Some((_, field)) => Err(Problem::param(
                field.name,
                format!("'{}' is read-only and cannot be updated.", field.name),
            )),
            None => {
                let accepted: Vec<&str> = description.updatable().map(|f| f.name).collect();
                Err(Problem::param(
                    name,
                    format!(
                        "Unknown parameter '{}': an update accepts {}.",
                        clip(name),
                        accepted.join(", ")
                    ),
                ))
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RawValue;
    use crate::resources::Owned;
    use crate::resources::conversations::DESCRIPTION;

    fn list_query(query: &str) -> Result<ListQuery, ApiError> {
        super::list_query(&DESCRIPTION, query)
    }

    fn patch(fields: &Fields) -> Result<Patch, ApiError> {
        super::patch(&DESCRIPTION, fields)
    }

    fn number(name: &str) -> usize {
        DESCRIPTION.field(name).unwrap().0
    }

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
            q.filters,
            [
                Condition::Is {
                    field: number("is_muted"),
                    value: true
                },
                Condition::IsSet {
                    field: number("archived_at"),
                    set: false
                },
                Condition::Equals {
                    field: number("group_id"),
                    value: "g".into()
                },
            ]
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
        assert_eq!(
            patch(&f("is_muted", "true")).unwrap(),
            Patch(vec![(number("is_muted"), Owned::Bool(true))])
        );
        assert_eq!(
            patch(&f("archived_at", "")).unwrap(),
            Patch(vec![(number("archived_at"), Owned::Time(None))])
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
