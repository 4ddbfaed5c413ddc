//! Exclusive holds on a database directory's `LOCK` file, so that one
//! writer at a time owns a database: [`Fs::lock`](super::Fs::lock) returns a
//! [`DirLock`] that releases the hold when dropped.
//!
//! [`DiskFs`](super::DiskFs) takes an advisory `flock(2)` on the file (held
//! per open file, so a second open in the same process is refused as well as
//! one in another process; the kernel drops it when the process dies) and
//! writes the holder's process id into it for the error message of the next
//! one to try. [`MemFs`](super::MemFs) keeps a registry of held paths.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

/// A held lock; dropping it releases the hold.
pub trait DirLock: Send + Sync {}

/// The error for a lock someone else holds.
fn held(path: &Path, holder: String) -> Error {
    Error::Locked {
        path: path.to_path_buf(),
        holder,
    }
}

/// An `flock(2)` hold on a file; closing the file releases it.
struct FlockHold {
    _file: File,
}

impl DirLock for FlockHold {}

/// Who wrote `contents` into a lock file, for an error message.
fn describe_holder(contents: &str) -> String {
    let pid = contents
        .trim()
        .strip_prefix("pid ")
        .and_then(|p| p.parse::<u32>().ok());
    match pid {
        Some(p) if p == std::process::id() => format!("this process (pid {p})"),
        Some(p) => format!("process {p}"),
        None => "another process".to_string(),
    }
}

/// Takes an exclusive `flock` on `path` (created if missing) without
/// waiting, and records this process as the holder.
pub(super) fn flock(path: &Path) -> Result<Box<dyn DirLock>> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    // SAFETY: `file` owns an open descriptor for the duration of the call.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            let mut contents = String::new();
            let _ = file.read_to_string(&mut contents);
            return Err(held(path, describe_holder(&contents)));
        }
        return Err(Error::io(path, e));
    }
    let record = format!("pid {}\n", std::process::id());
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(record.as_bytes()))
        .map_err(|e| Error::io(path, e))?;
    Ok(Box::new(FlockHold { _file: file }))
}

/// The paths locked in one [`MemFs`](super::MemFs) (shared by its clones).
#[derive(Debug, Default, Clone)]
pub(super) struct LockRegistry {
    held: Arc<Mutex<HashSet<PathBuf>>>,
}

struct RegistryHold {
    held: Arc<Mutex<HashSet<PathBuf>>>,
    path: PathBuf,
}

impl DirLock for RegistryHold {}

impl Drop for RegistryHold {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.remove(&self.path);
    }
}

impl LockRegistry {
    /// Takes `path`, or says it is taken.
    pub(super) fn lock(&self, path: &Path) -> Result<Box<dyn DirLock>> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if !held.insert(path.to_path_buf()) {
            return Err(held_error(path));
        }
        Ok(Box::new(RegistryHold {
            held: self.held.clone(),
            path: path.to_path_buf(),
        }))
    }
}

fn held_error(path: &Path) -> Error {
    held(
        path,
        "another Db on the same in-memory file system".to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::{DiskFs, FaultFs, Fs, MemFs};

    #[test]
    fn a_second_disk_lock_is_refused_naming_this_process_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("LOCK");
        let fs = DiskFs::new();
        let first = fs.lock(&p).unwrap();
        let e = fs.lock(&p).err().unwrap();
        let msg = e.to_string();
        assert!(matches!(e, Error::Locked { .. }), "{msg}");
        assert!(msg.contains("LOCK"), "{msg}");
        assert!(
            msg.contains(&format!("this process (pid {})", std::process::id())),
            "{msg}"
        );
        drop(first);
        fs.lock(&p).unwrap();
    }

    #[test]
    fn memfs_locks_are_shared_by_clones_and_released_on_drop() {
        let fs = MemFs::new();
        let p = Path::new("/db/LOCK");
        let held = fs.lock(p).unwrap();
        let fault = FaultFs::new(Arc::new(fs.clone()));
        assert!(matches!(fault.lock(p).err().unwrap(), Error::Locked { .. }));
        fs.lock(Path::new("/other/LOCK")).unwrap();
        drop(held);
        fault.lock(p).unwrap();
    }

    #[test]
    fn holders_are_described_from_the_lock_file() {
        assert_eq!(describe_holder("pid 4242\n"), "process 4242");
        assert_eq!(describe_holder(""), "another process");
    }
}
