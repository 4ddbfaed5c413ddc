//! `lsmlab torture`: a crash campaign on real files. A child process writes
//! a deterministic stream of batches (WAL on, synced per batch) and reports
//! each acknowledged batch; the parent kills it with SIGKILL at a random
//! moment, reopens the database and checks that every acknowledged batch is
//! there, that the batch in flight is whole or absent (never partly
//! applied), that nothing later appeared, and that the version's invariants
//! hold; then it starts a new child, which resumes where the database ends.

mod child;
mod inspect;
mod stream;
mod tear;
mod verify;

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use lsmlab_engine::compaction::{registry, PolicyDef};
use lsmlab_engine::{Db, Mode};

pub use child::run as run_child;
use inspect::{inspect, KillSite};
use stream::{mix, options, Model};
use verify::{verify, Promise};

/// What to torture, and how hard.
#[derive(Debug, Clone)]
pub struct Config {
    pub policies: Vec<&'static PolicyDef>,
    /// Kills per policy.
    pub kills: u64,
    pub seed: u64,
    /// Databases go in `dir/<policy>`, which must not exist yet.
    pub dir: PathBuf,
    /// A kill lands uniformly between 0 and this many ms after the child
    /// starts.
    pub max_sleep_ms: u64,
    /// Where the writer's flushes and compactions run: on its writing
    /// thread, or on background threads while it goes on writing.
    pub mode: Mode,
    /// Whether the writer syncs the WAL after every batch. Without sync an
    /// acknowledged batch must still survive (the kills are of the process,
    /// not of the machine).
    pub wal_sync: bool,
    /// The writer's `min_blob_size` (0: no value separation); when set,
    /// blob garbage collection is on too, so kills also land while blobs
    /// are relocated and blob files deleted.
    pub min_blob_size: u64,
}

/// One kill in this many is aimed: instead of landing at a random moment,
/// it lands as soon as the writer announces a big batch, in the middle of
/// that batch's WAL append.
const AIM_EVERY: u64 = 4;

/// How long an aimed kill waits for the writer to reach a big batch before
/// it lands anyway.
const AIM_TIMEOUT: Duration = Duration::from_secs(10);

/// Figures of one policy's campaign.
#[derive(Debug, Default, Clone)]
pub struct PolicyReport {
    pub policy: Option<&'static PolicyDef>,
    /// Kills after which the reopened database held everything.
    pub kills_survived: u64,
    pub batches_acknowledged: u64,
    /// Kills after which the batch in flight (written, not acknowledged)
    /// was found whole.
    pub in_flight_found: u64,
    /// Kills aimed at the WAL append of a big batch.
    pub aimed_at_big_append: u64,
    /// Kills after which the last manifest edit was torn on purpose (see
    /// [`tear`]); a subset of `torn_manifest`.
    pub manifest_edits_torn: u64,
    /// Kills before the child had opened the database (mid-recovery).
    pub during_recovery: u64,
    /// Kills that left a flush's output uninstalled.
    pub mid_flush: u64,
    /// Kills that left a compaction's outputs uninstalled or its inputs
    /// undeleted.
    pub mid_compaction: u64,
    /// Kills that cut a table off while it was being written.
    pub mid_table_write: u64,
    pub torn_wal: u64,
    pub torn_manifest: u64,
    pub mid_manifest_switch: u64,
    /// Files and the tree's shape at the end.
    pub final_files: usize,
    pub final_levels: String,
    pub seconds: f64,
}

impl PolicyReport {
    fn count(&mut self, site: &KillSite) {
        self.mid_flush += u64::from(site.flush_outputs > 0);
        self.mid_compaction += u64::from(site.compaction_files > 0);
        self.mid_table_write += u64::from(site.partial_tables > 0);
        self.torn_wal += u64::from(site.torn_wal);
        self.torn_manifest += u64::from(site.torn_manifest);
        self.mid_manifest_switch += u64::from(site.manifest_switch);
    }
}

