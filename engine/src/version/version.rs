//! `Version`: an immutable snapshot of the sorted runs, and their SSTables,
//! that make up each level.
//! Edits never change a version; [`Version::apply`] builds the next one.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Arc;

use crate::blob::{BlobFileMeta, BlobUses};
use crate::error::{Error, Result};
use crate::key::{self, compare_internal};

use super::fixture::format_key;
use super::run::{newest_first, SortedRun};
use super::{FileMeta, VersionEdit};

/// One level: its sorted runs, newest first, and a flat view of its files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Level {
    /// INVARIANT: ordered by [`newest_first`]; no run is empty.
    runs: Vec<Arc<SortedRun>>,
    /// INVARIANT: the files of `runs`, run by run in that order, each run's
    /// files by key.
    files: Vec<Arc<FileMeta>>,
    /// INVARIANT: the sum of the runs' bytes.
    bytes: u64,
}

impl Level {
    /// Restores the level's invariants after its runs changed.
    fn settle(&mut self) {
        self.runs.retain(|r| !r.files().is_empty());
        self.runs.sort_by(|a, b| newest_first(a, b));
        self.files = self
            .runs
            .iter()
            .flat_map(|r| r.files().iter().cloned())
            .collect();
        self.bytes = self.runs.iter().map(|r| r.bytes()).sum();
    }
}

/// The sorted runs of every level at one point in time, shared by readers
/// and compactions while newer versions are installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// INVARIANT: no file number appears twice in the tree, no run id twice
    /// in a level.
    levels: Vec<Level>,
    /// Round-robin compaction cursor per level (an internal key).
    /// INVARIANT: every cursor, when set, parses as an internal key.
    compaction_cursors: Vec<Option<Vec<u8>>>,
    /// Blob files by number (value separation).
    /// INVARIANT: for each, the references the tables hold plus its garbage
    /// add up to its blob count, and no file is all garbage.
    blob_files: BTreeMap<u64, BlobFileMeta>,
    /// The blob references of each table that holds any, by table number.
    /// INVARIANT: only tables of the tree.
    table_blobs: BTreeMap<u64, Arc<BlobUses>>,
}

fn invalid(msg: String) -> Error {
    Error::InvalidArgument(msg)
}

/// Checks one file's own metadata: parseable keys, smallest <= largest,
/// smallest_seq <= largest_seq.
fn check_file(f: &FileMeta) -> Result<()> {
    let name = number_str(f.number);
    for (which, k) in [("smallest", &f.smallest), ("largest", &f.largest)] {
        if key::parse_internal_key(k).is_none() {
            return Err(invalid(format!(
                "file {name}: {which} key is not an internal key"
            )));
        }
    }
    if compare_internal(&f.smallest, &f.largest) == Ordering::Greater {
        return Err(invalid(format!(
            "file {name}: smallest key {} sorts after largest key {}",
            format_key(&f.smallest),
            format_key(&f.largest)
        )));
    }
    if f.smallest_seq > f.largest_seq {
        return Err(invalid(format!(
            "file {name}: smallest_seq {} above largest_seq {}",
            f.smallest_seq, f.largest_seq
        )));
    }
    Ok(())
}

fn overlap_error(level: usize, run: u64, (a, b): (u64, u64)) -> Error {
    invalid(format!(
        "L{level} run {} files {} and {} have overlapping ranges",
        number_str(run),
        number_str(a),
        number_str(b)
    ))
}

impl Version {
    /// An empty tree of `num_levels` levels.
    pub fn new(num_levels: usize) -> Version {
        Version {
            levels: vec![Level::default(); num_levels],
            compaction_cursors: vec![None; num_levels],
            blob_files: BTreeMap::new(),
            table_blobs: BTreeMap::new(),
        }
    }

