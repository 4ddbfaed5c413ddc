//! RocksDB's universal compaction picker, rule for rule
//! (`db/compaction/compaction_picker_universal.cc`): with at least
//! `level0_file_num_compaction_trigger` sorted runs, try in order
//!
//! 1. size amplification: every run newer than the oldest, together, is at
//!    least `max_size_amplification_percent` of the oldest: merge them all
//!    into it (the newest L0 runs may be left out to avoid a write stop;
//!    `rocksdb_version` 7.8 has neither that nor the current picker's span
//!    past busy runs, see [`RocksDbVersion`]);
//! 2. size ratio: from the newest idle run, take the next older run while
//!    it is no larger than the runs taken so far (`stop_style` total) or the
//!    last run taken (similar) plus `size_ratio` percent, between
//!    `min_merge_width` and `max_merge_width` runs;
//! 3. sorted-run count: with more runs than `max_read_amp` allows (its
//!    automatic mode sizes the limit from the largest run), merge the newest
//!    runs regardless of size, just enough to get back under it.
//!
//! With `incremental`, a size-amplification merge first tries a window of the
//! second-last level's files and the last level's files under it (RocksDB's
//! `PickIncrementalForReduceSizeAmp`): among windows of about half of
//! `max_compaction_bytes`, the one with the least last-level bytes per byte
//! of the window, taken only when that fanout is under 1.8 times the whole
//! merge's (the oldest run over the newer ones); files of the levels above
//! that lie within the window's key range join it.
//!
//! A job on runs `[i, j)` writes to the deepest level when it includes the
//! oldest run, to L0 when the next older run is in L0, else to the level just
//! above the next older run. With `allow_trivial_move`, a job whose input
//! files are key-disjoint moves them without rewriting.

use std::collections::HashSet;

use std::sync::Arc;

use super::sorted_runs::{sorted_runs, UniversalRun};
use crate::compaction::level_picker::job_inputs_by_run;
use crate::compaction::{Job, JobKind, PickContext, Reason};
use crate::options::Options;
use crate::version::{user_keys_disjoint, FileMeta, Version};

/// How a size-ratio candidate set stops growing (RocksDB's
/// `CompactionStopStyle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopStyle {
    /// The next run must not exceed the last run taken by `size_ratio`
    /// percent, nor be that much smaller (kCompactionStopStyleSimilarSize).
    SimilarSize,
    /// The next run must not exceed the total taken by `size_ratio` percent
    /// (kCompactionStopStyleTotalSize, the default).
    TotalSize,
}

/// The limit on sorted runs (RocksDB's `max_read_amp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxReadAmp {
    /// -1: `level0_file_num_compaction_trigger` is the limit.
    Trigger,
    /// 0: sized from the largest run, `write_buffer_size` and `size_ratio`
    /// (stop style total only; similar falls back to the trigger).
    Auto,
    /// N > 0 runs.
    Runs(usize),
}

/// Which RocksDB's picker the rules follow where they changed between
/// releases (lsmlab's `rocksdb_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RocksDbVersion {
    /// RocksDB's current picker: a size-amplification merge takes the
    /// longest span of idle runs ending at the oldest (#11740) and may leave
    /// the newest L0 runs out to keep writes from stopping (#11749), both
    /// since 8.7.
    Current,
    /// RocksDB 7.8 (Debian's db_bench): a size-amplification merge starts at
    /// the newest idle run and is not picked at all when any run between it
    /// and the oldest is busy; every run of the span is merged, none left
    /// out. No `max_read_amp` (added in 9.4, #12477): the trigger is the
    /// sorted-run limit.
    V7_8,
}

