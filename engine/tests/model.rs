//! The engine against a `BTreeMap` model: random puts (with and without
//! TTL), merges (`add`), deletes, range deletes, gets, scans, flushes,
//! snapshots, reopens and crashes, under every compaction policy, on `MemFs`
//! and `DiskFs`; and with value separation and blob garbage collection on.

mod common;

use std::sync::Arc;

use common::{assert_same_pairs, key, policies, small_options, value, Model};
use lsmlab_engine::compaction::PolicyDef;
use lsmlab_engine::fs::{DiskFs, MemFs};
use lsmlab_engine::merge_op::MergeOperatorChoice;
use lsmlab_engine::{Clock, Db, Env, Options, VirtualClock};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

struct Harness {
    env: Env,
    mem: Option<MemFs>,
    clock: Arc<VirtualClock>,
    dir: std::path::PathBuf,
    opts: Options,
    db: Option<Db>,
    /// Flushes and compaction jobs over every incarnation of the database.
    work: Work,
}

#[derive(Default, Debug)]
struct Work {
    flushes: u64,
    merges: u64,
    moves_and_drops: u64,
    reopens: u64,
    stall_events: u64,
    blob_files: u64,
    blobs_relocated: u64,
    blob_files_deleted: u64,
    /// Jobs of the leveled fallbacks (marked files, delete persistence,
    /// periodic, TTL).
    fallback_jobs: u64,
}

/// The reasons of the leveled picker's fallbacks.
const FALLBACK_REASONS: &[&str] = &[
    "files_marked",
    "tombstone_density",
    "delete_persistence",
    "periodic",
    "ttl",
    "bottommost_files",
];

impl Harness {
    fn db(&self) -> &Db {
        self.db.as_ref().unwrap()
    }

    fn tally(&mut self) {
        let s = self.db().stats();
        self.work.flushes += s.flushes;
        self.work.merges += s.compactions;
        self.work.moves_and_drops += s.trivial_moves + s.files_dropped;
        self.work.stall_events += s.stall_events;
        self.work.blob_files += s.blob.files;
        self.work.blobs_relocated += s.blob.relocated;
        self.work.blob_files_deleted += s.blob_files_deleted;
        self.work.fallback_jobs += s
            .jobs_by_reason
            .iter()
            .filter(|(r, _)| FALLBACK_REASONS.contains(r))
            .map(|(_, n)| n)
            .sum::<u64>();
    }

    fn reopen(&mut self, crash: bool) {
        self.tally();
        self.work.reopens += 1;
        let db = self.db.take().unwrap();
        if crash {
            drop(db);
            if let Some(m) = &self.mem {
                m.crash();
            }
        } else {
            db.close().unwrap();
        }
        self.db = Some(Db::open_with(&self.dir, self.opts.clone(), self.env.clone()).unwrap());
    }
}

fn run(
    seed: u64,
    policy: &'static PolicyDef,
    disk: Option<&std::path::Path>,
    steps: usize,
) -> Work {
    run_with(seed, small_options(policy), disk, steps)
}

