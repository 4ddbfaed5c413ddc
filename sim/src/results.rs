//! runs.csv: one row per run with its identity, its varied parameters and
//! every metric column; writing, reading back and merging shard outputs.
//!
//! Column order: `run_id, spec, policy, workload`, the varied parameters (the
//! union over all rows, in first-seen order), `seed, ops`, the metric columns
//! in `METRICS` order, the per-level and per-reason columns (the union over
//! all rows, named and ordered as [`crate::breakdown`] says), `git_rev,
//! lsmlab_version, spec_hash, config`. RFC 4180 via the csv crate. Files
//! written before `spec_hash` and `config` existed still read (those two
//! fields empty).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{LabError, Result};
use crate::input_limits::{open_bounded, Bounded, MAX_CSV_BYTES, MAX_CSV_LINE_BYTES};
pub use crate::metrics::{
    amplification_metrics, metric_info, Direction, MetricInfo, Metrics, METRICS,
};

/// File name of the per-run results inside a sweep's notebooks-out directory.
pub const RUNS_CSV: &str = "runs.csv";

const LEADING_COLUMNS: [&str; 4] = ["run_id", "spec", "policy", "workload"];
const TRAILING_COLUMNS: [&str; 4] = ["git_rev", "lsmlab_version", "spec_hash", "config"];
/// The trailing columns every runs.csv has; older files end here.
const REQUIRED_TRAILING: usize = 2;

/// The outcome of one run of a sweep, as stored in runs.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// Stable, human-readable id (`leveled/uniform/l0_file_limit=4`); the key
    /// that matches a run with its baseline.
    pub run_id: String,
    /// Name of the sweep spec the run belongs to.
    pub spec: String,
    pub policy: String,
    pub workload: String,
    /// The grid values of this run (parameter label, value), in axis order.
    pub varied: Vec<(String, String)>,
    pub seed: u64,
    pub ops: u64,
    pub metrics: Metrics,
    /// Per-level and per-reason figures, `(column, value)` (see
    /// [`crate::breakdown`]).
    pub breakdown: Vec<(String, u64)>,
    pub git_rev: String,
    pub lsmlab_version: String,
    /// The hash of the sweep the run belongs to (see `manifest::spec_hash`).
    pub spec_hash: String,
    /// The run's full configuration (see `manifest::run_config`): enough to
    /// rerun it, and what `check` compares before it compares metrics.
    pub config: String,
}

/// The header of runs.csv for these records.
pub fn runs_columns(records: &[RunRecord]) -> Vec<String> {
    runs_header(&varied_columns(records), &breakdown_columns(records))
}

/// The header of runs.csv with these varied parameter and breakdown
/// columns.
pub fn runs_header(varied: &[String], breakdown: &[String]) -> Vec<String> {
    let mut columns: Vec<String> = LEADING_COLUMNS.iter().map(|c| c.to_string()).collect();
    columns.extend(varied.iter().cloned());
    columns.push("seed".into());
    columns.push("ops".into());
    columns.extend(METRICS.iter().map(|m| m.name.to_string()));
    columns.extend(breakdown.iter().cloned());
    columns.extend(TRAILING_COLUMNS.iter().map(|c| c.to_string()));
    columns
}

fn breakdown_columns(records: &[RunRecord]) -> Vec<String> {
    crate::breakdown::union_columns(records.iter().map(|r| r.breakdown.as_slice()))
}

/// The union of the varied parameter names, in first-seen order.
fn varied_columns(records: &[RunRecord]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for record in records {
        for (name, _) in &record.varied {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    names
}

/// Writes runs.csv (to a temporary sibling first, then renamed into place, so
/// a crash never leaves a half-written baseline).
pub fn write_runs(path: &Path, records: &[RunRecord]) -> Result<()> {
    let varied = varied_columns(records);
    let breakdown = breakdown_columns(records);
    write_atomically(path, |out| {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(runs_header(&varied, &breakdown))?;
        for r in records {
            writer.write_record(run_cells(r, &varied, &breakdown))?;
        }
        writer.flush()?;
        Ok(())
    })
}

/// The cells of one runs.csv row, for a header with `varied` columns.
pub fn run_cells(r: &RunRecord, varied: &[String], breakdown: &[String]) -> Vec<String> {
    let mut row: Vec<String> = vec![
        r.run_id.clone(),
        r.spec.clone(),
        r.policy.clone(),
        r.workload.clone(),
    ];
    for name in varied {
        let value = r.varied.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        row.push(value.cloned().unwrap_or_default());
    }
    row.push(r.seed.to_string());
    row.push(r.ops.to_string());
    row.extend(r.metrics.cells());
    for name in breakdown {
        let value = r.breakdown.iter().find(|(n, _)| n == name);
        row.push(value.map_or(0, |(_, v)| *v).to_string());
    }
    row.push(r.git_rev.clone());
    row.push(r.lsmlab_version.clone());
    row.push(r.spec_hash.clone());
    row.push(r.config.clone());
    row
}

/// Writes a file through `fill`, into `path.tmp` and then renamed to `path`.
pub(crate) fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> std::result::Result<(), csv::Error>,
) -> Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let file = File::create(&tmp).map_err(|e| LabError::io(&tmp, e))?;
    let mut out = BufWriter::new(file);
    fill(&mut out).map_err(|e| csv_error(path, e))?;
    out.flush().map_err(|e| LabError::io(&tmp, e))?;
    out.get_ref()
        .sync_all()
        .map_err(|e| LabError::io(&tmp, e))?;
    drop(out);
    std::fs::rename(&tmp, path).map_err(|e| LabError::io(path, e))
}

