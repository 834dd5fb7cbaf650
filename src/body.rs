//! Request bodies and query strings into named fields.
//!
//! Decodes `application/x-www-form-urlencoded` text (what `curl -d` sends, and every query
//! string) and `application/json` objects into [`Fields`], strictly: a bad percent escape,
//! invalid UTF-8, a name given twice or more than [`MAX_NAMES`] names is a 400 that says so.
//! Only a form's bracket names repeat: `contacts[]=a&contacts[]=b` is the list field
//! `contacts`, `reactions[smile][]=kate` the keyed list field `reactions`.
//! Typing each field is left to `model`; which fields an operation accepts is left to `api`.

use crate::error::ApiError;
use crate::model::{Fields, Problem, RawValue, clip};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// The most names one form body, JSON body or query string may hold. No operation takes
/// more than a handful; the bound keeps every problem list short and every check cheap.
pub const MAX_NAMES: usize = 1_000;

/// The names read so far from one body or query string: a repeated name, or one past
/// [`MAX_NAMES`], is refused, each check in constant time.
struct Names<'a> {
    seen: HashSet<String>,
    /// Every name read, repeats included.
    count: usize,
    /// Whether a name ending in `[]` may repeat (a form's list).
    lists: bool,
    /// What holds the names, for messages: "body", "query string", "JSON body".
    source: &'a str,
}

impl<'a> Names<'a> {
    fn new(source: &'a str) -> Self {
        Names {
            seen: HashSet::new(),
            count: 0,
            lists: false,
            source,
        }
    }

    fn admit(&mut self, name: &str) -> Result<(), Problem> {
        let repeats = self.lists && name.ends_with("[]");
        if !repeats && self.seen.contains(name) {
            return Err(twice(name));
        }
        if self.count >= MAX_NAMES {
            return Err(Problem::general(format!(
                "The {} has more than {MAX_NAMES} names; at most {MAX_NAMES} are accepted.",
                self.source
            )));
        }
        self.count += 1;
        if !repeats {
            self.seen.insert(name.to_owned());
        }
        Ok(())
    }
}

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
        Some(BodyKind::Form) if looks_like_json(bytes) => Err(ApiError::invalid(Problem::general(
            "The body looks like JSON but is declared as a form \
             (application/x-www-form-urlencoded, what curl -d sends): send \
             'Content-Type: application/json' with it.",
        ))),
        Some(BodyKind::Form) => parse_pairs(bytes, "body")
            .and_then(fold_lists)
            .map_err(ApiError::invalid),
        Some(BodyKind::Json) => parse_json_object(bytes),
    }
}

/// Whether a form body is really a JSON object or array (`curl -d '{"a": 1}'`): no form
/// name starts with `{` or `[`.
fn looks_like_json(bytes: &[u8]) -> bool {
    let start = bytes.iter().find(|b| !b.is_ascii_whitespace());
    matches!(start, Some(b'{' | b'['))
}

fn parse_json_object(bytes: &[u8]) -> Result<Fields, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid(Problem::general(
            "The JSON body is empty: send a JSON object.",
        )));
    }
    let refused = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = de
        .deserialize_any(ObjectVisitor { refused: &refused })
        .and_then(|entries| de.end().map(|()| entries));
    match parsed {
        Ok(entries) => Ok(entries
            .into_iter()
            .map(|(k, v)| (k, RawValue::Json(v)))
            .collect()),
        Err(e) => Err(ApiError::invalid(match refused.take() {
            // A repeated key or one too many, worded as for a form.
            Some(problem) => problem,
            // Type errors come from the visitor below, already worded.
            None if e.is_data() => Problem::general(format!("{e}.")),
            None => Problem::general(format!("The body is not valid JSON: {e}.")),
        })),
    }
}

/// Reads a JSON object's members in the order sent; a repeated key, or more than
/// [`MAX_NAMES`], is refused as in a form, the problem left in `refused`.
struct ObjectVisitor<'a> {
    refused: &'a Cell<Option<Problem>>,
}

impl ObjectVisitor<'_> {
    fn not_an_object<E: de::Error>(got: &str) -> E {
        E::custom(format!("The JSON body must be an object, got {got}"))
    }
}

