//! A wrapper [`Fs`] that fails chosen operations on command, so crash and
//! fault tests can walk through every failure point of a workload in turn:
//! run it once to count the operations ([`FaultFs::op_count`]), then rerun it
//! failing the 0th, 1st, 2nd, ... of them ([`FaultFs::arm`]).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::{DirLock, FileKind, Fs, IoCounters, RandomAccessFile, SharedBytes, WritableFile};
use crate::error::{Error, Result};

/// An operation a [`FaultRule`] can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultOp {
    /// [`Fs::create`] or [`Fs::reopen_append`].
    Create,
    /// [`WritableFile::append`].
    Write,
    /// [`WritableFile::sync`].
    Sync,
    /// [`Fs::rename`]; its file kind is the destination's.
    Rename,
    /// [`Fs::remove`].
    Remove,
    /// [`RandomAccessFile::read_at`] (and so [`Fs::read_all`]).
    Read,
    /// [`Fs::open`] for reading.
    Open,
    /// [`Fs::sync_dir`]; its file kind is that of the directory's name.
    SyncDir,
}

impl FaultOp {
    /// Every operation, in declaration order.
    pub const ALL: [FaultOp; 8] = [
        FaultOp::Create,
        FaultOp::Write,
        FaultOp::Sync,
        FaultOp::Rename,
        FaultOp::Remove,
        FaultOp::Read,
        FaultOp::Open,
        FaultOp::SyncDir,
    ];

    fn name(self) -> &'static str {
        match self {
            FaultOp::Create => "create",
            FaultOp::Write => "write",
            FaultOp::Sync => "sync",
            FaultOp::Rename => "rename",
            FaultOp::Remove => "remove",
            FaultOp::Read => "read",
            FaultOp::Open => "open",
            FaultOp::SyncDir => "sync_dir",
        }
    }
}

impl fmt::Display for FaultOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which operation to fail: the `nth` (0-based) of the operations it names
/// on a file of `kind` (any kind when `None`), counted from when the rule is
/// armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultRule {
    /// The operations counted and failed: bit `op as u16` for each.
    ops: u16,
    pub kind: Option<FileKind>,
    pub nth: u64,
    /// Also fail every matching operation after the `nth`.
    pub persistent: bool,
    /// For a failed `Write`: append this many leading bytes of the data
    /// (at most all of them) before failing, as a torn write would.
    pub torn_bytes: Option<usize>,
    /// Fail as a full disk does (`ErrorKind::StorageFull`, "No space left
    /// on device") rather than with a generic error.
    pub no_space: bool,
}

impl FaultRule {
    /// Fails the `nth` operation `op` on any file, once.
    pub fn new(op: FaultOp, nth: u64) -> Self {
        FaultRule::any_of(&[op], nth)
    }

    /// Fails the `nth` of the operations `ops`, counted together, once: with
    /// [`FaultRule::persistent`], a crash after that many operations.
    pub fn any_of(ops: &[FaultOp], nth: u64) -> Self {
        FaultRule {
            ops: ops.iter().fold(0, |set, &op| set | 1 << op as u16),
            kind: None,
            nth,
            persistent: false,
            torn_bytes: None,
            no_space: false,
        }
    }

    /// Restricts the rule (and its counting) to files of `kind`.
    pub fn on(mut self, kind: FileKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Fails every matching operation from the `nth` on.
    pub fn persistent(mut self) -> Self {
        self.persistent = true;
        self
    }

    /// Fails as a full disk does: `ErrorKind::StorageFull`, "No space
    /// left on device" (a full disk without a small mount, so as non-root).
    pub fn no_space(mut self) -> Self {
        self.no_space = true;
        self
    }

    /// Makes a failed append write its first `bytes` bytes first.
    pub fn torn(mut self, bytes: usize) -> Self {
        self.torn_bytes = Some(bytes);
        self
    }

    fn matches(&self, op: FaultOp, kind: FileKind) -> bool {
        self.ops & (1 << op as u16) != 0 && (self.kind.is_none() || self.kind == Some(kind))
    }
}

/// True when `e` was produced by a [`FaultFs`] rule rather than real I/O.
pub fn is_injected_fault(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if source.to_string().starts_with("injected fault: "))
}

#[derive(Debug, Default)]
struct State {
    /// Operations seen since creation, indexed `[op][kind]`, failed ones included.
    counts: [[u64; FileKind::ALL.len()]; FaultOp::ALL.len()],
    armed: Option<Armed>,
    injected: u64,
}

