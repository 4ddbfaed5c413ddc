//! Compaction: policies that choose ([`Strategy`] implementations, listed
//! in the [`registry`]) around one merge kernel that does all the reading
//! and writing.

mod config;
mod filter;
mod job;
mod kernel;
mod level_compaction;
mod level_picker;
mod policies;
pub mod registry;
mod strategy;

pub use config::CompactionOptions;
pub use level_compaction::{FilePriority, LevelCompaction};
pub use level_picker::{
    compensated_size, job_inputs_by_run, job_into_next_level, l0_job, levels_needing_work,
    pick_file_by, LevelScore,
};
pub use policies::{Fifo, Leveled, MinOverlap, RoundRobin, SizeTiered};
pub use registry::{PolicyDef, Registry};

pub use filter::{Decision, DropCause, EntryFilter};
pub use job::{Job, JobInput, JobKind, Reason};
pub use kernel::{merge, DropContext, MergeOutput, MergeStats, OutputSpec};
pub use strategy::{PickContext, Strategy};

#[cfg(test)]
mod picker_tests;

#[cfg(test)]
mod kernel_tests;
