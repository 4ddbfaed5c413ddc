//! What a run costs to simulate, for dealing runs to shards
//! (`--shard I/N`): its operations, each written once into memory and the
//! WAL, plus the SSTable bytes its policy writes per user byte. That write
//! amplification is measured, not looked up by policy name: a pilot run of
//! the same configuration scaled down to [`PILOT_OPS`] operations (key
//! count, operations and every byte-sized engine and policy parameter
//! divided by the same factor, so the tree keeps its shape: the same number
//! of levels and runs per level). The pilot is deterministic, so every
//! shard process computes the same costs and the same deal.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;

use lsmlab_engine::params::{self, Unit};

use crate::aggregate::config_id;
use crate::runner::{build_options, build_workload, run_experiment, FsChoice, RunError};
use crate::spec::RunSpec;

/// Operations of a pilot run: enough for several flushes and compactions,
/// a small fraction of a real run's time.
pub const PILOT_OPS: u64 = 20_000;

/// The estimated cost of a run of `ops` operations whose tree writes
/// `write_amp` bytes per user byte, in units of one in-memory operation.
pub fn cost(ops: u64, write_amp: f64) -> u64 {
    let wa = if write_amp.is_finite() {
        write_amp.max(0.0)
    } else {
        0.0
    };
    (ops as f64 * (1.0 + wa)).round() as u64
}

/// `run` shrunk by `factor` (< 1): operations, key count and every
/// byte-sized engine and policy parameter, each kept inside its range.
pub fn scaled(run: &RunSpec, factor: f64) -> Result<RunSpec, RunError> {
    let options = build_options(run)?;
    let workload = build_workload(run)?;
    let shrink = |v: u64| ((v as f64 * factor).round() as u64).max(1);
    let mut settings: Vec<(String, String)> = run
        .settings
        .iter()
        .filter(|(k, _)| k != "workload.ops" && k != "workload.key_count")
        .cloned()
        .collect();
    settings.push(("workload.ops".into(), shrink(workload.ops).to_string()));
    settings.push((
        "workload.key_count".into(),
        shrink(workload.key_count).to_string(),
    ));
    for info in params::all() {
        if info.def.unit != Unit::Bytes {
            continue;
        }
        let scope = match info.scope {
            params::ParamScope::Engine => "engine",
            params::ParamScope::Policy
                if info.policies.contains(&options.compaction.policy.name) =>
            {
                "policy"
            }
            params::ParamScope::Policy => continue,
        };
        let Some(bytes) = options
            .get(info.name())
            .and_then(|v| params::parse_bytes(&v))
        else {
            continue;
        };
        // 0 means "off" or "unlimited" for byte parameters that have a note.
        if bytes == 0 {
            continue;
        }
        let v = (shrink(bytes) as f64).clamp(info.def.min, info.def.max) as u64;
        let name = format!("{scope}.{}", info.name());
        settings.retain(|(k, _)| *k != name);
        settings.push((name, v.to_string()));
    }
    Ok(RunSpec {
        run_id: format!("{}/pilot", run.run_id),
        ops: None,
        settings,
        ..run.clone()
    })
}

