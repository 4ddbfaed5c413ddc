//! The manifest: the durable history of the tree's shape.
//!
//! `MANIFEST-NNNNNN` is a log (framed by [`crate::log`]) of encoded
//! [`VersionEdit`]s; its first record is a snapshot of the whole tree, and
//! every record carries the counters (next file number, last sequence, log
//! number). `CURRENT` holds the live manifest's name and is only ever
//! replaced by an atomic rename, so a crash leaves either the old or the new
//! manifest in charge, never a mix. A manifest that outgrows its limit is
//! replaced by a fresh one holding a single snapshot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::key::SeqNo;
use crate::log::{self, LogWriter, HEADER_LEN};
use crate::version::{Version, VersionEdit, MANIFEST_FORMAT};

const CURRENT: &str = "CURRENT";
/// Where a new `CURRENT` is written before it is renamed into place.
const CURRENT_TMP: &str = "CURRENT.dbtmp";
const PREFIX: &str = "MANIFEST-";

/// The name of the file that points at the live manifest.
pub fn current_file_name() -> &'static str {
    CURRENT
}

/// `MANIFEST-NNNNNN`.
pub fn manifest_file_name(number: u64) -> String {
    format!("{PREFIX}{number:06}")
}

/// The number of a manifest file name, only in its canonical form.
fn parse_manifest_name(name: &str) -> Option<u64> {
    let n: u64 = name.strip_prefix(PREFIX)?.parse().ok()?;
    (manifest_file_name(n) == name).then_some(n)
}

/// The counters the manifest persists with every edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManifestState {
    /// The next unused file number (SSTables, WALs and manifests share them).
    pub next_file_number: u64,
    /// The last sequence number whose write is in an SSTable or a live WAL.
    pub last_sequence: SeqNo,
    /// WAL files numbered below this are obsolete.
    pub log_number: u64,
}

impl ManifestState {
    /// Takes the next file number.
    pub fn new_file_number(&mut self) -> u64 {
        let n = self.next_file_number;
        self.next_file_number += 1;
        n
    }
}

/// What a manifest records besides the tree and the counters: which
/// database it belongs to, and which WAL files recovery needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lineage {
    /// The database's identity (its `IDENTITY` file); `None` for a manifest
    /// written before identities were recorded.
    pub db_id: Option<Vec<u8>>,
    /// WALs numbered at or above `log_number` that edits recorded as live:
    /// each must exist when the database opens.
    pub live_wals: BTreeSet<u64>,
}

impl Lineage {
    /// Takes in what `edit` records, then forgets WALs below `log_number`.
    fn absorb(&mut self, edit: &VersionEdit, log_number: u64) {
        if edit.db_id.is_some() {
            self.db_id.clone_from(&edit.db_id);
        }
        self.live_wals.extend(edit.live_wals.iter().copied());
        self.live_wals = self.live_wals.split_off(&log_number);
    }
}

/// The open, live manifest of a database directory: appends edits durably.
pub struct Manifest {
    fs: Arc<dyn Fs>,
    dir: PathBuf,
    max_manifest_bytes: u64,
    number: u64,
    writer: LogWriter,
    /// Size of the manifest's first record (the snapshot) with its framing.
    snapshot_bytes: u64,
    lineage: Lineage,
    /// Why an earlier write failed; when set, no more edits are accepted,
    /// because the file may end in a partial record.
    failed: Option<String>,
}

impl std::fmt::Debug for Manifest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manifest")
            .field("dir", &self.dir)
            .field("file", &self.file_name())
            .field("len", &self.writer.len())
            .field("failed", &self.failed)
            .finish()
    }
}

impl Manifest {
    /// Starts the manifest of a new database in `dir`: writes
    /// `MANIFEST-000001` (file number 1) holding an empty snapshot and points
    /// `CURRENT` at it. The returned state's next file number is 2.
    /// Refuses a directory that already has a `CURRENT`.
    pub fn create(
        fs: Arc<dyn Fs>,
        dir: &Path,
        num_levels: usize,
        max_manifest_bytes: u64,
    ) -> Result<(Manifest, Version, ManifestState)> {
        Manifest::create_for(fs, dir, num_levels, max_manifest_bytes, None)
    }

