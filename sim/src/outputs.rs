//! Everything a sweep leaves behind, written by one call:
//! `notebooks-out/<name>/{runs.csv, timeline.csv, spec.toml, analysis.ipynb}`
//! and `reports/<name>/{tradeoff.png, amp_over_time.png, debt_over_time.png,
//! level_shape.png, report.md}`.

use std::path::{Component, Path, PathBuf};

use crate::error::{LabError, Result};
use crate::notebook::{write_notebook, NOTEBOOK};
use crate::plots::{amp_over_time, debt_over_time, level_shape, tradeoff_scatter, PanelSize};
use crate::report::{write_report, ReportLinks, REPORT_MD};
use crate::results::{write_runs, RunRecord, RUNS_CSV};
use crate::timeline::{write_timeline, TimelineRow, TIMELINE_CSV};

/// File name of the copy of the spec beside the results.
pub const SPEC_TOML: &str = "spec.toml";
const TRADEOFF_PNG: &str = "tradeoff.png";
const AMP_OVER_TIME_PNG: &str = "amp_over_time.png";
const LEVEL_SHAPE_PNG: &str = "level_shape.png";
const DEBT_OVER_TIME_PNG: &str = "debt_over_time.png";

/// The files `write_outputs` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputPaths {
    /// `notebooks_dir/<name>`.
    pub data_dir: PathBuf,
    /// `reports_dir/<name>`.
    pub report_dir: PathBuf,
    pub runs_csv: PathBuf,
    pub timeline_csv: PathBuf,
    /// The spec text the sweep ran, for reproduction and for re-expanding the
    /// run order when shards are merged.
    pub spec_toml: PathBuf,
    pub notebook: PathBuf,
    pub report_md: PathBuf,
    pub tradeoff_png: PathBuf,
    pub amp_over_time_png: PathBuf,
    pub level_shape_png: PathBuf,
    pub debt_over_time_png: PathBuf,
}

/// Writes every output of a sweep named `spec_name` under `notebooks_dir`
/// (e.g. `notebooks-out/`) and `reports_dir` (e.g. `reports/`), creating the
/// `<name>` directories. Records and timeline are written in the order given.
pub fn write_outputs(
    spec_name: &str,
    spec_toml_text: &str,
    records: &[RunRecord],
    timeline: &[TimelineRow],
    notebooks_dir: &Path,
    reports_dir: &Path,
) -> Result<OutputPaths> {
    write_outputs_sized(
        spec_name,
        spec_toml_text,
        records,
        timeline,
        notebooks_dir,
        reports_dir,
        PanelSize::default(),
    )
}

/// `write_outputs` with a chosen plot panel size.
pub fn write_outputs_sized(
    spec_name: &str,
    spec_toml_text: &str,
    records: &[RunRecord],
    timeline: &[TimelineRow],
    notebooks_dir: &Path,
    reports_dir: &Path,
    panel: PanelSize,
) -> Result<OutputPaths> {
    let plain = !spec_name.is_empty()
        && spec_name != "."
        && spec_name != ".."
        && spec_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !plain {
        return Err(LabError::InvalidArgument(format!(
            "sweep name `{spec_name}` cannot name a directory: use letters, digits, `.`, `_` and `-`"
        )));
    }
    let data_dir = notebooks_dir.join(spec_name);
    let report_dir = reports_dir.join(spec_name);
    for dir in [&data_dir, &report_dir] {
        std::fs::create_dir_all(dir).map_err(|e| LabError::io(dir, e))?;
    }
    let paths = OutputPaths {
        runs_csv: data_dir.join(RUNS_CSV),
        timeline_csv: data_dir.join(TIMELINE_CSV),
        spec_toml: data_dir.join(SPEC_TOML),
        notebook: data_dir.join(NOTEBOOK),
        report_md: report_dir.join(REPORT_MD),
        tradeoff_png: report_dir.join(TRADEOFF_PNG),
        amp_over_time_png: report_dir.join(AMP_OVER_TIME_PNG),
        level_shape_png: report_dir.join(LEVEL_SHAPE_PNG),
        debt_over_time_png: report_dir.join(DEBT_OVER_TIME_PNG),
        data_dir,
        report_dir,
    };
    write_runs(&paths.runs_csv, records)?;
    write_timeline(&paths.timeline_csv, timeline)?;
    std::fs::write(&paths.spec_toml, spec_toml_text)
        .map_err(|e| LabError::io(&paths.spec_toml, e))?;
    write_notebook(&paths.notebook, spec_name)?;
    // Several seeds per configuration: the scatter and the report show the
    // mean of each (aggregate.rs); runs.csv and the timelines keep every run.
    let shown = crate::aggregate::mean_records(records);
    tradeoff_scatter(&shown, &paths.tradeoff_png, panel)?;
    amp_over_time(timeline, records, &paths.amp_over_time_png, panel)?;
    debt_over_time(timeline, records, &paths.debt_over_time_png, panel)?;
    level_shape(timeline, records, &paths.level_shape_png, panel)?;
    let to_data = |file: &Path| relative_link(&paths.report_dir, file);
    let links = ReportLinks {
        plots: vec![
            ("Trade-offs".into(), TRADEOFF_PNG.into()),
            (
                "Amplification over the run".into(),
                AMP_OVER_TIME_PNG.into(),
            ),
            (
                "Compaction debt over time".into(),
                DEBT_OVER_TIME_PNG.into(),
            ),
            ("Level shape at the end".into(), LEVEL_SHAPE_PNG.into()),
        ],
        runs_csv: to_data(&paths.runs_csv),
        timeline_csv: to_data(&paths.timeline_csv),
        notebook: to_data(&paths.notebook),
    };
    write_report(&paths.report_md, spec_name, spec_toml_text, &shown, &links)?;
    Ok(paths)
}

