//! The data a workspace starts from.
//!
//! A fixtures file is a JSON object with one optional key per resource (its plural, such as
//! `conversations`: objects with the resource's fields, `id` and `created_at` required, the
//! rest defaulting as on create) and `next_ids` (IDs the next creates hand out before random
//! generation resumes). Both readings of a file — the fast one and the careful one — follow
//! each resource's description (`resources`): the keys, the types, the defaults. Validation
//! is strict and every message names the file, the entry and the field. The documented
//! conversations are embedded as the default set.

use crate::ids::is_valid_id;
use crate::model::{RawValue, a_timestamp, describe, is_timestamp};
use crate::resources::{
    Contact, Conversation, Embedded, Group, Kind, Message, Owned, Record, Resource, Value as Field,
    contacts,
};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// The embedded default data set: the documented conversations and a few more.
const DOCUMENTED: &str = include_str!("../fixtures/conversations.json");

/// The largest fixtures file read, in bytes (1 GiB); the benchmark's million conversations
/// take 136 MB.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// What a workspace is seeded with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fixtures {
    /// Conversations, in insertion order; shared with every store seeded from them.
    pub conversations: Vec<Arc<Conversation>>,
    /// Contacts, in insertion order, shared likewise.
    pub contacts: Vec<Arc<Contact>>,
    /// Groups, in insertion order, shared likewise.
    pub groups: Vec<Arc<Group>>,
    /// Messages, in insertion order, shared likewise.
    pub messages: Vec<Arc<Message>>,
    /// The account contact, the sender of every message sent through the API; `None`:
    /// [`contacts::account`].
    pub me: Option<Arc<Contact>>,
    /// IDs for the next creates, in order.
    pub next_ids: Vec<Box<str>>,
}

/// A fixtures file that cannot be used, with where the problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixtureError {
    /// The file's path, or `embedded fixtures`.
    pub source: String,
    /// What is wrong and where.
    pub message: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fixtures file '{}': {}", self.source, self.message)
    }
}

impl std::error::Error for FixtureError {}

/// A record type a fixtures file lists, under its plural.
pub trait Listed: Record {
    /// The fixtures' records of this type, in insertion order.
    fn listed(fixtures: &Fixtures) -> &[Arc<Self>];
    /// The same, to fill.
    fn listed_mut(fixtures: &mut Fixtures) -> &mut Vec<Arc<Self>>;
}

/// Which [`Fixtures`] field lists each record type.
macro_rules! listed {
    ($($record:ty => $list:ident),* $(,)?) => {
        $(
            impl Listed for $record {
                fn listed(fixtures: &Fixtures) -> &[Arc<Self>] {
                    &fixtures.$list
                }
                fn listed_mut(fixtures: &mut Fixtures) -> &mut Vec<Arc<Self>> {
                    &mut fixtures.$list
                }
            }
        )*
    };
}

listed!(
    Conversation => conversations,
    Contact => contacts,
    Group => groups,
    Message => messages,
);

/// The key of the account contact.
const ME: &str = "me";

