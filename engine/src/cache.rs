//! The block cache: an LRU of SSTable blocks charged by their bytes, shared
//! by every table of one database (RocksDB's `block_cache`, an `LRUCache`).
//!
//! One lock guards the whole cache. Lookups of the lab are single-threaded
//! and a sharded cache evicts by per-shard capacity, which would make hit
//! rates depend on how keys hash to shards; with one list, eviction order
//! is the global access order and the same on every machine.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::fs::SharedBytes;
use crate::int_hash::BuildIntHasher;

/// A cached block, shared with its readers: a data block's bytes as read
/// (checksum verified), or a decoded index or filter block.
///
/// Data blocks are the bytes themselves rather than a type-erased value
/// around them: a lookup that misses evicts a block cached thousands of
/// reads ago, and each level of indirection between the cache's slot and
/// the block's buffer is one more cold cache line to touch.
#[derive(Clone)]
pub enum CachedValue {
    Data(SharedBytes),
    Meta(Arc<dyn Any + Send + Sync>),
}

/// Which block: the table's file number and the block's offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockKey {
    pub file: u64,
    pub offset: u64,
}

/// Hits and misses, split as RocksDB's `BLOCK_CACHE_*` tickers are.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub data_hits: u64,
    pub data_misses: u64,
    /// Index and filter blocks (only when they are cached).
    pub meta_hits: u64,
    pub meta_misses: u64,
    pub inserts: u64,
    pub evictions: u64,
    /// Bytes charged now.
    pub usage: u64,
    pub capacity: u64,
}

impl CacheStats {
    /// Data-block hits / data-block lookups; 0 when there were none.
    pub fn data_hit_rate(&self) -> f64 {
        let n = self.data_hits + self.data_misses;
        if n == 0 {
            0.0
        } else {
            self.data_hits as f64 / n as f64
        }
    }
}

/// What kind of block a lookup is for (counted apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Data,
    /// An index or filter block.
    Meta,
}

const NIL: u32 = u32::MAX;

struct Entry {
    key: BlockKey,
    value: CachedValue,
    charge: u64,
}

/// Slot `i` as a link. A cache holds fewer than `u32::MAX` blocks (that
/// many 4 KiB blocks would be 16 TiB).
fn slot_number(i: usize) -> u32 {
    u32::try_from(i)
        .ok()
        .filter(|&n| n != NIL)
        .expect("fewer than 2^32 - 1 cached blocks")
}

/// An entry's neighbours in recency order, kept apart from the entries:
/// unlinking the least recently used entry updates its neighbour's links,
/// and eight bytes a slot in an array of their own stay in the CPU's cache
/// where the entries, touched once per eviction, do not.
#[derive(Clone, Copy)]
struct Link {
    /// Towards the most recently used end.
    newer: u32,
    /// Towards the least recently used end.
    older: u32,
}

/// Buffers of evicted data blocks kept for the next reads from storage
/// (see [`BlockCache::spare_buffer`]): at most this many ...
const MAX_SPARE_BUFFERS: usize = 8;
/// ... of at most this capacity each.
const MAX_SPARE_CAPACITY: usize = 256 << 10;

/// The LRU list over a slab of entries.
#[derive(Default)]
struct Lru {
    map: HashMap<BlockKey, usize, BuildIntHasher>,
    slots: Vec<Option<Entry>>,
    /// `links[i]` links `slots[i]` (when occupied).
    links: Vec<Link>,
    free: Vec<usize>,
    /// Most recently used.
    head: Option<usize>,
    /// Least recently used.
    tail: Option<usize>,
    usage: u64,
    /// Buffers of evicted data blocks no reader held.
    spare: Vec<Vec<u8>>,
}

impl Lru {
    fn entry(&self, i: usize) -> &Entry {
        self.slots[i].as_ref().expect("linked slot is occupied")
    }

    fn unlink(&mut self, i: usize) {
        let Link { newer, older } = self.links[i];
        match newer {
            NIL => self.head = (older != NIL).then_some(older as usize),
            n => self.links[n as usize].older = older,
        }
        match older {
            NIL => self.tail = (newer != NIL).then_some(newer as usize),
            o => self.links[o as usize].newer = newer,
        }
    }

    fn push_front(&mut self, i: usize) {
        let old_head = self.head;
        self.links[i] = Link {
            newer: NIL,
            older: old_head.map_or(NIL, slot_number),
        };
        if let Some(h) = old_head {
            self.links[h].newer = slot_number(i);
        }
        self.head = Some(i);
        if self.tail.is_none() {
            self.tail = Some(i);
        }
    }

    /// Keeps the buffer of an evicted block for reuse when nothing else
    /// holds it and there is room; drops it otherwise.
    fn recycle(&mut self, value: CachedValue) {
        if self.spare.len() >= MAX_SPARE_BUFFERS {
            return;
        }
        let CachedValue::Data(bytes) = value else {
            return;
        };
        if let Some(buf) = bytes
            .into_buffer()
            .filter(|b| b.capacity() <= MAX_SPARE_CAPACITY)
        {
            self.spare.push(buf);
        }
    }