fn run_with(seed: u64, opts: Options, disk: Option<&std::path::Path>, steps: usize) -> Work {
    let policy = opts.compaction.policy.name;
    let mut rng = StdRng::seed_from_u64(seed);
    let clock = Arc::new(VirtualClock::new(1_000));
    let (env, mem, dir) = match disk {
        Some(d) => (
            Env {
                fs: Arc::new(DiskFs::new()),
                clock: clock.clone(),
            },
            None,
            d.to_path_buf(),
        ),
        None => {
            let m = MemFs::new();
            (
                Env {
                    fs: Arc::new(m.clone()),
                    clock: clock.clone(),
                },
                Some(m),
                "/db".into(),
            )
        }
    };
    let db = Db::open_with(&dir, opts.clone(), env.clone()).unwrap();
    let mut h = Harness {
        env,
        mem,
        clock,
        dir,
        opts,
        db: Some(db),
        work: Work::default(),
    };
    let mut model = Model::default();
    let mut snaps: Vec<(lsmlab_engine::db::Snapshot, Model, u64)> = Vec::new();
    // Every third seed writes only data that expires alike, so that expiry
    // is exercised everywhere. A policy that drops whole files unread (FIFO)
    // always gets such data: only then does dropping a file of expired
    // versions never uncover an older version the model says is gone.
    let merges = h.opts.merge_operator != MergeOperatorChoice::None;
    let all_ttl = !merges
        && (seed.is_multiple_of(3)
            || (h.opts.compaction.policy.build)(&h.opts.compaction).drops_files_unread());
    let key_space = rng.random_range(50..400u64);
    let mut scanned = lsmlab_engine::db::ScanBuffer::new();

    for step in 0..steps {
        let now = h.clock.now_ms();
        let ctx = || format!("seed {seed} policy {policy} step {step}");
        match rng.random_range(0..100) {
            0..=44 => {
                let i = rng.random_range(0..key_space);
                let v = value(i, step as u64, rng.random_range(1..120));
                if merges && rng.random_ratio(1, 2) {
                    let n = rng.random_range(1..1000u64);
                    h.db().merge(&key(i), &n.to_le_bytes()).unwrap();
                    model.merge_add(&key(i), n, h.clock.now_ms());
                } else if merges && rng.random_ratio(1, 3) {
                    // A counter's starting value, so merges build on values.
                    let start = rng.random_range(0..1000u64).to_le_bytes();
                    h.db().put(&key(i), &start).unwrap();
                    model.put(&key(i), &start, None);
                } else if all_ttl || (!merges && rng.random_ratio(1, 10)) {
                    let ttl = if all_ttl {
                        20_000
                    } else {
                        rng.random_range(1..30_000)
                    };
                    h.db().put_with_ttl(&key(i), &v, ttl).unwrap();
                    // A stalled write waits on the clock: expiry counts from
                    // when it was applied.
                    model.put(&key(i), &v, Some(h.clock.now_ms() + ttl));
                } else {
                    h.db().put(&key(i), &v).unwrap();
                    model.put(&key(i), &v, None);
                }
            }
            45..=51 => {
                let i = rng.random_range(0..key_space);
                h.db().delete(&key(i)).unwrap();
                model.delete(&key(i));
            }
            52..=54 => {
                // Mostly a few keys; now and then a wide range, and an end
                // just past a key (`key ++ [0]`), where tables are cut.
                let lo = rng.random_range(0..key_space);
                let span = if rng.random_ratio(1, 8) {
                    rng.random_range(1..key_space)
                } else {
                    rng.random_range(1..12)
                };
                let start = key(lo);
                let mut end = key(lo + span);
                if rng.random_ratio(1, 4) {
                    end = key(lo + span - 1);
                    end.push(0);
                }
                h.db().delete_range(&start, &end).unwrap();
                model.delete_range(&start, &end);
            }
            55..=74 => {
                let i = rng.random_range(0..key_space);
                assert_eq!(
                    h.db().get(&key(i)).unwrap(),
                    model.get(&key(i), now),
                    "get {}",
                    ctx()
                );
            }
            75..=79 => {
                let lo = key(rng.random_range(0..key_space));
                let hi = rng
                    .random_bool(0.8)
                    .then(|| key(rng.random_range(0..key_space)));
                let limit = rng.random_range(1..50);
                let expected = model.scan(&lo, hi.as_deref(), limit, now);
                assert_same_pairs(
                    &h.db().scan(&lo, hi.as_deref(), limit).unwrap(),
                    &expected,
                    &format!("scan {}", ctx()),
                );
                // The same scan into the buffer the earlier ones filled.
                h.db()
                    .scan_into(&lo, hi.as_deref(), limit, &mut scanned)
                    .unwrap();
                let pairs: Vec<_> = scanned
                    .iter()
                    .map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .collect();
                assert_same_pairs(&pairs, &expected, &format!("scan into a buffer {}", ctx()));
            }
            80..=82 => h.db().flush().unwrap(),
            83..=85 => h.clock.advance_by(rng.random_range(0..3_000)),
            86..=88 => {
                if snaps.len() < 3 {
                    snaps.push((h.db().snapshot(), model.clone(), step as u64));
                } else {
                    snaps.remove(rng.random_range(0..snaps.len()));
                }
            }
            89..=93 => {
                if let Some((snap, m, _)) = snaps.get(rng.random_range(0..snaps.len().max(1))) {
                    let i = rng.random_range(0..key_space);
                    assert_eq!(
                        h.db().get_at(snap, &key(i)).unwrap(),
                        m.get(&key(i), now),
                        "snapshot get {}",
                        ctx()
                    );
                    let lo = key(rng.random_range(0..key_space));
                    assert_same_pairs(
                        &h.db().scan_at(snap, &lo, None, 20).unwrap(),
                        &m.scan(&lo, None, 20, now),
                        &format!("snapshot scan {}", ctx()),
                    );
                }
            }
            94..=96 => {
                snaps.clear();
                h.reopen(false);
            }
            _ => {
                snaps.clear();
                h.reopen(true);
            }
        }
    }
    // Everything, one last time, after a final crash.
    snaps.clear();
    h.reopen(true);
    let now = h.clock.now_ms();
    assert_same_pairs(
        &h.db().scan(b"", None, usize::MAX).unwrap(),
        &model.scan(b"", None, usize::MAX, now),
        &format!("final scan, seed {seed} policy {policy}"),
    );
    h.db().version().check_invariants().unwrap();
    h.tally();
    h.work
}

