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
use prepared::{Lane, Prepared};

/// Salts separating the random streams derived from one seed.
const SALT_OPS: u64 = 1;
const SALT_SCRAMBLE: u64 = 2;
const SALT_PRELOAD: u64 = 3;

/// Probes back through the read window for an earlier time-series write.
const MAX_WRITE_PROBES: u64 = 64;

/// The number of operation types in a mix.
const CHOICES: usize = 7;

/// The operation type chosen for one mix-phase op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choice {
    Delete,
    Read,
    Update,
    Insert,
    Scan,
    Rmw,
    Merge,
}

/// Everything fixed for the whole stream.
#[derive(Clone, Debug)]
struct Plan {
    spec: WorkloadSpec,
    op_key: u64,
    /// The choice for a uniform `u64` draw is `choices[i]` with `i` the
    /// number of thresholds at or below the draw (see `Plan::choose`).
    /// INVARIANT: thresholds non-decreasing; the mix's choices come in
    /// order, the last repeated to the end, and the thresholds between them
    /// are their cumulative shares, the rest `u64::MAX`.
    thresholds: [u64; CHOICES - 1],
    choices: [Choice; CHOICES],
    total: u64,
    preload_ops: u64,
    /// The preload's shuffle: position `p` of the insertion sequence holds
    /// key `order(p)` for `p < key_count`. `None`: key `p` (unshuffled, or
    /// no preload, when the initial keys count as inserted in key order).
    insertion_order: Option<Permutation>,
    /// Ops in a time-series read window (at least 1).
    window_ops: u64,
}

/// How existing keys are chosen (every distribution but `timeseries`).
#[derive(Clone, Debug)]
enum Keys {
    Uniform,
    Zipfian {
        zipf: Zipf,
        scramble: Permutation,
    },
    /// Zipf over recency; its `n` follows the number of keys lazily, in
    /// steps (see `recency_bound`).
    Latest(Zipf),
    Sequential {
        cursor: u64,
    },
}

/// What the mix phase carries from op to op (every distribution but
/// `timeseries`, whose ops depend on their index alone).
#[derive(Clone, Debug)]
struct MixState {
    keys: Keys,
    /// Keys `0..live` exist (or are assumed to): `key_count` plus inserts.
    live: u64,
    /// The put half of a read-modify-write, emitted as the next op.
    pending_put: Option<(Vec<u8>, u32)>,
    /// The next ops' beginnings, computed ahead.
    prepared: Prepared,
}

/// A workload's operations, generated on demand: memory does not grow with
/// the number of operations.
#[derive(Clone, Debug)]
pub struct Generator {
    plan: Plan,
    /// `None` for `timeseries`.
    mix: Option<MixState>,
    /// INVARIANT: `next <= plan.total`.
    next: u64,
    /// The stream of a workload whose distribution is a model (mixgraph,
    /// queue, bulk deletes), which yields every op.
    model: Option<Box<crate::models::Model>>,
}

impl WorkloadSpec {
    /// Validates the spec and returns its operation stream.
    pub fn generator(&self) -> Result<Generator, WorkloadError> {
        self.validate()?;
        Ok(Generator::new(self.clone()))
    }
}

