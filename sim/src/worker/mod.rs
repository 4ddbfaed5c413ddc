//! `lsmlab compaction-worker`: serves remote compaction jobs over TCP for
//! databases in a shared directory (see `lsmlab_engine::remote`). The
//! writer sends a job naming input tables; the worker reads them from
//! `--dir`, runs the merge kernel, writes the outputs under the numbers the
//! writer reserved and answers with their metadata. It keeps no state: a
//! worker killed mid-job loses nothing the writer cannot redo.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{Context, Result};
use lsmlab_engine::fs::DiskFs;
use lsmlab_engine::remote::{serve, WorkerFault};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on, e.g. 127.0.0.1:7070 (port 0: any free port,
    /// printed at start).
    #[arg(long)]
    pub listen: String,
    /// The database directory the writer shares with this worker.
    #[arg(long)]
    pub dir: PathBuf,
}

/// Runs the worker until killed.
pub fn command(a: Args) -> Result<()> {
    if !a.dir.is_dir() {
        anyhow::bail!("--dir {}: not a directory", a.dir.display());
    }
    let listener = std::net::TcpListener::bind(&a.listen)
        .with_context(|| format!("--listen {}: cannot listen there", a.listen))?;
    let addr = listener.local_addr()?;
    println!(
        "compaction worker listening on {addr}, dir {}",
        a.dir.display()
    );
    use std::io::Write;
    std::io::stdout().flush()?;
    serve(
        listener,
        Arc::new(DiskFs::new()),
        a.dir,
        WorkerFault::None,
        Arc::new(AtomicBool::new(false)),
    )
    .context("serving compaction jobs")
}
