//! PNG plots of a sweep: the write/space/read amplification trade-off, the
//! amplification over the course of each run, and the level shape at the end.
//!
//! Text is drawn with DejaVu Sans embedded in the binary (see
//! `assets/fonts/LICENSE-DejaVu.txt`), never with system fonts, so plots look
//! the same on every machine.

mod frame;
mod style;

use std::collections::HashMap;
use std::path::Path;

use plotters::prelude::*;
use plotters::style::RGBColor;

use crate::error::{LabError, Result};
use crate::results::RunRecord;
use crate::timeline::{last_samples, TimelineRow};
pub use frame::PanelSize;
use frame::{
    draw_legend, figure, human_count, no_data, padded_range, AXIS_SIZE, CAPTION_SIZE, FONT,
    LABEL_SIZE,
};
use style::{policy_colors, run_styles, variant, workloads};

/// The trade-off scatter: one panel per workload, write amplification (x)
/// against space amplification (y), marker area by read amplification, one
/// colour per policy; grid values are written beside their marker.
pub fn tradeoff_scatter(records: &[RunRecord], path: &Path, size: PanelSize) -> Result<()> {
    let title = "Write vs space amplification (marker area: read amplification)";
    let wls = workloads(records);
    if wls.is_empty() {
        return no_data(path, size, title);
    }
    let colors = policy_colors(records);
    let reads: Vec<f64> = records
        .iter()
        .map(|r| r.metrics.read_amp)
        .filter(|v| v.is_finite())
        .collect();
    let (rmin, rmax) = reads
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let radius = |ra: f64| {
        let t = if rmax > rmin && ra.is_finite() {
            (ra - rmin) / (rmax - rmin)
        } else {
            0.5
        };
        (36.0 + (400.0 - 36.0) * t).sqrt()
    };
    let cols = wls.len().min(3);
    let rows = wls.len().div_ceil(cols);
    let fail = |e: &dyn std::fmt::Display| LabError::output(path, e);
    figure(
        path,
        size,
        (rows, cols),
        title,
        |i, area| {
            let Some(wl) = wls.get(i) else { return Ok(()) };
            let runs: Vec<&RunRecord> = records.iter().filter(|r| r.workload == *wl).collect();
            let xr = padded_range(runs.iter().map(|r| r.metrics.write_amp));
            let yr = padded_range(runs.iter().map(|r| r.metrics.space_amp));
            let mut chart = ChartBuilder::on(area)
                .caption(format!("workload: {wl}"), (FONT, CAPTION_SIZE))
                .margin(12)
                .x_label_area_size(48)
                .y_label_area_size(64)
                .build_cartesian_2d(xr, yr)
                .map_err(|e| fail(&e))?;
            chart
                .configure_mesh()
                .x_desc("write amplification (x)")
                .y_desc("space amplification (x)")
                .axis_desc_style((FONT, AXIS_SIZE))
                .label_style((FONT, LABEL_SIZE))
                .max_light_lines(1)
                .light_line_style(RGBColor(242, 242, 242))
                .draw()
                .map_err(|e| fail(&e))?;
            let mut points: Vec<(&RunRecord, f64)> = runs
                .iter()
                .filter(|r| r.metrics.write_amp.is_finite() && r.metrics.space_amp.is_finite())
                .map(|r| (*r, radius(r.metrics.read_amp)))
                .collect();
            points.sort_by(|a, b| b.1.total_cmp(&a.1));
            chart
                .draw_series(points.iter().map(|(r, rad)| {
                    let color = colors[&r.policy];
                    EmptyElement::at((r.metrics.write_amp, r.metrics.space_amp))
                        + Circle::new((0, 0), *rad as i32, color.mix(0.75).filled())
                        + Circle::new((0, 0), *rad as i32, BLACK.stroke_width(1))
                        + Text::new(variant(r), (*rad as i32 + 3, -6), (FONT, LABEL_SIZE - 2.0))
                }))
                .map_err(|e| fail(&e))?;
            Ok(())
        },
        |side| {
            let mut policies: Vec<(String, RGBColor)> = Vec::new();
            for r in records {
                if !policies.iter().any(|(p, _)| *p == r.policy) {
                    policies.push((r.policy.clone(), colors[&r.policy]));
                }
            }
            let y = draw_legend(side, "policy", &policies, 60)?;
            draw_legend(side, "marker area: read amp", &[], y)?;
            let mut y = y + 34;
            let samples = if rmax > rmin {
                vec![rmin, (rmin + rmax) / 2.0, rmax]
            } else {
                vec![rmin]
            };
            for ra in samples.into_iter().filter(|v| v.is_finite()) {
                let r = radius(ra);
                let cy = y + r as i32;
                side.draw(&Circle::new(
                    (30, cy),
                    r as i32,
                    RGBColor(160, 160, 160).stroke_width(1),
                ))
                .map_err(|e| fail(&e))?;
                side.draw(&Text::new(
                    format!("{ra:.2} blocks/lookup"),
                    (58, cy - 8),
                    (FONT, LABEL_SIZE),
                ))
                .map_err(|e| fail(&e))?;
                y = cy + r as i32 + 10;
            }
            Ok(())
        },
    )
}

