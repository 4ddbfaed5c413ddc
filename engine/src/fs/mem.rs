//! An in-memory file system for fast sweeps and tests, with a crash model:
//! [`MemFs::crash`] forgets every byte appended since the file's last sync.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use super::lock::LockRegistry;
use super::{DirLock, FileKind, Fs, IoCounters, RandomAccessFile, WritableFile};
use crate::error::{Error, Result};

#[derive(Debug, Default)]
struct MemFile {
    data: RwLock<Vec<u8>>,
    /// INVARIANT: `synced_len <= data.len()`.
    synced_len: Mutex<usize>,
}

/// A file system held in memory. Cloning shares the same files and counters.
#[derive(Debug, Clone, Default)]
pub struct MemFs {
    files: Arc<Mutex<BTreeMap<PathBuf, Arc<MemFile>>>>,
    counters: Arc<IoCounters>,
    locks: LockRegistry,
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

    /// Simulates a power loss: every file loses the bytes appended after its
    /// last sync. Renames, creations and removals are kept (they are treated
    /// as durable when they return).
    pub fn crash(&self) {
        let files = self.files.lock().unwrap();
        for f in files.values() {
            let synced = *f.synced_len.lock().unwrap();
            f.data.write().unwrap().truncate(synced);
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
        data[offset..offset + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }

    /// Truncates `path` to `len` bytes, synced or not (for torn-write tests).
    pub fn truncate(&self, path: &Path, len: usize) -> Result<()> {
        let f = self.get(path)?;
        let mut data = f.data.write().unwrap();
        data.truncate(len);
        let mut s = f.synced_len.lock().unwrap();
        *s = (*s).min(len);
        Ok(())
    }
}

struct MemWriter {
    kind: FileKind,
    file: Arc<MemFile>,
    counters: Arc<IoCounters>,
}

impl WritableFile for MemWriter {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.file.data.write().unwrap().extend_from_slice(data);
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

struct MemReader {
    path: PathBuf,
    kind: FileKind,
    file: Arc<MemFile>,
    counters: Arc<IoCounters>,
}

impl RandomAccessFile for MemReader {
    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
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
        Ok(data[start..end].to_vec())
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
        self.files
            .lock()
            .unwrap()
            .insert(path.to_path_buf(), file.clone());
        Ok(Box::new(MemWriter {
            kind: FileKind::of(path),
            file,
            counters: self.counters.clone(),
        }))
    }

    fn reopen_append(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let file = self.get(path)?;
        Ok(Box::new(MemWriter {
            kind: FileKind::of(path),
            file,
            counters: self.counters.clone(),
        }))
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
        files.insert(to.to_path_buf(), f);
        Ok(())
    }

    fn remove(&self, path: &Path) -> Result<()> {
        self.files
            .lock()
            .unwrap()
            .remove(path)
            .map(|_| ())
            .ok_or_else(|| not_found(path))
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
