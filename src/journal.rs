//! The request journal: what clients sent and what they got, for tests to assert on.
//!
//! Bounded: it keeps the latest `--journal-limit` entries (default 1000) and drops the
//! oldest, so a long run cannot grow it without end. Request bodies are kept up to 64 KiB.

use parking_lot::Mutex;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Arc;

/// How much of a request body an entry keeps.
pub const MAX_JOURNAL_BODY: usize = 64 * 1024;

/// One request as the server saw it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    /// The server clock's Unix time when the request arrived.
    pub time: i64,
    /// The method.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, without the `?`; `null` when there was none.
    pub query: Option<String>,
    /// The body as text (invalid UTF-8 replaced), cut at 64 KiB; `null` when none was read.
    pub body: Option<String>,
    /// The answer's status; `null` when the connection was dropped by a fault.
    pub status: Option<u16>,
    /// The bearer token sent, if any.
    pub token: Option<String>,
    /// How long the answer took, in milliseconds.
    pub duration_ms: f64,
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

/// A request body as a journal keeps it: text, cut at [`MAX_JOURNAL_BODY`] bytes on a
/// character boundary.
pub fn body_text(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(MAX_JOURNAL_BODY)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if bytes.len() > MAX_JOURNAL_BODY {
        // A cut through a multi-byte character shows as U+FFFD; that is fine for a log.
        text.push_str("...");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: i64) -> Entry {
        Entry {
            time: n,
            method: "GET".into(),
            path: "/v1/conversations".into(),
            query: None,
            body: None,
            status: Some(200),
            token: None,
            duration_ms: 0.1,
        }
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
    fn long_bodies_are_cut() {
        assert_eq!(body_text(b"a=1"), "a=1");
        let long = vec![b'x'; MAX_JOURNAL_BODY + 10];
        assert_eq!(body_text(&long).len(), MAX_JOURNAL_BODY + 3);
    }
}
