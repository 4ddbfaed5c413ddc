//! The database: ties the memtable, WAL, SSTables, manifest and compaction
//! strategy together behind `put` / `delete` / `get` / `scan`.
//!
//! In this (deterministic) mode every flush and compaction runs on the
//! calling thread, at points fixed by the writes, so the same operations
//! give the same files and the same byte counts on any machine.

mod background;
mod compact;
mod driver;
mod flush;
mod identity;
mod job_log;
mod mem_scan;
mod open_checks;
mod read;
mod release;
mod remote;
mod retired;
mod scan_out;
mod schedule;
mod snapshot;
mod stats;
mod view;
mod work;
mod write;

pub use identity::IDENTITY_FILE;
pub use job_log::{JobEvent, JobFile, JobListener};
pub use read::ScanStats;
pub use scan_out::ScanBuffer;
pub use snapshot::Snapshot;
pub use stats::{
    EngineStats, LevelStatsRow, LevelStatsTable, LevelWork, WindowPeaks, FLUSH_REASON,
};

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::cache::BlockCache;
use crate::clock::{Clock, SystemClock, VirtualClock};
use crate::compaction::Strategy;
use crate::error::{Error, Result};
use crate::fs::{DirLock, DiskFs, Fs, MemFs};
use crate::key::SeqNo;
use crate::manifest::{Manifest, ManifestState};
use crate::memtable::Memtable;
use crate::options::{Mode, Options};
use crate::version::Version;
use crate::wal::{replay_wal, wal_file_name, WalWriter};
use flush::Immutable;
use schedule::Scheduler;
use snapshot::SnapshotList;
use view::{MemtableCell, Published, ReadContext, ReadView};

/// Where a database lives and what time it is there.
#[derive(Clone)]
pub struct Env {
    pub fs: Arc<dyn Fs>,
    pub clock: Arc<dyn Clock>,
}

impl Env {
    /// Real files and the system clock.
    pub fn disk() -> Env {
        Env {
            fs: Arc::new(DiskFs::new()),
            clock: Arc::new(SystemClock),
        }
    }

    /// An in-memory file system and a virtual clock starting at 0.
    pub fn mem() -> (Env, MemFs, Arc<VirtualClock>) {
        let fs = MemFs::new();
        let clock = Arc::new(VirtualClock::new(0));
        (
            Env {
                fs: Arc::new(fs.clone()),
                clock: clock.clone(),
            },
            fs,
            clock,
        )
    }
}

/// A persistent, log-structured key-value store.
///
/// ```
/// use lsmlab_engine::{Db, Options};
///
/// let dir = tempfile::tempdir().unwrap();
/// let db = Db::open(dir.path(), Options::default())?;
/// db.put(b"key", b"value")?;
/// db.put_with_ttl(b"session", b"x", 60_000)?;
/// let snap = db.snapshot();
/// db.delete(b"key")?;
/// assert_eq!(db.get(b"key")?, None);
/// assert_eq!(db.get_at(&snap, b"key")?, Some(b"value".to_vec()));
/// assert_eq!(db.scan(b"a", Some(b"z"), 100)?.len(), 1);
/// println!("{}", db.level_stats());
/// # Ok::<(), lsmlab_engine::Error>(())
/// ```
pub struct Db {
    shared: Arc<background::Shared>,
    snapshots: Arc<SnapshotList>,
    /// Background workers (the background mode only).
    workers: Vec<std::thread::JoinHandle<()>>,
}

