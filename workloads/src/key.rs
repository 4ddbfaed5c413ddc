//! Key encodings: fixed-width big-endian integers, so byte order is numeric
//! order and an engine's sorted runs line up with key indices.

/// The smallest key size: the 8 bytes of a big-endian `u64`.
pub const MIN_KEY_SIZE: usize = 8;

/// The smallest time-series key: an 8-byte series id and an 8-byte timestamp.
pub const MIN_SERIES_KEY_SIZE: usize = 16;

/// Key number `index` as `key_size` bytes: the big-endian `u64` in the last
/// eight bytes, zeros before it. Comparing two keys of one size bytewise
/// compares their indices.
///
/// REQUIRES: `key_size >= MIN_KEY_SIZE` (checked by spec validation).
#[inline]
pub fn encode_key(index: u64, key_size: usize) -> Vec<u8> {
    with_tail(key_size.max(MIN_KEY_SIZE), [index])
}

/// `size` bytes: zeros, then the words of `tail` big-endian.
///
/// Keys are made for every operation: the usual sizes copy a fixed-size
/// array, which compiles to a few stores, where a variable-length fill
/// costs a library call and `vec![0; size]` the allocator's slower path
/// for zeroed memory. REQUIRES: `size >= 8 * W`.
#[inline(always)]
fn with_tail<const W: usize>(size: usize, tail: [u64; W]) -> Vec<u8> {
    match size {
        8 if W == 1 => fixed::<8, W>(tail),
        16 => fixed::<16, W>(tail),
        24 => fixed::<24, W>(tail),
        32 => fixed::<32, W>(tail),
        _ => {
            let mut key = Vec::with_capacity(size);
            key.resize(size - 8 * W, 0);
            for word in tail {
                key.extend_from_slice(&word.to_be_bytes());
            }
            key
        }
    }
}

#[inline(always)]
fn fixed<const N: usize, const W: usize>(tail: [u64; W]) -> Vec<u8> {
    let mut key = [0u8; N];
    let start = N - 8 * W;
    for (i, word) in tail.iter().enumerate() {
        key[start + 8 * i..start + 8 * (i + 1)].copy_from_slice(&word.to_be_bytes());
    }
    key.to_vec()
}

/// The index of a key made by [`encode_key`]; `None` if it is shorter than
/// eight bytes or has a non-zero byte in its padding.
pub fn decode_key(key: &[u8]) -> Option<u64> {
    let tail = key.len().checked_sub(8)?;
    if key[..tail].iter().any(|&b| b != 0) {
        return None;
    }
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&key[tail..]);
    Some(u64::from_be_bytes(bytes))
}

/// A time-series key: `series` encoded as by [`encode_key`] in the first
/// `key_size - 8` bytes, then the timestamp (simulated microseconds)
/// big-endian. Keys sort by series, then by time.
///
/// REQUIRES: `key_size >= MIN_SERIES_KEY_SIZE`.
#[inline]
pub fn encode_series_key(series: u64, timestamp_us: u64, key_size: usize) -> Vec<u8> {
    with_tail(key_size.max(MIN_SERIES_KEY_SIZE), [series, timestamp_us])
}

/// `(series, timestamp_us)` of a key made by [`encode_series_key`].
pub fn decode_series_key(key: &[u8]) -> Option<(u64, u64)> {
    if key.len() < MIN_SERIES_KEY_SIZE {
        return None;
    }
    let (series, ts) = key.split_at(key.len() - 8);
    Some((decode_key(series)?, decode_key(ts)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn layout_is_padded_big_endian() {
        assert_eq!(
            encode_key(0x0102, 16),
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]
        );
        assert_eq!(encode_key(7, 8), [0, 0, 0, 0, 0, 0, 0, 7]);
        assert_eq!(decode_key(&[1, 0, 0, 0, 0, 0, 0, 0, 5]), None);
        assert_eq!(decode_key(&[0; 7]), None);
        let k = encode_series_key(3, 500, 20);
        assert_eq!(k.len(), 20);
        assert_eq!(decode_series_key(&k), Some((3, 500)));
        assert_eq!(decode_series_key(&k[..15]), None);
    }

    proptest! {
        #[test]
        fn byte_order_is_numeric_order(a: u64, b: u64, size in 8usize..40) {
            let (ka, kb) = (encode_key(a, size), encode_key(b, size));
            let mut layout = vec![0u8; size - 8];
            layout.extend_from_slice(&a.to_be_bytes());
            prop_assert_eq!(&ka, &layout);
            prop_assert_eq!(ka.cmp(&kb), a.cmp(&b));
            prop_assert_eq!(decode_key(&ka), Some(a));
        }

        #[test]
        fn series_keys_sort_by_series_then_time(
            s1 in 0u64..1 << 32, t1: u64, s2 in 0u64..1 << 32, t2: u64, size in 16usize..40,
        ) {
            let (k1, k2) = (encode_series_key(s1, t1, size), encode_series_key(s2, t2, size));
            let mut layout = encode_key(s1, size - 8);
            layout.extend_from_slice(&t1.to_be_bytes());
            prop_assert_eq!(&k1, &layout);
            prop_assert_eq!(k1.cmp(&k2), (s1, t1).cmp(&(s2, t2)));
            prop_assert_eq!(decode_series_key(&k1), Some((s1, t1)));
        }
    }
}
