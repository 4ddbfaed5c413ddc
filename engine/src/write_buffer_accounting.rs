//! How a memtable's memory is charged against `write_buffer_size`, and when
//! a memtable is full: lsmlab's own count of entry bytes, or a model of
//! RocksDB's memtable arena so that flushes come where RocksDB's would.
//!
//! RocksDB (7.8, `db/memtable.cc`, `memory/arena.cc`,
//! `memtable/inlineskiplist.h`) stores each entry as one skiplist node
//! carved from an arena: the node's tower of `height` 8-byte links, then
//! `varint32(internal key length) ++ internal key ++ varint32(value
//! length) ++ value`, rounded up to 8 bytes and placed at a 16-byte
//! boundary. The arena starts with a 2 KiB inline block and then allocates
//! blocks of `arena_block_size` (an allocation over a quarter block gets an
//! exact block of its own, and leaves the current block as it is); the
//! unused tail of a block is wasted when the next node does not fit. After
//! every insert the memtable asks to be flushed (`ShouldFlushNow`) when the
//! arena's blocks, with one more block, would pass `write_buffer_size` by
//! more than 0.6 of a block and either they already pass it by that much
//! or the current block is more than three quarters used.
//!
//! The model is deterministic: tower heights come from the memtable's own
//! seeded generator (RocksDB's from a per-thread one), blocks count their
//! requested bytes (RocksDB counts `malloc_usable_size`, a few bytes more
//! per block), and every allocation goes to the shared arena (RocksDB's
//! `ConcurrentArena` does that too for a single writer that never meets
//! contention; a contended one carves small nodes from per-core shards).

use crate::key::TRAILER_LEN;

/// Which rule charges memtable memory and decides that a memtable is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteBufferAccounting {
    /// Internal key + value + 16 bytes per entry; full at
    /// `write_buffer_size`. lsmlab's default.
    #[default]
    Entries,
    /// RocksDB's arena: each entry's skiplist node with its tower, arena
    /// blocks of `arena_block_size`, full by RocksDB's `ShouldFlushNow`.
    RocksDb,
}

impl WriteBufferAccounting {
    /// The names specs and the CLI use, in declaration order.
    pub const NAMES: &'static [&'static str] = &["entries", "rocksdb"];

    /// The name specs and the CLI use.
    pub fn name(self) -> &'static str {
        match self {
            WriteBufferAccounting::Entries => "entries",
            WriteBufferAccounting::RocksDb => "rocksdb",
        }
    }

    /// The accounting called `name` (case-insensitive).
    pub fn by_name(name: &str) -> Option<WriteBufferAccounting> {
        match name.trim().to_ascii_lowercase().as_str() {
            "entries" => Some(WriteBufferAccounting::Entries),
            "rocksdb" => Some(WriteBufferAccounting::RocksDb),
            _ => None,
        }
    }
}

/// Bytes RocksDB's arena holds inline, before its first block.
const INLINE_BYTES: u64 = 2048;
/// Alignment of node allocations (`alignof(max_align_t)` on x86-64).
const ALIGN: u64 = 16;
/// Bytes of one skiplist link, and the unit node sizes are rounded up to.
const LINK_BYTES: u64 = 8;
/// Links in a skiplist head: RocksDB's default maximum height.
const MAX_HEIGHT: u64 = 12;
/// A skiplist's sequential-insert splice: a 24-byte header and two arrays
/// of `MAX_HEIGHT + 1` links.
const SPLICE_BYTES: u64 = 24 + 2 * LINK_BYTES * (MAX_HEIGHT + 1);
/// Smallest and largest arena block.
const MIN_BLOCK: u64 = 4096;
const MAX_BLOCK: u64 = 2 << 30;
/// The largest default block, and the alignment of a default block.
const DEFAULT_BLOCK_CAP: u64 = 1 << 20;
const DEFAULT_BLOCK_ALIGN: u64 = 4096;
/// How far past `write_buffer_size`, in blocks, the arena may grow.
const OVER_ALLOCATION_RATIO: f64 = 0.6;

fn round_up(n: u64, unit: u64) -> u64 {
    n.div_ceil(unit) * unit
}

fn varint32_len(n: u64) -> u64 {
    crate::coding::varint_len(n) as u64
}

/// The arena block size RocksDB uses for a memtable: `arena_block_size`,
/// or when that is 0 an eighth of `write_buffer_size` capped at 1 MiB and
/// rounded up to 4 KiB (column family option sanitizing); then clamped to
/// 4 KiB ..= 2 GiB and rounded up to 16 bytes (the arena's own).
pub fn arena_block_bytes(write_buffer_size: u64, arena_block_size: u64) -> u64 {
    let configured = if arena_block_size == 0 {
        round_up(
            (write_buffer_size / 8).min(DEFAULT_BLOCK_CAP),
            DEFAULT_BLOCK_ALIGN,
        )
    } else {
        arena_block_size
    };
    round_up(configured.clamp(MIN_BLOCK, MAX_BLOCK), ALIGN)
}

