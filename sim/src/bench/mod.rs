//! `lsmlab bench`: db_bench-like phases (fillseq, fillrandom,
//! filluniquerandom, overwrite, readrandom, readwhilewriting, seekrandom),
//! with db_bench's key choices, against the real engine on
//! real time, each phase on its own timer, with ops/s, MB/s and latency
//! percentiles per phase and the per-level table of every database used.
//!
//! As in db_bench, the fills start a fresh database and the other phases
//! work on the current one; a phase that needs data and finds no database
//! gets one loaded first (every key once, in random order, not timed).
//! db_bench's untimed steps (flush, waitforcompaction, compact, levelstats)
//! go between phases to set or show the tree the next phase reads.

mod keys;
mod latency;
mod maintenance;
mod output;
mod pacing;
mod phases;

pub use latency::Latency;
pub use output::to_json;
use phases::KeyOrder;
pub use phases::PhaseResult;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use lsmlab_engine::db::{EngineStats, LevelStatsTable};
use lsmlab_engine::fs::{DiskFs, Fs, MemFs};
use lsmlab_engine::{Clock, Db, Env, Mode, Options, SystemClock};
use lsmlab_workloads::MIN_KEY_SIZE;

use crate::catalog::Catalog;
use crate::runner::FsChoice;
use crate::spec::ParamCatalog;

/// Where an in-memory database lives inside its `MemFs`.
const MEM_DIR: &str = "/lsmlab-bench";
const MAX_KEY_SIZE: usize = 1024;
const MAX_VALUE_SIZE: usize = 1 << 20;
const MAX_THREADS: usize = 1024;

/// One benchmark phase, named as in RocksDB's db_bench.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Every key once, in key order, into a fresh database.
    FillSeq,
    /// `num` puts of keys drawn uniformly from `0..num`, with repetition,
    /// into a fresh database (db_bench's fillrandom: about 63% of the keys
    /// end up present).
    FillRandom,
    /// Every key once, in a seeded random order, into a fresh database.
    FillUniqueRandom,
    /// `num` puts of random existing keys.
    Overwrite,
    /// Point lookups of random existing keys.
    ReadRandom,
    /// Point lookups while one more thread overwrites at full speed.
    ReadWhileWriting,
    /// Scans of `scan_length` entries from random existing keys.
    SeekRandom,
    /// Untimed: writes the memtable to L0.
    Flush,
    /// Untimed: waits until background work is done.
    WaitForCompaction,
    /// Untimed: flushes, then merges every level into the deepest level
    /// holding data (RocksDB's `CompactRange` over every key).
    Compact,
    /// Untimed: prints the files and bytes of each level.
    LevelStats,
}

impl Phase {
    /// Every timed phase, in the default order.
    pub const ALL: [Phase; 7] = [
        Phase::FillSeq,
        Phase::FillRandom,
        Phase::FillUniqueRandom,
        Phase::Overwrite,
        Phase::ReadRandom,
        Phase::ReadWhileWriting,
        Phase::SeekRandom,
    ];

    /// The untimed steps.
    pub const MAINTENANCE: [Phase; 4] = [
        Phase::Flush,
        Phase::WaitForCompaction,
        Phase::Compact,
        Phase::LevelStats,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::FillSeq => "fillseq",
            Phase::FillRandom => "fillrandom",
            Phase::FillUniqueRandom => "filluniquerandom",
            Phase::Overwrite => "overwrite",
            Phase::ReadRandom => "readrandom",
            Phase::ReadWhileWriting => "readwhilewriting",
            Phase::SeekRandom => "seekrandom",
            Phase::Flush => "flush",
            Phase::WaitForCompaction => "waitforcompaction",
            Phase::Compact => "compact",
            Phase::LevelStats => "levelstats",
        }
    }

    /// Whether the step is untimed (it makes no row of the results).
    pub fn is_maintenance(self) -> bool {
        Phase::MAINTENANCE.contains(&self)
    }

    /// Whether the phase starts on a fresh database.
    pub fn fresh_db(self) -> bool {
        matches!(
            self,
            Phase::FillSeq | Phase::FillRandom | Phase::FillUniqueRandom
        )
    }

    /// Phases from a comma-separated list (`fillseq,readrandom`), in the
    /// order given; a phase may appear more than once.
    pub fn parse_list(list: &str) -> Result<Vec<Phase>, BenchError> {
        let phases = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<Phase>, _>>()?;
        if phases.is_empty() {
            return Err(BenchError::InvalidArgument(format!(
                "--benchmarks is empty; valid: {}",
                phase_names()
            )));
        }
        Ok(phases)
    }
}

