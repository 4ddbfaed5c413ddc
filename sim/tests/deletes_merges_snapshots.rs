//! Range deletes, merges and snapshot retention through the runner: the
//! live bytes behind space amplification follow a plain model of the
//! operations, merges need an operator, and a retained snapshot costs
//! space until it is released.

use std::collections::BTreeMap;

use lsmlab::catalog::Catalog;
use lsmlab::results::RunRecord;
use lsmlab::runner::{build_workload, FsChoice, RunError};
use lsmlab::spec::{RunSpec, SweepSpec};
use lsmlab::sweep::run_all;
use lsmlab_workloads::OpKind;

fn runs(spec: &str) -> Vec<RunSpec> {
    SweepSpec::parse(spec, "test.toml", &Catalog)
        .unwrap()
        .runs()
}

fn records(spec: &str) -> Vec<RunRecord> {
    let runs = runs(spec);
    let refs: Vec<&RunSpec> = runs.iter().collect();
    run_all(&refs, &FsChoice::MEM, 2, false)
        .unwrap()
        .into_iter()
        .map(|o| o.record)
        .collect()
}

/// Key and value bytes a database holds after the run's operations, by a
/// map of every key to its value length (merges are `add`: 8 bytes).
fn model_live_bytes(run: &RunSpec) -> u64 {
    let mut held: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    for op in build_workload(run).unwrap().generator().unwrap() {
        match &op.kind {
            OpKind::Put => drop(held.insert(op.key, op.value_len.into())),
            OpKind::Merge => drop(held.insert(op.key, 8)),
            OpKind::Delete => drop(held.remove(&op.key)),
            OpKind::DeleteRange { end } => {
                let doomed: Vec<Vec<u8>> = held
                    .range(op.key.clone()..end.clone())
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in doomed {
                    held.remove(&k);
                }
            }
            OpKind::Get | OpKind::Scan { .. } => {}
        }
    }
    held.iter().map(|(k, len)| k.len() as u64 + len).sum()
}

const DELETES: &str = r#"
name = "deletes"
seed = 5
ops = 30000
policy = "leveled"
[workload]
preset = "delete-heavy"
key_count = 10000
range_delete_len = 100
delete_fraction = 0.2
[engine]
write_buffer_size = "32KiB"
l1_base_bytes = "128KiB"
base_file_size = "32KiB"
[grid]
range_deletes = [false, true]
"#;

#[test]
fn live_bytes_follow_range_deletes_and_tombstones_shrink_to_one_per_range() {
    let specs = runs(DELETES);
    let rs = records(DELETES);
    for (run, r) in specs.iter().zip(&rs) {
        let m = &r.metrics;
        assert_eq!(m.live_bytes, model_live_bytes(run), "{}", r.run_id);
        assert!(m.live_bytes > 0 && m.live_bytes < 10_000 * (16 + 100));
        let space = (m.sst_bytes + m.blob_bytes) as f64 / m.live_bytes as f64;
        assert!((m.space_amp - space).abs() < 1e-9, "{}", r.run_id);
    }
    let (point, ranged) = (&rs[0].metrics, &rs[1].metrics);
    assert!(rs[1].run_id.ends_with("range_deletes=true"));
    // Point deletes spend 100 ops per bulk delete; ranges one.
    assert!(
        ranged.user_bytes > point.user_bytes,
        "the ranged run has more puts in as many ops"
    );
}

const COUNTER: &str = r#"
name = "counter"
seed = 2
ops = 20000
policy = "leveled"
[workload]
preset = "counter"
key_count = 3000
[engine]
write_buffer_size = "16KiB"
l1_base_bytes = "64KiB"
base_file_size = "16KiB"
merge_operator = "add"
"#;

#[test]
fn merges_keep_every_counter_live_at_eight_bytes() {
    let rs = records(COUNTER);
    let m = &rs[0].metrics;
    // The preload writes every counter; merges never add or remove one.
    assert_eq!(m.live_bytes, 3000 * (16 + 8));
    assert_eq!(m.live_bytes, model_live_bytes(&runs(COUNTER)[0]));
    assert!(m.lookups > 5000, "30% of the merge phase reads counters");
    assert!(m.write_amp > 1.0);
}

#[test]
fn merges_without_an_operator_are_refused_before_the_run() {
    let spec = COUNTER.replace("merge_operator = \"add\"\n", "");
    let runs = runs(&spec);
    let refs: Vec<&RunSpec> = runs.iter().collect();
    let e = run_all(&refs, &FsChoice::MEM, 1, false).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("merge_operator") && text.contains("merge_fraction = 0.7"),
        "{text}"
    );
    assert!(matches!(
        lsmlab::runner::check_merge_operator(
            &runs[0],
            &lsmlab::runner::build_options(&runs[0]).unwrap(),
            &build_workload(&runs[0]).unwrap(),
            0
        ),
        Err(RunError::Setting { .. })
    ));
}

fn overwrites(lab: &str) -> RunRecord {
    let spec = format!(
        r#"
name = "snapshots"
seed = 4
ops = 30000
policy = "leveled"
[workload]
preset = "uniform"
key_count = 2000
value_size = 100
[engine]
write_buffer_size = "32KiB"
l1_base_bytes = "128KiB"
base_file_size = "32KiB"
{lab}
"#
    );
    records(&spec).remove(0)
}

#[test]
fn a_retained_snapshot_costs_space_until_it_is_released() {
    // 30 s of overwrites at 1000 ops/s.
    let none = overwrites("");
    let held = overwrites("[lab]\nsnapshot_interval = \"5s\"\nsnapshot_retention = \"60s\"");
    // Snapshots at 10 s and 20 s, each released 5 s later: none is held
    // at the end.
    let released = overwrites("[lab]\nsnapshot_interval = \"10s\"\nsnapshot_retention = \"5s\"");
    let amp = |r: &RunRecord| r.metrics.space_amp;
    assert_eq!(none.metrics.live_bytes, held.metrics.live_bytes);
    assert!(
        amp(&held) > 1.5 * amp(&none),
        "held {} vs none {}",
        amp(&held),
        amp(&none)
    );
    // Versions kept while a snapshot was held stay until compaction
    // rewrites their files: space falls back most of the way, not all.
    assert!(
        amp(&released) - amp(&none) < 0.25 * (amp(&held) - amp(&none)),
        "released {} vs none {} and held {}",
        amp(&released),
        amp(&none),
        amp(&held)
    );
    assert!(
        held.config.contains("lab.snapshot_retention=60s"),
        "{}",
        held.config
    );
}
