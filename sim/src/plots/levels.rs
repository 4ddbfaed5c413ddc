//! The level shape at the end of each run: bytes per level, a bar per run
//! grouped by level, one panel per workload.

use std::collections::HashMap;

use plotters::prelude::*;

use super::frame::{fail, figure, no_data, panel, Axes, Canvas, Layout, PanelSize};
use super::legend::Legend;
use super::style::{run_styles, workloads};
use crate::error::Result;
use crate::results::RunRecord;
use crate::timeline::{last_samples, TimelineRow};

fn level_label(v: &f64) -> String {
    let l = v.round();
    if (v - l).abs() < 1e-6 && l >= 0.0 {
        format!("L{l:.0}")
    } else {
        String::new()
    }
}

pub(super) fn level_shape(
    timeline: &[TimelineRow],
    records: &[RunRecord],
    canvas: Canvas<'_>,
    size: PanelSize,
) -> Result<Layout> {
    let title = "Level shape at the end of each run";
    let last: HashMap<&str, &TimelineRow> = last_samples(timeline)
        .into_iter()
        .map(|r| (r.run_id.as_str(), r))
        .collect();
    let wls = workloads(records);
    if wls.is_empty() || last.is_empty() {
        return no_data(canvas, size, title);
    }
    let styles = run_styles(records);
    let cols = wls.len().min(3);
    let rows = wls.len().div_ceil(cols);
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    figure(
        canvas,
        size,
        (rows, cols),
        title,
        &Legend::swatches("run", &styles.legend),
        |i, area| {
            let Some(wl) = wls.get(i) else {
                return Ok(None);
            };
            let bars: Vec<(&RunRecord, &TimelineRow)> = records
                .iter()
                .filter(|r| r.workload == *wl)
                .filter_map(|r| last.get(r.run_id.as_str()).map(|row| (r, *row)))
                .collect();
            let levels = bars
                .iter()
                .map(|(_, row)| {
                    row.level_bytes
                        .iter()
                        .rposition(|&b| b > 0)
                        .map_or(1, |p| p + 1)
                })
                .max()
                .unwrap_or(1);
            let top = bars
                .iter()
                .flat_map(|(_, row)| row.level_bytes.iter().map(|&b| mib(b)))
                .fold(0.0, f64::max);
            let axes = Axes {
                x_format: &level_label,
                x_ticks: levels + 1,
                x_grid: false,
                ..Axes::new(format!("workload: {wl}"), "level", "size at the end (MiB)")
            };
            let y = 0.0..(top * 1.12).max(0.01);
            let mut panel = panel(area, &axes, -0.5..levels as f64 - 0.5, y)?;
            let width = 0.8 / bars.len().max(1) as f64;
            for (j, (record, row)) in bars.iter().enumerate() {
                let color = styles.by_run[&record.run_id];
                let rects = (0..levels).map(|l| {
                    let x0 = l as f64 - 0.4 + j as f64 * width;
                    let height = mib(row.level_bytes.get(l).copied().unwrap_or(0));
                    Rectangle::new([(x0, 0.0), (x0 + width * 0.92, height)], color.filled())
                });
                panel.chart.draw_series(rects).map_err(fail)?;
            }
            Ok(Some(panel.rect()))
        },
    )
}
