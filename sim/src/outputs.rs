//! Everything a sweep leaves behind, written by one call and made visible
//! at once (see `atomic`):
//! `notebooks-out/<name>/{runs.csv, timeline.csv, spec.toml, analysis.ipynb,
//! manifest.json}` and `reports/<name>/{tradeoff.png, amp_over_time.png,
//! debt_over_time.png, level_shape.png, tree.png, report.md}`.

use std::path::{Component, Path, PathBuf};

use crate::atomic::Staging;
use crate::error::{LabError, Result};
use crate::goal::Goal;
use crate::manifest::{Manifest, MANIFEST_JSON};
use crate::notebook::{notebook_text, NOTEBOOK};
use crate::plots::{
    amp_over_time, debt_over_time, grid_chart, level_shape, numeric_axes, tradeoff_scatter,
    tree_picture, PanelSize,
};
use crate::recommend::decide;
use crate::report::{render_report, ReportLinks, REPORT_MD};
use crate::results::{write_runs, RunRecord, RUNS_CSV};
use crate::timeline::{write_timeline, TimelineRow, TIMELINE_CSV};

/// File name of the copy of the spec beside the results.
pub const SPEC_TOML: &str = "spec.toml";
const TRADEOFF_PNG: &str = "tradeoff.png";
const AMP_OVER_TIME_PNG: &str = "amp_over_time.png";
const LEVEL_SHAPE_PNG: &str = "level_shape.png";
const DEBT_OVER_TIME_PNG: &str = "debt_over_time.png";
const TREE_PNG: &str = "tree.png";

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
    /// What the directory holds (spec hash, version, run ids); written last.
    pub manifest: PathBuf,
    pub notebook: PathBuf,
    pub report_md: PathBuf,
    pub tradeoff_png: PathBuf,
    pub amp_over_time_png: PathBuf,
    pub level_shape_png: PathBuf,
    pub debt_over_time_png: PathBuf,
    /// The tree's sorted runs at four moments, per policy.
    pub tree_png: PathBuf,
}

/// Everything a finished sweep hands to `write_outputs`.
#[derive(Debug, Clone, Copy)]
pub struct SweepResults<'a> {
    /// The sweep's name: names the `<name>` directories.
    pub name: &'a str,
    /// The spec text, copied beside the results and into the report.
    pub spec_toml: &'a str,
    /// The spec's `[goal]`, if any: what the report recommends by.
    pub goal: Option<&'a Goal>,
    /// Written as manifest.json beside runs.csv.
    pub manifest: &'a Manifest,
    /// Records and timeline are written in the order given.
    pub records: &'a [RunRecord],
    pub timeline: &'a [TimelineRow],
}

/// Writes every output of a sweep under `notebooks_dir` (e.g.
/// `notebooks-out/`) and `reports_dir` (e.g. `reports/`), creating the
/// `<name>` directories. All files appear together or none does.
pub fn write_outputs(
    results: &SweepResults<'_>,
    notebooks_dir: &Path,
    reports_dir: &Path,
) -> Result<OutputPaths> {
    write_outputs_with(
        results,
        notebooks_dir,
        reports_dir,
        PanelSize::default(),
        Staging::new(),
    )
}

/// Checks that a sweep name can name a directory.
pub fn check_name(spec_name: &str) -> Result<()> {
    let plain = !spec_name.is_empty()
        && spec_name != "."
        && spec_name != ".."
        && spec_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if plain {
        Ok(())
    } else {
        Err(LabError::InvalidArgument(format!(
            "sweep name `{spec_name}` cannot name a directory: use letters, digits, `.`, `_` and `-`"
        )))
    }
}

