//! lsmlab's picker on RocksDB's own trees. RocksDB's MANIFEST records every
//! tree its replay went through; before each of its compactions and trivial
//! moves, the tree is rebuilt as an lsmlab version and the run's policy is
//! asked what it would pick. Agreement says the two engines' rules choose
//! alike on the same tree, whatever their trees went on to become (a tree's
//! later shape follows from exact file sizes, which differ by a few bytes
//! between the engines' table formats).
//!
//! Input: the text `ldb manifest_dump --verbose --hex` prints for each
//! MANIFEST the replay wrote, oldest first (a reopened database starts a new
//! MANIFEST with a snapshot of the tree). Only column family 0 is read: the
//! peer's replay writes there.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use lsmlab_engine::compaction::{Job, PickContext};
use lsmlab_engine::key::{self, ValueKind};
use lsmlab_engine::version::{FileMeta, Version, VersionEdit};
use lsmlab_engine::Options;
use lsmlab_workloads::parse_hex_key;

/// One table as a MANIFEST adds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFile {
    pub level: usize,
    pub number: u64,
    pub size: u64,
    pub smallest_user_key: Vec<u8>,
    pub smallest_seq: u64,
    pub largest_user_key: Vec<u8>,
    pub largest_seq: u64,
}

/// One version edit of column family 0 that adds or deletes tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestEdit {
    pub added: Vec<ManifestFile>,
    pub deleted: Vec<(usize, u64)>,
    /// kRoundRobin's compaction cursors the edit sets: level, user key,
    /// sequence number, RocksDB value type.
    pub cursors: Vec<(usize, Vec<u8>, u64, u8)>,
    /// The edit opens a MANIFEST: the tree restarts from its additions.
    pub starts_manifest: bool,
}

/// The edits of one MANIFEST dump, in order. Errors name the line.
pub fn parse_dump(text: &str) -> Result<Vec<ManifestEdit>, String> {
    let mut edits = Vec::new();
    let mut current: Option<(ManifestEdit, u32)> = None;
    let mut first = true;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let n = i + 1;
        if line.starts_with("VersionEdit {") {
            current = Some((ManifestEdit::default(), 0));
        } else if line == "}" {
            if let Some((mut e, cf)) = current.take() {
                if cf == 0 && (!e.added.is_empty() || !e.deleted.is_empty()) {
                    e.starts_manifest = first;
                    first = false;
                    edits.push(e);
                }
            }
        } else if let Some((e, cf)) = current.as_mut() {
            if let Some(rest) = line.strip_prefix("AddFile: ") {
                e.added
                    .push(parse_add(rest).map_err(|r| format!("line {n}: AddFile: {r}"))?);
            } else if let Some(rest) = line.strip_prefix("DeleteFile: ") {
                let mut it = rest.split_whitespace().map(str::parse::<u64>);
                match (it.next(), it.next()) {
                    (Some(Ok(level)), Some(Ok(number))) => e.deleted.push((level as usize, number)),
                    _ => return Err(format!("line {n}: DeleteFile: want `LEVEL NUMBER`")),
                }
            } else if let Some(rest) = line.strip_prefix("CompactCursor: ") {
                e.cursors
                    .push(parse_cursor(rest).map_err(|r| format!("line {n}: CompactCursor: {r}"))?);
            } else if let Some(rest) = line.strip_prefix("ColumnFamily: ") {
                *cf = rest
                    .trim()
                    .parse()
                    .map_err(|_| format!("line {n}: ColumnFamily: not a number"))?;
            }
        }
    }
    Ok(edits)
}

