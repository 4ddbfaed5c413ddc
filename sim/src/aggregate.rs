//! Several seeds per configuration: runs grouped by configuration (the run
//! id without its `seed=N` part) and, per metric, the mean over the seeds
//! with their spread stated as the range min..max (not a confidence
//! interval: with the handful of seeds a sweep affords, the range is what
//! was seen, and a new mean outside it is what `check` can call news).

use crate::metrics::METRICS;
use crate::results::RunRecord;

/// The configuration a run belongs to: its id without `seed=N` segments.
pub fn config_id(run_id: &str) -> String {
    run_id
        .split('/')
        .filter(|part| !part.starts_with("seed="))
        .collect::<Vec<_>>()
        .join("/")
}

/// Mean and range of one metric over a configuration's seeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    /// Seeds with a value (a figure that does not apply is left out).
    pub n: usize,
}

impl Spread {
    /// The spread of `values`; `None` when there are none.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut n = 0;
        let (mut sum, mut min, mut max) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
        for v in values {
            n += 1;
            sum += v;
            min = min.min(v);
            max = max.max(v);
        }
        (n > 0).then(|| Spread {
            mean: sum / n as f64,
            min,
            max,
            n,
        })
    }
}

/// One configuration's runs.
#[derive(Debug, Clone)]
pub struct Configuration<'r> {
    pub id: String,
    /// In the order they were given.
    pub runs: Vec<&'r RunRecord>,
}

impl Configuration<'_> {
    /// The spread of metric `name` over the runs.
    pub fn spread(&self, name: &str) -> Option<Spread> {
        Spread::of(self.runs.iter().filter_map(|r| r.metrics.value(name)))
    }
}

/// Groups `records` by configuration, in order of first appearance.
pub fn configurations(records: &[RunRecord]) -> Vec<Configuration<'_>> {
    let mut out: Vec<Configuration<'_>> = Vec::new();
    for r in records {
        let id = config_id(&r.run_id);
        match out.iter_mut().find(|c| c.id == id) {
            Some(c) => c.runs.push(r),
            None => out.push(Configuration { id, runs: vec![r] }),
        }
    }
    out
}

/// True when some configuration ran with more than one seed.
pub fn has_several_seeds(records: &[RunRecord]) -> bool {
    configurations(records).iter().any(|c| c.runs.len() > 1)
}

/// One record per configuration holding the mean of every metric over its
/// seeds (integer columns rounded), its id the configuration's; what the
/// report and plots show. Records of single-seed configurations come back
/// unchanged.
pub fn mean_records(records: &[RunRecord]) -> Vec<RunRecord> {
    configurations(records)
        .into_iter()
        .map(|c| {
            let mut mean = c.runs[0].clone();
            if c.runs.len() == 1 {
                return mean;
            }
            mean.run_id = c.id.clone();
            for m in METRICS {
                let cell = c.spread(m.name).map(|s| s.mean);
                let text = cell.map(|v| v.to_string()).unwrap_or_default();
                // Integer columns refuse a fractional mean: they take it rounded.
                if mean.metrics.set_cell(m.name, &text).is_err() {
                    let rounded = cell.map(|v| (v.round() as u64).to_string());
                    let _ = mean.metrics.set_cell(m.name, &rounded.unwrap_or_default());
                }
            }
            mean
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::tests::record;

    fn seeded(write_amp: f64, seed: u64) -> RunRecord {
        let mut r = record("leveled", "uniform", write_amp);
        r.run_id = format!("leveled/uniform/l0_file_limit=4/seed={seed}");
        r.seed = seed;
        r.metrics.compactions = 10 + seed;
        r
    }

    #[test]
    fn configurations_group_seeds_and_keep_their_order() {
        assert_eq!(config_id("a/b/x=1/seed=3"), "a/b/x=1");
        assert_eq!(config_id("a/b"), "a/b");
        let mut other = record("fifo", "uniform", 1.0);
        other.run_id = "fifo/uniform".into();
        let runs = vec![seeded(3.0, 1), other, seeded(4.0, 2), seeded(3.5, 3)];
        let cs = configurations(&runs);
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].id, "leveled/uniform/l0_file_limit=4");
        assert_eq!(cs[0].runs.len(), 3);
        let s = cs[0].spread("write_amp").unwrap();
        assert_eq!((s.mean, s.min, s.max, s.n), (3.5, 3.0, 4.0, 3));
        assert!(has_several_seeds(&runs));
        assert!(!has_several_seeds(&runs[..2]));
    }

    #[test]
    fn mean_records_average_every_metric() {
        let runs = vec![seeded(3.0, 1), seeded(4.0, 2)];
        let means = mean_records(&runs);
        assert_eq!(means.len(), 1);
        assert_eq!(means[0].run_id, "leveled/uniform/l0_file_limit=4");
        assert_eq!(means[0].metrics.write_amp, 3.5);
        // 11 and 12: the integer column takes the rounded mean.
        assert_eq!(means[0].metrics.compactions, 12);
    }
}
