//! `fifo`: sorted runs kept in arrival order in L0 and dropped whole,
//! unread, once every entry in a file has expired or when the total exceeds
//! a cap (RocksDB FIFO); optionally the runs of each closed time window
//! merge into one (as Cassandra's TWCS does).

use std::sync::Arc;

use crate::compaction::level_picker::job_inputs_by_run;
use crate::compaction::registry::{no_relations, PolicyDef};
use super::size_tiered::only_l0;
use crate::compaction::{CompactionOptions, Job, JobKind, PickContext, Reason, Strategy};
use crate::params::{ParamDef, Unit, Value};
use crate::version::{FileMeta, SortedRun, Version};

/// The registry entry.
pub const POLICY: PolicyDef = PolicyDef {
    name: "fifo",
    aliases: &["ttl", "kCompactionStyleFIFO"],
    description: "time-ordered files dropped whole once expired (ttl) or over fifo_max_bytes; optional merging within closed time windows",
    params: &[
        ParamDef::new("ttl", &[], Unit::Duration, Value::Int(0), (0.0, 1e12),
            "drop a file once its newest data is this old").note("0: off"),
        ParamDef::new("fifo_max_bytes", &["max_table_files_size"], Unit::Bytes, Value::Int(0), (0.0, 1125899906842624.0),
            "drop the oldest files above this total").note("0: no cap"),
        ParamDef::new("time_window", &["compaction_window_size"], Unit::Duration, Value::Int(0), (0.0, 1e12),
            "merge the runs of each closed window of this width").note("0: off"),
    ],
    validate: no_relations,
    build: |o| Arc::new(Fifo::new(o)),
};

/// FIFO / TTL compaction.
#[derive(Debug, Clone)]
pub struct Fifo {
    ttl_ms: u64,
    max_bytes: u64,
    time_window_ms: u64,
}

impl Fifo {
    /// A strategy with the parameters of `o`.
    pub fn new(o: &CompactionOptions) -> Self {
        Fifo {
            ttl_ms: o.millis("ttl"),
            max_bytes: o.int("fifo_max_bytes"),
            time_window_ms: o.millis("time_window"),
        }
    }

    /// When `f` expires: by age (ttl) or by its entries' own expiry.
    fn expiry_ms(&self, f: &FileMeta) -> Option<u64> {
        let by_age = (self.ttl_ms > 0).then(|| f.newest_time_ms.saturating_add(self.ttl_ms));
        [by_age, f.max_expiry_ms].into_iter().flatten().min()
    }

    /// Runs not being compacted, oldest first.
    fn idle_runs_oldest_first(v: &Version, ctx: &PickContext<'_>) -> Vec<Arc<SortedRun>> {
        v.runs(0)
            .iter()
            .rev()
            .filter(|r| !r.files().iter().any(|f| ctx.busy.contains(&f.number)))
            .cloned()
            .collect()
    }

    /// Runs of closed windows, by window, oldest window first.
    fn closed_windows(
        &self,
        runs: &[Arc<SortedRun>],
        now_ms: u64,
    ) -> Vec<(u64, Vec<Arc<SortedRun>>)> {
        let Some(current) = now_ms.checked_div(self.time_window_ms) else {
            return Vec::new();
        };
        let mut windows: Vec<(u64, Vec<Arc<SortedRun>>)> = Vec::new();
        for r in runs {
            let w = r.oldest_time_ms() / self.time_window_ms;
            if w >= current {
                continue;
            }
            match windows.iter_mut().find(|(x, _)| *x == w) {
                Some((_, group)) => group.push(r.clone()),
                None => windows.push((w, vec![r.clone()])),
            }
        }
        windows.sort_by_key(|(w, _)| *w);
        windows
    }
}

fn drop_job(v: &Version, files: &[Arc<FileMeta>], reason: Reason) -> Job {
    let mut job = Job::on_l0_runs(JobKind::Drop, &[], reason, None);
    job.inputs = job_inputs_by_run(v, 0, files);
    job
}

impl Strategy for Fifo {
    fn name(&self) -> &str {
        POLICY.name
    }

    fn stalls_on_l0_files(&self) -> bool {
        false
    }

    fn drops_files_unread(&self) -> bool {
        true
    }

    fn pick(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        let runs = Self::idle_runs_oldest_first(v, ctx);
        let files: Vec<Arc<FileMeta>> = runs.iter().flat_map(|r| r.files().to_vec()).collect();

        let expired: Vec<_> = files
            .iter()
            .filter(|f| self.expiry_ms(f).is_some_and(|t| t <= ctx.now_ms))
            .cloned()
            .collect();
        if !expired.is_empty() {
            return Some(drop_job(v, &expired, Reason::TtlExpired));
        }

        let total = v.total_bytes();
        if self.max_bytes > 0 && total > self.max_bytes {
            let mut excess = total - self.max_bytes;
            let mut victims = Vec::new();
            for f in &files {
                if excess == 0 {
                    break;
                }
                excess = excess.saturating_sub(f.size);
                victims.push(f.clone());
            }
            return Some(drop_job(v, &victims, Reason::SizeCap));
        }

        let windows = self.closed_windows(&runs, ctx.now_ms);
        let (window, group) = windows.into_iter().find(|(_, g)| g.len() >= 2)?;
        Some(Job::on_l0_runs(
            JobKind::Merge,
            &group,
            Reason::TimeWindow { window },
            Some(ctx.options.base_file_size),
        ))
    }

    /// The earliest expiry of any file, and the close of the current time
    /// window when it holds two runs or more.
    fn next_wakeup_ms(&self, v: &Version, ctx: &PickContext<'_>) -> Option<u64> {
        let expiry = v.files(0).iter().filter_map(|f| self.expiry_ms(f)).min();
        let window_close = ctx
            .now_ms
            .checked_div(self.time_window_ms)
            .and_then(|current| {
                let in_current = v
                    .runs(0)
                    .iter()
                    .filter(|r| r.oldest_time_ms() / self.time_window_ms >= current)
                    .count();
                (in_current >= 2).then(|| (current + 1) * self.time_window_ms)
            });
        [expiry, window_close].into_iter().flatten().min()
    }

    fn check_shape(&self, v: &Version) -> Result<(), String> {
        only_l0(self.name(), v)
    }
}