impl fmt::Display for PolicyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.policy.map_or("?", |p| p.name);
        write!(
            f,
            "{name:<12} {} kills survived, nothing lost: {} batches acknowledged, \
             {} in-flight batches found whole; {} kills aimed at a big batch's WAL append, \
             {} manifest edits torn after the kill; \
             kills landed {} during recovery, \
             {} mid-flush, {} mid-compaction, {} mid-table-write, {} on a torn WAL tail, \
             {} on a torn manifest tail, {} mid-manifest-switch; tree at the end: {} files ({}); {:.1} s",
            self.kills_survived,
            self.batches_acknowledged,
            self.in_flight_found,
            self.aimed_at_big_append,
            self.manifest_edits_torn,
            self.during_recovery,
            self.mid_flush,
            self.mid_compaction,
            self.mid_table_write,
            self.torn_wal,
            self.torn_manifest,
            self.mid_manifest_switch,
            self.final_files,
            self.final_levels,
            self.seconds
        )
    }
}

/// A broken promise: what was lost or torn, after which kill, and where the
/// database was left for inspection.
#[derive(Debug, Clone)]
pub struct Violation {
    pub policy: &'static PolicyDef,
    pub kill: u64,
    pub message: String,
    pub dir: PathBuf,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} after kill {}: {} (database left in {})",
            self.policy,
            self.kill,
            self.message,
            self.dir.display()
        )
    }
}

/// What one child did before it was killed.
#[derive(Debug, Default)]
struct ChildRun {
    /// The first batch it was to write, once the database was open.
    ready: Option<u64>,
    last_ack: Option<u64>,
    acks: u64,
}

/// Reads the writer's lines; `big` sends on `on_big` when given.
fn read_protocol(out: impl Read, on_big: Option<mpsc::Sender<u64>>) -> Result<ChildRun> {
    let mut run = ChildRun::default();
    for line in BufReader::new(out).lines() {
        let line = line?;
        let (tag, n) = line
            .split_once(' ')
            .and_then(|(t, n)| Some((t, n.parse::<u64>().ok()?)))
            .with_context(|| format!("the writer printed `{line}`"))?;
        match tag {
            "ready" => run.ready = Some(n),
            "big" => {
                if let Some(tx) = &on_big {
                    let _ = tx.send(n);
                }
            }
            "ack" => {
                run.last_ack = Some(n);
                run.acks += 1;
            }
            _ => bail!("the writer printed `{line}`"),
        }
    }
    Ok(run)
}

/// When a kill lands.
#[derive(Debug, Clone, Copy)]
enum KillAt {
    /// This long after the writer starts.
    After(Duration),
    /// As soon as the writer announces a big batch (or after
    /// [`AIM_TIMEOUT`]).
    BigAppend,
}

/// Starts a writer on `db_dir`, kills it with SIGKILL at `at`, and returns
/// what it reported; `Err` text from the writer if it stopped by itself.
fn spawn_and_kill(
    cfg: &Config,
    db_dir: &Path,
    policy: &'static PolicyDef,
    at: KillAt,
) -> Result<std::result::Result<ChildRun, String>> {
    let exe = std::env::current_exe().context("locating the lsmlab binary")?;
    let mut child = Command::new(exe)
        .args(["torture", "--child", "--policy", policy.name])
        .args(["--mode", cfg.mode.name()])
        .args(["--seed", &cfg.seed.to_string()])
        .args(["--wal-sync", &cfg.wal_sync.to_string()])
        .args(["--min-blob-size", &cfg.min_blob_size.to_string()])
        .arg("--dir")
        .arg(db_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting the writer process")?;
    let stdout = child.stdout.take().context("writer stdout")?;
    let (tx, rx) = mpsc::channel();
    let on_big = matches!(at, KillAt::BigAppend).then_some(tx);
    let reader = std::thread::Builder::new()
        .name("torture-reader".into())
        .spawn(move || read_protocol(stdout, on_big))
        .context("starting the thread that reads the writer")?;
    match at {
        KillAt::After(sleep) => std::thread::sleep(sleep),
        KillAt::BigAppend => {
            let _ = rx.recv_timeout(AIM_TIMEOUT);
        }
    }
    let exited = child.try_wait()?;
    if exited.is_none() {
        child.kill().context("killing the writer")?;
        child.wait()?;
    }
    let run = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the reader thread panicked"))??;
    if let Some(status) = exited {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            e.read_to_string(&mut err)?;
        }
        return Ok(Err(format!(
            "the writer stopped by itself ({status}): {}",
            err.trim()
        )));
    }
    Ok(Ok(run))
}

