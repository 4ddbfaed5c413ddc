//! `Version`: an immutable snapshot of which SSTables make up each level.
//! Edits never change a version; [`Version::apply`] builds the next one.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::key::{self, compare_internal};

use super::fixture::format_key;
use super::{FileMeta, VersionEdit};

/// The files of every level at one point in time, shared by readers and
/// compactions while newer versions are installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// INVARIANT: L0 is ordered newest first (`largest_seq` desc, then file
    /// number desc); every other level is sorted by smallest key and its
    /// files' user-key ranges are disjoint. No file number appears twice.
    levels: Vec<Vec<Arc<FileMeta>>>,
    /// INVARIANT: `level_bytes[l]` is the sum of the sizes of `levels[l]`.
    level_bytes: Vec<u64>,
    /// Round-robin compaction cursor per level (an internal key).
    /// INVARIANT: every cursor, when set, parses as an internal key.
    compaction_cursors: Vec<Option<Vec<u8>>>,
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

fn l0_order(a: &Arc<FileMeta>, b: &Arc<FileMeta>) -> Ordering {
    b.largest_seq
        .cmp(&a.largest_seq)
        .then(b.number.cmp(&a.number))
}

fn sort_level(level: usize, files: &mut [Arc<FileMeta>]) {
    if level == 0 {
        files.sort_by(l0_order);
    } else {
        files.sort_by(|a, b| compare_internal(&a.smallest, &b.smallest));
    }
}

/// The first pair of neighbours in a sorted L1+ level whose user-key ranges
/// overlap.
fn first_overlap(files: &[Arc<FileMeta>]) -> Option<(&FileMeta, &FileMeta)> {
    files
        .windows(2)
        .find(|w| w[0].largest_user_key() >= w[1].smallest_user_key())
        .map(|w| (&*w[0], &*w[1]))
}

impl Version {
    /// An empty tree of `num_levels` levels.
    pub fn new(num_levels: usize) -> Version {
        Version {
            levels: vec![Vec::new(); num_levels],
            level_bytes: vec![0; num_levels],
            compaction_cursors: vec![None; num_levels],
        }
    }

    /// The version that results from applying `edit` to this one (which is
    /// left unchanged). Deletions happen before additions, so moving a file
    /// to another level is a delete plus an add of the same file.
    ///
    /// Errors (`InvalidArgument`, nothing applied): a level out of range,
    /// deleting a file that is not in that level, adding a file number
    /// already in the tree (or twice), a file whose own metadata is
    /// inconsistent, overlapping files in L1+, a cursor that is not an
    /// internal key.
    pub fn apply(&self, edit: &VersionEdit) -> Result<Version> {
        let n = self.num_levels();
        let levels_named = edit
            .deleted
            .iter()
            .map(|d| d.0)
            .chain(edit.added.iter().map(|a| a.0))
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
            let files = &mut next.levels[level];
            let Some(pos) = files.iter().position(|f| f.number == number) else {
                return Err(invalid(format!(
                    "cannot delete {} from L{level}: not there",
                    number_str(number)
                )));
            };
            files.remove(pos);
            touched[level] = true;
        }

        let mut numbers: HashSet<u64> = next.levels.iter().flatten().map(|f| f.number).collect();
        for (level, f) in &edit.added {
            check_file(f)?;
            if !numbers.insert(f.number) {
                return Err(invalid(format!(
                    "file {} added twice",
                    number_str(f.number)
                )));
            }
            next.levels[*level].push(Arc::new(f.clone()));
            touched[*level] = true;
        }

        for (level, files) in next.levels.iter_mut().enumerate() {
            if !touched[level] {
                continue;
            }
            sort_level(level, files);
            if level > 0 {
                if let Some((a, b)) = first_overlap(files) {
                    return Err(invalid(format!(
                        "L{level} files {} and {} have overlapping ranges",
                        number_str(a.number),
                        number_str(b.number)
                    )));
                }
            }
            next.level_bytes[level] = files.iter().map(|f| f.size).sum();
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

        #[cfg(debug_assertions)]
        if let Err(e) = next.check_invariants() {
            panic!("apply produced a broken version: {e}");
        }
        Ok(next)
    }

    /// Number of levels, L0 included.
    pub fn num_levels(&self) -> usize {
        self.levels.len()
    }

    /// The files of `level` (L0 newest first, L1+ by key); empty for a level
    /// out of range.
    pub fn files(&self, level: usize) -> &[Arc<FileMeta>] {
        self.levels.get(level).map_or(&[], Vec::as_slice)
    }

    /// Total size of `level`'s files in bytes.
    pub fn level_bytes(&self, level: usize) -> u64 {
        self.level_bytes.get(level).copied().unwrap_or(0)
    }

