//! The analytic models beside the measurements: what the textbook cost
//! formulas predict for a run's own parameters and final shape, written to
//! runs.csv as the `model_*` columns (README.md, "Theory beside the
//! measurement", states each formula and its source).
//!
//! - Leveling (O'Neil et al. 1996; Dayan, Athanassoulis and Idreos,
//!   "Monkey", SIGMOD 2017): write amplification `1 + L·(T+1)/2` (the flush,
//!   then each of L levels rewrites on average (T+1)/2 bytes per byte that
//!   arrives), space amplification `1 + 1/(T-1)` (the levels above the last
//!   hold 1/T + 1/T² + ... of it).
//! - Tiering (Jagadish et al. 1997, "Incremental organization for data
//!   recording and warehousing"; the size-tiered policies): each byte is
//!   merged once per tier, `L + 1` with the flush, `L = ⌈log_T(N/B)⌉` tiers
//!   for N bytes of data and B bytes per flush.
//! - Lazy leveling and the Fluid LSM-tree (Dayan and Idreos, "Dostoevsky",
//!   SIGMOD 2018): at most K runs per level above the last and Z in it; the
//!   paper's update cost is O((T/K·(L−1) + T/Z)/B). With the constants of the
//!   two models above it is `1 + (L−1)·(T/K+1)/2 + (T/Z+1)/2`, which is the
//!   leveling formula at K = Z = 1 and close to the tiering one at
//!   K = Z = T−1.
//!
//! L, T, N and B come from the run: T is the policy's size ratio
//! (`level_size_multiplier`, LCS's `fanout_size`, `min_threshold` for tiered
//! shapes, Fluid's `size_ratio`), L the levels below L0 holding data
//! (leveled) or the tier count of the final data (tiered), B the mean flush.
//! Which model applies is the policy's own declaration
//! ([`lsmlab_engine::compaction::CostModel`]).

use lsmlab_engine::compaction::CostModel;

/// Leveling write amplification for `levels` levels below L0 and size
/// ratio `t`.
pub fn leveling_write_amp(levels: usize, t: f64) -> f64 {
    1.0 + levels as f64 * (t + 1.0) / 2.0
}

/// Leveling space amplification for size ratio `t` (> 1).
pub fn leveling_space_amp(t: f64) -> f64 {
    1.0 + 1.0 / (t - 1.0)
}

/// Tiering write amplification for `tiers` tiers.
pub fn tiering_write_amp(tiers: usize) -> f64 {
    tiers as f64 + 1.0
}

/// Tiers for `data_bytes` of data built from flushes of `flush_bytes` with
/// ratio `t`: `⌈log_t(N/B)⌉`, at least 1.
pub fn tiers(data_bytes: f64, flush_bytes: f64, t: f64) -> usize {
    if flush_bytes <= 0.0 || data_bytes <= flush_bytes || t <= 1.0 {
        return 1;
    }
    // A hair below so that exact powers do not round up.
    ((data_bytes / flush_bytes).ln() / t.ln() - 1e-9)
        .ceil()
        .max(1.0) as usize
}

/// Dostoevsky's Fluid LSM-tree write amplification: `levels` levels, ratio
/// `t`, at most `k` runs per level above the last and `z` in the last.
pub fn fluid_write_amp(levels: usize, t: f64, k: f64, z: f64) -> f64 {
    let upper = levels.saturating_sub(1) as f64;
    1.0 + upper * (t / k + 1.0) / 2.0 + (t / z + 1.0) / 2.0
}

/// What the models need to know about a finished run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunShape {
    /// Merge compactions run: a policy that never merges (FIFO dropping
    /// whole files) has no tiering or leveling cost to predict.
    pub merges: u64,
    /// Levels below L0 holding data at the end (with dynamic level sizes,
    /// the levels from the base level down).
    pub levels: usize,
    /// SSTable bytes at the end.
    pub data_bytes: u64,
    /// Mean bytes per flush.
    pub flush_bytes: f64,
    /// User bytes written over the run.
    pub user_bytes: u64,
    /// Simulated milliseconds the run lasted.
    pub elapsed_ms: u64,
}

