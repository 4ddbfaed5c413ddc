//! The text form of versions and edits used by every data-driven test that
//! describes a tree (pickers, edits, the manifest): one parser and one
//! printer, each the exact inverse of the other for canonical text.
//!
//! A version, level by level, each level's sorted runs newest first:
//!
//! ```text
//! L0
//!   000007: a#20 .. c#25 size=2048
//!   run 000005
//!     000005: a#12 .. c#15 size=2048
//!     000006: d#12 .. f#15 size=2048
//!   000004: b#8 .. f#11 size=4096 tombstones=10
//! L1 cursor=d#3
//!   000002: a#1 .. m#4 size=1MiB
//!   000003: n#1 .. q#4 size=1MiB
//! ```
//!
//! A `run NNNNNN` line opens a sorted run of that id; its files follow,
//! indented further. Files written directly under a level are shorthand: in
//! L0 each is a run of its own (id = its number), in L1 and deeper they form
//! the level's one run (id = the smallest of their numbers). The printer
//! uses the shorthand wherever it describes the run exactly.
//!
//! Keys are `user_key#seq` (a value), `user_key#seq,DEL` (a tombstone) or
//! `user_key#seq,EXP` (a value with expiry). User-key bytes outside printable
//! ASCII, and `#`, `\` and space, are written `\xNN`.
//!
//! File attributes, each optional, printed in this order and only when they
//! differ from their default: `size=` (bytes, or a whole number of KiB, MiB
//! or GiB; default 0), `entries=` (default: the tombstone count),
//! `tombstones=` (default 0), `seqs=<lo>..<hi>` (default: the lower and
//! higher boundary sequence), `expiry=<ms>` (latest expiry; default none),
//! `time=<oldest>..<newest>` (ms; default 0..0), `marked=deletions,tombstone_dense`
//! (marks for compaction; default none), `created=<ms>` (when the file was
//! written; default unknown), `kept_for_snapshots=true` (entries only a
//! snapshot needed; default false), `narrowed=true` (the file's part below
//! its smallest key was merged away by an incremental compaction; default
//! false).
//!
//! An edit, one change per line:
//!
//! ```text
//! delete L0 000005
//! add L1 000005: a#12 .. c#15 size=2048
//! add L0 run=000009 000010: a#12 .. c#15
//! cursor L1 d#3
//! cursor L2 (none)
//! next_file_number 9
//! last_sequence 40
//! log_number 3
//! ```

use std::fmt::Write as _;

use crate::error::{Error, Result};
use crate::key::{self, ValueKind, MAX_SEQ};

use super::{FileMeta, SortedRun, Version, VersionEdit};

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

fn needs_escape(b: u8) -> bool {
    !(0x21..=0x7e).contains(&b) || b == b'#' || b == b'\\'
}

/// The text form of an internal key (`a#12`, `a#12,DEL`, `a#12,EXP`).
/// Bytes that are not an internal key print as `?` followed by hex.
pub fn format_key(ikey: &[u8]) -> String {
    let Some(p) = key::parse_internal_key(ikey) else {
        return ikey.iter().fold("?".to_string(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
    };
    let mut s = format_user_key(p.user_key);
    let _ = write!(s, "#{}", p.seq);
    match p.kind {
        ValueKind::Value => {}
        ValueKind::Tombstone => s.push_str(",DEL"),
        ValueKind::ValueWithExpiry => s.push_str(",EXP"),
        ValueKind::RangeDelete => s.push_str(",RANGEDEL"),
        ValueKind::Merge => s.push_str(",MERGE"),
        ValueKind::BlobIndex => s.push_str(",BLOB"),
    }
    s
}

/// Parses the text form of an internal key.
pub fn parse_key(text: &str) -> Result<Vec<u8>, String> {
    let (user, rest) = text
        .rsplit_once('#')
        .ok_or_else(|| format!("key `{text}` has no `#seq`"))?;
    let (seq, kind) = match rest.split_once(',') {
        None => (rest, ValueKind::Value),
        Some((seq, "DEL")) => (seq, ValueKind::Tombstone),
        Some((seq, "EXP")) => (seq, ValueKind::ValueWithExpiry),
        Some((seq, "RANGEDEL")) => (seq, ValueKind::RangeDelete),
        Some((seq, "MERGE")) => (seq, ValueKind::Merge),
        Some((seq, "BLOB")) => (seq, ValueKind::BlobIndex),
        Some((_, k)) => {
            return Err(format!(
                "key `{text}` has unknown kind `{k}` (DEL, EXP, MERGE, RANGEDEL, BLOB)"
            ))
        }
    };
    let seq: u64 = seq
        .parse()
        .ok()
        .filter(|&s| s <= MAX_SEQ)
        .ok_or_else(|| format!("key `{text}` has a bad sequence number"))?;
    let uk =
        parse_user_key(user).ok_or_else(|| format!("key `{text}` has a bad escape (\\xNN)"))?;
    Ok(key::internal_key(&uk, seq, kind))
}

/// The text form of a user key: printable bytes as they are, others (and
/// `#`, `\`) as `\xNN`.
pub fn format_user_key(user_key: &[u8]) -> String {
    let mut s = String::with_capacity(user_key.len() + 8);
    for &b in user_key {
        if needs_escape(b) {
            let _ = write!(s, "\\x{b:02x}");
        } else {
            s.push(b as char);
        }
    }
    s
}

/// Parses the text form of a user key; `None` for a bad `\xNN` escape.
pub fn parse_user_key(text: &str) -> Option<Vec<u8>> {
    let mut uk = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let hex = text
                .get(i + 1..i + 4)
                .and_then(|h| h.strip_prefix('x'))
                .and_then(|h| u8::from_str_radix(h, 16).ok())?;
            uk.push(hex);
            i += 4;
        } else {
            uk.push(bytes[i]);
            i += 1;
        }
    }
    Some(uk)
}

