//! The resources the API serves, each described once, in its own file.
//!
//! A resource's file (`conversations.rs`) declares its record type with [`record!`], one
//! line per field — name, Rust type, and whether clients may set it on create or update and
//! what it refers to — and a [`Description`]: its names, its list filters, its create rule
//! and its documented examples. Everything else reads that description: `router` matches
//! `{base}/{plural}`, `api` validates queries and bodies and names the resource in its
//! messages, `store` filters pages, `json` writes records with the writer `record!`
//! generates, `fixtures` reads and checks entries, `openapi` writes the schemas and
//! operations, and `admin` lists each resource. This module owns the description types
//! and the macro; it knows nothing of HTTP or of the store.

pub mod contacts;
pub mod conversations;
pub mod groups;
pub mod messages;

pub use contacts::{Contact, Embedded};
pub use conversations::Conversation;
pub use groups::Group;
pub use messages::Message;

use crate::json;
use serde::Serialize;
use std::fmt;

/// The resources the API serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    /// `{base}/conversations`.
    Conversations,
    /// `{base}/contacts`.
    Contacts,
    /// `{base}/groups`.
    Groups,
    /// `{base}/messages`.
    Messages,
}

impl Resource {
    /// Every resource, in the order the OpenAPI document and messages list them.
    pub const ALL: [Resource; 4] = [
        Resource::Conversations,
        Resource::Contacts,
        Resource::Groups,
        Resource::Messages,
    ];

    /// The resource's description.
    pub fn describe(self) -> &'static Description {
        match self {
            Resource::Conversations => &conversations::DESCRIPTION,
            Resource::Contacts => &contacts::DESCRIPTION,
            Resource::Groups => &groups::DESCRIPTION,
            Resource::Messages => &messages::DESCRIPTION,
        }
    }

    /// The resource served at `{base}/{plural}`.
    pub fn from_plural(plural: &str) -> Option<Resource> {
        Resource::ALL
            .into_iter()
            .find(|r| r.describe().plural == plural)
    }
}

/// Everything the server needs to know about a resource, stated once.
#[derive(Debug)]
pub struct Description {
    /// Which resource this is.
    pub resource: Resource,
    /// `conversation`: messages ("No such conversation").
    pub singular: &'static str,
    /// `conversations`: the path segment, the admin listing and fixtures keys.
    pub plural: &'static str,
    /// `Conversation`: the OpenAPI schemas' names.
    pub title: &'static str,
    /// The fields, in the order the API writes them (from [`record!`]).
    pub fields: &'static [Field],
    /// The list's filters, besides `limit` and the cursors, in the order they are
    /// documented.
    pub filters: &'static [Filter],
    /// A create must name at least one of these fields (none: no such rule).
    pub create_needs_one_of: &'static [&'static str],
    /// A create must name every one of these fields.
    pub create_requires: &'static [&'static str],
    /// The documented calls, for the OpenAPI document's examples.
    pub docs: Docs,
}

impl Description {
    /// The field of this name, with its place among the fields.
    pub fn field(&self, name: &str) -> Option<(usize, &'static Field)> {
        self.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }

    /// The fields a create may set.
    pub fn creatable(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(|f| f.create)
    }

    /// The fields an update may change.
    pub fn updatable(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(|f| f.updatable)
    }
}

/// The documented calls of a resource, which the OpenAPI document shows as examples.
#[derive(Debug)]
pub struct Docs {
    /// The documented object (in the default fixtures) the documents retrieve, update and
    /// delete, and whose ID the documented create is given.
    pub documented_id: &'static str,
    /// The fields of the documented object the documented create sends.
    pub create_sends: &'static [&'static str],
    /// The documented update's body, as JSON.
    pub update_body: &'static str,
    /// The create's summary.
    pub create_summary: &'static str,
    /// The create's 400 example (a body without the fields it needs): name and summary.
    pub create_refused: (&'static str, &'static str),
}

/// One field of a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// The key, in JSON and in forms.
    pub name: &'static str,
    /// What it holds (from its Rust type).
    pub kind: Kind,
    /// Whether it may be `null` (an `Option`).
    pub nullable: bool,
    /// Whether a create may set it.
    pub create: bool,
    /// Whether an update may change it; every other field is read-only.
    pub updatable: bool,
    /// The resource it names, by plural, for an ID field that points at another object.
    pub references: Option<&'static str>,
}

