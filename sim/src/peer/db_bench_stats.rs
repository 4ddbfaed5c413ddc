//! Reading what db_bench prints: its statistics counters
//! (`rocksdb.compact.write.bytes COUNT : 27223595`, with `--statistics=1`),
//! how many samples each histogram took (`rocksdb.db.flush.micros P50 : ...
//! COUNT : 36 SUM : ...`: 36 flushes, and the sum of their samples), how
//! long each benchmark took (`replay : ... micros/op ... 34.207 seconds`)
//! and the per-level "Compaction Stats" table of its `stats` benchmark.

use std::collections::BTreeMap;

/// One level's row of the "Compaction Stats" table.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelRow {
    pub level: usize,
    /// Files in the level (the number before the `/`).
    pub files: u64,
    /// Of those, files a running compaction holds (the number after it).
    pub compacting: u64,
    /// The level's size as printed (KB/MB/GB, 1024-based), in bytes.
    pub size_bytes: u64,
    /// Compactions that wrote into the level (`Comp(cnt)`).
    pub compactions: u64,
}

/// What one db_bench output holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DbBenchStats {
    /// Every `rocksdb.* COUNT : N` ticker, by name.
    pub counters: BTreeMap<String, u64>,
    /// Every `rocksdb.*` histogram's sample count (its `COUNT`), by name.
    pub histogram_counts: BTreeMap<String, u64>,
    /// Every `rocksdb.*` histogram's sum of samples (its `SUM`), by name.
    pub histogram_sums: BTreeMap<String, u64>,
    /// Seconds each benchmark ran (`replay`, `fillrandom`, ...), by name.
    pub benchmark_seconds: BTreeMap<String, f64>,
    /// The rows of the last "Compaction Stats" table by level, L0 first.
    pub levels: Vec<LevelRow>,
}

impl DbBenchStats {
    /// The ticker `name`, 0 when db_bench did not print it.
    pub fn counter(&self, name: &str) -> u64 {
        self.counters.get(name).copied().unwrap_or(0)
    }

    /// Samples of the histogram `name` (e.g. `rocksdb.db.flush.micros`:
    /// flushes), 0 when db_bench did not print it.
    pub fn histogram_count(&self, name: &str) -> u64 {
        self.histogram_counts.get(name).copied().unwrap_or(0)
    }

    /// The sum of the histogram `name`'s samples (e.g.
    /// `rocksdb.compaction.times.micros`: microseconds spent compacting), 0
    /// when db_bench did not print it.
    pub fn histogram_sum(&self, name: &str) -> u64 {
        self.histogram_sums.get(name).copied().unwrap_or(0)
    }

    /// Seconds the benchmark `name` ran, when db_bench printed it.
    pub fn seconds(&self, name: &str) -> Option<f64> {
        self.benchmark_seconds.get(name).copied()
    }

    /// Adds the counters and histogram counts and sums of a later db_bench process
    /// on the same database (both start at 0 in each process); the levels
    /// are the later ones.
    pub fn add(&mut self, later: DbBenchStats) {
        for (name, v) in later.counters {
            *self.counters.entry(name).or_insert(0) += v;
        }
        for (name, v) in later.histogram_counts {
            *self.histogram_counts.entry(name).or_insert(0) += v;
        }
        for (name, v) in later.histogram_sums {
            *self.histogram_sums.entry(name).or_insert(0) += v;
        }
        for (name, v) in later.benchmark_seconds {
            *self.benchmark_seconds.entry(name).or_insert(0.0) += v;
        }
        if !later.levels.is_empty() {
            self.levels = later.levels;
        }
    }
}