/// The models' predictions for one run; `None` where none applies.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prediction {
    pub write_amp: Option<f64>,
    pub space_amp: Option<f64>,
}

/// The predictions of the policy's own model (`model`, which the policy
/// declares) for a run of this shape.
pub fn predict(model: &CostModel, run: &RunShape) -> Prediction {
    if run.merges == 0 {
        return Prediction::default();
    }
    let leveled = |write_amp: f64, space_amp: Option<f64>| {
        if run.levels == 0 {
            Prediction::default()
        } else {
            Prediction {
                write_amp: Some(write_amp),
                space_amp,
            }
        }
    };
    let write_only = |write_amp: f64| Prediction {
        write_amp: Some(write_amp),
        space_amp: None,
    };
    match *model {
        CostModel::None => Prediction::default(),
        CostModel::Leveling { size_ratio: t } if t > 1.0 => leveled(
            leveling_write_amp(run.levels, t),
            Some(leveling_space_amp(t)),
        ),
        CostModel::Tiering { size_ratio: t } if t > 1.0 => write_only(tiering_write_amp(tiers(
            run.data_bytes as f64,
            run.flush_bytes,
            t,
        ))),
        CostModel::Fluid {
            size_ratio: t,
            runs_per_level: k,
            runs_last_level: z,
        } if t > 1.0 => leveled(
            fluid_write_amp(run.levels, t, k, z),
            (z <= 1.0).then(|| leveling_space_amp(t)),
        ),
        CostModel::Unified { ref scaling } => write_only(ucs_write_amp(
            scaling,
            ucs_levels(scaling, run.data_bytes as f64, run.flush_bytes),
        )),
        CostModel::TimeWindow {
            window_ms,
            size_ratio: t,
        } if t > 1.0 => {
            // The bytes one window receives at the run's mean ingest rate,
            // at most all the run wrote.
            let per_ms = ratio(run.user_bytes as f64, run.elapsed_ms as f64);
            let window_bytes = (per_ms * window_ms as f64).min(run.user_bytes as f64);
            write_only(twcs_write_amp(window_bytes, run.flush_bytes, t))
        }
        _ => Prediction::default(),
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fluid_model_spans_leveling_and_tiering() {
        for (l, t) in [(1, 10.0), (3, 10.0), (4, 4.0), (6, 2.0)] {
            let lev = leveling_write_amp(l, t);
            assert!((fluid_write_amp(l, t, 1.0, 1.0) - lev).abs() < 1e-12);
            // K = Z = T-1: within one of the tiering figure for T >= 4.
            let tier = fluid_write_amp(l, t, t - 1.0, t - 1.0);
            if t >= 4.0 {
                assert!((tier - tiering_write_amp(l)).abs() <= 1.0, "{l} {t}");
            }
            assert!(tier <= lev);
        }
        assert_eq!(leveling_write_amp(4, 10.0), 23.0);
        assert!((leveling_space_amp(10.0) - 1.111_111_111).abs() < 1e-9);
    }

    #[test]
    fn tiers_count_powers_of_the_ratio() {
        assert_eq!(tiers(4.0, 1.0, 4.0), 1);
        assert_eq!(tiers(4.1, 1.0, 4.0), 2);
        assert_eq!(tiers(64.0, 1.0, 4.0), 3);
        assert_eq!(tiers(0.5, 1.0, 4.0), 1);
        assert_eq!(tiers(10.0, 0.0, 4.0), 1);
    }

    #[test]
    fn each_policy_model_predicts_from_the_run_shape() {
        let run = RunShape {
            merges: 10,
            levels: 3,
            data_bytes: 1 << 30,
            flush_bytes: (4 << 20) as f64,
            user_bytes: 4 << 30,
            elapsed_ms: 4_000_000,
        };
        let leveling = CostModel::Leveling { size_ratio: 10.0 };
        let p = predict(&leveling, &run);
        assert_eq!(p.write_amp, Some(17.5));
        assert_eq!(p.space_amp, Some(leveling_space_amp(10.0)));
        // No merges, no levels below L0, or no model: nothing to predict.
        assert_eq!(
            predict(&leveling, &RunShape { merges: 0, ..run }),
            Prediction::default()
        );
        assert_eq!(
            predict(&leveling, &RunShape { levels: 0, ..run }),
            Prediction::default()
        );
        assert_eq!(predict(&CostModel::None, &run), Prediction::default());
        // 1 GiB / 4 MiB = 256 = 4^4.
        let tiered = predict(&CostModel::Tiering { size_ratio: 4.0 }, &run);
        assert_eq!(
            tiered,
            Prediction {
                write_amp: Some(5.0),
                space_amp: None
            }
        );
        // Lazy leveling over 3 levels with T = 10: K = 9, Z = 1.
        let lazy = CostModel::Fluid {
            size_ratio: 10.0,
            runs_per_level: 9.0,
            runs_last_level: 1.0,
        };
        let p = predict(&lazy, &run);
        assert_eq!(p.write_amp, Some(fluid_write_amp(3, 10.0, 9.0, 1.0)));
        assert!(p.write_amp < predict(&leveling, &run).write_amp);
        // UCS T4 (W = 2, f = 4): 256 flushes need 4 levels, one write each.
        let ucs = CostModel::Unified { scaling: vec![2] };
        assert_eq!(predict(&ucs, &run).write_amp, Some(5.0));
        // TWCS: 1 MB/s for 1000 s of windows of 100 s: 100 MB per window,
        // 25 flushes of 4 MiB tier in 3 at threshold 4, plus the flush.
        let twcs = CostModel::TimeWindow {
            window_ms: 100_000,
            size_ratio: 4.0,
        };
        let mb = RunShape {
            user_bytes: 1_000_000_000,
            elapsed_ms: 1_000_000,
            ..run
        };
        assert_eq!(
            predict(&twcs, &mb).write_amp,
            Some(1.0 + tiers(1e8, (4 << 20) as f64, 4.0) as f64)
        );
        // A window longer than the run holds all it wrote.
        let long = CostModel::TimeWindow {
            window_ms: u64::MAX,
            size_ratio: 4.0,
        };
        assert_eq!(
            predict(&long, &mb).write_amp,
            Some(1.0 + tiers(1e9, (4 << 20) as f64, 4.0) as f64)
        );
    }

    #[test]
    fn ucs_levels_count_the_density_bands() {
        assert_eq!(ucs_levels(&[2], 4.0, 1.0), 1);
        assert_eq!(ucs_levels(&[2], 4.1, 1.0), 2);
        assert_eq!(ucs_levels(&[2], 256.0, 1.0), 4);
        // T4 then L10 (f = 10): 4 x 10 = 40 reaches 30 in two levels.
        assert_eq!(ucs_levels(&[2, -8], 30.0, 1.0), 2);
        assert_eq!(ucs_levels(&[2], 10.0, 0.0), 1);
    }
}

// --- Cassandra and ScyllaDB policies (issue 17: ucs, twcs, ics, lcs) ---
//
// - UCS (UnifiedCompactionStrategy.md): level i has fanout f_i = 2 + |W_i|.
//   A tiered level (W > 0, threshold t = f) writes each byte once when its
//   f inputs merge into the next level; a leveled one (W < 0, t = 2) merges
//   every arrival into what the level holds, so of the f arrivals that fill
//   it the k-th is written with the k-1 before it: (f+1)/2 - 1/f writes per
//   byte. N (f = t = 2) is both: 1. Plus the flush. Levels: the density
//   bands the data spans over the flush size, ⌈log_f(N/m)⌉.
// - TWCS: the flush, then STCS within the newest window (its tiers for a
//   window's worth of flushes, the last being the merge that closes the
//   window); expired windows drop unread and cost nothing.
// - ICS: size-tiered, so the tiering figure; its space goal bounds the two
//   largest tiers' (S0 + S1) / S0 by the goal between merges.
// - LCS: leveling with T = fanout_size over the levels in use.

/// UCS write amplification over `levels` density levels with the W of each
/// level (`ws`, the last repeating), plus the flush.
pub fn ucs_write_amp(ws: &[i64], levels: usize) -> f64 {
    let w = |i: usize| ws.get(i).or(ws.last()).copied().unwrap_or(2);
    1.0 + (0..levels)
        .map(|i| {
            let w = w(i);
            let f = (2 + w.abs()) as f64;
            if w > 0 {
                1.0
            } else {
                (f + 1.0) / 2.0 - 1.0 / f
            }
        })
        .sum::<f64>()
}

/// UCS density levels for `data_bytes` built from flushes of `flush_bytes`:
/// level i spans densities up to m·f_0·…·f_i, so the data needs the fewest
/// levels whose product of fanouts reaches N/m (at least 1).
pub fn ucs_levels(ws: &[i64], data_bytes: f64, flush_bytes: f64) -> usize {
    if flush_bytes <= 0.0 || ws.is_empty() {
        return 1;
    }
    let w = |i: usize| ws.get(i).or(ws.last()).copied().unwrap_or(2);
    let target = data_bytes / flush_bytes;
    let (mut levels, mut reach) = (1, (2 + w(0).abs()) as f64);
    // A hair below so that exact powers do not round up; 64 levels cover
    // any ratio of u64 bytes at fanout 2.
    while reach < target * (1.0 - 1e-9) && levels < 64 {
        reach *= (2 + w(levels).abs()) as f64;
        levels += 1;
    }
    levels
}

/// TWCS write amplification: the flush plus STCS's tiers over one window's
/// data (`window_bytes` from flushes of `flush_bytes`, threshold `t`).
pub fn twcs_write_amp(window_bytes: f64, flush_bytes: f64, t: f64) -> f64 {
    1.0 + tiers(window_bytes, flush_bytes, t) as f64
}

/// LCS write amplification: leveling with ratio `fanout` over `levels`.
pub fn lcs_write_amp(levels: usize, fanout: f64) -> f64 {
    leveling_write_amp(levels, fanout)
}

#[cfg(test)]
mod cassandra_tests {
    use super::*;

    #[test]
    fn ucs_spans_tiering_and_leveling_as_its_w_does() {
        // T4 over 4 levels: once per level plus the flush, the tiering figure.
        assert_eq!(ucs_write_amp(&[2], 4), tiering_write_amp(4));
        // N: f = t = 2, once per level too.
        assert_eq!(ucs_write_amp(&[0], 3), 4.0);
        // L10: 5.4 per level, close to leveling's (T+1)/2 = 5.5.
        let l10 = ucs_write_amp(&[-8], 3);
        assert!((l10 - (1.0 + 3.0 * 5.4)).abs() < 1e-9);
        assert!(l10 < leveling_write_amp(3, 10.0));
        // A list: T4 at level 0, L10 above (the last repeating).
        assert!((ucs_write_amp(&[2, -8], 3) - (1.0 + 1.0 + 2.0 * 5.4)).abs() < 1e-9);
    }

    #[test]
    fn twcs_pays_the_tiers_of_one_window() {
        // 16 flushes a window at T = 4: two tiers, plus the flush.
        assert_eq!(twcs_write_amp(16.0, 1.0, 4.0), 3.0);
        assert_eq!(twcs_write_amp(1.0, 1.0, 4.0), 2.0);
        assert_eq!(lcs_write_amp(3, 10.0), leveling_write_amp(3, 10.0));
    }
}