#[test]
fn every_policy_matches_the_model_on_memfs() {
    for &policy in policies() {
        let mut total = Work::default();
        for seed in 0..12 {
            let w = run(seed, policy, None, 3_000);
            total.flushes += w.flushes;
            total.merges += w.merges;
            total.moves_and_drops += w.moves_and_drops;
            total.reopens += w.reopens;
        }
        // The model is only worth something if the machinery ran.
        assert!(total.flushes > 100, "{policy:?}: {total:?}");
        assert!(total.merges > 20, "{policy:?}: {total:?}");
        assert!(total.reopens > 50, "{policy:?}: {total:?}");
    }
}

#[test]
fn every_policy_matches_the_model_with_add_merges() {
    // Counters: merges over values, deletes, range deletes and other
    // merges, read through snapshots and after crashes; the last seeds with
    // value separation (a base value in a blob file). No TTLs: a merge
    // over a value that expires resolves when read, which this model (it
    // resolves at the merge) does not follow. Policies that drop
    // whole files unread lose operands by design and sit this one out.
    let mut total = Work::default();
    for &policy in policies() {
        if policy.build_default().drops_files_unread() {
            continue;
        }
        for seed in 400..406 {
            let opts = if seed < 404 {
                small_options(policy)
            } else {
                blob_options(policy)
            };
            let opts = Options {
                merge_operator: MergeOperatorChoice::Add,
                ..opts
            };
            let w = run_with(seed, opts, None, 2_500);
            total.merges += w.merges;
            total.blob_files += w.blob_files;
        }
    }
    assert!(total.merges > 20, "{total:?}");
    assert!(total.blob_files > 0, "{total:?}");
}

