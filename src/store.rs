//! The in-memory store of one resource in one workspace, generic over the record type.
//!
//! Pure and synchronous: no HTTP, no clock, no randomness. Callers pass the current time and
//! new IDs in, so every operation is deterministic and unit-testable. Records live in a
//! `BTreeMap` keyed by the list order (`created_at` descending, then most recently inserted
//! first), so a page walks the tree from its cursor and costs O(log n + limit) whatever the
//! store's size; an ID index finds a record's place in that order. Every resource has one
//! such store per workspace; what a record holds is the resource's affair (`resources`).
//!
//! Each record is an `Arc`, shared with the fixtures it came from until it is first
//! changed (copy on write): a million fixture records are held once, not once for the
//! fixtures and again for every workspace. The trees keyed by ID are [`index`]'s.

mod index;

use crate::model::Page;
use crate::resources::{Record, Value};
use index::{IdIndex, References};
use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::ops::Bound::{Excluded, Unbounded};
use std::sync::Arc;

/// A record's place in the list order. Derived `Ord` compares `created_at` descending
/// first, then the insertion sequence descending, which makes the order total and stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderKey {
    created_at: Reverse<i64>,
    seq: Reverse<u64>,
}

impl OrderKey {
    /// Before every place.
    const FIRST: OrderKey = OrderKey {
        created_at: Reverse(i64::MAX),
        seq: Reverse(u64::MAX),
    };
    /// After every place.
    const LAST: OrderKey = OrderKey {
        created_at: Reverse(i64::MIN),
        seq: Reverse(0),
    };
}

#[cfg(test)]
impl OrderKey {
    /// The place of the `seq`th record inserted, created at `created_at`.
    pub(crate) fn at(created_at: i64, seq: u64) -> Self {
        OrderKey {
            created_at: Reverse(created_at),
            seq: Reverse(seq),
        }
    }
}

/// Records by list order, with an index from ID to place.
#[derive(Clone, Debug)]
pub struct Store<R> {
    rows: BTreeMap<OrderKey, Arc<R>>,
    /// Each record's place, by ID. A B-tree, not a hash map: it grows a node at a time, so
    /// no create waits while a whole index is rehashed, as one would each time a hash map of
    /// a large store doubled.
    index: IdIndex,
    next_seq: u64,
    /// The sum of the records' [`Record::weight`] and of their entries in `references`.
    bytes: usize,
    /// For each field that names records of a resource (by number): the records by the ID
    /// they name, in list order — the list's filter by that ID, and the cascades, walk
    /// these rather than the whole store.
    references: Vec<(usize, References)>,
}

impl<R: Record> Default for Store<R> {
    fn default() -> Self {
        Store {
            rows: BTreeMap::new(),
            index: IdIndex::default(),
            next_seq: 0,
            bytes: 0,
            references: R::FIELDS
                .iter()
                .enumerate()
                .filter(|(_, f)| f.references.is_some())
                .map(|(number, _)| (number, References::default()))
                .collect(),
        }
    }
}

/// What an entry of a reference index takes: the ID it holds, its place, and its share of
/// the tree's node.
fn reference_bytes(id: &str) -> usize {
    index::heap_bytes(id) + 48
}

/// What a record takes besides its reference entries: its [`Record::weight`], and its ID's
/// copy in the ID index when the ID is too long to be packed into the entry.
fn held<R: Record>(record: &R) -> usize {
    record.weight() + index::heap_bytes(record.id())
}

/// The IDs a field of `record` names: none, one, or (a list of contacts) several.
fn named<R: Record>(record: &R, field: usize) -> Vec<&str> {
    match record.value(field) {
        Some(Value::Text(Some(id))) => vec![id],
        Some(Value::Contacts(contacts)) => contacts.iter().map(|c| &*c.id).collect(),
        _ => Vec::new(),
    }
}

/// Which side of a cursor a page is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cursor {
    /// The page after this ID (`starting_after`).
    After(String),
    /// The page just before this ID (`ending_before`).
    Before(String),
}

/// A list request, already validated against its resource's description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    /// Page size, 1..=100.
    pub limit: usize,
    /// What a record must pass to be listed, in the order the query gave them.
    pub filters: Vec<Condition>,
    /// Where the page starts.
    pub cursor: Option<Cursor>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            limit: 10,
            filters: Vec::new(),
            cursor: None,
        }
    }
}