/// `2048`, `1MiB`, `3GiB`: whole MiB and GiB print with their unit.
pub fn format_size(bytes: u64) -> String {
    if bytes >= GIB && bytes & (GIB - 1) == 0 {
        format!("{}GiB", bytes / GIB)
    } else if bytes >= MIB && bytes & (MIB - 1) == 0 {
        format!("{}MiB", bytes / MIB)
    } else {
        bytes.to_string()
    }
}

/// Parses a byte count with an optional `KiB`, `MiB` or `GiB` suffix.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, unit) = [("GiB", GIB), ("MiB", MIB), ("KiB", KIB)]
        .into_iter()
        .find_map(|(suffix, unit)| text.strip_suffix(suffix).map(|d| (d, unit)))
        .unwrap_or((text, 1));
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(|| format!("bad size `{text}`"))
}

fn parse_range(text: &str, what: &str) -> Result<(u64, u64), String> {
    let bad = || format!("bad {what} `{text}` (want <lo>..<hi>)");
    let (lo, hi) = text.split_once("..").ok_or_else(bad)?;
    Ok((
        lo.parse().map_err(|_| bad())?,
        hi.parse().map_err(|_| bad())?,
    ))
}

fn boundary_seqs(f: &FileMeta) -> (u64, u64) {
    let seq = |k: &[u8]| key::parse_internal_key(k).map_or(0, |p| p.seq);
    let (a, b) = (seq(&f.smallest), seq(&f.largest));
    (a.min(b), a.max(b))
}