    /// The version that results from applying `edit` to this one (which is
    /// left unchanged). Deletions happen before additions, so moving a file
    /// to another level or run is a delete plus an add of the same file.
    ///
    /// An added file joins the run of its level that its edit names (created
    /// if new; run ids are unique within a level, and a file moved down may
    /// start a run with the id of the run it left). A file
    /// added without a run (manifests of format 1, and fixture shorthand)
    /// forms a run of its own in L0, and joins the level's only run in L1
    /// and deeper (or starts it).
    ///
    /// Errors (`InvalidArgument`, nothing applied): a level out of range,
    /// deleting a file that is not in that level, adding a file number
    /// already in the tree (or twice), a run-less file added to a level of several runs, a file whose own
    /// metadata is inconsistent, overlapping files within a run, a cursor
    /// that is not an internal key.
    pub fn apply(&self, edit: &VersionEdit) -> Result<Version> {
        let n = self.num_levels();
        let levels_named = edit
            .deleted
            .iter()
            .map(|d| d.0)
            .chain(edit.added.iter().map(|a| a.level))
            .chain(edit.compaction_cursors.iter().map(|c| c.0));
        for level in levels_named {
            if level >= n {
                return Err(invalid(format!(
                    "edit names L{level} but the version has {n} levels"
                )));
            }
        }

        let mut next = self.clone();
        let mut touched = vec![false; n];
        for &(level, number) in &edit.deleted {
            let runs = &mut next.levels[level].runs;
            let found = runs
                .iter_mut()
                .find(|r| r.files().iter().any(|f| f.number == number));
            let Some(run) = found else {
                return Err(invalid(format!(
                    "cannot delete {} from L{level}: not there",
                    number_str(number)
                )));
            };
            Arc::make_mut(run).remove(number);
            touched[level] = true;
        }
        for (level, t) in touched.iter().enumerate() {
            if *t {
                next.levels[level].runs.retain(|r| !r.files().is_empty());
            }
        }

        let mut numbers: HashSet<u64> = next.file_numbers().collect();
        for added in &edit.added {
            let (level, f) = (added.level, &added.file);
            check_file(f)?;
            if !numbers.insert(f.number) {
                return Err(invalid(format!(
                    "file {} added twice",
                    number_str(f.number)
                )));
            }
            let runs = &mut next.levels[level].runs;
            let id = match added.run {
                Some(id) => id,
                None if level == 0 => f.number,
                None => match runs.len() {
                    0 => f.number,
                    1 => runs[0].id(),
                    k => {
                        return Err(invalid(format!(
                            "file {} added to L{level} without a run, but L{level} holds {k} runs",
                            number_str(f.number)
                        )))
                    }
                },
            };
            if !runs.iter().any(|r| r.id() == id) {
                runs.push(Arc::new(SortedRun::new(id)));
            }
            let run = runs
                .iter_mut()
                .find(|r| r.id() == id)
                .expect("the run exists or was just created");
            Arc::make_mut(run).push(Arc::new(f.clone()));
            touched[level] = true;
        }

        for (level, lv) in next.levels.iter_mut().enumerate() {
            if !touched[level] {
                continue;
            }
            for run in &mut lv.runs {
                if let Some(pair) = Arc::make_mut(run).settle() {
                    return Err(overlap_error(level, run.id(), pair));
                }
            }
            lv.settle();
        }

        for (level, k) in &edit.compaction_cursors {
            if k.is_empty() {
                next.compaction_cursors[*level] = None;
            } else if key::parse_internal_key(k).is_none() {
                return Err(invalid(format!("L{level} cursor is not an internal key")));
            } else {
                next.compaction_cursors[*level] = Some(k.clone());
            }
        }

        next.apply_blobs(edit)?;

        #[cfg(debug_assertions)]
        if let Err(e) = next.check_invariants() {
            panic!("apply produced a broken version: {e}");
        }
        Ok(next)
    }

