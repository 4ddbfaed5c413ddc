//! Overlap sets and buckets of files (Cassandra's `Overlaps`, as UCS uses
//! them): the fewest sets such that files that do not overlap never share a
//! set, files that do overlap share one, and each key's covering files are
//! all in one set. A set's size is the number of files a read of a key in
//! it may consult. Buckets join consecutive sets that share a file (the
//! transitive inclusion), so buckets never overlap each other.

use std::sync::Arc;

use crate::version::FileMeta;

/// The overlap sets of `files`, in key order, each listing its files in key
/// order of their smallest key. Inclusive key ranges: files that share an
/// end key overlap.
pub fn overlap_sets(files: &[Arc<FileMeta>]) -> Vec<Vec<Arc<FileMeta>>> {
    let mut sorted: Vec<Arc<FileMeta>> = files.to_vec();
    sorted.sort_by(|a, b| {
        a.smallest_user_key()
            .cmp(b.smallest_user_key())
            .then(a.largest_user_key().cmp(b.largest_user_key()))
            .then(a.number.cmp(&b.number))
    });
    let mut sets = Vec::new();
    // The files covering the current point; each addition makes it a new
    // candidate set, emitted once a member ends before the next start.
    let mut active: Vec<Arc<FileMeta>> = Vec::new();
    for f in sorted {
        let start = f.smallest_user_key();
        if active.iter().any(|a| a.largest_user_key() < start) {
            sets.push(active.clone());
            active.retain(|a| a.largest_user_key() >= start);
        }
        active.push(f);
    }
    if !active.is_empty() {
        sets.push(active);
    }
    sets
}

/// A group of consecutive overlap sets that share files: the files of the
/// group (in key order of first appearance) and its largest set's size.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub files: Vec<Arc<FileMeta>>,
    /// The most files of the bucket that share a key.
    pub max_overlap: usize,
    /// The sets of the bucket, in key order.
    pub sets: Vec<Vec<Arc<FileMeta>>>,
}

/// Groups `sets` (from [`overlap_sets`]) into buckets: a set joins the
/// bucket before it when it shares a file with it.
pub fn buckets(sets: Vec<Vec<Arc<FileMeta>>>) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = Vec::new();
    for set in sets {
        let joins = out.last().is_some_and(|b| {
            set.iter()
                .any(|f| b.files.iter().any(|g| g.number == f.number))
        });
        if joins {
            let b = out.last_mut().expect("checked above");
            for f in &set {
                if !b.files.iter().any(|g| g.number == f.number) {
                    b.files.push(f.clone());
                }
            }
            b.max_overlap = b.max_overlap.max(set.len());
            b.sets.push(set);
        } else {
            out.push(Bucket {
                files: set.clone(),
                max_overlap: set.len(),
                sets: vec![set],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::fixture::parse_file;

    fn file(n: u64, lo: &str, hi: &str) -> Arc<FileMeta> {
        Arc::new(parse_file(&format!("{n:06}: {lo}#1 .. {hi}#1")).unwrap())
    }

    fn names(set: &[Arc<FileMeta>]) -> String {
        set.iter()
            .map(|f| (b'A' + f.number as u8 - 1) as char)
            .collect()
    }

    /// The documented example (UnifiedCompactionStrategy.md, "Choosing
    /// sstables to compact"): A, B, C, D cover 0-3, 2-7, 6-9 and 1-8; the
    /// sets are ABD and BCD, which share B and D: one bucket of overlap 3.
    #[test]
    fn the_documented_overlap_example() {
        let files = vec![
            file(1, "0", "3"),
            file(2, "2", "7"),
            file(3, "6", "9"),
            file(4, "1", "8"),
        ];
        let sets = overlap_sets(&files);
        let mut got: Vec<String> = sets
            .iter()
            .map(|s| {
                let mut n: Vec<char> = names(s).chars().collect();
                n.sort();
                n.into_iter().collect()
            })
            .collect();
        got.sort();
        assert_eq!(got, vec!["ABD", "BCD"]);
        let b = buckets(sets);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].max_overlap, 3);
        assert_eq!(b[0].files.len(), 4);
    }

    #[test]
    fn disjoint_files_form_separate_buckets() {
        let files = vec![file(1, "a", "b"), file(2, "c", "d"), file(3, "c", "e")];
        let b = buckets(overlap_sets(&files));
        assert_eq!(b.len(), 2);
        assert_eq!((b[0].max_overlap, b[1].max_overlap), (1, 2));
    }
}
