//! RocksDB's integer and string encodings (`util/coding.h`): little-endian
//! fixed-width integers, LEB128 varints and varint-length-prefixed bytes.
//! Reads are bounds-checked and report where in their buffer they failed.

/// Reads a buffer front to back; every read checks the bytes are there.
pub(crate) struct Input<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// A failed read: the position in the buffer and what was expected.
pub(crate) type Short = (usize, String);

impl<'a> Input<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Input { bytes, pos: 0 }
    }

    /// Bytes read so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos == self.bytes.len()
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], Short> {
        let left = self.bytes.len() - self.pos;
        if n > left {
            return Err((
                self.pos,
                format!("{what} needs {n} bytes, only {left} left"),
            ));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, Short> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn fixed32(&mut self, what: &str) -> Result<u32, Short> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn fixed64(&mut self, what: &str) -> Result<u64, Short> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A varint of at most 5 bytes whose value fits 32 bits.
    pub(crate) fn varint32(&mut self, what: &str) -> Result<u32, Short> {
        let start = self.pos;
        let mut value = 0u64;
        for shift in (0..35).step_by(7) {
            let byte = self
                .u8(what)
                .map_err(|_| (start, format!("{what}: truncated varint")))?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return u32::try_from(value)
                    .map_err(|_| (start, format!("{what}: varint above 2^32")));
            }
        }
        Err((start, format!("{what}: varint longer than 5 bytes")))
    }

    /// A varint32 length, then that many bytes.
    pub(crate) fn length_prefixed(&mut self, what: &str) -> Result<&'a [u8], Short> {
        let n = self.varint32(what)?;
        self.take(n as usize, what)
    }
}

pub(crate) fn put_fixed32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_fixed64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_varint32(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(crate) fn put_length_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    // Callers keep keys and values far below 4 GiB (checked by the writer).
    put_varint32(out, bytes.len() as u32);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn varints_and_strings_round_trip(v in any::<u32>(), s in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut out = Vec::new();
            put_varint32(&mut out, v);
            put_length_prefixed(&mut out, &s);
            put_fixed32(&mut out, v);
            put_fixed64(&mut out, u64::from(v) << 20);
            let mut input = Input::new(&out);
            prop_assert_eq!(input.varint32("v").unwrap(), v);
            prop_assert_eq!(input.length_prefixed("s").unwrap(), &s[..]);
            prop_assert_eq!(input.fixed32("f").unwrap(), v);
            prop_assert_eq!(input.fixed64("g").unwrap(), u64::from(v) << 20);
            prop_assert!(input.is_empty());
        }

        #[test]
        fn truncated_input_is_an_error_not_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
            let mut input = Input::new(&bytes);
            let _ = input.length_prefixed("s");
            let _ = input.fixed64("f");
            let _ = input.varint32("v");
        }
    }

    #[test]
    fn overlong_varints_are_refused() {
        let mut input = Input::new(&[0xff, 0xff, 0xff, 0xff, 0x7f]);
        assert!(input.varint32("n").unwrap_err().1.contains("above 2^32"));
        let mut input = Input::new(&[0x80; 6]);
        assert!(input.varint32("n").unwrap_err().1.contains("longer than 5"));
        let mut input = Input::new(&[0x05, 1, 2]);
        let (at, why) = input.length_prefixed("key").unwrap_err();
        assert_eq!(at, 1);
        assert_eq!(why, "key needs 5 bytes, only 2 left");
    }
}