/// `LEVEL NUMBER SIZE 'HEX' seq:S, type:T .. 'HEX' seq:S, type:T ...`
fn parse_add(rest: &str) -> Result<ManifestFile, String> {
    let mut words = rest.split_whitespace();
    let mut num = |what: &str| -> Result<u64, String> {
        words
            .next()
            .and_then(|w| w.parse().ok())
            .ok_or_else(|| format!("want the {what}"))
    };
    let level = num("level")? as usize;
    let number = num("file number")?;
    let size = num("file size")?;
    let mut keys = rest.split('\'').skip(1).step_by(2);
    let mut seqs = rest.split("seq:").skip(1).map(|s| {
        s.split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|d| d.parse::<u64>().ok())
    });
    let mut key = || -> Result<(Vec<u8>, u64), String> {
        let hex = keys.next().ok_or("want a quoted hex key")?;
        let seq = seqs.next().flatten().ok_or("want `seq:N` after a key")?;
        let key = parse_hex_key(hex).map_err(|e| format!("{e} (dump with --hex)"))?;
        Ok((key, seq))
    };
    let (smallest_user_key, smallest_seq) = key()?;
    let (largest_user_key, largest_seq) = key()?;
    Ok(ManifestFile {
        level,
        number,
        size,
        smallest_user_key,
        smallest_seq,
        largest_user_key,
        largest_seq,
    })
}

/// `LEVEL 'HEX' seq:S, type:T`
fn parse_cursor(rest: &str) -> Result<(usize, Vec<u8>, u64, u8), String> {
    let level = rest
        .split_whitespace()
        .next()
        .and_then(|w| w.parse().ok())
        .ok_or("want the level")?;
    let hex = rest.split('\'').nth(1).ok_or("want a quoted hex key")?;
    let key = parse_hex_key(hex).map_err(|e| format!("{e} (dump with --hex)"))?;
    let field = |name: &str| {
        rest.split(name)
            .nth(1)
            .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|d| d.parse::<u64>().ok())
    };
    let seq = field("seq:").ok_or("want `seq:N`")?;
    let kind = field("type:").ok_or("want `type:N`")?;
    Ok((level, key, seq, kind as u8))
}

/// RocksDB's value type as lsmlab's kind (deletion, merge, else a value).
fn kind_of(rocksdb_type: u8) -> ValueKind {
    match rocksdb_type {
        0 | 7 => ValueKind::Tombstone,
        2 => ValueKind::Merge,
        _ => ValueKind::Value,
    }
}

/// How often lsmlab's policy picked what RocksDB picked, on RocksDB's trees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PickCheck {
    /// RocksDB's compactions and moves checked.
    pub checked: u64,
    /// Those lsmlab picked alike: the same input files, the same output
    /// level.
    pub agreed: u64,
    /// Picks that differ only by newer L0 files lsmlab also took: tables a
    /// flush installed after RocksDB picked (its picker ran on a tree the
    /// MANIFEST never held), not a rule.
    pub flushed_between: u64,
    /// One line per difference: RocksDB's job and lsmlab's pick.
    pub differences: Vec<String>,
}

/// A RocksDB table as an lsmlab file (entry counts unknown: 0, so no
/// deletion compensation).
fn file_meta(f: &ManifestFile) -> FileMeta {
    let mut smallest = Vec::new();
    key::append_internal_key(
        &mut smallest,
        &f.smallest_user_key,
        f.smallest_seq,
        ValueKind::Value,
    );
    let mut largest = Vec::new();
    key::append_internal_key(
        &mut largest,
        &f.largest_user_key,
        f.largest_seq,
        ValueKind::Value,
    );
    FileMeta::from_bounds(
        f.number,
        f.size,
        smallest,
        largest,
        (
            f.smallest_seq.min(f.largest_seq),
            f.smallest_seq.max(f.largest_seq),
        ),
    )
}

/// A job as `L1 [000030] + L2 [000041 000042] -> L2`: its input files by
/// level and its output level.
fn describe(inputs: &[(usize, u64)], output_level: Option<usize>) -> String {
    let mut levels: Vec<usize> = inputs.iter().map(|&(l, _)| l).collect();
    levels.sort_unstable();
    levels.dedup();
    let mut s = String::new();
    for (i, level) in levels.iter().enumerate() {
        let mut files: Vec<u64> = inputs
            .iter()
            .filter(|&&(l, _)| l == *level)
            .map(|&(_, n)| n)
            .collect();
        files.sort_unstable();
        let files: Vec<String> = files.iter().map(|n| format!("{n:06}")).collect();
        let _ = write!(
            s,
            "{}L{level} [{}]",
            if i > 0 { " + " } else { "" },
            files.join(" ")
        );
    }
    if let Some(l) = output_level {
        let _ = write!(s, " -> L{l}");
    }
    s
}

