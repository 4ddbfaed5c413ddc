//! The Pareto frontier of a workload's runs: the configurations no other
//! run beats on every cost at once (write, space and read amplification,
//! with stalls counted as a cost).

use crate::results::RunRecord;

/// The costs the frontier trades off, all lower-is-better metric columns.
pub const FRONTIER_COSTS: [&str; 4] = ["write_amp", "space_amp", "read_amp", "stall_seconds"];

/// A run's costs in [`FRONTIER_COSTS`] order; a missing or non-finite value
/// counts as infinitely bad.
fn costs(run: &RunRecord) -> [f64; 4] {
    FRONTIER_COSTS.map(|name| {
        run.metrics
            .value(name)
            .filter(|v| v.is_finite())
            .unwrap_or(f64::INFINITY)
    })
}

/// Whether `a` dominates `b`: no worse on any cost and better on one.
pub fn dominates(a: &RunRecord, b: &RunRecord) -> bool {
    let (ca, cb) = (costs(a), costs(b));
    ca.iter().zip(&cb).all(|(x, y)| x <= y) && ca.iter().zip(&cb).any(|(x, y)| x < y)
}

/// For each run, whether it is on the frontier of `runs` (no run dominates
/// it). Runs with identical costs are all on it.
pub fn on_frontier(runs: &[&RunRecord]) -> Vec<bool> {
    runs.iter()
        .map(|r| !runs.iter().any(|other| dominates(other, r)))
        .collect()
}

/// The runs of `runs` on the frontier, in their order.
pub fn frontier<'a>(runs: &[&'a RunRecord]) -> Vec<&'a RunRecord> {
    runs.iter()
        .zip(on_frontier(runs))
        .filter(|(_, on)| *on)
        .map(|(r, _)| *r)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::tests::record;

    fn run(policy: &str, w: f64, s: f64, r: f64, stall: f64) -> RunRecord {
        let mut run = record(policy, "uniform", w);
        run.metrics.space_amp = s;
        run.metrics.read_amp = r;
        run.metrics.stall_seconds = stall;
        run
    }

    #[test]
    fn the_frontier_keeps_every_trade_off_and_drops_dominated_runs() {
        let runs = [
            run("a", 10.0, 1.1, 1.0, 0.0), // least space and read
            run("b", 5.0, 2.5, 1.0, 0.0),  // least write
            run("c", 11.0, 1.2, 1.0, 0.0), // worse than a everywhere
            run("d", 5.0, 2.5, 1.0, 30.0), // b without its stalls
            run("e", 7.0, 1.5, 1.0, 0.0),  // in between: a trade-off
        ];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        let names: Vec<&str> = frontier(&refs).iter().map(|r| r.policy.as_str()).collect();
        assert_eq!(names, ["a", "b", "e"]);
        assert!(dominates(&runs[0], &runs[2]));
        assert!(!dominates(&runs[0], &runs[0]));
    }

    #[test]
    fn a_missing_metric_counts_as_worst_and_ties_share_the_frontier() {
        let runs = [
            run("a", 2.0, 1.0, f64::NAN, 0.0),
            run("b", 2.0, 1.0, 1.0, 0.0),
            run("c", 2.0, 1.0, 1.0, 0.0),
        ];
        let refs: Vec<&RunRecord> = runs.iter().collect();
        assert_eq!(on_frontier(&refs), [false, true, true]);
    }
}
