//! The compaction-service seam: a merge job runs on a remote worker when
//! the database has a [`CompactionService`], and here otherwise (or when
//! every attempt failed). A remote result is verified before it is used:
//! every output must open with valid checksums throughout, match the
//! metadata the worker sent, carry a number reserved for that attempt and
//! lie within the inputs' key range. A failed attempt's outputs are deleted.

use std::sync::atomic::{AtomicU64, Ordering};

use super::work::MergeWork;
use super::Db;
use crate::compaction::MergeOutput;
use crate::error::{Error, Result};
use crate::iter::InternalIterator;
use crate::key;
use crate::remote::{CompactionService, FileRange, RemoteJob, RemoteResult};
use crate::sst::bloom::BloomLayout;
use crate::sst::Table;
use crate::version::{sst_file_name, FileMeta};

/// How remote compaction went, from open to now.
#[derive(Debug, Default)]
pub(super) struct RemoteCounters {
    pub jobs: AtomicU64,
    pub failed_attempts: AtomicU64,
    pub ran_locally: AtomicU64,
}

impl Db {
    /// Runs merge compactions through `service` from now on (`None`: on
    /// this process again). Jobs that read or write blob references always
    /// run here.
    pub fn set_compaction_service(&self, service: Option<std::sync::Arc<dyn CompactionService>>) {
        self.lock().service = service;
    }
}

fn range_of(f: &FileMeta) -> FileRange {
    FileRange {
        smallest: f.smallest.clone(),
        largest: f.largest.clone(),
        smallest_seq: f.smallest_seq,
        size: f.size,
    }
}

/// The job's input files and the user-key range they cover.
fn inputs_and_range(work: &MergeWork) -> (Vec<&FileMeta>, &[u8], &[u8]) {
    let inputs: Vec<&FileMeta> = work.job.input_files().map(|(_, f)| f.as_ref()).collect();
    let lo = inputs.iter().map(|f| f.smallest_user_key()).min();
    let hi = inputs.iter().map(|f| f.largest_user_key()).max();
    (inputs, lo.unwrap_or_default(), hi.unwrap_or_default())
}

/// The job as a worker sees it, with `first..first + count` reserved for
/// its outputs.
fn remote_job(work: &MergeWork, first: u64, count: u64) -> RemoteJob {
    let (version, ..) = work.parts();
    let (snapshots, now_ms, table) = work.snapshots_and_now();
    let job = &work.job;
    let (inputs, lo, hi) = inputs_and_range(work);
    let numbers: std::collections::HashSet<u64> = inputs.iter().map(|f| f.number).collect();
    let mut others = Vec::new();
    for level in 0..version.num_levels() {
        for f in version.files(level) {
            if !numbers.contains(&f.number) && f.overlaps(lo, hi) {
                others.push(range_of(f));
            }
        }
    }
    // The grandparents the local merge uses: the first level below the
    // output holding keys of the job's range.
    let grandparents = match job.user_key_range() {
        Some((lo, hi)) => (job.output_level + 1..version.num_levels())
            .map(|l| version.overlapping_files(l, &lo, &hi))
            .find(|files| !files.is_empty())
            .unwrap_or_default()
            .iter()
            .map(|f| range_of(f))
            .collect(),
        None => Vec::new(),
    };
    RemoteJob {
        job_id: first,
        inputs: inputs.iter().map(|f| f.number).collect(),
        output_level: job.output_level as u64,
        snapshots: snapshots.to_vec(),
        now_ms,
        block_size: table.block_size as u64,
        block_size_deviation: u64::from(table.block_size_deviation),
        block_restart_interval: table.block_restart_interval as u64,
        bloom_bits_per_key: u64::from(table.bloom_bits_per_key),
        bloom_layout: u64::from(table.bloom_layout == BloomLayout::CacheLocal),
        max_output_file_size: job.max_output_file_size,
        max_grandparent_files: job.max_grandparent_files.map(|n| n as u64),
        grandparents,
        others,
        oldest_time_ms: inputs
            .iter()
            .map(|f| f.oldest_time_ms)
            .min()
            .unwrap_or(now_ms),
        newest_time_ms: inputs
            .iter()
            .map(|f| f.newest_time_ms)
            .max()
            .unwrap_or(now_ms),
        first_output_number: first,
        output_numbers: count,
        output_cut: job.output_cut.clone(),
        split_points: job.split_points.clone(),
        db_identity: work.db_identity().map(<[u8]>::to_vec),
    }
}