/// `write_outputs` with a chosen plot panel size, through `staging` (every
/// file is staged first and renamed into place only when all are written).
pub fn write_outputs_with(
    results: &SweepResults<'_>,
    notebooks_dir: &Path,
    reports_dir: &Path,
    panel: PanelSize,
    mut staging: Staging,
) -> Result<OutputPaths> {
    let spec_name = results.name;
    check_name(spec_name)?;
    let (records, timeline) = (results.records, results.timeline);
    let data_dir = notebooks_dir.join(spec_name);
    let report_dir = reports_dir.join(spec_name);
    for dir in [&data_dir, &report_dir] {
        std::fs::create_dir_all(dir).map_err(|e| LabError::io(dir, e))?;
    }
    let paths = OutputPaths {
        runs_csv: data_dir.join(RUNS_CSV),
        timeline_csv: data_dir.join(TIMELINE_CSV),
        spec_toml: data_dir.join(SPEC_TOML),
        manifest: data_dir.join(MANIFEST_JSON),
        notebook: data_dir.join(NOTEBOOK),
        report_md: report_dir.join(REPORT_MD),
        tradeoff_png: report_dir.join(TRADEOFF_PNG),
        amp_over_time_png: report_dir.join(AMP_OVER_TIME_PNG),
        level_shape_png: report_dir.join(LEVEL_SHAPE_PNG),
        debt_over_time_png: report_dir.join(DEBT_OVER_TIME_PNG),
        tree_png: report_dir.join(TREE_PNG),
        data_dir,
        report_dir,
    };
    // Several seeds per configuration: the decisions and the report use the
    // mean of each (aggregate.rs), the scatter the mean with the seeds'
    // range; runs.csv and the timelines keep every run.
    let shown = crate::aggregate::mean_records(records);
    let decisions = decide(&shown, results.goal);
    staging.produce(&paths.runs_csv, |p| write_runs(p, records))?;
    staging.produce(&paths.timeline_csv, |p| write_timeline(p, timeline))?;
    staging.write(&paths.spec_toml, results.spec_toml.as_bytes())?;
    let grid_axes = numeric_axes(records);
    staging.write(
        &paths.notebook,
        notebook_text(&paths.notebook, spec_name, &decisions, &grid_axes)?.as_bytes(),
    )?;
    staging.produce(&paths.tradeoff_png, |p| tradeoff_scatter(records, p, panel))?;
    staging.produce(&paths.amp_over_time_png, |p| {
        amp_over_time(timeline, records, p, panel)
    })?;
    staging.produce(&paths.debt_over_time_png, |p| {
        debt_over_time(timeline, records, p, panel)
    })?;
    staging.produce(&paths.level_shape_png, |p| {
        level_shape(timeline, records, p, panel)
    })?;
    staging.produce(&paths.tree_png, |p| {
        tree_picture(timeline, records, p, panel)
    })?;
    let mut grid_plots = Vec::new();
    for axis in grid_axes {
        let file = format!("grid_{}.png", file_safe(&axis));
        staging.produce(&paths.report_dir.join(&file), |p| {
            grid_chart(records, &axis, p, panel)
        })?;
        grid_plots.push((format!("Metrics against {axis}"), file));
    }
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
            ("The tree at four moments".into(), TREE_PNG.into()),
        ]
        .into_iter()
        .chain(grid_plots)
        .collect(),
        runs_csv: to_data(&paths.runs_csv),
        timeline_csv: to_data(&paths.timeline_csv),
        notebook: to_data(&paths.notebook),
    };
    let md = render_report(spec_name, results.spec_toml, &shown, &decisions, &links);
    staging.write(&paths.report_md, md.as_bytes())?;
    staging.write(&paths.manifest, results.manifest.to_json().as_bytes())?;
    staging.commit()?;
    Ok(paths)
}

/// A grid axis label as part of a file name: `engine.x` -> `engine_x`.
fn file_safe(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes one shard's outputs into `dir` (runs.csv, timeline.csv, spec.toml
/// and, last, manifest.json), all at once or none.
pub fn write_shard(
    dir: &Path,
    spec_toml: &str,
    manifest: &Manifest,
    records: &[RunRecord],
    timeline: &[TimelineRow],
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| LabError::io(dir, e))?;
    let mut staging = Staging::new();
    staging.produce(&dir.join(RUNS_CSV), |p| write_runs(p, records))?;
    staging.produce(&dir.join(TIMELINE_CSV), |p| write_timeline(p, timeline))?;
    staging.write(&dir.join(SPEC_TOML), spec_toml.as_bytes())?;
    staging.write(&dir.join(MANIFEST_JSON), manifest.to_json().as_bytes())?;
    staging.commit()
}

