//! The write path: WAL, memtable, and the flush to L0.

use std::collections::HashSet;

use super::{Db, Inner};
use crate::batch::WriteBatch;
use crate::compaction::{merge, EntryFilter, OutputSpec};
use crate::error::Result;
use crate::key::{SeqNo, ValueKind};
use crate::memtable::Memtable;
use crate::merge_iter::VecIterator;
use crate::sst::TableOptions;
use crate::version::VersionEdit;
use crate::wal::{wal_file_name, WalWriter};

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
        let now = self.lock().now_ms();
        let mut b = WriteBatch::new();
        b.put_with_expiry(key, value, now.saturating_add(ttl_ms));
        self.write(b)
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
    pub fn write(&self, batch: WriteBatch) -> Result<()> {
        let mut inner = self.lock();
        inner.check_writable()?;
        if batch.is_empty() {
            return Ok(());
        }
        let first_seq = inner.state.last_sequence + 1;
        if let Err(e) = inner.log_batch(first_seq, &batch) {
            return Err(inner.fail(e));
        }
        inner.apply_to_memtable(first_seq, &batch);
        inner.stats.user_bytes += batch.user_bytes();
        for (kind, _, _) in batch.iter() {
            if kind == ValueKind::Tombstone {
                inner.stats.deletes += 1;
            } else {
                inner.stats.puts += 1;
            }
        }
        if inner.mem.approximate_bytes() >= inner.opts.write_buffer_size {
            inner.flush_and_compact()?;
        }
        Ok(())
    }

    /// Writes the memtable to an L0 file (if it holds anything), then runs
    /// compaction to quiescence when automatic compaction is on.
    pub fn flush(&self) -> Result<()> {
        let mut inner = self.lock();
        inner.check_writable()?;
        if inner.mem.is_empty() {
            return Ok(());
        }
        inner.flush_and_compact()
    }
}

impl Inner {
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

    pub(super) fn flush_and_compact(&mut self) -> Result<()> {
        self.flush_memtable()?;
        let debt = crate::compaction::pending_compaction_bytes(
            &self.version,
            &self.opts,
            self.strategy.as_ref(),
        );
        self.stats.pending_compaction_bytes_peak =
            self.stats.pending_compaction_bytes_peak.max(debt);
        self.window.pending_compaction_bytes = self.window.pending_compaction_bytes.max(debt);
        if self.opts.auto_compaction {
            self.compact_until_quiet()?;
        }
        Ok(())
    }

    /// Writes the memtable to a new L0 table, starts a new WAL, and installs
    /// both in one manifest edit; then retires the old WAL. With an empty
    /// memtable only the WAL switch happens.
    pub(super) fn flush_memtable(&mut self) -> Result<()> {
        self.check_writable()?;
        match self.try_flush() {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn try_flush(&mut self) -> Result<()> {
        let fs = self.env.fs.clone();
        let now = self.now_ms();
        let mut edit = VersionEdit::default();
        if !self.mem.is_empty() {
            let entries: Vec<(Vec<u8>, Vec<u8>)> = self
                .mem
                .iter()
                .map(|(k, v)| (k.to_vec(), v.to_vec()))
                .collect();
            let mut input = VecIterator::new(entries);
            let snapshots = self.snapshot_seqs();
            let mut filter = EntryFilter::new(&snapshots, now);
            let version = self.version.clone();
            let none = HashSet::new();
            let older =
                |k: &[u8], seq: SeqNo| super::compact::may_hold_older(&version, k, seq, &none);
            let spec = OutputSpec {
                fs: fs.as_ref(),
                dir: &self.dir,
                table_options: TableOptions::from(&self.opts),
                max_file_size: None,
                grandparents: &[],
                max_grandparent_files: None,
                oldest_time_ms: self.mem_oldest_ms.unwrap_or(now),
                newest_time_ms: now,
            };
            let mut numbers = self.state.next_file_number..;
            let out = merge(&mut input, &mut filter, &older, &spec, &mut || {
                numbers.next().expect("file numbers never run out")
            })?;
            self.state.next_file_number = numbers.start;
            if !out.files.is_empty() {
                fs.sync_dir(&self.dir)?;
            }
            self.stats.flushes += 1;
            self.stats.flush_bytes += out.stats.bytes_written;
            self.stats.merge += out.stats;
            let l0 = self.stats.level_mut(0);
            l0.write_bytes += out.stats.bytes_written;
            l0.compactions += 1;
            l0.keys_in += out.stats.keys_in;
            l0.keys_dropped += out.stats.keys_dropped();
            for f in out.files {
                edit.added.push((0, f));
            }
        }
        let old_log = self.state.log_number;
        let new_log = self.next_file_number();
        self.wal = None;
        if self.opts.wal {
            self.wal = Some(WalWriter::create(
                fs.as_ref(),
                &self.dir.join(wal_file_name(new_log)),
            )?);
        }
        self.state.log_number = new_log;
        edit.log_number = Some(new_log);
        self.install(edit)?;
        self.mem = Memtable::new();
        self.mem_oldest_ms = None;
        for n in old_log..new_log {
            let p = self.dir.join(wal_file_name(n));
            if fs.exists(&p) {
                fs.remove(&p)?;
            }
        }
        Ok(())
    }
}
