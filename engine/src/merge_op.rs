//! Merge operators: `merge(key, operand)` records an operand; reads combine
//! a key's operands newest to oldest down to a full value or a deletion, and
//! compaction combines them where no snapshot needs the parts (as RocksDB's
//! `MergeOperator`).

use std::fmt;
use std::sync::Arc;

/// How operands combine. Must be associative: combining `(a, b)` then `c`
/// gives what combining `a` then `(b, c)` does, since compaction folds
/// operands in whatever groups its inputs hold.
pub trait MergeOperator: Send + Sync {
    /// The operator's name (listings, error messages).
    fn name(&self) -> &str;

    /// The value `base` (`None`: absent or deleted) becomes after
    /// `operands`, oldest first.
    fn full_merge(&self, key: &[u8], base: Option<&[u8]>, operands: &[&[u8]]) -> Vec<u8>;

    /// One operand equivalent to `operands` (oldest first), or `None` when
    /// they cannot be combined without a base (then they stay apart).
    fn partial_merge(&self, key: &[u8], operands: &[&[u8]]) -> Option<Vec<u8>>;
}

/// `add`: values are unsigned 64-bit little-endian counters; operands are
/// added with wrap-around. A base that is not 8 bytes long counts as 0.
#[derive(Debug, Default, Clone, Copy)]
pub struct AddU64;

fn as_u64(bytes: &[u8]) -> u64 {
    bytes.try_into().map(u64::from_le_bytes).unwrap_or_default()
}

impl MergeOperator for AddU64 {
    fn name(&self) -> &str {
        "add"
    }

    fn full_merge(&self, _key: &[u8], base: Option<&[u8]>, operands: &[&[u8]]) -> Vec<u8> {
        let start = base.map(as_u64).unwrap_or(0);
        operands
            .iter()
            .fold(start, |acc, op| acc.wrapping_add(as_u64(op)))
            .to_le_bytes()
            .to_vec()
    }

    fn partial_merge(&self, key: &[u8], operands: &[&[u8]]) -> Option<Vec<u8>> {
        Some(self.full_merge(key, None, operands))
    }
}

/// `append`: values are byte strings; operands are appended in order.
#[derive(Debug, Default, Clone, Copy)]
pub struct Append;

impl MergeOperator for Append {
    fn name(&self) -> &str {
        "append"
    }

    fn full_merge(&self, _key: &[u8], base: Option<&[u8]>, operands: &[&[u8]]) -> Vec<u8> {
        let mut out = base.unwrap_or_default().to_vec();
        for op in operands {
            out.extend_from_slice(op);
        }
        out
    }

    fn partial_merge(&self, key: &[u8], operands: &[&[u8]]) -> Option<Vec<u8>> {
        Some(self.full_merge(key, None, operands))
    }
}

/// The merge operator a database uses: none (merges are refused), a
/// built-in chosen by name, or the user's own.
#[derive(Clone, Default)]
pub enum MergeOperatorChoice {
    #[default]
    None,
    Add,
    Append,
    Custom(Arc<dyn MergeOperator>),
}

impl MergeOperatorChoice {
    /// The names of the built-in choices, as the `merge_operator` engine
    /// parameter takes them.
    pub const NAMES: &'static [&'static str] = &["none", "add", "append"];

    /// The choice called `name` (`none`, `add` or `append`).
    pub fn by_name(name: &str) -> Option<MergeOperatorChoice> {
        match name {
            "none" => Some(MergeOperatorChoice::None),
            "add" => Some(MergeOperatorChoice::Add),
            "append" => Some(MergeOperatorChoice::Append),
            _ => None,
        }
    }

    /// The name listings show (`custom` for a user's operator).
    pub fn name(&self) -> &'static str {
        match self {
            MergeOperatorChoice::None => "none",
            MergeOperatorChoice::Add => "add",
            MergeOperatorChoice::Append => "append",
            MergeOperatorChoice::Custom(_) => "custom",
        }
    }

    /// The operator, if merges are on.
    pub fn get(&self) -> Option<&dyn MergeOperator> {
        match self {
            MergeOperatorChoice::None => None,
            MergeOperatorChoice::Add => Some(&AddU64),
            MergeOperatorChoice::Append => Some(&Append),
            MergeOperatorChoice::Custom(op) => Some(op.as_ref()),
        }
    }
}

impl fmt::Debug for MergeOperatorChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeOperatorChoice::Custom(op) => write!(f, "Custom({})", op.name()),
            other => f.write_str(other.name()),
        }
    }
}

impl PartialEq for MergeOperatorChoice {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (MergeOperatorChoice::Custom(a), MergeOperatorChoice::Custom(b)) => Arc::ptr_eq(a, b),
            (a, b) => a.name() == b.name(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(v: u64) -> Vec<u8> {
        v.to_le_bytes().to_vec()
    }

    #[test]
    fn add_counts_and_append_concatenates() {
        let ops = [n(2), n(5)];
        let refs: Vec<&[u8]> = ops.iter().map(Vec::as_slice).collect();
        assert_eq!(AddU64.full_merge(b"k", Some(&n(10)), &refs), n(17));
        assert_eq!(AddU64.full_merge(b"k", None, &refs), n(7));
        assert_eq!(AddU64.full_merge(b"k", Some(b"junk"), &refs), n(7));
        assert_eq!(
            Append.full_merge(b"k", Some(b"a"), &[b"b", b"c"]),
            b"abc".to_vec()
        );
        assert_eq!(
            MergeOperatorChoice::by_name("add"),
            Some(MergeOperatorChoice::Add)
        );
        assert!(MergeOperatorChoice::by_name("sum").is_none());
    }

    proptest! {
        /// Folding any prefix of the operands first changes nothing.
        #[test]
        fn built_ins_are_associative(
            ops in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..10), 1..8),
            cut in any::<prop::sample::Index>(),
            base in prop::option::of(prop::collection::vec(any::<u8>(), 0..10)),
        ) {
            let refs: Vec<&[u8]> = ops.iter().map(Vec::as_slice).collect();
            let cut = cut.index(refs.len());
            for op in [&AddU64 as &dyn MergeOperator, &Append] {
                let whole = op.full_merge(b"k", base.as_deref(), &refs);
                let folded = op.partial_merge(b"k", &refs[cut..]).unwrap();
                let mut split: Vec<&[u8]> = refs[..cut].to_vec();
                split.push(&folded);
                prop_assert_eq!(op.full_merge(b"k", base.as_deref(), &split), whole);
            }
        }
    }
}