impl Field {
    /// The field `name` of Rust type `T`, as `spec` says clients may use it.
    pub const fn of<T: FieldType>(name: &'static str, spec: Spec) -> Field {
        // Free text is a text field's other meaning; no other type can have it.
        assert!(spec.free_text.is_none() || matches!(T::KIND, Kind::Text));
        Field {
            name,
            kind: match spec.free_text {
                Some(max_chars) => Kind::String { max_chars },
                None => T::KIND,
            },
            nullable: T::NULLABLE,
            create: spec.create,
            updatable: spec.updatable,
            references: spec.references,
        }
    }
}

/// What a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A non-empty string: an ID, or an ID of another object.
    Text,
    /// A non-empty string of free text (a name, a phone number, a URL, a message): any
    /// characters, not only an ID's, at most `max_chars` of them (Unicode scalar values, as
    /// JSON Schema's `maxLength` counts).
    String {
        /// The most characters a value may have.
        max_chars: usize,
    },
    /// `true` or `false`.
    Bool,
    /// Unix seconds, 0 to `model::MAX_TIMESTAMP`.
    Timestamp,
    /// Contacts, embedded with their current values; a request names them by ID (a JSON
    /// array of IDs, or the repeated form key `name[]`), no ID twice, at most
    /// [`MAX_CONTACTS`].
    Contacts,
    /// One contact, embedded with its current values (a message's sender).
    Contact,
    /// Reactions: emoji names, each with the usernames that reacted ([`Reactions`]); at
    /// most [`MAX_REACTIONS`] emoji, each with at most as many usernames, each name at
    /// most [`MAX_NAME_CHARS`] characters.
    Reactions,
    /// Attachments: always empty, as they are not emulated ([`Attachments`]).
    Attachments,
}

/// The most contacts a request may name in one field (a group's members): a group's
/// answer embeds each, so this bounds the largest record a client can make.
pub const MAX_CONTACTS: usize = 100;

/// The most characters of a name: a username, a display name, a group's name, an emoji's
/// name in a reaction.
pub const MAX_NAME_CHARS: usize = 100;

/// The most characters of a URL (a picture's).
pub const MAX_URL_CHARS: usize = 1024;

/// The most emoji a message's reactions hold, and the most usernames each emoji holds.
pub const MAX_REACTIONS: usize = 20;

/// A message's reactions: each emoji name with the usernames that reacted with it, in the
/// order given; written as `[{"emoji": ["username", …]}, …]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reactions(pub Vec<(Box<str>, Vec<Box<str>>)>);

impl Serialize for Reactions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        /// One emoji's entry: a one-key object.
        struct One<'a>(&'a str, &'a [Box<str>]);
        impl Serialize for One<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry(self.0, self.1)?;
                map.end()
            }
        }
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (emoji, names) in &self.0 {
            seq.serialize_element(&One(emoji, names))?;
        }
        seq.end()
    }
}

/// A message's attachments: always none, written `[]` (multipart uploads are not emulated).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attachments;

impl Serialize for Attachments {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        s.serialize_seq(Some(0))?.end()
    }
}

/// How clients may use a field: [`record!`]'s `= …` part of each field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    create: bool,
    updatable: bool,
    references: Option<&'static str>,
    free_text: Option<usize>,
}

impl Spec {
    /// Only the server sets it.
    pub const READ_ONLY: Spec = Spec {
        create: false,
        updatable: false,
        references: None,
        free_text: None,
    };
    /// A create may set it; it never changes after.
    pub const ON_CREATE: Spec = Spec {
        create: true,
        ..Spec::READ_ONLY
    };
    /// An update may change it.
    pub const UPDATABLE: Spec = Spec {
        updatable: true,
        ..Spec::READ_ONLY
    };

    /// A create may set it, and an update may change it.
    pub const SETTABLE: Spec = Spec {
        create: true,
        updatable: true,
        ..Spec::READ_ONLY
    };

