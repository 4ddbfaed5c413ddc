//! The frame every plot shares: the embedded font, the figure layout (title
//! band, a grid of panels, a legend column sized to its text), one panel's
//! axes, and axis helpers.

use std::fmt::Display;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle, RGBColor};

use super::legend::Legend;
use crate::error::{LabError, Result};

static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
pub(super) const FONT: &str = "sans-serif";
const TITLE_SIZE: f64 = 24.0;
pub(super) const CAPTION_SIZE: f64 = 19.0;
pub(super) const AXIS_SIZE: f64 = 16.0;
pub(super) const LABEL_SIZE: f64 = 14.0;
/// Height of the band above the panels that holds the figure title.
pub(super) const TITLE_BAND: u32 = 50;
const PANEL_MARGIN: u32 = 12;
const X_LABEL_AREA: u32 = 48;
const Y_LABEL_AREA: u32 = 64;

/// The size of one panel of a figure, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PanelSize {
    pub width: u32,
    pub height: u32,
}

impl Default for PanelSize {
    fn default() -> Self {
        PanelSize {
            width: 560,
            height: 420,
        }
    }
}

/// Registers the embedded font with plotters, once per process.
pub(super) fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        [FontStyle::Normal, FontStyle::Bold]
            .into_iter()
            .all(|style| register_font(FONT, style, DEJAVU_SANS).is_ok())
    });
    if ok {
        Ok(())
    } else {
        Err(LabError::InvalidArgument(
            "the embedded DejaVu Sans font could not be loaded".into(),
        ))
    }
}

/// Width and height in pixels of `text` set in the embedded font at `size`.
pub(super) fn text_size(text: &str, size: f64) -> Result<(u32, u32)> {
    ensure_font()?;
    (FONT, size)
        .into_font()
        .box_size(text)
        .map_err(|e| LabError::InvalidArgument(format!("cannot measure text `{text}`: {e}")))
}

/// A drawing failure inside a figure; `figure` turns it into an error that
/// names the output file.
#[derive(Debug)]
pub(super) struct Failed(String);

pub(super) type Drawn<T = ()> = std::result::Result<T, Failed>;

pub(super) fn fail(e: impl Display) -> Failed {
    Failed(e.to_string())
}

impl From<LabError> for Failed {
    fn from(e: LabError) -> Self {
        Failed(e.to_string())
    }
}

/// A rectangle of pixels in figure coordinates (origin top left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rect {
    pub(super) x: i32,
    pub(super) y: i32,
    pub(super) w: u32,
    pub(super) h: u32,
}

impl Rect {
    #[cfg(test)]
    pub(super) fn contains(&self, (x, y): (i32, i32)) -> bool {
        x >= self.x && y >= self.y && x < self.x + self.w as i32 && y < self.y + self.h as i32
    }

    fn of(area: &DrawingArea<BitMapBackend<'_>, impl CoordTranslate>) -> Rect {
        let (x, y) = area.get_base_pixel();
        let (w, h) = area.dim_in_pixel();
        Rect { x, y, w, h }
    }
}

/// Where a figure goes: a PNG file, or an RGB buffer that tests look at.
pub(super) enum Canvas<'a> {
    Png(&'a Path),
    #[cfg_attr(not(test), allow(dead_code))]
    Rgb(&'a mut Vec<u8>),
}

impl Canvas<'_> {
    fn name(&self) -> PathBuf {
        match self {
            Canvas::Png(path) => path.to_path_buf(),
            Canvas::Rgb(_) => PathBuf::from("<memory>"),
        }
    }
}

/// Where everything of a drawn figure landed, for tests to check.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Layout {
    pub(super) width: u32,
    pub(super) height: u32,
    /// The plotting area (inside the axes) of each panel that has one.
    pub(super) plots: Vec<Rect>,
    pub(super) legend: Rect,
}