/// The database's mutable state, guarded by one lock.
struct Inner {
    env: Env,
    dir: PathBuf,
    opts: Options,
    strategy: Arc<dyn Strategy>,
    /// The active memtable. Writers insert into it holding the writer gate
    /// but not this lock (see `view`); it is replaced only under both.
    mem: Arc<MemtableCell>,
    /// Whether `mem` was full (`Memtable::is_full`) after the last insert,
    /// read without its lock by admission and rotation.
    mem_full: bool,
    /// Clock time of the memtable's first write.
    mem_oldest_ms: Option<u64>,
    /// Full memtables waiting for flush, oldest first.
    imm: VecDeque<Immutable>,
    /// A worker is flushing the oldest memtable (background mode).
    flushing: bool,
    /// The active WAL. Taken out (and `None`) while a writer appends to it
    /// without the lock; every user holds the writer gate.
    wal: Option<WalWriter>,
    /// The WAL of the active memtable (a file only when `opts.wal`).
    wal_number: u64,
    /// The next file number; `state.next_file_number` catches up with it
    /// before every manifest write.
    files: work::FileNumbers,
    manifest: Manifest,
    version: Arc<Version>,
    state: ManifestState,
    /// Open tables by file number; opened on first use.
    tables: view::OpenTables,
    /// Open tables of deleted files, closed by a worker once no reader
    /// holds them (background mode).
    retired: retired::RetiredTables,
    /// The open blob files of the current version (value separation);
    /// replaced, not changed, so readers keep the set they took.
    blobs: Arc<crate::blob::BlobSet>,
    /// Blocks shared by the open tables (`block_cache_size > 0`).
    block_cache: Option<Arc<BlockCache>>,
    /// Flushes and compactions waiting for their I/O budget.
    sched: Scheduler,
    /// Compaction debt of the current version.
    debt: u64,
    /// Bumped by every installed edit; with `quiet` it spares asking the
    /// strategy again about a version it found nothing to do in.
    epoch: u64,
    quiet: Option<Quiet>,
    /// Fractions of a millisecond of write delay carried to the next write.
    slowdown_carry: u64,
    last_level: Option<usize>,
    stats: EngineStats,
    /// Set after a failed flush, compaction or log write: the database is
    /// then read-only until reopened.
    failed: Option<String>,
    snapshots: Arc<SnapshotList>,
    window: WindowPeaks,
    /// The hold on the directory's `LOCK`, released when the database is
    /// dropped.
    _lock: Box<dyn DirLock>,
    /// Tombstone purges `(user key, clock ms)` not yet taken, when tracked.
    purges: Option<Vec<(Vec<u8>, u64)>>,
    /// Where merge jobs run, when not here (remote compaction).
    service: Option<Arc<dyn crate::remote::CompactionService>>,
    remote_counters: Arc<remote::RemoteCounters>,
    /// What readers read without this lock; republished on every change.
    published: Arc<Published>,
    /// Who hears about each installed flush and compaction.
    job_log: job_log::JobLog,
}

/// The strategy found nothing to do in version `epoch`; it is asked again
/// after the next installed edit, or at `wake_ms` on the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Quiet {
    epoch: u64,
    wake_ms: Option<u64>,
    /// The oldest live snapshot then: a release may make bottommost files
    /// worth compacting.
    oldest_snapshot: Option<SeqNo>,
}

/// The file whose advisory lock an open database holds.
pub const LOCK_FILE: &str = "LOCK";

fn parse_file_number(name: &str, suffix: &str) -> Option<u64> {
    name.strip_suffix(suffix)?.parse().ok()
}

impl Db {
    /// Opens (creating if missing) the database in `dir` on real files.
    pub fn open(dir: impl AsRef<Path>, opts: Options) -> Result<Db> {
        Db::open_with(dir, opts, Env::disk())
    }

    /// Opens (creating if missing) the database in `dir` in `env`, with
    /// the compaction policy `opts.compaction` names.
    ///
    /// The directory's `LOCK` is held while the database is open: a second
    /// open, in this process or another, fails with `Error::Locked`. A
    /// directory without `CURRENT` becomes a new database only when it holds
    /// no tables or WALs (and `create_if_missing` is on);
    /// `error_if_exists` refuses an existing database.
    ///
    /// Recovery: the manifest gives the version; it must belong to this
    /// database (its `IDENTITY`), and every table it references and every
    /// WAL it tracks as live must be there, or the open fails naming the
    /// file before anything is written or deleted. WAL files not yet flushed
    /// are then replayed (a torn last record is ignored) and flushed to L0;
    /// files the version does not reference are deleted.
    pub fn open_with(dir: impl AsRef<Path>, opts: Options, env: Env) -> Result<Db> {
        opts.validate()?;
        let strategy = (opts.compaction.policy.build)(&opts.compaction);
        Db::open_with_strategy(dir, opts, env, strategy)
    }