    /// Free text ([`Kind::String`]) of at most `max_chars` characters rather than an ID, for
    /// a text field.
    pub const fn free_text(self, max_chars: usize) -> Spec {
        Spec {
            free_text: Some(max_chars),
            ..self
        }
    }

    /// An ID of an object of the resource `plural`.
    pub const fn references(self, plural: &'static str) -> Spec {
        Spec {
            references: Some(plural),
            ..self
        }
    }
}

/// A list filter: a query parameter that keeps only the records whose field passes a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filter {
    /// The query parameter.
    pub param: &'static str,
    /// The field it tests.
    pub field: &'static str,
    /// The test.
    pub test: Test,
    /// What it keeps, for the OpenAPI document.
    pub doc: &'static str,
}

/// How a filter tests its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Test {
    /// `true` or `false`: a boolean field has this value.
    Is,
    /// `true` or `false`: a nullable field is set (`true`) or null (`false`).
    IsSet,
    /// An ID: a text field is exactly this.
    Equals,
}

/// A field's value, borrowed from a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A text field; `None` is null.
    Text(Option<&'a str>),
    /// A boolean field.
    Bool(bool),
    /// A timestamp field; `None` is null.
    Time(Option<i64>),
    /// Embedded contacts (a list, or one), which no filter tests.
    Contacts(&'a [Embedded]),
    /// Reactions or attachments, which no filter tests.
    Other,
}

/// A field's new value, typed by its field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owned {
    /// A text field's; `None` is null.
    Text(Option<Box<str>>),
    /// A boolean field's.
    Bool(bool),
    /// A timestamp field's; `None` is null.
    Time(Option<i64>),
    /// A contacts field's: as a request names them, only their IDs set, until the
    /// workspace fills in each contact's values ([`Embedded::named`]).
    Contacts(Vec<Embedded>),
    /// A reactions field's.
    Reactions(Reactions),
    /// An attachments field's: always none.
    Attachments,
}

/// The Rust types a field may have, with what each means to the description, how it is
/// read and changed by field number, and how the JSON writer writes it.
pub trait FieldType {
    /// What the field holds.
    const KIND: Kind;
    /// Whether it may be null.
    const NULLABLE: bool;
    /// The value, borrowed.
    fn value(&self) -> Value<'_>;
    /// Sets it; `false` (unchanged) when `value` is not of this type or is a null it
    /// cannot hold.
    fn set(&mut self, value: Owned) -> bool;
    /// Writes it as JSON, exactly as serde does, as a field of a record in `layout`.
    fn write_json(&self, out: &mut Vec<u8>, layout: Layout);
    /// The memory it holds besides its own bytes in the record, as [`allocation`] counts.
    fn heap_bytes(&self) -> usize {
        0
    }
}

/// The memory a heap allocation of `len` bytes takes with glibc's allocator: a chunk of 32
/// bytes at least, its 8-byte header and the bytes, rounded up to 16; none for nothing.
pub const fn allocation(len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let chunk = (len + 8).next_multiple_of(16);
    if chunk < 32 { 32 } else { chunk }
}

/// What a record costs besides its own allocation and what its fields hold: its entries in
/// the store's list order (24 bytes) and ID index (32), each twice over for the slack of
/// their tree nodes.
pub const RECORD_OVERHEAD: usize = 112;

impl FieldType for Box<str> {
    const KIND: Kind = Kind::Text;
    const NULLABLE: bool = false;
    fn value(&self) -> Value<'_> {
        Value::Text(Some(self))
    }
    fn set(&mut self, value: Owned) -> bool {
        match value {
            Owned::Text(Some(v)) => *self = v,
            _ => return false,
        }
        true
    }
    fn write_json(&self, out: &mut Vec<u8>, _: Layout) {
        json::write_str(out, self);
    }
    fn heap_bytes(&self) -> usize {
        allocation(self.len())
    }
}

impl FieldType for Option<Box<str>> {
    const KIND: Kind = Kind::Text;
    const NULLABLE: bool = true;
    fn value(&self) -> Value<'_> {
        Value::Text(self.as_deref())
    }
    fn set(&mut self, value: Owned) -> bool {
        match value {
            Owned::Text(v) => *self = v,
            _ => return false,
        }
        true
    }
    fn write_json(&self, out: &mut Vec<u8>, _: Layout) {
        json::write_opt_str(out, self.as_deref());
    }
    fn heap_bytes(&self) -> usize {
        self.as_ref().map_or(0, FieldType::heap_bytes)
    }
}