/// The IDs of one resource's entries, with its singular name for messages.
type Taken = (&'static str, HashSet<Box<str>>);

/// The file's top-level keys, for messages: `'conversations' and/or 'next_ids'`.
fn top_level_keys() -> String {
    let plurals: Vec<String> = Resource::ALL
        .iter()
        .map(|r| format!("'{}'", r.describe().plural))
        .collect();
    format!("{}, 'me' and/or 'next_ids'", plurals.join(", "))
}

impl Fixtures {
    /// The embedded default set (`fixtures/conversations.json`).
    pub fn documented() -> Self {
        Fixtures::parse("embedded fixtures", DOCUMENTED)
            .expect("the embedded fixtures are checked by a unit test")
    }

    /// Refuses, naming it, an ID that one of these records has: once deleted, a fixture
    /// record's ID must still never come back.
    pub fn check_unused(&self, ids: &[String]) -> Result<(), String> {
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        Resource::ALL
            .into_iter()
            .try_for_each(|resource| match resource {
                Resource::Conversations => self.unused::<Conversation>(&wanted),
                Resource::Contacts => self.unused::<Contact>(&wanted),
                Resource::Groups => self.unused::<Group>(&wanted),
                Resource::Messages => self.unused::<Message>(&wanted),
            })
    }

    fn unused<R: Listed>(&self, wanted: &HashSet<&str>) -> Result<(), String> {
        match R::listed(self).iter().find(|r| wanted.contains(r.id())) {
            Some(r) => Err(format!(
                "'{}' is or was the ID of a {} here.",
                r.id(),
                R::DESCRIPTION.singular
            )),
            None => Ok(()),
        }
    }

    /// No conversations and no queued IDs (`--empty`).
    pub fn empty() -> Self {
        Fixtures::default()
    }

    /// Reads and validates a fixtures file: a regular file (symlinks are followed) of at
    /// most [`MAX_FILE_BYTES`]. The file is only read.
    pub fn from_file(path: &Path) -> Result<Self, FixtureError> {
        let source = path.display().to_string();
        let text = read_regular_file(path, MAX_FILE_BYTES).map_err(|message| FixtureError {
            source: source.clone(),
            message,
        })?;
        Fixtures::parse(&source, &text)
    }

    /// Validates fixtures text; `source` names it in errors.
    ///
    /// A valid file is read straight into typed values, which a million conversations need:
    /// a JSON tree of them would take gigabytes on the way. Only when that fails is the file
    /// read again as a tree, to say exactly which entry and field are wrong.
    pub fn parse(source: &str, text: &str) -> Result<Self, FixtureError> {
        if let Some(mut fixtures) = typed::parse(text)
            && fixtures.embed().is_ok()
        {
            return Ok(fixtures);
        }
        let mut fixtures = Fixtures::parse_checked(source, text)?;
        fixtures.embed().map_err(|message| FixtureError {
            source: source.to_owned(),
            message,
        })?;
        Ok(fixtures)
    }

    /// Fills in the contacts that records name by ID (a group's members, a message's
    /// sender) with the file's contacts' values (or the account's); an ID the file does not
    /// hold, or one given twice, is refused. So is a message whose conversation the file
    /// does not hold.
    fn embed(&mut self) -> Result<(), String> {
        // Only a file with messages pays for the set (a million conversations would).
        let conversations: HashSet<&str> = match self.messages.is_empty() {
            true => HashSet::new(),
            false => self.conversations.iter().map(|c| c.id()).collect(),
        };
        for (i, m) in self.messages.iter().enumerate() {
            if !conversations.contains(&*m.conversation_id) {
                return Err(format!(
                    "messages[{i}] (id '{}'), field 'conversation_id': no conversation '{}' in \
                     the file's 'conversations'",
                    m.id, m.conversation_id
                ));
            }
        }
        let me = self
            .me
            .clone()
            .unwrap_or_else(|| Arc::new(contacts::account()));
        let contacts: HashMap<Box<str>, Embedded> = self
            .contacts
            .iter()
            .chain([&me])
            .map(|c| (c.id.clone(), Embedded::from(&**c)))
            .collect();
        Resource::ALL
            .into_iter()
            .try_for_each(|resource| match resource {
                Resource::Conversations => embed_in::<Conversation>(self, &contacts),
                Resource::Contacts => embed_in::<Contact>(self, &contacts),
                Resource::Groups => embed_in::<Group>(self, &contacts),
                Resource::Messages => embed_in::<Message>(self, &contacts),
            })
    }

    /// The careful reading, with messages that name the entry and the field.
    fn parse_checked(source: &str, text: &str) -> Result<Self, FixtureError> {
        let fail = |message: String| FixtureError {
            source: source.to_owned(),
            message,
        };
        let value: Value =
            serde_json::from_str(text).map_err(|e| fail(format!("not valid JSON: {e}")))?;
        let Value::Object(top) = value else {
            return Err(fail(format!(
                "the top level must be an object with {}, got {}",
                top_level_keys(),
                describe(&value)
            )));
        };
        if let Some(key) = top
            .keys()
            .find(|k| *k != "next_ids" && *k != ME && Resource::from_plural(k).is_none())
        {
            return Err(fail(format!(
                "unknown top-level key '{key}' (expected {})",
                top_level_keys()
            )));
        }
        let mut fixtures = Fixtures::default();
        let mut taken = Vec::new();
        for resource in Resource::ALL {
            let ids = match resource {
                Resource::Conversations => fixtures.read::<Conversation>(&top, &fail)?,
                Resource::Contacts => fixtures.read::<Contact>(&top, &fail)?,
                Resource::Groups => fixtures.read::<Group>(&top, &fail)?,
                Resource::Messages => fixtures.read::<Message>(&top, &fail)?,
            };
            taken.push(ids);
        }
        if let Some(me) = top.get(ME) {
            let me = read_entry::<Contact>(me).map_err(|(field, msg)| match field {
                Some(field) => fail(format!("{ME}, field '{field}': {msg}")),
                None => fail(format!("{ME}: {msg}")),
            })?;
            fixtures.me = Some(Arc::new(me));
        }
        match top.get("next_ids") {
            None => {}
            Some(Value::Array(ids)) => {
                let mut queued = HashSet::new();
                for (i, id) in ids.iter().enumerate() {
                    let Some(id) = id.as_str().filter(|id| is_valid_id(id)) else {
                        return Err(fail(format!("next_ids[{i}]: {}", not_an_id(id))));
                    };
                    if let Some((singular, _)) = taken.iter().find(|(_, ids)| ids.contains(id)) {
                        return Err(fail(format!(
                            "next_ids[{i}]: '{id}' is already the ID of a {singular}"
                        )));
                    }
                    if !queued.insert(id) {
                        return Err(fail(format!("next_ids[{i}]: '{id}' is queued twice")));
                    }
                    fixtures.next_ids.push(id.into());
                }
            }
            Some(other) => {
                return Err(fail(format!(
                    "'next_ids' must be an array of IDs, got {}",
                    describe(other)
                )));
            }
        }
        Ok(fixtures)
    }

    /// Reads the entries of `R` under its plural, carefully; returns their IDs.
    fn read<R: Listed>(
        &mut self,
        top: &Map<String, Value>,
        fail: &impl Fn(String) -> FixtureError,
    ) -> Result<Taken, FixtureError> {
        let plural = R::DESCRIPTION.plural;
        let mut seen = HashSet::new();
        match top.get(plural) {
            None => {}
            Some(Value::Array(entries)) => {
                for (i, entry) in entries.iter().enumerate() {
                    let record = read_entry::<R>(entry).map_err(|(field, msg)| {
                        let id = entry
                            .get("id")
                            .and_then(Value::as_str)
                            .map(|id| format!(" (id '{id}')"))
                            .unwrap_or_default();
                        match field {
                            Some(field) => {
                                fail(format!("{plural}[{i}]{id}, field '{field}': {msg}"))
                            }
                            None => fail(format!("{plural}[{i}]{id}: {msg}")),
                        }
                    })?;
                    if !seen.insert(Box::from(record.id())) {
                        return Err(fail(format!(
                            "{plural}[{i}], field 'id': duplicate ID '{}'",
                            record.id()
                        )));
                    }
                    R::listed_mut(self).push(Arc::new(record));
                }
            }
            Some(other) => {
                return Err(fail(format!(
                    "'{plural}' must be an array, got {}",
                    describe(other)
                )));
            }
        }
        Ok((R::DESCRIPTION.singular, seen))
    }
}

/// Fills in the embedded contacts of every record of `R`, as [`Fixtures::embed`] says.
fn embed_in<R: Listed>(
    fixtures: &mut Fixtures,
    contacts: &HashMap<Box<str>, Embedded>,
) -> Result<(), String> {
    let plural = R::DESCRIPTION.plural;
    let lists: Vec<(usize, &'static str)> = R::DESCRIPTION
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.kind, Kind::Contacts | Kind::Contact))
        .map(|(number, f)| (number, f.name))
        .collect();
    if lists.is_empty() {
        return Ok(());
    }
    for (i, record) in R::listed_mut(fixtures).iter_mut().enumerate() {
        for &(number, name) in &lists {
            let Some(Field::Contacts(named)) = record.value(number) else {
                continue;
            };
            let kind = R::DESCRIPTION.fields[number].kind;
            let mut seen = HashSet::new();
            let mut embedded = Vec::with_capacity(named.len());
            for member in named {
                let at = || format!("{plural}[{i}] (id '{}'), field '{name}'", record.id());
                if !seen.insert(&member.id) {
                    return Err(format!("{}: contact '{}' is given twice", at(), member.id));
                }
                match contacts.get(&member.id) {
                    Some(c) => embedded.push(c.clone()),
                    None => {
                        return Err(format!(
                            "{}: no contact '{}' in the file's 'contacts'",
                            at(),
                            member.id
                        ));
                    }
                }
            }
            if kind == Kind::Contact && embedded.len() != 1 {
                return Err(format!(
                    "{plural}[{i}] (id '{}'), field '{name}': required",
                    record.id()
                ));
            }
            let _ = Arc::make_mut(record).set(number, Owned::Contacts(embedded));
        }
    }
    Ok(())
}

