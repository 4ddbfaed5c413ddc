//! The same spec and seed give the same amplification figures, bit for
//! bit: run again, on another number of threads, or split into shards.

use lsmlab::catalog::Catalog;
use lsmlab::results::RunRecord;
use lsmlab::runner::FsChoice;
use lsmlab::shard::Shard;
use lsmlab::spec::{RunSpec, SweepSpec};
use lsmlab::sweep::run_all;

const SPEC: &str = r#"
name = "determinism"
seed = 11
ops = 12000
policies = ["leveled", "round-robin", "min-overlap", "size-tiered", "fifo"]
[workload]
key_count = 4000
ingest_rate = 50
[engine]
write_buffer_size = "32KiB"
l1_base_bytes = "128KiB"
base_file_size = "32KiB"
[grid]
workload = ["uniform", "timeseries"]
"#;

fn records(runs: &[&RunSpec], jobs: usize) -> Vec<RunRecord> {
    run_all(runs, &FsChoice::MEM, jobs, false)
        .unwrap()
        .into_iter()
        .map(|o| o.record)
        .collect()
}

fn assert_same(a: &[RunRecord], b: &[RunRecord], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.run_id, y.run_id, "{what}");
        assert!(
            x.metrics.same_amplification(&y.metrics),
            "{what}: {} differs\n{:?}\n{:?}",
            x.run_id,
            x.metrics,
            y.metrics
        );
    }
}

#[test]
fn amplification_is_identical_across_reruns_threads_and_shards() {
    let spec = SweepSpec::parse(SPEC, "determinism.toml", &Catalog).unwrap();
    let runs = spec.runs();
    let all: Vec<&RunSpec> = runs.iter().collect();
    let one_thread = records(&all, 1);
    // The runs did real work: every policy flushed and the leveled ones
    // compacted.
    assert!(one_thread.iter().all(|r| r.metrics.flush_bytes > 0));
    assert!(one_thread.iter().any(|r| r.metrics.compactions > 0));

    assert_same(&one_thread, &records(&all, 1), "rerun");
    assert_same(&one_thread, &records(&all, 2), "two threads");

    let mut sharded = Vec::new();
    for i in 0..3 {
        let shard = Shard::new(i, 3).unwrap();
        sharded.extend(records(&shard.select(all.clone()), 2));
    }
    let order: Vec<String> = runs.iter().map(|r| r.run_id.clone()).collect();
    lsmlab::results::sort_runs_by(&mut sharded, &order);
    assert_same(&one_thread, &sharded, "three shards");
}
