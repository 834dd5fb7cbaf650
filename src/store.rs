//! The in-memory store of one workspace's conversations.
//!
//! Pure and synchronous: no HTTP, no clock, no randomness. Callers pass the current time and
//! new IDs in, so every operation is deterministic and unit-testable. Conversations live in a
//! `BTreeMap` keyed by the list order (`created_at` descending, then most recently inserted
//! first), so a page walks the tree from its cursor and costs O(log n + limit) whatever the
//! store's size; an ID index finds a conversation's place in that order.
//!
//! Each conversation is an `Arc`, shared with the fixtures it came from until it is first
//! changed (copy on write): a million fixture conversations are held once, not once for the
//! fixtures and again for every workspace. The index's keys are the same `Arc`s, looked up
//! by ID, so an ID is not stored twice either.

use crate::model::{Conversation, Page};
use std::borrow::Borrow;
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::ops::Bound::{Excluded, Unbounded};
use std::sync::Arc;

/// An index key: a conversation, hashed and compared by its ID alone.
#[derive(Clone, Debug)]
struct ById(Arc<Conversation>);

impl Borrow<str> for ById {
    fn borrow(&self) -> &str {
        &self.0.id
    }
}

impl Hash for ById {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Must hash exactly as `str` does, for lookups by `&str` through `Borrow`.
        (*self.0.id).hash(state);
    }
}

impl PartialEq for ById {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id
    }
}

impl Eq for ById {}

/// A conversation's place in the list order. Derived `Ord` compares `created_at` descending
/// first, then the insertion sequence descending, which makes the order total and stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct OrderKey {
    created_at: Reverse<i64>,
    seq: Reverse<u64>,
}

/// Conversations by list order, with an index from ID to place.
#[derive(Clone, Debug, Default)]
pub struct Store {
    rows: BTreeMap<OrderKey, Arc<Conversation>>,
    index: HashMap<ById, OrderKey>,
    next_seq: u64,
}

/// Which side of a cursor a page is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cursor {
    /// The page after this ID (`starting_after`).
    After(String),
    /// The page just before this ID (`ending_before`).
    Before(String),
}

/// A list request, already validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    /// Page size, 1..=100.
    pub limit: usize,
    /// Keep only muted (`true`) or unmuted (`false`) conversations.
    pub muted: Option<bool>,
    /// Keep only archived (`true`) or unarchived (`false`) conversations.
    pub archived: Option<bool>,
    /// Keep only pinned (`true`) or unpinned (`false`) conversations.
    pub pinned: Option<bool>,
    /// Keep only conversations of this group.
    pub group_id: Option<String>,
    /// Where the page starts.
    pub cursor: Option<Cursor>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            limit: 10,
            muted: None,
            archived: None,
            pinned: None,
            group_id: None,
            cursor: None,
        }
    }
}

impl ListQuery {
    fn keeps(&self, c: &Conversation) -> bool {
        self.muted.is_none_or(|m| c.is_muted == m)
            && self.archived.is_none_or(|a| c.archived_at.is_some() == a)
            && self.pinned.is_none_or(|p| c.is_pinned == p)
            && self
                .group_id
                .as_deref()
                .is_none_or(|g| c.group_id.as_deref() == Some(g))
    }
}

/// A change to a conversation; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Patch {
    /// `Some(None)` clears the pinned message.
    pub pinned_message_id: Option<Option<Box<str>>>,
    /// New pinned state.
    pub is_pinned: Option<bool>,
    /// New muted state.
    pub is_muted: Option<bool>,
    /// `Some(None)` unarchives.
    pub archived_at: Option<Option<i64>>,
}

/// A cursor named a conversation that is not in the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCursor(pub Cursor);