/// The text of the regular file at `path` (symlinks followed), of at most `limit` bytes.
///
/// The type and the size checked are those of the file as opened, and no more than
/// `limit + 1` bytes are read, so a file swapped or grown meanwhile cannot get past them.
/// A device such as `/dev/zero` or a FIFO is refused at once, without a read.
fn read_regular_file(path: &Path, limit: u64) -> Result<String, String> {
    let cannot = |e: std::io::Error| format!("cannot read it: {e}");
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Opening a FIFO would wait for a writer; non-blocking it opens at once (and is then
    // refused). Reads of a regular file do not block either way.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(match file_kind(&meta.file_type()) {
            Some(kind) => format!("it is {kind}, not a regular file"),
            None => "it is not a regular file".to_owned(),
        });
    }
    let too_large = || format!("it is larger than the limit of {limit} bytes");
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if u64::try_from(bytes.len()).map_or(true, |read| read > limit) {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| format!("it is not valid UTF-8: {e}"))
}

/// What a file that is not a regular file is, for a message.
fn file_kind(file_type: &std::fs::FileType) -> Option<&'static str> {
    if file_type.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kinds = [
            (file_type.is_fifo(), "a FIFO (named pipe)"),
            (file_type.is_char_device(), "a character device"),
            (file_type.is_block_device(), "a block device"),
            (file_type.is_socket(), "a socket"),
        ];
        if let Some((_, kind)) = kinds.iter().find(|(is, _)| *is) {
            return Some(kind);
        }
    }
    None
}

