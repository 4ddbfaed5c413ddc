//! analysis.ipynb: a generated Jupyter notebook (nbformat 4.5) beside a
//! sweep's CSVs that loads them with pandas and redraws every plot of the
//! report, repeats its decisions word for word and recomputes the Pareto
//! frontier, so a researcher can carry on from where the report stops.

use std::path::Path;

use serde_json::{json, Value};

use crate::error::{LabError, Result};
use crate::recommend::Decisions;

/// File name of the notebook inside a sweep's notebooks-out directory.
pub const NOTEBOOK: &str = "analysis.ipynb";

/// A notebook cell: kind, a stable id, and its source.
struct Cell {
    kind: &'static str,
    id: &'static str,
    source: String,
}

fn markdown(id: &'static str, source: impl Into<String>) -> Cell {
    Cell {
        kind: "markdown",
        id,
        source: source.into(),
    }
}

fn code(id: &'static str, source: impl Into<String>) -> Cell {
    Cell {
        kind: "code",
        id,
        source: source.into(),
    }
}

const LOAD: &str = r#"from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

# The CSVs sit beside this notebook; when it runs from the repository root,
# look in notebooks-out/<sweep>/ instead.
HERE = Path(".")
if not (HERE / "runs.csv").exists():
    HERE = Path("notebooks-out") / SWEEP
runs = pd.read_csv(HERE / "runs.csv")
timeline = pd.read_csv(HERE / "timeline.csv")

# The same colour per policy as the PNG plots of the report (the
# engine's policy registry, in its order, is KNOWN_POLICIES above; PALETTE
# is the plots' own list of colours).
policies = list(dict.fromkeys(runs["policy"]))
workloads = list(dict.fromkeys(runs["workload"]))
others = [p for p in policies if p not in KNOWN_POLICIES]


# Grid parameters sit between the `workload` and `seed` columns.
varied = list(runs.columns[runs.columns.get_loc("workload") + 1:runs.columns.get_loc("seed")])


def label_of(run_id):
    run = runs.set_index("run_id").loc[run_id]
    return " ".join([run["policy"]] + [f"{c}={run[c]}" for c in varied if pd.notna(run[c])])


def color_of(policy):
    if policy in KNOWN_POLICIES:
        slot = KNOWN_POLICIES.index(policy)
    else:
        slot = len(KNOWN_POLICIES) + others.index(policy)
    return PALETTE[slot % len(PALETTE)]


runs[["run_id", "policy", "workload", "write_amp", "space_amp", "read_amp", "compactions"]]
"#;

const TRADEOFF: &str = r#"read = runs["read_amp"]
lo, hi = read.min(), read.max()


def marker_area(read_amp):
    t = (read_amp - lo) / (hi - lo) if hi > lo else 0.5
    return 36 + (400 - 36) * t


fig, axes = plt.subplots(1, len(workloads), figsize=(5 * len(workloads), 4.5), squeeze=False)
for ax, workload in zip(axes[0], workloads):
    sub = runs[runs["workload"] == workload]
    for policy in policies:
        pts = sub[sub["policy"] == policy]
        if pts.empty:
            continue
        ax.scatter(pts["write_amp"], pts["space_amp"], s=[marker_area(r) for r in pts["read_amp"]],
                   color=color_of(policy), alpha=0.75, edgecolors="black", label=policy)
    ax.set_title(f"workload: {workload}")
    ax.set_xlabel("write amplification (x)")
    ax.set_ylabel("space amplification (x)")
    ax.grid(alpha=0.3)
axes[0][-1].legend(title="policy", loc="upper left", bbox_to_anchor=(1.02, 1))
fig.suptitle("Write vs space amplification (marker area: read amplification)")
fig.tight_layout()
plt.show()
"#;

const OVER_TIME: &str = r#"tl = timeline.merge(runs[["run_id", "policy", "workload"]], on="run_id")
metrics = [("write_amp", "write amplification (x)"),
           ("space_amp", "space amplification (x)"),
           ("read_amp", "read amplification (blocks/lookup)")]
fig, axes = plt.subplots(len(metrics), len(workloads), figsize=(5 * len(workloads), 10), squeeze=False)
for col, workload in enumerate(workloads):
    sub = tl[tl["workload"] == workload]
    for row, (metric, label) in enumerate(metrics):
        ax = axes[row][col]
        for run_id, run in sub.groupby("run_id", sort=False):
            ax.plot(run["ops_done"], run[metric], color=color_of(run["policy"].iloc[0]), label=label_of(run_id))
        ax.set_title(f"workload: {workload}")
        ax.set_xlabel("operations done")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
