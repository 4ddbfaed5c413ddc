//! Durability as RocksDB promises it, on real files and real processes:
//! without `wal_sync`, an acknowledged write survives a crash of the process
//! (it reached the operating system before the write returned); after a
//! full disk (a small tmpfs as root, `FaultFs` failing with "No space left
//! on device" otherwise), writes acknowledged before it are still there on reopen and
//! the database says it went read-only; a database open in one process
//! cannot be opened by another.
//!
//! The child processes are this test binary run again with
//! `LSMLAB_DURABILITY_CHILD` set (see [`child_process_entry_point`]).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use lsmlab_engine::{Db, Error, Options};

const CHILD_ENV: &str = "LSMLAB_DURABILITY_CHILD";
const CHILD_TEST: &str = "child_process_entry_point";

fn key(i: u64) -> Vec<u8> {
    format!("key{i:08}").into_bytes()
}

fn value(i: u64) -> Vec<u8> {
    let mut v = format!("value-{i}-").into_bytes();
    v.resize(100, b'v');
    v
}

/// Options with the WAL on and not synced (the default), and a memtable
/// large enough that nothing is flushed during the test.
fn unsynced() -> Options {
    Options {
        wal_sync: false,
        ..Options::default()
    }
}

/// Runs this test binary as a child doing `task` on `dir`.
fn spawn_child(task: &str, dir: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([CHILD_TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{task}:{}", dir.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting the child process")
}

/// Marks the child's own lines among the test harness's output.
const MARK: &str = "@@";

/// Reads the child's stdout up to its line `@@word ...`; returns what
/// follows the word.
fn wait_for_line(out: &mut impl BufRead, word: &str) -> String {
    let mut line = String::new();
    let tag = format!("{MARK}{word}");
    loop {
        line.clear();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "the child ended before printing `{tag}`"
        );
        if let Some(at) = line.find(&tag) {
            return line[at + tag.len()..].trim().to_string();
        }
    }
}

/// Not a test of its own: the body of the child processes the tests below
/// start. Without `LSMLAB_DURABILITY_CHILD` it returns at once.
#[test]
fn child_process_entry_point() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (task, dir) = spec.split_once(':').unwrap();
    let db = Db::open(dir, unsynced()).unwrap();
    let mut out = std::io::stdout().lock();
    match task {
        // Acknowledges writes, then dies without any chance to clean up.
        "write-then-sigkill" => {
            let n = 300;
            for i in 0..n {
                db.put(&key(i), &value(i)).unwrap();
            }
            writeln!(out, "{MARK}acked {n}").unwrap();
            out.flush().unwrap();
            // SAFETY: sends a signal to this very process.
            unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
            unreachable!("SIGKILL returned");
        }
        // Holds the database open until stdin closes.
        "hold" => {
            writeln!(out, "{MARK}open").unwrap();
            out.flush().unwrap();
            let mut sink = String::new();
            let _ = std::io::stdin().read_line(&mut sink);
        }
        // Opens a background-mode database where no thread can start.
        "open-without-threads" => {
            drop(db);
            let bg = Options {
                mode: lsmlab_engine::Mode::Background,
                ..unsynced()
            };
            // The address space now has room for the database's buffers
            // but not for a thread's stack.
            let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
            let pages: u64 = statm.split_whitespace().next().unwrap().parse().unwrap();
            let limit = pages * 4096 + (1 << 20);
            let rl = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            // SAFETY: a plain system call on a valid struct.
            assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &rl) }, 0);
            let outcome = Db::open(dir, bg).map(drop);
            match outcome {
                Ok(()) => writeln!(out, "{MARK}opened").unwrap(),
                Err(e) => writeln!(out, "{MARK}error {e}").unwrap(),
            }
            out.flush().unwrap();
        }
        other => panic!("unknown child task {other}"),
    }
}

#[test]
fn acknowledged_unsynced_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_child("write-then-sigkill", dir.path());
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let acked: u64 = wait_for_line(&mut out, "acked").parse().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was to die by SIGKILL");
    let db = Db::open(dir.path(), unsynced()).unwrap();
    let missing: Vec<u64> = (0..acked)
        .filter(|&i| db.get(&key(i)).unwrap().as_deref() != Some(&value(i)[..]))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {acked} acknowledged writes lost to a process crash (first: {:?})",
        missing.len(),
        missing.first()
    );
}

#[test]
fn a_database_open_in_another_process_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_child("hold", dir.path());
    let mut out = BufReader::new(child.stdout.take().unwrap());
    wait_for_line(&mut out, "open");
    let e = Db::open(dir.path(), unsynced())
        .err()
        .expect("a second writer opened the database");
    let msg = e.to_string();
    assert!(msg.contains("LOCK"), "{msg}");
    assert!(msg.contains(&format!("process {}", child.id())), "{msg}");
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    reopen(dir.path()).expect("the lock outlived its holder");
}

