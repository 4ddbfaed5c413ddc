//! Compaction: policies that choose ([`Strategy`] implementations) around
//! one merge kernel that does all the reading and writing.

mod filter;
mod job;
mod kernel;
mod strategy;

pub use filter::{Decision, DropCause, EntryFilter};
pub use job::{Job, JobInput, JobKind, Reason};
pub use kernel::{merge, MergeOutput, MergeStats, OutputSpec};
pub use strategy::{PickContext, Shape, Strategy};
