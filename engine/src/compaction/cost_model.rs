//! The analytic cost model each policy follows, with the parameters the
//! model needs. A policy declares it ([`crate::compaction::Strategy::cost_model`]);
//! the lab evaluates it against a run's final shape (sim/src/theory.rs), so
//! the choice of formula lives with the policy, never in a branch on its
//! name.

/// Which textbook model predicts a policy's write amplification.
#[derive(Debug, Clone, PartialEq)]
pub enum CostModel {
    /// No analytic model applies: the policy never merges (FIFO) or its
    /// triggers have no closed form (RocksDB universal's size-amplification
    /// full merges).
    None,
    /// One sorted run per level, each level `size_ratio` times the one
    /// above (O'Neil et al.; RocksDB/LevelDB leveled; Cassandra LCS with
    /// its fanout).
    Leveling { size_ratio: f64 },
    /// Runs merged `size_ratio` at a time into the next tier (size-tiered,
    /// ScyllaDB ICS).
    Tiering { size_ratio: f64 },
    /// Dostoevsky's Fluid LSM-tree: at most `runs_per_level` (K) runs in a
    /// level above the last and `runs_last_level` (Z) in the last.
    Fluid {
        size_ratio: f64,
        runs_per_level: f64,
        runs_last_level: f64,
    },
    /// Cassandra UCS: the scaling parameter W of each level, the last
    /// repeating.
    Unified { scaling: Vec<i64> },
    /// TWCS: size-tiered merges `size_ratio` at a time within one time
    /// window of `window_ms`; closed windows cost one merge at most.
    TimeWindow { window_ms: u64, size_ratio: f64 },
}