/// RocksDB's memtable arena, reduced to what decides a flush: the bytes of
/// its blocks, and the unused bytes of its current block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArenaCharge {
    block_bytes: u64,
    /// Bytes of every block allocated, the inline block included.
    allocated: u64,
    /// Bytes of the current block not yet handed out.
    unused: u64,
    /// Where the next allocation would start, modulo [`ALIGN`].
    misalignment: u64,
}

impl ArenaCharge {
    /// An empty memtable's arena with blocks of `block_bytes` (see
    /// [`arena_block_bytes`]): the inline block, holding the head and
    /// splice of the two skiplists every memtable has (points and range
    /// tombstones).
    pub fn new(block_bytes: u64) -> ArenaCharge {
        let mut arena = ArenaCharge {
            block_bytes,
            allocated: INLINE_BYTES,
            unused: INLINE_BYTES,
            misalignment: 0,
        };
        for _ in 0..2 {
            arena.allocate_aligned(MAX_HEIGHT * LINK_BYTES);
            arena.allocate_aligned(SPLICE_BYTES);
        }
        arena
    }

    fn allocate_aligned(&mut self, bytes: u64) {
        let bytes = round_up(bytes, LINK_BYTES);
        let slop = (ALIGN - self.misalignment) % ALIGN;
        if bytes + slop <= self.unused {
            self.unused -= bytes + slop;
            self.misalignment = bytes % ALIGN;
        } else if bytes > self.block_bytes / 4 {
            // A block of its own; the current block stays current.
            self.allocated += bytes;
        } else {
            self.allocated += self.block_bytes;
            self.unused = self.block_bytes - bytes;
            self.misalignment = bytes % ALIGN;
        }
    }

    /// Charges one entry: a node of `height` links holding a user key of
    /// `key_len` bytes (plus its 8-byte trailer) and a value of `value_len`
    /// bytes, each length as a varint.
    pub fn add_entry(&mut self, key_len: usize, value_len: usize, height: usize) {
        let internal_key = (key_len + TRAILER_LEN) as u64;
        let value = value_len as u64;
        let encoded = varint32_len(internal_key) + internal_key + varint32_len(value) + value;
        self.allocate_aligned(LINK_BYTES * height as u64 + encoded);
    }

    /// Bytes of the arena's blocks: what RocksDB charges against
    /// `write_buffer_size`.
    pub fn allocated_bytes(&self) -> u64 {
        self.allocated
    }

    /// Bytes of the current block not yet handed out.
    pub fn unused_bytes(&self) -> u64 {
        self.unused
    }

    /// True when RocksDB's memtable would ask for a flush now.
    pub fn should_flush(&self, write_buffer_size: u64) -> bool {
        let block = self.block_bytes as f64;
        let limit = write_buffer_size as f64 + block * OVER_ALLOCATION_RATIO;
        if ((self.allocated + self.block_bytes) as f64) < limit {
            return false;
        }
        if self.allocated as f64 > limit {
            return true;
        }
        self.unused < self.block_bytes / 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in WriteBufferAccounting::NAMES {
            let a = WriteBufferAccounting::by_name(name).unwrap();
            assert_eq!(a.name(), *name);
        }
        assert_eq!(
            WriteBufferAccounting::by_name(" RocksDB "),
            Some(WriteBufferAccounting::RocksDb)
        );
        assert_eq!(WriteBufferAccounting::by_name("arena"), None);
    }

    #[test]
    fn block_sizes_follow_rocksdbs_sanitizing() {
        // (write_buffer_size, arena_block_size, block)
        let cases = [
            (4 << 20, 0, 512 << 10),     // wbs / 8
            (64 << 20, 0, 1 << 20),      // capped at 1 MiB
            (100_000, 0, 16_384),        // 12 500 rounded up to 4 KiB
            (4096, 0, 4096),             // 512 rounded up to 4 KiB
            (4 << 20, 1000, 4096),       // at least 4 KiB
            (4 << 20, 5000, 5008),       // a multiple of 16
            (4 << 20, 3 << 30, 2 << 30), // at most 2 GiB
        ];
        for (wbs, configured, want) in cases {
            assert_eq!(
                arena_block_bytes(wbs, configured),
                want,
                "{wbs} {configured}"
            );
        }
    }

    #[test]
    fn varint_lengths() {
        for (n, len) in [(0, 1), (127, 1), (128, 2), (16_383, 2), (16_384, 3)] {
            assert_eq!(varint32_len(n), len, "{n}");
        }
    }

