//! The built-in compaction policies, one file each. Each file declares its
//! `POLICY` (a [`PolicyDef`]); the list below is the built-in registry, in
//! the order reports show policies. Adding a policy is its file, its picker
//! fixture, and one name here. A file that declares more than one policy
//! (presets sharing one implementation) names the others in brackets after
//! its module: `fluid[LAZY_LEVELING]` registers `fluid::POLICY`, then
//! `fluid::LAZY_LEVELING`.

use super::registry::PolicyDef;

macro_rules! builtin_policies {
    ($($module:ident $([$($also:ident),+])?),* $(,)?) => {
        $(mod $module;)*

        /// The built-in policies, in the order reports list them.
        pub const BUILTIN: &[&PolicyDef] = &[$(&$module::POLICY, $($(&$module::$also,)+)?)*];
    };
}

builtin_policies![
    leveled,
    round_robin,
    min_overlap,
    size_tiered,
    fifo,
    fluid[LAZY_LEVELING],
    oldest_largest_seq,
    oldest_smallest_seq,
    refined_min_overlap,
    universal,
    ucs,
    twcs,
    ics,
    lcs,
];

// Helpers the Cassandra and ScyllaDB policies share.
mod density;
mod expired;
mod overlaps;
#[cfg(test)]
mod test_load;

pub use fifo::Fifo;
pub use leveled::Leveled;
pub use min_overlap::MinOverlap;
pub use oldest_largest_seq::OldestLargestSeqFirst;
pub use oldest_smallest_seq::OldestSmallestSeqFirst;
pub use refined_min_overlap::RefinedMinOverlap;
pub use round_robin::RoundRobin;
pub use size_tiered::SizeTiered;
pub use universal::Universal;

/// The policy of `Options::default()`.
pub const DEFAULT_POLICY: &PolicyDef = &leveled::POLICY;