impl FieldType for bool {
    const KIND: Kind = Kind::Bool;
    const NULLABLE: bool = false;
    fn value(&self) -> Value<'_> {
        Value::Bool(*self)
    }
    fn set(&mut self, value: Owned) -> bool {
        match value {
            Owned::Bool(v) => *self = v,
            _ => return false,
        }
        true
    }
    fn write_json(&self, out: &mut Vec<u8>, _: Layout) {
        json::write_bool(out, *self);
    }
}

impl FieldType for i64 {
    const KIND: Kind = Kind::Timestamp;
    const NULLABLE: bool = false;
    fn value(&self) -> Value<'_> {
        Value::Time(Some(*self))
    }
    fn set(&mut self, value: Owned) -> bool {
        match value {
            Owned::Time(Some(v)) => *self = v,
            _ => return false,
        }
        true
    }
    fn write_json(&self, out: &mut Vec<u8>, _: Layout) {
        json::write_int(out, *self);
    }
}

impl FieldType for Option<i64> {
    const KIND: Kind = Kind::Timestamp;
    const NULLABLE: bool = true;
    fn value(&self) -> Value<'_> {
        Value::Time(*self)
    }
    fn set(&mut self, value: Owned) -> bool {
        match value {
            Owned::Time(v) => *self = v,
            _ => return false,
        }
        true
    }
    fn write_json(&self, out: &mut Vec<u8>, _: Layout) {
        json::write_opt_int(out, *self);
    }
}

impl FieldType for Embedded {
    fn heap_bytes(&self) -> usize {
        self.id.heap_bytes()
            + self.username.heap_bytes()
            + self.phone_number.heap_bytes()
            + self.avatar_url.heap_bytes()
    }
    const KIND: Kind = Kind::Contact;
    const NULLABLE: bool = false;
    fn value(&self) -> Value<'_> {
        Value::Contacts(std::slice::from_ref(self))
    }
    fn set(&mut self, value: Owned) -> bool {
        match value {
            Owned::Contacts(v) if v.len() == 1 => {
                *self = v.into_iter().next().expect("one contact");
                true
            }
            _ => false,
        }
    }
    fn write_json(&self, out: &mut Vec<u8>, layout: Layout) {
        // The object's braces a level below the record's.
        self.write(out, layout.nested(1));
    }
}

impl FieldType for Reactions {
    fn heap_bytes(&self) -> usize {
        let entry = std::mem::size_of::<(Box<str>, Vec<Box<str>>)>();
        let names = |names: &Vec<Box<str>>| {
            allocation(names.capacity() * std::mem::size_of::<Box<str>>())
                + names.iter().map(FieldType::heap_bytes).sum::<usize>()
        };
        allocation(self.0.capacity() * entry)
            + self
                .0
                .iter()
                .map(|(emoji, usernames)| emoji.heap_bytes() + names(usernames))
                .sum::<usize>()
    }
    const KIND: Kind = Kind::Reactions;
    const NULLABLE: bool = false;
    fn value(&self) -> Value<'_> {
        Value::Other
    }
    fn set(&mut self, value: Owned) -> bool {
        match value {
            Owned::Reactions(v) => *self = v,
            _ => return false,
        }
        true
    }
    fn write_json(&self, out: &mut Vec<u8>, layout: Layout) {
        json::write_nested(out, self, layout);
    }
}

impl FieldType for Attachments {
    const KIND: Kind = Kind::Attachments;
    const NULLABLE: bool = false;
    fn value(&self) -> Value<'_> {
        Value::Other
    }
    fn set(&mut self, value: Owned) -> bool {
        value == Owned::Attachments
    }
    fn write_json(&self, out: &mut Vec<u8>, _: Layout) {
        out.extend_from_slice(b"[]");
    }
}