/// One file in fixture form: `000005: a#12 .. c#15 size=2048 ...`.
pub fn format_file(f: &FileMeta) -> String {
    let mut s = format!(
        "{:06}: {} .. {}",
        f.number,
        format_key(&f.smallest),
        format_key(&f.largest)
    );
    if f.size != 0 {
        let _ = write!(s, " size={}", format_size(f.size));
    }
    if f.entries != f.tombstones {
        let _ = write!(s, " entries={}", f.entries);
    }
    if f.tombstones != 0 {
        let _ = write!(s, " tombstones={}", f.tombstones);
    }
    if (f.smallest_seq, f.largest_seq) != boundary_seqs(f) {
        let _ = write!(s, " seqs={}..{}", f.smallest_seq, f.largest_seq);
    }
    if let Some(t) = f.max_expiry_ms {
        let _ = write!(s, " expiry={t}");
    }
    if (f.oldest_time_ms, f.newest_time_ms) != (0, 0) {
        let _ = write!(s, " time={}..{}", f.oldest_time_ms, f.newest_time_ms);
    }
    if f.marks.any() {
        let names: Vec<&str> = [
            (f.marks.deletions, "deletions"),
            (f.marks.tombstone_dense, "tombstone_dense"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        let _ = write!(s, " marked={}", names.join(","));
    }
    if let Some(t) = f.created_ms {
        let _ = write!(s, " created={t}");
    }
    if f.kept_for_snapshots {
        s.push_str(" kept_for_snapshots=true");
    }
    if let Some(t) = f.oldest_tombstone_ms {
        let _ = write!(s, " tombstone_time={t}");
    }
    if f.narrowed {
        s.push_str(" narrowed=true");
    }
    s
}

/// Parses one file in fixture form (see [`format_file`]).
pub fn parse_file(text: &str) -> Result<FileMeta, String> {
    let shape = "want `NNNNNN: <smallest> .. <largest> [attr=value ...]`";
    let mut tokens = text.split_whitespace();
    let (Some(num), Some(lo), Some(".."), Some(hi)) =
        (tokens.next(), tokens.next(), tokens.next(), tokens.next())
    else {
        return Err(shape.to_string());
    };
    let number = num
        .strip_suffix(':')
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| format!("bad file number `{num}`; {shape}"))?;
    let mut f = FileMeta::from_bounds(number, 0, parse_key(lo)?, parse_key(hi)?, (0, 0));
    (f.smallest_seq, f.largest_seq) = boundary_seqs(&f);
    let mut entries = None;
    let mut seen = Vec::new();
    for attr in tokens {
        let (name, value) = attr
            .split_once('=')
            .ok_or_else(|| format!("attribute `{attr}` is not name=value"))?;
        if seen.contains(&name) {
            return Err(format!("attribute `{name}` given twice"));
        }
        seen.push(name);
        let count = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("bad {name} `{value}`"))
        };
        match name {
            "size" => f.size = parse_size(value)?,
            "entries" => entries = Some(count()?),
            "tombstones" => f.tombstones = count()?,
            "seqs" => (f.smallest_seq, f.largest_seq) = parse_range(value, name)?,
            "expiry" => f.max_expiry_ms = Some(count()?),
            "time" => (f.oldest_time_ms, f.newest_time_ms) = parse_range(value, name)?,
            "marked" => {
                for mark in value.split(',') {
                    match mark {
                        "deletions" => f.marks.deletions = true,
                        "tombstone_dense" => f.marks.tombstone_dense = true,
                        _ => {
                            return Err(format!(
                                "unknown mark `{mark}` (deletions, tombstone_dense)"
                            ))
                        }
                    }
                }
            }
            "created" => f.created_ms = Some(count()?),
            "tombstone_time" => f.oldest_tombstone_ms = Some(count()?),
            "kept_for_snapshots" => {
                f.kept_for_snapshots = value
                    .parse()
                    .map_err(|_| format!("bad kept_for_snapshots `{value}` (true, false)"))?
            }
            "narrowed" => {
                f.narrowed = value
                    .parse()
                    .map_err(|_| format!("bad narrowed `{value}` (true, false)"))?
            }
            _ => {
                return Err(format!(
                    "unknown attribute `{name}` (size, entries, tombstones, seqs, expiry, \
                     time, marked, created, kept_for_snapshots, tombstone_time, narrowed)"
                ))
            }
        }
    }
    f.entries = entries.unwrap_or(f.tombstones);
    Ok(f)
}

/// The fixture text of a version: each non-empty level (or level with a
/// cursor) as a header line followed by its runs, indented two spaces (see
/// the module documentation for the shorthand). An empty version prints as
/// the empty string.
pub fn format_version(v: &Version) -> String {
    let mut s = String::new();
    for level in 0..v.num_levels() {
        let runs = v.runs(level);
        let cursor = v.cursor(level);
        if runs.is_empty() && cursor.is_none() {
            continue;
        }
        let _ = write!(s, "L{level}");
        if let Some(c) = cursor {
            let _ = write!(s, " cursor={}", format_key(c));
        }
        s.push('\n');
        let bare = |r: &SortedRun| {
            let smallest = r.files().iter().map(|f| f.number).min();
            if level == 0 {
                r.files().len() == 1 && smallest == Some(r.id())
            } else {
                runs.len() == 1 && smallest == Some(r.id())
            }
        };
        for run in runs {
            let indent = if bare(run) {
                "  "
            } else {
                let _ = writeln!(s, "  run {:06}", run.id());
                "    "
            };
            for f in run.files() {
                let _ = writeln!(s, "{indent}{}", format_file(f));
            }
        }
    }
    s
}

fn line_error(n: usize, line: &str, reason: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("line {n}: {reason}: `{}`", line.trim()))
}

fn parse_level(text: &str) -> Option<usize> {
    text.strip_prefix('L')?.parse().ok()
}

fn parse_run_id(text: &str) -> Option<u64> {
    text.parse().ok()
}

