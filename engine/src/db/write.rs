//! The write path: admission (stalls and slowdowns while background work
//! is behind), the WAL, the memtable, and handing full memtables to flush.

use std::sync::MutexGuard;

use super::{Db, Inner};
use crate::batch::WriteBatch;
use crate::error::Result;
use crate::key::{SeqNo, ValueKind};
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

impl Db {
    /// Sets `key` to `value`.
    pub fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        let mut b = WriteBatch::new();
        b.put(key, value);
        self.write(b)
    }

    /// Sets `key` to `value` until `ttl_ms` from now on the database's
    /// clock; after that the key reads as absent.
    pub fn put_with_ttl(&self, key: &[u8], value: &[u8], ttl_ms: u64) -> Result<()> {
        // Admission may move the clock (a stall): expiry counts from when
        // the write is applied.
        let mut inner = self.admitted(key.len() as u64 + value.len() as u64)?;
        let now = inner.now_ms();
        let mut b = WriteBatch::new();
        b.put_with_expiry(key, value, now.saturating_add(ttl_ms));
        self.apply(&mut inner, b)
    }

    /// Deletes `key`.
    pub fn delete(&self, key: &[u8]) -> Result<()> {
        let mut b = WriteBatch::new();
        b.delete(key);
        self.write(b)
    }

    /// Applies a batch atomically: after a crash, all of it or none of it is
    /// recovered. Acknowledged (returned `Ok`) batches survive a crash when
    /// the WAL is on (and synced, with `wal_sync`, against power loss).
    ///
    /// When background work is behind (L0 at `l0_stop_limit`, debt at
    /// `hard_pending_compaction_bytes`, every write buffer full) the write
    /// waits on the clock until it catches up; near those limits
    /// (`l0_slowdown_limit`, `soft_pending_compaction_bytes`) writes are
    /// delayed to `delayed_write_rate`.
    pub fn write(&self, batch: WriteBatch) -> Result<()> {
        if batch.is_empty() {
            return self.lock().check_writable();
        }
        let mut inner = self.admitted(batch.approximate_size() as u64)?;
        self.apply(&mut inner, batch)
    }

    /// The lock, once a write of `bytes` may proceed.
    fn admitted(&self, bytes: u64) -> Result<MutexGuard<'_, Inner>> {
        let mut inner = self.lock();
        inner.check_writable()?;
        if inner.opts.mode == Mode::Background {
            super::background::admit(&self.shared, inner, bytes)
        } else {
            inner.admit(bytes)?;
            Ok(inner)
        }
    }

    fn apply(&self, inner: &mut Inner, batch: WriteBatch) -> Result<()> {
        let queued = inner.imm.len();
        inner.apply_batch(batch)?;
        if inner.imm.len() != queued {
            self.shared.changed.notify_all();
        }
        Ok(())
    }

    /// Writes the memtable to L0 and waits (on the clock) until every
    /// memtable is flushed; with automatic compaction, compaction then runs
    /// as far as it can.
    pub fn flush(&self) -> Result<()> {
        let mut inner = self.lock();
        inner.check_writable()?;
        if !inner.mem.is_empty() {
            inner.rotate_memtable().map_err(|e| inner.fail(e))?;
        }
        if inner.opts.mode == Mode::Background {
            super::background::wait_until(&self.shared, inner, |i| i.imm.is_empty()).map(|_| ())
        } else {
            inner.wait_until(|i| i.imm.is_empty())
        }
    }
}

impl Inner {
    fn apply_batch(&mut self, batch: WriteBatch) -> Result<()> {
        let first_seq = self.state.last_sequence + 1;
        if let Err(e) = self.log_batch(first_seq, &batch) {
            return Err(self.fail(e));
        }
        self.apply_to_memtable(first_seq, &batch);
        self.stats.user_bytes += batch.user_bytes();
        for (kind, _, _) in batch.iter() {
            if kind == ValueKind::Tombstone {
                self.stats.deletes += 1;
            } else {
                self.stats.puts += 1;
            }
        }
        self.rotate_if_full()?;
        self.pump()
    }