fn level_shape(db: &Db) -> (usize, String) {
    let v = db.version();
    let shape: Vec<String> = (0..v.num_levels())
        .filter(|&l| !v.files(l).is_empty())
        .map(|l| format!("L{l} {}", v.files(l).len()))
        .collect();
    (v.total_files(), shape.join(", "))
}

/// Tortures one policy in `db_dir`.
fn torture_policy(
    cfg: &Config,
    policy: &'static PolicyDef,
    db_dir: &Path,
) -> Result<std::result::Result<PolicyReport, Violation>> {
    let start = Instant::now();
    let mut report = PolicyReport {
        policy: Some(policy),
        ..PolicyReport::default()
    };
    let mut promise = Promise::default();
    let mut model = Model::default();
    let violation = |kill: u64, message: String| Violation {
        policy,
        kill,
        message,
        dir: db_dir.to_path_buf(),
    };
    for kill in 0..cfg.kills {
        // The policy's place in the registry keeps each policy's kill points
        // apart (and as they were when policies were an enum).
        let slot = registry::builtin()
            .policies()
            .iter()
            .position(|p| *p == policy)
            .unwrap_or(0) as u64;
        let r = mix(cfg.seed ^ mix(slot + 1) ^ mix((kill + 1) << 20));
        let at = if kill % AIM_EVERY == AIM_EVERY - 1 {
            report.aimed_at_big_append += 1;
            KillAt::BigAppend
        } else {
            KillAt::After(Duration::from_millis(r % (cfg.max_sleep_ms + 1)))
        };
        let run = match spawn_and_kill(cfg, db_dir, policy, at)? {
            Ok(run) => run,
            Err(message) => return Ok(Err(violation(kill, message))),
        };
        if run.ready.is_none() {
            report.during_recovery += 1;
        }
        report.batches_acknowledged += run.acks;
        if run.last_ack > promise.floor {
            promise.floor = run.last_ack;
        }
        if tear::tear_last_manifest_edit(db_dir)? {
            report.manifest_edits_torn += 1;
        }
        if let Some(site) = inspect(db_dir, options(policy).num_levels) {
            report.count(&site);
        }
        let applied = match verify(db_dir, policy, cfg.seed, &promise, &mut model) {
            Ok(a) => a,
            Err(message) => return Ok(Err(violation(kill, message))),
        };
        if applied.is_some_and(|a| a == promise.in_flight()) {
            report.in_flight_found += 1;
        }
        // What the reopen saw is durable now: later checks must find it.
        promise.floor = applied;
        report.kills_survived += 1;
    }
    let db = Db::open(db_dir, options(policy))?;
    (report.final_files, report.final_levels) = level_shape(&db);
    report.seconds = start.elapsed().as_secs_f64();
    Ok(Ok(report))
}

/// The longest a writer may run before its kill.
const MAX_SLEEP_MS: u64 = 60_000;

impl Config {
    /// Checks the figures a user gave.
    pub fn validate(&self) -> Result<()> {
        if self.kills == 0 {
            bail!("--kills must be at least 1");
        }
        if !(1..=MAX_SLEEP_MS).contains(&self.max_sleep_ms) {
            bail!(
                "--max-sleep-ms {} is out of range: allowed 1 ..= {MAX_SLEEP_MS}",
                self.max_sleep_ms
            );
        }
        Ok(())
    }
}

/// Runs the campaign; `on_policy` sees each policy's figures as they come.
/// Returns the first violation found (its database is kept); on success
/// the databases are removed.
pub fn run(
    cfg: &Config,
    mut on_policy: impl FnMut(&PolicyReport),
) -> Result<std::result::Result<Vec<PolicyReport>, Violation>> {
    cfg.validate()?;
    let mut dirs = Vec::new();
    for policy in &cfg.policies {
        let d = cfg.dir.join(policy.name);
        if d.exists() {
            bail!(
                "{} already exists: torture needs a fresh directory (remove it or pick another --dir)",
                d.display()
            );
        }
        dirs.push(d);
    }
    let mut reports = Vec::new();
    for (policy, d) in cfg.policies.iter().zip(&dirs) {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
        match torture_policy(cfg, policy, d)? {
            Ok(r) => {
                on_policy(&r);
                reports.push(r);
                std::fs::remove_dir_all(d).with_context(|| format!("removing {}", d.display()))?;
            }
            Err(v) => return Ok(Err(v)),
        }
    }
    Ok(Ok(reports))
}

