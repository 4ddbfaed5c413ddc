//! Atomic output files: each file is written to a temporary sibling and
//! synced; only when every file of a set is written are they renamed into
//! place (and their directories synced). A failure part-way — a full disk,
//! a plot that cannot be drawn — leaves every previous output as it was.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{LabError, Result};

/// A set of files written together.
#[derive(Debug, Default)]
pub struct Staging {
    /// (temporary file, final path), in the order they were staged.
    staged: Vec<(PathBuf, PathBuf)>,
    /// Fault injection: the bytes the staged files may take before a write
    /// fails as on a full disk (`None`: unlimited).
    budget: Option<u64>,
    used: u64,
}

/// The temporary sibling of `path`: hidden, unique to this process, and
/// ending in the same extension so that writers which pick the format from
/// the file name (PNG) still work.
fn temporary(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".tmp-{}-{name}", std::process::id()))
}

fn sync_file(path: &Path) -> Result<()> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| LabError::io(path, e))
}

/// Syncs a directory so a rename inside it survives a crash (best effort
/// where directories cannot be opened).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Staging {
    pub fn new() -> Staging {
        Staging::default()
    }

    /// A staging whose files may take at most `bytes` in total: the next
    /// write past it fails with "No space left on device". For tests of what
    /// a full disk leaves behind.
    pub fn with_budget(bytes: u64) -> Staging {
        Staging {
            staged: Vec::new(),
            budget: Some(bytes),
            used: 0,
        }
    }

    /// Stages `path` with `bytes` as its content.
    pub fn write(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        self.produce(path, |tmp| {
            let mut f = File::create(tmp).map_err(|e| LabError::io(tmp, e))?;
            f.write_all(bytes).map_err(|e| LabError::io(tmp, e))
        })
    }

    /// Stages `path` with whatever `fill` writes to the temporary path it is
    /// given (a CSV writer, a plot).
    pub fn produce(&mut self, path: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
        let tmp = temporary(path);
        let result = fill(&tmp).and_then(|()| {
            let size = std::fs::metadata(&tmp)
                .map_err(|e| LabError::io(&tmp, e))?
                .len();
            self.used += size;
            if self.budget.is_some_and(|b| self.used > b) {
                return Err(LabError::io(
                    path,
                    std::io::Error::new(
                        std::io::ErrorKind::StorageFull,
                        "No space left on device (injected)",
                    ),
                ));
            }
            sync_file(&tmp)
        });
        match result {
            Ok(()) => {
                self.staged.push((tmp, path.to_path_buf()));
                Ok(())
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Renames every staged file into place, in staging order, and syncs
    /// their directories. Stage the file that marks a set complete (a
    /// manifest) last.
    pub fn commit(mut self) -> Result<()> {
        let staged = std::mem::take(&mut self.staged);
        let mut dirs: Vec<PathBuf> = Vec::new();
        for (tmp, path) in &staged {
            std::fs::rename(tmp, path).map_err(|e| LabError::io(path, e))?;
            if let Some(dir) = path.parent() {
                if !dirs.iter().any(|d| d == dir) {
                    dirs.push(dir.to_path_buf());
                }
            }
        }
        for dir in &dirs {
            sync_dir(dir);
        }
        Ok(())
    }
}

impl Drop for Staging {
    /// An uncommitted staging removes its temporary files.
    fn drop(&mut self) {
        for (tmp, _) in &self.staged {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Writes one file atomically.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut s = Staging::new();
    s.write(path, bytes)?;
    s.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_changes_until_commit_and_a_failure_leaves_no_trace() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.png"));
        std::fs::write(&a, "old a").unwrap();
        let mut s = Staging::with_budget(10);
        s.write(&a, b"new a").unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a");
        let err = s.write(&b, b"far too long for the budget").unwrap_err();
        assert!(err.to_string().contains("No space left"), "{err}");
        drop(s);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.txt"]);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a");

        let mut s = Staging::new();
        s.write(&a, b"new a").unwrap();
        s.produce(&b, |tmp| {
            assert!(tmp.to_string_lossy().ends_with("-b.png"));
            std::fs::write(tmp, "png").map_err(|e| LabError::io(tmp, e))
        })
        .unwrap();
        s.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "png");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
