//! A JSON answer `{"KEY": [item, ...]}` written one item at a time, as the client reads it.
//!
//! Admin answers list what the server holds — journal entries, a workspace's conversations,
//! fault rules, queued IDs — and each can be tens of MiB once written (control bytes are
//! written as six). A [`Listing`] holds the items as shared pointers, taken under their
//! lock, and writes each only when asked for the next piece, so that a client that reads
//! slowly, or not at all, costs one item's text, not the whole answer.

use crate::json::{item_lead, list_close};
use serde::Serialize;
use std::sync::{Arc, Weak};

/// Items to list that a slow reader must not keep alive: each is taken, when its turn comes,
/// only if its owner still holds it (a journal entry dropped meanwhile, a deleted
/// conversation, is left out), so a reader that never reads costs a pointer per item, not
/// the items the server has let go.
pub fn while_held<T>(items: Vec<Arc<T>>) -> impl Iterator<Item = Arc<T>> + Send
where
    T: Send + Sync,
{
    let weak: Vec<Weak<T>> = items.iter().map(Arc::downgrade).collect();
    drop(items);
    weak.into_iter().filter_map(|w| w.upgrade())
}

/// The pieces of `{"KEY": [item, ...]}`, byte for byte what `model::to_body` writes for the
/// same value, pretty (the documents' layout) or compact.
pub struct Listing<I> {
    key: &'static str,
    items: I,
    compact: bool,
    started: bool,
    written: usize,
    done: bool,
}

impl<I: Iterator> Listing<I> {
    /// The answer listing `items` under `key`, in their order.
    pub fn new(key: &'static str, items: impl IntoIterator<IntoIter = I>, compact: bool) -> Self {
        Listing {
            key,
            items: items.into_iter(),
            compact,
            started: false,
            written: 0,
            done: false,
        }
    }
}

impl<I> Iterator for Listing<I>
where
    I: Iterator,
    I::Item: Serialize,
{
    type Item = Vec<u8>;

    /// The next piece: the opening with the first item, each further item, then the close.
    /// Never empty.
    fn next(&mut self) -> Option<Vec<u8>> {
        if self.done {
            return None;
        }
        let mut out = Vec::with_capacity(512);
        if !self.started {
            self.started = true;
            let open = if self.compact {
                format!("{{\"{}\":[", self.key)
            } else {
                format!("{{\n  \"{}\": [", self.key)
            };
            out.extend_from_slice(open.as_bytes());
        }
        let Some(item) = self.items.next() else {
            self.done = true;
            out.extend_from_slice(list_close(self.compact, self.written));
            return Some(out);
        };
        out.extend_from_slice(item_lead(self.compact, self.written));
        let written = if self.compact {
            serde_json::to_writer(&mut out, &item)
        } else {
            // Two levels down: four more spaces after each line break (a string's own line
            // breaks are escaped, so every raw one is the layout's).
            serde_json::to_writer_pretty(Indented(&mut out), &item)
        };
        written.expect("an item is plain strings, numbers and lists, written into a Vec");
        self.written += 1;
        Some(out)
    }
}

/// Writes into a buffer, indenting each new line by four spaces.
struct Indented<'a>(&'a mut Vec<u8>);

impl std::io::Write for Indented<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for line in buf.split_inclusive(|b| *b == b'\n') {
            self.0.extend_from_slice(line);
            if line.ends_with(b"\n") {
                self.0.extend_from_slice(b"    ");
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::to_body;
    use serde_json::json;

    #[test]
    fn the_pieces_are_what_the_whole_answer_would_be() {
        let lists = [
            json!([]),
            json!([{"a": 1}]),
            json!([{"a": "x\ny", "b": [1, 2], "c": null}, {"d": {"e": []}}, "s", 3]),
            json!(["\u{1}\u{2}", "é"]),
        ];
        for items in lists {
            for compact in [false, true] {
                let whole = to_body(&json!({ "things": items }), compact);
                let items = items.as_array().unwrap().clone();
                let pieces: Vec<Vec<u8>> = Listing::new("things", items.clone(), compact).collect();
                assert_eq!(
                    pieces.len(),
                    items.len().max(1) + usize::from(!items.is_empty())
                );
                assert!(pieces.iter().all(|p| !p.is_empty()));
                assert_eq!(
                    String::from_utf8(pieces.concat()).unwrap(),
                    String::from_utf8(whole).unwrap(),
                    "compact {compact}"
                );
            }
        }
    }

    #[test]
    fn items_let_go_before_their_turn_are_left_out() {
        let kept = Arc::new(1);
        let let_go = Arc::new(2);
        let mut pieces = Listing::new(
            "n",
            while_held(vec![Arc::clone(&kept), Arc::clone(&let_go)]),
            true,
        );
        assert_eq!(pieces.next().unwrap(), b"{\"n\":[1");
        drop(let_go);
        assert_eq!(pieces.collect::<Vec<_>>().concat(), b"]}\n");
    }
}
