//! The write path: admission (stalls and slowdowns while background work
//! is behind), the WAL, the memtable, and handing full memtables to flush.

use std::sync::{Arc, MutexGuard};

use super::view::MemtableCell;
use super::{Db, Inner};
use crate::batch::WriteBatch;
use crate::error::Result;
use crate::key::{SeqNo, ValueKind};
use crate::memtable::Memtable;
use crate::options::Mode;
use crate::wal::WalWriter;

/// Key and value bytes the writer gate's batch keeps allocated between
/// single-key writes (a larger value's buffer is let go after its write).
const SCRATCH_BATCH_BYTES: usize = 64 << 10;

impl Db {
    /// Sets `key` to `value`.
    pub fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.write_one(|b| b.put(key, value))
    }

    /// A one-entry write through the writer gate's own batch.
    fn write_one(&self, fill: impl FnOnce(&mut WriteBatch)) -> Result<()> {
        let mut gate = self.shared.writer();
        gate.reuse(SCRATCH_BATCH_BYTES);
        fill(&mut gate);
        self.write_gated(&gate)
    }

    /// Sets `key` to `value` until `ttl_ms` from now on the database's
    /// clock; after that the key reads as absent.
    pub fn put_with_ttl(&self, key: &[u8], value: &[u8], ttl_ms: u64) -> Result<()> {
        // Admission may move the clock (a stall): expiry counts from when
        // the write is applied.
        let _writer = self.shared.writer();
        let inner = self.admitted(key.len() as u64 + value.len() as u64)?;
        let now = inner.now_ms();
        let mut b = WriteBatch::new();
        b.put_with_expiry(key, value, now.saturating_add(ttl_ms));
        self.apply(inner, &b)
    }

    /// Deletes `key`.
    pub fn delete(&self, key: &[u8]) -> Result<()> {
        self.write_one(|b| b.delete(key))
    }

    /// Records `operand` for `key`; reads combine it with the key's older
    /// versions through the `merge_operator` (an `InvalidArgument` error
    /// when none is set).
    pub fn merge(&self, key: &[u8], operand: &[u8]) -> Result<()> {
        self.write_one(|b| b.merge(key, operand))
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
    ///
    /// One writer at a time (the writer gate); the WAL append and the
    /// memtable insert run without the database lock, so readers and
    /// background work go on meanwhile, and the batch becomes visible to
    /// readers (its sequence numbers published) once wholly inserted.
    pub fn write(&self, batch: WriteBatch) -> Result<()> {
        let _writer = self.shared.writer();
        self.write_gated(&batch)
    }

    /// [`Db::write`] with the writer gate held.
    fn write_gated(&self, batch: &WriteBatch) -> Result<()> {
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
        let inner = self.admitted(batch.approximate_size() as u64)?;
        self.apply(inner, batch)
    }

    /// The lock, once a write of `bytes` may proceed.
    fn admitted(&self, bytes: u64) -> Result<MutexGuard<'_, Inner>> {
        super::driver::admit(&self.shared, self.lock(), bytes)
    }

    /// Logs and inserts an admitted batch; the caller holds the writer gate.
    /// The lock is let go for the WAL append and the memtable insert and
    /// taken again to publish the batch and hand on a full memtable.
    fn apply(&self, mut inner: MutexGuard<'_, Inner>, batch: &WriteBatch) -> Result<()> {
        let mut pending = inner.begin_write();
        if inner.opts.mode == Mode::Deterministic {
            // The lab's mode does all its work on this thread: letting the
            // lock go would only add a round trip per write. Readers still
            // do not wait for the WAL append (they take no database lock),
            // only for the memtable insert.
            let logged = pending.log(batch);
            if logged.is_ok() {
                pending.insert_whole(batch);
            }
            return inner.finish_write(pending, logged, batch);
        }
        drop(inner);
        let logged = pending.log(batch);
        if logged.is_ok() {
            pending.insert(batch);
        }
        let mut inner = self.lock();
        let queued = inner.imm.len();
        inner.finish_write(pending, logged, batch)?;
        if inner.imm.len() != queued {
            self.shared.changed.notify_all();
        }
        Ok(())
    }

    /// Writes the memtable to L0 and waits (on the clock) until every
    /// memtable is flushed; with automatic compaction, compaction then runs
    /// as far as it can.
    pub fn flush(&self) -> Result<()> {
        let writer = self.shared.writer();
        let mut inner = self.lock();
        inner.check_writable()?;
        if !inner.mem.read().is_empty() {
            inner.rotate_memtable().map_err(|e| inner.fail(e))?;
        }
        // Writers may go on while the flush is waited for.
        drop(writer);
        super::driver::wait_until(&self.shared, inner, |i| i.imm.is_empty()).map(|_| ())
    }
}

