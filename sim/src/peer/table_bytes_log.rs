//! RocksDB's table bytes over a run, read back from its info LOG: the bytes
//! of the tables in its current version after each flush and compaction it
//! installed, so that its space amplification can be compared with
//! lsmlab's over the whole run rather than at one end-of-run sample (a
//! tree whose newest levels fill and empty is a sawtooth, and one sample
//! compares two points of it).
//!
//! The events used, as RocksDB 7.8 writes them (`EVENT_LOG_v1 {...}`):
//! `flush_started` names a flush job, its `table_file_creation` gives the
//! new table's `file_size`, `flush_finished` installs it;
//! `compaction_started` gives the job's `input_data_size` (its input
//! tables' bytes), `compaction_finished` its `total_output_size` and
//! installs the change. Trivial moves change no byte and log neither
//! compaction event. A compaction still running when db_bench closes the
//! database logs `compaction_finished` too but is not installed: its
//! outputs are deleted at once without ever being read by a compaction, or
//! were never finished as tables (and the next process runs it again on the
//! same inputs). A compaction counts when one of its outputs outlives the
//! run or is a later compaction's input; one that wrote nothing (every entry
//! dropped) when one of its inputs is deleted later (`table_file_deletion`;
//! file numbers are never reused). Job ids restart when the database is reopened, so each
//! LOG (one per db_bench process) is read on its own, the bytes carried over.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The table bytes of RocksDB's version from `time_micros` (its LOG's
/// clock: microseconds since the Unix epoch) on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub time_micros: u64,
    pub bytes: u64,
}

/// The info LOGs of `db`, oldest first: the renamed older ones
/// (`LOG.old.<micros>`, by that number), then the current `LOG`.
pub fn logs_oldest_first(db: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut old: Vec<(u64, PathBuf)> = std::fs::read_dir(db)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let micros = name.strip_prefix("LOG.old.")?.parse().unwrap_or(u64::MAX);
            Some((micros, e.path()))
        })
        .collect();
    // The suffix is the rename's time in microseconds: numeric order is age.
    old.sort();
    let mut logs: Vec<PathBuf> = old.into_iter().map(|(_, p)| p).collect();
    let current = db.join("LOG");
    if current.is_file() {
        logs.push(current);
    }
    Ok(logs)
}

/// What the LOGs say about the tables over a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableBytes {
    /// One step per installed flush or compaction, in time order.
    pub steps: Vec<Step>,
    /// When the first manual flush began (db_bench's `flush` benchmark,
    /// right after its replay): the end of the replay on the LOG's clock.
    pub manual_flush_micros: Option<u64>,
}

/// The info LOGs of `db`, oldest first, as (file name, text).
pub fn read_logs(db: &Path) -> std::io::Result<Vec<(String, String)>> {
    logs_oldest_first(db)?
        .into_iter()
        .map(|path| {
            let text = std::fs::read(&path)?;
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            Ok((
                name.into_owned(),
                String::from_utf8_lossy(&text).into_owned(),
            ))
        })
        .collect()
}