    /// [`Manifest::create`] for the database whose identity is `db_id`,
    /// which every snapshot of the manifest then records.
    pub fn create_for(
        fs: Arc<dyn Fs>,
        dir: &Path,
        num_levels: usize,
        max_manifest_bytes: u64,
        db_id: Option<Vec<u8>>,
    ) -> Result<(Manifest, Version, ManifestState)> {
        fs.create_dir_all(dir)?;
        let current = dir.join(CURRENT);
        if fs.exists(&current) {
            return Err(Error::InvalidArgument(format!(
                "{} exists: the directory already holds a database",
                current.display()
            )));
        }
        let version = Version::new(num_levels);
        let mut state = ManifestState {
            next_file_number: 1,
            last_sequence: 0,
            log_number: 0,
        };
        let number = state.new_file_number();
        let lineage = Lineage {
            db_id,
            live_wals: BTreeSet::new(),
        };
        let m = Manifest::write_new(
            fs,
            dir,
            max_manifest_bytes,
            number,
            &version,
            &state,
            lineage,
        )?;
        Ok((m, version, state))
    }

    /// Opens the manifest `CURRENT` names and replays it.
    ///
    /// An incomplete last record (a crash mid-append) is ignored, and the
    /// manifest is then replaced by a fresh one so that later appends never
    /// follow the torn bytes. Any other damage is an error naming the file:
    /// a checksum mismatch or undecodable edit names the manifest; a missing,
    /// malformed or dangling `CURRENT` names `CURRENT`. A file at a level the
    /// given `num_levels` cannot hold is `InvalidArgument`. Leftover manifests
    /// and temporary files from an interrupted switch are removed.
    pub fn recover(
        fs: Arc<dyn Fs>,
        dir: &Path,
        num_levels: usize,
        max_manifest_bytes: u64,
    ) -> Result<(Manifest, Version, ManifestState)> {
        let current = dir.join(CURRENT);
        let bad_current = |why: String| Error::corruption(&current, why);
        if !fs.exists(&current) {
            return Err(bad_current("missing".to_string()));
        }
        let text = fs.read_all(&current)?;
        let number = std::str::from_utf8(&text)
            .ok()
            .and_then(|t| t.strip_suffix('\n'))
            .and_then(parse_manifest_name)
            .ok_or_else(|| {
                bad_current(format!(
                    "does not hold a manifest name: {:?}",
                    String::from_utf8_lossy(&text)
                ))
            })?;
        let path = dir.join(manifest_file_name(number));
        if !fs.exists(&path) {
            return Err(bad_current(format!(
                "names {}, which does not exist",
                manifest_file_name(number)
            )));
        }

        let contents = log::read_log(&*fs, &path)?;
        let (version, mut state, lineage) = replay(&path, &contents.records, number, num_levels)?;
        remove_leftovers(&*fs, dir, number);

        let len = contents.valid_len;
        if contents.torn_tail_bytes > 0 || len > max_manifest_bytes {
            let new_number = state.new_file_number();
            let m = Manifest::write_new(
                fs.clone(),
                dir,
                max_manifest_bytes,
                new_number,
                &version,
                &state,
                lineage,
            )?;
            // The old manifest is no longer current; a failed removal only
            // leaves a leftover for the next recovery to remove.
            let _ = fs.remove(&path);
            return Ok((m, version, state));
        }
        let m = Manifest {
            writer: LogWriter::new(fs.reopen_append(&path)?),
            fs,
            dir: dir.to_path_buf(),
            max_manifest_bytes,
            number,
            snapshot_bytes: (contents.records[0].len() + HEADER_LEN) as u64,
            failed: None,
            lineage,
        };
        Ok((m, version, state))
    }

