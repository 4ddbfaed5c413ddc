//! Incremental release of a merge's inputs (ScyllaDB's incremental
//! compaction): each output the kernel seals is installed at once, and the
//! inputs the merge has read to their end are deleted then, so a merge of
//! whole runs needs about one fragment per input run of extra space, not a
//! second copy of its inputs.
//!
//! At a checkpoint the merge has read every input entry below a user key
//! `resume_at`, and the sealed outputs hold the survivors. One manifest
//! edit then adds the sealed outputs to the job's output run, deletes every
//! input file whose last key is below `resume_at`, and narrows every input
//! file that straddles it ([`FileMeta::narrowed`]: its `smallest` becomes
//! `resume_at`, so reads of the file start there). After the edit, each key
//! is answered by exactly one side: the outputs below `resume_at`, the
//! inputs' remaining parts from it on. A crash between checkpoints leaves
//! that version, consistent; the unfinished outputs are unreferenced files
//! that the next open removes.

use std::cell::RefCell;
use std::collections::HashSet;

use super::background::Shared;
use super::Inner;
use crate::compaction::{Checkpoint, Job};
use crate::error::Result;
use crate::key::{seek_key, MAX_SEQ};
use crate::version::{FileMeta, VersionEdit};

/// What the checkpoints of one job installed and released so far.
#[derive(Debug, Default)]
pub(super) struct Released {
    /// Input files deleted before the job's end.
    pub inputs: HashSet<u64>,
    /// Outputs already installed.
    pub outputs: HashSet<u64>,
    /// Their bytes.
    pub output_bytes: u64,
    /// Bytes of the input files deleted.
    pub input_bytes: u64,
    /// The run the outputs join, once the first is installed.
    pub run: Option<u64>,
}

impl Inner {
    /// Installs `sealed`, outputs of `job`, and releases the inputs the
    /// merge has passed at `resume_at` (see the module doc).
    pub(super) fn release_passed_inputs(
        &mut self,
        job: &Job,
        done: &mut Released,
        sealed: &[FileMeta],
        resume_at: &[u8],
    ) -> Result<()> {
        self.check_writable()?;
        // The outputs must be durable before the manifest names them.
        self.env.fs.sync_dir(&self.dir)?;
        let mut edit = VersionEdit::default();
        let mut passed = Vec::new();
        let mut narrowed = Vec::new();
        for input in &job.inputs {
            for f in input
                .files
                .iter()
                .filter(|f| !done.inputs.contains(&f.number))
            {
                if f.largest_user_key() < resume_at {
                    edit.delete_file(input.level, f.number);
                    passed.push(f.clone());
                } else if f.smallest_user_key() < resume_at {
                    let mut part = FileMeta::clone(f);
                    part.smallest = seek_key(resume_at, MAX_SEQ);
                    part.narrowed = true;
                    edit.delete_file(input.level, f.number);
                    edit.add_file_to_run(input.level, input.run, part);
                    narrowed.push(f.number);
                }
            }
        }
        let run = *done.run.get_or_insert_with(|| {
            job.output_run
                .or(sealed.first().map(|f| f.number))
                .unwrap_or_default()
        });
        let sealed_bytes: u64 = sealed.iter().map(|f| f.size).sum();
        for f in sealed {
            edit.add_file_to_run(job.output_level, run, f.clone());
        }
        // The sealed outputs coexist with every input not yet released.
        let coexisting = self.version.total_bytes() + sealed_bytes;
        let extra = (done.output_bytes + sealed_bytes).saturating_sub(done.input_bytes);
        self.record_merge_space(coexisting, extra);
        for n in &narrowed {
            // Opened again, with the new lower bound, on the next read.
            // Forgotten before the install publishes the narrowed version,
            // so no reader pairs it with the table opened without the bound.
            self.tables.remove(n);
        }
        self.install(edit)?;
        done.outputs.extend(sealed.iter().map(|f| f.number));
        done.output_bytes += sealed_bytes;
        for f in &passed {
            done.inputs.insert(f.number);
            done.input_bytes += f.size;
            self.remove_table_file(f)?;
        }
        // Drops the released inputs' tables from the view the install
        // published.
        self.publish_view();
        self.stats.inputs_released_early += passed.len() as u64;
        Ok(())
    }
}

/// Checkpoints of a merge that runs under the database lock (the
/// deterministic mode): installed on the spot.
pub(super) struct InlineRelease<'a> {
    pub inner: RefCell<&'a mut Inner>,
    pub job: &'a Job,
    pub done: RefCell<Released>,
}

impl Checkpoint for InlineRelease<'_> {
    fn sealed(&self, sealed: &[FileMeta], resume_at: &[u8]) -> Result<()> {
        self.inner.borrow_mut().release_passed_inputs(
            self.job,
            &mut self.done.borrow_mut(),
            sealed,
            resume_at,
        )
    }
}

/// Checkpoints of a merge on a background worker: installed under the
/// lock, the installed outputs held by the job (no other job may take
/// them) until it ends.
pub(super) struct SharedRelease<'a> {
    pub shared: &'a Shared,
    pub job: &'a Job,
    pub id: u64,
    pub done: RefCell<Released>,
}

impl Checkpoint for SharedRelease<'_> {
    fn sealed(&self, sealed: &[FileMeta], resume_at: &[u8]) -> Result<()> {
        let mut inner = self.shared.lock();
        if let Some(r) = inner.sched.running.iter_mut().find(|r| r.id == self.id) {
            r.held.extend(sealed.iter().map(|f| f.number));
        }
        let r =
            inner.release_passed_inputs(self.job, &mut self.done.borrow_mut(), sealed, resume_at);
        drop(inner);
        self.shared.changed.notify_all();
        r
    }
}
