//! What the engine counts: user bytes in, bytes flushed and compacted, per
//! level compaction work (RocksDB's "Compaction Stats" table) and lookups.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::cache::CacheStats;
use crate::compaction::MergeStats;
use crate::sst::LookupStats;

/// What point lookups cost, summed by readers that hold no lock.
#[derive(Debug, Default)]
pub(super) struct LookupCounters {
    filter_probes: AtomicU64,
    filter_negatives: AtomicU64,
    blocks_read: AtomicU64,
    cache_hits: AtomicU64,
    meta_blocks_read: AtomicU64,
    blob_reads: AtomicU64,
}

impl LookupCounters {
    pub(super) fn add(&self, s: LookupStats) {
        self.filter_probes
            .fetch_add(s.filter_probes, Ordering::Relaxed);
        self.filter_negatives
            .fetch_add(s.filter_negatives, Ordering::Relaxed);
        self.blocks_read.fetch_add(s.blocks_read, Ordering::Relaxed);
        self.cache_hits.fetch_add(s.cache_hits, Ordering::Relaxed);
        self.meta_blocks_read
            .fetch_add(s.meta_blocks_read, Ordering::Relaxed);
        self.blob_reads.fetch_add(s.blob_reads, Ordering::Relaxed);
    }

    pub(super) fn total(&self) -> LookupStats {
        LookupStats {
            filter_probes: self.filter_probes.load(Ordering::Relaxed),
            filter_negatives: self.filter_negatives.load(Ordering::Relaxed),
            blocks_read: self.blocks_read.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            meta_blocks_read: self.meta_blocks_read.load(Ordering::Relaxed),
            blob_reads: self.blob_reads.load(Ordering::Relaxed),
        }
    }
}

/// Compaction work attributed to the level it wrote to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LevelWork {
    /// Bytes read from input files of the level above (`Rn` in RocksDB).
    pub read_from_upper_bytes: u64,
    /// Bytes read from input files of this level (`Rnp1` in RocksDB).
    pub read_from_level_bytes: u64,
    /// Bytes written into this level (flushes count for L0).
    pub write_bytes: u64,
    /// Jobs that wrote into this level (flushes count for L0).
    pub compactions: u64,
    /// Trivial moves into this level.
    pub moves: u64,
    pub keys_in: u64,
    pub keys_dropped: u64,
}

impl LevelWork {
    /// Bytes read by the jobs that wrote this level.
    pub fn read_bytes(&self) -> u64 {
        self.read_from_upper_bytes + self.read_from_level_bytes
    }
}

/// Counters the engine keeps from open to close (not persisted).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct EngineStats {
    /// Key + value bytes of user writes (a delete counts its key).
    pub user_bytes: u64,
    pub puts: u64,
    pub deletes: u64,
    /// `delete_range` calls (range tombstones written).
    pub range_deletes: u64,
    /// Merge operands written.
    pub merges: u64,
    pub flushes: u64,
    /// SSTable bytes written by flushes.
    pub flush_bytes: u64,
    /// Input SSTable bytes of merge compactions.
    pub compaction_read_bytes: u64,
    /// Output SSTable bytes of merge compactions.
    pub compaction_write_bytes: u64,
    /// Merge compactions run.
    pub compactions: u64,
    pub trivial_moves: u64,
    /// Files deleted whole by drop jobs (FIFO).
    pub files_dropped: u64,
    pub bytes_dropped: u64,
    /// Jobs per reason name (see `Reason::name`).
    pub jobs_by_reason: BTreeMap<&'static str, u64>,
    /// SSTable bytes written per reason name: [`FLUSH_REASON`] for flushes,
    /// `Reason::name` for compactions (moves and drops write nothing).
    pub write_bytes_by_reason: BTreeMap<&'static str, u64>,
    /// Largest number of sorted runs seen after any flush or compaction.
    pub sorted_runs_max: u64,
    /// Largest on-disk SSTable bytes seen, compaction inputs and outputs
    /// counted while both exist.
    pub sst_bytes_peak: u64,
    /// The most bytes one merge added to the tables on disk while it ran:
    /// its outputs, less the inputs it had deleted by then (a merge that
    /// holds its inputs to its end adds all its outputs).
    pub merge_extra_bytes_peak: u64,
    /// Compaction input files deleted before their job ended, once the
    /// merge had read them to their end (policies that release inputs
    /// early, ScyllaDB ICS).
    pub inputs_released_early: u64,
    /// Largest compaction debt seen, measured after each flush, before the
    /// compactions it triggers run.
    pub pending_compaction_bytes_peak: u64,
    /// Writes that had to wait for background work (each counted once).
    pub stall_events: u64,
    /// Clock milliseconds writes waited on a stop condition.
    pub stall_ms: u64,
    /// `stall_ms` by cause (`l0_files`, `pending_compaction_bytes`,
    /// `memtables`).
    pub stall_ms_by_cause: BTreeMap<&'static str, u64>,
    /// Clock milliseconds writes were delayed near the limits.
    pub slowdown_ms: u64,
    /// Per-level compaction work, indexed by level.
    pub levels: Vec<LevelWork>,
    /// Kernel entry counts over all merges (flushes included).
    pub merge: MergeStats,
    /// Point lookups served.
    pub gets: u64,
    /// Lookup work summed over all point lookups.
    pub lookup: LookupStats,
    /// Range scans served.
    pub scans: u64,
    /// Block cache counters (all zero without a cache).
    pub block_cache: CacheStats,
    /// Blob file work of flushes and compactions (value separation).
    pub blob: crate::blob::BlobWriteStats,
    /// Blob files deleted (all their blobs garbage).
    pub blob_files_deleted: u64,
    /// Merge jobs a compaction service ran and the writer verified.
    pub remote_jobs: u64,
    /// Remote attempts that failed (worker error, deadline, damaged
    /// output); their outputs were deleted.
    pub remote_failed_attempts: u64,
    /// Jobs run here after every remote attempt failed.
    pub remote_ran_locally: u64,
}

