//! PNG plots of a sweep: the write/space/read amplification trade-off, the
//! amplification and the compaction debt over the course of each run, and
//! the level shape at the end.
//!
//! Text is drawn with DejaVu Sans embedded in the binary (see
//! `assets/fonts/LICENSE-DejaVu.txt`), never with system fonts, so plots look
//! the same on every machine. Every line is clipped to its plotting area and
//! the legend column is as wide as its longest label.

mod frame;
mod grid;
mod labels;
mod legend;
mod levels;
mod lines;
mod scatter;
mod style;
mod timelines;
mod tree;

use std::path::Path;

use crate::error::Result;
use crate::results::RunRecord;
use crate::timeline::TimelineRow;
use frame::Canvas;
pub use frame::PanelSize;
pub use grid::numeric_axes;
use lines::Sampled;
pub use style::palette_hex;
use timelines::{timeline_figure, Metric, TimelineFigure};

/// The trade-off scatter: one panel per workload, write amplification (x)
/// against space amplification (y), marker area proportional to read
/// amplification, one colour per policy; grid values are written beside
/// their marker.
/// With several seeds per configuration, one marker per configuration at
/// the mean, with min..max error bars.
pub fn tradeoff_scatter(records: &[RunRecord], path: &Path, size: PanelSize) -> Result<()> {
    scatter::tradeoff(records, Canvas::Png(path), size).map(|_| ())
}

static AMP: TimelineFigure = TimelineFigure {
    title: "Amplification over the run",
    x_desc: "operations done",
    pick_x: |r| r.ops_done as f64,
    metrics: &[
        Metric::line("write amplification (x)", |r| r.write_amp),
        Metric::line("space amplification (x)", |r| r.space_amp),
        Metric::line("read amplification (blocks/lookup)", |r| {
            r.read_amp.unwrap_or(f64::NAN)
        }),
    ],
};

/// Pixels per span of the debt lines: each step is the peak of its span.
const DEBT_SPAN_PX: u32 = 8;

static DEBT: TimelineFigure = TimelineFigure {
    title: "Compaction debt over simulated time",
    x_desc: "simulated time (s)",
    pick_x: |r| r.sim_time_s,
    metrics: &[
        Metric::peaks(
            "L0 files (peak)",
            |r| r.l0_files as f64,
            DEBT_SPAN_PX,
            Sampled::Instant,
        ),
        Metric::peaks(
            "pending compaction, peak (MiB)",
            |r| r.pending_compaction_bytes as f64 / (1u64 << 20) as f64,
            DEBT_SPAN_PX,
            Sampled::SincePrevious,
        ),
    ],
};

/// Write, space and read amplification against operations done: one row
/// per metric, one panel per workload (per workload and policy when a policy
/// ran with several settings), one line per run. Read amplification is drawn
/// from the first lookup on (a write-only run shows one dot, the probe at
/// the end).
pub fn amp_over_time(
    timeline: &[TimelineRow],
    records: &[RunRecord],
    path: &Path,
    size: PanelSize,
) -> Result<()> {
    timeline_figure(&AMP, timeline, records, Canvas::Png(path), size).map(|_| ())
}

/// Compaction debt against simulated time: L0 files and pending compaction
/// bytes, panels as in `amp_over_time`. Each line is a step line of the
/// peak within every few pixels of time, so a quantity that swings between
/// zero and its peak reads as the level of its peaks. A budget too small for
/// the ingest shows as debt that keeps growing and a run that takes longer.
pub fn debt_over_time(
    timeline: &[TimelineRow],
    records: &[RunRecord],
    path: &Path,
    size: PanelSize,
) -> Result<()> {
    timeline_figure(&DEBT, timeline, records, Canvas::Png(path), size).map(|_| ())
}

/// Each metric against the grid axis `axis` (a numeric one, see
/// [`numeric_axes`]): a row per metric, a panel per workload, a line per
/// policy.
pub fn grid_chart(records: &[RunRecord], axis: &str, path: &Path, size: PanelSize) -> Result<()> {
    grid::grid_chart(records, axis, Canvas::Png(path), size).map(|_| ())
}