impl Plan {
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
            (fr.merge * keep, Choice::Merge),
        ];
        // Validation makes the shares sum to 1, so at least one is positive.
        let mut thresholds = [u64::MAX; CHOICES - 1];
        let mut choices = [Choice::Read; CHOICES];
        let mut used = 0;
        let mut cumulative = 0.0;
        for (share, choice) in shares {
            if share > 0.0 {
                if used > 0 {
                    // `as` saturates, and 2^64 is exact in f64.
                    thresholds[used - 1] = (cumulative * 18_446_744_073_709_551_616.0) as u64;
                }
                cumulative += share;
                choices[used..].fill(choice);
                used += 1;
            }
        }
        let shuffled = spec.preload && spec.preload_order == PreloadOrder::Shuffled;
        let insertion_order =
            shuffled.then(|| Permutation::new(spec.key_count, derive_key(spec.seed, SALT_PRELOAD)));
        let window_ops = (u128::from(spec.read_window) * u128::from(spec.ingest_rate) / 1000)
            .clamp(1, u128::from(u64::MAX)) as u64;
        Plan {
            op_key: derive_key(spec.seed, SALT_OPS),
            thresholds,
            choices,
            total: spec.total_ops(),
            preload_ops: spec.preload_ops(),
            insertion_order,
            window_ops,
            spec,
        }
    }

    /// Simulated time of op `index` in microseconds (exact integer math).
    fn time_us(&self, index: u64) -> u64 {
        self.time_at(index, 1_000_000)
    }

    /// Simulated time of op `index` in milliseconds: `time_us / 1000`, as
    /// `floor(floor(a / b) / c) = floor(a / bc)`.
    fn time_ms(&self, index: u64) -> u64 {
        self.time_at(index, 1000)
    }

    /// `index * per_second / ingest_rate`, in 64 bits while that is exact.
    fn time_at(&self, index: u64, per_second: u64) -> u64 {
        let rate = self.spec.ingest_rate;
        match index.checked_mul(per_second) {
            Some(scaled) => scaled / rate,
            None => (u128::from(index) * u128::from(per_second) / u128::from(rate)) as u64,
        }
    }

    /// The choice whose share of the draws holds `draw`: the first with a
    /// threshold above it. Found by counting the thresholds at or below it,
    /// without a branch: in a mix like YCSB A which choice comes next is a
    /// coin toss, and a mispredicted branch costs as much as a key.
    fn choose(&self, draw: u64) -> Choice {
        let passed: usize = self
            .thresholds
            .iter()
            .map(|&threshold| usize::from(draw >= threshold))
            .sum();
        self.choices[passed]
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

    fn op(&self, index: u64, kind: OpKind, key: Vec<u8>, value_len: u32) -> Op {
        let ttl = if kind == OpKind::Put {
            self.spec.ttl
        } else {
            None
        };
        Op {
            time: self.time_ms(index),
            kind,
            key,
            value_len,
            ttl,
        }
    }

    #[inline]
    fn key(&self, index: u64) -> Vec<u8> {
        encode_key(index, self.spec.key_size)
    }

    /// The key inserted at `position` of the insertion sequence.
    fn inserted_key(&self, position: u64) -> u64 {
        match &self.insertion_order {
            Some(order) if position < self.spec.key_count => order.apply(position),
            _ => position,
        }
    }

    fn preload_op(&self, index: u64) -> Op {
        let mut rng = SplitMix64::for_op(self.op_key, index);
        let value_len = self.value_len(&mut rng);
        self.op(
            index,
            OpKind::Put,
            self.key(self.inserted_key(index)),
            value_len,
        )
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
                let key = encode_series_key(series, now, key_size);
                self.op(index, OpKind::Put, key, value_len)
            }
            Choice::Delete => self.op(index, OpKind::Delete, recent_or_miss(&mut rng), 0),
            // Validation keeps merges out of time series.
            Choice::Read | Choice::Rmw | Choice::Merge => {
                self.op(index, OpKind::Get, recent_or_miss(&mut rng), 0)
            }
            Choice::Scan => {
                let key = recent_or_miss(&mut rng);
                let len = self.scan_len(&mut rng);
                self.op(index, OpKind::Scan { len }, key, 0)
            }
        }
    }
}

impl Keys {
    fn new(spec: &WorkloadSpec) -> Option<Keys> {
        Some(match spec.distribution {
            Distribution::Uniform => Keys::Uniform,
            Distribution::Zipfian => Keys::Zipfian {
                zipf: Zipf::new(spec.key_count, spec.theta),
                scramble: Permutation::new(spec.key_count, derive_key(spec.seed, SALT_SCRAMBLE)),
            },
            Distribution::Latest => Keys::Latest(Zipf::new(spec.key_count, spec.theta)),
            Distribution::Sequential => Keys::Sequential { cursor: 0 },
            Distribution::Timeseries
            | Distribution::MixGraph
            | Distribution::Queue
            | Distribution::BulkDelete => return None,
        })
    }

    /// The index of an existing key, among `0..live`, drawn from `lane`.
    fn pick(&mut self, plan: &Plan, live: u64, lane: &mut Lane) -> u64 {
        let (rng, first, candidate) = (&mut lane.rng, lane.next_draw, lane.candidate);
        match self {
            Keys::Uniform => rng.below_from(live, first),
            // Over the initial key space only: the permutation, and so which
            // keys are hot, stays fixed as keys are inserted.
            Keys::Zipfian { zipf, scramble } => {
                scramble.apply(zipf.sample_from(rng, first, candidate) - 1)
            }
            Keys::Latest(zipf) => {
                // Ranks over 1..=m with m >= live, those above live drawn
                // again: Zipf over 1..=m given rank <= live is exactly Zipf
                // over 1..=live, and m, whose change costs a logarithm and
                // an exponential, changes every live/64 inserts rather than
                // with each.
                let bound = recency_bound(live);
                if zipf.n() != bound {
                    zipf.set_n(bound);
                }
                let mut rank = zipf.sample_from(rng, first, candidate);
                while rank > live {
                    rank = zipf.sample(rng);
                }
                plan.inserted_key(live - rank)
            }
            Keys::Sequential { cursor } => {
                let k = *cursor % plan.spec.key_count;
                *cursor += 1;
                k
            }
        }
    }
}

