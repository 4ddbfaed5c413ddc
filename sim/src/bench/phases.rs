//! The timed phases: one writer for fills and overwrites, `threads`
//! readers for point lookups and scans, and readers racing one writer.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Instant;

use lsmlab_engine::db::ScanBuffer;
use lsmlab_engine::{Db, Result};

use super::keys::{KeyBuf, Permutation, Rng, Values};
use super::latency::Latency;
use super::pacing::WritePacer;
use super::{BenchConfig, BenchError, Phase};

/// What one phase measured.
#[derive(Debug, Clone)]
pub struct PhaseResult {
    pub phase: Phase,
    /// Operations timed (for readwhilewriting: the reads).
    pub ops: u64,
    /// Key + value bytes written, or read back.
    pub bytes: u64,
    /// Wall-clock seconds from the first operation to the last.
    pub seconds: f64,
    pub latency: Latency,
    /// Lookups that found their key, or seeks whose first entry is the key
    /// sought (db_bench's count for both); `None` for writes.
    pub found: Option<u64>,
    /// readwhilewriting: overwrites the writer thread made meanwhile.
    pub writes: Option<u64>,
}

impl PhaseResult {
    pub fn ops_per_sec(&self) -> f64 {
        per_second(self.ops as f64, self.seconds)
    }

    /// Mebibytes (2^20 bytes, as db_bench's "MB") per second.
    pub fn mb_per_sec(&self) -> f64 {
        per_second(self.bytes as f64 / (1 << 20) as f64, self.seconds)
    }
}

fn per_second(x: f64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        x / seconds
    } else {
        0.0
    }
}

/// Salts that give each phase and thread its own random stream.
const SALT_READ: u64 = 0x7EAD;
const SALT_SEEK: u64 = 0x5EE4;
const SALT_WRITER: u64 = 0x3717E;

fn stream(cfg: &BenchConfig, salt: u64, thread: usize) -> Rng {
    let mut mix = Rng::new(cfg.seed ^ salt.rotate_left(17) ^ (thread as u64) << 40);
    Rng::new(mix.next_u64())
}

/// Whether a phase that started at `start` has run for `--duration`
/// (checked every 256 operations, so the clock costs nothing measurable).
fn out_of_time(cfg: &BenchConfig, start: Instant, done: u64) -> bool {
    done.is_multiple_of(256) && cfg.duration.is_some_and(|d| start.elapsed() >= d)
}

/// Which key each put of a write phase writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrder {
    /// Every key once, in key order (fillseq).
    InOrder,
    /// Every key once, in the seeded permutation's order (filluniquerandom).
    Shuffled,
    /// Keys drawn uniformly from `0..num` with repetition, from the stream
    /// of this salt (fillrandom and overwrite, as db_bench draws them: a
    /// fill leaves about 63% of the keys present, a fill and an overwrite
    /// about 86%).
    Drawn(u64),
}

/// Salts of the drawn write phases.
pub const SALT_FILL: u64 = 0xF111;
pub const SALT_OVERWRITE: u64 = 0x0E1;

/// `num` puts of `key_size`-byte keys in `order` (fewer when `--duration`
/// runs out first).
pub fn write(db: &Db, cfg: &BenchConfig, phase: Phase, order: KeyOrder) -> Result<PhaseResult> {
    let perm = Permutation::new(cfg.num, cfg.seed);
    let (mut rng, value_seed) = match order {
        KeyOrder::Drawn(salt) => (stream(cfg, salt, 0), cfg.seed ^ salt),
        KeyOrder::InOrder | KeyOrder::Shuffled => (Rng::new(0), cfg.seed),
    };
    let mut keys = KeyBuf::new(cfg.key_size);
    let mut values = Values::new(cfg.value_size, value_seed);
    let mut latency = Latency::new();
    let start = Instant::now();
    let mut pacer = WritePacer::new(cfg.write_rate_limit);
    let mut done = 0;
    while done < cfg.num && !out_of_time(cfg, start, done) {
        let index = match order {
            KeyOrder::InOrder => done,
            KeyOrder::Shuffled => perm.at(done),
            KeyOrder::Drawn(_) => rng.below(cfg.num),
        };
        let key = keys.key(index);
        let value = values.next_value();
        let t = Instant::now();
        db.put(key, value)?;
        latency.record(t.elapsed());
        pacer.wrote(cfg.entry_bytes());
        done += 1;
    }
    Ok(PhaseResult {
        phase,
        ops: done,
        bytes: done * cfg.entry_bytes(),
        seconds: start.elapsed().as_secs_f64(),
        latency,
        found: None,
        writes: None,
    })
}