/// The parameters of universal compaction (RocksDB's
/// `CompactionOptionsUniversal`, same names).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UniversalConfig {
    pub size_ratio: u64,
    pub min_merge_width: usize,
    pub max_merge_width: usize,
    pub max_size_amplification_percent: u64,
    pub max_read_amp: MaxReadAmp,
    pub stop_style: StopStyle,
    pub allow_trivial_move: bool,
    /// RocksDB's `incremental`: a size-amplification merge takes a window
    /// of the second-last level instead of every run.
    pub incremental: bool,
    /// RocksDB's `max_compaction_bytes` (0: 25 x `base_file_size`).
    pub max_compaction_bytes: u64,
    /// Whose size-amplification rules apply.
    pub rocksdb_version: RocksDbVersion,
}

/// One pick over one version.
struct Picker<'a> {
    cfg: &'a UniversalConfig,
    v: &'a Version,
    o: &'a Options,
    runs: Vec<UniversalRun>,
}

/// The job universal compaction runs next on `v`, if any.
pub fn pick(cfg: &UniversalConfig, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
    let p = Picker {
        cfg,
        v,
        o: ctx.options,
        runs: sorted_runs(v, ctx.busy),
    };
    if p.runs.is_empty() || p.runs.len() < ctx.options.l0_file_limit {
        return None;
    }
    let job = p
        .size_amplification()
        .or_else(|| p.size_ratio())
        .or_else(|| p.sorted_run_count())?;
    Some(p.maybe_trivial_move(job))
}

/// The most sorted runs RocksDB's `max_read_amp` allows in `v` (see
/// [`MaxReadAmp`]).
pub fn max_sorted_runs(cfg: &UniversalConfig, v: &Version, o: &Options) -> usize {
    match cfg.max_read_amp {
        MaxReadAmp::Runs(n) => n,
        MaxReadAmp::Trigger => o.l0_file_limit,
        MaxReadAmp::Auto if cfg.stop_style == StopStyle::SimilarSize => o.l0_file_limit,
        MaxReadAmp::Auto => {
            // Levels of write_buffer_size, then each as large as all the
            // smaller ones together plus size_ratio percent, until one holds
            // the largest run.
            let largest = sorted_runs(v, &HashSet::new())
                .iter()
                .map(|r| r.size)
                .max()
                .unwrap_or(0) as f64;
            let mut runs = 1;
            let mut level_max = o.write_buffer_size as f64;
            let mut total = 0.0;
            while level_max < largest {
                total += level_max;
                level_max = (100.0 + cfg.size_ratio as f64) / 100.0 * total;
                runs += 1;
            }
            runs
        }
    }
}

