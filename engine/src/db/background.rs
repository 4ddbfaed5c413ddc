//! The background mode: `max_background_jobs` worker threads flush and
//! compact while writes and reads go on. Work is taken and installed under
//! the database lock; the merge itself runs without it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use super::release::{Released, SharedRelease};
use super::retired::RETIRED_POLL_MS;
use super::work::{FlushWork, MergeWork};
use super::Inner;
use crate::compaction::{Job, JobKind};

/// What the database's threads share.
pub(super) struct Shared {
    pub inner: Mutex<Inner>,
    /// The writer gate: one writer at a time appends to the WAL and inserts
    /// into the memtable, without `inner` (taken before `inner`, never
    /// after). Also held by whatever else touches the WAL or rotates the
    /// memtable from a user's call (`Db::flush`, `Db::close`). It holds the
    /// batch single-key writes (`put`, `delete`, `merge`) fill, so that
    /// they allocate nothing.
    pub writer: Mutex<crate::batch::WriteBatch>,
    /// What readers read without `inner` (the same `Arc` as `Inner`'s).
    pub published: Arc<super::view::Published>,
    /// Signalled whenever work is queued or completes, and at shutdown.
    pub changed: Condvar,
    pub shutdown: AtomicBool,
    /// Summed outside the lock by point lookups (see `Db::stats`).
    pub lookups: super::stats::LookupCounters,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the files half-written
        // (installs are atomic on disk); continue with the state as it is.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn writer(&self) -> MutexGuard<'_, crate::batch::WriteBatch> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn wait<'a>(&self, guard: MutexGuard<'a, Inner>) -> MutexGuard<'a, Inner> {
        self.changed.wait(guard).unwrap_or_else(|e| e.into_inner())
    }
}

/// One piece of background work taken from the queue.
enum Task {
    Flush(FlushWork),
    Merge(Box<MergeWork>, u64),
    /// A trivial move or a drop: a manifest edit, done under the lock.
    Edit(Job, u64),
}

/// Starts worker thread `i`; the operating system may refuse.
pub(super) fn spawn_worker(shared: &Arc<Shared>, i: usize) -> std::io::Result<JoinHandle<()>> {
    let shared = shared.clone();
    std::thread::Builder::new()
        .name(format!("lsmlab-bg-{i}"))
        .spawn(move || worker(&shared))
}

fn worker(shared: &Shared) {
    let mut guard = shared.lock();
    loop {
        if shared.shutdown.load(Ordering::Acquire) {
            return;
        }
        let Some(task) = guard.next_task() else {
            // Retired tables are closed where the lock is let go anyway, or
            // here, with nothing to do: letting the lock go between a job's
            // install and the next pick would show `Db::compact` an idle
            // database that is not. The loop then looks again (a shutdown
            // or work may have come meanwhile).
            let unheld = guard.retired.take_unheld();
            if !unheld.is_empty() {
                let n = unheld.len();
                guard.retired.closing(n);
                drop(guard);
                drop(unheld);
                guard = shared.lock();
                guard.retired.closed(n);
                // `Db::compact` waits for these.
                shared.changed.notify_all();
                continue;
            }
            // A policy with a timer (TTL, time windows) is asked again at its
            // wake-up time even if nothing else happens; retired tables are
            // looked at again every `RETIRED_POLL_MS`.
            let policy_ms = guard
                .quiet
                .and_then(|q| q.wake_ms)
                .map(|t| t.saturating_sub(guard.now_ms()).clamp(1, 1000));
            let retired_ms = (!guard.retired.is_empty()).then_some(RETIRED_POLL_MS);
            let wake = match (policy_ms, retired_ms) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            guard = match wake {
                Some(ms) => {
                    shared
                        .changed
                        .wait_timeout(guard, std::time::Duration::from_millis(ms))
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => shared.wait(guard),
            };
            continue;
        };
        match task {
            Task::Flush(work) => {
                unlock(guard);
                let out = work.execute();
                guard = shared.lock();
                guard.flushing = false;
                match out {
                    Ok(out) => {
                        let _ = guard.finish_flush(out);
                    }
                    Err(e) => {
                        guard.fail(e);
                    }
                }
            }
            Task::Merge(work, id) => {
                unlock(guard);
                let (out, released) = if work.releases_inputs_early {
                    let release = SharedRelease {
                        shared,
                        job: &work.job,
                        id,
                        done: Default::default(),
                    };
                    let out = work.execute(Some(&release));
                    (out, release.done.into_inner())
                } else {
                    (work.execute(None), Released::default())
                };
                guard = shared.lock();
                guard.sched.running.retain(|r| r.id != id);
                match out {
                    Ok(out) => {
                        let _ = guard.finish_job(&work.job, Some(out), &released);
                    }
                    Err(e) => {
                        guard.fail(e);
                    }
                }
            }
            Task::Edit(job, id) => {
                guard.sched.running.retain(|r| r.id != id);
                let _ = guard.finish_job(&job, None, &Released::default());
            }
        }
        shared.changed.notify_all();
    }
}

/// Lets the lock go, then closes the retired tables no reader holds any
/// more (outside the lock); whether there were any.
pub(super) fn unlock(mut guard: MutexGuard<'_, Inner>) -> bool {
    let unheld = guard.retired.take_unheld();
    drop(guard);
    let closed = !unheld.is_empty();
    drop(unheld);
    closed
}

impl Inner {
    /// True when some background work is queued, running, or may be picked.
    pub(super) fn background_busy(&self) -> bool {
        self.failed.is_none()
            && (!self.imm.is_empty()
                || !self.sched.running.is_empty()
                || self.may_start_job(self.now_ms()))
    }

    /// The next piece of work for a worker: the oldest memtable's flush
    /// first, then a compaction job if a slot is free and the policy finds
    /// one.
    fn next_task(&mut self) -> Option<Task> {
        if self.failed.is_some() {
            return None;
        }
        if !self.flushing {
            if let Some(work) = self.prepare_flush() {
                self.flushing = true;
                return Some(Task::Flush(work));
            }
        }
        let (job, id) = self.start_next_job(self.now_ms())?;
        match job.kind {
            JobKind::Merge => match self.prepare_merge(job) {
                Ok(work) => Some(Task::Merge(Box::new(work), id)),
                Err(e) => {
                    self.sched.running.retain(|r| r.id != id);
                    self.fail(e);
                    None
                }
            },
            JobKind::TrivialMove | JobKind::Drop => Some(Task::Edit(job, id)),
        }
    }
}
