//! Request bodies and query strings into named fields.
//!
//! Decodes `application/x-www-form-urlencoded` text (what `curl -d` sends, and every query
//! string) and `application/json` objects into [`Fields`], strictly: a bad percent escape,
//! invalid UTF-8 or a name given twice is a 400 that says so. Typing each field is left to
//! `model`; which fields an operation accepts is left to `api`.

use crate::error::ApiError;
use crate::model::{Fields, Problem, RawValue, clip};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// The body kinds the API accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `application/json`.
    Json,
}

/// Classifies a `Content-Type` header. `Ok(None)` means no header at all.
pub fn body_kind(content_type: Option<&[u8]>) -> Result<Option<BodyKind>, ApiError> {
    let Some(raw) = content_type else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(raw);
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/x-www-form-urlencoded" => Ok(Some(BodyKind::Form)),
        "application/json" => Ok(Some(BodyKind::Json)),
        _ => Err(ApiError::UnsupportedMediaType {
            content_type: clip(text.trim()),
        }),
    }
}

/// Parses a POST or PUT body into fields.
///
/// An empty body without a `Content-Type` (`curl -X PUT` with no `-d`) is an empty set of
/// fields; a non-empty one must say what it is.
pub fn parse_body(kind: Option<BodyKind>, bytes: &[u8]) -> Result<Fields, ApiError> {
    match kind {
        None if bytes.is_empty() => Ok(Vec::new()),
        None => Err(ApiError::UnsupportedMediaType {
            content_type: String::new(),
        }),
        Some(BodyKind::Form) => parse_pairs(bytes, "body")
            .map(|pairs| {
                pairs
                    .into_iter()
                    .map(|(k, v)| (k, RawValue::Form(v)))
                    .collect()
            })
            .map_err(ApiError::invalid),
        Some(BodyKind::Json) => parse_json_object(bytes),
    }
}

fn parse_json_object(bytes: &[u8]) -> Result<Fields, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid(Problem::general(
            "The JSON body is empty: send a JSON object.",
        )));
    }
    match serde_json::from_slice::<Object>(bytes) {
        Ok(Object(entries)) => Ok(entries
            .into_iter()
            .map(|(k, v)| (k, RawValue::Json(v)))
            .collect()),
        // Type errors and repeated keys come from the visitor below, already worded.
        Err(e) if e.is_data() => Err(ApiError::invalid(Problem::general(format!("{e}.")))),
        Err(e) => Err(ApiError::invalid(Problem::general(format!(
            "The body is not valid JSON: {e}."
        )))),
    }
}

/// A JSON object's members in the order sent; a repeated key is an error, as in a form.
struct Object(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ObjectVisitor)
    }
}

struct ObjectVisitor;