fn phase_names() -> String {
    Phase::ALL
        .iter()
        .chain(&Phase::MAINTENANCE)
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::str::FromStr for Phase {
    type Err = BenchError;

    fn from_str(s: &str) -> Result<Phase, BenchError> {
        Phase::ALL
            .into_iter()
            .chain(Phase::MAINTENANCE)
            .find(|p| p.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                BenchError::InvalidArgument(format!(
                    "unknown benchmark `{s}`; valid: {}",
                    phase_names()
                ))
            })
    }
}

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Invalid options, or the engine failed during a phase.
    #[error("{0}")]
    Engine(#[from] lsmlab_engine::Error),
    /// A setting of the benchmark itself is out of range.
    #[error("{0}")]
    InvalidArgument(String),
    /// A database directory could not be prepared.
    #[error("{}: {reason}", path.display())]
    Dir { path: PathBuf, reason: String },
    /// Writing the results failed.
    #[error("writing the results: {0}")]
    Output(#[from] std::io::Error),
    /// The operating system refused a thread the benchmark needs.
    #[error("{0}; lower --threads")]
    Threads(String),
}

/// What to run and how.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Phases in the order they run.
    pub benchmarks: Vec<Phase>,
    /// Keys in the database; the fills and overwrite make this many puts.
    pub num: u64,
    /// Read operations per read phase, over all reader threads
    /// (`None`: `num`).
    pub reads: Option<u64>,
    pub key_size: usize,
    pub value_size: usize,
    /// Reader threads of the read phases.
    pub threads: usize,
    /// Entries per seekrandom scan.
    pub scan_length: usize,
    /// In memory, or one fresh subdirectory per database under a directory.
    pub fs: FsChoice,
    /// db_bench's `--db`: every database in this one directory (a fill
    /// starts it afresh), on disk. Takes the place of `fs`.
    pub db: Option<PathBuf>,
    /// db_bench's `--use_existing_db`: the phases work on the database
    /// already in `db`; a phase that needs a fresh one is an error.
    pub use_existing_db: bool,
    /// db_bench's `--duration`: each phase stops after this long, if it has
    /// not done its operations yet.
    pub duration: Option<std::time::Duration>,
    /// db_bench's `--statistics`: print every database's engine counters.
    pub statistics: bool,
    pub options: Options,
    pub seed: u64,
    /// Stack size of the reader threads (`None`: Rust's default).
    pub reader_stack_size: Option<usize>,
    /// Compaction workers (in this process, on loopback TCP) that run the
    /// merge jobs of every database; 0: merges run in the writer.
    pub compaction_workers: usize,
    /// db_bench's `--benchmark_write_rate_limit`: bytes per second (key +
    /// value) the write phases and readwhilewriting's writer hold to;
    /// `None`: as fast as they go. The sleeps are not in the latencies.
    pub write_rate_limit: Option<u64>,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            benchmarks: Phase::ALL.to_vec(),
            num: 1_000_000,
            reads: None,
            key_size: 16,
            value_size: 100,
            threads: 1,
            scan_length: 10,
            fs: FsChoice::MEM,
            db: None,
            use_existing_db: false,
            duration: None,
            statistics: false,
            options: Options {
                mode: Mode::Background,
                ..Options::default()
            },
            seed: 1,
            reader_stack_size: None,
            compaction_workers: 0,
            write_rate_limit: None,
        }
    }
}

fn out_of_range(flag: &str, value: impl std::fmt::Display, allowed: &str) -> BenchError {
    BenchError::InvalidArgument(format!("{flag} {value}: must be {allowed}"))
}