/// Maps a csv crate error to a `LabError` naming the file and line.
pub(crate) fn csv_error(path: &Path, err: csv::Error) -> LabError {
    let line = err.position().map(|p| p.line());
    let message = match err.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "row has {len} fields but the header has {expected_len} (truncated or damaged file?)"
        ),
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
        _ => err.to_string(),
    };
    match err.into_kind() {
        csv::ErrorKind::Io(source) => LabError::io(path, source),
        _ => LabError::Csv {
            file: path.to_path_buf(),
            line,
            column: None,
            message,
        },
    }
}

/// An error about one cell of a CSV file.
fn cell_error(path: &Path, line: Option<u64>, column: &str, message: String) -> LabError {
    LabError::Csv {
        file: path.to_path_buf(),
        line,
        column: Some(column.to_string()),
        message,
    }
}

/// One data row of a lab CSV file: its cells parsed with errors that name
/// the file, the line and the column.
pub(crate) struct CsvRow<'a> {
    path: &'a Path,
    header: &'a csv::StringRecord,
    record: csv::StringRecord,
}

impl<'a> CsvRow<'a> {
    pub(crate) fn new(
        path: &'a Path,
        header: &'a csv::StringRecord,
        record: csv::StringRecord,
    ) -> Self {
        CsvRow {
            path,
            header,
            record,
        }
    }

    pub(crate) fn line(&self) -> Option<u64> {
        self.record.position().map(|p| p.line())
    }

    /// Cell `i` as text (empty when the row is short).
    pub(crate) fn cell(&self, i: usize) -> &str {
        self.record.get(i).unwrap_or_default()
    }

    /// An error about cell `column` of this row.
    pub(crate) fn error(&self, column: &str, message: String) -> LabError {
        cell_error(self.path, self.line(), column, message)
    }

    fn column(&self, i: usize) -> &str {
        self.header.get(i).unwrap_or("?")
    }

    pub(crate) fn int(&self, i: usize) -> Result<u64> {
        self.cell(i).parse().map_err(|_| {
            self.error(
                self.column(i),
                format!("not a non-negative integer: `{}`", self.cell(i)),
            )
        })
    }

    pub(crate) fn float(&self, i: usize) -> Result<f64> {
        self.cell(i)
            .parse()
            .map_err(|_| self.error(self.column(i), format!("not a number: `{}`", self.cell(i))))
    }
}

/// Opens a CSV file for reading with a header row, strict field counts,
/// within the lab's CSV size and line limits.
pub(crate) fn open_csv(path: &Path) -> Result<csv::Reader<Bounded<File>>> {
    let file = open_bounded(path, MAX_CSV_BYTES, MAX_CSV_LINE_BYTES)?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(file))
}

/// Where each column of a runs.csv header is.
struct RunsLayout {
    varied: Vec<(usize, String)>,
    seed: usize,
    breakdown: Vec<(usize, String)>,
}

