//! Conversations: the container of the messages between you, your contacts and your groups.
//!
//! Everything convmock knows about a conversation is stated here once: its fields (what the
//! documents show, in their order), which of them a create or an update may set, what they
//! refer to, the list's filters, the create's rule, and the documented calls. Routing,
//! validation, the store, the JSON writer, fixtures, the OpenAPI document, the admin API
//! and error messages all read it.

use super::{Description, Docs, Filter, Resource, Spec, Test};
use crate::record;

record! {
    description: DESCRIPTION,
    /// One conversation, serialized with the documents' keys in the documents' order.
    ///
    /// Every key is always present; unset values serialize as `null`.
    pub struct Conversation {
        /// The conversation's ID.
        id: Box<str> = Spec::READ_ONLY,
        /// The other contact, for a one-to-one conversation.
        contact_id: Option<Box<str>> = Spec::ON_CREATE.references("contacts"),
        /// The group, for a group conversation.
        group_id: Option<Box<str>> = Spec::ON_CREATE.references("groups"),
        /// The pinned message, if any.
        pinned_message_id: Option<Box<str>> = Spec::UPDATABLE.references("messages"),
        /// Whether the conversation is pinned.
        is_pinned: bool = Spec::UPDATABLE,
        /// Whether the conversation is muted.
        is_muted: bool = Spec::UPDATABLE,
        /// Unix seconds of the last activity.
        last_active_at: Option<i64> = Spec::READ_ONLY,
        /// Unix seconds of when the user last opened it.
        last_opened_at: Option<i64> = Spec::READ_ONLY,
        /// Unix seconds of creation; the list order's first key.
        created_at: i64 = Spec::READ_ONLY,
        /// Unix seconds of archiving; `null` when not archived.
        archived_at: Option<i64> = Spec::UPDATABLE,
    }
}

/// What a conversation is, beyond its fields.
pub const DESCRIPTION: Description = Description {
    resource: Resource::Conversations,
    singular: "conversation",
    plural: "conversations",
    title: "Conversation",
    fields: <Conversation as super::Record>::FIELDS,
    filters: &[
        Filter {
            param: "muted",
            field: "is_muted",
            test: Test::Is,
            doc: "Only muted (true) or only unmuted (false) conversations.",
        },
        Filter {
            param: "archived",
            field: "archived_at",
            test: Test::IsSet,
            doc: "Only archived (true) or only unarchived (false) conversations.",
        },
        Filter {
            param: "pinned",
            field: "is_pinned",
            test: Test::Is,
            doc: "Only pinned (true) or only unpinned (false) conversations.",
        },
        Filter {
            param: "group_id",
            field: "group_id",
            test: Test::Equals,
            doc: "Only conversations of this group.",
        },
    ],
    create_needs_one_of: &["contact_id", "group_id"],
    create_requires: &[],
    docs: Docs {
        documented_id: "xgQQXg3hrtjh7AvZ",
        create_sends: &["contact_id"],
        update_body: r#"{"is_muted": true}"#,
        create_summary: "Create a conversation with a contact or a group",
        create_refused: ("no_contact_or_group", "Neither contact_id nor group_id"),
    },
};

impl Conversation {
    /// A conversation as a create makes it: everything else unset.
    pub fn new(
        id: Box<str>,
        contact_id: Option<Box<str>>,
        group_id: Option<Box<str>>,
        created_at: i64,
    ) -> Self {
        Conversation {
            contact_id,
            group_id,
            ..<Conversation as super::Record>::created(id, created_at)
        }
    }
}

/// The documented conversation `xgQQXg3hrtjh7AvZ`, as the documents show it.
#[cfg(test)]
pub(crate) fn documented() -> Conversation {
    Conversation {
        last_active_at: Some(705103200),
        last_opened_at: Some(705103200),
        ..Conversation::new(
            "xgQQXg3hrtjh7AvZ".into(),
            Some("WAz8eIbvDR60rouK".into()),
            None,
            692233200,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::to_body;
    use crate::resources::{Kind, Layout, Owned, Record, Value};

    #[test]
    fn documented_conversation_serializes_in_documented_key_order() {
        let c = documented();
        let expected = r#"{
  "id": "xgQQXg3hrtjh7AvZ",
  "contact_id": "WAz8eIbvDR60rouK",
  "group_id": null,
  "pinned_message_id": null,
  "is_pinned": false,
  "is_muted": false,
  "last_active_at": 705103200,
  "last_opened_at": 705103200,
  "created_at": 692233200,
  "archived_at": null
}
"#;
        assert_eq!(String::from_utf8(to_body(&c, false)).unwrap(), expected);
        let compact = String::from_utf8(to_body(&c, true)).unwrap();
        assert!(compact.starts_with(r#"{"id":"xgQQXg3hrtjh7AvZ","contact_id""#));
        assert_eq!(compact.lines().count(), 1);
    }

    #[test]
    fn the_field_list_describes_the_struct() {
        // In the order serde writes the struct, which the test above holds to the documents.
        let names: Vec<&str> = Conversation::FIELDS.iter().map(|f| f.name).collect();
        let json = serde_json::to_value(documented()).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(names, keys);
        let (_, archived) = DESCRIPTION.field("archived_at").unwrap();
        assert_eq!(
            (archived.kind, archived.nullable, archived.updatable),
            (Kind::Timestamp, true, true)
        );
        let (_, contact) = DESCRIPTION.field("contact_id").unwrap();
        assert_eq!(
            (contact.create, contact.updatable, contact.references),
            (true, false, Some("contacts"))
        );
        // Each field reads and writes the struct's own member, by number.
        let mut c = documented();
        for (i, field) in Conversation::FIELDS.iter().enumerate() {
            let json = serde_json::to_value(&c).unwrap();
            let read = match c.value(i).unwrap() {
                Value::Text(t) => serde_json::json!(t),
                Value::Bool(b) => serde_json::json!(b),
                Value::Time(t) => serde_json::json!(t),
                Value::Contacts(_) | Value::Other => unreachable!("a conversation has no list"),
            };
            assert_eq!(read, json[field.name], "{}", field.name);
        }
        assert!(c.value(Conversation::FIELDS.len()).is_none());
        assert!(c.set(5, Owned::Bool(true)) && c.is_muted);
        assert!(!c.set(5, Owned::Time(None)), "a value of another type");
        assert!(!c.set(0, Owned::Text(None)), "the ID is never null");
        assert!(c.set(9, Owned::Time(Some(7))) && c.archived_at == Some(7));
        let mut out = Vec::new();
        c.write_json(&mut out, Layout::Compact);
        assert_eq!(out, serde_json::to_vec(&c).unwrap());
    }
}
