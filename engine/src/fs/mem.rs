//! An in-memory file system for fast sweeps and tests, with a crash model:
//! [`MemFs::crash`] forgets every byte appended since the file's last sync.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use super::chunked::ChunkedBytes;
use super::lock::LockRegistry;
use super::{DirLock, FileKind, Fs, IoCounters, RandomAccessFile, SharedBytes, WritableFile};
use crate::error::{Error, Result};

#[derive(Debug, Default)]
struct MemFile {
    data: RwLock<ChunkedBytes>,
    /// INVARIANT: `synced_len <= data.len()`.
    synced_len: Mutex<usize>,
}

/// Bookkeeping bytes of one file beyond its data: the map entry, the shared
/// handle and the locks (an estimate, for [`MemFs::memory_bytes`]).
const PER_FILE_OVERHEAD: u64 = 160;

/// A file system held in memory. Cloning shares the same files and counters.
///
/// Memory per stored byte is close to 1: a file's bytes are held in chunks
/// (appends never copy what is stored), and the last chunk is trimmed to
/// its length when the writer is dropped (a written table is never appended
/// to again), so only files still being written carry slack. With a
/// limit ([`MemFs::with_limit`]), an append that would hold more than the
/// limit fails with an error naming the size needed, before any byte of it
/// is stored.
#[derive(Debug, Clone, Default)]
pub struct MemFs {
    files: Arc<Mutex<BTreeMap<PathBuf, Arc<MemFile>>>>,
    counters: Arc<IoCounters>,
    usage: Arc<Usage>,
    locks: LockRegistry,
}

const MIB: f64 = (1u64 << 20) as f64;

/// Bytes held over all files, and the most allowed.
#[derive(Debug)]
struct Usage {
    /// INVARIANT: the sum of the data lengths of the files in the map, plus
    /// whatever was appended through a writer of a file after its removal
    /// (the engine never writes to a file it removed).
    held: AtomicU64,
    limit: u64,
}

impl Default for Usage {
    fn default() -> Self {
        Usage {
            held: AtomicU64::new(0),
            limit: u64::MAX,
        }
    }
}

impl Usage {
    /// Reserves `n` more bytes for `path`, or fails naming what is needed.
    fn reserve(&self, path: &Path, n: u64) -> Result<()> {
        let before = self.held.fetch_add(n, Ordering::Relaxed);
        let needed = before.saturating_add(n);
        if needed > self.limit {
            self.held.fetch_sub(n, Ordering::Relaxed);
            return Err(Error::io(
                path,
                io::Error::new(
                    io::ErrorKind::StorageFull,
                    format!(
                        "in-memory file system full: appending {n} bytes needs {needed} bytes \
                         ({:.1} MiB) in all, over the limit of {} bytes ({:.1} MiB); \
                         raise the limit or use files on disk (--fs disk)",
                        needed as f64 / MIB,
                        self.limit,
                        self.limit as f64 / MIB
                    ),
                ),
            ));
        }
        Ok(())
    }

    fn release(&self, n: u64) {
        self.held.fetch_sub(n, Ordering::Relaxed);
    }
}

fn not_found(path: &Path) -> Error {
    Error::io(
        path,
        io::Error::new(io::ErrorKind::NotFound, "no such file"),
    )
}

impl MemFs {
    /// An empty file system.
    pub fn new() -> Self {
        MemFs::default()
    }

    /// An empty file system that refuses to hold more than `limit` bytes of
    /// file data.
    pub fn with_limit(limit: u64) -> Self {
        MemFs {
            usage: Arc::new(Usage {
                held: AtomicU64::new(0),
                limit,
            }),
            ..MemFs::default()
        }
    }

    /// Bytes of memory the files take: their buffers' capacities plus a
    /// per-file estimate of bookkeeping. Compare with [`MemFs::total_bytes`]
    /// for the memory per stored byte.
    pub fn memory_bytes(&self) -> u64 {
        let files = self.files.lock().unwrap();
        files
            .iter()
            .map(|(p, f)| {
                let data = f.data.read().unwrap().capacity() as u64;
                data + PER_FILE_OVERHEAD + p.as_os_str().len() as u64
            })
            .sum()
    }

    /// Simulates a power loss: every file loses the bytes appended after its
    /// last sync. Renames, creations and removals are kept (they are treated
    /// as durable when they return).
    pub fn crash(&self) {
        let files = self.files.lock().unwrap();
        for f in files.values() {
            let synced = *f.synced_len.lock().unwrap();
            let mut data = f.data.write().unwrap();
            self.usage.release((data.len() - synced) as u64);
            data.truncate(synced);
        }
    }

    /// Total bytes held, over all files.
    pub fn total_bytes(&self) -> u64 {
        let files = self.files.lock().unwrap();
        files
            .values()
            .map(|f| f.data.read().unwrap().len() as u64)
            .sum()
    }

