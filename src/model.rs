//! Wire types and the typing of request fields.
//!
//! This module owns the list page's shape, response bodies through serde, and how a field
//! sent by a client, as a form value or as JSON, becomes a value of the field's kind. It
//! knows nothing of HTTP or of the store; which fields an operation accepts is the
//! resource's description's affair (`resources`), read by `api`.

use crate::ids::{id_rule, is_valid_id};
use crate::resources::{
    Embedded, Field, Kind, MAX_CONTACTS, MAX_NAME_CHARS, MAX_REACTIONS, Owned, Reactions,
};
use crate::store::OrderKey;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// The list response: `has_more` first, then `data`, as documented.
#[derive(Debug, Serialize)]
pub struct Page<'a, R> {
    /// Whether more records exist past this page in the direction of travel.
    pub has_more: bool,
    /// The page, always in list order: the store's shared records.
    pub data: Vec<&'a Arc<R>>,
    /// Each record's place in the store's order, for a writer that finds a record again
    /// after an update has moved it (none where the page was not read from a store).
    #[serde(skip)]
    pub places: Vec<OrderKey>,
}

/// Serializes a response body: the documents' pretty layout (two-space indent, `": "`), or
/// one line with `compact`. Both end with a newline so that terminal output stays tidy.
pub fn to_body<T: Serialize + ?Sized>(value: &T, compact: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    let written = if compact {
        serde_json::to_writer(&mut out, value)
    } else {
        serde_json::to_writer_pretty(&mut out, value)
    };
    written.expect("serializing plain structs into a Vec cannot fail");
    out.push(b'\n');
    out
}

/// One thing wrong with a request, tied to the parameter it is about when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The offending parameter or field, if the problem is about one.
    pub param: Option<String>,
    /// One English sentence that says what to fix.
    pub message: String,
}

impl Problem {
    /// A problem with a named parameter.
    pub fn param(name: &str, message: impl Into<String>) -> Self {
        Problem {
            param: Some(name.to_owned()),
            message: message.into(),
        }
    }

    /// A problem with the request as a whole.
    pub fn general(message: impl Into<String>) -> Self {
        Problem {
            param: None,
            message: message.into(),
        }
    }
}

/// A field value as the client sent it, before it is typed for its field.
#[derive(Clone, Debug, PartialEq)]
pub enum RawValue {
    /// A decoded form value; always text, typed by the field it is for.
    Form(String),
    /// A JSON value, already typed by the client.
    Json(Value),
    /// A form's bracket list (`contacts[]=a&contacts[]=b`, `reactions[smile][]=kate`): each
    /// pair's key (empty for `name[]`) and value, in order.
    Brackets(Vec<(String, String)>),
}

/// A request body's fields, in the order the client sent them (form) or by name (JSON).
pub type Fields = Vec<(String, RawValue)>;

/// A nullable field's value: `Some(None)` is an explicit null.
pub type Nullable<T> = Option<T>;

/// An ID a client sends for `contact_id`, `group_id` or `pinned_message_id`: like every ID,
/// as [`id_rule`] says.
fn id_string(name: &str, s: &str) -> Result<Option<Box<str>>, Problem> {
    if !is_valid_id(s) {
        return Err(Problem::param(
            name,
            format!(
                "Invalid value for '{name}': an ID is {}, got '{}' ({} characters).",
                id_rule(),
                clip(s),
                s.chars().count()
            ),
        ));
    }
    Ok(Some(s.into()))
}

/// What a null — JSON `null`, or an empty form value — means for a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Null {
    /// Nothing: the field cannot be null.
    Refused,
    /// The field is not sent (a create's optional field).
    Absent,
    /// The field is cleared (an update of a nullable field); messages say "or null".
    Clears,
}

impl Null {
    /// What null means for `field`, in a create or an update.
    pub fn for_field(field: &Field, update: bool) -> Null {
        match (field.nullable, update) {
            (false, _) => Null::Refused,
            (true, false) => Null::Absent,
            (true, true) => Null::Clears,
        }
    }

