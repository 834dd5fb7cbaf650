//! The data a workspace starts from.
//!
//! A fixtures file is a JSON object with two optional keys: `conversations` (conversation
//! objects, `id` and `created_at` required, the rest defaulting as on create) and `next_ids`
//! (IDs the next creates hand out before random generation resumes). Validation is strict
//! and every message names the file, the entry and the field. The documented conversations
//! are embedded as the default set.

use crate::ids::is_valid_id;
use crate::model::{a_timestamp, describe, is_timestamp};
use crate::resources::Conversation;
use serde_json::{Map, Value};
use std::collections::HashSet;
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

const KEYS: [&str; 10] = [
    "id",
    "contact_id",
    "group_id",
    "pinned_message_id",
    "is_pinned",
    "is_muted",
    "last_active_at",
    "last_opened_at",
    "created_at",
    "archived_at",
];

impl Fixtures {
    /// The embedded default set (`fixtures/conversations.json`).
    pub fn documented() -> Self {
        Fixtures::parse("embedded fixtures", DOCUMENTED)
            .expect("the embedded fixtures are checked by a unit test")
    }

    /// Refuses, naming it, an ID that one of these conversations has: once deleted, a fixture
    /// conversation's ID must still never come back.
    pub fn check_unused(&self, ids: &[String]) -> Result<(), String> {
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        match self.conversations.iter().find(|c| wanted.contains(&*c.id)) {
            Some(c) => Err(format!(
                "'{}' is or was the ID of a conversation here.",
                c.id
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
        if let Some(fixtures) = typed::parse(text) {
            return Ok(fixtures);
        }
        Fixtures::parse_checked(source, text)
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
                "the top level must be an object with 'conversations' and/or 'next_ids', got {}",
                describe(&value)
            )));
        };
        if let Some(key) = top
            .keys()
            .find(|k| *k != "conversations" && *k != "next_ids")
        {
            return Err(fail(format!(
                "unknown top-level key '{key}' (expected 'conversations' and/or 'next_ids')"
            )));
        }
        let mut fixtures = Fixtures::default();
        let mut seen = HashSet::new();
        match top.get("conversations") {
            None => {}
            Some(Value::Array(entries)) => {
                for (i, entry) in entries.iter().enumerate() {
                    let c = conversation(entry).map_err(|(field, msg)| {
                        let id = entry
                            .get("id")
                            .and_then(Value::as_str)
                            .map(|id| format!(" (id '{id}')"))
                            .unwrap_or_default();
                        match field {
                            Some(field) => {
                                fail(format!("conversations[{i}]{id}, field '{field}': {msg}"))
                            }
                            None => fail(format!("conversations[{i}]{id}: {msg}")),
                        }
                    })?;
                    if !seen.insert(c.id.clone()) {
                        return Err(fail(format!(
                            "conversations[{i}], field 'id': duplicate ID '{}'",
                            c.id
                        )));
                    }
                    fixtures.conversations.push(Arc::new(c));
                }
            }
            Some(other) => {
                return Err(fail(format!(
                    "'conversations' must be an array, got {}",
                    describe(other)
                )));
            }
        }
        match top.get("next_ids") {
            None => {}
            Some(Value::Array(ids)) => {
                let mut queued = HashSet::new();
                for (i, id) in ids.iter().enumerate() {
                    let Some(id) = id.as_str().filter(|id| is_valid_id(id)) else {
                        return Err(fail(format!(
                            "next_ids[{i}]: expected an ID of 1 to 255 characters from \
                             A-Z, a-z, 0-9, '_' and '-', got {}",
                            describe(id)
                        )));
                    };
                    if seen.contains(id) {
                        return Err(fail(format!(
                            "next_ids[{i}]: '{id}' is already the ID of a conversation"
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

/// The fast reading of a valid file, with serde. `None` for anything it cannot accept as
/// is; the careful reading then finds and words the problem.
mod typed {
    use super::{Arc, Conversation, Fixtures, HashSet, is_timestamp, is_valid_id};
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        conversations: Vec<Entry>,
        #[serde(default)]
        next_ids: Vec<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        id: String,
        #[serde(default)]
        contact_id: Option<String>,
        #[serde(default)]
        group_id: Option<String>,
        #[serde(default)]
        pinned_message_id: Option<String>,
        #[serde(default)]
        is_pinned: bool,
        #[serde(default)]
        is_muted: bool,
        #[serde(default)]
        last_active_at: Option<i64>,
        #[serde(default)]
        last_opened_at: Option<i64>,
        created_at: i64,
        #[serde(default)]
        archived_at: Option<i64>,
    }

    fn text(s: Option<String>) -> Option<Option<Box<str>>> {
        match s {
            None => Some(None),
            Some(s) if s.is_empty() => None,
            Some(s) => Some(Some(s.into_boxed_str())),
        }
    }

    fn time(t: Option<i64>) -> Option<Option<i64>> {
        match t {
            Some(t) if !is_timestamp(t) => None,
            t => Some(t),
        }
    }

    pub(super) fn parse(source: &str) -> Option<Fixtures> {
        // serde would also read a struct from an array; the file must be an object.
        if !source.trim_start().starts_with('{') {
            return None;
        }
        let file: File = serde_json::from_str(source).ok()?;
        let mut seen = HashSet::with_capacity(file.conversations.len());
        let mut conversations = Vec::with_capacity(file.conversations.len());
        for e in file.conversations {
            if !is_valid_id(&e.id) || !is_timestamp(e.created_at) {
                return None;
            }
            let c = Conversation {
                id: e.id.into_boxed_str(),
                contact_id: text(e.contact_id)?,
                group_id: text(e.group_id)?,
                pinned_message_id: text(e.pinned_message_id)?,
                is_pinned: e.is_pinned,
                is_muted: e.is_muted,
                last_active_at: time(e.last_active_at)?,
                last_opened_at: time(e.last_opened_at)?,
                created_at: e.created_at,
                archived_at: time(e.archived_at)?,
            };
            let c = Arc::new(c);
            if !seen.insert(c.id.clone()) {
                return None;
            }
            conversations.push(c);
        }
        let mut queued = HashSet::new();
        let mut next_ids = Vec::with_capacity(file.next_ids.len());
        for id in file.next_ids {
            if !is_valid_id(&id) || seen.contains(id.as_str()) || !queued.insert(id.clone()) {
                return None;
            }
            next_ids.push(id.into_boxed_str());
        }
        Some(Fixtures {
            conversations,
            next_ids,
        })
    }
}

fn conversation(entry: &Value) -> Result<Conversation, FieldError> {
    let Value::Object(map) = entry else {
        return Err((
            None,
            format!("expected a conversation object, got {}", describe(entry)),
        ));
    };
    if let Some(key) = map.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err((
            None,
            format!(
                "unknown key '{key}' (a conversation has {})",
                KEYS.join(", ")
            ),
        ));
    }
    let id = match map.get("id") {
        Some(Value::String(id)) if is_valid_id(id) => id.as_str().into(),
        Some(other) => {
            return Err((
                Some("id"),
                format!(
                    "expected an ID of 1 to 255 characters from A-Z, a-z, 0-9, '_' and '-', got {}",
                    describe(other)
                ),
            ));
        }
        None => return Err((Some("id"), "required".to_owned())),
    };
    let created_at =
        timestamp(map, "created_at")?.ok_or((Some("created_at"), "required".into()))?;
    Ok(Conversation {
        id,
        contact_id: string(map, "contact_id")?,
        group_id: string(map, "group_id")?,
        pinned_message_id: string(map, "pinned_message_id")?,
        is_pinned: boolean(map, "is_pinned")?,
        is_muted: boolean(map, "is_muted")?,
        last_active_at: timestamp(map, "last_active_at")?,
        last_opened_at: timestamp(map, "last_opened_at")?,
        created_at,
        archived_at: timestamp(map, "archived_at")?,
    })
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
        for field in [
            "created_at",
            "last_active_at",
            "last_opened_at",
            "archived_at",
        ] {
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
}