/// Parses a version of `num_levels` levels from fixture text, building it by
/// applying one edit to an empty version, so the text must describe a valid
/// tree. Malformed lines are errors naming the line (1-based) and its text;
/// an invalid tree is the error [`Version::apply`] gives.
pub fn parse_version(text: &str, num_levels: usize) -> Result<Version> {
    let mut edit = VersionEdit::new();
    let mut level = None;
    // The open `run` line: its indentation and id.
    let mut run: Option<(usize, u64)> = None;
    // Shorthand files under the current level, placed when the level ends.
    let mut bare: Vec<FileMeta> = Vec::new();
    let flush_bare = |edit: &mut VersionEdit, level: Option<usize>, bare: &mut Vec<FileMeta>| {
        let Some(l) = level else { return };
        let id = bare.iter().map(|f| f.number).min();
        for f in bare.drain(..) {
            let run = if l == 0 {
                f.number
            } else {
                id.expect("non-empty")
            };
            edit.add_file_to_run(l, run, f);
        }
    };
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let mut tokens = trimmed.split_whitespace();
        let first = tokens.next().unwrap_or_default();
        if let Some(l) = parse_level(first) {
            flush_bare(&mut edit, level, &mut bare);
            level = Some(l);
            run = None;
            for attr in tokens {
                let c = attr
                    .strip_prefix("cursor=")
                    .ok_or_else(|| line_error(n, line, "a level line takes only cursor="))?;
                let k = parse_key(c).map_err(|e| line_error(n, line, e))?;
                edit.set_cursor(l, k);
            }
            continue;
        }
        let l = level.ok_or_else(|| line_error(n, line, "file before any level line"))?;
        if first == "run" {
            let id = tokens
                .next()
                .and_then(parse_run_id)
                .filter(|_| tokens.next().is_none())
                .ok_or_else(|| line_error(n, line, "want `run NNNNNN`"))?;
            run = Some((indent, id));
            continue;
        }
        let f = parse_file(trimmed).map_err(|e| line_error(n, line, e))?;
        match run {
            Some((run_indent, id)) if indent > run_indent => {
                edit.add_file_to_run(l, id, f);
            }
            _ => {
                run = None;
                bare.push(f);
            }
        }
    }
    flush_bare(&mut edit, level, &mut bare);
    Version::new(num_levels).apply(&edit)
}

/// The fixture text of an edit, one change per line (counters last).
pub fn format_edit(e: &VersionEdit) -> String {
    let mut s = String::new();
    for (level, number) in &e.deleted {
        let _ = writeln!(s, "delete L{level} {number:06}");
    }
    for a in &e.added {
        match a.run {
            None => {
                let _ = writeln!(s, "add L{} {}", a.level, format_file(&a.file));
            }
            Some(run) => {
                let _ = writeln!(s, "add L{} run={run:06} {}", a.level, format_file(&a.file));
            }
        }
    }
    for (level, k) in &e.compaction_cursors {
        let shown = if k.is_empty() {
            "(none)".to_string()
        } else {
            format_key(k)
        };
        let _ = writeln!(s, "cursor L{level} {shown}");
    }
    for (name, v) in [
        ("next_file_number", e.next_file_number),
        ("last_sequence", e.last_sequence),
        ("log_number", e.log_number),
    ] {
        if let Some(v) = v {
            let _ = writeln!(s, "{name} {v}");
        }
    }
    s
}

