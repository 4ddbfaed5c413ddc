//! Compaction: policies that choose ([`Strategy`] implementations) around
//! one merge kernel that does all the reading and writing.

mod config;
mod debt;
mod fifo;
mod filter;
mod job;
mod kernel;
mod level_picker;
mod leveled;
mod min_overlap;
mod round_robin;
mod size_tiered;
mod strategy;

pub use config::{CompactionOptions, Policy};
pub use debt::pending_compaction_bytes;
pub use fifo::Fifo;
pub use leveled::Leveled;
pub use min_overlap::MinOverlap;
pub use round_robin::RoundRobin;
pub use size_tiered::SizeTiered;

pub use filter::{Decision, DropCause, EntryFilter};
pub use job::{Job, JobInput, JobKind, Reason};
pub use kernel::{merge, MergeOutput, MergeStats, OutputSpec};
pub use strategy::{PickContext, Shape, Strategy};

#[cfg(test)]
mod picker_tests;

#[cfg(test)]
mod kernel_tests;