axes[0][-1].legend(title="run", fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
fig.suptitle("Amplification over the run")
fig.tight_layout()
plt.show()
"#;

const LEVELS: &str = r#"level_cols = [c for c in timeline.columns if c.startswith("level_") and c.endswith("_bytes")]
last = tl.loc[tl.groupby("run_id", sort=False)["ops_done"].idxmax()]
fig, axes = plt.subplots(1, len(workloads), figsize=(5 * len(workloads), 4.5), squeeze=False)
for ax, workload in zip(axes[0], workloads):
    sub = last[last["workload"] == workload].set_index("run_id")[level_cols] / 2**20
    sub.columns = [f"L{i}" for i in range(len(level_cols))]
    colors = [color_of(runs.set_index("run_id").loc[r, "policy"]) for r in sub.index]
    sub.index = [label_of(r) for r in sub.index]
    sub.T.plot.bar(ax=ax, color=colors, legend=False, rot=0)
    ax.set_title(f"workload: {workload}")
    ax.set_xlabel("level")
    ax.set_ylabel("size at the end (MiB)")
axes[0][-1].legend(title="run", fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
fig.suptitle("Level shape at the end of each run")
fig.tight_layout()
plt.show()
"#;

const DEBT: &str = r#"debt = [("l0_files", "L0 files"),
        ("pending_compaction_bytes", "pending compaction (MiB)")]
fig, axes = plt.subplots(len(debt), len(workloads), figsize=(5 * len(workloads), 7), squeeze=False)
for col, workload in enumerate(workloads):
    sub = tl[tl["workload"] == workload]
    for row, (metric, label) in enumerate(debt):
        ax = axes[row][col]
        scale = 2**20 if metric.endswith("_bytes") else 1
        for run_id, run in sub.groupby("run_id", sort=False):
            ax.step(run["sim_time_s"], run[metric] / scale, where="post",
                    color=color_of(run["policy"].iloc[0]), label=label_of(run_id))
        ax.set_title(f"workload: {workload}")
        ax.set_xlabel("simulated time (s)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
axes[0][-1].legend(title="run", fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
fig.suptitle("Compaction debt over simulated time")
fig.tight_layout()
plt.show()
"#;

/// The tree picture from the timeline's `tree` snapshots, as the report's
/// tree.png.
const TREE: &str = r#"def tree_bars(cell):
    """(level, run, lo, hi) of each sorted run in a timeline `tree` cell."""
    bars = []
    for item in str(cell).split():
        if "+" in item:
            continue
        at, lo, hi, _size, _files = item[1:].split(":")
        level, run = at.split(".")
        bars.append((int(level), int(run), float(lo), float(hi)))
    return bars


snaps = tl[tl["tree"].notna() & (tl["tree"].astype(str) != "")]
shown = snaps[snaps["workload"] == workloads[0]].groupby("policy", sort=False)["run_id"].first()
moments = max([len(snaps[snaps["run_id"] == r]) for r in shown] or [1])
fig, axes = plt.subplots(max(len(shown), 1), moments, figsize=(3.6 * moments, 2.6 * max(len(shown), 1)), squeeze=False)
for row, (policy, run_id) in enumerate(shown.items()):
    rows = snaps[snaps["run_id"] == run_id]
    parsed = [tree_bars(c) for c in rows["tree"]]
    lo = min(b[2] for bars in parsed for b in bars)
    span = max(max(b[3] for bars in parsed for b in bars) - lo, 1e-300)
    deepest = max(b[0] for bars in parsed for b in bars)
    for col, (ops, bars) in enumerate(zip(rows["ops_done"], parsed)):
        ax = axes[row][col]
        per_level = {}
        for b in bars:
            per_level[b[0]] = per_level.get(b[0], 0) + 1
        for level, run, a, z in bars:
            h = 0.8 / per_level[level]
            top = -level + 0.4 - run * h
            ax.barh(top - h / 2, max((z - a) / span, 0.004), left=(a - lo) / span,
                    height=h * (0.8 if per_level[level] > 1 else 1.0), color=color_of(policy))
        moment = "settled end" if col == len(parsed) - 1 else f"{100 * ops / rows['ops_done'].max():.0f}% of ops"
        ax.set_title(f"{policy}, {moment}: {sum(per_level.values())} sorted runs", fontsize="small")
        ax.set_xlim(0, 1)
        ax.set_ylim(-max(deepest, 1) - 0.5, 0.5)
        ax.set_yticks([-l for l in range(max(deepest, 1) + 1)], [f"L{l}" for l in range(max(deepest, 1) + 1)])
        ax.set_xlabel("key space (fraction)")
fig.suptitle(f"The tree at four moments of each run (workload: {workloads[0]})")
fig.tight_layout()
plt.show()
"#;

/// Each metric against each numeric grid axis, one line per policy (and
/// values of the other axes), as the report's grid_<axis>.png.
const GRID: &str = r#"grid_metrics = [("write_amp", "write amplification (x)"),
                ("space_amp", "space amplification (x)"),
                ("read_amp", "read amp (blocks/lookup)"),
                ("stall_seconds", "stall (simulated s)")]
for axis in GRID_AXES:
    others = [c for c in varied if c != axis]
    fig, axes = plt.subplots(len(grid_metrics), len(workloads),
                             figsize=(5 * len(workloads), 3.2 * len(grid_metrics)), squeeze=False)
    for col, workload in enumerate(workloads):
        sub = runs[runs["workload"] == workload]
        for row, (metric, label) in enumerate(grid_metrics):
            ax = axes[row][col]
            for key, line in sub.groupby(["policy"] + others, sort=False, dropna=False):
                line = line.sort_values(axis)
                name = " ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
                ax.plot(line[axis], line[metric], marker="o", color=color_of(line["policy"].iloc[0]), label=name)
            ax.set_title(f"workload: {workload}")
            ax.set_xlabel(f"{axis} (base units)")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
    axes[0][-1].legend(title="line", fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.suptitle(f"Metrics against {axis}")
    fig.tight_layout()
    plt.show()
"#;

/// The Pareto frontier recomputed from runs.csv with the report's rule.
const FRONTIER: &str = r#"COSTS = ["write_amp", "space_amp", "read_amp", "stall_seconds"]


def frontier(sub):
    costs = sub[COSTS].fillna(float("inf")).to_numpy()
    keep = []
    for i, a in enumerate(costs):
        dominated = any((b <= a).all() and (b < a).any() for j, b in enumerate(costs) if j != i)
        keep.append(not dominated)
    return sub[keep]


for workload in workloads:
    sub = runs[runs["workload"] == workload]
    front = frontier(sub)
    print(f"{workload}: {len(front)} on the frontier, {len(sub) - len(front)} dominated")
    print(front[["run_id"] + COSTS].to_string(index=False))
    print()
"#;

/// The report's decision sentences, word for word.
fn decisions_markdown(d: &Decisions) -> String {
    let mut md = format!("## Recommendations (as in report.md)\n\n{}\n\n", d.basis);
    for s in &d.recommendations {
        md.push_str(&format!("- {s}\n"));
    }
    md.push_str("\n## Pareto frontier (as in report.md)\n\n");
    for s in &d.frontier {
        md.push_str(&format!("- {s}\n"));
    }
    md
}

fn cells(spec_name: &str, decisions: &Decisions, grid_axes: &[String]) -> Vec<Cell> {
    let sweep = serde_json::to_string(spec_name).unwrap_or_else(|_| "\"\"".into());
    // A JSON list of strings is a Python list literal.
    let known =
        serde_json::to_string(&crate::spec::known_policies()).unwrap_or_else(|_| "[]".into());
    let palette =
        serde_json::to_string(&crate::plots::palette_hex()).unwrap_or_else(|_| "[]".into());
    let mut cells = vec![
        markdown(
            "intro",
            format!(
                "# lsmlab sweep `{spec_name}`\n\n\
                 Generated by `lsmlab sweep`. `runs.csv` holds one row per run (the metric \
                 columns are defined in the repository's docs/design.md, \"Metrics\"); `timeline.csv` holds the \
                 amplification and level sizes sampled along each run. The cells below load \
                 both and redraw the plots of `reports/{spec_name}/report.md`; edit freely, \
                 a new sweep overwrites this notebook."
            ),
        ),
        code(
            "load",
            format!("SWEEP = {sweep}\nKNOWN_POLICIES = {known}\nPALETTE = {palette}\n{LOAD}"),
        ),
        markdown(
            "tradeoff-md",
            "## Trade-off: write vs space amplification, marker area by read amplification",
        ),
        code("tradeoff", TRADEOFF),
        markdown("over-time-md", "## Amplification over the run"),
        code("over-time", OVER_TIME),
        markdown("levels-md", "## Level shape at the end"),
        code("levels", LEVELS),
        markdown("debt-md", "## Compaction debt over time"),
        code("debt", DEBT),
        markdown("tree-md", "## The tree at four moments"),
        code("tree", TREE),
        markdown("decisions-md", decisions_markdown(decisions)),
        code("frontier", FRONTIER),
    ];
    if !grid_axes.is_empty() {
        let axes = serde_json::to_string(grid_axes).unwrap_or_else(|_| "[]".into());
        cells.push(markdown(
            "grid-md",
            "## Metrics against each numeric grid axis",
        ));
        cells.push(code("grid", format!("GRID_AXES = {axes}\n{GRID}")));
    }
    cells
}

/// nbformat 4 splits sources into lines, each keeping its newline.
fn source_lines(source: &str) -> Vec<String> {
    source
        .trim_end()
        .split_inclusive('\n')
        .map(String::from)
        .collect()
}

/// The notebook as nbformat 4.5 JSON; `grid_axes` are the numeric grid
/// axes the report has a chart for.
pub fn notebook_json(spec_name: &str, decisions: &Decisions, grid_axes: &[String]) -> Value {
    let cells: Vec<Value> = cells(spec_name, decisions, grid_axes)
        .into_iter()
        .map(|c| {
            let mut cell = json!({
                "cell_type": c.kind,
                "id": c.id,
                "metadata": {},
                "source": source_lines(&c.source),
            });
            if c.kind == "code" {
                cell["execution_count"] = Value::Null;
                cell["outputs"] = json!([]);
            }
            cell
        })
        .collect();
    json!({
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5
    })
}

/// The text of analysis.ipynb (to be written at `path`, named in errors).
pub fn notebook_text(
    path: &Path,
    spec_name: &str,
    decisions: &Decisions,
    grid_axes: &[String],
) -> Result<String> {
    serde_json::to_string_pretty(&notebook_json(spec_name, decisions, grid_axes))
        .map(|text| text + "\n")
        .map_err(|e| LabError::output(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notebook_is_valid_nbformat_4_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(NOTEBOOK);
        let d = crate::recommend::decide(&[], None);
        std::fs::write(
            &path,
            notebook_text(&path, "demo", &d, &["l0_file_limit".into()]).unwrap(),
        )
        .unwrap();
        let nb: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(nb["nbformat"], 4);
        assert_eq!(nb["nbformat_minor"], 5);
        assert_eq!(nb["metadata"]["kernelspec"]["name"], "python3");
        let cells = nb["cells"].as_array().unwrap();
        let mut ids = Vec::new();
        for cell in cells {
            let id = cell["id"].as_str().unwrap();
            assert!(!id.is_empty() && id.len() <= 64);
            assert!(id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
            ids.push(id);
            let lines = cell["source"].as_array().unwrap();
            assert!(!lines.is_empty());
            for (i, line) in lines.iter().enumerate() {
                let line = line.as_str().unwrap();
                assert_eq!(line.ends_with('\n'), i + 1 < lines.len(), "{line:?}");
            }
            match cell["cell_type"].as_str().unwrap() {
                "code" => {
                    assert!(cell["execution_count"].is_null());
                    assert_eq!(cell["outputs"], json!([]));
                }
                "markdown" => assert!(cell.get("outputs").is_none()),
                other => panic!("unexpected cell type {other}"),
            }
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "cell ids are unique");
    }

    #[test]
    fn code_loads_both_csvs_and_redraws_the_tradeoff() {
        let nb = notebook_json(
            "my \"sweep\"",
            &crate::recommend::decide(&[], None),
            &["l0_file_limit".into()],
        );
        let code: String = nb["cells"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["cell_type"] == "code")
            .flat_map(|c| {
                c["source"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_str().unwrap().to_string())
            })
            .collect();
        assert!(code.starts_with("SWEEP = \"my \\\"sweep\\\"\"\n"));
        assert!(code.contains("pd.read_csv(HERE / \"runs.csv\")"));
        assert!(code.contains("pd.read_csv(HERE / \"timeline.csv\")"));
        assert!(code.contains("ax.scatter(pts[\"write_amp\"], pts[\"space_amp\"]"));
        assert!(code.contains("run[\"ops_done\"], run[metric]"));
        assert!(code.contains("ax.step(run[\"sim_time_s\"], run[metric] / scale"));
        assert!(code.contains("GRID_AXES = [\"l0_file_limit\"]\n"));
        assert!(code
            .contains("COSTS = [\"write_amp\", \"space_amp\", \"read_amp\", \"stall_seconds\"]"));
    }
}
