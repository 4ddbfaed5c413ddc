//! `write_buffer_accounting`: where a 4 MiB memtable of 16-byte keys and
//! 100-byte values is flushed under lsmlab's entry count and under RocksDB's
//! arena rule, read from the L0 files the flushes leave.

use lsmlab_engine::{Db, Env, Options};

/// Writes `n` distinct 16-byte keys with 100-byte values and returns the
/// entries of each flushed L0 file, oldest first, and the flush count.
fn flushed_entries(accounting: &str, n: u64) -> (Vec<u64>, u64) {
    let mut opts = Options {
        wal: false,
        ..Options::default()
    };
    opts.set("write_buffer_accounting", accounting).unwrap();
    let (env, _, _) = Env::mem();
    let db = Db::open_with("/db", opts, env).unwrap();
    for i in 0..n {
        db.put(format!("{i:016}").as_bytes(), &[b'v'; 100]).unwrap();
    }
    let v = db.version();
    let mut files: Vec<_> = v.files(0).to_vec();
    files.sort_by_key(|f| f.smallest_seq);
    (
        files.iter().map(|f| f.entries).collect(),
        db.stats().flushes,
    )
}

#[test]
fn entries_accounting_flushes_at_140_bytes_an_entry() {
    // 16 + 8 + 100 + 16 bytes an entry: 4 MiB / 140 = 29 959.3, so the
    // 29 960th write fills the memtable.
    let (files, flushes) = flushed_entries("entries", 2 * 29_960 - 1);
    assert_eq!(flushes, 1);
    assert_eq!(files, [29_960]);
}

#[test]
fn rocksdb_accounting_flushes_where_rocksdbs_arena_is_full() {
    // RocksDB's node for such an entry is its tower (8 bytes a link) and
    // 126 encoded bytes at a 16-byte boundary: 144 bytes for 1 or 2 links,
    // 160 for 3 or 4, ...; 145.1 on average with branching 4. Eight 512 KiB
    // blocks, the last three quarters full, and the 2 KiB inline block
    // hold about 28 020 of them; all of height 1 they would hold 28 220
    // (the unit tests of the model derive that), so no memtable holds more.
    // The entry count (29 960 an entry) would flush once in these writes.
    let (files, flushes) = flushed_entries("rocksdb", 2 * 29_960 - 1);
    assert_eq!(flushes, 2, "{files:?}");
    assert_eq!(files.len(), 2);
    for entries in files {
        assert!((27_900..=28_220).contains(&entries), "{entries}");
    }
}
