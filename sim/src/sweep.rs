//! Many runs at once: a sweep's runs (or one shard of them) executed in
//! parallel with rayon, each on its own engine, with a progress bar; each
//! finished run handed over at once (to a journal, see `journal`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::error::LabError;
use crate::journal::{Finished, Journal};
use crate::manifest::Manifest;
use crate::results::{sort_runs_by, RunRecord};
use crate::runner::{build_options, build_workload, run_experiment, FsChoice, RunError, RunOutput};
use crate::spec::RunSpec;
use crate::timeline::{sort_timeline_by, TimelineRow};

/// Why a journaled sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Lab(#[from] LabError),
}

/// Runs `runs` on `jobs` threads; results come back in the order of `runs`.
/// The amplification figures do not depend on `jobs`: each run is alone on
/// its engine and its simulated clock.
pub fn run_all(
    runs: &[&RunSpec],
    fs: &FsChoice,
    jobs: usize,
    show_progress: bool,
) -> Result<Vec<RunOutput>, RunError> {
    run_each(runs, fs, jobs, show_progress, &|_| Ok(())).map_err(|e| match e {
        SweepError::Run(e) => e,
        SweepError::Lab(e) => unreachable!("nothing but runs can fail here: {e}"),
    })
}

/// `run_all`, calling `finished` with each run's output as soon as it ends
/// (from the worker thread that ran it). The first error stops the sweep.
pub fn run_each(
    runs: &[&RunSpec],
    fs: &FsChoice,
    jobs: usize,
    show_progress: bool,
    finished_run: &(dyn Fn(&RunOutput) -> Result<(), SweepError> + Sync),
) -> Result<Vec<RunOutput>, SweepError> {
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
    let failed = AtomicBool::new(false);
    // `None`: not started because an earlier run failed.
    let results: Vec<Option<Result<RunOutput, SweepError>>> = pool.install(|| {
        runs.par_iter()
            .enumerate()
            .map(|(i, r)| {
                if failed.load(Ordering::Relaxed) {
                    return None;
                }
                let out = run_experiment(r, fs, &done[i])
                    .map_err(SweepError::from)
                    .and_then(|out| finished_run(&out).map(|()| out));
                done[i].store(totals[i], Ordering::Relaxed);
                finished.fetch_add(1, Ordering::Relaxed);
                if out.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                Some(out)
            })
            .collect()
    });
    stop.store(true, Ordering::Relaxed);
    if let Some(t) = ticker {
        let _ = t.join();
    }
    bar.finish_and_clear();
    // Runs skipped after a failure are `None`; the failure is returned.
    results.into_iter().flatten().collect()
}

/// A sweep (or shard) whose finished runs are journaled so that an
/// interruption keeps them.
pub struct JournaledSweep<'a> {
    /// The runs of this sweep or shard, in run order.
    pub runs: &'a [&'a RunSpec],
    /// The manifest of the output directory (spec hash, shard, run ids).
    pub manifest: &'a Manifest,
    /// Where the journal lives (`journal::journal_dir` of the output dir).
    pub journal_dir: &'a std::path::Path,
    /// Continue the journal there instead of starting a new one.
    pub resume: bool,
    /// Set (by a SIGINT/SIGTERM handler) to stop: finished runs are kept,
    /// the process exits with status 130 once no append is under way.
    pub interrupt: Option<&'static AtomicBool>,
}

/// What a journaled sweep produced, in run order, and its journal (to be
/// removed once the outputs are written).
pub struct SweepOutcome {
    pub records: Vec<RunRecord>,
    pub timeline: Vec<TimelineRow>,
    /// Runs taken from the journal instead of being run again.
    pub resumed: usize,
    pub journal: Journal,
}

/// The varied columns and the most levels of these runs: the journal's
/// CSV headers, fixed before any run ends.
fn journal_layout(runs: &[&RunSpec]) -> Result<(Vec<String>, usize), RunError> {
    let mut varied: Vec<String> = Vec::new();
    let mut levels = 0;
    for run in runs {
        for (name, _) in &run.varied {
            if !varied.contains(name) {
                varied.push(name.clone());
            }
        }
        levels = levels.max(build_options(run)?.num_levels);
    }
    Ok((varied, levels))
}

/// Runs a sweep, appending each finished run to its journal; with
/// `resume`, the runs the journal already holds are not run again.
pub fn run_journaled(
    sweep: &JournaledSweep<'_>,
    fs: &FsChoice,
    jobs: usize,
    show_progress: bool,
) -> Result<SweepOutcome, SweepError> {
    let (varied, levels) = journal_layout(sweep.runs)?;
    let (journal, finished) = if sweep.resume && sweep.journal_dir.exists() {
        Journal::resume(sweep.journal_dir, sweep.manifest, &varied, levels)?
    } else {
        let j = Journal::create(sweep.journal_dir, sweep.manifest, &varied, levels)?;
        (j, Finished::default())
    };
    let resumed = finished.records.len();
    let todo: Vec<&RunSpec> = sweep
        .runs
        .iter()
        .copied()
        .filter(|r| !finished.records.iter().any(|f| f.run_id == r.run_id))
        .collect();
    let journal = Arc::new(Mutex::new(journal));
    let ended = Arc::new(AtomicBool::new(false));
    let watcher = sweep.interrupt.map(|flag| {
        let (journal, ended) = (journal.clone(), ended.clone());
        let dir = sweep.journal_dir.display().to_string();
        std::thread::spawn(move || {
            while !ended.load(Ordering::Relaxed) {
                if flag.load(Ordering::Relaxed) {
                    // Holding the lock, no append is half done.
                    let _held = journal.lock();
                    eprintln!(
                        "\ninterrupted: finished runs are kept in {dir}; rerun with --resume to continue"
                    );
                    std::process::exit(130);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    });
    let hash = sweep.manifest.spec_hash.clone();
    let outputs = run_each(&todo, fs, jobs, show_progress, &|out| {
        let mut record = out.record.clone();
        record.spec_hash = hash.clone();
        let mut j = journal.lock().unwrap_or_else(|e| e.into_inner());
        j.append(&record, &out.timeline).map_err(SweepError::from)
    });
    ended.store(true, Ordering::Relaxed);
    if let Some(w) = watcher {
        let _ = w.join();
    }
    let outputs = outputs?;
    let mut records = finished.records;
    let mut timeline = finished.timeline;
    for out in outputs {
        let mut record = out.record;
        record.spec_hash = hash.clone();
        records.push(record);
        timeline.extend(out.timeline);
    }
    let order: Vec<String> = sweep.runs.iter().map(|r| r.run_id.clone()).collect();
    sort_runs_by(&mut records, &order);
    sort_timeline_by(&mut timeline, &order);
    let journal = match Arc::try_unwrap(journal) {
        Ok(m) => m.into_inner().unwrap_or_else(|e| e.into_inner()),
        Err(_) => unreachable!("the watcher thread has ended"),
    };
    Ok(SweepOutcome {
        records,
        timeline,
        resumed,
        journal,
    })
}
