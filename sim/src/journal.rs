//! The journal of a sweep in progress: `<output dir>.partial/` holding
//! manifest.json, runs.csv and timeline.csv, to which each run's rows are
//! appended and synced as soon as the run finishes. An interrupted sweep
//! keeps every finished run there; `lsmlab sweep --resume` reads them back
//! and runs only the rest. The finished sweep's outputs are written
//! atomically elsewhere and the journal is removed.
//!
//! A run is in the journal once its runs.csv row is: its timeline rows are
//! appended and synced first, so a crash between the two leaves timeline
//! rows of an unfinished run, which reading drops. A torn last line (a
//! crash inside an append) is cut off when the journal is reopened.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::atomic::{sync_dir, write_file};
use crate::error::{LabError, Result};
use crate::manifest::{Manifest, MANIFEST_JSON};
use crate::results::{read_runs, run_cells, runs_header, RunRecord, RUNS_CSV};
use crate::timeline::{read_timeline, timeline_cells, timeline_columns, TimelineRow, TIMELINE_CSV};

/// An open journal, appending finished runs.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    runs: File,
    timeline: File,
    varied: Vec<String>,
    levels: usize,
}

/// The runs (and their timeline rows) an interrupted sweep finished.
#[derive(Debug, Default)]
pub struct Finished {
    pub records: Vec<RunRecord>,
    pub timeline: Vec<TimelineRow>,
}

/// The journal directory of an output directory: `<dir>.partial`.
pub fn journal_dir(output_dir: &Path) -> PathBuf {
    let mut name = output_dir.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    output_dir.with_file_name(name)
}

fn csv_line(cells: &[String]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cells)
        .map_err(|e| LabError::InvalidArgument(e.to_string()))?;
    w.into_inner()
        .map_err(|e| LabError::InvalidArgument(e.to_string()))
}

/// Cuts a torn last line (no final newline) off a journal file.
fn cut_torn_tail(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| LabError::io(path, e))?;
    let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if keep < bytes.len() {
        let f = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| LabError::io(path, e))?;
        f.set_len(keep as u64)
            .and_then(|()| f.sync_all())
            .map_err(|e| LabError::io(path, e))?;
    }
    Ok(())
}

fn append_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| LabError::io(path, e))
}

