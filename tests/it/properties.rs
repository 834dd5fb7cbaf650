//! Property tests: the parsers never panic on any input and round-trip valid ones; the store
//! gives the same answers as a plain vector-based model under random operations.

use convmock::api;
use convmock::body::{BodyKind, decode, parse_body, parse_pairs};
use convmock::error::ApiError;
use convmock::model::RawValue;
use convmock::resources::conversations::DESCRIPTION;
use convmock::resources::{Conversation, Owned, Patch};
use convmock::store::{Condition, Cursor, ListQuery, Store, UnknownCursor};
use proptest::prelude::*;
use std::cmp::Reverse;

fn list_query(query: &str) -> Result<ListQuery, ApiError> {
    api::list_query(&DESCRIPTION, query)
}

/// The number of a conversation's field.
fn number(name: &str) -> usize {
    DESCRIPTION.field(name).expect("a conversation's field").0
}

/// A list's filters as the store takes them, in the order the query string gives them:
/// muted, archived, pinned, group_id.
fn conditions(
    muted: Option<bool>,
    archived: Option<bool>,
    pinned: Option<bool>,
    group_id: Option<String>,
) -> Vec<Condition> {
    let mut filters = Vec::new();
    if let Some(value) = muted {
        filters.push(Condition::Is {
            field: number("is_muted"),
            value,
        });
    }
    if let Some(set) = archived {
        filters.push(Condition::IsSet {
            field: number("archived_at"),
            set,
        });
    }
    if let Some(value) = pinned {
        filters.push(Condition::Is {
            field: number("is_pinned"),
            value,
        });
    }
    if let Some(value) = group_id {
        filters.push(Condition::Equals {
            field: number("group_id"),
            value,
        });
    }
    filters
}

/// Percent-encodes a form component: unreserved bytes as they are, a space as `+` or `%20`,
/// everything else as `%XX` in either case.
fn encode(s: &str, plus_for_space: bool, upper: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' if plus_for_space => out.push('+'),
            _ if upper => out.push_str(&format!("%{b:02X}")),
            _ => out.push_str(&format!("%{b:02x}")),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_pairs(&bytes, "body");
        let _ = decode(&bytes);
        let _ = parse_body(Some(BodyKind::Form), &bytes);
        let _ = parse_body(Some(BodyKind::Json), &bytes);
        let _ = parse_body(None, &bytes);
        let _ = list_query(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn json_shaped_garbage_never_panics(text in r#"[\[\]{}",:0-9a-z\\ .eE+-]{0,64}"#) {
        let _ = parse_body(Some(BodyKind::Json), text.as_bytes());
    }

    #[test]
    fn form_pairs_round_trip(
        pairs in proptest::collection::btree_map("\\PC{1,12}", "\\PC{0,12}", 0..6),
        plus in any::<bool>(),
        upper in any::<bool>(),
    ) {
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k, plus, upper), encode(v, plus, upper)))
            .collect::<Vec<_>>()
            .join("&");
        let parsed = parse_pairs(body.as_bytes(), "body").unwrap();
        let expected: Vec<(String, String)> = pairs.into_iter().collect();
        prop_assert_eq!(parsed, expected);
    }

    #[test]
    fn json_objects_round_trip_in_order(
        entries in proptest::collection::vec(("\\PC{1,8}", any::<i32>()), 0..6),
    ) {
        let mut seen = std::collections::HashSet::new();
        let entries: Vec<(String, i32)> =
            entries.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect();
        let text = format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {v}", serde_json::to_string(k).unwrap()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let fields = parse_body(Some(BodyKind::Json), text.as_bytes()).unwrap();
        let expected: Vec<(String, RawValue)> = entries
            .into_iter()
            .map(|(k, v)| (k, RawValue::Json(serde_json::json!(v))))
            .collect();
        prop_assert_eq!(fields, expected);
    }

    #[test]
    fn valid_list_queries_round_trip(
        limit in 1usize..=100,
        muted in proptest::option::of(any::<bool>()),
        archived in proptest::option::of(any::<bool>()),
        pinned in proptest::option::of(any::<bool>()),
        group_id in proptest::option::of("\\PC{1,10}"),
        cursor in proptest::option::of((any::<bool>(), "[A-Za-z0-9]{16}")),
    ) {
        let mut parts = vec![format!("limit={limit}")];
        let flags = [("muted", muted), ("archived", archived), ("pinned", pinned)];
        for (name, value) in flags {
            if let Some(v) = value {
                parts.push(format!("{name}={v}"));
            }
        }
        if let Some(g) = &group_id {
            parts.push(format!("group_id={}", encode(g, true, true)));
        }
        if let Some((after, id)) = &cursor {
            let name = if *after { "starting_after" } else { "ending_before" };
            parts.push(format!("{name}={id}"));
        }
        let q = list_query(&parts.join("&")).unwrap();
        let expected = ListQuery {
            limit,
            filters: conditions(muted, archived, pinned, group_id),
            cursor: cursor.map(|(after, id)| if after { Cursor::After(id) } else { Cursor::Before(id) }),
        };
        prop_assert_eq!(q, expected);
    }
}

