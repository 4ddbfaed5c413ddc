//! Workloads with a shape of their own rather than a key distribution
//! under the shared mix: db_bench's mixgraph, a queue, bulk deletes of key
//! ranges. Each is a stream that yields every op of its workload.

mod bulk_delete;
mod queue;

use crate::mixgraph;
use crate::op::Op;
use crate::spec::{Distribution, WorkloadSpec};

/// The stream of a workload whose distribution is a model.
#[derive(Clone, Debug)]
pub(crate) enum Model {
    MixGraph(mixgraph::Stream),
    Queue(queue::Queue),
    BulkDelete(bulk_delete::BulkDelete),
}

impl Model {
    /// `None` for the distributions the shared mix drives.
    /// REQUIRES: a validated spec.
    pub(crate) fn new(spec: &WorkloadSpec) -> Option<Model> {
        Some(match spec.distribution {
            Distribution::MixGraph => Model::MixGraph(mixgraph::Stream::new(spec)),
            Distribution::Queue => Model::Queue(queue::Queue::new(spec)),
            Distribution::BulkDelete => Model::BulkDelete(bulk_delete::BulkDelete::new(spec)),
            _ => return None,
        })
    }

    /// Op `index`; ops are asked for in order.
    pub(crate) fn op(&mut self, index: u64) -> Op {
        match self {
            Model::MixGraph(s) => s.op(index),
            Model::Queue(q) => q.op(index),
            Model::BulkDelete(b) => b.op(index),
        }
    }
}

/// Salts of the models' random streams (apart from the generator's).
pub(crate) const SALT_MODEL_OPS: u64 = 21;

#[cfg(test)]
mod tests;