    fn accepted(self) -> bool {
        self != Null::Refused
    }

    /// What a message adds to the expected type.
    fn or_null(self) -> &'static str {
        if self == Null::Clears { " or null" } else { "" }
    }
}

/// Types a value sent for `field` by its kind; `null` says what a null means for it.
pub fn field_value(field: &Field, null: Null, raw: &RawValue) -> Result<Owned, Problem> {
    match field.kind {
        Kind::Text => text(field.name, raw, null).map(Owned::Text),
        Kind::String { max_chars } => free_text(field.name, raw, null, max_chars).map(Owned::Text),
        Kind::Bool => boolean(field.name, raw).map(Owned::Bool),
        Kind::Timestamp => timestamp(field.name, raw, null).map(Owned::Time),
        Kind::Contacts => contact_ids(field.name, raw).map(Owned::Contacts),
        Kind::Reactions => reactions(field.name, raw).map(Owned::Reactions),
        Kind::Attachments => attachments(field.name, raw).map(|()| Owned::Attachments),
        // Only the server sets a message's sender.
        Kind::Contact => Err(Problem::param(
            field.name,
            format!("'{}' is read-only.", field.name),
        )),
    }
}

/// Types reactions: a JSON object of emoji name to an array of usernames, or a form's
/// `name[emoji][]=username` repeated (`name[]=` alone is none; a plain `name=` is refused,
/// as it would be ambiguous beside the bracket keys); a
/// username given twice for one emoji is refused.
pub fn reactions(name: &str, raw: &RawValue) -> Result<Reactions, Problem> {
    let expected = |got: String| {
        Problem::param(
            name,
            format!(
                "Invalid value for '{name}': expected reactions (a JSON object of emoji name to \
                 an array of usernames, or '{name}[emoji][]=username' in a form), got {got}."
            ),
        )
    };
    let too_many = |what: &str| {
        Problem::param(
            name,
            format!("Invalid value for '{name}': it holds more than {MAX_REACTIONS} {what}."),
        )
    };
    // Each (emoji, username) as sent; `None` for an emoji sent with no username (JSON `[]`).
    let mut sent: Vec<(&str, Option<&str>)> = Vec::new();
    match raw {
        RawValue::Form(s) => return Err(expected(format!("'{name}={}'", clip(s)))),
        RawValue::Brackets(entries) => sent.extend(
            entries
                .iter()
                .filter(|(emoji, username)| !(emoji.is_empty() && username.is_empty()))
                .map(|(emoji, username)| (emoji.as_str(), Some(username.as_str()))),
        ),
        RawValue::Json(Value::Object(map)) => {
            for (emoji, usernames) in map {
                let Value::Array(usernames) = usernames else {
                    return Err(expected(format!(
                        "{} for '{}'",
                        describe(usernames),
                        clip(emoji)
                    )));
                };
                if usernames.is_empty() {
                    sent.push((emoji, None));
                }
                for username in usernames {
                    let username = username
                        .as_str()
                        .ok_or_else(|| expected(describe(username)))?;
                    sent.push((emoji, Some(username)));
                }
            }
        }
        RawValue::Json(other) => return Err(expected(describe(other))),
    }
    let mut set: Vec<(Box<str>, Vec<Box<str>>)> = Vec::new();
    for (emoji, username) in sent {
        if emoji.is_empty() || username == Some("") {
            return Err(expected("an empty emoji name or username".to_owned()));
        }
        within_chars(name, emoji, MAX_NAME_CHARS)?;
        within_chars(name, username.unwrap_or_default(), MAX_NAME_CHARS)?;
        let at = match set.iter().position(|(e, _)| &**e == emoji) {
            Some(at) => at,
            None if set.len() == MAX_REACTIONS => return Err(too_many("emoji")),
            None => {
                set.push((emoji.into(), Vec::new()));
                set.len() - 1
            }
        };
        let Some(username) = username else { continue };
        let names = &mut set[at].1;
        if names.len() == MAX_REACTIONS {
            return Err(too_many("usernames for one emoji"));
        }
        if names.iter().any(|n| &**n == username) {
            return Err(Problem::param(
                name,
                format!(
                    "Invalid value for '{name}': '{}' reacted with '{}' twice.",
                    clip(username),
                    clip(emoji)
                ),
            ));
        }
        names.push(username.into());
    }
    Ok(Reactions(set))
}