/// An update's changes, typed; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
struct Change {
    pinned_message_id: Option<Option<Box<str>>>,
    is_pinned: Option<bool>,
    is_muted: Option<bool>,
    archived_at: Option<Option<i64>>,
}

impl Change {
    /// The same changes as the store takes them.
    fn patch(&self) -> Patch {
        let mut values = Vec::new();
        if let Some(v) = &self.pinned_message_id {
            values.push((number("pinned_message_id"), Owned::Text(v.clone())));
        }
        if let Some(v) = self.is_pinned {
            values.push((number("is_pinned"), Owned::Bool(v)));
        }
        if let Some(v) = self.is_muted {
            values.push((number("is_muted"), Owned::Bool(v)));
        }
        if let Some(v) = self.archived_at {
            values.push((number("archived_at"), Owned::Time(v)));
        }
        Patch(values)
    }
}

/// A list's filters, typed.
#[derive(Clone, Debug)]
struct Filters {
    muted: Option<bool>,
    archived: Option<bool>,
    pinned: Option<bool>,
    group_id: Option<String>,
}

/// One step of a random session against the store.
#[derive(Clone, Debug)]
enum Op {
    Create {
        contact: bool,
        group: u8,
        created_at: i64,
    },
    Update {
        pick: usize,
        change: Change,
    },
    Delete {
        pick: usize,
    },
    List {
        limit: usize,
        filters: Filters,
        cursor: Option<(bool, usize)>,
    },
}

fn change() -> impl Strategy<Value = Change> {
    (
        proptest::option::of(proptest::option::of("[a-z]{1,4}")),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(proptest::option::of(0i64..100)),
    )
        .prop_map(
            |(pinned_message_id, is_pinned, is_muted, archived_at)| Change {
                pinned_message_id: pinned_message_id.map(|v| v.map(Into::into)),
                is_pinned,
                is_muted,
                archived_at,
            },
        )
}

fn op() -> impl Strategy<Value = Op> {
    let filter = proptest::option::of(any::<bool>());
    prop_oneof![
        3 => (any::<bool>(), 0u8..3, 0i64..6)
            .prop_map(|(contact, group, created_at)| Op::Create { contact, group, created_at }),
        2 => (any::<usize>(), change()).prop_map(|(pick, change)| Op::Update { pick, change }),
        1 => any::<usize>().prop_map(|pick| Op::Delete { pick }),
        3 => (
            1usize..8,
            filter.clone(),
            filter.clone(),
            filter,
            proptest::option::of(0u8..3),
            proptest::option::of((any::<bool>(), any::<usize>())),
        )
            .prop_map(|(limit, muted, archived, pinned, group, cursor)| Op::List {
                limit,
                filters: Filters {
                    muted,
                    archived,
                    pinned,
                    group_id: group.map(|g| format!("g{g}")),
                },
                cursor,
            }),
    ]
}

/// The model: conversations with their insertion number, in a plain vector.
#[derive(Default)]
struct Model {
    rows: Vec<(u64, Conversation)>,
    ever: Vec<String>,
    inserted: u64,
}

impl Model {
    fn ordered(&self) -> Vec<&Conversation> {
        let mut rows: Vec<&(u64, Conversation)> = self.rows.iter().collect();
        rows.sort_by_key(|(seq, c)| (Reverse(c.created_at), Reverse(*seq)));
        rows.into_iter().map(|(_, c)| c).collect()
    }

    fn keeps(q: &Filters, c: &Conversation) -> bool {
        q.muted.is_none_or(|m| c.is_muted == m)
            && q.archived.is_none_or(|a| c.archived_at.is_some() == a)
            && q.pinned.is_none_or(|p| c.is_pinned == p)
            && q.group_id
                .as_deref()
                .is_none_or(|g| c.group_id.as_deref() == Some(g))
    }