type FieldError = (Option<&'static str>, String);

/// The message for an ID that is not one.
fn not_an_id(got: &Value) -> String {
    format!(
        "expected an ID of {}, got {}",
        crate::ids::id_rule(),
        describe(got)
    )
}

/// The fast reading of a valid file, with serde, straight into typed records as each
/// resource's description says. `None` for anything it cannot accept as is (a wrong type,
/// a repeated key, a duplicate ID); the careful reading then finds and words the problem.
mod typed {
    use super::{Arc, Fixtures, HashSet, Listed, Taken, is_timestamp, is_valid_id};
    use crate::model::RawValue;
    use crate::resources::{
        Contact, Conversation, Embedded, Group, Kind, Message, Owned, Record, Resource,
    };
    use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::fmt;
    use std::marker::PhantomData;

    pub(super) fn parse(source: &str) -> Option<Fixtures> {
        // serde would also read a map from an array; the file must be an object.
        if !source.trim_start().starts_with('{') {
            return None;
        }
        let mut de = serde_json::Deserializer::from_str(source);
        let fixtures = de.deserialize_map(File).ok()?;
        de.end().ok()?;
        Some(fixtures)
    }

    /// Any error: the careful reading says what it is.
    fn refuse<E: de::Error>() -> E {
        E::custom("refused")
    }

    struct File;

    impl<'de> Visitor<'de> for File {
        type Value = Fixtures;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a fixtures object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fixtures, A::Error> {
            let mut fixtures = Fixtures::default();
            let mut keys = HashSet::new();
            let mut taken: Vec<Taken> = Vec::new();
            let mut next_ids = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                if !keys.insert(key.clone()) {
                    return Err(refuse());
                }
                if key == "next_ids" {
                    next_ids = map.next_value::<Vec<String>>()?;
                    continue;
                }
                if key == super::ME {
                    let entry = Entry::<Contact>(required::<Contact>(), PhantomData);
                    fixtures.me = Some(Arc::new(map.next_value_seed(entry)?));
                    continue;
                }
                let ids = match Resource::from_plural(&key).ok_or_else(refuse)? {
                    Resource::Conversations => {
                        map.next_value_seed(Entries::<Conversation>(&mut fixtures, PhantomData))?
                    }
                    Resource::Contacts => {
                        map.next_value_seed(Entries::<Contact>(&mut fixtures, PhantomData))?
                    }
                    Resource::Groups => {
                        map.next_value_seed(Entries::<Group>(&mut fixtures, PhantomData))?
                    }
                    Resource::Messages => {
                        map.next_value_seed(Entries::<Message>(&mut fixtures, PhantomData))?
                    }
                };
                taken.push(ids);
            }
            let mut queued = HashSet::new();
            for id in next_ids {
                let taken_here = taken.iter().any(|(_, ids)| ids.contains(id.as_str()));
                if !is_valid_id(&id) || taken_here || !queued.insert(id.clone()) {
                    return Err(refuse());
                }
                fixtures.next_ids.push(id.into_boxed_str());
            }
            Ok(fixtures)
        }
    }

    /// The entries of `R`, read into the fixtures; the value is their IDs.
    struct Entries<'f, R>(&'f mut Fixtures, PhantomData<R>);

    impl<'de, R: Listed> DeserializeSeed<'de> for Entries<'_, R> {
        type Value = Taken;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Taken, D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de, R: Listed> Visitor<'de> for Entries<'_, R> {
        type Value = Taken;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of entries")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Taken, A::Error> {
            let list = R::listed_mut(self.0);
            let mut seen = HashSet::with_capacity(seq.size_hint().unwrap_or(0));
            let required = required::<R>();
            while let Some(record) = seq.next_element_seed(Entry::<R>(required, PhantomData))? {
                if !seen.insert(Box::from(record.id())) {
                    return Err(refuse());
                }
                list.push(Arc::new(record));
            }
            Ok((R::DESCRIPTION.singular, seen))
        }
    }

    /// The bits of the fields every entry of `R` gives: the ID, `created_at` and those a
    /// create needs.
    fn required<R: Record>() -> u64 {
        ["id", "created_at"]
            .iter()
            .chain(R::DESCRIPTION.create_requires)
            .filter_map(|name| R::DESCRIPTION.field(name))
            .fold(0u64, |bits, (number, _)| bits | 1 << number)
    }

    /// One entry of `R`, with the bits of the fields it must give.
    struct Entry<R>(u64, PhantomData<R>);

    impl<'de, R: Record> DeserializeSeed<'de> for Entry<R> {
        type Value = R;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<R, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de, R: Record> Visitor<'de> for Entry<R> {
        type Value = R;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an entry")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<R, A::Error> {
            let mut record = R::default();
            // Which fields were given, by number: each at most once.
            let mut given = 0u64;
            while let Some(key) = map.next_key::<&str>()? {
                let (number, field) = R::DESCRIPTION.field(key).ok_or_else(refuse)?;
                let bit = 1u64 << number;
                if given & bit != 0 {
                    return Err(refuse());
                }
                given |= bit;
                let value = match field.kind {
                    Kind::Text | Kind::String { .. } => match map.next_value::<Option<String>>()? {
                        Some(s) if s.is_empty() => return Err(refuse()),
                        s => Owned::Text(s.map(String::into_boxed_str)),
                    },
                    Kind::Bool => Owned::Bool(map.next_value::<bool>()?),
                    Kind::Contacts => Owned::Contacts(
                        map.next_value::<Vec<&str>>()?
                            .into_iter()
                            .map(Embedded::named)
                            .collect(),
                    ),
                    Kind::Contact => {
                        Owned::Contacts(vec![Embedded::named(map.next_value::<&str>()?)])
                    }
                    Kind::Reactions => {
                        let raw = RawValue::Json(map.next_value::<serde_json::Value>()?);
                        Owned::Reactions(
                            crate::model::reactions("reactions", &raw).map_err(|_| refuse())?,
                        )
                    }
                    Kind::Attachments => match map.next_value::<Vec<serde_json::Value>>()? {
                        none if none.is_empty() => Owned::Attachments,
                        _ => return Err(refuse()),
                    },
                    Kind::Timestamp => match map.next_value::<Option<i64>>()? {
                        Some(t) if !is_timestamp(t) => return Err(refuse()),
                        t => Owned::Time(t),
                    },
                };
                if !record.set(number, value) {
                    return Err(refuse());
                }
            }
            if given & self.0 != self.0 || !is_valid_id(record.id()) {
                return Err(refuse());
            }
            Ok(record)
        }
    }
}

