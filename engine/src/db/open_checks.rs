//! What opening a database checks before it writes or deletes anything: that
//! a directory without `CURRENT` holds no database files, that the manifest
//! belongs to this database, and that every file it references is there.

use std::path::Path;

use super::identity::{read_identity, write_identity};
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::manifest::{current_file_name, Lineage};
use crate::version::Version;
use crate::wal::wal_file_name;

/// True for the name of a table or a WAL: data that a new database would
/// delete. (A manifest alone is an interrupted creation: the manifest is
/// written before `CURRENT`, the first WAL after it.)
fn is_database_file(name: &str) -> bool {
    name.ends_with(".sst") || name.ends_with(".log") || name.ends_with(".blob")
}

/// Refuses to start a new database in `dir` when it holds tables or WALs:
/// without `CURRENT` they belong to a database that lost its pointer, and
/// a new one would delete them.
pub(super) fn refuse_orphaned_files(fs: &dyn Fs, dir: &Path) -> Result<()> {
    let found: Vec<String> = fs
        .list(dir)?
        .into_iter()
        .filter(|n| is_database_file(n))
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    let shown = found.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    Err(Error::corruption(
        dir.join(current_file_name()),
        format!(
            "missing, but {} holds {} database files ({shown}{}): refusing to create a new \
             database over them; restore CURRENT or move the files away",
            dir.display(),
            found.len(),
            if found.len() > 5 { ", ..." } else { "" }
        ),
    ))
}

/// Checks that the manifest (`manifest_name`, recording `lineage`) belongs
/// to the database whose `IDENTITY` is in `dir`; writes `IDENTITY` from
/// the manifest when it is missing.
pub(super) fn check_identity(
    fs: &dyn Fs,
    dir: &Path,
    manifest_name: &str,
    lineage: &Lineage,
) -> Result<()> {
    let on_disk = read_identity(fs, dir)?;
    match (&lineage.db_id, on_disk) {
        (Some(recorded), Some(id)) if *recorded != id => Err(Error::corruption(
            dir.join(manifest_name),
            format!(
                "belongs to database {}, but this directory's IDENTITY is {}: \
                 a manifest from another database",
                String::from_utf8_lossy(recorded),
                String::from_utf8_lossy(&id)
            ),
        )),
        (Some(recorded), None) => write_identity(fs, dir, recorded),
        _ => Ok(()),
    }
}

/// Checks that every table `version` references is in `dir` with the size
/// the manifest recorded, and that every WAL the manifest tracks as live is
/// there: recovery must not go on (and delete files) without them.
pub(super) fn check_referenced_files(
    fs: &dyn Fs,
    dir: &Path,
    manifest_name: &str,
    version: &Version,
    lineage: &Lineage,
) -> Result<()> {
    for level in 0..version.num_levels() {
        for f in version.files(level) {
            let path = dir.join(f.file_name());
            if !fs.exists(&path) {
                return Err(Error::corruption(
                    &path,
                    format!("missing: {manifest_name} references it at L{level}"),
                ));
            }
            let size = fs.file_size(&path)?;
            if size != f.size {
                return Err(Error::corruption(
                    &path,
                    format!(
                        "{size} bytes, but {manifest_name} records {} for it: \
                         the file was replaced or cut",
                        f.size
                    ),
                ));
            }
        }
    }
    for &n in &lineage.live_wals {
        let path = dir.join(wal_file_name(n));
        if !fs.exists(&path) {
            return Err(Error::corruption(
                &path,
                format!(
                    "missing: {manifest_name} records this WAL as live (its writes are in \
                     no table yet)"
                ),
            ));
        }
    }
    Ok(())
}
