//! The request journal: what clients sent and what they got, for tests to assert on.
//!
//! Bounded: it keeps the latest `--journal-limit` entries (default 1000) and drops the
//! oldest, so a long run cannot grow it without end. Request bodies are kept up to 64 KiB.

use crate::http::bearer;
use hyper::body::Bytes;
use hyper::header::HeaderValue;
use hyper::{Method, Uri};
use parking_lot::Mutex;
use serde::ser::{Serialize, SerializeStruct, Serializer};
use std::collections::VecDeque;
use std::sync::Arc;

/// How much of a request body an entry keeps.
pub const MAX_JOURNAL_BODY: usize = 64 * 1024;

/// One request as the server saw it, in compact owned copies (never the connection's own
/// buffers, which an entry would otherwise keep alive); its text is made when it is read.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The server clock's Unix time when the request arrived.
    pub time: i64,
    /// The method.
    pub method: Method,
    /// The path and query, as sent.
    pub target: Box<str>,
    /// The body, cut at [`MAX_JOURNAL_BODY`]; `None` when there was none.
    pub body: Option<Bytes>,
    /// Whether the body was longer than what is kept.
    pub body_cut: bool,
    /// The answer's status; `None` when no answer was sent.
    pub status: Option<u16>,
    /// The bearer token, if one was sent.
    pub token: Option<Box<str>>,
    /// How long the answer took, in milliseconds.
    pub duration_ms: f64,
}

impl Entry {
    /// A new entry, without its body and outcome yet.
    pub fn new(time: i64, method: Method, uri: &Uri, authorization: Option<&HeaderValue>) -> Self {
        Entry {
            time,
            method,
            target: uri
                .path_and_query()
                .map_or_else(|| uri.path(), |pq| pq.as_str())
                .into(),
            body: None,
            body_cut: false,
            status: None,
            token: authorization.and_then(bearer).map(String::into_boxed_str),
            duration_ms: 0.0,
        }
    }

    /// Keeps a copy of the body, cut at [`MAX_JOURNAL_BODY`] (a copy, so that the journal
    /// never holds on to a connection's buffers).
    pub fn set_body(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() {
            let kept = &bytes[..bytes.len().min(MAX_JOURNAL_BODY)];
            self.body = Some(Bytes::copy_from_slice(kept));
            self.body_cut = bytes.len() > MAX_JOURNAL_BODY;
        }
    }

    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(&self.target, |(path, _)| path)
    }

    /// The query, without the `?`, if there was one.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, query)| query)
    }
}

/// The admin API's form: `time, method, path, query, body, status, token, duration_ms`.
impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Entry", 8)?;
        s.serialize_field("time", &self.time)?;
        s.serialize_field("method", self.method.as_str())?;
        s.serialize_field("path", self.path())?;
        s.serialize_field("query", &self.query())?;
        let body = self.body.as_deref().map(|b| body_text(b, self.body_cut));
        s.serialize_field("body", &body)?;
        s.serialize_field("status", &self.status)?;
        s.serialize_field("token", &self.token)?;
        s.serialize_field("duration_ms", &self.duration_ms)?;
        s.end()
    }
}

/// The bounded journal.
#[derive(Debug)]
pub struct Journal {
    limit: usize,
    /// Shared entries, so that a read copies pointers, not bodies, under the lock.
    entries: Mutex<VecDeque<Arc<Entry>>>,
}

impl Journal {
    /// A journal that keeps at most `limit` entries (0 keeps none).
    pub fn new(limit: usize) -> Self {
        Journal {
            limit,
            entries: Mutex::new(VecDeque::with_capacity(limit.min(1024))),
        }
    }

    /// Whether it keeps anything at all (`--journal-limit 0` turns it off).
    pub fn is_on(&self) -> bool {
        self.limit > 0
    }

    /// Records an entry, dropping the oldest past the limit.
    pub fn record(&self, entry: Entry) {
        if self.limit == 0 {
            return;
        }
        let mut entries = self.entries.lock();
        while entries.len() >= self.limit {
            entries.pop_front();
        }
        entries.push_back(Arc::new(entry));
    }

    /// The entries `keep` accepts, oldest first.
    pub fn matching(&self, keep: impl Fn(&Entry) -> bool) -> Vec<Arc<Entry>> {
        self.entries
            .lock()
            .iter()
            .filter(|e| keep(e))
            .cloned()
            .collect()
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.entries.lock().clear();
    }
}

/// A kept body as text (invalid UTF-8 replaced), with `...` when it was cut.
fn body_text(bytes: &[u8], cut: bool) -> String {
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    if cut {
        // A cut through a multi-byte character shows as U+FFFD; that is fine for a log.
        text.push_str("...");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: i64) -> Entry {
        Entry::new(
            n,
            Method::GET,
            &Uri::from_static("/v1/conversations?limit=2"),
            None,
        )
    }

    #[test]
    fn the_journal_keeps_the_latest_entries_up_to_its_limit() {
        let j = Journal::new(3);
        for n in 0..10 {
            j.record(entry(n));
            assert!(j.len() <= 3);
        }
        let times: Vec<i64> = j.matching(|_| true).iter().map(|e| e.time).collect();
        assert_eq!(times, [7, 8, 9]);
        j.clear();
        assert!(j.is_empty());
        let off = Journal::new(0);
        off.record(entry(1));
        assert!(off.is_empty());
    }

    #[test]
    fn entries_read_as_the_admin_api_shows_them() {
        let mut e = Entry::new(
            5,
            Method::POST,
            &Uri::from_static("/v1/conversations?x=1"),
            Some(&HeaderValue::from_static("Bearer tok")),
        );
        e.set_body(b"contact_id=a");
        e.status = Some(201);
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"time": 5, "method": "POST", "path": "/v1/conversations",
                "query": "x=1", "body": "contact_id=a", "status": 201, "token": "tok",
                "duration_ms": 0.0})
        );
        let mut long = entry(1);
        long.set_body(&vec![b'x'; MAX_JOURNAL_BODY + 10]);
        let body = serde_json::to_value(&long).unwrap()["body"]
            .as_str()
            .unwrap()
            .len();
        assert_eq!(body, MAX_JOURNAL_BODY + 3);
    }
}