/// An insert named an ID that is already in the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateId;

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Store::default()
    }

    /// How many conversations are stored.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the store holds no conversation.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Whether a conversation with this ID exists.
    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// Adds a conversation as the most recently inserted one.
    pub fn insert(&mut self, conversation: Conversation) -> Result<&Conversation, DuplicateId> {
        self.insert_shared(Arc::new(conversation))
    }

    /// Adds a conversation that may be shared (with the fixtures, say) until it changes.
    pub fn insert_shared(
        &mut self,
        conversation: Arc<Conversation>,
    ) -> Result<&Conversation, DuplicateId> {
        if self.index.contains_key(&*conversation.id) {
            return Err(DuplicateId);
        }
        let key = OrderKey {
            created_at: Reverse(conversation.created_at),
            seq: Reverse(self.next_seq),
        };
        self.next_seq += 1;
        self.index.insert(ById(Arc::clone(&conversation)), key);
        Ok(self.rows.entry(key).or_insert(conversation))
    }

    /// The conversation with this ID.
    pub fn get(&self, id: &str) -> Option<&Conversation> {
        self.index
            .get(id)
            .and_then(|key| self.rows.get(key))
            .map(|c| &**c)
    }

    /// Applies a partial update and returns the result. No listed field affects the order,
    /// so the conversation keeps its place.
    pub fn update(&mut self, id: &str, patch: &Patch) -> Option<&Conversation> {
        // The index's own reference is let go first, so that `make_mut` copies only a
        // conversation still shared with the fixtures (its first change), and the index
        // then follows the row.
        let (_, key) = self.index.remove_entry(id)?;
        let row = self.rows.get_mut(&key)?;
        let c = Arc::make_mut(row);
        if let Some(v) = &patch.pinned_message_id {
            c.pinned_message_id = v.clone();
        }
        if let Some(v) = patch.is_pinned {
            c.is_pinned = v;
        }
        if let Some(v) = patch.is_muted {
            c.is_muted = v;
        }
        if let Some(v) = patch.archived_at {
            c.archived_at = v;
        }
        let shared = Arc::clone(row);
        self.index.insert(ById(shared), key);
        self.rows.get(&key).map(|c| &**c)
    }

    /// Removes a conversation; `false` if there was none.
    pub fn delete(&mut self, id: &str) -> bool {
        match self.index.remove(id) {
            Some(key) => self.rows.remove(&key).is_some(),
            None => false,
        }
    }

    /// Every conversation in list order.
    pub fn iter(&self) -> impl Iterator<Item = &Conversation> {
        self.rows.values().map(|c| &**c)
    }

    /// The conversations in list order, shared: a reader copies pointers, not
    /// conversations.
    pub fn shared(&self) -> Vec<Arc<Conversation>> {
        self.rows.values().cloned().collect()
    }

    fn key_of(&self, id: &str, q: &ListQuery) -> Result<OrderKey, UnknownCursor> {
        self.index.get(id).copied().ok_or_else(|| {
            UnknownCursor(q.cursor.clone().expect("only a cursor's ID is looked up"))
        })
    }

    /// One page of the list. Filters apply while walking, so a page with a selective filter
    /// costs as many steps as the conversations it passes over.
    pub fn list(&self, q: &ListQuery) -> Result<Page<'_>, UnknownCursor> {
        let limit = q.limit;
        let keep = |c: &&Conversation| q.keeps(c);
        let mut data: Vec<&Conversation> = match &q.cursor {
            None => self
                .rows
                .values()
                .map(|c| &**c)
                .filter(keep)
                .take(limit + 1)
                .collect(),
            Some(Cursor::After(id)) => {
                let key = self.key_of(id, q)?;
                self.rows
                    .range((Excluded(key), Unbounded))
                    .map(|(_, c)| &**c)
                    .filter(keep)
                    .take(limit + 1)
                    .collect()
            }
            Some(Cursor::Before(id)) => {
                let key = self.key_of(id, q)?;
                let mut before: Vec<&Conversation> = self
                    .rows
                    .range(..key)
                    .rev()
                    .map(|(_, c)| &**c)
                    .filter(keep)
                    .take(limit + 1)
                    .collect();
                // Walked backwards from the cursor; the extra item, if any, is the farthest.
                let has_more = before.len() > limit;
                before.truncate(limit);
                before.reverse();
                return Ok(Page {
                    has_more,
                    data: before,
                });
            }
        };
        let has_more = data.len() > limit;
        data.truncate(limit);
        Ok(Page { has_more, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(id: &str, created_at: i64) -> Conversation {
        Conversation::new(id.into(), Some("c".into()), None, created_at)
    }

    fn ids(page: &Page<'_>) -> Vec<String> {
        page.data.iter().map(|c| c.id.to_string()).collect()
    }

    fn store(entries: &[(&str, i64)]) -> Store {
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
        s.update(
            "b",
            &Patch {
                is_muted: Some(true),
                archived_at: Some(Some(9)),
                ..Patch::default()
            },
        );
        let muted = ListQuery {
            muted: Some(true),
            ..ListQuery::default()
        };
        assert_eq!(ids(&s.list(&muted).unwrap()), ["b"]);
        let unarchived = ListQuery {
            archived: Some(false),
            ..ListQuery::default()
        };
        assert_eq!(ids(&s.list(&unarchived).unwrap()), ["c", "a"]);
    }

    #[test]
    fn update_is_partial_and_delete_is_final() {
        let mut s = store(&[("a", 1)]);
        let before = s.get("a").unwrap().clone();
        let after = s
            .update(
                "a",
                &Patch {
                    is_pinned: Some(true),
                    ..Patch::default()
                },
            )
            .unwrap()
            .clone();
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
        assert!(s.update("a", &Patch::default()).is_none());
        assert!(s.is_empty());
    }

    #[test]
    fn an_update_copies_a_shared_conversation_and_leaves_the_original() {
        let original = Arc::new(conv("a", 1));
        let mut s = Store::new();
        s.insert_shared(Arc::clone(&original)).unwrap();
        let patch = Patch {
            is_muted: Some(true),
            ..Patch::default()
        };
        assert!(s.update("a", &patch).unwrap().is_muted);
        assert!(!original.is_muted, "the fixture is untouched");
        assert!(s.get("a").unwrap().is_muted);
        // Now the store's own: a second update changes it in place and lists it once.
        s.update("a", &Patch::default()).unwrap();
        assert_eq!(s.list(&ListQuery::default()).unwrap().data.len(), 1);
        assert!(s.delete("a") && s.is_empty());
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let mut s = store(&[("a", 1)]);
        assert_eq!(s.insert(conv("a", 2)).err(), Some(DuplicateId));
        assert_eq!(s.len(), 1);
    }
}