/// One list filter, ready to test: a field (by its number) and what it must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// The boolean field is `value`.
    Is {
        /// The field's number.
        field: usize,
        /// What it must be.
        value: bool,
    },
    /// The field is set (`true`) or null (`false`).
    IsSet {
        /// The field's number.
        field: usize,
        /// Whether it must be set.
        set: bool,
    },
    /// The text field is exactly `value`.
    Equals {
        /// The field's number.
        field: usize,
        /// What it must be.
        value: String,
    },
}

impl Condition {
    /// Whether `record` passes.
    pub fn keeps<R: Record>(&self, record: &R) -> bool {
        match *self {
            Condition::Is { field, value } => {
                matches!(record.value(field), Some(Value::Bool(b)) if b == value)
            }
            Condition::IsSet { field, set } => match record.value(field) {
                Some(Value::Text(t)) => t.is_some() == set,
                Some(Value::Time(t)) => t.is_some() == set,
                Some(Value::Bool(_) | Value::Contacts(_) | Value::Other) => set,
                None => !set,
            },
            Condition::Equals { field, ref value } => {
                matches!(record.value(field), Some(Value::Text(Some(t))) if t == value)
            }
        }
    }
}

impl ListQuery {
    fn keeps<R: Record>(&self, record: &R) -> bool {
        self.filters.iter().all(|c| c.keeps(record))
    }
}

/// A cursor named a record that is not in the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCursor(pub Cursor);

/// An insert named an ID that is already in the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateId;

impl<R: Record> Store<R> {
    /// Adds (or removes) the record at `key` to the reference indexes, counting their bytes.
    fn refer(&mut self, record: &R, key: OrderKey, add: bool) {
        for (field, index) in &mut self.references {
            for id in named(record, *field) {
                if add {
                    self.bytes += reference_bytes(id);
                    index.insert(id, key);
                } else {
                    self.bytes -= reference_bytes(id);
                    index.remove(id, key);
                }
            }
        }
    }

    /// What a record costs this store: its [`Record::weight`], what its ID takes in the ID
    /// index beyond the entry that weight counts, and its entries in the reference indexes.
    /// The store's [`Store::bytes`] is the sum over its records.
    pub fn weigh(&self, record: &R) -> usize {
        let references: usize = self
            .references
            .iter()
            .flat_map(|(field, _)| named(record, *field))
            .map(reference_bytes)
            .sum();
        held(record) + references
    }