/// The table bytes `logs` (the texts of the LOGs, oldest first, with their
/// names) record. An event line that is not the JSON RocksDB writes, or
/// lacks a field this needs, is an error naming the LOG and line.
pub fn table_bytes<'a>(
    logs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<TableBytes, String> {
    let logs: Vec<(&str, &str)> = logs.into_iter().collect();
    // Every table deleted over the run and every compaction input, to tell
    // installed compactions from the ones a close abandoned.
    let mut deleted = BTreeSet::new();
    let mut ever_input = BTreeSet::new();
    for (_, text) in &logs {
        for line in text.lines() {
            let Some((_, json)) = line.split_once("EVENT_LOG_v1 ") else {
                continue;
            };
            let deletion = json.contains("\"table_file_deletion\"");
            if !deletion && !json.contains("\"compaction_started\"") {
                continue;
            }
            let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
                continue;
            };
            if deletion {
                deleted.extend(v.get("file_number").and_then(serde_json::Value::as_u64));
            } else {
                ever_input.extend(input_files(&v));
            }
        }
    }
    let mut bytes: i128 = 0;
    let mut out = Vec::new();
    let mut manual_flush_micros = None;
    for (name, text) in logs {
        let mut flush_jobs = BTreeSet::new();
        let mut flushed: BTreeMap<u64, u64> = BTreeMap::new();
        // Per running compaction: its input bytes, whether an input was
        // deleted later, and its outputs so far.
        let mut inputs: BTreeMap<u64, (u64, bool)> = BTreeMap::new();
        let mut outputs: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let Some((_, json)) = line.split_once("EVENT_LOG_v1 ") else {
                continue;
            };
            let at = |what: &str| format!("{name} line {}: {what}", i + 1);
            let v: serde_json::Value =
                serde_json::from_str(json).map_err(|e| at(&format!("not an event: {e}")))?;
            let field = |key: &str| {
                v.get(key)
                    .and_then(serde_json::Value::as_u64)
                    .ok_or_else(|| at(&format!("no `{key}`")))
            };
            let Some(event) = v.get("event").and_then(serde_json::Value::as_str) else {
                continue;
            };
            match event {
                "flush_started" => {
                    flush_jobs.insert(field("job")?);
                    let manual = v.get("flush_reason").and_then(serde_json::Value::as_str)
                        == Some("Manual Flush");
                    if manual && manual_flush_micros.is_none() {
                        manual_flush_micros = Some(field("time_micros")?);
                    }
                }
                "table_file_creation" => {
                    let job = field("job")?;
                    if flush_jobs.contains(&job) {
                        *flushed.entry(job).or_insert(0) += field("file_size")?;
                    } else if inputs.contains_key(&job) {
                        outputs.entry(job).or_default().push(field("file_number")?);
                    }
                }
                "flush_finished" => {
                    bytes += i128::from(flushed.remove(&field("job")?).unwrap_or(0));
                    out.push(step(field("time_micros")?, bytes));
                }
                "compaction_started" => {
                    let input_deleted = input_files(&v).any(|n| deleted.contains(&n));
                    inputs.insert(field("job")?, (field("input_data_size")?, input_deleted));
                }
                "compaction_finished" => {
                    let job = field("job")?;
                    let (input, input_deleted) = inputs
                        .remove(&job)
                        .ok_or_else(|| at("a compaction that finished without starting"))?;
                    let output_size = field("total_output_size")?;
                    let tables = outputs.remove(&job).unwrap_or_default();
                    // An abandoned compaction may not have finished a single
                    // table; one that dropped every entry wrote none at all.
                    let installed = if output_size > 0 {
                        tables
                            .iter()
                            .any(|o| !deleted.contains(o) || ever_input.contains(o))
                    } else {
                        input_deleted
                    };
                    if installed {
                        bytes += i128::from(output_size) - i128::from(input);
                        out.push(step(field("time_micros")?, bytes));
                    }
                }
                _ => {}
            }
        }
    }
    out.sort_by_key(|s| s.time_micros);
    Ok(TableBytes {
        steps: out,
        manual_flush_micros,
    })
}

/// The input table numbers a `compaction_started` event lists
/// (`files_L0`, `files_L1`, ...).
pub(crate) fn input_files(v: &serde_json::Value) -> impl Iterator<Item = u64> + '_ {
    v.as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.starts_with("files_L"))
        .filter_map(|(_, f)| f.as_array())
        .flatten()
        .filter_map(serde_json::Value::as_u64)
}

fn step(time_micros: u64, bytes: i128) -> Step {
    Step {
        time_micros,
        bytes: u64::try_from(bytes.max(0)).unwrap_or(u64::MAX),
    }
}