impl<'de> Visitor<'de> for ObjectVisitor<'_> {
    type Value = Vec<(String, Value)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries: Vec<(String, Value)> = Vec::new();
        let mut names = Names::new("JSON body");
        while let Some(key) = map.next_key::<String>()? {
            if let Err(problem) = names.admit(&key) {
                self.refused.set(Some(problem));
                // Stops the parse here: the rest of the body is never read.
                return Err(de::Error::custom("refused"));
            }
            let value = map.next_value::<Value>()?;
            entries.push((key, value));
        }
        Ok(entries)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(Self::not_an_object("an array"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(Self::not_an_object("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(Self::not_an_object("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(Self::not_an_object("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(Self::not_an_object("a number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(Self::not_an_object("a string"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(Self::not_an_object("null"))
    }
}

/// Splits `a=1&b=2` into decoded pairs, in order. `where_` names the source in messages
/// ("body" or "query string"). A name without `=` has the empty value; empty segments
/// (`a=1&&b=2`) are skipped; a name given twice, or more than [`MAX_NAMES`] names, is
/// rejected.
pub fn parse_pairs(input: &[u8], where_: &str) -> Result<Vec<(String, String)>, Problem> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut names = Names::new(where_);
    names.lists = true;
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
        if name.is_empty() {
            return Err(Problem::general(format!(
                "The {where_} has a value without a parameter name."
            )));
        }
        names.admit(&name)?;
        let value = decode(value).ok_or_else(|| {
            Problem::param(
                &name,
                format!(
                    "The value of '{}' in the {where_} is not valid percent-encoded UTF-8.",
                    clip(&name)
                ),
            )
        })?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// A bracket name's field and key: `contacts[]` is (`contacts`, ``), `reactions[smile][]`
/// is (`reactions`, `smile`); `None` for a plain name.
fn bracketed(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_suffix("[]")?;
    let (base, key) = match rest.strip_suffix(']').and_then(|r| r.split_once('[')) {
        Some((base, key)) => (base, key),
        None => (rest, ""),
    };
    (!base.is_empty() && !base.contains('[')).then_some((base, key))
}

/// A form's pairs as fields: the pairs of one bracket name's field gathered, in order, into
/// one list; a field given both plain and as a list is given twice.
fn fold_lists(pairs: Vec<(String, String)>) -> Result<Fields, Problem> {
    let mut fields: Fields = Vec::with_capacity(pairs.len());
    let mut lists: HashMap<String, usize> = HashMap::new();
    for (name, value) in pairs {
        let Some((base, key)) = bracketed(&name) else {
            if lists.contains_key(&name) {
                return Err(twice(&name));
            }
            fields.push((name, RawValue::Form(value)));
            continue;
        };
        let entry = (key.to_owned(), value);
        match lists.get(base) {
            Some(&i) => match &mut fields[i].1 {
                RawValue::Brackets(entries) => entries.push(entry),
                _ => return Err(twice(base)),
            },
            None if fields.iter().any(|(n, _)| n == base) => return Err(twice(base)),
            None => {
                lists.insert(base.to_owned(), fields.len());
                fields.push((base.to_owned(), RawValue::Brackets(vec![entry])));
            }
        }
    }
    Ok(fields)
}

fn twice(name: &str) -> Problem {
    Problem::param(name, format!("'{}' is given more than once.", clip(name)))
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
    fn up_to_max_names_are_read_and_one_more_is_refused_naming_the_limit() {
        let names: Vec<String> = (0..=MAX_NAMES).map(|i| format!("n{i}")).collect();
        let form = |n: usize| names[..n].join("&");
        let json = |n: usize| {
            let members: Vec<String> = names[..n].iter().map(|k| format!("\"{k}\": 0")).collect();
            format!("{{{}}}", members.join(", "))
        };
        assert_eq!(
            parse_pairs(form(MAX_NAMES).as_bytes(), "body")
                .unwrap()
                .len(),
            MAX_NAMES
        );
        let fields = parse_body(Some(BodyKind::Json), json(MAX_NAMES).as_bytes()).unwrap();
        assert_eq!(fields.len(), MAX_NAMES);

        let limit = MAX_NAMES.to_string();
        let err = parse_pairs(form(MAX_NAMES + 1).as_bytes(), "query string").unwrap_err();
        assert!(
            err.message.contains("query string") && err.message.contains(&limit),
            "{err:?}"
        );
        match parse_body(Some(BodyKind::Json), json(MAX_NAMES + 1).as_bytes()) {
            Err(ApiError::Invalid(p)) => assert!(p[0].message.contains(&limit), "{p:?}"),
            other => panic!("{other:?}"),
        }
        // A repeat is found however far apart the two are.
        let repeated = format!("{}&n0=again", form(MAX_NAMES));
        let dup = parse_pairs(repeated.as_bytes(), "body").unwrap_err();
        assert_eq!(dup.param.as_deref(), Some("n0"));
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

    #[test]
    fn bracket_names_repeat_into_one_list_and_nothing_else_repeats() {
        let form = |body: &str| parse_body(Some(BodyKind::Form), body.as_bytes());
        let fields = form("name=a&contacts[]=x&contacts[]=y&reactions[smile][]=kate").unwrap();
        assert_eq!(
            fields,
            vec![
                ("name".to_owned(), RawValue::Form("a".into())),
                (
                    "contacts".to_owned(),
                    RawValue::Brackets(vec![("".into(), "x".into()), ("".into(), "y".into())])
                ),
                (
                    "reactions".to_owned(),
                    RawValue::Brackets(vec![("smile".into(), "kate".into())])
                ),
            ]
        );
        for twice in [
            "contacts=x&contacts[]=y",
            "contacts[]=y&contacts=x",
            "a=1&a=2",
        ] {
            match form(twice) {
                Err(ApiError::Invalid(p)) => assert!(p[0].message.contains("more than once")),
                other => panic!("{twice}: {other:?}"),
            }
        }
        // Repeats count toward the cap on names.
        let many = vec!["contacts[]=x"; MAX_NAMES + 1].join("&");
        assert!(form(&many).is_err());
        assert!(form(&vec!["contacts[]=x"; MAX_NAMES].join("&")).is_ok());
    }
}
