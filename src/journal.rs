//! The request journal: what clients sent and what they got, for tests to assert on.
//!
//! Bounded: it keeps the latest `--journal-limit` entries (default 1000), and at most
//! [`MAX_JOURNAL_BYTES`] of their bodies, targets and tokens, dropping the oldest, so a long
//! run cannot grow it without end. Each entry's body, target and token are cut at a bound.

use crate::exchange::Method;
use parking_lot::Mutex;
use serde::ser::{Serialize, SerializeStruct, Serializer};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::watch;

/// How much of a request body an entry keeps.
pub const MAX_JOURNAL_BODY: usize = 64 * 1024;
/// How much of a request's target (path and query) an entry keeps.
pub const MAX_JOURNAL_TARGET: usize = 8 * 1024;
/// How much of a bearer token an entry keeps.
pub const MAX_JOURNAL_TOKEN: usize = 256;
/// How much of an answer's error message an entry keeps.
pub const MAX_JOURNAL_ERROR: usize = 1024;
/// The most the journal keeps of bodies, targets and tokens in all (32 MiB); past it the
/// oldest entries are dropped, whatever `--journal-limit` allows.
pub const MAX_JOURNAL_BYTES: usize = 32 << 20;
/// What an entry costs besides its texts (its struct, the journal's pointer to it, the
/// allocator's share), counted against [`MAX_JOURNAL_BYTES`] so that the bound holds for a
/// raised `--journal-limit` of tiny requests too.
pub const JOURNAL_ENTRY_OVERHEAD: usize = 256;
/// What marks a kept text as cut.
const CUT_MARK: &str = "...";

/// One request as the server saw it, in compact owned copies (never the connection's own
/// buffers, which an entry would otherwise keep alive); its text is made when it is read.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The server clock's Unix time when the request arrived.
    pub time: i64,
    /// The method.
    pub method: Method,
    /// The path and query, as sent, cut at [`MAX_JOURNAL_TARGET`].
    pub target: Box<str>,
    /// Whether the target was longer than what is kept.
    pub target_cut: bool,
    /// The body, cut at [`MAX_JOURNAL_BODY`]; `None` when there was none.
    pub body: Option<Box<[u8]>>,
    /// Whether the body was longer than what is kept.
    pub body_cut: bool,
    /// The answer's status; `None` when no answer was sent.
    pub status: Option<u16>,
    /// Why the request was refused (the error body's first message), cut at
    /// [`MAX_JOURNAL_ERROR`]; `None` for an answer that was not an error.
    pub error: Option<Box<str>>,
    /// The bearer token, if one was sent, cut at [`MAX_JOURNAL_TOKEN`].
    pub token: Option<Box<str>>,
    /// Whether the token was longer than what is kept.
    pub token_cut: bool,
    /// A hash of the whole token, so that `?token=` tells apart long tokens that share
    /// their kept start (JWTs with the same claims, say).
    pub token_hash: u64,
    /// How long the answer took, in milliseconds.
    pub duration_ms: f64,
    /// The IDs of the events the request's change emitted (`GET /__admin/events`), the
    /// first [`MAX_JOURNAL_EVENTS`] of them.
    pub events: Vec<Box<str>>,
}

/// The most event IDs an entry keeps (a cascade may emit thousands).
pub const MAX_JOURNAL_EVENTS: usize = 100;

impl Entry {
    /// A new entry, without its body and outcome yet.
    /// `target` is the path and query as sent; `token` is the bearer token as the journal
    /// may show it (see `http::shown_token`).
    pub fn new(time: i64, method: Method, target: &str, token: Option<&str>) -> Self {
        let (target, target_cut) = cut(target, MAX_JOURNAL_TARGET);
        let whole_token_hash = token.map_or(0, hash);
        let (token, token_cut) = match token {
            Some(t) => {
                let (kept, was_cut) = cut(t, MAX_JOURNAL_TOKEN);
                (Some(kept.into()), was_cut)
            }
            None => (None, false),
        };
        Entry {
            time,
            method,
            target: target.into(),
            target_cut,
            body: None,
            body_cut: false,
            status: None,
            error: None,
            token,
            token_cut,
            token_hash: whole_token_hash,
            duration_ms: 0.0,
            events: Vec::new(),
        }
    }