/// `live` rounded up to its 7 leading bits: between `live` and
/// `live (1 + 1/64)`, and the same for all `live` of one step.
fn recency_bound(live: u64) -> u64 {
    let step_bits = (u64::BITS - live.leading_zeros()).saturating_sub(7);
    let step = (1u64 << step_bits) - 1;
    // No overflow: live <= 2 MAX_COUNT = 2^63.
    (live + step) & !step
}

impl Generator {
    fn new(spec: WorkloadSpec) -> Self {
        let plan = Plan::new(spec);
        let mix = Keys::new(&plan.spec).map(|keys| MixState {
            keys,
            live: plan.spec.key_count,
            pending_put: None,
            prepared: Prepared::none(&plan),
        });
        let model = crate::models::Model::new(&plan.spec).map(Box::new);
        Generator {
            plan,
            mix,
            next: 0,
            model,
        }
    }

    /// Operations in the whole stream, including the preload phase.
    pub fn total_ops(&self) -> u64 {
        self.plan.total
    }

    /// Operations not yet yielded.
    pub fn remaining(&self) -> u64 {
        self.plan.total - self.next
    }

    /// The (validated) spec this stream was built from.
    pub fn spec(&self) -> &WorkloadSpec {
        &self.plan.spec
    }

    #[cfg(test)]
    fn scramble(&self) -> Option<&Permutation> {
        match &self.mix {
            Some(MixState {
                keys: Keys::Zipfian { scramble, .. },
                ..
            }) => Some(scramble),
            _ => None,
        }
    }
}

impl MixState {
    fn op(&mut self, plan: &Plan, index: u64) -> Op {
        let (mut lane, last) = self.prepared.take(plan, index);
        // After the last prepared op, prepare the next ones.
        if last && index + 1 < plan.total {
            self.prepared = Prepared::new(plan, &self.keys, index + 1);
        }
        let keys = &mut self.keys;
        if let Some((key, value_len)) = self.pending_put.take() {
            return plan.op(index, OpKind::Put, key, value_len);
        }
        let choice = lane.choice;
        if choice == Choice::Insert {
            let key = plan.key(self.live);
            self.live += 1;
            let value_len = plan.value_len(&mut lane.rng);
            return plan.op(index, OpKind::Put, key, value_len);
        }
        let key = plan.key(keys.pick(plan, self.live, &mut lane));
        let mut rng = lane.rng;
        match choice {
            Choice::Delete | Choice::Read | Choice::Update | Choice::Insert => {
                // One path for the three, choosing by selection rather than
                // by branches (see `Plan::choose`). The value size is the
                // op's last draw, so drawing it for reads and deletes too
                // changes nothing else.
                let value_len = plan.value_len(&mut rng);
                let put = choice == Choice::Update;
                let kind = match choice {
                    Choice::Delete => OpKind::Delete,
                    Choice::Read => OpKind::Get,
                    _ => OpKind::Put,
                };
                Op {
                    time: plan.time_ms(index),
                    kind,
                    key,
                    value_len: if put { value_len } else { 0 },
                    ttl: if put { plan.spec.ttl } else { None },
                }
            }
            Choice::Scan => {
                let len = plan.scan_len(&mut rng);
                plan.op(index, OpKind::Scan { len }, key, 0)
            }
            Choice::Merge => {
                let value_len = plan.value_len(&mut rng);
                plan.op(index, OpKind::Merge, key, value_len)
            }
            Choice::Rmw => {
                // With one op left there is no room for the write: a plain read.
                if index + 1 < plan.total {
                    let value_len = plan.value_len(&mut rng);
                    self.pending_put = Some((key.clone(), value_len));
                }
                plan.op(index, OpKind::Get, key, 0)
            }
        }
    }
}

impl Iterator for Generator {
    type Item = Op;

    fn next(&mut self) -> Option<Op> {
        if self.next >= self.plan.total {
            return None;
        }
        let index = self.next;
        self.next += 1;
        if let Some(model) = &mut self.model {
            return Some(model.op(index));
        }
        if index < self.plan.preload_ops {
            return Some(self.plan.preload_op(index));
        }
        Some(match &mut self.mix {
            Some(mix) => mix.op(&self.plan, index),
            None => self.plan.timeseries_op(index),
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

mod prepared;
#[cfg(test)]
mod tests;
