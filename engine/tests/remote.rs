//! Remote compaction: merge jobs run on compaction workers (in-process TCP
//! servers on the same files) and are verified and installed by the
//! writer; workers that die mid-job, hang past the deadline or return a
//! damaged output change nothing, and the job runs elsewhere.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{key, small_options, value, Model};
use lsmlab_engine::fs::{Fs, MemFs};
use lsmlab_engine::remote::{LocalWorkers, TcpCompactionService, WorkerFault};
use lsmlab_engine::{Db, Env, Options, VirtualClock};

struct Outcome {
    stats: lsmlab_engine::db::EngineStats,
}

/// Writes, overwrites and deletes through a database whose compactions
/// go to workers with `faults`, checking every key against a model; then
/// checks that no table outside the version is left on disk.
fn run(faults: &[WorkerFault], deadline: Duration, opts: Options) -> Outcome {
    let mem = MemFs::new();
    let env = Env {
        fs: Arc::new(mem.clone()),
        clock: Arc::new(VirtualClock::new(0)),
    };
    let workers: Vec<LocalWorkers> = faults
        .iter()
        .map(|&f| LocalWorkers::start(Arc::new(mem.clone()), "/db".into(), 1, f).unwrap())
        .collect();
    let db = Db::open_with("/db", opts, env).unwrap();
    let addrs = workers.iter().map(|w| w.addrs()[0]).collect();
    db.set_compaction_service(Some(Arc::new(TcpCompactionService::new(addrs, deadline))));
    let mut model = Model::default();
    for round in 0..4u64 {
        for i in 0..300u64 {
            let k = key((i * 7 + round) % 400);
            if i % 11 == 0 {
                db.delete(&k).unwrap();
                model.delete(&k);
            } else {
                let v = value(i, round, 40);
                db.put(&k, &v).unwrap();
                model.put(&k, &v, None);
            }
        }
    }
    db.flush().unwrap();
    db.compact().unwrap();
    assert_eq!(
        db.scan(b"", None, usize::MAX).unwrap(),
        model.scan(b"", None, usize::MAX, 0)
    );
    let v = db.version();
    v.check_invariants().unwrap();
    let live: std::collections::HashSet<u64> = v.all_file_numbers().into_iter().collect();
    for name in mem.list(Path::new("/db")).unwrap() {
        if let Some(n) = name.strip_suffix(".sst") {
            assert!(live.contains(&n.parse().unwrap()), "orphaned {name}");
        }
    }
    let stats = db.stats();
    drop(db);
    drop(workers);
    Outcome { stats }
}

fn opts() -> Options {
    small_options(common::policy("leveled"))
}

#[test]
fn healthy_workers_run_every_merge() {
    let o = run(
        &[WorkerFault::None, WorkerFault::None],
        Duration::from_secs(10),
        opts(),
    );
    let s = o.stats;
    assert!(s.compactions > 5, "{s:?}");
    assert_eq!(s.remote_jobs, s.compactions, "{s:?}");
    assert_eq!((s.remote_failed_attempts, s.remote_ran_locally), (0, 0));
}

#[test]
fn a_worker_that_dies_mid_job_leaves_nothing_and_the_next_worker_runs_it() {
    let o = run(
        &[WorkerFault::DieMidJob, WorkerFault::None],
        Duration::from_secs(10),
        opts(),
    );
    let s = o.stats;
    assert!(s.remote_failed_attempts > 0, "{s:?}");
    assert_eq!(
        s.remote_jobs, s.compactions,
        "the other worker ran each: {s:?}"
    );
    assert_eq!(s.remote_ran_locally, 0);
}

#[test]
fn a_worker_past_its_deadline_is_abandoned_and_the_job_runs_here() {
    let o = run(
        &[WorkerFault::Hang(Duration::from_millis(400))],
        Duration::from_millis(100),
        opts(),
    );
    let s = o.stats;
    assert!(s.compactions > 5, "{s:?}");
    assert_eq!(s.remote_jobs, 0, "{s:?}");
    assert_eq!(s.remote_ran_locally, s.compactions, "{s:?}");
}

#[test]
fn a_damaged_output_byte_is_caught_before_install() {
    let o = run(
        &[WorkerFault::CorruptOutput],
        Duration::from_secs(10),
        opts(),
    );
    let s = o.stats;
    assert!(s.compactions > 5, "{s:?}");
    // Jobs with an output all failed verification and ran here.
    assert!(s.remote_failed_attempts > 0, "{s:?}");
    assert_eq!(s.remote_failed_attempts, s.remote_ran_locally, "{s:?}");
}

#[test]
fn jobs_with_blob_references_stay_on_the_writer() {
    let opts = Options {
        min_blob_size: 20,
        ..opts()
    };
    let o = run(&[WorkerFault::None], Duration::from_secs(10), opts);
    assert_eq!(o.stats.remote_jobs, 0);
    assert!(o.stats.compactions > 5);
}
