//! Groups: conversations with several contacts, their name, picture and members.
//!
//! Everything convmock knows about a group is stated here once: its fields, which of them a
//! create or an update may set, the list's filter, the create's rule, and the documented
//! calls. A group's members are embedded contacts with their current values; creating a
//! group also creates its conversation, and deleting one carries its conversations away:
//! those rules span resources, so they live in `workspace`.

use super::{
    Description, Docs, Embedded, Filter, MAX_NAME_CHARS, MAX_URL_CHARS, Resource, Spec, Test,
};
use crate::record;

record! {
    description: DESCRIPTION,
    /// One group, serialized with the documented keys in the documented order.
    ///
    /// Every key is always present; unset values serialize as `null`.
    pub struct Group {
        /// The group's ID.
        id: Box<str> = Spec::READ_ONLY,
        /// The group's name.
        name: Box<str> = Spec::SETTABLE.free_text(MAX_NAME_CHARS),
        /// What the group is about.
        description: Option<Box<str>> = Spec::SETTABLE.free_text(1000),
        /// The URL of the group's picture.
        avatar_url: Option<Box<str>> = Spec::SETTABLE.free_text(MAX_URL_CHARS),
        /// The group's conversation; `null` once it is deleted.
        conversation_id: Option<Box<str>> = Spec::READ_ONLY.references("conversations"),
        /// The members, in the order they were given.
        contacts: Vec<Embedded> = Spec::SETTABLE.references("contacts"),
        /// Unix seconds of creation; the list order's first key.
        created_at: i64 = Spec::READ_ONLY,
        /// Unix seconds of archiving; `null` when not archived.
        archived_at: Option<i64> = Spec::UPDATABLE,
    }
}

/// What a group is, beyond its fields.
pub const DESCRIPTION: Description = Description {
    resource: Resource::Groups,
    singular: "group",
    plural: "groups",
    title: "Group",
    fields: <Group as super::Record>::FIELDS,
    filters: &[Filter {
        param: "archived",
        field: "archived_at",
        test: Test::IsSet,
        doc: "Only archived (true) or only unarchived (false) groups.",
    }],
    create_needs_one_of: &[],
    create_requires: &["name"],
    docs: Docs {
        documented_id: "l7cGNIBKZiNJ6wqF",
        create_sends: &["name"],
        update_body: r#"{"description": "The finest in New York."}"#,
        create_summary: "Create a group (and its conversation)",
        create_refused: ("no_name", "No name"),
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Record;
    use crate::resources::tests::assert_written_as_serde_does;

    #[test]
    fn the_writer_lays_embedded_contacts_out_as_serde_does_at_every_depth() {
        let member = |id: &str, avatar: Option<&str>| Embedded {
            id: id.into(),
            username: "Hector \"the\" concierge".into(),
            phone_number: "1-800-555-0105".into(),
            avatar_url: avatar.map(Into::into),
            last_active_at: Some(5),
            created_at: 1,
        };
        for contacts in [
            vec![],
            vec![member("a", None)],
            vec![member("a", Some("https://x/é.jpg")), member("b", None)],
        ] {
            let g = Group {
                contacts,
                ..Group::created("l7cGNIBKZiNJ6wqF".into(), 692233200)
            };
            assert_written_as_serde_does(&g);
        }
    }
}
