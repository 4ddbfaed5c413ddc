//! The deterministic write stream of a torture run, the model of what the
//! database holds after its first batches, and the engine options that make
//! flushes and compactions happen every few batches.

use std::collections::BTreeMap;

use lsmlab_engine::batch::WriteBatch;
use lsmlab_engine::compaction::{CompactionOptions, PolicyDef};
use lsmlab_engine::{Db, Options};

/// The key every batch sets to its own index (8 bytes, big-endian), so a
/// reopened database tells which batch it ends with. Sorts after every
/// stream key.
pub const BATCH_KEY: &[u8] = b"\xffbatch";

/// One batch in this many is big (see [`is_big`]).
pub const BIG_EVERY: u64 = 64;

/// The value size of a big batch's extra put: large enough that its WAL
/// append takes many page copies, so a kill can land in the middle of it.
pub const BIG_VALUE_BYTES: usize = 1 << 20;

/// The key a big batch puts its large value under.
const BIG_KEY: &[u8] = b"\xfebig";

/// True for the batches that carry a [`BIG_VALUE_BYTES`] value; the
/// campaign aims some kills at their WAL appends (a torn WAL tail).
pub fn is_big(index: u64) -> bool {
    index % BIG_EVERY == BIG_EVERY - 1
}

/// Keys in the stream's key space: small, so batches overwrite and delete
/// keys that exist.
const KEY_SPACE: u64 = 1500;

/// Engine options for torture: the WAL on and synced per batch, and buffers
/// and levels so small that a flush happens every few batches and a
/// compaction every few flushes.
/// `opts` with values of at least `min_blob_size` bytes in blob files of
/// 4 KiB and blob garbage collection on (relocating the oldest half,
/// forced at 50% garbage); `opts` unchanged for 0.
pub fn with_blobs(opts: Options, min_blob_size: u64) -> Options {
    if min_blob_size == 0 {
        return opts;
    }
    Options {
        min_blob_size,
        blob_file_size: 4 << 10,
        enable_blob_garbage_collection: true,
        blob_garbage_collection_age_cutoff: 0.5,
        blob_garbage_collection_force_threshold: 0.5,
        ..opts
    }
}

pub fn options(policy: &'static PolicyDef) -> Options {
    // Thresholds scaled to the tiny sizes; for a policy with time windows
    // (fifo), merge the runs of each closed half-second window. No policy
    // gets a ttl or a size cap, so nothing written is meant to disappear.
    let mut compaction = CompactionOptions::for_policy(policy);
    for (name, value) in [
        ("min_threshold", "2"),
        ("max_threshold", "4"),
        ("min_sstable_size", "0"),
        ("time_window", "500ms"),
    ] {
        if let Some(def) = policy.param(name) {
            compaction.set_value(def.name, def.parse(value).expect("a valid torture setting"));
        }
    }
    // ICS: fragments of 16 KiB, so that its merges release their inputs as
    // they go (LCS's sstable_size_in_mb counts whole MiB: it keeps its own).
    if let Some(def) = policy.param("sstable_size_in_mb") {
        if let Ok(v) = def.parse("0.015625") {
            compaction.set_value(def.name, v);
        }
    }
    Options {
        write_buffer_size: 4 << 10,
        l0_file_limit: 2,
        l1_base_bytes: 16 << 10,
        level_size_multiplier: 4.0,
        base_file_size: 8 << 10,
        num_levels: 5,
        block_size: 1024,
        wal: true,
        wal_sync: true,
        max_manifest_bytes: 4 << 10,
        paranoid_checks: true,
        compaction,
        ..Options::default()
    }
}

/// SplitMix64: a well-mixed hash of `x`.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// One operation of a batch: a put (`Some` value) or a delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOp {
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

/// Batch `index` of the stream for `seed`: 1 to 8 puts and deletes of
/// stream keys (values of 20 to 400 bytes naming batch and position), for a
/// big batch ([`is_big`]) a put of a [`BIG_VALUE_BYTES`] value, then the
/// put of [`BATCH_KEY`].
pub fn batch(seed: u64, index: u64) -> Vec<StreamOp> {
    let base = mix(seed ^ mix(index));
    let n = 1 + base % 8;
    let mut ops = Vec::with_capacity(n as usize + 1);
    for j in 0..n {
        let h = mix(base ^ mix(j + 1));
        let key = format!("k{:05}", (h >> 8) % KEY_SPACE).into_bytes();
        let value = (!h.is_multiple_of(10)).then(|| {
            let len = 20 + ((h >> 32) % 381) as usize;
            let mut v = format!("{index}.{j}:").into_bytes();
            let fill = b'a' + ((h >> 24) % 26) as u8;
            v.resize(len.max(v.len()), fill);
            v
        });
        ops.push(StreamOp { key, value });
    }
    if is_big(index) {
        let mut value = index.to_be_bytes().repeat(BIG_VALUE_BYTES / 8);
        value[..8].copy_from_slice(&seed.to_be_bytes());
        ops.push(StreamOp {
            key: BIG_KEY.to_vec(),
            value: Some(value),
        });
    }
    ops.push(StreamOp {
        key: BATCH_KEY.to_vec(),
        value: Some(index.to_be_bytes().to_vec()),
    });
    ops
}

