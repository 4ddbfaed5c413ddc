//! The metric columns of runs.csv (DESIGN.md "Metrics"), in their contract
//! order, with what a baseline check needs to know about each.

/// Which way a metric moves when the engine got worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// More bytes, more amplification, more stalls: a regression.
    HigherIsWorse,
    /// Fewer of a good thing (trivial moves save rewriting): a regression.
    LowerIsWorse,
    /// The metric describes the workload, not the engine: any move means the
    /// run no longer does the same work, and the comparison fails.
    AnyChangeIsWorse,
}

/// Facts about one metric column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricInfo {
    pub name: &'static str,
    pub direction: Direction,
    /// Amplification columns are deterministic (same spec and seed, same
    /// bits) and compared by `lsmlab check`; time columns are not
    /// deterministic, and the `model_*` columns are predictions rather than
    /// measurements: neither is ever compared.
    pub deterministic: bool,
}

/// A metric's value type: integers for counts and bytes, floats for ratios
/// and times, optional floats for figures that may not apply to a run (an
/// empty cell). Cells are written so that they read back bit for bit.
trait MetricValue: Sized {
    /// `None` when the figure does not apply to the run.
    fn as_f64(&self) -> Option<f64>;
    fn to_cell(&self) -> String;
    fn parse_cell(text: &str) -> Result<Self, String>;
}

impl MetricValue for u64 {
    fn as_f64(&self) -> Option<f64> {
        Some(*self as f64)
    }
    fn to_cell(&self) -> String {
        self.to_string()
    }
    fn parse_cell(text: &str) -> Result<Self, String> {
        text.parse()
            .map_err(|_| format!("not a non-negative integer: `{text}`"))
    }
}

impl MetricValue for f64 {
    fn as_f64(&self) -> Option<f64> {
        Some(*self)
    }
    fn to_cell(&self) -> String {
        // Display prints the shortest decimal that parses back to the same bits.
        self.to_string()
    }
    fn parse_cell(text: &str) -> Result<Self, String> {
        // Every metric is a finite, non-negative ratio or rate.
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
            Ok(_) => Err(format!("not a finite number >= 0: `{text}`")),
            Err(_) => Err(format!("not a number: `{text}`")),
        }
    }
}

impl MetricValue for Option<f64> {
    fn as_f64(&self) -> Option<f64> {
        *self
    }
    fn to_cell(&self) -> String {
        self.map(|v| v.to_cell()).unwrap_or_default()
    }
    fn parse_cell(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            Ok(None)
        } else {
            f64::parse_cell(text).map(Some)
        }
    }
}