/// Types attachments: only none is taken (`[]`, `name[]=`, an empty `name=`), as
/// attachments are not emulated.
pub fn attachments(name: &str, raw: &RawValue) -> Result<(), Problem> {
    let none = match raw {
        RawValue::Form(s) => s.is_empty(),
        RawValue::Brackets(entries) => entries.iter().all(|(k, v)| k.is_empty() && v.is_empty()),
        RawValue::Json(Value::Array(items)) => items.is_empty(),
        RawValue::Json(_) => false,
    };
    if none {
        return Ok(());
    }
    Err(Problem::param(
        name,
        format!(
            "Invalid value for '{name}': attachments (multipart uploads) are not emulated; \
             send none ([])."
        ),
    ))
}

/// Types a list of contact IDs: a JSON array of IDs, or a form's `name[]=ID` repeated
/// (`name[]=` alone is the empty list); an ID given twice is refused, naming it.
pub fn contact_ids(name: &str, raw: &RawValue) -> Result<Vec<Embedded>, Problem> {
    let expected = |got: String| {
        Problem::param(
            name,
            format!(
                "Invalid value for '{name}': expected a list of contact IDs (a JSON array, or \
                 '{name}[]=ID' repeated in a form), got {got}."
            ),
        )
    };
    let ids: Vec<&str> = match raw {
        RawValue::Brackets(entries) => {
            if let Some((key, _)) = entries.iter().find(|(key, _)| !key.is_empty()) {
                return Err(expected(format!("'{name}[{}][]'", clip(key))));
            }
            // `name[]=` alone is the empty list; an empty value beside others is a mistake.
            if let [(_, only)] = &entries[..]
                && only.is_empty()
            {
                return Ok(Vec::new());
            }
            entries.iter().map(|(_, id)| id.as_str()).collect()
        }
        RawValue::Json(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().ok_or_else(|| expected(describe(item))))
            .collect::<Result<_, _>>()?,
        RawValue::Json(other) => return Err(expected(describe(other))),
        RawValue::Form(s) => return Err(expected(format!("'{name}={}'", clip(s)))),
    };
    if ids.len() > MAX_CONTACTS {
        return Err(Problem::param(
            name,
            format!("Invalid value for '{name}': it names more than {MAX_CONTACTS} contacts."),
        ));
    }
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    ids.into_iter()
        .map(|id| {
            id_string(name, id)?;
            if !seen.insert(id) {
                return Err(Problem::param(
                    name,
                    format!("Invalid value for '{name}': '{}' is given twice.", clip(id)),
                ));
            }
            Ok(Embedded::named(id))
        })
        .collect()
}

/// The problem with a bracket list sent for a field that takes one value.
fn not_a_list(name: &str) -> Problem {
    Problem::param(
        name,
        format!("Invalid value for '{name}': it takes one value, not a '{name}[]' list."),
    )
}

/// Types a free-text field such as `username` or `message`: a non-empty string of any
/// characters, at most `max_chars` of them, or null as `null` allows.
pub fn free_text(
    name: &str,
    raw: &RawValue,
    null: Null,
    max_chars: usize,
) -> Result<Option<Box<str>>, Problem> {
    match raw {
        RawValue::Form(s) | RawValue::Json(Value::String(s)) if !s.is_empty() => {
            within_chars(name, s, max_chars)?;
            Ok(Some(s.as_str().into()))
        }
        _ => text(name, raw, null),
    }
}

/// A 400 naming `name` when `s` has more than `max_chars` characters.
pub fn within_chars(name: &str, s: &str, max_chars: usize) -> Result<(), Problem> {
    // Counting stops at the first character past the limit: a 1 MiB value costs no more
    // than a short one.
    if s.chars().nth(max_chars).is_none() {
        return Ok(());
    }
    Err(Problem::param(
        name,
        format!("Invalid value for '{name}': it has more than {max_chars} characters."),
    ))
}

