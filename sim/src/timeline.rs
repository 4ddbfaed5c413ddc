//! timeline.csv: metrics sampled along each run (at least 50 samples per run),
//! for the amplification-over-time and level-shape plots.
//!
//! Columns: `run_id, ops_done, sim_time_s, write_amp, space_amp, read_amp,
//! l0_files, pending_compaction_bytes, tree, level_0_bytes .. level_{n-1}_bytes`,
//! with n the largest level count of any row (shorter rows are padded with 0).
//! `read_amp` is the figure over the sample's window (blocks read from
//! storage per lookup since the previous sample), empty when the window had
//! no lookups. `tree` holds the sorted runs of the tree (see [`crate::tree`])
//! at the few samples the tree picture shows, empty elsewhere.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::error::{LabError, Result};
use crate::results::{csv_error, input_file, open_csv, write_atomically, CsvRow};
use crate::tree::TreeSnapshot;

/// File name of the timeline inside a sweep's notebooks-out directory.
pub const TIMELINE_CSV: &str = "timeline.csv";

const FIXED_COLUMNS: [&str; 9] = [
    "run_id",
    "ops_done",
    "sim_time_s",
    "write_amp",
    "space_amp",
    "read_amp",
    "l0_files",
    "pending_compaction_bytes",
    "tree",
];

/// One sample of a run's state, taken after `ops_done` operations.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRow {
    pub run_id: String,
    pub ops_done: u64,
    /// Simulated seconds since the run began.
    pub sim_time_s: f64,
    /// Amplification so far (same definitions as the end-of-run metrics).
    pub write_amp: f64,
    pub space_amp: f64,
    /// Blocks read from storage per lookup over this sample's window (since
    /// the previous sample); `None` (an empty cell) when the window had no
    /// lookups.
    pub read_amp: Option<f64>,
    pub l0_files: u64,
    pub pending_compaction_bytes: u64,
    /// SSTable bytes in each level, L0 first.
    pub level_bytes: Vec<u64>,
    /// The sorted runs, at the moments the tree picture shows.
    pub tree: Option<TreeSnapshot>,
}

/// The timeline.csv header for `levels` level columns.
pub fn timeline_columns(levels: usize) -> Vec<String> {
    FIXED_COLUMNS
        .iter()
        .map(|c| c.to_string())
        .chain((0..levels).map(|l| format!("level_{l}_bytes")))
        .collect()
}

/// Writes timeline.csv (through a temporary file renamed into place).
pub fn write_timeline(path: &Path, rows: &[TimelineRow]) -> Result<()> {
    let levels = rows.iter().map(|r| r.level_bytes.len()).max().unwrap_or(0);
    write_atomically(path, |out| {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(timeline_columns(levels))?;
        for r in rows {
            writer.write_record(timeline_cells(r, levels))?;
        }
        writer.flush()?;
        Ok(())
    })
}

/// The cells of one timeline.csv row with `levels` level columns.
pub fn timeline_cells(r: &TimelineRow, levels: usize) -> Vec<String> {
    let mut cells = vec![
        r.run_id.clone(),
        r.ops_done.to_string(),
        r.sim_time_s.to_string(),
        r.write_amp.to_string(),
        r.space_amp.to_string(),
        r.read_amp.map(|v| v.to_string()).unwrap_or_default(),
        r.l0_files.to_string(),
        r.pending_compaction_bytes.to_string(),
        r.tree
            .as_ref()
            .map(TreeSnapshot::encode)
            .unwrap_or_default(),
    ];
    for l in 0..levels {
        cells.push(r.level_bytes.get(l).copied().unwrap_or(0).to_string());
    }
    cells
}

/// Reads timeline.csv back; errors name the file, line and column.
pub fn read_timeline(path: &Path) -> Result<Vec<TimelineRow>> {
    let mut reader = open_csv(path)?;
    let header = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let levels = header.len().saturating_sub(FIXED_COLUMNS.len());
    if header.len() < FIXED_COLUMNS.len() || header.iter().ne(timeline_columns(levels).iter()) {
        return Err(LabError::Csv {
            file: path.to_path_buf(),
            line: Some(1),
            column: None,
            message: format!(
                "not a timeline header: expected {}, level_0_bytes, ...",
                FIXED_COLUMNS.join(",")
            ),
        });
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let row = CsvRow::new(path, &header, record.map_err(|e| csv_error(path, e))?);
        let int = |i: usize| row.int(i);
        let float = |i: usize| row.float(i);
        rows.push(TimelineRow {
            run_id: row.cell(0).to_string(),
            ops_done: int(1)?,
            sim_time_s: float(2)?,
            write_amp: float(3)?,
            space_amp: float(4)?,
            read_amp: match row.cell(5) {
                "" => None,
                _ => Some(float(5)?),
            },
            l0_files: int(6)?,
            pending_compaction_bytes: int(7)?,
            tree: match row.cell(8) {
                "" => None,
                text => {
                    Some(TreeSnapshot::decode(text).map_err(|message| row.error("tree", message))?)
                }
            },
            level_bytes: (0..levels)
                .map(|l| int(FIXED_COLUMNS.len() + l))
                .collect::<Result<_>>()?,
        });
    }
    Ok(rows)
}

