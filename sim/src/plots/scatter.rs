//! The trade-off scatter: write against space amplification per workload,
//! marker area proportional to read amplification, grid values as labels
//! placed where they overlap nothing. Runs on the workload's Pareto frontier
//! (see `pareto`) are drawn solid with a heavy outline, dominated runs faded.
//! With several seeds per configuration each marker is the configuration's
//! mean, with error bars spanning the seeds' min..max write (across) and
//! space (up) amplification. Where the policy's analytic model applies, a
//! cross marks what it predicts (its write amplification, at its space
//! amplification where it has one, else at the run's), joined to the run
//! by a dashed line.

use plotters::prelude::*;

use super::frame::{
    fail, figure, no_data, padded_range, panel, plot_size, text_size, Axes, Canvas, Layout,
    PanelSize, FONT, LABEL_SIZE,
};
use super::labels::{place_labels, Marker};
use super::legend::{Legend, Mark, Section};
use super::style::{policy_colors, variant, workloads};
use crate::aggregate::{configurations, mean_records, Spread};
use crate::error::Result;
use crate::pareto::frontier;
use crate::results::RunRecord;

/// Radius of the marker of the largest read amplification, in pixels.
const MAX_RADIUS: f64 = 20.0;
/// No marker is drawn smaller than this, whatever its read amplification.
const MIN_RADIUS: f64 = 3.0;
const MARKER_LABEL_SIZE: f64 = LABEL_SIZE - 2.0;

/// Marker radius for each read amplification: area proportional to it.
struct Radius {
    max_read_amp: f64,
}

impl Radius {
    fn of(&self, read_amp: f64) -> f64 {
        if self.max_read_amp > 0.0 && read_amp.is_finite() && read_amp > 0.0 {
            (MAX_RADIUS * (read_amp / self.max_read_amp).sqrt()).max(MIN_RADIUS)
        } else {
            MIN_RADIUS
        }
    }
}

/// The label beside each run's marker, and a legend note naming the grid
/// parameter when every label is a value of the same one.
pub(super) fn marker_labels(records: &[RunRecord]) -> (Vec<String>, Option<String>) {
    let single_key = records.first().and_then(|r| match r.varied.as_slice() {
        [(key, _)] => Some(key.clone()),
        _ => None,
    });
    let same_key = single_key.filter(|key| {
        records
            .iter()
            .all(|r| matches!(r.varied.as_slice(), [(k, _)] if k == key))
    });
    match same_key {
        Some(key) => (
            records.iter().map(|r| r.varied[0].1.clone()).collect(),
            Some(key),
        ),
        None => (records.iter().map(variant).collect(), None),
    }
}

fn legend(records: &[RunRecord], radius: &Radius, note: Option<String>, seeds: usize) -> Legend {
    let colors = policy_colors(records);
    let mut policies: Vec<(Mark, String)> = Vec::new();
    for r in records {
        if !policies.iter().any(|(_, p)| *p == r.policy) {
            policies.push((Mark::Swatch(colors[&r.policy]), r.policy.clone()));
        }
    }
    let reads: Vec<f64> = records
        .iter()
        .map(|r| r.metrics.read_amp)
        .filter(|v| v.is_finite())
        .collect();
    let lo = reads.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = reads.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sizes: Vec<(Mark, String)> = Vec::new();
    if lo.is_finite() {
        for v in [hi, (lo + hi) / 2.0, lo] {
            let label = format!("{v:.2} blocks/lookup");
            if !sizes.iter().any(|(_, l)| *l == label) {
                sizes.push((Mark::Ring(radius.of(v).round() as u32), label));
            }
        }
    }
    let mut sections = vec![
        Section {
            heading: "policy".into(),
            entries: policies,
        },
        Section {
            heading: "marker area: read amp".into(),
            entries: sizes,
        },
    ];
    sections.push(Section {
        heading: "Pareto frontier".into(),
        entries: vec![
            (Mark::Note, "solid: on it".into()),
            (Mark::Note, "faded: dominated".into()),
        ],
    });
    if records.iter().any(|r| model_point(r).is_some()) {
        sections.push(Section {
            heading: "model".into(),
            entries: vec![
                (Mark::Note, "x: the policy's model".into()),
                (Mark::Note, "dashed to the run".into()),
            ],
        });
    }
    if let Some(key) = note {
        sections.push(Section {
            heading: "labels".into(),
            entries: vec![(Mark::Note, key)],
        });
    }
    if seeds > 1 {
        sections.push(Section {
            heading: "seeds".into(),
            entries: vec![
                (Mark::Note, format!("marker: mean of up to {seeds} seeds")),
                (Mark::Note, "bars: min..max".into()),
            ],
        });
    }
    Legend { sections }
}

