//! One workspace: a store per resource and the ID generator, and the one place that owns
//! their consistency.
//!
//! A workspace is what one token sees (or everyone, without `--isolate`); `state` keeps it
//! behind one lock, so each method here runs whole under that lock and no reader sees half
//! of it. The operations go through [`Workspace::create`], [`Workspace::update`] and
//! [`Workspace::delete`], so a rule that spans resources (a cascade, a timestamp moved on
//! another record) lives here, in those methods, and nowhere else. No HTTP, no clock: the
//! time comes in as an argument.

use crate::error::ApiError;
use crate::fixtures::{Fixtures, Listed};
use crate::ids::{IdGen, MAX_QUEUED_IDS};
use crate::resources::{Conversation, Patch, Record, Resource};
use crate::store::Store;
use std::collections::HashSet;
use std::sync::Arc;

/// One token's records (or everyone's, without `--isolate`).
///
/// IDs are never handed out twice. Queued IDs (from fixtures or the admin API) are tracked
/// exactly: one that was handed out, or that a fixture record has or had, is never queued
/// again. Random IDs are only checked against the store: they are drawn from 62^16 (about
/// 4.8e28) values, so a repeat of a deleted one is not a practical concern, and no history
/// of deletes has to be kept (it would grow without end under create/delete churn).
#[derive(Debug)]
pub struct Workspace {
    /// The conversations.
    pub conversations: Store<Conversation>,
    ids: IdGen,
}

/// A record type a workspace holds one store of.
pub trait Held: Record {
    /// The workspace's store of this type.
    fn store(ws: &Workspace) -> &Store<Self>;
    /// The same, to change.
    fn store_mut(ws: &mut Workspace) -> &mut Store<Self>;
    /// The same, with the workspace's ID generator beside it.
    fn store_and_ids(ws: &mut Workspace) -> (&mut Store<Self>, &mut IdGen);
}

/// Which [`Workspace`] field holds each record type's store.
macro_rules! held {
    ($($record:ty => $store:ident),* $(,)?) => {
        $(
            impl Held for $record {
                fn store(ws: &Workspace) -> &Store<Self> {
                    &ws.$store
                }
                fn store_mut(ws: &mut Workspace) -> &mut Store<Self> {
                    &mut ws.$store
                }
                fn store_and_ids(ws: &mut Workspace) -> (&mut Store<Self>, &mut IdGen) {
                    (&mut ws.$store, &mut ws.ids)
                }
            }
        )*
    };
}

held!(Conversation => conversations);

/// A store of the fixtures' records of `R`, shared with the fixtures until changed.
fn seeded<R: Listed>(fixtures: &Fixtures) -> Store<R> {
    let mut store = Store::new();
    for record in R::listed(fixtures) {
        // Fixture IDs are checked for duplicates when the fixtures are parsed.
        let _ = store.insert_shared(Arc::clone(record));
    }
    store
}

impl Workspace {
    /// A workspace holding the fixtures, its IDs drawn from `seed`.
    pub fn seeded(fixtures: &Fixtures, seed: u64) -> Self {
        Workspace {
            conversations: seeded(fixtures),
            ids: IdGen::new(seed, fixtures.next_ids.iter().cloned()),
        }
    }

    /// The store of `R`.
    pub fn store<R: Held>(&self) -> &Store<R> {
        R::store(self)
    }

    /// Whether any record here has this ID.
    fn holds(&self, id: &str) -> bool {
        Resource::ALL.into_iter().any(|resource| match resource {
            Resource::Conversations => self.conversations.contains(id),
        })
    }

    /// An ID no record of `R` here has.
    pub fn new_id<R: Held>(&mut self) -> Box<str> {
        let (store, ids) = R::store_and_ids(self);
        ids.next(|id| store.contains(id))
    }

    /// The IDs the next creates will take, in order (shared with the queue).
    pub fn queued_ids(&self) -> Vec<Arc<str>> {
        self.ids.queue_shared()
    }

    /// Adds IDs to the queue; refuses (naming it) one that is not a valid ID, that a
    /// record here has, that was handed out before, or that is already queued. (That no
    /// fixture record has or had it is [`Fixtures::check_unused`]'s part.) Refuses them
    /// all when the workspace would take more than [`MAX_QUEUED_IDS`] queued IDs in its
    /// life: those waiting and those handed out, which are remembered so that they never
    /// come back, so that cycles of queueing, creating and deleting stay bounded too.
    pub fn enqueue_ids(&mut self, ids: &[String]) -> Result<(), String> {
        let (waiting, handed_out) = (self.ids.queued(), self.ids.issued());
        let total = waiting.saturating_add(handed_out).saturating_add(ids.len());
        if total > MAX_QUEUED_IDS {
            return Err(format!(
                "Invalid 'ids': this workspace would take {total} queued IDs ({waiting} waiting, \
                 {handed_out} handed out, {} sent), more than the limit of {MAX_QUEUED_IDS} per \
                 workspace; none were added (a reset or a fresh token starts again).",
                ids.len()
            ));
        }
        let mut queued: HashSet<&str> = self.ids.queue().collect();
        for id in ids {
            if !crate::ids::is_valid_id(id) {
                return Err(format!(
                    "'{}' is not a valid ID: use {}.",
                    crate::model::clip(id),
                    crate::ids::id_rule()
                ));
            }
            if self.holds(id) || self.ids.was_issued(id) {
                return Err(format!("'{id}' is or was the ID of a conversation here."));
            }
            if !queued.insert(id) {
                return Err(format!("'{id}' is already queued."));
            }
        }
        self.ids.enqueue(ids.iter().map(|id| id.as_str().into()));
        Ok(())
    }

