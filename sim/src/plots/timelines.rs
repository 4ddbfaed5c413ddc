//! Figures over the course of the runs: one row of panels per metric, one
//! column per workload (or per workload and policy when the sweep ran a
//! policy with several parameter settings), one line per run.

use std::collections::HashMap;
use std::ops::Range;

use super::frame::{
    figure, no_data, padded_range, panel, plot_size, Axes, Canvas, Layout, PanelSize,
};
use super::legend::Legend;
use super::lines::{draw_line, Sampled, Trace};
use super::style::{run_styles, workloads};
use crate::error::Result;
use crate::results::RunRecord;
use crate::timeline::TimelineRow;

pub(super) type Pick = fn(&TimelineRow) -> f64;

/// One row of panels.
pub(super) struct Metric {
    pub(super) desc: &'static str,
    pub(super) pick: Pick,
    pub(super) trace: Trace,
}

impl Metric {
    /// A row of lines through every sample.
    pub(super) const fn line(desc: &'static str, pick: Pick) -> Metric {
        Metric {
            desc,
            pick,
            trace: Trace::Shape,
        }
    }

    /// A row of step lines of the peak within every `bucket_px` pixels.
    pub(super) const fn peaks(
        desc: &'static str,
        pick: Pick,
        bucket_px: u32,
        sampled: Sampled,
    ) -> Metric {
        Metric {
            desc,
            pick,
            trace: Trace::Peak { bucket_px, sampled },
        }
    }
}

/// A figure over the timeline: its title, the x axis and the metric rows.
pub(super) struct TimelineFigure {
    pub(super) title: &'static str,
    pub(super) x_desc: &'static str,
    pub(super) pick_x: Pick,
    pub(super) metrics: &'static [Metric],
}

/// Columns are split per policy only up to this many, so a figure stays a
/// size a screen can show.
const MAX_SPLIT_COLUMNS: usize = 6;

/// Panels with more lines than this get thin strokes.
const THICK_LINES_UP_TO: usize = 5;

/// What one column of panels shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Column<'r> {
    pub(super) workload: &'r str,
    /// `None`: every policy of the workload.
    pub(super) policy: Option<&'r str>,
}

impl Column<'_> {
    fn shows(&self, r: &RunRecord) -> bool {
        r.workload == self.workload && self.policy.is_none_or(|p| r.policy == p)
    }

    fn caption(&self) -> String {
        match self.policy {
            Some(p) => format!("{}: {p}", self.workload),
            None => format!("workload: {}", self.workload),
        }
    }
}

/// One column per workload; one per workload and policy instead when some
/// policy ran with several settings (its lines then share a panel only with
/// each other) and that makes no more than `MAX_SPLIT_COLUMNS` columns.
pub(super) fn columns(records: &[RunRecord]) -> Vec<Column<'_>> {
    let mut pairs: Vec<(&str, &str, usize)> = Vec::new();
    for r in records {
        match pairs
            .iter_mut()
            .find(|(w, p, _)| *w == r.workload && *p == r.policy)
        {
            Some((_, _, n)) => *n += 1,
            None => pairs.push((&r.workload, &r.policy, 1)),
        }
    }
    let varied = pairs.iter().any(|(_, _, n)| *n > 1);
    if varied && pairs.len() <= MAX_SPLIT_COLUMNS {
        let mut out = Vec::new();
        for wl in workloads(records) {
            out.extend(
                pairs
                    .iter()
                    .filter(|(w, _, _)| *w == wl)
                    .map(|(w, p, _)| Column {
                        workload: w,
                        policy: Some(p),
                    }),
            );
        }
        out
    } else {
        workloads(records)
            .into_iter()
            .map(|workload| Column {
                workload,
                policy: None,
            })
            .collect()
    }
}

/// The (x, y) points of a run for `metric`, in timeline order, finite only.
pub(super) fn points(rows: &[&TimelineRow], pick_x: Pick, metric: &Metric) -> Vec<(f64, f64)> {
    rows.iter()
        .map(|r| (pick_x(r), (metric.pick)(r)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect()
}

/// The axis ranges of a workload's panels in one metric row, from the
/// timelines of all its runs, so that split panels share their scales.
pub(super) fn ranges(
    runs: &[&[&TimelineRow]],
    pick_x: Pick,
    metric: &Metric,
    plot_height: u32,
) -> (Range<f64>, Range<f64>) {
    let max_x = runs
        .iter()
        .flat_map(|rows| rows.iter().map(|r| pick_x(r)))
        .filter(|x| x.is_finite())
        .fold(0.0f64, f64::max);
    let ys: Vec<f64> = runs
        .iter()
        .flat_map(|rows| points(rows, pick_x, metric))
        .map(|p| p.1)
        .collect();
    (
        0.0..max_x.max(1.0),
        padded_range(ys.into_iter(), plot_height, 0.0),
    )
}

/// Draws `fig` for the runs in `records` from `timeline`.
pub(super) fn timeline_figure(
    fig: &TimelineFigure,
    timeline: &[TimelineRow],
    records: &[RunRecord],
    canvas: Canvas<'_>,
    size: PanelSize,
) -> Result<Layout> {
    let cols = columns(records);
    if cols.is_empty() || timeline.is_empty() {
        return no_data(canvas, size, fig.title);
    }
    let styles = run_styles(records);
    let mut by_run: HashMap<&str, Vec<&TimelineRow>> = HashMap::new();
    for row in timeline {
        by_run.entry(row.run_id.as_str()).or_default().push(row);
    }
    let runs_of = |keep: &dyn Fn(&RunRecord) -> bool| -> Vec<(&RunRecord, &Vec<&TimelineRow>)> {
        records
            .iter()
            .filter(|r| keep(r))
            .filter_map(|r| by_run.get(r.run_id.as_str()).map(|rows| (r, rows)))
            .collect()
    };
    figure(
        canvas,
        size,
        (fig.metrics.len(), cols.len()),
        fig.title,
        &Legend::swatches("run", &styles.legend),
        |i, area| {
            let metric = &fig.metrics[i / cols.len()];
            let column = cols[i % cols.len()];
            let workload: Vec<&[&TimelineRow]> = runs_of(&|r| r.workload == column.workload)
                .into_iter()
                .map(|(_, rows)| rows.as_slice())
                .collect();
            let axes = Axes::new(column.caption(), fig.x_desc, metric.desc);
            let (width, height) = plot_size(area, &axes.caption)?;
            let (x, y) = ranges(&workload, fig.pick_x, metric, height);
            let panel = panel(area, &axes, x.clone(), y)?;
            let runs = runs_of(&|r| column.shows(r));
            let stroke = if runs.len() <= THICK_LINES_UP_TO {
                2
            } else {
                1
            };
            for (record, rows) in runs {
                let line = metric
                    .trace
                    .apply(&points(rows, fig.pick_x, metric), &x, width);
                draw_line(&panel, &line, styles.by_run[&record.run_id], stroke)?;
            }
            Ok(Some(panel.rect()))
        },
    )
}