    /// Charges `count` entries of (key, value, height) and returns the
    /// first entry count (1-based) after which the memtable is full.
    fn full_after(
        write_buffer_size: u64,
        arena_block_size: u64,
        entry: (usize, usize, usize),
        count: usize,
    ) -> Option<usize> {
        let mut arena = ArenaCharge::new(arena_block_bytes(write_buffer_size, arena_block_size));
        assert!(
            !arena.should_flush(write_buffer_size),
            "an empty memtable is not full"
        );
        (1..=count).find(|_| {
            arena.add_entry(entry.0, entry.1, entry.2);
            arena.should_flush(write_buffer_size)
        })
    }

    /// Flush points derived by hand from RocksDB 7.8's rule (module docs).
    ///
    /// The inline block: two heads of 96 bytes and two splices of 232
    /// bytes, aligned to 16, leave 1384 bytes.
    ///
    /// 16-byte keys, 100-byte values, height 1: a node is 8 + 1 + 24 + 1 +
    /// 100 = 134 -> 136 bytes, 144 with the alignment before it. The inline
    /// block takes 9 (1296 bytes); each block then takes 1 + (block - 136)
    /// / 144 nodes.
    /// - 4 MiB buffer, 512 KiB blocks (3640 nodes each): with 7 blocks
    ///   (3 672 064 bytes) one more block stays under 4 MiB + 0.6 block; with
    ///   8 (4 196 352 bytes) the eighth is full once under 128 KiB is left:
    ///   524 296 - 144k < 131 072 first at k = 2731. 9 + 7 x 3640 + 2731.
    /// - 64 KiB buffer, 8 KiB blocks (56 nodes each): 8 blocks (67 584
    ///   bytes), then 8200 - 144k < 2048 at k = 43. 9 + 7 x 56 + 43.
    /// - Height 4: 32 + 126 = 158 -> 160 bytes, already aligned. Inline: the
    ///   first takes 8 + 160, then 160 each: 8 nodes (1288 bytes). 8 KiB
    ///   blocks hold 51 (8160 bytes); the eighth is full once 8192 - 160k <
    ///   2048, k = 39. 8 + 7 x 51 + 39.
    /// - 3000-byte values in 8 KiB blocks: a node of 8 + 1 + 24 + 2 + 3000
    ///   = 3035 -> 3040 bytes is over a quarter block, so each gets a block
    ///   of its own and the inline block stays current with its 1384 bytes.
    ///   At 20 nodes (62 848 bytes) one more block would pass 64 KiB + 0.6
    ///   block, and 1384 is under a quarter block: full.
    /// - A 200-byte key (2-byte varint) and 20 000-byte value (3 bytes) in
    ///   a 4 MiB buffer with 512 KiB blocks, height 1: 8 + 2 + 208 + 3 +
    ///   20 000 = 20 221 -> 20 224 bytes, a multiple of 16. The first does
    ///   not fit the inline block; a block takes 524 288 / 20 224 = 25
    ///   nodes, and the eighth is full when 524 288 - 20 224k < 131 072:
    ///   k = 20, node 7 x 25 + 20 = 195.
    /// - A 1 GiB buffer with 1 MiB blocks of 16/100 entries is not full
    ///   after 100 000 entries.
    #[test]
    fn flush_points_derived_by_hand() {
        // (write_buffer_size, arena_block_size, (key, value, height) of every
        // entry, entries written, the entry after which it is full)
        type Case = (u64, u64, (usize, usize, usize), usize, Option<usize>);
        let cases: &[Case] = &[
            (4 << 20, 0, (16, 100, 1), 40_000, Some(9 + 7 * 3640 + 2731)),
            (64 << 10, 0, (16, 100, 1), 1000, Some(9 + 7 * 56 + 43)),
            (64 << 10, 0, (16, 100, 4), 1000, Some(8 + 7 * 51 + 39)),
            (64 << 10, 0, (16, 3000, 1), 100, Some(20)),
            (4 << 20, 0, (200, 20_000, 1), 1000, Some(7 * 25 + 20)),
            (1 << 30, 0, (16, 100, 1), 100_000, None),
        ];
        for &(wbs, block, entry, count, want) in cases {
            assert_eq!(
                full_after(wbs, block, entry, count),
                want,
                "write_buffer_size {wbs}, arena_block_size {block}, entry {entry:?}"
            );
        }
    }

    #[test]
    fn the_arena_counts_blocks_not_entries() {
        let mut arena = ArenaCharge::new(arena_block_bytes(4 << 20, 0));
        assert_eq!(
            (arena.allocated_bytes(), arena.unused_bytes()),
            (2048, 1384)
        );
        for _ in 0..9 {
            arena.add_entry(16, 100, 1);
        }
        assert_eq!((arena.allocated_bytes(), arena.unused_bytes()), (2048, 88));
        arena.add_entry(16, 100, 1);
        assert_eq!(
            (arena.allocated_bytes(), arena.unused_bytes()),
            (2048 + (512 << 10), (512 << 10) - 136)
        );
    }
}