impl Journal {
    /// Starts an empty journal in `dir` (replacing any there) for runs with
    /// these varied columns and level count.
    pub fn create(
        dir: &Path,
        manifest: &Manifest,
        varied: &[String],
        levels: usize,
    ) -> Result<Journal> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| LabError::io(dir, e))?;
        }
        std::fs::create_dir_all(dir).map_err(|e| LabError::io(dir, e))?;
        write_file(&dir.join(RUNS_CSV), &csv_line(&runs_header(varied))?)?;
        write_file(
            &dir.join(TIMELINE_CSV),
            &csv_line(&timeline_columns(levels))?,
        )?;
        write_file(&dir.join(MANIFEST_JSON), manifest.to_json().as_bytes())?;
        sync_dir(dir.parent().unwrap_or(Path::new(".")));
        Journal::open(dir, varied, levels)
    }

    fn open(dir: &Path, varied: &[String], levels: usize) -> Result<Journal> {
        Ok(Journal {
            dir: dir.to_path_buf(),
            runs: append_file(&dir.join(RUNS_CSV))?,
            timeline: append_file(&dir.join(TIMELINE_CSV))?,
            varied: varied.to_vec(),
            levels,
        })
    }

    /// Reopens the journal in `dir` to continue the sweep `manifest`
    /// describes. Refuses (naming the difference) a journal of another
    /// spec, seed, version or shard; returns the runs it finished.
    pub fn resume(
        dir: &Path,
        manifest: &Manifest,
        varied: &[String],
        levels: usize,
    ) -> Result<(Journal, Finished)> {
        let theirs = Manifest::read(&dir.join(MANIFEST_JSON))?;
        if let Some(diff) = theirs.difference(manifest) {
            return Err(LabError::InvalidArgument(format!(
                "{}: the interrupted sweep there is another experiment ({diff}): \
                 run without --resume (and with --restart) to start over",
                dir.display()
            )));
        }
        if theirs.shard != manifest.shard {
            return Err(LabError::InvalidArgument(format!(
                "{}: the interrupted sweep there is shard {}, not {}",
                dir.display(),
                theirs.shard,
                manifest.shard
            )));
        }
        let (runs, timeline) = (dir.join(RUNS_CSV), dir.join(TIMELINE_CSV));
        cut_torn_tail(&runs)?;
        cut_torn_tail(&timeline)?;
        let records = read_runs(&runs)?;
        let done: HashSet<&str> = records.iter().map(|r| r.run_id.as_str()).collect();
        let wanted: HashSet<&str> = manifest.run_ids.iter().map(String::as_str).collect();
        if let Some(stray) = records.iter().find(|r| !wanted.contains(r.run_id.as_str())) {
            return Err(LabError::InvalidArgument(format!(
                "{}: holds run `{}`, which this sweep does not have",
                runs.display(),
                stray.run_id
            )));
        }
        let timeline_rows: Vec<TimelineRow> = read_timeline(&timeline)?
            .into_iter()
            .filter(|row| done.contains(row.run_id.as_str()))
            .collect();
        // Rows of a run that did not finish would be appended twice.
        let mut text = csv_line(&timeline_columns(levels))?;
        for row in &timeline_rows {
            text.extend(csv_line(&timeline_cells(row, levels))?);
        }
        write_file(&timeline, &text)?;
        let timeline = timeline_rows;
        let journal = Journal::open(dir, varied, levels)?;
        Ok((journal, Finished { records, timeline }))
    }

    /// Appends a finished run: its timeline rows, synced, then its runs.csv
    /// row, synced.
    pub fn append(&mut self, record: &RunRecord, timeline: &[TimelineRow]) -> Result<()> {
        let mut rows = Vec::new();
        for row in timeline {
            rows.extend(csv_line(&timeline_cells(row, self.levels))?);
        }
        let path = self.dir.join(TIMELINE_CSV);
        self.timeline
            .write_all(&rows)
            .and_then(|()| self.timeline.sync_data())
            .map_err(|e| LabError::io(&path, e))?;
        let line = csv_line(&run_cells(record, &self.varied))?;
        let path = self.dir.join(RUNS_CSV);
        self.runs
            .write_all(&line)
            .and_then(|()| self.runs.sync_data())
            .map_err(|e| LabError::io(&path, e))
    }

    /// The journal's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Removes the journal once the sweep's outputs are written.
    pub fn remove(self) -> Result<()> {
        let dir = self.dir.clone();
        drop(self);
        std::fs::remove_dir_all(&dir).map_err(|e| LabError::io(&dir, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::tests::record;
    use crate::timeline::tests::samples;

    fn manifest(ids: &[&str]) -> Manifest {
        Manifest {
            spec: "demo".into(),
            spec_hash: "00000000000000aa".into(),
            lsmlab_version: "0.1.0".into(),
            seed: 7,
            shard: "0/1".into(),
            run_ids: ids.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn finished_runs_survive_a_torn_append_and_other_experiments_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = journal_dir(&root.path().join("demo"));
        assert!(dir.ends_with("demo.partial"));
        let m = manifest(&["leveled/uniform", "fifo/uniform"]);
        let mut j = Journal::create(&dir, &m, &[], 7).unwrap();
        let a = record("leveled", "uniform", 4.0);
        j.append(&a, &samples(&a.run_id, 5, 1.0)).unwrap();
        // A crash inside the next append: its timeline rows and half a row.
        let b = record("fifo", "uniform", 1.0);
        j.append(&b, &samples(&b.run_id, 5, 1.0)).unwrap();
        drop(j);
        let runs = dir.join(RUNS_CSV);
        let len = std::fs::metadata(&runs).unwrap().len();
        let f = OpenOptions::new().write(true).open(&runs).unwrap();
        f.set_len(len - 10).unwrap();
        drop(f);

        let (_, finished) = Journal::resume(&dir, &m, &[], 7).unwrap();
        assert_eq!(finished.records, std::slice::from_ref(&a));
        assert_eq!(finished.timeline.len(), 5);
        assert!(finished.timeline.iter().all(|r| r.run_id == a.run_id));

        let mut other = m.clone();
        other.seed = 8;
        let err = Journal::resume(&dir, &other, &[], 7)
            .unwrap_err()
            .to_string();
        assert!(err.contains("seed 7 vs 8"), "{err}");
    }
}
