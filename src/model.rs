//! Wire types and the typing of request fields.
//!
//! This module owns what a conversation looks like on the wire (key order, nulls) and how a
//! field sent by a client, as a form value or as JSON, becomes a typed value. It knows nothing
//! of HTTP or of the store; `api` decides which fields an operation accepts.

use crate::ids::{id_rule, is_valid_id};
use serde::Serialize;
use serde_json::Value;

/// One conversation, serialized with the documents' keys in the documents' order.
///
/// Every key is always present; unset values serialize as `null`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conversation {
    /// The conversation's ID.
    pub id: Box<str>,
    /// The other contact, for a one-to-one conversation.
    pub contact_id: Option<Box<str>>,
    /// The group, for a group conversation.
    pub group_id: Option<Box<str>>,
    /// The pinned message, if any.
    pub pinned_message_id: Option<Box<str>>,
    /// Whether the conversation is pinned.
    pub is_pinned: bool,
    /// Whether the conversation is muted.
    pub is_muted: bool,
    /// Unix seconds of the last activity.
    pub last_active_at: Option<i64>,
    /// Unix seconds of when the user last opened it.
    pub last_opened_at: Option<i64>,
    /// Unix seconds of creation; the list order's first key.
    pub created_at: i64,
    /// Unix seconds of archiving; `null` when not archived.
    pub archived_at: Option<i64>,
}

impl Conversation {
    /// A conversation as a create makes it: everything else unset.
    pub fn new(
        id: Box<str>,
        contact_id: Option<Box<str>>,
        group_id: Option<Box<str>>,
        created_at: i64,
    ) -> Self {
        Conversation {
            id,
            contact_id,
            group_id,
            pinned_message_id: None,
            is_pinned: false,
            is_muted: false,
            last_active_at: None,
            last_opened_at: None,
            created_at,
            archived_at: None,
        }
    }
}

/// The list response: `has_more` first, then `data`, as documented.
#[derive(Debug, Serialize)]
pub struct Page<'a> {
    /// Whether more conversations exist past this page in the direction of travel.
    pub has_more: bool,
    /// The page, always in list order.
    pub data: Vec<&'a Conversation>,
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

/// Types a create's `contact_id` / `group_id`: a non-empty string, or absent.
/// An empty form value and a JSON `null` both count as absent.
pub fn optional_id(name: &str, raw: &RawValue) -> Result<Option<Box<str>>, Problem> {
    match raw {
        RawValue::Form(s) if s.is_empty() => Ok(None),
        RawValue::Form(s) => id_string(name, s),
        RawValue::Json(Value::Null) => Ok(None),
        RawValue::Json(Value::String(s)) if !s.is_empty() => id_string(name, s),
        RawValue::Json(other) => Err(Problem::param(
            name,
            format!(
                "Invalid value for '{name}': expected a non-empty string, got {}.",
                describe(other)
            ),
        )),
    }
}

/// Types a nullable string such as `pinned_message_id`: an empty form value or JSON `null`
/// clears it.
pub fn nullable_string(name: &str, raw: &RawValue) -> Result<Nullable<Box<str>>, Problem> {
    match raw {
        RawValue::Form(s) if s.is_empty() => Ok(None),
        RawValue::Form(s) => id_string(name, s),
        RawValue::Json(Value::Null) => Ok(None),
        RawValue::Json(Value::String(s)) if !s.is_empty() => id_string(name, s),
        RawValue::Json(other) => Err(Problem::param(
            name,
            format!(
                "Invalid value for '{name}': expected a non-empty string or null, got {}.",
                describe(other)
            ),
        )),
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
    }
}