    /// Opens the database in `dir` in `env` with a compaction strategy of
    /// the caller's own (`opts.compaction` is then not consulted): the
    /// plug-in point for policies outside this crate.
    pub fn open_with_strategy(
        dir: impl AsRef<Path>,
        opts: Options,
        env: Env,
        strategy: Arc<dyn Strategy>,
    ) -> Result<Db> {
        opts.validate()?;
        let dir = dir.as_ref().to_path_buf();
        let fs = env.fs.clone();
        fs.create_dir_all(&dir)?;
        let lock = fs.lock(&dir.join(LOCK_FILE))?;
        let (manifest, version, state) =
            if fs.exists(&dir.join(crate::manifest::current_file_name())) {
                if opts.error_if_exists {
                    return Err(Error::InvalidArgument(format!(
                        "{} already holds a database (error_if_exists is set)",
                        dir.display()
                    )));
                }
                let (m, v, s) =
                    Manifest::recover(fs.clone(), &dir, opts.num_levels, opts.max_manifest_bytes)?;
                let name = m.file_name();
                open_checks::check_identity(fs.as_ref(), &dir, &name, m.lineage())?;
                open_checks::check_referenced_files(fs.as_ref(), &dir, &name, &v, m.lineage())?;
                (m, v, s)
            } else {
                open_checks::refuse_orphaned_files(fs.as_ref(), &dir)?;
                if !opts.create_if_missing {
                    return Err(Error::InvalidArgument(format!(
                        "{} holds no database and create_if_missing is off",
                        dir.display()
                    )));
                }
                let id = identity::new_identity();
                identity::write_identity(fs.as_ref(), &dir, &id)?;
                Manifest::create_for(
                    fs.clone(),
                    &dir,
                    opts.num_levels,
                    opts.max_manifest_bytes,
                    Some(id),
                )?
            };
        let snapshots = Arc::new(SnapshotList::default());
        let now = env.clock.now_ms();
        let sched = Scheduler::new(
            opts.flush_io_rate,
            opts.compaction_io_rate,
            opts.compaction_io_burst,
            now,
        );
        let dir_for_errors = dir.clone();
        let wal_number = state.log_number;
        let opts_cache_size = opts.block_cache_size;
        let files = Arc::new(std::sync::atomic::AtomicU64::new(state.next_file_number));
        let version = Arc::new(version);
        let mem = Arc::new(MemtableCell::new(Memtable::for_options(&opts)));
        let published = Arc::new(Published::new(
            ReadView {
                mem: mem.clone(),
                imm: Vec::new(),
                version: version.clone(),
                blobs: Arc::default(),
                tables: Arc::default(),
                lazy_scans: false,
            },
            state.last_sequence,
            ReadContext {
                dir: dir.clone(),
                clock: env.clock.clone(),
                merge_operator: opts.merge_operator.clone(),
            },
        ));
        let mut inner = Inner {
            env,
            dir,
            opts,
            strategy,
            mem,
            mem_full: false,
            mem_oldest_ms: None,
            imm: VecDeque::new(),
            flushing: false,
            wal: None,
            wal_number,
            files,
            manifest,
            version,
            state,
            tables: view::OpenTables::default(),
            retired: retired::RetiredTables::default(),
            blobs: Arc::default(),
            block_cache: (opts_cache_size > 0).then(|| BlockCache::new(opts_cache_size)),
            sched,
            debt: 0,
            epoch: 0,
            quiet: None,
            slowdown_carry: 0,
            last_level: None,
            stats: EngineStats::default(),
            failed: None,
            snapshots: snapshots.clone(),
            window: WindowPeaks::default(),
            _lock: lock,
            purges: None,
            service: None,
            remote_counters: Arc::default(),
            published,
            job_log: job_log::JobLog::default(),
        };
        inner.open_blob_files()?;
        inner.recover_wals()?;
        inner.delete_obsolete_files()?;
        inner.pump()?;
        let threads = match inner.opts.mode {
            Mode::Deterministic => 0,
            // Flushes need a thread even while every compaction slot is busy.
            Mode::Background => inner.opts.max_background_jobs + 1,
        };
        let shared = Arc::new(background::Shared {
            published: inner.published.clone(),
            inner: Mutex::new(inner),
            writer: Mutex::new(crate::batch::WriteBatch::new()),
            changed: Condvar::new(),
            shutdown: AtomicBool::new(false),
            lookups: Default::default(),
        });
        let mut db = Db {
            shared,
            snapshots,
            workers: Vec::with_capacity(threads),
        };
        for i in 0..threads {
            // On failure, dropping `db` stops the workers already started.
            let worker = background::spawn_worker(&db.shared, i).map_err(|e| {
                let why = format!("starting background thread {} of {threads}: {e}", i + 1);
                Error::io(&dir_for_errors, std::io::Error::new(e.kind(), why))
            })?;
            db.workers.push(worker);
        }
        Ok(db)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.shared.lock()
    }

    /// Takes a snapshot of the current state.
    pub fn snapshot(&self) -> Snapshot {
        // Registered under the lock: a flush or compaction that starts after
        // the sequence is read must already see the snapshot.
        let inner = self.lock();
        self.snapshots.acquire(inner.state.last_sequence)
    }

