//! Where a scan puts the pairs it finds: a vector of owned pairs, or one
//! buffer a caller reuses from scan to scan.

/// A user key and its value.
pub(super) type KeyValue = (Vec<u8>, Vec<u8>);

/// A scan's output (see `ScanPlan::run`).
pub(super) trait ScanSink {
    /// Pairs held.
    fn len(&self) -> usize;
    /// Adds a pair, copying it.
    fn push(&mut self, key: &[u8], value: &[u8]);
    /// Adds a pair already owned.
    fn push_owned(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.push(&key, &value);
    }
    /// Drops every pair (the scan starts again).
    fn clear(&mut self);
}

impl ScanSink for Vec<KeyValue> {
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn push(&mut self, key: &[u8], value: &[u8]) {
        Vec::push(self, (key.to_vec(), value.to_vec()));
    }

    fn push_owned(&mut self, key: Vec<u8>, value: Vec<u8>) {
        Vec::push(self, (key, value));
    }

    fn clear(&mut self) {
        Vec::clear(self);
    }
}

/// The pairs of one scan, in key order, in one buffer the caller keeps
/// (see [`Db::scan_into`](crate::Db::scan_into)): a caller that scans again
/// and again allocates nothing per pair once the buffer has grown.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScanBuffer {
    /// Keys and values back to back.
    bytes: Vec<u8>,
    /// Per pair: where its key starts, the key's length, the value's.
    pairs: Vec<(usize, usize, usize)>,
}

impl ScanBuffer {
    /// An empty buffer.
    pub fn new() -> ScanBuffer {
        ScanBuffer::default()
    }

    /// Pairs held.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// True when the scan found nothing.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The `i`th pair, `(key, value)`.
    pub fn get(&self, i: usize) -> Option<(&[u8], &[u8])> {
        let &(at, k, v) = self.pairs.get(i)?;
        Some((&self.bytes[at..at + k], &self.bytes[at + k..at + k + v]))
    }

    /// The pairs in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

impl ScanSink for ScanBuffer {
    fn len(&self) -> usize {
        self.pairs.len()
    }

    fn push(&mut self, key: &[u8], value: &[u8]) {
        self.pairs.push((self.bytes.len(), key.len(), value.len()));
        self.bytes.extend_from_slice(key);
        self.bytes.extend_from_slice(value);
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.pairs.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The buffer gives back what was pushed, in order, owned or not, and
    /// is empty after a clear.
    #[test]
    fn a_buffer_holds_pairs_in_order() {
        let mut b = ScanBuffer::new();
        b.push(b"a", b"1");
        b.push_owned(b"bb".to_vec(), Vec::new());
        b.push(b"", b"333");
        let pairs: Vec<_> = b.iter().collect();
        assert_eq!(
            pairs,
            vec![
                (&b"a"[..], &b"1"[..]),
                (&b"bb"[..], &b""[..]),
                (&b""[..], &b"333"[..])
            ]
        );
        assert_eq!(b.get(3), None);
        ScanSink::clear(&mut b);
        assert!(b.is_empty());
        assert_eq!(b.iter().count(), 0);
    }
}