/// A Markdown link from directory `from` to file `to` (both directories
/// existing; the file need not exist yet): relative with `/` separators when
/// they share a root, else `to` as it is.
fn relative_link(from: &Path, to: &Path) -> String {
    let (Some(to_dir), Some(name)) = (to.parent(), to.file_name()) else {
        return to.display().to_string();
    };
    let (Ok(from), Ok(to_dir)) = (from.canonicalize(), to_dir.canonicalize()) else {
        return to.display().to_string();
    };
    let to = to_dir.join(name);
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

    fn manifest(name: &str, records: &[RunRecord]) -> Manifest {
        Manifest {
            spec: name.into(),
            spec_hash: "00000000000000aa".into(),
            lsmlab_version: "0.1.0".into(),
            seed: 7,
            shard: "0/1".into(),
            run_ids: records.iter().map(|r| r.run_id.clone()).collect(),
        }
    }

    /// The results of a sweep named `name` with no spec text and no goal.
    fn results<'a>(
        name: &'a str,
        manifest: &'a Manifest,
        records: &'a [RunRecord],
        timeline: &'a [TimelineRow],
    ) -> SweepResults<'a> {
        SweepResults {
            name,
            spec_toml: "",
            goal: None,
            manifest,
            records,
            timeline,
        }
    }

    const SMALL: PanelSize = PanelSize {
        width: 300,
        height: 220,
    };

    /// Every file under `root`, with its bytes, sorted by path.
    fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut dirs = vec![root.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    let bytes = std::fs::read(&path).unwrap();
                    out.push((path, bytes));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn a_full_disk_while_writing_leaves_the_previous_outputs_intact() {
        let root = tempfile::tempdir().unwrap();
        let (nb, rep) = (root.path().join("nb"), root.path().join("rep"));
        let old = vec![record("leveled", "uniform", 4.0)];
        let timeline = samples("leveled/uniform", 50, 1.0);
        let m_old = manifest("demo", &old);
        let first = SweepResults {
            name: "demo",
            spec_toml: "name = \"demo\"\n",
            goal: None,
            manifest: &m_old,
            records: &old,
            timeline: &timeline,
        };
        write_outputs_with(&first, &nb, &rep, SMALL, Staging::new()).unwrap();
        let before = snapshot(root.path());
        let total: u64 = before.iter().map(|(_, b)| b.len() as u64).sum();

        let new = vec![
            record("leveled", "uniform", 5.0),
            record("fifo", "uniform", 1.0),
        ];
        let m_new = manifest("demo", &new);
        let second = SweepResults {
            records: &new,
            manifest: &m_new,
            ..first
        };
        // The disk fills at several points of the writing: after the CSVs,
        // among the plots, just before the manifest.
        for budget in [0, 5_000, total / 2, total - 100] {
            let err = write_outputs_with(&second, &nb, &rep, SMALL, Staging::with_budget(budget))
                .unwrap_err();
            assert!(err.to_string().contains("No space left"), "{err}");
            assert_eq!(snapshot(root.path()), before, "budget {budget}");
        }
        write_outputs_with(&second, &nb, &rep, SMALL, Staging::new()).unwrap();
        assert_eq!(read_runs(&nb.join("demo/runs.csv")).unwrap(), new);
        assert_eq!(
            Manifest::read(&nb.join("demo/manifest.json")).unwrap(),
            m_new
        );
    }

    #[test]
    fn the_notebook_repeats_the_reports_decisions_word_for_word() {
        let root = tempfile::tempdir().unwrap();
        let mut records = vec![
            record("leveled", "uniform", 4.0),
            record("fifo", "uniform", 1.1),
            record("size-tiered", "zipfian", 2.0),
        ];
        records[1].metrics.stall_seconds = 3.0;
        let m = manifest("demo", &records);
        let paths = write_outputs_with(
            &results("demo", &m, &records, &[]),
            &root.path().join("nb"),
            &root.path().join("rep"),
            SMALL,
            Staging::new(),
        )
        .unwrap();
        let md = std::fs::read_to_string(&paths.report_md).unwrap();
        let nb: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&paths.notebook).unwrap()).unwrap();
        let cell = nb["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "decisions-md")
            .unwrap();
        let sentences: Vec<&str> = cell["source"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().trim_end())
            .filter(|l| l.starts_with("- ") || l.starts_with("The spec"))
            .collect();
        assert_eq!(sentences.len(), 1 + 2 + 2, "{sentences:?}");
        for s in sentences {
            assert!(md.lines().any(|l| l == s), "not in report.md: {s}");
        }
        assert!(md.contains("fifo (stall_seconds = 3)"), "{md}");
    }

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
        let m = manifest("demo", &records);
        let results = SweepResults {
            name: "demo",
            spec_toml: spec,
            goal: None,
            manifest: &m,
            records: &records,
            timeline: &timeline,
        };
        let paths = write_outputs_with(&results, &nb, &rep, SMALL, Staging::new()).unwrap();
        assert_eq!(Manifest::read(&paths.manifest).unwrap(), m);

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
            &paths.tree_png,
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
            "tree.png",
        ] {
            assert!(md.contains(&format!("]({png})")), "{png}");
        }
    }

    #[test]
    fn each_numeric_grid_axis_gets_its_chart() {
        let root = tempfile::tempdir().unwrap();
        let mut records = Vec::new();
        for policy in ["leveled", "size-tiered"] {
            for (l0, theta) in [("2", "a"), ("8", "b")] {
                let mut r = record(policy, "uniform", 2.0 + l0.len() as f64);
                r.run_id = format!("{policy}/uniform/l0_file_limit={l0}/mode={theta}");
                r.varied = vec![
                    ("l0_file_limit".into(), l0.into()),
                    ("mode".into(), theta.into()),
                ];
                records.push(r);
            }
        }
        assert_eq!(numeric_axes(&records), ["l0_file_limit"]);
        let m = manifest("demo", &records);
        let sweep = results("demo", &m, &records, &[]);
        let (nb, rep) = (root.path().join("nb"), root.path().join("rep"));
        let paths = write_outputs_with(&sweep, &nb, &rep, SMALL, Staging::new()).unwrap();
        let png = rep.join("demo/grid_l0_file_limit.png");
        assert_eq!(&std::fs::read(&png).unwrap()[1..4], b"PNG");
        let md = std::fs::read_to_string(&paths.report_md).unwrap();
        assert!(
            md.contains("## Metrics against l0_file_limit\n\n![Metrics against l0_file_limit](grid_l0_file_limit.png)"),
            "{md}"
        );
        assert!(!rep.join("demo/grid_mode.png").exists(), "not numeric");
        let nb = std::fs::read_to_string(&paths.notebook).unwrap();
        assert!(
            nb.contains("GRID_AXES = [\\\"l0_file_limit\\\"]"),
            "the notebook redraws it"
        );
    }

    #[test]
    fn a_name_that_is_not_a_plain_directory_is_refused() {
        let root = tempfile::tempdir().unwrap();
        for name in ["", "..", "a/b", "x y"] {
            let m = manifest(name, &[]);
            let err =
                write_outputs(&results(name, &m, &[], &[]), root.path(), root.path()).unwrap_err();
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
            for (p, policy) in crate::spec::known_policies().iter().enumerate() {
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
        let m = manifest("preview", &records);
        let results = SweepResults {
            spec_toml: &spec,
            ..results("preview", &m, &records, &timeline)
        };
        let paths =
            write_outputs(&results, &root.join("notebooks-out"), &root.join("reports")).unwrap();
        println!("{}", paths.report_md.display());
    }
}
