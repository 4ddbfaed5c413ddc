//! Compaction: policies that choose ([`Strategy`] implementations, listed
//! in the [`registry`]) around one merge kernel that does all the reading
//! and writing.

mod config;
mod cost_model;
mod fallbacks;
mod filter;
mod intra_l0;
mod job;
mod kernel;
mod level_compaction;
mod level_picker;
mod level_scores;
mod level_targets;
mod output_cut;
mod policies;
pub mod registry;
mod strategy;
pub mod universal;

pub use config::CompactionOptions;
pub use cost_model::CostModel;
pub use fallbacks::FallbackParams;
pub use level_compaction::{order_by, FilePriority, LevelCompaction, LevelParams, LEVELED_PARAMS};
pub use level_picker::{job_inputs_by_run, LevelPicker};
pub use level_scores::{Compensation, LevelScore};
pub use level_targets::LevelTargets;
pub use output_cut::{OutputCut, OutputCutter};
pub use policies::{
    Fifo, Leveled, MinOverlap, OldestLargestSeqFirst, OldestSmallestSeqFirst, RefinedMinOverlap,
    RoundRobin, SizeTiered, Universal,
};
pub use registry::{PolicyDef, Registry};

pub use filter::{Decision, DropCause, EntryFilter};
pub use job::{Job, JobInput, JobKind, Reason};
pub use kernel::{merge, Checkpoint, DropContext, MergeOutput, MergeStats, OutputSpec};
pub use strategy::{FlushSpan, PickContext, Strategy};

#[cfg(test)]
mod picker_tests;

#[cfg(test)]
mod kernel_tests;
