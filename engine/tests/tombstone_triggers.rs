//! Tombstone-driven compaction with a leveled policy: RocksDB's
//! `CompactOnDeletionCollector`, Pebble's tombstone density and Lethe's
//! delete-persistence threshold, each against the same delete-heavy load
//! with them off. Measured in the engine: tombstones left in the tables and
//! how long a deleted key's tombstone lived before compaction purged it.

mod common;

use std::collections::HashMap;

use common::{key, small_options, value};
use lsmlab_engine::{Clock, Db, Env, Options};

/// What a run left behind.
#[derive(Debug)]
struct Outcome {
    /// Tombstones in the tables at the end.
    tombstones_left: u64,
    /// Deletes whose tombstone was never purged.
    unpurged: usize,
    /// Longest time from a delete to its tombstone's purge (purged ones).
    max_persistence_ms: u64,
    /// Jobs by reason name.
    jobs: HashMap<&'static str, u64>,
}

/// Parameters by name, as `--set` takes them.
type Settings<'a> = &'a [(&'a str, &'a str)];

fn options(settings: Settings) -> Options {
    let mut o = small_options(common::policy("leveled"));
    for (name, value) in settings {
        o.set(name, value).unwrap();
    }
    o
}

/// Loads 1,500 keys, then deletes runs of 40 consecutive keys with a few
/// overwrites among them, 100 ms of clock per operation; then 10 quiet
/// minutes in 1 s steps, compacting after each.
fn run(opts: Options) -> Outcome {
    let (env, _mem, clock): (Env, _, _) = Env::mem();
    let db = Db::open_with("/db", opts, env).unwrap();
    db.track_tombstone_purges(true);
    for i in 0..1_500 {
        db.put(&key(i), &value(i, 0, 24)).unwrap();
    }
    db.flush().unwrap();
    db.compact().unwrap();
    let mut deleted_at: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut purged_after: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut note = |db: &Db, deleted_at: &HashMap<Vec<u8>, u64>| {
        for (k, at) in db.take_tombstone_purges() {
            if let Some(&d) = deleted_at.get(&k) {
                purged_after.entry(k).or_insert(at - d);
            }
        }
    };
    for round in 0..30u64 {
        let start = (round * 97) % 1_400;
        for i in start..start + 40 {
            db.delete(&key(i)).unwrap();
            deleted_at.insert(key(i), clock.now_ms());
            clock.advance_by(100);
        }
        for j in 0..5 {
            let i = (round * 31 + j * 277) % 1_500;
            if !deleted_at.contains_key(&key(i)) {
                db.put(&key(i), &value(i, round + 1, 24)).unwrap();
            }
            clock.advance_by(100);
        }
        note(&db, &deleted_at);
    }
    db.flush().unwrap();
    for _ in 0..600 {
        clock.advance_by(1_000);
        db.compact().unwrap();
        note(&db, &deleted_at);
    }
    let v = db.version();
    let tombstones_left = (0..v.num_levels())
        .flat_map(|l| v.files(l).iter())
        .map(|f| f.tombstones)
        .sum();
    let stats = db.stats();
    Outcome {
        tombstones_left,
        unpurged: deleted_at.len() - purged_after.len(),
        max_persistence_ms: purged_after.values().copied().max().unwrap_or(0),
        jobs: stats.jobs_by_reason.into_iter().collect(),
    }
}

#[test]
fn each_tombstone_trigger_leaves_fewer_tombstones_than_none() {
    let off = run(options(&[]));
    assert!(
        off.tombstones_left > 100,
        "the load leaves tombstones: {off:?}"
    );
    let triggers: [(&str, Settings, &str); 3] = [
        (
            "deletion collector",
            &[("sliding_window_size", "32"), ("deletion_trigger", "8")],
            "files_marked",
        ),
        (
            "tombstone density",
            &[
                ("tombstone_dense_compaction_threshold", "0.1"),
                ("num_deletions_threshold", "4"),
            ],
            "tombstone_density",
        ),
        (
            "delete persistence",
            &[("delete_persistence_threshold", "120s")],
            "delete_persistence",
        ),
    ];
    for (name, settings, reason) in triggers {
        let on = run(options(settings));
        assert!(
            on.jobs.get(reason).copied().unwrap_or(0) > 0,
            "{name}: no {reason} job: {on:?}"
        );
        assert!(
            on.tombstones_left * 2 < off.tombstones_left,
            "{name}: {on:?} against off {off:?}"
        );
        assert!(
            on.unpurged < off.unpurged,
            "{name}: {on:?} against off {off:?}"
        );
    }
}

