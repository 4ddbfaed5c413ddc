//! Read-only bytes shared by reference count: what
//! [`RandomAccessFile::read_at`](super::RandomAccessFile::read_at) returns,
//! so that an in-memory file can hand out a slice of its own storage instead
//! of a copy, and a block read once can be held by a cursor and the block
//! cache at the same time.

use std::fmt;
use std::ops::{Deref, Range};
use std::sync::Arc;

/// An immutable byte string: a range of a reference-counted buffer.
///
/// Cloning and slicing share the buffer; the bytes never change while any
/// `SharedBytes` refers to them (an owner that wants to modify a shared
/// buffer copies it first, as `Arc::make_mut` does).
///
/// INVARIANT: `range.start <= range.end <= owner.len()`.
#[derive(Clone)]
pub struct SharedBytes {
    owner: Arc<Vec<u8>>,
    range: Range<usize>,
}

impl SharedBytes {
    /// The bytes `range` of the shared buffer `owner`.
    ///
    /// REQUIRES: `range.start <= range.end <= owner.len()` (panics otherwise).
    pub fn from_shared(owner: Arc<Vec<u8>>, range: Range<usize>) -> SharedBytes {
        assert!(
            range.start <= range.end && range.end <= owner.len(),
            "range {range:?} outside a {}-byte buffer",
            owner.len()
        );
        SharedBytes { owner, range }
    }

    /// The bytes as a slice.
    pub fn as_slice(&self) -> &[u8] {
        &self.owner[self.range.clone()]
    }

    /// The bytes `range` of these bytes, sharing the buffer.
    ///
    /// REQUIRES: `range.start <= range.end <= self.len()` (panics otherwise).
    pub fn slice(&self, range: Range<usize>) -> SharedBytes {
        assert!(
            range.start <= range.end && range.end <= self.len(),
            "range {range:?} outside {} bytes",
            self.len()
        );
        SharedBytes {
            owner: self.owner.clone(),
            range: self.range.start + range.start..self.range.start + range.end,
        }
    }

    /// Bytes of memory the shared buffer takes: more than [`Deref`]'s
    /// length when these bytes are a slice of a larger buffer.
    pub fn buffer_len(&self) -> usize {
        self.owner.capacity()
    }

    /// These bytes in a buffer of their own: for keeping them long after
    /// the buffer they came from is gone, e.g. in a cache, without pinning
    /// the rest of it. A copy only when the buffer is more than an eighth
    /// larger than the bytes (a block read from disk keeps its buffer, whose
    /// only extra is the 4-byte trailer; a block sliced from an in-memory
    /// file's 64 KiB chunk is copied).
    pub fn compact(self) -> SharedBytes {
        if self.buffer_len() - self.len() <= self.len() / 8 {
            self
        } else {
            SharedBytes::from(self.as_slice().to_vec())
        }
    }

    /// Starts loading the shared buffer's reference count into the CPU's
    /// cache (see [`crate::cpu_prefetch`]): for an owner about to drop
    /// bytes it has not touched in a while.
    pub fn prefetch_owner(&self) {
        // The counts sit just before the value in std's `Arc` today; were
        // that to change, the prefetch would only load a line for nothing.
        let counts = 2 * std::mem::size_of::<usize>();
        let start = Arc::as_ptr(&self.owner).cast::<u8>().wrapping_sub(counts);
        crate::cpu_prefetch::prefetch_bytes(start, counts + std::mem::size_of::<Vec<u8>>());
    }

    /// The whole buffer these bytes are a range of, for reuse, when they
    /// hold the only reference to it; `None` otherwise.
    pub fn into_buffer(self) -> Option<Vec<u8>> {
        Arc::try_unwrap(self.owner).ok()
    }

    /// The bytes as an owned vector: without a copy when these bytes start
    /// their buffer and hold the only reference to it.
    pub fn into_vec(self) -> Vec<u8> {
        let SharedBytes { owner, range } = self;
        if range.start == 0 {
            match Arc::try_unwrap(owner) {
                Ok(mut v) => {
                    v.truncate(range.end);
                    v
                }
                Err(owner) => owner[range].to_vec(),
            }
        } else {
            owner[range].to_vec()
        }
    }
}

impl From<Vec<u8>> for SharedBytes {
    /// Takes the vector as the buffer, without a copy.
    fn from(v: Vec<u8>) -> SharedBytes {
        let range = 0..v.len();
        SharedBytes {
            owner: Arc::new(v),
            range,
        }
    }
}

impl Deref for SharedBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for SharedBytes {
    fn eq(&self, other: &SharedBytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SharedBytes {}

impl PartialEq<[u8]> for SharedBytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for SharedBytes {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl fmt::Debug for SharedBytes {
    /// The bytes, as a byte slice prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_share_the_buffer_and_see_the_right_bytes() {
        let all = SharedBytes::from(b"hello, world".to_vec());
        let world = all.slice(7..12);
        assert_eq!(world, b"world");
        assert_eq!(world.slice(1..3), b"or");
        assert_eq!(world.buffer_len(), 12, "a slice keeps the whole buffer");
        let compact = world.clone().compact();
        assert_eq!(compact, world);
        assert_eq!(
            compact.buffer_len(),
            5,
            "compact copies into its own buffer"
        );
        // A few bytes of slack (a block's trailer) are kept, not copied.
        let block = SharedBytes::from(vec![7u8; 4100]).slice(0..4096);
        assert_eq!(block.clone().compact().buffer_len(), 4100);
        assert_eq!(all.slice(3..3).len(), 0);
    }

    #[test]
    fn into_vec_takes_a_sole_buffer_and_copies_a_shared_one() {
        let v = b"abcdef".to_vec();
        let ptr = v.as_ptr();
        let whole = SharedBytes::from(v);
        let head = whole.slice(0..4);
        drop(whole);
        let out = head.into_vec();
        assert_eq!(out, b"abcd");
        assert_eq!(out.as_ptr(), ptr, "the only reference: no copy");

        let whole = SharedBytes::from(b"abcdef".to_vec());
        let tail = whole.slice(2..6);
        assert_eq!(tail.into_vec(), b"cdef");
        assert_eq!(whole.into_vec(), b"abcdef");
    }

    #[test]
    #[should_panic(expected = "outside")]
    fn a_slice_past_the_end_is_refused() {
        SharedBytes::from(vec![1, 2, 3]).slice(2..4);
    }
}
