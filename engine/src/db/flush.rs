//! Memtables on their way to L0: the active memtable becomes immutable (and
//! a new WAL starts) when full; the oldest immutable one is written to an L0
//! table, installed with one manifest edit, and its WAL retired.

use std::sync::Arc;

use super::job_log::JobEvent;
use super::view::MemtableCell;
use super::Inner;
use crate::compaction::MergeOutput;
use crate::error::Result;
use crate::memtable::Memtable;
use crate::version::VersionEdit;
use crate::wal::{wal_file_name, WalWriter};

/// A full memtable waiting for its flush.
#[derive(Debug)]
pub(super) struct Immutable {
    pub mem: Arc<MemtableCell>,
    /// The WAL holding its writes (deleted once the flush is installed).
    pub wal_number: u64,
    /// Clock times of its first and last writes.
    pub oldest_ms: u64,
    pub newest_ms: u64,
}

impl Immutable {
    /// Bytes its flush writes, for the flush I/O budget.
    pub(super) fn flush_cost(&self) -> u64 {
        self.mem.read().approximate_bytes().max(1)
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
        // Readers holding the published view keep reading the old memtable
        // through their `Arc`; the writer gate is held, so nothing is
        // inserted into it any more.
        let mem = std::mem::replace(
            &mut self.mem,
            Arc::new(MemtableCell::new(Memtable::for_options(&self.opts))),
        );
        self.mem_full = false;
        let imm = Immutable {
            mem,
            wal_number: std::mem::replace(&mut self.wal_number, new_log),
            oldest_ms: self.mem_oldest_ms.take().unwrap_or(now),
            newest_ms: now,
        };
        if self.sched.flush_remaining.is_none() {
            self.sched.flush_remaining = Some(imm.flush_cost());
        }
        self.imm.push_back(imm);
        self.publish_view();
        Ok(())
    }

    /// Writes the oldest immutable memtable to L0 (nothing when it is
    /// empty), installs it with the WAL number recovery starts from, and
    /// deletes the WALs that are no longer needed.
    pub(super) fn flush_oldest(&mut self) -> Result<()> {
        self.check_writable()?;
        let Some(work) = self.prepare_flush() else {
            return Ok(());
        };
        match work.execute() {
            Ok(out) => self.finish_flush(out),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Installs a flush's output (written by `FlushWork::execute`) for
    /// the oldest immutable memtable.
    pub(super) fn finish_flush(&mut self, out: MergeOutput) -> Result<()> {
        match self.try_finish_flush(out) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn try_finish_flush(&mut self, out: MergeOutput) -> Result<()> {
        let fs = self.env.fs.clone();
        let mut edit = VersionEdit::default();
        self.note_purges(&out.purged_tombstones);
        if out.stats.keys_in > 0 {
            self.stats.flushes += 1;
            self.stats.flush_bytes += out.stats.bytes_written;
            self.stats
                .add_reason_write(super::stats::FLUSH_REASON, out.stats.bytes_written);
            self.stats.merge += out.stats;
            let l0 = self.stats.level_mut(0);
            l0.write_bytes += out.stats.bytes_written;
            l0.compactions += 1;
            l0.keys_in += out.stats.keys_in;
            l0.keys_dropped += out.stats.keys_dropped();
        }
        self.add_blob_records(&mut edit, &[], &out);
        self.stats.blob += out.blob_stats;
        let event = self.job_log.wanted().then(|| JobEvent::flush(&out.files));
        // A flush's output is one new L0 run.
        if let Some(run) = out.files.first().map(|f| f.number) {
            for f in out.files {
                edit.add_file_to_run(0, run, f);
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
        if self.opts.wal {
            // Every WAL from `new_log` on exists now: recovery must find them.
            edit.live_wals = self.imm.iter().skip(1).map(|i| i.wal_number).collect();
            edit.live_wals.push(self.wal_number);
        }
        self.install(edit)?;
        if let Some(e) = event.filter(|e| !e.outputs.is_empty()) {
            self.job_log.report(e, self.state.last_sequence);
        }
        self.imm.pop_front();
        self.publish_view();
        self.sched.flush_remaining = self.imm.front().map(Immutable::flush_cost);
        for n in old_log..new_log {
            let p = self.dir.join(wal_file_name(n));
            if fs.exists(&p) {
                fs.remove(&p)?;
            }
        }
        let debt = self
            .strategy
            .pending_compaction_bytes(&self.version, &self.opts);
        self.stats.pending_compaction_bytes_peak =
            self.stats.pending_compaction_bytes_peak.max(debt);
        self.window.pending_compaction_bytes = self.window.pending_compaction_bytes.max(debt);
        Ok(())
    }
}
