//! The storage interface. Every byte the engine writes or reads goes through
//! an [`Fs`], which counts it per [`FileKind`], so amplification is measured
//! rather than estimated.
//!
//! Implementations: [`DiskFs`] (real files), [`MemFs`] (in memory, with a
//! crash model that forgets unsynced bytes) and [`FaultFs`] (wraps another
//! `Fs` and fails chosen operations on command, for tests).

mod chunked;
mod counters;
mod disk;
mod fault;
mod lock;
mod mem;
mod shared;

pub use counters::{IoCounters, IoStats, KindStats};
pub use disk::DiskFs;
pub use fault::{is_injected_fault, FaultFs, FaultOp, FaultRule};
pub use lock::DirLock;
pub use mem::MemFs;
pub use shared::SharedBytes;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Result;

/// What a file holds, derived from its name (see [`FileKind::of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// Write-ahead log: `NNNNNN.log`.
    Wal,
    /// Sorted string table: `NNNNNN.sst`.
    Sst,
    /// Manifest log `MANIFEST-NNNNNN` and the `CURRENT` pointer.
    Manifest,
    /// Anything else (temporary files, locks).
    Other,
}

impl FileKind {
    /// All kinds, in the order [`IoStats`] reports them.
    pub const ALL: [FileKind; 4] = [
        FileKind::Wal,
        FileKind::Sst,
        FileKind::Manifest,
        FileKind::Other,
    ];

    /// Classifies a path by its file name.
    pub fn of(path: &Path) -> FileKind {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".log") {
            FileKind::Wal
        } else if name.ends_with(".sst") {
            FileKind::Sst
        } else if name.starts_with("MANIFEST-") || name == "CURRENT" {
            FileKind::Manifest
        } else {
            FileKind::Other
        }
    }

    /// Index into per-kind counter arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A file open for appending.
///
/// Appended bytes may wait in the process until [`WritableFile::flush`]
/// hands them to the operating system (they then survive a crash of the
/// process) and are durable (they survive a crash of the machine) only
/// after [`WritableFile::sync`].
pub trait WritableFile: Send {
    /// Appends `data` at the end of the file.
    fn append(&mut self, data: &[u8]) -> Result<()>;
    /// Hands every appended byte to the operating system (`write(2)`),
    /// without waiting for the device; keeps nothing in the process.
    fn flush(&mut self) -> Result<()>;
    /// Makes every appended byte durable.
    fn sync(&mut self) -> Result<()>;
    /// Bytes appended so far (the file's length).
    fn len(&self) -> u64;
    /// True when nothing has been appended.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A file open for positional reads.
pub trait RandomAccessFile: Send + Sync {
    /// Reads exactly `len` bytes at `offset`; reading past the end is an error.
    /// The bytes may be shared with the file's storage (an in-memory file
    /// hands out its own bytes) or with nothing (a file on disk reads into
    /// a new buffer); either way they never change afterwards.
    fn read_at(&self, offset: u64, len: usize) -> Result<SharedBytes>;
    /// [`read_at`](Self::read_at), into `buf` (its contents are
    /// overwritten) when the file copies what it reads into memory of the
    /// caller's: a buffer given back by the block cache then saves an
    /// allocation per read. By default `buf` is dropped.
    fn read_into(&self, offset: u64, len: usize, buf: Vec<u8>) -> Result<SharedBytes> {
        drop(buf);
        self.read_at(offset, len)
    }
    /// The file's length in bytes.
    fn len(&self) -> u64;
    /// True for an empty file.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The path the file was opened at (for error messages).
    fn path(&self) -> &Path;
    /// A hint that the `len` bytes at `offset` will be read soon (a cursor
    /// calls it for the block after the one it is on). Changes nothing;
    /// by default it does nothing.
    fn prefetch(&self, offset: u64, len: usize) {
        let _ = (offset, len);
    }
}

/// A file system the engine can live on.
///
/// Paths are plain `Path`s; a database keeps all its files in one directory.
pub trait Fs: Send + Sync {
    /// Creates (or truncates) a file for appending.
    fn create(&self, path: &Path) -> Result<Box<dyn WritableFile>>;
    /// Opens an existing file for appending at its end (used to continue a log).
    fn reopen_append(&self, path: &Path) -> Result<Box<dyn WritableFile>>;
    /// Opens an existing file for reading.
    fn open(&self, path: &Path) -> Result<Arc<dyn RandomAccessFile>>;
    /// Reads a whole file.
    fn read_all(&self, path: &Path) -> Result<Vec<u8>> {
        let f = self.open(path)?;
        f.read_at(0, f.len() as usize).map(SharedBytes::into_vec)
    }
    /// Atomically replaces `to` with `from`.
    fn rename(&self, from: &Path, to: &Path) -> Result<()>;
    /// Deletes a file.
    fn remove(&self, path: &Path) -> Result<()>;
    /// True when `path` names an existing file.
    fn exists(&self, path: &Path) -> bool;
    /// The length of a file.
    fn file_size(&self, path: &Path) -> Result<u64>;
    /// Names (not paths) of the files directly in `dir`, sorted.
    fn list(&self, dir: &Path) -> Result<Vec<String>>;
    /// Creates `dir` and its parents.
    fn create_dir_all(&self, dir: &Path) -> Result<()>;
    /// Makes renames, creations and removals in `dir` durable.
    fn sync_dir(&self, dir: &Path) -> Result<()>;
    /// Takes an exclusive hold on the lock file `path` without waiting, or
    /// fails with `Error::Locked` naming the holder. The hold lasts until
    /// the returned value is dropped (or the process ends).
    fn lock(&self, path: &Path) -> Result<Box<dyn DirLock>>;
    /// The byte counters of this file system.
    fn counters(&self) -> &Arc<IoCounters>;
    /// A snapshot of the byte counters.
    fn stats(&self) -> IoStats {
        self.counters().snapshot()
    }
}

/// A shared, dynamically dispatched file system.
pub type FsRef = Arc<dyn Fs>;

/// `dir/name`.
pub fn join(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