    /// The blob part of [`Version::apply`]: blob files added, garbage
    /// added, blob files deleted, table references recorded (and forgotten
    /// with their tables).
    fn apply_blobs(&mut self, edit: &VersionEdit) -> Result<()> {
        for b in &edit.blob_files_added {
            if self.blob_files.insert(b.number, *b).is_some() {
                return Err(invalid(format!(
                    "blob file {} added twice",
                    number_str(b.number)
                )));
            }
        }
        for g in &edit.blob_garbage {
            let Some(f) = self.blob_files.get_mut(&g.file) else {
                return Err(invalid(format!(
                    "garbage recorded for blob file {}, which the version does not hold",
                    number_str(g.file)
                )));
            };
            f.garbage_count += g.count;
            f.garbage_bytes += g.bytes;
            if f.garbage_count > f.blob_count || f.garbage_bytes > f.blob_bytes {
                return Err(invalid(format!(
                    "blob file {} would hold more garbage ({} blobs, {} bytes) than blobs ({}, {})",
                    number_str(g.file),
                    f.garbage_count,
                    f.garbage_bytes,
                    f.blob_count,
                    f.blob_bytes
                )));
            }
        }
        for &n in &edit.blob_files_deleted {
            match self.blob_files.remove(&n) {
                None => {
                    return Err(invalid(format!(
                        "cannot delete blob file {}: not there",
                        number_str(n)
                    )))
                }
                Some(f) if !f.all_garbage() => {
                    return Err(invalid(format!(
                        "cannot delete blob file {}: {} of its {} blobs are still referenced",
                        number_str(n),
                        f.blob_count - f.garbage_count,
                        f.blob_count
                    )))
                }
                Some(_) => {}
            }
        }
        let tables: HashSet<u64> = self.file_numbers().collect();
        self.table_blobs.retain(|n, _| tables.contains(n));
        for (table, uses) in &edit.table_blobs {
            if !tables.contains(table) {
                return Err(invalid(format!(
                    "blob references recorded for table {}, which the version does not hold",
                    number_str(*table)
                )));
            }
            self.table_blobs.insert(*table, Arc::new(uses.clone()));
        }
        Ok(())
    }

    /// The blob files, by number.
    pub fn blob_files(&self) -> &BTreeMap<u64, BlobFileMeta> {
        &self.blob_files
    }

    /// The blob references of table `number` (empty when it holds none).
    pub fn table_blobs(&self, number: u64) -> &[crate::blob::BlobUse] {
        self.table_blobs.get(&number).map_or(&[], |u| u.as_slice())
    }

    /// Bytes of the blob files.
    pub fn blob_bytes(&self) -> u64 {
        self.blob_files.values().map(|b| b.file_size).sum()
    }

    /// Checks the blob accounting: every reference names a blob file of the
    /// version, and per blob file the references plus the garbage make up
    /// its blob count (and bytes), and some blob is live.
    fn check_blobs(&self) -> Result<()> {
        let mut refs: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
        for uses in self.table_blobs.values() {
            crate::blob::garbage::add_uses(&mut refs, uses);
        }
        for (&n, &(count, bytes)) in &refs {
            let Some(f) = self.blob_files.get(&n) else {
                return Err(invalid(format!(
                    "tables reference blob file {}, which the version does not hold",
                    number_str(n)
                )));
            };
            if count + f.garbage_count != f.blob_count || bytes + f.garbage_bytes != f.blob_bytes {
                return Err(invalid(format!(
                    "blob file {}: {count} references and {} garbage blobs, but {} blobs",
                    number_str(n),
                    f.garbage_count,
                    f.blob_count
                )));
            }
        }
        if let Some(f) = self
            .blob_files
            .values()
            .find(|f| !refs.contains_key(&f.number))
        {
            return Err(invalid(format!(
                "blob file {} is referenced by no table but not deleted",
                number_str(f.number)
            )));
        }
        Ok(())
    }

