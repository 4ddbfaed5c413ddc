//! A compact picture of the tree at a moment of a run: one bar per sorted
//! run (level, position within the level, key range, bytes, files), kept in
//! the timeline's `tree` column at the moments the tree picture shows (the
//! first samples at or past 25%, 50% and 75% of the operations, and the
//! settled end). A level with more than [`MAX_RUNS_PER_LEVEL`] sorted runs
//! keeps its newest ones and counts the rest.
//!
//! Keys are placed by their value as a big-endian number (the workloads'
//! keys are fixed-width big-endian integers, so this is key order); the
//! picture scales each run's keys to the span its snapshots cover.
//!
//! The cell's text: items separated by spaces, `L<level>.<run>:<lo>:<hi>:
//! <bytes>:<files>` per sorted run (run 0 the newest of its level) and
//! `L<level>+<n>` for n older runs left out.

use lsmlab_engine::version::Version;

/// Sorted runs kept per level in a snapshot (the newest).
pub const MAX_RUNS_PER_LEVEL: usize = 32;

/// Fractions of the operations at which a run's tree is kept (the settled
/// end is kept as well).
pub const MOMENTS: [f64; 3] = [0.25, 0.5, 0.75];

/// One sorted run of a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct RunBar {
    pub level: usize,
    /// Position within the level, 0 the newest.
    pub run: usize,
    /// Smallest and largest key, as [`key_number`]s.
    pub lo: f64,
    pub hi: f64,
    pub bytes: u64,
    pub files: usize,
}

/// The sorted runs of a tree at one moment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TreeSnapshot {
    pub bars: Vec<RunBar>,
    /// (level, sorted runs not kept) for levels over the cap.
    pub omitted: Vec<(usize, usize)>,
}

/// A key's position: its bytes read as a big-endian number.
pub fn key_number(key: &[u8]) -> f64 {
    key.iter().fold(0.0, |v, b| v * 256.0 + f64::from(*b))
}

impl TreeSnapshot {
    /// The sorted runs of `version`.
    pub fn of(version: &Version) -> TreeSnapshot {
        let mut snap = TreeSnapshot::default();
        for level in 0..version.num_levels() {
            let runs = version.runs(level);
            for (i, run) in runs.iter().take(MAX_RUNS_PER_LEVEL).enumerate() {
                let Some((lo, hi)) = run.user_key_range() else {
                    continue;
                };
                snap.bars.push(RunBar {
                    level,
                    run: i,
                    lo: key_number(lo),
                    hi: key_number(hi),
                    bytes: run.bytes(),
                    files: run.files().len(),
                });
            }
            if runs.len() > MAX_RUNS_PER_LEVEL {
                snap.omitted.push((level, runs.len() - MAX_RUNS_PER_LEVEL));
            }
        }
        snap
    }

    /// The text of the timeline cell.
    pub fn encode(&self) -> String {
        let bars = self.bars.iter().map(|b| {
            format!(
                "L{}.{}:{}:{}:{}:{}",
                b.level, b.run, b.lo, b.hi, b.bytes, b.files
            )
        });
        let omitted = self.omitted.iter().map(|(l, n)| format!("L{l}+{n}"));
        bars.chain(omitted).collect::<Vec<_>>().join(" ")
    }

    /// Reads a cell written by [`TreeSnapshot::encode`]; the error names the
    /// item that does not parse.
    pub fn decode(text: &str) -> Result<TreeSnapshot, String> {
        let mut snap = TreeSnapshot::default();
        for item in text.split_whitespace() {
            let bad = || {
                format!("tree item `{item}`: expected L<level>.<run>:<lo>:<hi>:<bytes>:<files> or L<level>+<n>")
            };
            let rest = item.strip_prefix('L').ok_or_else(bad)?;
            if let Some((level, n)) = rest.split_once('+') {
                snap.omitted.push((
                    level.parse().map_err(|_| bad())?,
                    n.parse().map_err(|_| bad())?,
                ));
                continue;
            }
            let parts: Vec<&str> = rest.split(':').collect();
            let [at, lo, hi, bytes, files] = parts.as_slice() else {
                return Err(bad());
            };
            let (level, run) = at.split_once('.').ok_or_else(bad)?;
            let bar = RunBar {
                level: level.parse().map_err(|_| bad())?,
                run: run.parse().map_err(|_| bad())?,
                lo: lo.parse().map_err(|_| bad())?,
                hi: hi.parse().map_err(|_| bad())?,
                bytes: bytes.parse().map_err(|_| bad())?,
                files: files.parse().map_err(|_| bad())?,
            };
            if !(bar.lo.is_finite() && bar.hi.is_finite() && bar.lo <= bar.hi) {
                return Err(bad());
            }
            snap.bars.push(bar);
        }
        Ok(snap)
    }

