//! The background mode: `max_background_jobs` worker threads flush and
//! compact while writes and reads go on. Work is taken and installed under
//! the database lock; the merge itself runs without it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

use super::schedule::RunningJob;
use super::work::{FlushWork, MergeWork};
use super::write::StallCause;
use super::Inner;
use crate::compaction::{Job, JobKind, PickContext};
use crate::error::Result;

/// What the database's threads share.
pub(super) struct Shared {
    pub inner: Mutex<Inner>,
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

    pub(super) fn wait<'a>(&self, guard: MutexGuard<'a, Inner>) -> MutexGuard<'a, Inner> {
        self.changed.wait(guard).unwrap_or_else(|e| e.into_inner())
    }
}

/// One piece of background work taken from the queue.
enum Task {
    Flush(FlushWork),
    Merge(MergeWork, u64),
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
            guard = shared.wait(guard);
            continue;
        };
        match task {
            Task::Flush(work) => {
                drop(guard);
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
                drop(guard);
                let out = work.execute();
                guard = shared.lock();
                guard.sched.running.retain(|r| r.id != id);
                match out {
                    Ok(out) => {
                        let _ = guard.finish_job(&work.job, Some(out));
                    }
                    Err(e) => {
                        guard.fail(e);
                    }
                }
            }
            Task::Edit(job, id) => {
                guard.sched.running.retain(|r| r.id != id);
                let _ = guard.finish_job(&job, None);
            }
        }
        shared.changed.notify_all();
    }
}

impl Inner {
    /// True when some background work is queued, running, or may be picked.
    pub(super) fn background_busy(&self) -> bool {
        self.failed.is_none()
            && (!self.imm.is_empty()
                || !self.sched.running.is_empty()
                || (self.opts.auto_compaction && self.quiet_epoch != Some(self.epoch)))
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
        if !self.opts.auto_compaction
            || self.sched.running.len() >= self.opts.max_background_jobs
            || self.quiet_epoch == Some(self.epoch)
        {
            return None;
        }
        let busy = self.sched.busy_files().collect();
        let ctx = PickContext {
            options: &self.opts,
            busy: &busy,
            now_ms: self.now_ms(),
            last_level: self.last_level,
        };
        let Some(job) = self.strategy.pick(&self.version, &ctx) else {
            self.quiet_epoch = Some(self.epoch);
            return None;
        };
        self.last_level = job.inputs.first().map(|i| i.level);
        let id = self.sched.next_id();
        self.sched.running.push(RunningJob {
            job: job.clone(),
            remaining: 0,
            id,
        });
        match job.kind {
            JobKind::Merge => match self.prepare_merge(job) {
                Ok(work) => Some(Task::Merge(work, id)),
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

/// Lets a write of `bytes` in, in the background mode: waits (on the
/// condition variable, in wall-clock time) while a stop condition holds and
/// the workers have something to do that will lift it; then sleeps it to
/// `delayed_write_rate` near the limits.
pub(super) fn admit<'a>(
    shared: &'a Shared,
    mut guard: MutexGuard<'a, Inner>,
    bytes: u64,
) -> Result<MutexGuard<'a, Inner>> {
    let mut stalled = false;
    while let Some(cause) = guard.stop_cause() {
        if !guard.background_busy() {
            break;
        }
        if !stalled {
            stalled = true;
            guard.stats.stall_events += 1;
        }
        shared.changed.notify_all();
        let t0 = Instant::now();
        guard = shared.wait(guard);
        let waited = t0.elapsed().as_millis() as u64;
        record_stall(&mut guard, cause, waited);
        guard.check_writable()?;
    }
    if guard.rotate_if_full()? {
        shared.changed.notify_all();
    }
    if guard.slowdown_due() && guard.background_busy() {
        let delay = guard.slowdown_delay_ms(bytes);
        if delay > 0 {
            drop(guard);
            std::thread::sleep(std::time::Duration::from_millis(delay));
            guard = shared.lock();
            guard.stats.slowdown_ms += delay;
        }
    }
    Ok(guard)
}

fn record_stall(inner: &mut Inner, cause: StallCause, waited_ms: u64) {
    inner.stats.stall_ms += waited_ms;
    *inner
        .stats
        .stall_ms_by_cause
        .entry(cause.name())
        .or_insert(0) += waited_ms;
}

/// Waits until `done` holds or no background work is left.
pub(super) fn wait_until<'a>(
    shared: &'a Shared,
    mut guard: MutexGuard<'a, Inner>,
    done: impl Fn(&Inner) -> bool,
) -> Result<MutexGuard<'a, Inner>> {
    shared.changed.notify_all();
    while !done(&guard) && guard.background_busy() {
        guard = shared.wait(guard);
    }
    guard.check_writable()?;
    Ok(guard)
}