/// One entry of `R`, carefully: the first problem, by field. An unknown key is found
/// first, then the keys every entry needs (the ID, then `created_at`), then the rest in
/// the order of the fields.
fn read_entry<R: Record>(entry: &Value) -> Result<R, FieldError> {
    let description = R::DESCRIPTION;
    let Value::Object(map) = entry else {
        return Err((
            None,
            format!(
                "expected a {} object, got {}",
                description.singular,
                describe(entry)
            ),
        ));
    };
    if let Some(key) = map.keys().find(|k| description.field(k).is_none()) {
        let names: Vec<&str> = description.fields.iter().map(|f| f.name).collect();
        return Err((
            None,
            format!(
                "unknown key '{key}' (a {} has {})",
                description.singular,
                names.join(", ")
            ),
        ));
    }
    let id = match map.get("id") {
        Some(Value::String(id)) if is_valid_id(id) => id.as_str().into(),
        Some(other) => return Err((Some("id"), not_an_id(other))),
        None => return Err((Some("id"), "required".to_owned())),
    };
    let created_at =
        timestamp(map, "created_at")?.ok_or((Some("created_at"), "required".into()))?;
    let mut record = R::created(id, created_at);
    for (number, field) in description.fields.iter().enumerate() {
        let value = match field.kind {
            _ if field.name == "id" || field.name == "created_at" => continue,
            _ if description.create_requires.contains(&field.name) => {
                match string(map, field.name)? {
                    Some(s) => Owned::Text(Some(s)),
                    None => return Err((Some(field.name), "required".into())),
                }
            }
            Kind::Text | Kind::String { .. } => Owned::Text(string(map, field.name)?),
            Kind::Bool => Owned::Bool(boolean(map, field.name)?),
            Kind::Timestamp => Owned::Time(timestamp(map, field.name)?),
            Kind::Contacts => Owned::Contacts(contact_ids(map, field.name)?),
            Kind::Contact => match map.get(field.name) {
                Some(Value::String(id)) if is_valid_id(id) => {
                    Owned::Contacts(vec![Embedded::named(id)])
                }
                Some(other) => return Err((Some(field.name), not_an_id(other))),
                None => return Err((Some(field.name), "required".into())),
            },
            Kind::Reactions => match map.get(field.name) {
                None => continue,
                Some(given) => Owned::Reactions(
                    crate::model::reactions(field.name, &RawValue::Json(given.clone()))
                        .map_err(|p| (Some(field.name), p.message))?,
                ),
            },
            Kind::Attachments => match map.get(field.name) {
                None => continue,
                Some(given) => {
                    crate::model::attachments(field.name, &RawValue::Json(given.clone()))
                        .map_err(|p| (Some(field.name), p.message))?;
                    Owned::Attachments
                }
            },
        };
        let _ = record.set(number, value);
    }
    Ok(record)
}

