//! A systematic fault campaign. A workload is run once to count its
//! file-system operations, then rerun once per operation and position,
//! failing exactly that one: every create, write, sync, rename, remove,
//! read, open and directory sync, on any file, under every policy. Two
//! workloads: one that flushes, compacts, reads and scans; one of many
//! small flushes with long keys, so the manifest is rewritten (written,
//! synced, `CURRENT` renamed) again and again. Recovery is put through the
//! same: every operation of a reopen after a crash is failed in turn.
//!
//! After each failure: the operation that met it returned an error (no
//! fault is swallowed), every read that returned data returned the right
//! data, a database that failed a write refuses further writes but still
//! reads correctly, and the database reopens (after a process kill, which
//! keeps unsynced bytes and torn appends, and after a power loss, which
//! forgets unsynced bytes) with every acknowledged write, the write in
//! flight whole or absent, and the version's invariants intact.
//!
//! `LSMLAB_FAULT_STRIDE=N` tries every N-th position only (for slow debug
//! builds); the default is every position. `LSMLAB_FAULT_LONG=1` makes the
//! workloads 2.5 times as long (2.5 times the positions, each run longer).

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{copy_all, key, small_options, value, Model};
use lsmlab_engine::compaction::PolicyDef;
use lsmlab_engine::fs::{is_injected_fault, FaultFs, FaultOp, FaultRule, FileKind, Fs, MemFs};
use lsmlab_engine::{Clock, Db, Env, Error, Options, VirtualClock};

const DIR: &str = "/db";

fn stride() -> usize {
    std::env::var("LSMLAB_FAULT_STRIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1)
}

/// The shared small options, with the smallest manifest limit.
fn options(policy: &'static PolicyDef) -> Options {
    Options {
        max_manifest_bytes: 4096,
        ..small_options(policy)
    }
}

fn env_on(fs: Arc<dyn Fs>, clock: &Arc<VirtualClock>) -> Env {
    Env {
        fs,
        clock: clock.clone(),
    }
}

/// What a workload does.
#[derive(Debug, Clone, Copy)]
struct Shape {
    name: &'static str,
    ops: u64,
    /// Bytes added to every key (long keys make large manifest edits).
    key_pad: usize,
    value_len: usize,
    /// Flush after every this many writes (0: only when the buffer fills).
    flush_every: u64,
}

/// Flushes and compactions, with gets and scans along the way.
const COMPACTING: Shape = Shape {
    name: "compacting",
    ops: 360,
    key_pad: 0,
    value_len: 40,
    flush_every: 0,
};

/// Many small flushes of long keys: the manifest outgrows its limit and is
/// replaced every few flushes.
const MANIFEST_HEAVY: Shape = Shape {
    name: "manifest-heavy",
    ops: 60,
    key_pad: 300,
    value_len: 10,
    flush_every: 3,
};

/// `shape`, longer under `LSMLAB_FAULT_LONG=1`.
fn scaled(shape: Shape) -> Shape {
    let long = std::env::var("LSMLAB_FAULT_LONG").is_ok_and(|v| v == "1");
    Shape {
        ops: if long { shape.ops * 5 / 2 } else { shape.ops },
        ..shape
    }
}

fn shape_key(shape: &Shape, i: u64) -> Vec<u8> {
    let mut k = key(i);
    k.resize(k.len() + shape.key_pad, b'k');
    k
}

/// What a run did besides its acknowledged writes.
#[derive(Debug, Default)]
struct Outcome {
    /// A write or flush failed: the run stopped there.
    failed: bool,
    /// The key of the write that failed: it may or may not have landed.
    uncertain: Option<Vec<u8>>,
    /// Errors returned by gets and scans.
    read_errors: u64,
    /// Gets and scans whose answer was compared with the model.
    reads_checked: u64,
}

fn check_read<T: PartialEq + std::fmt::Debug>(
    got: Result<T, Error>,
    want: T,
    out: &mut Outcome,
    what: &str,
) {
    match got {
        Ok(v) => {
            assert_eq!(v, want, "{what}");
            out.reads_checked += 1;
        }
        Err(e) => {
            assert!(is_injected_fault(&e), "{what}: {e}");
            out.read_errors += 1;
        }
    }
}

/// Puts and deletes over 120 keys (overwrites, tombstones), a get every
/// 3rd op and a scan every 100th, each checked against the model when it
/// succeeds. Stops at the first failed write or flush.
fn workload(shape: &Shape, ops: u64, db: &Db, clock: &VirtualClock, model: &mut Model) -> Outcome {
    let mut out = Outcome::default();
    for i in 0..ops {
        let k = shape_key(shape, (i * 7919) % 120);
        clock.advance_by(20);
        let r = if i % 9 == 0 {
            db.delete(&k).map(|_| model.delete(&k))
        } else {
            let v = value(i, i, shape.value_len);
            db.put(&k, &v).map(|_| model.put(&k, &v, None))
        };
        if r.is_err() {
            out.failed = true;
            out.uncertain = Some(k);
            return out;
        }
        let flush_now = shape.flush_every > 0 && i % shape.flush_every == shape.flush_every - 1;
        if flush_now && db.flush().is_err() {
            out.failed = true;
            return out;
        }
        let now = clock.now_ms();
        if i % 3 == 0 {
            let probe = shape_key(shape, (i * 31) % 130);
            let what = format!("get after op {i}");
            check_read(db.get(&probe), model.get(&probe, now), &mut out, &what);
        }
        if i % 100 == 99 {
            let all = model.scan(b"", None, usize::MAX, now);
            let what = format!("scan after op {i}");
            check_read(db.scan(b"", None, usize::MAX), all, &mut out, &what);
        }
    }
    out
}

/// `model` with the uncertain key set to what `seen` (a full scan) holds.
fn adopt(model: &Model, uncertain: Option<&[u8]>, seen: &[(Vec<u8>, Vec<u8>)]) -> Model {
    let mut m = model.clone();
    if let Some(k) = uncertain {
        match seen.iter().find(|(sk, _)| sk.as_slice() == k) {
            Some((_, v)) => m.put(k, v, None),
            None => m.delete(k),
        }
    }
    m
}

/// Reopens `fs` without faults and checks it against `model` (the
/// uncertain key whole or absent, never torn); returns the model of what
/// the database holds.
fn reopen_and_check(
    fs: Arc<dyn Fs>,
    clock: &Arc<VirtualClock>,
    opts: &Options,
    model: &Model,
    uncertain: Option<&[u8]>,
    what: &str,
) -> Model {
    let db = Db::open_with(DIR, opts.clone(), env_on(fs, clock))
        .unwrap_or_else(|e| panic!("{what}: reopen failed: {e}"));
    db.version()
        .check_invariants()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let seen = db.scan(b"", None, usize::MAX).unwrap();
    let model = adopt(model, uncertain, &seen);
    assert_eq!(
        seen,
        model.scan(b"", None, usize::MAX, clock.now_ms()),
        "{what}"
    );
    // The reopened database takes writes again.
    db.put(b"after", b"reopen")
        .unwrap_or_else(|e| panic!("{what}: write after reopen: {e}"));
    model
}

/// Figures of a campaign, summed over its runs.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    positions: u64,
    /// Positions per operation, indexed like `FaultOp::ALL`.
    per_op: [u64; FaultOp::ALL.len()],
    failed_writes: u64,
    runs_with_failed_reads: u64,
    failed_opens: u64,
    reads_checked: u64,
}