impl ObjectVisitor {
    fn not_an_object<E: de::Error>(got: &str) -> E {
        E::custom(format!("The JSON body must be an object, got {got}"))
    }
}

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Object;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
        let mut entries: Vec<(String, Value)> = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format!(
                    "'{}' is given more than once",
                    clip(&key)
                )));
            }
            entries.push((key, value));
        }
        Ok(Object(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Object, A::Error> {
        Err(Self::not_an_object("an array"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Object, E> {
        Err(Self::not_an_object("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Object, E> {
        Err(Self::not_an_object("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Object, E> {
        Err(Self::not_an_object("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Object, E> {
        Err(Self::not_an_object("a number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Object, E> {
        Err(Self::not_an_object("a string"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Object, E> {
        Err(Self::not_an_object("null"))
    }
}

/// Splits `a=1&b=2` into decoded pairs, in order. `where_` names the source in messages
/// ("body" or "query string"). A name without `=` has the empty value; empty segments
/// (`a=1&&b=2`) are skipped; a name given twice is rejected.
pub fn parse_pairs(input: &[u8], where_: &str) -> Result<Vec<(String, String)>, Problem> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for segment in input.split(|b| *b == b'&').filter(|s| !s.is_empty()) {
        let (name, value) = match segment.iter().position(|b| *b == b'=') {
            Some(eq) => (&segment[..eq], &segment[eq + 1..]),
            None => (segment, &segment[..0]),
        };
        let name = decode(name).ok_or_else(|| {
            Problem::general(format!(
                "The {where_} has a parameter name that is not valid percent-encoded UTF-8: '{}'.",
                clip(&String::from_utf8_lossy(name))
            ))
        })?;
        let value = decode(value).ok_or_else(|| {
            Problem::param(
                &name,
                format!(
                    "The value of '{}' in the {where_} is not valid percent-encoded UTF-8.",
                    clip(&name)
                ),
            )
        })?;
        if name.is_empty() {
            return Err(Problem::general(format!(
                "The {where_} has a value without a parameter name."
            )));
        }
        if pairs.iter().any(|(n, _)| *n == name) {
            return Err(Problem::param(
                &name,
                format!("'{}' is given more than once.", clip(&name)),
            ));
        }
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// Percent-decodes one form component, `+` as a space. `None` on a malformed escape or on
/// bytes that are not UTF-8.
pub fn decode(input: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex(*input.get(i + 1)?)?;
                let lo = hex(*input.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &str) -> Vec<(String, String)> {
        parse_pairs(s.as_bytes(), "body").unwrap()
    }

    #[test]
    fn curl_form_bodies_decode() {
        assert_eq!(
            pairs("contact_id=WAz8eIbvDR60rouK"),
            vec![("contact_id".into(), "WAz8eIbvDR60rouK".into())]
        );
        assert_eq!(
            pairs("a=x+y%20z&&b=%C3%A9&c"),
            vec![
                ("a".into(), "x y z".into()),
                ("b".into(), "é".into()),
                ("c".into(), "".into())
            ]
        );
        assert_eq!(pairs(""), vec![]);
        assert_eq!(pairs("k=a=b"), vec![("k".into(), "a=b".into())]);
    }

    #[test]
    fn malformed_forms_are_rejected_by_name() {
        let err = parse_pairs(b"is_muted=%ZZ", "body").unwrap_err();
        assert_eq!(err.param.as_deref(), Some("is_muted"));
        assert!(parse_pairs(b"x=%C3", "body").is_err());
        assert!(parse_pairs(b"x=%", "body").is_err());
        assert!(parse_pairs(b"x=\xff", "body").is_err());
        assert!(parse_pairs(b"=1", "body").is_err());
        let dup = parse_pairs(b"limit=1&limit=2", "query string").unwrap_err();
        assert_eq!(dup.param.as_deref(), Some("limit"));
        assert!(dup.message.contains("more than once"));
    }

    #[test]
    fn content_types_are_matched_on_their_essence() {
        assert_eq!(
            body_kind(Some(b"application/json; charset=utf-8")).unwrap(),
            Some(BodyKind::Json)
        );
        assert_eq!(
            body_kind(Some(b"Application/X-WWW-Form-Urlencoded")).unwrap(),
            Some(BodyKind::Form)
        );
        assert_eq!(body_kind(None).unwrap(), None);
        assert!(matches!(
            body_kind(Some(b"text/plain")),
            Err(ApiError::UnsupportedMediaType { .. })
        ));
    }

    #[test]
    fn json_bodies_must_be_objects() {
        assert!(parse_body(Some(BodyKind::Json), b"{\"is_muted\": true}").is_ok());
        for bad in [
            &b"[1]"[..],
            b"1",
            b"\"x\"",
            b"null",
            b"{",
            b"",
            b"  ",
            b"\xff",
        ] {
            assert!(
                matches!(
                    parse_body(Some(BodyKind::Json), bad),
                    Err(ApiError::Invalid(_))
                ),
                "{bad:?}"
            );
        }
        assert_eq!(parse_body(None, b"").unwrap(), vec![]);
        match parse_body(Some(BodyKind::Json), br#"{"a": 1, "a": 2}"#) {
            Err(ApiError::Invalid(p)) => {
                assert!(p[0].message.contains("'a' is given more than once"))
            }
            other => panic!("{other:?}"),
        }
        match parse_body(Some(BodyKind::Json), b"[1]") {
            Err(ApiError::Invalid(p)) => {
                assert!(
                    p[0].message
                        .starts_with("The JSON body must be an object, got an array")
                )
            }
            other => panic!("{other:?}"),
        }
        let fields = parse_body(Some(BodyKind::Json), br#"{"z": 1, "a": 2}"#).unwrap();
        assert_eq!(fields[0].0, "z", "members keep the order they were sent in");
        assert!(matches!(
            parse_body(None, b"a=1"),
            Err(ApiError::UnsupportedMediaType { .. })
        ));
    }
}