/// The tree at a few moments of each run: one row per policy (its first
/// configuration on the first workload), one panel per moment, every sorted
/// run a bar over its key range, grouped by level. From the timeline's
/// `tree` snapshots.
pub fn tree_picture(
    timeline: &[TimelineRow],
    records: &[RunRecord],
    path: &Path,
    size: PanelSize,
) -> Result<()> {
    tree::tree_picture(records, timeline, Canvas::Png(path), size).map(|_| ())
}

/// The level shape at the end: one panel per workload, bytes (MiB) per
/// level, a bar per run grouped by level. Uses each run's last timeline row.
pub fn level_shape(
    timeline: &[TimelineRow],
    records: &[RunRecord],
    path: &Path,
    size: PanelSize,
) -> Result<()> {
    levels::level_shape(timeline, records, Canvas::Png(path), size).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::frame::{axis_number, human_count, padded_range, Layout, Rect, TITLE_BAND};
    use super::legend::{Legend, ENTRY_SIZE};
    use super::style::{policy_colors, run_styles, PALETTE};
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
                // Models above and below the measurement, with and without
                // a space prediction; fifo has none.
                if p < 2 {
                    r.metrics.model_write_amp = Some(1.0 + 6.0 * p as f64);
                    r.metrics.model_space_amp = (p == 0).then_some(1.11);
                }
                timeline.extend(samples(&r.run_id, 50, 1.0 + p as f64 * 0.3));
                records.push(r);
            }
        }
        (records, timeline)
    }

    /// The debt sweep's shape: two policies under four I/O budgets, L0 files
    /// swinging between 0 and 11 from one sample to the next and pending
    /// bytes spiking, several samples at one simulated time while writes
    /// stall (the line turns back on itself), runs of different lengths,
    /// long legend labels.
    fn debt_sweep() -> (Vec<RunRecord>, Vec<TimelineRow>) {
        let mut records = Vec::new();
        let mut timeline = Vec::new();
        for policy in ["leveled", "size-tiered"] {
            for (k, rate) in ["0", "1MiB", "512KiB", "256KiB"].into_iter().enumerate() {
                let mut r = record(policy, "uniform", 4.0 + k as f64 * 0.01);
                r.metrics.space_amp = 1.8 + k as f64 * 0.01;
                r.varied = vec![("compaction_io_rate".into(), rate.into())];
                r.run_id = format!("{policy}/uniform/compaction_io_rate={rate}");
                let mut rows = samples(&r.run_id, 100, 1.0);
                for (i, row) in rows.iter_mut().enumerate() {
                    let stall = (i % 3) as f64 * 0.7;
                    row.sim_time_s = ((i / 3 + 1) as f64 * 9.0 + stall) * (k + 1) as f64;
                    row.l0_files = if i % 2 == 0 { 0 } else { 11 };
                    row.pending_compaction_bytes = ((i * 37 % 23) as u64) << 20;
                    row.read_amp = (i == 99).then_some(0.5);
                }
                timeline.extend(rows);
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

    /// An RGB image drawn in memory, with where its parts are.
    struct Image {
        rgb: Vec<u8>,
        layout: Layout,
    }

    impl Image {
        fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
            let at = (y as usize * self.layout.width as usize + x as usize) * 3;
            [self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]]
        }

        /// Pixels of a clear colour (text, axes and grid are grey): series
        /// and markers, legend swatches.
        fn coloured(&self) -> impl Iterator<Item = (i32, i32)> + '_ {
            let (w, h) = (self.layout.width, self.layout.height);
            (0..h)
                .flat_map(move |y| (0..w).map(move |x| (x, y)))
                .filter_map(|(x, y)| {
                    let [r, g, b] = self.pixel(x, y);
                    let spread = r.max(g).max(b) - r.min(g).min(b);
                    (spread > 40).then_some((x as i32, y as i32))
                })
        }

        /// Coloured pixels neither in a plotting area nor in the legend.
        fn strays(&self) -> Vec<(i32, i32)> {
            let inside = |p: (i32, i32)| {
                self.layout.legend.contains(p) || self.layout.plots.iter().any(|r| r.contains(p))
            };
            self.coloured().filter(|p| !inside(*p)).collect()
        }
    }

    fn debt_image(records: &[RunRecord], timeline: &[TimelineRow]) -> Image {
        let mut rgb = Vec::new();
        let layout = timeline_figure(
            &DEBT,
            timeline,
            records,
            Canvas::Rgb(&mut rgb),
            PanelSize::default(),
        )
        .unwrap();
        Image { rgb, layout }
    }

    #[test]
    fn plots_are_pngs_of_the_expected_size() {
        let dir = tempfile::tempdir().unwrap();
        let (records, timeline) = sweep();
        let legend = |heading| {
            let styles = run_styles(&records);
            Legend::swatches(heading, &styles.legend).size().unwrap()
        };
        let (lw, lh) = legend("run");
        assert!(lh < 240, "{lh}");
        let p = dir.path().join("tradeoff.png");
        tradeoff_scatter(&records, &p, SMALL).unwrap();
        let mut rgb = Vec::new();
        let layout = scatter::tradeoff(&records, Canvas::Rgb(&mut rgb), SMALL).unwrap();
        assert_eq!(layout.plots.len(), 2);
        assert_eq!(layout.width, 2 * 320 + layout.legend.w);
        assert!(layout.legend.h >= 240);
        assert_png(&p, layout.width, layout.legend.h + TITLE_BAND);
        let p = dir.path().join("amp.png");
        amp_over_time(&timeline, &records, &p, SMALL).unwrap();
        assert_png(&p, 2 * 320 + lw, 3 * 240 + TITLE_BAND);
        let p = dir.path().join("debt.png");
        debt_over_time(&timeline, &records, &p, SMALL).unwrap();
        assert_png(&p, 2 * 320 + lw, 2 * 240 + TITLE_BAND);
        let p = dir.path().join("levels.png");
        level_shape(&timeline, &records, &p, SMALL).unwrap();
        assert_png(&p, 2 * 320 + lw, 240 + TITLE_BAND);
    }

    #[test]
    fn empty_sweeps_still_produce_a_figure() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("empty.png");
        tradeoff_scatter(&[], &p, SMALL).unwrap();
        let empty = Legend::default().size().unwrap().0;
        assert_png(&p, 320 + empty, 240 + TITLE_BAND);
        level_shape(&[], &sweep().0, &p, SMALL).unwrap();
        debt_over_time(&[], &sweep().0, &p, SMALL).unwrap();
    }

    #[test]
    fn unwritable_path_is_an_error_naming_it() {
        let (records, _) = sweep();
        let err = tradeoff_scatter(&records, Path::new("/no/such/dir/t.png"), SMALL).unwrap_err();
        assert!(err.to_string().contains("/no/such/dir/t.png"), "{err}");
    }

    #[test]
    fn debt_lines_stay_inside_their_panels() {
        let (records, timeline) = debt_sweep();
        let image = debt_image(&records, &timeline);
        assert_eq!(
            image.layout.plots.len(),
            4,
            "one panel per policy and metric"
        );
        let strays = image.strays();
        assert!(
            strays.is_empty(),
            "{} stray pixels, first {:?}",
            strays.len(),
            &strays[..strays.len().min(5)]
        );
        for plot in &image.layout.plots {
            assert!(
                image.coloured().any(|p| plot.contains(p)),
                "an empty panel at {plot:?}"
            );
        }
    }

    fn assert_no_strays(image: Image) {
        let strays = image.strays();
        assert!(
            strays.is_empty(),
            "{} stray pixels: {:?}",
            strays.len(),
            &strays[..strays.len().min(5)]
        );
    }

    #[test]
    fn amplification_lines_and_scatter_markers_stay_inside_their_panels() {
        let (records, timeline) = debt_sweep();
        let mut rgb = Vec::new();
        let layout =
            timeline_figure(&AMP, &timeline, &records, Canvas::Rgb(&mut rgb), SMALL).unwrap();
        assert_no_strays(Image { rgb, layout });
        let (records, _) = sweep();
        let mut rgb = Vec::new();
        let layout = scatter::tradeoff(&records, Canvas::Rgb(&mut rgb), SMALL).unwrap();
        assert_no_strays(Image { rgb, layout });
    }

    #[test]
    fn grid_charts_with_seed_bands_and_an_unlimited_value_stay_inside_their_panels() {
        let mut records = Vec::new();
        for policy in ["leveled", "size-tiered"] {
            for rate in ["0", "262144", "524288", "1048576"] {
                for seed in 1..=3u64 {
                    let w = 4.0 + rate.parse::<f64>().unwrap() / 1e6 + seed as f64 * 0.2;
                    let mut r = record(policy, "uniform", w);
                    r.metrics.stall_seconds = if rate == "0" {
                        0.0
                    } else {
                        100.0 * seed as f64
                    };
                    r.varied = vec![("compaction_io_rate".into(), rate.into())];
                    r.run_id = format!("{policy}/uniform/compaction_io_rate={rate}/seed={seed}");
                    r.seed = seed;
                    records.push(r);
                }
            }
        }
        let mut rgb = Vec::new();
        let layout =
            grid::grid_chart(&records, "compaction_io_rate", Canvas::Rgb(&mut rgb), SMALL).unwrap();
        assert_eq!(layout.plots.len(), 4, "one panel per metric");
        assert_no_strays(Image { rgb, layout });
    }

    #[test]
    fn multi_seed_scatter_markers_get_error_bars_inside_their_panel() {
        let mut records = Vec::new();
        for (p, policy) in ["leveled", "size-tiered"].iter().enumerate() {
            for seed in 1..=3u64 {
                let mut r = record(policy, "uniform", 3.0 + p as f64 * 3.0 + seed as f64 * 0.4);
                r.metrics.space_amp = 1.1 + p as f64 * 0.5 + seed as f64 * 0.05;
                r.run_id = format!("{policy}/uniform/seed={seed}");
                r.seed = seed;
                records.push(r);
            }
        }
        let mut rgb = Vec::new();
        let layout = scatter::tradeoff(&records, Canvas::Rgb(&mut rgb), SMALL).unwrap();
        let image = Image { rgb, layout };
        let spreads = scatter::seed_spreads(&records);
        let (w, s) = spreads["leveled/uniform"];
        assert!((w.min - 3.4).abs() < 1e-9 && (w.max - 4.2).abs() < 1e-9 && w.n == 3);
        assert!((s.min - 1.15).abs() < 1e-9 && (s.max - 1.25).abs() < 1e-9);
        assert_eq!(spreads.len(), 2, "one bar pair per configuration");
        assert!(
            scatter::seed_spreads(&records[..1]).is_empty(),
            "one seed: no bars"
        );
        assert_no_strays(image);
    }

    #[test]
    fn timeline_ranges_cover_every_sample() {
        let (records, timeline) = debt_sweep();
        for fig in [&AMP, &DEBT] {
            for metric in fig.metrics {
                let runs: Vec<Vec<&TimelineRow>> = records
                    .iter()
                    .map(|r| timeline.iter().filter(|t| t.run_id == r.run_id).collect())
                    .collect();
                let slices: Vec<&[&TimelineRow]> = runs.iter().map(|r| r.as_slice()).collect();
                let (x, y) = timelines::ranges(&slices, fig.pick_x, metric, 300);
                for row in &timeline {
                    let (px, py) = ((fig.pick_x)(row), (metric.pick)(row));
                    assert!(
                        x.start <= px && px <= x.end,
                        "{}: x {px} not in {x:?}",
                        metric.desc
                    );
                    if py.is_finite() {
                        assert!(
                            y.start <= py && py <= y.end,
                            "{}: {py} not in {y:?}",
                            metric.desc
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_legend_is_as_wide_as_its_longest_label() {
        let (records, timeline) = debt_sweep();
        let styles = run_styles(&records);
        let longest = "size-tiered compaction_io_rate=256KiB";
        assert!(styles.legend.iter().any(|(l, _)| l == longest));
        let (text, _) = frame::text_size(longest, ENTRY_SIZE).unwrap();
        let (width, _) = Legend::swatches("run", &styles.legend).size().unwrap();
        assert!(
            width > text + 40,
            "legend {width} px for a label of {text} px"
        );
        // Drawn: the legend's text ends well before the right edge.
        let image = debt_image(&records, &timeline);
        let legend = image.layout.legend;
        let inked =
            |x: u32| (legend.y as u32..image.layout.height).any(|y| image.pixel(x, y) != [255; 3]);
        let right = legend.x as u32 + legend.w;
        assert!(inked(right - 24 - text / 2), "the legend has text");
        assert!(
            !(right - 10..right).any(inked),
            "text touches the right edge"
        );
    }

    #[test]
    fn tall_legends_make_the_figure_taller() {
        let entries: Vec<(String, plotters::style::RGBColor)> = (0..40)
            .map(|i| (format!("run {i}"), PALETTE[i % PALETTE.len()]))
            .collect();
        let legend = Legend::swatches("run", &entries);
        let (_, h) = legend.size().unwrap();
        let mut records = Vec::new();
        let mut timeline = Vec::new();
        for (i, (label, _)) in entries.iter().enumerate() {
            let mut r = record("leveled", "uniform", 2.0);
            r.varied = vec![("n".into(), label.clone())];
            r.run_id = format!("leveled/uniform/{i}");
            timeline.extend(samples(&r.run_id, 10, 1.0));
            records.push(r);
        }
        let mut rgb = Vec::new();
        let layout =
            levels::level_shape(&timeline, &records, Canvas::Rgb(&mut rgb), SMALL).unwrap();
        assert!(h > SMALL.height);
        assert_eq!(layout.height, h + TITLE_BAND);
    }

    #[test]
    fn policies_with_several_settings_get_a_column_each() {
        let (records, _) = debt_sweep();
        let cols = timelines::columns(&records);
        let policies: Vec<Option<&str>> = cols.iter().map(|c| c.policy).collect();
        assert_eq!(policies, [Some("leveled"), Some("size-tiered")]);
        let (records, _) = sweep();
        let cols = timelines::columns(&records);
        assert_eq!(cols.len(), 2);
        assert!(cols.iter().all(|c| c.policy.is_none()));
    }

    #[test]
    fn read_amplification_starts_at_the_first_lookup() {
        let (_, timeline) = debt_sweep();
        let rows: Vec<&TimelineRow> = timeline.iter().take(100).collect();
        let pts = timelines::points(&rows, AMP.pick_x, &AMP.metrics[2]);
        assert_eq!(pts, [(100_000.0, 0.5)]);
        let pts = timelines::points(&rows, AMP.pick_x, &AMP.metrics[0]);
        assert_eq!(pts.len(), 100);
    }

    #[test]
    fn marker_labels_name_a_single_grid_parameter_once() {
        let (records, _) = debt_sweep();
        let (labels, note) = scatter::marker_labels(&records);
        assert_eq!(labels[..4], ["0", "1MiB", "512KiB", "256KiB"]);
        assert_eq!(note.as_deref(), Some("compaction_io_rate"));
        let (mut records, _) = sweep();
        records[0].varied = vec![("a".into(), "1".into()), ("b".into(), "2".into())];
        let (labels, note) = scatter::marker_labels(&records);
        assert_eq!(labels[0], "a=1 b=2");
        assert_eq!(labels[1], "");
        assert_eq!(note, None);
    }

    #[test]
    fn padded_ranges_leave_room_for_markers() {
        for (values, len, margin) in [
            (vec![0.6, 5.5, 4.7], 400u32, 23.0),
            (vec![1.0, 1.0], 300, 23.0),
            (vec![0.01, 0.02, 9.0], 200, 23.0),
            (vec![3.7, 3.72, 3.71], 460, 20.0),
        ] {
            let r = padded_range(values.iter().copied(), len, margin);
            let px = |v: f64| (v - r.start) / (r.end - r.start) * f64::from(len);
            for &v in &values {
                assert!(px(v) >= margin - 1e-9, "{v} in {r:?}: {} px", px(v));
                assert!(f64::from(len) - px(v) >= margin - 1e-9, "{v} in {r:?}");
            }
        }
        assert_eq!(padded_range([0.0, 10.0].into_iter(), 300, 0.0).start, 0.0);
    }

    #[test]
    fn the_panel_size_is_known_before_drawing() {
        let (records, timeline) = debt_sweep();
        let image = debt_image(&records, &timeline);
        let plot = image.layout.plots[0];
        let mut rgb = vec![0; 560 * 420 * 3];
        let backend = plotters::prelude::BitMapBackend::with_buffer(&mut rgb, (560, 420));
        let area = plotters::prelude::IntoDrawingArea::into_drawing_area(backend);
        let size = frame::plot_size(&area, "uniform: leveled").unwrap();
        assert_eq!(size, (plot.w, plot.h));
        assert_eq!(
            image.layout.plots[1],
            Rect {
                x: plot.x + 560,
                ..plot
            }
        );
    }

    #[test]
    fn every_registered_policy_has_a_colour_of_its_own() {
        let records: Vec<RunRecord> = crate::spec::known_policies()
            .iter()
            .map(|p| record(p, "uniform", 2.0))
            .collect();
        let colors = policy_colors(&records);
        let distinct: std::collections::HashSet<(u8, u8, u8)> =
            colors.values().map(|c| (c.0, c.1, c.2)).collect();
        assert_eq!(distinct.len(), records.len(), "{colors:?}");
        assert_eq!(palette_hex()[0], "#1f77b4");
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
    fn human_counts_and_tick_labels() {
        assert_eq!(human_count(0.0), "0");
        assert_eq!(human_count(1500.0), "1.5k");
        assert_eq!(human_count(200_000.0), "200k");
        assert_eq!(human_count(3_000_000.0), "3M");
        assert_eq!(axis_number(&12.0), "12");
        assert_eq!(axis_number(&2.5), "2.5");
        assert_eq!(axis_number(&1.05), "1.05");
        assert_eq!(axis_number(&-0.0), "0");
        assert_eq!(axis_number(&1200.0), "1.2k");
    }

    /// Renders full-size figures into target/plot-preview for a person to
    /// look at; `cargo test -p lsmlab -- --ignored preview`.
    #[test]
    #[ignore]
    fn preview() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plot-preview");
        std::fs::create_dir_all(&dir).unwrap();
        let size = PanelSize::default();
        let (records, timeline) = debt_sweep();
        tradeoff_scatter(&records, &dir.join("debt_tradeoff.png"), size).unwrap();
        debt_over_time(&timeline, &records, &dir.join("debt_over_time.png"), size).unwrap();
        let (mut records, mut timeline) = sweep();
        let mut extra = record("leveled", "timeseries", 6.0);
        extra.varied = vec![("l0_file_limit".into(), "8".into())];
        extra.run_id.push_str("/l0_file_limit=8");
        timeline.extend(samples(&extra.run_id, 50, 2.0));
        records.push(extra);
        tradeoff_scatter(&records, &dir.join("tradeoff.png"), size).unwrap();
        amp_over_time(&timeline, &records, &dir.join("amp_over_time.png"), size).unwrap();
        level_shape(&timeline, &records, &dir.join("level_shape.png"), size).unwrap();
    }
}
