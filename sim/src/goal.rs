//! What a sweep is for: a spec's `[goal]` (a metric to minimize and
//! constraints on any metric) and the default rules that keep unusable
//! configurations (stalls, unbounded space) out of recommendations.
//!
//! ```toml
//! [goal]
//! minimize = "write_amp"
//! constraints = ["space_amp <= 1.5", "stall_seconds == 0"]
//! ```

use std::fmt;

use crate::metrics::{metric_info, METRICS};
use crate::results::RunRecord;

/// A run keeps "unbounded space" when its tables still hold at least this
/// fraction of every byte ever written to tables (flushes and compactions)...
pub const KEPT_FRACTION: f64 = 0.99;
/// ...while they are this many times larger than the live data: nothing is
/// ever reclaimed, so space grows with every byte written, not with the data.
pub const KEPT_SPACE_AMP: f64 = 1.25;

/// How a constraint compares a metric with its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Le,
    Lt,
    Ge,
    Gt,
    Eq,
}

impl Op {
    const ALL: [(&'static str, Op); 5] = [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("==", Op::Eq),
        ("<", Op::Lt),
        (">", Op::Gt),
    ];

    fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Op::Le => value <= bound,
            Op::Lt => value < bound,
            Op::Ge => value >= bound,
            Op::Gt => value > bound,
            Op::Eq => value == bound,
        }
    }

    fn symbol(self) -> &'static str {
        Op::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(s, _)| s)
    }
}

/// What a constraint bounds: a metric column, or the derived "keeps
/// unbounded space" rule (true when a run reclaims nothing).
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// `metric op bound`, e.g. `space_amp <= 1.5`.
    Metric {
        metric: &'static str,
        op: Op,
        bound: f64,
    },
    /// The run must reclaim space (see [`KEPT_FRACTION`]).
    BoundedSpace,
}

impl Rule {
    /// Whether `run` satisfies the rule; a metric that is not a finite
    /// number never does.
    pub fn holds(&self, run: &RunRecord) -> bool {
        match self {
            Rule::Metric { metric, op, bound } => run
                .metrics
                .value(metric)
                .is_some_and(|v| v.is_finite() && op.holds(v, *bound)),
            Rule::BoundedSpace => !keeps_everything(run),
        }
    }

    /// Why `run` fails the rule, with its value.
    pub fn failure(&self, run: &RunRecord) -> String {
        match self {
            Rule::Metric { metric, .. } => {
                let value = run.metrics.value(metric).unwrap_or(f64::NAN);
                format!("{metric} = {}", short(value))
            }
            Rule::BoundedSpace => {
                let m = &run.metrics;
                let written = m.flush_bytes + m.compaction_write_bytes;
                format!(
                    "keeps every byte it wrote ({:.0}% of {} MB still in tables, space_amp {:.2}): space grows without bound",
                    100.0 * m.sst_bytes as f64 / written.max(1) as f64,
                    written / 1_000_000,
                    m.space_amp
                )
            }
        }
    }

    /// Parses `metric op number`; the error names the metric list or the
    /// operators allowed.
    pub fn parse(text: &str) -> Result<Rule, String> {
        let (at, symbol, op) = Op::ALL
            .iter()
            .filter_map(|(s, op)| text.find(s).map(|at| (at, *s, *op)))
            .min_by_key(|(at, s, _)| (*at, std::cmp::Reverse(s.len())))
            .ok_or_else(|| {
                format!("constraint `{text}`: expected `metric OP number` with OP one of <=, <, >=, >, ==")
            })?;
        let name = text[..at].trim();
        let bound_text = text[at + symbol.len()..].trim();
        let info = metric_info(name).ok_or_else(|| {
            format!(
                "constraint `{text}`: unknown metric `{name}`; valid: {}",
                metric_names()
            )
        })?;
        let bound: f64 = bound_text
            .parse()
            .ok()
            .filter(|b: &f64| b.is_finite())
            .ok_or_else(|| format!("constraint `{text}`: `{bound_text}` is not a finite number"))?;
        Ok(Rule::Metric {
            metric: info.name,
            op,
            bound,
        })
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Metric { metric, op, bound } => {
                write!(f, "{metric} {} {}", op.symbol(), short(*bound))
            }
            Rule::BoundedSpace => f.write_str("bounded space"),
        }
    }
}

