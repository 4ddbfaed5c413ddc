//! `lsmlab check` against a multi-seed baseline: runs are compared per
//! configuration (see [`crate::aggregate`]), the new mean over seeds against
//! the baseline's band, its range min..max over seeds widened by the
//! metric's tolerance on each side. A seed-to-seed wobble the baseline
//! already shows is not a failure; a shift beyond what any baseline seed
//! did, by more than the tolerance, is.

use std::collections::HashSet;

use crate::aggregate::{configurations, has_several_seeds, Spread};
use crate::check::{Change, CheckReport, Tolerances};
use crate::metrics::{amplification_metrics, Direction};
use crate::results::RunRecord;

/// True when either side holds several seeds of one configuration, so
/// runs are compared as bands rather than one by one.
pub fn applies(baseline: &[RunRecord], current: &[RunRecord]) -> bool {
    has_several_seeds(baseline) || has_several_seeds(current)
}

/// Where a mean falls against a band widened by `tolerance`: `None` inside,
/// else whether it is a regression for `direction`.
pub fn judge_band(direction: Direction, band: &Spread, mean: f64, tolerance: f64) -> Option<bool> {
    let lo = band.min - band.min.abs() * tolerance;
    let hi = band.max + band.max.abs() * tolerance;
    if (lo..=hi).contains(&mean) {
        return None;
    }
    Some(match direction {
        Direction::HigherIsWorse => mean > hi,
        Direction::LowerIsWorse => mean < lo,
        Direction::AnyChangeIsWorse => true,
    })
}

/// Compares every amplification column of every configuration: the
/// changes name the configuration and give the baseline's and the new mean.
pub fn compare(
    baseline: &[RunRecord],
    current: &[RunRecord],
    tolerances: &Tolerances,
) -> CheckReport {
    let base = configurations(baseline);
    let now = configurations(current);
    let base_ids: HashSet<&str> = base.iter().map(|c| c.id.as_str()).collect();
    let mut report = CheckReport::default();
    for b in &base {
        let Some(n) = now.iter().find(|c| c.id == b.id) else {
            report.missing_runs.push(b.id.clone());
            continue;
        };
        report.runs_compared += 1;
        for info in amplification_metrics() {
            let (Some(band), Some(mean)) = (b.spread(info.name), n.spread(info.name)) else {
                continue;
            };
            let tolerance = tolerances.of(info.name);
            let Some(worse) = judge_band(info.direction, &band, mean.mean, tolerance) else {
                continue;
            };
            let change = Change {
                run_id: b.id.clone(),
                metric: info.name.to_string(),
                baseline: band.mean,
                now: mean.mean,
                tolerance,
            };
            if worse {
                report.regressions.push(change);
            } else {
                report.improvements.push(change);
            }
        }
    }
    report.new_runs = now
        .iter()
        .filter(|c| !base_ids.contains(c.id.as_str()))
        .map(|c| c.id.clone())
        .collect();
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::tests::record;

    fn seeds(write_amps: &[f64]) -> Vec<RunRecord> {
        write_amps
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                let mut r = record("leveled", "uniform", w);
                r.run_id = format!("leveled/uniform/seed={}", i + 1);
                r.seed = i as u64 + 1;
                r
            })
            .collect()
    }

    fn write_amp_regressed(base: &[f64], now: &[f64]) -> Option<bool> {
        let mut t = Tolerances::default();
        t.set("write_amp", 0.02).unwrap();
        let report = compare(&seeds(base), &seeds(now), &t);
        assert_eq!(report.runs_compared, 1);
        let regressed = report.regressions.iter().any(|c| c.metric == "write_amp");
        let improved = report.improvements.iter().any(|c| c.metric == "write_amp");
        (regressed || improved).then_some(regressed)
    }

    #[test]
    fn a_seed_wobble_inside_the_band_passes_and_a_shift_beyond_it_fails() {
        // Baseline seeds spread 4%: a new mean inside that range is no news.
        let base = [5.0, 5.1, 5.2, 5.0];
        assert_eq!(write_amp_regressed(&base, &[5.15, 5.2, 5.1, 5.15]), None);
        // Just past the band's top, but within the 2% tolerance: passes.
        assert_eq!(write_amp_regressed(&base, &[5.25, 5.3, 5.25, 5.2]), None);
        // A real 4% regression with tight seeds: beyond max * 1.02.
        let tight = [5.0, 5.01, 5.0, 5.01];
        assert_eq!(
            write_amp_regressed(&tight, &[5.2, 5.21, 5.2, 5.21]),
            Some(true)
        );
        assert_eq!(
            write_amp_regressed(&tight, &[4.8, 4.8, 4.81, 4.8]),
            Some(false)
        );
    }

    #[test]
    fn bands_apply_to_multi_seed_results_and_name_missing_configurations() {
        let base = seeds(&[3.0, 3.1]);
        assert!(applies(&base, &base[..1]));
        assert!(!applies(&base[..1], &base[..1]));
        let mut other = record("fifo", "uniform", 1.0);
        other.run_id = "fifo/uniform/seed=1".into();
        let report = compare(
            &[base.clone(), vec![other]].concat(),
            &base,
            &Tolerances::default(),
        );
        assert_eq!(report.missing_runs, ["fifo/uniform"]);
        assert!(!report.passed());
    }
}
