//! A file system on real files: appends are buffered until `flush`, `sync`
//! is `flush` then `fdatasync`,
//! `rename` is the operating system's atomic rename and reads are positional.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{DirLock, FileKind, Fs, IoCounters, RandomAccessFile, SharedBytes, WritableFile};
use crate::error::{Error, Result};

/// Appends smaller than this are gathered in memory before reaching the file.
const WRITE_BUFFER_BYTES: usize = 64 * 1024;

/// The [`Fs`] of real directories and files.
///
/// Appended bytes sit in a per-file buffer until [`WritableFile::flush`],
/// [`WritableFile::sync`] or until the writer is dropped, so a reader (or [`Fs::file_size`]) sees them
/// only after one of those. Cloning shares the counters.
#[derive(Debug, Clone, Default)]
pub struct DiskFs {
    counters: Arc<IoCounters>,
}

impl DiskFs {
    /// A file system with fresh counters.
    pub fn new() -> Self {
        DiskFs::default()
    }
}

struct DiskWriter {
    path: PathBuf,
    kind: FileKind,
    out: BufWriter<File>,
    /// INVARIANT: the file's length once `out` is flushed.
    len: u64,
    counters: Arc<IoCounters>,
}

impl WritableFile for DiskWriter {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.out
            .write_all(data)
            .map_err(|e| Error::io(&self.path, e))?;
        self.len += data.len() as u64;
        self.counters.record_write(self.kind, data.len() as u64);
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.path, e))
    }

    fn sync(&mut self) -> Result<()> {
        self.flush()?;
        self.out
            .get_ref()
            .sync_data()
            .map_err(|e| Error::io(&self.path, e))?;
        self.counters.record_sync(self.kind);
        Ok(())
    }

    fn len(&self) -> u64 {
        self.len
    }
}

struct DiskReader {
    path: PathBuf,
    kind: FileKind,
    file: File,
    /// The length when the file was opened; files are read only once complete.
    len: u64,
    counters: Arc<IoCounters>,
}

impl RandomAccessFile for DiskReader {
    fn read_at(&self, offset: u64, len: usize) -> Result<SharedBytes> {
        self.read_into(offset, len, Vec::new())
    }

    fn read_into(&self, offset: u64, len: usize, mut buf: Vec<u8>) -> Result<SharedBytes> {
        if buf.capacity() < len {
            // Not grown (that would copy the old bytes): a new buffer, with
            // room for a slightly larger block when it is reused.
            buf = Vec::with_capacity(len + len / 16);
        }
        // A reused buffer's bytes are initialized already and the read
        // overwrites them all: only bytes past its length need zeroing
        // first (a 4 KiB memset per block read otherwise).
        if buf.len() >= len {
            buf.truncate(len);
        } else {
            buf.resize(len, 0);
        }
        self.file.read_exact_at(&mut buf, offset).map_err(|e| {
            let e = if e.kind() == io::ErrorKind::UnexpectedEof {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "read of {len} bytes at offset {offset} past end of {}-byte file",
                        self.len
                    ),
                )
            } else {
                e
            };
            Error::io(&self.path, e)
        })?;
        self.counters.record_read(self.kind, len as u64);
        Ok(SharedBytes::from(buf))
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl DiskFs {
    fn writer(&self, path: &Path, file: File, len: u64) -> Box<dyn WritableFile> {
        Box::new(DiskWriter {
            path: path.to_path_buf(),
            kind: FileKind::of(path),
            out: BufWriter::with_capacity(WRITE_BUFFER_BYTES, file),
            len,
            counters: self.counters.clone(),
        })
    }
}

impl Fs for DiskFs {
    fn create(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(self.writer(path, file, 0))
    }

    fn reopen_append(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        Ok(self.writer(path, file, len))
    }

