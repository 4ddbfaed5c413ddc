//! Remote compaction: a merge job run by a compaction worker over TCP
//! instead of on the writer's thread. The writer sends a [`RemoteJob`]
//! (input file numbers, output level and shape, the drop rules' snapshot
//! and older-data context, output file numbers it reserved); the worker
//! reads the inputs from the shared directory, runs the same merge kernel
//! ([`execute()`]), writes outputs under the reserved numbers and returns
//! their metadata ([`RemoteResult`]). The writer verifies every output
//! (checksums, metadata, key range) before installing them with one
//! manifest edit, as for a local job; a worker that fails, hangs past the
//! deadline or returns damaged output changes nothing: its outputs are
//! deleted and the job runs on the next worker or locally.
//!
//! - [`codec`]: the job and result messages and their framing.
//! - [`mod@execute`]: what a worker does with a job.
//! - [`tcp`]: the writer's client ([`TcpCompactionService`]) and the
//!   worker's server loop ([`serve`]).

pub mod codec;
pub mod execute;
pub mod tcp;

pub use codec::{FileRange, RemoteJob, RemoteResult};
pub use execute::execute;
pub use tcp::{serve, LocalWorkers, TcpCompactionService, WorkerFault};

use crate::error::Result;

/// Where merge jobs run when not on the writer's thread.
pub trait CompactionService: Send + Sync {
    /// One attempt at running `job` somewhere: its outputs' metadata, or an
    /// error when it could not.
    fn run(&self, job: &RemoteJob) -> Result<RemoteResult>;

    /// Attempts the writer makes per job, each with output numbers of its
    /// own, before it runs the job itself.
    fn attempts(&self) -> usize {
        1
    }
}