/// Write, space and read amplification against operations done: one row
/// per metric, one panel per workload, one line per run.
pub fn amp_over_time(
    timeline: &[TimelineRow],
    records: &[RunRecord],
    path: &Path,
    size: PanelSize,
) -> Result<()> {
    timeline_grid(
        timeline,
        records,
        path,
        size,
        "Amplification over the run",
        ("operations done", |r| r.ops_done as f64),
        &[
            ("write amplification (x)", |r| r.write_amp),
            ("space amplification (x)", |r| r.space_amp),
            ("read amplification (blocks/lookup)", |r| r.read_amp),
        ],
    )
}

/// Compaction debt against simulated time: L0 files and pending compaction
/// bytes, one panel per workload, one line per run. A budget too small for
/// the ingest shows as debt that keeps growing.
pub fn debt_over_time(
    timeline: &[TimelineRow],
    records: &[RunRecord],
    path: &Path,
    size: PanelSize,
) -> Result<()> {
    timeline_grid(
        timeline,
        records,
        path,
        size,
        "Compaction debt over simulated time",
        ("simulated time (s)", |r| r.sim_time_s),
        &[
            ("L0 files", |r| r.l0_files as f64),
            ("pending compaction (MiB)", |r| {
                r.pending_compaction_bytes as f64 / (1u64 << 20) as f64
            }),
        ],
    )
}

type Pick = fn(&TimelineRow) -> f64;

/// A grid of line charts over the timeline: one row per metric, one column
/// per workload, one line per run, `x` on the horizontal axis.
fn timeline_grid(
    timeline: &[TimelineRow],
    records: &[RunRecord],
    path: &Path,
    size: PanelSize,
    title: &str,
    x: (&str, Pick),
    metrics: &[(&str, Pick)],
) -> Result<()> {
    let wls = workloads(records);
    if wls.is_empty() || timeline.is_empty() {
        return no_data(path, size, title);
    }
    let styles = run_styles(records);
    let mut by_run: HashMap<&str, Vec<&TimelineRow>> = HashMap::new();
    for row in timeline {
        by_run.entry(row.run_id.as_str()).or_default().push(row);
    }
    let (x_desc, pick_x) = x;
    let fail = |e: &dyn std::fmt::Display| LabError::output(path, e);
    figure(
        path,
        size,
        (metrics.len(), wls.len()),
        title,
        |i, area| {
            let (desc, pick) = metrics[i / wls.len()];
            let wl = wls[i % wls.len()];
            let series: Vec<(&RunRecord, &Vec<&TimelineRow>)> = records
                .iter()
                .filter(|r| r.workload == wl)
                .filter_map(|r| by_run.get(r.run_id.as_str()).map(|rows| (r, rows)))
                .collect();
            let max_x = series
                .iter()
                .flat_map(|(_, rows)| rows.iter().map(|r| pick_x(r)))
                .fold(0.0f64, f64::max);
            let ys = series
                .iter()
                .flat_map(|(_, rows)| rows.iter().map(|r| pick(r)));
            let yr = padded_range(ys);
            let mut chart = ChartBuilder::on(area)
                .caption(format!("workload: {wl}"), (FONT, CAPTION_SIZE))
                .margin(12)
                .x_label_area_size(48)
                .y_label_area_size(64)
                .build_cartesian_2d(0.0..max_x.max(1.0), yr)
                .map_err(|e| fail(&e))?;
            chart
                .configure_mesh()
                .x_desc(x_desc)
                .y_desc(desc)
                .x_label_formatter(&|v| human_count(*v))
                .axis_desc_style((FONT, AXIS_SIZE))
                .label_style((FONT, LABEL_SIZE))
                .max_light_lines(1)
                .light_line_style(RGBColor(242, 242, 242))
                .draw()
                .map_err(|e| fail(&e))?;
            for (record, rows) in series {
                let color = styles.by_run[&record.run_id];
                let points = rows
                    .iter()
                    .filter(|r| pick(r).is_finite())
                    .map(|r| (pick_x(r), pick(r)));
                chart
                    .draw_series(LineSeries::new(points, color.stroke_width(2)))
                    .map_err(|e| fail(&e))?;
            }
            Ok(())
        },
        |side| draw_legend(side, "run", &styles.legend, 60).map(|_| ()),
    )
}