impl FieldType for Vec<Embedded> {
    fn heap_bytes(&self) -> usize {
        allocation(self.capacity() * std::mem::size_of::<Embedded>())
            + self.iter().map(FieldType::heap_bytes).sum::<usize>()
    }
    const KIND: Kind = Kind::Contacts;
    const NULLABLE: bool = false;
    fn value(&self) -> Value<'_> {
        Value::Contacts(self)
    }
    fn set(&mut self, value: Owned) -> bool {
        match value {
            Owned::Contacts(v) => *self = v,
            _ => return false,
        }
        true
    }
    fn write_json(&self, out: &mut Vec<u8>, layout: Layout) {
        let Layout::Pretty(depth) = layout else {
            out.push(b'[');
            for (i, contact) in self.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                contact.write(out, Layout::Compact);
            }
            out.push(b']');
            return;
        };
        if self.is_empty() {
            out.extend_from_slice(b"[]");
            return;
        }
        // The list's items two levels below the record's braces, its close one.
        for (i, contact) in self.iter().enumerate() {
            out.extend_from_slice(if i > 0 { b",\n" } else { b"[\n" });
            indent(out, depth + 2);
            contact.write(out, Layout::Pretty(depth + 2));
        }
        out.push(b'\n');
        indent(out, depth + 1);
        out.push(b']');
    }
}

/// Two spaces a level.
fn indent(out: &mut Vec<u8>, levels: usize) {
    for _ in 0..levels {
        out.extend_from_slice(b"  ");
    }
}

/// Where a record is written: on one line, or in the documents' pretty layout at a depth
/// (0 on its own, 2 inside a list page's `data`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One line.
    Compact,
    /// Two-space indentation, the record's braces this many levels down.
    Pretty(usize),
}

/// The deepest a record is written (an embedded object inside a record inside a page).
pub const MAX_DEPTH: usize = 4;

impl Layout {
    /// The row of [`record!`]'s key tables, and of [`CLOSES`], for this layout.
    pub fn index(self) -> usize {
        match self {
            Layout::Compact => 0,
            Layout::Pretty(depth) => 1 + depth.min(MAX_DEPTH),
        }
    }

    /// The layout `levels` further down (compact stays compact).
    pub fn nested(self, levels: usize) -> Layout {
        match self {
            Layout::Compact => Layout::Compact,
            Layout::Pretty(depth) => Layout::Pretty(depth + levels),
        }
    }
}

/// What closes a record, by [`Layout::index`].
pub const CLOSES: [&[u8]; 2 + MAX_DEPTH] = [
    b"}",
    b"\n}",
    b"\n  }",
    b"\n    }",
    b"\n      }",
    b"\n        }",
];

/// A record type: what [`record!`] generates from a resource's field list.
pub trait Record: Clone + fmt::Debug + Default + Serialize + Send + Sync + 'static {
    /// The resource's description.
    const DESCRIPTION: &'static Description;
    /// The fields, in the order the API writes them.
    const FIELDS: &'static [Field];
    /// About how many bytes the record takes on its own in the pretty layout: its keys and
    /// a dozen bytes a value, for the writer's first allocation.
    const SIZE_HINT: usize;

    /// The ID.
    fn id(&self) -> &str;
    /// Unix seconds of creation: the list order's first key.
    fn created_at(&self) -> i64;
    /// A record as a create makes it, before the client's fields are set: every other field
    /// as [`Default`] has it.
    fn created(id: Box<str>, created_at: i64) -> Self;
    /// The value of field number `field` (its place in [`Record::FIELDS`]).
    fn value(&self, field: usize) -> Option<Value<'_>>;
    /// Sets field number `field`; `false` (unchanged) when there is no such field or the
    /// value is not of its type.
    fn set(&mut self, field: usize, value: Owned) -> bool;
    /// Writes the record as JSON, byte for byte as serde does, in `layout`.
    fn write_json(&self, out: &mut Vec<u8>, layout: Layout);
    /// The memory the record takes in a store: its shared allocation (the record and two
    /// reference counts), what its fields hold, and [`RECORD_OVERHEAD`].
    fn weight(&self) -> usize;
}

/// Field values to set on a record, each checked against its field: a create's fields, or
/// an update's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Patch(pub Vec<(usize, Owned)>);