    fn open(&self, path: &Path) -> Result<Arc<dyn RandomAccessFile>> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        Ok(Arc::new(DiskReader {
            path: path.to_path_buf(),
            kind: FileKind::of(path),
            file,
            len,
            counters: self.counters.clone(),
        }))
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        fs::rename(from, to).map_err(|e| {
            let context = format!("rename to {}: {e}", to.display());
            Error::io(from, io::Error::new(e.kind(), context))
        })
    }

    fn remove(&self, path: &Path) -> Result<()> {
        fs::remove_file(path).map_err(|e| Error::io(path, e))
    }

    fn exists(&self, path: &Path) -> bool {
        fs::metadata(path).is_ok_and(|m| m.is_file())
    }

    fn file_size(&self, path: &Path) -> Result<u64> {
        Ok(fs::metadata(path).map_err(|e| Error::io(path, e))?.len())
    }

    fn list(&self, dir: &Path) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let file_type = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
            if file_type.is_dir() {
                continue;
            }
            if let Ok(name) = entry.file_name().into_string() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    fn create_dir_all(&self, dir: &Path) -> Result<()> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
    }

    fn sync_dir(&self, dir: &Path) -> Result<()> {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(dir, e))
    }

    fn lock(&self, path: &Path) -> Result<Box<dyn DirLock>> {
        super::lock::flock(path)
    }

    fn counters(&self) -> &Arc<IoCounters> {
        &self.counters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, DiskFs) {
        (tempfile::tempdir().unwrap(), DiskFs::new())
    }

    #[test]
    fn appends_are_readable_after_sync_and_len_counts_buffered_bytes() {
        let (dir, fs) = setup();
        let p = dir.path().join("000001.log");
        let mut w = fs.create(&p).unwrap();
        w.append(b"hello ").unwrap();
        w.append(b"world").unwrap();
        assert_eq!(w.len(), 11);
        w.sync().unwrap();
        assert_eq!(fs.read_all(&p).unwrap(), b"hello world");
        assert_eq!(fs.file_size(&p).unwrap(), 11);
        let r = fs.open(&p).unwrap();
        assert_eq!(r.read_at(6, 5).unwrap(), b"world");
        assert_eq!(r.len(), 11);
    }

    /// A reused buffer's old bytes never show: longer, shorter or as long
    /// as the read, it holds exactly the file's bytes after it.
    #[test]
    fn reads_into_a_reused_buffer_return_only_the_files_bytes() {
        let (dir, fs) = setup();
        let p = dir.path().join("000003.sst");
        let mut w = fs.create(&p).unwrap();
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        w.append(&data).unwrap();
        w.sync().unwrap();
        let r = fs.open(&p).unwrap();
        for (stale_len, offset, len) in [(4096, 100, 4000), (100, 7, 4093), (4000, 1000, 4000)] {
            let stale = vec![0xEEu8; stale_len];
            let got = r.read_into(offset, len, stale).unwrap();
            assert_eq!(&got[..], &data[offset as usize..offset as usize + len]);
        }
    }

    #[test]
    fn dropping_a_writer_flushes_its_buffer() {
        let (dir, fs) = setup();
        let p = dir.path().join("000002.sst");
        {
            let mut w = fs.create(&p).unwrap();
            w.append(&[7u8; 1000]).unwrap();
        }
        assert_eq!(fs.read_all(&p).unwrap(), vec![7u8; 1000]);
    }

    #[test]
    fn large_appends_and_reopen_continue_at_the_end() {
        let (dir, fs) = setup();
        let p = dir.path().join("MANIFEST-000001");
        let big: Vec<u8> = (0..3 * WRITE_BUFFER_BYTES).map(|i| i as u8).collect();
        let mut w = fs.create(&p).unwrap();
        w.append(&big[..10]).unwrap();
        w.append(&big[10..]).unwrap();
        w.sync().unwrap();
        drop(w);
        let mut w = fs.reopen_append(&p).unwrap();
        assert_eq!(w.len(), big.len() as u64);
        w.append(b"tail").unwrap();
        assert_eq!(w.len(), big.len() as u64 + 4);
        w.sync().unwrap();
        let all = fs.read_all(&p).unwrap();
        assert_eq!(&all[..big.len()], &big[..]);
        assert_eq!(&all[big.len()..], b"tail");
    }

    #[test]
    fn counts_bytes_read_and_written_per_kind() {
        let (dir, fs) = setup();
        let sst = dir.path().join("000003.sst");
        let mut w = fs.create(&sst).unwrap();
        w.append(&[1u8; 100]).unwrap();
        w.sync().unwrap();
        let mut w = fs.create(&dir.path().join("CURRENT")).unwrap();
        w.append(b"MANIFEST-000001\n").unwrap();
        w.sync().unwrap();
        let r = fs.open(&sst).unwrap();
        r.read_at(10, 30).unwrap();
        let s = fs.stats();
        assert_eq!(s.sst.bytes_written, 100);
        assert_eq!(s.sst.bytes_read, 30);
        assert_eq!(s.sst.syncs, 1);
        assert_eq!(s.manifest.bytes_written, 16);
        assert_eq!(s.wal, Default::default());
    }

    #[test]
    fn reading_past_the_end_fails_and_counts_nothing() {
        let (dir, fs) = setup();
        let p = dir.path().join("000004.sst");
        let mut w = fs.create(&p).unwrap();
        w.append(&[0u8; 50]).unwrap();
        w.sync().unwrap();
        let r = fs.open(&p).unwrap();
        let e = r.read_at(40, 20).unwrap_err();
        assert!(e.to_string().contains("000004.sst"), "{e}");
        assert!(e.to_string().contains("past end of 50-byte file"), "{e}");
        assert_eq!(fs.stats().sst.bytes_read, 0);
    }

    #[test]
    fn rename_replaces_list_is_sorted_and_skips_directories() {
        let (dir, fs) = setup();
        let d = dir.path();
        fs.create_dir_all(&d.join("sub/deeper")).unwrap();
        for name in ["b.sst", "a.log", "CURRENT.tmp", "CURRENT"] {
            let mut w = fs.create(&d.join(name)).unwrap();
            w.append(name.as_bytes()).unwrap();
            w.sync().unwrap();
        }
        fs.rename(&d.join("CURRENT.tmp"), &d.join("CURRENT"))
            .unwrap();
        fs.sync_dir(d).unwrap();
        assert_eq!(fs.read_all(&d.join("CURRENT")).unwrap(), b"CURRENT.tmp");
        assert_eq!(fs.list(d).unwrap(), vec!["CURRENT", "a.log", "b.sst"]);
        assert!(fs.exists(&d.join("a.log")));
        assert!(!fs.exists(&d.join("sub")));
        fs.remove(&d.join("a.log")).unwrap();
        assert!(!fs.exists(&d.join("a.log")));
    }

    #[test]
    fn errors_name_the_path() {
        let (dir, fs) = setup();
        let missing = dir.path().join("000009.sst");
        for e in [
            fs.open(&missing).err().unwrap(),
            fs.reopen_append(&missing).err().unwrap(),
            fs.remove(&missing).unwrap_err(),
            fs.file_size(&missing).unwrap_err(),
            fs.rename(&missing, &dir.path().join("x")).unwrap_err(),
            fs.list(&missing).unwrap_err(),
            fs.sync_dir(&missing).unwrap_err(),
        ] {
            assert!(
                matches!(&e, Error::Io { path, .. } if path == &missing),
                "{e}"
            );
        }
        assert!(fs.create(&dir.path().join("no/such/dir/f")).is_err());
    }
}