pub(super) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws a figure of `rows` x `cols` panels of `size` under a title, with
/// `legend` in a column at the right as wide as its longest line. `panel` is
/// called for each panel index and returns its plotting area, if it drew one.
pub(super) fn figure(
    canvas: Canvas<'_>,
    size: PanelSize,
    (rows, cols): (usize, usize),
    title: &str,
    legend: &Legend,
    panel: impl FnMut(usize, &Area<'_>) -> Drawn<Option<Rect>>,
) -> Result<Layout> {
    ensure_font()?;
    let name = canvas.name();
    let legend_size = legend.size()?;
    let plots_width = size.width * cols as u32;
    let plots_height = size.height * rows as u32;
    let width = plots_width + legend_size.0;
    let height = plots_height.max(legend_size.1) + TITLE_BAND;
    let draw = |root: Area<'_>| {
        draw_figure(
            root,
            (plots_width, plots_height),
            (rows, cols),
            title,
            legend,
            panel,
        )
    };
    let drawn = match canvas {
        Canvas::Png(path) => draw(BitMapBackend::new(path, (width, height)).into_drawing_area()),
        Canvas::Rgb(buf) => {
            buf.clear();
            buf.resize(width as usize * height as usize * 3, 0);
            let backend = BitMapBackend::with_buffer_and_format(buf, (width, height))
                .map_err(|e| LabError::output(&name, e))?;
            draw(backend.into_drawing_area())
        }
    };
    let (plots, legend) = drawn.map_err(|Failed(e)| LabError::output(&name, e))?;
    Ok(Layout {
        width,
        height,
        plots,
        legend,
    })
}

fn draw_figure(
    root: Area<'_>,
    (plots_width, plots_height): (u32, u32),
    (rows, cols): (usize, usize),
    title: &str,
    legend: &Legend,
    mut panel: impl FnMut(usize, &Area<'_>) -> Drawn<Option<Rect>>,
) -> Drawn<(Vec<Rect>, Rect)> {
    root.fill(&WHITE).map_err(fail)?;
    let (width, height) = root.dim_in_pixel();
    let title_style = (FONT, TITLE_SIZE)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Center));
    root.draw_text(
        title,
        &title_style,
        (width as i32 / 2, TITLE_BAND as i32 / 2),
    )
    .map_err(fail)?;
    let body = root
        .clone()
        .shrink((0, TITLE_BAND), (width, height - TITLE_BAND));
    let side = body
        .clone()
        .shrink((plots_width, 0), (width - plots_width, height - TITLE_BAND));
    let grid = body.shrink((0, 0), (plots_width, plots_height));
    let mut plots = Vec::new();
    for (i, area) in grid.split_evenly((rows, cols)).iter().enumerate() {
        plots.extend(panel(i, area)?);
    }
    legend.draw(&side)?;
    root.present().map_err(fail)?;
    Ok((plots, Rect::of(&side)))
}

/// The axes of one panel: caption, axis titles and how x ticks read.
pub(super) struct Axes<'f> {
    pub(super) caption: String,
    pub(super) x_desc: &'f str,
    pub(super) y_desc: &'f str,
    pub(super) x_format: &'f dyn Fn(&f64) -> String,
    /// How many x ticks at most.
    pub(super) x_ticks: usize,
    /// Vertical grid lines (off for categories such as levels).
    pub(super) x_grid: bool,
    pub(super) y_format: &'f dyn Fn(&f64) -> String,
    /// How many y ticks at most.
    pub(super) y_ticks: usize,
}

impl<'f> Axes<'f> {
    pub(super) fn new(caption: String, x_desc: &'f str, y_desc: &'f str) -> Self {
        Axes {
            caption,
            x_desc,
            y_desc,
            x_format: &axis_number,
            x_ticks: 10,
            x_grid: true,
            y_format: &axis_number,
            y_ticks: 10,
        }
    }
}

pub(super) type Chart<'a> =
    ChartContext<'a, BitMapBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One panel with its axes drawn, ready for series.
pub(super) struct Panel<'a> {
    pub(super) chart: Chart<'a>,
    pub(super) x: Range<f64>,
    pub(super) y: Range<f64>,
}

impl Panel<'_> {
    /// The plotting area in figure pixels.
    pub(super) fn rect(&self) -> Rect {
        Rect::of(self.chart.plotting_area())
    }

    /// Where a data point lands, in (fractional) pixels from the top left of
    /// the plotting area.
    pub(super) fn to_pixel(&self, (x, y): (f64, f64)) -> (f64, f64) {
        let (w, h) = self.chart.plotting_area().dim_in_pixel();
        let fx = (x - self.x.start) / (self.x.end - self.x.start);
        let fy = (y - self.y.start) / (self.y.end - self.y.start);
        (
            fx * (w.max(1) - 1) as f64,
            (1.0 - fy) * (h.max(1) - 1) as f64,
        )
    }
}