    fn file_numbers(&self) -> impl Iterator<Item = u64> + '_ {
        self.levels
            .iter()
            .flat_map(|l| l.runs.iter())
            .flat_map(|r| r.files().iter().map(|f| f.number))
    }

    /// Number of levels, L0 included.
    pub fn num_levels(&self) -> usize {
        self.levels.len()
    }

    /// The sorted runs of `level`, newest first; empty for a level out of
    /// range.
    pub fn runs(&self, level: usize) -> &[Arc<SortedRun>] {
        self.levels.get(level).map_or(&[], |l| l.runs.as_slice())
    }

    /// The files of `level`, run by run (newest run first), each run's files
    /// by key; empty for a level out of range. In L0 of a leveled tree,
    /// where every run is one file, that is newest file first.
    pub fn files(&self, level: usize) -> &[Arc<FileMeta>] {
        self.levels.get(level).map_or(&[], |l| l.files.as_slice())
    }

    /// Total size of `level`'s files in bytes.
    pub fn level_bytes(&self, level: usize) -> u64 {
        self.levels.get(level).map_or(0, |l| l.bytes)
    }

    /// Total size of every file in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.levels.iter().map(|l| l.bytes).sum()
    }

    /// Number of files in the tree.
    pub fn total_files(&self) -> usize {
        self.levels.iter().map(|l| l.files.len()).sum()
    }

    /// Files of `level` whose user-key range meets `[lo, hi]` (inclusive),
    /// run by run in the level's order, by key within a run.
    pub fn overlapping_files(&self, level: usize, lo: &[u8], hi: &[u8]) -> Vec<Arc<FileMeta>> {
        self.runs(level)
            .iter()
            .flat_map(|r| r.overlapping(lo, hi).iter().cloned())
            .collect()
    }

    /// Sorted runs a point lookup may consult: every run of every level.
    pub fn sorted_runs(&self) -> usize {
        self.levels.iter().map(|l| l.runs.len()).sum()
    }

    /// Every file number in the tree, ascending.
    pub fn all_file_numbers(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.file_numbers().collect();
        v.sort_unstable();
        v
    }

    /// The round-robin compaction cursor of `level`, if one was set.
    pub fn cursor(&self, level: usize) -> Option<&[u8]> {
        self.compaction_cursors.get(level)?.as_deref()
    }

    /// Verifies the version's invariants: runs newest first and never empty,
    /// each run sorted and key-disjoint, no file number or run id twice,
    /// sizes add up, every file's own metadata consistent, cursors
    /// parseable.
    pub fn check_invariants(&self) -> Result<()> {
        let mut seen = HashSet::new();
        for (level, lv) in self.levels.iter().enumerate() {
            let mut run_ids = HashSet::new();
            for run in &lv.runs {
                if run.files().is_empty() {
                    return Err(invalid(format!(
                        "L{level} run {} is empty",
                        number_str(run.id())
                    )));
                }
                if !run_ids.insert(run.id()) {
                    return Err(invalid(format!(
                        "L{level} run {} appears twice",
                        number_str(run.id())
                    )));
                }
                let sorted = run
                    .files()
                    .windows(2)
                    .all(|w| compare_internal(&w[0].smallest, &w[1].smallest) == Ordering::Less);
                if !sorted {
                    return Err(invalid(format!(
                        "L{level} run {} files are out of order",
                        number_str(run.id())
                    )));
                }
                if let Some(pair) = run.first_overlap() {
                    return Err(overlap_error(level, run.id(), pair));
                }
                let sum: u64 = run.files().iter().map(|f| f.size).sum();
                let newest = run.files().iter().map(|f| f.largest_seq).max();
                if sum != run.bytes() || newest != Some(run.largest_seq()) {
                    return Err(invalid(format!(
                        "L{level} run {} totals do not match its files",
                        number_str(run.id())
                    )));
                }
                for f in run.files() {
                    check_file(f)?;
                    if !seen.insert(f.number) {
                        return Err(invalid(format!(
                            "file {} appears twice",
                            number_str(f.number)
                        )));
                    }
                }
            }
            if lv
                .runs
                .windows(2)
                .any(|w| newest_first(&w[0], &w[1]) != Ordering::Less)
            {
                return Err(invalid(format!("L{level} runs are out of order")));
            }
            let flat: Vec<u64> = lv
                .runs
                .iter()
                .flat_map(|r| r.files().iter().map(|f| f.number))
                .collect();
            if flat != lv.files.iter().map(|f| f.number).collect::<Vec<_>>() {
                return Err(invalid(format!(
                    "L{level} file list does not match its runs"
                )));
            }
            let sum: u64 = lv.runs.iter().map(|r| r.bytes()).sum();
            if sum != lv.bytes {
                return Err(invalid(format!(
                    "L{level} files add up to {sum} bytes, but the level records {}",
                    lv.bytes
                )));
            }
            if let Some(c) = &self.compaction_cursors[level] {
                if key::parse_internal_key(c).is_none() {
                    return Err(invalid(format!("L{level} cursor is not an internal key")));
                }
            }
        }
        self.check_blobs()
    }

    /// An edit that rebuilds this version from an empty one (files with
    /// their runs, and cursors; no counters). A fresh manifest starts with
    /// it.
    pub fn snapshot_edit(&self) -> VersionEdit {
        let mut edit = VersionEdit::new();
        for (level, lv) in self.levels.iter().enumerate() {
            for run in &lv.runs {
                for f in run.files() {
                    edit.add_file_to_run(level, run.id(), FileMeta::clone(f));
                }
            }
        }
        for (level, c) in self.compaction_cursors.iter().enumerate() {
            if let Some(c) = c {
                edit.set_cursor(level, c.clone());
            }
        }
        for b in self.blob_files.values() {
            // Totals first, garbage as its own record, as edits add it.
            edit.blob_files_added.push(BlobFileMeta {
                garbage_count: 0,
                garbage_bytes: 0,
                ..*b
            });
            if b.garbage_count > 0 {
                edit.blob_garbage.push(crate::blob::BlobUse {
                    file: b.number,
                    count: b.garbage_count,
                    bytes: b.garbage_bytes,
                });
            }
        }
        for (table, uses) in &self.table_blobs {
            edit.table_blobs.push((*table, uses.as_ref().clone()));
        }
        edit
    }
}