/// Output numbers reserved per attempt: enough for the inputs cut at the
/// output size plus a file per input and some grandparent cuts.
fn numbers_needed(work: &MergeWork) -> u64 {
    let bytes = work.job.input_bytes();
    let per_size = work
        .job
        .max_output_file_size
        .map_or(1, |m| bytes / m.max(1) + 1);
    per_size + work.job.input_file_count() as u64 + 16
}

/// Tries the job on `service` as many times as it allows; the verified
/// output of the first attempt that succeeds, or `None` (every attempt's
/// outputs deleted) when the job must run here.
pub(super) fn run_remote(work: &MergeWork, service: &dyn CompactionService) -> Option<MergeOutput> {
    let (_, fs, dir, files) = work.parts();
    let counters = work.remote_counters();
    for _ in 0..service.attempts().max(1) {
        let count = numbers_needed(work);
        let first = files.fetch_add(count, Ordering::Relaxed);
        let job = remote_job(work, first, count);
        let outcome = service.run(&job).and_then(|r| match r {
            RemoteResult::Done {
                files,
                stats,
                purged_tombstones,
            } => {
                let out = MergeOutput {
                    files,
                    stats,
                    purged_tombstones,
                    ..MergeOutput::default()
                };
                verify(work, &job, &out).map(|()| out)
            }
            RemoteResult::Failed(why) => Err(Error::InvalidArgument(why)),
        });
        match outcome {
            Ok(out) => {
                counters.jobs.fetch_add(1, Ordering::Relaxed);
                return Some(out);
            }
            Err(_) => {
                counters.failed_attempts.fetch_add(1, Ordering::Relaxed);
                // Orphans of the attempt: whatever it wrote under its numbers.
                for n in first..first + count {
                    let p = dir.join(sst_file_name(n));
                    if fs.exists(&p) {
                        let _ = fs.remove(&p);
                    }
                }
            }
        }
    }
    counters.ran_locally.fetch_add(1, Ordering::Relaxed);
    None
}

/// Checks a remote job's outputs before the writer installs them.
fn verify(work: &MergeWork, job: &RemoteJob, out: &MergeOutput) -> Result<()> {
    let (_, fs, dir, _) = work.parts();
    let bad = |why: String| Error::corruption(dir, format!("remote compaction output: {why}"));
    let (_, lo, hi) = inputs_and_range(work);
    let reserved = job.first_output_number..job.first_output_number + job.output_numbers;
    let mut seen = std::collections::HashSet::new();
    let mut bytes = 0;
    for f in &out.files {
        if !reserved.contains(&f.number) || !seen.insert(f.number) {
            return Err(bad(format!("file {:06} was not reserved for it", f.number)));
        }
        if f.smallest_user_key() < lo || f.largest_user_key() > hi {
            return Err(bad(format!(
                "file {:06} lies outside the inputs' keys",
                f.number
            )));
        }
        let t = Table::open(fs, &dir.join(f.file_name()))?;
        t.check_matches(f, work.db_identity())?;
        // Every block read: a damaged byte fails its checksum here.
        let mut it = t.iter();
        it.seek_to_first()?;
        let mut entries = 0;
        while it.valid() {
            if key::parse_internal_key(it.key()).is_none() {
                return Err(bad(format!("file {:06} holds a malformed key", f.number)));
            }
            entries += 1;
            it.next()?;
        }
        if entries != f.entries {
            return Err(bad(format!(
                "file {:06} holds {entries} entries, the worker said {}",
                f.number, f.entries
            )));
        }
        bytes += f.size;
    }
    if out.stats.output_files != out.files.len() as u64 || out.stats.bytes_written != bytes {
        return Err(bad("statistics do not match the files".into()));
    }
    Ok(())
}
