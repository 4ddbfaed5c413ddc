//! Turning a run's spec into what it runs on: engine options, workload,
//! lab parameters, memory and merge-operator checks, trace files, and the
//! run's directory name.

use super::{FsChoice, RunError};
use crate::lab_params::LabParams;
use crate::spec::RunSpec;
use lsmlab_engine::Options;
use lsmlab_workloads::{ReadOptions, TraceFile, WorkloadSpec};

/// The engine options of a run: defaults, the policy, then every
/// `engine.*` and `policy.*` setting.
pub fn build_options(run: &RunSpec) -> Result<Options, RunError> {
    let mut o = Options::default();
    let setting_err = |name: &str, value: &str, reason: String| RunError::Setting {
        run: run.run_id.clone(),
        name: name.to_string(),
        value: value.to_string(),
        reason,
    };
    o.set("policy", &run.policy)
        .map_err(|e| setting_err("policy", &run.policy, e.to_string()))?;
    for (name, value) in &run.settings {
        let Some(bare) = name
            .strip_prefix("engine.")
            .or_else(|| name.strip_prefix("policy."))
        else {
            continue;
        };
        // Each value is checked against its own range; relations between
        // parameters (l0_slowdown_limit <= l0_stop_limit) are validated
        // below, once every setting is in, whatever their order.
        match o.set_param(bare, value) {
            Ok(()) => {}
            Err(e) => return Err(setting_err(bare, value, e.to_string())),
        }
    }
    o.validate().map_err(|source| RunError::Engine {
        run: run.run_id.clone(),
        source,
    })?;
    Ok(o)
}

/// The workload of a run: its preset (or trace), then every `workload.*`
/// setting, with the run's seed.
pub fn build_workload(run: &RunSpec) -> Result<WorkloadSpec, RunError> {
    let werr = |source| RunError::Workload {
        run: run.run_id.clone(),
        source,
    };
    let preset = if run.workload.starts_with("trace:") {
        "uniform"
    } else {
        &run.workload
    };
    let mut w = WorkloadSpec::preset(preset).map_err(werr)?;
    w.seed = run.seed;
    if let Some(ops) = run.ops {
        w.ops = ops;
    }
    let names = run
        .settings
        .iter()
        .filter_map(|(n, _)| n.strip_prefix("workload."));
    lsmlab_workloads::check_value_size_settings(names).map_err(werr)?;
    for (name, value) in &run.settings {
        if let Some(bare) = name.strip_prefix("workload.") {
            w.set(bare, value).map_err(werr)?;
        }
    }
    w.validate().map_err(werr)?;
    Ok(w)
}

/// The lab parameters of a run (`lab.*` settings), checked.
pub fn build_lab(run: &RunSpec) -> Result<LabParams, RunError> {
    LabParams::from_settings(&run.settings).map_err(|source| RunError::Lab {
        run: run.run_id.clone(),
        source,
    })
}

/// Refuses, before it starts, a run whose workload merges (a mix with
/// `merge_fraction`, a trace holding `merges` merge records) on an engine
/// without a merge operator, which would fail at the first merge.
pub fn check_merge_operator(
    run: &RunSpec,
    options: &Options,
    workload: &WorkloadSpec,
    merges: u64,
) -> Result<(), RunError> {
    if options.merge_operator.get().is_some() {
        return Ok(());
    }
    let source = if run.workload.starts_with("trace:") {
        (merges > 0).then(|| format!("the trace holds {merges} merge records"))
    } else {
        (workload.mix.fractions().merge > 0.0).then(|| {
            format!(
                "workload {} merges (merge_fraction = {})",
                run.workload,
                workload.mix.fractions().merge
            )
        })
    };
    match source {
        None => Ok(()),
        Some(why) => Err(RunError::Setting {
            run: run.run_id.clone(),
            name: "merge_operator".into(),
            value: options.merge_operator.name().into(),
            reason: format!(
                "{why}, and merges need an operator: set engine.merge_operator = \"add\" \
                 (u64 counters) or \"append\""
            ),
        }),
    }
}

/// Bytes the simulator keeps per key it holds, besides the key itself:
/// the live-key map's entry (key vector, value length, expiry, hash slot)
/// and the allocator's overhead for the key.
pub const BOOKKEEPING_BYTES_PER_KEY: u64 = 64;

/// This machine's physical memory in bytes (`None` where it cannot be
/// asked).
pub fn physical_memory() -> Option<u64> {
    #[cfg(unix)]
    {
        // SAFETY: sysconf only reads system configuration.
        let (pages, size) = unsafe {
            (
                libc::sysconf(libc::_SC_PHYS_PAGES),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        if pages > 0 && size > 0 {
            return (pages as u64).checked_mul(size as u64);
        }
    }
    None
}

/// Refuses a run whose estimated memory passes `limit` bytes, before it
/// allocates anything: the keys it can hold (`max_keys_held`) times the
/// simulator's per-key cost, plus, with `--fs mem`, its table files (key
/// and largest value per key, twice for compaction's old and new copies).
pub fn check_memory(
    run: &RunSpec,
    w: &WorkloadSpec,
    fs: &FsChoice,
    limit: u64,
) -> Result<(), RunError> {
    let keys = u128::from(w.max_keys_held());
    let key = w.key_size as u128;
    let per_key = key + u128::from(BOOKKEEPING_BYTES_PER_KEY);
    let files_per_key = match fs {
        FsChoice::Mem { .. } => 2 * (key + u128::from(w.value_size_max) + 16),
        FsChoice::Disk(_) => 0,
    };
    let estimate = keys * (per_key + files_per_key);
    if estimate <= u128::from(limit) {
        return Ok(());
    }
    let files = if files_per_key > 0 {
        format!(" + {files_per_key} bytes of in-memory table files (--fs mem)")
    } else {
        String::new()
    };
    Err(RunError::Memory {
        run: run.run_id.clone(),
        reason: format!(
            "key_count = {} with {} operations can hold {keys} keys, an estimated {} of memory \
             ({keys} keys x ({key} key bytes + {BOOKKEEPING_BYTES_PER_KEY} bytes of bookkeeping{files})), \
             above the limit of {} (this machine's physical memory): lower key_count or ops{}",
            w.key_count,
            w.total_ops(),
            human_bytes(estimate),
            human_bytes(u128::from(limit)),
            if files_per_key > 0 { ", or use --fs disk" } else { "" }
        ),
    })
}

pub(super) fn human_bytes(n: u128) -> String {
    const GIB: u128 = 1 << 30;
    if n >= GIB {
        format!("{:.1} GiB", n as f64 / GIB as f64)
    } else {
        format!("{:.1} MiB", n as f64 / (1u128 << 20) as f64)
    }
}

/// The trace of a `trace:[FORMAT:]PATH` workload, validated; a CSV trace
/// replays at the workload's `ingest_rate`.
/// With `strict`, a record lsmlab cannot apply is an error rather than
/// counted and skipped.
pub fn open_trace(
    run: &RunSpec,
    spec: &str,
    workload: &WorkloadSpec,
    strict: bool,
) -> Result<TraceFile, RunError> {
    let options = ReadOptions {
        ingest_rate: workload.ingest_rate,
        strict,
        ..ReadOptions::default()
    };
    TraceFile::open_spec(spec, options).map_err(|source| RunError::Workload {
        run: run.run_id.clone(),
        source,
    })
}

/// A directory name for a run id (`/` and other separators become `_`).
pub fn run_dir_name(run_id: &str) -> String {
    run_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-.=".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