    /// Reports every flush and compaction installed from now on to
    /// `listener` (numbered from 1 again), or to nobody with `None`.
    pub fn set_job_listener(&self, listener: Option<Arc<dyn JobListener>>) {
        self.lock().job_log.set(listener);
    }

    /// The last sequence number assigned.
    pub fn last_sequence(&self) -> SeqNo {
        self.lock().state.last_sequence
    }

    /// A copy of the engine counters.
    pub fn stats(&self) -> EngineStats {
        let (mut stats, cache) = {
            let inner = self.lock();
            (inner.stats.clone(), inner.block_cache.clone())
        };
        stats.lookup = self.shared.lookups.total();
        stats.gets = self.shared.published.gets.load(Ordering::Relaxed);
        stats.scans = self.shared.published.scans.load(Ordering::Relaxed);
        {
            let c = &self.lock().remote_counters;
            let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
            stats.remote_jobs = get(&c.jobs);
            stats.remote_failed_attempts = get(&c.failed_attempts);
            stats.remote_ran_locally = get(&c.ran_locally);
        }
        stats.block_cache = cache.map(|c| c.stats()).unwrap_or_default();
        stats
    }

    /// The current version (the shape of the tree).
    pub fn version(&self) -> Arc<Version> {
        self.lock().version.clone()
    }

    /// Starts (or stops) recording the tombstones flushes and compactions
    /// purge, for [`Db::take_tombstone_purges`].
    pub fn track_tombstone_purges(&self, on: bool) {
        let mut inner = self.lock();
        inner.purges = if on { Some(Vec::new()) } else { None };
    }

    /// The tombstones purged since the previous call, as `(user key, clock
    /// ms of the purge)` in purge order; empty when not tracked.
    pub fn take_tombstone_purges(&self) -> Vec<(Vec<u8>, u64)> {
        let mut inner = self.lock();
        inner
            .purges
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// The peaks since the previous call (or since open), then starts a new
    /// window from the current state.
    pub fn take_window_peaks(&self) -> WindowPeaks {
        let mut inner = self.lock();
        let peaks = inner.window;
        inner.window = WindowPeaks {
            sst_bytes: inner.version.total_bytes(),
            pending_compaction_bytes: 0,
        };
        peaks
    }

    /// The options the database was opened with.
    pub fn options(&self) -> Options {
        self.lock().opts.clone()
    }

    /// The per-level compaction statistics table.
    pub fn level_stats(&self) -> LevelStatsTable {
        self.lock().level_stats()
    }

    /// Bytes of user data in memtables not yet flushed (approximate).
    pub fn memtable_bytes(&self) -> u64 {
        let inner = self.lock();
        let active = inner.mem.read().approximate_bytes();
        active
            + inner
                .imm
                .iter()
                .map(|i| i.mem.read().approximate_bytes())
                .sum::<u64>()
    }

    /// Memtables waiting for flush, and compaction jobs running.
    pub fn background_work(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.imm.len(), inner.sched.running.len())
    }

    /// Flushes the memtable and syncs the WAL; the database stays usable.
    /// Dropping a `Db` without `close` is a crash as far as unsynced data is
    /// concerned: the WAL (if on) recovers it.
    pub fn close(self) -> Result<()> {
        let _writer = self.shared.writer();
        let mut inner = self.lock();
        if inner.failed.is_none() {
            if let Some(w) = inner.wal.as_mut() {
                w.sync()?;
            }
        }
        Ok(())
    }
}

