//! The tree changes each flush and compaction installs, handed to a
//! listener as they happen: the engine's counterpart of RocksDB's
//! `EventListener::OnFlushCompleted` / `OnCompactionCompleted` and of the
//! `flush_finished` / `compaction_started` lines of its LOG, so that two
//! engines' picks can be compared job by job.

use std::sync::Arc;

use crate::compaction::{Job, JobKind};
use crate::key::SeqNo;
use crate::version::FileMeta;

/// One table a job read or wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFile {
    /// The level the file was in (inputs) or went to (outputs).
    pub level: usize,
    pub number: u64,
    pub size: u64,
    pub entries: u64,
    pub smallest_user_key: Vec<u8>,
    pub largest_user_key: Vec<u8>,
}

impl JobFile {
    fn new(level: usize, f: &FileMeta) -> JobFile {
        JobFile {
            level,
            number: f.number,
            size: f.size,
            entries: f.entries,
            smallest_user_key: f.smallest_user_key().to_vec(),
            largest_user_key: f.largest_user_key().to_vec(),
        }
    }
}

/// What one installed flush or compaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEvent {
    /// Installed jobs numbered from 1 since the listener was set, flushes
    /// included.
    pub job: u64,
    /// The database's last sequence number when the job was installed (the
    /// writes so far, for a workload of single puts).
    pub last_sequence: SeqNo,
    /// `flush`, `merge`, `move` (trivial move) or `drop` (files deleted
    /// whole).
    pub kind: &'static str,
    /// The picker's reason ([`crate::compaction::Reason::name`]); `flush`
    /// for flushes.
    pub reason: &'static str,
    pub output_level: usize,
    /// The job's input tables, shallowest level first (none for a flush).
    pub inputs: Vec<JobFile>,
    /// The tables it installed (a move's are its inputs at the output
    /// level; a drop has none).
    pub outputs: Vec<JobFile>,
}

impl JobEvent {
    pub(super) fn flush(files: &[FileMeta]) -> JobEvent {
        JobEvent {
            job: 0,
            last_sequence: 0,
            kind: "flush",
            reason: super::stats::FLUSH_REASON,
            output_level: 0,
            inputs: Vec::new(),
            outputs: files.iter().map(|f| JobFile::new(0, f)).collect(),
        }
    }

    pub(super) fn compaction(job: &Job, outputs: &[FileMeta]) -> JobEvent {
        let inputs: Vec<JobFile> = job
            .input_files()
            .map(|(level, f)| JobFile::new(level, f))
            .collect();
        let (kind, outputs) = match job.kind {
            JobKind::Merge => (
                "merge",
                outputs
                    .iter()
                    .map(|f| JobFile::new(job.output_level, f))
                    .collect(),
            ),
            JobKind::TrivialMove => (
                "move",
                inputs
                    .iter()
                    .map(|f| JobFile {
                        level: job.output_level,
                        ..f.clone()
                    })
                    .collect(),
            ),
            JobKind::Drop => ("drop", Vec::new()),
        };
        JobEvent {
            job: 0,
            last_sequence: 0,
            kind,
            reason: job.reason.name(),
            output_level: job.output_level,
            inputs,
            outputs,
        }
    }
}

/// Receives every installed flush and compaction. Called with the
/// database's lock held, on the thread that installed the job: it must not
/// call back into the database, and should be quick.
pub trait JobListener: Send + Sync {
    fn job_installed(&self, event: &JobEvent);
}

/// The listener a database reports to, and its job numbering.
#[derive(Default)]
pub(super) struct JobLog {
    listener: Option<Arc<dyn JobListener>>,
    installed: u64,
}

impl JobLog {
    pub(super) fn set(&mut self, listener: Option<Arc<dyn JobListener>>) {
        self.listener = listener;
        self.installed = 0;
    }

    pub(super) fn wanted(&self) -> bool {
        self.listener.is_some()
    }

    /// Numbers `event` and hands it to the listener, if any.
    pub(super) fn report(&mut self, mut event: JobEvent, last_sequence: SeqNo) {
        if let Some(l) = &self.listener {
            self.installed += 1;
            event.job = self.installed;
            event.last_sequence = last_sequence;
            l.job_installed(&event);
        }
    }
}