#[test]
fn leveled_policies_match_the_model_with_each_fallback_on() {
    // Marks from deletions (RocksDB's collector, Pebble's density),
    // bottommost files once snapshots are released, Lethe's delete
    // persistence and periodic compaction, each alone, then together:
    // the jobs they add keep every answer right.
    let settings: [&[(&str, &str)]; 6] = [
        &[("sliding_window_size", "16"), ("deletion_trigger", "3")],
        &[("compact_bottommost_files", "true")],
        &[
            ("tombstone_dense_compaction_threshold", "0.05"),
            ("num_deletions_threshold", "2"),
        ],
        &[("delete_persistence_threshold", "20s")],
        &[("periodic_compaction_seconds", "30s")],
        &[
            ("deletion_ratio", "0.2"),
            ("tombstone_dense_compaction_threshold", "0.05"),
            ("delete_persistence_threshold", "20s"),
            ("periodic_compaction_seconds", "30s"),
            ("ttl", "25s"),
            ("compact_bottommost_files", "true"),
        ],
    ];
    for name in ["leveled", "round-robin"] {
        for set in settings {
            let mut opts = small_options(common::policy(name));
            for (param, value) in set {
                opts.set(param, value).unwrap();
            }
            let mut work = Work::default();
            for seed in 500..503 {
                let w = run_with(seed, opts.clone(), None, 2_500);
                work.merges += w.merges;
                work.fallback_jobs += w.fallback_jobs;
            }
            assert!(work.fallback_jobs > 0, "{name} {set:?}: {work:?}");
        }
    }
}

#[test]
fn every_policy_matches_the_model_with_rocksdbs_write_buffer_accounting() {
    // Memtables full by RocksDB's arena rule: 4 KiB blocks, nodes of every
    // height, values large enough for blocks of their own; flushes come
    // at other points than under the entry count, through crashes and
    // reopens (a recovered WAL refills a memtable charged the same way).
    for &policy in policies() {
        let mut flushes = 0;
        for seed in 700..702 {
            let mut opts = small_options(policy);
            opts.set("write_buffer_accounting", "rocksdb").unwrap();
            flushes += run_with(seed, opts, None, 2_000).flushes;
        }
        assert!(flushes > 10, "{}: {flushes} flushes", policy.name);
    }
}

#[test]
fn universal_matches_the_model_with_incremental_size_amplification() {
    // Windows of the second-last level merged into part of the last: the
    // partial merges keep every answer right, through crashes and reopens.
    let mut opts = small_options(common::policy("universal"));
    for (param, value) in [
        ("incremental", "true"),
        ("max_size_amplification_percent", "25"),
        ("max_compaction_bytes", "16KiB"),
    ] {
        opts.set(param, value).unwrap();
    }
    let mut work = Work::default();
    for seed in 600..620 {
        let w = run_with(seed, opts.clone(), None, 2_500);
        work.merges += w.merges;
    }
    assert!(work.merges > 20, "{work:?}");
}

#[test]
fn universal_matches_the_model_with_rocksdb_7_8_size_amplification() {
    // RocksDB 7.8's size-amplification rule (span from the newest idle run,
    // none when a run in it is busy, no L0 runs left out), with compaction
    // caught up and with jobs metered behind the writes (two workers, so
    // runs are busy when the next job is picked), through crashes and
    // reopens.
    let base = small_options(common::policy("universal"));
    let behind = Options {
        flush_io_rate: 40 << 10,
        compaction_io_rate: 60 << 10,
        max_background_jobs: 2,
        max_write_buffers: 3,
        l0_slowdown_limit: 4,
        l0_stop_limit: 6,
        ..base.clone()
    };
    for (regime, opts) in [("caught up", base), ("behind", behind)] {
        let mut opts = opts;
        opts.set("rocksdb_version", "7.8").unwrap();
        opts.set("max_size_amplification_percent", "50").unwrap();
        let mut work = Work::default();
        for seed in 700..706 {
            let w = run_with(seed, opts.clone(), None, 2_500);
            work.flushes += w.flushes;
            work.merges += w.merges;
        }
        assert!(work.merges > 20, "{regime}: {work:?}");
    }
}

#[test]
fn every_policy_matches_the_model_on_diskfs() {
    for &policy in policies() {
        for seed in 100..102 {
            let dir = tempfile::tempdir().unwrap();
            // A dropped DiskFs database keeps what the OS has: no need to
            // sync every write (and the test stays fast on a busy disk).
            let opts = Options {
                wal_sync: false,
                ..small_options(policy)
            };
            run_with(seed, opts, Some(dir.path()), 1_500);
        }
    }
}

