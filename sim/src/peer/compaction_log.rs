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
/// (reason, inputs by level; the summary line gives each input file's
/// size) and end (output level, bytes, the tree after it) of each
/// compaction. The picker's other lines (every candidate it
/// skipped) would make the file five times larger.
fn kept(line: &str) -> bool {
    line.contains("Universal: sorted runs:")
        || line.contains("Compaction start summary:")
        || line.contains("\"event\": \"compaction_started\"")
        || line.contains("\"event\": \"compaction_finished\"")
}

/// Writes the kept lines of a database's info LOGs (as
/// `table_bytes_log::read_logs` gives them, oldest first) to `out`.
pub fn keep(logs: &[(String, String)], out: &Path) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    for (_, text) in logs {
        for line in text.lines().filter(|l| kept(l)) {
            writeln!(w, "{line}")?;
        }
    }
    w.flush()
}

/// How far behind its L0 RocksDB's compaction ran, from the kept lines:
/// the L0 files each leveled L0 compaction took (`compaction_started` with
/// reason `LevelL0FilesNum`) and the sorted runs each universal pick saw,
/// as (mean, most). In the keeping-up regime both stay at the L0 trigger
/// or one above it; a compaction that falls behind the replay takes more.
/// `None` when the log has neither.
pub fn backlog(kept_text: &str) -> Option<(f64, u64)> {
    let mut seen: Vec<u64> = Vec::new();
    for line in kept_text.lines() {
        if let Some(rest) = line.split_once("Universal: sorted runs: ").map(|(_, r)| r) {
            if let Some(n) = rest.split_whitespace().next().and_then(|n| n.parse().ok()) {
                seen.push(n);
            }
        } else if let Some((_, json)) = line.split_once("EVENT_LOG_v1 ") {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
                continue;
            };
            let l0 = v.get("compaction_reason").and_then(|r| r.as_str()) == Some("LevelL0FilesNum");
            if let (true, Some(files)) = (l0, v.get("files_L0").and_then(|f| f.as_array())) {
                seen.push(files.len() as u64);
            }
        }
    }
    let most = *seen.iter().max()?;
    Some((seen.iter().sum::<u64>() as f64 / seen.len() as f64, most))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_counts_l0_inputs_of_leveled_and_runs_of_universal_picks() {
        let leveled = "x EVENT_LOG_v1 {\"time_micros\": 1, \"job\": 6, \"event\": \"compaction_started\", \"compaction_reason\": \"LevelL0FilesNum\", \"files_L0\": [17, 15, 13, 11], \"files_L1\": [3]}\n\
             x EVENT_LOG_v1 {\"time_micros\": 2, \"job\": 7, \"event\": \"compaction_started\", \"compaction_reason\": \"LevelMaxLevelSize\", \"files_L1\": [3], \"files_L2\": [4]}\n\
             x EVENT_LOG_v1 {\"time_micros\": 3, \"job\": 8, \"event\": \"compaction_started\", \"compaction_reason\": \"LevelL0FilesNum\", \"files_L0\": [27, 25, 23, 21, 19, 18]}\n";
        assert_eq!(backlog(leveled), Some((5.0, 6)));
        let universal = "x [default] Universal: sorted runs: 4 files: files[4 0 0 0 0 0 0] max\n\
             x [default] Universal: sorted runs: 5 files: files[3 0 0 0 0 0 4]\n";
        assert_eq!(backlog(universal), Some((4.5, 5)));
        assert_eq!(backlog("nothing\n"), None);
    }

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
             x [default] Universal: Skipping level 3[2]\nx Flushing memtable\n\
             x [default]: Compaction start summary: Base version 4 Base level 1, inputs: [33(4102KB)], [20(4103KB)]\n",
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
        keep(&crate::peer::table_bytes_log::read_logs(db).unwrap(), &out).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].contains("compaction_started"));
        assert!(lines[1].contains("sorted runs: 5"));
        assert!(lines[2].contains("inputs: [33(4102KB)]"));
        assert!(lines[3].contains("compaction_finished"));
    }
}
