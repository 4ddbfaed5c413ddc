//! The tree itself: for one workload, one row per policy (its first
//! configuration), one panel per moment of the run (25%, 50% and 75% of
//! the operations and the settled end); in each panel every sorted run is a
//! bar over the key range it covers, grouped by level (L0 at the top),
//! newest run of a level on top. A reader sees L0 pile up, runs merge and
//! levels fill.

use std::collections::HashMap;

use plotters::prelude::*;

use super::frame::{fail, figure, no_data, panel, Axes, Canvas, Layout, PanelSize};
use super::legend::{Legend, Mark, Section};
use super::style::{policy_colors, workloads};
use crate::error::Result;
use crate::results::RunRecord;
use crate::timeline::TimelineRow;
use crate::tree::TreeSnapshot;
use crate::words::count;

/// Height of a level's band, in level units (the rest is the gap).
const BAND: f64 = 0.8;

/// The runs the picture shows: the first run of each policy on the first
/// workload, with their snapshots in order.
pub(super) fn pictured<'a>(
    records: &'a [RunRecord],
    timeline: &'a [TimelineRow],
) -> Vec<(&'a RunRecord, Vec<&'a TimelineRow>)> {
    let Some(wl) = workloads(records).first().copied() else {
        return Vec::new();
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for r in records.iter().filter(|r| r.workload == wl) {
        if seen.contains(&r.policy.as_str()) {
            continue;
        }
        let snaps: Vec<&TimelineRow> = timeline
            .iter()
            .filter(|row| row.run_id == r.run_id && row.tree.is_some())
            .collect();
        if !snaps.is_empty() {
            seen.push(&r.policy);
            out.push((r, snaps));
        }
    }
    out
}

/// "25% of ops" for a snapshot before the end, "settled end" for the last.
fn moment(row: &TimelineRow, rows: &[&TimelineRow]) -> String {
    let total = rows.iter().map(|r| r.ops_done).max().unwrap_or(0).max(1);
    if std::ptr::eq(row, *rows.last().expect("not empty")) {
        "settled end".into()
    } else {
        format!("{:.0}% of ops", row.ops_done as f64 * 100.0 / total as f64)
    }
}

fn level_label(v: &f64) -> String {
    let l = (-v).round() + 0.0;
    if (v + l).abs() < 1e-6 && l >= 0.0 {
        format!("L{l:.0}")
    } else {
        String::new()
    }
}

/// Where a sorted run's bar goes: (top, bottom) in level units, level `l`
/// centred on `-l`, run `i` of `n` drawn (0 the newest, on top).
pub(super) fn bar_rows(level: usize, i: usize, n: usize) -> (f64, f64) {
    let h = BAND / n.max(1) as f64;
    let top = -(level as f64) + BAND / 2.0 - i as f64 * h;
    (top, top - h * if n > 1 { 0.8 } else { 1.0 })
}

pub(super) fn tree_picture(
    records: &[RunRecord],
    timeline: &[TimelineRow],
    canvas: Canvas<'_>,
    size: PanelSize,
) -> Result<Layout> {
    let shown = pictured(records, timeline);
    let wl = shown
        .first()
        .map(|(r, _)| r.workload.clone())
        .unwrap_or_default();
    let title = format!("The tree at four moments of each run (workload: {wl})");
    if shown.is_empty() {
        return no_data(canvas, size, &title);
    }
    let colors = policy_colors(records);
    let cols = shown.iter().map(|(_, s)| s.len()).max().unwrap_or(1);
    let levels = shown
        .iter()
        .flat_map(|(_, snaps)| snaps.iter())
        .filter_map(|row| row.tree.as_ref())
        .flat_map(|t| t.bars.iter().map(|b| b.level))
        .max()
        .unwrap_or(0)
        .max(1);
    // Each run's keys scaled to the span its snapshots cover.
    let spans: HashMap<&str, (f64, f64)> = shown
        .iter()
        .map(|(r, snaps)| {
            let bars = snaps
                .iter()
                .filter_map(|s| s.tree.as_ref())
                .flat_map(|t| &t.bars);
            let (lo, hi) = bars.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), b| {
                (lo.min(b.lo), hi.max(b.hi))
            });
            (r.run_id.as_str(), (lo, hi))
        })
        .collect();
    let mut swatches: Vec<(String, RGBColor)> = Vec::new();
    for (r, _) in &shown {
        swatches.push((r.policy.clone(), colors[&r.policy]));
    }
    let mut legend = Legend::swatches("policy", &swatches);
    legend.sections.push(Section {
        heading: "bars".into(),
        entries: vec![
            (Mark::Note, "one bar per sorted run".into()),
            (Mark::Note, "across: the key range it holds".into()),
            (Mark::Note, "in a level: newest on top".into()),
        ],
    });
    let size = PanelSize {
        width: size.width * 3 / 4,
        height: size.height * 3 / 4,
    };
    figure(
        canvas,
        size,
        (shown.len(), cols),
        &title,
        &legend,
        |i, area| {
            let (row, col) = (i / cols, i % cols);
            let Some((record, snaps)) = shown.get(row) else {
                return Ok(None);
            };
            let Some(sample) = snaps.get(col) else {
                return Ok(None);
            };
            let tree: &TreeSnapshot = sample.tree.as_ref().expect("filtered");
            let runs: usize = (0..=levels).map(|l| tree.runs_in(l)).sum();
            let caption = format!(
                "{}, {}: {}",
                record.policy,
                moment(sample, snaps),
                count(runs, "sorted run")
            );
            let axes = Axes {
                y_format: &level_label,
                y_ticks: levels + 2,
                ..Axes::new(caption, "key space (fraction)", "level")
            };
            let y = -(levels as f64) - 0.5..0.5;
            let mut panel = panel(area, &axes, 0.0..1.0, y)?;
            let (lo, hi) = spans[record.run_id.as_str()];
            let span = (hi - lo).max(f64::MIN_POSITIVE);
            let color = colors[&record.policy];
            let per_level: HashMap<usize, usize> =
                tree.bars.iter().fold(HashMap::new(), |mut m, b| {
                    *m.entry(b.level).or_default() += 1;
                    m
                });
            let rects = tree.bars.iter().map(|b| {
                let (top, bottom) = bar_rows(b.level, b.run, per_level[&b.level]);
                let x0 = (b.lo - lo) / span;
                let x1 = ((b.hi - lo) / span).max(x0 + 0.004);
                Rectangle::new([(x0, bottom), (x1, top)], color.mix(0.75).filled())
            });
            panel.chart.draw_series(rects).map_err(fail)?;
            Ok(Some(panel.rect()))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_a_level_stack_inside_its_band_newest_on_top() {
        let (top0, bottom0) = bar_rows(1, 0, 3);
        let (top2, bottom2) = bar_rows(1, 2, 3);
        assert!(
            top0 > bottom0 && bottom0 > top2 && top2 > bottom2,
            "newest on top, no overlap"
        );
        assert!(top0 <= -1.0 + BAND / 2.0 + 1e-9 && bottom2 >= -1.0 - BAND / 2.0 - 1e-9);
        let (top, bottom) = bar_rows(0, 0, 1);
        assert!(
            (top - bottom - BAND).abs() < 1e-9,
            "a lone run fills its band"
        );
        assert_eq!(level_label(&-2.0), "L2");
        assert_eq!(level_label(&0.0), "L0");
        assert_eq!(level_label(&-1.5), "");
    }
}