#[derive(Debug)]
struct Armed {
    rule: FaultRule,
    /// Matching operations since the rule was armed.
    seen: u64,
}

/// A fault the rule chose to inject.
struct Injected {
    error: Error,
    torn_bytes: Option<usize>,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Counts the operation and decides whether it fails.
fn check(state: &Mutex<State>, op: FaultOp, path: &Path) -> Result<(), Injected> {
    let kind = FileKind::of(path);
    let mut s = lock(state);
    s.counts[op as usize][kind.index()] += 1;
    let Some(armed) = s.armed.as_mut() else {
        return Ok(());
    };
    if !armed.rule.matches(op, kind) {
        return Ok(());
    }
    let n = armed.seen;
    armed.seen += 1;
    let rule = armed.rule;
    if n < rule.nth || (n > rule.nth && !rule.persistent) {
        return Ok(());
    }
    s.injected += 1;
    let msg = format!("injected fault: {op} #{n} on {}", path.display());
    let error = if rule.no_space {
        io::Error::new(
            io::ErrorKind::StorageFull,
            format!("{msg}: No space left on device"),
        )
    } else {
        io::Error::other(msg)
    };
    Err(Injected {
        error: Error::io(path, error),
        torn_bytes: rule.torn_bytes,
    })
}

/// An [`Fs`] that passes every call to an inner one, except the operations
/// its armed [`FaultRule`] says to fail. Failed operations have no effect
/// (but for a torn append's prefix) and return an [`Error::Io`] whose message
/// starts with `injected fault:` (see [`is_injected_fault`]).
///
/// Shares the inner file system's counters. Clones share the rule and the
/// operation counts.
#[derive(Clone)]
pub struct FaultFs {
    inner: Arc<dyn Fs>,
    state: Shared,
}

impl fmt::Debug for FaultFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultFs")
            .field("state", &*lock(&self.state))
            .finish_non_exhaustive()
    }
}

impl FaultFs {
    /// Wraps `inner`, with no rule armed.
    pub fn new(inner: Arc<dyn Fs>) -> Self {
        FaultFs {
            inner,
            state: Arc::default(),
        }
    }

    /// The wrapped file system.
    pub fn inner(&self) -> &Arc<dyn Fs> {
        &self.inner
    }

    /// Replaces the armed rule; its counting starts now.
    pub fn arm(&self, rule: FaultRule) {
        lock(&self.state).armed = Some(Armed { rule, seen: 0 });
    }

    /// Removes the armed rule: every operation succeeds again.
    pub fn disarm(&self) {
        lock(&self.state).armed = None;
    }

    /// How many operations `op` on files of `kind` (any kind for `None`) have
    /// been attempted since this file system was created, failed ones included.
    pub fn op_count(&self, op: FaultOp, kind: Option<FileKind>) -> u64 {
        let s = lock(&self.state);
        let per_kind = &s.counts[op as usize];
        match kind {
            Some(k) => per_kind[k.index()],
            None => per_kind.iter().sum(),
        }
    }

    /// How many operations have been failed on purpose.
    pub fn faults_injected(&self) -> u64 {
        lock(&self.state).injected
    }

    /// Cuts `path` down to its first `len` bytes, as a crash in the middle of
    /// a write could. Rewrites the file through the inner file system (its
    /// bytes are counted there); no rule applies and no operation is counted.
    /// Use it while no writer is open on `path`.
    pub fn truncate(&self, path: &Path, len: u64) -> Result<()> {
        let data = self.inner.read_all(path)?;
        let keep = usize::try_from(len)
            .ok()
            .filter(|&k| k <= data.len())
            .ok_or_else(|| {
                let msg = format!("cannot truncate a {}-byte file to {len} bytes", data.len());
                Error::io(path, io::Error::new(io::ErrorKind::InvalidInput, msg))
            })?;
        let mut w = self.inner.create(path)?;
        w.append(&data[..keep])?;
        w.sync()
    }

    fn check(&self, op: FaultOp, path: &Path) -> Result<()> {
        check(&self.state, op, path).map_err(|i| i.error)
    }
}

struct FaultWriter {
    path: PathBuf,
    inner: Box<dyn WritableFile>,
    state: Shared,
}