/// The command line of `lsmlab torture`.
#[derive(clap::Args)]
pub struct Args {
    /// Policy to torture (repeatable; default: every policy).
    #[arg(long = "policy")]
    policies: Vec<String>,
    /// Kills per policy.
    #[arg(long, default_value_t = 20)]
    kills: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where the databases live (DIR/<policy>, which must not exist);
    /// default: a new temporary directory.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Each kill lands at a random moment within this many milliseconds of
    /// the writer's start.
    #[arg(long, default_value_t = 150)]
    max_sleep_ms: u64,
    /// The writer's mode: deterministic (flushes and compactions on its
    /// writing thread) or background (on worker threads, so kills also land
    /// while writes and installs run concurrently).
    #[arg(long, default_value = "deterministic")]
    mode: String,
    /// Whether the writer syncs the WAL after every batch: `true`, or
    /// `false` (the default options; acknowledged batches must survive the
    /// process kills all the same).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    wal_sync: bool,
    /// Values of at least this many bytes go to blob files, with blob
    /// garbage collection on (0, the default: no value separation).
    #[arg(long, default_value_t = 0)]
    min_blob_size: u64,
    /// Be the writer process the campaign kills (internal).
    #[arg(long, hide = true)]
    child: bool,
}

/// Runs `lsmlab torture`: 0 when every kill was survived, 1 when something
/// was lost (the database is kept), errors for bad input.
pub fn command(a: Args) -> Result<u8> {
    let mut policies = Vec::new();
    for p in &a.policies {
        policies.push(registry::builtin().find(p)?);
    }
    let mode: Mode = a.mode.parse()?;
    if a.child {
        let (Some(dir), [policy]) = (&a.dir, policies.as_slice()) else {
            bail!("torture --child needs --dir and one --policy");
        };
        run_child(dir, policy, mode, a.wal_sync, a.min_blob_size, a.seed)?;
        return Ok(0);
    }
    if policies.is_empty() {
        policies = registry::builtin().policies().to_vec();
    }
    let temporary = a.dir.is_none();
    let dir = a.dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("lsmlab-torture-{}", std::process::id()))
    });
    let cfg = Config {
        policies,
        kills: a.kills,
        seed: a.seed,
        dir: dir.clone(),
        max_sleep_ms: a.max_sleep_ms,
        mode,
        wal_sync: a.wal_sync,
        min_blob_size: a.min_blob_size,
    };
    cfg.validate()?;
    println!(
        "torture: {} kills per policy, {} mode, wal_sync {}, min_blob_size {}, seed {}, kills within {} ms of each writer's start \
         (every {AIM_EVERY}th aimed at a big batch's WAL append), in {}",
        a.kills,
        mode.name(),
        a.wal_sync,
        a.min_blob_size,
        a.seed,
        a.max_sleep_ms,
        dir.display()
    );
    match run(&cfg, |r| println!("{r}"))? {
        Ok(reports) => {
            let kills: u64 = reports.iter().map(|r| r.kills_survived).sum();
            println!("all {kills} kills survived: no acknowledged write lost, no batch torn");
            if temporary {
                let _ = std::fs::remove_dir(&dir);
            }
            Ok(0)
        }
        Err(v) => {
            println!("LOST: {v}");
            Ok(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protocol_is_ready_then_acks_and_nothing_else() {
        let (tx, rx) = mpsc::channel();
        let run = read_protocol(&b"ready 5\nack 5\nbig 6\nack 6\n"[..], Some(tx)).unwrap();
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![6]);
        assert_eq!((run.ready, run.last_ack, run.acks), (Some(5), Some(6), 2));
        // A line cut by the kill is not an ack.
        assert!(read_protocol(&b"ready 0\nack 0\nac"[..], None).is_err());
        assert!(read_protocol(&b"hello 1\n"[..], None).is_err());
    }
}