#[test]
fn every_policy_matches_the_model_with_background_work_behind() {
    // Flushes and compactions metered so they lag the writes: reads must
    // see memtables waiting for flush, and jobs hold files while they wait.
    for &policy in policies() {
        let mut total = Work::default();
        for seed in 200..206 {
            let opts = Options {
                flush_io_rate: 40 << 10,
                compaction_io_rate: 60 << 10,
                max_background_jobs: 2,
                max_write_buffers: 3,
                l0_slowdown_limit: 4,
                l0_stop_limit: 6,
                ..small_options(policy)
            };
            let w = run_with(seed, opts, None, 3_000);
            total.flushes += w.flushes;
            total.merges += w.merges;
            total.stall_events += w.stall_events;
        }
        assert!(total.flushes > 20, "{policy:?}: {total:?}");
        // Writes really did wait for the background (unless the policy's L0
        // grows by design and does not stop writes, as FIFO's).
        if policy
            .build_default()
            .l0_delay_trigger_count(&lsmlab_engine::version::Version::new(7))
            .is_some()
        {
            assert!(total.stall_events > 0, "{policy:?}: {total:?}");
        }
    }
}

#[test]
fn every_policy_matches_the_model_in_background_mode() {
    // Flushes and compactions on worker threads, racing the operations.
    for &policy in policies() {
        let mut total = Work::default();
        for seed in 300..304 {
            let opts = Options {
                mode: lsmlab_engine::Mode::Background,
                max_background_jobs: 2,
                max_write_buffers: 3,
                ..small_options(policy)
            };
            let w = run_with(seed, opts, None, 2_000);
            total.flushes += w.flushes;
            total.merges += w.merges;
        }
        assert!(total.flushes > 20, "{policy:?}: {total:?}");
    }
}

/// A short scan whose range starts with many deleted or hidden keys in the
/// memtable: the scan reads only the memtable's first keys of the range
/// and must go back for more, never stop short or return shadowed data.
#[test]
fn short_scans_see_past_runs_of_tombstones_and_hidden_versions() {
    let (env, _mem, _clock) = Env::mem();
    let opts = Options {
        write_buffer_size: 1 << 20,
        ..small_options(common::policy("leveled"))
    };
    let db = Db::open_with("/db", opts, env).unwrap();
    let mut model = Model::default();
    for i in 0..300 {
        db.put(&key(i), &value(i, 0, 20)).unwrap();
        model.put(&key(i), &value(i, 0, 20), None);
    }
    db.flush().unwrap();
    // Tombstones for the first 200 keys, all in the memtable.
    for i in 0..200 {
        db.delete(&key(i)).unwrap();
        model.delete(&key(i));
    }
    let snap = db.snapshot();
    let at_snap = model.clone();
    // Versions newer than the snapshot: hidden from it.
    for i in 200..260 {
        db.put(&key(i), &value(i, 1, 20)).unwrap();
        model.put(&key(i), &value(i, 1, 20), None);
    }
    for limit in [1, 5, 40, 100, 1000] {
        assert_eq!(
            db.scan(&key(0), None, limit).unwrap(),
            model.scan(&key(0), None, limit, 0),
            "latest, limit {limit}"
        );
        assert_eq!(
            db.scan_at(&snap, &key(0), None, limit).unwrap(),
            at_snap.scan(&key(0), None, limit, 0),
            "snapshot, limit {limit}"
        );
    }
    assert_eq!(
        db.stats().scans,
        10,
        "a scan that goes back for more counts once"
    );
    // Into one buffer: what a first attempt put there is gone when the
    // scan goes back for more.
    let mut scanned = lsmlab_engine::db::ScanBuffer::new();
    for limit in [1000, 1, 100, 5] {
        db.scan_into(&key(0), None, limit, &mut scanned).unwrap();
        let pairs: Vec<_> = scanned
            .iter()
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect();
        assert_eq!(
            pairs,
            model.scan(&key(0), None, limit, 0),
            "into a buffer, limit {limit}"
        );
    }
}

