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
use crate::events::{Action, Outbox};
use crate::fixtures::{Fixtures, Listed};
use crate::ids::{IdGen, MAX_ID_LEN, MAX_QUEUED_IDS};
use crate::model::{Problem, clip};
use crate::resources::{
    Contact, Conversation, Embedded, Group, Message, Owned, Patch, Record, Resource, allocation,
    contacts,
};
use crate::store::Store;
use std::borrow::Cow;
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
    /// The contacts.
    pub contacts: Store<Contact>,
    /// The groups.
    pub groups: Store<Group>,
    /// The messages.
    pub messages: Store<Message>,
    /// The account contact: the sender of every message sent through the API. Not listed.
    pub me: Arc<Contact>,
    ids: IdGen,
    /// The events of the changes not yet handed to the bus.
    pub events: Outbox,
}

/// How much a workspace may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Room {
    /// The most records of each resource (`--max-objects`).
    pub objects: usize,
    /// The most memory its records take in all, as [`Record::weight`] counts it
    /// (`--max-workspace-mib`).
    pub bytes: usize,
}

impl Room {
    /// No bound at all.
    pub const UNBOUNDED: Room = Room {
        objects: usize::MAX,
        bytes: usize::MAX,
    };
}

/// A record type a workspace holds one store of.
pub trait Held: Record {
    /// The workspace's store of this type.
    fn store(ws: &Workspace) -> &Store<Self>;
    /// The same, to change.
    fn store_mut(ws: &mut Workspace) -> &mut Store<Self>;
    /// The same, with the workspace's ID generator beside it.
    fn store_and_ids(ws: &mut Workspace) -> (&mut Store<Self>, &mut IdGen);
    /// The same, with the workspace's events beside it.
    fn store_and_events(ws: &mut Workspace) -> (&mut Store<Self>, &mut Outbox);
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
                fn store_and_events(ws: &mut Workspace) -> (&mut Store<Self>, &mut Outbox) {
                    (&mut ws.$store, &mut ws.events)
                }
            }
        )*
    };
}

held!(
    Conversation => conversations,
    Contact => contacts,
    Group => groups,
    Message => messages,
);

/// Sets the field `name` of `record`, which its resource has.
fn set<R: Record>(record: &mut R, name: &str, value: Owned) {
    let (number, _) = R::DESCRIPTION
        .field(name)
        .expect("the workspace sets only fields its resource has");
    let _ = record.set(number, value);
}

/// The field of a contact or group that names its conversation.
const CONVERSATION_ID: &str = "conversation_id";