fn runs_layout(path: &Path, header: &csv::StringRecord) -> Result<RunsLayout> {
    let bad = |message: String| LabError::Csv {
        file: path.to_path_buf(),
        line: Some(1),
        column: None,
        message,
    };
    let cols: Vec<&str> = header.iter().collect();
    if cols.len() < LEADING_COLUMNS.len() || cols[..LEADING_COLUMNS.len()] != LEADING_COLUMNS {
        return Err(bad(format!(
            "not a runs.csv header: it must start with {}",
            LEADING_COLUMNS.join(",")
        )));
    }
    let seed = cols
        .iter()
        .position(|c| *c == "seed")
        .ok_or_else(|| bad("no `seed` column".to_string()))?;
    let mut varied = Vec::new();
    for (i, name) in cols
        .iter()
        .enumerate()
        .take(seed)
        .skip(LEADING_COLUMNS.len())
    {
        if name.is_empty() || varied.iter().any(|(_, n)| n == name) {
            return Err(bad(format!(
                "column {} has an empty or repeated name",
                i + 1
            )));
        }
        varied.push((i, name.to_string()));
    }
    let first_breakdown = seed + 2 + METRICS.len();
    let mut breakdown = Vec::new();
    let mut trailing_at = first_breakdown;
    while let Some(name) = cols.get(trailing_at).filter(|c| **c != TRAILING_COLUMNS[0]) {
        if !crate::breakdown::is_breakdown_column(name) || breakdown.iter().any(|(_, n)| n == name)
        {
            break;
        }
        breakdown.push((trailing_at, name.to_string()));
        trailing_at += 1;
    }
    let expected: Vec<&str> = ["seed", "ops"]
        .into_iter()
        .chain(METRICS.iter().map(|m| m.name))
        .chain(breakdown.iter().map(|(_, n)| n.as_str()))
        .chain(TRAILING_COLUMNS)
        .collect();
    let found = &cols[seed..];
    let required = expected.len() - (TRAILING_COLUMNS.len() - REQUIRED_TRAILING);
    let expected = &expected[..found.len().clamp(required, expected.len())];
    for (i, want) in expected.iter().enumerate() {
        match found.get(i) {
            Some(got) if got == want => {}
            Some(got) => {
                return Err(bad(format!(
                    "column {} is `{got}`, expected `{want}` (written by another lsmlab version? \
                     regenerate it, or rewrite a baseline with `lsmlab check --update`)",
                    seed + i + 1
                )))
            }
            None => return Err(bad(format!("missing column `{want}`"))),
        }
    }
    if found.len() > expected.len() {
        return Err(bad(format!(
            "unexpected column `{}` after `config`",
            found[expected.len()]
        )));
    }
    Ok(RunsLayout {
        varied,
        seed,
        breakdown,
    })
}

/// Reads runs.csv back. Errors name the file, the line and the column of a
/// malformed cell, a truncated row, or a repeated run id.
pub fn read_runs(path: &Path) -> Result<Vec<RunRecord>> {
    let mut reader = open_csv(path)?;
    let header = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    if header.is_empty() {
        return Err(LabError::Csv {
            file: path.to_path_buf(),
            line: None,
            column: None,
            message: "empty file (no header)".into(),
        });
    }
    let layout = runs_layout(path, &header)?;
    let mut records = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let row = CsvRow::new(path, &header, record.map_err(|e| csv_error(path, e))?);
        let cell = |i: usize| row.cell(i);
        let run_id = cell(0).to_string();
        if run_id.is_empty() {
            return Err(row.error("run_id", "empty run id".into()));
        }
        if let Some(first) = seen.insert(run_id.clone(), row.line().unwrap_or(0)) {
            return Err(row.error(
                "run_id",
                format!("run `{run_id}` already appears on line {first}"),
            ));
        }
        let varied = layout
            .varied
            .iter()
            .filter(|(i, _)| !cell(*i).is_empty())
            .map(|(i, name)| (name.clone(), cell(*i).to_string()))
            .collect();
        let mut metrics = Metrics::default();
        let first_metric = layout.seed + 2;
        for (k, m) in METRICS.iter().enumerate() {
            metrics
                .set_cell(m.name, cell(first_metric + k))
                .map_err(|msg| row.error(m.name, msg))?;
        }
        let breakdown = layout
            .breakdown
            .iter()
            .map(|(i, name)| Ok((name.clone(), row.int(*i)?)))
            .collect::<Result<Vec<_>>>()?;
        let git = first_metric + METRICS.len() + breakdown.len();
        records.push(RunRecord {
            run_id,
            spec: cell(1).to_string(),
            policy: cell(2).to_string(),
            workload: cell(3).to_string(),
            varied,
            seed: row.int(layout.seed)?,
            ops: row.int(layout.seed + 1)?,
            metrics,
            breakdown,
            git_rev: cell(git).to_string(),
            lsmlab_version: cell(git + 1).to_string(),
            spec_hash: cell(git + 2).to_string(),
            config: cell(git + 3).to_string(),
        });
    }
    Ok(records)
}