    /// Starts loading what evicting the least recently used block will
    /// touch, so that a lookup which missed reads its block from storage
    /// meanwhile rather than waiting for those lines when it inserts the
    /// block: the count of the tail's buffer, from the tail's slot, and
    /// the slot of the block next in line (the links are in an array that
    /// stays in the CPU's cache; the slots are not), which the next miss
    /// then reads without waiting.
    fn prefetch_tail(&self) {
        let Some(t) = self.tail else { return };
        let next = self.links[t].newer;
        if next != NIL {
            crate::cpu_prefetch::prefetch(&self.slots[next as usize]);
        }
        if let Some(Entry {
            value: CachedValue::Data(bytes),
            ..
        }) = &self.slots[t]
        {
            bytes.prefetch_owner();
        }
    }

    fn remove(&mut self, i: usize) -> Entry {
        self.unlink(i);
        let e = self.slots[i].take().expect("linked slot is occupied");
        self.map.remove(&e.key);
        self.free.push(i);
        self.usage -= e.charge;
        e
    }
}

/// An LRU block cache with a byte capacity.
pub struct BlockCache {
    capacity: u64,
    lru: Mutex<Lru>,
    data_hits: AtomicU64,
    data_misses: AtomicU64,
    meta_hits: AtomicU64,
    meta_misses: AtomicU64,
    inserts: AtomicU64,
    evictions: AtomicU64,
}

impl std::fmt::Debug for BlockCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockCache")
            .field("stats", &self.stats())
            .finish()
    }
}