    /// Hands the memtable to flush when it is full and a write buffer is
    /// free; says whether it did.
    pub(super) fn rotate_if_full(&mut self) -> Result<bool> {
        if self.mem.approximate_bytes() >= self.opts.write_buffer_size
            && self.imm.len() + 1 < self.opts.max_write_buffers
        {
            self.rotate_memtable().map_err(|e| self.fail(e))?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Milliseconds a write of `bytes` takes at `delayed_write_rate`
    /// (fractions carry over to the next write).
    pub(super) fn slowdown_delay_ms(&mut self, bytes: u64) -> u64 {
        let units = bytes as u128 * 1000 + self.slowdown_carry as u128;
        let rate = self.opts.delayed_write_rate as u128;
        self.slowdown_carry = (units % rate) as u64;
        (units / rate) as u64
    }

    fn log_batch(&mut self, first_seq: SeqNo, batch: &WriteBatch) -> Result<()> {
        let sync = self.opts.wal_sync;
        if let Some(w) = self.wal.as_mut() {
            w.add(first_seq, batch)?;
            if sync {
                w.sync()?;
            }
        }
        Ok(())
    }

    pub(super) fn apply_to_memtable(&mut self, first_seq: SeqNo, batch: &WriteBatch) {
        if self.mem_oldest_ms.is_none() {
            self.mem_oldest_ms = Some(self.now_ms());
        }
        let mut seq = first_seq;
        for (kind, key, value) in batch.iter() {
            self.mem.add(seq, kind, key, value);
            seq += 1;
        }
        self.state.last_sequence = self.state.last_sequence.max(seq - 1);
    }

    pub(super) fn stop_cause(&self) -> Option<StallCause> {
        let o = &self.opts;
        if self.mem.approximate_bytes() >= o.write_buffer_size
            && self.imm.len() + 1 >= o.max_write_buffers
        {
            return Some(StallCause::Memtables);
        }
        if self.strategy.stalls_on_l0_files() && self.version.files(0).len() >= o.l0_stop_limit {
            return Some(StallCause::L0Files);
        }
        if o.hard_pending_compaction_bytes > 0 && self.debt >= o.hard_pending_compaction_bytes {
            return Some(StallCause::PendingBytes);
        }
        None
    }

    pub(super) fn slowdown_due(&self) -> bool {
        let o = &self.opts;
        (self.strategy.stalls_on_l0_files() && self.version.files(0).len() >= o.l0_slowdown_limit)
            || (o.soft_pending_compaction_bytes > 0 && self.debt >= o.soft_pending_compaction_bytes)
    }

    /// Lets a write of `bytes` in: first waits, on the clock, while a stop
    /// condition holds and background work is under way that will lift it;
    /// then delays it to `delayed_write_rate` near the limits. A condition
    /// that no running or startable work can lift never blocks a write.
    fn admit(&mut self, bytes: u64) -> Result<()> {
        self.pump()?;
        let mut stalled = false;
        while let Some(cause) = self.stop_cause() {
            let now = self.now_ms();
            let Some(t) = self.sched.next_completion_ms(now) else {
                break;
            };
            if !stalled {
                stalled = true;
                self.stats.stall_events += 1;
            }
            self.env.clock.sleep_until(t);
            let waited = self.now_ms().saturating_sub(now);
            self.stats.stall_ms += waited;
            *self
                .stats
                .stall_ms_by_cause
                .entry(cause.name())
                .or_insert(0) += waited;
            self.pump()?;
        }
        if self.rotate_if_full()? {
            self.pump()?;
        }
        if self.slowdown_due() && self.sched.next_completion_ms(0).is_some() {
            let delay = self.slowdown_delay_ms(bytes);
            if delay > 0 {
                let now = self.now_ms();
                self.env.clock.sleep_until(now + delay);
                self.stats.slowdown_ms += self.now_ms().saturating_sub(now);
                self.pump()?;
            }
        }
        Ok(())
    }
}