impl Tally {
    fn add(&mut self, op: FaultOp) {
        self.positions += 1;
        self.per_op[op as usize] += 1;
    }

    fn absorb(&mut self, o: &Tally) {
        self.positions += o.positions;
        for (a, b) in self.per_op.iter_mut().zip(o.per_op) {
            *a += b;
        }
        self.failed_writes += o.failed_writes;
        self.runs_with_failed_reads += o.runs_with_failed_reads;
        self.failed_opens += o.failed_opens;
        self.reads_checked += o.reads_checked;
    }

    fn summary(&self) -> String {
        let per_op: Vec<String> = FaultOp::ALL
            .iter()
            .map(|op| format!("{op} {}", self.per_op[*op as usize]))
            .collect();
        format!(
            "{} positions ({}); {} failed writes, {} runs with failed reads, \
             {} failed opens, {} reads checked",
            self.positions,
            per_op.join(", "),
            self.failed_writes,
            self.runs_with_failed_reads,
            self.failed_opens,
            self.reads_checked
        )
    }
}

/// Operation counts of a clean run of `shape`, per fault op.
fn count_ops(shape: &Shape, opts: &Options) -> Vec<(FaultOp, u64)> {
    let clock = Arc::new(VirtualClock::new(0));
    let fault = FaultFs::new(Arc::new(MemFs::new()));
    let db = Db::open_with(DIR, opts.clone(), env_on(Arc::new(fault.clone()), &clock)).unwrap();
    let out = workload(shape, shape.ops, &db, &clock, &mut Model::default());
    assert!(!out.failed && out.read_errors == 0);
    let s = db.stats();
    assert!(s.flushes > 3, "{}: {s:?}", shape.name);
    drop(db);
    FaultOp::ALL
        .iter()
        .map(|&op| (op, fault.op_count(op, None)))
        .collect()
}