macro_rules! define_metrics {
    ($( $(#[doc = $doc:literal])* $field:ident : $ty:ty, $dir:ident, $det:literal; )*) => {
        /// The measured outcome of one run: exactly the DESIGN.md metric columns.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct Metrics {
            $( $(#[doc = $doc])* pub $field: $ty, )*
        }

        /// Every metric column, in runs.csv order.
        pub const METRICS: &[MetricInfo] = &[
            $( MetricInfo {
                name: stringify!($field),
                direction: Direction::$dir,
                deterministic: $det,
            }, )*
        ];

        impl Metrics {
            /// The value of a metric column as a float, `None` for an unknown
            /// name or a figure that does not apply to the run (empty cell).
            pub fn value(&self, name: &str) -> Option<f64> {
                match name {
                    $( stringify!($field) => self.$field.as_f64(), )*
                    _ => None,
                }
            }

            /// The cells of every metric column, in `METRICS` order.
            pub(crate) fn cells(&self) -> Vec<String> {
                vec![ $( self.$field.to_cell() ),* ]
            }

            /// Sets a metric column from its CSV cell.
            pub(crate) fn set_cell(&mut self, name: &str, text: &str) -> Result<(), String> {
                match name {
                    $( stringify!($field) => {
                        self.$field = MetricValue::parse_cell(text)?;
                        Ok(())
                    } )*
                    _ => Err(format!("unknown metric `{name}`")),
                }
            }
        }
    };
}

define_metrics! {
    /// Key+value bytes the workload wrote (deletes count the key).
    user_bytes: u64, AnyChangeIsWorse, true;
    /// SSTable bytes written by flushes.
    flush_bytes: u64, HigherIsWorse, true;
    /// SSTable bytes read by compactions.
    compaction_read_bytes: u64, HigherIsWorse, true;
    /// SSTable bytes written by compactions (trivial moves write nothing).
    compaction_write_bytes: u64, HigherIsWorse, true;
    /// (flush_bytes + compaction_write_bytes + blob_bytes_written) /
    /// user_bytes, after the final flush and compaction to quiescence.
    write_amp: f64, HigherIsWorse, true;
    /// Bytes written to the write-ahead log, apart from write_amp.
    wal_bytes: u64, HigherIsWorse, true;
    /// write_amp when the workload's last operation was applied, before the
    /// final flush and compactions (where db_bench reports).
    write_amp_burst: f64, HigherIsWorse, true;
    /// write_amp after the final flush and compaction to quiescence (the
    /// same figure as write_amp, named for comparison with the burst one).
    write_amp_settled: f64, HigherIsWorse, true;
    /// (SSTable bytes + blob file bytes) at the end / live_bytes.
    space_amp: f64, HigherIsWorse, true;
    /// The largest space amplification seen during the run.
    space_amp_peak: f64, HigherIsWorse, true;
    /// Key+value bytes of the live, unexpired keys at the end.
    live_bytes: u64, AnyChangeIsWorse, true;
    /// SSTable bytes at the end.
    sst_bytes: u64, HigherIsWorse, true;
    /// Point lookups measured during the run: the workload's own reads and
    /// the probes interleaved with it (`probe_rate`).
    lookups: u64, AnyChangeIsWorse, true;
    /// Mean blocks read from storage per point lookup during the run (block
    /// cache misses; index and filter blocks count when they are cached).
    read_amp: f64, HigherIsWorse, true;
    /// 99th percentile of blocks read from storage per lookup during the run.
    read_amp_p99: f64, HigherIsWorse, true;
    /// Mean blocks read per lookup of the probe set on the settled tree,
    /// after the final compaction (half present keys, half absent).
    read_amp_settled: f64, HigherIsWorse, true;
    /// Data blocks found in the block cache / data blocks the run's lookups
    /// touched (0 without a cache).
    cache_hit_rate: f64, LowerIsWorse, true;
    /// Mean bloom filters consulted per point lookup during the run.
    filter_probes: f64, HigherIsWorse, true;
    /// Range scans of the workload.
    scans: u64, AnyChangeIsWorse, true;
    /// Mean blocks read from storage per range scan (empty without scans).
    scan_blocks: Option<f64>, HigherIsWorse, true;
    /// 99th percentile of blocks read per range scan.
    scan_blocks_p99: Option<f64>, HigherIsWorse, true;
    /// Mean sorted runs merged per range scan.
    scan_sorted_runs: Option<f64>, HigherIsWorse, true;
    /// 99th percentile of sorted runs merged per range scan.
    scan_sorted_runs_p99: Option<f64>, HigherIsWorse, true;
    /// The most sorted runs a lookup could have had to visit.
    sorted_runs_max: u64, HigherIsWorse, true;
    /// Compactions that rewrote data.
    compactions: u64, HigherIsWorse, true;
    /// Compactions that moved a file down without rewriting it.
    trivial_moves: u64, LowerIsWorse, true;
    /// Simulated seconds writers were slowed down or stopped.
    stall_seconds: f64, HigherIsWorse, true;
    /// The largest compaction debt seen during the run.
    pending_compaction_bytes_peak: u64, HigherIsWorse, true;
    /// Mean simulated seconds from a delete to the purge of its tombstone
    /// (empty when no delete's tombstone was purged).
    delete_persistence_mean_s: Option<f64>, HigherIsWorse, true;
    /// The longest of those times.
    delete_persistence_max_s: Option<f64>, HigherIsWorse, true;
    /// Tombstones still in SSTables at the end.
    tombstones_left: u64, HigherIsWorse, true;
    /// Blob file bytes written by flushes and compactions (value
    /// separation, garbage collection included); part of write_amp.
    blob_bytes_written: u64, HigherIsWorse, true;
    /// Blob file bytes at the end; part of space_amp.
    blob_bytes: u64, HigherIsWorse, true;
    /// Value bytes of blobs no table references, still in blob files at
    /// the end.
    blob_garbage_bytes: u64, HigherIsWorse, true;
    /// Predicted write amplification of the run's shape (see theory.rs;
    /// empty where no model applies).
    model_write_amp: Option<f64>, HigherIsWorse, false;
    /// Predicted space amplification (leveled shapes only).
    model_space_amp: Option<f64>, HigherIsWorse, false;
    /// Wall-clock duration of the run (not deterministic).
    wall_seconds: f64, HigherIsWorse, false;
    /// Workload operations per wall-clock second (not deterministic).
    ops_per_second: f64, LowerIsWorse, false;
}

/// The metric named `name`, if it is one.
pub fn metric_info(name: &str) -> Option<&'static MetricInfo> {
    METRICS.iter().find(|m| m.name == name)
}

/// The deterministic metric columns, compared by `lsmlab check`.
pub fn amplification_metrics() -> impl Iterator<Item = &'static MetricInfo> {
    METRICS.iter().filter(|m| m.deterministic)
}

impl Metrics {
    /// True when every amplification (deterministic) column holds the same
    /// bits in both: the determinism contract.
    pub fn same_amplification(&self, other: &Metrics) -> bool {
        let ours = self.cells();
        let theirs = other.cells();
        METRICS
            .iter()
            .zip(ours.iter().zip(&theirs))
            .all(|(m, (a, b))| !m.deterministic || a == b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_follow_the_design_contract_order() {
        let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
        assert_eq!(
            names,
            [
                "user_bytes",
                "flush_bytes",
                "compaction_read_bytes",
                "compaction_write_bytes",
                "write_amp",
                "wal_bytes",
                "write_amp_burst",
                "write_amp_settled",
                "space_amp",
                "space_amp_peak",
                "live_bytes",
                "sst_bytes",
                "lookups",
                "read_amp",
                "read_amp_p99",
                "read_amp_settled",
                "cache_hit_rate",
                "filter_probes",
                "scans",
                "scan_blocks",
                "scan_blocks_p99",
                "scan_sorted_runs",
                "scan_sorted_runs_p99",
                "sorted_runs_max",
                "compactions",
                "trivial_moves",
                "stall_seconds",
                "pending_compaction_bytes_peak",
                "delete_persistence_mean_s",
                "delete_persistence_max_s",
                "tombstones_left",
                "blob_bytes_written",
                "blob_bytes",
                "blob_garbage_bytes",
                "model_write_amp",
                "model_space_amp",
                "wall_seconds",
                "ops_per_second",
            ]
        );
    }

    #[test]
    fn time_and_model_columns_are_not_compared() {
        let skipped: Vec<&str> = METRICS
            .iter()
            .filter(|m| !m.deterministic)
            .map(|m| m.name)
            .collect();
        assert_eq!(
            skipped,
            [
                "model_write_amp",
                "model_space_amp",
                "wall_seconds",
                "ops_per_second"
            ]
        );
        assert_eq!(amplification_metrics().count(), METRICS.len() - 4);
    }

    #[test]
    fn float_cells_read_back_bit_for_bit() {
        for v in [
            0.1 + 0.2,
            1.0 / 3.0,
            4.5,
            1e-300,
            123_456_789.123_456_79,
            0.0,
        ] {
            let cell = v.to_cell();
            let back = f64::parse_cell(&cell).unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{cell}");
        }
        // No run produces these; in a baseline they would make `check`
        // meaningless (NaN never compares, -inf always improves).
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0] {
            assert!(f64::parse_cell(&v.to_cell()).is_err(), "{v}");
        }
    }

    #[test]
    fn same_amplification_ignores_time_columns() {
        let a = Metrics {
            write_amp: 3.25,
            wall_seconds: 1.0,
            ..Metrics::default()
        };
        let mut b = a.clone();
        b.wall_seconds = 9.0;
        b.ops_per_second = 5.0;
        assert!(a.same_amplification(&b));
        b.write_amp = 3.2500000000000004;
        assert!(!a.same_amplification(&b));
    }

    #[test]
    fn values_and_cells_by_name() {
        let mut m = Metrics::default();
        m.set_cell("compactions", "12").unwrap();
        m.set_cell("read_amp", "1.5").unwrap();
        assert_eq!(m.value("compactions"), Some(12.0));
        assert_eq!(m.value("read_amp"), Some(1.5));
        assert_eq!(m.value("nope"), None);
        // Optional figures: an empty cell is "does not apply".
        assert_eq!(m.value("scan_blocks"), None);
        m.set_cell("scan_blocks", "2.5").unwrap();
        assert_eq!(m.value("scan_blocks"), Some(2.5));
        assert_eq!(
            m.cells()[METRICS
                .iter()
                .position(|c| c.name == "scan_blocks")
                .unwrap()],
            "2.5"
        );
        m.set_cell("scan_blocks", "").unwrap();
        assert_eq!(m.value("scan_blocks"), None);
        assert!(m.set_cell("scan_blocks", "-2").is_err());
        assert!(m.set_cell("compactions", "-1").is_err());
        assert!(m.set_cell("read_amp", "fast").is_err());
    }
}