/// The file `name` of a merge input: the file itself, or `DIR/name`.
pub(crate) fn input_file(input: &Path, name: &str) -> PathBuf {
    if input.is_dir() {
        input.join(name)
    } else {
        input.to_path_buf()
    }
}

/// Joins the runs.csv of several shards (each input a file or a directory
/// holding runs.csv) into one list, sorted by run id.
///
/// The run order of the spec is not known here; callers that have the spec
/// restore it with [`sort_runs_by`]. A run id in two inputs, or inputs from
/// two different sweeps, is an error.
pub fn merge_runs(inputs: &[PathBuf]) -> Result<Vec<RunRecord>> {
    let mut merged: Vec<RunRecord> = Vec::new();
    let mut origin: HashMap<String, PathBuf> = HashMap::new();
    for input in inputs {
        let file = input_file(input, RUNS_CSV);
        for record in read_runs(&file)? {
            if let Some(first) = merged.first() {
                if first.spec != record.spec {
                    return Err(LabError::InvalidArgument(format!(
                        "{} holds runs of sweep `{}`, {} of sweep `{}`: only shards of one sweep merge",
                        origin[&first.run_id].display(),
                        first.spec,
                        file.display(),
                        record.spec
                    )));
                }
            }
            if let Some(first) = origin.get(&record.run_id) {
                return Err(LabError::DuplicateRun {
                    run_id: record.run_id,
                    first: first.clone(),
                    second: file,
                });
            }
            origin.insert(record.run_id.clone(), file.clone());
            merged.push(record);
        }
    }
    merged.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    Ok(merged)
}

/// Reorders records to follow `run_ids` (the spec's run order); records whose
/// id is not listed go last, by id.
pub fn sort_runs_by(records: &mut [RunRecord], run_ids: &[String]) {
    sort_by_run_order(records, run_ids, |r| &r.run_id);
}

