//! What a run measures as it goes: per-operation count histograms, the
//! cost of lookups and scans, the probe lookups interleaved with a
//! workload, and when deletes become persistent.

use std::collections::HashMap;

use super::DEFAULT_PROBES;
use lsmlab_engine::db::ScanStats;
use lsmlab_engine::sst::LookupStats;
use lsmlab_workloads::{SplitMix64, WorkloadSpec};

/// Per-operation counts (blocks, sorted runs), for the mean and percentiles.
#[derive(Default)]
pub(super) struct CountHistogram {
    pub(super) counts: Vec<u64>,
}

impl CountHistogram {
    pub(super) fn record(&mut self, value: u64) {
        let i = value as usize;
        if self.counts.len() <= i {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
    }

    pub(super) fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub(super) fn mean(&self) -> Option<f64> {
        let n = self.total();
        let sum: u64 = self
            .counts
            .iter()
            .enumerate()
            .map(|(v, c)| v as u64 * c)
            .sum();
        (n > 0).then(|| sum as f64 / n as f64)
    }

    pub(super) fn percentile(&self, p: f64) -> f64 {
        let total = self.total();
        if total == 0 {
            return 0.0;
        }
        let rank = (p * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (value, n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return value as f64;
            }
        }
        (self.counts.len() - 1) as f64
    }
}

pub(super) fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// What a set of point lookups cost: blocks read from storage per lookup
/// (cache misses, index and filter blocks included when cached), cache hits
/// and filter probes.
#[derive(Default)]
pub(super) struct ReadMeter {
    pub(super) lookups: u64,
    pub(super) storage_reads: u64,
    pub(super) cache_hits: u64,
    pub(super) data_misses: u64,
    pub(super) filter_probes: u64,
    pub(super) per_lookup: CountHistogram,
}

impl ReadMeter {
    pub(super) fn record(&mut self, st: &LookupStats) {
        self.lookups += 1;
        self.storage_reads += st.storage_reads();
        self.cache_hits += st.cache_hits;
        self.data_misses += st.blocks_read;
        self.filter_probes += st.filter_probes;
        self.per_lookup.record(st.storage_reads());
    }

    pub(super) fn read_amp(&self) -> f64 {
        ratio(self.storage_reads, self.lookups)
    }

    pub(super) fn hit_rate(&self) -> f64 {
        ratio(self.cache_hits, self.cache_hits + self.data_misses)
    }
}

/// What range scans cost: blocks read from storage and sorted runs merged.
#[derive(Default)]
pub(super) struct ScanMeter {
    pub(super) blocks: CountHistogram,
    pub(super) runs: CountHistogram,
}

impl ScanMeter {
    pub(super) fn record(&mut self, st: &ScanStats) {
        self.blocks.record(st.blocks_read);
        self.runs.record(st.sorted_runs);
    }

    pub(super) fn p99(h: &CountHistogram) -> Option<f64> {
        (h.total() > 0).then(|| h.percentile(0.99))
    }
}

/// Probe lookups: how many are due after each workload operation, and
/// which keys they use.
///
/// Present probes draw from a reservoir sample (Vitter's algorithm R) of
/// every key the workload wrote, so they follow the workload's own key
/// distribution (a hot key is written, and so sampled, more often). Absent
/// probes take such a key and append a zero byte: a key that sorts right
/// after it, before the next key of the workload's fixed-width scheme, so it
/// lies inside the key space (file ranges and index blocks do not rule it
/// out) and was never written. Probes alternate present and absent.
pub(super) struct Prober {
    /// Probes due after `i` operations: `i * num / den`.
    pub(super) num: u64,
    pub(super) den: u64,
    pub(super) done: u64,
    pub(super) reservoir: Vec<Vec<u8>>,
    pub(super) offered: u64,
    pub(super) rng: SplitMix64,
}

/// Keys in the probe reservoir.
pub(super) const RESERVOIR: usize = 4096;
/// Salt of the probes' random stream (apart from the workload's).
pub(super) const PROBE_SALT: u64 = 0x7072_6f62_6573;

/// The key right after `key` that no fixed-width workload key equals.
pub(super) fn gap_key(key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.extend_from_slice(key);
    k.push(0);
    k
}

impl Prober {
    /// `rate` probes per operation (`None`: [`DEFAULT_PROBES`] over the
    /// run for workloads without reads of their own, none otherwise).
    pub(super) fn new(
        rate: Option<f64>,
        workload: &WorkloadSpec,
        traced: bool,
        seed: u64,
    ) -> Prober {
        let total = workload.total_ops().max(1);
        let f = workload.mix.fractions();
        let has_reads = !traced && f.read + f.rmw > 0.0;
        let (num, den) = match rate {
            Some(r) => ((r * 1e6).round() as u64, 1_000_000),
            None if has_reads => (0, 1),
            None => (DEFAULT_PROBES, total),
        };
        Prober {
            num,
            den,
            done: 0,
            reservoir: Vec::new(),
            offered: 0,
            rng: SplitMix64::new(seed ^ PROBE_SALT),
        }
    }