/// Checks a run that met the fault at `what`, then reopens a copy as after
/// a process kill and the original after a power loss.
fn check_after_fault(
    mem: MemFs,
    clock: &Arc<VirtualClock>,
    opts: &Options,
    model: &Model,
    uncertain: Option<&[u8]>,
    what: &str,
) {
    let killed = copy_all(&mem, Path::new(DIR));
    let kill = format!("{what}, process kill");
    reopen_and_check(Arc::new(killed), clock, opts, model, uncertain, &kill);
    mem.crash();
    let power = format!("{what}, power loss");
    reopen_and_check(Arc::new(mem), clock, opts, model, uncertain, &power);
}

/// Fails every operation of `shape` in turn.
fn workload_campaign(shape: &Shape, policy: &'static PolicyDef) -> Tally {
    let opts = options(policy);
    let mut tally = Tally::default();
    for (op, total) in count_ops(shape, &opts) {
        for nth in (0..total).step_by(stride()) {
            tally.add(op);
            let what = format!("{policy}, {}: {op} #{nth} of {total}", shape.name);
            let clock = Arc::new(VirtualClock::new(0));
            let mem = MemFs::new();
            let fault = FaultFs::new(Arc::new(mem.clone()));
            // A failed append leaves a prefix of varying length behind, as
            // a torn write would.
            let torn = [0, 5, 100][(nth % 3) as usize];
            fault.arm(FaultRule::new(op, nth).torn(torn));
            let mut model = Model::default();
            let mut out = Outcome::default();
            let env = env_on(Arc::new(fault.clone()), &clock);
            let open_failed = match Db::open_with(DIR, opts.clone(), env) {
                Ok(db) => {
                    out = workload(shape, shape.ops, &db, &clock, &mut model);
                    if out.failed {
                        let e = db.put(b"more", b"x").unwrap_err();
                        assert!(matches!(e, Error::ReadOnly(_)), "{what}: {e}");
                        fault.disarm();
                        // Still readable and consistent after the failure.
                        let seen = db.scan(b"", None, usize::MAX).unwrap();
                        let m = adopt(&model, out.uncertain.as_deref(), &seen);
                        let want = m.scan(b"", None, usize::MAX, clock.now_ms());
                        assert_eq!(seen, want, "{what}: read after the failure");
                    }
                    false
                }
                Err(e) => {
                    assert!(is_injected_fault(&e), "{what}: open: {e}");
                    true
                }
            };
            fault.disarm();
            assert_eq!(fault.faults_injected(), 1, "{what}: never reached");
            assert!(
                out.failed || out.read_errors > 0 || open_failed || op == FaultOp::Remove,
                "{what}: the fault was swallowed"
            );
            tally.failed_writes += u64::from(out.failed);
            tally.runs_with_failed_reads += u64::from(out.read_errors > 0);
            tally.failed_opens += u64::from(open_failed);
            tally.reads_checked += out.reads_checked;
            check_after_fault(mem, &clock, &opts, &model, out.uncertain.as_deref(), &what);
        }
    }
    tally
}

/// A database left behind by a crash, to recover from.
struct Base {
    name: &'static str,
    /// Every file, all bytes synced.
    files: MemFs,
    /// What the database holds.
    model: Model,
    clock: Arc<VirtualClock>,
}

/// Flushed tables and unflushed WAL records, after a power loss.
fn base_with_unflushed_wal(opts: &Options) -> Base {
    let clock = Arc::new(VirtualClock::new(0));
    let mem = MemFs::new();
    let mut model = Model::default();
    let db = Db::open_with(DIR, opts.clone(), env_on(Arc::new(mem.clone()), &clock)).unwrap();
    let ops = COMPACTING.ops - 30;
    assert!(!workload(&COMPACTING, ops, &db, &clock, &mut model).failed);
    assert!(db.memtable_bytes() > 0, "the WAL has records to replay");
    drop(db);
    mem.crash();
    Base {
        name: "unflushed WAL",
        files: copy_all(&mem, Path::new(DIR)),
        model,
        clock,
    }
}