/// A Markdown link from directory `from` to `to` (both existing): relative
/// with `/` separators when they share a root, else `to` as it is.
fn relative_link(from: &Path, to: &Path) -> String {
    let (Ok(from), Ok(to)) = (from.canonicalize(), to.canonicalize()) else {
        return to.display().to_string();
    };
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return to.display().to_string();
    }
    let ups = std::iter::repeat_n("..".to_string(), a.len() - common);
    let downs = b[common..]
        .iter()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    ups.chain(downs).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{read_runs, tests::record};
    use crate::timeline::{read_timeline, tests::samples};

    #[test]
    fn writes_every_output_and_links_them() {
        let root = tempfile::tempdir().unwrap();
        let (nb, rep) = (
            root.path().join("notebooks-out"),
            root.path().join("reports"),
        );
        let records = vec![
            record("leveled", "uniform", 4.0),
            record("fifo", "uniform", 1.1),
        ];
        let mut timeline = samples("leveled/uniform", 50, 1.0);
        timeline.extend(samples("fifo/uniform", 50, 0.1));
        let spec = "name = \"demo\"\n";
        let small = PanelSize {
            width: 300,
            height: 220,
        };
        let paths =
            write_outputs_sized("demo", spec, &records, &timeline, &nb, &rep, small).unwrap();

        assert_eq!(paths.runs_csv, nb.join("demo/runs.csv"));
        assert_eq!(read_runs(&paths.runs_csv).unwrap(), records);
        assert_eq!(read_timeline(&paths.timeline_csv).unwrap().len(), 100);
        assert_eq!(std::fs::read_to_string(&paths.spec_toml).unwrap(), spec);
        assert!(paths
            .notebook
            .ends_with("notebooks-out/demo/analysis.ipynb"));
        for png in [
            &paths.tradeoff_png,
            &paths.amp_over_time_png,
            &paths.debt_over_time_png,
            &paths.level_shape_png,
        ] {
            assert!(png.starts_with(rep.join("demo")));
            assert_eq!(&std::fs::read(png).unwrap()[1..4], b"PNG");
        }
        let md = std::fs::read_to_string(&paths.report_md).unwrap();
        assert!(
            md.contains("[runs.csv](../../notebooks-out/demo/runs.csv)"),
            "{md}"
        );
        assert!(md.contains("[analysis.ipynb](../../notebooks-out/demo/analysis.ipynb)"));
        for png in [
            "tradeoff.png",
            "amp_over_time.png",
            "debt_over_time.png",
            "level_shape.png",
        ] {
            assert!(md.contains(&format!("]({png})")), "{png}");
        }
    }

    #[test]
    fn a_name_that_is_not_a_plain_directory_is_refused() {
        let root = tempfile::tempdir().unwrap();
        for name in ["", "..", "a/b", "x y"] {
            let err = write_outputs(name, "", &[], &[], root.path(), root.path()).unwrap_err();
            assert!(
                err.to_string().contains("cannot name a directory"),
                "{name}: {err}"
            );
        }
    }

    #[test]
    fn relative_links_climb_to_the_common_root() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (
            root.path().join("reports/x"),
            root.path().join("notebooks-out/x"),
        );
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(b.join("runs.csv"), "").unwrap();
        assert_eq!(
            relative_link(&a, &b.join("runs.csv")),
            "../../notebooks-out/x/runs.csv"
        );
    }

    /// Writes a full sweep's outputs from synthetic runs into
    /// target/outputs-preview for a person (or a notebook run) to inspect:
    /// `cargo test -p lsmlab -- --ignored outputs_preview`.
    #[test]
    #[ignore]
    fn outputs_preview() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/outputs-preview");
        let mut records = Vec::new();
        let mut timeline = Vec::new();
        for (w, wl) in ["uniform", "zipfian", "timeseries"].iter().enumerate() {
            for (p, policy) in crate::spec::KNOWN_POLICIES.iter().enumerate() {
                for l0 in ["2", "8"] {
                    let wa =
                        1.5 + p as f64 * 1.3 + w as f64 * 0.4 + if l0 == "2" { 0.8 } else { 0.0 };
                    let mut r = record(policy, wl, wa);
                    r.run_id = format!("{policy}/{wl}/l0_file_limit={l0}");
                    r.varied = vec![("l0_file_limit".into(), l0.into())];
                    r.metrics.read_amp = 1.0 + (4 - p) as f64 * 0.4;
                    timeline.extend(samples(&r.run_id, 50, 0.8 + p as f64 * 0.3));
                    records.push(r);
                }
            }
        }
        let spec = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/l0-trigger.toml"),
        )
        .unwrap();
        let paths = write_outputs(
            "preview",
            &spec,
            &records,
            &timeline,
            &root.join("notebooks-out"),
            &root.join("reports"),
        )
        .unwrap();
        println!("{}", paths.report_md.display());
    }
}