/// Parses an edit from fixture text (see [`format_edit`]).
pub fn parse_edit(text: &str) -> Result<VersionEdit> {
    let mut e = VersionEdit::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let (verb, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
        let rest = rest.trim_start();
        let err = |reason: String| line_error(n, line, reason);
        let level_and = |rest: &'_ str| -> Result<(usize, String)> {
            let (l, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            let l = parse_level(l).ok_or_else(|| err(format!("bad level `{l}`")))?;
            Ok((l, tail.trim().to_string()))
        };
        let counter = || -> Result<u64> {
            rest.parse()
                .map_err(|_| err(format!("bad {verb} `{rest}`")))
        };
        match verb {
            "add" => {
                let (l, file) = level_and(rest)?;
                match file.strip_prefix("run=") {
                    Some(tail) => {
                        let (id, file) = tail.split_once(' ').unwrap_or((tail, ""));
                        let id =
                            parse_run_id(id).ok_or_else(|| err(format!("bad run id `{id}`")))?;
                        e.add_file_to_run(l, id, parse_file(file.trim()).map_err(err)?);
                    }
                    None => {
                        e.add_file(l, parse_file(&file).map_err(err)?);
                    }
                }
            }
            "delete" => {
                let (l, num) = level_and(rest)?;
                let num = num
                    .parse()
                    .map_err(|_| err(format!("bad file number `{num}`")))?;
                e.delete_file(l, num);
            }
            "cursor" => {
                let (l, k) = level_and(rest)?;
                let k = if k == "(none)" {
                    Vec::new()
                } else {
                    parse_key(&k).map_err(err)?
                };
                e.set_cursor(l, k);
            }
            "next_file_number" => e.next_file_number = Some(counter()?),
            "last_sequence" => e.last_sequence = Some(counter()?),
            "log_number" => e.log_number = Some(counter()?),
            _ => {
                return Err(err(format!(
                    "unknown change `{verb}` (add, delete, cursor, next_file_number, \
                     last_sequence, log_number)"
                )))
            }
        }
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANONICAL: &str = "\
L0
  run 000006
    000006: a#20 .. b#21
    000008: c#20 .. d#22
  000005: a#12 .. c#15 size=2048 narrowed=true
  000004: b#8 .. f#11,DEL size=4096 tombstones=10
L1 cursor=d#3,EXP
  000002: a#1 .. m#4 size=1MiB entries=500 tombstones=3 seqs=1..9 expiry=70000 time=5..9
L3
  000003: \\x00\\x23#7 .. \\x5cz#7,EXP size=3GiB entries=2
";

    #[test]
    fn canonical_text_round_trips_exactly() {
        let v = parse_version(CANONICAL, 7).unwrap();
        assert_eq!(format_version(&v), CANONICAL);
        assert_eq!(v.to_string(), CANONICAL);
        let f = &v.files(1)[0];
        assert_eq!((f.entries, f.tombstones, f.size), (500, 3, 1 << 20));
        assert_eq!(
            (f.smallest_seq, f.largest_seq, f.max_expiry_ms),
            (1, 9, Some(70_000))
        );
        assert_eq!(v.files(3)[0].smallest_user_key(), b"\x00#");
        assert_eq!(v.files(0)[3].tombstones, 10);
        assert_eq!(v.files(0)[3].entries, 10);
        assert!(v.files(0)[2].narrowed && !v.files(0)[3].narrowed);
        assert_eq!(v.runs(0).len(), 3);
        assert_eq!(v.runs(0)[0].files().len(), 2);
    }

    #[test]
    fn non_canonical_input_is_normalised() {
        let v = parse_version(
            "L1\n    000002: a#1 .. m#4 size=1024KiB entries=0 seqs=1..4\n",
            7,
        )
        .unwrap();
        assert_eq!(format_version(&v), "L1\n  000002: a#1 .. m#4 size=1MiB\n");
    }

    #[test]
    fn malformed_lines_name_the_line_and_text() {
        let err = |t: &str| parse_version(t, 7).unwrap_err().to_string();
        assert_eq!(
            err("L0\n  000005: a#1 .. b#2 colour=red\n"),
            "invalid argument: line 2: unknown attribute `colour` (size, entries, tombstones, \
             seqs, expiry, time, marked, created, kept_for_snapshots, tombstone_time, narrowed): `000005: a#1 .. b#2 colour=red`"
        );
        assert!(err("  000005: a#1 .. b#2\n").contains("line 1: file before any level line"));
        assert!(err("L0\n\n  000005: a#1 - b#2\n").starts_with("invalid argument: line 3: want"));
        assert!(err("L0\n  5: a .. b#2\n").contains("has no `#seq`"));
        assert!(err("L0\n  5: a#1,PUT .. b#2\n").contains("unknown kind `PUT`"));
        assert!(err("L0\n  5: a#1 .. b#2 size=1TB\n").contains("bad size `1TB`"));
        assert!(err("L0\n  5: a#1 .. b#2 size=1 size=2\n").contains("given twice"));
        assert!(err("L0\n  5: a\\x4#1 .. b#2\n").contains("bad escape"));
    }

    #[test]
    fn edits_round_trip_through_text() {
        let text = "delete L0 000005\nadd L1 000005: a#12 .. c#15 size=2048\n\
                    add L0 run=000009 000010: a#1 .. b#1\n\
                    cursor L1 d#3\ncursor L2 (none)\nnext_file_number 9\n\
                    last_sequence 40\nlog_number 3\n";
        let e = parse_edit(text).unwrap();
        assert_eq!(e.deleted, vec![(0, 5)]);
        assert_eq!(e.compaction_cursors[1], (2, Vec::new()));
        assert_eq!(format_edit(&e), text);
        assert!(parse_edit("move L0 000005\n")
            .unwrap_err()
            .to_string()
            .contains("line 1: unknown change `move`"));
    }

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(format_size(4096), "4096");
        assert_eq!(format_size(3 * MIB), "3MiB");
        assert_eq!(format_size(GIB + MIB), "1025MiB");
        assert!(parse_size("99999999999GiB").is_err());
        assert!(parse_size("").is_err());
    }
}
