//! The store's trees keyed by ID: the ID index (ID → place) and the reference indexes
//! (named ID → the places of the records that name it).
//!
//! An ID of up to 16 bytes (every generated ID, and the documents') is packed into a `u128`
//! held in the tree's node, so finding it compares integers and follows no pointer: with a
//! million records a lookup walks some thirty keys, and a key that pointed to its ID on the
//! heap would cost a cache miss at each. A longer ID (an admin's queued or a fixture's own,
//! up to [`crate::ids::MAX_ID_LEN`]) goes into a tree of its own, kept on the heap.

use super::OrderKey;
use crate::resources::allocation;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, btree_set};
use std::ops::Bound::{self, Excluded, Included, Unbounded};

/// The most bytes an ID packed into a key holds.
const PACKED_LEN: usize = 16;

/// `id` as a key, when it fits: its bytes big-endian, zero-padded. No ID byte is zero, so
/// two IDs pack alike only if they are the same.
fn pack(id: &str) -> Option<u128> {
    let bytes = id.as_bytes();
    if bytes.len() > PACKED_LEN || bytes.contains(&0) {
        return None;
    }
    let mut packed = [0; PACKED_LEN];
    packed[..bytes.len()].copy_from_slice(bytes);
    Some(u128::from_be_bytes(packed))
}

/// What `id` takes in an index besides its entry: nothing when packed, its own allocation
/// otherwise.
pub fn heap_bytes(id: &str) -> usize {
    match pack(id) {
        Some(_) => 0,
        None => allocation(id.len()),
    }
}

/// Each record's place, by ID.
#[derive(Clone, Debug, Default)]
pub struct IdIndex {
    packed: BTreeMap<u128, OrderKey>,
    long: BTreeMap<Box<str>, OrderKey>,
}

impl IdIndex {
    /// The place of the record with this ID.
    pub fn get(&self, id: &str) -> Option<OrderKey> {
        match pack(id) {
            Some(key) => self.packed.get(&key),
            None => self.long.get(id),
        }
        .copied()
    }

    /// Records `id` at `place`; `false`, changing nothing, when `id` is there already.
    pub fn insert_new(&mut self, id: &str, place: OrderKey) -> bool {
        fn vacant<K: Ord>(entry: Entry<'_, K, OrderKey>, place: OrderKey) -> bool {
            let Entry::Vacant(vacant) = entry else {
                return false;
            };
            vacant.insert(place);
            true
        }
        match pack(id) {
            Some(key) => vacant(self.packed.entry(key), place),
            None => vacant(self.long.entry(id.into()), place),
        }
    }

    /// Forgets `id`, handing back its place.
    pub fn remove(&mut self, id: &str) -> Option<OrderKey> {
        match pack(id) {
            Some(key) => self.packed.remove(&key),
            None => self.long.remove(id),
        }
    }

    /// How many IDs it holds.
    pub fn len(&self) -> usize {
        self.packed.len() + self.long.len()
    }
}

/// For one reference field: the ID each record names, with the record's place.
#[derive(Clone, Debug, Default)]
pub struct References {
    packed: BTreeSet<(u128, OrderKey)>,
    long: BTreeSet<(Box<str>, OrderKey)>,
}

impl References {
    /// Records that the record at `place` names `id`.
    pub fn insert(&mut self, id: &str, place: OrderKey) {
        match pack(id) {
            Some(key) => self.packed.insert((key, place)),
            None => self.long.insert((id.into(), place)),
        };
    }

    /// Forgets that the record at `place` names `id`.
    pub fn remove(&mut self, id: &str, place: OrderKey) {
        match pack(id) {
            Some(key) => self.packed.remove(&(key, place)),
            None => self.long.remove(&(id.into(), place)),
        };
    }

    /// The places of the records naming `id` between `from` and `to`, in list order.
    pub fn places(&self, id: &str, from: Bound<OrderKey>, to: Bound<OrderKey>) -> Places<'_> {
        match pack(id) {
            Some(key) => Places::Packed(between(&self.packed, key, from, to)),
            None => Places::Long(between(&self.long, id.into(), from, to)),
        }
    }
}

