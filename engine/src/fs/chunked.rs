//! The bytes of one in-memory file, held in fixed-size chunks so that
//! appending never copies what is already stored (a single growing buffer
//! copies its contents at every doubling). Chunks are reference-counted, so
//! a read that lies in one chunk hands out a slice of it without a copy.

use std::sync::Arc;

use super::shared::SharedBytes;

/// Bytes of one chunk. Large enough that the chunk table is small, small
/// enough that the last chunk's slack is a few percent of a table file.
pub(crate) const CHUNK: usize = 64 << 10;

/// A byte string stored as chunks of [`CHUNK`] bytes.
///
/// INVARIANT: every chunk but the last holds exactly `CHUNK` bytes; the last
/// holds between 1 and `CHUNK` (there is no empty chunk); `len` is the sum.
/// A chunk shared with a reader ([`ChunkedBytes::read_shared`]) is copied
/// before it is modified (`Arc::make_mut`), so handed-out bytes never change.
#[derive(Debug, Default)]
pub(crate) struct ChunkedBytes {
    chunks: Vec<Arc<Vec<u8>>>,
    len: usize,
}

impl ChunkedBytes {
    /// Bytes stored.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Bytes of memory the chunks take (their capacities).
    pub(crate) fn capacity(&self) -> usize {
        self.chunks.iter().map(|c| c.capacity()).sum()
    }

