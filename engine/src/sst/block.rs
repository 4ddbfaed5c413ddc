//! Blocks: sorted entries with prefix-compressed keys and restart points.
//!
//! Layout: `entry*  restart_offset(u32 LE)*  num_restarts(u32 LE)`, where an
//! entry is `varint shared, varint unshared, varint value_len, key delta,
//! value`. Every `restart_interval`-th entry stores its full key
//! (`shared = 0`) and its offset is listed among the restarts, so a reader
//! can binary-search the restarts and then scan forward. An empty block is
//! just `num_restarts = 0`. Keys are internal keys (see [`crate::key`]).

use std::cmp::Ordering;
use std::fmt;

use crate::coding::{get_u32, put_varint, varint_len, Decoder};
use crate::fs::SharedBytes;
use crate::key::{compare_internal, TRAILER_LEN};

/// Why a block's bytes could not be decoded. The table reader turns it into
/// an [`Error::Corruption`](crate::Error::Corruption) naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockError(pub &'static str);

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

type BlockResult<T> = std::result::Result<T, BlockError>;

/// Builds one block in memory.
#[derive(Debug)]
pub struct BlockBuilder {
    buf: Vec<u8>,
    restarts: Vec<u32>,
    restart_interval: usize,
    /// Entries added since the last restart point.
    /// INVARIANT: in `1..=restart_interval` after every `add`; the next
    /// entry starts a restart point when it equals `restart_interval`.
    since_restart: usize,
    last_key: Vec<u8>,
    entries: usize,
}

impl BlockBuilder {
    /// An empty builder putting a restart point every `restart_interval`
    /// entries (at least 1).
    pub fn new(restart_interval: usize) -> Self {
        BlockBuilder {
            buf: Vec::new(),
            restarts: Vec::new(),
            restart_interval: restart_interval.max(1),
            since_restart: 0,
            last_key: Vec::new(),
            entries: 0,
        }
    }

    /// Appends an entry.
    ///
    /// REQUIRES: `key` is greater, in internal order, than every key added
    /// since the last `reset` (the table builder checks this).
    pub fn add(&mut self, key: &[u8], value: &[u8]) {
        debug_assert!(
            self.entries == 0 || compare_internal(&self.last_key, key) == Ordering::Less,
            "block keys out of order"
        );
        let shared = if self.entries == 0 || self.since_restart == self.restart_interval {
            self.restarts.push(self.buf.len() as u32);
            self.since_restart = 0;
            0
        } else {
            crate::key::common_prefix_len(&self.last_key, key)
        };
        self.buf.reserve(15 + key.len() - shared + value.len());
        put_varint(&mut self.buf, shared as u64);
        put_varint(&mut self.buf, (key.len() - shared) as u64);
        put_varint(&mut self.buf, value.len() as u64);
        self.buf.extend_from_slice(&key[shared..]);
        self.buf.extend_from_slice(value);
        self.last_key.truncate(shared);
        self.last_key.extend_from_slice(&key[shared..]);
        self.since_restart += 1;
        self.entries += 1;
    }

    /// The size the block would have if finished now.
    pub fn estimated_size(&self) -> usize {
        self.buf.len() + 4 * self.restarts.len() + 4
    }

    /// RocksDB's estimate of the block's size once `key` and `value` are
    /// added (`BlockBuilder::EstimateSizeAfterKV`): the whole key counted,
    /// not its unshared part, a restart point if one is due, and five bytes
    /// of length headers at most. The flush rule reads it; it is an
    /// over-estimate by design, kept as RocksDB computes it so blocks are
    /// cut where RocksDB cuts them.
    pub fn estimated_size_after(&self, key: &[u8], value: &[u8]) -> usize {
        let restart = if self.since_restart == self.restart_interval {
            4
        } else {
            0
        };
        self.estimated_size()
            + key.len()
            + value.len()
            + restart
            + 4
            + varint_len(key.len() as u64)
            + varint_len(value.len() as u64)
    }

    /// True when no entry has been added since the last `reset`.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// The last key added. REQUIRES: `!is_empty()`.
    pub fn last_key(&self) -> &[u8] {
        &self.last_key
    }

