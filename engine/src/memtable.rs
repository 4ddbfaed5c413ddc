//! The in-memory write buffer: every write lands here (after the WAL) until
//! the table reaches `write_buffer_size` and is flushed to an L0 SSTable.

use std::cmp::Ordering;

use crate::key::{self, SeqNo, ValueKind};
use crate::options::Options;
use crate::range_del::{FragmentedTombstones, RangeTombstone};
use crate::write_buffer_accounting::{arena_block_bytes, ArenaCharge, WriteBufferAccounting};
use std::sync::OnceLock;

mod key_index;

use key_index::KeyIndex;

/// Bookkeeping bytes charged per entry, so tiny entries still fill a buffer.
const ENTRY_OVERHEAD: u64 = 16;

/// Bytes per arena chunk; an entry larger than this gets a chunk of its own.
const CHUNK_BYTES: usize = 64 * 1024;

/// Levels of the skiplist: with branching 4, enough for 4^12 = 16M entries
/// per memtable before searches slow down.
const MAX_HEIGHT: usize = 12;

/// A node: its arena chunk in the high 32 bits, its offset there in the low.
type NodeId = key_index::NodeId;

/// "No node": the end of a list.
const NIL: NodeId = u64::MAX;

/// Bytes of a node's header: the internal key's length and the value's
/// (u32 LE each) and the tower's height (one byte). The tower of `height`
/// next-node ids (u64 LE, level 0 first) follows, then `internal key ++
/// value`.
const NODE_HEADER: usize = 9;
/// Bytes of one link of a tower.
const LINK: usize = 8;

/// A sorted buffer of internal entries: a skiplist whose nodes live in an
/// append-only arena of large chunks, each node's tower of links and its
/// entry together (RocksDB's `InlineSkipList`), so an insert allocates
/// nothing per entry and a step of a search touches one node's memory.
///
/// Single writer: `add` takes `&mut self`; a shared `&Memtable` (an
/// immutable memtable behind an `Arc`) is read from many threads.
pub struct Memtable {
    /// Nodes back to back (see [`NODE_HEADER`]). A node is named by its
    /// chunk and offset, so a chunk may grow without invalidating it.
    chunks: Vec<Vec<u8>>,
    /// Entries linked (a replaced entry counts once).
    count: usize,
    /// Changes with every link written, so that a position searched before
    /// another insert is searched again.
    links_written: u64,
    /// The head's tower.
    head: [NodeId; MAX_HEIGHT],
    /// Levels in use (1..=MAX_HEIGHT).
    height: usize,
    /// INVARIANT: for every user key linked, the first node of its entries
    /// in skiplist order (its newest version), by the key's
    /// [`hash64`](crate::sst::bloom::hash64).
    index: KeyIndex,
    /// State of the xorshift generator that draws tower heights; fixed seed,
    /// so the shape (not only the contents) is the same on every run.
    rng: u64,
    /// INVARIANT: the sum of internal key and value lengths plus a fixed
    /// per-entry overhead, over every `add`.
    approximate_bytes: u64,
    /// RocksDB's arena, charged alongside when the memtable is full by
    /// RocksDB's rule (`write_buffer_accounting = rocksdb`); `None`: full at
    /// `approximate_bytes`.
    arena: Option<ArenaCharge>,
    /// Range tombstones, in the order written (apart from the skiplist: a
    /// range is not a point in it).
    range_dels: Vec<RangeTombstone>,
    /// `range_dels` fragmented, built by the first read after a change.
    fragmented: OnceLock<FragmentedTombstones>,
}

impl Default for Memtable {
    fn default() -> Self {
        Memtable {
            chunks: Vec::new(),
            count: 0,
            links_written: 0,
            head: [NIL; MAX_HEIGHT],
            height: 1,
            index: KeyIndex::default(),
            rng: 0x9E37_79B9_7F4A_7C15,
            approximate_bytes: 0,
            arena: None,
            range_dels: Vec::new(),
            fragmented: OnceLock::new(),
        }
    }
}

impl std::fmt::Debug for Memtable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memtable")
            .field("entries", &self.count)
            .field("approximate_bytes", &self.approximate_bytes)
            .field("charged_bytes", &self.charged_bytes())
            .finish()
    }
}

