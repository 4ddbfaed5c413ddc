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
//! L, T, N and B come from the run: T is `level_size_multiplier` for leveled
//! shapes and `min_threshold` for tiered ones, L the deepest non-empty level
//! (leveled) or the tier count of the final data (tiered), B the mean flush.

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

/// Which model a run's tree follows: leveled (data below L0, one run per
/// level) or tiered (sorted runs kept side by side in L0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Leveled,
    Tiered,
}

/// What the models need to know about a finished run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunShape {
    pub shape: Shape,
    /// Merge compactions run: a policy that never merges (FIFO dropping
    /// whole files) has no tiering or leveling cost to predict.
    pub merges: u64,
    /// `level_size_multiplier` (leveled) or `min_threshold` (tiered).
    pub size_ratio: f64,
    /// The deepest level holding data at the end (0: only L0).
    pub deepest_level: usize,
    /// SSTable bytes at the end.
    pub data_bytes: u64,
    /// Mean bytes per flush.
    pub flush_bytes: f64,
}

/// The models' predictions for one run; `None` where none applies.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prediction {
    pub write_amp: Option<f64>,
    pub space_amp: Option<f64>,
}

/// The predictions for a run of this shape.
pub fn predict(run: &RunShape) -> Prediction {
    if run.merges == 0 || run.size_ratio <= 1.0 {
        return Prediction::default();
    }
    let t = run.size_ratio;
    match run.shape {
        Shape::Leveled if run.deepest_level > 0 => Prediction {
            write_amp: Some(fluid_write_amp(run.deepest_level, t, 1.0, 1.0)),
            space_amp: Some(leveling_space_amp(t)),
        },
        Shape::Leveled => Prediction::default(),
        Shape::Tiered => {
            let l = tiers(run.data_bytes as f64, run.flush_bytes, t);
            Prediction {
                write_amp: Some(tiering_write_amp(l)),
                space_amp: None,
            }
        }
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
    fn predictions_apply_where_a_model_does() {
        let run = RunShape {
            shape: Shape::Leveled,
            merges: 10,
            size_ratio: 10.0,
            deepest_level: 3,
            data_bytes: 1 << 30,
            flush_bytes: (4 << 20) as f64,
        };
        let p = predict(&run);
        assert_eq!(p.write_amp, Some(17.5));
        assert!(p.space_amp.is_some());
        assert_eq!(
            predict(&RunShape { merges: 0, ..run }),
            Prediction::default()
        );
        let tiered = predict(&RunShape {
            shape: Shape::Tiered,
            size_ratio: 4.0,
            ..run
        });
        // 1 GiB / 4 MiB = 256 = 4^4.
        assert_eq!(tiered.write_amp, Some(5.0));
        assert_eq!(tiered.space_amp, None);
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