    /// Installs `edit` on top of `base`: records `state`'s counters in it,
    /// applies it (an invalid edit is rejected before anything is written),
    /// appends and syncs it, and switches to a fresh manifest when this one
    /// has outgrown `max_manifest_bytes` (and at least half of it is history,
    /// so a tree larger than the limit does not rewrite on every edit).
    /// Returns the new version.
    ///
    /// REQUIRES: `base` is the version the last call (or `create`/`recover`)
    /// returned, and every added file's number came from `state`.
    ///
    /// After an I/O error the edit may or may not be durable (the disk holds
    /// the old or the new version, never a mix), and this manifest refuses
    /// every later edit with `Error::ReadOnly`; reopening recovers.
    pub fn log_and_apply(
        &mut self,
        base: &Version,
        mut edit: VersionEdit,
        state: &mut ManifestState,
    ) -> Result<Version> {
        if let Some(why) = &self.failed {
            return Err(Error::ReadOnly(why.clone()));
        }
        for f in edit.added.iter().map(|a| &a.file) {
            if f.number >= state.next_file_number || f.number == self.number {
                return Err(Error::InvalidArgument(format!(
                    "file {:06} was not allocated: next_file_number is {} and {} is in use",
                    f.number,
                    state.next_file_number,
                    self.file_name()
                )));
            }
        }
        edit.next_file_number = Some(state.next_file_number);
        edit.last_sequence = Some(state.last_sequence);
        edit.log_number = Some(state.log_number);
        let version = base.apply(&edit)?;
        self.lineage.absorb(&edit, state.log_number);

        let appended = self
            .writer
            .add_record(&edit.encode())
            .and_then(|()| self.writer.sync());
        if let Err(e) = appended {
            self.failed = Some(format!("writing {} failed: {e}", self.file_name()));
            return Err(e);
        }
        let len = self.writer.len();
        if len > self.max_manifest_bytes && len >= 2 * self.snapshot_bytes {
            if let Err(e) = self.switch(&version, state) {
                self.failed = Some(format!("replacing {} failed: {e}", self.file_name()));
                return Err(e);
            }
        }
        Ok(version)
    }

    /// Whose manifest this is and which WALs it says recovery needs.
    pub fn lineage(&self) -> &Lineage {
        &self.lineage
    }

    /// The live manifest's file number.
    pub fn manifest_file_number(&self) -> u64 {
        self.number
    }

    /// The live manifest's file name (`MANIFEST-NNNNNN`).
    pub fn file_name(&self) -> String {
        manifest_file_name(self.number)
    }

    /// Bytes in the live manifest.
    pub fn len_bytes(&self) -> u64 {
        self.writer.len()
    }

    /// Replaces the live manifest by a fresh one holding `version`.
    fn switch(&mut self, version: &Version, state: &mut ManifestState) -> Result<()> {
        let number = state.new_file_number();
        let new = Manifest::write_new(
            self.fs.clone(),
            &self.dir,
            self.max_manifest_bytes,
            number,
            version,
            state,
            self.lineage.clone(),
        )?;
        let old = std::mem::replace(self, new);
        // CURRENT no longer names the old manifest; a failed removal only
        // leaves a leftover for the next recovery to remove.
        let _ = self.fs.remove(&old.dir.join(old.file_name()));
        Ok(())
    }

    /// Writes manifest `number` holding a snapshot of `version` and `state`,
    /// syncs it, and points `CURRENT` at it. On failure before the switch,
    /// the partial file is removed and `CURRENT` is unchanged.
    fn write_new(
        fs: Arc<dyn Fs>,
        dir: &Path,
        max_manifest_bytes: u64,
        number: u64,
        version: &Version,
        state: &ManifestState,
        lineage: Lineage,
    ) -> Result<Manifest> {
        let path = dir.join(manifest_file_name(number));
        let mut snapshot = version.snapshot_edit();
        snapshot.format_version = Some(MANIFEST_FORMAT);
        snapshot.next_file_number = Some(state.next_file_number);
        snapshot.last_sequence = Some(state.last_sequence);
        snapshot.log_number = Some(state.log_number);
        snapshot.db_id.clone_from(&lineage.db_id);
        snapshot.live_wals = lineage.live_wals.iter().copied().collect();
        let written = fs.create(&path).and_then(|file| {
            let mut writer = LogWriter::new(file);
            writer.add_record(&snapshot.encode())?;
            writer.sync()?;
            Ok(writer)
        });
        let writer = match written.and_then(|w| set_current(&*fs, dir, number).map(|()| w)) {
            Ok(w) => w,
            Err(e) => {
                if parse_manifest_name(&current_name(&*fs, dir)) != Some(number) {
                    let _ = fs.remove(&path);
                }
                return Err(e);
            }
        };
        Ok(Manifest {
            snapshot_bytes: writer.len(),
            writer,
            fs,
            dir: dir.to_path_buf(),
            max_manifest_bytes,
            number,
            failed: None,
            lineage,
        })
    }
}

/// The manifest name in `CURRENT`, or "" when it cannot be read.
fn current_name(fs: &dyn Fs, dir: &Path) -> String {
    fs.read_all(&dir.join(CURRENT))
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .map(|s| s.trim_end().to_string())
        .unwrap_or_default()
}

