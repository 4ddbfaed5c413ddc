//! `Generator`: the lazy, deterministic stream of operations of a
//! [`WorkloadSpec`].
//!
//! Operation `i` draws from its own random stream keyed by `(seed, i)`, so a
//! stream is fixed by the spec alone (no thread count, no machine word, no
//! crate version enters it) and a time-series read can recompute which
//! earlier operations were writes without remembering them. The only state
//! carried from op to op is what the workload itself implies: the number of
//! keys inserted so far, the sequential cursor and a pending
//! read-modify-write.

use crate::error::WorkloadError;
use crate::key::{encode_key, encode_series_key};
use crate::op::{Op, OpKind};
use crate::permute::Permutation;
use crate::rng::{derive_key, SplitMix64};
use crate::spec::{Distribution, PreloadOrder, ScanLengthDist, WorkloadSpec};
use crate::zipf::Zipf;

/// Salts separating the random streams derived from one seed.
const SALT_OPS: u64 = 1;
const SALT_SCRAMBLE: u64 = 2;
const SALT_PRELOAD: u64 = 3;

/// Probes back through the read window for an earlier time-series write.
const MAX_WRITE_PROBES: u64 = 64;

/// The operation type chosen for one mix-phase op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choice {
    Delete,
    Read,
    Update,
    Insert,
    Scan,
    Rmw,
}

/// A workload's operations, generated on demand: memory does not grow with
/// the number of operations.
#[derive(Clone, Debug)]
pub struct Generator {
    spec: WorkloadSpec,
    op_key: u64,
    /// Cumulative thresholds on a uniform `u64`; the first entry above the
    /// draw wins. INVARIANT: non-empty, last threshold `u64::MAX`.
    choices: Vec<(u64, Choice)>,
    /// INVARIANT: `next <= total`.
    next: u64,
    total: u64,
    preload_ops: u64,
    /// Keys `0..live` exist (or are assumed to): `key_count` plus inserts.
    live: u64,
    sequential: u64,
    zipf: Option<Zipf>,
    /// Zipf over recency; its `n` follows `live` lazily.
    latest: Option<Zipf>,
    scramble: Permutation,
    preload_order: Permutation,
    /// The put half of a read-modify-write, emitted as the next op.
    pending_put: Option<(Vec<u8>, u32)>,
    /// Ops in a time-series read window (at least 1).
    window_ops: u64,
}

impl WorkloadSpec {
    /// Validates the spec and returns its operation stream.
    pub fn generator(&self) -> Result<Generator, WorkloadError> {
        self.validate()?;
        Ok(Generator::new(self.clone()))
    }
}

impl Generator {
    fn new(spec: WorkloadSpec) -> Self {
        let fr = spec.mix.fractions();
        let keep = 1.0 - spec.delete_fraction;
        let shares = [
            (spec.delete_fraction, Choice::Delete),
            (fr.read * keep, Choice::Read),
            (fr.update * keep, Choice::Update),
            (fr.insert * keep, Choice::Insert),
            (fr.scan * keep, Choice::Scan),
            (fr.rmw * keep, Choice::Rmw),
        ];
        let mut choices = Vec::new();
        let mut cumulative = 0.0;
        for (share, choice) in shares {
            if share > 0.0 {
                cumulative += share;
                // `as` saturates, and 2^64 is exact in f64.
                choices.push(((cumulative * 18_446_744_073_709_551_616.0) as u64, choice));
            }
        }
        if let Some(last) = choices.last_mut() {
            last.0 = u64::MAX;
        }
        let zipf = (spec.distribution == Distribution::Zipfian)
            .then(|| Zipf::new(spec.key_count, spec.theta));
        let latest = (spec.distribution == Distribution::Latest)
            .then(|| Zipf::new(spec.key_count, spec.theta));
        let window_ops = (u128::from(spec.read_window) * u128::from(spec.ingest_rate) / 1000)
            .clamp(1, u128::from(u64::MAX)) as u64;
        Generator {
            op_key: derive_key(spec.seed, SALT_OPS),
            choices,
            next: 0,
            total: spec.total_ops(),
            preload_ops: spec.preload_ops(),
            live: spec.key_count,
            sequential: 0,
            zipf,
            latest,
            scramble: Permutation::new(spec.key_count, derive_key(spec.seed, SALT_SCRAMBLE)),
            preload_order: Permutation::new(spec.key_count, derive_key(spec.seed, SALT_PRELOAD)),
            pending_put: None,
            window_ops,
            spec,
        }
    }

