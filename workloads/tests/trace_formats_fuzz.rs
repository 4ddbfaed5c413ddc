//! The `trace_formats` fuzz target's property, on a stable toolchain: every
//! file of its seed corpus (`fuzz/corpus/trace_formats`), then seeded
//! mutations of them (bit flips, byte stores, insertions, deletions,
//! truncations, splices of two files, random bytes), each read in every
//! streaming format, strict and not. A trace that opens replays exactly as
//! many operations as it counted, in non-decreasing time, and strict mode
//! skips nothing; anything else is an error, never a panic.
//!
//! The suite runs the corpus and 300 mutations (a few seconds);
//! `LSMLAB_LONG=1` runs `LSMLAB_FUZZ_ITERS` (default 200,000) and prints
//! what it ran. cargo-fuzz (libFuzzer, nightly features) runs the target
//! itself where it is installed: see fuzz/README.md.

use std::path::{Path, PathBuf};

use lsmlab_workloads::{ReadOptions, SplitMix64, TraceFile, TraceFormat};

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/trace_formats");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(files.len() >= 4, "the seed corpus is missing");
    files
}

/// What a reading of one input found.
#[derive(Default, Debug)]
struct Tally {
    opened: u64,
    refused: u64,
    ops: u64,
}

/// The fuzz target's body: `input` read in every streaming format.
fn check(path: &Path, input: &[u8], tally: &mut Tally) {
    std::fs::write(path, input).unwrap();
    let formats = TraceFormat::NAMES
        .iter()
        .filter_map(|n| TraceFormat::from_name(n));
    for format in formats.filter(|&f| f != TraceFormat::Csv) {
        for strict in [false, true] {
            let options = ReadOptions {
                strict,
                ..ReadOptions::default()
            };
            let Ok(trace) = TraceFile::open(path, Some(format), options) else {
                tally.refused += 1;
                continue;
            };
            tally.opened += 1;
            let mut n = 0u64;
            let mut last = 0;
            for op in trace.ops().expect("a validated trace reopens") {
                let op = op.expect("a validated trace replays");
                assert!(op.time >= last, "{format:?}: time goes backwards");
                last = op.time;
                n += 1;
            }
            assert_eq!(n, trace.len(), "{format:?}: replayed != counted");
            if strict {
                assert_eq!(trace.counts().unsupported_total(), 0);
            }
            tally.ops += n;
        }
    }
}

/// One seeded mutation of a corpus file (sometimes spliced with another).
fn mutate(rng: &mut SplitMix64, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let pick = |rng: &mut SplitMix64| &files[rng.below(files.len() as u64) as usize].1;
    let mut data = pick(rng).clone();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = data.len() as u64;
        let at = if len == 0 { 0 } else { rng.below(len) as usize };
        match rng.below(8) {
            0 if len > 0 => data[at] ^= 1 << rng.below(8),
            1 if len > 0 => data[at] = rng.next_u64() as u8,
            2 => {
                let n = 1 + rng.below(16) as usize;
                let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                data.splice(at..at, bytes);
            }
            3 if len > 0 => {
                let end = (at + 1 + rng.below(64) as usize).min(data.len());
                data.drain(at..end);
            }
            4 => data.truncate(at),
            5 => {
                let other = pick(rng);
                let from = rng.below(other.len() as u64 + 1) as usize;
                data.truncate(at);
                data.extend_from_slice(&other[from..]);
            }
            6 if len >= 4 => {
                // A length or count field set to an extreme.
                let at = at.min(data.len() - 4);
                let v = [0u32, 1, 0xFF, 0xFFFF, u32::MAX][rng.below(5) as usize];
                data[at..at + 4].copy_from_slice(&v.to_le_bytes());
            }
            _ => {
                let n = rng.below(512) as usize;
                data = (0..n).map(|_| rng.next_u64() as u8).collect();
            }
        }
    }
    data
}

fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.trace");
    (dir, path)
}

#[test]
fn the_seed_corpus_reads_in_every_format_without_a_panic() {
    let (_dir, path) = scratch();
    let mut tally = Tally::default();
    for (_, bytes) in corpus() {
        check(&path, &bytes, &mut tally);
    }
    // Each seed is a valid trace of (at least) its own format.
    assert!(tally.opened >= 4, "{tally:?}");
}

#[test]
fn mutated_traces_are_errors_or_replay_what_they_counted() {
    let long = std::env::var_os("LSMLAB_LONG").is_some();
    let iters: u64 = if long {
        std::env::var("LSMLAB_FUZZ_ITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200_000)
    } else {
        300
    };
    let files = corpus();
    let (_dir, path) = scratch();
    let mut rng = SplitMix64::new(0x7472_6163_6566_757a);
    let mut tally = Tally::default();
    let start = std::time::Instant::now();
    for _ in 0..iters {
        let input = mutate(&mut rng, &files);
        check(&path, &input, &mut tally);
    }
    eprintln!(
        "trace_formats: {iters} mutated inputs x {} readings in {:.1} s: {} opened ({} ops \
         replayed), {} refused with an error, 0 panics",
        2 * (TraceFormat::NAMES.len() - 1),
        start.elapsed().as_secs_f64(),
        tally.opened,
        tally.ops,
        tally.refused
    );
    assert!(tally.refused > 0 && tally.opened > 0, "{tally:?}");
}
