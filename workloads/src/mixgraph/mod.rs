//! db_bench's `mixgraph` workload (Cao et al., "Characterizing, Modeling,
//! and Benchmarking RocksDB Key-Value Workloads at Facebook", FAST 2020),
//! with db_bench's parameter names.
//!
//! Each operation is a get, a put or a seek (a scan) by the
//! `mix_*_ratio`s; its key is drawn from key ranges of two-term
//! exponential hotness (`keyrange_dist_a..d` over `keyrange_num` ranges)
//! and, inside a range, from a power law of ranks (`key_dist_a`,
//! `key_dist_b`) hashed over the range; put values and scan lengths follow
//! generalized Pareto distributions (`value_*`, `iter_*`), capped by
//! `mix_max_value_size` and `mix_max_scan_len` as db_bench caps them; and
//! simulated time advances at the sine-shaped rate `sine_a sin(sine_b t +
//! sine_c) + sine_d` operations per second.
//!
//! The formulas are db_bench's (see `model`); where db_bench reuses one
//! random number for the key, the operation type, the value size and the
//! scan length, lsmlab draws each from its own uniform number, so each
//! follows its distribution independently (the published model).

mod fit;
mod fit_shape;
mod model;
mod params;
mod stream;

pub use fit::{fit_mixgraph, fit_mixgraph_with, DistFit, FitOptions, MixGraphFit};
pub use fit_shape::{KeyRangeFit, SineFit};
pub(crate) use params::PARAMS;
pub(crate) use stream::Stream;

/// The parameters of the mixgraph model; defaults are those published for
/// the production model (and db_bench's for the caps and `*_theta`).
#[derive(Clone, Debug, PartialEq)]
pub struct MixGraph {
    pub key_dist_a: f64,
    pub key_dist_b: f64,
    pub keyrange_dist_a: f64,
    pub keyrange_dist_b: f64,
    pub keyrange_dist_c: f64,
    pub keyrange_dist_d: f64,
    pub keyrange_num: u64,
    pub value_k: f64,
    pub value_sigma: f64,
    pub value_theta: f64,
    pub iter_k: f64,
    pub iter_sigma: f64,
    pub iter_theta: f64,
    pub mix_max_value_size: u32,
    pub mix_max_scan_len: u32,
    pub mix_get_ratio: f64,
    pub mix_put_ratio: f64,
    pub mix_seek_ratio: f64,
    pub sine_a: f64,
    pub sine_b: f64,
    pub sine_c: f64,
    pub sine_d: f64,
}

impl Default for MixGraph {
    fn default() -> Self {
        MixGraph {
            key_dist_a: 0.002312,
            key_dist_b: 0.3467,
            keyrange_dist_a: 14.18,
            keyrange_dist_b: -2.917,
            keyrange_dist_c: 0.0164,
            keyrange_dist_d: -0.08082,
            keyrange_num: 30,
            value_k: 0.2615,
            value_sigma: 25.45,
            value_theta: 0.0,
            iter_k: 2.517,
            iter_sigma: 14.236,
            iter_theta: 0.0,
            mix_max_value_size: 1024,
            mix_max_scan_len: 10000,
            mix_get_ratio: 0.85,
            mix_put_ratio: 0.14,
            mix_seek_ratio: 0.01,
            sine_a: 350.0,
            sine_b: 0.0105,
            sine_c: 0.0,
            sine_d: 50000.0,
        }
    }
}

impl MixGraph {
    /// The `keyrange_dist_*` parameters; all zero turns key ranges off.
    pub(crate) fn keyrange_dist(&self) -> [f64; 4] {
        [
            self.keyrange_dist_a,
            self.keyrange_dist_b,
            self.keyrange_dist_c,
            self.keyrange_dist_d,
        ]
    }

    pub(crate) fn sine(&self) -> [f64; 4] {
        [self.sine_a, self.sine_b, self.sine_c, self.sine_d]
    }

    /// Whether the sine drives time (otherwise `ingest_rate` does).
    pub(crate) fn sine_on(&self) -> bool {
        self.sine_a != 0.0 || self.sine_d != 0.0
    }
}

#[cfg(test)]
mod tests;