    /// What the entry counts against [`MAX_JOURNAL_BYTES`]: its method (an extension
    /// method can be 64 KiB long), body, target, token and error message.
    pub fn kept_bytes(&self) -> usize {
        JOURNAL_ENTRY_OVERHEAD
            + self.method.as_str().len()
            + self.target.len()
            + self.body.as_ref().map_or(0, |b| b.len())
            + self.token.as_ref().map_or(0, |t| t.len())
            + self.error.as_ref().map_or(0, |e| e.len())
            + self.events.iter().map(|e| e.len() + 16).sum::<usize>()
    }

    /// Keeps the IDs of the events the request emitted, the first
    /// [`MAX_JOURNAL_EVENTS`].
    pub fn set_events(&mut self, mut events: Vec<Box<str>>) {
        events.truncate(MAX_JOURNAL_EVENTS);
        events.shrink_to_fit();
        self.events = events;
    }

    /// Whether the request carried this token (as the journal shows it, see
    /// `http::shown_token`); compared as kept, cut at [`MAX_JOURNAL_TOKEN`].
    pub fn sent_with(&self, shown: &str) -> bool {
        self.token.as_deref() == Some(cut(shown, MAX_JOURNAL_TOKEN).0)
            && self.token_hash == hash(shown)
    }

    /// Keeps why the request was refused, cut at [`MAX_JOURNAL_ERROR`].
    pub fn set_error(&mut self, message: &str) {
        let (kept, was_cut) = cut(message, MAX_JOURNAL_ERROR);
        self.error = Some(marked(kept.into(), was_cut).into());
    }

    /// Keeps a copy of the body, cut at [`MAX_JOURNAL_BODY`] (a copy, so that the journal
    /// never holds on to a connection's buffers).
    pub fn set_body(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() {
            let kept = &bytes[..bytes.len().min(MAX_JOURNAL_BODY)];
            self.body = Some(kept.into());
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

/// The admin API's form: `time, method, path, query, body, status, error, token,
/// duration_ms`.
impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Entry", 10)?;
        s.serialize_field("time", &self.time)?;
        s.serialize_field("method", self.method.as_str())?;
        // A cut target is marked at its end: on the query when there is one, else the path.
        let query = self.query();
        let path_cut = self.target_cut && query.is_none();
        s.serialize_field("path", &marked(self.path().into(), path_cut))?;
        let query = query.map(|q| marked(q.into(), self.target_cut));
        s.serialize_field("query", &query)?;
        let body = self
            .body
            .as_deref()
            .map(|b| marked(String::from_utf8_lossy(b), self.body_cut));
        s.serialize_field("body", &body)?;
        s.serialize_field("status", &self.status)?;
        s.serialize_field("error", &self.error)?;
        let token = self
            .token
            .as_deref()
            .map(|t| marked(t.into(), self.token_cut));
        s.serialize_field("token", &token)?;
        s.serialize_field("duration_ms", &self.duration_ms)?;
        s.serialize_field("events", &self.events)?;
        s.end()
    }
}

/// The bounded journal.
#[derive(Debug)]
pub struct Journal {
    limit: usize,
    kept: Mutex<Kept>,
    /// How many entries were ever recorded and how many times it was cleared, for those
    /// who follow the journal live (`journal_live`): they read the entries themselves from
    /// the journal, so that following it holds no entry the journal has dropped.
    live: watch::Sender<Marks>,
}

/// Where the journal is: how many entries were ever recorded, how many clears there were.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Marks {
    /// Entries ever recorded.
    pub recorded: u64,
    /// Clears ever done.
    pub clears: u64,
}

/// What a live follower gets when it catches up ([`Journal::since`]).
#[derive(Debug, Default)]
pub struct Catch {
    /// The journal was cleared since the follower's last read.
    pub cleared: bool,
    /// Entries recorded since then that the journal dropped before the follower read them.
    pub lost: u64,
    /// The entries recorded since, oldest first, that `keep` takes.
    pub entries: Vec<Arc<Entry>>,
}

/// The entries, and what they count against [`MAX_JOURNAL_BYTES`].
#[derive(Debug, Default)]
struct Kept {
    /// Shared entries, so that a read copies pointers, not bodies, under the lock.
    entries: VecDeque<Arc<Entry>>,
    bytes: usize,
    /// Where it is, as its followers see it (a copy of what `live` holds, under the lock).
    marks: Marks,
    /// How many entries were ever recorded when it was last cleared.
    cleared_at: u64,
}

impl Journal {
    /// A journal that keeps at most `limit` entries (0 keeps none).
    pub fn new(limit: usize) -> Self {
        Journal {
            limit,
            kept: Mutex::new(Kept {
                entries: VecDeque::with_capacity(limit.min(1024)),
                ..Kept::default()
            }),
            live: watch::Sender::new(Marks::default()),
        }
    }

