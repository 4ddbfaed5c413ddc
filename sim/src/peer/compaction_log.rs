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

/// RocksDB's last word on picking in a session's LOG when it is idle with
/// nothing to pick: every compaction that started has finished, and the
/// last pick after them found nothing to do (that line is returned, so that
/// a caller can see it stay the same). RocksDB 7.8's universal compaction
/// reports a compaction pending whenever the sorted runs reach
/// `level0_file_num_compaction_trigger` (score 1.0), even when no rule picks
/// one (size amplification, size ratio and the run count all within their
/// limits), so db_bench's `waitforcompaction` then waits forever: nothing
/// changes until the next write.
pub fn idle_with_nothing_to_do(log: &str) -> Option<&str> {
    let (mut started, mut finished) = (0usize, 0usize);
    let mut last = None;
    for line in log.lines() {
        if line.contains("\"event\": \"compaction_started\"") {
            started += 1;
        } else if line.contains("\"event\": \"compaction_finished\"") {
            finished += 1;
        } else if !line.contains("Compaction nothing to do") {
            continue;
        }
        last = Some(line);
    }
    last.filter(|l| started == finished && l.contains("Compaction nothing to do"))
}

/// The bytes compactions read and wrote, from the `compaction_started`
/// (`input_data_size`) and `compaction_finished` (`total_output_size`)
/// events of one db_bench session's LOG: what its statistics tickers
/// `rocksdb.compact.read.bytes` and `rocksdb.compact.write.bytes` would
/// have printed, for a session stopped before it printed them.
pub fn compaction_bytes(log: &str) -> Result<(u64, u64), String> {
    let (mut read, mut write) = (0, 0);
    for (i, line) in log.lines().enumerate() {
        let Some(at) = line.find("EVENT_LOG_v1 ") else {
            continue;
        };
        let event: serde_json::Value = serde_json::from_str(&line[at + 13..])
            .map_err(|e| format!("LOG line {}: {e}", i + 1))?;
        let field = |name: &str| {
            event[name]
                .as_u64()
                .ok_or_else(|| format!("LOG line {}: no {name}", i + 1))
        };
        match event["event"].as_str() {
            Some("compaction_started") => read += field("input_data_size")?,
            Some("compaction_finished") => write += field("total_output_size")?,
            _ => {}
        }
    }
    Ok((read, write))
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

    /// Idle only when the last pick found nothing and no compaction is
    /// running: a later start, or a start without its finish, is not idle.
    #[test]
    fn idle_means_nothing_to_do_after_every_compaction_finished() {
        let done = "x EVENT_LOG_v1 {\"event\": \"compaction_started\"}\n\
                    x EVENT_LOG_v1 {\"event\": \"compaction_finished\"}\n\
                    x [default] Universal: sorted runs: 4 files: files[0 0 0 39 47 105 176]\n\
                    t1 [db_impl_compaction_flush.cc:3275] Compaction nothing to do\n\
                    x ------- PERSISTING STATS -------\n";
        assert_eq!(
            idle_with_nothing_to_do(done),
            Some("t1 [db_impl_compaction_flush.cc:3275] Compaction nothing to do")
        );
        let merging =
            "x Compaction nothing to do\nx EVENT_LOG_v1 {\"event\": \"compaction_started\"}\n";
        assert_eq!(idle_with_nothing_to_do(merging), None);
        let behind =
            "x EVENT_LOG_v1 {\"event\": \"compaction_started\"}\nx Compaction nothing to do\n";
        assert_eq!(idle_with_nothing_to_do(behind), None);
        assert_eq!(idle_with_nothing_to_do("x opened\n"), None);
    }

    /// Read bytes are the started events' inputs, written bytes the
    /// finished events' outputs; other events count nothing; a malformed
    /// event is an error naming its line.
    #[test]
    fn compaction_bytes_sum_the_sessions_events() {
        let log = "a\n\
            t EVENT_LOG_v1 {\"job\": 3, \"event\": \"compaction_started\", \"input_data_size\": 165095736}\n\
            t EVENT_LOG_v1 {\"job\": 3, \"event\": \"table_file_creation\", \"file_size\": 7}\n\
            t EVENT_LOG_v1 {\"job\": 3, \"event\": \"compaction_finished\", \"total_output_size\": 164767995}\n";
        assert_eq!(compaction_bytes(log).unwrap(), (165095736, 164767995));
        let e = compaction_bytes("x\nt EVENT_LOG_v1 {\"event\": \"compaction_finished\"}\n")
            .unwrap_err();
        assert!(
            e.contains("LOG line 2") && e.contains("total_output_size"),
            "{e}"
        );
    }
}