/// Joins the timeline.csv of several shards (each input a file or a directory
/// holding timeline.csv), grouped by run id in id order, each run's samples
/// in their original order. A run sampled in two inputs is an error.
pub fn merge_timelines(inputs: &[PathBuf]) -> Result<Vec<TimelineRow>> {
    let mut merged: Vec<TimelineRow> = Vec::new();
    let mut origin: HashMap<String, PathBuf> = HashMap::new();
    for input in inputs {
        let file = input_file(input, TIMELINE_CSV);
        let rows = read_timeline(&file)?;
        let mut here: HashSet<&str> = HashSet::new();
        for row in &rows {
            if !here.insert(&row.run_id) {
                continue;
            }
            if let Some(first) = origin.get(&row.run_id) {
                return Err(LabError::DuplicateRun {
                    run_id: row.run_id.clone(),
                    first: first.clone(),
                    second: file,
                });
            }
        }
        for id in here {
            origin.insert(id.to_string(), file.clone());
        }
        merged.extend(rows);
    }
    merged.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    Ok(merged)
}

/// Reorders rows so runs follow `run_ids` (the spec's run order), each run's
/// samples kept in order; runs not listed go last, by id.
pub fn sort_timeline_by(rows: &mut [TimelineRow], run_ids: &[String]) {
    crate::results::sort_by_run_order(rows, run_ids, |r| &r.run_id);
}

/// The last sample of each run (the largest `ops_done`), in first-seen order.
pub fn last_samples(rows: &[TimelineRow]) -> Vec<&TimelineRow> {
    let mut order: Vec<&str> = Vec::new();
    let mut last: HashMap<&str, &TimelineRow> = HashMap::new();
    for row in rows {
        match last.get(row.run_id.as_str()) {
            Some(prev) if prev.ops_done > row.ops_done => {}
            Some(_) => {
                last.insert(&row.run_id, row);
            }
            None => {
                order.push(&row.run_id);
                last.insert(&row.run_id, row);
            }
        }
    }
    order.iter().map(|id| last[id]).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `samples` synthetic rows of a run whose write amp grows with ops.
    pub(crate) fn samples(run_id: &str, samples: u64, slope: f64) -> Vec<TimelineRow> {
        (1..=samples)
            .map(|i| TimelineRow {
                run_id: run_id.into(),
                ops_done: i * 1000,
                sim_time_s: i as f64 * 0.5,
                write_amp: 1.0 + slope * (i as f64).ln(),
                space_amp: 1.0 + 0.5 / i as f64,
                read_amp: Some(1.0 + (i % 5) as f64 * 0.1),
                l0_files: i % 4,
                pending_compaction_bytes: i * 100,
                level_bytes: (0..(2 + i as usize % 3))
                    .map(|l| (l as u64 + 1) * i * 4096)
                    .collect(),
                tree: (i == samples).then(|| crate::tree::TreeSnapshot {
                    bars: vec![crate::tree::RunBar {
                        level: 1,
                        run: 0,
                        lo: 0.0,
                        hi: 9999.0,
                        bytes: i * 8192,
                        files: 2,
                    }],
                    omitted: Vec::new(),
                }),
            })
            .collect()
    }

    #[test]
    fn timeline_round_trips_with_padded_levels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TIMELINE_CSV);
        let rows = samples("leveled/uniform", 60, 1.5);
        write_timeline(&path, &rows).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(
            "run_id,ops_done,sim_time_s,write_amp,space_amp,read_amp,l0_files,\
             pending_compaction_bytes,tree,level_0_bytes,level_1_bytes,level_2_bytes,level_3_bytes\n"
        ));
        let back = read_timeline(&path).unwrap();
        assert_eq!(back.len(), 60);
        for (a, b) in rows.iter().zip(&back) {
            assert_eq!(a.write_amp.to_bits(), b.write_amp.to_bits());
            assert_eq!(b.level_bytes.len(), 4);
            assert_eq!(a.level_bytes[..], b.level_bytes[..a.level_bytes.len()]);
            assert!(b.level_bytes[a.level_bytes.len()..].iter().all(|&x| x == 0));
        }
    }

    #[test]
    fn malformed_timeline_names_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TIMELINE_CSV);
        write_timeline(&path, &samples("r", 3, 1.0)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        lines[2] = lines[2].replacen(",2000,", ",2k,", 1);
        std::fs::write(&path, lines.join("\n")).unwrap();
        let err = read_timeline(&path).unwrap_err().to_string();
        assert!(err.contains("timeline.csv:3: column `ops_done`"), "{err}");
        std::fs::write(&path, "run_id,ops\n").unwrap();
        assert!(read_timeline(&path)
            .unwrap_err()
            .to_string()
            .contains("timeline.csv:1"));
    }

    #[test]
    fn last_samples_pick_the_end_of_each_run() {
        let mut rows = samples("a", 5, 1.0);
        rows.extend(samples("b", 3, 1.0));
        let last = last_samples(&rows);
        assert_eq!(last.len(), 2);
        assert_eq!((last[0].run_id.as_str(), last[0].ops_done), ("a", 5000));
        assert_eq!((last[1].run_id.as_str(), last[1].ops_done), ("b", 3000));
    }

    #[test]
    fn merge_keeps_runs_whole_and_rejects_a_run_in_two_shards() {
        let dir = tempfile::tempdir().unwrap();
        let (p0, p1) = (dir.path().join("0.csv"), dir.path().join("1.csv"));
        write_timeline(&p0, &samples("b", 3, 1.0)).unwrap();
        write_timeline(&p1, &samples("a", 2, 1.0)).unwrap();
        let mut merged = merge_timelines(&[p0.clone(), p1.clone()]).unwrap();
        let ids: Vec<&str> = merged.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(ids, ["a", "a", "b", "b", "b"]);
        sort_timeline_by(&mut merged, &["b".into(), "a".into()]);
        let ops: Vec<u64> = merged.iter().map(|r| r.ops_done).collect();
        assert_eq!(ops, [1000, 2000, 3000, 1000, 2000]);
        assert!(merge_timelines(&[p0.clone(), p0]).is_err());
    }
}
