//! Metric against a numeric grid axis: one row per metric, one panel per
//! workload, one line per policy (per policy and the values of the other
//! axes when the grid has several). With several seeds per configuration a
//! line goes through the mean at each value, a shaded band spans the seeds'
//! min..max, and each point carries a min..max error bar.
//!
//! A grid value the parameter declares as special (its note, such as
//! `compaction_io_rate`'s `0: unlimited` or `bloom_bits_per_key`'s
//! `0: no filter`) is not a number on the axis: it is drawn as its own
//! category right of a dashed separator, with a hollow diamond, and no line
//! joins it to the numeric values.

use std::collections::HashMap;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::frame::{
    axis_number, fail, figure, no_data, padded_range, panel, plot_size, Axes, Canvas, Layout, FONT,
    LABEL_SIZE,
};
use super::legend::{Legend, Mark, Section};
use super::style::{policy_colors, shade, workloads};
use super::PanelSize;
use crate::aggregate::Spread;
use crate::error::Result;
use crate::results::RunRecord;

/// The metrics drawn against each axis: column, axis title.
const METRICS: [(&str, &str); 4] = [
    ("write_amp", "write amplification (x)"),
    ("space_amp", "space amplification (x)"),
    ("read_amp", "read amp (blocks/lookup)"),
    ("stall_seconds", "stall (simulated s)"),
];

/// A grid value with a meaning of its own, from the parameter's note
/// (`0: unlimited`): the value and what it means.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Special {
    pub(super) value: f64,
    pub(super) meaning: String,
}

/// The special value of grid axis `axis` (bare or qualified parameter
/// name), if its declaration gives one.
pub(super) fn special_value(axis: &str) -> Option<Special> {
    let bare = axis
        .strip_prefix("engine.")
        .or_else(|| axis.strip_prefix("policy."))
        .unwrap_or(axis);
    let info = lsmlab_engine::params::lookup(bare)?;
    let note = info.def.note.split(';').next()?.trim();
    let (value, meaning) = note.split_once(':')?;
    Some(Special {
        value: value.trim().parse().ok()?,
        meaning: meaning.trim().to_string(),
    })
}

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

/// A line's key: the policy and the values of the other axes (seeds are
/// not axes: the runs of one configuration share a key).
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

/// One line of one panel: the metric's spread over the seeds at each
/// numeric grid value (ascending), and at the special value if it ran.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Series {
    pub(super) key: String,
    pub(super) points: Vec<(f64, Spread)>,
    pub(super) special: Option<Spread>,
}

impl Series {
    fn spreads(&self) -> impl Iterator<Item = &Spread> {
        self.points.iter().map(|(_, s)| s).chain(&self.special)
    }
}

/// The series of `metric` for each line key of `keys`, from `runs` (one
/// workload's runs with their grid value).
pub(super) fn series(
    runs: &[(&RunRecord, f64)],
    axis: &str,
    metric: &str,
    keys: &[String],
    special: Option<&Special>,
) -> Vec<Series> {
    keys.iter()
        .map(|key| {
            let mut at: Vec<(f64, Vec<f64>)> = Vec::new();
            for (r, x) in runs.iter().filter(|(r, _)| line_of(r, axis) == *key) {
                let Some(y) = r.metrics.value(metric).filter(|y| y.is_finite()) else {
                    continue;
                };
                match at.iter_mut().find(|(v, _)| v == x) {
                    Some((_, ys)) => ys.push(y),
                    None => at.push((*x, vec![y])),
                }
            }
            let is_special = |x: f64| special.is_some_and(|s| s.value == x);
            let mut points: Vec<(f64, Spread)> = at
                .iter()
                .filter(|(x, _)| !is_special(*x))
                .filter_map(|(x, ys)| Some((*x, Spread::of(ys.iter().copied())?)))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let special = at
                .iter()
                .find(|(x, _)| is_special(*x))
                .and_then(|(_, ys)| Spread::of(ys.iter().copied()));
            Series {
                key: key.clone(),
                points,
                special,
            }
        })
        .collect()
}

/// Where the special category sits on the x axis, right of the numeric
/// values `xs`, and where the separator between them is drawn.
fn special_column(xs: &[f64]) -> (f64, f64) {
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        return (0.0, -0.5);
    }
    let span = (hi - lo).max(hi.abs() * 0.5).max(1.0);
    (hi + 0.3 * span, hi + 0.15 * span)
}

