//! Memtables on their way to L0: the active memtable becomes immutable (and
//! a new WAL starts) when full; the oldest immutable one is written to an L0
//! table, installed with one manifest edit, and its WAL retired.

use std::collections::HashSet;
use std::sync::Arc;

use super::Inner;
use crate::compaction::{merge, EntryFilter, OutputSpec};
use crate::error::Result;
use crate::key::SeqNo;
use crate::memtable::Memtable;
use crate::merge_iter::VecIterator;
use crate::sst::TableOptions;
use crate::version::VersionEdit;
use crate::wal::{wal_file_name, WalWriter};

/// A full memtable waiting for its flush.
#[derive(Debug)]
pub(super) struct Immutable {
    pub mem: Arc<Memtable>,
    /// The WAL holding its writes (deleted once the flush is installed).
    pub wal_number: u64,
    /// Clock times of its first and last writes.
    pub oldest_ms: u64,
    pub newest_ms: u64,
}

impl Immutable {
    /// Bytes its flush writes, for the flush I/O budget.
    pub(super) fn flush_cost(&self) -> u64 {
        self.mem.approximate_bytes().max(1)
    }
}

impl Inner {
    /// Makes the active memtable immutable, queues its flush, and starts a
    /// new WAL for the writes that follow.
    pub(super) fn rotate_memtable(&mut self) -> Result<()> {
        let now = self.now_ms();
        let new_log = self.next_file_number();
        if self.opts.wal {
            if let Some(w) = self.wal.as_mut() {
                w.sync()?;
            }
            self.wal = Some(WalWriter::create(
                self.env.fs.as_ref(),
                &self.dir.join(wal_file_name(new_log)),
            )?);
        }
        let mem = std::mem::take(&mut self.mem);
        let imm = Immutable {
            mem: Arc::new(mem),
            wal_number: std::mem::replace(&mut self.wal_number, new_log),
            oldest_ms: self.mem_oldest_ms.take().unwrap_or(now),
            newest_ms: now,
        };
        if self.sched.flush_remaining.is_none() {
            self.sched.flush_remaining = Some(imm.flush_cost());
        }
        self.imm.push_back(imm);
        Ok(())
    }

    /// Writes the oldest immutable memtable to L0 (nothing when it is
    /// empty), installs it with the WAL number recovery starts from, and
    /// deletes the WALs that are no longer needed.
    pub(super) fn flush_oldest(&mut self) -> Result<()> {
        self.check_writable()?;
        match self.try_flush_oldest() {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn try_flush_oldest(&mut self) -> Result<()> {
        let Some(imm) = self.imm.front() else {
            return Ok(());
        };
        let fs = self.env.fs.clone();
        let now = self.now_ms();
        let mut edit = VersionEdit::default();
        if !imm.mem.is_empty() {
            let entries: Vec<(Vec<u8>, Vec<u8>)> = imm
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
                oldest_time_ms: imm.oldest_ms,
                newest_time_ms: imm.newest_ms,
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
        // Recovery replays the WALs of the memtables still in memory.
        let old_log = self.state.log_number;
        let new_log = self
            .imm
            .get(1)
            .map_or(self.wal_number, |next| next.wal_number);
        self.state.log_number = new_log;
        edit.log_number = Some(new_log);
        self.install(edit)?;
        self.imm.pop_front();
        self.sched.flush_remaining = self.imm.front().map(Immutable::flush_cost);
        for n in old_log..new_log {
            let p = self.dir.join(wal_file_name(n));
            if fs.exists(&p) {
                fs.remove(&p)?;
            }
        }
        let debt = crate::compaction::pending_compaction_bytes(
            &self.version,
            &self.opts,
            self.strategy.as_ref(),
        );
        self.stats.pending_compaction_bytes_peak =
            self.stats.pending_compaction_bytes_peak.max(debt);
        self.window.pending_compaction_bytes = self.window.pending_compaction_bytes.max(debt);
        Ok(())
    }
}