    /// Whether it keeps anything at all (`--journal-limit 0` turns it off).
    pub fn is_on(&self) -> bool {
        self.limit > 0
    }

    /// Records an entry, dropping the oldest past either bound. An entry is far smaller
    /// than [`MAX_JOURNAL_BYTES`], so the newest is always kept.
    pub fn record(&self, entry: Entry) {
        if self.limit == 0 {
            return;
        }
        let entry = Arc::new(entry);
        let mut dropped = Vec::new();
        {
            let mut kept = self.kept.lock();
            kept.bytes += entry.kept_bytes();
            kept.entries.push_back(entry);
            kept.marks.recorded += 1;
            // Without followers this is a count of receivers and nothing else.
            if self.live.receiver_count() > 0 {
                self.live.send_replace(kept.marks);
            }
            while kept.entries.len() > self.limit || kept.bytes > MAX_JOURNAL_BYTES {
                let Some(old) = kept.entries.pop_front() else {
                    break;
                };
                kept.bytes -= old.kept_bytes();
                dropped.push(old);
            }
        }
        // Freed after the lock is released.
        drop(dropped);
    }

    /// The entries `keep` accepts, oldest first.
    pub fn matching(&self, keep: impl Fn(&Entry) -> bool) -> Vec<Arc<Entry>> {
        self.kept
            .lock()
            .entries
            .iter()
            .filter(|e| keep(e))
            .cloned()
            .collect()
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.kept.lock().entries.len()
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A follower's first read: the entries `keep` accepts, oldest first; where the journal
    /// is (to read on from with [`Journal::since`]); and what tells it when that moves.
    pub fn follow(
        &self,
        keep: impl Fn(&Entry) -> bool,
    ) -> (Vec<Arc<Entry>>, Marks, watch::Receiver<Marks>) {
        let kept = self.kept.lock();
        let changes = self.live.subscribe();
        let held = kept.entries.iter().filter(|e| keep(e)).cloned().collect();
        (held, kept.marks, changes)
    }

    /// What was recorded and cleared after `at`, which moves to where the journal is now.
    pub fn since(&self, at: &mut Marks, keep: impl Fn(&Entry) -> bool) -> Catch {
        let kept = self.kept.lock();
        let mut catch = Catch::default();
        let mut from = at.recorded;
        if kept.marks.clears != at.clears {
            catch.cleared = true;
            from = from.max(kept.cleared_at);
        }
        let first = kept.marks.recorded - kept.entries.len() as u64;
        catch.lost = first.saturating_sub(from);
        let skip = usize::try_from(from.saturating_sub(first)).unwrap_or(usize::MAX);
        catch.entries = kept
            .entries
            .iter()
            .skip(skip)
            .filter(|e| keep(e))
            .cloned()
            .collect();
        *at = kept.marks;
        catch
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        let old = {
            let mut kept = self.kept.lock();
            let entries = std::mem::take(&mut kept.entries);
            kept.bytes = 0;
            kept.marks.clears += 1;
            kept.cleared_at = kept.marks.recorded;
            self.live.send_replace(kept.marks);
            entries
        };
        drop(old);
    }
}

/// A token's hash, the same for the same text within a process.
fn hash(text: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(text)
}

/// `text` cut at `max` bytes (at a character boundary), and whether it was cut.
fn cut(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let end = (0..=max)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    (&text[..end], true)
}

/// A kept text, with [`CUT_MARK`] when it was cut. (A body cut through a multi-byte
/// character shows U+FFFD before the mark; that is fine for a log.)
fn marked(text: Cow<'_, str>, was_cut: bool) -> Cow<'_, str> {
    if was_cut {
        Cow::Owned(text.into_owned() + CUT_MARK)
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: i64) -> Entry {
        Entry::new(n, Method::Get, "/v1/conversations?limit=2", None)
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
        let mut e = Entry::new(5, Method::Post, "/v1/conversations?x=1", Some("tok"));
        e.set_body(b"contact_id=a");
        e.status = Some(201);
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"time": 5, "method": "POST", "path": "/v1/conversations",
                "query": "x=1", "body": "contact_id=a", "status": 201, "error": null, "token": "tok",
                "duration_ms": 0.0, "events": []})
        );
        let mut long = entry(1);
        long.set_body(&vec![b'x'; MAX_JOURNAL_BODY + 10]);
        let body = serde_json::to_value(&long).unwrap()["body"]
            .as_str()
            .unwrap()
            .len();
        assert_eq!(body, MAX_JOURNAL_BODY + 3);
    }

    #[test]
    fn the_streamed_listing_is_what_serde_writes_for_the_whole_answer() {
        #[derive(serde::Serialize)]
        struct Requests<'a> {
            requests: Vec<&'a Entry>,
        }
        let mut odd = entry(2);
        odd.set_body(b"line\nbreak \x01\"quoted\" \xff");
        odd.token = Some("tok".into());
        odd.status = Some(201);
        odd.duration_ms = 1.25;
        for entries in [vec![], vec![entry(1)], vec![entry(1), odd, entry(3)]] {
            let entries: Vec<Arc<Entry>> = entries.into_iter().map(Arc::new).collect();
            for compact in [false, true] {
                let whole = crate::model::to_body(
                    &Requests {
                        requests: entries.iter().map(|e| &**e).collect(),
                    },
                    compact,
                );
                let pieces: Vec<Vec<u8>> =
                    crate::listing::Listing::new("requests", entries.clone(), compact).collect();
                assert_eq!(
                    pieces.len(),
                    entries.len().max(1) + usize::from(!entries.is_empty())
                );
                assert!(pieces.iter().all(|p| !p.is_empty()));
                assert_eq!(
                    String::from_utf8(pieces.concat()).unwrap(),
                    String::from_utf8(whole).unwrap()
                );
            }
        }
    }

    #[test]
    fn long_targets_and_tokens_are_cut_and_marked_where_they_end() {
        let long_query = format!("/v1/conversations?q={}", "é".repeat(MAX_JOURNAL_TARGET));
        let uri = long_query.replace('é', "%C3%A9");
        let token = "t".repeat(1000);
        let e = Entry::new(1, Method::Get, &uri, Some(&token));
        assert!(e.target.len() <= MAX_JOURNAL_TARGET && e.target_cut && e.token_cut);
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["path"], "/v1/conversations");
        let query = json["query"].as_str().unwrap();
        assert!(
            query.starts_with("q=%C3%A9") && query.ends_with("..."),
            "{query}"
        );
        assert_eq!(
            json["token"],
            format!("{}...", "t".repeat(MAX_JOURNAL_TOKEN))
        );
        assert_eq!(
            e.kept_bytes(),
            JOURNAL_ENTRY_OVERHEAD + "GET".len() + MAX_JOURNAL_TARGET + MAX_JOURNAL_TOKEN,
            "an ASCII target is cut exactly at the bound"
        );
        let long_method = Method::from_name(&"M".repeat(60_000));
        let odd = Entry::new(1, long_method, "/", None);
        assert_eq!(
            odd.kept_bytes(),
            JOURNAL_ENTRY_OVERHEAD + 60_001,
            "a long method counts too"
        );
        // So many tiny entries that their texts are nothing still meet the bound.
        let j = Journal::new(usize::MAX);
        let tiny = || Entry::new(1, Method::Get, "/", None);
        let fits = MAX_JOURNAL_BYTES / tiny().kept_bytes();
        for _ in 0..fits + 5 {
            j.record(tiny());
        }
        assert_eq!(j.len(), fits);

        let long_path = format!("/{}", "p".repeat(MAX_JOURNAL_TARGET));
        let json = serde_json::to_value(Entry::new(1, Method::Get, &long_path, None)).unwrap();
        assert!(json["path"].as_str().unwrap().ends_with("p..."));
        assert_eq!(json["query"], serde_json::Value::Null);
        assert_eq!(cut("aé", 2), ("a", true));
    }

    #[test]
    fn the_journal_drops_the_oldest_past_its_bound_in_bytes() {
        let j = Journal::new(usize::MAX);
        let per_entry = JOURNAL_ENTRY_OVERHEAD
            + "GET".len()
            + MAX_JOURNAL_BODY
            + "/v1/conversations?limit=2".len();
        let fits = MAX_JOURNAL_BYTES / per_entry;
        for n in 0..fits as i64 + 10 {
            let mut e = entry(n);
            e.set_body(&vec![b'x'; MAX_JOURNAL_BODY]);
            j.record(e);
        }
        let times: Vec<i64> = j.matching(|_| true).iter().map(|e| e.time).collect();
        assert_eq!(times.len(), fits);
        assert_eq!(times.last(), Some(&(fits as i64 + 9)), "the newest is kept");
        assert_eq!(j.kept.lock().bytes, fits * per_entry);
        j.clear();
        assert_eq!(j.kept.lock().bytes, 0);
    }
}