/// The reason name flushes are counted under in `write_bytes_by_reason`.
pub const FLUSH_REASON: &str = "flush";

impl EngineStats {
    /// `(flush_bytes + compaction_write_bytes + blob bytes written) /
    /// user_bytes`; 0 before any write.
    pub fn write_amp(&self) -> f64 {
        if self.user_bytes == 0 {
            0.0
        } else {
            (self.flush_bytes + self.compaction_write_bytes + self.blob.bytes_written) as f64
                / self.user_bytes as f64
        }
    }

    /// Simulated seconds writes waited, stopped or slowed down.
    pub fn stall_seconds(&self) -> f64 {
        (self.stall_ms + self.slowdown_ms) as f64 / 1000.0
    }

    /// Counts `bytes` written by a job (or flush) of reason `name`.
    pub(crate) fn add_reason_write(&mut self, name: &'static str, bytes: u64) {
        *self.write_bytes_by_reason.entry(name).or_insert(0) += bytes;
    }

    pub(crate) fn level_mut(&mut self, level: usize) -> &mut LevelWork {
        if self.levels.len() <= level {
            self.levels.resize(level + 1, LevelWork::default());
        }
        &mut self.levels[level]
    }
}

/// Peaks since the previous [`crate::Db::take_window_peaks`] call, for
/// timelines sampled between flushes and compactions.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WindowPeaks {
    /// Largest on-disk SSTable bytes (inputs and outputs coexisting).
    pub sst_bytes: u64,
    /// Largest compaction debt, measured after each flush.
    pub pending_compaction_bytes: u64,
}

/// One row of the per-level table.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelStatsRow {
    /// `"L0"`.. or `"Sum"`.
    pub level: String,
    pub files: usize,
    pub size_bytes: u64,
    /// The policy's score for the level where it has one (leveled shapes).
    pub score: Option<f64>,
    pub read_bytes: u64,
    pub write_bytes: u64,
    /// write_bytes / bytes read from the level above (for L0: 1.0 when it
    /// was written at all, flushes being the input).
    pub write_amp: f64,
    pub compactions: u64,
    pub moves: u64,
    pub keys_in: u64,
    pub keys_dropped: u64,
}

/// A table like RocksDB's "Compaction Stats": one row per level and a Sum.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelStatsTable {
    pub rows: Vec<LevelStatsRow>,
}

fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

impl fmt::Display for LevelStatsTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<5} {:>6} {:>11} {:>6} {:>11} {:>11} {:>7} {:>6} {:>6} {:>11} {:>11}",
            "Level",
            "Files",
            "Size",
            "Score",
            "Read",
            "Write",
            "W-Amp",
            "Comp",
            "Moves",
            "KeysIn",
            "KeysDrop"
        )?;
        writeln!(f, "{}", "-".repeat(100))?;
        for r in &self.rows {
            let score = r
                .score
                .map_or_else(|| "-".to_string(), |s| format!("{s:.2}"));
            writeln!(
                f,
                "{:<5} {:>6} {:>11} {:>6} {:>11} {:>11} {:>7.2} {:>6} {:>6} {:>11} {:>11}",
                r.level,
                r.files,
                human_bytes(r.size_bytes),
                score,
                human_bytes(r.read_bytes),
                human_bytes(r.write_bytes),
                r.write_amp,
                r.compactions,
                r.moves,
                r.keys_in,
                r.keys_dropped
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_amp_counts_flushes_and_compaction_output() {
        let s = EngineStats {
            user_bytes: 100,
            flush_bytes: 120,
            compaction_write_bytes: 380,
            ..EngineStats::default()
        };
        assert_eq!(s.write_amp(), 5.0);
        assert_eq!(EngineStats::default().write_amp(), 0.0);
    }

    #[test]
    fn human_bytes_picks_a_unit() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
    }
}
