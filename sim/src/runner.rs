//! One experiment: the engine and the workload a [`RunSpec`] describes, every
//! operation driven through the engine on simulated time, a timeline sampled
//! along the way and the DESIGN.md metrics measured at the end.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use lsmlab_engine::fs::{DiskFs, Fs, MemFs};
use lsmlab_engine::{Clock, Db, Env, Options, VirtualClock};
use lsmlab_workloads::{
    encode_key, Op, OpKind, ReadOptions, TraceFile, WorkloadError, WorkloadSpec,
};

use crate::metrics::Metrics;
use crate::results::RunRecord;
use crate::spec::RunSpec;
use crate::timeline::TimelineRow;

/// Timeline samples per run (at least; the end of the run adds one).
pub const SAMPLES: u64 = 100;
/// Point lookups of the probe phase, for workloads without reads.
pub const PROBE_LOOKUPS: u64 = 10_000;

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
    #[error("run {run}: {path}: {reason}")]
    Dir {
        run: String,
        path: PathBuf,
        reason: String,
    },
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
    for (name, value) in &run.settings {
        if let Some(bare) = name.strip_prefix("workload.") {
            w.set(bare, value).map_err(werr)?;
        }
    }
    w.validate().map_err(werr)?;
    Ok(w)
}

/// The trace of a `trace:[FORMAT:]PATH` workload, validated; a CSV trace
/// replays at the workload's `ingest_rate`.
pub fn open_trace(
    run: &RunSpec,
    spec: &str,
    workload: &WorkloadSpec,
) -> Result<TraceFile, RunError> {
    let options = ReadOptions {
        ingest_rate: workload.ingest_rate,
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

/// A fixed, fast hash of short byte strings (eight bytes a step, mixed at
/// the end), for the live-key map: the std hasher resists adversaries the
/// simulator does not have, at several times the cost.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes(c.try_into().expect("chunks of 8"));
            self.0 = (self.0.rotate_left(23) ^ word).wrapping_mul(K);
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.0 = (self.0.rotate_left(23) ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    }

    fn finish(&self) -> u64 {
        // Murmur3's finaliser: every input bit reaches the low bits too.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Live keys: key -> (value length, expiry ms or `u64::MAX`). A hash map
/// (with a fixed hasher) because a put is one hash and no key comparison;
/// what depends on order ([`LiveSet::sorted_keys`]) sorts first, so every
/// figure is the same on every machine.
#[derive(Default)]
struct LiveSet {
    keys: HashMap<Vec<u8>, (u32, u64), BuildHasherDefault<KeyHasher>>,
    /// INVARIANT: key+value bytes of every entry in `keys`, expired or not.
    bytes: u64,
    has_expiry: bool,
}

impl LiveSet {
    fn put(&mut self, key: &[u8], len: u32, expiry: u64) {
        self.has_expiry |= expiry != u64::MAX;
        // Overwrites (most puts of a long run) allocate nothing.
        match self.keys.get_mut(key) {
            Some(slot) => {
                self.bytes -= key.len() as u64 + slot.0 as u64;
                *slot = (len, expiry);
            }
            None => {
                self.keys.insert(key.to_vec(), (len, expiry));
            }
        }
        self.bytes += key.len() as u64 + len as u64;
    }

    fn delete(&mut self, key: &[u8]) {
        if let Some((old, _)) = self.keys.remove(key) {
            self.bytes -= key.len() as u64 + old as u64;
        }
    }

    /// Every key held (expired or not), in key order.
    fn sorted_keys(&self) -> Vec<&[u8]> {
        let mut keys: Vec<&[u8]> = self.keys.keys().map(Vec::as_slice).collect();
        keys.sort_unstable();
        keys
    }

    /// Bytes of the unexpired keys at `now`; forgets expired ones.
    fn live_bytes(&mut self, now: u64) -> u64 {
        if self.has_expiry {
            let mut gone = 0u64;
            self.keys.retain(|k, (len, exp)| {
                let live = *exp > now;
                if !live {
                    gone += k.len() as u64 + *len as u64;
                }
                live
            });
            self.bytes -= gone;
        }
        self.bytes
    }
}

/// Per-lookup data-block counts, for the mean and the 99th percentile.
#[derive(Default)]
struct BlockHistogram {
    counts: Vec<u64>,
}

impl BlockHistogram {
    fn record(&mut self, blocks: u64) {
        let i = blocks as usize;
        if self.counts.len() <= i {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
    }

    fn percentile(&self, p: f64) -> f64 {
        let total: u64 = self.counts.iter().sum();
        if total == 0 {
            return 0.0;
        }
        let rank = (p * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (blocks, n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return blocks as f64;
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

struct Experiment<'a> {
    run: &'a RunSpec,
    db: Db,
    clock: Arc<VirtualClock>,
    fs: Arc<dyn Fs>,
    live: LiveSet,
    blocks: BlockHistogram,
    timeline: Vec<TimelineRow>,
    space_amp_peak: f64,
    num_levels: usize,
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
        match op.kind {
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
                        self.live.put(&op.key, op.value_len, u64::MAX);
                    }
                }
            }
            OpKind::Delete => {
                self.db.delete(&op.key)?;
                self.live.delete(&op.key);
            }
            OpKind::Get => {
                let (_, st) = self.db.get_with_stats(&op.key)?;
                self.blocks.record(st.blocks_read);
            }
            OpKind::Scan { len } => {
                self.db.scan(&op.key, None, len as usize)?;
            }
        }
        Ok(())
    }

    fn sample(&mut self, ops_done: u64) {
        let now = self.clock.now_ms();
        let peaks = self.db.take_window_peaks();
        let live = self.live.live_bytes(now);
        let stats = self.db.stats();
        let v = self.db.version();
        let sst = v.total_bytes();
        let space_amp = ratio(sst, live);
        self.space_amp_peak = self
            .space_amp_peak
            .max(space_amp)
            .max(ratio(peaks.sst_bytes, live));
        self.timeline.push(TimelineRow {
            run_id: self.run.run_id.clone(),
            ops_done,
            sim_time_s: now as f64 / 1000.0,
            write_amp: stats.write_amp(),
            space_amp,
            read_amp: ratio(stats.lookup.blocks_read, stats.gets),
            l0_files: v.files(0).len() as u64,
            pending_compaction_bytes: peaks.pending_compaction_bytes,
            level_bytes: (0..self.num_levels).map(|l| v.level_bytes(l)).collect(),
        });
    }

    /// Point lookups of keys that exist and keys that do not, half each.
    fn probe(&mut self, key_size: usize) -> Result<(), lsmlab_engine::Error> {
        let present: Vec<Vec<u8>> = {
            let n = self.live.keys.len() as u64;
            let step = (n / (PROBE_LOOKUPS / 2)).max(1) as usize;
            self.live
                .sorted_keys()
                .into_iter()
                .step_by(step)
                .take((PROBE_LOOKUPS / 2) as usize)
                .map(<[u8]>::to_vec)
                .collect()
        };
        for k in &present {
            let (_, st) = self.db.get_with_stats(k)?;
            self.blocks.record(st.blocks_read);
        }
        for i in 0..PROBE_LOOKUPS - present.len() as u64 {
            // Keys above any the workloads generate.
            let k = encode_key(u64::MAX - i, key_size.max(8));
            let (_, st) = self.db.get_with_stats(&k)?;
            self.blocks.record(st.blocks_read);
        }
        Ok(())
    }
}

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
    let werr = |source| RunError::Workload {
        run: run.run_id.clone(),
        source,
    };
    let ops: Box<dyn Iterator<Item = Result<Op, WorkloadError>>> = match run.trace_spec() {
        Some(path) => Box::new(open_trace(run, &path, &workload)?.ops().map_err(werr)?),
        None => Box::new(workload.generator().map_err(werr)?.map(Ok)),
    };

    let clock = Arc::new(VirtualClock::new(0));
    let (env, dir) = open_env(run, fs_choice, clock.clone())?;
    let fs = env.fs.clone();
    let db = Db::open_with(&dir, options.clone(), env).map_err(|source| RunError::Engine {
        run: run.run_id.clone(),
        source,
    })?;
    let mut x = Experiment {
        run,
        db,
        clock,
        fs,
        live: LiveSet::default(),
        blocks: BlockHistogram::default(),
        timeline: Vec::new(),
        space_amp_peak: 0.0,
        num_levels: options.num_levels,
    };
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
        if done.is_multiple_of(every) {
            x.sample(done);
            progress.store(done, Ordering::Relaxed);
        }
    }
    // The end state: everything flushed and compacted to quiescence.
    x.db.flush().map_err(|e| x.engine_err(e))?;
    x.db.compact().map_err(|e| x.engine_err(e))?;
    if x.db.stats().gets == 0 {
        x.probe(workload.key_size).map_err(|e| x.engine_err(e))?;
    }
    x.sample(done);
    progress.store(done, Ordering::Relaxed);

    let stats = x.db.stats();
    let now = x.clock.now_ms();
    let live_bytes = x.live.live_bytes(now);
    let sst_bytes = x.db.version().total_bytes();
    let wall = started.elapsed().as_secs_f64();
    let metrics = Metrics {
        user_bytes: stats.user_bytes,
        flush_bytes: stats.flush_bytes,
        compaction_read_bytes: stats.compaction_read_bytes,
        compaction_write_bytes: stats.compaction_write_bytes,
        write_amp: stats.write_amp(),
        wal_bytes: x.fs.stats().wal.bytes_written,
        space_amp: ratio(sst_bytes, live_bytes),
        space_amp_peak: x.space_amp_peak,
        live_bytes,
        sst_bytes,
        read_amp: ratio(stats.lookup.blocks_read, stats.gets),
        read_amp_p99: x.blocks.percentile(0.99),
        filter_probes: ratio(stats.lookup.filter_probes, stats.gets),
        sorted_runs_max: stats.sorted_runs_max,
        compactions: stats.compactions,
        trivial_moves: stats.trivial_moves,
        stall_seconds: stats.stall_seconds(),
        pending_compaction_bytes_peak: stats.pending_compaction_bytes_peak,
        wall_seconds: wall,
        ops_per_second: if wall > 0.0 { done as f64 / wall } else { 0.0 },
    };
    let level_stats = x.db.level_stats().to_string();
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
        let mut h = BlockHistogram::default();
        for _ in 0..98 {
            h.record(1);
        }
        h.record(3);
        h.record(7);
        assert_eq!(h.percentile(0.99), 3.0);
        assert_eq!(h.percentile(0.5), 1.0);
        assert_eq!(h.percentile(1.0), 7.0);
        assert_eq!(BlockHistogram::default().percentile(0.99), 0.0);
    }

    #[test]
    fn live_set_counts_overwrites_once_and_forgets_expired_keys() {
        let mut l = LiveSet::default();
        l.put(b"aa", 10, u64::MAX);
        l.put(b"aa", 4, u64::MAX);
        l.put(b"bb", 8, 500);
        assert_eq!(l.live_bytes(100), 2 + 4 + 2 + 8);
        assert_eq!(l.live_bytes(500), 2 + 4);
        l.delete(b"aa");
        assert_eq!(l.live_bytes(600), 0);
    }

    #[test]
    fn run_dir_names_are_flat() {
        assert_eq!(
            run_dir_name("leveled/uniform/l0_file_limit=4"),
            "leveled_uniform_l0_file_limit=4"
        );
    }
}