impl Drop for Db {
    /// Stops the background workers; a job in flight is finished first.
    fn drop(&mut self) {
        {
            // Under the lock: a worker is then either before its check of
            // the flag (and sees it) or already waiting (and is woken).
            // Without it, a worker between the check and the wait misses
            // the wake-up and `join` below never returns.
            let _inner = self.shared.lock();
            self.shared.shutdown.store(true, Ordering::Release);
            self.shared.changed.notify_all();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl Inner {
    /// Records purged tombstones at the current clock time, when tracked.
    fn note_purges(&mut self, keys: &[Vec<u8>]) {
        let now = self.now_ms();
        if let Some(p) = &mut self.purges {
            p.extend(keys.iter().map(|k| (k.clone(), now)));
        }
    }

    fn fail(&mut self, e: Error) -> Error {
        if self.failed.is_none() {
            self.failed = Some(e.to_string());
        }
        e
    }

    /// Publishes the current memtables, version, blob files and open tables
    /// to readers (see `view`); called under the lock after each change.
    fn publish_view(&self) {
        let lazy_scans = read::lazy_scans(&self.version, &self.tables);
        self.published.set_view(ReadView {
            mem: self.mem.clone(),
            imm: self.imm.iter().rev().map(|i| i.mem.clone()).collect(),
            version: self.version.clone(),
            blobs: self.blobs.clone(),
            tables: Arc::new(self.tables.clone()),
            lazy_scans,
        });
    }

    fn check_writable(&self) -> Result<()> {
        match &self.failed {
            Some(why) => Err(Error::ReadOnly(why.clone())),
            None => Ok(()),
        }
    }

    fn next_file_number(&mut self) -> u64 {
        self.files
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    fn now_ms(&self) -> u64 {
        self.env.clock.now_ms()
    }

    /// Replays the WAL files the manifest does not cover into the memtable,
    /// then flushes them (which starts a fresh WAL and retires the old ones).
    fn recover_wals(&mut self) -> Result<()> {
        let fs = self.env.fs.clone();
        let mut logs: Vec<u64> = fs
            .list(&self.dir)?
            .iter()
            .filter_map(|n| parse_file_number(n, ".log"))
            .filter(|&n| n >= self.state.log_number)
            .collect();
        logs.sort_unstable();
        if let Some(&max) = logs.last() {
            self.files
                .fetch_max(max + 1, std::sync::atomic::Ordering::Relaxed);
        }
        // Record every WAL about to be replayed as live before the flush
        // below retires it (RocksDB's WAL tracking): a WAL made by a
        // rotation that no installed flush recorded yet, or one whose
        // recording edit was lost, would otherwise be unknown to the
        // manifest, and a manifest later cut back past the flush would open
        // without it instead of refusing.
        let unrecorded: Vec<u64> = logs
            .iter()
            .copied()
            .filter(|n| !self.manifest.lineage().live_wals.contains(n))
            .collect();
        if !unrecorded.is_empty() {
            self.install(crate::version::VersionEdit {
                live_wals: unrecorded,
                ..Default::default()
            })?;
        }
        for number in &logs {
            let replay = replay_wal(fs.as_ref(), &self.dir.join(wal_file_name(*number)))?;
            for (first_seq, batch) in &replay.batches {
                self.apply_to_memtable(*first_seq, batch);
            }
        }
        // Always start a new WAL and flush what was replayed, whatever the
        // flush budget: the old WALs are then retired.
        self.rotate_memtable()?;
        self.sched.flush_remaining = None;
        self.flush_oldest()
    }

    /// Opens every blob file the version holds and checks it against the
    /// manifest; a missing or damaged one fails the open, naming it.
    fn open_blob_files(&mut self) -> Result<()> {
        let mut set = crate::blob::BlobSet::default();
        for meta in self.version.blob_files().values() {
            set.insert(Arc::new(self.open_blob_file(meta)?));
        }
        self.blobs = Arc::new(set);
        self.publish_view();
        Ok(())
    }

    fn open_blob_file(&self, meta: &crate::blob::BlobFileMeta) -> Result<crate::blob::BlobReader> {
        let path = self.dir.join(crate::blob::blob_file_name(meta.number));
        let r = crate::blob::BlobReader::open(self.env.fs.as_ref(), &path, meta.number)?;
        r.check_matches(meta)?;
        Ok(r)
    }

    /// Deletes files that no version or live log references: unreferenced
    /// SSTables (outputs of a compaction that never installed), flushed
    /// WALs, old manifests and temporary files.
    fn delete_obsolete_files(&mut self) -> Result<()> {
        let fs = self.env.fs.clone();
        let live: HashSet<u64> = self.version.all_file_numbers().into_iter().collect();
        let blobs = self.version.blob_files();
        let current_manifest = self.manifest.file_name();
        for name in fs.list(&self.dir)? {
            let obsolete = if let Some(n) = parse_file_number(&name, ".sst") {
                self.files
                    .fetch_max(n + 1, std::sync::atomic::Ordering::Relaxed);
                !live.contains(&n)
            } else if let Some(n) = parse_file_number(&name, ".log") {
                n < self.state.log_number
            } else if let Some(n) = crate::blob::format::parse_blob_file_name(&name) {
                self.files
                    .fetch_max(n + 1, std::sync::atomic::Ordering::Relaxed);
                !blobs.contains_key(&n)
            } else if name.starts_with("MANIFEST-") {
                name != current_manifest
            } else {
                name.ends_with(".dbtmp")
            };
            if obsolete {
                fs.remove(&self.dir.join(&name))?;
            }
        }
        Ok(())
    }
}