impl WritableFile for FaultWriter {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        match check(&self.state, FaultOp::Write, &self.path) {
            Ok(()) => self.inner.append(data),
            Err(injected) => {
                let torn = injected.torn_bytes.unwrap_or(0).min(data.len());
                if torn > 0 {
                    self.inner.append(&data[..torn])?;
                }
                Err(injected.error)
            }
        }
    }

    /// Not a fault point of its own: faults are injected at `append`, which
    /// counts every byte the inner file is given.
    fn flush(&mut self) -> Result<()> {
        self.inner.flush()
    }

    fn sync(&mut self) -> Result<()> {
        check(&self.state, FaultOp::Sync, &self.path).map_err(|i| i.error)?;
        self.inner.sync()
    }

    fn len(&self) -> u64 {
        self.inner.len()
    }
}

struct FaultReader {
    inner: Arc<dyn RandomAccessFile>,
    state: Shared,
}

impl RandomAccessFile for FaultReader {
    fn read_at(&self, offset: u64, len: usize) -> Result<SharedBytes> {
        check(&self.state, FaultOp::Read, self.inner.path()).map_err(|i| i.error)?;
        self.inner.read_at(offset, len)
    }

    fn read_into(&self, offset: u64, len: usize, buf: Vec<u8>) -> Result<SharedBytes> {
        check(&self.state, FaultOp::Read, self.inner.path()).map_err(|i| i.error)?;
        self.inner.read_into(offset, len, buf)
    }

    fn len(&self) -> u64 {
        self.inner.len()
    }

    fn path(&self) -> &Path {
        self.inner.path()
    }

    fn prefetch(&self, offset: u64, len: usize) {
        self.inner.prefetch(offset, len)
    }
}

impl FaultFs {
    fn wrap_writer(&self, path: &Path, inner: Box<dyn WritableFile>) -> Box<dyn WritableFile> {
        Box::new(FaultWriter {
            path: path.to_path_buf(),
            inner,
            state: self.state.clone(),
        })
    }
}

impl Fs for FaultFs {
    fn create(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        self.check(FaultOp::Create, path)?;
        let inner = self.inner.create(path)?;
        Ok(self.wrap_writer(path, inner))
    }

    fn reopen_append(&self, path: &Path) -> Result<Box<dyn WritableFile>> {
        self.check(FaultOp::Create, path)?;
        let inner = self.inner.reopen_append(path)?;
        Ok(self.wrap_writer(path, inner))
    }