    /// Creates a record of `R` at `now` with a new ID and the fields of `patch`; a 429 when
    /// this workspace already holds `max_objects` of them.
    pub fn create<R: Held>(
        &mut self,
        patch: &Patch,
        now: i64,
        max_objects: usize,
    ) -> Result<&R, ApiError> {
        let held = R::store(self).len();
        if held >= max_objects {
            return Err(ApiError::TooManyObjects {
                resource: R::DESCRIPTION.plural,
                held,
                limit: max_objects,
            });
        }
        let mut record = R::created(self.new_id::<R>(), now);
        patch.apply(&mut record);
        Ok(R::store_mut(self)
            .insert(record)
            .expect("new_id never returns an ID that is in the store"))
    }

    /// Sets the fields of `patch` on the record of `R` with this ID; `None` if there is none.
    pub fn update<R: Held>(&mut self, id: &str, patch: &Patch) -> Option<&R> {
        R::store_mut(self).update(id, |record| patch.apply(record))
    }

    /// Deletes the record of `R` with this ID for good; `false` if there was none.
    pub fn delete<R: Held>(&mut self, id: &str) -> bool {
        R::store_mut(self).delete(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Owned;

    #[test]
    fn a_create_sets_the_patch_on_a_fresh_record_and_counts_toward_the_limit() {
        let mut ws = Workspace::seeded(&Fixtures::empty(), 1);
        let (group, _) = Conversation::DESCRIPTION.field("group_id").unwrap();
        let patch = Patch(vec![(group, Owned::Text(Some("g".into())))]);
        let created = ws.create::<Conversation>(&patch, 5, 1).unwrap().clone();
        assert_eq!(
            created,
            Conversation::new(created.id.clone(), None, Some("g".into()), 5)
        );
        assert_eq!(
            ws.create::<Conversation>(&patch, 5, 1).err(),
            Some(ApiError::TooManyObjects {
                resource: "conversations",
                held: 1,
                limit: 1
            })
        );
    }

    #[test]
    fn queued_ids_handed_out_count_toward_the_queue_limit() {
        let mut ws = Workspace::seeded(&Fixtures::empty(), 1);
        let batch = |from: usize, n: usize| -> Vec<String> {
            (from..from + n).map(|i| format!("q{i}")).collect()
        };
        ws.enqueue_ids(&batch(0, MAX_QUEUED_IDS / 2)).unwrap();
        for _ in 0..MAX_QUEUED_IDS / 2 {
            let id = ws.new_id::<Conversation>();
            // Created, then deleted: the ID is still remembered.
            ws.conversations
                .insert(Conversation::new(id.clone(), None, None, 1))
                .unwrap();
            assert!(ws.delete::<Conversation>(&id));
        }
        let half = MAX_QUEUED_IDS / 2;
        let err = ws.enqueue_ids(&batch(half, half + 1)).unwrap_err();
        assert!(err.contains(&format!("{half} handed out")), "{err}");
        assert_eq!(ws.ids.queued(), 0, "none were added");
        ws.enqueue_ids(&batch(half, half)).unwrap();
    }

    #[test]
    fn deleted_ids_are_never_handed_out_again() {
        let fixtures = Fixtures {
            conversations: vec![],
            next_ids: vec!["a".into(), "b".into()],
        };
        let mut ws = Workspace::seeded(&fixtures, 1);
        let first = ws.new_id::<Conversation>();
        assert_eq!(&*first, "a");
        ws.conversations
            .insert(Conversation::new(first, None, None, 1))
            .unwrap();
        assert!(ws.delete::<Conversation>("a"));
        assert!(!ws.delete::<Conversation>("a"));
        assert_eq!(&*ws.new_id::<Conversation>(), "b");
        // Handed out once, never queued again; nor is a fixture's ID, even deleted.
        let err = ws.enqueue_ids(&["a".to_owned()]).unwrap_err();
        assert!(err.contains("'a'"), "{err}");
        let with_fixture = Fixtures::parse(
            "inline",
            r#"{"conversations": [{"id": "fx", "created_at": 1}]}"#,
        )
        .unwrap();
        let mut ws = Workspace::seeded(&with_fixture, 1);
        assert!(ws.delete::<Conversation>("fx"));
        assert!(with_fixture.check_unused(&["fx".to_owned()]).is_err());
        assert!(with_fixture.check_unused(&["fresh".to_owned()]).is_ok());
        assert!(ws.enqueue_ids(&["fresh".to_owned()]).is_ok());
        assert_eq!(&*ws.new_id::<Conversation>(), "fresh");
    }
}
