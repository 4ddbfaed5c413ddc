//! `delete_range` end to end: tombstones in the memtable, in L0 and deep in
//! the tree hide what they cover from gets, scans and snapshots; file bounds
//! include their ranges; compaction drops covered data and, once nothing
//! older can be below, the tombstones themselves.

mod common;

use common::{key, policy, small_options, value};
use lsmlab_engine::{Db, Env, Options};

fn open(name: &str) -> Db {
    let (env, _mem, _clock) = Env::mem();
    Db::open_with("/db", small_options(policy(name)), env).unwrap()
}

fn live_keys(db: &Db) -> Vec<Vec<u8>> {
    db.scan(b"", None, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

fn range_tombstones_in_tables(db: &Db) -> u64 {
    let v = db.version();
    (0..v.num_levels())
        .flat_map(|l| v.files(l).to_vec())
        .map(|f| f.tombstones)
        .sum()
}

#[test]
fn a_range_tombstone_hides_older_versions_at_every_level() {
    let db = open("leveled");
    for i in 0..400 {
        db.put(&key(i), &value(i, 0, 40)).unwrap();
    }
    db.flush().unwrap();
    db.compact().unwrap();
    let v = db.version();
    assert!(
        (1..v.num_levels()).any(|l| !v.files(l).is_empty()),
        "data below L0"
    );
    let before = db.snapshot();
    // In the memtable: hides data deep in the tree.
    db.delete_range(&key(100), &key(200)).unwrap();
    assert_eq!(db.get(&key(99)).unwrap(), Some(value(99, 0, 40)));
    assert_eq!(db.get(&key(100)).unwrap(), None);
    assert_eq!(db.get(&key(199)).unwrap(), None);
    assert_eq!(db.get(&key(200)).unwrap(), Some(value(200, 0, 40)));
    // A newer write inside the range is visible.
    db.put(&key(150), b"new").unwrap();
    assert_eq!(db.get(&key(150)).unwrap(), Some(b"new".to_vec()));
    let want: Vec<Vec<u8>> = (0..400)
        .filter(|&i| !(100..200).contains(&i) || i == 150)
        .map(key)
        .collect();
    assert_eq!(live_keys(&db), want);
    // The snapshot taken before still reads everything.
    assert_eq!(
        db.get_at(&before, &key(120)).unwrap(),
        Some(value(120, 0, 40))
    );
    assert_eq!(
        db.scan_at(&before, b"", None, usize::MAX).unwrap().len(),
        400
    );
    // Flushed to L0 and compacted down: same answers.
    db.flush().unwrap();
    assert!(range_tombstones_in_tables(&db) >= 1);
    db.compact().unwrap();
    assert_eq!(live_keys(&db), want);
    assert_eq!(db.get(&key(120)).unwrap(), None);
    assert_eq!(
        db.get_at(&before, &key(120)).unwrap(),
        Some(value(120, 0, 40))
    );
    db.version().check_invariants().unwrap();
}

#[test]
fn file_bounds_cover_the_tombstones_range() {
    let (env, _mem, _clock) = Env::mem();
    let opts = Options {
        l0_file_limit: 10,
        ..small_options(policy("leveled"))
    };
    let db = Db::open_with("/db", opts, env).unwrap();
    // Older data under the range keeps the tombstone in the flush.
    db.put(b"d", b"0").unwrap();
    db.flush().unwrap();
    db.delete_range(b"c", b"x").unwrap();
    db.put(b"m", b"1").unwrap();
    db.flush().unwrap();
    let v = db.version();
    let f = v.files(0).first().expect("the newest L0 file").clone();
    assert_eq!(f.smallest_user_key(), b"c");
    assert_eq!(f.largest_user_key(), b"x");
    assert_eq!(f.tombstones, 1, "the range tombstone counts as a tombstone");
    assert_eq!(f.entries, 2);
    // A lookup outside the point keys but inside the range finds the file.
    assert!(v.runs(0)[0].file_for_key(b"e").is_some());
    assert_eq!(db.get(b"d").unwrap(), None);
}

#[test]
fn compaction_drops_covered_data_then_the_tombstone_itself() {
    for name in ["leveled", "min-overlap"] {
        let db = open(name);
        for i in 0..600 {
            db.put(&key(i), &value(i, 0, 60)).unwrap();
        }
        db.flush().unwrap();
        db.compact().unwrap();
        let full = db.version().total_bytes();
        db.delete_range(&key(0), &key(500)).unwrap();
        db.flush().unwrap();
        db.compact().unwrap();
        // Everything under the tombstone is gone from the tables, and the
        // tombstone with it once nothing older is left below it (pushed
        // down level by level).
        for l in 1..db.version().num_levels() {
            db.compact_level(l - 1).unwrap();
        }
        let v = db.version();
        assert!(
            v.total_bytes() < full / 3,
            "{name}: {} bytes left of {full}",
            v.total_bytes()
        );
        assert_eq!(range_tombstones_in_tables(&db), 0, "{name}");
        assert_eq!(live_keys(&db), (500..600).map(key).collect::<Vec<_>>());
        v.check_invariants().unwrap();
    }
}

#[test]
fn range_deletes_survive_a_crash_through_the_wal() {
    let (env, mem, _clock) = Env::mem();
    let opts = small_options(policy("leveled"));
    let db = Db::open_with("/db", opts.clone(), env.clone()).unwrap();
    for i in 0..50 {
        db.put(&key(i), b"v").unwrap();
    }
    db.flush().unwrap();
    db.delete_range(&key(10), &key(40)).unwrap();
    drop(db);
    mem.crash();
    let db = Db::open_with("/db", opts, env).unwrap();
    assert_eq!(live_keys(&db).len(), 20);
    assert_eq!(db.get(&key(10)).unwrap(), None);
    assert_eq!(
        db.stats().range_deletes,
        0,
        "stats count this incarnation's writes"
    );
}