    /// Operations in the whole stream, including the preload phase.
    pub fn total_ops(&self) -> u64 {
        self.total
    }

    /// Operations not yet yielded.
    pub fn remaining(&self) -> u64 {
        self.total - self.next
    }

    pub fn spec(&self) -> &WorkloadSpec {
        &self.spec
    }

    /// Simulated time of op `index` in microseconds (exact integer math).
    fn time_us(&self, index: u64) -> u64 {
        (u128::from(index) * 1_000_000 / u128::from(self.spec.ingest_rate)) as u64
    }

    fn choose(&self, draw: u64) -> Choice {
        self.choices
            .iter()
            .find(|(threshold, _)| draw < *threshold)
            .map_or(self.choices[self.choices.len() - 1].1, |c| c.1)
    }

    fn value_len(&self, rng: &mut SplitMix64) -> u32 {
        let (lo, hi) = (self.spec.value_size_min, self.spec.value_size_max);
        if lo == hi {
            lo
        } else {
            rng.range_inclusive(lo.into(), hi.into()) as u32
        }
    }

    fn scan_len(&self, rng: &mut SplitMix64) -> u32 {
        match self.spec.scan_length_dist {
            ScanLengthDist::Fixed => self.spec.scan_length,
            ScanLengthDist::Uniform => rng.range_inclusive(1, self.spec.scan_length.into()) as u32,
        }
    }

    fn ttl(&self, kind: OpKind) -> Option<u64> {
        if kind == OpKind::Put {
            self.spec.ttl
        } else {
            None
        }
    }

    fn op(&self, index: u64, kind: OpKind, key: Vec<u8>, value_len: u32) -> Op {
        Op {
            time: self.time_us(index) / 1000,
            kind,
            key,
            value_len,
            ttl: self.ttl(kind),
        }
    }

    /// The index of an existing key, chosen by the distribution.
    fn existing_key(&mut self, rng: &mut SplitMix64) -> u64 {
        match self.spec.distribution {
            Distribution::Uniform => rng.below(self.live),
            Distribution::Zipfian => match &self.zipf {
                Some(z) => self.scramble.apply(z.sample(rng) - 1),
                None => rng.below(self.live),
            },
            Distribution::Latest => match &mut self.latest {
                Some(z) => {
                    if z.n() != self.live {
                        z.set_n(self.live);
                    }
                    self.live - z.sample(rng)
                }
                None => rng.below(self.live),
            },
            Distribution::Sequential | Distribution::Timeseries => {
                let k = self.sequential % self.spec.key_count;
                self.sequential += 1;
                k
            }
        }
    }

    fn preload_op(&self, index: u64) -> Op {
        let mut rng = SplitMix64::for_op(self.op_key, index);
        let key = match self.spec.preload_order {
            PreloadOrder::Sequential => index,
            PreloadOrder::Shuffled => self.preload_order.apply(index),
        };
        let value_len = self.value_len(&mut rng);
        self.op(
            index,
            OpKind::Put,
            encode_key(key, self.spec.key_size),
            value_len,
        )
    }