/// What one reader thread did.
struct ReaderTotals {
    ops: u64,
    found: u64,
    bytes: u64,
    latency: Latency,
    finished: Instant,
}

/// Which read each reader makes from a random key.
#[derive(Debug, Clone, Copy)]
enum ReadOp {
    Get,
    /// A scan of up to this many entries starting at the key.
    Seek(usize),
}

fn read_loop(
    db: &Db,
    cfg: &BenchConfig,
    op: ReadOp,
    ops: u64,
    mut rng: Rng,
) -> Result<ReaderTotals> {
    let mut keys = KeyBuf::new(cfg.key_size);
    // One buffer for every scan's pairs, as db_bench's seeks read through
    // one iterator without copying each pair out.
    let mut scanned = ScanBuffer::new();
    let mut t = ReaderTotals {
        ops,
        found: 0,
        bytes: 0,
        latency: Latency::new(),
        finished: Instant::now(),
    };
    let began = Instant::now();
    for done in 0..ops {
        if out_of_time(cfg, began, done) {
            t.ops = done;
            break;
        }
        let key = keys.key(rng.below(cfg.num));
        let start = Instant::now();
        match op {
            ReadOp::Get => {
                let value = db.get(key)?;
                t.latency.record(start.elapsed());
                if let Some(v) = value {
                    t.found += 1;
                    t.bytes += (key.len() + v.len()) as u64;
                }
            }
            ReadOp::Seek(limit) => {
                db.scan_into(key, None, limit, &mut scanned)?;
                t.latency.record(start.elapsed());
                t.found += u64::from(scanned.get(0).is_some_and(|(k, _)| k == key));
                t.bytes += scanned
                    .iter()
                    .map(|(k, v)| (k.len() + v.len()) as u64)
                    .sum::<u64>();
            }
        }
    }
    t.finished = Instant::now();
    Ok(t)
}

/// `reads` operations split over `threads` threads, as evenly as possible.
fn share(cfg: &BenchConfig, thread: usize) -> u64 {
    let n = cfg.threads as u64;
    cfg.reads() / n + u64::from((thread as u64) < cfg.reads() % n)
}

/// Starts reader thread `i` of `cfg.threads` (with `cfg.reader_stack_size`
/// when set); the operating system may refuse, which is an error naming
/// the thread, not a panic.
fn spawn_reader<'s, 'e, T: Send + 's>(
    s: &'s thread::Scope<'s, 'e>,
    cfg: &BenchConfig,
    i: usize,
    f: impl FnOnce() -> T + Send + 's,
) -> Result<thread::ScopedJoinHandle<'s, T>, BenchError> {
    let mut builder = thread::Builder::new().name(format!("bench-reader-{i}"));
    if let Some(size) = cfg.reader_stack_size {
        builder = builder.stack_size(size);
    }
    builder.spawn_scoped(s, f).map_err(|e| {
        BenchError::Threads(format!(
            "starting reader thread {} of {}: {e}",
            i + 1,
            cfg.threads
        ))
    })
}

