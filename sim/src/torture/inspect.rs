//! Where a kill landed, read from the files it left, before anything
//! reopens them: tables written but not installed (a flush or compaction
//! cut short), a table cut off mid-write, torn WAL and manifest tails, a
//! manifest switch in progress.

use std::path::Path;

use lsmlab_engine::fs::{DiskFs, Fs};
use lsmlab_engine::log::read_log;
use lsmlab_engine::manifest::current_file_name;
use lsmlab_engine::sst::Table;
use lsmlab_engine::version::{Version, VersionEdit};
use lsmlab_engine::wal::replay_wal;

/// What the files of a killed database show about the moment of the kill.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct KillSite {
    /// Complete tables no version references whose entries are all newer
    /// than every referenced table: a flush's output, not yet installed.
    pub flush_outputs: u64,
    /// Other complete unreferenced tables: a compaction's outputs not yet
    /// installed, or its inputs not yet deleted.
    pub compaction_files: u64,
    /// Unreferenced tables that do not open (no footer yet): a flush or
    /// compaction killed while writing the file.
    pub partial_tables: u64,
    /// A live WAL ends in part of a record.
    pub torn_wal: bool,
    /// The manifest ends in part of an edit.
    pub torn_manifest: bool,
    /// A temporary `CURRENT` or a second manifest: killed while switching
    /// to a fresh manifest.
    pub manifest_switch: bool,
    /// Batches in the live WALs (written since the last flush).
    pub wal_batches: u64,
}

fn number(name: &str, suffix: &str) -> Option<u64> {
    name.strip_suffix(suffix)?.parse().ok()
}

/// Reads the database in `dir` without changing it. `None` when it cannot
/// tell (no `CURRENT` yet, or files the engine itself would refuse: the
/// reopen that follows reports those).
pub fn inspect(dir: &Path, num_levels: usize) -> Option<KillSite> {
    let fs = DiskFs::new();
    let names = fs.list(dir).ok()?;
    let current = fs.read_all(&dir.join(current_file_name())).ok()?;
    let manifest_name = String::from_utf8(current).ok()?.trim_end().to_string();
    let manifest = read_log(&fs, &dir.join(&manifest_name)).ok()?;
    let mut version = Version::new(num_levels);
    let mut log_number = 0;
    for record in &manifest.records {
        let edit = VersionEdit::decode(record, &dir.join(&manifest_name)).ok()?;
        log_number = edit.log_number.unwrap_or(log_number);
        version = version.apply(&edit).ok()?;
    }
    let live = version.all_file_numbers();
    let newest_seq = (0..version.num_levels())
        .flat_map(|l| version.files(l).iter().map(|f| f.largest_seq))
        .max()
        .unwrap_or(0);

    let mut site = KillSite {
        torn_manifest: manifest.torn_tail_bytes > 0,
        manifest_switch: names.iter().any(|n| n.ends_with(".dbtmp"))
            || names.iter().filter(|n| n.starts_with("MANIFEST-")).count() > 1,
        ..KillSite::default()
    };
    for name in &names {
        if number(name, ".sst").is_some_and(|n| !live.contains(&n)) {
            match Table::open(&fs, &dir.join(name)) {
                Err(_) => site.partial_tables += 1,
                Ok(t) if t.properties().smallest_seq > newest_seq => site.flush_outputs += 1,
                Ok(_) => site.compaction_files += 1,
            }
        } else if number(name, ".log").is_some_and(|n| n >= log_number) {
            if let Ok(replay) = replay_wal(&fs, &dir.join(name)) {
                site.torn_wal |= replay.torn_tail_bytes > 0;
                site.wal_batches += replay.batches.len() as u64;
            }
        }
    }
    Some(site)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::torture::stream::{batch, options, write_batch};
    use lsmlab_engine::compaction::registry;
    use lsmlab_engine::Db;

    #[test]
    fn a_clean_database_shows_nothing_and_an_unreferenced_table_shows() {
        let dir = tempfile::tempdir().unwrap();
        let opts = options(registry::DEFAULT_POLICY);
        assert_eq!(inspect(dir.path(), opts.num_levels), None, "no CURRENT yet");
        let db = Db::open(dir.path(), opts.clone()).unwrap();
        for i in 0..30 {
            db.write(write_batch(&batch(1, i))).unwrap();
        }
        drop(db);
        let site = inspect(dir.path(), opts.num_levels).unwrap();
        assert_eq!(
            site.flush_outputs + site.compaction_files + site.partial_tables,
            0
        );
        assert!(!site.torn_wal && !site.torn_manifest && !site.manifest_switch);
        assert!(site.wal_batches > 0, "{site:?}");

        // A live table copied under a new number: old entries, unreferenced.
        let live = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "sst"))
            .unwrap();
        let bytes = std::fs::read(&live).unwrap();
        std::fs::write(dir.path().join("999998.sst"), &bytes).unwrap();
        std::fs::write(dir.path().join("999999.sst"), &bytes[..bytes.len() / 2]).unwrap();
        let site = inspect(dir.path(), opts.num_levels).unwrap();
        assert_eq!((site.compaction_files, site.partial_tables), (1, 1));
        // The engine agrees: both are deleted on open.
        drop(Db::open(dir.path(), opts).unwrap());
        assert!(!dir.path().join("999998.sst").exists());
        assert!(!dir.path().join("999999.sst").exists());
    }
}