/// A short scan whose memtable copy ends the merge: nothing in the tables
/// lies past the copy (or only past `hi`), so the merge runs out, or stops
/// at `hi`, before meeting the copy's cut. The live keys past the copy must
/// still be found.
#[test]
fn short_scans_go_back_when_the_memtable_copy_is_all_there_is() {
    for far_table in [false, true] {
        let (env, _mem, _clock) = Env::mem();
        let opts = Options {
            write_buffer_size: 1 << 20,
            ..small_options(common::policy("leveled"))
        };
        let db = Db::open_with("/db", opts, env).unwrap();
        let mut model = Model::default();
        if far_table {
            // A table whose only key lies past `hi`.
            db.put(&key(900), b"far").unwrap();
            model.put(&key(900), b"far", None);
            db.flush().unwrap();
        }
        for i in [0, 40, 70] {
            db.put(&key(i), &value(i, 0, 20)).unwrap();
            model.put(&key(i), &value(i, 0, 20), None);
        }
        let snap = db.snapshot();
        let at_snap = model.clone();
        // Tombstones of keys that never existed, and versions the snapshot
        // does not see, ahead of keys 40 and 70.
        for i in 1..30 {
            db.delete(&key(i)).unwrap();
            model.delete(&key(i));
        }
        for i in 41..60 {
            db.put(&key(i), &value(i, 1, 20)).unwrap();
            model.put(&key(i), &value(i, 1, 20), None);
        }
        for limit in [2, 3, 5, 10] {
            for hi in [None, Some(key(800))] {
                let ctx = format!("far table {far_table}, limit {limit}, hi {hi:?}");
                assert_eq!(
                    db.scan(&key(0), hi.as_deref(), limit).unwrap(),
                    model.scan(&key(0), hi.as_deref(), limit, 0),
                    "latest, {ctx}"
                );
                assert_eq!(
                    db.scan_at(&snap, &key(0), hi.as_deref(), limit).unwrap(),
                    at_snap.scan(&key(0), hi.as_deref(), limit, 0),
                    "snapshot, {ctx}"
                );
            }
        }
    }
}

/// [`small_options`] with value separation: about half the values (1 to
/// 119 bytes) go to blob files of at most a few KiB, and garbage collection
/// relocates the oldest half of them, forced at 30% garbage.
fn blob_options(policy: &'static PolicyDef) -> Options {
    Options {
        min_blob_size: 60,
        blob_file_size: 4 << 10,
        enable_blob_garbage_collection: true,
        blob_garbage_collection_age_cutoff: 0.5,
        blob_garbage_collection_force_threshold: 0.3,
        ..small_options(policy)
    }
}

#[test]
fn every_policy_matches_the_model_with_value_separation() {
    for &policy in policies() {
        let mut total = Work::default();
        for seed in 400..406 {
            let w = run_with(seed, blob_options(policy), None, 2_000);
            total.flushes += w.flushes;
            total.merges += w.merges;
            total.blob_files += w.blob_files;
            total.blobs_relocated += w.blobs_relocated;
            total.blob_files_deleted += w.blob_files_deleted;
        }
        // Values really went to blob files, were relocated and their files
        // deleted once empty. (A policy that drops files unread gets only
        // expiring values, which stay in the tables.)
        if policy.build_default().drops_files_unread() {
            continue;
        }
        assert!(total.blob_files > 20, "{policy:?}: {total:?}");
        assert!(total.blobs_relocated > 0, "{policy:?}: {total:?}");
        assert!(total.blob_files_deleted > 0, "{policy:?}: {total:?}");
    }
}

#[test]
fn every_policy_matches_the_model_with_value_separation_in_background_mode() {
    for &policy in policies() {
        for seed in 500..502 {
            let opts = Options {
                mode: lsmlab_engine::Mode::Background,
                max_background_jobs: 2,
                max_write_buffers: 3,
                ..blob_options(policy)
            };
            run_with(seed, opts, None, 1_500);
        }
    }
}