impl Patch {
    /// Sets every value on `record`; a value of another type than its field's is skipped
    /// (validation types each value by its field, so there is none).
    pub fn apply<R: Record>(&self, record: &mut R) {
        for (field, value) in &self.0 {
            let _ = record.set(*field, value.clone());
        }
    }
}

/// Each field's lead-in (the brace that opens the object, or the comma that separates, then
/// the line break and indentation, the key and the colon), for one layout: `$nl` is the
/// line break with the fields' indentation ("" for compact), `$sp` what follows the colon.
#[doc(hidden)]
#[macro_export]
macro_rules! __record_keys {
    ($nl:literal, $sp:literal; $first:ident $($field:ident)*) => {
        [
            concat!("{", $nl, "\"", stringify!($first), "\":", $sp)
            $(, concat!(",", $nl, "\"", stringify!($field), "\":", $sp))*
        ]
    };
}

/// Declares a resource's record type from its one list of fields, as
/// `resources/conversations.rs` does:
///
/// ```text
/// record! {
///     description: DESCRIPTION,
///     /// One conversation.
///     pub struct Conversation {
///         /// The conversation's ID.
///         id: Box<str> = Spec::READ_ONLY,
///         /// The group, for a group conversation.
///         group_id: Option<Box<str>> = Spec::ON_CREATE.references("groups"),
///         created_at: i64 = Spec::READ_ONLY,
///     }
/// }
/// ```
///
/// Every record starts with `id: Box<str>` and has `created_at: i64`. The macro generates
/// the struct (serde's `Serialize` with the keys in this order, `Default` as a create
/// leaves what the client does not send) and its [`Record`] impl: the field descriptions
/// (kind and nullability from the Rust type, the rest from each [`Spec`]), access by field
/// number, and the JSON writer — straight-line code with each layout's keys made at
/// compile time, held byte-identical to serde by a property test.
#[macro_export]
macro_rules! record {
    (
        description: $description:path,
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(#[$id_meta:meta])*
            id: Box<str> = $id_spec:expr,
            $(
                $(#[$field_meta:meta])*
                $field:ident: $type:ty = $spec:expr,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, ::serde::Serialize)]
        pub struct $name {
            $(#[$id_meta])*
            pub id: Box<str>,
            $(
                $(#[$field_meta])*
                pub $field: $type,
            )*
        }

        const _: () = {
            use $crate::resources::{
                Field, FieldType, Layout, Owned, Record, Value, CLOSES, MAX_DEPTH,
            };

            /// Each field's number: its place in the list.
            #[allow(non_camel_case_types, dead_code)]
            enum Number {
                id,
                $($field,)*
            }

            const COUNT: usize = [stringify!(id) $(, stringify!($field))*].len();
            // Fixtures reading keeps the fields an entry gave as bits of a u64.
            const _: () = assert!(COUNT <= 64, "a record has at most 64 fields");

            /// Each field's lead-in, by [`Layout::index`]: compact, then pretty at each
            /// depth.
            const KEYS: [[&str; COUNT]; 2 + MAX_DEPTH] = [
                $crate::__record_keys!("", ""; id $($field)*),
                $crate::__record_keys!("\n  ", " "; id $($field)*),
                $crate::__record_keys!("\n    ", " "; id $($field)*),
                $crate::__record_keys!("\n      ", " "; id $($field)*),
                $crate::__record_keys!("\n        ", " "; id $($field)*),
                $crate::__record_keys!("\n          ", " "; id $($field)*),
            ];

            impl Record for $name {
                const DESCRIPTION: &'static $crate::resources::Description = &$description;
                const FIELDS: &'static [Field] = &[
                    Field::of::<Box<str>>("id", $id_spec),
                    $(Field::of::<$type>(stringify!($field), $spec),)*
                ];
                const SIZE_HINT: usize = {
                    let mut bytes = 0;
                    let mut i = 0;
                    while i < COUNT {
                        bytes += KEYS[1][i].len() + 12;
                        i += 1;
                    }
                    bytes
                };

                fn id(&self) -> &str {
                    &self.id
                }

                fn created_at(&self) -> i64 {
                    self.created_at
                }

                fn created(id: Box<str>, created_at: i64) -> Self {
                    $name {
                        id,
                        created_at,
                        ..Default::default()
                    }
                }

                fn value(&self, field: usize) -> Option<Value<'_>> {
                    if field == Number::id as usize {
                        return Some(FieldType::value(&self.id));
                    }
                    $(
                        if field == Number::$field as usize {
                            return Some(FieldType::value(&self.$field));
                        }
                    )*
                    None
                }

                fn set(&mut self, field: usize, value: Owned) -> bool {
                    if field == Number::id as usize {
                        return FieldType::set(&mut self.id, value);
                    }
                    $(
                        if field == Number::$field as usize {
                            return FieldType::set(&mut self.$field, value);
                        }
                    )*
                    false
                }

                fn weight(&self) -> usize {
                    $crate::resources::allocation(16 + ::std::mem::size_of::<Self>())
                        + $crate::resources::RECORD_OVERHEAD
                        + FieldType::heap_bytes(&self.id)
                        $(+ FieldType::heap_bytes(&self.$field))*
                }

                fn write_json(&self, out: &mut Vec<u8>, layout: Layout) {
                    let row = layout.index();
                    let keys = &KEYS[row];
                    out.extend_from_slice(keys[Number::id as usize].as_bytes());
                    FieldType::write_json(&self.id, out, layout);
                    $(
                        out.extend_from_slice(keys[Number::$field as usize].as_bytes());
                        FieldType::write_json(&self.$field, out, layout);
                    )*
                    out.extend_from_slice(CLOSES[row]);
                }
            }
        };
    };
}

/// Joins names as a sentence does: `a`, `a and b`, `a, b and c`.
pub fn join_and(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn every_description_names_real_fields_and_starts_with_the_id() {
        for resource in Resource::ALL {
            let d = resource.describe();
            assert_eq!(d.resource, resource);
            assert_eq!(Resource::from_plural(d.plural), Some(resource));
            assert_eq!(d.fields[0].name, "id");
            assert!(d.field("created_at").is_some());
            for filter in d.filters {
                let (_, field) = d.field(filter.field).expect("a filter tests a field");
                let fits = match filter.test {
                    Test::Is => field.kind == Kind::Bool,
                    Test::IsSet => field.nullable,
                    Test::Equals => field.kind == Kind::Text,
                };
                assert!(fits, "{}: {filter:?}", d.plural);
            }
            for name in d.create_needs_one_of.iter().chain(d.create_requires) {
                assert!(d.field(name).is_some_and(|(_, f)| f.create), "{name}");
            }
            for name in d.docs.create_sends {
                assert!(d.field(name).is_some_and(|(_, f)| f.create), "{name}");
            }
        }
    }

    /// Asserts that the generated writer lays `record` out as serde does, compact and
    /// pretty at every depth.
    pub(crate) fn assert_written_as_serde_does<R: Record>(record: &R) {
        let pretty = String::from_utf8(serde_json::to_vec_pretty(record).unwrap()).unwrap();
        for depth in 0..=MAX_DEPTH {
            // serde's layout, as if written `depth` levels down: each line after the first
            // indented two spaces a level.
            let indented = pretty.replace('\n', &format!("\n{}", "  ".repeat(depth)));
            let mut out = Vec::new();
            record.write_json(&mut out, Layout::Pretty(depth));
            assert_eq!(String::from_utf8(out).unwrap(), indented, "depth {depth}");
        }
        let mut out = Vec::new();
        record.write_json(&mut out, Layout::Compact);
        assert_eq!(out, serde_json::to_vec(record).unwrap());
    }

    #[test]
    fn the_generated_writer_lays_a_record_out_as_serde_does_at_every_depth() {
        let mut c = conversations::documented();
        c.group_id = Some("g\"1\\\n\u{1}é".into());
        assert_written_as_serde_does(&c);
    }

    #[test]
    fn names_join_as_in_a_sentence() {
        assert_eq!(join_and(&["a"]), "a");
        assert_eq!(join_and(&["a", "b"]), "a and b");
        assert_eq!(join_and(&["a", "b", "c"]), "a, b and c");
    }
}