fn metric_names() -> String {
    METRICS
        .iter()
        .map(|m| m.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A number as short as it reads: `0`, `1.5`, `12.92`.
pub fn short(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let text = format!("{x:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// True when the run reclaimed (almost) nothing it ever wrote to tables
/// while its tables hold more than the live data: a policy that keeps
/// everything (fifo without a TTL) grows without bound.
pub fn keeps_everything(run: &RunRecord) -> bool {
    let m = &run.metrics;
    let written = (m.flush_bytes + m.compaction_write_bytes) as f64;
    written > 0.0 && m.sst_bytes as f64 >= KEPT_FRACTION * written && m.space_amp > KEPT_SPACE_AMP
}

/// The rules every recommendation obeys unless a goal turns them off: no
/// write stalls, no unbounded space growth.
pub fn default_rules() -> Vec<Rule> {
    vec![
        Rule::Metric {
            metric: "stall_seconds",
            op: Op::Eq,
            bound: 0.0,
        },
        Rule::BoundedSpace,
    ]
}

/// A spec's `[goal]`: the metric to minimize and the constraints a
/// configuration must satisfy to be recommended.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    /// A metric column, lower is better.
    pub minimize: &'static str,
    /// The spec's constraints, in file order.
    pub constraints: Vec<Rule>,
    /// Whether [`default_rules`] apply too (`default_constraints = false`
    /// turns them off).
    pub default_constraints: bool,
}

impl Goal {
    /// The metric named by `minimize`, checked.
    pub fn metric(name: &str) -> Result<&'static str, String> {
        metric_info(name)
            .map(|m| m.name)
            .ok_or_else(|| format!("unknown metric `{name}`; valid: {}", metric_names()))
    }

    /// Every rule a recommended run must satisfy: the defaults (when on),
    /// then the spec's constraints.
    pub fn rules(&self) -> Vec<Rule> {
        let mut rules = if self.default_constraints {
            default_rules()
        } else {
            Vec::new()
        };
        rules.extend(self.constraints.iter().cloned());
        rules
    }
}

/// The runs of one workload judged against a set of rules.
pub struct Verdict<'a> {
    /// Runs that satisfy every rule.
    pub usable: Vec<&'a RunRecord>,
    /// Runs that fail, each with the first rule it fails and why.
    pub excluded: Vec<(&'a RunRecord, Rule, String)>,
}

/// Splits `runs` into those that satisfy every rule and those that do not.
pub fn judge<'a>(runs: &[&'a RunRecord], rules: &[Rule]) -> Verdict<'a> {
    let mut verdict = Verdict {
        usable: Vec::new(),
        excluded: Vec::new(),
    };
    for &run in runs {
        match rules.iter().find(|r| !r.holds(run)) {
            None => verdict.usable.push(run),
            Some(rule) => verdict
                .excluded
                .push((run, rule.clone(), rule.failure(run))),
        }
    }
    verdict
}

/// The rule that excludes the most runs (the first such in `rules` on a
/// tie) and how many it excludes alone or with others.
pub fn binding_rule(runs: &[&RunRecord], rules: &[Rule]) -> Option<(Rule, usize)> {
    rules
        .iter()
        .map(|rule| (rule, runs.iter().filter(|r| !rule.holds(r)).count()))
        .filter(|(_, n)| *n > 0)
        .fold(None, |best: Option<(&Rule, usize)>, (rule, n)| match best {
            Some((_, m)) if m >= n => best,
            _ => Some((rule, n)),
        })
        .map(|(rule, n)| (rule.clone(), n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::tests::record;

    #[test]
    fn constraints_parse_with_every_operator() {
        for (text, shown) in [
            ("space_amp <= 1.5", "space_amp <= 1.5"),
            ("stall_seconds==0", "stall_seconds == 0"),
            ("read_amp_p99 < 3", "read_amp_p99 < 3"),
            ("trivial_moves >= 10", "trivial_moves >= 10"),
            ("write_amp > 1", "write_amp > 1"),
        ] {
            assert_eq!(Rule::parse(text).unwrap().to_string(), shown);
        }
    }

    #[test]
    fn bad_constraints_name_the_problem() {
        let err = Rule::parse("space <= 1").unwrap_err();
        assert!(err.contains("unknown metric `space`") && err.contains("space_amp"));
        assert!(Rule::parse("space_amp ~ 1")
            .unwrap_err()
            .contains("OP one of"));
        assert!(Rule::parse("space_amp <= lots")
            .unwrap_err()
            .contains("not a finite number"));
        assert!(Rule::parse("space_amp <= inf").is_err());
    }

    #[test]
    fn a_run_that_keeps_everything_is_unbounded() {
        let mut fifo = record("fifo", "uniform", 1.0);
        fifo.metrics.flush_bytes = 1_000_000;
        fifo.metrics.compaction_write_bytes = 0;
        fifo.metrics.sst_bytes = 1_000_000;
        fifo.metrics.space_amp = 4.1;
        assert!(keeps_everything(&fifo));
        assert!(!Rule::BoundedSpace.holds(&fifo));
        assert!(Rule::BoundedSpace.failure(&fifo).contains("100% of 1 MB"));
        // The same bytes kept with no overwrites: space follows the data.
        fifo.metrics.space_amp = 1.02;
        assert!(!keeps_everything(&fifo));
        // A policy that compacts reclaims what its compactions replaced.
        let mut leveled = record("leveled", "uniform", 10.0);
        leveled.metrics.sst_bytes = 50_000;
        leveled.metrics.space_amp = 2.0;
        assert!(!keeps_everything(&leveled));
    }

    #[test]
    fn judging_names_the_first_failed_rule_and_the_binding_one() {
        let mut a = record("leveled", "uniform", 4.0);
        let mut b = record("size-tiered", "uniform", 2.0);
        let c = record("round-robin", "uniform", 3.0);
        a.metrics.stall_seconds = 12.5;
        b.metrics.space_amp = 2.0;
        let runs = [&a, &b, &c];
        let mut rules = default_rules();
        rules.push(Rule::parse("space_amp <= 1.5").unwrap());
        let v = judge(&runs, &rules);
        assert_eq!(v.usable.len(), 1);
        assert_eq!(v.usable[0].policy, "round-robin");
        let why: Vec<String> = v.excluded.iter().map(|(_, _, w)| w.clone()).collect();
        assert_eq!(why, ["stall_seconds = 12.5", "space_amp = 2"]);
        let (rule, n) = binding_rule(&runs, &rules).unwrap();
        assert_eq!((rule.to_string(), n), ("stall_seconds == 0".to_string(), 1));
    }
}