/// Points `CURRENT` at manifest `number` by writing a temporary file,
/// syncing it and renaming it over `CURRENT`.
fn set_current(fs: &dyn Fs, dir: &Path, number: u64) -> Result<()> {
    let tmp = dir.join(CURRENT_TMP);
    let mut f = fs.create(&tmp)?;
    f.append(format!("{}\n", manifest_file_name(number)).as_bytes())?;
    f.sync()?;
    drop(f);
    fs.rename(&tmp, &dir.join(CURRENT))?;
    fs.sync_dir(dir)
}

/// Removes manifests other than `live` and a leftover temporary `CURRENT`,
/// best-effort: they are garbage, and failing to remove them is harmless.
fn remove_leftovers(fs: &dyn Fs, dir: &Path, live: u64) {
    let Ok(names) = fs.list(dir) else { return };
    for name in names {
        let stale = name == CURRENT_TMP || parse_manifest_name(&name).is_some_and(|n| n != live);
        if stale {
            let _ = fs.remove(&dir.join(&name));
        }
    }
}

/// Replays the records of manifest `path` (number `number`) into a version
/// of `num_levels` levels, the last recorded counters and the lineage.
fn replay(
    path: &Path,
    records: &[Vec<u8>],
    number: u64,
    num_levels: usize,
) -> Result<(Version, ManifestState, Lineage)> {
    let bad = |why: String| Error::corruption(path, why);
    if records.is_empty() {
        return Err(bad("holds no complete edit".to_string()));
    }
    let edits = records
        .iter()
        .map(|r| VersionEdit::decode(r, path))
        .collect::<Result<Vec<_>>>()?;
    // Format 1 wrote no version record; a newer format than this code
    // knows is refused rather than misread.
    if let Some(v) = edits.iter().find_map(|e| e.format_version) {
        if v > MANIFEST_FORMAT {
            return Err(bad(format!(
                "is of manifest format {v}; this lsmlab reads formats 1 to {MANIFEST_FORMAT}: \
                 open it with a newer lsmlab"
            )));
        }
    }
    // Replay at the depth the manifest needs, then check that the levels
    // beyond `num_levels` ended up empty.
    let needed = edits
        .iter()
        .flat_map(|e| {
            let d = e.deleted.iter().map(|d| d.0);
            let a = e.added.iter().map(|a| a.level);
            d.chain(a).chain(e.compaction_cursors.iter().map(|c| c.0))
        })
        .max()
        .map_or(0, |l| l + 1);
    let mut version = Version::new(num_levels.max(needed));
    let (mut next, mut last_seq, mut log_no) = (None, None, None);
    let mut lineage = Lineage::default();
    for (i, edit) in edits.iter().enumerate() {
        version = version.apply(edit).map_err(|e| match e {
            Error::InvalidArgument(why) => bad(format!("edit {i} does not apply: {why}")),
            other => other,
        })?;
        next = edit.next_file_number.or(next);
        last_seq = edit.last_sequence.or(last_seq);
        log_no = edit.log_number.or(log_no);
        lineage.absorb(edit, log_no.unwrap_or(0));
    }
    if let Some(level) = (num_levels..version.num_levels()).rfind(|&l| !version.files(l).is_empty())
    {
        return Err(Error::InvalidArgument(format!(
            "{} has files at L{level} but num_levels is {num_levels}; \
             open with num_levels of at least {}",
            path.display(),
            level + 1
        )));
    }
    if version.num_levels() > num_levels {
        let mut snap = version.snapshot_edit();
        snap.compaction_cursors.retain(|c| c.0 < num_levels);
        version = Version::new(num_levels).apply(&snap)?;
    }
    let (Some(next), Some(last_sequence), Some(log_number)) = (next, last_seq, log_no) else {
        return Err(bad("does not record every counter".to_string()));
    };
    let highest = version
        .all_file_numbers()
        .last()
        .copied()
        .unwrap_or(0)
        .max(number);
    if next <= highest {
        return Err(bad(format!(
            "next_file_number {next} is not above file number {highest} in use"
        )));
    }
    let state = ManifestState {
        next_file_number: next,
        last_sequence,
        log_number,
    };
    Ok((version, state, lineage))
}

#[cfg(test)]
mod tests;
