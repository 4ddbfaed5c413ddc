//! Flushes cut at the policy's shard boundaries (`Strategy::flush_split_points`):
//! under ucs a flush becomes one L0 sorted run of several files, split where
//! Cassandra's sharded flush writer splits; other policies keep one file per
//! flush. The runs survive a clean reopen and a crash.

mod common;

use std::sync::Arc;

use common::{small_options, value};
use lsmlab_engine::fs::MemFs;
use lsmlab_engine::{Db, Env, Options, VirtualClock};

/// Keys 0..KEYS as 8 bytes big-endian: the key space positions are the
/// indices, so the shard boundaries are exact keys.
const KEYS: u64 = 1000;

fn key(i: u64) -> Vec<u8> {
    i.to_be_bytes().to_vec()
}

fn mem_env() -> (Env, MemFs) {
    let m = MemFs::new();
    let env = Env {
        fs: Arc::new(m.clone()),
        clock: Arc::new(VirtualClock::new(0)),
    };
    (env, m)
}

/// `policy` with memtables large enough that only `Db::flush` flushes.
fn options(policy: &str, settings: &[(&str, &str)]) -> Options {
    let mut o = Options {
        write_buffer_size: 1 << 20,
        ..small_options(common::policy(policy))
    };
    for (name, v) in settings {
        o.set(name, v).unwrap();
    }
    o
}

/// Writes every key once (in a scrambled order, version `round`), then
/// flushes.
fn write_round(db: &Db, round: u64) {
    for n in 0..KEYS {
        let i = (n * 7919) % KEYS;
        db.put(&key(i), &value(i, round, 100)).unwrap();
    }
    db.flush().unwrap();
}

/// Each L0 run's files as (first key, last key) indices, newest run first.
fn l0_runs(db: &Db) -> Vec<Vec<(u64, u64)>> {
    let index = |k: &[u8]| u64::from_be_bytes(k.try_into().unwrap());
    db.version()
        .runs(0)
        .iter()
        .map(|run| {
            run.files()
                .iter()
                .map(|f| (index(f.smallest_user_key()), index(f.largest_user_key())))
                .collect()
        })
        .collect()
}

fn assert_latest(db: &Db, round: u64, what: &str) {
    for i in 0..KEYS {
        assert_eq!(
            db.get(&key(i)).unwrap(),
            Some(value(i, round, 100)),
            "{what}: key {i}"
        );
    }
}

/// The key space 0..=999 in 4 base shards: boundaries at 250, 500, 750.
const QUARTERS: [(u64, u64); 4] = [(0, 249), (250, 499), (500, 749), (750, 999)];

#[test]
fn ucs_flushes_are_runs_cut_at_the_base_shards_and_survive_reopen_and_crash() {
    let (env, mem) = mem_env();
    let opts = options(
        "ucs",
        &[("base_shard_count", "4"), ("min_sstable_size", "0")],
    );
    let db = Db::open_with("/db", opts.clone(), env.clone()).unwrap();
    // Three flushes stay under T4's threshold of 4: nothing compacts.
    for round in 0..3 {
        write_round(&db, round);
    }
    let runs = l0_runs(&db);
    assert_eq!(runs, vec![QUARTERS.to_vec(); 3]);
    let s = db.stats();
    assert_eq!(s.flushes, 3, "one flush per memtable, whatever its files");
    assert_eq!(s.compactions, 0);
    assert_eq!(s.flush_bytes, db.version().total_bytes());
    assert_eq!(db.version().total_files(), 12);
    assert_latest(&db, 2, "after three sharded flushes");

    // A clean reopen keeps the runs as they were.
    db.close().unwrap();
    let db = Db::open_with("/db", opts.clone(), env.clone()).unwrap();
    assert_eq!(l0_runs(&db), vec![QUARTERS.to_vec(); 3]);
    assert_latest(&db, 2, "after reopen");

    // Unflushed writes survive a crash through the WAL; their flush after
    // recovery is sharded too, and the fourth run triggers the merge.
    for n in 0..KEYS {
        db.put(&key(n), &value(n, 3, 100)).unwrap();
    }
    drop(db);
    mem.crash();
    let db = Db::open_with("/db", opts, env).unwrap();
    assert_latest(&db, 3, "after a crash");
    db.flush().unwrap();
    let s = db.stats();
    assert!(s.compactions >= 1, "four overlapping runs compact under T4");
    assert_latest(&db, 3, "after the merge");
    for run in l0_runs(&db) {
        assert!(
            run.iter()
                .all(|f| QUARTERS.iter().any(|q| q.0 <= f.0 && f.1 <= q.1)),
            "a file crosses a shard boundary: {run:?}"
        );
    }
}

#[test]
fn a_partial_flush_is_cut_only_at_the_boundaries_inside_it() {
    let (env, _) = mem_env();
    let opts = options("ucs", &[("min_sstable_size", "0")]);
    let db = Db::open_with("/db", opts, env).unwrap();
    write_round(&db, 0);
    // Keys 100..=599 of the 0..=999 space: boundaries 250 and 500 fall
    // inside, so three files.
    for i in 100..600 {
        db.put(&key(i), &value(i, 1, 100)).unwrap();
    }
    db.flush().unwrap();
    let runs = l0_runs(&db);
    assert_eq!(runs[0], vec![(100, 249), (250, 499), (500, 599)]);
    assert_eq!(runs[1], QUARTERS.to_vec());
}

#[test]
fn under_min_sstable_size_a_ucs_flush_is_one_file() {
    let (env, _) = mem_env();
    // About 120 KiB per flush: two 48 KiB minimum sizes fit, four do not.
    let opts = options("ucs", &[("min_sstable_size", "48KiB")]);
    let db = Db::open_with("/db", opts, env).unwrap();
    write_round(&db, 0);
    assert_eq!(l0_runs(&db), vec![vec![(0, 499), (500, 999)]]);
    let (env, _) = mem_env();
    let opts = options("ucs", &[("min_sstable_size", "1MiB")]);
    let db = Db::open_with("/db", opts, env).unwrap();
    write_round(&db, 0);
    assert_eq!(l0_runs(&db), vec![vec![(0, 999)]]);
}

#[test]
fn leveled_flushes_stay_one_file() {
    let (env, _) = mem_env();
    // L0 stays under both of its compaction triggers (files and bytes).
    let opts = Options {
        l0_file_limit: 8,
        l1_base_bytes: 64 << 20,
        ..options("leveled", &[])
    };
    let db = Db::open_with("/db", opts, env).unwrap();
    for round in 0..3 {
        write_round(&db, round);
    }
    assert_eq!(l0_runs(&db), vec![vec![(0, 999)]; 3]);
}
