//! What reads cost: blocks read from storage with and without the block
//! cache, index and filter blocks in the cache, scans' blocks and sorted
//! runs, a tree with many L0 files against the same data settled, and the
//! tombstone purges the engine reports.

mod common;

use lsmlab_engine::{Clock, Db, Env, Options};

fn key(i: u64) -> Vec<u8> {
    format!("key{i:08}").into_bytes()
}

/// 2,000 keys of 100-byte values, flushed; auto compaction as `opts` says.
fn loaded(opts: Options) -> Db {
    let db = Db::open_with("/db", opts, Env::mem().0).unwrap();
    for i in 0..2_000u64 {
        db.put(&key(i * 7 % 2_000), &[b'v'; 100]).unwrap();
    }
    db.flush().unwrap();
    db
}

/// Mean blocks read from storage over lookups of every 10th key, and the
/// mean of the same lookups' cache hits.
fn probe(db: &Db) -> (f64, f64) {
    let mut reads = 0;
    let mut hits = 0;
    for i in (0..2_000u64).step_by(10) {
        let (v, st) = db.get_with_stats(&key(i)).unwrap();
        assert!(v.is_some(), "key {i}");
        reads += st.storage_reads();
        hits += st.cache_hits;
    }
    (reads as f64 / 200.0, hits as f64 / 200.0)
}

#[test]
fn a_warm_block_cache_serves_repeated_lookups() {
    let mut opts = common::small_options(common::policy("leveled"));
    opts.block_cache_size = 1 << 20;
    let db = loaded(opts);
    let (cold, _) = probe(&db);
    let (warm, hits) = probe(&db);
    assert!(cold >= 1.0, "every first lookup reads its block: {cold}");
    assert_eq!(warm, 0.0, "the cache holds every block read before");
    assert!(hits >= 1.0, "{hits}");
    let s = db.stats().block_cache;
    assert!(s.data_hits > 0 && s.data_misses > 0, "{s:?}");
    assert!(s.usage > 0 && s.usage <= 1 << 20, "{s:?}");
}

#[test]
fn a_cache_too_small_for_the_data_still_reads_from_storage() {
    let mut small = common::small_options(common::policy("leveled"));
    small.block_cache_size = 1024;
    let db = loaded(small);
    probe(&db);
    let (again, _) = probe(&db);
    assert!(
        again >= 1.0,
        "four 256-byte blocks cannot hold the probe set: {again}"
    );
    assert!(db.stats().block_cache.evictions > 0);
}

#[test]
fn cached_index_and_filter_blocks_are_read_again_after_eviction() {
    let mut opts = common::small_options(common::policy("leveled"));
    opts.block_cache_size = 2048;
    opts.cache_index_and_filter_blocks = true;
    let db = loaded(opts);
    let mut meta = 0;
    for i in (0..2_000u64).step_by(10) {
        let (v, st) = db.get_with_stats(&key(i)).unwrap();
        assert!(v.is_some());
        meta += st.meta_blocks_read;
    }
    assert!(meta > 0, "index and filter blocks compete for 2 KiB");
    assert!(db.stats().block_cache.meta_misses > 0);

    // A scan keeps the index it loaded while the cache evicts it under
    // the scan's own block reads, and sees every key.
    let (rows, _) = db.scan_with_stats(&key(0), None, 5_000).unwrap();
    let keys: Vec<Vec<u8>> = rows.into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, (0..2_000u64).map(key).collect::<Vec<_>>());

    // Pinned (the default), they are never read by lookups.
    let mut pinned = common::small_options(common::policy("leveled"));
    pinned.block_cache_size = 2048;
    let db = loaded(pinned);
    for i in (0..2_000u64).step_by(10) {
        assert_eq!(db.get_with_stats(&key(i)).unwrap().1.meta_blocks_read, 0);
    }
    let (rows, _) = db.scan_with_stats(&key(0), None, 5_000).unwrap();
    assert_eq!(rows.len(), 2_000);
}

/// The same data, read while L0 holds many overlapping files and after
/// everything is compacted: the L0 tree reads more blocks per lookup.
#[test]
fn many_l0_files_read_more_blocks_than_the_same_data_settled() {
    let mut opts = common::small_options(common::policy("leveled"));
    opts.auto_compaction = false;
    opts.l0_slowdown_limit = 1 << 20;
    opts.l0_stop_limit = 1 << 20;
    opts.bloom_bits_per_key = 0;
    opts.write_buffer_size = 1 << 20;
    let db = Db::open_with("/db", opts, Env::mem().0).unwrap();
    // Every flush covers the whole key range, so L0 files all overlap.
    for round in 0..8u64 {
        for i in 0..250u64 {
            db.put(&key(i * 8 + round), &[b'v'; 100]).unwrap();
        }
        db.flush().unwrap();
    }
    let l0_files = db.version().files(0).len();
    assert!(l0_files >= 8, "{l0_files}");
    let (many, _) = probe(&db);
    db.compact_level(0).unwrap();
    assert_eq!(db.version().files(0).len(), 0);
    let (settled, _) = probe(&db);
    assert!(
        many > 2.0 * settled,
        "{l0_files} L0 files: {many} blocks per lookup, settled: {settled}"
    );
}

#[test]
fn scans_report_blocks_and_sorted_runs() {
    let mut opts = common::small_options(common::policy("leveled"));
    opts.auto_compaction = false;
    opts.l0_slowdown_limit = 1 << 20;
    opts.l0_stop_limit = 1 << 20;
    opts.write_buffer_size = 1 << 20;
    let db = Db::open_with("/db", opts, Env::mem().0).unwrap();
    for round in 0..4u64 {
        for i in 0..250u64 {
            db.put(&key(i * 4 + round), &[b'v'; 100]).unwrap();
        }
        db.flush().unwrap();
    }
    db.put(&key(0), b"in memory").unwrap();
    let (rows, st) = db.scan_with_stats(&key(0), None, 50).unwrap();
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[0].1, b"in memory");
    assert_eq!(st.sorted_runs, 5, "the memtable and four L0 files");
    assert!(st.blocks_read >= 4, "at least a block per file: {st:?}");
    db.flush().unwrap();
    db.compact_level(0).unwrap();
    let (rows_after, after) = db.scan_with_stats(&key(0), None, 50).unwrap();
    assert_eq!(rows_after, rows);
    assert!(after.sorted_runs < st.sorted_runs, "{after:?}");
    assert!(after.blocks_read < st.blocks_read, "{after:?} vs {st:?}");
}

#[test]
fn purged_tombstones_are_reported_with_their_time() {
    let mut opts = common::small_options(common::policy("leveled"));
    opts.auto_compaction = false;
    let (env, _, clock) = Env::mem();
    let db = Db::open_with("/db", opts, env).unwrap();
    db.track_tombstone_purges(true);
    for i in 0..100u64 {
        db.put(&key(i), b"v").unwrap();
    }
    db.flush().unwrap();
    clock.advance_to(1_000);
    db.delete(&key(5)).unwrap();
    db.delete(&key(7)).unwrap();
    db.flush().unwrap();
    assert!(
        db.take_tombstone_purges().is_empty(),
        "L0 still holds the values the tombstones hide"
    );
    let at = clock.now_ms();
    db.compact_level(0).unwrap();
    let purged = db.take_tombstone_purges();
    let keys: Vec<&[u8]> = purged.iter().map(|(k, _)| k.as_slice()).collect();
    assert_eq!(keys, [key(5).as_slice(), key(7).as_slice()]);
    assert!(purged.iter().all(|(_, t)| *t >= at));
    assert!(db.take_tombstone_purges().is_empty(), "taken once");
}
