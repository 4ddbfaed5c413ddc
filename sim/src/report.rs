//! report.md: the human-facing summary of a sweep — which configuration to
//! use on each workload and why, the Pareto frontier, a table of the headline
//! metrics per run, the plots, and the spec that produced them.

use std::fmt::Write as _;

use crate::recommend::Decisions;
use crate::results::RunRecord;
use crate::words::count;

/// File name of the report inside a sweep's reports directory.
pub const REPORT_MD: &str = "report.md";

/// Where the report links to, relative to the report's directory.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportLinks {
    /// (alt text / heading, path) of each plot, in the order to show them.
    pub plots: Vec<(String, String)>,
    pub runs_csv: String,
    pub timeline_csv: String,
    pub notebook: String,
}

/// The report as Markdown.
pub fn render_report(
    spec_name: &str,
    spec_toml: &str,
    records: &[RunRecord],
    decisions: &Decisions,
    links: &ReportLinks,
) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Sweep `{spec_name}`\n");
    if let Some(r) = records.first() {
        let _ = writeln!(
            md,
            "{}, lsmlab {} at git revision `{}`.\n",
            count(records.len(), "run"),
            r.lsmlab_version,
            r.git_rev
        );
    } else {
        md.push_str("No runs.\n\n");
    }
    let _ = writeln!(
        md,
        "Data: [runs.csv]({}), [timeline.csv]({}); continue the analysis in [analysis.ipynb]({}).\n",
        links.runs_csv, links.timeline_csv, links.notebook
    );

    let _ = writeln!(md, "## Recommendations\n\n{}\n", decisions.basis);
    for sentence in &decisions.recommendations {
        let _ = writeln!(md, "- {sentence}");
    }
    md.push_str(
        "\n## Pareto frontier\n\nRuns no other run of the workload beats on write, space and read \
         amplification and stall seconds at once (drawn solid in the trade-off plot; dominated runs faded):\n\n",
    );
    for sentence in &decisions.frontier {
        let _ = writeln!(md, "- {sentence}");
    }

    md.push_str("\n## Runs\n\n");
    md.push_str(&headline_table(records));
    if records.iter().any(|r| r.metrics.blob_bytes_written > 0) {
        md.push_str("\n## Value separation\n\n");
        md.push_str(&blob_table(records));
    }
    if records.iter().any(|r| r.metrics.tombstones_left > 0) {
        md.push_str("\n## Tombstones and read cost\n\n");
        md.push_str(&tombstone_table(records));
    }

    for (title, file) in &links.plots {
        let _ = writeln!(md, "\n## {title}\n\n![{title}]({file})");
    }

    let fence = "`".repeat(longest_backtick_run(spec_toml).max(2) + 1);
    let _ = writeln!(
        md,
        "\n## Spec\n\n{fence}toml\n{}\n{fence}",
        spec_toml.trim_end()
    );
    md
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Escapes a cell for a Markdown table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn fixed(x: f64, places: usize) -> String {
    if x.is_finite() {
        format!("{x:.places$}")
    } else {
        x.to_string()
    }
}

/// The table of headline metrics, one row per run.
fn headline_table(records: &[RunRecord]) -> String {
    let mut md = String::from(
        "| run | write amp | space amp | space amp peak | read amp | read amp p99 | filter probes | sorted runs max | compactions | trivial moves | stall s |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in records {
        let m = &r.metrics;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&r.run_id),
            fixed(m.write_amp, 2),
            fixed(m.space_amp, 2),
            fixed(m.space_amp_peak, 2),
            fixed(m.read_amp, 2),
            fixed(m.read_amp_p99, 1),
            fixed(m.filter_probes, 2),
            m.sorted_runs_max,
            m.compactions,
            m.trivial_moves,
            fixed(m.stall_seconds, 1),
        );
    }
    md
}

/// Where the bytes went with value separation, and what scans paid: one
/// row per run (only in reports of runs that wrote blob files).
fn blob_table(records: &[RunRecord]) -> String {
    let mib = |b: u64| fixed(b as f64 / (1 << 20) as f64, 1);
    let mut md = String::from(
        "| run | write amp | table MiB written | blob MiB written | space amp | table MiB | blob MiB | blob garbage MiB | scan blocks | read amp |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in records {
        let m = &r.metrics;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&r.run_id),
            fixed(m.write_amp, 2),
            mib(m.flush_bytes + m.compaction_write_bytes),
            mib(m.blob_bytes_written),
            fixed(m.space_amp, 2),
            mib(m.sst_bytes),
            mib(m.blob_bytes),
            mib(m.blob_garbage_bytes),
            m.scan_blocks.map_or("-".into(), |x| fixed(x, 1)),
            fixed(m.read_amp, 2),
        );
    }
    md
}