/// The entries of `set` for `id` between the places `from` and `to`.
fn between<K: Ord + Clone>(
    set: &BTreeSet<(K, OrderKey)>,
    id: K,
    from: Bound<OrderKey>,
    to: Bound<OrderKey>,
) -> btree_set::Range<'_, (K, OrderKey)> {
    let at = |bound: Bound<OrderKey>, open: OrderKey| match bound {
        Included(place) => Included((id.clone(), place)),
        Excluded(place) => Excluded((id.clone(), place)),
        Unbounded => Included((id.clone(), open)),
    };
    set.range((at(from, OrderKey::FIRST), at(to, OrderKey::LAST)))
}

/// The places [`References::places`] finds.
pub enum Places<'a> {
    /// In the tree of packed IDs.
    Packed(btree_set::Range<'a, (u128, OrderKey)>),
    /// In the tree of longer IDs.
    Long(btree_set::Range<'a, (Box<str>, OrderKey)>),
}

impl Iterator for Places<'_> {
    type Item = OrderKey;

    fn next(&mut self) -> Option<OrderKey> {
        match self {
            Places::Packed(range) => range.next().map(|(_, place)| *place),
            Places::Long(range) => range.next().map(|(_, place)| *place),
        }
    }
}

impl DoubleEndedIterator for Places<'_> {
    fn next_back(&mut self) -> Option<OrderKey> {
        match self {
            Places::Packed(range) => range.next_back().map(|(_, place)| *place),
            Places::Long(range) => range.next_back().map(|(_, place)| *place),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_pack_apart_and_only_when_they_fit() {
        let ids = [
            "",
            "a",
            "a0",
            "a00",
            "A",
            "xgQQXg3hrtjh7AvZ",
            "xgQQXg3hrtjh7AvZ_",
            "-_",
        ];
        let packed: Vec<_> = ids.iter().map(|id| pack(id)).collect();
        for (i, a) in packed.iter().enumerate() {
            for (j, b) in packed.iter().enumerate() {
                if i != j && a.is_some() {
                    assert_ne!(a, b, "{} and {}", ids[i], ids[j]);
                }
            }
        }
        assert_eq!(pack("xgQQXg3hrtjh7AvZ_"), None);
        assert_eq!(pack("a\0"), None, "a zero byte would pack as padding");
        assert_eq!(heap_bytes("xgQQXg3hrtjh7AvZ"), 0);
        assert_eq!(heap_bytes("xgQQXg3hrtjh7AvZ_"), allocation(17));
    }

    #[test]
    fn short_and_long_ids_are_found_and_forgotten_alike() {
        let place = |n| OrderKey::at(0, n);
        let long = "a-long-id-of-more-than-sixteen-bytes";
        let mut index = IdIndex::default();
        for (n, id) in ["a", long, "b"].into_iter().enumerate() {
            assert!(index.insert_new(id, place(n as u64)));
            assert!(!index.insert_new(id, place(9)), "{id} twice");
        }
        assert_eq!(
            (index.get(long), index.get("b"), index.len()),
            (Some(place(1)), Some(place(2)), 3)
        );
        assert_eq!(index.remove(long), Some(place(1)));
        assert_eq!((index.get(long), index.len()), (None, 2));

        let mut refs = References::default();
        for (id, n) in [("g", 3), (long, 2), ("g", 1), (long, 0), ("h", 5)] {
            refs.insert(id, place(n));
        }
        let all = |refs: &References, id| refs.places(id, Unbounded, Unbounded).collect::<Vec<_>>();
        assert_eq!(all(&refs, "g"), [place(3), place(1)]);
        assert_eq!(all(&refs, long), [place(2), place(0)]);
        let after = refs
            .places("g", Excluded(place(3)), Unbounded)
            .collect::<Vec<_>>();
        assert_eq!(after, [place(1)]);
        let before = refs
            .places(long, Unbounded, Excluded(place(0)))
            .rev()
            .collect::<Vec<_>>();
        assert_eq!(before, [place(2)]);
        refs.remove(long, place(2));
        assert_eq!(all(&refs, long), [place(0)]);
    }
}
