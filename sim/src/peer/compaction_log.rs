//! RocksDB's own account of its compaction picks, kept from a peer run's
//! database before it is removed: the lines of its info LOG that name what
//! each compaction took and why (the universal picker's "Universal: ..."
//! lines, the `compaction_started` and `compaction_finished` events), in
//! the order RocksDB wrote them over every db_bench session on the database
//! (each reopen renames the previous LOG to `LOG.old.<micros>`).

use std::io::Write;
use std::path::Path;

/// The LOG lines kept: the picker's reasons and the start and end of each
/// compaction (inputs by level, output level, the tree after it).
fn kept(line: &str) -> bool {
    line.contains("Universal:")
        || line.contains("\"event\": \"compaction_started\"")
        || line.contains("\"event\": \"compaction_finished\"")
}

/// Writes the kept lines of `db`'s info LOGs (the renamed older ones by
/// their timestamp suffix, then the current `LOG`) to `out`.
pub fn keep(db: &Path, out: &Path) -> std::io::Result<()> {
    let mut logs: Vec<_> = std::fs::read_dir(db)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("LOG.old."))
        .collect();
    // The suffix is the rename's time in microseconds: numeric order is age.
    logs.sort_by_key(|n| n["LOG.old.".len()..].parse::<u64>().unwrap_or(u64::MAX));
    logs.push("LOG".into());
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    for name in logs {
        let path = db.join(&name);
        if !path.is_file() {
            continue;
        }
        let text = std::fs::read(&path)?;
        for line in String::from_utf8_lossy(&text).lines().filter(|l| kept(l)) {
            writeln!(w, "{line}")?;
        }
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The older LOGs come first in the order RocksDB renamed them (by
    /// number, not by name: 9 before 10), then the current LOG; only pick
    /// reasons and compaction events are kept.
    #[test]
    fn keeps_picks_and_events_from_every_log_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path();
        std::fs::write(
            db.join("LOG.old.10"),
            "x [default] Universal: compacting for size ratio\nx Flushing memtable\n",
        )
        .unwrap();
        std::fs::write(
            db.join("LOG.old.9"),
            "x EVENT_LOG_v1 {\"time_micros\": 1, \"event\": \"compaction_started\", \"files_L0\": [12]}\n",
        )
        .unwrap();
        std::fs::write(
            db.join("LOG"),
            "x EVENT_LOG_v1 {\"time_micros\": 3, \"event\": \"compaction_finished\"}\nx other\n",
        )
        .unwrap();
        let out = db.join("kept.log");
        keep(db, &out).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].contains("compaction_started"));
        assert!(lines[1].contains("size ratio"));
        assert!(lines[2].contains("compaction_finished"));
    }
}