impl Picker<'_> {
    fn deepest_level(&self) -> usize {
        self.v.num_levels() - 1
    }

    /// Rule 1: a span of idle runs ending at the oldest (which span:
    /// [`Picker::size_amp_span`]).
    fn size_amplification(&self) -> Option<Job> {
        let end = self.runs.len() - 1;
        let base = &self.runs[end];
        if base.busy {
            return None;
        }
        let (mut start, mut candidate) = self.size_amp_span(end)?;
        let pct = self.cfg.max_size_amplification_percent;
        if self.cfg.rocksdb_version == RocksDbVersion::Current {
            let l0_runs = self.runs[start..end]
                .iter()
                .filter(|r| r.level == 0)
                .count();
            let excluded = self.l0_runs_to_leave_out(l0_runs, start, end, candidate);
            for r in &self.runs[start..start + excluded] {
                candidate -= r.compensated;
            }
            start += excluded;
        }
        if u128::from(candidate) * 100 < u128::from(pct) * u128::from(base.size) {
            return None;
        }
        let percent = (u128::from(candidate) * 100 / u128::from(base.size.max(1))) as u64;
        let reason = Reason::UniversalSizeAmplification { percent };
        if self.cfg.incremental {
            // A window may cost more per byte than the whole merge: RocksDB
            // allows 80% more before falling back to the full merge.
            let threshold = base.size as f64 / candidate.max(1) as f64 * 1.8;
            if let Some(job) = self.incremental_size_amp(threshold, reason) {
                return Some(job);
            }
        }
        Some(self.job_on(start, end + 1, reason))
    }

    /// The runs a size-amplification merge into the oldest run `end` starts
    /// from, and their compensated bytes (without the oldest): `None` when
    /// there are none. Current RocksDB takes the longest idle span ending at
    /// `end`; 7.8 starts at the newest idle run and gives up when a run
    /// after it is busy.
    fn size_amp_span(&self, end: usize) -> Option<(usize, u64)> {
        let start = match self.cfg.rocksdb_version {
            RocksDbVersion::Current => {
                let mut start = end;
                while start > 0 && !self.runs[start - 1].busy {
                    start -= 1;
                }
                start
            }
            RocksDbVersion::V7_8 => {
                let first = self.runs[..end].iter().position(|r| !r.busy)?;
                if self.runs[first..end].iter().any(|r| r.busy) {
                    return None;
                }
                first
            }
        };
        if start == end {
            return None;
        }
        Some((
            start,
            self.runs[start..end].iter().map(|r| r.compensated).sum(),
        ))
    }

    /// RocksDB's `PickIncrementalForReduceSizeAmp`: a sliding window over
    /// the second-last level's files, each with the last-level files under
    /// it; of the windows that reach half of `max_compaction_bytes` (or end
    /// the level), the one with the least last-level bytes per window byte,
    /// if under `threshold`. `None`: take the full merge.
    fn incremental_size_amp(&self, threshold: f64, reason: Reason) -> Option<Job> {
        let n = self.runs.len();
        if n < 2 || self.runs[n - 2].level == 0 {
            return None;
        }
        let (upper, bottom) = (&self.runs[n - 2], &self.runs[n - 1]);
        let (files, below) = (&upper.files, &bottom.files);
        let max_bytes = match self.cfg.max_compaction_bytes {
            0 => 25 * self.o.base_file_size,
            b => b,
        };
        let anchor = max_bytes / 2;
        let window = pick_window(files, below, anchor, threshold)?;
        let picked: Vec<_> = files[window.0..=window.1].to_vec();
        let lo = picked.first()?.smallest_user_key().to_vec();
        let hi = picked.last()?.largest_user_key().to_vec();
        let under: Vec<_> = below
            .iter()
            .filter(|f| f.largest_user_key() >= &lo[..] && f.smallest_user_key() <= &hi[..])
            .cloned()
            .collect();
        let mut inputs = Vec::new();
        // Levels above the window, newest last run first: their files that
        // lie within the window's range (L0 runs span everything: stop).
        for r in self.runs[..n - 2].iter().rev() {
            if r.level == 0 {
                break;
            }
            let within: Vec<_> = r
                .files
                .iter()
                .filter(|f| f.smallest_user_key() >= &lo[..] && f.largest_user_key() <= &hi[..])
                .cloned()
                .collect();
            if !within.is_empty() {
                inputs.push(job_inputs_by_run(self.v, r.level, &within));
            }
        }
        inputs.reverse();
        inputs.push(job_inputs_by_run(self.v, upper.level, &picked));
        if !under.is_empty() {
            inputs.push(job_inputs_by_run(self.v, bottom.level, &under));
        }
        let output_level = bottom.level;
        Some(Job {
            kind: JobKind::Merge,
            inputs: inputs.into_iter().flatten().collect(),
            output_level,
            // The outputs replace part of the last level: they join its run.
            output_run: self.v.runs(output_level).first().map(|r| r.id()),
            reason,
            bottommost: true,
            max_output_file_size: Some(self.o.base_file_size),
            max_grandparent_files: None,
            output_cut: None,
            cursor_update: None,
            split_points: Vec::new(),
        })
    }

    /// How many of the newest L0 runs of a size-amplification span
    /// `[start, end]` to leave out so that the job does not hold so many L0
    /// runs that a few more flushes stop writes (RocksDB's
    /// `MightExcludeNewL0sToReduceWriteStop`): as many as the merge widths
    /// allow while the span still triggers and keeps 90% of its bytes.
    fn l0_runs_to_leave_out(
        &self,
        l0_runs: usize,
        start: usize,
        end: usize,
        candidate: u64,
    ) -> usize {
        if l0_runs == 0 {
            return 0;
        }
        let stop = self.o.l0_stop_limit;
        let (min_w, max_w) = (self.cfg.min_merge_width, self.cfg.max_merge_width);
        let most = (l0_runs - 1).min(end - start - 1);
        let extra_before_stop = stop - stop.min(end - start + 1);
        let upper = (max_w - max_w.min(extra_before_stop)).min(most);
        let lower = (min_w - min_w.min(extra_before_stop)).min(most);
        let threshold =
            u128::from(self.cfg.max_size_amplification_percent) * u128::from(self.runs[end].size);
        let mut excluded = 0;
        let mut kept = candidate;
        for n in lower..=upper {
            let mut size = kept;
            for r in &self.runs[start + excluded..start + n] {
                size -= r.compensated;
            }
            if u128::from(size) * 100 < threshold || size < candidate * 9 / 10 {
                break;
            }
            excluded = n;
            kept = size;
        }
        excluded
    }

    /// Rule 2: runs of similar size.
    fn size_ratio(&self) -> Option<Job> {
        let (start, count) = self.reduce_sorted_runs(Some(self.cfg.size_ratio), usize::MAX)?;
        Some(self.job_on(
            start,
            start + count,
            Reason::UniversalSizeRatio { runs: count },
        ))
    }

    /// Rule 3: too many runs; the size ratio does not matter.
    fn sorted_run_count(&self) -> Option<Job> {
        let idle = self.runs.iter().filter(|r| !r.busy).count();
        let limit = max_sorted_runs(self.cfg, self.v, self.o);
        if idle <= limit {
            return None;
        }
        let (start, count) = self.reduce_sorted_runs(None, idle - limit + 1)?;
        Some(self.job_on(
            start,
            start + count,
            Reason::UniversalSortedRunNum { runs: count },
        ))
    }

    /// RocksDB's `PickCompactionToReduceSortedRuns`: the first span of at
    /// least `min_merge_width` consecutive idle runs, starting from the
    /// newest, that the ratio lets grow (no ratio: any size), at most
    /// `max_merge_width` and `max_files` runs. `(start, count)`.
    fn reduce_sorted_runs(&self, ratio: Option<u64>, max_files: usize) -> Option<(usize, usize)> {
        let min_w = self.cfg.min_merge_width.max(2);
        let max_files = self.cfg.max_merge_width.min(max_files);
        let n = self.runs.len();
        let mut first = 0;
        while first < n {
            while first < n && self.runs[first].busy {
                first += 1;
            }
            if first == n {
                return None;
            }
            let mut count = 1;
            let mut candidate = self.runs[first].compensated;
            for next in &self.runs[first + 1..] {
                if count >= max_files || next.busy {
                    break;
                }
                if let Some(ratio) = ratio {
                    let grow = |x: u64| x as f64 * (100.0 + ratio as f64) / 100.0;
                    if grow(candidate) < next.size as f64 {
                        break;
                    }
                    if self.cfg.stop_style == StopStyle::SimilarSize {
                        if grow(next.size) < candidate as f64 {
                            break;
                        }
                        candidate = next.compensated;
                    } else {
                        candidate += next.compensated;
                    }
                }
                count += 1;
            }
            if count >= min_w {
                return Some((first, count));
            }
            first += 1;
        }
        None
    }

    /// The level a job on runs `[start, after)` writes to: the deepest
    /// level when it takes the oldest run; L0 when the next older run is an
    /// L0 run; else the level just above the next older run.
    fn output_level(&self, after: usize) -> usize {
        match self.runs.get(after) {
            None => self.deepest_level(),
            Some(r) if r.level == 0 => 0,
            Some(r) => r.level - 1,
        }
    }

    /// The merge of runs `[start, after)`.
    fn job_on(&self, start: usize, after: usize, reason: Reason) -> Job {
        let output_level = self.output_level(after);
        let inputs = self.runs[start..after]
            .iter()
            .flat_map(|r| r.job_inputs(self.v))
            .collect();
        Job {
            kind: JobKind::Merge,
            inputs,
            output_level,
            // Every run at the output level is an input: the outputs form a
            // new run.
            output_run: None,
            reason,
            bottommost: after == self.runs.len(),
            // RocksDB writes a universal L0 output as one file and cuts
            // deeper outputs at target_file_size_base.
            max_output_file_size: (output_level > 0).then_some(self.o.base_file_size),
            max_grandparent_files: None,
            output_cut: None,
            cursor_update: None,
            split_points: Vec::new(),
        }
    }

    /// With `allow_trivial_move`, a job into a deeper level whose input
    /// files share no key moves them (RocksDB's `IsInputFilesNonOverlapping`,
    /// and `Compaction::IsTrivialMove`: not from L0 while any two L0 files
    /// overlap).
    fn maybe_trivial_move(&self, mut job: Job) -> Job {
        if !self.cfg.allow_trivial_move || job.output_level == 0 {
            return job;
        }
        let start_level = job.inputs.first().map_or(0, |i| i.level);
        if start_level == job.output_level {
            return job;
        }
        if start_level == 0 && !user_keys_disjoint(self.v.files(0)) {
            return job;
        }
        if user_keys_disjoint(job.input_files().map(|(_, f)| f)) {
            job.kind = JobKind::TrivialMove;
        }
        job
    }
}