/// The internal key of node `n` of the arena `chunks`.
#[inline]
fn node_key(chunks: &[Vec<u8>], n: NodeId) -> &[u8] {
    let bytes = &chunks[(n >> 32) as usize];
    let at = n as u32 as usize;
    let (key_len, _, height) = Memtable::header(bytes, at);
    let start = at + NODE_HEADER + height * LINK;
    &bytes[start..start + key_len]
}

/// The user key of node `n` of the arena `chunks`.
fn node_user_key(chunks: &[Vec<u8>], n: NodeId) -> &[u8] {
    key::user_key(node_key(chunks, n))
}

/// Where an entry is to be linked (see [`Memtable::insert_position`]).
#[derive(Debug, Clone, Copy)]
pub struct InsertPosition {
    /// Per level, the last node ordering before the entry (`NIL`: the head).
    prev: [NodeId; MAX_HEIGHT],
    /// The memtable's shape when searched.
    stamp: (u64, usize),
}

/// The newest version of a key visible at some sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemEntry {
    pub seq: SeqNo,
    pub kind: ValueKind,
    /// The stored value (for `ValueWithExpiry`, with its expiry prefix).
    pub value: Vec<u8>,
}

impl Memtable {
    /// An empty memtable, full when its entry bytes reach the write buffer
    /// size (`write_buffer_accounting = entries`).
    pub fn new() -> Self {
        Memtable::default()
    }

    /// An empty memtable that charges its memory, and is full, as
    /// `o.write_buffer_accounting` says.
    pub fn for_options(o: &Options) -> Self {
        let arena = match o.write_buffer_accounting {
            WriteBufferAccounting::Entries => None,
            WriteBufferAccounting::RocksDb => Some(ArenaCharge::new(arena_block_bytes(
                o.write_buffer_size,
                o.arena_block_size,
            ))),
        };
        Memtable {
            arena,
            ..Memtable::default()
        }
    }

    fn charge_arena(&mut self, key_len: usize, value_len: usize, height: usize) {
        if let Some(a) = self.arena.as_mut() {
            a.add_entry(key_len, value_len, height);
        }
    }

    /// The chunk and offset of node `n`'s header.
    #[inline]
    fn node(&self, n: NodeId) -> (&[u8], usize) {
        (&self.chunks[(n >> 32) as usize], n as u32 as usize)
    }

    /// The header of the node at `at`: key length, value length, height.
    #[inline]
    fn header(bytes: &[u8], at: usize) -> (usize, usize, usize) {
        let h = &bytes[at..at + NODE_HEADER];
        let key_len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        let value_len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
        (key_len, value_len, usize::from(h[8]))
    }

    fn entry(&self, n: NodeId) -> (&[u8], &[u8]) {
        let (bytes, at) = self.node(n);
        let (key_len, value_len, height) = Self::header(bytes, at);
        let start = at + NODE_HEADER + height * LINK;
        let entry = &bytes[start..start + key_len + value_len];
        entry.split_at(key_len)
    }

    #[inline]
    fn key_of(&self, n: NodeId) -> &[u8] {
        node_key(&self.chunks, n)
    }

    fn link_at(n: NodeId, level: usize) -> usize {
        n as u32 as usize + NODE_HEADER + level * LINK
    }

    /// The node after `n` (`NIL`: the head) at `level`.
    #[inline]
    fn next_of(&self, n: NodeId, level: usize) -> NodeId {
        if n == NIL {
            self.head[level]
        } else {
            let (bytes, _) = self.node(n);
            let at = Self::link_at(n, level);
            u64::from_le_bytes(bytes[at..at + LINK].try_into().expect("a link"))
        }
    }

    fn set_next(&mut self, n: NodeId, level: usize, to: NodeId) {
        self.links_written += 1;
        if n == NIL {
            self.head[level] = to;
        } else {
            let at = Self::link_at(n, level);
            let bytes = &mut self.chunks[(n >> 32) as usize];
            bytes[at..at + LINK].copy_from_slice(&to.to_le_bytes());
        }
    }

    /// For every level, the last node whose key orders before the target
    /// (`NIL`: the head); `before(key)` says whether a key does.
    fn predecessors(&self, before: impl Fn(&[u8]) -> bool) -> [NodeId; MAX_HEIGHT] {
        let mut prev = [NIL; MAX_HEIGHT];
        let mut at = NIL;
        for level in (0..self.height).rev() {
            loop {
                let next = self.next_of(at, level);
                if next != NIL && before(self.key_of(next)) {
                    at = next;
                } else {
                    break;
                }
            }
            prev[level] = at;
        }
        prev
    }