    fn writer(&self, path: &Path, file: Arc<MemFile>) -> Box<dyn WritableFile> {
        Box::new(MemWriter {
            path: path.to_path_buf(),
            kind: FileKind::of(path),
            file,
            counters: self.counters.clone(),
            usage: self.usage.clone(),
        })
    }

    fn get(&self, path: &Path) -> Result<Arc<MemFile>> {
        self.files
            .lock()
            .unwrap()
            .get(path)
            .cloned()
            .ok_or_else(|| not_found(path))
    }

    /// Overwrites the bytes at `offset` in `path` (for corruption tests).
    pub fn overwrite(&self, path: &Path, offset: usize, bytes: &[u8]) -> Result<()> {
        let f = self.get(path)?;
        let mut data = f.data.write().unwrap();
        if offset + bytes.len() > data.len() {
            return Err(Error::io(
                path,
                io::Error::new(io::ErrorKind::UnexpectedEof, "overwrite past end"),
            ));
        }
        data.overwrite(offset, bytes);
        Ok(())
    }

    /// Truncates `path` to `len` bytes, synced or not (for torn-write tests).
    pub fn truncate(&self, path: &Path, len: usize) -> Result<()> {
        let f = self.get(path)?;
        let mut data = f.data.write().unwrap();
        self.usage.release(data.len().saturating_sub(len) as u64);
        data.truncate(len);
        let mut s = f.synced_len.lock().unwrap();
        *s = (*s).min(len);
        Ok(())
    }
}

struct MemWriter {
    path: PathBuf,
    kind: FileKind,
    file: Arc<MemFile>,
    counters: Arc<IoCounters>,
    usage: Arc<Usage>,
}

impl WritableFile for MemWriter {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.usage.reserve(&self.path, data.len() as u64)?;
        self.file.data.write().unwrap().append(data);
        self.counters.record_write(self.kind, data.len() as u64);
        Ok(())
    }

    /// Appends already reach the shared file (the "operating system" of
    /// this model): nothing waits in the writer.
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        let len = self.file.data.read().unwrap().len();
        *self.file.synced_len.lock().unwrap() = len;
        self.counters.record_sync(self.kind);
        Ok(())
    }

    fn len(&self) -> u64 {
        self.file.data.read().unwrap().len() as u64
    }
}

impl Drop for MemWriter {
    /// The file is complete (or will be appended to by a new writer, which
    /// grows it again): its growth slack is returned.
    fn drop(&mut self) {
        self.file.data.write().unwrap().trim();
    }
}

struct MemReader {
    path: PathBuf,
    kind: FileKind,
    file: Arc<MemFile>,
    counters: Arc<IoCounters>,
}

