//! What a compaction worker does with a [`RemoteJob`]: the same merge
//! kernel as a local job, reading inputs from and writing outputs to the
//! shared directory.

use std::path::Path;
use std::sync::Arc;

use super::codec::{FileRange, RemoteJob, RemoteResult};
use crate::compaction::{merge, DropContext, EntryFilter, OutputSpec};
use crate::error::Result;
use crate::fs::Fs;
use crate::iter::InternalIterator;
use crate::key::{self, SeqNo};
use crate::merge_iter::MergingIterator;
use crate::sst::bloom::BloomLayout;
use crate::sst::{Table, TableOptions};
use crate::version::{sst_file_name, FileMeta};

/// A file range as the grandparent cut reads it (only the keys matter).
fn as_file(r: &FileRange) -> Arc<FileMeta> {
    Arc::new(FileMeta::from_bounds(
        0,
        r.size,
        r.smallest.clone(),
        r.largest.clone(),
        (r.smallest_seq, r.smallest_seq),
    ))
}

/// Runs `job` on the tables of `dir`: `Done` with the outputs' metadata, or
/// `Failed` (outputs removed) when it needed more output numbers than the
/// writer reserved. I/O and corruption errors are returned as errors.
pub fn execute(fs: &dyn Fs, dir: &Path, job: &RemoteJob) -> Result<RemoteResult> {
    let mut children: Vec<Box<dyn InternalIterator>> = Vec::with_capacity(job.inputs.len());
    let mut range_tombstones = Vec::new();
    for &n in &job.inputs {
        let t = Table::open(fs, &dir.join(sst_file_name(n)))?;
        range_tombstones.extend(t.raw_range_tombstones().iter().cloned());
        children.push(Box::new(t.iter()));
    }
    let mut input = MergingIterator::new(children);
    let mut filter = EntryFilter::new(&job.snapshots, job.now_ms);
    let older = |k: &[u8], seq: SeqNo| {
        job.others.iter().any(|r| {
            r.smallest_seq < seq
                && key::user_key(&r.smallest) <= k
                && k <= key::user_key(&r.largest)
        })
    };
    let older_in_range = |lo: &[u8], hi: &[u8], seq: SeqNo| {
        job.others.iter().any(|r| {
            r.smallest_seq < seq
                && key::user_key(&r.smallest) < hi
                && lo <= key::user_key(&r.largest)
        })
    };
    // The writer sends no job with merge operands (it keeps those), so no
    // operator; an operand met here fails the job, which then runs there.
    let drop_ctx = DropContext {
        range_tombstones,
        older_data_in_range: &older_in_range,
        merge_operator: None,
        data_between: &|_, _, _| true,
    };
    let grandparents: Vec<Arc<FileMeta>> = job.grandparents.iter().map(as_file).collect();
    let spec = OutputSpec {
        fs,
        dir,
        table_options: TableOptions {
            block_size: job.block_size as usize,
            block_size_deviation: job.block_size_deviation as u32,
            block_restart_interval: job.block_restart_interval as usize,
            bloom_bits_per_key: job.bloom_bits_per_key as u32,
            bloom_layout: if job.bloom_layout == 1 {
                BloomLayout::CacheLocal
            } else {
                BloomLayout::Whole
            },
        },
        max_file_size: job.max_output_file_size,
        grandparents: &grandparents,
        max_grandparent_files: job.max_grandparent_files.map(|n| n as usize),
        output_cut: job.output_cut.as_ref(),
        split_points: &job.split_points,
        oldest_time_ms: job.oldest_time_ms,
        newest_time_ms: job.newest_time_ms,
        db_identity: job.db_identity.as_deref(),
        blob: None,
        marking: Default::default(),
        created_ms: None,
        oldest_tombstone_ms: None,
        checkpoint: None,
    };
    let limit = job.first_output_number.saturating_add(job.output_numbers);
    let mut next = job.first_output_number;
    let out = merge(
        &mut input,
        &mut filter,
        &older,
        drop_ctx,
        &spec,
        &mut || {
            next += 1;
            next - 1
        },
    )?;
    if next > limit {
        for f in &out.files {
            let _ = fs.remove(&dir.join(f.file_name()));
        }
        return Ok(RemoteResult::Failed(format!(
            "job {} needed {} output numbers, {} were reserved",
            job.job_id,
            next - job.first_output_number,
            job.output_numbers
        )));
    }
    if !out.files.is_empty() {
        fs.sync_dir(dir)?;
    }
    Ok(RemoteResult::Done {
        files: out.files,
        stats: out.stats,
        purged_tombstones: out.purged_tombstones,
    })
}
