//! Keys held by value when short: the lab's live-key map stores millions of
//! keys, nearly all a few dozen bytes or less, and a key kept inline costs
//! no allocation and no pointer to follow on each lookup.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

/// Bytes a key may have and still be stored inline.
const INLINE: usize = 30;

/// A byte-string key: inline up to `INLINE` bytes, boxed beyond. Equal,
/// hashed and ordered exactly as its bytes, so maps keyed by it are looked
/// up with a `&[u8]`.
#[derive(Clone)]
pub enum ShortKey {
    /// A key of at most `INLINE` bytes: its length and bytes.
    Inline(u8, [u8; INLINE]),
    /// A longer key.
    Boxed(Box<[u8]>),
}

impl ShortKey {
    /// The key's bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            ShortKey::Inline(len, bytes) => &bytes[..*len as usize],
            ShortKey::Boxed(b) => b,
        }
    }
}

impl From<&[u8]> for ShortKey {
    fn from(key: &[u8]) -> Self {
        if key.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..key.len()].copy_from_slice(key);
            ShortKey::Inline(key.len() as u8, bytes)
        } else {
            ShortKey::Boxed(key.into())
        }
    }
}

impl Borrow<[u8]> for ShortKey {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for ShortKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for ShortKey {}

impl Hash for ShortKey {
    /// As the bytes hash (the `Borrow<[u8]>` contract).
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl PartialOrd for ShortKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ShortKey {
    /// As the bytes compare (the `Borrow<[u8]>` contract for ordered maps).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl std::fmt::Debug for ShortKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn short_and_long_keys_are_found_by_their_bytes() {
        let mut m: HashMap<ShortKey, u32> = HashMap::new();
        let keys: Vec<Vec<u8>> = vec![
            vec![],
            b"user00000042".to_vec(),
            vec![7u8; INLINE],
            vec![9u8; INLINE + 1],
            vec![0u8; 200],
        ];
        for (i, k) in keys.iter().enumerate() {
            m.insert(ShortKey::from(k.as_slice()), i as u32);
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(m.get(k.as_slice()), Some(&(i as u32)), "{k:?}");
            assert_eq!(ShortKey::from(k.as_slice()).as_slice(), k.as_slice());
        }
        assert_eq!(m.get(&b"user00000043"[..]), None);
        // Inline zero padding never makes two keys equal.
        assert_ne!(ShortKey::from(&b"a"[..]), ShortKey::from(&b"a\0"[..]));
        assert!(std::mem::size_of::<ShortKey>() <= 32);
    }
}
