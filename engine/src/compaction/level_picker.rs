//! The leveled policies' picker, rule for rule RocksDB's
//! `LevelCompactionBuilder` (db/compaction/compaction_picker_level.cc):
//! levels in score order; L0 first tries a trivial move of its oldest
//! non-overlapping files, else the file the priority ranks first with every
//! L0 file it overlaps; deeper levels take the first usable file in the
//! priority's order; inputs grow within `max_compaction_bytes` without
//! pulling in more output-level files; a job that overlaps nothing below is
//! a trivial move (several files at once); an L0 that cannot go down
//! compacts within L0; after score-based work come files marked for
//! compaction, bottommost files, TTL and periodic compaction.

use std::collections::HashSet;
use std::sync::Arc;

use super::intra_l0;
use super::level_compaction::{FilePriority, LevelParams};
use super::level_scores::{compaction_scores, Compensation, LevelScore};
use super::level_targets::LevelTargets;
use super::output_cut::OutputCut;
use super::{Job, JobInput, JobKind, PickContext, Reason};
use crate::key;
use crate::version::{user_keys_disjoint, FileMeta, Version};

/// RocksDB's `kMaxMultiTrivialMove`: files one trivial move below L0 takes.
const MAX_MULTI_TRIVIAL_MOVE: usize = 4;

type Files = Vec<Arc<FileMeta>>;

/// `files` (all of `level`) grouped into job inputs by the run that holds
/// them, in the level's run order.
pub fn job_inputs_by_run(v: &Version, level: usize, files: &[Arc<FileMeta>]) -> Vec<JobInput> {
    let wanted: HashSet<u64> = files.iter().map(|f| f.number).collect();
    v.runs(level)
        .iter()
        .filter_map(|run| {
            let files: Files = run
                .files()
                .iter()
                .filter(|f| wanted.contains(&f.number))
                .cloned()
                .collect();
            (!files.is_empty()).then(|| JobInput {
                level,
                run: run.id(),
                files,
            })
        })
        .collect()
}

/// The user-key range `[lo, hi]` of `files`.
fn user_range(files: &[Arc<FileMeta>]) -> Option<(Vec<u8>, Vec<u8>)> {
    let lo = files.iter().map(|f| f.smallest_user_key()).min()?;
    let hi = files.iter().map(|f| f.largest_user_key()).max()?;
    Some((lo.to_vec(), hi.to_vec()))
}

fn total_size(files: &[Arc<FileMeta>]) -> u64 {
    files.iter().map(|f| f.size).sum()
}

/// RocksDB's `GetOverlappingInputs` on L0: the files meeting `[lo, hi]`,
/// the range growing with every file taken until no other file meets it.
pub fn l0_overlapping_closure(v: &Version, lo: &[u8], hi: &[u8]) -> Files {
    let mut lo = lo.to_vec();
    let mut hi = hi.to_vec();
    let mut left: Vec<&Arc<FileMeta>> = v.files(0).iter().collect();
    let mut out = Vec::new();
    loop {
        let mut found = false;
        left.retain(|f| {
            let meets =
                f.largest_user_key() >= lo.as_slice() && f.smallest_user_key() <= hi.as_slice();
            if meets {
                if f.smallest_user_key() < lo.as_slice() {
                    lo = f.smallest_user_key().to_vec();
                }
                if f.largest_user_key() > hi.as_slice() {
                    hi = f.largest_user_key().to_vec();
                }
                out.push((*f).clone());
                found = true;
            }
            !meets
        });
        if !found {
            return out;
        }
    }
}

/// The files of `level` meeting `[lo, hi]`: the closure in L0, the
/// overlapping files of the level's run deeper.
fn overlapping(v: &Version, level: usize, lo: &[u8], hi: &[u8]) -> Files {
    if level == 0 {
        l0_overlapping_closure(v, lo, hi)
    } else {
        v.overlapping_files(level, lo, hi)
    }
}

/// The files of `level` (below L0) lying wholly within `[lo, hi]`
/// (RocksDB's `GetCleanInputsWithinInterval`; none in L0).
fn files_within(v: &Version, level: usize, lo: &[u8], hi: &[u8]) -> Files {
    if level == 0 {
        return Vec::new();
    }
    v.files(level)
        .iter()
        .filter(|f| f.smallest_user_key() >= lo && f.largest_user_key() <= hi)
        .cloned()
        .collect()
}

/// True when no two L0 files overlap (RocksDB's `level0_non_overlapping`),
/// by user key: files moved together must form one run.
fn l0_non_overlapping(v: &Version) -> bool {
    user_keys_disjoint(v.files(0))
}

