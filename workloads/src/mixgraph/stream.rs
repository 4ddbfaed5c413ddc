//! The mixgraph operation stream.

use super::model::{
    ceil_count, pareto_quantile, power_key, sine_rate, unit_open0, KeyRanges, QueryDecider,
};
use super::MixGraph;
use crate::key::encode_key;
use crate::op::{Op, OpKind};
use crate::permute::Permutation;
use crate::rng::{derive_key, SplitMix64};
use crate::spec::WorkloadSpec;

const SALT_OPS: u64 = 11;
const SALT_RANKS: u64 = 12;
const SALT_PRELOAD: u64 = 13;

/// The operation types, in the order of db_bench's ratios.
const GET: usize = 0;
const PUT: usize = 1;

/// db_bench's `ParetoCdfInversion` of a uniform draw: the quantile's `ceil`.
fn pareto_draw(rng: &mut SplitMix64, theta: f64, k: f64, sigma: f64) -> u64 {
    ceil_count(pareto_quantile(unit_open0(rng), theta, k, sigma))
}

/// A mixgraph workload's operations; op `i` draws from its own stream.
#[derive(Clone, Debug)]
pub(crate) struct Stream {
    m: MixGraph,
    keys: u64,
    key_size: usize,
    ingest_rate: f64,
    ttl: Option<u64>,
    op_key: u64,
    rank_salt: u64,
    ranges: Option<KeyRanges>,
    decider: QueryDecider,
    preload: Option<Permutation>,
    preload_ops: u64,
    /// Simulated seconds of the next op.
    t: f64,
}

impl Stream {
    /// REQUIRES: a validated spec.
    pub(crate) fn new(spec: &WorkloadSpec) -> Self {
        let m = spec.mixgraph.clone();
        let ranges = (m.keyrange_dist() != [0.0; 4])
            .then(|| KeyRanges::new(spec.key_count, m.keyrange_num, m.keyrange_dist()))
            .flatten();
        Stream {
            decider: QueryDecider::new(&[m.mix_get_ratio, m.mix_put_ratio, m.mix_seek_ratio]),
            keys: spec.key_count,
            key_size: spec.key_size,
            ingest_rate: spec.ingest_rate as f64,
            ttl: spec.ttl,
            op_key: derive_key(spec.seed, SALT_OPS),
            rank_salt: derive_key(spec.seed, SALT_RANKS),
            ranges,
            preload: spec
                .preload
                .then(|| Permutation::new(spec.key_count, derive_key(spec.seed, SALT_PRELOAD))),
            preload_ops: spec.preload_ops(),
            t: 0.0,
            m,
        }
    }

    /// The key index of an access.
    pub(crate) fn key(&self, rng: &mut SplitMix64) -> u64 {
        let (a, b) = (self.m.key_dist_a, self.m.key_dist_b);
        match &self.ranges {
            None => power_key(rng, self.keys, a, b, self.rank_salt),
            Some(ranges) => {
                let range = ranges.pick(rng);
                range * ranges.size + power_key(rng, ranges.size, a, b, self.rank_salt ^ range)
            }
        }
    }

    /// A put's value size: db_bench's `ceil` of the Pareto quantile, 10 if
    /// below 10, wrapped modulo `mix_max_value_size` if above it.
    pub(crate) fn value_size(&self, rng: &mut SplitMix64) -> u32 {
        let m = &self.m;
        let size = pareto_draw(rng, m.value_theta, m.value_k, m.value_sigma);
        let max = u64::from(m.mix_max_value_size);
        (if size < 10 {
            10
        } else if size > max {
            size % max
        } else {
            size
        }) as u32
    }

    /// A seek's scan length: the Pareto quantile's `ceil` modulo
    /// `mix_max_scan_len`, at least 1 (the seek itself reads a key).
    pub(crate) fn scan_len(&self, rng: &mut SplitMix64) -> u32 {
        let m = &self.m;
        let len = pareto_draw(rng, m.iter_theta, m.iter_k, m.iter_sigma);
        (len % u64::from(m.mix_max_scan_len)).max(1) as u32
    }

    /// Operations per second at simulated second `t`.
    pub(crate) fn rate(&self, t: f64) -> f64 {
        if self.m.sine_on() {
            sine_rate(t, self.m.sine())
        } else {
            self.ingest_rate
        }
    }

    /// Op `index`; ops must be asked for in order (time accumulates).
    pub(crate) fn op(&mut self, index: u64) -> Op {
        let time = (self.t * 1000.0) as u64;
        self.t += 1.0 / self.rate(self.t);
        let mut rng = SplitMix64::for_op(self.op_key, index);
        let (kind, key) = if index < self.preload_ops {
            let key = self.preload.as_ref().map_or(index, |p| p.apply(index));
            (PUT, key)
        } else {
            let kind = self.decider.pick(&mut rng);
            (kind, self.key(&mut rng))
        };
        let (kind, value_len) = match kind {
            GET => (OpKind::Get, 0),
            PUT => (OpKind::Put, self.value_size(&mut rng)),
            _ => (
                OpKind::Scan {
                    len: self.scan_len(&mut rng),
                },
                0,
            ),
        };
        let ttl = if kind == OpKind::Put { self.ttl } else { None };
        Op {
            time,
            kind,
            key: encode_key(key, self.key_size),
            value_len,
            ttl,
        }
    }
}
