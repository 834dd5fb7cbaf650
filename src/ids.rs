//! Conversation IDs: a queue of chosen IDs first, then seeded random ones.
//!
//! Generated IDs are 16 characters from `[A-Za-z0-9]`, drawn from ChaCha8 seeded with the
//! workspace's seed, so with `--seed N` they are a pure function of N and the order of
//! creates. The caller says which IDs are taken; an ID is never handed out twice.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The length of every generated ID, as in the documents.
pub const ID_LEN: usize = 16;

/// The most IDs the admin API lets a workspace's queue hold; a call that would pass it is
/// refused whole.
pub const MAX_QUEUED_IDS: usize = 10_000;

/// Hands out new conversation IDs.
#[derive(Debug)]
pub struct IdGen {
    queue: VecDeque<Arc<str>>,
    /// Queued IDs already handed out (as many as were ever queued, no more).
    issued: HashSet<Box<str>>,
    rng: ChaCha8Rng,
}

impl IdGen {
    /// A generator that first hands out `queue`, in order, then random IDs from `seed`.
    pub fn new(seed: u64, queue: impl IntoIterator<Item = Box<str>>) -> Self {
        IdGen {
            queue: queue.into_iter().map(Arc::from).collect(),
            issued: HashSet::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// The queued IDs, in the order they will be handed out.
    pub fn queue(&self) -> impl Iterator<Item = &str> {
        self.queue.iter().map(|id| &**id)
    }

    /// The queued IDs, shared: a reader copies pointers, not IDs.
    pub fn queue_shared(&self) -> Vec<Arc<str>> {
        self.queue.iter().cloned().collect()
    }

    /// How many IDs are queued.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// How many queued IDs were handed out (each is remembered, so that it never comes
    /// back).
    pub fn issued(&self) -> usize {
        self.issued.len()
    }

    /// Adds IDs to the end of the queue.
    pub fn enqueue(&mut self, ids: impl IntoIterator<Item = Box<str>>) {
        self.queue.extend(ids.into_iter().map(Arc::from));
    }

    /// Whether a queued ID was handed out already.
    pub fn was_issued(&self, id: &str) -> bool {
        self.issued.contains(id)
    }

    /// The next ID that `taken` does not claim. A queued ID that is taken, or that was
    /// handed out before, is skipped.
    pub fn next(&mut self, taken: impl Fn(&str) -> bool) -> Box<str> {
        while let Some(id) = self.queue.pop_front() {
            if !taken(&id) && !self.issued.contains(&*id) {
                let id: Box<str> = id.as_ref().into();
                self.issued.insert(id.clone());
                return id;
            }
        }
        loop {
            let id = self.random_id();
            if !taken(&id) && !self.issued.contains(&id) {
                return id;
            }
        }
    }

    fn random_id(&mut self) -> Box<str> {
        let bytes: Vec<u8> = (0..ID_LEN)
            .map(|_| ALPHABET[self.rng.random_range(0..ALPHABET.len())])
            .collect();
        String::from_utf8(bytes)
            .expect("the alphabet is ASCII")
            .into_boxed_str()
    }
}

/// The longest ID: of a fixture, a queued ID, or one a client sends for `contact_id`,
/// `group_id` or `pinned_message_id`.
pub const MAX_ID_LEN: usize = 255;

/// What an ID is, for messages: `1 to 255 characters from A-Z, a-z, 0-9, '_' and '-'`.
pub fn id_rule() -> String {
    format!("1 to {MAX_ID_LEN} characters from A-Z, a-z, 0-9, '_' and '-'")
}

/// Whether `id` can be an ID: non-empty, at most [`MAX_ID_LEN`] characters from
/// `[A-Za-z0-9_-]`, so that it fits in a URL path segment unescaped (and its length in
/// bytes is its length in characters).
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A seed for one token's workspace under `--isolate`: distinct tokens get distinct,
/// reproducible ID streams from one `--seed`.
pub fn workspace_seed(seed: u64, token: &str) -> u64 {
    // FNV-1a: stable across releases and platforms, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in token.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    seed ^ h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_16_alphanumerics_and_reproducible() {
        let mut a = IdGen::new(7, []);
        let mut b = IdGen::new(7, []);
        let xs: Vec<_> = (0..50).map(|_| a.next(|_| false)).collect();
        let ys: Vec<_> = (0..50).map(|_| b.next(|_| false)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|id| id.len() == ID_LEN && is_valid_id(id)));
        let mut c = IdGen::new(8, []);
        assert_ne!(xs[0], c.next(|_| false));
    }

    #[test]
    fn queued_ids_come_first_and_taken_ones_are_skipped() {
        let mut g = IdGen::new(1, ["one".into(), "two".into(), "three".into()]);
        assert_eq!(&*g.next(|_| false), "one");
        assert_eq!(&*g.next(|id| id == "two"), "three");
        let random = g.next(|_| false);
        assert_eq!(random.len(), ID_LEN);
    }

    #[test]
    fn id_validity() {
        assert!(is_valid_id("xgQQXg3hrtjh7AvZ"));
        assert!(is_valid_id("a_b-c"));
        for bad in ["", "a/b", "a b", "é", "a?b"] {
            assert!(!is_valid_id(bad), "{bad}");
        }
        assert!(!is_valid_id(&"a".repeat(256)));
    }

    #[test]
    fn workspace_seeds_differ_by_token() {
        assert_ne!(workspace_seed(1, "alice"), workspace_seed(1, "bob"));
        assert_eq!(workspace_seed(1, "alice"), workspace_seed(1, "alice"));
    }
}