fn job_inputs(job: &Job) -> Vec<(usize, u64)> {
    job.input_files().map(|(l, f)| (l, f.number)).collect()
}

/// When RocksDB ran and installed its jobs, from its info LOGs (oldest
/// first): what places each MANIFEST edit in time, so that a pick is checked
/// on the tree RocksDB's picker saw (a flush or another compaction may be
/// installed between a pick and its own install) with the tables running
/// compactions held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timing {
    /// Tables a flush wrote: when the flush was installed.
    pub flushed: HashMap<u64, u64>,
    /// Compactions: input tables (ascending), start and finish times.
    pub compactions: Vec<(Vec<u64>, u64, u64)>,
    /// Tables a trivial move moved: when.
    pub moved: HashMap<u64, u64>,
}

impl Timing {
    /// Reads `flush_started`, `table_file_creation`, `flush_finished`,
    /// `compaction_started`, `compaction_finished`, `trivial_move` events
    /// and the `Moving #N` lines before each move (job ids restart with
    /// each LOG). Lines it cannot read are left out: a job without a time
    /// is checked on the tree just before its edit.
    pub fn from_logs<'a>(logs: impl IntoIterator<Item = &'a str>) -> Timing {
        let mut t = Timing::default();
        for text in logs {
            let mut flush_files: HashMap<u64, Vec<u64>> = HashMap::new();
            let mut flush_jobs = HashSet::new();
            let mut started: HashMap<u64, (Vec<u64>, u64)> = HashMap::new();
            let mut moving = Vec::new();
            for line in text.lines() {
                if let Some(rest) = line.split_once("Moving #").map(|(_, r)| r) {
                    if let Some(n) = rest.split_whitespace().next().and_then(|n| n.parse().ok()) {
                        moving.push(n);
                    }
                    continue;
                }
                let Some((_, json)) = line.split_once("EVENT_LOG_v1 ") else {
                    continue;
                };
                let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
                    continue;
                };
                let num = |k: &str| v.get(k).and_then(serde_json::Value::as_u64);
                let (Some(job), Some(time)) = (num("job"), num("time_micros")) else {
                    continue;
                };
                match v.get("event").and_then(serde_json::Value::as_str) {
                    Some("flush_started") => {
                        flush_jobs.insert(job);
                    }
                    Some("table_file_creation") if flush_jobs.contains(&job) => {
                        flush_files
                            .entry(job)
                            .or_default()
                            .extend(num("file_number"));
                    }
                    Some("flush_finished") => {
                        for f in flush_files.remove(&job).unwrap_or_default() {
                            t.flushed.insert(f, time);
                        }
                    }
                    Some("compaction_started") => {
                        let mut inputs: Vec<u64> =
                            super::table_bytes_log::input_files(&v).collect();
                        inputs.sort_unstable();
                        started.insert(job, (inputs, time));
                    }
                    Some("compaction_finished") => {
                        if let Some((inputs, start)) = started.remove(&job) {
                            t.compactions.push((inputs, start, time));
                        }
                    }
                    Some("trivial_move") => {
                        for n in moving.drain(..) {
                            t.moved.insert(n, time);
                        }
                    }
                    _ => {}
                }
            }
        }
        t
    }

    /// The compaction whose inputs are exactly `files` (ascending), if the
    /// LOGs name one: (start, finish).
    fn compaction(&self, files: &[u64]) -> Option<(u64, u64)> {
        self.compactions
            .iter()
            .rev()
            .find(|(inputs, _, _)| inputs.as_slice() == files)
            .map(|&(_, s, f)| (s, f))
    }

    /// When `e` was installed, if the LOGs tell: a flush's tables, a
    /// compaction's inputs, a move's tables.
    fn installed(&self, e: &ManifestEdit) -> Option<u64> {
        let mut numbers: Vec<u64> = e.deleted.iter().map(|&(_, n)| n).collect();
        numbers.sort_unstable();
        if numbers.is_empty() {
            return e
                .added
                .iter()
                .map(|f| self.flushed.get(&f.number).copied())
                .max()
                .flatten();
        }
        let moved = e
            .added
            .iter()
            .any(|f| numbers.binary_search(&f.number).is_ok());
        if moved {
            return numbers
                .iter()
                .map(|n| self.moved.get(n).copied())
                .max()
                .flatten();
        }
        self.compaction(&numbers).map(|(_, finish)| finish)
    }
}