/// Types a text field such as `contact_id` or `pinned_message_id`: a non-empty string of
/// an ID as [`id_rule`] says, or null as `null` allows.
pub fn text(name: &str, raw: &RawValue, null: Null) -> Result<Option<Box<str>>, Problem> {
    let expected = |got: String| {
        Problem::param(
            name,
            format!(
                "Invalid value for '{name}': expected a non-empty string{}, got {got}.",
                null.or_null()
            ),
        )
    };
    match raw {
        RawValue::Form(s) if s.is_empty() && null.accepted() => Ok(None),
        RawValue::Form(s) if s.is_empty() => Err(expected("an empty value".to_owned())),
        RawValue::Form(s) => id_string(name, s),
        RawValue::Json(Value::Null) if null.accepted() => Ok(None),
        RawValue::Json(Value::String(s)) if !s.is_empty() => id_string(name, s),
        RawValue::Json(other) => Err(expected(describe(other))),
        RawValue::Brackets(_) => Err(not_a_list(name)),
    }
}

/// Types a boolean field: `true`/`false` as form text, or a JSON boolean.
pub fn boolean(name: &str, raw: &RawValue) -> Result<bool, Problem> {
    match raw {
        RawValue::Form(s) => parse_bool(s).ok_or_else(|| {
            Problem::param(
                name,
                format!(
                    "Invalid value for '{name}': expected a boolean (true or false), got '{}'.",
                    clip(s)
                ),
            )
        }),
        RawValue::Json(Value::Bool(b)) => Ok(*b),
        RawValue::Json(other) => Err(Problem::param(
            name,
            format!(
                "Invalid value for '{name}': expected a boolean (true or false), got {}.",
                describe(other)
            ),
        )),
        RawValue::Brackets(_) => Err(not_a_list(name)),
    }
}

/// Types a timestamp field such as `archived_at`: an integer of Unix seconds from 0 to
/// [`MAX_TIMESTAMP`], or null as `null` allows.
pub fn timestamp(name: &str, raw: &RawValue, null: Null) -> Result<Option<i64>, Problem> {
    let expected = |got: String| {
        Problem::param(
            name,
            format!(
                "Invalid value for '{name}': expected {}{}, got {got}.",
                a_timestamp(),
                null.or_null()
            ),
        )
    };
    match raw {
        RawValue::Form(s) if s.is_empty() && null.accepted() => Ok(None),
        RawValue::Form(s) => parse_timestamp(s)
            .map(Some)
            .ok_or_else(|| expected(format!("'{}'", clip(s)))),
        RawValue::Json(Value::Null) if null.accepted() => Ok(None),
        RawValue::Json(Value::Number(n)) => json_integer(n)
            .filter(|t| is_timestamp(*t))
            .map(Some)
            .ok_or_else(|| expected(n.to_string())),
        RawValue::Json(other) => Err(expected(describe(other))),
        RawValue::Brackets(_) => Err(not_a_list(name)),
    }
}

/// A JSON number that is an integer, as JSON Schema counts them: `5` and `5.0` both are.
/// Fractions, and integral floats too large to be exact (past 2^53), are not.
pub fn json_integer(n: &serde_json::Number) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() <= EXACT)
            .map(|f| f as i64)
    })
}

/// `true` or `false`, exactly; anything else is not a boolean.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// The largest timestamp the server takes or gives: the largest integer a JavaScript
/// `Number` holds exactly (2^53 - 1), so that a browser or Node client reads every
/// timestamp back unchanged. The server, the admin clock, fixtures and the OpenAPI
/// document all read this one value.
pub const MAX_TIMESTAMP: i64 = (1 << 53) - 1;

/// What a timestamp is, for messages that refuse one: the range, with its limit.
pub fn a_timestamp() -> String {
    format!("a timestamp (an integer of Unix seconds from 0 to {MAX_TIMESTAMP})")
}