    /// Total size of every file in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.level_bytes.iter().sum()
    }

    /// Number of files in the tree.
    pub fn total_files(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// Files of `level` whose user-key range meets `[lo, hi]` (inclusive), in
    /// the level's order. Binary search on L1+.
    pub fn overlapping_files(&self, level: usize, lo: &[u8], hi: &[u8]) -> Vec<Arc<FileMeta>> {
        let files = self.files(level);
        if level == 0 {
            return files
                .iter()
                .filter(|f| f.overlaps(lo, hi))
                .cloned()
                .collect();
        }
        let start = files.partition_point(|f| f.largest_user_key() < lo);
        files[start..]
            .iter()
            .take_while(|f| f.smallest_user_key() <= hi)
            .cloned()
            .collect()
    }

    /// The file of `level` whose range holds `user_key`, by binary search.
    /// Only meaningful for L1+ (where at most one file can hold a key);
    /// `None` for L0 and for levels out of range.
    pub fn file_for_key(&self, level: usize, user_key: &[u8]) -> Option<&Arc<FileMeta>> {
        if level == 0 {
            return None;
        }
        let files = self.files(level);
        let i = files.partition_point(|f| f.largest_user_key() < user_key);
        files.get(i).filter(|f| f.smallest_user_key() <= user_key)
    }

    /// Sorted runs a point lookup may consult: each L0 file, plus each
    /// non-empty level below.
    pub fn sorted_runs(&self) -> usize {
        self.files(0).len() + self.levels.iter().skip(1).filter(|l| !l.is_empty()).count()
    }

    /// Every file number in the tree, ascending.
    pub fn all_file_numbers(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.levels.iter().flatten().map(|f| f.number).collect();
        v.sort_unstable();
        v
    }

    /// The round-robin compaction cursor of `level`, if one was set.
    pub fn cursor(&self, level: usize) -> Option<&[u8]> {
        self.compaction_cursors.get(level)?.as_deref()
    }

    /// Verifies the version's invariants: L0 order, L1+ sorted and
    /// non-overlapping, no file number twice, level sizes add up, every
    /// file's own metadata consistent, cursors parseable.
    pub fn check_invariants(&self) -> Result<()> {
        let mut seen = HashSet::new();
        for (level, files) in self.levels.iter().enumerate() {
            for f in files {
                check_file(f)?;
                if !seen.insert(f.number) {
                    return Err(invalid(format!(
                        "file {} appears twice",
                        number_str(f.number)
                    )));
                }
            }
            let sorted = files.windows(2).all(|w| {
                if level == 0 {
                    l0_order(&w[0], &w[1]) != Ordering::Greater
                } else {
                    compare_internal(&w[0].smallest, &w[1].smallest) == Ordering::Less
                }
            });
            if !sorted {
                return Err(invalid(format!("L{level} files are out of order")));
            }
            if level > 0 {
                if let Some((a, b)) = first_overlap(files) {
                    return Err(invalid(format!(
                        "L{level} files {} and {} have overlapping ranges",
                        number_str(a.number),
                        number_str(b.number)
                    )));
                }
            }
            let sum: u64 = files.iter().map(|f| f.size).sum();
            if sum != self.level_bytes[level] {
                return Err(invalid(format!(
                    "L{level} files add up to {sum} bytes, but the level records {}",
                    self.level_bytes[level]
                )));
            }
            if let Some(c) = &self.compaction_cursors[level] {
                if key::parse_internal_key(c).is_none() {
                    return Err(invalid(format!("L{level} cursor is not an internal key")));
                }
            }
        }
        Ok(())
    }

    /// An edit that rebuilds this version from an empty one (files and
    /// cursors; no counters). A fresh manifest starts with it.
    pub fn snapshot_edit(&self) -> VersionEdit {
        let mut edit = VersionEdit::new();
        for (level, files) in self.levels.iter().enumerate() {
            for f in files {
                edit.add_file(level, FileMeta::clone(f));
            }
        }
        for (level, c) in self.compaction_cursors.iter().enumerate() {
            if let Some(c) = c {
                edit.set_cursor(level, c.clone());
            }
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
        assert_eq!(ver.file_for_key(2, b"f").map(|f| f.number), Some(5));
        assert_eq!(ver.file_for_key(2, b"h"), None);
        assert_eq!(ver.file_for_key(2, b"zz"), None);
        assert_eq!(ver.file_for_key(0, b"b"), None);
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
            "invalid argument: L1 files 000001 and 000004 have overlapping ranges"
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
        ver.level_bytes[1] = 5;
        assert!(ver
            .check_invariants()
            .unwrap_err()
            .to_string()
            .contains("add up to 6"));
        ver.level_bytes[1] = 6;
        ver.levels[1].swap(0, 1);
        assert!(ver
            .check_invariants()
            .unwrap_err()
            .to_string()
            .contains("out of order"));
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
