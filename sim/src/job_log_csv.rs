//! A run's flushes and compactions as a CSV file (`lsmlab run --job-log`,
//! and lsmlab's side of every peer comparison): one row per table each job
//! read or wrote, so that picks can be compared job by job with another
//! engine's (RocksDB's LOG) or between two lsmlab revisions.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use lsmlab_engine::db::{JobEvent, JobListener};

/// The header of a job log.
pub const HEADER: &str =
    "job,last_sequence,kind,reason,output_level,role,level,file,size,entries,smallest_key,largest_key";

/// Writes each installed job's tables to a CSV file as the run goes.
pub struct JobLogCsv {
    path: PathBuf,
    out: Mutex<Out>,
}

struct Out {
    w: BufWriter<File>,
    /// The first write error; the rest of the run's rows are dropped.
    error: Option<std::io::Error>,
}

impl JobLogCsv {
    /// Creates (or truncates) `path` and writes the header.
    pub fn create(path: &Path) -> std::io::Result<JobLogCsv> {
        let mut w = BufWriter::new(File::create(path)?);
        writeln!(w, "{HEADER}")?;
        Ok(JobLogCsv {
            path: path.to_path_buf(),
            out: Mutex::new(Out { w, error: None }),
        })
    }

    /// Flushes the file; reports the first error any row met.
    pub fn finish(&self) -> std::io::Result<()> {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = out.error.take() {
            return Err(std::io::Error::new(
                e.kind(),
                format!("writing {}: {e}", self.path.display()),
            ));
        }
        out.w.flush()
    }
}

impl JobListener for JobLogCsv {
    fn job_installed(&self, e: &JobEvent) {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        if out.error.is_some() {
            return;
        }
        let rows = e
            .inputs
            .iter()
            .map(|f| ("input", f))
            .chain(e.outputs.iter().map(|f| ("output", f)));
        for (role, f) in rows {
            let r = writeln!(
                out.w,
                "{},{},{},{},{},{role},{},{},{},{},{},{}",
                e.job,
                e.last_sequence,
                e.kind,
                e.reason,
                e.output_level,
                f.level,
                f.number,
                f.size,
                f.entries,
                hex(&f.smallest_user_key),
                hex(&f.largest_user_key),
            );
            if let Err(err) = r {
                out.error = Some(err);
                return;
            }
        }
    }
}

/// Keys as lowercase hex: any byte string, one CSV field, sorting as the
/// keys sort when they have the same length.
fn hex(key: &[u8]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsmlab_engine::{Db, Options};
    use std::sync::Arc;

    /// A flush, then an L0->L1 merge: the log names both, with the files
    /// each read and wrote, and the merge's inputs are the flushes' outputs.
    #[test]
    fn logs_flushes_and_merges_with_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path().join("db"), Options::default()).unwrap();
        let path = dir.path().join("jobs.csv");
        let log = Arc::new(JobLogCsv::create(&path).unwrap());
        db.set_job_listener(Some(log.clone()));
        for round in 0..2u8 {
            db.put(&[b'a', round], b"v").unwrap();
            db.put(&[b'z', round], b"v").unwrap();
            db.flush().unwrap();
        }
        db.compact_level(0).unwrap();
        log.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let rows: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect())
            .collect();
        assert_eq!(text.lines().next(), Some(HEADER));
        let flushes: Vec<_> = rows.iter().filter(|r| r[2] == "flush").collect();
        assert_eq!(flushes.len(), 2, "{text}");
        assert!(flushes.iter().all(|r| r[5] == "output" && r[6] == "0"));
        assert_eq!((flushes[0][0], flushes[0][1]), ("1", "2"));
        assert_eq!((flushes[1][0], flushes[1][1]), ("2", "4"));
        // The second flush's table spans a\x01 ..= z\x01.
        assert_eq!((flushes[1][10], flushes[1][11]), ("6101", "7a01"));
        let merge: Vec<_> = rows.iter().filter(|r| r[0] == "3").collect();
        assert!(merge.iter().all(|r| r[2] == "merge" && r[4] == "1"));
        let inputs: Vec<&str> = merge
            .iter()
            .filter(|r| r[5] == "input")
            .map(|r| r[7])
            .collect();
        let flushed: Vec<&str> = flushes.iter().map(|r| r[7]).collect();
        assert_eq!(inputs.len(), 2);
        assert!(inputs.iter().all(|n| flushed.contains(n)), "{text}");
        let out: Vec<_> = merge.iter().filter(|r| r[5] == "output").collect();
        assert_eq!(out.len(), 1);
        assert_eq!((out[0][6], out[0][9]), ("1", "4"));
        assert_eq!((out[0][10], out[0][11]), ("6100", "7a01"));
    }
}