/// Opens `dir` again after its last holder closed it. Tests of this binary
/// run in parallel and some start child processes: between its fork and its
/// exec a child holds a copy of every descriptor, the database's `LOCK`
/// included (a `flock` belongs to the open file, so it lasts until the
/// exec closes the copy). An open that meets such a lock held by this very
/// process is retried for a moment; any other error is returned at once.
fn reopen(dir: &Path) -> lsmlab_engine::Result<Db> {
    for _ in 0..100 {
        match Db::open(dir, unsynced()) {
            Err(Error::Locked { holder, .. }) if holder.starts_with("this process") => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
    Db::open(dir, unsynced())
}

/// A tmpfs of `bytes` mounted on a fresh directory, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None` (with the reason printed) where mounting is not permitted.
    fn mount(bytes: u64) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(SmallDisk { dir }),
            Ok(o) => {
                eprintln!(
                    "skipped: cannot mount a small tmpfs (needs root): {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipped: cannot run mount: {e}");
                None
            }
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Writes until the disk is full, then checks what a full disk must leave:
/// the error names it, later writes are refused as read-only, reads still
/// work; then `free` makes room and `open` reopens, and every write
/// acknowledged before the error is there.
fn fill_until_full_then_reopen(open: impl Fn() -> Db, free: impl FnOnce()) {
    let db = open();
    let mut acked = 0;
    let error = loop {
        match db.put(&key(acked), &value(acked)) {
            Ok(()) => acked += 1,
            Err(e) => break e,
        }
        assert!(acked < 100_000, "the disk never filled");
    };
    assert!(
        error.to_string().contains("No space left on device"),
        "{error}"
    );
    assert!(acked > 100, "only {acked} writes before the disk filled");
    let e = db.put(b"after", b"the error").unwrap_err();
    assert!(matches!(e, Error::ReadOnly(_)), "{e}");
    assert!(e.to_string().contains("No space left on device"), "{e}");
    assert_eq!(db.get(&key(0)).unwrap(), Some(value(0)), "reads still work");
    drop(db);
    free();
    let db = open();
    let missing = (0..acked)
        .filter(|&i| db.get(&key(i)).unwrap().as_deref() != Some(&value(i)[..]))
        .count();
    assert_eq!(
        missing, 0,
        "{missing} of {acked} writes acknowledged before the disk filled were lost"
    );
    assert_eq!(db.get(b"after").unwrap(), None);
}

#[test]
fn a_full_disk_keeps_acknowledged_writes_and_leaves_the_database_read_only() {
    let Some(disk) = SmallDisk::mount(1 << 20) else {
        return;
    };
    let dir = disk.path().join("db");
    // Takes most of the disk; removed later to let recovery write.
    let filler = disk.path().join("filler");
    std::fs::write(&filler, vec![0u8; 700 << 10]).unwrap();
    fill_until_full_then_reopen(
        || reopen(&dir).unwrap(),
        || std::fs::remove_file(&filler).unwrap(),
    );
}

/// The same without root (no small tmpfs to mount): `FaultFs` fails every
/// append from the 300th on as a full disk does (`StorageFull`, "No space
/// left on device").
#[test]
fn a_full_disk_without_root_keeps_acknowledged_writes_too() {
    use lsmlab_engine::fs::{FaultFs, FaultOp, FaultRule, Fs, MemFs};
    use lsmlab_engine::{Env, VirtualClock};
    use std::sync::Arc;
    let fault = FaultFs::new(Arc::new(MemFs::new()));
    let open = || {
        let env = Env {
            fs: Arc::new(fault.clone()) as Arc<dyn Fs>,
            clock: Arc::new(VirtualClock::new(0)),
        };
        Db::open_with("/db", unsynced(), env).unwrap()
    };
    fault.arm(FaultRule::new(FaultOp::Write, 300).persistent().no_space());
    fill_until_full_then_reopen(open, || fault.disarm());
}

#[test]
fn a_thread_that_cannot_start_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_child("open-without-threads", dir.path());
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut all = String::new();
    let _ = std::io::Read::read_to_string(&mut out, &mut all);
    let status = child.wait().unwrap();
    let Some(at) = all.find(&format!("{MARK}error ")) else {
        panic!("no error reported ({status}): {all}");
    };
    let line = all[at..].lines().next().unwrap();
    assert!(line.contains("starting background thread 1 of 2"), "{line}");
    assert!(status.success(), "{status}: {all}");
}
