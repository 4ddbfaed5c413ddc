//! What a strategy asks the engine to do: a [`Job`].

use std::fmt;
use std::sync::Arc;

use super::output_cut::OutputCut;
use crate::version::{FileMeta, SortedRun};

/// How a job changes the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Read the inputs through the merge kernel and write new files.
    Merge,
    /// Move one file to the output level without rewriting it.
    TrivialMove,
    /// Delete the input files whole, without reading them.
    Drop,
}

/// Why a strategy picked a job: the trigger and, where there is one, its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reason {
    /// L0 file count reached `l0_file_limit`; score = files / limit.
    L0FileCount { score: f64 },
    /// A level's bytes exceed its target; score = bytes / target.
    LevelSize { level: usize, score: f64 },
    /// A bucket of similar-size sorted runs reached `min_threshold`.
    SizeTieredBucket { runs: usize },
    /// More than `max_threshold` runs and no bucket qualified.
    TooManyRuns { runs: usize },
    /// Every entry in the files has expired.
    TtlExpired,
    /// The total size exceeds the cap; the oldest files go.
    SizeCap,
    /// Files of one closed time window merge into one.
    TimeWindow { window: u64 },
    /// A set of sstables that overlap at some key reached its level's
    /// threshold (Cassandra UCS); `overlap` = the most that share a key.
    Overlap { level: usize, overlap: usize },
    /// The two largest tiers exceed the space-amplification goal
    /// ((S0 + S1) / S0, ScyllaDB ICS); `ratio` = that quotient.
    SpaceAmpGoal { ratio: f64 },
    /// Asked for explicitly (e.g. a manual compaction).
    Manual,
    /// A leveled file's oldest data is older than `ttl` (RocksDB kTtl).
    Ttl,
    /// A file marked when written by its deletions (RocksDB's
    /// `CompactOnDeletionCollector`; kFilesMarkedForCompaction).
    FilesMarked,
    /// A file whose data blocks are tombstone-dense enough (Pebble's
    /// tombstone density compaction).
    TombstoneDensity,
    /// A file whose oldest tombstone passed its level's share of
    /// `delete_persistence_threshold` (Lethe's FADE).
    DeletePersistence,
    /// A file older than `periodic_compaction_seconds` (RocksDB
    /// kPeriodicCompaction).
    Periodic,
    /// A file at the bottom of the tree holding entries kept for snapshots
    /// since released (RocksDB kBottommostFiles).
    BottommostFiles,
    /// Universal: the runs newer than the oldest reached
    /// `max_size_amplification_percent` of it; `percent` = their size over
    /// the oldest run's, in percent.
    UniversalSizeAmplification { percent: u64 },
    /// Universal: consecutive runs of similar size (`size_ratio`) merge.
    UniversalSizeRatio { runs: usize },
    /// Universal: more sorted runs than allowed; the newest merge without
    /// regard to size.
    UniversalSortedRunNum { runs: usize },
    /// FIFO with `allow_compaction`: the newest small L0 files merge.
    FifoReduceNumFiles { files: usize },
    /// A table rewritten in place to relocate the live blobs of the oldest
    /// blob file, whose garbage ratio reached
    /// `blob_garbage_collection_force_threshold`.
    BlobGarbage { blob_file: u64 },
}

impl Reason {
    /// A short stable name, used as a counter key and CSV value.
    pub fn name(&self) -> &'static str {
        match self {
            Reason::L0FileCount { .. } => "l0_file_count",
            Reason::LevelSize { .. } => "level_size",
            Reason::SizeTieredBucket { .. } => "size_tiered_bucket",
            Reason::TooManyRuns { .. } => "too_many_runs",
            Reason::TtlExpired => "ttl_expired",
            Reason::SizeCap => "size_cap",
            Reason::TimeWindow { .. } => "time_window",
            Reason::Overlap { .. } => "overlap",
            Reason::SpaceAmpGoal { .. } => "space_amp_goal",
            Reason::Manual => "manual",
            Reason::Ttl => "ttl",
            Reason::UniversalSizeAmplification { .. } => "universal_size_amplification",
            Reason::UniversalSizeRatio { .. } => "universal_size_ratio",
            Reason::UniversalSortedRunNum { .. } => "universal_sorted_run_num",
            Reason::FifoReduceNumFiles { .. } => "fifo_reduce_num_files",
            Reason::BlobGarbage { .. } => "blob_gc",
            Reason::FilesMarked => "files_marked",
            Reason::TombstoneDensity => "tombstone_density",
            Reason::DeletePersistence => "delete_persistence",
            Reason::Periodic => "periodic",
            Reason::BottommostFiles => "bottommost_files",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::L0FileCount { score } => write!(f, "l0_file_count score={score:.2}"),
            Reason::LevelSize { level, score } => {
                write!(f, "level_size L{level} score={score:.2}")
            }
            Reason::SizeTieredBucket { runs } => write!(f, "size_tiered_bucket runs={runs}"),
            Reason::TooManyRuns { runs } => write!(f, "too_many_runs runs={runs}"),
            Reason::TtlExpired => write!(f, "ttl_expired"),
            Reason::SizeCap => write!(f, "size_cap"),
            Reason::TimeWindow { window } => write!(f, "time_window window={window}"),
            Reason::Overlap { level, overlap } => {
                write!(f, "overlap level={level} overlap={overlap}")
            }
            Reason::SpaceAmpGoal { ratio } => write!(f, "space_amp_goal ratio={ratio:.2}"),
            Reason::Manual => write!(f, "manual"),
            Reason::Ttl => write!(f, "ttl"),
            Reason::UniversalSizeAmplification { percent } => {
                write!(f, "universal_size_amplification amp={percent}%")
            }
            Reason::UniversalSizeRatio { runs } => write!(f, "universal_size_ratio runs={runs}"),
            Reason::UniversalSortedRunNum { runs } => {
                write!(f, "universal_sorted_run_num runs={runs}")
            }
            Reason::FifoReduceNumFiles { files } => {
                write!(f, "fifo_reduce_num_files files={files}")
            }
            Reason::BlobGarbage { blob_file } => write!(f, "blob_gc blob={blob_file:06}"),
            Reason::FilesMarked
            | Reason::TombstoneDensity
            | Reason::DeletePersistence
            | Reason::Periodic
            | Reason::BottommostFiles => f.write_str(self.name()),
        }
    }
}