    /// Appends the restart array and returns the finished block. Call
    /// [`BlockBuilder::reset`] before adding to it again.
    pub fn finish(&mut self) -> &[u8] {
        for r in &self.restarts {
            self.buf.extend_from_slice(&r.to_le_bytes());
        }
        self.buf
            .extend_from_slice(&(self.restarts.len() as u32).to_le_bytes());
        &self.buf
    }

    /// Empties the builder, keeping its allocations.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.restarts.clear();
        self.since_restart = 0;
        self.last_key.clear();
        self.entries = 0;
    }
}

/// A decoded block whose restart array has been validated. Its bytes are
/// shared, not owned: with the in-memory file they were read from, or with
/// the block cache.
#[derive(Debug, Clone)]
pub struct Block {
    data: SharedBytes,
    /// INVARIANT: restart offsets start at 0, increase strictly and are all
    /// `< restarts_offset`; `restarts_offset == 0` iff there are none.
    restarts_offset: usize,
    num_restarts: usize,
}

impl Block {
    /// Checks the restart array of `data` (a block without its trailer).
    pub fn new(data: impl Into<SharedBytes>) -> BlockResult<Block> {
        let data = data.into();
        let len = data.len();
        let n = len
            .checked_sub(4)
            .and_then(|at| get_u32(&data, at))
            .ok_or(BlockError("block shorter than its restart count"))? as usize;
        let array_len = n
            .checked_mul(4)
            .and_then(|a| a.checked_add(4))
            .filter(|&a| a <= len)
            .ok_or(BlockError("restart count larger than the block"))?;
        let restarts_offset = len - array_len;
        if (n == 0) != (restarts_offset == 0) {
            return Err(BlockError("restart array does not match the entries"));
        }
        let mut prev: Option<u32> = None;
        for i in 0..n {
            let r = get_u32(&data, restarts_offset + 4 * i).expect("inside the block");
            let ok = match prev {
                None => r == 0,
                Some(p) => r > p && (r as usize) < restarts_offset,
            };
            if !ok {
                return Err(BlockError("restart offsets out of order or out of range"));
            }
            prev = Some(r);
        }
        Ok(Block {
            data,
            restarts_offset,
            num_restarts: n,
        })
    }

    /// True for a block without entries.
    pub fn is_empty(&self) -> bool {
        self.num_restarts == 0
    }

    fn restart(&self, i: usize) -> usize {
        get_u32(&self.data, self.restarts_offset + 4 * i).expect("validated") as usize
    }
}

/// The parts of one encoded entry, as offsets into the block.
struct RawEntry {
    shared: usize,
    delta: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
}

impl Block {
    /// Decodes the entry at `pos`, whose predecessor's key has `prev_len` bytes.
    fn entry_at(&self, pos: usize, prev_len: usize) -> BlockResult<RawEntry> {
        let region = &self.data[pos..self.restarts_offset];
        let bad = BlockError("malformed entry");
        let (shared, unshared, value_len, header) = match region {
            // Three one-byte lengths, the common case (RocksDB's
            // `DecodeEntry` fast path).
            [s, u, v, ..] if (s | u | v) < 0x80 => {
                (usize::from(*s), usize::from(*u), usize::from(*v), 3)
            }
            _ => {
                let mut d = Decoder::new(region);
                let shared = d.varint_usize(prev_len).ok_or(bad.clone())?;
                let unshared = d.varint_usize(region.len()).ok_or(bad.clone())?;
                let value_len = d.varint_usize(region.len()).ok_or(bad.clone())?;
                (shared, unshared, value_len, d.position())
            }
        };
        if shared > prev_len || unshared + value_len > region.len() - header {
            return Err(bad);
        }
        let delta_start = pos + header;
        let value_start = delta_start + unshared;
        if shared + unshared < TRAILER_LEN {
            return Err(BlockError("key shorter than an internal key"));
        }
        Ok(RawEntry {
            shared,
            delta: delta_start..value_start,
            value: value_start..value_start + value_len,
        })
    }

    /// The full key stored at restart point `i`.
    fn restart_key(&self, i: usize) -> BlockResult<&[u8]> {
        let e = self.entry_at(self.restart(i), 0)?;
        if e.shared != 0 {
            return Err(BlockError("restart entry shares a prefix"));
        }
        Ok(&self.data[e.delta])
    }
}

