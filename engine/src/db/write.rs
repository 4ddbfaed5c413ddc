//! The write path: admission (stalls and slowdowns while background work
//! is behind), the WAL, the memtable, and handing full memtables to flush.

use std::sync::MutexGuard;

use super::{Db, Inner};
use crate::batch::WriteBatch;
use crate::error::Result;
use crate::key::{SeqNo, ValueKind};

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

    /// Records `operand` for `key`; reads combine it with the key's older
    /// versions through the `merge_operator` (an `InvalidArgument` error
    /// when none is set).
    pub fn merge(&self, key: &[u8], operand: &[u8]) -> Result<()> {
        let mut b = WriteBatch::new();
        b.merge(key, operand);
        self.write(b)
    }

    /// Deletes every key in `[start, end)` with one range tombstone (nothing
    /// when `start >= end`). Reads at any level stop seeing the older
    /// versions at once; compaction drops them, and the tombstone once
    /// nothing older than it can remain below.
    pub fn delete_range(&self, start: &[u8], end: &[u8]) -> Result<()> {
        let mut b = WriteBatch::new();
        b.delete_range(start, end);
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
        if batch.iter().any(|(kind, _, _)| kind == ValueKind::Merge)
            && self.lock().opts.merge_operator.get().is_none()
        {
            return Err(crate::Error::InvalidArgument(
                "merge needs a merge_operator (add, append or your own); none is set".into(),
            ));
        }
        let mut inner = self.admitted(batch.approximate_size() as u64)?;
        self.apply(&mut inner, batch)
    }

    /// The lock, once a write of `bytes` may proceed.
    fn admitted(&self, bytes: u64) -> Result<MutexGuard<'_, Inner>> {
        super::driver::admit(&self.shared, self.lock(), bytes)
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
        super::driver::wait_until(&self.shared, inner, |i| i.imm.is_empty()).map(|_| ())
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
            match kind {
                ValueKind::Tombstone => self.stats.deletes += 1,
                ValueKind::RangeDelete => self.stats.range_deletes += 1,
                ValueKind::Merge => self.stats.merges += 1,
                _ => self.stats.puts += 1,
            }
        }
        self.rotate_if_full()?;
        self.pump()
    }

    /// Hands the memtable to flush when it is full and a write buffer is
    /// free; says whether it did.
    pub(super) fn rotate_if_full(&mut self) -> Result<bool> {
        if self.mem.is_full(self.opts.write_buffer_size)
            && self.imm.len() + 1 < self.opts.max_write_buffers
        {
            self.rotate_memtable().map_err(|e| self.fail(e))?;
            return Ok(true);
        }
        Ok(false)
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
}