impl RandomAccessFile for MemReader {
    /// A slice of the file's own chunk when the bytes lie in one (no copy),
    /// else a copy.
    fn read_at(&self, offset: u64, len: usize) -> Result<SharedBytes> {
        let data = self.file.data.read().unwrap();
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let end = start.saturating_add(len);
        if end > data.len() {
            return Err(Error::io(
                &self.path,
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "read of {len} bytes at offset {offset} past end of {}-byte file",
                        data.len()
                    ),
                ),
            ));
        }
        self.counters.record_read(self.kind, len as u64);
        Ok(data.read_shared(start, end))
    }

    /// Asks the CPU to bring the bytes into its cache: an input table of a
    /// compaction was written long ago, and the first pass over each of
    /// its blocks (the checksum) used to wait on memory line by line.
    fn prefetch(&self, offset: u64, len: usize) {
        let data = self.file.data.read().unwrap();
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        data.prefetch(start, start.saturating_add(len).min(data.len()));
    }

    fn len(&self) -> u64 {
        self.file.data.read().unwrap().len() as u64
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Fs for MemFs {
    fn create(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let file = Arc::new(MemFile::default());
        let old = self
            .files
            .lock()
            .unwrap()
            .insert(path.to_path_buf(), file.clone());
        if let Some(old) = old {
            self.usage.release(old.data.read().unwrap().len() as u64);
        }
        Ok(self.writer(path, file))
    }

    fn reopen_append(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let file = self.get(path)?;
        Ok(self.writer(path, file))
    }

    fn open(&self, path: &Path) -> Result<Arc<dyn RandomAccessFile>> {
        let file = self.get(path)?;
        Ok(Arc::new(MemReader {
            path: path.to_path_buf(),
            kind: FileKind::of(path),
            file,
            counters: self.counters.clone(),
        }))
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        let mut files = self.files.lock().unwrap();
        let f = files.remove(from).ok_or_else(|| not_found(from))?;
        if let Some(old) = files.insert(to.to_path_buf(), f) {
            self.usage.release(old.data.read().unwrap().len() as u64);
        }
        Ok(())
    }

    fn remove(&self, path: &Path) -> Result<()> {
        let f = self
            .files
            .lock()
            .unwrap()
            .remove(path)
            .ok_or_else(|| not_found(path))?;
        self.usage.release(f.data.read().unwrap().len() as u64);
        Ok(())
    }

    fn exists(&self, path: &Path) -> bool {
        self.files.lock().unwrap().contains_key(path)
    }

    fn file_size(&self, path: &Path) -> Result<u64> {
        Ok(self.get(path)?.data.read().unwrap().len() as u64)
    }

    fn list(&self, dir: &Path) -> Result<Vec<String>> {
        let files = self.files.lock().unwrap();
        Ok(files
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
            .collect())
    }

    fn create_dir_all(&self, _dir: &Path) -> Result<()> {
        Ok(())
    }

    fn sync_dir(&self, _dir: &Path) -> Result<()> {
        Ok(())
    }

    fn lock(&self, path: &Path) -> Result<Box<dyn DirLock>> {
        self.locks.lock(path)
    }

    fn counters(&self) -> &Arc<IoCounters> {
        &self.counters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_forgets_unsynced_bytes_only() {
        let fs = MemFs::new();
        let p = Path::new("/db/000001.log");
        let mut w = fs.create(p).unwrap();
        w.append(b"durable").unwrap();
        w.sync().unwrap();
        w.append(b"-volatile").unwrap();
        assert_eq!(fs.read_all(p).unwrap(), b"durable-volatile");
        fs.crash();
        assert_eq!(fs.read_all(p).unwrap(), b"durable");
    }

    #[test]
    fn written_files_take_about_one_byte_of_memory_per_byte_stored() {
        let fs = MemFs::new();
        for i in 0..50 {
            let mut w = fs
                .create(&PathBuf::from(format!("/db/{i:06}.sst")))
                .unwrap();
            // Table-like appends: 4 KiB blocks and their trailers, 260 KiB.
            for _ in 0..65 {
                w.append(&[7u8; 4092]).unwrap();
                w.append(&[1u8; 4]).unwrap();
            }
        }
        let (held, memory) = (fs.total_bytes(), fs.memory_bytes());
        assert_eq!(held, 50 * 65 * 4096);
        let per_byte = memory as f64 / held as f64;
        assert!(
            per_byte < 1.01,
            "{memory} bytes of memory for {held} stored"
        );
    }

    #[test]
    fn a_limit_refuses_the_append_that_would_pass_it_and_names_the_size() {
        let fs = MemFs::with_limit(1000);
        let p = Path::new("/db/000001.sst");
        let mut w = fs.create(p).unwrap();
        w.append(&[1u8; 600]).unwrap();
        let err = w.append(&[2u8; 600]).unwrap_err().to_string();
        assert!(err.contains("000001.sst"), "{err}");
        assert!(err.contains("needs 1200 bytes"), "{err}");
        assert!(err.contains("limit of 1000 bytes"), "{err}");
        assert_eq!(fs.total_bytes(), 600, "nothing of the refused append");
        // Removing, truncating and crashing give the bytes back.
        fs.remove(p).unwrap();
        let mut w = fs.create(p).unwrap();
        w.append(&[3u8; 900]).unwrap();
        fs.truncate(p, 100).unwrap();
        w.append(&[4u8; 800]).unwrap();
        fs.crash();
        w.append(&[5u8; 1000]).unwrap();
        assert!(w.append(&[6u8; 1]).is_err());
    }

    #[test]
    fn counts_bytes_per_kind_and_lists_a_directory() {
        let fs = MemFs::new();
        let mut w = fs.create(Path::new("/db/000002.sst")).unwrap();
        w.append(&[0u8; 100]).unwrap();
        fs.create(Path::new("/db/MANIFEST-000001")).unwrap();
        fs.create(Path::new("/other/x")).unwrap();
        let r = fs.open(Path::new("/db/000002.sst")).unwrap();
        assert_eq!(r.read_at(10, 20).unwrap().len(), 20);
        assert!(r.read_at(90, 20).is_err());
        let s = fs.stats();
        assert_eq!(s.sst.bytes_written, 100);
        assert_eq!(s.sst.bytes_read, 20);
        assert_eq!(
            fs.list(Path::new("/db")).unwrap(),
            vec!["000002.sst".to_string(), "MANIFEST-000001".to_string()]
        );
        fs.rename(Path::new("/db/000002.sst"), Path::new("/db/000003.sst"))
            .unwrap();
        assert!(!fs.exists(Path::new("/db/000002.sst")));
        assert_eq!(fs.file_size(Path::new("/db/000003.sst")).unwrap(), 100);
    }
}
