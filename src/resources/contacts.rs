//! Contacts: the people you talk to one to one, and the members of your groups.
//!
//! Everything convmock knows about a contact is stated here once: its fields, which of them
//! a create or an update may set, the list's filter, the create's rule, and the documented
//! calls. Creating a contact also creates its one-to-one conversation, and deleting one
//! carries its conversations away: those rules span resources, so they live in `workspace`.

use super::{
    CLOSES, Description, Docs, Filter, Layout, MAX_DEPTH, MAX_NAME_CHARS, MAX_URL_CHARS, Resource,
    Spec, Test,
};
use crate::json;
use crate::record;
use serde::Serialize;

record! {
    description: DESCRIPTION,
    /// One contact, serialized with the documented keys in the documented order.
    ///
    /// Every key is always present; unset values serialize as `null`.
    pub struct Contact {
        /// The contact's ID.
        id: Box<str> = Spec::READ_ONLY,
        /// The contact's username.
        username: Box<str> = Spec::ON_CREATE.free_text(MAX_NAME_CHARS),
        /// The contact's phone number.
        phone_number: Box<str> = Spec::ON_CREATE.free_text(32),
        /// The URL of the contact's picture.
        avatar_url: Option<Box<str>> = Spec::ON_CREATE.free_text(MAX_URL_CHARS),
        /// The name you gave the contact.
        display_name: Option<Box<str>> = Spec::SETTABLE.free_text(MAX_NAME_CHARS),
        /// The one-to-one conversation with the contact; `null` once it is deleted.
        conversation_id: Option<Box<str>> = Spec::READ_ONLY.references("conversations"),
        /// Unix seconds of the contact's last activity.
        last_active_at: Option<i64> = Spec::READ_ONLY,
        /// Unix seconds of creation; the list order's first key.
        created_at: i64 = Spec::READ_ONLY,
    }
}

/// The default account contact, `me`: the sender of every message sent through the API.
pub fn account() -> Contact {
    Contact {
        username: "LinnieMcCallister".into(),
        phone_number: "1-800-759-3000".into(),
        avatar_url: Some("https://assets.protocol.chat/avatars/linnie.jpg".into()),
        last_active_at: Some(705103200),
        ..<Contact as super::Record>::created("inEIRvzjC6YLMX3o".into(), 692233200)
    }
}

/// A contact as a group or a message shows it: its current values, without what only you
/// see of it (`display_name`) and its conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Embedded {
    /// The contact's ID.
    pub id: Box<str>,
    /// Its username.
    pub username: Box<str>,
    /// Its phone number.
    pub phone_number: Box<str>,
    /// Its picture's URL.
    pub avatar_url: Option<Box<str>>,
    /// Unix seconds of its last activity.
    pub last_active_at: Option<i64>,
    /// Unix seconds of its creation.
    pub created_at: i64,
}

/// Each field's lead-in, by [`Layout::index`], as [`record!`] makes a record's.
const EMBEDDED_KEYS: [[&str; 6]; 2 + MAX_DEPTH] = [
    crate::__record_keys!("", ""; id username phone_number avatar_url last_active_at created_at),
    crate::__record_keys!("\n  ", " "; id username phone_number avatar_url last_active_at created_at),
    crate::__record_keys!("\n    ", " "; id username phone_number avatar_url last_active_at created_at),
    crate::__record_keys!("\n      ", " "; id username phone_number avatar_url last_active_at created_at),
    crate::__record_keys!("\n        ", " "; id username phone_number avatar_url last_active_at created_at),
    crate::__record_keys!("\n          ", " "; id username phone_number avatar_url last_active_at created_at),
];

impl Embedded {
    /// Writes it as serde does, its braces as `layout` says (as a record is written), by
    /// hand: every message and group answer holds one or more.
    pub(crate) fn write(&self, out: &mut Vec<u8>, layout: Layout) {
        if let Layout::Pretty(depth) = layout
            && depth > MAX_DEPTH
        {
            // Deeper than any answer goes: serde's layout, indented to the depth.
            return json::write_nested(out, self, Layout::Pretty(depth - 1));
        }
        let row = layout.index();
        let keys = &EMBEDDED_KEYS[row];
        out.extend_from_slice(keys[0].as_bytes());
        json::write_str(out, &self.id);
        out.extend_from_slice(keys[1].as_bytes());
        json::write_str(out, &self.username);
        out.extend_from_slice(keys[2].as_bytes());
        json::write_str(out, &self.phone_number);
        out.extend_from_slice(keys[3].as_bytes());
        json::write_opt_str(out, self.avatar_url.as_deref());
        out.extend_from_slice(keys[4].as_bytes());
        json::write_opt_int(out, self.last_active_at);
        out.extend_from_slice(keys[5].as_bytes());
        json::write_int(out, self.created_at);
        out.extend_from_slice(CLOSES[row]);
    }

    /// The contact a request names by ID, before the workspace fills in its values.
    pub fn named(id: &str) -> Self {
        Embedded {
            id: id.into(),
            ..Embedded::default()
        }
    }
}

impl From<&Contact> for Embedded {
    fn from(c: &Contact) -> Self {
        Embedded {
            id: c.id.clone(),
            username: c.username.clone(),
            phone_number: c.phone_number.clone(),
            avatar_url: c.avatar_url.clone(),
            last_active_at: c.last_active_at,
            created_at: c.created_at,
        }
    }
}

/// What a contact is, beyond its fields.
pub const DESCRIPTION: Description = Description {
    resource: Resource::Contacts,
    singular: "contact",
    plural: "contacts",
    title: "Contact",
    fields: <Contact as super::Record>::FIELDS,
    filters: &[Filter {
        param: "active",
        field: "last_active_at",
        test: Test::IsSet,
        doc: "Only contacts that were ever active (true) or only those never active (false).",
    }],
    create_needs_one_of: &[],
    create_requires: &["username", "phone_number"],
    docs: Docs {
        documented_id: "WAz8eIbvDR60rouK",
        create_sends: &["username", "phone_number", "avatar_url"],
        update_body: r#"{"display_name": "UncleFrank"}"#,
        create_summary: "Create a contact (and its one-to-one conversation)",
        create_refused: ("no_username", "Neither username nor phone_number"),
    },
};