/// The estimated cost of each run of `runs` (in their order). Runs of one
/// configuration (differing only in seed) share one pilot; a trace, or a run
/// no longer than a pilot, counts its operations with a write amplification
/// of 1 (a trace's length is its own).
pub fn estimate_costs(runs: &[&RunSpec]) -> Result<Vec<u64>, RunError> {
    let mut pilots: HashMap<String, f64> = HashMap::new();
    let mut out = Vec::with_capacity(runs.len());
    for run in runs {
        let ops = build_workload(run)?.total_ops();
        if run.workload.starts_with("trace:") || ops <= PILOT_OPS {
            out.push(cost(ops, 1.0));
            continue;
        }
        let key = config_id(&run.run_id);
        let wa = match pilots.get(&key) {
            Some(wa) => *wa,
            None => {
                let pilot = scaled(run, PILOT_OPS as f64 / ops as f64)?;
                let output = run_experiment(&pilot, &FsChoice::MEM, &AtomicU64::new(0))?;
                let wa = output.record.metrics.write_amp;
                pilots.insert(key, wa);
                wa
            }
        };
        out.push(cost(ops, wa));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::shard::Shard;
    use crate::spec::SweepSpec;

    fn sweep(policies: &str) -> SweepSpec {
        let text = format!(
            "name = \"cost\"\nops = 200000\npolicies = [{policies}]\n\
             [workload]\npreset = \"uniform\"\nkey_count = 50000\n\
             [engine]\nwrite_buffer_size = 262144\nl1_base_bytes = 1048576\nbase_file_size = 262144\n"
        );
        SweepSpec::parse(&text, "cost.toml", &Catalog).unwrap()
    }

    #[test]
    fn a_scaled_run_keeps_its_settings_and_shrinks_every_size() {
        let spec = sweep("\"leveled\"");
        let run = &spec.runs()[0];
        let small = scaled(run, 0.1).unwrap();
        let w = build_workload(&small).unwrap();
        assert_eq!((w.ops, w.key_count), (20_000, 5_000));
        let (big, little) = (build_options(run).unwrap(), build_options(&small).unwrap());
        assert_eq!(
            little.write_buffer_size,
            (big.write_buffer_size as f64 * 0.1).round() as u64
        );
        assert_eq!(little.compaction.policy.name, big.compaction.policy.name);
    }

    #[test]
    fn a_policy_that_rewrites_more_is_estimated_to_cost_more_and_shards_balance_by_it() {
        let spec = sweep("\"leveled\", \"fifo\"");
        let runs = spec.runs();
        let refs: Vec<&RunSpec> = runs.iter().collect();
        let costs = estimate_costs(&refs).unwrap();
        let ops = build_workload(&runs[0]).unwrap().total_ops();
        assert_eq!(build_workload(&runs[1]).unwrap().total_ops(), ops);
        // Same operations; leveled rewrites each byte several times, fifo never.
        assert!(costs[0] > costs[1] * 2, "{costs:?}");
        // The pilot's write amplification is close to the full run's
        // (measured: 7.95 against 6.85).
        let full = run_experiment(&runs[0], &FsChoice::MEM, &AtomicU64::new(0)).unwrap();
        let pilot = costs[0] as f64 / ops as f64 - 1.0;
        let ratio = pilot / full.record.metrics.write_amp;
        assert!(
            (0.67..1.5).contains(&ratio),
            "pilot {pilot} vs full {}",
            full.record.metrics.write_amp
        );
        assert!(
            costs[1] >= ops && costs[1] <= ops * 22 / 10,
            "fifo writes each byte about once: {costs:?}"
        );
        assert_eq!(estimate_costs(&refs).unwrap(), costs, "deterministic");
        // Two leveled runs and two fifo runs over two shards: one of each.
        let mut four: Vec<RunSpec> = runs.iter().chain(&runs).cloned().collect();
        for (i, r) in four.iter_mut().enumerate() {
            r.run_id = format!("{}/{i}", r.run_id);
        }
        let refs: Vec<&RunSpec> = four.iter().collect();
        let costs = estimate_costs(&refs).unwrap();
        let cost_of: HashMap<&str, u64> = four
            .iter()
            .zip(&costs)
            .map(|(r, c)| (r.run_id.as_str(), *c))
            .collect();
        for i in 0..2 {
            let mine = Shard::new(i, 2)
                .unwrap()
                .select_by_cost(refs.clone(), |r| cost_of[r.run_id.as_str()]);
            let policies: Vec<&str> = mine.iter().map(|r| r.policy.as_str()).collect();
            assert_eq!(policies.len(), 2, "{policies:?}");
            assert!(
                policies.contains(&"leveled") && policies.contains(&"fifo"),
                "{policies:?}"
            );
        }
    }
}