/// A batch on its way in: its first sequence number, and the WAL and
/// memtable it goes to, held by the writer while the lock is let go.
pub(super) struct PendingWrite {
    first_seq: SeqNo,
    wal: Option<WalWriter>,
    sync: bool,
    mem: Arc<MemtableCell>,
    /// `write_buffer_size`, and whether the memtable is full after the
    /// insert (`Memtable::is_full`).
    buffer_size: u64,
    mem_full: bool,
}

impl PendingWrite {
    /// Appends the batch to the WAL (and syncs it with `wal_sync`).
    fn log(&mut self, batch: &WriteBatch) -> Result<()> {
        if let Some(w) = self.wal.as_mut() {
            w.add(self.first_seq, batch)?;
            if self.sync {
                w.sync()?;
            }
        }
        Ok(())
    }

    /// Inserts the batch into the memtable (invisible to readers until
    /// `Inner::finish_write` publishes its sequence numbers). Each entry's
    /// place is searched under the read lock, alongside readers; the write
    /// lock is held only to store and link it. Only this writer changes the
    /// memtable, so the place found is still right under the write lock.
    fn insert(&mut self, batch: &WriteBatch) {
        for (seq, (kind, key, value)) in (self.first_seq..).zip(batch.iter()) {
            let at = self.mem.read().insert_position(seq, kind, key);
            let mut mem = self.mem.write();
            mem.add_at(at, seq, kind, key, value);
            self.mem_full = mem.is_full(self.buffer_size);
        }
    }

    /// Inserts the batch under one hold of the memtable's write lock (the
    /// deterministic mode, where a reader beside the writer is rare).
    fn insert_whole(&mut self, batch: &WriteBatch) {
        let mut mem = self.mem.write();
        insert_batch(&mut mem, self.first_seq, batch);
        self.mem_full = mem.is_full(self.buffer_size);
    }
}

/// Inserts `batch` into `mem` from sequence `first_seq` on; returns its last
/// sequence number.
fn insert_batch(mem: &mut Memtable, first_seq: SeqNo, batch: &WriteBatch) -> SeqNo {
    let mut seq = first_seq;
    for (kind, key, value) in batch.iter() {
        mem.add(seq, kind, key, value);
        seq += 1;
    }
    seq - 1
}

impl Inner {
    /// Starts applying an admitted batch: takes the WAL out for the writer
    /// (under the writer gate nothing else uses it meanwhile).
    fn begin_write(&mut self) -> PendingWrite {
        PendingWrite {
            first_seq: self.state.last_sequence + 1,
            wal: self.wal.take(),
            sync: self.opts.wal_sync,
            mem: self.mem.clone(),
            buffer_size: self.opts.write_buffer_size,
            mem_full: self.mem_full,
        }
    }

    /// Ends a write `begin_write` started: puts the WAL back; on a failed
    /// append, makes the database read-only; otherwise publishes the batch,
    /// counts it, hands on a full memtable and, in the deterministic mode,
    /// does the work that became due.
    fn finish_write(
        &mut self,
        pending: PendingWrite,
        logged: Result<()>,
        batch: &WriteBatch,
    ) -> Result<()> {
        self.wal = pending.wal;
        self.mem_full = pending.mem_full;
        if let Err(e) = logged {
            return Err(self.fail(e));
        }
        if self.mem_oldest_ms.is_none() {
            self.mem_oldest_ms = Some(self.now_ms());
        }
        self.set_last_sequence(pending.first_seq + batch.len() as u64 - 1);
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
        if self.mem_full && self.imm.len() + 1 < self.opts.max_write_buffers {
            self.rotate_memtable().map_err(|e| self.fail(e))?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Recovery's insert (before any reader or writer runs).
    pub(super) fn apply_to_memtable(&mut self, first_seq: SeqNo, batch: &WriteBatch) {
        if self.mem_oldest_ms.is_none() {
            self.mem_oldest_ms = Some(self.now_ms());
        }
        let mut mem = self.mem.write();
        let last = insert_batch(&mut mem, first_seq, batch);
        self.mem_full = mem.is_full(self.opts.write_buffer_size);
        drop(mem);
        self.set_last_sequence(self.state.last_sequence.max(last));
    }

    /// Records and publishes the last sequence number applied.
    fn set_last_sequence(&mut self, seq: SeqNo) {
        self.state.last_sequence = seq;
        self.published.set_seq(seq);
    }
}