impl BlockCache {
    /// A cache holding at most `capacity` bytes of blocks.
    pub fn new(capacity: u64) -> Arc<BlockCache> {
        Arc::new(BlockCache {
            capacity,
            lru: Mutex::new(Lru::default()),
            data_hits: AtomicU64::new(0),
            data_misses: AtomicU64::new(0),
            meta_hits: AtomicU64::new(0),
            meta_misses: AtomicU64::new(0),
            inserts: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru> {
        // A panic while holding the lock leaves the list consistent (every
        // mutation completes before returning), so poisoning is ignored.
        self.lru.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The block under `key`, made the most recently used; counts a hit or
    /// a miss of `kind`.
    pub fn get(&self, key: BlockKey, kind: BlockKind) -> Option<CachedValue> {
        let found = {
            let mut lru = self.lock();
            match lru.map.get(&key).copied() {
                Some(i) => {
                    lru.unlink(i);
                    lru.push_front(i);
                    Some(lru.entry(i).value.clone())
                }
                None => {
                    // Nearly full: the insert that follows a miss evicts.
                    if lru.usage > self.capacity - self.capacity / 8 {
                        lru.prefetch_tail();
                    }
                    None
                }
            }
        };
        let counter = match (kind, found.is_some()) {
            (BlockKind::Data, true) => &self.data_hits,
            (BlockKind::Data, false) => &self.data_misses,
            (BlockKind::Meta, true) => &self.meta_hits,
            (BlockKind::Meta, false) => &self.meta_misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Caches `value` under `key`, charged `charge` bytes, evicting the
    /// least recently used blocks to make room. A block larger than the
    /// whole cache is not kept.
    pub fn insert(&self, key: BlockKey, value: CachedValue, charge: u64) {
        if charge > self.capacity {
            return;
        }
        let mut lru = self.lock();
        if let Some(i) = lru.map.get(&key).copied() {
            lru.remove(i);
        }
        let mut evicted = 0;
        while lru.usage + charge > self.capacity {
            let Some(t) = lru.tail else { break };
            let old = lru.remove(t);
            lru.recycle(old.value);
            evicted += 1;
        }
        let entry = Entry { key, value, charge };
        let i = match lru.free.pop() {
            Some(i) => {
                lru.slots[i] = Some(entry);
                i
            }
            None => {
                lru.slots.push(Some(entry));
                lru.links.push(Link {
                    newer: NIL,
                    older: NIL,
                });
                lru.slots.len() - 1
            }
        };
        lru.map.insert(key, i);
        lru.usage += charge;
        lru.push_front(i);
        drop(lru);
        self.inserts.fetch_add(1, Ordering::Relaxed);
        self.evictions.fetch_add(evicted, Ordering::Relaxed);
    }

    /// An empty buffer for reading a block from storage: one an evicted
    /// block no longer needs when there is one (its capacity saves an
    /// allocation), else a new one.
    pub fn spare_buffer(&self) -> Vec<u8> {
        self.lock().spare.pop().unwrap_or_default()
    }

    /// Drops every block of table `file` (its file was deleted).
    pub fn erase_file(&self, file: u64) {
        let mut lru = self.lock();
        let victims: Vec<usize> = lru
            .map
            .iter()
            .filter(|(k, _)| k.file == file)
            .map(|(_, &i)| i)
            .collect();
        for i in victims {
            lru.remove(i);
        }
    }

    /// Counters and current usage.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            data_hits: self.data_hits.load(Ordering::Relaxed),
            data_misses: self.data_misses.load(Ordering::Relaxed),
            meta_hits: self.meta_hits.load(Ordering::Relaxed),
            meta_misses: self.meta_misses.load(Ordering::Relaxed),
            inserts: self.inserts.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            usage: self.lock().usage,
            capacity: self.capacity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(file: u64, offset: u64) -> BlockKey {
        BlockKey { file, offset }
    }

    fn value(n: u64) -> CachedValue {
        CachedValue::Meta(Arc::new(n))
    }

    fn read(c: &BlockCache, k: BlockKey) -> Option<u64> {
        c.get(k, BlockKind::Data).map(|v| match v {
            CachedValue::Meta(v) => *v.downcast_ref::<u64>().unwrap(),
            CachedValue::Data(_) => panic!("a data block where a number was cached"),
        })
    }

    #[test]
    fn evicts_the_least_recently_used_by_bytes() {
        let c = BlockCache::new(300);
        c.insert(key(1, 0), value(10), 100);
        c.insert(key(1, 100), value(11), 100);
        c.insert(key(2, 0), value(20), 100);
        // Touch the oldest: now (1,100) is the least recently used.
        assert_eq!(read(&c, key(1, 0)), Some(10));
        c.insert(key(3, 0), value(30), 150);
        assert_eq!(read(&c, key(1, 100)), None);
        assert_eq!(read(&c, key(2, 0)), None, "150 bytes needed two evictions");
        assert_eq!(read(&c, key(1, 0)), Some(10));
        assert_eq!(read(&c, key(3, 0)), Some(30));
        let s = c.stats();
        assert_eq!((s.data_hits, s.data_misses, s.evictions), (3, 2, 2));
        assert_eq!(s.usage, 250);
    }

    #[test]
    fn oversized_blocks_are_not_kept_and_files_can_be_erased() {
        let c = BlockCache::new(100);
        c.insert(key(1, 0), value(1), 101);
        assert_eq!(c.stats().usage, 0);
        c.insert(key(1, 0), value(1), 40);
        c.insert(key(2, 0), value(2), 40);
        c.erase_file(1);
        assert_eq!(read(&c, key(1, 0)), None);
        assert_eq!(read(&c, key(2, 0)), Some(2));
        assert_eq!(c.stats().usage, 40);
        assert_eq!(c.get(key(9, 9), BlockKind::Meta).map(|_| ()), None);
        assert_eq!(c.stats().meta_misses, 1);
    }

    fn block(bytes: &[u8]) -> CachedValue {
        CachedValue::Data(SharedBytes::from(bytes.to_vec()))
    }

    /// An evicted block's buffer is handed to the next read from storage,
    /// unless a reader still holds the block: its bytes never change.
    #[test]
    fn evicted_block_buffers_are_reused_only_when_no_reader_holds_them() {
        let c = BlockCache::new(100);
        assert_eq!(c.spare_buffer().capacity(), 0, "nothing evicted yet");
        c.insert(key(1, 0), block(&[1; 60]), 60);
        c.insert(key(1, 60), block(&[2; 60]), 60);
        let buf = c.spare_buffer();
        assert!(buf.capacity() >= 60, "the evicted block's buffer");
        assert_eq!(c.spare_buffer().capacity(), 0, "handed out once");

        let Some(CachedValue::Data(held)) = c.get(key(1, 60), BlockKind::Data) else {
            panic!("the block is cached");
        };
        c.insert(key(2, 0), block(&[3; 60]), 60);
        assert_eq!(c.spare_buffer().capacity(), 0, "a reader holds it");
        assert_eq!(held.as_slice(), &[2; 60]);
        // This insert evicts a block nobody holds: kept; the next evicts a
        // value that is not data bytes (an index, a filter): dropped.
        c.insert(key(3, 0), value(7), 60);
        assert_eq!(c.spare_buffer().capacity(), 60);
        c.insert(key(4, 0), block(&[4; 60]), 60);
        assert_eq!(c.spare_buffer().capacity(), 0);
    }

    proptest! {
        /// Against a model: a list in recency order, trimmed by bytes.
        #[test]
        fn matches_a_recency_list(ops in proptest::collection::vec((0u64..12, 1u64..60, any::<bool>()), 1..200)) {
            let cap = 150;
            let c = BlockCache::new(cap);
            let mut model: Vec<(u64, u64)> = Vec::new(); // (key, charge), most recent first
            for (k, charge, is_insert) in ops {
                if is_insert {
                    model.retain(|(m, _)| *m != k);
                    let mut used: u64 = model.iter().map(|(_, c)| c).sum();
                    while used + charge > cap {
                        let (_, c) = model.pop().unwrap();
                        used -= c;
                    }
                    model.insert(0, (k, charge));
                    c.insert(key(k, 0), value(k), charge);
                } else {
                    let pos = model.iter().position(|(m, _)| *m == k);
                    prop_assert_eq!(read(&c, key(k, 0)).is_some(), pos.is_some());
                    if let Some(p) = pos {
                        let e = model.remove(p);
                        model.insert(0, e);
                    }
                }
                prop_assert_eq!(c.stats().usage, model.iter().map(|(_, c)| c).sum::<u64>());
            }
        }
    }
}
