//! The check after each kill: the reopened database holds every
//! acknowledged batch, the batch in flight whole or not at all, nothing
//! later, and exactly the model's contents; its version is consistent.

use std::path::Path;

use lsmlab_engine::compaction::PolicyDef;
use lsmlab_engine::Db;

use super::stream::{applied_index, options, Model};

/// The acknowledged state every check must find: the last batch that must
/// be present (`floor`) and the one that may be (`floor + 1`, in flight).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Promise {
    /// The last batch acknowledged or already seen durable.
    pub(super) floor: Option<u64>,
}

impl Promise {
    pub(super) fn in_flight(&self) -> u64 {
        self.floor.map_or(0, |f| f + 1)
    }
}

fn batch_name(b: Option<u64>) -> String {
    b.map_or("no batch".into(), |b| format!("batch {b}"))
}

fn short(v: Option<&Vec<u8>>) -> String {
    match v {
        None => "nothing".into(),
        Some(v) => {
            let s = String::from_utf8_lossy(&v[..v.len().min(24)]).into_owned();
            format!("{s:?} ({} bytes)", v.len())
        }
    }
}

/// Reopens the database after a kill and checks it against the promise;
/// returns the last batch it holds, or the violation found.
pub(super) fn verify(
    db_dir: &Path,
    policy: &'static PolicyDef,
    seed: u64,
    promise: &Promise,
    model: &mut Model,
) -> std::result::Result<Option<u64>, String> {
    let db = Db::open(db_dir, options(policy)).map_err(|e| format!("reopen failed: {e}"))?;
    db.version()
        .check_invariants()
        .map_err(|e| format!("version invariants: {e}"))?;
    let applied = applied_index(&db).map_err(|e| format!("reading the batch key: {e}"))?;
    if applied < promise.floor {
        return Err(format!(
            "acknowledged {} is lost: the database ends at {}",
            batch_name(promise.floor),
            batch_name(applied)
        ));
    }
    if applied.is_some_and(|a| a > promise.in_flight()) {
        return Err(format!(
            "the database holds {}, beyond the one in flight ({})",
            batch_name(applied),
            promise.in_flight()
        ));
    }
    model.advance_to(seed, applied);
    let got = db
        .scan(b"", None, usize::MAX)
        .map_err(|e| format!("scan failed: {e}"))?;
    let mut want = model.entries();
    for (k, v) in &got {
        match want.next() {
            Some((wk, wv)) if wk == k && wv == v => {}
            Some((wk, _)) => {
                let key = if wk < k { wk } else { k };
                return Err(format!(
                    "after {}, key {:?} holds {} where it should hold {}",
                    batch_name(applied),
                    String::from_utf8_lossy(key),
                    short(got.iter().find(|(gk, _)| gk == key).map(|(_, v)| v)),
                    short(model.get(key))
                ));
            }
            None => {
                return Err(format!(
                    "after {}, key {:?} holds {} where it should hold nothing",
                    batch_name(applied),
                    String::from_utf8_lossy(k),
                    short(Some(v))
                ))
            }
        }
    }
    if let Some((k, v)) = want.next() {
        return Err(format!(
            "after {}, key {:?} is missing (should hold {})",
            batch_name(applied),
            String::from_utf8_lossy(k),
            short(Some(v))
        ));
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::super::stream::{batch, write_batch, BATCH_KEY};
    use super::*;

    fn db_with_batches(dir: &Path, n: u64) {
        let db = Db::open(
            dir,
            options(
                lsmlab_engine::compaction::registry::builtin()
                    .find("min-overlap")
                    .unwrap(),
            ),
        )
        .unwrap();
        for i in 0..n {
            db.write(write_batch(&batch(4, i))).unwrap();
        }
    }

    #[test]
    fn verify_accepts_the_acknowledged_state_and_the_batch_in_flight() {
        let dir = tempfile::tempdir().unwrap();
        db_with_batches(dir.path(), 30);
        for floor in [Some(28), Some(29)] {
            let mut model = Model::default();
            let got = verify(
                dir.path(),
                lsmlab_engine::compaction::registry::builtin()
                    .find("min-overlap")
                    .unwrap(),
                4,
                &Promise { floor },
                &mut model,
            );
            assert_eq!(got, Ok(Some(29)));
        }
    }

    #[test]
    fn verify_reports_a_lost_batch_one_from_the_future_and_a_torn_one() {
        let dir = tempfile::tempdir().unwrap();
        db_with_batches(dir.path(), 30);
        let check = |floor| {
            let mut model = Model::default();
            verify(
                dir.path(),
                lsmlab_engine::compaction::registry::builtin()
                    .find("min-overlap")
                    .unwrap(),
                4,
                &Promise { floor },
                &mut model,
            )
            .unwrap_err()
        };
        let e = check(Some(30));
        assert!(e.contains("acknowledged batch 30 is lost"), "{e}");
        let e = check(Some(27));
        assert!(e.contains("beyond the one in flight"), "{e}");

        // Half of batch 30 without the rest (and without its batch key).
        let db = Db::open(
            dir.path(),
            options(
                lsmlab_engine::compaction::registry::builtin()
                    .find("min-overlap")
                    .unwrap(),
            ),
        )
        .unwrap();
        let ops = batch(4, 30);
        let first = ops.iter().find(|o| o.key != BATCH_KEY).unwrap();
        db.write(write_batch(std::slice::from_ref(first))).unwrap();
        drop(db);
        let e = check(Some(29));
        assert!(e.contains("after batch 29, key"), "{e}");
    }
}
