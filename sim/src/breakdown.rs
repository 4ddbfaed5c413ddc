//! Where a run's writes went: the per-level and per-reason columns of
//! runs.csv, named by rule from what the engine reports rather than listed
//! by hand per policy.
//!
//! - `write_bytes_L<n>`: SSTable bytes written into level n (flushes count
//!   for L0), `compactions_L<n>`: jobs that wrote into it (flushes count for
//!   L0), `level_bytes_L<n>` and `level_files_L<n>`: its bytes and files at
//!   the end; for every level of the run's tree.
//! - `write_bytes_<reason>`: SSTable bytes written by the jobs of one
//!   trigger, `<reason>` being the engine's stable reason name (`flush` for
//!   flushes, then the compaction reasons the policy reported:
//!   `l0_file_count`, `level_size`, `size_tiered_bucket`, ...).
//!
//! A runs.csv holds the union of these columns over its runs, levels first
//! (by kind, then level number), then reasons by name; a run without a
//! column (fewer levels, a trigger that never fired) has 0 there.

use std::cmp::Ordering;

/// The per-level column kinds, in column order.
pub const LEVEL_KINDS: [&str; 4] = ["write_bytes", "compactions", "level_bytes", "level_files"];
/// The prefix of the per-reason columns.
pub const REASON_PREFIX: &str = "write_bytes_";

/// The column of `kind` (one of [`LEVEL_KINDS`]) for `level`.
pub fn level_column(kind: &str, level: usize) -> String {
    format!("{kind}_L{level}")
}

/// The column of the bytes written by reason `name`.
pub fn reason_column(name: &str) -> String {
    format!("{REASON_PREFIX}{name}")
}

/// Where a column falls in the order: (0, kind, level) for level columns,
/// (1, 0, 0) for reasons (then by name); `None` when the name follows
/// neither rule.
fn rank(name: &str) -> Option<(u8, usize, usize)> {
    for (k, kind) in LEVEL_KINDS.iter().enumerate() {
        if let Some(level) = name
            .strip_prefix(kind)
            .and_then(|r| r.strip_prefix("_L"))
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        {
            return level.parse().ok().map(|l| (0, k, l));
        }
    }
    let reason = name.strip_prefix(REASON_PREFIX)?;
    let ok = !reason.is_empty()
        && reason
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    ok.then_some((1, 0, 0))
}

/// True when `name` is a breakdown column by the rules above.
pub fn is_breakdown_column(name: &str) -> bool {
    rank(name).is_some()
}

/// The column order of the module doc. REQUIRES: both are breakdown columns.
pub fn column_order(a: &str, b: &str) -> Ordering {
    rank(a).cmp(&rank(b)).then_with(|| a.cmp(b))
}

/// The union of the columns of `rows`, in column order.
pub fn union_columns<'a>(rows: impl IntoIterator<Item = &'a [(String, u64)]>) -> Vec<String> {
    let mut names: Vec<String> = rows
        .into_iter()
        .flat_map(|r| r.iter().map(|(n, _)| n.clone()))
        .collect();
    names.sort_by(|a, b| column_order(a, b));
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_follow_the_rule_and_its_order() {
        let a = vec![
            (reason_column("level_size"), 5),
            (level_column("write_bytes", 10), 1),
            (level_column("write_bytes", 2), 1),
            (reason_column("flush"), 1),
        ];
        let b = vec![
            (level_column("level_files", 0), 3),
            (reason_column("size_tiered_bucket"), 2),
        ];
        assert_eq!(
            union_columns([a.as_slice(), b.as_slice()]),
            [
                "write_bytes_L2",
                "write_bytes_L10",
                "level_files_L0",
                "write_bytes_flush",
                "write_bytes_level_size",
                "write_bytes_size_tiered_bucket",
            ]
        );
        for bad in [
            "write_amp",
            "write_bytes_",
            "level_bytes_Lx",
            "write_bytes_Flush",
        ] {
            assert!(!is_breakdown_column(bad), "{bad}");
        }
    }
}