/// Whether `t` is a timestamp the server takes: 0 to [`MAX_TIMESTAMP`].
pub fn is_timestamp(t: i64) -> bool {
    (0..=MAX_TIMESTAMP).contains(&t)
}

/// A timestamp in decimal digits only (no sign), 0 to [`MAX_TIMESTAMP`].
pub fn parse_timestamp(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|t| is_timestamp(*t))
}

/// Names a JSON value's kind for an error message.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.is_empty() => "an empty string".to_owned(),
        Value::String(s) => format!("the string '{}'", clip(s)),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// Shortens a client-supplied value before it is echoed in a message.
pub fn clip(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(s: &str) -> RawValue {
        RawValue::Form(s.to_owned())
    }

    #[test]
    fn form_values_are_typed_by_their_field() {
        assert_eq!(boolean("is_muted", &form("true")), Ok(true));
        assert_eq!(boolean("is_muted", &form("false")), Ok(false));
        for bad in ["", "TRUE", "1", "yes", "true "] {
            let err = boolean("is_muted", &form(bad)).unwrap_err();
            assert_eq!(err.param.as_deref(), Some("is_muted"));
        }
        assert_eq!(timestamp("archived_at", &form(""), Null::Clears), Ok(None));
        assert_eq!(
            timestamp("archived_at", &form("0"), Null::Clears),
            Ok(Some(0))
        );
        assert_eq!(
            timestamp("archived_at", &form("705103200"), Null::Clears),
            Ok(Some(705103200))
        );
        assert_eq!(
            timestamp("archived_at", &form("9007199254740991"), Null::Clears),
            Ok(Some(MAX_TIMESTAMP))
        );
        let past = timestamp("archived_at", &form("9007199254740992"), Null::Clears).unwrap_err();
        assert!(
            past.message.contains("'archived_at'") && past.message.contains("9007199254740991"),
            "{past:?}"
        );
        for bad in ["-1", "+1", "1.5", "1e3", "abc", "99999999999999999999"] {
            assert!(
                timestamp("archived_at", &form(bad), Null::Clears).is_err(),
                "{bad}"
            );
        }
        assert_eq!(text("pinned_message_id", &form(""), Null::Clears), Ok(None));
        assert_eq!(text("contact_id", &form(""), Null::Absent), Ok(None));
        assert!(text("contact_id", &form(&"x".repeat(255)), Null::Absent).is_ok());
        // IDs are made of the ID alphabet, so 255 characters are 255 bytes.
        for bad in ["é", "a b", "a/b", "a?b", "a%2Fb"] {
            let err = text("contact_id", &form(bad), Null::Absent).unwrap_err();
            assert!(
                err.message.contains("an ID is 1 to 255 characters"),
                "{err:?}"
            );
        }
        let long = text("group_id", &form(&"x".repeat(256)), Null::Absent).unwrap_err();
        assert_eq!(long.param.as_deref(), Some("group_id"));
        assert!(text("pinned_message_id", &form(&"x".repeat(256)), Null::Clears).is_err());
    }

    #[test]
    fn json_values_must_already_have_the_fields_type() {
        let j = RawValue::Json;
        assert_eq!(boolean("is_pinned", &j(json!(true))), Ok(true));
        assert!(boolean("is_pinned", &j(json!("true"))).is_err());
        assert!(boolean("is_pinned", &j(json!(null))).is_err());
        assert_eq!(
            timestamp("archived_at", &j(json!(null)), Null::Clears),
            Ok(None)
        );
        assert_eq!(
            timestamp("archived_at", &j(json!(5)), Null::Clears),
            Ok(Some(5))
        );
        assert!(timestamp("archived_at", &j(json!(-5)), Null::Clears).is_err());
        assert!(timestamp("archived_at", &j(json!(1.5)), Null::Clears).is_err());
        assert_eq!(
            timestamp("archived_at", &j(json!(260889.0)), Null::Clears),
            Ok(Some(260889)),
            "an integral float is an integer in JSON Schema"
        );
        assert!(timestamp("archived_at", &j(json!(1e300)), Null::Clears).is_err());
        assert_eq!(
            timestamp("archived_at", &j(json!(MAX_TIMESTAMP)), Null::Clears),
            Ok(Some(MAX_TIMESTAMP))
        );
        for past in [
            json!(MAX_TIMESTAMP + 1),
            json!(i64::MAX),
            json!(9007199254740992.0),
        ] {
            let err = timestamp("archived_at", &j(past.clone()), Null::Clears).unwrap_err();
            assert!(err.message.contains("9007199254740991"), "{past}: {err:?}");
        }
        assert!(timestamp("archived_at", &j(json!("5")), Null::Clears).is_err());
        assert!(text("contact_id", &j(json!("")), Null::Absent).is_err());
        assert!(text("contact_id", &j(json!(7)), Null::Absent).is_err());
        assert_eq!(text("contact_id", &j(json!(null)), Null::Absent), Ok(None));
        assert!(text("pinned_message_id", &j(json!(["x"])), Null::Clears).is_err());
    }

    #[test]
    fn messages_say_or_null_only_where_null_clears() {
        let message = |null: Null| {
            let text = text("f", &RawValue::Json(json!(7)), null)
                .unwrap_err()
                .message;
            let time = timestamp("f", &RawValue::Json(json!("x")), null)
                .unwrap_err()
                .message;
            (text, time)
        };
        let (text_clears, time_clears) = message(Null::Clears);
        assert_eq!(
            text_clears,
            "Invalid value for 'f': expected a non-empty string or null, got 7."
        );
        assert!(
            time_clears.ends_with(" or null, got the string 'x'."),
            "{time_clears}"
        );
        for null in [Null::Absent, Null::Refused] {
            let (text, time) = message(null);
            assert_eq!(
                text,
                "Invalid value for 'f': expected a non-empty string, got 7."
            );
            assert!(!time.contains("or null"), "{time}");
        }
        // Only where null is refused is it an error.
        let null = RawValue::Json(Value::Null);
        assert_eq!(text("f", &null, Null::Absent), Ok(None));
        assert!(text("f", &null, Null::Refused).is_err());
        assert!(text("f", &RawValue::Form(String::new()), Null::Refused).is_err());
        assert!(timestamp("f", &null, Null::Refused).is_err());
    }

    #[test]
    fn free_text_takes_any_characters_but_not_an_empty_value_nor_too_many() {
        let message = "You’re what the French call ‘les incompetents.’";
        let free = |name, raw: &RawValue, null| free_text(name, raw, null, 100);
        assert_eq!(
            free("message", &form(message), Null::Refused),
            Ok(Some(message.into()))
        );
        assert!(text("message", &form(message), Null::Refused).is_err());
        let j = RawValue::Json;
        assert_eq!(
            free("username", &j(json!("a b/c")), Null::Refused),
            Ok(Some("a b/c".into()))
        );
        assert_eq!(free("display_name", &form(""), Null::Clears), Ok(None));
        // Characters, not bytes: 100 four-byte characters are within 100.
        let emoji = "😠".repeat(100);
        assert_eq!(
            free("message", &j(json!(emoji)), Null::Refused),
            Ok(Some(emoji.as_str().into()))
        );
        let over = format!("{emoji}x");
        for bad in [
            form(""),
            j(json!("")),
            j(json!(null)),
            j(json!(7)),
            form(&over),
            j(json!(over)),
        ] {
            let err = free("username", &bad, Null::Refused).unwrap_err();
            assert_eq!(err.param.as_deref(), Some("username"), "{bad:?}");
        }
        let err = free("username", &form(&over), Null::Refused).unwrap_err();
        assert!(
            err.message.contains("more than 100 characters"),
            "{}",
            err.message
        );
    }

    #[test]
    fn echoed_values_are_clipped() {
        let long = "x".repeat(1000);
        assert_eq!(clip(&long).len(), 67);
        assert_eq!(clip("short"), "short");
        assert_eq!(clip(&"é".repeat(100)).chars().count(), 67);
    }
}
