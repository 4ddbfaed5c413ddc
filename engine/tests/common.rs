//! Shared by the engine's integration tests: small options that make every
//! mechanism (flush, compaction, multi-level trees) happen within a few
//! thousand operations, and a reference model of the key-value semantics.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use lsmlab_engine::compaction::{registry, CompactionOptions, PolicyDef};
use lsmlab_engine::fs::{Fs, MemFs};
use lsmlab_engine::Options;

/// Every registered policy: the conformance suite runs each of them.
pub fn policies() -> &'static [&'static PolicyDef] {
    registry::builtin().policies()
}

/// The built-in policy called `name`.
pub fn policy(name: &str) -> &'static PolicyDef {
    registry::builtin().find(name).unwrap()
}

/// Tiny sizes so a few thousand writes build a deep tree; the policy's
/// thresholds and windows (where it declares them) scaled to match.
pub fn small_options(policy: &'static PolicyDef) -> Options {
    let mut compaction = CompactionOptions::for_policy(policy);
    for (name, value) in [
        ("min_threshold", "2"),
        ("max_threshold", "4"),
        ("min_sstable_size", "0"),
        ("time_window", "5s"),
    ] {
        if let Some(def) = policy.param(name) {
            compaction.set_value(def.name, def.parse(value).unwrap());
        }
    }
    // ICS: fragments of 16 KiB, runs of several, so that merges release
    // their inputs as they go (LCS's sstable_size_in_mb counts whole MiB:
    // it keeps its own).
    if let Some(def) = policy.param("sstable_size_in_mb") {
        if let Ok(v) = def.parse("0.015625") {
            compaction.set_value(def.name, v);
        }
    }
    Options {
        write_buffer_size: 4 << 10,
        l0_file_limit: 2,
        l1_base_bytes: 8 << 10,
        level_size_multiplier: 2.0,
        base_file_size: 4 << 10,
        num_levels: 5,
        block_size: 256,
        bloom_bits_per_key: 10,
        wal: true,
        wal_sync: true,
        max_manifest_bytes: 4 << 10,
        paranoid_checks: true,
        compaction,
        ..Options::default()
    }
}

/// What the database should contain: key -> (value, expiry in ms).
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub map: BTreeMap<Vec<u8>, (Vec<u8>, Option<u64>)>,
}

impl Model {
    pub fn put(&mut self, k: &[u8], v: &[u8], expiry: Option<u64>) {
        self.map.insert(k.to_vec(), (v.to_vec(), expiry));
    }

    pub fn delete(&mut self, k: &[u8]) {
        self.map.remove(k);
    }

    /// Applies an `add` merge operand: the value as a u64 counter (a value
    /// that is not 8 bytes, or expired, counts as 0) plus `n`, not expiring.
    pub fn merge_add(&mut self, k: &[u8], n: u64, now_ms: u64) {
        let base = self
            .get(k, now_ms)
            .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
            .map_or(0, u64::from_le_bytes);
        self.map.insert(
            k.to_vec(),
            (base.wrapping_add(n).to_le_bytes().to_vec(), None),
        );
    }

    /// Deletes every key in `[lo, hi)`.
    pub fn delete_range(&mut self, lo: &[u8], hi: &[u8]) {
        let doomed: Vec<Vec<u8>> = self
            .map
            .range(lo.to_vec()..)
            .take_while(|(k, _)| k.as_slice() < hi)
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.map.remove(&k);
        }
    }

    pub fn get(&self, k: &[u8], now_ms: u64) -> Option<Vec<u8>> {
        let (v, exp) = self.map.get(k)?;
        exp.is_none_or(|e| e > now_ms).then(|| v.clone())
    }

    pub fn scan(
        &self,
        lo: &[u8],
        hi: Option<&[u8]>,
        limit: usize,
        now_ms: u64,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.map
            .range(lo.to_vec()..)
            .take_while(|(k, _)| hi.is_none_or(|h| k.as_slice() < h))
            .filter(|(_, (_, e))| e.is_none_or(|e| e > now_ms))
            .take(limit)
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect()
    }
}

/// A key from a small space, so overwrites and deletes hit existing keys.
pub fn key(i: u64) -> Vec<u8> {
    format!("key{i:06}").into_bytes()
}

/// A value that names its key and version, of a length that varies.
pub fn value(i: u64, version: u64, len: usize) -> Vec<u8> {
    let mut v = format!("v{i}.{version}:").into_bytes();
    v.resize(len.max(v.len()), b'x');
    v
}

/// Panics with the first difference between two scans, readably.
pub fn assert_same_pairs(got: &[(Vec<u8>, Vec<u8>)], want: &[(Vec<u8>, Vec<u8>)], what: &str) {
    let show = |p: Option<&(Vec<u8>, Vec<u8>)>| {
        p.map(|(k, v)| {
            format!(
                "{} = {}",
                String::from_utf8_lossy(k),
                String::from_utf8_lossy(&v[..v.len().min(16)])
            )
        })
        .unwrap_or_else(|| "(end)".into())
    };
    for i in 0..got.len().max(want.len()) {
        if got.get(i) != want.get(i) {
            panic!(
                "{what}: entry {i} differs: got {}, want {} ({} vs {} entries)",
                show(got.get(i)),
                show(want.get(i)),
                got.len(),
                want.len()
            );
        }
    }
}

/// A copy of every file of `dir` with all its bytes, synced or not: what a
/// process kill (rather than a power loss) leaves behind.
pub fn copy_all(src: &MemFs, dir: &Path) -> MemFs {
    let dst = MemFs::new();
    for name in src.list(dir).unwrap() {
        let p = dir.join(&name);
        let data = src.read_all(&p).unwrap();
        let mut w = dst.create(&p).unwrap();
        w.append(&data).unwrap();
        w.sync().unwrap();
    }
    dst
}