/// Stable-sorts `items` by their run's position in `run_ids`; runs not
/// listed go last, by id.
pub(crate) fn sort_by_run_order<T>(items: &mut [T], run_ids: &[String], id: impl Fn(&T) -> &str) {
    let rank: HashMap<&str, usize> = run_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    items.sort_by(|a, b| {
        let (a, b) = (id(a), id(b));
        let ka = (rank.get(a).unwrap_or(&usize::MAX), a);
        let kb = (rank.get(b).unwrap_or(&usize::MAX), b);
        ka.cmp(&kb)
    });
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A synthetic record for tests across the crate.
    pub(crate) fn record(policy: &str, workload: &str, write_amp: f64) -> RunRecord {
        RunRecord {
            run_id: format!("{policy}/{workload}"),
            spec: "demo".into(),
            policy: policy.into(),
            workload: workload.into(),
            varied: vec![],
            seed: 7,
            ops: 1000,
            metrics: Metrics {
                user_bytes: 100_000,
                flush_bytes: 110_000,
                compaction_write_bytes: ((write_amp * 100_000.0) as u64).saturating_sub(110_000),
                write_amp,
                space_amp: 1.0 + write_amp / 20.0,
                read_amp: 1.0 + write_amp / 10.0,
                live_bytes: 80_000,
                compactions: 12,
                wall_seconds: 0.25,
                ops_per_second: 4000.0,
                ..Metrics::default()
            },
            breakdown: vec![],
            git_rev: "abc123".into(),
            lsmlab_version: "0.1.0".into(),
            spec_hash: "00000000000000aa".into(),
            config: format!("policy={policy};workload={workload};seed=7"),
        }
    }

    fn with_varied(mut r: RunRecord, name: &str, value: &str) -> RunRecord {
        r.run_id = format!("{}/{name}={value}", r.run_id);
        r.varied.push((name.into(), value.into()));
        r
    }

    #[test]
    fn header_has_the_contract_order() {
        let records = vec![
            with_varied(record("leveled", "uniform", 3.0), "l0_file_limit", "4"),
            with_varied(record("fifo", "uniform", 1.2), "theta", "0.9"),
        ];
        let cols = runs_columns(&records);
        assert_eq!(
            cols[..8],
            [
                "run_id",
                "spec",
                "policy",
                "workload",
                "l0_file_limit",
                "theta",
                "seed",
                "ops"
            ]
        );
        assert_eq!(cols[8], "user_bytes");
        assert_eq!(cols[cols.len() - 5], "ops_per_second");
        assert_eq!(
            cols[cols.len() - 4..],
            ["git_rev", "lsmlab_version", "spec_hash", "config"]
        );
    }

    #[test]
    fn runs_round_trip_bit_for_bit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        let mut a = with_varied(
            record("leveled", "uniform", 0.1 + 0.2),
            "l0_file_limit",
            "4",
        );
        a.policy = "odd, \"quoted\" name".into();
        let b = record("size-tiered", "zipfian", 2.0 / 3.0);
        write_runs(&path, &[a.clone(), b.clone()]).unwrap();
        let back = read_runs(&path).unwrap();
        assert_eq!(back, vec![a, b]);
        assert!(!dir.path().join("runs.csv.tmp").exists());
    }

    #[test]
    fn truncated_file_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        write_runs(&path, &[record("a", "u", 2.0), record("b", "u", 3.0)]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let cut = text.trim_end().rfind(',').unwrap() - 30;
        std::fs::write(&path, &text[..cut]).unwrap();
        let err = read_runs(&path).unwrap_err().to_string();
        assert!(err.contains("runs.csv:3"), "{err}");
        assert!(err.contains("truncated"), "{err}");
    }

    #[test]
    fn malformed_cell_names_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        write_runs(&path, &[record("a", "u", 2.0)]).unwrap();
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace(",2,", ",two,");
        std::fs::write(&path, text).unwrap();
        let err = read_runs(&path).unwrap_err().to_string();
        assert!(
            err.contains("runs.csv:2: column `write_amp`: not a number: `two`"),
            "{err}"
        );
    }

    #[test]
    fn a_metric_that_is_not_finite_or_is_negative_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        write_runs(&path, &[record("a", "u", 2.0)]).unwrap();
        let clean = std::fs::read_to_string(&path).unwrap();
        for bad in ["NaN", "inf", "-1e400", "-0.5"] {
            std::fs::write(&path, clean.replace(",2,", &format!(",{bad},"))).unwrap();
            let err = read_runs(&path).unwrap_err().to_string();
            assert!(
                err.contains(&format!(
                    "column `write_amp`: not a finite number >= 0: `{bad}`"
                )),
                "{err}"
            );
        }
    }

    #[test]
    fn wrong_header_and_empty_file_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        std::fs::write(&path, "").unwrap();
        assert!(read_runs(&path)
            .unwrap_err()
            .to_string()
            .contains("empty file"));
        std::fs::write(&path, "run_id,spec,policy,workload,seed,ops,user_bytes\n").unwrap();
        let err = read_runs(&path).unwrap_err().to_string();
        assert!(
            err.contains("runs.csv:1") && err.contains("flush_bytes"),
            "{err}"
        );
        let missing = read_runs(&dir.path().join("nope.csv")).unwrap_err();
        assert!(missing.to_string().contains("nope.csv"));
    }

    #[test]
    fn repeated_run_id_in_one_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        let r = record("a", "u", 2.0);
        write_runs(&path, &[r.clone(), r]).unwrap();
        let err = read_runs(&path).unwrap_err().to_string();
        assert!(
            err.contains(":3:") && err.contains("already appears on line 2"),
            "{err}"
        );
    }

    #[test]
    fn merge_joins_shards_and_rejects_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let (s0, s1) = (dir.path().join("s0"), dir.path().join("s1"));
        std::fs::create_dir_all(&s0).unwrap();
        std::fs::create_dir_all(&s1).unwrap();
        let runs = [
            record("leveled", "uniform", 3.0),
            record("fifo", "uniform", 1.0),
            record("size-tiered", "uniform", 2.0),
        ];
        write_runs(&s0.join(RUNS_CSV), &[runs[0].clone(), runs[2].clone()]).unwrap();
        write_runs(&s1.join(RUNS_CSV), &[runs[1].clone()]).unwrap();
        let mut merged = merge_runs(&[s0.clone(), s1.join(RUNS_CSV)]).unwrap();
        let ids: Vec<&str> = merged.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(
            ids,
            ["fifo/uniform", "leveled/uniform", "size-tiered/uniform"]
        );
        let order: Vec<String> = runs.iter().map(|r| r.run_id.clone()).collect();
        sort_runs_by(&mut merged, &order);
        assert_eq!(merged, runs.to_vec());

        let err = merge_runs(&[s0.clone(), s0.clone()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("appears twice"), "{err}");
        let mut other = record("x", "y", 1.0);
        other.spec = "other".into();
        write_runs(&s1.join(RUNS_CSV), &[other]).unwrap();
        let err = merge_runs(&[s0, s1]).unwrap_err().to_string();
        assert!(err.contains("only shards of one sweep merge"), "{err}");
    }
}