/// The files a job takes from one sorted run.
#[derive(Debug, Clone, PartialEq)]
pub struct JobInput {
    pub level: usize,
    /// The id of the run the files belong to.
    pub run: u64,
    /// Some or all of the run's files, by key.
    pub files: Vec<Arc<FileMeta>>,
}

impl JobInput {
    /// Every file of `run`, a run of `level`.
    pub fn whole_run(level: usize, run: &SortedRun) -> JobInput {
        JobInput {
            level,
            run: run.id(),
            files: run.files().to_vec(),
        }
    }
}

/// A unit of compaction work, chosen by a strategy and carried out by the
/// merge kernel (or, for moves and drops, by a manifest edit alone).
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub kind: JobKind,
    /// Input files grouped by run, shallowest level first, newest run first
    /// within a level.
    pub inputs: Vec<JobInput>,
    pub output_level: usize,
    /// The run of the output level the outputs join (a leveled level's one
    /// run); `None` makes them a new run.
    pub output_run: Option<u64>,
    pub reason: Reason,
    /// True when no level below the output can hold any of the input keys
    /// (informational: the kernel decides per key).
    pub bottommost: bool,
    /// Split outputs at this size; `None` writes one file.
    pub max_output_file_size: Option<u64>,
    /// Cut an output file before it would overlap more than this many files
    /// of the level below the output (LevelDB's grandparent limit).
    pub max_grandparent_files: Option<usize>,
    /// RocksDB's output cutting rules (grandparent bytes, dynamic file
    /// size, round-robin split), on top of `max_output_file_size`; `None`:
    /// size and `max_grandparent_files` only.
    pub output_cut: Option<OutputCut>,
    /// A round-robin cursor to persist when the job is installed.
    pub cursor_update: Option<(usize, Vec<u8>)>,
    /// User keys, ascending, at which outputs are cut besides the size and
    /// grandparent cuts: an output ends before the first key at or above
    /// each (fixed shard boundaries, as Cassandra UCS splits its outputs).
    pub split_points: Vec<Vec<u8>>,
}

impl Job {
    /// A job on whole sorted runs of L0 (the tiered shapes): its output, if
    /// any, is one new L0 run, split at `max_output_file_size`.
    pub fn on_l0_runs(
        kind: JobKind,
        runs: &[Arc<SortedRun>],
        reason: Reason,
        max_output_file_size: Option<u64>,
    ) -> Job {
        Job {
            kind,
            inputs: runs.iter().map(|r| JobInput::whole_run(0, r)).collect(),
            output_level: 0,
            output_run: None,
            reason,
            bottommost: false,
            max_output_file_size,
            max_grandparent_files: None,
            output_cut: None,
            cursor_update: None,
            split_points: Vec::new(),
        }
    }

    /// Every input file, in input order.
    pub fn input_files(&self) -> impl Iterator<Item = (usize, &Arc<FileMeta>)> {
        self.inputs
            .iter()
            .flat_map(|i| i.files.iter().map(move |f| (i.level, f)))
    }

    /// Bytes of all input files.
    pub fn input_bytes(&self) -> u64 {
        self.input_files().map(|(_, f)| f.size).sum()
    }

    /// Number of input files.
    pub fn input_file_count(&self) -> usize {
        self.inputs.iter().map(|i| i.files.len()).sum()
    }

    /// The user-key range `[smallest, largest]` of all inputs; `None` for a
    /// job without inputs.
    pub fn user_key_range(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        let mut files = self.input_files().map(|(_, f)| f);
        let first = files.next()?;
        let mut lo = first.smallest_user_key();
        let mut hi = first.largest_user_key();
        for f in files {
            lo = lo.min(f.smallest_user_key());
            hi = hi.max(f.largest_user_key());
        }
        Some((lo.to_vec(), hi.to_vec()))
    }
}

impl fmt::Display for Job {
    /// One line, as the picker fixtures print it, one bracket per input run:
    /// `merge L0 [000005] [000004] + L1 [000002 000003] -> L1 (l0_file_count score=1.00)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            JobKind::Merge => "merge",
            JobKind::TrivialMove => "move",
            JobKind::Drop => "drop",
        };
        write!(f, "{kind}")?;
        for (i, input) in self.inputs.iter().enumerate() {
            let same_level = i > 0 && self.inputs[i - 1].level == input.level;
            if i > 0 && !same_level {
                write!(f, " +")?;
            }
            if same_level {
                write!(f, " [")?;
            } else {
                write!(f, " L{} [", input.level)?;
            }
            for (j, file) in input.files.iter().enumerate() {
                if j > 0 {
                    write!(f, " ")?;
                }
                write!(f, "{:06}", file.number)?;
            }
            write!(f, "]")?;
        }
        if self.kind != JobKind::Drop {
            write!(f, " -> L{}", self.output_level)?;
        }
        write!(f, " ({})", self.reason)?;
        if self.bottommost && self.kind == JobKind::Merge {
            write!(f, " bottommost")?;
        }
        if !self.split_points.is_empty() {
            write!(f, " cuts={}", self.split_points.len())?;
        }
        Ok(())
    }
}