    fn mix_op(&mut self, index: u64) -> Op {
        let key_size = self.spec.key_size;
        if let Some((key, value_len)) = self.pending_put.take() {
            return self.op(index, OpKind::Put, key, value_len);
        }
        let mut rng = SplitMix64::for_op(self.op_key, index);
        match self.choose(rng.next_u64()) {
            Choice::Delete => {
                let key = encode_key(self.existing_key(&mut rng), key_size);
                self.op(index, OpKind::Delete, key, 0)
            }
            Choice::Read => {
                let key = encode_key(self.existing_key(&mut rng), key_size);
                self.op(index, OpKind::Get, key, 0)
            }
            Choice::Update => {
                let key = encode_key(self.existing_key(&mut rng), key_size);
                let value_len = self.value_len(&mut rng);
                self.op(index, OpKind::Put, key, value_len)
            }
            Choice::Insert => {
                let key = encode_key(self.live, key_size);
                self.live += 1;
                let value_len = self.value_len(&mut rng);
                self.op(index, OpKind::Put, key, value_len)
            }
            Choice::Scan => {
                let key = encode_key(self.existing_key(&mut rng), key_size);
                let len = self.scan_len(&mut rng);
                self.op(index, OpKind::Scan { len }, key, 0)
            }
            Choice::Rmw => {
                let key = encode_key(self.existing_key(&mut rng), key_size);
                // With one op left there is no room for the write: a plain read.
                if index + 1 < self.total {
                    let value_len = self.value_len(&mut rng);
                    self.pending_put = Some((key.clone(), value_len));
                }
                self.op(index, OpKind::Get, key, 0)
            }
        }
    }

    /// The choice and series of time-series op `index`, from its stream.
    fn series_choice(&self, rng: &mut SplitMix64) -> (Choice, u64) {
        let choice = self.choose(rng.next_u64());
        (choice, rng.below(self.spec.series))
    }

    /// The key of a point written within the read window before op `index`,
    /// or `None` if probing finds no write there.
    fn recent_point(&self, index: u64, rng: &mut SplitMix64) -> Option<Vec<u8>> {
        let lo = index.saturating_sub(self.window_ops);
        if lo == index {
            return None;
        }
        let start = rng.range_inclusive(lo, index - 1);
        // Backwards from `start`, wrapping to the newest op of the window.
        let probes = (lo..=start).rev().chain((start + 1..index).rev());
        probes.take(MAX_WRITE_PROBES as usize).find_map(|j| {
            let (choice, series) = self.series_choice(&mut SplitMix64::for_op(self.op_key, j));
            matches!(choice, Choice::Update | Choice::Insert)
                .then(|| encode_series_key(series, self.time_us(j), self.spec.key_size))
        })
    }

    fn timeseries_op(&self, index: u64) -> Op {
        let mut rng = SplitMix64::for_op(self.op_key, index);
        let (choice, series) = self.series_choice(&mut rng);
        let key_size = self.spec.key_size;
        let now = self.time_us(index);
        // A point never written (op `index` is not a write and timestamps
        // are unique): the read misses.
        let recent_or_miss = |rng: &mut SplitMix64| {
            self.recent_point(index, rng)
                .unwrap_or_else(|| encode_series_key(series, now, key_size))
        };
        match choice {
            Choice::Update | Choice::Insert => {
                let value_len = self.value_len(&mut rng);
                self.op(
                    index,
                    OpKind::Put,
                    encode_series_key(series, now, key_size),
                    value_len,
                )
            }
            Choice::Delete => self.op(index, OpKind::Delete, recent_or_miss(&mut rng), 0),
            Choice::Read | Choice::Rmw => self.op(index, OpKind::Get, recent_or_miss(&mut rng), 0),
            Choice::Scan => {
                let key = recent_or_miss(&mut rng);
                let len = self.scan_len(&mut rng);
                self.op(index, OpKind::Scan { len }, key, 0)
            }
        }
    }
}

impl Iterator for Generator {
    type Item = Op;

    fn next(&mut self) -> Option<Op> {
        if self.next >= self.total {
            return None;
        }
        let index = self.next;
        self.next += 1;
        Some(if index < self.preload_ops {
            self.preload_op(index)
        } else if self.spec.distribution == Distribution::Timeseries {
            self.timeseries_op(index)
        } else {
            self.mix_op(index)
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = self.remaining();
        (
            usize::try_from(remaining).unwrap_or(usize::MAX),
            usize::try_from(remaining).ok(),
        )
    }
}

impl std::iter::FusedIterator for Generator {}

#[cfg(test)]
mod tests;