/// Replays `edits` (every MANIFEST of one RocksDB run, oldest first) and asks
/// `options`' policy for its pick before each edit that deletes tables: on
/// the tree RocksDB's picker saw when `timing` places the job (the edits
/// installed before it started, the inputs of compactions running then
/// held), else on the tree just before the edit.
/// Errors: an edit that does not apply to the tree before it.
pub fn check_picks(
    edits: &[ManifestEdit],
    options: &Options,
    timing: Option<&Timing>,
) -> Result<PickCheck, String> {
    let strategy = (options.compaction.policy.build)(&options.compaction);
    // versions[i]: the tree after the first i edits.
    let mut versions = vec![Version::new(options.num_levels)];
    for (k, e) in edits.iter().enumerate() {
        let before = if e.starts_manifest {
            Version::new(options.num_levels)
        } else {
            versions[k].clone()
        };
        let mut edit = VersionEdit::new();
        for &(level, number) in &e.deleted {
            edit.delete_file(level, number);
        }
        for f in &e.added {
            edit.add_file(f.level, file_meta(f));
        }
        for (level, user_key, seq, kind) in &e.cursors {
            let mut ik = Vec::new();
            key::append_internal_key(&mut ik, user_key, *seq, kind_of(*kind));
            edit.set_cursor(*level, ik);
        }
        let after = before
            .apply(&edit)
            .map_err(|err| format!("RocksDB's MANIFEST edit {} does not apply: {err}", k + 1))?;
        versions.push(after);
    }
    let installed: Vec<Option<u64>> = edits
        .iter()
        .map(|e| timing.and_then(|t| t.installed(e)))
        .collect();
    let mut check = PickCheck::default();
    let mut last_level = None;
    for (j, e) in edits.iter().enumerate() {
        if e.deleted.is_empty() {
            continue;
        }
        let mut theirs = e.deleted.clone();
        theirs.sort_unstable();
        let mut numbers: Vec<u64> = theirs.iter().map(|&(_, n)| n).collect();
        numbers.sort_unstable();
        // When RocksDB picked: a compaction's start; a move is picked and
        // installed at once.
        let picked_at = timing.and_then(|t| match t.compaction(&numbers) {
            Some((start, _)) => Some(start),
            None => installed[j],
        });
        // The tree then: without the edits installed after it.
        let mut at = j;
        if let Some(p) = picked_at {
            while at > 0 && !edits[at].starts_manifest && installed[at - 1].is_some_and(|t| t > p) {
                at -= 1;
            }
        }
        let busy: HashSet<u64> = match (timing, picked_at) {
            (Some(t), Some(p)) => t
                .compactions
                .iter()
                .filter(|(inputs, s, f)| *s < p && *f > p && inputs != &numbers)
                .flat_map(|(inputs, _, _)| inputs.iter().copied())
                .collect(),
            _ => HashSet::new(),
        };
        let ctx = PickContext {
            options,
            busy: &busy,
            now_ms: 0,
            last_level,
            oldest_snapshot: None,
        };
        let out_level = e.added.iter().map(|f| f.level).max();
        let rocksdb = describe(&theirs, out_level);
        let ours = strategy.pick(&versions[at], &ctx);
        let agreed = ours.as_ref().is_some_and(|job| {
            let mut mine = job_inputs(job);
            mine.sort_unstable();
            mine == theirs && (out_level.is_none() || out_level == Some(job.output_level))
        });
        // lsmlab took RocksDB's files and L0 files newer than any of
        // RocksDB's L0 inputs: a flush landed between RocksDB's pick and its
        // install (when the LOGs did not place the pick).
        let flushed_between = !agreed
            && ours.as_ref().is_some_and(|job| {
                let mine = job_inputs(job);
                let newest_theirs = theirs.iter().filter(|f| f.0 == 0).map(|f| f.1).max();
                newest_theirs.is_some()
                    && theirs.iter().all(|f| mine.contains(f))
                    && mine
                        .iter()
                        .filter(|f| !theirs.contains(f))
                        .all(|&(l, n)| l == 0 && newest_theirs.is_some_and(|newest| n > newest))
                    && out_level == Some(job.output_level)
            });
        check.checked += 1;
        if agreed {
            check.agreed += 1;
        } else if flushed_between {
            check.flushed_between += 1;
        } else {
            let lsmlab = match &ours {
                Some(job) => describe(&job_inputs(job), Some(job.output_level)),
                None => "no job".into(),
            };
            check.differences.push(format!(
                "edit {}: RocksDB {rocksdb}; lsmlab {lsmlab}",
                j + 1
            ));
        }
        last_level = theirs.first().map(|&(l, _)| l);
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dump in `ldb manifest_dump --verbose --hex`'s shape: two flushes
    /// and a third into column family 1, then an L0->L1 compaction of the
    /// first two.
    const DUMP: &str = "\
VersionEdit {
  Comparator: leveldb.BytewiseComparator
  ColumnFamily: 0
}
VersionEdit {
  LogNumber: 10
  AddFile: 0 11 3000 '61' seq:5, type:1 .. '7A' seq:3, type:1 oldest_ancester_time:1 file_creation_time:1 file_checksum: file_checksum_func_name: Unknown
  ColumnFamily: 0
}
VersionEdit {
  AddFile: 0 13 3000 '62' seq:9, type:1 .. '79' seq:7, type:1 oldest_ancester_time:1
  ColumnFamily: 0
}
VersionEdit {
  AddFile: 0 14 3000 '62' seq:9, type:1 .. '79' seq:7, type:1
  ColumnFamily: 1
}
VersionEdit {
  CompactCursor: 1 '6D' seq:72057594037927935, type:1
  DeleteFile: 0 11
  DeleteFile: 0 13
  AddFile: 1 15 5000 '61' seq:0, type:1 .. '7A' seq:0, type:1
  ColumnFamily: 0
}
";

    #[test]
    fn reads_column_family_zero_edits_with_their_tables() {
        let edits = parse_dump(DUMP).unwrap();
        assert_eq!(edits.len(), 3, "{edits:?}");
        assert!(edits[0].starts_manifest && !edits[1].starts_manifest);
        assert_eq!(
            edits[0].added[0],
            ManifestFile {
                level: 0,
                number: 11,
                size: 3000,
                smallest_user_key: b"a".to_vec(),
                smallest_seq: 5,
                largest_user_key: b"z".to_vec(),
                largest_seq: 3,
            }
        );
        assert_eq!(edits[2].deleted, vec![(0, 11), (0, 13)]);
        assert_eq!(
            edits[2].cursors,
            vec![(1, b"m".to_vec(), 72057594037927935, 1)]
        );
        assert_eq!(edits[2].added[0].level, 1);
    }

    #[test]
    fn bad_lines_are_errors_naming_the_line() {
        let e = parse_dump("VersionEdit {\n  DeleteFile: x 3\n}\n").unwrap_err();
        assert!(e.starts_with("line 2: DeleteFile"), "{e}");
        let e =
            parse_dump("VersionEdit {\n  AddFile: 0 1 10 'zz' seq:1, type:1 .. '7A' seq:1\n}\n")
                .unwrap_err();
        assert!(e.contains("line 2") && e.contains("not hex"), "{e}");
    }

    fn options(policy: &str, l0: &str) -> Options {
        let mut o = Options::default();
        o.set("policy", policy).unwrap();
        o.set("l0_file_limit", l0).unwrap();
        o
    }

    #[test]
    fn the_same_rule_agrees_and_another_rule_is_a_named_difference() {
        let edits = parse_dump(DUMP).unwrap();
        // Two L0 files at a trigger of 2: leveled merges both into L1.
        let same = check_picks(&edits, &options("leveled", "2"), None).unwrap();
        assert_eq!((same.checked, same.agreed), (1, 1), "{same:?}");
        // At a trigger of 4 it picks nothing there.
        let other = check_picks(&edits, &options("leveled", "4"), None).unwrap();
        assert_eq!((other.checked, other.agreed), (1, 0));
        assert_eq!(
            other.differences,
            vec!["edit 3: RocksDB L0 [000011 000013] -> L1; lsmlab no job"]
        );
    }

    /// The dump's edits with a flush of 000016 installed between the
    /// flushes and the merge of 000011 and 000013: the tree before the
    /// merge's edit holds three L0 files.
    fn flush_during_the_merge() -> Vec<ManifestEdit> {
        let mut edits = parse_dump(DUMP).unwrap();
        let flushed = ManifestEdit {
            added: vec![ManifestFile {
                number: 16,
                smallest_seq: 20,
                largest_seq: 21,
                ..edits[1].added[0].clone()
            }],
            ..ManifestEdit::default()
        };
        edits.insert(2, flushed);
        edits
    }

    #[test]
    fn a_flush_installed_between_rocksdbs_pick_and_install_is_told_apart() {
        // Without the LOG's times the pick is made on the three-file tree.
        let edits = flush_during_the_merge();
        let c = check_picks(&edits, &options("leveled", "2"), None).unwrap();
        assert_eq!((c.checked, c.agreed, c.flushed_between), (1, 0, 1), "{c:?}");
        assert!(c.differences.is_empty());
    }

    /// RocksDB's LOG lines for the dump's jobs: flushes of 000011 and
    /// 000013, a flush of 000016 that finished while the L0->L1 compaction
    /// of 000011 and 000013 ran.
    const LOG: &str = r#"
x EVENT_LOG_v1 {"time_micros": 100, "job": 2, "event": "flush_started"}
x EVENT_LOG_v1 {"time_micros": 101, "job": 2, "event": "table_file_creation", "file_number": 11}
x EVENT_LOG_v1 {"time_micros": 102, "job": 2, "event": "flush_finished"}
x EVENT_LOG_v1 {"time_micros": 200, "job": 3, "event": "flush_started"}
x EVENT_LOG_v1 {"time_micros": 201, "job": 3, "event": "table_file_creation", "file_number": 13}
x EVENT_LOG_v1 {"time_micros": 202, "job": 3, "event": "flush_finished"}
x EVENT_LOG_v1 {"time_micros": 300, "job": 4, "event": "compaction_started", "files_L0": [13, 11]}
x EVENT_LOG_v1 {"time_micros": 310, "job": 5, "event": "flush_started"}
x EVENT_LOG_v1 {"time_micros": 311, "job": 5, "event": "table_file_creation", "file_number": 16}
x EVENT_LOG_v1 {"time_micros": 312, "job": 5, "event": "flush_finished"}
x EVENT_LOG_v1 {"time_micros": 400, "job": 4, "event": "compaction_finished"}
"#;

    #[test]
    fn the_logs_place_each_pick_on_the_tree_rocksdb_saw() {
        let t = Timing::from_logs([LOG]);
        assert_eq!(t.flushed.get(&16), Some(&312));
        assert_eq!(t.compactions, vec![(vec![11, 13], 300, 400)]);
        let edits = flush_during_the_merge();
        // Placed by the LOG, the pick sees two L0 files, as RocksDB's did:
        // it agrees outright.
        let c = check_picks(&edits, &options("leveled", "2"), Some(&t)).unwrap();
        assert_eq!((c.checked, c.agreed, c.flushed_between), (1, 1, 0), "{c:?}");
        // A compaction running then holds its tables: with 000011 held,
        // lsmlab's L0->L1 pick cannot run.
        let mut held = t.clone();
        held.compactions.push((vec![11, 99], 250, 350));
        let c = check_picks(&edits, &options("leveled", "2"), Some(&held)).unwrap();
        assert_eq!((c.checked, c.agreed), (1, 0), "{c:?}");
    }

    #[test]
    fn an_edit_deleting_a_table_the_tree_lacks_is_an_error() {
        let mut edits = parse_dump(DUMP).unwrap();
        edits[2].deleted.push((1, 99));
        let e = check_picks(&edits, &options("leveled", "2"), None).unwrap_err();
        assert!(e.contains("edit 3 does not apply"), "{e}");
    }
}