fn legend(
    lines: &[(String, RGBColor)],
    axis: &str,
    special: Option<&Special>,
    seeds: usize,
) -> Legend {
    let mut legend = Legend::swatches("line", lines);
    if let Some(s) = special {
        legend.sections.push(Section {
            heading: "right of the dashes".into(),
            entries: vec![
                (
                    Mark::Note,
                    format!("squares: {axis}={} ({})", axis_number(&s.value), s.meaning),
                ),
                (Mark::Note, "not a value on the axis".into()),
            ],
        });
    }
    if seeds > 1 {
        legend.sections.push(Section {
            heading: "seeds".into(),
            entries: vec![
                (Mark::Note, format!("line: mean of up to {seeds} seeds")),
                (Mark::Note, "band and bars: min..max".into()),
            ],
        });
    }
    legend
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
    let special = special_value(axis).filter(|s| runs.iter().any(|(_, x)| *x == s.value));
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
    let mut swatches = Vec::new();
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
        swatches.push((key.clone(), color));
    }
    let keys: Vec<String> = lines.iter().map(|(k, _)| k.clone()).collect();
    let seeds = {
        let mut per_point: HashMap<(String, String, u64), usize> = HashMap::new();
        for (r, x) in &runs {
            *per_point
                .entry((line_of(r, axis), r.workload.clone(), x.to_bits()))
                .or_default() += 1;
        }
        per_point.values().copied().max().unwrap_or(1)
    };
    let x_desc = format!("{axis} (base units)");
    let cols = wls.len();
    figure(
        canvas,
        size,
        (METRICS.len(), cols),
        &title,
        &legend(&swatches, axis, special.as_ref(), seeds),
        |i, area| {
            let (row, col) = (i / cols, i % cols);
            let (Some((metric, y_desc)), Some(wl)) = (METRICS.get(row), wls.get(col)) else {
                return Ok(None);
            };
            let here: Vec<(&RunRecord, f64)> = runs
                .iter()
                .filter(|(r, _)| r.workload == *wl)
                .copied()
                .collect();
            let all = series(&here, axis, metric, &keys, special.as_ref());
            let xs: Vec<f64> = all
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0))
                .collect();
            let has_special = all.iter().any(|s| s.special.is_some());
            let (sx, separator) = special_column(&xs);
            let hide_beyond = if has_special {
                separator
            } else {
                f64::INFINITY
            };
            let ticks = move |v: &f64| {
                if *v > hide_beyond {
                    String::new()
                } else {
                    axis_number(v)
                }
            };
            let mut axes = Axes::new(format!("workload: {wl}"), &x_desc, y_desc);
            axes.x_format = &ticks;
            let (width, height) = plot_size(area, &axes.caption)?;
            let x = padded_range(
                xs.iter().copied().chain(has_special.then_some(sx)),
                width,
                8.0,
            );
            let y = padded_range(
                all.iter()
                    .flat_map(|s| s.spreads().flat_map(|p| [p.min, p.max])),
                height,
                8.0,
            );
            let y_span = y.clone();
            let mut panel = panel(area, &axes, x, y)?;
            if has_special {
                panel
                    .chart
                    .draw_series(DashedLineSeries::new(
                        [(separator, y_span.start), (separator, y_span.end)],
                        6,
                        4,
                        RGBColor(150, 150, 150).stroke_width(1),
                    ))
                    .map_err(fail)?;
            }
            for s in &all {
                let color = style[&s.key];
                let several = s.spreads().any(|p| p.n > 1);
                if several && s.points.len() >= 2 {
                    let band: Vec<(f64, f64)> = s
                        .points
                        .iter()
                        .map(|(x, p)| (*x, p.max))
                        .chain(s.points.iter().rev().map(|(x, p)| (*x, p.min)))
                        .collect();
                    panel
                        .chart
                        .draw_series(std::iter::once(Polygon::new(
                            band,
                            color.mix(0.18).filled(),
                        )))
                        .map_err(fail)?;
                }
                let means: Vec<(f64, f64)> = s.points.iter().map(|(x, p)| (*x, p.mean)).collect();
                panel
                    .chart
                    .draw_series(LineSeries::new(means.clone(), color.stroke_width(2)))
                    .map_err(fail)?;
                let bars = s
                    .points
                    .iter()
                    .map(|(x, p)| (*x, p))
                    .chain(s.special.as_ref().map(|p| (sx, p)))
                    .filter(|(_, p)| p.n > 1);
                for (x, p) in bars {
                    let cap = |y: f64| {
                        EmptyElement::at((x, y))
                            + PathElement::new([(-4, 0), (4, 0)], color.stroke_width(1))
                    };
                    panel
                        .chart
                        .draw_series([cap(p.min), cap(p.max)])
                        .map_err(fail)?;
                    panel
                        .chart
                        .draw_series(std::iter::once(PathElement::new(
                            [(x, p.min), (x, p.max)],
                            color.stroke_width(1),
                        )))
                        .map_err(fail)?;
                }
                panel
                    .chart
                    .draw_series(means.iter().map(|p| Circle::new(*p, 3, color.filled())))
                    .map_err(fail)?;
                if let Some(p) = &s.special {
                    panel
                        .chart
                        .draw_series(std::iter::once(
                            EmptyElement::at((sx, p.mean))
                                + Rectangle::new([(-4, -4), (4, 4)], color.stroke_width(2)),
                        ))
                        .map_err(fail)?;
                }
            }
            if let (true, Some(s)) = (has_special, &special) {
                let (px, _) = panel.to_pixel((sx, y_span.end));
                let plot = panel.chart.plotting_area().strip_coord_spec();
                let style = (FONT, LABEL_SIZE)
                    .into_font()
                    .color(&RGBColor(90, 90, 90))
                    .pos(Pos::new(HPos::Center, VPos::Top));
                plot.draw(&Text::new(s.meaning.clone(), (px.round() as i32, 4), style))
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

    fn io_rate_runs(seeds: u64) -> Vec<RunRecord> {
        let mut out = Vec::new();
        for rate in ["0", "262144", "524288", "1048576"] {
            for seed in 1..=seeds {
                let w = 4.0 + rate.parse::<f64>().unwrap() / 1e6 + seed as f64 * 0.1;
                let mut r = record("leveled", "uniform", w);
                r.varied = vec![("compaction_io_rate".into(), rate.into())];
                r.run_id = format!("leveled/uniform/compaction_io_rate={rate}/seed={seed}");
                r.seed = seed;
                out.push(r);
            }
        }
        out
    }

    /// The leveled write_amp series of `records` against compaction_io_rate.
    fn write_amp_series(records: &[RunRecord], special: Option<Special>) -> Series {
        let runs: Vec<(&RunRecord, f64)> = records
            .iter()
            .map(|r| (r, r.varied[0].1.parse().unwrap()))
            .collect();
        let keys = ["leveled".to_string()];
        series(
            &runs,
            "compaction_io_rate",
            "write_amp",
            &keys,
            special.as_ref(),
        )
        .remove(0)
    }

    #[test]
    fn special_values_come_from_the_parameter_declarations() {
        let s = special_value("compaction_io_rate").unwrap();
        assert_eq!((s.value, s.meaning.as_str()), (0.0, "unlimited"));
        let s = special_value("engine.bloom_bits_per_key").unwrap();
        assert_eq!(s.meaning, "no filter");
        assert_eq!(
            special_value("l0_file_limit"),
            None,
            "a range note is not a value"
        );
        assert_eq!(
            special_value("value_size"),
            None,
            "workload parameters have none"
        );
    }

    #[test]
    fn unlimited_is_its_own_category_never_joined_to_the_numbers() {
        let records = io_rate_runs(1);
        let s = &write_amp_series(&records, special_value("compaction_io_rate"));
        let xs: Vec<f64> = s.points.iter().map(|p| p.0).collect();
        assert_eq!(
            xs,
            [262144.0, 524288.0, 1048576.0],
            "the line holds finite budgets only"
        );
        assert_eq!(s.special.unwrap().mean, 4.1);
        let (sx, sep) = special_column(&xs);
        assert!(
            1048576.0 < sep && sep < sx,
            "the category lies right of every number"
        );
        // Without a declared meaning, 0 is a number like any other.
        let plain = &write_amp_series(&records, None);
        assert_eq!(plain.points.len(), 4);
        assert!(plain.special.is_none());
    }

    #[test]
    fn seeds_of_a_configuration_become_one_point_with_their_range() {
        let records = io_rate_runs(3);
        let s = &write_amp_series(&records, special_value("compaction_io_rate"));
        assert_eq!(s.points.len(), 3);
        let (_, p) = s.points[0];
        assert_eq!(p.n, 3);
        assert!((p.min - (4.0 + 0.262144 + 0.1)).abs() < 1e-9);
        assert!((p.max - (4.0 + 0.262144 + 0.3)).abs() < 1e-9);
        assert!((p.mean - (4.0 + 0.262144 + 0.2)).abs() < 1e-9);
        assert_eq!(s.special.unwrap().n, 3);
    }
}
