//! Operation latencies: an HDR histogram of nanoseconds per operation,
//! read out in microseconds.

use std::time::Duration;

use hdrhistogram::Histogram;

/// The largest latency recorded exactly enough: one hour. Longer ones are
/// recorded as one hour.
const MAX_NANOS: u64 = 3_600_000_000_000;

/// Latencies of one kind of operation, three significant digits.
#[derive(Debug, Clone)]
pub struct Latency {
    hist: Histogram<u64>,
}

impl Default for Latency {
    fn default() -> Self {
        Latency::new()
    }
}

impl Latency {
    pub fn new() -> Latency {
        Latency {
            hist: Histogram::new_with_bounds(1, MAX_NANOS, 3)
                .expect("1 ..= 1 hour at 3 digits is a valid histogram"),
        }
    }

    pub fn record(&mut self, d: Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.hist.saturating_record(nanos.max(1));
    }

    /// Adds another thread's latencies.
    pub fn merge(&mut self, other: &Latency) {
        // Same bounds on both sides, so adding cannot go out of range.
        let _ = self.hist.add(&other.hist);
    }

    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The latency at quantile `q` (0.5 = median), in microseconds; 0 when
    /// nothing was recorded.
    pub fn quantile_us(&self, q: f64) -> f64 {
        if self.hist.is_empty() {
            return 0.0;
        }
        self.hist.value_at_quantile(q) as f64 / 1000.0
    }

    pub fn max_us(&self) -> f64 {
        if self.hist.is_empty() {
            return 0.0;
        }
        self.hist.max() as f64 / 1000.0
    }

    pub fn mean_us(&self) -> f64 {
        if self.hist.is_empty() {
            return 0.0;
        }
        self.hist.mean() / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_out_in_microseconds_and_merge_across_threads() {
        let mut a = Latency::new();
        for us in 1..=99 {
            a.record(Duration::from_micros(us));
        }
        let mut b = Latency::new();
        b.record(Duration::from_millis(50));
        a.merge(&b);
        assert_eq!(a.count(), 100);
        let p50 = a.quantile_us(0.5);
        assert!((49.9..=50.1).contains(&p50), "{p50}");
        let max = a.max_us();
        assert!((49_900.0..=50_100.0).contains(&max), "{max}");
        assert!(a.quantile_us(0.99) <= a.quantile_us(0.999));
    }

    #[test]
    fn an_empty_histogram_reads_zero() {
        let l = Latency::new();
        assert_eq!(
            (l.quantile_us(0.99), l.max_us(), l.mean_us()),
            (0.0, 0.0, 0.0)
        );
    }
}
