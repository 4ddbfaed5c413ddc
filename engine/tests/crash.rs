//! Crash and fault tests: acknowledged writes survive dropping the database,
//! torn WAL tails, and a failure injected at every write, sync, rename and
//! create of a workload that flushes and compacts.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{key, small_options, value, Model};
use lsmlab_engine::compaction::Policy;
use lsmlab_engine::fs::{FaultFs, FaultOp, FaultRule, FileKind, Fs, MemFs};
use lsmlab_engine::{Clock, Db, Env, Options, VirtualClock};

fn mem_env() -> (Env, MemFs) {
    let m = MemFs::new();
    (
        Env {
            fs: Arc::new(m.clone()),
            clock: Arc::new(VirtualClock::new(0)),
        },
        m,
    )
}

fn check(db: &Db, model: &Model, now: u64, what: &str) {
    assert_eq!(
        db.scan(b"", None, usize::MAX).unwrap(),
        model.scan(b"", None, usize::MAX, now),
        "{what}"
    );
}

#[test]
fn acknowledged_writes_survive_dropping_the_db_without_flush() {
    let (env, _) = mem_env();
    let opts = Options {
        write_buffer_size: 1 << 20,
        ..small_options(Policy::Leveled)
    };
    let db = Db::open_with("/db", opts.clone(), env.clone()).unwrap();
    let mut model = Model::default();
    for i in 0..500 {
        db.put(&key(i % 97), &value(i, i, 20)).unwrap();
        model.put(&key(i % 97), &value(i, i, 20), None);
        if i % 7 == 0 {
            db.delete(&key(i % 13)).unwrap();
            model.delete(&key(i % 13));
        }
    }
    assert!(db.version().total_files() == 0, "nothing was flushed");
    drop(db);
    let db = Db::open_with("/db", opts, env).unwrap();
    check(&db, &model, 0, "after drop and reopen");
}

#[test]
fn a_truncated_wal_tail_loses_only_the_torn_batch() {
    let (env, mem) = mem_env();
    let opts = Options {
        write_buffer_size: 1 << 20,
        ..small_options(Policy::Leveled)
    };
    let db = Db::open_with("/db", opts.clone(), env.clone()).unwrap();
    let mut model = Model::default();
    for i in 0..50 {
        db.put(&key(i), &value(i, 0, 30)).unwrap();
        if i < 49 {
            model.put(&key(i), &value(i, 0, 30), None);
        }
    }
    drop(db);
    let wal = mem
        .list(Path::new("/db"))
        .unwrap()
        .into_iter()
        .find(|n| n.ends_with(".log"))
        .unwrap();
    let path = Path::new("/db").join(&wal);
    let len = mem.file_size(&path).unwrap() as usize;
    for cut in [1, 5, 20] {
        let m2 = MemFs::new();
        for name in mem.list(Path::new("/db")).unwrap() {
            let p = Path::new("/db").join(&name);
            let mut data = mem.read_all(&p).unwrap();
            if name == wal {
                data.truncate(len - cut);
            }
            let mut w = m2.create(&p).unwrap();
            w.append(&data).unwrap();
            w.sync().unwrap();
        }
        let env2 = Env {
            fs: Arc::new(m2),
            clock: env.clock.clone(),
        };
        let db = Db::open_with("/db", opts.clone(), env2).unwrap();
        check(&db, &model, 0, &format!("WAL cut by {cut} bytes"));
    }
}

/// Runs a deterministic workload; returns the model of acknowledged writes
/// and, if a write failed, the key it was writing (its fate is unknown).
fn workload(db: &Db, clock: &VirtualClock, model: &mut Model) -> Option<Vec<u8>> {
    for i in 0..600u64 {
        let k = key((i * 7919) % 150);
        clock.advance_by(10);
        let r = if i % 9 == 0 {
            db.delete(&k).map(|_| model.delete(&k))
        } else {
            let v = value(i, i, 40);
            db.put(&k, &v).map(|_| model.put(&k, &v, None))
        };
        if r.is_err() {
            return Some(k);
        }
    }
    None
}

fn fault_campaign(policy: Policy) -> (u64, u64) {
    // Count the operations of a clean run.
    let clock = Arc::new(VirtualClock::new(0));
    let mem = MemFs::new();
    let fault = FaultFs::new(Arc::new(mem.clone()));
    let env = Env {
        fs: Arc::new(fault.clone()),
        clock: clock.clone(),
    };
    let opts = small_options(policy);
    let db = Db::open_with("/db", opts.clone(), env).unwrap();
    let mut model = Model::default();
    assert_eq!(workload(&db, &clock, &mut model), None);
    assert!(
        db.stats().compactions + db.stats().trivial_moves > 0,
        "{policy}: workload must compact"
    );
    drop(db);

    let ops = [
        FaultOp::Write,
        FaultOp::Sync,
        FaultOp::Create,
        FaultOp::Rename,
        FaultOp::SyncDir,
    ];
    let kinds = [FileKind::Sst, FileKind::Manifest, FileKind::Wal];
    let (mut positions, mut failures) = (0, 0);
    for op in ops {
        for kind in kinds {
            let total = fault.op_count(op, Some(kind));
            // Every position for small counts, an even spread otherwise.
            let step = (total / 40).max(1);
            let mut nth = 0;
            while nth < total {
                positions += 1;
                let clock = Arc::new(VirtualClock::new(0));
                let mem = MemFs::new();
                let fault = FaultFs::new(Arc::new(mem.clone()));
                let env = Env {
                    fs: Arc::new(fault.clone()),
                    clock: clock.clone(),
                };
                fault.arm(FaultRule::new(op, nth).on(kind));
                let what = format!("{policy}: {op} #{nth} on {kind:?}");
                let mut model = Model::default();
                let uncertain = match Db::open_with("/db", opts.clone(), env) {
                    Ok(db) => workload(&db, &clock, &mut model),
                    Err(_) => None,
                };
                if uncertain.is_some() || fault.faults_injected() > 0 {
                    failures += 1;
                }
                fault.disarm();
                mem.crash();
                let env = Env {
                    fs: Arc::new(mem.clone()),
                    clock: clock.clone(),
                };
                let db = Db::open_with("/db", opts.clone(), env)
                    .unwrap_or_else(|e| panic!("{what}: reopen failed: {e}"));
                db.version().check_invariants().unwrap();
                let now = clock.now_ms();
                if let Some(k) = &uncertain {
                    // The failed write may or may not have landed: adopt what
                    // the database says, then compare everything.
                    match db.get(k).unwrap() {
                        Some(v) => model.put(k, &v, None),
                        None => model.delete(k),
                    }
                }
                check(&db, &model, now, &what);
                nth += step;
            }
        }
    }
    (positions, failures)
}

#[test]
fn a_failure_at_any_io_leaves_a_database_that_reopens_with_every_acknowledged_write() {
    for policy in Policy::ALL {
        let (positions, failures) = fault_campaign(policy);
        assert!(positions > 50, "{policy}: only {positions} fault positions");
        assert!(failures > 0, "{policy}: no fault was ever hit");
    }
}
