//! A search over many sorted keys that reads one flat array of integers
//! instead of following a pointer to each key: the table index and a
//! sorted run's files both find a key's place with it.

use std::ops::Range;

use crate::key::{common_prefix_len, prefix_number};

/// Numbers between two fences (two cache lines of them).
const FENCE_STRIDE: usize = 16;

/// Sorted user keys, each as [`prefix_number`] of its bytes past the
/// prefix all of them share: keys in order have numbers in order, so the
/// numbers narrow a search to the keys whose number ties with the
/// target's, and only those need their bytes compared.
///
/// INVARIANT: `numbers` non-decreasing; `fences` is every
/// [`FENCE_STRIDE`]th number (a search finds its stretch of `numbers`
/// there first, in a few cache lines that stay warm across searches).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyNumbers {
    /// The prefix every key shares.
    shared: Box<[u8]>,
    numbers: Vec<u64>,
    fences: Vec<u64>,
}

impl KeyNumbers {
    /// The numbers of `keys`, which must be sorted.
    pub fn new<'a>(keys: impl ExactSizeIterator<Item = &'a [u8]> + Clone) -> KeyNumbers {
        let (first, last) = (keys.clone().next(), keys.clone().last());
        let shared: Box<[u8]> = match (first, last) {
            (Some(a), Some(b)) => a[..common_prefix_len(a, b)].into(),
            _ => Box::default(),
        };
        let numbers: Vec<u64> = keys.map(|k| prefix_number(&k[shared.len()..])).collect();
        let fences = numbers.iter().step_by(FENCE_STRIDE).copied().collect();
        KeyNumbers {
            shared,
            numbers,
            fences,
        }
    }

    /// The positions among which the first key not below `key` lies, at
    /// or before the range's end: every key before the range is below
    /// `key`, every key from its end on above it. `None` when `key` lies
    /// outside the shared prefix (the caller compares keys throughout).
    pub fn candidates(&self, key: &[u8]) -> Option<Range<usize>> {
        self.candidates_near(key, |_| {})
    }

    /// [`KeyNumbers::candidates`], telling `near` first the positions the
    /// answer lies among once the fences have narrowed them (a
    /// [`FENCE_STRIDE`] of them and the one after): a caller that keeps an
    /// array beside the numbers can start loading its part of it while the
    /// numbers there are searched.
    pub fn candidates_near(
        &self,
        key: &[u8],
        near: impl FnOnce(Range<usize>),
    ) -> Option<Range<usize>> {
        let p = prefix_number(key.strip_prefix(&self.shared[..])?);
        let lo = self.first_not_below(p, near);
        Some(lo..self.end_of_ties(lo, p))
    }

    /// Starts loading the fences, where every search begins (see
    /// [`crate::cpu_prefetch`]): a few cache lines fetched together
    /// rather than one after another by the search's halving.
    pub fn prefetch_fences(&self) {
        crate::cpu_prefetch::prefetch_bytes(
            self.fences.as_ptr().cast(),
            std::mem::size_of_val(&self.fences[..]),
        );
    }

    /// The first position from `lo` on whose number is not `p`, where
    /// `numbers[lo..]` starts with the ties of `p`: the same as
    /// `lo + numbers[lo..].partition_point(|&q| q == p)`. Ties are few (one
    /// key, or none, nearly always), so the search gallops out from `lo`
    /// through the cache lines the caller just read instead of halving
    /// the rest of the array, a cache miss a step.
    fn end_of_ties(&self, lo: usize, p: u64) -> usize {
        let rest = &self.numbers[lo..];
        let mut known = 0; // rest[..known] all tie
        let mut step = 1;
        while known < rest.len() && rest[known] == p {
            known += 1;
            let probe = (known + step).min(rest.len());
            if rest[probe - 1] != p {
                return lo + known + rest[known..probe].partition_point(|&q| q == p);
            }
            known = probe;
            step *= 2;
        }
        lo + known
    }

    /// The first position whose number is not below `p`: the same as
    /// `numbers.partition_point(|&q| q < p)`.
    fn first_not_below(&self, p: u64, near: impl FnOnce(Range<usize>)) -> usize {
        // Fences below `p`: the answer is past the last of them and at or
        // before the next.
        let below = self.fences.partition_point(|&f| f < p);
        if below == 0 {
            return 0;
        }
        let start = (below - 1) * FENCE_STRIDE + 1;
        let end = (below * FENCE_STRIDE).min(self.numbers.len());
        near(start..end + 1);
        start + self.numbers[start..end].partition_point(|&q| q < p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The search through the fences finds what a binary search over
        /// every number finds, with runs of equal numbers across fences,
        /// and the stretch it names first (for the caller's prefetch) holds
        /// the answer.
        #[test]
        fn the_fenced_search_is_a_partition_point(
            mut numbers in prop::collection::vec(0u64..60, 0..200),
            p in 0u64..62,
        ) {
            numbers.sort_unstable();
            let fences = numbers.iter().step_by(FENCE_STRIDE).copied().collect();
            let k = KeyNumbers { shared: Box::default(), numbers, fences };
            let mut near = None;
            let found = k.first_not_below(p, |r| near = Some(r));
            prop_assert_eq!(found, k.numbers.partition_point(|&q| q < p));
            if let Some(r) = near {
                prop_assert!(r.contains(&found), "{found} outside {r:?}");
                prop_assert!(r.len() <= FENCE_STRIDE + 1);
            } else {
                prop_assert_eq!(found, 0, "only an answer before every fence goes unnamed");
            }
        }

        /// The galloping search for the end of a run of ties ends where a
        /// binary search over the rest of the numbers does, for runs of
        /// every length (none, one, many, to the end).
        #[test]
        fn the_ties_end_where_a_partition_point_says(
            mut numbers in prop::collection::vec(0u64..6, 0..300),
            p in 0u64..7,
        ) {
            numbers.sort_unstable();
            let fences = numbers.iter().step_by(FENCE_STRIDE).copied().collect();
            let k = KeyNumbers { shared: Box::default(), numbers, fences };
            let lo = k.first_not_below(p, |_| {});
            prop_assert_eq!(
                k.end_of_ties(lo, p),
                lo + k.numbers[lo..].partition_point(|&q| q == p)
            );
        }

        /// Keys before the candidates are below the target, keys from
        /// their end on are above it: the first key not below the target
        /// is among them or at their end.
        #[test]
        fn the_candidates_hold_the_first_key_not_below(
            keys in prop::collection::btree_set(
                prop::collection::vec(prop::sample::select(vec![0u8, 1, b'a', 255]), 0..12),
                0..120),
            shared in prop::collection::vec(prop::sample::select(vec![0u8, b'a', 255]), 0..10),
            target in prop::collection::vec(prop::sample::select(vec![0u8, 1, b'a', 255]), 0..12),
            target_shares in any::<bool>(),
        ) {
            let keys: Vec<Vec<u8>> = keys.into_iter().map(|k| [shared.clone(), k].concat()).collect();
            let target = if target_shares { [shared.clone(), target].concat() } else { target };
            let k = KeyNumbers::new(keys.iter().map(Vec::as_slice));
            let first = keys.partition_point(|k| k < &target);
            match k.candidates(&target) {
                Some(r) => prop_assert!(r.start <= first && first <= r.end, "{r:?} {first}"),
                None => prop_assert!(!keys.is_empty() && !target.starts_with(&k.shared)),
            }
        }
    }
}
