//! The memtable's point-lookup index: for each user key, the node of its
//! newest entry, found by the key's hash instead of down the skiplist.

/// A node of the memtable's arena, as the memtable names it.
pub(super) type NodeId = u64;

/// "No node": an empty slot.
const EMPTY: NodeId = u64::MAX;

/// Slots before the first growth.
const INITIAL_SLOTS: usize = 64;

/// User key hash -> node of the key's newest entry. A lookup reads one or
/// two slots (a cache line or two) where the skiplist search follows a
/// dozen links to nodes scattered over the arena; a key that is absent is
/// usually settled without touching a node at all.
///
/// Open addressing with linear probing, at most half full. A slot keeps the
/// key's whole 64-bit hash, so a probe touches a node only when the hashes
/// are equal; the caller's `is_key` then compares the keys themselves.
#[derive(Default)]
pub(super) struct KeyIndex {
    /// `(hash, node)`; `node == EMPTY` for a free slot. Empty or a power of
    /// two long.
    slots: Vec<(u64, NodeId)>,
    /// Slots in use.
    len: usize,
}

impl KeyIndex {
    /// The node recorded for the key of `hash` for which `is_key` holds.
    pub(super) fn find(&self, hash: u64, is_key: impl Fn(NodeId) -> bool) -> Option<NodeId> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let (h, node) = self.slots[i];
            if node == EMPTY {
                return None;
            }
            if h == hash && is_key(node) {
                return Some(node);
            }
            i = (i + 1) & mask;
        }
    }

    /// Records `node` for the key of `hash` (`is_key` says which recorded
    /// node has that key), replacing what was recorded for it.
    pub(super) fn set(&mut self, hash: u64, node: NodeId, is_key: impl Fn(NodeId) -> bool) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let (h, held) = self.slots[i];
            if held == EMPTY {
                self.slots[i] = (hash, node);
                self.len += 1;
                return;
            }
            if h == hash && is_key(held) {
                self.slots[i].1 = node;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Keys recorded.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Doubles the slots, placing every record again by its stored hash
    /// (no node is read).
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(INITIAL_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![(0, EMPTY); size]);
        let mask = size - 1;
        for (hash, node) in old.into_iter().filter(|&(_, n)| n != EMPTY) {
            let mut i = hash as usize & mask;
            while self.slots[i].1 != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = (hash, node);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Keys by node, as the memtable's nodes would hold them.
    struct Nodes(HashMap<NodeId, &'static str>);

    impl Nodes {
        fn is(&self, key: &'static str) -> impl Fn(NodeId) -> bool + '_ {
            move |n| self.0[&n] == key
        }
    }

    /// Different keys with the same hash (and with hashes equal below the
    /// slot mask) keep their own records, through growth; setting a key
    /// again replaces its node and adds no record.
    #[test]
    fn colliding_keys_keep_their_own_records() {
        let mut nodes = Nodes(HashMap::new());
        let mut index = KeyIndex::default();
        // (key, hash): "a" and "b" collide fully, "c" in the low bits only.
        let keys = [("a", 7u64), ("b", 7), ("c", 7 + (1 << 40)), ("d", 8)];
        for (n, &(k, h)) in keys.iter().enumerate() {
            nodes.0.insert(n as NodeId, k);
            index.set(h, n as NodeId, nodes.is(k));
        }
        for (n, &(k, h)) in keys.iter().enumerate() {
            assert_eq!(index.find(h, nodes.is(k)), Some(n as NodeId), "{k}");
        }
        assert_eq!(index.find(7, nodes.is("d")), None, "d is not at hash 7");
        assert_eq!(index.find(9, nodes.is("d")), None);
        nodes.0.insert(100, "b");
        index.set(7, 100, nodes.is("b"));
        assert_eq!(index.find(7, nodes.is("b")), Some(100));
        assert_eq!(index.find(7, nodes.is("a")), Some(0));
        assert_eq!(index.len(), 4);
        // Enough keys to grow several times, every one with the hash of "a"
        // in its low bits: all in one probe chain.
        let mut many = KeyIndex::default();
        let names: Vec<&'static str> = (0..300)
            .map(|i| &*Box::leak(format!("k{i}").into_boxed_str()))
            .collect();
        let mut by_node = Nodes(HashMap::new());
        for (n, &k) in names.iter().enumerate() {
            by_node.0.insert(n as NodeId, k);
            many.set(((n as u64) << 32) | 7, n as NodeId, by_node.is(k));
        }
        for (n, &k) in names.iter().enumerate() {
            let h = ((n as u64) << 32) | 7;
            assert_eq!(many.find(h, by_node.is(k)), Some(n as NodeId), "{k}");
        }
        assert_eq!(many.len(), 300);
        assert!(many.slots.len() >= 600, "at most half full");
    }
}