/// Parses db_bench's standard output. Lines it does not know are skipped;
/// a ticker or level row that is malformed is an error naming its line.
pub fn parse(text: &str) -> Result<DbBenchStats, String> {
    let mut stats = DbBenchStats::default();
    let mut in_table = false;
    let mut table: Vec<LevelRow> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = |what: &str| format!("db_bench output line {}: {what}: `{line}`", i + 1);
        let t = line.trim();
        if t.starts_with("** Compaction Stats") {
            in_table = true;
            table.clear();
            continue;
        }
        if in_table {
            if t.starts_with("Level") || t.starts_with('-') {
                continue;
            }
            if t.starts_with("Priority") || t.is_empty() {
                if !table.is_empty() {
                    stats.levels = std::mem::take(&mut table);
                }
                in_table = false;
                continue;
            }
            if let Some(rest) = t.strip_prefix('L') {
                table.push(level_row(rest).map_err(|e| at(&e))?);
                continue;
            }
            // `Sum` and `Int` rows.
            continue;
        }
        // `replay       : 34206672.000 micros/op 0 ops/sec 34.207 seconds 1 operations;`
        if let Some((name, rest)) = t.split_once(" : ") {
            let name = name.trim();
            if rest.contains(" micros/op ") && !name.is_empty() && !name.contains(' ') {
                let words: Vec<&str> = rest.split_whitespace().collect();
                if let Some(i) = words.iter().position(|w| *w == "seconds") {
                    let secs = i
                        .checked_sub(1)
                        .and_then(|j| words[j].parse::<f64>().ok())
                        .ok_or_else(|| at("a benchmark whose seconds are not a number"))?;
                    *stats
                        .benchmark_seconds
                        .entry(name.to_string())
                        .or_insert(0.0) += secs;
                }
                continue;
            }
        }
        if let Some((name, rest)) = t.split_once(" COUNT : ") {
            // Histograms: `name P50 : ... COUNT : n SUM : s`.
            if let Some((histogram, _)) = name.split_once(" P50 : ") {
                if histogram.starts_with("rocksdb.") {
                    let mut words = rest.split_whitespace();
                    let count = words
                        .next()
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| at("a histogram whose COUNT is not a count"))?;
                    stats.histogram_counts.insert(histogram.to_string(), count);
                    if let (Some("SUM"), Some(":")) = (words.next(), words.next()) {
                        let sum = words
                            .next()
                            .and_then(|n| n.parse().ok())
                            .ok_or_else(|| at("a histogram whose SUM is not a count"))?;
                        stats.histogram_sums.insert(histogram.to_string(), sum);
                    }
                }
            } else if name.starts_with("rocksdb.") && !name.contains(char::is_whitespace) {
                let v = rest
                    .trim()
                    .parse()
                    .map_err(|_| at("a ticker that is not a count"))?;
                stats.counters.insert(name.to_string(), v);
            }
        }
    }
    if !table.is_empty() {
        stats.levels = table;
    }
    Ok(stats)
}

