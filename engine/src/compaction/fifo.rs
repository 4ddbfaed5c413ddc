//! `fifo`: files kept in arrival order in L0 and dropped whole, unread, once
//! every entry in them has expired or when the total exceeds a cap (RocksDB
//! FIFO); optionally the files of each closed time window merge into one
//! (as Cassandra's TWCS does).

use std::sync::Arc;

use super::{CompactionOptions, Job, JobKind, PickContext, Reason, Shape, Strategy};
use crate::version::{FileMeta, Version};

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
            ttl_ms: o.ttl_ms,
            max_bytes: o.fifo_max_bytes,
            time_window_ms: o.time_window_ms,
        }
    }

    fn expired(&self, f: &FileMeta, now_ms: u64) -> bool {
        let by_age = self.ttl_ms > 0 && f.newest_time_ms.saturating_add(self.ttl_ms) <= now_ms;
        let by_entries = f.max_expiry_ms.is_some_and(|e| e <= now_ms);
        by_age || by_entries
    }
}

impl Strategy for Fifo {
    fn name(&self) -> &'static str {
        "fifo"
    }

    fn shape(&self) -> Shape {
        Shape::Tiered
    }

    fn stalls_on_l0_files(&self) -> bool {
        false
    }

    fn pick(&self, v: &Version, ctx: &PickContext<'_>) -> Option<Job> {
        // Oldest first.
        let mut files: Vec<Arc<FileMeta>> = v
            .files(0)
            .iter()
            .filter(|f| !ctx.busy.contains(&f.number))
            .cloned()
            .collect();
        files.sort_by(|a, b| {
            a.largest_seq
                .cmp(&b.largest_seq)
                .then(a.number.cmp(&b.number))
        });

        let expired: Vec<_> = files
            .iter()
            .filter(|f| self.expired(f, ctx.now_ms))
            .cloned()
            .collect();
        if !expired.is_empty() {
            return Some(Job::on_l0_runs(JobKind::Drop, expired, Reason::TtlExpired));
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
            return Some(Job::on_l0_runs(JobKind::Drop, victims, Reason::SizeCap));
        }

        if let Some(current) = ctx.now_ms.checked_div(self.time_window_ms) {
            let mut windows: Vec<(u64, Vec<Arc<FileMeta>>)> = Vec::new();
            for f in &files {
                let w = f.oldest_time_ms / self.time_window_ms;
                if w >= current {
                    continue;
                }
                match windows.iter_mut().find(|(x, _)| *x == w) {
                    Some((_, group)) => group.push(f.clone()),
                    None => windows.push((w, vec![f.clone()])),
                }
            }
            windows.sort_by_key(|(w, _)| *w);
            if let Some((window, group)) = windows.into_iter().find(|(_, g)| g.len() >= 2) {
                return Some(Job::on_l0_runs(
                    JobKind::Merge,
                    group,
                    Reason::TimeWindow { window },
                ));
            }
        }
        None
    }
}
