//! A database written by the previous manifest format (no sorted runs
//! recorded) opens, reads back, and is carried forward to the new format.

use std::path::Path;

use lsmlab_engine::{Db, Options};

fn copy_old_database(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/db-format-1");
    for entry in std::fs::read_dir(&from).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "md") {
            continue;
        }
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

#[test]
fn a_format_1_database_opens_reads_and_moves_to_format_2() {
    let dir = tempfile::tempdir().unwrap();
    copy_old_database(dir.path());
    let opts = Options {
        paranoid_checks: true,
        ..Options::default()
    };
    let db = Db::open(dir.path(), opts.clone()).unwrap();
    let v = db.version();
    v.check_invariants().unwrap();
    // Each L0 file is a run of its own; L1 is one run of two files.
    assert_eq!(v.runs(0).len(), 3, "{v}");
    assert!(v.runs(0).iter().all(|r| r.files().len() == 1), "{v}");
    assert_eq!(v.runs(1).len(), 1, "{v}");
    assert_eq!(v.runs(1)[0].files().len(), 2, "{v}");
    assert_eq!(v.sorted_runs(), 4);

    let all = db.scan(b"", None, usize::MAX).unwrap();
    // 3000 uniform puts over 1000 keys leave about 950 distinct keys.
    assert!((900..=1000).contains(&all.len()), "{} keys", all.len());
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "scan out of order");
    for (k, val) in &all {
        assert_eq!(db.get(k).unwrap().as_ref(), Some(val), "key {k:?}");
    }

    // New writes, a compaction, and a reopen: the manifest is rewritten in
    // the new format and the data is all there.
    db.put(b"new-key", b"new-value").unwrap();
    db.flush().unwrap();
    db.compact_level(0).unwrap();
    drop(db);
    let db = Db::open(dir.path(), opts).unwrap();
    assert_eq!(db.get(b"new-key").unwrap(), Some(b"new-value".to_vec()));
    let again = db.scan(b"", None, usize::MAX).unwrap();
    assert_eq!(again.len(), all.len() + 1);
    db.version().check_invariants().unwrap();
}