impl BenchConfig {
    /// Checks every setting; the error names the flag, its value and the
    /// allowed range.
    pub fn validate(&self) -> Result<(), BenchError> {
        if self.benchmarks.is_empty() {
            return Err(BenchError::InvalidArgument(format!(
                "no benchmarks given; valid: {}",
                phase_names()
            )));
        }
        if self.num == 0 {
            return Err(out_of_range("--num", 0, "at least 1"));
        }
        if self.reads == Some(0) {
            return Err(out_of_range("--reads", 0, "at least 1"));
        }
        if !(MIN_KEY_SIZE..=MAX_KEY_SIZE).contains(&self.key_size) {
            return Err(out_of_range(
                "--key-size",
                self.key_size,
                &format!("{MIN_KEY_SIZE} ..= {MAX_KEY_SIZE} (keys hold a big-endian 64-bit index)"),
            ));
        }
        if self.value_size > MAX_VALUE_SIZE {
            return Err(out_of_range(
                "--value-size",
                self.value_size,
                &format!("0 ..= {MAX_VALUE_SIZE}"),
            ));
        }
        if !(1..=MAX_THREADS).contains(&self.threads) {
            return Err(out_of_range(
                "--threads",
                self.threads,
                &format!("1 ..= {MAX_THREADS}"),
            ));
        }
        if self.scan_length == 0 {
            return Err(out_of_range("--scan-length", 0, "at least 1"));
        }
        if self.use_existing_db {
            let Some(db) = &self.db else {
                return Err(BenchError::InvalidArgument(
                    "--use_existing_db needs --db PATH".into(),
                ));
            };
            if let Some(p) = self.benchmarks.iter().find(|p| p.fresh_db()) {
                return Err(BenchError::InvalidArgument(format!(
                    "--use_existing_db: {} needs a fresh database; drop it from --benchmarks \
                     or drop --use_existing_db",
                    p.name()
                )));
            }
            if !db.join("CURRENT").is_file() {
                return Err(BenchError::Dir {
                    path: db.clone(),
                    reason: "--use_existing_db: no lsmlab database here (no CURRENT)".into(),
                });
            }
        }
        self.options.validate()?;
        Ok(())
    }

    /// Read operations per read phase.
    pub fn reads(&self) -> u64 {
        self.reads.unwrap_or(self.num)
    }

    /// Key + value bytes of one put.
    pub fn entry_bytes(&self) -> u64 {
        (self.key_size + self.value_size) as u64
    }
}

/// RocksDB's names for db_bench's integer codes of `--compaction_style`;
/// `None`: a style lsmlab does not simulate.
const COMPACTION_STYLES: [Option<&str>; 5] = [
    Some("kCompactionStyleLevel"),
    Some("kCompactionStyleUniversal"),
    Some("kCompactionStyleFIFO"),
    None,
    None,
];

/// The same for `--compaction_pri` (every priority is a policy).
const COMPACTION_PRIS: [Option<&str>; 5] = [
    Some("kByCompensatedSize"),
    Some("kOldestLargestSeqFirst"),
    Some("kOldestSmallestSeqFirst"),
    Some("kMinOverlappingRatio"),
    Some("kRoundRobin"),
];

/// The db_bench flag and code that choose the RocksDB style or priority
/// called `rocksdb_name` (`kCompactionStyleUniversal`: `compaction_style`
/// 1), the reverse of the tables above.
pub fn db_bench_code(rocksdb_name: &str) -> Option<(&'static str, usize)> {
    let find = |codes: &[Option<&str>]| {
        codes
            .iter()
            .position(|c| c.is_some_and(|c| c.eq_ignore_ascii_case(rocksdb_name)))
    };
    find(&COMPACTION_STYLES)
        .map(|c| ("compaction_style", c))
        .or_else(|| find(&COMPACTION_PRIS).map(|c| ("compaction_pri", c)))
}