/// `NNNNNN`, the way file numbers are shown in messages.
fn number_str(number: u64) -> String {
    format!("{number:06}")
}

/// The fixture text of the version (see [`super::fixture`]).
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::fixture::format_version(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datadriven::{self, Case};
    use crate::version::fixture::{format_version, parse_edit, parse_file, parse_version};

    fn v(text: &str) -> Version {
        parse_version(text, 4).unwrap()
    }

    fn add(level: usize, line: &str) -> VersionEdit {
        let mut e = VersionEdit::new();
        e.add_file(level, parse_file(line).unwrap());
        e
    }

    #[test]
    fn apply_never_mutates_the_base() {
        let base = v("L1\n  000002: a#1 .. c#2 size=10\n");
        let next = base.apply(&add(1, "000003: d#3 .. f#4 size=5")).unwrap();
        assert_eq!(base.total_files(), 1);
        assert_eq!(next.total_files(), 2);
        assert_eq!(next.level_bytes(1), 15);
        assert_eq!(base.level_bytes(1), 10);
    }

    #[test]
    fn lookups_by_key_use_l1_order() {
        let ver = v("L0\n  000009: a#20 .. z#21\nL2\n  000004: a#1 .. c#1 size=1\n  000005: e#1 .. g#1 size=2\n  000006: k#1 .. m#1 size=4\n");
        let nums = |fs: Vec<Arc<FileMeta>>| fs.iter().map(|f| f.number).collect::<Vec<_>>();
        assert_eq!(nums(ver.overlapping_files(2, b"b", b"f")), vec![4, 5]);
        assert_eq!(
            nums(ver.overlapping_files(2, b"d", b"d")),
            Vec::<u64>::new()
        );
        assert_eq!(nums(ver.overlapping_files(2, b"g", b"z")), vec![5, 6]);
        assert_eq!(nums(ver.overlapping_files(0, b"q", b"q")), vec![9]);
        let l2 = &ver.runs(2)[0];
        assert_eq!(l2.file_for_key(b"f").map(|f| f.number), Some(5));
        assert_eq!(l2.file_for_key(b"h"), None);
        assert_eq!(l2.file_for_key(b"zz"), None);
        assert_eq!(ver.sorted_runs(), 2);
        assert_eq!(ver.total_bytes(), 7);
        assert_eq!(ver.all_file_numbers(), vec![4, 5, 6, 9]);
        assert_eq!(ver.files(9).len(), 0);
    }

    #[test]
    fn errors_name_the_offending_files() {
        let base = v("L1\n  000001: a#1 .. c#2\n");
        let msg = |e: &VersionEdit| base.apply(e).unwrap_err().to_string();
        assert_eq!(
            msg(&add(1, "000004: b#5 .. d#6")),
            "invalid argument: L1 run 000001 files 000001 and 000004 have overlapping ranges"
        );
        // Sharing a boundary user key is an overlap too.
        assert!(msg(&add(1, "000004: c#9 .. d#6")).contains("overlapping"));
        assert_eq!(
            msg(&add(2, "000001: x#1 .. y#1")),
            "invalid argument: file 000001 added twice"
        );
        let mut del = VersionEdit::new();
        del.delete_file(2, 1);
        assert_eq!(
            msg(&del),
            "invalid argument: cannot delete 000001 from L2: not there"
        );
        assert!(msg(&add(4, "000005: a#1 .. b#1")).contains("L4 but the version has 4 levels"));
        assert!(msg(&add(2, "000005: b#1 .. a#1")).contains("sorts after largest key"));
        let mut cur = VersionEdit::new();
        cur.set_cursor(1, b"x".to_vec());
        assert!(msg(&cur).contains("cursor is not an internal key"));
    }

    #[test]
    fn snapshot_edit_rebuilds_the_version() {
        let ver = v("L0\n  000007: a#9 .. b#9\n  000003: a#2 .. z#4 size=1MiB\nL3 cursor=m#5\n  000002: a#1 .. m#1 size=1\n");
        let rebuilt = Version::new(4).apply(&ver.snapshot_edit()).unwrap();
        assert_eq!(rebuilt, ver);
        assert_eq!(rebuilt.cursor(3), ver.cursor(3));
        assert!(rebuilt.cursor(3).is_some());
        rebuilt.check_invariants().unwrap();
    }

    #[test]
    fn check_invariants_catches_a_hand_built_bad_version() {
        let mut ver = v("L1\n  000001: a#1 .. c#1 size=3\n  000002: d#1 .. f#1 size=3\n");
        ver.check_invariants().unwrap();
        ver.levels[1].bytes = 5;
        assert!(ver
            .check_invariants()
            .unwrap_err()
            .to_string()
            .contains("add up to 6"));
        ver.levels[1].bytes = 6;
        ver.levels[1].files.swap(0, 1);
        assert!(ver
            .check_invariants()
            .unwrap_err()
            .to_string()
            .contains("does not match its runs"));
    }

    #[test]
    fn runs_keep_their_files_and_order() {
        // Two runs in L0 (a flush and a two-file run), one run in L1.
        let ver = v("L0\n  000009: a#20 .. z#21\n  run 000005\n    000005: a#10 .. k#12 size=4\n    000006: m#11 .. q#13 size=6\nL1\n  000002: a#1 .. z#2 size=1\n");
        assert_eq!(ver.sorted_runs(), 3);
        let l0 = ver.runs(0);
        assert_eq!(l0.iter().map(|r| r.id()).collect::<Vec<_>>(), vec![9, 5]);
        assert_eq!(l0[1].bytes(), 10);
        assert_eq!(l0[1].file_for_key(b"n").map(|f| f.number), Some(6));
        assert_eq!(l0[1].file_for_key(b"l"), None);
        assert_eq!(
            ver.files(0).iter().map(|f| f.number).collect::<Vec<_>>(),
            vec![9, 5, 6]
        );
        // Deleting a file of a run keeps the rest of the run; deleting the
        // last one removes the run.
        let mut e = VersionEdit::new();
        e.delete_file(0, 5).delete_file(0, 9);
        let next = ver.apply(&e).unwrap();
        assert_eq!(next.runs(0).len(), 1);
        assert_eq!(next.runs(0)[0].id(), 5);
        assert_eq!(next.runs(0)[0].files().len(), 1);
        // A run's files may not overlap, but runs may.
        let mut e = VersionEdit::new();
        e.add_file_to_run(0, 5, parse_file("000011: l#30 .. n#30").unwrap());
        assert!(ver
            .apply(&e)
            .unwrap_err()
            .to_string()
            .contains("L0 run 000005 files 000011 and 000006 have overlapping ranges"));
        // A file moved down may start a run with the id of the run it left.
        let mut e = VersionEdit::new();
        e.delete_file(0, 5);
        e.add_file_to_run(1, 5, ver.runs(0)[1].files()[0].as_ref().clone());
        let moved = ver.apply(&e).unwrap();
        assert_eq!(moved.runs(0)[1].id(), 5);
        assert_eq!(
            moved.runs(1).iter().map(|r| r.id()).collect::<Vec<_>>(),
            vec![5, 2]
        );
        // A run-less file cannot choose among several runs.
        let two =
            v("L2\n  run 000003\n    000003: a#1 .. b#1\n  run 000004\n    000004: a#2 .. b#2\n");
        let e = add(2, "000011: x#3 .. y#3");
        assert!(two
            .apply(&e)
            .unwrap_err()
            .to_string()
            .contains("L2 holds 2 runs"));
    }

    #[test]
    fn version_edit_testdata() {
        let mut current = Version::new(7);
        let show = |v: &Version| match format_version(v) {
            s if s.is_empty() => "(empty)".to_string(),
            s => s,
        };
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/version_edit.txt");
        datadriven::run_file(path, |case: &Case| {
            let result = match case.command.as_str() {
                "define" => parse_version(&case.input, case.arg_or("levels", 7)),
                "apply" => parse_edit(&case.input).and_then(|e| current.apply(&e)),
                other => panic!("line {}: unknown command {other}", case.line),
            };
            match result {
                Ok(v) => {
                    current = v;
                    show(&current)
                }
                Err(e) => e.to_string(),
            }
        });
    }
}