/// `3      5/5    1.21 MB   0.0 ...` (after the `L`).
fn level_row(rest: &str) -> Result<LevelRow, String> {
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Level, files, size, unit, then the numeric columns from Score on;
    // Comp(cnt) is the 13th of those (index 16).
    if f.len() < 17 {
        return Err("a level row with too few columns".into());
    }
    let level = f[0].parse().map_err(|_| "a level that is not a number")?;
    let (files, compacting) = f[1]
        .split_once('/')
        .and_then(|(n, m)| Some((n.parse().ok()?, m.parse().ok()?)))
        .ok_or("a file count that is not N/M")?;
    let size: f64 = f[2].parse().map_err(|_| "a size that is not a number")?;
    let unit = match f[3] {
        "B" => 1.0,
        "KB" => 1024.0,
        "MB" => 1024.0 * 1024.0,
        "GB" => 1024.0 * 1024.0 * 1024.0,
        "TB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        u => return Err(format!("unknown size unit {u}")),
    };
    let compactions = f[16]
        .parse()
        .map_err(|_| "a Comp(cnt) that is not a number")?;
    Ok(LevelRow {
        level,
        files,
        compacting,
        size_bytes: (size * unit).round() as u64,
        compactions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/peer/db_bench_universal.txt");
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn tickers_and_levels_of_a_universal_replay() {
        let s = parse(&fixture()).unwrap();
        assert_eq!(s.counter("rocksdb.compact.write.bytes"), 27223595);
        assert_eq!(s.counter("rocksdb.flush.write.bytes"), 11464074);
        assert_eq!(s.counter("rocksdb.compact.read.bytes"), 30298962);
        assert_eq!(s.counter("rocksdb.bytes.written"), 13100000);
        assert_eq!(s.counter("rocksdb.no.such.ticker"), 0);
        // A histogram is not a ticker; its sample count is kept apart.
        assert_eq!(s.counter("rocksdb.db.flush.micros"), 0);
        assert_eq!(s.histogram_count("rocksdb.db.flush.micros"), 57);
        assert_eq!(s.histogram_count("rocksdb.no.such.histogram"), 0);
        // Sums of samples: how long compactions and flushes took.
        assert_eq!(s.histogram_sum("rocksdb.compaction.times.micros"), 2420833);
        assert_eq!(s.histogram_sum("rocksdb.db.flush.micros"), 943135);
        assert_eq!(s.seconds("replay"), Some(5.387));
        assert_eq!(s.seconds("fillrandom"), None);
        let shape: Vec<_> = s
            .levels
            .iter()
            .map(|l| (l.level, l.files, l.compactions))
            .collect();
        assert_eq!(
            shape,
            vec![(0, 2, 57), (3, 5, 12), (4, 5, 9), (5, 9, 6), (6, 13, 3)]
        );
        // The replay printed its stats while a full merge ran.
        let compacting: Vec<u64> = s.levels.iter().map(|l| l.compacting).collect();
        assert_eq!(compacting, vec![0, 5, 5, 9, 13]);
        assert_eq!(s.levels[0].size_bytes, (376.44f64 * 1024.0).round() as u64);
        assert_eq!(s.levels[1].size_bytes, (1.21f64 * 1048576.0).round() as u64);
    }

    #[test]
    fn a_later_process_adds_its_tickers_and_replaces_the_levels() {
        let mut a = parse(&fixture()).unwrap();
        let b = parse(
            "rocksdb.compact.write.bytes COUNT : 5\n\
             rocksdb.db.flush.micros P50 : 1.0 P95 : 1.0 P99 : 1.0 P100 : 1.0 COUNT : 2 SUM : 9\n",
        )
        .unwrap();
        a.add(b);
        assert_eq!(a.counter("rocksdb.compact.write.bytes"), 27223600);
        assert_eq!(a.histogram_count("rocksdb.db.flush.micros"), 59);
        assert_eq!(a.histogram_sum("rocksdb.db.flush.micros"), 943144);
        assert_eq!(
            a.levels.len(),
            5,
            "no table in the later output: levels kept"
        );
    }

    /// A table printed while a compaction runs: the files it holds are
    /// the number after the `/` (db_bench at the end of a 16M-key universal
    /// replay whose settle was too short for its full merge).
    #[test]
    fn files_held_by_a_running_compaction() {
        let s = parse(
            "** Compaction Stats [default] **\n\
             Level    Files   Size     Score Read(GB)  Rn(GB) Rnp1(GB) Write(GB) Wnew(GB) Moved(GB) W-Amp Rd(MB/s) Wr(MB/s) Comp(sec) CompMergeCPU(sec) Comp(cnt) Avg(sec) KeyIn KeyDrop Rblob(GB) Wblob(GB)\n\
             ----\n\
             \x20 L0      1/0   341.15 KB   0.0      0.0     0.0      0.0       0.0      0.0       0.0   0.0      0.0      0.0      0.00              0.00         0    0.000       0      0       0.0       0.0\n\
             \x20 L6    152/152 617.06 MB   0.0      0.0     0.0      0.0       0.0      0.0       0.0   0.0      0.0      0.0      0.00              0.00         6    0.000       0      0       0.0       0.0\n\
             \n",
        )
        .unwrap();
        let shape: Vec<_> = s
            .levels
            .iter()
            .map(|l| (l.level, l.files, l.compacting))
            .collect();
        assert_eq!(shape, vec![(0, 1, 0), (6, 152, 152)]);
        let e =
            parse("** Compaction Stats [default] **\n  L0 2 1.0 KB 0 0 0 0 0 0 0 0 0 0 0 0 5 0\n")
                .unwrap_err();
        assert!(e.contains("not N/M") && e.contains("line 2"), "{e}");
    }

    #[test]
    fn malformed_lines_name_their_line() {
        let e = parse("x\nrocksdb.compact.write.bytes COUNT : lots\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let e = parse("rocksdb.db.flush.micros P50 : 1.0 COUNT : many SUM : 3\n").unwrap_err();
        assert!(e.contains("line 1") && e.contains("histogram"), "{e}");
        let e = parse(
            "** Compaction Stats [default] **\n  L0 2/0 1.0 XB 0 0 0 0 0 0 0 0 0 0 0 0 5 0\n",
        )
        .unwrap_err();
        assert!(
            e.contains("unknown size unit XB") && e.contains("line 2"),
            "{e}"
        );
    }
}