/// The RocksDB name of a db_bench code in `codes`; a value that is not a
/// number is taken as a name already.
fn rocksdb_name<'a>(
    flag: &str,
    value: &'a str,
    codes: &[Option<&'static str>],
) -> Result<&'a str, BenchError> {
    let Ok(code) = value.trim().parse::<usize>() else {
        return Ok(value.trim());
    };
    match codes.get(code) {
        Some(Some(name)) => Ok(name),
        _ => {
            let valid: Vec<String> = (codes.iter().enumerate())
                .filter_map(|(i, n)| n.map(|n| format!("{i} ({n})")))
                .collect();
            Err(BenchError::InvalidArgument(format!(
                "--{flag} {value}: not simulated; use {}",
                valid.join(", ")
            )))
        }
    }
}

/// The policy db_bench's `--compaction_style` and `--compaction_pri` choose,
/// as a name the policy parser takes (RocksDB's names are aliases there):
/// a universal or FIFO style decides alone, a level style takes its
/// priority; `None` when neither flag is given.
pub fn policy_from_db_bench(
    style: Option<&str>,
    pri: Option<&str>,
) -> Result<Option<String>, BenchError> {
    let style =
        (style.map(|s| rocksdb_name("compaction_style", s, &COMPACTION_STYLES))).transpose()?;
    let pri = (pri.map(|p| rocksdb_name("compaction_pri", p, &COMPACTION_PRIS))).transpose()?;
    let level_style = style.is_none_or(|s| {
        ["kCompactionStyleLevel", "level"]
            .iter()
            .any(|l| l.eq_ignore_ascii_case(s))
    });
    Ok(match (style, pri) {
        (_, Some(pri)) if level_style => Some(pri.to_string()),
        (style, _) => style.map(str::to_string),
    })
}

/// Engine options for a benchmark: defaults, the policy, the mode, then
/// every `--set NAME=VALUE` (engine and policy parameters by name or
/// RocksDB alias). Relations between parameters are checked once all are
/// set, so the order of the settings does not matter.
///
/// One default differs from the lab's: filters are cache-local
/// (`bloom_layout = cache-local`), as the full filters db_bench builds
/// are (RocksDB's `format_version` 5); the lab keeps the whole layout its
/// committed figures were measured with.
pub fn build_options(
    policy: &str,
    mode: &str,
    settings: &[(String, String)],
) -> Result<Options, BenchError> {
    let mut o = Options::default();
    o.set("policy", policy)?;
    o.mode = mode.parse()?;
    o.bloom_layout = lsmlab_engine::sst::bloom::BloomLayout::CacheLocal;
    for (name, value) in settings {
        let qualified = Catalog
            .resolve(name)
            .map_err(|e| BenchError::InvalidArgument(format!("--set {name}: {e}")))?;
        let Some(bare) = qualified
            .strip_prefix("engine.")
            .or_else(|| qualified.strip_prefix("policy."))
        else {
            return Err(BenchError::InvalidArgument(format!(
                "--set {name}: a workload parameter; bench takes engine and policy parameters \
                 (see `lsmlab policies`)"
            )));
        };
        Catalog
            .check(&qualified, value)
            .map_err(|e| BenchError::InvalidArgument(format!("--set {name}={value}: {e}")))?;
        // Its own range here; relations once every setting is in (below).
        match o.set_param(bare, value) {
            Ok(()) => {}
            Err(e) => return Err(e.into()),
        }
    }
    o.validate()?;
    Ok(o)
}

/// A database the phases are using, and what they did with it.
struct OpenDb {
    db: Db,
    name: &'static str,
    location: String,
    phases: Vec<Phase>,
    /// Dropped after `db`: its jobs in flight finish first.
    _workers: Option<lsmlab_engine::remote::LocalWorkers>,
}

