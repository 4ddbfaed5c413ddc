//! Metric against a numeric grid axis: one row per metric, one panel per
//! workload, one line per policy (per policy and the values of the other
//! axes when the grid has several). Each run is one point; with several
//! seeds per configuration the runs are to be reduced to one record per
//! configuration first (a band would then show their spread).

use std::collections::HashMap;

use plotters::prelude::*;

use super::frame::{fail, figure, no_data, padded_range, panel, plot_size, Axes, Canvas, Layout};
use super::legend::Legend;
use super::style::{policy_colors, shade, workloads};
use super::PanelSize;
use crate::error::Result;
use crate::results::RunRecord;

/// The metrics drawn against each axis: column, axis title.
const METRICS: [(&str, &str); 4] = [
    ("write_amp", "write amplification (x)"),
    ("space_amp", "space amplification (x)"),
    ("read_amp", "read amp (blocks/lookup)"),
    ("stall_seconds", "stall (simulated s)"),
];

/// The grid axes whose values are all numbers, with at least two distinct
/// values, in first-seen order.
pub fn numeric_axes(records: &[RunRecord]) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for r in records {
        for (k, _) in &r.varied {
            if !labels.contains(k) {
                labels.push(k.clone());
            }
        }
    }
    labels.retain(|label| {
        let values: Vec<f64> = records
            .iter()
            .filter_map(|r| r.varied.iter().find(|(k, _)| k == label))
            .map(|(_, v)| v.parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .unwrap_or_default();
        let mut distinct = values.clone();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        !values.is_empty() && distinct.len() >= 2 && distinct.iter().all(|v| v.is_finite())
    });
    labels
}

/// A line's key: the policy and the values of the other axes.
fn line_of(r: &RunRecord, axis: &str) -> String {
    let others: Vec<String> = r
        .varied
        .iter()
        .filter(|(k, _)| k != axis)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if others.is_empty() {
        r.policy.clone()
    } else {
        format!("{} {}", r.policy, others.join(" "))
    }
}

pub(super) fn grid_chart(
    records: &[RunRecord],
    axis: &str,
    canvas: Canvas<'_>,
    size: PanelSize,
) -> Result<Layout> {
    let title = format!("Metrics against {axis}");
    let runs: Vec<(&RunRecord, f64)> = records
        .iter()
        .filter_map(|r| {
            let v = r.varied.iter().find(|(k, _)| k == axis)?;
            Some((r, v.1.parse::<f64>().ok()?))
        })
        .collect();
    let wls = workloads(records);
    if runs.is_empty() || wls.is_empty() {
        return no_data(canvas, size, &title);
    }
    let colors = policy_colors(records);
    // Lines in first-seen order, shaded per policy when a policy has several.
    let mut lines: Vec<(String, String)> = Vec::new();
    for (r, _) in &runs {
        let key = line_of(r, axis);
        if !lines.iter().any(|(k, _)| *k == key) {
            lines.push((key, r.policy.clone()));
        }
    }
    let mut style: HashMap<String, RGBColor> = HashMap::new();
    let mut legend = Vec::new();
    for (key, policy) in &lines {
        let same: Vec<&String> = lines
            .iter()
            .filter(|(_, p)| p == policy)
            .map(|(k, _)| k)
            .collect();
        let k = same.iter().position(|s| *s == key).unwrap_or(0);
        let t = if same.len() < 2 {
            0.0
        } else {
            -0.35 + 0.85 * k as f64 / (same.len() - 1) as f64
        };
        let color = shade(colors[policy], t);
        style.insert(key.clone(), color);
        legend.push((key.clone(), color));
    }
    let x_desc = format!("{axis} (base units)");
    let cols = wls.len();
    figure(
        canvas,
        size,
        (METRICS.len(), cols),
        &title,
        &Legend::swatches("line", &legend),
        |i, area| {
            let (row, col) = (i / cols, i % cols);
            let (Some((metric, y_desc)), Some(wl)) = (METRICS.get(row), wls.get(col)) else {
                return Ok(None);
            };
            let points: Vec<(&RunRecord, f64, f64)> = runs
                .iter()
                .filter(|(r, _)| r.workload == *wl)
                .filter_map(|(r, x)| {
                    let y = r.metrics.value(metric)?;
                    y.is_finite().then_some((*r, *x, y))
                })
                .collect();
            let axes = Axes::new(format!("workload: {wl}"), &x_desc, y_desc);
            let (width, height) = plot_size(area, &axes.caption)?;
            let x = padded_range(points.iter().map(|p| p.1), width, 6.0);
            let y = padded_range(points.iter().map(|p| p.2), height, 6.0);
            let mut panel = panel(area, &axes, x, y)?;
            for (key, _) in &lines {
                let mut pts: Vec<(f64, f64)> = points
                    .iter()
                    .filter(|(r, _, _)| line_of(r, axis) == *key)
                    .map(|(_, x, y)| (*x, *y))
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                let color = style[key];
                panel
                    .chart
                    .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                    .map_err(fail)?;
                panel
                    .chart
                    .draw_series(pts.iter().map(|p| Circle::new(*p, 3, color.filled())))
                    .map_err(fail)?;
            }
            Ok(Some(panel.rect()))
        },
    )
}