/// Table bytes at `time_micros`: the last step at or before it (0 before
/// the first).
pub fn bytes_at(steps: &[Step], time_micros: u64) -> u64 {
    let n = steps.partition_point(|s| s.time_micros <= time_micros);
    if n == 0 {
        0
    } else {
        steps[n - 1].bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> String {
        format!("2026/12/01-16:49:42.612159 9052 EVENT_LOG_v1 {json}\n")
    }

    #[test]
    fn flushes_add_their_table_and_compactions_their_output_less_their_input() {
        let log1 = [
            event(r#"{"time_micros": 100, "job": 2, "event": "flush_started", "num_memtables": 1, "flush_reason": "Write Buffer Full"}"#),
            event(r#"{"time_micros": 150, "cf_name": "default", "job": 2, "event": "table_file_creation", "file_number": 9, "file_size": 1000, "table_properties": {"data_size": 900}}"#),
            event(r#"{"time_micros": 160, "job": 2, "event": "flush_finished", "lsm_state": [1, 0]}"#),
            event(r#"{"time_micros": 170, "job": 3, "event": "flush_started", "flush_reason": "Manual Flush"}"#),
            event(r#"{"time_micros": 180, "job": 3, "event": "table_file_creation", "file_size": 1100}"#),
            event(r#"{"time_micros": 190, "job": 3, "event": "flush_finished"}"#),
            event(r#"{"time_micros": 200, "job": 4, "event": "compaction_started", "files_L0": [9, 10], "input_data_size": 2100}"#),
            event(r#"{"time_micros": 230, "job": 5, "event": "table_file_deletion", "file_number": 9}"#),
            // A compaction's outputs are not flushes: counted at its end.
            event(r#"{"time_micros": 210, "job": 4, "event": "table_file_creation", "file_number": 11, "file_size": 1500}"#),
            "2026/12/01 x [default] Moving #11 to level-2 1500 bytes\n".to_string(),
            event(r#"{"time_micros": 220, "job": 4, "event": "compaction_finished", "total_output_size": 1500}"#),
        ]
        .concat();
        // The next process: job ids start again; job 2 is a compaction now.
        let log2 = [
            event(r#"{"time_micros": 300, "job": 2, "event": "compaction_started", "files_L1": [11], "input_data_size": 1500}"#),
            event(r#"{"time_micros": 310, "job": 2, "event": "table_file_creation", "file_number": 12, "file_size": 1400}"#),
            event(r#"{"time_micros": 320, "job": 2, "event": "compaction_finished", "total_output_size": 1400}"#),
            event(r#"{"time_micros": 330, "job": 3, "event": "table_file_deletion", "file_number": 11}"#),
            // Running when the database closed: logged as finished, never
            // installed; its output is deleted at once.
            event(r#"{"time_micros": 400, "job": 4, "event": "compaction_started", "files_L2": [12], "input_data_size": 1400}"#),
            event(r#"{"time_micros": 410, "job": 4, "event": "table_file_creation", "file_number": 13, "file_size": 900}"#),
            event(r#"{"time_micros": 420, "job": 4, "event": "compaction_finished", "total_output_size": 900}"#),
            event(r#"{"time_micros": 430, "job": 5, "event": "table_file_deletion", "file_number": 13}"#),
            // Abandoned before finishing any table.
            event(r#"{"time_micros": 440, "job": 6, "event": "compaction_started", "files_L2": [12], "input_data_size": 1400}"#),
            event(r#"{"time_micros": 450, "job": 6, "event": "compaction_finished", "total_output_size": 800}"#),
        ]
        .concat();
        // The next process runs it again on the same input, installed: 12
        // is deleted (so the abandoned run's input was deleted too).
        let log3 = [
            event(r#"{"time_micros": 500, "job": 2, "event": "compaction_started", "files_L2": [12], "input_data_size": 1400}"#),
            event(r#"{"time_micros": 510, "job": 2, "event": "table_file_creation", "file_number": 14, "file_size": 900}"#),
            event(r#"{"time_micros": 520, "job": 2, "event": "compaction_finished", "total_output_size": 900}"#),
            event(r#"{"time_micros": 530, "job": 3, "event": "table_file_deletion", "file_number": 12}"#),
        ]
        .concat();
        let t = table_bytes([
            ("LOG.old.1", log1.as_str()),
            ("LOG.old.2", log2.as_str()),
            ("LOG", log3.as_str()),
        ])
        .unwrap();
        assert_eq!(t.manual_flush_micros, Some(170));
        let s = t.steps;
        let got: Vec<(u64, u64)> = s.iter().map(|s| (s.time_micros, s.bytes)).collect();
        assert_eq!(
            got,
            [
                (160, 1000),
                (190, 2100),
                (220, 1500),
                (320, 1400),
                (520, 900)
            ]
        );
        assert_eq!(bytes_at(&s, 99), 0);
        assert_eq!(bytes_at(&s, 160), 1000);
        assert_eq!(bytes_at(&s, 219), 2100);
        assert_eq!(bytes_at(&s, 10_000), 900);
    }

    #[test]
    fn a_broken_event_is_named() {
        let e = table_bytes([("LOG", "x EVENT_LOG_v1 {\"time_micros\": 1, \"event\": \"compaction_finished\", \"job\": 5, \"total_output_size\": 3}\n")]).unwrap_err();
        assert!(
            e.contains("LOG line 1") && e.contains("without starting"),
            "{e}"
        );
        let e = table_bytes([(
            "LOG",
            "x\ny EVENT_LOG_v1 {\"time_micros\": 1, \"event\": \"flush_started\"}\n",
        )])
        .unwrap_err();
        assert!(e.contains("LOG line 2") && e.contains("`job`"), "{e}");
        let e = table_bytes([("LOG", "y EVENT_LOG_v1 {not json\n")]).unwrap_err();
        assert!(e.contains("not an event"), "{e}");
    }

    #[test]
    fn older_logs_come_first_by_number() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["LOG.old.10", "LOG.old.9", "LOG", "000012.log"] {
            std::fs::write(dir.path().join(n), "").unwrap();
        }
        let names: Vec<String> = logs_oldest_first(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["LOG.old.9", "LOG.old.10", "LOG"]);
    }
}