    fn list(
        &self,
        q: &ListQuery,
        filters: &Filters,
    ) -> Result<(bool, Vec<Conversation>), UnknownCursor> {
        let order = self.ordered();
        let position = |id: &str| order.iter().position(|c| &*c.id == id);
        let (candidates, backwards): (Vec<&Conversation>, bool) = match &q.cursor {
            None => (order.clone(), false),
            Some(Cursor::After(id)) => {
                let at = position(id).ok_or_else(|| UnknownCursor(q.cursor.clone().unwrap()))?;
                (order[at + 1..].to_vec(), false)
            }
            Some(Cursor::Before(id)) => {
                let at = position(id).ok_or_else(|| UnknownCursor(q.cursor.clone().unwrap()))?;
                (order[..at].to_vec(), true)
            }
        };
        let kept: Vec<Conversation> = candidates
            .into_iter()
            .filter(|c| Model::keeps(filters, c))
            .cloned()
            .collect();
        let has_more = kept.len() > q.limit;
        let page = if backwards {
            kept[kept.len().saturating_sub(q.limit)..].to_vec()
        } else {
            kept.into_iter().take(q.limit).collect()
        };
        Ok((has_more, page))
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_store_answers_like_a_plain_vector(ops in proptest::collection::vec(op(), 1..60)) {
        let mut store = Store::new();
        let mut model = Model::default();
        for op in ops {
            match op {
                Op::Create { contact, group, created_at } => {
                    let id = format!("id{}", model.inserted);
                    let c = Conversation::new(
                        id.as_str().into(),
                        contact.then(|| "contact".into()),
                        (group > 0 || !contact).then(|| format!("g{group}").into()),
                        created_at,
                    );
                    store.insert(c.clone()).unwrap();
                    model.rows.push((model.inserted, c));
                    model.ever.push(id);
                    model.inserted += 1;
                }
                Op::Update { pick, change } => {
                    let Some(id) = model.ever.get(pick % model.ever.len().max(1)).cloned() else { continue };
                    let patch = change.patch();
                    let got = store.update(&id, |c| patch.apply(c)).cloned();
                    let expected = model.rows.iter_mut().find(|(_, c)| *c.id == *id).map(|(_, c)| {
                        if let Some(v) = &change.pinned_message_id { c.pinned_message_id = v.clone(); }
                        if let Some(v) = change.is_pinned { c.is_pinned = v; }
                        if let Some(v) = change.is_muted { c.is_muted = v; }
                        if let Some(v) = change.archived_at { c.archived_at = v; }
                        c.clone()
                    });
                    prop_assert_eq!(got, expected);
                }
                Op::Delete { pick } => {
                    let Some(id) = model.ever.get(pick % model.ever.len().max(1)).cloned() else { continue };
                    let existed = model.rows.iter().any(|(_, c)| *c.id == *id);
                    model.rows.retain(|(_, c)| *c.id != *id);
                    prop_assert_eq!(store.delete(&id), existed);
                }
                Op::List { limit, filters, cursor } => {
                    let f = filters.clone();
                    let mut query = ListQuery {
                        limit,
                        filters: conditions(f.muted, f.archived, f.pinned, f.group_id),
                        cursor: None,
                    };
                    if let (Some((after, pick)), false) = (cursor, model.ever.is_empty()) {
                        let id = model.ever[pick % model.ever.len()].clone();
                        query.cursor = Some(if after { Cursor::After(id) } else { Cursor::Before(id) });
                    }
                    let got = store
                        .list(&query)
                        .map(|page| (page.has_more, page.data.into_iter().map(|r| (**r).clone()).collect::<Vec<_>>()));
                    prop_assert_eq!(got, model.list(&query, &filters), "{:?}", query);
                }
            }
            prop_assert_eq!(store.len(), model.rows.len());
        }
    }
}

fn conversation() -> impl Strategy<Value = Conversation> {
    let text = "\\PC{0,6}|[\"\\\\\\x00-\\x1f/é]{0,4}";
    (
        (
            "[A-Za-z0-9]{1,16}",
            proptest::option::of(text),
            proptest::option::of(text),
        ),
        (proptest::option::of(text), any::<bool>(), any::<bool>()),
        (
            proptest::option::of(any::<i64>()),
            proptest::option::of(any::<i64>()),
            any::<i64>(),
            proptest::option::of(any::<i64>()),
        ),
    )
        .prop_map(
            |(
                (id, contact, group),
                (pinned, is_pinned, is_muted),
                (active, opened, created, archived),
            )| {
                Conversation {
                    id: id.into(),
                    contact_id: contact.map(Into::into),
                    group_id: group.map(Into::into),
                    pinned_message_id: pinned.map(Into::into),
                    is_pinned,
                    is_muted,
                    last_active_at: active,
                    last_opened_at: opened,
                    created_at: created,
                    archived_at: archived,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_fast_json_writer_matches_serde_byte_for_byte(
        conversations in proptest::collection::vec(conversation(), 0..4),
        has_more in any::<bool>(),
        compact in any::<bool>(),
    ) {
        for c in &conversations {
            prop_assert_eq!(
                convmock::json::record_body(c, compact),
                convmock::model::to_body(c, compact)
            );
        }
        let shared: Vec<std::sync::Arc<_>> =
            conversations.iter().cloned().map(std::sync::Arc::new).collect();
        let page = convmock::model::Page { has_more, data: shared.iter().collect(), places: Vec::new() };
        prop_assert_eq!(
            convmock::json::page_body(&page, compact),
            convmock::model::to_body(&page, compact)
        );
    }
}