/// The size in pixels the plotting area of a panel drawn on `area` with
/// `caption` will have, known before the ranges are chosen.
pub(super) fn plot_size(area: &Area<'_>, caption: &str) -> Drawn<(u32, u32)> {
    let (w, h) = area.dim_in_pixel();
    let (_, caption_h) = text_size(caption, CAPTION_SIZE)?;
    let title = caption_h + 2 * (caption_h / 2).min(5);
    let used_h = 2 * PANEL_MARGIN + title + X_LABEL_AREA;
    let used_w = 2 * PANEL_MARGIN + Y_LABEL_AREA;
    Ok((w.saturating_sub(used_w), h.saturating_sub(used_h)))
}

/// Draws the caption, axes and grid of a panel on `area`.
pub(super) fn panel<'a>(
    area: &Area<'a>,
    axes: &Axes<'_>,
    x: Range<f64>,
    y: Range<f64>,
) -> Drawn<Panel<'a>> {
    let mut chart = ChartBuilder::on(area)
        .caption(&axes.caption, (FONT, CAPTION_SIZE))
        .margin(PANEL_MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(x.clone(), y.clone())
        .map_err(fail)?;
    let mut mesh = chart.configure_mesh();
    if !axes.x_grid {
        mesh.disable_x_mesh();
    }
    mesh.x_labels(axes.x_ticks)
        .y_labels(axes.y_ticks)
        .x_desc(axes.x_desc)
        .y_desc(axes.y_desc)
        .x_label_formatter(axes.x_format)
        .y_label_formatter(axes.y_format)
        .axis_desc_style((FONT, AXIS_SIZE))
        .label_style((FONT, LABEL_SIZE))
        .max_light_lines(1)
        .light_line_style(RGBColor(242, 242, 242))
        .draw()
        .map_err(fail)?;
    Ok(Panel { chart, x, y })
}

/// An axis range around the finite `values`, padded so that the extreme
/// values sit at least `margin_px` pixels inside an axis `len_px` long (room
/// for markers), and by at least 12% of the spread. It starts at zero rather
/// than below when the values are not negative and the margin allows it.
pub(super) fn padded_range(
    values: impl Iterator<Item = f64>,
    len_px: u32,
    margin_px: f64,
) -> Range<f64> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    let spread = hi - lo;
    let room = f64::from(len_px) - 2.0 * margin_px;
    let for_margin = if room > 1.0 {
        margin_px * spread / room
    } else {
        spread
    };
    let pad = (spread * 0.12)
        .max(hi.abs() * 0.05)
        .max(0.05)
        .max(for_margin);
    let (start, end) = (lo - pad, hi + pad);
    let from_zero_px = lo / (end - 0.0) * f64::from(len_px);
    if lo >= 0.0 && start < 0.0 && from_zero_px >= margin_px {
        0.0..end
    } else {
        start..end
    }
}

/// 1200 -> "1.2k", 3_000_000 -> "3M".
pub(super) fn human_count(v: f64) -> String {
    let (scaled, suffix) = if v.abs() >= 1e6 {
        (v / 1e6, "M")
    } else if v.abs() >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = format!("{scaled:.1}");
    format!("{}{suffix}", text.trim_end_matches(".0"))
}

/// A tick label: counts from a thousand up as `human_count`, others with the
/// decimals they need (`12`, `2.5`, `1.05`).
pub(super) fn axis_number(v: &f64) -> String {
    if v.abs() >= 1e3 {
        return human_count(*v);
    }
    let text = format!("{v:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// A figure with nothing to show, so a sweep without data still links a file.
pub(super) fn no_data(canvas: Canvas<'_>, size: PanelSize, title: &str) -> Result<Layout> {
    figure(
        canvas,
        size,
        (1, 1),
        title,
        &Legend::default(),
        |_, area| {
            area.draw(&Text::new("no data", (20, 20), (FONT, CAPTION_SIZE)))
                .map_err(fail)?;
            Ok(None)
        },
    )
}
