//! Messages: what is said in a conversation, who said it, and the reactions to it.
//!
//! Everything convmock knows about a message is stated here once: its fields, which of them
//! a send or an update may set, the list's filter, the send's rule, and the documented
//! calls. The sender is the workspace's account, a send moves its conversation's
//! `last_active_at`, an update sets `updated_at`, and deleting one unpins it: those rules
//! span resources or need the clock, so they live in `workspace`.

use super::{Attachments, Description, Docs, Embedded, Filter, Reactions, Resource, Spec, Test};
use crate::record;

record! {
    description: DESCRIPTION,
    /// One message, serialized with the documented keys in the documented order.
    ///
    /// Every key is always present; unset values serialize as `null`.
    pub struct Message {
        /// The message's ID.
        id: Box<str> = Spec::READ_ONLY,
        /// The conversation it was sent in.
        conversation_id: Box<str> = Spec::ON_CREATE.references("conversations"),
        /// The sender, with its current values.
        contact: Embedded = Spec::READ_ONLY,
        /// The text.
        message: Box<str> = Spec::SETTABLE.free_text(4096),
        /// Each emoji with the usernames that reacted with it.
        reactions: Reactions = Spec::UPDATABLE,
        /// Always empty: attachments are not emulated.
        attachments: Attachments = Spec::SETTABLE,
        /// Unix seconds of when it was read.
        read_at: Option<i64> = Spec::READ_ONLY,
        /// Unix seconds of sending; the list order's first key.
        created_at: i64 = Spec::READ_ONLY,
        /// Unix seconds of the last update.
        updated_at: Option<i64> = Spec::READ_ONLY,
    }
}

/// What a message is, beyond its fields.
pub const DESCRIPTION: Description = Description {
    resource: Resource::Messages,
    singular: "message",
    plural: "messages",
    title: "Message",
    fields: <Message as super::Record>::FIELDS,
    filters: &[Filter {
        param: "conversation_id",
        field: "conversation_id",
        test: Test::Equals,
        doc: "Only the messages of this conversation.",
    }],
    create_needs_one_of: &[],
    create_requires: &["conversation_id", "message"],
    docs: Docs {
        documented_id: "SIuAFUNKdSYHZF2w",
        create_sends: &["conversation_id", "message"],
        update_body: r#"{"reactions": {"red_angry_face": ["KateMcCallister"]}}"#,
        create_summary: "Send a message in a conversation",
        create_refused: ("no_message", "No conversation_id or message"),
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Record;
    use crate::resources::tests::assert_written_as_serde_does;

    #[test]
    fn the_writer_lays_sender_and_reactions_out_as_serde_does_at_every_depth() {
        for reactions in [
            vec![],
            vec![("red_angry_face".into(), vec!["KateMcCallister".into()])],
            vec![
                ("smile".into(), vec!["a".into(), "b\"".into()]),
                ("none".into(), vec![]),
            ],
        ] {
            let m = Message {
                conversation_id: "xgQQXg3hrtjh7AvZ".into(),
                contact: Embedded::from(&super::super::contacts::account()),
                message: "You’re what the French call ‘les incompetents.’".into(),
                reactions: Reactions(reactions),
                ..Message::created("SIuAFUNKdSYHZF2w".into(), 692233200)
            };
            assert_written_as_serde_does(&m);
        }
    }
}