/// Where the run's analytic model puts it: the predicted write
/// amplification, at the predicted space amplification or, for models that
/// predict none, at the run's own; `None` without a model.
pub(super) fn model_point(r: &RunRecord) -> Option<(f64, f64)> {
    let x = r.metrics.model_write_amp.filter(|v| v.is_finite())?;
    let y = r
        .metrics
        .model_space_amp
        .filter(|v| v.is_finite())
        .unwrap_or(r.metrics.space_amp);
    y.is_finite().then_some((x, y))
}

/// Half the width of a model's cross, in pixels.
const CROSS: i32 = 5;

/// The seeds' write and space amplification spread of each configuration
/// with more than one seed, by configuration id (the mean record's run id).
pub(super) fn seed_spreads(
    all: &[RunRecord],
) -> std::collections::HashMap<String, (Spread, Spread)> {
    configurations(all)
        .into_iter()
        .filter(|c| c.runs.len() > 1)
        .filter_map(|c| {
            Some((
                c.id.clone(),
                (c.spread("write_amp")?, c.spread("space_amp")?),
            ))
        })
        .collect()
}

/// The scatter of `all` runs: one marker per configuration (the mean over
/// its seeds).
pub(super) fn tradeoff(all: &[RunRecord], canvas: Canvas<'_>, size: PanelSize) -> Result<Layout> {
    let means = mean_records(all);
    let records = means.as_slice();
    let spreads = seed_spreads(all);
    let seeds = configurations(all)
        .iter()
        .map(|c| c.runs.len())
        .max()
        .unwrap_or(1);
    let title = "Write vs space amplification (marker area: read amplification)";
    let wls = workloads(records);
    if wls.is_empty() {
        return no_data(canvas, size, title);
    }
    let colors = policy_colors(records);
    let radius = Radius {
        max_read_amp: records
            .iter()
            .map(|r| r.metrics.read_amp)
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max),
    };
    let (labels, note) = marker_labels(records);
    let cols = wls.len().min(3);
    let rows = wls.len().div_ceil(cols);
    figure(
        canvas,
        size,
        (rows, cols),
        title,
        &legend(records, &radius, note, seeds),
        |i, area| {
            let Some(wl) = wls.get(i) else {
                return Ok(None);
            };
            let mut runs: Vec<(&RunRecord, &str, f64)> = records
                .iter()
                .zip(&labels)
                .filter(|(r, _)| r.workload == *wl)
                .filter(|(r, _)| r.metrics.write_amp.is_finite() && r.metrics.space_amp.is_finite())
                .map(|(r, l)| (r, l.as_str(), radius.of(r.metrics.read_amp)))
                .collect();
            let all: Vec<&RunRecord> = records.iter().filter(|r| r.workload == *wl).collect();
            let front: Vec<&RunRecord> = frontier(&all);
            let on_front = |r: &RunRecord| front.iter().any(|f| std::ptr::eq(*f, r));
            runs.sort_by(|a, b| b.2.total_cmp(&a.2));
            let axes = Axes::new(
                format!("workload: {wl}"),
                "write amplification (x)",
                "space amplification (x)",
            );
            let (width, height) = plot_size(area, &axes.caption)?;
            let margin = runs.iter().map(|p| p.2).fold(0.0, f64::max) + 3.0;
            let spread_of = |r: &RunRecord| spreads.get(&r.run_id);
            let models: Vec<(f64, f64)> = runs.iter().filter_map(|p| model_point(p.0)).collect();
            let xs = runs
                .iter()
                .flat_map(|p| {
                    let m = p.0.metrics.write_amp;
                    spread_of(p.0).map_or([m, m], |(w, _)| [w.min, w.max])
                })
                .chain(models.iter().map(|m| m.0));
            let ys = runs
                .iter()
                .flat_map(|p| {
                    let m = p.0.metrics.space_amp;
                    spread_of(p.0).map_or([m, m], |(_, s)| [s.min, s.max])
                })
                .chain(models.iter().map(|m| m.1));
            let x = padded_range(xs, width, margin);
            let y = padded_range(ys, height, margin);
            let mut panel = panel(area, &axes, x, y)?;
            for (r, _, _) in &runs {
                let Some(model) = model_point(r) else {
                    continue;
                };
                let color = colors[&r.policy];
                let run = (r.metrics.write_amp, r.metrics.space_amp);
                panel
                    .chart
                    .draw_series(DashedLineSeries::new(
                        [run, model],
                        4,
                        3,
                        color.mix(0.7).stroke_width(1),
                    ))
                    .map_err(fail)?;
                panel
                    .chart
                    .draw_series(std::iter::once(
                        EmptyElement::at(model) + Cross::new((0, 0), CROSS, color.stroke_width(2)),
                    ))
                    .map_err(fail)?;
            }
            for (r, _, _) in &runs {
                let Some((w, s)) = spread_of(r) else {
                    continue;
                };
                let color = colors[&r.policy];
                let (mx, my) = (r.metrics.write_amp, r.metrics.space_amp);
                let bars = [
                    PathElement::new([(w.min, my), (w.max, my)], color.stroke_width(2)),
                    PathElement::new([(mx, s.min), (mx, s.max)], color.stroke_width(2)),
                ];
                panel.chart.draw_series(bars).map_err(fail)?;
            }
            panel
                .chart
                .draw_series(runs.iter().map(|(r, _, rad)| {
                    let color = colors[&r.policy];
                    let (fill, outline) = if on_front(r) {
                        (color.mix(0.85), BLACK.stroke_width(2))
                    } else {
                        (color.mix(0.2), BLACK.mix(0.3).stroke_width(1))
                    };
                    EmptyElement::at((r.metrics.write_amp, r.metrics.space_amp))
                        + Circle::new((0, 0), rad.round() as i32, fill.filled())
                        + Circle::new((0, 0), rad.round() as i32, outline)
                }))
                .map_err(fail)?;
            let labelled: Vec<_> = runs.iter().filter(|p| !p.1.is_empty()).collect();
            let mut markers = Vec::new();
            let mut sizes = Vec::new();
            for (r, label, rad) in &labelled {
                let (x, y) = panel.to_pixel((r.metrics.write_amp, r.metrics.space_amp));
                markers.push(Marker { x, y, r: *rad });
                sizes.push(text_size(label, MARKER_LABEL_SIZE)?);
            }
            let plot = panel.chart.plotting_area().strip_coord_spec();
            let boxes = place_labels(&markers, &sizes, plot.dim_in_pixel());
            for ((_, label, _), b) in labelled.iter().zip(boxes) {
                let at = (b.x.round() as i32, b.y.round() as i32);
                plot.draw(&Text::new(label.to_string(), at, (FONT, MARKER_LABEL_SIZE)))
                    .map_err(fail)?;
            }
            Ok(Some(panel.rect()))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::tests::record;

    #[test]
    fn a_model_mark_sits_at_the_prediction_or_at_the_runs_space() {
        let mut r = record("leveled", "uniform", 4.0);
        assert_eq!(model_point(&r), None);
        r.metrics.model_write_amp = Some(6.5);
        assert_eq!(model_point(&r), Some((6.5, r.metrics.space_amp)));
        r.metrics.model_space_amp = Some(1.11);
        assert_eq!(model_point(&r), Some((6.5, 1.11)));
        r.metrics.model_write_amp = Some(f64::NAN);
        assert_eq!(model_point(&r), None);
    }
}