    /// The first node whose key is not before the target (`NIL`: none).
    fn lower_bound(&self, before: impl Fn(&[u8]) -> bool) -> NodeId {
        let prev = self.predecessors(before);
        self.next_of(prev[0], 0)
    }

    fn random_height(&mut self) -> usize {
        let mut height = 1;
        while height < MAX_HEIGHT {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            if self.rng & 3 != 0 {
                break;
            }
            height += 1;
        }
        height
    }

    /// Appends a node of `height` with unlinked tower (every link `NIL`)
    /// for `internal key ++ value` to the arena; returns its id.
    fn new_node(
        &mut self,
        height: usize,
        user_key: &[u8],
        seq: SeqNo,
        kind: ValueKind,
        value: &[u8],
    ) -> NodeId {
        let key_len = user_key.len() + key::TRAILER_LEN;
        let need = NODE_HEADER + height * LINK + key_len + value.len();
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= need);
        if !fits {
            self.chunks.push(Vec::with_capacity(need.max(CHUNK_BYTES)));
        }
        let chunk_index = self.chunks.len() - 1;
        let chunk = &mut self.chunks[chunk_index];
        let offset = chunk.len();
        let key_len = u32::try_from(key_len).expect("keys are under 4 GiB");
        let value_len = u32::try_from(value.len()).expect("values are under 4 GiB");
        chunk.extend_from_slice(&key_len.to_le_bytes());
        chunk.extend_from_slice(&value_len.to_le_bytes());
        chunk.push(u8::try_from(height).expect("heights fit a byte"));
        for _ in 0..height {
            chunk.extend_from_slice(&NIL.to_le_bytes());
        }
        key::append_internal_key(chunk, user_key, seq, kind);
        chunk.extend_from_slice(value);
        let chunk_index = u32::try_from(chunk_index).expect("memtable chunk count fits u32");
        let offset = u32::try_from(offset).expect("chunk offsets fit u32");
        (u64::from(chunk_index) << 32) | u64::from(offset)
    }

    /// A node's height, from its header.
    fn height_of(&self, n: NodeId) -> usize {
        let (bytes, at) = self.node(n);
        Self::header(bytes, at).2
    }

    /// Inserts one entry. An entry with the same internal key (same user
    /// key, sequence and kind) replaces the value of the one held. A
    /// `RangeDelete` entry is the range tombstone `[user_key, value)`.
    pub fn add(&mut self, seq: SeqNo, kind: ValueKind, user_key: &[u8], value: &[u8]) {
        let at = self.insert_position(seq, kind, user_key);
        self.add_at(at, seq, kind, user_key, value);
    }

    /// Where `add` of this internal key links it, searched with `&self`:
    /// a writer that shares the memtable with readers searches under a
    /// read lock and takes the write lock for `add_at` only.
    pub fn insert_position(&self, seq: SeqNo, kind: ValueKind, user_key: &[u8]) -> InsertPosition {
        let trailer = key::trailer_of(seq, kind);
        InsertPosition {
            prev: self.predecessors(|k| key::compare_parts(k, user_key, trailer) == Ordering::Less),
            stamp: self.stamp(),
        }
    }

    /// What identifies the memtable's shape: it changes with every linked
    /// node, so a position found before another insert is searched again.
    fn stamp(&self) -> (u64, usize) {
        (self.links_written, self.height)
    }

    /// [`Memtable::add`] at a position from [`Memtable::insert_position`]
    /// for the same internal key (searched again if the memtable changed
    /// shape since).
    pub fn add_at(
        &mut self,
        at: InsertPosition,
        seq: SeqNo,
        kind: ValueKind,
        user_key: &[u8],
        value: &[u8],
    ) {
        let key_len = user_key.len() + key::TRAILER_LEN;
        self.approximate_bytes += key_len as u64 + value.len() as u64 + ENTRY_OVERHEAD;
        if kind == ValueKind::RangeDelete {
            if self.arena.is_some() {
                // RocksDB keeps range tombstones in a skiplist of their own,
                // in the same arena.
                let height = self.random_height();
                self.charge_arena(user_key.len(), value.len(), height);
            }
            self.range_dels
                .push(RangeTombstone::new(user_key, value, seq));
            self.fragmented = OnceLock::new();
            return;
        }
        let trailer = key::trailer_of(seq, kind);
        let before = |k: &[u8]| key::compare_parts(k, user_key, trailer) == Ordering::Less;
        let prev = if at.stamp == self.stamp() {
            at.prev
        } else {
            self.predecessors(before)
        };
        let same = self.next_of(prev[0], 0);
        if same != NIL && key::compare_parts(self.key_of(same), user_key, trailer).is_eq() {
            // RocksDB would allocate a node and refuse the insert; charged
            // as the shortest node. The new node takes the old one's place
            // at every level of its tower: a search finds one or the other.
            self.charge_arena(user_key.len(), value.len(), 1);
            let height = self.height_of(same);
            let node = self.new_node(height, user_key, seq, kind, value);
            for (level, &p) in prev.iter().enumerate().take(height) {
                let next = self.next_of(same, level);
                self.set_next(node, level, next);
                self.set_next(p, level, node);
            }
            self.index_if_newest(prev[0], node, user_key);
            return;
        }

        let height = self.random_height();
        self.charge_arena(user_key.len(), value.len(), height);
        let node = self.new_node(height, user_key, seq, kind, value);
        // Levels above the current height hang off the head: their entries
        // in `prev` are still `NIL`.
        for (level, &p) in prev.iter().enumerate().take(height) {
            let next = self.next_of(p, level);
            self.set_next(node, level, next);
            self.set_next(p, level, node);
        }
        self.index_if_newest(prev[0], node, user_key);
        self.count += 1;
        self.height = self.height.max(height);
    }

    /// Records `node`, just linked after `prev` at level 0, in the index
    /// when it is now the first entry of `user_key`.
    fn index_if_newest(&mut self, prev: NodeId, node: NodeId, user_key: &[u8]) {
        if prev != NIL && key::user_key(self.key_of(prev)) == user_key {
            return;
        }
        let hash = crate::sst::bloom::hash64(user_key);
        let (chunks, index) = (&self.chunks, &mut self.index);
        index.set(hash, node, |n| node_user_key(chunks, n) == user_key);
    }

    /// The newest entry for `user_key` with sequence `<= read_seq`.
    pub fn get(&self, user_key: &[u8], read_seq: SeqNo) -> Option<MemEntry> {
        self.get_hashed(user_key, crate::sst::bloom::hash64(user_key), read_seq)
    }

    /// [`Memtable::get`] for a key whose [`hash64`](crate::sst::bloom::hash64)
    /// is `hash`. The index gives the key's newest entry; only a read below
    /// it (a snapshot older than the key's last write) searches the
    /// skiplist.
    pub fn get_hashed(&self, user_key: &[u8], hash: u64, read_seq: SeqNo) -> Option<MemEntry> {
        // The entry at `n` when it is a version of the key visible at
        // `read_seq`.
        let visible = |n: NodeId| {
            let (k, v) = self.entry(n);
            let parsed = key::parse_internal_key(k)?;
            (parsed.user_key == user_key && parsed.seq <= read_seq).then(|| MemEntry {
                seq: parsed.seq,
                kind: parsed.kind,
                value: v.to_vec(),
            })
        };
        let chunks = &self.chunks;
        let newest = self
            .index
            .find(hash, |n| node_user_key(chunks, n) == user_key)?;
        if let Some(e) = visible(newest) {
            return Some(e);
        }
        let target = key::trailer_of(read_seq, ValueKind::SEEK);
        let n = self.lower_bound(|k| key::compare_parts(k, user_key, target) == Ordering::Less);
        (n != NIL).then(|| visible(n)).flatten()
    }

    /// Bytes of the entries: internal key + value + a fixed per-entry
    /// overhead each. What a flush writes, roughly; compared with
    /// `write_buffer_size` under the `entries` accounting.
    pub fn approximate_bytes(&self) -> u64 {
        self.approximate_bytes
    }

    /// Memory charged against `write_buffer_size`: the entry bytes, or
    /// under the `rocksdb` accounting the bytes of RocksDB's arena blocks.
    pub fn charged_bytes(&self) -> u64 {
        self.arena
            .as_ref()
            .map_or(self.approximate_bytes, ArenaCharge::allocated_bytes)
    }

    /// True when the memtable should be flushed: its entry bytes reach
    /// `write_buffer_size`, or under the `rocksdb` accounting RocksDB's
    /// `ShouldFlushNow` holds for its arena.
    pub fn is_full(&self, write_buffer_size: u64) -> bool {
        match &self.arena {
            None => self.approximate_bytes >= write_buffer_size,
            Some(a) => a.should_flush(write_buffer_size),
        }
    }

    /// Number of entries (every version counts; range tombstones too).
    pub fn len(&self) -> usize {
        self.count + self.range_dels.len()
    }

    /// True when nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.count == 0 && self.range_dels.is_empty()
    }

    /// The range tombstones, in the order written.
    pub fn range_tombstones(&self) -> &[RangeTombstone] {
        &self.range_dels
    }

    /// The range tombstones, fragmented for reads.
    pub fn fragmented_range_tombstones(&self) -> &FragmentedTombstones {
        self.fragmented
            .get_or_init(|| FragmentedTombstones::new(self.range_dels.iter().cloned()))
    }

    /// The smallest and largest user keys written, range tombstones' ends
    /// included; `None` when empty.
    pub fn user_key_range(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        let first = self.head[0];
        // The last node at level 0: every node orders before "past the end".
        let last = self.predecessors(|_| true)[0];
        let points = (first != NIL).then(|| {
            (
                key::user_key(self.key_of(first)),
                key::user_key(self.key_of(last)),
            )
        });
        let ranges = self
            .range_dels
            .iter()
            .map(|t| (t.start.as_slice(), t.end.as_slice()));
        points
            .into_iter()
            .chain(ranges)
            .reduce(|(lo, hi), (a, b)| (lo.min(a), hi.max(b)))
            .map(|(lo, hi)| (lo.to_vec(), hi.to_vec()))
    }

    /// Every entry in internal-key order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let mut at = self.head[0];
        std::iter::from_fn(move || {
            if at == NIL {
                return None;
            }
            let e = self.entry(at);
            at = self.next_of(at, 0);
            Some(e)
        })
    }

    /// A cursor over the entries, borrowing the memtable.
    pub fn cursor(&self) -> MemtableCursor<'_> {
        MemtableCursor { mem: self, at: NIL }
    }

    /// The first entry whose user key is not below `lo`.
    pub fn first_at_or_after(&self, lo: &[u8]) -> Option<MemPos> {
        let n = self.lower_bound(|k| key::user_key(k) < lo);
        (n != NIL).then_some(MemPos(n))
    }

    /// The entry after `p` in internal-key order, entries linked since `p`
    /// was found included. REQUIRES: `p` is of this memtable.
    pub fn next_pos(&self, p: MemPos) -> Option<MemPos> {
        let n = self.next_of(p.0, 0);
        (n != NIL).then_some(MemPos(n))
    }

    /// The internal key and value at `p`. REQUIRES: `p` is of this
    /// memtable.
    pub fn entry_at(&self, p: MemPos) -> (&[u8], &[u8]) {
        self.entry(p.0)
    }
}