/// The level shape at the end: one panel per workload, bytes (MiB) per
/// level, a bar per run grouped by level. Uses each run's last timeline row.
pub fn level_shape(
    timeline: &[TimelineRow],
    records: &[RunRecord],
    path: &Path,
    size: PanelSize,
) -> Result<()> {
    let title = "Level shape at the end of each run";
    let last: HashMap<&str, &TimelineRow> = last_samples(timeline)
        .into_iter()
        .map(|r| (r.run_id.as_str(), r))
        .collect();
    let wls = workloads(records);
    if wls.is_empty() || last.is_empty() {
        return no_data(path, size, title);
    }
    let styles = run_styles(records);
    let cols = wls.len().min(3);
    let rows = wls.len().div_ceil(cols);
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let fail = |e: &dyn std::fmt::Display| LabError::output(path, e);
    figure(
        path,
        size,
        (rows, cols),
        title,
        |i, area| {
            let Some(wl) = wls.get(i) else { return Ok(()) };
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
            let mut chart = ChartBuilder::on(area)
                .caption(format!("workload: {wl}"), (FONT, CAPTION_SIZE))
                .margin(12)
                .x_label_area_size(48)
                .y_label_area_size(64)
                .build_cartesian_2d(-0.5..levels as f64 - 0.5, 0.0..(top * 1.12).max(0.01))
                .map_err(|e| fail(&e))?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(levels + 1)
                .x_label_formatter(&|v| {
                    let l = v.round();
                    if (v - l).abs() < 1e-6 && l >= 0.0 {
                        format!("L{l:.0}")
                    } else {
                        String::new()
                    }
                })
                .x_desc("level")
                .y_desc("size at the end (MiB)")
                .axis_desc_style((FONT, AXIS_SIZE))
                .label_style((FONT, LABEL_SIZE))
                .max_light_lines(1)
                .light_line_style(RGBColor(242, 242, 242))
                .draw()
                .map_err(|e| fail(&e))?;
            let width = 0.8 / bars.len().max(1) as f64;
            for (j, (record, row)) in bars.iter().enumerate() {
                let color = styles.by_run[&record.run_id];
                let rects = (0..levels).map(|l| {
                    let x0 = l as f64 - 0.4 + j as f64 * width;
                    let height = mib(row.level_bytes.get(l).copied().unwrap_or(0));
                    Rectangle::new([(x0, 0.0), (x0 + width * 0.92, height)], color.filled())
                });
                chart.draw_series(rects).map_err(|e| fail(&e))?;
            }
            Ok(())
        },
        |side| draw_legend(side, "run", &styles.legend, 60).map(|_| ()),
    )
}

#[cfg(test)]
mod tests {
    use super::frame::LEGEND_WIDTH;
    use super::style::PALETTE;
    use super::*;
    use crate::results::tests::record;
    use crate::timeline::tests::samples;

    const SMALL: PanelSize = PanelSize {
        width: 320,
        height: 240,
    };