    pub(super) fn offer(&mut self, key: &[u8]) {
        if self.num == 0 {
            return;
        }
        self.offered += 1;
        if self.reservoir.len() < RESERVOIR {
            self.reservoir.push(key.to_vec());
        } else {
            let j = self.rng.below(self.offered) as usize;
            if j < RESERVOIR {
                self.reservoir[j] = key.to_vec();
            }
        }
    }

    /// The keys of the probes due after `ops_done` operations.
    pub(super) fn due(&mut self, ops_done: u64) -> Vec<Vec<u8>> {
        let target = (u128::from(ops_done) * u128::from(self.num) / u128::from(self.den)) as u64;
        let mut keys = Vec::new();
        while self.done < target {
            self.done += 1;
            if self.reservoir.is_empty() {
                continue;
            }
            let k = &self.reservoir[self.rng.below(self.reservoir.len() as u64) as usize];
            keys.push(if self.done.is_multiple_of(2) {
                gap_key(k)
            } else {
                k.clone()
            });
        }
        keys
    }
}

/// Delete persistence: when each delete happened, matched with the purge of
/// its tombstone (Lethe's metric). A key put again before its tombstone was
/// purged is no longer waiting for a purge and is forgotten.
#[derive(Default)]
pub(super) struct DeleteTracker {
    /// Key -> clock ms of its earliest delete not yet purged.
    pub(super) pending: HashMap<Vec<u8>, u64>,
    /// Delete-to-purge times (ms).
    pub(super) persisted: Vec<u64>,
}

impl DeleteTracker {
    pub(super) fn deleted(&mut self, key: &[u8], now: u64) {
        self.pending.entry(key.to_vec()).or_insert(now);
    }

    pub(super) fn written(&mut self, key: &[u8]) {
        if !self.pending.is_empty() {
            self.pending.remove(key);
        }
    }

    pub(super) fn purged(&mut self, purges: Vec<(Vec<u8>, u64)>) {
        for (key, at) in purges {
            if let Some(since) = self.pending.get(&key).copied().filter(|&t| t <= at) {
                self.pending.remove(&key);
                self.persisted.push(at - since);
            }
        }
    }

    /// Mean and max seconds, `None` when nothing was purged.
    pub(super) fn seconds(&self) -> (Option<f64>, Option<f64>) {
        if self.persisted.is_empty() {
            return (None, None);
        }
        let sum: u64 = self.persisted.iter().sum();
        let max = self.persisted.iter().max().copied().unwrap_or(0);
        (
            Some(sum as f64 / self.persisted.len() as f64 / 1000.0),
            Some(max as f64 / 1000.0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_of_block_counts() {
        let mut h = CountHistogram::default();
        for _ in 0..98 {
            h.record(1);
        }
        h.record(3);
        h.record(7);
        assert_eq!(h.percentile(0.99), 3.0);
        assert_eq!(h.percentile(0.5), 1.0);
        assert_eq!(h.percentile(1.0), 7.0);
        assert_eq!(h.mean(), Some((98.0 + 3.0 + 7.0) / 100.0));
        assert_eq!(CountHistogram::default().percentile(0.99), 0.0);
        assert_eq!(CountHistogram::default().mean(), None);
    }
}