    /// Appends `data` at the end.
    pub(crate) fn append(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let room = match self.chunks.last() {
                Some(last) if last.len() < CHUNK => CHUNK - last.len(),
                _ => {
                    self.chunks.push(Arc::new(Vec::with_capacity(CHUNK)));
                    CHUNK
                }
            };
            let (now, rest) = data.split_at(room.min(data.len()));
            let last = Arc::make_mut(self.chunks.last_mut().expect("pushed above"));
            if last.capacity() < last.len() + now.len() {
                // A chunk trimmed by `trim` and appended to again.
                last.reserve_exact(CHUNK - last.len());
            }
            last.extend_from_slice(now);
            self.len += now.len();
            data = rest;
        }
    }

    /// A copy of the bytes in `start..end`.
    ///
    /// REQUIRES: `start <= end <= self.len()`.
    pub(crate) fn read(&self, start: usize, end: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(end - start);
        let mut at = start;
        while at < end {
            let (chunk, off) = (at / CHUNK, at % CHUNK);
            let take = (CHUNK - off).min(end - at);
            out.extend_from_slice(&self.chunks[chunk][off..off + take]);
            at += take;
        }
        out
    }

    /// Asks the CPU to load the cache lines of `start..end` (a hint: it
    /// reads nothing the program sees, and an empty or out-of-range span
    /// does nothing).
    pub(crate) fn prefetch(&self, start: usize, end: usize) {
        let mut at = start;
        while at < end.min(self.len) {
            let (chunk, off) = (at / CHUNK, at % CHUNK);
            let bytes = &self.chunks[chunk][off..];
            let take = bytes.len().min(end - at);
            crate::cpu_prefetch::prefetch_bytes(bytes.as_ptr(), take);
            at += take;
        }
    }

    /// The bytes in `start..end`: a shared slice of the chunk holding them
    /// when they lie in one chunk, else a copy.
    ///
    /// REQUIRES: `start <= end <= self.len()`.
    pub(crate) fn read_shared(&self, start: usize, end: usize) -> SharedBytes {
        let (chunk, off) = (start / CHUNK, start % CHUNK);
        if start < end && off + (end - start) <= CHUNK {
            SharedBytes::from_shared(self.chunks[chunk].clone(), off..off + (end - start))
        } else {
            SharedBytes::from(self.read(start, end))
        }
    }

    /// Overwrites the bytes at `start` with `data`.
    ///
    /// REQUIRES: `start + data.len() <= self.len()`.
    pub(crate) fn overwrite(&mut self, start: usize, mut data: &[u8]) {
        let mut at = start;
        while !data.is_empty() {
            let (chunk, off) = (at / CHUNK, at % CHUNK);
            let take = (CHUNK - off).min(data.len());
            Arc::make_mut(&mut self.chunks[chunk])[off..off + take].copy_from_slice(&data[..take]);
            data = &data[take..];
            at += take;
        }
    }

    /// Keeps the first `len` bytes (no-op when `len >= self.len()`).
    pub(crate) fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let keep = len.div_ceil(CHUNK);
        self.chunks.truncate(keep);
        if let Some(last) = self.chunks.last_mut() {
            Arc::make_mut(last).truncate(len - (keep - 1) * CHUNK);
        }
        self.len = len;
    }

    /// Returns the last chunk's unused capacity (a file that is complete).
    pub(crate) fn trim(&mut self) {
        if let Some(last) = self.chunks.last_mut() {
            if last.capacity() > last.len() {
                Arc::make_mut(last).shrink_to_fit();
            }
        }
        self.chunks.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Append(usize, u8),
        Overwrite(usize, usize, u8),
        Truncate(usize),
        Trim,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0usize..3 * CHUNK, any::<u8>()).prop_map(|(n, b)| Op::Append(n, b)),
            1 => (any::<usize>(), 0usize..CHUNK + 10, any::<u8>())
                .prop_map(|(at, n, b)| Op::Overwrite(at, n, b)),
            1 => any::<usize>().prop_map(Op::Truncate),
            1 => Just(Op::Trim),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Chunked bytes behave as one `Vec<u8>` under every operation.
        #[test]
        fn behaves_as_one_buffer(ops in proptest::collection::vec(op(), 1..12), reads in proptest::collection::vec((any::<usize>(), any::<usize>()), 4)) {
            let (mut c, mut model) = (ChunkedBytes::default(), Vec::<u8>::new());
            for op in ops {
                match op {
                    Op::Append(n, b) => {
                        let data: Vec<u8> = (0..n).map(|i| b.wrapping_add(i as u8)).collect();
                        c.append(&data);
                        model.extend_from_slice(&data);
                    }
                    Op::Overwrite(at, n, b) if !model.is_empty() => {
                        let at = at % model.len();
                        let n = n.min(model.len() - at);
                        let data = vec![b; n];
                        c.overwrite(at, &data);
                        model[at..at + n].copy_from_slice(&data);
                    }
                    Op::Overwrite(..) => {}
                    Op::Truncate(len) => {
                        let len = len % (model.len() + 1);
                        c.truncate(len);
                        model.truncate(len);
                    }
                    Op::Trim => c.trim(),
                }
                prop_assert_eq!(c.len(), model.len());
                prop_assert!(c.capacity() >= c.len());
            }
            prop_assert_eq!(c.read(0, c.len()), model.clone());
            let mut held = Vec::new();
            for (a, b) in reads {
                let (a, b) = (a % (model.len() + 1), b % (model.len() + 1));
                let (a, b) = (a.min(b), a.max(b));
                prop_assert_eq!(c.read(a, b), model[a..b].to_vec());
                let shared = c.read_shared(a, b);
                prop_assert_eq!(&*shared, &model[a..b]);
                held.push((shared, model[a..b].to_vec()));
            }
            // Bytes handed out never change: writes copy a shared chunk first.
            if !model.is_empty() {
                c.overwrite(0, &vec![0xEE; model.len().min(CHUNK + 1)]);
            }
            c.append(&[0xDD; 100]);
            c.truncate(model.len() / 2);
            c.trim();
            for (shared, want) in held {
                prop_assert_eq!(&*shared, &want[..]);
            }
        }
    }

    #[test]
    fn a_trimmed_file_holds_its_bytes_plus_little() {
        let mut c = ChunkedBytes::default();
        c.append(&vec![1u8; 3 * CHUNK + 100]);
        c.trim();
        assert_eq!(c.capacity(), 3 * CHUNK + 100);
        // Appending after a trim grows the last chunk again, up to a chunk.
        c.append(&vec![2u8; CHUNK]);
        assert_eq!(c.len(), 4 * CHUNK + 100);
        assert_eq!(c.read(3 * CHUNK + 99, 3 * CHUNK + 101), vec![1, 2]);
    }

    #[test]
    fn a_read_inside_one_chunk_shares_it_and_one_across_chunks_copies() {
        let mut c = ChunkedBytes::default();
        c.append(&vec![3u8; 2 * CHUNK]);
        c.trim();
        let inside = c.read_shared(CHUNK + 10, CHUNK + 4106);
        assert_eq!(inside.len(), 4096);
        assert_eq!(inside.buffer_len(), CHUNK, "a slice of the chunk itself");
        let across = c.read_shared(CHUNK - 10, CHUNK + 10);
        assert_eq!(&*across, &[3u8; 20][..]);
        assert_eq!(across.buffer_len(), 20, "a copy of its own");
        // Memory is unchanged while a slice is held, and after it is gone.
        assert_eq!(c.capacity(), 2 * CHUNK);
        drop(inside);
        assert_eq!(c.capacity(), 2 * CHUNK);
    }
}