    fn sweep() -> (Vec<RunRecord>, Vec<TimelineRow>) {
        let mut records = Vec::new();
        let mut timeline = Vec::new();
        for (w, wl) in ["uniform", "zipfian"].iter().enumerate() {
            for (p, policy) in ["leveled", "size-tiered", "fifo"].iter().enumerate() {
                let mut r = record(policy, wl, 1.5 + p as f64 * 2.0 + w as f64 * 0.5);
                r.metrics.read_amp = 1.0 + p as f64;
                timeline.extend(samples(&r.run_id, 50, 1.0 + p as f64 * 0.3));
                records.push(r);
            }
        }
        (records, timeline)
    }

    fn assert_png(path: &Path, width: u32, height: u32) {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
        let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        assert_eq!((w, h), (width, height));
    }

    #[test]
    fn plots_are_pngs_of_the_expected_size() {
        let dir = tempfile::tempdir().unwrap();
        let (records, timeline) = sweep();
        let p = dir.path().join("tradeoff.png");
        tradeoff_scatter(&records, &p, SMALL).unwrap();
        assert_png(&p, 2 * 320 + LEGEND_WIDTH, 240 + 50);
        let p = dir.path().join("amp.png");
        amp_over_time(&timeline, &records, &p, SMALL).unwrap();
        assert_png(&p, 2 * 320 + LEGEND_WIDTH, 3 * 240 + 50);
        let p = dir.path().join("levels.png");
        level_shape(&timeline, &records, &p, SMALL).unwrap();
        assert_png(&p, 2 * 320 + LEGEND_WIDTH, 240 + 50);
    }

    #[test]
    fn empty_sweeps_still_produce_a_figure() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("empty.png");
        tradeoff_scatter(&[], &p, SMALL).unwrap();
        assert_png(&p, 320 + LEGEND_WIDTH, 240 + 50);
        level_shape(&[], &sweep().0, &p, SMALL).unwrap();
    }

    #[test]
    fn unwritable_path_is_an_error_naming_it() {
        let (records, _) = sweep();
        let err = tradeoff_scatter(&records, Path::new("/no/such/dir/t.png"), SMALL).unwrap_err();
        assert!(err.to_string().contains("/no/such/dir/t.png"), "{err}");
    }

    #[test]
    fn policies_keep_their_colour_and_variants_get_shades() {
        let (mut records, _) = sweep();
        let colors = policy_colors(&records[2..]);
        assert_eq!(colors["fifo"], PALETTE[4]);
        assert_eq!(colors["leveled"], PALETTE[0]);
        records[0].varied = vec![("l0_file_limit".into(), "2".into())];
        records[3].varied = vec![("l0_file_limit".into(), "8".into())];
        let styles = run_styles(&records);
        let labels: Vec<&str> = styles.legend.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "leveled l0_file_limit=2",
                "leveled l0_file_limit=8",
                "size-tiered",
                "fifo"
            ]
        );
        assert_ne!(styles.legend[0].1, styles.legend[1].1);
    }

    #[test]
    fn human_counts() {
        assert_eq!(human_count(0.0), "0");
        assert_eq!(human_count(1500.0), "1.5k");
        assert_eq!(human_count(200_000.0), "200k");
        assert_eq!(human_count(3_000_000.0), "3M");
    }

    /// Renders full-size figures into target/plot-preview for a person to
    /// look at; `cargo test -p lsmlab -- --ignored preview`.
    #[test]
    #[ignore]
    fn preview() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plot-preview");
        std::fs::create_dir_all(&dir).unwrap();
        let (mut records, mut timeline) = sweep();
        let mut extra = record("leveled", "timeseries", 6.0);
        extra.varied = vec![("l0_file_limit".into(), "8".into())];
        extra.run_id.push_str("/l0_file_limit=8");
        timeline.extend(samples(&extra.run_id, 50, 2.0));
        records.push(extra);
        let size = PanelSize::default();
        tradeoff_scatter(&records, &dir.join("tradeoff.png"), size).unwrap();
        amp_over_time(&timeline, &records, &dir.join("amp_over_time.png"), size).unwrap();
        level_shape(&timeline, &records, &dir.join("level_shape.png"), size).unwrap();
    }
}