/// RocksDB's `CompactToNextLevel`: where a fallback sends a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ToNextLevel {
    /// Rewritten in place.
    No,
    /// To the next level, or in place at the last non-empty level.
    Yes,
    /// To the next level; files of the last non-empty level are skipped.
    SkipLastLevel,
}

/// Where a pick starts: the level, its files, and how they were chosen.
struct StartInputs {
    level: usize,
    output_level: usize,
    files: Files,
    /// Index (in the level's files) of the file the priority chose.
    base_index: Option<usize>,
    /// L0 files picked as a trivial move to the base level.
    l0_trivial_move: bool,
    reason: Reason,
}

/// One pick over one version, as RocksDB's `LevelCompactionBuilder`.
pub struct LevelPicker<'a> {
    v: &'a Version,
    ctx: &'a PickContext<'a>,
    pri: &'a dyn FilePriority,
    params: &'a LevelParams,
    targets: LevelTargets,
    comp: Compensation,
}

impl<'a> LevelPicker<'a> {
    /// A picker for `v`.
    pub fn new(
        v: &'a Version,
        ctx: &'a PickContext<'a>,
        pri: &'a dyn FilePriority,
        params: &'a LevelParams,
    ) -> LevelPicker<'a> {
        LevelPicker {
            v,
            ctx,
            pri,
            params,
            targets: LevelTargets::compute(v, ctx.options, params.dynamic_level_bytes),
            comp: Compensation::of(v),
        }
    }

    /// The level targets in force.
    pub fn targets(&self) -> &LevelTargets {
        &self.targets
    }

    /// The scores, highest first.
    pub fn scores(&self) -> Vec<LevelScore> {
        compaction_scores(
            self.v,
            self.ctx,
            &self.targets,
            &self.comp,
            self.params.dynamic_level_bytes,
        )
    }

    fn busy(&self, f: &FileMeta) -> bool {
        self.ctx.busy.contains(&f.number)
    }

    fn any_busy(&self, files: &[Arc<FileMeta>]) -> bool {
        files.iter().any(|f| self.busy(f))
    }

    fn l0_in_progress(&self) -> bool {
        self.any_busy(self.v.files(0))
    }

    fn max_compaction_bytes(&self) -> u64 {
        self.params.max_compaction_bytes(self.ctx.options)
    }

    fn output_level_of(&self, level: usize) -> usize {
        if level == 0 {
            self.targets.base_level
        } else {
            level + 1
        }
    }

    /// The next job, or `None` (RocksDB's `PickCompaction` returning null).
    pub fn pick(&self) -> Option<Job> {
        let start = self.setup_initial_files()?;
        self.finish(start)
    }

    /// `SetupInitialFiles`: score-based work first, then the fallbacks.
    fn setup_initial_files(&self) -> Option<StartInputs> {
        let mut skipped_l0_to_base = false;
        for s in self.scores() {
            if s.score < 1.0 {
                break;
            }
            if skipped_l0_to_base && s.level == self.targets.base_level {
                continue;
            }
            let output_level = self.output_level_of(s.level);
            if let Some(start) = self.pick_file_to_compact(s.level, output_level, s.reason()) {
                return Some(start);
            }
            if s.level == 0 {
                skipped_l0_to_base = true;
                if let Some(files) = self.intra_l0() {
                    return Some(StartInputs {
                        level: 0,
                        output_level: 0,
                        files,
                        base_index: None,
                        l0_trivial_move: false,
                        reason: s.reason(),
                    });
                }
            }
        }
        self.fallbacks()
    }

    /// RocksDB's `PickIntraL0Compaction`.
    fn intra_l0(&self) -> Option<Files> {
        let files = self.v.files(0);
        if files.len() < self.ctx.options.l0_file_limit + 2
            || files.first().is_some_and(|f| self.busy(f))
        {
            return None;
        }
        intra_l0::find(files, self.ctx.busy, self.max_compaction_bytes())
    }

    /// Work the scores did not ask for, in RocksDB's order: files marked
    /// for compaction (by their deletions, or past Lethe's delete
    /// persistence deadline), bottommost files holding what released
    /// snapshots kept, TTL, periodic compaction.
    fn fallbacks(&self) -> Option<StartInputs> {
        let fb = &self.params.fallbacks;
        // RocksDB's `PickFilesMarkedForCompaction`: each marked file goes to
        // the next level (RocksDB tries a random one first; here the first
        // by level and key, so runs repeat).
        for (level, f, reason) in fb.marked_files(self.v, self.ctx) {
            let one = [(level, f)];
            if let Some(start) = self.pick_marked(&one, reason, ToNextLevel::SkipLastLevel) {
                return Some(start);
            }
        }
        // RocksDB's bottommost files, rewritten in place.
        let bottom = fb.bottommost_files(self.v, self.ctx);
        if let Some(start) = self.pick_marked(&bottom, Reason::BottommostFiles, ToNextLevel::No) {
            return Some(start);
        }
        let expired = self.params.ttl_files(self.v, self.ctx);
        if let Some(start) = self.pick_marked(&expired, Reason::Ttl, ToNextLevel::SkipLastLevel) {
            return Some(start);
        }
        let due = fb.periodic_files(self.v, self.ctx);
        let to_next = if self.params.dynamic_level_bytes {
            ToNextLevel::Yes
        } else {
            ToNextLevel::No
        };
        self.pick_marked(&due, Reason::Periodic, to_next)
    }

    /// RocksDB's `PickFileToCompact(level_files, compact_to_next_level)`:
    /// the first listed file that can go (to the next level, or rewritten
    /// in place).
    fn pick_marked(
        &self,
        files: &[(usize, Arc<FileMeta>)],
        reason: Reason,
        to_next_level: ToNextLevel,
    ) -> Option<StartInputs> {
        let last_non_empty = (0..self.v.num_levels())
            .rev()
            .find(|&l| !self.v.files(l).is_empty())
            .unwrap_or(0);
        for (level, f) in files {
            let level = *level;
            let skip_last = to_next_level == ToNextLevel::SkipLastLevel && level == last_non_empty;
            if skip_last || (level == 0 && self.l0_in_progress()) {
                continue;
            }
            if self.busy(f) {
                continue;
            }
            let output_level = if to_next_level != ToNextLevel::No && level < last_non_empty {
                self.output_level_of(level)
            } else {
                level
            };
            return Some(StartInputs {
                level,
                output_level,
                files: vec![f.clone()],
                base_index: None,
                l0_trivial_move: false,
                reason,
            });
        }
        None
    }

    /// RocksDB's `PickFileToCompact()` for a scored level.
    fn pick_file_to_compact(
        &self,
        level: usize,
        output_level: usize,
        reason: Reason,
    ) -> Option<StartInputs> {
        if level == 0 && self.l0_in_progress() {
            return None;
        }
        if let Some(files) = self.try_pick_l0_trivial_move(level, output_level) {
            return Some(StartInputs {
                level,
                output_level,
                files,
                base_index: None,
                l0_trivial_move: true,
                reason,
            });
        }
        let files = self.v.files(level);
        let order = self.pri.order_files(self.v, level, self.ctx, &self.comp);
        let strict = self.pri.round_robin();
        for index in order {
            let f = &files[index];
            if self.busy(f) {
                if strict {
                    return None;
                }
                continue;
            }
            let (lo, hi) = (f.smallest_user_key(), f.largest_user_key());
            let mut start = vec![f.clone()];
            let lower = self.v.overlapping_files(output_level, lo, hi);
            if lower.is_empty() {
                if let Some(more) = self.try_extend_trivial_move(level, output_level, index) {
                    start = more;
                }
            } else if self.any_busy(&lower) {
                if strict {
                    return None;
                }
                continue;
            }
            return Some(StartInputs {
                level,
                output_level,
                files: start,
                base_index: Some(index),
                l0_trivial_move: false,
                reason,
            });
        }
        None
    }

    /// RocksDB's `TryPickL0TrivialMove`: from the oldest L0 file, newer files
    /// while they extend the range on either side without overlapping it
    /// and without meeting a file of the (non-empty) output level.
    fn try_pick_l0_trivial_move(&self, level: usize, output_level: usize) -> Option<Files> {
        if level != 0 || self.targets.base_level == 0 || self.v.files(output_level).is_empty() {
            return None;
        }
        let mut picked: Files = Vec::new();
        // User keys, not internal keys (RocksDB compares internal keys): the
        // files join one run of the output level, where two files may not
        // share a user key even at a boundary.
        let (mut lo, mut hi): (&[u8], &[u8]) = (&[], &[]);
        for (i, f) in self.v.files(0).iter().rev().enumerate() {
            if i == 0 {
                (lo, hi) = (f.smallest_user_key(), f.largest_user_key());
            } else if f.largest_user_key() < lo {
                lo = f.smallest_user_key();
            } else if f.smallest_user_key() > hi {
                hi = f.largest_user_key();
            } else {
                break;
            }
            let meets = self.v.overlapping_files(output_level, lo, hi);
            if !meets.is_empty() {
                break;
            }
            picked.push(f.clone());
        }
        if picked.is_empty() {
            return None;
        }
        picked.sort_by(|a, b| key::compare_internal(&a.smallest, &b.smallest));
        Some(picked)
    }

    /// RocksDB's `TryExtendNonL0TrivialMove`: the files after the chosen
    /// one (by key) while together they still meet nothing in the output
    /// level, up to 4 files and `max_compaction_bytes`.
    fn try_extend_trivial_move(
        &self,
        level: usize,
        output_level: usize,
        index: usize,
    ) -> Option<Files> {
        let files = self.v.files(level);
        let first = &files[index];
        let mut picked = vec![first.clone()];
        let mut total = first.size;
        for next in files.iter().skip(index + 1) {
            if picked.len() >= MAX_MULTI_TRIVIAL_MOVE || self.busy(next) {
                break;
            }
            let meets = self.v.overlapping_files(
                output_level,
                first.smallest_user_key(),
                next.largest_user_key(),
            );
            if !meets.is_empty() {
                break;
            }
            total += next.size;
            if total > self.max_compaction_bytes() {
                break;
            }
            picked.push(next.clone());
        }
        (picked.len() > 1).then_some(picked)
    }

    /// `SetupOtherL0FilesIfNeeded` and `SetupOtherInputsIfNeeded`, then the
    /// job (RocksDB's `GetCompaction` and `IsTrivialMove`).
    fn finish(&self, mut start: StartInputs) -> Option<Job> {
        let v = self.v;
        if start.level == 0 && start.output_level != 0 && !start.l0_trivial_move {
            let (lo, hi) = user_range(&start.files)?;
            start.files = l0_overlapping_closure(v, &lo, &hi);
            let (lo, hi) = user_range(&start.files)?;
            if self.any_busy(&v.overlapping_files(start.output_level, &lo, &hi)) {
                return None;
            }
        }
        let mut lower: Files = Vec::new();
        let mut cursor_update = None;
        if start.output_level != start.level {
            let round_robin =
                self.pri.round_robin() && matches!(start.reason, Reason::LevelSize { .. });
            if round_robin {
                self.round_robin_expansion(&mut start);
            }
            if !start.l0_trivial_move {
                lower = self.setup_other_inputs(&mut start, round_robin)?;
            }
            if round_robin && start.level > 0 {
                cursor_update = self
                    .pri
                    .next_cursor(v, start.level, start.files.len(), self.ctx, &self.comp)
                    .map(|k| (start.level, k));
            }
        }
        let mut inputs = job_inputs_by_run(v, start.level, &start.files);
        let output_run = v
            .runs(start.output_level)
            .first()
            .map_or(crate::version::LEVEL_RUN, |r| r.id());
        inputs.extend(job_inputs_by_run(v, start.output_level, &lower));
        let all: Files = start.files.iter().chain(lower.iter()).cloned().collect();
        let (lo, hi) = user_range(&all)?;
        let bottommost = (start.output_level + 1..v.num_levels())
            .all(|l| v.overlapping_files(l, &lo, &hi).is_empty());
        // A file sent down to purge its tombstones is rewritten, not moved,
        // once nothing lies below its output: a move would leave them at
        // the bottom, unpurged and no longer due.
        let purge = start.reason == Reason::DeletePersistence && bottommost;
        let trivial = start.output_level != start.level
            && lower.is_empty()
            && !purge
            && (start.level != 0 || start.l0_trivial_move || l0_non_overlapping(v))
            && self.moves_within_limit(&start.files, start.output_level);
        let output_run = (start.output_level != 0).then_some(output_run);
        let to_l0 = start.output_level == 0;
        Some(Job {
            kind: if trivial {
                JobKind::TrivialMove
            } else {
                JobKind::Merge
            },
            inputs,
            output_level: start.output_level,
            output_run,
            reason: start.reason,
            bottommost,
            max_output_file_size: (!to_l0).then_some(self.ctx.options.base_file_size),
            max_grandparent_files: None,
            output_cut: (!to_l0).then(|| OutputCut {
                max_compaction_bytes: self.max_compaction_bytes(),
                dynamic_file_size: self.params.dynamic_file_size,
                split_key: self.split_key(start.output_level, &lo, &hi),
            }),
            cursor_update,
            split_points: Vec::new(),
        })
    }

    /// kRoundRobin: outputs split at the output level's cursor when it
    /// falls inside the job's range (RocksDB's `output_split_key_`).
    fn split_key(&self, output_level: usize, lo: &[u8], hi: &[u8]) -> Option<Vec<u8>> {
        if !self.pri.round_robin() {
            return None;
        }
        let c = self.v.cursor(output_level)?;
        let u = key::user_key(c);
        (u > lo && u <= hi).then(|| c.to_vec())
    }

    /// `Compaction::IsTrivialMove`'s size rule: each file plus what it
    /// overlaps two levels down stays within `max_compaction_bytes`.
    fn moves_within_limit(&self, files: &[Arc<FileMeta>], output_level: usize) -> bool {
        if output_level + 1 >= self.v.num_levels() {
            return true;
        }
        files.iter().all(|f| {
            let below = self.v.overlapping_files(
                output_level + 1,
                f.smallest_user_key(),
                f.largest_user_key(),
            );
            f.size + total_size(&below) <= self.max_compaction_bytes()
        })
    }

    /// RocksDB's `SetupOtherInputs`: the output-level files under the start
    /// inputs; then more start-level files if they fit in
    /// `max_compaction_bytes` and pull in no more output-level files (or lie
    /// wholly inside the range already taken). `None` when an output-level
    /// file is busy.
    fn setup_other_inputs(&self, start: &mut StartInputs, right_only: bool) -> Option<Files> {
        let v = self.v;
        let (lo, hi) = user_range(&start.files)?;
        let lower = v.overlapping_files(start.output_level, &lo, &hi);
        if self.any_busy(&lower) {
            return None;
        }
        if lower.is_empty() {
            return Some(lower);
        }
        let limit = self.max_compaction_bytes();
        let lower_size = total_size(&lower);
        let all: Files = start.files.iter().chain(lower.iter()).cloned().collect();
        let (all_lo, all_hi) = user_range(&all)?;
        let from = if right_only { &lo } else { &all_lo };
        let expanded = overlapping(v, start.level, from, &all_hi);
        let mut expand = false;
        if expanded.len() > start.files.len()
            && lower_size + total_size(&expanded) < limit
            && !self.any_busy(&expanded)
        {
            let (new_lo, new_hi) = user_range(&expanded)?;
            let new_lower = v.overlapping_files(start.output_level, &new_lo, &new_hi);
            if !self.any_busy(&new_lower) && new_lower.len() == lower.len() {
                start.files = expanded;
                expand = true;
            }
        }
        if !expand {
            let within = files_within(v, start.level, &all_lo, &all_hi);
            if within.len() > start.files.len()
                && lower_size + total_size(&within) < limit
                && !self.any_busy(&within)
            {
                start.files = within;
            }
        }
        Some(lower)
    }

    /// kRoundRobin's `SetupOtherFilesWithRoundRobinExpansion`: consecutive
    /// files after the chosen one, while the level stays over its target by
    /// more than they hold and the job within `max_compaction_bytes`.
    ///
    /// As RocksDB 7.8 does it, a trivial move already extended to several
    /// files (`TryExtendNonL0TrivialMove`) is kept only when the chosen file
    /// alone brings the level under its target; otherwise the expansion
    /// starts again from the chosen file. (RocksDB appends the next file to
    /// the extended set and takes the clean-cut range from the first file's
    /// smallest key to the appended file's largest: the chosen file and the
    /// next one, then one more at a time.)
    fn round_robin_expansion(&self, start: &mut StartInputs) {
        let v = self.v;
        let Some(index) = start.base_index else {
            return;
        };
        let level = start.level;
        let files = v.files(level);
        let idle: u64 = files.iter().filter(|f| !self.busy(f)).map(|f| f.size).sum();
        let excess = idle.saturating_sub(self.targets.max_bytes(level));
        if start.files[0].size >= excess {
            return;
        }
        let mut taken = vec![files[index].clone()];
        for f in files.iter().skip(index + 1) {
            if self.busy(f) {
                return;
            }
            taken.push(f.clone());
            let Some((lo, hi)) = user_range(&taken) else {
                return;
            };
            let lower = v.overlapping_files(start.output_level, &lo, &hi);
            if self.any_busy(&lower) {
                return;
            }
            let start_bytes = total_size(&taken);
            if start_bytes + total_size(&lower) > self.max_compaction_bytes() {
                return;
            }
            start.files = taken.clone();
            if start_bytes > excess {
                return;
            }
        }
    }
}