fn join<T>(h: thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

fn combine(
    phase: Phase,
    start: Instant,
    totals: Vec<Result<ReaderTotals>>,
    writes: Option<u64>,
) -> Result<PhaseResult> {
    let mut r = PhaseResult {
        phase,
        ops: 0,
        bytes: 0,
        seconds: 0.0,
        latency: Latency::new(),
        found: Some(0),
        writes,
    };
    let mut end = start;
    for t in totals {
        let t = t?;
        r.ops += t.ops;
        r.bytes += t.bytes;
        r.found = r.found.map(|f| f + t.found);
        r.latency.merge(&t.latency);
        end = end.max(t.finished);
    }
    r.seconds = end.duration_since(start).as_secs_f64();
    Ok(r)
}

/// Readers only: point lookups (readrandom) or short scans (seekrandom)
/// of keys drawn uniformly from `0..num`.
pub fn read_only(
    db: &Db,
    cfg: &BenchConfig,
    phase: Phase,
) -> std::result::Result<PhaseResult, BenchError> {
    let (op, salt) = match phase {
        Phase::SeekRandom => (ReadOp::Seek(cfg.scan_length), SALT_SEEK),
        _ => (ReadOp::Get, SALT_READ),
    };
    let start = Instant::now();
    let totals = thread::scope(|s| {
        let mut handles = Vec::with_capacity(cfg.threads);
        for i in 0..cfg.threads {
            let rng = stream(cfg, salt, i);
            // On failure the readers already started finish their share
            // when the scope ends; the phase is an error.
            handles.push(spawn_reader(s, cfg, i, move || {
                read_loop(db, cfg, op, share(cfg, i), rng)
            })?);
        }
        Ok::<_, BenchError>(handles.into_iter().map(join).collect::<Vec<_>>())
    })?;
    Ok(combine(phase, start, totals, None)?)
}

/// Counts a reader out when it ends, however it ends, so the writer stops.
struct ReaderDone<'a>(&'a AtomicUsize);

impl Drop for ReaderDone<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Point lookups by `threads` readers while one more thread overwrites
/// random keys as fast as it can (or at `write_rate_limit`), until the
/// readers are done. Reports the reads; the writer's count goes in
/// `writes`.
pub fn read_while_writing(
    db: &Db,
    cfg: &BenchConfig,
) -> std::result::Result<PhaseResult, BenchError> {
    let readers_left = AtomicUsize::new(cfg.threads);
    let writer_started = AtomicBool::new(false);
    let (start, totals, writes) = thread::scope(|s| {
        let writer = thread::Builder::new()
            .name("bench-writer".into())
            .spawn_scoped(s, || -> Result<u64> {
                let mut rng = stream(cfg, SALT_WRITER, 0);
                let mut keys = KeyBuf::new(cfg.key_size);
                let mut values = Values::new(cfg.value_size, cfg.seed ^ SALT_WRITER);
                let mut writes = 0;
                let mut pacer = WritePacer::new(cfg.write_rate_limit);
                writer_started.store(true, Ordering::Release);
                while readers_left.load(Ordering::Acquire) > 0 {
                    db.put(keys.key(rng.below(cfg.num)), values.next_value())?;
                    pacer.wrote(cfg.entry_bytes());
                    writes += 1;
                }
                Ok(writes)
            })
            .map_err(|e| BenchError::Threads(format!("starting the writer thread: {e}")))?;
        // Readers start once the writer runs, so they measure reads under
        // writes from the first one.
        while !writer_started.load(Ordering::Acquire) && !writer.is_finished() {
            thread::yield_now();
        }
        let start = Instant::now();
        let mut readers = Vec::with_capacity(cfg.threads);
        for i in 0..cfg.threads {
            let rng = stream(cfg, SALT_READ ^ SALT_WRITER, i);
            let left = &readers_left;
            match spawn_reader(s, cfg, i, move || {
                let _done = ReaderDone(left);
                read_loop(db, cfg, ReadOp::Get, share(cfg, i), rng)
            }) {
                Ok(h) => readers.push(h),
                Err(e) => {
                    // The writer runs while readers are left: count out the
                    // ones that will never start, so it stops.
                    readers_left.fetch_sub(cfg.threads - i, Ordering::AcqRel);
                    return Err(e);
                }
            }
        }
        let totals: Vec<_> = readers.into_iter().map(join).collect();
        Ok::<_, BenchError>((start, totals, join(writer)))
    })?;
    Ok(combine(
        Phase::ReadWhileWriting,
        start,
        totals,
        Some(writes?),
    )?)
}