/// Starts `cfg.compaction_workers` workers on `dir` and routes `db`'s
/// merges to them (none for 0).
fn attach_workers(
    cfg: &BenchConfig,
    db: &Db,
    fs: Arc<dyn Fs>,
    dir: &Path,
) -> Result<Option<lsmlab_engine::remote::LocalWorkers>, BenchError> {
    if cfg.compaction_workers == 0 {
        return Ok(None);
    }
    let w = lsmlab_engine::remote::LocalWorkers::start(
        fs,
        dir.to_path_buf(),
        cfg.compaction_workers,
        lsmlab_engine::remote::WorkerFault::None,
    )
    .map_err(|e| BenchError::InvalidArgument(format!("starting compaction workers: {e}")))?;
    db.set_compaction_service(Some(w.service(std::time::Duration::from_secs(60))));
    Ok(Some(w))
}

/// A database the benchmark is done with: its shape and counters.
#[derive(Debug, Clone)]
pub struct DbSummary {
    /// The phase that created it (`load` for an untimed load).
    pub name: &'static str,
    /// Its directory, or `memory`.
    pub location: String,
    /// The timed phases that ran on it.
    pub phases: Vec<Phase>,
    pub level_stats: LevelStatsTable,
    pub stats: EngineStats,
}

/// Everything a benchmark measured.
#[derive(Debug, Clone, Default)]
pub struct BenchReport {
    pub phases: Vec<PhaseResult>,
    pub dbs: Vec<DbSummary>,
}

/// Whether every entry of `dir` is a file the engine writes, and it holds
/// a `CURRENT`: only such a directory is deleted to start afresh.
fn is_lsmlab_db(dir: &Path) -> std::io::Result<bool> {
    let mut has_current = false;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            return Ok(false);
        }
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Ok(false);
        };
        let numbered = |suffix: &str| {
            name.strip_suffix(suffix)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        let manifest = name
            .strip_prefix("MANIFEST-")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        has_current |= name == "CURRENT";
        if !(name == "CURRENT"
            || name == lsmlab_engine::db::LOCK_FILE
            || name == lsmlab_engine::db::IDENTITY_FILE
            || name == "CURRENT.dbtmp"
            || manifest
            || numbered(".sst")
            || numbered(".log"))
        {
            return Ok(false);
        }
    }
    Ok(has_current)
}

/// Makes `dir` an empty directory: creates it, or deletes the lsmlab
/// database in it. Anything else there is left alone and is an error.
fn prepare_dir(dir: &Path) -> Result<(), BenchError> {
    let err = |reason: String| BenchError::Dir {
        path: dir.to_path_buf(),
        reason,
    };
    if dir.exists() {
        if !dir.is_dir() {
            return Err(err("exists and is not a directory".into()));
        }
        let empty = std::fs::read_dir(dir)
            .map_err(|e| err(e.to_string()))?
            .next()
            .is_none();
        if !empty {
            if !is_lsmlab_db(dir).map_err(|e| err(e.to_string()))? {
                return Err(err(
                    "exists and is not an lsmlab database; refusing to delete it".into(),
                ));
            }
            std::fs::remove_dir_all(dir).map_err(|e| err(e.to_string()))?;
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))
}

/// Opens the database already in `--db` (`--use_existing_db`).
fn open_existing(cfg: &BenchConfig, dir: &Path) -> Result<OpenDb, BenchError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let fs: Arc<dyn Fs> = Arc::new(DiskFs::new());
    let db = Db::open_with(
        dir,
        cfg.options.clone(),
        Env {
            fs: fs.clone(),
            clock,
        },
    )?;
    let workers = attach_workers(cfg, &db, fs, dir)?;
    Ok(OpenDb {
        db,
        name: "existing",
        location: dir.display().to_string(),
        phases: Vec::new(),
        _workers: workers,
    })
}

