//! Byte and operation counters shared by every [`Fs`](super::Fs) implementation.

use std::sync::atomic::{AtomicU64, Ordering};

use super::FileKind;

/// Live counters, updated by the file system as I/O happens.
#[derive(Debug, Default)]
pub struct IoCounters {
    kinds: [KindCounters; 4],
}

#[derive(Debug, Default)]
struct KindCounters {
    bytes_written: AtomicU64,
    bytes_read: AtomicU64,
    writes: AtomicU64,
    reads: AtomicU64,
    syncs: AtomicU64,
}

/// Totals for one [`FileKind`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct KindStats {
    pub bytes_written: u64,
    pub bytes_read: u64,
    pub writes: u64,
    pub reads: u64,
    pub syncs: u64,
}

/// A point-in-time copy of [`IoCounters`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IoStats {
    pub wal: KindStats,
    pub sst: KindStats,
    pub manifest: KindStats,
    pub other: KindStats,
}

impl IoCounters {
    /// Counts an append of `n` bytes to a file of `kind`.
    pub fn record_write(&self, kind: FileKind, n: u64) {
        let k = &self.kinds[kind.index()];
        k.bytes_written.fetch_add(n, Ordering::Relaxed);
        k.writes.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a read of `n` bytes from a file of `kind`.
    pub fn record_read(&self, kind: FileKind, n: u64) {
        let k = &self.kinds[kind.index()];
        k.bytes_read.fetch_add(n, Ordering::Relaxed);
        k.reads.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a sync of a file of `kind`.
    pub fn record_sync(&self, kind: FileKind) {
        self.kinds[kind.index()]
            .syncs
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Copies the current totals.
    pub fn snapshot(&self) -> IoStats {
        let get = |kind: FileKind| {
            let k = &self.kinds[kind.index()];
            KindStats {
                bytes_written: k.bytes_written.load(Ordering::Relaxed),
                bytes_read: k.bytes_read.load(Ordering::Relaxed),
                writes: k.writes.load(Ordering::Relaxed),
                reads: k.reads.load(Ordering::Relaxed),
                syncs: k.syncs.load(Ordering::Relaxed),
            }
        };
        IoStats {
            wal: get(FileKind::Wal),
            sst: get(FileKind::Sst),
            manifest: get(FileKind::Manifest),
            other: get(FileKind::Other),
        }
    }
}

impl IoStats {
    /// The totals of one kind.
    pub fn kind(&self, kind: FileKind) -> KindStats {
        match kind {
            FileKind::Wal => self.wal,
            FileKind::Sst => self.sst,
            FileKind::Manifest => self.manifest,
            FileKind::Other => self.other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_kind() {
        let c = IoCounters::default();
        c.record_write(FileKind::Sst, 100);
        c.record_write(FileKind::Sst, 50);
        c.record_read(FileKind::Wal, 7);
        c.record_sync(FileKind::Manifest);
        let s = c.snapshot();
        assert_eq!(s.sst.bytes_written, 150);
        assert_eq!(s.sst.writes, 2);
        assert_eq!(s.wal.bytes_read, 7);
        assert_eq!(s.manifest.syncs, 1);
        assert_eq!(s.kind(FileKind::Other), KindStats::default());
    }
}
