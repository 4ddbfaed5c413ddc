//! ScyllaDB's incremental compaction (`ics`): a merge installs each sealed
//! output fragment and deletes the input fragments it has read to their
//! end, so its temporary space is a few fragments, not a second copy of
//! its inputs; and a crash between two of those installs reopens to every
//! acknowledged write.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{copy_all, key, policy, small_options, value, Model};
use lsmlab_engine::fs::{FaultFs, FaultOp, FaultRule, FileKind, Fs, MemFs};
use lsmlab_engine::{Db, Env, Options, VirtualClock};
use rand::{RngExt, SeedableRng};

const DIR: &str = "/db";

fn env_on(fs: Arc<dyn Fs>) -> Env {
    Env {
        fs,
        clock: Arc::new(VirtualClock::new(1_000)),
    }
}

/// `ics` on fragments of 16 KiB over a 16 KiB write buffer, tiers of
/// four runs, with `params` set on top.
fn options(params: &[(&str, &str)]) -> Options {
    let p = policy("ics");
    let mut o = small_options(p);
    for (param, v) in [("min_threshold", "4"), ("max_threshold", "4")]
        .iter()
        .chain(params)
    {
        let def = p.param(param).unwrap();
        o.compaction.set_value(def.name, def.parse(v).unwrap());
    }
    Options {
        write_buffer_size: 16 << 10,
        ..o
    }
}

/// Writes of keys drawn from `0..keys` in random order, 100-byte values,
/// until the first error; returns the model of the acknowledged writes and
/// the key of the write that failed, if one did.
fn load(db: &Db, seed: u64, writes: u64, keys: u64, model: &mut Model) -> Option<Vec<u8>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    for n in 0..writes {
        let i = rng.random_range(0..keys);
        let (k, v) = (key(i), value(i, n, 100));
        if db.put(&k, &v).is_err() {
            return Some(k);
        }
        model.put(&k, &v, None);
    }
    None
}

fn run(release: &str) -> (lsmlab_engine::db::EngineStats, u64) {
    let mem = MemFs::new();
    let opts = options(&[("release_inputs_early", release)]);
    let db = Db::open_with(DIR, opts, env_on(Arc::new(mem))).unwrap();
    let mut model = Model::default();
    // Inserts, nearly all of new keys: a merge's output is as large as
    // its inputs, the case where holding both costs most.
    assert!(load(&db, 7, 30_000, 999_999, &mut model).is_none());
    db.compact().unwrap();
    assert_eq!(
        db.scan(b"", None, usize::MAX).unwrap(),
        model.scan(b"", None, usize::MAX, 0),
        "release_inputs_early = {release}"
    );
    (db.stats(), db.version().total_bytes())
}

#[test]
fn releasing_inputs_as_the_merge_passes_them_cuts_the_peak_not_the_work() {
    let (on, on_final) = run("true");
    let (off, off_final) = run("false");
    assert!(on.inputs_released_early > 0, "{on:?}");
    assert_eq!(off.inputs_released_early, 0);
    // The same merges of the same data: the same bytes written and kept
    // (to the few bytes the outputs' file numbers take: each install
    // reserves a number for the manifest, so the numbers differ).
    let near = |a: u64, b: u64| (a as f64 - b as f64).abs() <= 1e-4 * b as f64;
    assert_eq!(on.compactions, off.compactions);
    assert!(near(on.compaction_write_bytes, off.compaction_write_bytes));
    assert!(near(on_final, off_final), "{on_final} vs {off_final}");
    // Only the space held while a merge runs differs.
    eprintln!(
        "largest merge's extra bytes: released as it goes {}, at the job's end {}; \
         peak table bytes {} and {} (final tree {on_final})",
        on.merge_extra_bytes_peak,
        off.merge_extra_bytes_peak,
        on.sst_bytes_peak,
        off.sst_bytes_peak
    );
    // Held to the job's end, the largest merge adds its whole output (a
    // quarter of the tree or more: four tiers at a time); released as it
    // goes, a few 16 KiB fragments per input run.
    assert!(off.merge_extra_bytes_peak > on_final / 4);
    assert!(on.merge_extra_bytes_peak < 8 * (16 << 10), "{on:?}");
    assert!(on.sst_bytes_peak < off.sst_bytes_peak);
}

#[test]
fn a_crash_between_releases_reopens_with_every_acknowledged_write() {
    let opts = options(&[]);
    // How many tables the load creates, to crash at each tenth of them.
    let count = FaultFs::new(Arc::new(MemFs::new()));
    {
        let db = Db::open_with(DIR, opts.clone(), env_on(Arc::new(count.clone()))).unwrap();
        assert!(load(&db, 11, 12_000, 3_000, &mut Model::default()).is_none());
    }
    let tables = count.op_count(FaultOp::Create, Some(FileKind::Sst));
    let mut reopened_narrowed = 0;
    for nth in (tables / 10..tables).step_by((tables / 10).max(1) as usize) {
        let mem = MemFs::new();
        let fault = FaultFs::new(Arc::new(mem.clone()));
        // From the nth table on, every table creation fails: the merge
        // under way stops where it is, as a killed process would.
        fault.arm(
            FaultRule::new(FaultOp::Create, nth)
                .on(FileKind::Sst)
                .persistent(),
        );
        let mut model = Model::default();
        let uncertain = {
            let db = Db::open_with(DIR, opts.clone(), env_on(Arc::new(fault.clone()))).unwrap();
            load(&db, 11, 12_000, 3_000, &mut model)
        };
        let Some(uncertain) = uncertain else {
            panic!("table {nth} of {tables}: the load did not fail");
        };
        let db = Db::open_with(
            DIR,
            opts.clone(),
            env_on(Arc::new(copy_all(&mem, Path::new(DIR)))),
        )
        .unwrap();
        if db.version().files(0).iter().any(|f| f.narrowed) {
            reopened_narrowed += 1;
        }
        let mut got = db.scan(b"", None, usize::MAX).unwrap();
        // The failed write may or may not have reached the WAL.
        got.retain(|(k, _)| *k != uncertain);
        let mut want = model.scan(b"", None, usize::MAX, 0);
        want.retain(|(k, _)| *k != uncertain);
        assert_eq!(got, want, "crash at table {nth} of {tables}");
        // And it compacts on from there.
        db.compact().unwrap();
        let mut after = db.scan(b"", None, usize::MAX).unwrap();
        after.retain(|(k, _)| *k != uncertain);
        assert_eq!(after, want, "crash at table {nth} of {tables}, compacted");
    }
    assert!(
        reopened_narrowed > 0,
        "no crash landed between two releases of one merge ({tables} tables)"
    );
}