/// A process killed while appending a manifest edit (a torn manifest tail),
/// with unflushed WAL records: recovery replaces the manifest.
fn base_with_torn_manifest(opts: &Options) -> Base {
    let clock = Arc::new(VirtualClock::new(0));
    let mem = MemFs::new();
    let fault = FaultFs::new(Arc::new(mem.clone()));
    fault.arm(
        FaultRule::new(FaultOp::Write, 8)
            .on(FileKind::Manifest)
            .torn(20),
    );
    let mut model = Model::default();
    let db = Db::open_with(DIR, opts.clone(), env_on(Arc::new(fault.clone()), &clock)).unwrap();
    let out = workload(&MANIFEST_HEAVY, MANIFEST_HEAVY.ops, &db, &clock, &mut model);
    assert!(out.failed && fault.faults_injected() == 1);
    drop(db);
    let files = copy_all(&mem, Path::new(DIR));
    let probe = copy_all(&mem, Path::new(DIR));
    let model = reopen_and_check(
        Arc::new(probe),
        &clock,
        opts,
        &model,
        out.uncertain.as_deref(),
        "torn manifest base",
    );
    Base {
        name: "torn manifest",
        files,
        model,
        clock,
    }
}

/// Fails every operation of a recovery from `base` (an open and a full
/// scan): the open fails cleanly or recovers everything, and a later clean
/// reopen recovers everything either way.
fn recovery_campaign(base: &Base, policy: &'static PolicyDef, opts: &Options) -> Tally {
    let clock = &base.clock;
    let want = base.model.scan(b"", None, usize::MAX, clock.now_ms());
    let count = FaultFs::new(Arc::new(copy_all(&base.files, Path::new(DIR))));
    let db = Db::open_with(DIR, opts.clone(), env_on(Arc::new(count.clone()), clock)).unwrap();
    assert_eq!(
        db.scan(b"", None, usize::MAX).unwrap(),
        want,
        "{}",
        base.name
    );
    drop(db);

    let mut tally = Tally::default();
    for op in FaultOp::ALL {
        let total = count.op_count(op, None);
        for nth in (0..total).step_by(stride()) {
            tally.add(op);
            let what = format!(
                "{policy}, recovery from {}: {op} #{nth} of {total}",
                base.name
            );
            let mem = copy_all(&base.files, Path::new(DIR));
            let fault = FaultFs::new(Arc::new(mem.clone()));
            fault.arm(FaultRule::new(op, nth).torn(9));
            let mut out = Outcome::default();
            match Db::open_with(DIR, opts.clone(), env_on(Arc::new(fault.clone()), clock)) {
                Ok(db) => check_read(
                    db.scan(b"", None, usize::MAX),
                    want.clone(),
                    &mut out,
                    &what,
                ),
                Err(e) => {
                    assert!(is_injected_fault(&e), "{what}: {e}");
                    tally.failed_opens += 1;
                }
            }
            tally.runs_with_failed_reads += u64::from(out.read_errors > 0);
            tally.reads_checked += out.reads_checked;
            fault.disarm();
            assert_eq!(fault.faults_injected(), 1, "{what}: never reached");
            check_after_fault(mem, clock, opts, &base.model, None, &what);
        }
    }
    tally
}

#[test]
fn every_failed_operation_of_a_workload_loses_no_acknowledged_write() {
    let mut total = Tally::default();
    for shape in [scaled(COMPACTING), scaled(MANIFEST_HEAVY)] {
        for &policy in common::policies() {
            let t = workload_campaign(&shape, policy);
            eprintln!("{policy}, {}: {}", shape.name, t.summary());
            assert!(t.failed_writes > 0, "{policy}: {t:?}");
            if shape.name == COMPACTING.name {
                assert!(t.runs_with_failed_reads > 0, "{policy}: {t:?}");
            } else {
                let renames = t.per_op[FaultOp::Rename as usize];
                assert!(
                    renames > 2,
                    "{policy}: the manifest was not replaced: {t:?}"
                );
            }
            total.absorb(&t);
        }
    }
    eprintln!("workload campaign: {}", total.summary());
}

#[test]
fn every_failed_operation_of_a_recovery_loses_no_acknowledged_write() {
    let mut total = Tally::default();
    for &policy in common::policies() {
        let opts = options(policy);
        for base in [
            base_with_unflushed_wal(&opts),
            base_with_torn_manifest(&opts),
        ] {
            let t = recovery_campaign(&base, policy, &opts);
            eprintln!("{policy}, recovery from {}: {}", base.name, t.summary());
            assert!(t.failed_opens > 0, "{policy}: {t:?}");
            total.absorb(&t);
        }
    }
    eprintln!("recovery campaign: {}", total.summary());
}