#[test]
fn delete_persistence_purges_every_tombstone_within_the_threshold() {
    let on = run(options(&[("delete_persistence_threshold", "120s")]));
    assert_eq!(on.unpurged, 0, "{on:?}");
    // The deadline check runs once per simulated second of the quiet phase
    // (and after writes before it): allow that step.
    assert!(on.max_persistence_ms <= 121_000, "{on:?}");
}

#[test]
fn marks_are_kept_across_a_reopen() {
    let (env, _mem, _clock) = Env::mem();
    // Two L0 files and nothing deeper: L0 is the last level with data, whose
    // marked files stay where they are (as in RocksDB).
    let opts = Options {
        l0_file_limit: 8,
        ..options(&[("sliding_window_size", "16"), ("deletion_trigger", "4")])
    };
    let db = Db::open_with("/db", opts.clone(), env.clone()).unwrap();
    for i in 0..40 {
        db.put(&key(i), &value(i, 0, 24)).unwrap();
    }
    db.flush().unwrap();
    for i in 0..20 {
        db.delete(&key(i)).unwrap();
    }
    db.flush().unwrap();
    let marked = |db: &Db| -> Vec<u64> {
        let v = db.version();
        (0..v.num_levels())
            .flat_map(|l| v.files(l).iter())
            .filter(|f| f.marks.deletions)
            .map(|f| f.number)
            .collect()
    };
    let before = marked(&db);
    assert_eq!(before.len(), 1, "the flush of deletes, not the one of puts");
    db.close().unwrap();
    let db = Db::open_with("/db", opts, env).unwrap();
    assert_eq!(marked(&db), before);
}

/// Tombstones and older versions that a snapshot kept at the bottom of
/// the tree: with `compact_bottommost_files`, releasing the snapshot gets
/// them rewritten away (RocksDB's bottommost-files compaction).
fn bottom_after_release(on: bool) -> (u64, u64, u64) {
    let (env, _mem, _clock) = Env::mem();
    let flag = if on { "true" } else { "false" };
    let opts = options(&[("compact_bottommost_files", flag)]);
    let levels = opts.num_levels;
    let db = Db::open_with("/db", opts, env).unwrap();
    for i in 0..300 {
        db.put(&key(i), &value(i, 0, 24)).unwrap();
    }
    db.flush().unwrap();
    let snap = db.snapshot();
    for i in 0..150 {
        db.delete(&key(i)).unwrap();
    }
    for i in 150..300 {
        db.put(&key(i), &value(i, 1, 24)).unwrap();
    }
    db.flush().unwrap();
    // Everything down to the last level, the snapshot's versions with it.
    for level in 0..levels - 1 {
        db.compact_level(level).unwrap();
    }
    let v = db.version();
    assert!((0..levels - 1).all(|l| v.files(l).is_empty()));
    drop(snap);
    db.compact().unwrap();
    let v = db.version();
    let files = || (0..levels).flat_map(|l| v.files(l).iter());
    let tombstones = files().map(|f| f.tombstones).sum();
    let entries = files().map(|f| f.entries).sum();
    let jobs = db
        .stats()
        .jobs_by_reason
        .get("bottommost_files")
        .copied()
        .unwrap_or(0);
    (tombstones, entries, jobs)
}

#[test]
fn released_snapshots_let_bottommost_files_be_rewritten() {
    let (tombstones_off, entries_off, jobs_off) = bottom_after_release(false);
    let (tombstones_on, entries_on, jobs_on) = bottom_after_release(true);
    assert_eq!(jobs_off, 0);
    assert!(jobs_on > 0);
    // Off: the snapshot's 300 versions stay under the 150 tombstones and
    // the 150 newer values.
    assert_eq!((tombstones_off, entries_off), (150, 600));
    // On: only the live keys' newest versions remain.
    assert_eq!((tombstones_on, entries_on), (0, 150));
}
