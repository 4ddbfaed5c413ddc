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

/// Where each column of a runs.csv header is, found by name.
struct RunsLayout {
    /// Position of each leading column, of `seed` and of `ops`.
    leading: [usize; 4],
    seed: usize,
    ops: usize,
    varied: Vec<(usize, String)>,
    /// (position, metric) of each metric column the file has.
    metrics: Vec<(usize, &'static str)>,
    breakdown: Vec<(usize, String)>,
    /// Position of each trailing column the file has (`None`: absent).
    trailing: [Option<usize>; 4],
    notes: RunsNotes,
}

/// What a runs.csv written by another lsmlab version lacks or has extra.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunsNotes {
    /// Metric columns the file does not have (their values read as 0 or
    /// empty; `check` does not compare them).
    pub absent_metrics: Vec<&'static str>,
    /// Columns this version does not know, ignored.
    pub ignored: Vec<String>,
}

/// The key columns every runs.csv must have: without them a run cannot be
/// matched or described.
const KEY_COLUMNS: [&str; 6] = ["run_id", "spec", "policy", "workload", "seed", "ops"];

fn runs_layout(path: &Path, header: &csv::StringRecord) -> Result<RunsLayout> {
    let bad = |message: String| LabError::Csv {
        file: path.to_path_buf(),
        line: Some(1),
        column: None,
        message,
    };
    let cols: Vec<&str> = header.iter().collect();
    for (i, name) in cols.iter().enumerate() {
        if name.is_empty() || cols[..i].contains(name) {
            return Err(bad(format!(
                "column {} has an empty or repeated name `{name}`",
                i + 1
            )));
        }
    }
    // Every runs.csv lsmlab ever wrote ends with `lsmlab_version` (older
    // files) or a later trailing column: a header ending elsewhere was cut.
    let last = cols.last().copied().unwrap_or_default();
    if !TRAILING_COLUMNS[1..].contains(&last) {
        return Err(bad(format!(
            "the header ends at `{last}`, not at `config` (cut short?): regenerate it with `lsmlab \
             sweep`, or a baseline with `lsmlab check --update`"
        )));
    }
    let at = |name: &str| cols.iter().position(|c| *c == name);
    let key = |name: &str| {
        at(name).ok_or_else(|| {
            bad(format!(
                "no `{name}` column: a runs.csv needs {} (regenerate it with `lsmlab sweep`, or a \
                 baseline with `lsmlab check --update`)",
                KEY_COLUMNS.join(", ")
            ))
        })
    };
    let leading = [
        key("run_id")?,
        key("spec")?,
        key("policy")?,
        key("workload")?,
    ];
    let (seed, ops) = (key("seed")?, key("ops")?);
    // Grid values sit between `workload` and `seed`, as runs.csv writes them.
    let varied: Vec<(usize, String)> = (leading[3] + 1..seed)
        .filter(|i| !KEY_COLUMNS.contains(&cols[*i]))
        .map(|i| (i, cols[i].to_string()))
        .collect();
    let mut metrics = Vec::new();
    let mut notes = RunsNotes::default();
    for m in METRICS.iter() {
        match at(m.name) {
            Some(i) => metrics.push((i, m.name)),
            None => notes.absent_metrics.push(m.name),
        }
    }
    let trailing = TRAILING_COLUMNS.map(at);
    let mut breakdown = Vec::new();
    for (i, name) in cols.iter().enumerate().skip(seed + 1) {
        let known = i == ops || metrics.iter().any(|(j, _)| *j == i) || trailing.contains(&Some(i));
        if known {
            continue;
        }
        if crate::breakdown::is_breakdown_column(name) {
            breakdown.push((i, name.to_string()));
        } else {
            notes.ignored.push(name.to_string());
        }
    }
    Ok(RunsLayout {
        leading,
        seed,
        ops,
        varied,
        metrics,
        breakdown,
        trailing,
        notes,
    })
}

/// Reads runs.csv back. Errors name the file, the line and the column of a
/// malformed cell, a truncated row, or a repeated run id. Columns are found
/// by name: a file of another lsmlab version loads if it has the key
/// columns (see [`read_runs_noted`] for what it lacked).
pub fn read_runs(path: &Path) -> Result<Vec<RunRecord>> {
    read_runs_noted(path).map(|(records, _)| records)
}

/// [`read_runs`], with the metric columns the file lacks and the columns
/// it has that this version does not know.
pub fn read_runs_noted(path: &Path) -> Result<(Vec<RunRecord>, RunsNotes)> {
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
        let [id_at, spec_at, policy_at, workload_at] = layout.leading;
        let run_id = cell(id_at).to_string();
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
        for (i, name) in &layout.metrics {
            metrics
                .set_cell(name, cell(*i))
                .map_err(|msg| row.error(name, msg))?;
        }
        let breakdown = layout
            .breakdown
            .iter()
            .map(|(i, name)| Ok((name.clone(), row.int(*i)?)))
            .collect::<Result<Vec<_>>>()?;
        let trailing = |k: usize| layout.trailing[k].map_or(String::new(), |i| cell(i).to_string());
        records.push(RunRecord {
            run_id,
            spec: cell(spec_at).to_string(),
            policy: cell(policy_at).to_string(),
            workload: cell(workload_at).to_string(),
            varied,
            seed: row.int(layout.seed)?,
            ops: row.int(layout.ops)?,
            metrics,
            breakdown,
            git_rev: trailing(0),
            lsmlab_version: trailing(1),
            spec_hash: trailing(2),
            config: trailing(3),
        });
    }
    Ok((records, layout.notes))
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
        std::fs::write(
            &path,
            "run_id,spec,policy,workload,seed,user_bytes,git_rev,lsmlab_version\n",
        )
        .unwrap();
        let err = read_runs(&path).unwrap_err().to_string();
        assert!(
            err.contains("runs.csv:1") && err.contains("no `ops` column"),
            "{err}"
        );
        let missing = read_runs(&dir.path().join("nope.csv")).unwrap_err();
        assert!(missing.to_string().contains("nope.csv"));
    }

    #[test]
    fn an_older_file_loads_by_column_name_and_says_what_it_lacks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        // Columns out of the current order, two metrics and the trailing
        // columns missing, one column this version does not know.
        std::fs::write(
            &path,
            "run_id,spec,policy,workload,l0_file_limit,seed,ops,space_amp,write_amp,\
             write_bytes_L1,future_metric,git_rev,lsmlab_version\n\
             leveled/u/l0_file_limit=4,demo,leveled,u,4,7,1000,1.1,6.5,1234,9,abc,0.1.0\n",
        )
        .unwrap();
        let (records, notes) = read_runs_noted(&path).unwrap();
        let r = &records[0];
        assert_eq!((r.metrics.write_amp, r.metrics.space_amp), (6.5, 1.1));
        assert_eq!(r.varied, [("l0_file_limit".to_string(), "4".to_string())]);
        assert_eq!(r.breakdown, [("write_bytes_L1".to_string(), 1234)]);
        assert_eq!((r.git_rev.as_str(), r.config.as_str()), ("abc", ""));
        assert!(notes.absent_metrics.contains(&"read_amp"));
        std::fs::write(
            &path,
            "run_id,spec,policy,workload,seed,ops,write_amp,git_r",
        )
        .unwrap();
        let err = read_runs(&path).unwrap_err().to_string();
        assert!(
            err.contains("runs.csv:1") && err.contains("cut short"),
            "{err}"
        );
        assert!(!notes.absent_metrics.contains(&"write_amp"));
        assert_eq!(notes.ignored, ["future_metric"]);
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