    /// The records whose field `field` (by number) names `id`, in list order; none when the
    /// field names no resource.
    pub fn naming<'a>(&'a self, field: usize, id: &str) -> impl Iterator<Item = &'a Arc<R>> {
        let index = self
            .references
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, index)| index);
        index
            .into_iter()
            .flat_map(move |index| index.places(id, Unbounded, Unbounded))
            .filter_map(|key| self.rows.get(&key))
    }

    /// An empty store.
    pub fn new() -> Self {
        Store::default()
    }

    /// How many records are stored.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the store holds no record.
    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
    }

    /// The memory the records take, as [`Store::weigh`] counts it (records shared with the
    /// fixtures included).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether a record with this ID exists.
    pub fn contains(&self, id: &str) -> bool {
        self.index.get(id).is_some()
    }

    /// Adds a record as the most recently inserted one.
    pub fn insert(&mut self, record: R) -> Result<&R, DuplicateId> {
        self.insert_shared(Arc::new(record))
    }

    /// Adds a record that may be shared (with the fixtures, say) until it changes.
    pub fn insert_shared(&mut self, record: Arc<R>) -> Result<&R, DuplicateId> {
        let key = OrderKey {
            created_at: Reverse(record.created_at()),
            seq: Reverse(self.next_seq),
        };
        if !self.index.insert_new(record.id(), key) {
            return Err(DuplicateId);
        }
        self.next_seq += 1;
        self.bytes += held(&*record);
        self.refer(&record, key, true);
        Ok(self.rows.entry(key).or_insert(record))
    }

    /// The record with this ID.
    pub fn get(&self, id: &str) -> Option<&R> {
        self.index
            .get(id)
            .and_then(|key| self.rows.get(&key))
            .map(|r| &**r)
    }

    /// Changes a record in place and returns the result. `change` must leave its ID and
    /// `created_at` as they are (no update may set a read-only field), so the record keeps
    /// its place.
    pub fn update(&mut self, id: &str, change: impl FnOnce(&mut R)) -> Option<&R> {
        // `make_mut` copies only a record still shared with the fixtures (its first change).
        let key = self.index.get(id)?;
        let row = self.rows.get_mut(&key)?;
        // Counted before a copy, whose lists may hold less spare room than the original's.
        self.bytes -= row.weight();
        let named_before: Vec<Vec<Box<str>>> = self
            .references
            .iter()
            .map(|(field, _)| named(&**row, *field).into_iter().map(Box::from).collect())
            .collect();
        let record = Arc::make_mut(row);
        change(record);
        self.bytes += record.weight();
        debug_assert!(record.id() == id && Reverse(record.created_at()) == key.created_at);
        let record = &**row;
        for ((field, index), before) in self.references.iter_mut().zip(named_before) {
            let after = named(record, *field);
            if before.iter().map(|b| &**b).eq(after.iter().copied()) {
                continue;
            }
            for id in before {
                self.bytes -= reference_bytes(&id);
                index.remove(&id, key);
            }
            for id in after {
                self.bytes += reference_bytes(id);
                index.insert(id, key);
            }
        }
        Some(record)
    }

    /// Removes a record; `false` if there was none.
    pub fn delete(&mut self, id: &str) -> bool {
        self.remove(id).is_some()
    }

    /// Removes a record and hands it back, as it was.
    pub fn remove(&mut self, id: &str) -> Option<Arc<R>> {
        let key = self.index.remove(id)?;
        let record = self.rows.remove(&key)?;
        self.bytes -= held(&*record);
        self.refer(&record, key, false);
        Some(record)
    }

    /// Every record in list order.
    pub fn iter(&self) -> impl Iterator<Item = &R> {
        self.rows.values().map(|r| &**r)
    }

    /// The records in list order, shared: a reader copies pointers, not records.
    pub fn shared(&self) -> Vec<Arc<R>> {
        self.rows.values().cloned().collect()
    }

    /// The records in list order, each with its place: a reader that holds a record only
    /// weakly finds it again by its place once an update has moved it ([`Store::at`]).
    pub fn placed(&self) -> Vec<(OrderKey, Arc<R>)> {
        self.rows.iter().map(|(k, r)| (*k, Arc::clone(r))).collect()
    }

    /// The record at a place, if it is still there.
    pub fn at(&self, place: &OrderKey) -> Option<Arc<R>> {
        self.rows.get(place).cloned()
    }

    fn key_of(&self, id: &str, q: &ListQuery) -> Result<OrderKey, UnknownCursor> {
        self.index.get(id).ok_or_else(|| {
            UnknownCursor(q.cursor.clone().expect("only a cursor's ID is looked up"))
        })
    }

    /// One page of the list. Filters apply while walking, so a page with a selective filter
    /// costs as many steps as the records it passes over; a filter by the ID a reference
    /// field names (a conversation's messages) walks that field's index instead, so it costs
    /// only the page.
    pub fn list(&self, q: &ListQuery) -> Result<Page<'_, R>, UnknownCursor> {
        // The cursor's place, and whether the page ends before it.
        let cursor = match &q.cursor {
            None => None,
            Some(Cursor::After(id)) => Some((false, self.key_of(id, q)?)),
            Some(Cursor::Before(id)) => Some((true, self.key_of(id, q)?)),
        };
        let by_reference = q.filters.iter().find_map(|c| match c {
            Condition::Equals { field, value } => self
                .references
                .iter()
                .find(|(f, _)| f == field)
                .map(|(_, index)| (index, value.as_str())),
            _ => None,
        });
        let Some((index, id)) = by_reference else {
            return Ok(match cursor {
                None => self.page(self.rows.iter(), false, q),
                Some((false, key)) => {
                    self.page(self.rows.range((Excluded(key), Unbounded)), false, q)
                }
                Some((true, key)) => self.page(self.rows.range(..key).rev(), true, q),
            });
        };
        let row = |key: OrderKey| self.rows.get_key_value(&key);
        Ok(match cursor {
            None => {
                let all = index.places(id, Unbounded, Unbounded);
                self.page(all.filter_map(row), false, q)
            }
            Some((false, key)) => {
                let after = index.places(id, Excluded(key), Unbounded);
                self.page(after.filter_map(row), false, q)
            }
            Some((true, key)) => {
                let before = index.places(id, Unbounded, Excluded(key));
                self.page(before.rev().filter_map(row), true, q)
            }
        })
    }

    /// The page of the rows that pass `q`'s filters, walked from the cursor: `backwards`
    /// toward the list's start (the page before a cursor), the extra row telling whether
    /// there are more.
    fn page<'a>(
        &'a self,
        rows: impl Iterator<Item = (&'a OrderKey, &'a Arc<R>)>,
        backwards: bool,
        q: &ListQuery,
    ) -> Page<'a, R> {
        let mut rows: Vec<_> = rows
            .filter(|(_, r)| q.keeps(&***r))
            .take(q.limit + 1)
            .collect();
        let has_more = rows.len() > q.limit;
        rows.truncate(q.limit);
        if backwards {
            rows.reverse();
        }
        Page::placed(has_more, rows)
    }
}

