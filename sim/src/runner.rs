//! One experiment: the engine and the workload a [`RunSpec`] describes, every
//! operation driven through the engine on simulated time, a timeline sampled
//! along the way and the DESIGN.md metrics measured at the end.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::lab_params::{LabParamError, LabParams};
use crate::live_set::{LiveSet, NEVER};
use crate::snapshot_retention::SnapshotRetention;
use lsmlab_engine::db::{EngineStats, ScanStats};
use lsmlab_engine::fs::{DiskFs, Fs, MemFs};
use lsmlab_engine::merge_op::MergeOperatorChoice;
use lsmlab_engine::sst::LookupStats;
use lsmlab_engine::{Clock, Db, Env, Options, VirtualClock};
use lsmlab_workloads::{
    Op, OpKind, ReadOptions, SplitMix64, TraceFile, WorkloadError, WorkloadSpec,
};

use crate::breakdown::{level_column, reason_column, LEVEL_KINDS};
use crate::metrics::Metrics;
use crate::results::RunRecord;
use crate::spec::RunSpec;
use crate::theory::{predict, RunShape};
use crate::timeline::TimelineRow;

/// Timeline samples per run (at least; the end of the run adds one).
pub const SAMPLES: u64 = 100;
/// Probe lookups interleaved with a run whose workload has no reads of its
/// own, unless the spec sets `probe_rate`.
pub const DEFAULT_PROBES: u64 = 10_000;
/// Point lookups on the settled tree at the end (the `read_amp_settled` set).
pub const SETTLED_PROBES: u64 = 10_000;

/// Where a run's database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FsChoice {
    /// In memory (the default: fast, and byte counts are the same); each
    /// database refuses to hold more than `limit` bytes of files, when set.
    Mem { limit: Option<u64> },
    /// Real files, one directory per run under this one.
    Disk(PathBuf),
}

impl FsChoice {
    /// In memory, without a limit.
    pub const MEM: FsChoice = FsChoice::Mem { limit: None };
}

/// Why a run could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The operating system refused the threads a sweep needs.
    #[error("{0}; lower --jobs")]
    Threads(String),
    #[error("run {run}: {source}")]
    Engine {
        run: String,
        #[source]
        source: lsmlab_engine::Error,
    },
    #[error("run {run}: {source}")]
    Workload {
        run: String,
        #[source]
        source: WorkloadError,
    },
    #[error("run {run}: parameter {name} = {value}: {reason}")]
    Setting {
        run: String,
        name: String,
        value: String,
        reason: String,
    },
    #[error("run {run}: {source}")]
    Lab {
        run: String,
        #[source]
        source: LabParamError,
    },
    /// The run would hold more in memory than the machine has.
    #[error("run {run}: {reason}")]
    Memory { run: String, reason: String },
    #[error("run {run}: {path}: {reason}")]
    Dir {
        run: String,
        path: PathBuf,
        reason: String,
    },
}

impl RunError {
    /// What went wrong without the run id (which holds grid labels that
    /// would read as parameter names): to find the settings it names.
    pub fn cause(&self) -> String {
        match self {
            RunError::Threads(m) => m.clone(),
            RunError::Engine { source, .. } => source.to_string(),
            RunError::Workload { source, .. } => source.to_string(),
            RunError::Setting { name, reason, .. } => format!("{name}: {reason}"),
            RunError::Lab { source, .. } => source.to_string(),
            RunError::Dir { reason, .. } => reason.clone(),
            RunError::Memory { reason, .. } => reason.clone(),
        }
    }
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub record: RunRecord,
    pub timeline: Vec<TimelineRow>,
    /// The per-level table at the end, as text.
    pub level_stats: String,
}

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