/// A list of contact IDs, each an ID; their contacts are filled in by [`Fixtures::embed`].
fn contact_ids(map: &Map<String, Value>, key: &'static str) -> Result<Vec<Embedded>, FieldError> {
    let Some(given) = map.get(key) else {
        return Ok(Vec::new());
    };
    let not_ids = || {
        (
            Some(key),
            format!("expected an array of contact IDs, got {}", describe(given)),
        )
    };
    let items = given.as_array().ok_or_else(not_ids)?;
    items
        .iter()
        .map(|item| match item.as_str() {
            Some(id) if is_valid_id(id) => Ok(Embedded::named(id)),
            _ => Err((Some(key), not_an_id(item))),
        })
        .collect()
}

fn string(map: &Map<String, Value>, key: &'static str) -> Result<Option<Box<str>>, FieldError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.as_str().into())),
        Some(other) => Err((
            Some(key),
            format!(
                "expected a non-empty string or null, got {}",
                describe(other)
            ),
        )),
    }
}

fn boolean(map: &Map<String, Value>, key: &'static str) -> Result<bool, FieldError> {
    match map.get(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err((
            Some(key),
            format!("expected true or false, got {}", describe(other)),
        )),
    }
}

fn timestamp(map: &Map<String, Value>, key: &'static str) -> Result<Option<i64>, FieldError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some_and(is_timestamp) => Ok(n.as_i64()),
        Some(other) => Err((
            Some(key),
            format!("expected {}, got {}", a_timestamp(), describe(other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_set_holds_the_documented_conversations_first() {
        let f = Fixtures::documented();
        assert!(f.conversations.len() < 10);
        assert!(f.next_ids.is_empty());
        let mut store = crate::store::Store::new();
        for c in &f.conversations {
            store.insert_shared(c.clone()).unwrap();
        }
        let order: Vec<&str> = store.iter().map(|c| &*c.id).collect();
        assert_eq!(&order[..2], ["xgQQXg3hrtjh7AvZ", "hSIhXBhNe8X1d8Et"]);
        let documented = store.get("xgQQXg3hrtjh7AvZ").unwrap();
        assert_eq!(*documented, crate::resources::conversations::documented());
        let c = &f.conversations;
        assert!(c.iter().any(|c| c.group_id.is_some()));
        assert!(c.iter().any(|c| c.contact_id.is_some()));
        assert!(c.iter().any(|c| c.is_muted));
        assert!(
            c.iter()
                .any(|c| c.is_pinned && c.pinned_message_id.is_some())
        );
        assert!(c.iter().any(|c| c.archived_at.is_some()));
    }

    #[test]
    fn the_documented_example_is_a_valid_fixtures_file() {
        let readme = include_str!("../docs/fixtures.md");
        let section = readme;
        let start = section.find("```json\n").expect("a JSON example") + 8;
        let end = start + section[start..].find("```").expect("the example's end");
        let f = Fixtures::parse("docs/fixtures.md", &section[start..end]).unwrap();
        assert_eq!(f.conversations.len(), 2);
        assert_eq!(f.next_ids.len(), 2);
        assert!(f.conversations[0].is_pinned);
        assert_eq!(f.conversations[1].archived_at, Some(1700000900));
    }

    #[test]
    fn the_fast_and_the_careful_reading_agree_on_valid_files() {
        let full = r#"{"conversations": [
            {"id": "a-1", "contact_id": "c", "group_id": null, "pinned_message_id": "m",
             "is_pinned": true, "is_muted": true, "last_active_at": 3, "last_opened_at": 2,
             "created_at": 1, "archived_at": 9},
            {"id": "b_2", "group_id": "g", "created_at": 0}
        ], "next_ids": ["n1", "n2"]}"#;
        for text in [DOCUMENTED, full, r#"{}"#, r#"{"next_ids": []}"#] {
            let careful = Fixtures::parse_checked("t", text).unwrap();
            assert_eq!(typed::parse(text), Some(careful), "{text}");
        }
        // What the fast reading refuses, the careful one words.
        for text in [
            r#"[]"#,
            r#"{"conversations": [{"id": "", "created_at": 1}]}"#,
        ] {
            assert_eq!(typed::parse(text), None);
            assert!(Fixtures::parse("t", text).is_err());
        }
    }

    #[test]
    fn timestamps_past_2_53_minus_1_are_refused_by_field_in_both_readings() {
        let max = crate::model::MAX_TIMESTAMP;
        let timestamps = Conversation::FIELDS
            .iter()
            .filter(|f| f.kind == Kind::Timestamp)
            .map(|f| f.name);
        for field in timestamps {
            let entry = |t: i64| {
                let created = if field == "created_at" { t } else { 1 };
                let extra = if field == "created_at" {
                    String::new()
                } else {
                    format!(", \"{field}\": {t}")
                };
                format!(r#"{{"conversations": [{{"id": "a", "created_at": {created}{extra}}}]}}"#)
            };
            let at_max = Fixtures::parse("f.json", &entry(max)).unwrap();
            assert_eq!(typed::parse(&entry(max)), Some(at_max));
            let past = entry(max + 1);
            assert_eq!(
                typed::parse(&past),
                None,
                "the fast reading refuses {field}"
            );
            let err = Fixtures::parse("f.json", &past).unwrap_err().to_string();
            assert_eq!(
                err,
                format!(
                    "fixtures file 'f.json': conversations[0] (id 'a'), field '{field}': \
                     expected a timestamp (an integer of Unix seconds from 0 to {max}), \
                     got {}",
                    max + 1
                )
            );
        }
    }

    #[test]
    fn only_next_ids_is_a_valid_file() {
        let f = Fixtures::parse("f.json", r#"{"next_ids": ["xgQQXg3hrtjh7AvZ"]}"#).unwrap();
        assert!(f.conversations.is_empty());
        assert_eq!(f.next_ids, vec![Box::from("xgQQXg3hrtjh7AvZ")]);
    }

    #[test]
    fn missing_keys_default_as_on_create() {
        let f = Fixtures::parse(
            "f.json",
            r#"{"conversations": [{"id": "a", "created_at": 3}]}"#,
        )
        .unwrap();
        assert_eq!(
            *f.conversations[0],
            Conversation::new("a".into(), None, None, 3)
        );
    }

    #[test]
    fn errors_name_the_file_the_entry_and_the_field() {
        let cases = [
            (
                r#"{"conversations": [{"id": "a", "created_at": 1}, {"id": "b", "created_at": 1, "is_muted": "yes"}]}"#,
                "fixtures file 'f.json': conversations[1] (id 'b'), field 'is_muted': expected true or false, got the string 'yes'",
            ),
            (
                r#"{"conversations": [{"id": "a"}]}"#,
                "fixtures file 'f.json': conversations[0] (id 'a'), field 'created_at': required",
            ),
            (
                r#"{"conversations": [{"created_at": 1}]}"#,
                "fixtures file 'f.json': conversations[0], field 'id': required",
            ),
            (
                r#"{"conversations": [{"id": "a", "created_at": 1, "colour": 1}]}"#,
                "fixtures file 'f.json': conversations[0] (id 'a'): unknown key 'colour'",
            ),
            (
                r#"{"conversations": [{"id": "a", "created_at": 1}, {"id": "a", "created_at": 2}]}"#,
                "fixtures file 'f.json': conversations[1], field 'id': duplicate ID 'a'",
            ),
            (
                r#"{"conversations": [{"id": "a", "created_at": -1}]}"#,
                "fixtures file 'f.json': conversations[0] (id 'a'), field 'created_at': expected a timestamp",
            ),
            (
                r#"{"conversations": [{"id": "a/b", "created_at": 1}]}"#,
                "fixtures file 'f.json': conversations[0] (id 'a/b'), field 'id': expected an ID",
            ),
            (
                r#"{"next_ids": [1]}"#,
                "fixtures file 'f.json': next_ids[0]: expected an ID",
            ),
            (
                r#"{"conversations": [{"id": "a", "created_at": 1}], "next_ids": ["a"]}"#,
                "fixtures file 'f.json': next_ids[0]: 'a' is already the ID of a conversation",
            ),
            (
                r#"{"next_id": []}"#,
                "fixtures file 'f.json': unknown top-level key 'next_id'",
            ),
            (
                r#"[]"#,
                "fixtures file 'f.json': the top level must be an object",
            ),
            (r#"{"#, "fixtures file 'f.json': not valid JSON"),
        ];
        for (text, expected) in cases {
            let err = Fixtures::parse("f.json", text).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{err}\n  expected: {expected}");
        }
    }

    #[test]
    fn a_groups_members_must_be_contacts_of_the_file() {
        let file = |members: &str| {
            format!(
                r#"{{"groups": [{{"id": "g", "name": "G", "created_at": 1, "contacts": {members}}}],
                    "contacts": [{{"id": "c", "username": "u", "phone_number": "1",
                                   "created_at": 1}}]}}"#
            )
        };
        let f = Fixtures::parse("f.json", &file(r#"["c"]"#)).unwrap();
        assert_eq!(&*f.groups[0].contacts[0].username, "u");
        for (members, says) in [
            (r#"["nobody"]"#, "no contact 'nobody'"),
            (r#"["c", "c"]"#, "'c' is given twice"),
            (r#"[7]"#, "expected an ID"),
            (r#""c""#, "expected an array of contact IDs"),
        ] {
            let err = Fixtures::parse("f.json", &file(members))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("fixtures file 'f.json': groups[0]"),
                "{err}"
            );
            assert!(err.contains("'contacts'") && err.contains(says), "{err}");
        }
        let err = Fixtures::parse("f.json", r#"{"groups": [{"id": "g", "created_at": 1}]}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("groups[0] (id 'g'), field 'name': required"),
            "{err}"
        );
    }

    #[test]
    fn the_account_and_a_messages_sender_are_read_and_checked() {
        let file = |sender: &str| {
            format!(
                r#"{{"me": {{"id": "me1", "username": "Me", "phone_number": "1", "created_at": 1}},
                    "conversations": [{{"id": "c", "created_at": 1}}],
                    "messages": [{{"id": "m", "conversation_id": "c", "contact": "{sender}",
                                   "message": "hi", "reactions": {{"smile": ["Me"]}},
                                   "created_at": 2}}]}}"#
            )
        };
        let f = Fixtures::parse("f.json", &file("me1")).unwrap();
        assert_eq!(&*f.me.as_ref().unwrap().username, "Me");
        assert_eq!(&*f.messages[0].contact.username, "Me");
        assert_eq!(&*f.messages[0].reactions.0[0].0, "smile");
        let err = Fixtures::parse("f.json", &file("nobody"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("messages[0] (id 'm'), field 'contact': no contact 'nobody'"),
            "{err}"
        );
        let err = Fixtures::parse("f.json", r#"{"me": {"id": "x", "created_at": 1}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("me, field 'username': required"), "{err}");
        let elsewhere =
            file("me1").replace(r#""conversation_id": "c""#, r#""conversation_id": "x""#);
        let err = Fixtures::parse("f.json", &elsewhere)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("messages[0] (id 'm'), field 'conversation_id': no conversation 'x'"),
            "{err}"
        );
    }
}