/// Opens a fresh, empty database named after the phase that needs it.
fn open_fresh(cfg: &BenchConfig, name: &'static str) -> Result<OpenDb, BenchError> {
    let (fs, dir, location): (Arc<dyn Fs>, PathBuf, String) = match (&cfg.db, &cfg.fs) {
        (Some(dir), _) => {
            prepare_dir(dir)?;
            let location = dir.display().to_string();
            (Arc::new(DiskFs::new()), dir.clone(), location)
        }
        (None, FsChoice::Mem { limit }) => (
            Arc::new(MemFs::with_limit(limit.unwrap_or(u64::MAX))),
            PathBuf::from(MEM_DIR),
            "memory".into(),
        ),
        (None, FsChoice::Disk(base)) => {
            let dir = base.join(name);
            prepare_dir(&dir)?;
            let location = dir.display().to_string();
            (Arc::new(DiskFs::new()), dir, location)
        }
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let db = Db::open_with(
        &dir,
        cfg.options.clone(),
        Env {
            fs: fs.clone(),
            clock,
        },
    )?;
    let workers = attach_workers(cfg, &db, fs, &dir)?;
    Ok(OpenDb {
        db,
        name,
        location,
        phases: Vec::new(),
        _workers: workers,
    })
}

impl OpenDb {
    fn close(self) -> Result<DbSummary, BenchError> {
        let level_stats = self.db.level_stats();
        let stats = self.db.stats();
        self.db.close()?;
        Ok(DbSummary {
            name: self.name,
            location: self.location,
            phases: self.phases,
            level_stats,
            stats,
        })
    }
}

/// Runs the phases of `cfg` in order, printing a row per phase to `out` as
/// it finishes, then the per-level table and write amplification of every
/// database used.
pub fn run(cfg: &BenchConfig, out: &mut dyn Write) -> Result<BenchReport, BenchError> {
    cfg.validate()?;
    writeln!(out, "{}", output::header(cfg))?;
    let mut report = BenchReport::default();
    let mut current: Option<OpenDb> = None;
    let mut table_started = false;
    for &phase in &cfg.benchmarks {
        if phase.fresh_db() {
            if let Some(done) = current.take() {
                report.dbs.push(done.close()?);
            }
        }
        let db = match current.as_mut() {
            Some(db) => db,
            None if phase.fresh_db() => current.insert(open_fresh(cfg, phase.name())?),
            None if cfg.use_existing_db => {
                let dir = cfg.db.as_deref().expect("validated: --db is set");
                current.insert(open_existing(cfg, dir)?)
            }
            None => {
                let loaded = current.insert(open_fresh(cfg, "load")?);
                let start = Instant::now();
                phases::write(&loaded.db, cfg, Phase::FillUniqueRandom, KeyOrder::Shuffled)?;
                writeln!(
                    out,
                    "load: {} keys in random order into a fresh database for {} ({:.1} s, not timed)",
                    cfg.num,
                    phase.name(),
                    start.elapsed().as_secs_f64()
                )?;
                loaded
            }
        };
        if phase.is_maintenance() {
            writeln!(out, "{}", maintenance::run(&db.db, phase)?)?;
            out.flush()?;
            db.phases.push(phase);
            continue;
        }
        let result = match phase {
            Phase::FillSeq => phases::write(&db.db, cfg, phase, KeyOrder::InOrder)?,
            Phase::FillRandom => {
                phases::write(&db.db, cfg, phase, KeyOrder::Drawn(phases::SALT_FILL))?
            }
            Phase::FillUniqueRandom => phases::write(&db.db, cfg, phase, KeyOrder::Shuffled)?,
            Phase::Overwrite => {
                phases::write(&db.db, cfg, phase, KeyOrder::Drawn(phases::SALT_OVERWRITE))?
            }
            Phase::ReadRandom | Phase::SeekRandom => phases::read_only(&db.db, cfg, phase)?,
            Phase::ReadWhileWriting => phases::read_while_writing(&db.db, cfg)?,
            Phase::Flush | Phase::WaitForCompaction | Phase::Compact | Phase::LevelStats => {
                unreachable!("untimed steps ran above")
            }
        };
        db.phases.push(phase);
        if !table_started {
            writeln!(out, "{}", output::table_header())?;
            table_started = true;
        }
        writeln!(out, "{}", output::row(&result))?;
        out.flush()?;
        report.phases.push(result);
    }
    if let Some(done) = current.take() {
        report.dbs.push(done.close()?);
    }
    for (i, summary) in report.dbs.iter().enumerate() {
        write!(out, "\n{}", output::db_summary(i + 1, summary))?;
        if cfg.statistics {
            write!(out, "{}", output::statistics(summary))?;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests;