/// What deletes leave behind and what reads pay for it: one row per run
/// (only in reports of runs that left tombstones, point or range).
fn tombstone_table(records: &[RunRecord]) -> String {
    let mut md = String::from(
        "| run | tombstones left | space amp | read amp | read amp settled | scan blocks | scan blocks p99 | scan sorted runs | delete persistence s |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let opt = |x: Option<f64>, places| x.map_or("-".into(), |x| fixed(x, places));
    for r in records {
        let m = &r.metrics;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&r.run_id),
            m.tombstones_left,
            fixed(m.space_amp, 2),
            fixed(m.read_amp, 2),
            fixed(m.read_amp_settled, 2),
            opt(m.scan_blocks, 1),
            opt(m.scan_blocks_p99, 0),
            opt(m.scan_sorted_runs, 1),
            opt(m.delete_persistence_mean_s, 1),
        );
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::decide;
    use crate::results::tests::record;

    fn links() -> ReportLinks {
        ReportLinks {
            plots: vec![("Trade-offs".into(), "tradeoff.png".into())],
            runs_csv: "../../notebooks-out/demo/runs.csv".into(),
            timeline_csv: "../../notebooks-out/demo/timeline.csv".into(),
            notebook: "../../notebooks-out/demo/analysis.ipynb".into(),
        }
    }

    fn records() -> Vec<RunRecord> {
        let mut rs = vec![
            record("leveled", "uniform", 6.0),
            record("size-tiered", "uniform", 2.5),
            record("fifo", "zipfian", 1.2),
            record("leveled", "zipfian", 5.0),
        ];
        rs[0].metrics.space_amp = 1.05;
        rs[0].metrics.read_amp = 1.2;
        rs[1].metrics.space_amp = 1.9;
        rs[1].metrics.read_amp = 3.4;
        rs
    }

    #[test]
    fn report_has_sections_table_plots_and_the_spec() {
        let spec = "name = \"demo\"\ndescription = \"has ``` inside\"\n";
        let decisions = decide(&records(), None);
        let md = render_report("demo", spec, &records(), &decisions, &links());
        assert!(md.starts_with("# Sweep `demo`\n\n4 runs, lsmlab 0.1.0 at git revision `abc123`."));
        assert!(md.contains("[runs.csv](../../notebooks-out/demo/runs.csv)"));
        assert!(md.contains("## Recommendations\n\nThe spec states no `[goal]`"));
        assert!(md.contains(&format!("- {}\n", decisions.recommendations[1])));
        assert!(md.contains(&format!(
            "amplification and stall seconds at once (drawn solid in the trade-off plot; dominated runs faded):\n\n- {}\n",
            decisions.frontier[0]
        )));
        assert!(
            md.contains("| leveled/uniform | 6.00 | 1.05 | 0.00 | 1.20 |"),
            "{md}"
        );
        assert!(md.contains("## Trade-offs\n\n![Trade-offs](tradeoff.png)"));
        assert!(
            md.contains("````toml\nname = \"demo\"\n"),
            "fence longer than the spec's backticks"
        );
        let rows = md
            .lines()
            .filter(|l| l.starts_with("| ") && l.contains('/'))
            .count();
        assert_eq!(rows, 4);
    }

    #[test]
    fn tombstones_get_their_table_only_when_runs_left_some() {
        let decisions = decide(&records(), None);
        let md = render_report("demo", "", &records(), &decisions, &links());
        assert!(!md.contains("## Tombstones and read cost"));
        let mut rs = records();
        rs[1].metrics.tombstones_left = 42;
        rs[1].metrics.scan_blocks = Some(7.25);
        let md = render_report("demo", "", &rs, &decisions, &links());
        assert!(md.contains("## Tombstones and read cost"), "{md}");
        assert!(
            md.contains("| size-tiered/uniform | 42 | 1.90 | 3.40 |"),
            "{md}"
        );
        assert!(md.contains("| 7.2 |") || md.contains("| 7.3 |"), "{md}");
    }

    #[test]
    fn pipes_in_run_ids_do_not_break_the_table() {
        let mut r = record("a|b", "u", 2.0);
        r.run_id = "a|b/u".into();
        let md = render_report("demo", "", &[r], &decide(&[], None), &links());
        assert!(md.contains("| a\\|b/u |"));
    }
}
