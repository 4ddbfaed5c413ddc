//! Compaction: policies that choose ([`Strategy`] implementations, listed
//! in the [`registry`]) around one merge kernel that does all the reading
//! and writing.

mod config;
mod fifo;
mod filter;
mod job;
mod kernel;
mod level_compaction;
mod level_picker;
mod leveled;
mod min_overlap;
pub mod registry;
mod round_robin;
mod size_tiered;
mod strategy;

pub use config::CompactionOptions;
pub use fifo::Fifo;
pub use level_compaction::{FilePriority, LevelCompaction};
pub use level_picker::{
    compensated_size, job_inputs_by_run, job_into_next_level, l0_job, levels_needing_work,
    pick_file_by, LevelScore,
};
pub use leveled::Leveled;
pub use min_overlap::MinOverlap;
pub use registry::{PolicyDef, Registry};
pub use round_robin::RoundRobin;
pub use size_tiered::SizeTiered;

pub use filter::{Decision, DropCause, EntryFilter};
pub use job::{Job, JobInput, JobKind, Reason};
pub use kernel::{merge, MergeOutput, MergeStats, OutputSpec};
pub use strategy::{PickContext, Strategy};

#[cfg(test)]
mod picker_tests;

#[cfg(test)]
mod kernel_tests;