impl<'a, R> Page<'a, R> {
    /// A page of records read from a store, each with its place.
    fn placed(has_more: bool, rows: Vec<(&OrderKey, &'a Arc<R>)>) -> Self {
        let places = rows.iter().map(|(place, _)| **place).collect();
        let data = rows.into_iter().map(|(_, r)| r).collect();
        Page {
            has_more,
            data,
            places,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Conversation;

    /// The number of a conversation's field.
    fn number(name: &str) -> usize {
        Conversation::DESCRIPTION.field(name).unwrap().0
    }

    fn conv(id: &str, created_at: i64) -> Conversation {
        Conversation::new(id.into(), Some("c".into()), None, created_at)
    }

    fn ids(page: &Page<'_, Conversation>) -> Vec<String> {
        page.data.iter().map(|c| c.id.to_string()).collect()
    }

    fn store(entries: &[(&str, i64)]) -> Store<Conversation> {
        let mut s = Store::new();
        for (id, t) in entries {
            s.insert(conv(id, *t)).unwrap();
        }
        s
    }

    #[test]
    fn list_is_newest_first_and_ties_go_to_the_latest_insert() {
        let s = store(&[("a", 10), ("b", 20), ("c", 10), ("d", 5)]);
        let page = s.list(&ListQuery::default()).unwrap();
        assert_eq!(ids(&page), ["b", "c", "a", "d"]);
        assert!(!page.has_more);
    }

    #[test]
    fn cursors_walk_both_ways_with_has_more_in_the_direction_of_travel() {
        let s = store(&[("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)]);
        let q = |cursor| ListQuery {
            limit: 2,
            cursor,
            ..ListQuery::default()
        };
        let first = s.list(&q(None)).unwrap();
        assert_eq!(
            (ids(&first), first.has_more),
            (vec!["e".into(), "d".into()], true)
        );
        let next = s.list(&q(Some(Cursor::After("d".into())))).unwrap();
        assert_eq!(
            (ids(&next), next.has_more),
            (vec!["c".into(), "b".into()], true)
        );
        let last = s.list(&q(Some(Cursor::After("b".into())))).unwrap();
        assert_eq!((ids(&last), last.has_more), (vec!["a".into()], false));
        let back = s.list(&q(Some(Cursor::Before("a".into())))).unwrap();
        assert_eq!(
            (ids(&back), back.has_more),
            (vec!["c".into(), "b".into()], true)
        );
        let front = s.list(&q(Some(Cursor::Before("c".into())))).unwrap();
        assert_eq!(
            (ids(&front), front.has_more),
            (vec!["e".into(), "d".into()], false)
        );
        let none = s.list(&q(Some(Cursor::Before("e".into())))).unwrap();
        assert_eq!((ids(&none), none.has_more), (vec![], false));
        assert_eq!(
            s.list(&q(Some(Cursor::After("zz".into())))).err(),
            Some(UnknownCursor(Cursor::After("zz".into())))
        );
    }

    #[test]
    fn filters_keep_matching_conversations_only() {
        let mut s = store(&[("a", 1), ("b", 2), ("c", 3)]);
        s.update("b", |c| {
            c.is_muted = true;
            c.archived_at = Some(9);
            c.group_id = Some("g".into());
        });
        let only = |filters| ListQuery {
            filters,
            ..ListQuery::default()
        };
        let muted = only(vec![Condition::Is {
            field: number("is_muted"),
            value: true,
        }]);
        assert_eq!(ids(&s.list(&muted).unwrap()), ["b"]);
        let unarchived = only(vec![Condition::IsSet {
            field: number("archived_at"),
            set: false,
        }]);
        assert_eq!(ids(&s.list(&unarchived).unwrap()), ["c", "a"]);
        let group = |g: &str| {
            only(vec![Condition::Equals {
                field: number("group_id"),
                value: g.into(),
            }])
        };
        assert_eq!(ids(&s.list(&group("g")).unwrap()), ["b"]);
        assert!(ids(&s.list(&group("h")).unwrap()).is_empty());
        let both = only(vec![
            Condition::Is {
                field: number("is_muted"),
                value: true,
            },
            Condition::IsSet {
                field: number("archived_at"),
                set: false,
            },
        ]);
        assert!(ids(&s.list(&both).unwrap()).is_empty());
    }

    #[test]
    fn update_is_partial_and_delete_is_final() {
        let mut s = store(&[("a", 1)]);
        let before = s.get("a").unwrap().clone();
        let after = s.update("a", |c| c.is_pinned = true).unwrap().clone();
        assert!(after.is_pinned);
        assert_eq!(
            Conversation {
                is_pinned: false,
                ..after
            },
            before
        );
        assert!(s.delete("a"));
        assert!(!s.delete("a"));
        assert!(s.get("a").is_none());
        assert!(s.update("a", |_| {}).is_none());
        assert!(s.is_empty());
    }

    #[test]
    fn an_update_copies_a_shared_conversation_and_leaves_the_original() {
        let original = Arc::new(conv("a", 1));
        let mut s = Store::new();
        s.insert_shared(Arc::clone(&original)).unwrap();
        assert!(s.update("a", |c| c.is_muted = true).unwrap().is_muted);
        assert!(!original.is_muted, "the fixture is untouched");
        assert!(s.get("a").unwrap().is_muted);
        // Now the store's own: a second update changes it in place and lists it once.
        s.update("a", |_| {}).unwrap();
        assert_eq!(s.list(&ListQuery::default()).unwrap().data.len(), 1);
        assert!(s.delete("a") && s.is_empty());
    }

    #[test]
    fn lookups_by_id_agree_with_a_model_after_many_inserts_and_deletes() {
        // IDs of every length from 1 to 3 over a small alphabet, so that many are prefixes
        // of others and the index's order is tested where `str`'s is subtle.
        let alphabet = ["a", "b", "B", "0", "_", "-"];
        let mut all: Vec<String> = Vec::new();
        for x in alphabet {
            all.push(x.to_owned());
            for y in alphabet {
                all.push(format!("{x}{y}"));
                for z in alphabet {
                    all.push(format!("{x}{y}{z}"));
                }
            }
        }
        let mut s = Store::new();
        let mut model: BTreeMap<String, i64> = BTreeMap::new();
        // A fixed linear congruential sequence: the same steps on every run.
        let mut state: u64 = 1;
        for step in 0..20_000_i64 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let id = &all[usize::try_from(state >> 33).unwrap() % all.len()];
            if state & 1 == 0 && model.contains_key(id) {
                assert!(s.delete(id), "{id}");
                model.remove(id);
            } else if model.contains_key(id) {
                assert_eq!(s.insert(conv(id, step)).err(), Some(DuplicateId), "{id}");
            } else {
                s.insert(conv(id, step % 50)).unwrap();
                model.insert(id.clone(), step % 50);
            }
        }
        assert!(model.len() > 10, "the steps leave a store to look in");
        assert_eq!(s.len(), model.len());
        for id in &all {
            let found = s.get(id).map(|c| (c.id.to_string(), c.created_at));
            assert_eq!(found, model.get(id).map(|t| (id.clone(), *t)), "{id}");
            assert_eq!(s.contains(id), model.contains_key(id), "{id}");
        }
        // Every stored ID is a cursor that finds its own place.
        let listed: Vec<String> = s.iter().map(|c| c.id.to_string()).collect();
        for pair in listed.windows(2) {
            let q = ListQuery {
                limit: 1,
                cursor: Some(Cursor::After(pair[0].clone())),
                ..ListQuery::default()
            };
            assert_eq!(ids(&s.list(&q).unwrap()), [pair[1].clone()]);
        }
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let mut s = store(&[("a", 1)]);
        assert_eq!(s.insert(conv("a", 2)).err(), Some(DuplicateId));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn the_reference_index_follows_inserts_updates_and_deletes_in_list_order() {
        let mut s = Store::new();
        let group = number("group_id");
        for (id, at) in [("a", 1), ("b", 3), ("c", 2)] {
            let c = Conversation::new(id.into(), None, Some("g".into()), at);
            s.insert(c).unwrap();
        }
        let named = |s: &Store<Conversation>, id: &str| -> Vec<String> {
            s.naming(group, id).map(|c| c.id.to_string()).collect()
        };
        assert_eq!(named(&s, "g"), ["b", "c", "a"]);
        s.update("c", |c| c.group_id = Some("h".into()));
        assert_eq!(named(&s, "g"), ["b", "a"]);
        assert_eq!(named(&s, "h"), ["c"]);
        s.delete("b");
        assert_eq!(named(&s, "g"), ["a"]);
        // What the store counts is what its records and their index entries take.
        let recount: usize = s.iter().map(|c| s.weigh(c)).sum();
        assert_eq!(s.bytes(), recount);
        s.delete("a");
        s.delete("c");
        assert_eq!(s.bytes(), 0);
        assert!(named(&s, "g").is_empty());
    }
}
