//! db_bench's untimed steps between phases: they set the tree the next
//! phase reads (flush, waitforcompaction, compact) or show it
//! (levelstats), so that two engines' read phases can start from the same
//! shape of tree.

use std::time::Instant;

use lsmlab_engine::{Db, Result};

use super::Phase;

/// Runs the untimed step `phase` on `db`; what to print about it.
pub fn run(db: &Db, phase: Phase) -> Result<String> {
    let start = Instant::now();
    let took = || format!("{:.2} s", start.elapsed().as_secs_f64());
    Ok(match phase {
        Phase::Flush => {
            db.flush()?;
            format!("flush: memtable written to L0 ({})", took())
        }
        Phase::WaitForCompaction => {
            db.compact()?;
            format!("waitforcompaction: background work done ({})", took())
        }
        Phase::Compact => {
            db.compact_all()?;
            let v = db.version();
            let levels: Vec<String> = (0..v.num_levels())
                .filter(|&l| !v.files(l).is_empty())
                .map(|l| format!("L{l}"))
                .collect();
            format!(
                "compact: every level merged into {} ({})",
                if levels.is_empty() {
                    "none (empty)".to_string()
                } else {
                    levels.join(", ")
                },
                took()
            )
        }
        Phase::LevelStats => level_stats(db),
        timed => unreachable!("{} is a timed phase", timed.name()),
    })
}

/// Files and mebibytes per level, in db_bench's `levelstats` layout (one
/// parser reads both programs' outputs).
fn level_stats(db: &Db) -> String {
    let v = db.version();
    let mut out = String::from("levelstats:\nLevel Files Size(MB)\n--------------------");
    for level in 0..v.num_levels() {
        let files = v.files(level);
        let bytes: u64 = files.iter().map(|f| f.size).sum();
        out.push_str(&format!(
            "\n{level:>3} {:>8} {:>8.0}",
            files.len(),
            bytes as f64 / (1 << 20) as f64
        ));
    }
    out
}
