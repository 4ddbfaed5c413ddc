//! Tears the last edit of a killed database's manifest, as a kill in the
//! middle of appending that edit would have, when the files show that it
//! is still a moment the engine could have been killed at: after the edit's
//! append, before anything it made obsolete (input tables, emptied blob
//! files, retired WALs) was deleted. Real kills almost
//! never land inside a manifest append (an edit is one small write), so the
//! campaign makes that state on purpose and checks recovery from it.

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::path::Path;

use lsmlab_engine::blob::blob_file_name;
use lsmlab_engine::fs::{DiskFs, Fs};
use lsmlab_engine::log::{read_log, HEADER_LEN};
use lsmlab_engine::manifest::current_file_name;
use lsmlab_engine::version::{sst_file_name, VersionEdit};
use lsmlab_engine::wal::wal_file_name;

/// Cuts the live manifest in the middle of its last edit when that is a
/// state a kill could have left; says whether it did. Leaves the files
/// alone when it cannot tell (the reopen reports those).
pub fn tear_last_manifest_edit(dir: &Path) -> std::io::Result<bool> {
    let fs = DiskFs::new();
    let Ok(current) = fs.read_all(&dir.join(current_file_name())) else {
        return Ok(false);
    };
    let Ok(name) = String::from_utf8(current) else {
        return Ok(false);
    };
    let path = dir.join(name.trim_end());
    let Ok(log) = read_log(&fs, &path) else {
        return Ok(false);
    };
    // The first record is the snapshot: without it there is no manifest.
    if log.torn_tail_bytes > 0 || log.records.len() < 2 {
        return Ok(false);
    }
    let Ok(edits) = log
        .records
        .iter()
        .map(|r| VersionEdit::decode(r, &path))
        .collect::<Result<Vec<_>, _>>()
    else {
        return Ok(false);
    };
    let (last, before) = edits.split_last().expect("two records or more");
    let mut log_number = 0;
    let mut live_wals = BTreeSet::new();
    for e in before {
        log_number = e.log_number.unwrap_or(log_number);
        live_wals.extend(e.live_wals.iter().copied());
    }
    let exists = |file: String| fs.exists(&dir.join(file));
    // Had the engine gone past the append, it would have deleted the
    // inputs the edit removes, the blob files it empties, or the WALs its
    // log number retires.
    let undone = last.deleted.iter().all(|&(_, n)| exists(sst_file_name(n)))
        && last
            .blob_files_deleted
            .iter()
            .all(|&n| exists(blob_file_name(n)))
        && live_wals
            .range(log_number..)
            .all(|&n| exists(wal_file_name(n)));
    if !undone {
        return Ok(false);
    }
    let last_len = (HEADER_LEN + log.records.last().map_or(0, Vec::len)) as u64;
    let keep = log.valid_len - last_len + last_len / 2;
    OpenOptions::new().write(true).open(&path)?.set_len(keep)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::torture::stream::{applied_index, batch, options, write_batch};
    use lsmlab_engine::compaction::registry;
    use lsmlab_engine::fs::{FaultFs, FaultOp, FaultRule, FileKind};
    use lsmlab_engine::{Db, Env};

    fn opts() -> lsmlab_engine::Options {
        lsmlab_engine::Options {
            max_manifest_bytes: 1 << 20,
            ..options(registry::DEFAULT_POLICY)
        }
    }

    #[test]
    fn only_an_edit_whose_retired_files_remain_is_torn_and_recovery_keeps_every_batch() {
        let dir = tempfile::tempdir().unwrap();
        let fault = FaultFs::new(Arc::new(DiskFs::new()));
        let env = Env {
            fs: Arc::new(fault.clone()),
            ..Env::disk()
        };
        let db = Db::open_with(dir.path(), opts(), env).unwrap();
        for i in 0..3 {
            db.write(write_batch(&batch(1, i))).unwrap();
        }
        db.flush().unwrap();
        // Everything the last flush retired is gone: a kill now is past
        // the append, and tearing would lose the flushed writes.
        assert!(!tear_last_manifest_edit(dir.path()).unwrap());
        db.write(write_batch(&batch(1, 3))).unwrap();
        // The next flush installs its edit, then fails to delete its WAL:
        // the files are as a kill between the two would leave them.
        fault.arm(FaultRule::new(FaultOp::Remove, 0).on(FileKind::Wal));
        db.flush().unwrap_err();
        drop(db);
        assert!(tear_last_manifest_edit(dir.path()).unwrap());
        let site = crate::torture::inspect::inspect(dir.path(), opts().num_levels).unwrap();
        assert!(site.torn_manifest, "{site:?}");
        let db = Db::open(dir.path(), opts()).unwrap();
        assert_eq!(applied_index(&db).unwrap(), Some(3));
    }

    #[test]
    fn an_edit_whose_emptied_blob_files_are_gone_is_not_torn() {
        let dir = tempfile::tempdir().unwrap();
        let fault = FaultFs::new(Arc::new(DiskFs::new()));
        let env = Env {
            fs: Arc::new(fault.clone()),
            ..Env::disk()
        };
        // L0 left alone until asked, so that the merge below is ours.
        let o = lsmlab_engine::Options {
            l0_file_limit: 8,
            ..crate::torture::stream::with_blobs(opts(), 100)
        };
        let db = Db::open_with(dir.path(), o.clone(), env).unwrap();
        let value = vec![7u8; 200];
        for _ in 0..2 {
            for k in 0..10u8 {
                db.put(&[b'k', k], &value).unwrap();
            }
            db.flush().unwrap();
        }
        let blobs_before = blob_files(dir.path());
        // The merge of both flushes drops the first one's values: its edit
        // empties that blob file, which install deletes; deleting the
        // input tables then fails, as a kill between the two would leave it.
        fault.arm(FaultRule::new(FaultOp::Remove, 0).on(FileKind::Sst));
        db.compact_level(0).unwrap_err();
        drop(db);
        let blobs_after = blob_files(dir.path());
        assert!(
            blobs_before.iter().any(|b| !blobs_after.contains(b)),
            "the merge deleted an emptied blob file: {blobs_before:?} -> {blobs_after:?}"
        );
        // The edit is past its append: tearing it would bring back
        // references to the deleted blob file.
        assert!(!tear_last_manifest_edit(dir.path()).unwrap());
        let db = Db::open(dir.path(), o).unwrap();
        for k in 0..10u8 {
            assert_eq!(db.get(&[b'k', k]).unwrap(), Some(value.clone()));
        }
    }

    fn blob_files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".blob"))
            .collect();
        names.sort();
        names
    }
}