/// Types a nullable timestamp such as `archived_at`: an integer of Unix seconds from 0 to
/// [`MAX_TIMESTAMP`], or an empty form value / JSON `null` for null.
pub fn nullable_timestamp(name: &str, raw: &RawValue) -> Result<Nullable<i64>, Problem> {
    let expected = |got: String| {
        Problem::param(
            name,
            format!(
                "Invalid value for '{name}': expected {} or null, got {got}.",
                a_timestamp()
            ),
        )
    };
    match raw {
        RawValue::Form(s) if s.is_empty() => Ok(None),
        RawValue::Form(s) => parse_timestamp(s)
            .map(Some)
            .ok_or_else(|| expected(format!("'{}'", clip(s)))),
        RawValue::Json(Value::Null) => Ok(None),
        RawValue::Json(Value::Number(n)) => json_integer(n)
            .filter(|t| is_timestamp(*t))
            .map(Some)
            .ok_or_else(|| expected(n.to_string())),
        RawValue::Json(other) => Err(expected(describe(other))),
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

/// The documented conversation `xgQQXg3hrtjh7AvZ`, as the documents show it.
#[cfg(test)]
pub(crate) fn documented_conversation() -> Conversation {
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
    use serde_json::json;

    fn form(s: &str) -> RawValue {
        RawValue::Form(s.to_owned())
    }

    #[test]
    fn documented_conversation_serializes_in_documented_key_order() {
        let c = documented_conversation();
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
    fn form_values_are_typed_by_their_field() {
        assert_eq!(boolean("is_muted", &form("true")), Ok(true));
        assert_eq!(boolean("is_muted", &form("false")), Ok(false));
        for bad in ["", "TRUE", "1", "yes", "true "] {
            let err = boolean("is_muted", &form(bad)).unwrap_err();
            assert_eq!(err.param.as_deref(), Some("is_muted"));
        }
        assert_eq!(nullable_timestamp("archived_at", &form("")), Ok(None));
        assert_eq!(nullable_timestamp("archived_at", &form("0")), Ok(Some(0)));
        assert_eq!(
            nullable_timestamp("archived_at", &form("705103200")),
            Ok(Some(705103200))
        );
        assert_eq!(
            nullable_timestamp("archived_at", &form("9007199254740991")),
            Ok(Some(MAX_TIMESTAMP))
        );
        let past = nullable_timestamp("archived_at", &form("9007199254740992")).unwrap_err();
        assert!(
            past.message.contains("'archived_at'") && past.message.contains("9007199254740991"),
            "{past:?}"
        );
        for bad in ["-1", "+1", "1.5", "1e3", "abc", "99999999999999999999"] {
            assert!(
                nullable_timestamp("archived_at", &form(bad)).is_err(),
                "{bad}"
            );
        }
        assert_eq!(nullable_string("pinned_message_id", &form("")), Ok(None));
        assert_eq!(optional_id("contact_id", &form("")), Ok(None));
        assert!(optional_id("contact_id", &form(&"x".repeat(255))).is_ok());
        // IDs are made of the ID alphabet, so 255 characters are 255 bytes.
        for bad in ["é", "a b", "a/b", "a?b", "a%2Fb"] {
            let err = optional_id("contact_id", &form(bad)).unwrap_err();
            assert!(
                err.message.contains("an ID is 1 to 255 characters"),
                "{err:?}"
            );
        }
        let long = optional_id("group_id", &form(&"x".repeat(256))).unwrap_err();
        assert_eq!(long.param.as_deref(), Some("group_id"));
        assert!(nullable_string("pinned_message_id", &form(&"x".repeat(256))).is_err());
    }

    #[test]
    fn json_values_must_already_have_the_fields_type() {
        let j = RawValue::Json;
        assert_eq!(boolean("is_pinned", &j(json!(true))), Ok(true));
        assert!(boolean("is_pinned", &j(json!("true"))).is_err());
        assert!(boolean("is_pinned", &j(json!(null))).is_err());
        assert_eq!(nullable_timestamp("archived_at", &j(json!(null))), Ok(None));
        assert_eq!(nullable_timestamp("archived_at", &j(json!(5))), Ok(Some(5)));
        assert!(nullable_timestamp("archived_at", &j(json!(-5))).is_err());
        assert!(nullable_timestamp("archived_at", &j(json!(1.5))).is_err());
        assert_eq!(
            nullable_timestamp("archived_at", &j(json!(260889.0))),
            Ok(Some(260889)),
            "an integral float is an integer in JSON Schema"
        );
        assert!(nullable_timestamp("archived_at", &j(json!(1e300))).is_err());
        assert_eq!(
            nullable_timestamp("archived_at", &j(json!(MAX_TIMESTAMP))),
            Ok(Some(MAX_TIMESTAMP))
        );
        for past in [
            json!(MAX_TIMESTAMP + 1),
            json!(i64::MAX),
            json!(9007199254740992.0),
        ] {
            let err = nullable_timestamp("archived_at", &j(past.clone())).unwrap_err();
            assert!(err.message.contains("9007199254740991"), "{past}: {err:?}");
        }
        assert!(nullable_timestamp("archived_at", &j(json!("5"))).is_err());
        assert!(optional_id("contact_id", &j(json!(""))).is_err());
        assert!(optional_id("contact_id", &j(json!(7))).is_err());
        assert_eq!(optional_id("contact_id", &j(json!(null))), Ok(None));
        assert!(nullable_string("pinned_message_id", &j(json!(["x"]))).is_err());
    }

    #[test]
    fn echoed_values_are_clipped() {
        let long = "x".repeat(1000);
        assert_eq!(clip(&long).len(), 67);
        assert_eq!(clip("short"), "short");
        assert_eq!(clip(&"é".repeat(100)).chars().count(), 67);
    }
}