/// `ops` as one atomic write batch.
pub fn write_batch(ops: &[StreamOp]) -> WriteBatch {
    let mut b = WriteBatch::new();
    for op in ops {
        match &op.value {
            Some(v) => b.put(&op.key, v),
            None => b.delete(&op.key),
        }
    }
    b
}

/// The index of the last batch the database holds (from [`BATCH_KEY`]),
/// `None` for a database no batch reached.
pub fn applied_index(db: &Db) -> lsmlab_engine::Result<Option<u64>> {
    Ok(db.get(BATCH_KEY)?.map(|v| {
        let mut b = [0u8; 8];
        let n = v.len().min(8);
        b[8 - n..].copy_from_slice(&v[v.len() - n..]);
        u64::from_be_bytes(b)
    }))
}

/// What the database holds after the stream's first batches.
#[derive(Debug, Clone, Default)]
pub struct Model {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Batches applied: `0..applied`.
    applied: u64,
}

impl Model {
    /// Applies the batches up to and including `last` (nothing for `None`).
    /// REQUIRES: `last` is not below the batches already applied.
    pub fn advance_to(&mut self, seed: u64, last: Option<u64>) {
        let Some(last) = last else { return };
        while self.applied <= last {
            for op in batch(seed, self.applied) {
                match op.value {
                    Some(v) => self.map.insert(op.key, v),
                    None => self.map.remove(&op.key),
                };
            }
            self.applied += 1;
        }
    }

    /// Every live pair, in key order.
    pub fn entries(&self) -> impl Iterator<Item = (&Vec<u8>, &Vec<u8>)> {
        self.map.iter()
    }

    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<&Vec<u8>> {
        self.map.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_deterministic_and_varies_with_seed_and_index() {
        assert_eq!(batch(7, 42), batch(7, 42));
        assert_ne!(batch(7, 42), batch(8, 42));
        assert_ne!(batch(7, 42), batch(7, 43));
        let b = batch(1, 5);
        assert_eq!(b.last().unwrap().key, BATCH_KEY);
        assert!((2..=9).contains(&b.len()));
        let big = batch(1, BIG_EVERY - 1);
        assert!(is_big(BIG_EVERY - 1) && !is_big(BIG_EVERY));
        let value_bytes: usize = big
            .iter()
            .filter_map(|o| o.value.as_ref())
            .map(Vec::len)
            .sum();
        assert!(value_bytes > BIG_VALUE_BYTES, "{value_bytes}");
    }

    #[test]
    fn the_stream_overwrites_and_deletes_existing_keys() {
        let mut model = Model::default();
        model.advance_to(3, Some(2999));
        let ops: Vec<StreamOp> = (0..3000).flat_map(|i| batch(3, i)).collect();
        let deletes = ops.iter().filter(|o| o.value.is_none()).count();
        assert!(deletes > ops.len() / 20, "{deletes} deletes");
        // Far fewer live keys than puts: most puts overwrite.
        assert!(model.entries().count() < 1502);
        assert_eq!(model.get(BATCH_KEY), Some(&2999u64.to_be_bytes().to_vec()));
    }

    #[test]
    fn the_batch_index_round_trips_through_a_database() {
        let (env, _, _) = lsmlab_engine::Env::mem();
        let db = Db::open_with(
            "/t",
            options(lsmlab_engine::compaction::registry::DEFAULT_POLICY),
            env,
        )
        .unwrap();
        assert_eq!(applied_index(&db).unwrap(), None);
        for i in 0..40 {
            db.write(write_batch(&batch(9, i))).unwrap();
        }
        assert_eq!(applied_index(&db).unwrap(), Some(39));
        let mut model = Model::default();
        model.advance_to(9, Some(39));
        let got = db.scan(b"", None, usize::MAX).unwrap();
        let want: Vec<_> = model
            .entries()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        assert_eq!(got, want);
        assert!(db.stats().flushes > 2, "small buffers flush often");
    }
}
