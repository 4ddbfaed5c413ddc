//! report.md: the human-facing summary of a sweep — which policy wins on
//! each workload, a table of the headline metrics per run, the plots, and
//! the spec that produced them.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{LabError, Result};
use crate::results::RunRecord;

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

/// Writes report.md.
pub fn write_report(
    path: &Path,
    spec_name: &str,
    spec_toml: &str,
    records: &[RunRecord],
    links: &ReportLinks,
) -> Result<()> {
    std::fs::write(path, render_report(spec_name, spec_toml, records, links))
        .map_err(|e| LabError::io(path, e))
}

/// The report as Markdown.
pub fn render_report(
    spec_name: &str,
    spec_toml: &str,
    records: &[RunRecord],
    links: &ReportLinks,
) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Sweep `{spec_name}`\n");
    if let Some(r) = records.first() {
        let _ = writeln!(
            md,
            "{} runs, lsmlab {} at git revision `{}`.\n",
            records.len(),
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

    md.push_str("## Best policy per workload\n\n");
    for sentence in best_policy_sentences(records) {
        let _ = writeln!(md, "- {sentence}");
    }

    md.push_str("\n## Runs\n\n");
    md.push_str(&headline_table(records));

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

/// The policy (with its grid values, if the grid varied any) of a run.
fn who(r: &RunRecord) -> String {
    if r.varied.is_empty() {
        r.policy.clone()
    } else {
        let values: Vec<String> = r.varied.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{} ({})", r.policy, values.join(", "))
    }
}

/// Who has the lowest finite value of a metric, and that value: the run's
/// policy and grid values when one run wins, the distinct policies on a tie.
fn lowest(runs: &[&RunRecord], pick: Pick) -> Option<(Vec<String>, f64)> {
    let best = runs
        .iter()
        .map(|r| pick(r))
        .filter(|v| v.is_finite())
        .min_by(f64::total_cmp)?;
    let winners: Vec<&RunRecord> = runs.iter().copied().filter(|r| pick(r) == best).collect();
    if let [one] = winners[..] {
        return Some((vec![who(one)], best));
    }
    let mut names: Vec<String> = Vec::new();
    for r in winners {
        if !names.contains(&r.policy) {
            names.push(r.policy.clone());
        }
    }
    Some((names, best))
}

fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Reads one metric of a run.
type Pick = fn(&RunRecord) -> f64;

/// One sentence per workload naming the policy with the lowest write, space
/// and read amplification, in order of first appearance.
pub fn best_policy_sentences(records: &[RunRecord]) -> Vec<String> {
    let mut workloads: Vec<&str> = Vec::new();
    for r in records {
        if !workloads.contains(&r.workload.as_str()) {
            workloads.push(&r.workload);
        }
    }
    let metrics: [(&str, Pick, &str); 3] = [
        ("write amplification", |r| r.metrics.write_amp, "x"),
        ("space amplification", |r| r.metrics.space_amp, "x"),
        (
            "read amplification",
            |r| r.metrics.read_amp,
            " blocks per lookup",
        ),
    ];
    workloads
        .iter()
        .map(|wl| {
            let runs: Vec<&RunRecord> = records.iter().filter(|r| r.workload == *wl).collect();
            let clauses: Vec<String> = metrics
                .iter()
                .enumerate()
                .map(|(i, (what, pick, unit))| match lowest(&runs, *pick) {
                    Some((names, value)) => {
                        let verb = match (i, names.len()) {
                            (0, 1) => "has ",
                            (0, _) => "have ",
                            _ => "",
                        };
                        format!(
                            "{} {verb}the lowest {what} ({value:.2}{unit})",
                            join_names(&names)
                        )
                    }
                    None => format!("no run measured {what}"),
                })
                .collect();
            format!(
                "On **{wl}**, {}, {} and {}.",
                clauses[0], clauses[1], clauses[2]
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn one_sentence_per_workload_names_the_winners() {
        let sentences = best_policy_sentences(&records());
        assert_eq!(
            sentences,
            [
                "On **uniform**, size-tiered has the lowest write amplification (2.50x), \
                 leveled the lowest space amplification (1.05x) and leveled the lowest \
                 read amplification (1.20 blocks per lookup).",
                "On **zipfian**, fifo has the lowest write amplification (1.20x), \
                 fifo the lowest space amplification (1.06x) and fifo the lowest \
                 read amplification (1.12 blocks per lookup).",
            ]
        );
    }

    #[test]
    fn ties_grid_values_and_missing_metrics_are_named() {
        let mut rs = vec![
            record("leveled", "uniform", 2.0),
            record("min-overlap", "uniform", 2.0),
            record("min-overlap", "uniform", 2.0),
            record("size-tiered", "uniform", 3.0),
        ];
        rs[1].varied = vec![("l0_file_limit".into(), "8".into())];
        rs[2].varied = vec![("l0_file_limit".into(), "2".into())];
        rs[3].varied = vec![("l0_file_limit".into(), "2".into())];
        rs[3].metrics.space_amp = 1.0;
        for r in &mut rs {
            r.metrics.read_amp = f64::NAN;
        }
        let s = &best_policy_sentences(&rs)[0];
        assert!(
            s.starts_with("On **uniform**, leveled and min-overlap have the lowest write amplification (2.00x)"),
            "{s}"
        );
        assert!(
            s.contains(", size-tiered (l0_file_limit=2) the lowest space amplification (1.00x)"),
            "{s}"
        );
        assert!(
            s.ends_with("and no run measured read amplification."),
            "{s}"
        );
    }

    #[test]
    fn report_has_sections_table_plots_and_the_spec() {
        let spec = "name = \"demo\"\ndescription = \"has ``` inside\"\n";
        let md = render_report("demo", spec, &records(), &links());
        assert!(md.starts_with("# Sweep `demo`\n\n4 runs, lsmlab 0.1.0 at git revision `abc123`."));
        assert!(md.contains("[runs.csv](../../notebooks-out/demo/runs.csv)"));
        assert!(md.contains("## Best policy per workload\n\n- On **uniform**"));
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
    fn pipes_in_run_ids_do_not_break_the_table() {
        let mut r = record("a|b", "u", 2.0);
        r.run_id = "a|b/u".into();
        let md = render_report("demo", "", &[r], &links());
        assert!(md.contains("| a\\|b/u |"));
    }
}