    /// Sorted runs in `level`, counting those left out.
    pub fn runs_in(&self, level: usize) -> usize {
        self.bars.iter().filter(|b| b.level == level).count()
            + self
                .omitted
                .iter()
                .filter(|(l, _)| *l == level)
                .map(|(_, n)| n)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_numbers_follow_key_order() {
        let k = |i: u64| lsmlab_workloads::encode_key(i, 16);
        assert!(key_number(&k(1)) < key_number(&k(2)));
        assert!(key_number(&k(255)) < key_number(&k(256)));
        assert_eq!(key_number(&k(1000)), 1000.0);
    }

    #[test]
    fn a_run_keeps_its_tree_at_the_quarter_marks_and_the_end() {
        use crate::runner::{run_experiment, FsChoice};
        let text = "name = \"tree\"\nops = 60000\npolicies = [\"fifo\", \"leveled\"]\n\
                    [workload]\npreset = \"uniform\"\nkey_count = 20000\n\
                    [engine]\nwrite_buffer_size = 131072\nl1_base_bytes = 524288\n\
                    base_file_size = 131072\n";
        let spec =
            crate::spec::SweepSpec::parse(text, "tree.toml", &crate::catalog::Catalog).unwrap();
        let runs = spec.runs();
        let progress = std::sync::atomic::AtomicU64::new(0);
        let fifo = run_experiment(&runs[0], &FsChoice::MEM, &progress).unwrap();
        let snaps: Vec<(u64, &TreeSnapshot)> = fifo
            .timeline
            .iter()
            .filter_map(|r| Some((r.ops_done, r.tree.as_ref()?)))
            .collect();
        assert_eq!(snaps.len(), 4, "25%, 50%, 75% and the end");
        for (k, (ops, _)) in snaps.iter().take(3).enumerate() {
            let due = 60_000 * (k as u64 + 1) / 4;
            assert!(
                *ops >= due && *ops < due + 60_000 / 40,
                "snapshot {k} at {ops}"
            );
        }
        // fifo never merges: L0 runs pile up from one moment to the next.
        let l0: Vec<usize> = snaps.iter().map(|(_, t)| t.runs_in(0)).collect();
        assert!(l0.windows(2).all(|w| w[0] < w[1]), "{l0:?}");
        // leveled at the end: data below L0, one sorted run per level there.
        let leveled = run_experiment(&runs[1], &FsChoice::MEM, &progress).unwrap();
        let end = leveled.timeline.last().unwrap().tree.as_ref().unwrap();
        assert!(end.bars.iter().any(|b| b.level > 0), "{end:?}");
        assert!((1..7).all(|l| end.runs_in(l) <= 1), "{end:?}");
    }

    #[test]
    fn snapshots_round_trip_through_their_cell_and_bad_cells_are_named() {
        let snap = TreeSnapshot {
            bars: vec![
                RunBar {
                    level: 0,
                    run: 0,
                    lo: 12.0,
                    hi: 99_999.5,
                    bytes: 262_144,
                    files: 1,
                },
                RunBar {
                    level: 2,
                    run: 0,
                    lo: 0.0,
                    hi: 1e20,
                    bytes: 9_000_000,
                    files: 35,
                },
            ],
            omitted: vec![(0, 40)],
        };
        let text = snap.encode();
        assert_eq!(
            text,
            "L0.0:12:99999.5:262144:1 L2.0:0:100000000000000000000:9000000:35 L0+40"
        );
        assert_eq!(TreeSnapshot::decode(&text).unwrap(), snap);
        assert_eq!(snap.runs_in(0), 41);
        assert_eq!(TreeSnapshot::decode("").unwrap(), TreeSnapshot::default());
        let e = TreeSnapshot::decode("L0.0:5:1:10:1").unwrap_err();
        assert!(e.contains("`L0.0:5:1:10:1`"), "{e}");
        assert!(TreeSnapshot::decode("L1.x:0:1:2:3").is_err());
    }
}