fn human_bytes(n: u128) -> String {
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

/// Per-operation counts (blocks, sorted runs), for the mean and percentiles.
#[derive(Default)]
struct CountHistogram {
    counts: Vec<u64>,
}

impl CountHistogram {
    fn record(&mut self, value: u64) {
        let i = value as usize;
        if self.counts.len() <= i {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
    }

    fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    fn mean(&self) -> Option<f64> {
        let n = self.total();
        let sum: u64 = self
            .counts
            .iter()
            .enumerate()
            .map(|(v, c)| v as u64 * c)
            .sum();
        (n > 0).then(|| sum as f64 / n as f64)
    }

    fn percentile(&self, p: f64) -> f64 {
        let total = self.total();
        if total == 0 {
            return 0.0;
        }
        let rank = (p * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (value, n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return value as f64;
            }
        }
        (self.counts.len() - 1) as f64
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// What a set of point lookups cost: blocks read from storage per lookup
/// (cache misses, index and filter blocks included when cached), cache hits
/// and filter probes.
#[derive(Default)]
struct ReadMeter {
    lookups: u64,
    storage_reads: u64,
    cache_hits: u64,
    data_misses: u64,
    filter_probes: u64,
    per_lookup: CountHistogram,
}

impl ReadMeter {
    fn record(&mut self, st: &LookupStats) {
        self.lookups += 1;
        self.storage_reads += st.storage_reads();
        self.cache_hits += st.cache_hits;
        self.data_misses += st.blocks_read;
        self.filter_probes += st.filter_probes;
        self.per_lookup.record(st.storage_reads());
    }

    fn read_amp(&self) -> f64 {
        ratio(self.storage_reads, self.lookups)
    }

    fn hit_rate(&self) -> f64 {
        ratio(self.cache_hits, self.cache_hits + self.data_misses)
    }
}

/// What range scans cost: blocks read from storage and sorted runs merged.
#[derive(Default)]
struct ScanMeter {
    blocks: CountHistogram,
    runs: CountHistogram,
}

impl ScanMeter {
    fn record(&mut self, st: &ScanStats) {
        self.blocks.record(st.blocks_read);
        self.runs.record(st.sorted_runs);
    }

    fn p99(h: &CountHistogram) -> Option<f64> {
        (h.total() > 0).then(|| h.percentile(0.99))
    }
}

/// Probe lookups: how many are due after each workload operation, and
/// which keys they use.
///
/// Present probes draw from a reservoir sample (Vitter's algorithm R) of
/// every key the workload wrote, so they follow the workload's own key
/// distribution (a hot key is written, and so sampled, more often). Absent
/// probes take such a key and append a zero byte: a key that sorts right
/// after it, before the next key of the workload's fixed-width scheme, so it
/// lies inside the key space (file ranges and index blocks do not rule it
/// out) and was never written. Probes alternate present and absent.
struct Prober {
    /// Probes due after `i` operations: `i * num / den`.
    num: u64,
    den: u64,
    done: u64,
    reservoir: Vec<Vec<u8>>,
    offered: u64,
    rng: SplitMix64,
}

/// Keys in the probe reservoir.
const RESERVOIR: usize = 4096;
/// Salt of the probes' random stream (apart from the workload's).
const PROBE_SALT: u64 = 0x7072_6f62_6573;

/// The key right after `key` that no fixed-width workload key equals.
fn gap_key(key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.extend_from_slice(key);
    k.push(0);
    k
}

impl Prober {
    /// `rate` probes per operation (`None`: [`DEFAULT_PROBES`] over the
    /// run for workloads without reads of their own, none otherwise).
    fn new(rate: Option<f64>, workload: &WorkloadSpec, traced: bool, seed: u64) -> Prober {
        let total = workload.total_ops().max(1);
        let f = workload.mix.fractions();
        let has_reads = !traced && f.read + f.rmw > 0.0;
        let (num, den) = match rate {
            Some(r) => ((r * 1e6).round() as u64, 1_000_000),
            None if has_reads => (0, 1),
            None => (DEFAULT_PROBES, total),
        };
        Prober {
            num,
            den,
            done: 0,
            reservoir: Vec::new(),
            offered: 0,
            rng: SplitMix64::new(seed ^ PROBE_SALT),
        }
    }

    fn offer(&mut self, key: &[u8]) {
        if self.num == 0 {
            return;
        }
        self.offered += 1;
        if self.reservoir.len() < RESERVOIR {
            self.reservoir.push(key.to_vec());
        } else {
            let j = self.rng.below(self.offered) as usize;
            if j < RESERVOIR {
                self.reservoir[j] = key.to_vec();
            }
        }
    }

    /// The keys of the probes due after `ops_done` operations.
    fn due(&mut self, ops_done: u64) -> Vec<Vec<u8>> {
        let target = (u128::from(ops_done) * u128::from(self.num) / u128::from(self.den)) as u64;
        let mut keys = Vec::new();
        while self.done < target {
            self.done += 1;
            if self.reservoir.is_empty() {
                continue;
            }
            let k = &self.reservoir[self.rng.below(self.reservoir.len() as u64) as usize];
            keys.push(if self.done.is_multiple_of(2) {
                gap_key(k)
            } else {
                k.clone()
            });
        }
        keys
    }
}

/// Delete persistence: when each delete happened, matched with the purge of
/// its tombstone (Lethe's metric). A key put again before its tombstone was
/// purged is no longer waiting for a purge and is forgotten.
#[derive(Default)]
struct DeleteTracker {
    /// Key -> clock ms of its earliest delete not yet purged.
    pending: HashMap<Vec<u8>, u64>,
    /// Delete-to-purge times (ms).
    persisted: Vec<u64>,
}

impl DeleteTracker {
    fn deleted(&mut self, key: &[u8], now: u64) {
        self.pending.entry(key.to_vec()).or_insert(now);
    }

    fn written(&mut self, key: &[u8]) {
        if !self.pending.is_empty() {
            self.pending.remove(key);
        }
    }

    fn purged(&mut self, purges: Vec<(Vec<u8>, u64)>) {
        for (key, at) in purges {
            if let Some(since) = self.pending.get(&key).copied().filter(|&t| t <= at) {
                self.pending.remove(&key);
                self.persisted.push(at - since);
            }
        }
    }

    /// Mean and max seconds, `None` when nothing was purged.
    fn seconds(&self) -> (Option<f64>, Option<f64>) {
        if self.persisted.is_empty() {
            return (None, None);
        }
        let sum: u64 = self.persisted.iter().sum();
        let max = self.persisted.iter().max().copied().unwrap_or(0);
        (
            Some(sum as f64 / self.persisted.len() as f64 / 1000.0),
            Some(max as f64 / 1000.0),
        )
    }
}

struct Experiment<'a> {
    run: &'a RunSpec,
    db: Db,
    clock: Arc<VirtualClock>,
    fs: Arc<dyn Fs>,
    live: LiveSet,
    prober: Prober,
    /// Lookups during the run: the workload's and the probes.
    reads: ReadMeter,
    /// Storage reads and lookups at the previous sample.
    window_start: (u64, u64),
    scans: ScanMeter,
    deletes: DeleteTracker,
    timeline: Vec<TimelineRow>,
    space_amp_peak: f64,
    num_levels: usize,
    /// Operations after which the next tree snapshot is due
    /// ([`crate::tree::MOMENTS`] of the run), in order.
    tree_due: Vec<u64>,
    /// The engine's merge operator, for the live length of merged keys.
    merge_operator: MergeOperatorChoice,
    /// Engine snapshots held on the lab's schedule (`None`: off).
    snapshots: Option<SnapshotRetention>,
}

impl Experiment<'_> {
    fn engine_err(&self, source: lsmlab_engine::Error) -> RunError {
        RunError::Engine {
            run: self.run.run_id.clone(),
            source,
        }
    }

    fn apply(&mut self, op: &Op, value: &[u8]) -> Result<(), lsmlab_engine::Error> {
        self.clock.advance_to(op.time);
        if let Some(s) = &mut self.snapshots {
            s.advance(&self.db, self.clock.now_ms());
        }
        match &op.kind {
            OpKind::Put => {
                let v = &value[..op.value_len as usize];
                match op.ttl {
                    Some(ttl) => {
                        self.db.put_with_ttl(&op.key, v, ttl)?;
                        let at = self.clock.now_ms().saturating_add(ttl);
                        self.live.put(&op.key, op.value_len, at);
                    }
                    None => {
                        self.db.put(&op.key, v)?;
                        self.live.put(&op.key, op.value_len, NEVER);
                    }
                }
                self.prober.offer(&op.key);
                self.deletes.written(&op.key);
            }
            OpKind::Delete => {
                self.db.delete(&op.key)?;
                self.live.delete(&op.key);
                self.deletes.deleted(&op.key, self.clock.now_ms());
            }
            OpKind::DeleteRange { end } => {
                // Delete persistence follows point tombstones only.
                self.db.delete_range(&op.key, end)?;
                self.live.delete_range(&op.key, end);
            }
            OpKind::Merge => {
                let operand = &value[..op.value_len as usize];
                self.db.merge(&op.key, operand)?;
                // The engine refused the merge if it had no operator.
                if let Some(operator) = self.merge_operator.get() {
                    self.live
                        .merge(&op.key, operand, operator, self.clock.now_ms());
                }
                self.prober.offer(&op.key);
                self.deletes.written(&op.key);
            }
            OpKind::Get => {
                let (_, st) = self.db.get_with_stats(&op.key)?;
                self.reads.record(&st);
            }
            OpKind::Scan { len } => {
                let (_, st) = self.db.scan_with_stats(&op.key, None, *len as usize)?;
                self.scans.record(&st);
            }
        }
        Ok(())
    }

    /// The probe lookups due after `ops_done` operations.
    fn probe_during_run(&mut self, ops_done: u64) -> Result<(), lsmlab_engine::Error> {
        for k in self.prober.due(ops_done) {
            let (_, st) = self.db.get_with_stats(&k)?;
            self.reads.record(&st);
        }
        Ok(())
    }

    /// Samples the state after `ops_done` operations; `end`: the settled
    /// end of the run (its tree is always kept).
    fn sample(&mut self, ops_done: u64, end: bool) {
        let tree_due = end || self.tree_due.first().is_some_and(|d| ops_done >= *d);
        if tree_due {
            self.tree_due.retain(|d| ops_done < *d);
        }
        let now = self.clock.now_ms();
        let peaks = self.db.take_window_peaks();
        self.deletes.purged(self.db.take_tombstone_purges());
        let live = self.live.live_bytes(now);
        let stats = self.db.stats();
        let v = self.db.version();
        let sst = v.total_bytes();
        let blob = v.blob_bytes();
        let space_amp = ratio(sst + blob, live);
        // The engine's window peak counts tables only: blob files add
        // their bytes at sampling time.
        self.space_amp_peak = self
            .space_amp_peak
            .max(space_amp)
            .max(ratio(peaks.sst_bytes + blob, live));
        let (reads0, lookups0) = self.window_start;
        self.window_start = (self.reads.storage_reads, self.reads.lookups);
        let window_lookups = self.reads.lookups - lookups0;
        self.timeline.push(TimelineRow {
            run_id: self.run.run_id.clone(),
            ops_done,
            sim_time_s: now as f64 / 1000.0,
            write_amp: stats.write_amp(),
            space_amp,
            read_amp: (window_lookups > 0)
                .then(|| ratio(self.reads.storage_reads - reads0, window_lookups)),
            l0_files: v.files(0).len() as u64,
            pending_compaction_bytes: peaks.pending_compaction_bytes,
            level_bytes: (0..self.num_levels).map(|l| v.level_bytes(l)).collect(),
            tree: tree_due.then(|| crate::tree::TreeSnapshot::of(&v)),
        });
    }

    /// The settled figure: point lookups of evenly spaced live keys and of
    /// the gap key after each, on the tree after the final compaction.
    fn probe_settled(&mut self) -> Result<ReadMeter, lsmlab_engine::Error> {
        let present: Vec<Vec<u8>> = {
            let n = self.live.len();
            let step = (n / (SETTLED_PROBES / 2)).max(1) as usize;
            self.live.evenly_spaced(step, (SETTLED_PROBES / 2) as usize)
        };
        let mut meter = ReadMeter::default();
        for k in &present {
            for key in [k.clone(), gap_key(k)] {
                let (_, st) = self.db.get_with_stats(&key)?;
                meter.record(&st);
            }
        }
        Ok(meter)
    }

    /// Per-level and per-reason figures, named by [`crate::breakdown`].
    fn breakdown(&self, stats: &EngineStats) -> Vec<(String, u64)> {
        let v = self.db.version();
        let levels = self.num_levels.max(stats.levels.len());
        let mut out = Vec::new();
        for l in 0..levels {
            let work = stats.levels.get(l).copied().unwrap_or_default();
            let files = if l < v.num_levels() {
                v.files(l).len()
            } else {
                0
            };
            let bytes = if l < v.num_levels() {
                v.level_bytes(l)
            } else {
                0
            };
            for (kind, value) in
                LEVEL_KINDS
                    .iter()
                    .zip([work.write_bytes, work.compactions, bytes, files as u64])
            {
                out.push((level_column(kind, l), value));
            }
        }
        for (reason, bytes) in &stats.write_bytes_by_reason {
            out.push((reason_column(reason), *bytes));
        }
        out
    }

    /// The run's shape for the analytic models.
    fn shape(&self, stats: &EngineStats) -> RunShape {
        let v = self.db.version();
        RunShape {
            merges: stats.compactions,
            levels: (1..v.num_levels())
                .filter(|&l| !v.files(l).is_empty())
                .count(),
            data_bytes: v.total_bytes(),
            flush_bytes: ratio(stats.flush_bytes, stats.flushes),
            user_bytes: stats.user_bytes,
            elapsed_ms: self.clock.now_ms(),
        }
    }
}

/// Starts `workers` compaction workers on the run's files and routes the
/// run's merges to them (none for 0).
fn attach_workers(
    run: &RunSpec,
    db: &Db,
    fs: Arc<dyn Fs>,
    dir: &std::path::Path,
    workers: u64,
) -> Result<Option<lsmlab_engine::remote::LocalWorkers>, RunError> {
    if workers == 0 {
        return Ok(None);
    }
    let w = lsmlab_engine::remote::LocalWorkers::start(
        fs,
        dir.to_path_buf(),
        workers as usize,
        lsmlab_engine::remote::WorkerFault::None,
    )
    .map_err(|e| RunError::Lab {
        run: run.run_id.clone(),
        source: LabParamError::Inconsistent(format!("starting {workers} compaction workers: {e}")),
    })?;
    db.set_compaction_service(Some(w.service(WORKER_DEADLINE)));
    Ok(Some(w))
}

/// How long a compaction worker may take over one job before the writer
/// gives up on it and runs the job itself.
const WORKER_DEADLINE: std::time::Duration = std::time::Duration::from_secs(600);

fn open_env(
    run: &RunSpec,
    fs_choice: &FsChoice,
    clock: Arc<VirtualClock>,
) -> Result<(Env, PathBuf), RunError> {
    match fs_choice {
        FsChoice::Mem { limit } => Ok((
            Env {
                fs: Arc::new(MemFs::with_limit(limit.unwrap_or(u64::MAX))),
                clock,
            },
            PathBuf::from("/lsmlab"),
        )),
        FsChoice::Disk(base) => {
            let dir = base.join(run_dir_name(&run.run_id));
            let dir_err = |reason: String| RunError::Dir {
                run: run.run_id.clone(),
                path: dir.clone(),
                reason,
            };
            if dir.exists() {
                let is_db = dir.join("CURRENT").exists();
                let empty = std::fs::read_dir(&dir)
                    .map_err(|e| dir_err(e.to_string()))?
                    .next()
                    .is_none();
                if !is_db && !empty {
                    return Err(dir_err(
                        "exists and is not an lsmlab database; refusing to overwrite it".into(),
                    ));
                }
                std::fs::remove_dir_all(&dir).map_err(|e| dir_err(e.to_string()))?;
            }
            std::fs::create_dir_all(&dir).map_err(|e| dir_err(e.to_string()))?;
            Ok((
                Env {
                    fs: Arc::new(DiskFs::new()),
                    clock,
                },
                dir,
            ))
        }
    }
}

/// Runs one experiment. `progress` is updated with the operations done.
pub fn run_experiment(
    run: &RunSpec,
    fs_choice: &FsChoice,
    progress: &AtomicU64,
) -> Result<RunOutput, RunError> {
    let started = Instant::now();
    let options = build_options(run)?;
    let workload = build_workload(run)?;
    let lab = build_lab(run)?;
    let werr = |source| RunError::Workload {
        run: run.run_id.clone(),
        source,
    };
    let traced = run.workload.starts_with("trace:");
    let ops: Box<dyn Iterator<Item = Result<Op, WorkloadError>>> = match run.trace_spec() {
        Some(path) => {
            let trace = open_trace(run, &path, &workload, false)?;
            check_merge_operator(run, &options, &workload, trace.counts().merges)?;
            Box::new(trace.ops().map_err(werr)?)
        }
        None => {
            check_merge_operator(run, &options, &workload, 0)?;
            Box::new(workload.generator().map_err(werr)?.map(Ok))
        }
    };

    let clock = Arc::new(VirtualClock::new(0));
    let (env, dir) = open_env(run, fs_choice, clock.clone())?;
    let fs = env.fs.clone();
    let db = Db::open_with(&dir, options.clone(), env).map_err(|source| RunError::Engine {
        run: run.run_id.clone(),
        source,
    })?;
    // Declared after `db`, so dropped after it: jobs in flight finish first.
    let _workers = attach_workers(run, &db, fs.clone(), &dir, lab.compaction_workers)?;
    let mut x = Experiment {
        run,
        db,
        clock,
        fs,
        live: LiveSet::for_workload(&workload, traced),
        prober: Prober::new(run.probe_rate, &workload, traced, run.seed),
        reads: ReadMeter::default(),
        window_start: (0, 0),
        scans: ScanMeter::default(),
        deletes: DeleteTracker::default(),
        timeline: Vec::new(),
        space_amp_peak: 0.0,
        num_levels: options.num_levels,
        tree_due: crate::tree::MOMENTS
            .iter()
            .map(|f| (workload.total_ops() as f64 * f).ceil() as u64)
            .collect(),
        merge_operator: options.merge_operator.clone(),
        snapshots: lab
            .snapshots()
            .map(|(every, keep)| SnapshotRetention::new(every, keep)),
    };
    x.db.track_tombstone_purges(true);
    let total = workload.total_ops();
    let every = (total / SAMPLES).max(1);
    let pattern = |len: usize| -> Vec<u8> { (0..len).map(|i| (i * 31 + 7) as u8).collect() };
    let mut value = pattern(workload.value_size_max.max(1) as usize);
    let mut done = 0u64;
    for op in ops {
        let op = op.map_err(werr)?;
        // A trace may hold values larger than the workload's own.
        if op.value_len as usize > value.len() {
            value = pattern(op.value_len as usize);
        }
        x.apply(&op, &value).map_err(|e| x.engine_err(e))?;
        done += 1;
        x.probe_during_run(done).map_err(|e| x.engine_err(e))?;
        if done.is_multiple_of(every) {
            x.sample(done, false);
            progress.store(done, Ordering::Relaxed);
        }
    }
    // The burst figure: where db_bench reports, before the final flush.
    let write_amp_burst = x.db.stats().write_amp();
    // The end state: everything flushed and compacted to quiescence.
    x.db.flush().map_err(|e| x.engine_err(e))?;
    x.db.compact().map_err(|e| x.engine_err(e))?;
    x.sample(done, true);
    progress.store(done, Ordering::Relaxed);
    let settled = x.probe_settled().map_err(|e| x.engine_err(e))?;

    let stats = x.db.stats();
    let now = x.clock.now_ms();
    let live_bytes = x.live.live_bytes(now);
    let version = x.db.version();
    let sst_bytes = version.total_bytes();
    let blob_bytes = version.blob_bytes();
    let blob_garbage_bytes = version.blob_files().values().map(|b| b.garbage_bytes).sum();
    let tombstones_left = (0..version.num_levels())
        .flat_map(|l| version.files(l))
        .map(|f| f.tombstones)
        .sum();
    let (persist_mean, persist_max) = x.deletes.seconds();
    let c = &options.compaction;
    let model = predict(&(c.policy.build)(c).cost_model(&options), &x.shape(&stats));
    let wall = started.elapsed().as_secs_f64();
    let metrics = Metrics {
        user_bytes: stats.user_bytes,
        flush_bytes: stats.flush_bytes,
        compaction_read_bytes: stats.compaction_read_bytes,
        compaction_write_bytes: stats.compaction_write_bytes,
        write_amp: stats.write_amp(),
        write_amp_burst,
        write_amp_settled: stats.write_amp(),
        wal_bytes: x.fs.stats().wal.bytes_written,
        space_amp: ratio(sst_bytes + blob_bytes, live_bytes),
        space_amp_peak: x.space_amp_peak,
        live_bytes,
        sst_bytes,
        lookups: x.reads.lookups,
        read_amp: x.reads.read_amp(),
        read_amp_p99: x.reads.per_lookup.percentile(0.99),
        read_amp_settled: settled.read_amp(),
        cache_hit_rate: x.reads.hit_rate(),
        filter_probes: ratio(x.reads.filter_probes, x.reads.lookups),
        scans: x.scans.blocks.total(),
        scan_blocks: x.scans.blocks.mean(),
        scan_blocks_p99: ScanMeter::p99(&x.scans.blocks),
        scan_sorted_runs: x.scans.runs.mean(),
        scan_sorted_runs_p99: ScanMeter::p99(&x.scans.runs),
        sorted_runs_max: stats.sorted_runs_max,
        compactions: stats.compactions,
        trivial_moves: stats.trivial_moves,
        stall_seconds: stats.stall_seconds(),
        pending_compaction_bytes_peak: stats.pending_compaction_bytes_peak,
        delete_persistence_mean_s: persist_mean,
        delete_persistence_max_s: persist_max,
        tombstones_left,
        blob_bytes_written: stats.blob.bytes_written,
        blob_bytes,
        blob_garbage_bytes,
        model_write_amp: model.write_amp,
        model_space_amp: model.space_amp,
        wall_seconds: wall,
        ops_per_second: if wall > 0.0 { done as f64 / wall } else { 0.0 },
    };
    let mut level_stats = x.db.level_stats().to_string();
    if lab.compaction_workers > 0 {
        level_stats.push_str(&format!(
            "\nremote compaction: {} jobs on {} workers, {} attempts failed, {} jobs ran in the writer\n",
            stats.remote_jobs,
            lab.compaction_workers,
            stats.remote_failed_attempts,
            stats.remote_ran_locally
        ));
    }
    let breakdown = x.breakdown(&stats);
    Ok(RunOutput {
        record: RunRecord {
            run_id: run.run_id.clone(),
            spec: run.spec_name.clone(),
            policy: run.policy.clone(),
            workload: run.workload.clone(),
            varied: run.varied.clone(),
            seed: run.seed,
            ops: done,
            metrics,
            breakdown,
            git_rev: crate::GIT_REV.to_string(),
            lsmlab_version: crate::manifest::VERSION.to_string(),
            spec_hash: String::new(),
            config: crate::manifest::run_config(run),
        },
        timeline: x.timeline,
        level_stats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_of_block_counts() {
        let mut h = CountHistogram::default();
        for _ in 0..98 {
            h.record(1);
        }
        h.record(3);
        h.record(7);
        assert_eq!(h.percentile(0.99), 3.0);
        assert_eq!(h.percentile(0.5), 1.0);
        assert_eq!(h.percentile(1.0), 7.0);
        assert_eq!(h.mean(), Some((98.0 + 3.0 + 7.0) / 100.0));
        assert_eq!(CountHistogram::default().percentile(0.99), 0.0);
        assert_eq!(CountHistogram::default().mean(), None);
    }

    #[test]
    fn run_dir_names_are_flat() {
        assert_eq!(
            run_dir_name("leveled/uniform/l0_file_limit=4"),
            "leveled_uniform_l0_file_limit=4"
        );
    }
}
