//! The one driver both modes share: how a write is admitted (stops and
//! slowdowns) and how a caller waits for flushes and compactions. The mode
//! decides only how time passes while waiting: in the deterministic mode the
//! clock moves to the next completion and this thread does the work that
//! became due; in the background mode the workers do it in wall-clock time.

use std::sync::MutexGuard;
use std::time::Instant;

use super::background::Shared;
use super::Inner;
use crate::error::Result;
use crate::options::Mode;

/// Why writes had to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StallCause {
    /// L0 reached `l0_stop_limit`.
    L0Files,
    /// Compaction debt reached `hard_pending_compaction_bytes`.
    PendingBytes,
    /// The memtable is full and `max_write_buffers` memtables wait for flush.
    Memtables,
}

impl StallCause {
    pub(super) fn name(self) -> &'static str {
        match self {
            StallCause::L0Files => "l0_files",
            StallCause::PendingBytes => "pending_compaction_bytes",
            StallCause::Memtables => "memtables",
        }
    }
}

impl Inner {
    /// The condition that stops writes now, if any.
    fn stop_cause(&self) -> Option<StallCause> {
        let o = &self.opts;
        if self.mem_full && self.imm.len() + 1 >= o.max_write_buffers {
            return Some(StallCause::Memtables);
        }
        if self
            .strategy
            .l0_delay_trigger_count(&self.version)
            .is_some_and(|n| n >= o.l0_stop_limit)
        {
            return Some(StallCause::L0Files);
        }
        if o.hard_pending_compaction_bytes > 0 && self.debt >= o.hard_pending_compaction_bytes {
            return Some(StallCause::PendingBytes);
        }
        None
    }

    /// True when writes are near a stop condition and are slowed down.
    fn slowdown_due(&self) -> bool {
        let o = &self.opts;
        self.strategy
            .l0_delay_trigger_count(&self.version)
            .is_some_and(|n| n >= o.l0_slowdown_limit)
            || (o.soft_pending_compaction_bytes > 0 && self.debt >= o.soft_pending_compaction_bytes)
    }

    /// Milliseconds a write of `bytes` takes at `delayed_write_rate`
    /// (fractions carry over to the next write).
    pub(super) fn slowdown_delay_ms(&mut self, bytes: u64) -> u64 {
        let units = bytes as u128 * 1000 + self.slowdown_carry as u128;
        let rate = self.opts.delayed_write_rate as u128;
        self.slowdown_carry = (units % rate) as u64;
        (units / rate) as u64
    }

    /// True when flushes or compactions are under way (or may start) that
    /// can change what a waiting writer sees.
    fn progress_possible(&self) -> bool {
        match self.opts.mode {
            Mode::Deterministic => self.sched.next_completion_ms(0).is_some(),
            Mode::Background => self.background_busy(),
        }
    }

    /// Lets the work that is due happen: in the deterministic mode, on this
    /// thread now; in the background mode the workers are told.
    fn progress(&mut self, shared: &Shared) -> Result<()> {
        match self.opts.mode {
            Mode::Deterministic => self.pump(),
            Mode::Background => {
                shared.changed.notify_all();
                Ok(())
            }
        }
    }
}

/// Waits for the next piece of background progress; returns the lock and
/// the milliseconds waited (simulated or wall-clock, as the mode runs).
fn wait_for_progress<'a>(
    shared: &'a Shared,
    mut guard: MutexGuard<'a, Inner>,
) -> Result<(MutexGuard<'a, Inner>, u64)> {
    match guard.opts.mode {
        Mode::Deterministic => {
            let now = guard.now_ms();
            if let Some(t) = guard.sched.next_completion_ms(now) {
                guard.env.clock.sleep_until(t);
            }
            guard.pump()?;
            let waited = guard.now_ms().saturating_sub(now);
            Ok((guard, waited))
        }
        Mode::Background => {
            shared.changed.notify_all();
            let t0 = Instant::now();
            guard = shared.wait(guard);
            let waited = t0.elapsed().as_millis() as u64;
            guard.check_writable()?;
            Ok((guard, waited))
        }
    }
}

/// Holds a write back for `delay_ms`, letting background work go on.
fn hold_back<'a>(
    shared: &'a Shared,
    mut guard: MutexGuard<'a, Inner>,
    delay_ms: u64,
) -> Result<MutexGuard<'a, Inner>> {
    match guard.opts.mode {
        Mode::Deterministic => {
            let now = guard.now_ms();
            guard.env.clock.sleep_until(now + delay_ms);
            guard.stats.slowdown_ms += guard.now_ms().saturating_sub(now);
            guard.pump()?;
        }
        Mode::Background => {
            drop(guard);
            std::thread::sleep(std::time::Duration::from_millis(delay_ms));
            guard = shared.lock();
            guard.stats.slowdown_ms += delay_ms;
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

/// Lets a write of `bytes` in: first waits while a stop condition holds
/// (too many memtables, L0 files where the policy stalls on them, too much
/// compaction debt) and background work is under way that will lift it;
/// then, near the limits, holds it back to `delayed_write_rate`. A
/// condition that no running or startable work can lift never blocks a
/// write.
pub(super) fn admit<'a>(
    shared: &'a Shared,
    mut guard: MutexGuard<'a, Inner>,
    bytes: u64,
) -> Result<MutexGuard<'a, Inner>> {
    guard.check_writable()?;
    // The deterministic mode does the work that became due on this thread.
    // Background workers are told when a write makes work (a full
    // memtable, below) or a stall waits on them, not on every write: a
    // wake-up per write had both workers contend for the lock the writer
    // holds, and the writer spent a third of its time waking them.
    if guard.opts.mode == Mode::Deterministic {
        guard.pump()?;
    }
    let mut stalled = false;
    while let Some(cause) = guard.stop_cause() {
        if !guard.progress_possible() {
            break;
        }
        if !stalled {
            stalled = true;
            guard.stats.stall_events += 1;
        }
        let (g, waited) = wait_for_progress(shared, guard)?;
        guard = g;
        record_stall(&mut guard, cause, waited);
    }
    if guard.rotate_if_full()? {
        guard.progress(shared)?;
    }
    if guard.slowdown_due() && guard.progress_possible() {
        let delay = guard.slowdown_delay_ms(bytes);
        if delay > 0 {
            guard = hold_back(shared, guard, delay)?;
        }
    }
    Ok(guard)
}

/// Waits until `done` holds or no background work is left that could make
/// it hold.
pub(super) fn wait_until<'a>(
    shared: &'a Shared,
    mut guard: MutexGuard<'a, Inner>,
    done: impl Fn(&Inner) -> bool,
) -> Result<MutexGuard<'a, Inner>> {
    guard.progress(shared)?;
    while !done(&guard) && guard.progress_possible() {
        let (g, _) = wait_for_progress(shared, guard)?;
        guard = g;
    }
    guard.check_writable()?;
    Ok(guard)
}
