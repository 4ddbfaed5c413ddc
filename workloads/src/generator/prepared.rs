//! The beginnings of the next ops, computed ahead of them and side by side.
//!
//! An op is one long chain of dependent arithmetic (three hashes, then
//! for zipfian keys a logarithm, a power and a permutation), and the
//! processor cannot look far enough ahead to overlap one op's chain with
//! the next: generation is bound by latency. So the parts of the next two
//! ops that depend on their indices alone (random streams, first draws,
//! first zipfian candidates) are computed together, their chains
//! interleaved, while the op before them is generated. The values are
//! those each op would compute itself: preparing changes no stream.

use super::{Choice, Keys, Plan};
use crate::rng::SplitMix64;
use crate::zipf::Candidate;

/// The beginnings of ops `first` and `first + 1`.
#[derive(Clone, Debug)]
pub(super) struct Prepared {
    /// `u64::MAX` when nothing is prepared (indices stay below 2^63).
    pub(super) first: u64,
    lanes: [Lane; 2],
}

/// The beginning of one op.
#[derive(Clone, Debug)]
pub(super) struct Lane {
    /// The op's stream after its first draw.
    pub(super) rng: SplitMix64,
    /// The operation its first draw picks, and `rng.peek()`.
    pub(super) choice: Choice,
    pub(super) next_draw: u64,
    /// For zipfian keys, the zipf sampler's first candidate for
    /// `next_draw`, unless the op is an insert.
    pub(super) candidate: Option<Candidate>,
}

impl Lane {
    #[inline]
    pub(super) fn new(plan: &Plan, index: u64) -> Lane {
        let mut rng = SplitMix64::for_op(plan.op_key, index);
        let choice = plan.choose(rng.next_u64());
        Lane {
            next_draw: rng.peek(),
            rng,
            choice,
            candidate: None,
        }
    }
}

impl Prepared {
    const NONE: u64 = u64::MAX;

    pub(super) fn none(plan: &Plan) -> Prepared {
        let lane = Lane::new(plan, 0);
        Prepared {
            first: Self::NONE,
            lanes: [lane.clone(), lane],
        }
    }

    /// Prepares ops `first` and `first + 1` (which may lie past the
    /// stream's end: it is never used then).
    #[inline]
    pub(super) fn new(plan: &Plan, keys: &Keys, first: u64) -> Prepared {
        let mut lanes = [Lane::new(plan, first), Lane::new(plan, first + 1)];
        // Not for `latest` keys, whose zipf size changes as keys are
        // inserted: there it measured slower.
        if let Keys::Zipfian { zipf, .. } = keys {
            // Inserts need no key: no candidate.
            let [a, b] = &mut lanes;
            match (a.choice != Choice::Insert, b.choice != Choice::Insert) {
                (true, true) => {
                    let [ca, cb] = zipf.first_candidates([a.next_draw, b.next_draw]);
                    (a.candidate, b.candidate) = (Some(ca), Some(cb));
                }
                (true, false) => a.candidate = Some(zipf.first_candidate(a.next_draw)),
                (false, true) => b.candidate = Some(zipf.first_candidate(b.next_draw)),
                (false, false) => {}
            }
        }
        Prepared { first, lanes }
    }

    /// The beginning of op `index`, prepared or computed now, and whether
    /// the next op needs preparing.
    #[inline]
    pub(super) fn take(&self, plan: &Plan, index: u64) -> (Lane, bool) {
        match index.checked_sub(self.first) {
            Some(0) => (self.lanes[0].clone(), false),
            Some(1) => (self.lanes[1].clone(), true),
            _ => (Lane::new(plan, index), true),
        }
    }
}