/// An entry's place in a memtable, for a reader that lets go of the
/// memtable between steps (a scan taking a shared memtable's read lock
/// once per step): an entry is never moved or freed while its memtable
/// lives, and the writer links new entries around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemPos(NodeId);

/// An [`InternalIterator`](crate::iter::InternalIterator) over a memtable
/// that copies nothing: a step follows one link.
pub struct MemtableCursor<'a> {
    mem: &'a Memtable,
    /// The current node; `NIL` when not valid.
    at: NodeId,
}

impl crate::iter::InternalIterator for MemtableCursor<'_> {
    fn valid(&self) -> bool {
        self.at != NIL
    }

    fn seek_to_first(&mut self) -> crate::Result<()> {
        self.at = self.mem.head[0];
        Ok(())
    }

    fn seek(&mut self, target: &[u8]) -> crate::Result<()> {
        self.at = self
            .mem
            .lower_bound(|k| key::compare_internal(k, target) == Ordering::Less);
        Ok(())
    }

    fn next(&mut self) -> crate::Result<()> {
        assert!(self.at != NIL, "next on an invalid cursor");
        self.at = self.mem.next_of(self.at, 0);
        Ok(())
    }

    fn key(&self) -> &[u8] {
        assert!(self.at != NIL, "key on an invalid cursor");
        self.mem.entry(self.at).0
    }

    fn value(&self) -> &[u8] {
        assert!(self.at != NIL, "value on an invalid cursor");
        self.mem.entry(self.at).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The range a flush spans: the smallest and largest user keys, widened
    /// by range tombstones; `None` for an empty memtable.
    #[test]
    fn user_key_range_spans_points_and_range_tombstones() {
        let mut m = Memtable::new();
        assert_eq!(m.user_key_range(), None);
        for (seq, k) in [(1, "m"), (2, "c"), (3, "x"), (4, "c")] {
            m.add(seq, ValueKind::Value, k.as_bytes(), b"v");
        }
        let range = |m: &Memtable| m.user_key_range();
        assert_eq!(range(&m), Some((b"c".to_vec(), b"x".to_vec())));
        m.add(5, ValueKind::RangeDelete, b"a", b"d");
        assert_eq!(range(&m), Some((b"a".to_vec(), b"x".to_vec())));
        let mut only_ranges = Memtable::new();
        only_ranges.add(1, ValueKind::RangeDelete, b"k", b"q");
        assert_eq!(range(&only_ranges), Some((b"k".to_vec(), b"q".to_vec())));
    }

    proptest::proptest! {
        /// The skiplist against an ordered map of encoded keys: same order,
        /// same lookups, same seeks, re-adds replacing the value.
        #[test]
        fn matches_an_ordered_map(
            ops in proptest::collection::vec((0u8..40, 0u64..30, 0u8..3, 0u16..500), 1..400)
        ) {
            use crate::iter::InternalIterator;
            let mut m = Memtable::new();
            let mut model = std::collections::BTreeMap::new();
            for (i, &(k, seq, kind, vlen)) in ops.iter().enumerate() {
                let kind = ValueKind::from_u8(kind).unwrap();
                let user_key = format!("key{:0w$}", k, w = (k % 5) as usize).into_bytes();
                // A few values larger than an arena chunk.
                let len = if vlen > 495 { 70_000 } else { vlen as usize };
                let value = vec![i as u8; len];
                m.add(seq, kind, &user_key, &value);
                model.insert(Ordered(key::internal_key(&user_key, seq, kind)), value);
            }
            let expected: Vec<_> = model.iter().map(|(k, v)| (k.0.clone(), v.clone())).collect();
            let got: Vec<_> = m.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
            proptest::prop_assert_eq!(&got, &expected);
            proptest::prop_assert_eq!(m.len(), expected.len());
            for &(k, seq, _, _) in &ops {
                let user_key = format!("key{:0w$}", k, w = (k % 5) as usize).into_bytes();
                let target = key::seek_key(&user_key, seq);
                let want = expected
                    .iter()
                    .find(|(ik, _)| key::compare_internal(ik, &target) != Ordering::Less);
                let mut c = m.cursor();
                c.seek(&target).unwrap();
                proptest::prop_assert_eq!(c.valid(), want.is_some());
                if let Some((wk, wv)) = want {
                    proptest::prop_assert_eq!(c.key(), wk.as_slice());
                    proptest::prop_assert_eq!(c.value(), wv.as_slice());
                    let hit = m.get(&user_key, seq);
                    let same_key = key::user_key(wk) == user_key.as_slice();
                    proptest::prop_assert_eq!(hit.is_some(), same_key);
                    if let Some(e) = hit {
                        proptest::prop_assert_eq!(&e.value, wv);
                    }
                }
            }
        }
    }

    proptest::proptest! {
        /// A position searched before other inserts (stale) is searched
        /// again; a fresh one is used as is: either way `add_at` builds the
        /// same memtable as `add`.
        #[test]
        fn add_at_stale_or_fresh_positions_matches_add(
            ops in proptest::collection::vec((0u8..30, 0u64..20, 0u8..2, proptest::bool::ANY), 1..300)
        ) {
            let mut plain = Memtable::new();
            let mut split = Memtable::new();
            let mut stale = Vec::new();
            for &(k, seq, kind, early) in &ops {
                let kind = ValueKind::from_u8(kind).unwrap();
                let user_key = format!("k{k:02}").into_bytes();
                let value = [k, seq as u8];
                plain.add(seq, kind, &user_key, &value);
                let at = split.insert_position(seq, kind, &user_key);
                if early {
                    // Linked later, after the inserts that follow.
                    stale.push((at, seq, kind, user_key, value));
                } else {
                    split.add_at(at, seq, kind, &user_key, &value);
                }
            }
            let mut late = Memtable::new();
            for (at, seq, kind, user_key, value) in stale {
                // Replayed in order on `plain`'s copy too, for the same
                // values on duplicate internal keys.
                late.add(seq, kind, &user_key, &value);
                split.add_at(at, seq, kind, &user_key, &value);
            }
            let entries = |m: &Memtable| -> Vec<Vec<u8>> {
                m.iter().map(|(k, _)| k.to_vec()).collect()
            };
            let mut want = entries(&plain);
            want.extend(entries(&late));
            want.sort_by(|a, b| key::compare_internal(a, b));
            want.dedup();
            proptest::prop_assert_eq!(entries(&split), want);
        }
    }

    /// Encoded internal keys in internal order, for the model above.
    #[derive(PartialEq, Eq)]
    struct Ordered(Vec<u8>);

    impl Ord for Ordered {
        fn cmp(&self, other: &Self) -> Ordering {
            key::compare_internal(&self.0, &other.0)
        }
    }

    impl PartialOrd for Ordered {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }

    #[test]
    fn get_sees_the_newest_version_at_or_below_the_read_sequence() {
        let mut m = Memtable::new();
        m.add(1, ValueKind::Value, b"k", b"v1");
        m.add(5, ValueKind::Tombstone, b"k", b"");
        m.add(9, ValueKind::Value, b"k", b"v9");
        m.add(3, ValueKind::Value, b"j", b"other");
        assert_eq!(m.get(b"k", 100).unwrap().value, b"v9");
        assert_eq!(m.get(b"k", 6).unwrap().kind, ValueKind::Tombstone);
        assert_eq!(m.get(b"k", 4).unwrap().value, b"v1");
        assert_eq!(m.get(b"k", 0), None);
        assert_eq!(m.get(b"kk", 100), None);
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn the_cursor_walks_and_seeks_in_internal_order() {
        use crate::iter::{collect_all, InternalIterator};
        let mut m = Memtable::new();
        m.add(3, ValueKind::Value, b"b", b"3");
        m.add(1, ValueKind::Value, b"a", b"1");
        m.add(5, ValueKind::Tombstone, b"b", b"");
        let all = collect_all(&mut m.cursor()).unwrap();
        let keys: Vec<_> = all
            .iter()
            .map(|(k, _)| {
                let p = key::parse_internal_key(k).unwrap();
                (p.user_key.to_vec(), p.seq)
            })
            .collect();
        assert_eq!(
            keys,
            vec![(b"a".to_vec(), 1), (b"b".to_vec(), 5), (b"b".to_vec(), 3)]
        );
        let mut c = m.cursor();
        c.seek(&key::seek_key(b"b", 4)).unwrap();
        assert_eq!(c.value(), b"3");
        c.next().unwrap();
        assert!(!c.valid());
    }

    #[test]
    fn size_grows_with_every_entry() {
        let mut m = Memtable::new();
        assert_eq!(m.approximate_bytes(), 0);
        for (i, k) in [b"a", b"b", b"c", b"d"].iter().enumerate() {
            m.add(i as u64 + 1, ValueKind::Value, *k, b"0123456789");
        }
        assert_eq!(m.approximate_bytes(), 4 * (1 + 8 + 10 + ENTRY_OVERHEAD));
    }

    /// Positions walk the entries in internal order from the first user key
    /// not below the bound, and see entries linked after they were taken.
    #[test]
    fn positions_walk_from_a_user_key_and_see_later_entries() {
        let mut m = Memtable::new();
        for (seq, k) in [(1, b"a"), (2, b"c"), (3, b"c"), (4, b"e")] {
            m.add(seq, ValueKind::Value, k, b"v");
        }
        let walk = |m: &Memtable, from: Option<MemPos>| {
            let mut out = Vec::new();
            let mut at = from;
            while let Some(p) = at {
                let (k, _) = m.entry_at(p);
                let parsed = key::parse_internal_key(k).unwrap();
                out.push((parsed.user_key.to_vec(), parsed.seq));
                at = m.next_pos(p);
            }
            out
        };
        let from_b = m.first_at_or_after(b"b");
        assert_eq!(
            walk(&m, from_b),
            vec![(b"c".to_vec(), 3), (b"c".to_vec(), 2), (b"e".to_vec(), 4)]
        );
        assert_eq!(m.first_at_or_after(b"f"), None);
        assert_eq!(m.first_at_or_after(b""), m.first_at_or_after(b"a"));
        m.add(5, ValueKind::Value, b"d", b"v");
        assert_eq!(
            walk(&m, from_b),
            vec![
                (b"c".to_vec(), 3),
                (b"c".to_vec(), 2),
                (b"d".to_vec(), 5),
                (b"e".to_vec(), 4)
            ]
        );
    }
}
