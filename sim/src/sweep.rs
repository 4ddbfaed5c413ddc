//! Many runs at once: a sweep's runs (or one shard of them) executed in
//! parallel with rayon, each on its own engine, with a progress bar.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::runner::{build_workload, run_experiment, FsChoice, RunError, RunOutput};
use crate::spec::RunSpec;

/// Runs `runs` on `jobs` threads; results come back in the order of `runs`.
/// The amplification figures do not depend on `jobs`: each run is alone on
/// its engine and its simulated clock.
pub fn run_all(
    runs: &[&RunSpec],
    fs: &FsChoice,
    jobs: usize,
    show_progress: bool,
) -> Result<Vec<RunOutput>, RunError> {
    let totals: Vec<u64> = runs
        .iter()
        .map(|r| build_workload(r).map(|w| w.total_ops()))
        .collect::<Result<_, _>>()?;
    let done: Arc<Vec<AtomicU64>> = Arc::new(runs.iter().map(|_| AtomicU64::new(0)).collect());
    let finished = Arc::new(AtomicU64::new(0));
    let bar = if show_progress {
        let b = ProgressBar::new(totals.iter().sum());
        b.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {human_pos}/{human_len} ops  {msg}  ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| RunError::Threads(format!("starting {jobs} sweep threads: {e}")))?;
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = {
        let (bar, done, finished, stop) =
            (bar.clone(), done.clone(), finished.clone(), stop.clone());
        let n = runs.len();
        // Progress display only: without the thread, the sweep runs unshown.
        std::thread::Builder::new()
            .name("sweep-progress".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    bar.set_position(done.iter().map(|d| d.load(Ordering::Relaxed)).sum());
                    bar.set_message(format!("runs {}/{n}", finished.load(Ordering::Relaxed)));
                    std::thread::sleep(Duration::from_millis(200));
                }
            })
            .ok()
    };
    let results: Vec<Result<RunOutput, RunError>> = pool.install(|| {
        runs.par_iter()
            .enumerate()
            .map(|(i, r)| {
                let out = run_experiment(r, fs, &done[i]);
                done[i].store(totals[i], Ordering::Relaxed);
                finished.fetch_add(1, Ordering::Relaxed);
                out
            })
            .collect()
    });
    stop.store(true, Ordering::Relaxed);
    if let Some(t) = ticker {
        let _ = t.join();
    }
    bar.finish_and_clear();
    results.into_iter().collect()
}
