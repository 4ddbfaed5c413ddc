//! Figures over the course of the runs: one row of panels per metric, one
//! column per workload (or per workload and policy when the sweep ran a
//! policy with several parameter settings), one line per run; with several
//! seeds, one line per configuration through the seeds' mean, in a shaded
//! band from their minimum to their maximum.

use std::collections::HashMap;
use std::ops::Range;

use plotters::prelude::*;

use super::frame::{
    fail, figure, no_data, padded_range, panel, plot_size, Axes, Canvas, Layout, PanelSize,
};
use super::legend::{Legend, Mark, Section};
use super::lines::{draw_line, Sampled, Trace};
use super::style::{run_styles, workloads};
use crate::aggregate::{config_id, has_several_seeds, Spread};
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
    let mut legend = Legend::swatches("run", &styles.legend);
    if has_several_seeds(records) {
        legend.sections.push(Section {
            heading: "seeds".into(),
            entries: vec![
                (Mark::Note, "line: mean over the seeds".into()),
                (Mark::Note, "band: min..max".into()),
            ],
        });
    }
    figure(
        canvas,
        size,
        (fig.metrics.len(), cols.len()),
        fig.title,
        &legend,
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
            let mut panel = panel(area, &axes, x.clone(), y)?;
            let mut configs: Vec<Configuration> = Vec::new();
            for (record, rows) in runs_of(&|r| column.shows(r)) {
                let line = metric
                    .trace
                    .apply(&points(rows, fig.pick_x, metric), &x, width);
                let id = config_id(&record.run_id);
                match configs.iter_mut().find(|c| c.id == id) {
                    Some(c) => c.lines.push(line),
                    None => configs.push(Configuration {
                        id,
                        first_run: &record.run_id,
                        lines: vec![line],
                    }),
                }
            }
            let stroke = if configs.len() <= THICK_LINES_UP_TO {
                2
            } else {
                1
            };
            for Configuration {
                first_run, lines, ..
            } in &configs
            {
                let color = styles.by_run[*first_run];
                if let [line] = lines.as_slice() {
                    draw_line(&panel, line, color, stroke)?;
                    continue;
                }
                let band = seed_band(lines, &x, width);
                let outline: Vec<(f64, f64)> = band
                    .iter()
                    .map(|(x, s)| (*x, s.max))
                    .chain(band.iter().rev().map(|(x, s)| (*x, s.min)))
                    .collect();
                if band.len() >= 2 {
                    panel
                        .chart
                        .draw_series(std::iter::once(Polygon::new(
                            outline,
                            color.mix(0.18).filled(),
                        )))
                        .map_err(fail)?;
                }
                let mean: Vec<(f64, f64)> = band.iter().map(|(x, s)| (*x, s.mean)).collect();
                draw_line(&panel, &mean, color, stroke)?;
            }
            Ok(Some(panel.rect()))
        },
    )
}

/// The lines of one configuration's seeds in one panel.
struct Configuration<'r> {
    id: String,
    /// Its first run's id, which names its style.
    first_run: &'r str,
    lines: Vec<Vec<(f64, f64)>>,
}

/// Pixels per column of a seed band.
const BAND_STEP_PX: u32 = 2;

/// The spread over the seeds' `lines` (each sorted by x, as drawn) at every
/// `BAND_STEP_PX` pixels of an axis `x` of `width_px` pixels: each line is
/// read between its points as drawn (linearly; a step line has its steps as
/// points), and a column counts only lines whose span covers it and only if
/// two or more do.
pub(super) fn seed_band(
    lines: &[Vec<(f64, f64)>],
    x: &Range<f64>,
    width_px: u32,
) -> Vec<(f64, Spread)> {
    let columns = (width_px / BAND_STEP_PX).max(1);
    let step = (x.end - x.start) / f64::from(columns);
    (0..=columns)
        .filter_map(|i| {
            let at = x.start + step * f64::from(i);
            let values: Vec<f64> = lines.iter().filter_map(|l| value_at(l, at)).collect();
            (values.len() >= 2)
                .then(|| Spread::of(values))
                .flatten()
                .map(|s| (at, s))
        })
        .collect()
}

/// The line through `points` (sorted by x) at `x`, `None` outside its span.
fn value_at(points: &[(f64, f64)], x: f64) -> Option<f64> {
    let (first, last) = (points.first()?, points.last()?);
    if x < first.0 || x > last.0 {
        return None;
    }
    let i = points.partition_point(|p| p.0 < x);
    let b = points.get(i)?;
    if b.0 == x || i == 0 {
        return Some(b.1);
    }
    let a = points[i - 1];
    Some(a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_band_spans_the_seeds_where_two_or_more_cover_it() {
        let a = vec![(0.0, 1.0), (10.0, 3.0)];
        let b = vec![(0.0, 2.0), (5.0, 2.0), (10.0, 5.0)];
        // Ends early: only the first half has three seeds.
        let c = vec![(0.0, 0.0), (5.0, 4.0)];
        let band = seed_band(&[a, b, c], &(0.0..10.0), 10);
        assert_eq!(band.len(), 6, "{band:?}");
        let (x0, s0) = band[0];
        assert_eq!((x0, s0.min, s0.max, s0.n), (0.0, 0.0, 2.0, 3));
        let (x5, s5) = band[5];
        assert_eq!(x5, 10.0);
        assert_eq!((s5.min, s5.max, s5.n), (3.0, 5.0, 2));
        // At x = 4: a reads 1.8, b 2.0, c 3.2.
        let (x2, s2) = band[2];
        assert_eq!(x2, 4.0);
        assert!((s2.mean - (1.8 + 2.0 + 3.2) / 3.0).abs() < 1e-9, "{s2:?}");
        // A single seed makes no band.
        assert!(seed_band(&[vec![(0.0, 1.0), (1.0, 2.0)]], &(0.0..1.0), 10).is_empty());
    }

    #[test]
    fn a_line_is_read_linearly_and_not_past_its_ends() {
        let l = [(1.0, 10.0), (3.0, 30.0), (3.0, 0.0), (4.0, 0.0)];
        assert_eq!(value_at(&l, 0.5), None);
        assert_eq!(value_at(&l, 2.0), Some(20.0));
        assert_eq!(value_at(&l, 1.0), Some(10.0));
        assert_eq!(value_at(&l, 4.5), None);
        assert_eq!(value_at(&[], 1.0), None);
    }
}