/// A cursor over one block. Decoding reuses one key buffer: iteration does
/// not allocate per entry.
#[derive(Debug, Clone)]
pub struct BlockIter {
    block: Block,
    key: Vec<u8>,
    value: std::ops::Range<usize>,
    /// Offset of the entry after the current one.
    next_offset: usize,
    valid: bool,
}

impl BlockIter {
    /// A cursor over `block`'s entries (not yet positioned).
    pub fn new(block: Block) -> Self {
        BlockIter {
            block,
            key: Vec::new(),
            value: 0..0,
            next_offset: 0,
            valid: false,
        }
    }

    /// True when positioned at an entry.
    pub fn valid(&self) -> bool {
        self.valid
    }

    /// The current key. REQUIRES: `valid()`.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The current value. REQUIRES: `valid()`.
    pub fn value(&self) -> &[u8] {
        &self.block.data[self.value.clone()]
    }

    /// Positions at the first entry (invalid for an empty block).
    pub fn seek_to_first(&mut self) -> BlockResult<()> {
        self.key.clear();
        self.next_offset = 0;
        self.advance()
    }

    /// Moves to the next entry. REQUIRES: `valid()`.
    #[allow(clippy::should_implement_trait)] // a cursor, like `InternalIterator::next`
    pub fn next(&mut self) -> BlockResult<()> {
        debug_assert!(self.valid);
        self.advance()
    }