    fn open(&self, path: &Path) -> Result<Arc<dyn RandomAccessFile>> {
        self.check(FaultOp::Open, path)?;
        Ok(Arc::new(FaultReader {
            inner: self.inner.open(path)?,
            state: self.state.clone(),
        }))
    }

    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        self.check(FaultOp::Rename, to)?;
        self.inner.rename(from, to)
    }

    fn remove(&self, path: &Path) -> Result<()> {
        self.check(FaultOp::Remove, path)?;
        self.inner.remove(path)
    }

    fn exists(&self, path: &Path) -> bool {
        self.inner.exists(path)
    }

    fn file_size(&self, path: &Path) -> Result<u64> {
        self.inner.file_size(path)
    }

    fn list(&self, dir: &Path) -> Result<Vec<String>> {
        self.inner.list(dir)
    }

    fn create_dir_all(&self, dir: &Path) -> Result<()> {
        self.inner.create_dir_all(dir)
    }

    fn sync_dir(&self, dir: &Path) -> Result<()> {
        self.check(FaultOp::SyncDir, dir)?;
        self.inner.sync_dir(dir)
    }

    /// Not a fault point: passed to the inner file system.
    fn lock(&self, path: &Path) -> Result<Box<dyn DirLock>> {
        self.inner.lock(path)
    }

    fn counters(&self) -> &Arc<IoCounters> {
        self.inner.counters()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::MemFs;

    const DIR: &str = "/db";

    fn path(name: &str) -> PathBuf {
        Path::new(DIR).join(name)
    }

    fn setup() -> (MemFs, FaultFs) {
        let mem = MemFs::new();
        (mem.clone(), FaultFs::new(Arc::new(mem)))
    }

    /// Files and handles prepared before a rule is armed, so that performing
    /// operation `op` for the i-th time is a single call.
    struct Ctx {
        fs: FaultFs,
        writer: Box<dyn WritableFile>,
        reader: Arc<dyn RandomAccessFile>,
    }

    const ROUNDS: u64 = 5;

    fn prepare(fs: &FaultFs) -> Ctx {
        for i in 0..ROUNDS {
            fs.create(&path(&format!("{i}.tmp"))).unwrap();
            fs.create(&path(&format!("{i}.sst"))).unwrap();
        }
        let mut writer = fs.create(&path("000001.log")).unwrap();
        writer.append(b"0123456789").unwrap();
        Ctx {
            fs: fs.clone(),
            writer,
            reader: fs.open(&path("000001.log")).unwrap(),
        }
    }

    fn perform(ctx: &mut Ctx, op: FaultOp, i: u64) -> Result<()> {
        match op {
            FaultOp::Create => ctx.fs.create(&path(&format!("new{i}"))).map(drop),
            FaultOp::Write => ctx.writer.append(b"x"),
            FaultOp::Sync => ctx.writer.sync(),
            FaultOp::Rename => ctx
                .fs
                .rename(&path(&format!("{i}.tmp")), &path(&format!("{i}.done"))),
            FaultOp::Remove => ctx.fs.remove(&path(&format!("{i}.sst"))),
            FaultOp::Read => ctx.reader.read_at(0, 1).map(drop),
            FaultOp::Open => ctx.fs.open(&path("000001.log")).map(drop),
            FaultOp::SyncDir => ctx.fs.sync_dir(Path::new(DIR)),
        }
    }

    #[test]
    fn a_rule_over_several_ops_counts_them_together() {
        let (_mem, fs) = setup();
        let mut ctx = prepare(&fs);
        // The 3rd of (write, sync) in any order, and every one after it.
        fs.arm(FaultRule::any_of(&[FaultOp::Write, FaultOp::Sync], 2).persistent());
        perform(&mut ctx, FaultOp::Write, 0).unwrap();
        perform(&mut ctx, FaultOp::Read, 0).unwrap(); // not named: not counted
        perform(&mut ctx, FaultOp::Sync, 0).unwrap();
        assert!(is_injected_fault(
            &perform(&mut ctx, FaultOp::Write, 1).unwrap_err()
        ));
        assert!(is_injected_fault(
            &perform(&mut ctx, FaultOp::Sync, 1).unwrap_err()
        ));
        perform(&mut ctx, FaultOp::Create, 0).unwrap();
        assert_eq!(fs.faults_injected(), 2);
    }

    #[test]
    fn each_op_fails_exactly_at_the_chosen_position_and_has_no_effect() {
        for op in FaultOp::ALL {
            for nth in 0..3 {
                let (mem, fs) = setup();
                let mut ctx = prepare(&fs);
                let before = fs.op_count(op, None);
                fs.arm(FaultRule::new(op, nth));
                for i in 0..ROUNDS {
                    let r = perform(&mut ctx, op, i);
                    if i == nth {
                        let e = r.unwrap_err();
                        assert!(is_injected_fault(&e), "{op} #{i}: {e}");
                        assert!(e.to_string().contains(&format!("{op} #{nth} on")), "{e}");
                    } else {
                        r.unwrap_or_else(|e| panic!("{op} #{i} with rule at {nth}: {e}"));
                    }
                }
                assert_eq!(fs.faults_injected(), 1);
                assert_eq!(
                    fs.op_count(op, None) - before,
                    ROUNDS,
                    "failed ops count too"
                );
                let n = nth.to_string();
                match op {
                    FaultOp::Create => assert!(!mem.exists(&path(&format!("new{n}")))),
                    FaultOp::Write => {
                        assert_eq!(mem.read_all(&path("000001.log")).unwrap().len(), 14)
                    }
                    FaultOp::Rename => assert!(mem.exists(&path(&format!("{n}.tmp")))),
                    FaultOp::Remove => assert!(mem.exists(&path(&format!("{n}.sst")))),
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn a_persistent_rule_fails_every_op_from_nth_until_disarmed() {
        let (_mem, fs) = setup();
        let mut ctx = prepare(&fs);
        fs.arm(FaultRule::new(FaultOp::Sync, 2).persistent());
        let results: Vec<bool> = (0..6)
            .map(|i| perform(&mut ctx, FaultOp::Sync, i).is_ok())
            .collect();
        assert_eq!(results, [true, true, false, false, false, false]);
        assert_eq!(fs.faults_injected(), 4);
        fs.disarm();
        ctx.writer.sync().unwrap();
    }

    #[test]
    fn rules_and_counts_are_per_file_kind() {
        let (_mem, fs) = setup();
        let mut wal = fs.create(&path("000001.log")).unwrap();
        let mut sst = fs.create(&path("000002.sst")).unwrap();
        fs.arm(FaultRule::new(FaultOp::Write, 1).on(FileKind::Sst));
        wal.append(b"a").unwrap();
        sst.append(b"a").unwrap(); // sst write #0
        wal.append(b"b").unwrap();
        wal.append(b"c").unwrap();
        assert!(sst.append(b"b").is_err()); // sst write #1
        sst.append(b"c").unwrap();
        assert_eq!(fs.op_count(FaultOp::Write, Some(FileKind::Wal)), 3);
        assert_eq!(fs.op_count(FaultOp::Write, Some(FileKind::Sst)), 3);
        assert_eq!(fs.op_count(FaultOp::Write, None), 6);
        assert_eq!(fs.op_count(FaultOp::Create, Some(FileKind::Sst)), 1);
        assert_eq!(fs.op_count(FaultOp::Write, Some(FileKind::Manifest)), 0);
        // Manifest kind comes from the destination of a rename.
        fs.create(&path("CURRENT.tmp")).unwrap();
        fs.rename(&path("CURRENT.tmp"), &path("CURRENT")).unwrap();
        assert_eq!(fs.op_count(FaultOp::Rename, Some(FileKind::Manifest)), 1);
    }

    /// The campaign this wrapper exists for: count the WAL syncs of a
    /// workload, then fail each one in turn and see the workload stop there.
    #[test]
    fn a_counted_workload_can_be_failed_at_every_position() {
        fn workload(fs: &FaultFs) -> Result<u32> {
            let mut wal = fs.create(&path("000001.log"))?;
            let mut done = 0;
            for i in 0..4u8 {
                wal.append(&[i; 8])?;
                wal.sync()?;
                done += 1;
            }
            Ok(done)
        }
        let (_mem, fs) = setup();
        assert_eq!(workload(&fs).unwrap(), 4);
        let syncs = fs.op_count(FaultOp::Sync, Some(FileKind::Wal));
        assert_eq!(syncs, 4);
        for pos in 0..syncs {
            let (mem, fs) = setup();
            fs.arm(FaultRule::new(FaultOp::Sync, pos).on(FileKind::Wal));
            assert!(workload(&fs).is_err());
            mem.crash();
            assert_eq!(mem.file_size(&path("000001.log")).unwrap(), 8 * pos);
        }
    }

    #[test]
    fn a_torn_append_leaves_its_prefix() {
        let (mem, fs) = setup();
        let p = path("000001.log");
        let mut w = fs.create(&p).unwrap();
        w.append(b"whole;").unwrap();
        fs.arm(FaultRule::new(FaultOp::Write, 0).torn(4).persistent());
        let e = w.append(b"0123456789").unwrap_err();
        assert!(is_injected_fault(&e), "{e}");
        assert_eq!(mem.read_all(&p).unwrap(), b"whole;0123");
        assert_eq!(w.len(), 10);
        // A torn length past the data writes it all but still fails.
        assert!(w.append(b"ab").is_err());
        assert_eq!(mem.read_all(&p).unwrap(), b"whole;0123ab");
    }

    #[test]
    fn truncate_keeps_a_prefix_and_rejects_growing() {
        let (mem, fs) = setup();
        let p = path("000001.log");
        let mut w = fs.create(&p).unwrap();
        w.append(b"0123456789").unwrap();
        drop(w);
        fs.truncate(&p, 4).unwrap();
        assert_eq!(mem.read_all(&p).unwrap(), b"0123");
        mem.crash();
        assert_eq!(mem.read_all(&p).unwrap(), b"0123", "truncation is synced");
        assert!(fs.truncate(&p, 5).is_err());
        assert_eq!(fs.op_count(FaultOp::Create, None), 1);
    }

    #[test]
    fn clones_share_rules_and_counters_are_the_inner_ones() {
        let (mem, fs) = setup();
        let other = fs.clone();
        other.arm(FaultRule::new(FaultOp::Create, 0));
        assert!(fs.create(&path("000001.sst")).is_err());
        assert_eq!(other.faults_injected(), 1);
        let mut w = fs.create(&path("000002.sst")).unwrap();
        w.append(&[0; 33]).unwrap();
        assert_eq!(mem.stats().sst.bytes_written, 33);
        assert_eq!(fs.stats(), mem.stats());
        assert!(!is_injected_fault(&mem.open(&path("nope")).err().unwrap()));
    }
}
