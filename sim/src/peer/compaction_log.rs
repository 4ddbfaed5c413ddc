//! RocksDB's own account of its compaction picks, kept from a peer run's
//! database before it is removed: the lines of its info LOG that say what
//! each compaction took, why and what came of it (the `compaction_started`
//! and `compaction_finished` events), and the tree each universal pick saw
//! (its "Universal: sorted runs: N files: ..." lines), in
//! the order RocksDB wrote them over every db_bench session on the database
//! (each reopen renames the previous LOG to `LOG.old.<micros>`).

use std::io::Write;
use std::path::Path;

/// The LOG lines kept: the tree a universal pick saw, and the start
/// (reason, inputs by level) and end (output level, bytes, the tree after
/// it) of each compaction. The picker's other lines (every candidate it
/// skipped) would make the file five times larger.
fn kept(line: &str) -> bool {
    line.contains("Universal: sorted runs:")
        || line.contains("\"event\": \"compaction_started\"")
        || line.contains("\"event\": \"compaction_finished\"")
}

/// Writes the kept lines of `db`'s info LOGs (the renamed older ones by
/// their timestamp suffix, then the current `LOG`) to `out`.
pub fn keep(db: &Path, out: &Path) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    for path in super::table_bytes_log::logs_oldest_first(db)? {
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
            "x [default] Universal: sorted runs: 5 files: files[2 0 0 1 1 1 1]\n\
             x [default] Universal: Skipping level 3[2]\nx Flushing memtable\n",
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
        assert!(lines[1].contains("sorted runs: 5"));
        assert!(lines[2].contains("compaction_finished"));
    }
}
