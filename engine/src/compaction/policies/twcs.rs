//! `twcs`: Cassandra's TimeWindowCompactionStrategy. Sorted runs are
//! grouped in time windows by their data's newest timestamp; the newest
//! window is compacted size-tiered (as STCS, with its thresholds and bucket
//! bounds), every older window with two runs or more merges into one, and
//! whole files whose data has all expired are dropped unread once no older
//! live data overlaps them.
//!
//! Rules, in the engine's terms:
//! - A run's time is the newest clock time of its files' data (the engine
//!   stamps each file with the times of the writes it holds, as Cassandra's
//!   sstable max timestamp); its window is that time divided by
//!   `compaction_window_size` x `compaction_window_unit`.
//! - The newest window is the one of the newest run (Cassandra's highest
//!   window seen). Windows are visited newest first; the first that has work
//!   gives the job: in the newest, STCS's bucket of smallest runs with at
//!   least `min_threshold` of them; in an older one, all its runs when it has
//!   two or more (at most `max_threshold`, the smallest).
//! - Before that, fully expired files (every entry a value with an expiry
//!   in the past) are dropped, unless a file not dropped overlaps one's key
//!   range and holds data older than the expired file's newest (dropping it
//!   could bring that data back from under a newer version);
//!   `unsafe_aggressive_sstable_expiration` drops them without that check.
//!   Cassandra checks every `expired_sstable_check_frequency_seconds`; the
//!   engine checks at every pick and wakes up at the next expiry.
//! - Every run lives in L0; outputs are split at `base_file_size`.

use std::sync::Arc;

use crate::compaction::CostModel;
use crate::options::Options;
use super::expired;
use super::size_tiered::{
    only_l0, SizeTiered, BUCKET_HIGH, BUCKET_LOW, MAX_THRESHOLD, MIN_SSTABLE_SIZE, MIN_THRESHOLD,
};
use crate::compaction::registry::PolicyDef;
use crate::compaction::{CompactionOptions, Job, JobKind, PickContext, Reason, Strategy};
use crate::params::{ParamDef, Unit, Value};
use crate::version::{FileMeta, SortedRun, Version};

/// The window units Cassandra accepts, with their length in milliseconds.
const UNITS: [(&str, u64); 3] = [("MINUTES", 60_000), ("HOURS", 3_600_000), ("DAYS", 86_400_000)];

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "twcs",
    aliases: &["time-window", "TimeWindowCompactionStrategy"],
    description: "Cassandra's TWCS: runs grouped in time windows by their data's timestamps; STCS in the newest window, one merge per older window, whole expired files dropped when no older live data overlaps them",
    params: &[
        ParamDef::new("compaction_window_unit", &[], Unit::Choice(&["MINUTES", "HOURS", "DAYS"]), Value::Choice("DAYS"), (0.0, 0.0),
            "the unit of a time window"),
        ParamDef::new("compaction_window_size", &[], Unit::Count, Value::Int(1), (1.0, 1e9),
            "a time window's length, in compaction_window_unit"),
        MIN_THRESHOLD,
        MAX_THRESHOLD,
        BUCKET_LOW,
        BUCKET_HIGH,
        MIN_SSTABLE_SIZE,
        ParamDef::new("unsafe_aggressive_sstable_expiration", &[], Unit::Flag, Value::Flag(false), (0.0, 1.0),
            "drop fully expired files even when older data overlaps them (may bring back shadowed data)"),
    ],
    validate: super::size_tiered::validate,
    build: |o| Arc::new(Twcs::new(o)),
};

/// Time-window compaction.
#[derive(Debug, Clone)]
pub struct Twcs {
    window_ms: u64,
    /// STCS with TWCS's thresholds, for the newest window.
    stcs: SizeTiered,
    max_threshold: usize,
    aggressive: bool,
}

impl Twcs {
    /// A strategy with the parameters of `o`.
    pub fn new(o: &CompactionOptions) -> Self {
        let unit = o.get("compaction_window_unit");
        let unit_ms = UNITS
            .iter()
            .find(|(name, _)| Value::Choice(name) == unit)
            .map_or(UNITS[2].1, |(_, ms)| *ms);
        let thresholds = (
            o.int("min_threshold") as usize,
            o.int("max_threshold") as usize,
        );
        Twcs {
            window_ms: unit_ms * o.int("compaction_window_size").max(1),
            stcs: SizeTiered::with(
                thresholds,
                (o.real("bucket_low"), o.real("bucket_high")),
                o.int("min_sstable_size"),
            ),
            max_threshold: thresholds.1,
            aggressive: o.flag("unsafe_aggressive_sstable_expiration"),
        }
    }

    fn window(&self, run: &SortedRun) -> u64 {
        run.newest_time_ms() / self.window_ms
    }
}

impl Strategy for Twcs {
    fn name(&self) -> &str {
        POLICY.name
    }

    fn cost_model(&self, _options: &Options) -> CostModel {
        CostModel::TimeWindow {
            window_ms: self.window_ms,
            size_ratio: self.stcs.min_threshold() as f64,
        }
    }

    /// Cassandra throttles on compaction debt, not on sstable counts.
    fn l0_delay_trigger_count(&self, _version: &Version) -> Option<usize> {
        None
    }

    /// Only when expiry ignores overlaps can a drop uncover older data.
    fn drops_files_unread(&self) -> bool {
        self.aggressive
    }

    fn pick(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        let idle: Vec<Arc<SortedRun>> = v
            .runs(0)
            .iter()
            .filter(|r| !r.files().iter().any(|f| ctx.busy.contains(&f.number)))
            .cloned()
            .collect();
        let files: Vec<Arc<FileMeta>> = idle.iter().flat_map(|r| r.files().to_vec()).collect();
        if let Some(job) = expired::drop_job(v, &files, ctx.now_ms, self.aggressive) {
            return Some(job);
        }
        let newest = v.runs(0).iter().map(|r| self.window(r)).max()?;
        let mut windows: Vec<u64> = idle.iter().map(|r| self.window(r)).collect();
        windows.sort_unstable_by(|a, b| b.cmp(a));
        windows.dedup();
        let split = Some(ctx.options.base_file_size);
        for w in windows {
            let mut runs: Vec<Arc<SortedRun>> =
                idle.iter().filter(|r| self.window(r) == w).cloned().collect();
            if w == newest {
                if let Some(chosen) = self.stcs.choose_bucket(runs) {
                    let reason = Reason::SizeTieredBucket { runs: chosen.len() };
                    return Some(Job::on_l0_runs(JobKind::Merge, &chosen, reason, split));
                }
            } else if runs.len() >= 2 {
                runs.sort_by_key(|r| (r.bytes(), r.id()));
                runs.truncate(self.max_threshold);
                runs.sort_by_key(|r| (r.largest_seq(), r.id()));
                let reason = Reason::TimeWindow { window: w };
                return Some(Job::on_l0_runs(JobKind::Merge, &runs, reason, split));
            }
        }
        None
    }

    /// The next expiry of a file, when expired files may be dropped.
    fn next_wakeup_ms(&self, v: &Version, ctx: &PickContext<'_>) -> Option<u64> {
        expired::next_expiry_ms(v, ctx.now_ms)
    }

    fn check_shape(&self, v: &Version) -> Result<(), String> {
        only_l0(self.name(), v)
    }
}
