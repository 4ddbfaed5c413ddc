//! The child side of `lsmlab torture`: opens the database on real files,
//! resumes the stream after the last batch the database holds, and writes
//! batches until it is killed, reporting each one on stdout only after the
//! engine acknowledged it.
//!
//! Protocol (one line each, flushed at once): `ready N` after the database
//! opened (N: the first batch this child writes), `big I` just before the
//! write of a big batch I starts (the parent may aim its kill there), and
//! `ack I` after batch I's write returned `Ok`.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result};
use lsmlab_engine::compaction::PolicyDef;
use lsmlab_engine::{Db, Mode, Options};

use super::stream::{applied_index, batch, is_big, options, write_batch};

/// Exits when stdin closes: the parent is gone, so nobody will kill us.
fn exit_with_parent() {
    std::thread::spawn(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        std::process::exit(3);
    });
}

/// Writes the stream into `dir` until killed (or stdout closes).
pub fn run(
    dir: &Path,
    policy: &'static PolicyDef,
    mode: Mode,
    wal_sync: bool,
    min_blob_size: u64,
    seed: u64,
) -> Result<()> {
    let opts = Options {
        mode,
        wal_sync,
        ..super::stream::with_blobs(options(policy), min_blob_size)
    };
    let db = Db::open(dir, opts).with_context(|| format!("opening {}", dir.display()))?;
    exit_with_parent();
    let first = applied_index(&db)?.map_or(0, |i| i + 1);
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready {first}")?;
    out.flush()?;
    for index in first.. {
        let b = write_batch(&batch(seed, index));
        if is_big(index) {
            writeln!(out, "big {index}")?;
            out.flush()?;
        }
        db.write(b)
            .with_context(|| format!("writing batch {index}"))?;
        // Only now is the batch acknowledged.
        writeln!(out, "ack {index}")?;
        out.flush()?;
    }
    Ok(())
}