/// The window `(first, last)` of `files` (one level, by key) that
/// [`Picker::incremental_size_amp`] takes: windows grow file by file with
/// the files of `below` they overlap; one that reaches `anchor` bytes (or
/// the level's end) is a candidate, then sheds files from its start until it
/// is under `anchor` again. A window restarts where two or more files of
/// `below` fall in a gap between its files. The candidate of least fanout
/// (`below` bytes per window byte) under `threshold` wins.
fn pick_window(
    files: &[Arc<FileMeta>],
    below: &[Arc<FileMeta>],
    anchor: u64,
    threshold: f64,
) -> Option<(usize, usize)> {
    let mut best: Option<((usize, usize), f64)> = None;
    let (mut start, mut b_start, mut b_end) = (0usize, 0usize, 0usize);
    let (mut upper_bytes, mut below_bytes) = (0u64, 0u64);
    // Whether below[b_end] (straddling the window's end) is already counted.
    let mut straddler_counted = false;
    for end in 0..files.len() {
        let f = &files[end];
        // Files of `below` wholly before this file are in the window's gaps.
        let mut skipped = 0;
        while b_end < below.len() && below[b_end].largest_user_key() < f.smallest_user_key() {
            if !straddler_counted {
                below_bytes += below[b_end].size;
            }
            b_end += 1;
            straddler_counted = false;
            skipped += 1;
        }
        if skipped > 1 {
            start = end;
        }
        if start == end {
            upper_bytes = 0;
            below_bytes = 0;
            b_start = b_end;
            straddler_counted = false;
        }
        upper_bytes += f.size;
        while b_end < below.len() && below[b_end].smallest_user_key() <= f.largest_user_key() {
            if !straddler_counted {
                below_bytes += below[b_end].size;
                straddler_counted = true;
            }
            if below[b_end].largest_user_key() > f.largest_user_key() {
                break;
            }
            b_end += 1;
            straddler_counted = false;
        }
        if upper_bytes + below_bytes > anchor || end == files.len() - 1 {
            let fanout = below_bytes as f64 / upper_bytes.max(1) as f64;
            if fanout < threshold && best.is_none_or(|(_, b)| fanout < b) {
                best = Some(((start, end), fanout));
            }
            while upper_bytes + below_bytes > anchor && start <= end {
                upper_bytes -= files[start].size;
                start += 1;
                if let Some(next) = files.get(start) {
                    while b_start <= b_end
                        && b_start < below.len()
                        && below[b_start].largest_user_key() < next.smallest_user_key()
                    {
                        below_bytes = below_bytes.saturating_sub(below[b_start].size);
                        b_start += 1;
                    }
                }
            }
        }
    }
    best.map(|(w, _)| w)
}