/// The IDs of the records of `R` whose reference field `field` names `id`, from the store's
/// index of that field: a cascade costs what it removes, not a walk of the store.
fn naming<R: Held>(ws: &Workspace, field: &str, id: &str) -> Vec<Box<str>> {
    let (number, described) = R::DESCRIPTION
        .field(field)
        .expect("a cascade follows a field its resource has");
    debug_assert!(described.references.is_some(), "{field} is indexed");
    R::store(ws)
        .naming(number, id)
        .map(|r| Box::from(r.id()))
        .collect()
}

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
            contacts: seeded(fixtures),
            groups: seeded(fixtures),
            messages: seeded(fixtures),
            me: fixtures
                .me
                .clone()
                .unwrap_or_else(|| Arc::new(contacts::account())),
            ids: IdGen::new(seed, fixtures.next_ids.iter().cloned()),
            events: Outbox::new(seed),
        }
    }

    /// The store of `R`.
    pub fn store<R: Held>(&self) -> &Store<R> {
        R::store(self)
    }

    /// The singular of a resource with a record of this ID here (`contact` for the
    /// account's).
    fn holder(&self, id: &str) -> Option<&'static str> {
        if *self.me.id == *id {
            return Some(contacts::DESCRIPTION.singular);
        }
        Resource::ALL
            .into_iter()
            .find(|resource| match resource {
                Resource::Conversations => self.conversations.contains(id),
                Resource::Contacts => self.contacts.contains(id),
                Resource::Groups => self.groups.contains(id),
                Resource::Messages => self.messages.contains(id),
            })
            .map(|resource| resource.describe().singular)
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
            if let Some(singular) = self.holder(id) {
                return Err(format!("'{id}' is the ID of a {singular} here."));
            }
            if self.ids.was_issued(id) {
                return Err(format!("'{id}' was handed out here before."));
            }
            if !queued.insert(id) {
                return Err(format!("'{id}' is already queued."));
            }
        }
        self.ids.enqueue(ids.iter().map(|id| id.as_str().into()));
        Ok(())
    }

    /// The memory its records take, as [`Record::weight`] counts it: records shared with
    /// the fixtures count in full, as they would once changed.
    pub fn bytes(&self) -> usize {
        self.conversations.bytes()
            + self.contacts.bytes()
            + self.groups.bytes()
            + self.messages.bytes()
    }

    /// A 429 when `more` bytes of records would take this workspace past `limit`; a change
    /// that adds nothing always has room.
    fn room_for_bytes(&self, more: usize, limit: usize) -> Result<(), ApiError> {
        let held = self.bytes();
        if more > 0 && held.saturating_add(more) > limit {
            return Err(ApiError::WorkspaceFull { held, limit });
        }
        Ok(())
    }

    /// A 429 when this workspace already holds `max_objects` records of `R`.
    fn room<R: Held>(&self, max_objects: usize) -> Result<(), ApiError> {
        let held = R::store(self).len();
        if held >= max_objects {
            return Err(ApiError::TooManyObjects {
                resource: R::DESCRIPTION.plural,
                held,
                limit: max_objects,
            });
        }
        Ok(())
    }

    /// Creates a record of `R` at `now` with a new ID and the fields of `patch`; a 429 when
    /// this workspace already holds `room.objects` of them, or when the new records would
    /// take its memory past `room.bytes`.
    ///
    /// Contacts a request names by ID (a group's members) are shown with their current
    /// values; an ID this workspace holds no contact of is a 400 naming it.
    ///
    /// A contact or a group comes with its conversation, created at the same time: the
    /// contact's ID is drawn first, then the conversation's, and the contact names it.
    pub fn create<R: Held>(
        &mut self,
        patch: &Patch,
        now: i64,
        room: Room,
        strict: bool,
    ) -> Result<&R, ApiError> {
        self.create_from::<R>(patch, now, room, strict, None)
    }

    /// A message sent by `sender` instead of the account (the other participant of a
    /// conversation, as the admin API simulates it); in every other way the send
    /// [`Workspace::create`] makes: the same checks, bounds, timestamps and events.
    pub fn send_from(
        &mut self,
        patch: &Patch,
        now: i64,
        room: Room,
        strict: bool,
        sender: Embedded,
    ) -> Result<&Message, ApiError> {
        self.create_from::<Message>(patch, now, room, strict, Some(sender))
    }

    /// [`Workspace::create`], a message's sender given or (`None`) the account.
    fn create_from<R: Held>(
        &mut self,
        patch: &Patch,
        now: i64,
        room: Room,
        strict: bool,
        sender: Option<Embedded>,
    ) -> Result<&R, ApiError> {
        // Which field of the conversation it comes with names the new record.
        let conversation_names = match R::DESCRIPTION.resource {
            Resource::Conversations => None,
            Resource::Contacts => Some("contact_id"),
            Resource::Groups => Some("group_id"),
            Resource::Messages => None,
        };
        let patch = self.embed::<R>(patch)?;
        if strict {
            self.check_references::<R>(&patch, None)?;
        }
        let sent_in = match R::DESCRIPTION.resource {
            Resource::Messages => Some(self.conversation_named::<R>(&patch)?),
            Resource::Conversations | Resource::Contacts | Resource::Groups => None,
        };
        self.room::<R>(room.objects)?;
        if conversation_names.is_some() {
            self.room::<Conversation>(room.objects)?;
        }
        // Weighed before its ID is drawn, so that a refused create leaves the queue as it
        // was; each new ID is counted at the longest an ID may be.
        let mut record = R::created(Box::default(), now);
        patch.apply(&mut record);
        if sent_in.is_some() {
            let sender = sender.unwrap_or_else(|| Embedded::from(&*self.me));
            set(&mut record, "contact", Owned::Contacts(vec![sender]));
        }
        let id_bytes = allocation(MAX_ID_LEN);
        let mut more = record.weight() + id_bytes;
        if conversation_names.is_some() {
            // The conversation, its ID, and the record's ID in it.
            more += Conversation::created(Box::default(), now).weight() + 2 * id_bytes;
        }
        self.room_for_bytes(more, room.bytes)?;
        let id = self.new_id::<R>();
        let _ = record.set(0, Owned::Text(Some(id.clone())));
        // The conversation that changes with it, whose event follows the record's.
        let mut follows = None;
        if let Some(conversation) = sent_in {
            self.conversations
                .update(&conversation, |c| c.last_active_at = Some(now));
            follows = Some((Action::Updated, conversation));
        }
        if let Some(field) = conversation_names {
            let conversation_id = self.new_id::<Conversation>();
            let mut conversation = Conversation::created(conversation_id.clone(), now);
            let (field, _) = Conversation::DESCRIPTION
                .field(field)
                .expect("a conversation names its contact and its group");
            let _ = conversation.set(field, Owned::Text(Some(id.clone())));
            set(
                &mut record,
                CONVERSATION_ID,
                Owned::Text(Some(conversation_id.clone())),
            );
            self.conversations
                .insert(conversation)
                .expect("new_id never returns an ID that is in the store");
            follows = Some((Action::Created, conversation_id));
        }
        let (store, events) = R::store_and_events(self);
        let created = store
            .insert(record)
            .expect("new_id never returns an ID that is in the store");
        events.emit(Action::Created, created);
        if let Some((action, conversation)) = follows
            && let Some(c) = self.conversations.get(&conversation)
        {
            self.events.emit(action, c);
        }
        Ok(R::store(self)
            .get(&id)
            .expect("the record was just inserted"))
    }

    /// Sets the fields of `patch` on the record of `R` with this ID; `Ok(None)` if there is
    /// none. Contacts named by ID are embedded as [`Workspace::create`] says.
    /// A message's update sets its `updated_at` to `now`. A 429 when the change would take
    /// this workspace's memory past `room.bytes`.
    pub fn update<R: Held>(
        &mut self,
        id: &str,
        patch: &Patch,
        now: i64,
        room: Room,
        strict: bool,
    ) -> Result<Option<&R>, ApiError> {
        let Some(before) = R::store(self).get(id) else {
            return Ok(None);
        };
        let patch = self.embed::<R>(patch)?;
        if strict {
            self.check_references::<R>(&patch, Some(id))?;
        }
        let stamps = match R::DESCRIPTION.resource {
            Resource::Messages => true,
            Resource::Conversations | Resource::Contacts | Resource::Groups => false,
        };
        let change = |record: &mut R| {
            patch.apply(record);
            if stamps {
                set(record, "updated_at", Owned::Time(Some(now)));
            }
        };
        let mut after = before.clone();
        change(&mut after);
        self.room_for_bytes(after.weight().saturating_sub(before.weight()), room.bytes)?;
        let (store, events) = R::store_and_events(self);
        let updated = store.update(id, change);
        if let Some(record) = updated {
            events.emit(Action::Updated, record);
        }
        Ok(updated)
    }

    /// Under `--strict-references`: a 400 naming the first field of `patch` that names a
    /// record this workspace does not hold, or (a pinned message) a message of another
    /// conversation than `id`, the record being updated.
    fn check_references<R: Held>(&self, patch: &Patch, id: Option<&str>) -> Result<(), ApiError> {
        for (number, value) in &patch.0 {
            let field = &R::DESCRIPTION.fields[*number];
            let (Some(plural), Owned::Text(Some(named))) = (field.references, value) else {
                continue;
            };
            let Some(resource) = Resource::from_plural(plural) else {
                continue;
            };
            let held = match resource {
                Resource::Conversations => self.conversations.contains(named),
                Resource::Contacts => self.contacts.contains(named),
                Resource::Groups => self.groups.contains(named),
                // A pinned message is one of the conversation's own.
                Resource::Messages => self
                    .messages
                    .get(named)
                    .is_some_and(|m| id.is_none_or(|id| &*m.conversation_id == id)),
            };
            if !held {
                let singular = resource.describe().singular;
                let name = field.name;
                return Err(ApiError::invalid(Problem::param(
                    name,
                    format!(
                        "Invalid value for '{name}': no such {singular} here: '{}' \
                         (--strict-references).",
                        clip(named)
                    ),
                )));
            }
        }
        Ok(())
    }

    /// The existing conversation a message's `patch` names; a 400 naming the field when
    /// this workspace holds no such conversation.
    fn conversation_named<R: Held>(&self, patch: &Patch) -> Result<Box<str>, ApiError> {
        let (number, _) = R::DESCRIPTION
            .field(CONVERSATION_ID)
            .expect("a message names its conversation");
        let named = patch.0.iter().find_map(|(n, v)| match v {
            Owned::Text(Some(id)) if *n == number => Some(id),
            _ => None,
        });
        match named {
            Some(id) if self.conversations.contains(id) => Ok(id.clone()),
            _ => Err(ApiError::invalid(Problem::param(
                CONVERSATION_ID,
                format!(
                    "Invalid value for '{CONVERSATION_ID}': no such conversation: '{}'.",
                    clip(named.map_or("", |id| &**id))
                ),
            ))),
        }
    }

    /// `patch` with the contacts it names by ID filled in with their current values;
    /// borrowed as it is when it names none (a conversation's patch never does).
    fn embed<'p, R: Held>(&self, patch: &'p Patch) -> Result<Cow<'p, Patch>, ApiError> {
        if !patch.0.iter().any(|(_, v)| matches!(v, Owned::Contacts(_))) {
            return Ok(Cow::Borrowed(patch));
        }
        let mut embedded = Patch(Vec::with_capacity(patch.0.len()));
        for (number, value) in &patch.0 {
            let value =
                match value {
                    Owned::Contacts(named) => Owned::Contacts(
                        named
                            .iter()
                            .map(|member| {
                                self.contacts.get(&member.id).map(Embedded::from).ok_or_else(|| {
                                let name = R::DESCRIPTION.fields[*number].name;
                                ApiError::invalid(Problem::param(
                                    name,
                                    format!(
                                        "Invalid value for '{name}': no such contact: '{}'.",
                                        clip(&member.id)
                                    ),
                                ))
                            })
                            })
                            .collect::<Result<_, _>>()?,
                    ),
                    other => other.clone(),
                };
            embedded.0.push((*number, value));
        }
        Ok(Cow::Owned(embedded))
    }

    /// Deletes the record of `R` with this ID for good, with what depends on it; `false`
    /// if there was none.
    ///
    /// A conversation's contact or group no longer names it. A contact's conversations
    /// (those whose `contact_id` it is) go with it, and it leaves every group; a group's
    /// conversations (those whose `group_id` it is) go with it.
    pub fn delete<R: Held>(&mut self, id: &str) -> bool {
        match R::DESCRIPTION.resource {
            Resource::Conversations => return self.delete_conversation(id),
            Resource::Contacts => {
                let Some(contact) = self.contacts.remove(id) else {
                    return false;
                };
                self.events.emit(Action::Deleted, &*contact);
                for conversation in naming::<Conversation>(self, "contact_id", id) {
                    self.delete_conversation(&conversation);
                }
                for group in naming::<Group>(self, "contacts", id) {
                    let left = self
                        .groups
                        .update(&group, |g| g.contacts.retain(|c| &*c.id != id));
                    if let Some(g) = left {
                        self.events.emit(Action::Updated, g);
                    }
                }
            }
            Resource::Groups => {
                let Some(group) = self.groups.remove(id) else {
                    return false;
                };
                self.events.emit(Action::Deleted, &*group);
                for conversation in naming::<Conversation>(self, "group_id", id) {
                    self.delete_conversation(&conversation);
                }
            }
            Resource::Messages => {
                let Some(message) = self.messages.remove(id) else {
                    return false;
                };
                self.events.emit(Action::Deleted, &*message);
                // Every conversation that pins it: a pin may name a message of another
                // conversation (references are free strings by default).
                for conversation in naming::<Conversation>(self, "pinned_message_id", id) {
                    let unpinned = self
                        .conversations
                        .update(&conversation, |c| c.pinned_message_id = None);
                    if let Some(c) = unpinned {
                        self.events.emit(Action::Updated, c);
                    }
                }
            }
        }
        true
    }

    /// Deletes a conversation and its messages; its contact and its group, if they named it,
    /// name none after.
    fn delete_conversation(&mut self, id: &str) -> bool {
        let Some(conversation) = self.conversations.remove(id) else {
            return false;
        };
        self.events.emit(Action::Deleted, &*conversation);
        let (contact, group) = (&conversation.contact_id, &conversation.group_id);
        for message in naming::<Message>(self, CONVERSATION_ID, id) {
            if let Some(m) = self.messages.remove(&message) {
                self.events.emit(Action::Deleted, &*m);
            }
        }
        let names_it = |named: Option<&str>| named == Some(id);
        if let Some(contact) = contact
            && self
                .contacts
                .get(contact)
                .is_some_and(|c| names_it(c.conversation_id.as_deref()))
            && let Some(c) = self.contacts.update(contact, |c| c.conversation_id = None)
        {
            self.events.emit(Action::Updated, c);
        }
        if let Some(group) = group
            && self
                .groups
                .get(group)
                .is_some_and(|g| names_it(g.conversation_id.as_deref()))
            && let Some(g) = self.groups.update(group, |g| g.conversation_id = None)
        {
            self.events.emit(Action::Updated, g);
        }
        true
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
        let one = Room {
            objects: 1,
            ..Room::UNBOUNDED
        };
        let created = ws
            .create::<Conversation>(&patch, 5, one, false)
            .unwrap()
            .clone();
        assert_eq!(
            created,
            Conversation::new(created.id.clone(), None, Some("g".into()), 5)
        );
        assert_eq!(
            ws.create::<Conversation>(&patch, 5, one, false).err(),
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
            next_ids: vec!["a".into(), "b".into()],
            ..Fixtures::default()
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