    /// Positions at the first entry whose key is `>= target` in internal
    /// order; invalid when there is none.
    ///
    /// REQUIRES: `target.len() >= TRAILER_LEN`.
    pub fn seek(&mut self, target: &[u8]) -> BlockResult<()> {
        if self.block.is_empty() {
            self.valid = false;
            return Ok(());
        }
        // Find the last restart whose key is < target; scan from there.
        let (mut lo, mut hi) = (0, self.block.num_restarts - 1);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if compare_internal(self.block.restart_key(mid)?, target) == Ordering::Less {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        self.key.clear();
        self.next_offset = self.block.restart(lo);
        loop {
            self.advance()?;
            if !self.valid || compare_internal(&self.key, target) != Ordering::Less {
                return Ok(());
            }
        }
    }

    fn advance(&mut self) -> BlockResult<()> {
        self.valid = false;
        if self.next_offset >= self.block.restarts_offset {
            return Ok(());
        }
        let e = self.block.entry_at(self.next_offset, self.key.len())?;
        self.key.truncate(e.shared);
        self.key.extend_from_slice(&self.block.data[e.delta]);
        self.next_offset = e.value.end;
        self.value = e.value;
        self.valid = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{internal_key, ValueKind};
    use proptest::prelude::*;

    fn build(entries: &[(Vec<u8>, Vec<u8>)], interval: usize) -> Block {
        let mut b = BlockBuilder::new(interval);
        for (k, v) in entries {
            b.add(k, v);
        }
        let size = b.estimated_size();
        let data = b.finish().to_vec();
        assert_eq!(data.len(), size, "estimate is exact for a finished block");
        Block::new(data).unwrap()
    }

    fn collect(it: &mut BlockIter) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        it.seek_to_first().unwrap();
        while it.valid() {
            out.push((it.key().to_vec(), it.value().to_vec()));
            it.next().unwrap();
        }
        out
    }

    /// Sorted internal keys: distinct user keys, each with a few versions.
    fn sorted_entries() -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
        let user = proptest::collection::btree_set(proptest::collection::vec(0u8..4, 0..6), 0..60);
        (
            user,
            // Short values and values of multi-byte lengths (both ways of
            // reading an entry's header).
            proptest::collection::vec(
                prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..20),
                    proptest::collection::vec(any::<u8>(), 120..300),
                ],
                0..200,
            ),
        )
            .prop_map(|(users, values)| {
                let mut out = Vec::new();
                for (i, u) in users.into_iter().enumerate() {
                    for v in 0..=(i % 3) as u64 {
                        let seq = 100 - 10 * v; // descending: newest first
                        let value = values.get(out.len()).cloned().unwrap_or_default();
                        out.push((internal_key(&u, seq, ValueKind::Value), value));
                    }
                }
                out
            })
    }

    proptest! {
        #[test]
        fn round_trips_and_seeks_like_a_sorted_list(
            entries in sorted_entries(),
            interval in 1usize..20,
            probes in proptest::collection::vec((proptest::collection::vec(0u8..4, 0..6), 0u64..120), 0..30),
        ) {
            let mut it = BlockIter::new(build(&entries, interval));
            prop_assert_eq!(collect(&mut it), entries.clone());
            for (k, _) in &entries {
                it.seek(k).unwrap();
                prop_assert!(it.valid());
                prop_assert_eq!(it.key(), &k[..]);
            }
            for (user, seq) in probes {
                let target = internal_key(&user, seq, ValueKind::SEEK);
                it.seek(&target).unwrap();
                let want = entries
                    .iter()
                    .find(|(k, _)| compare_internal(k, &target) != Ordering::Less);
                match want {
                    Some((k, v)) => {
                        prop_assert!(it.valid());
                        prop_assert_eq!(it.key(), &k[..]);
                        prop_assert_eq!(it.value(), &v[..]);
                    }
                    None => prop_assert!(!it.valid()),
                }
            }
        }
    }

    #[test]
    fn empty_block_is_four_bytes_and_has_no_entries() {
        let block = build(&[], 16);
        assert!(block.is_empty());
        let mut it = BlockIter::new(block);
        it.seek_to_first().unwrap();
        assert!(!it.valid());
        it.seek(&internal_key(b"a", 1, ValueKind::Value)).unwrap();
        assert!(!it.valid());
    }

    #[test]
    fn prefix_compression_shrinks_shared_prefixes() {
        let entries: Vec<_> = (0..100u32)
            .map(|i| {
                let user = format!("a-long-common-prefix-{i:05}");
                (internal_key(user.as_bytes(), 1, ValueKind::Value), vec![])
            })
            .collect();
        let raw: usize = entries.iter().map(|(k, _)| k.len()).sum();
        let mut b = BlockBuilder::new(16);
        for (k, v) in &entries {
            b.add(k, v);
        }
        assert!(b.finish().len() < raw / 2);
    }

    #[test]
    fn malformed_blocks_are_errors_not_panics() {
        assert!(Block::new(vec![]).is_err());
        assert!(Block::new(vec![1, 0, 0]).is_err());
        assert!(Block::new(vec![9, 0, 0, 0]).is_err()); // 9 restarts in 4 bytes
        assert!(Block::new(vec![7, 0, 0, 0, 0]).is_err()); // bytes but no restarts
                                                           // First restart not at 0.
        assert!(Block::new(vec![0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]).is_err());
        // A well-formed restart array over a malformed entry.
        let mut data = vec![0x80, 0x80, 0x80, 0x80];
        data.extend_from_slice(&0u32.to_le_bytes());
        data.extend_from_slice(&1u32.to_le_bytes());
        let mut it = BlockIter::new(Block::new(data).unwrap());
        assert_eq!(it.seek_to_first(), Err(BlockError("malformed entry")));
        // One-byte lengths past what the entry holds: a prefix shared with
        // no previous key, a value longer than the block.
        for header in [[5u8, 9, 0], [0, 9, 100]] {
            let mut data = header.to_vec();
            data.extend_from_slice(&[b'k'; 9]);
            data.extend_from_slice(&0u32.to_le_bytes());
            data.extend_from_slice(&1u32.to_le_bytes());
            let mut it = BlockIter::new(Block::new(data).unwrap());
            assert_eq!(
                it.seek_to_first(),
                Err(BlockError("malformed entry")),
                "{header:?}"
            );
        }
        // An entry whose key is too short to be an internal key.
        let mut data = vec![0, 2, 0, b'a', b'b'];
        data.extend_from_slice(&0u32.to_le_bytes());
        data.extend_from_slice(&1u32.to_le_bytes());
        let mut it = BlockIter::new(Block::new(data).unwrap());
        assert!(it.seek_to_first().is_err());
        assert!(it.seek(&internal_key(b"a", 1, ValueKind::Value)).is_err());
    }
}
