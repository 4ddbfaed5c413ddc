//! The frame every plot shares: the embedded font, the figure layout (title,
//! panels, legend column), axis helpers.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle, RGBColor};

use crate::error::{LabError, Result};

static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
pub(super) const FONT: &str = "sans-serif";
const TITLE_SIZE: f64 = 24.0;
pub(super) const CAPTION_SIZE: f64 = 19.0;
pub(super) const AXIS_SIZE: f64 = 16.0;
pub(super) const LABEL_SIZE: f64 = 14.0;
pub(super) const LEGEND_WIDTH: u32 = 250;

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
fn ensure_font() -> Result<()> {
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

/// A padded axis range around finite values (never below zero).
pub(super) fn padded_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    let pad = ((hi - lo) * 0.12).max(hi.abs() * 0.05).max(0.05);
    (lo - pad).max(0.0)..hi + pad
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

pub(super) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws a figure of `rows` x `cols` panels with a title and a legend column,
/// calling `panel` for each panel index and `legend` once.
pub(super) fn figure(
    path: &Path,
    size: PanelSize,
    (rows, cols): (usize, usize),
    title: &str,
    mut panel: impl FnMut(usize, &Area<'_>) -> Result<()>,
    legend: impl FnOnce(&Area<'_>) -> Result<()>,
) -> Result<()> {
    ensure_font()?;
    let fail = |e: &dyn std::fmt::Display| LabError::output(path, e);
    let width = size.width * cols as u32 + LEGEND_WIDTH;
    let height = size.height * rows as u32 + 50;
    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let body = root
        .titled(title, (FONT, TITLE_SIZE))
        .map_err(|e| fail(&e))?;
    let (plots, side) = body.split_horizontally(size.width * cols as u32);
    for (i, area) in plots.split_evenly((rows, cols)).iter().enumerate() {
        panel(i, area)?;
    }
    legend(&side)?;
    root.present().map_err(|e| fail(&e))
}

/// A legend column: a heading, then a coloured marker and a label per entry.
pub(super) fn draw_legend(
    area: &Area<'_>,
    heading: &str,
    entries: &[(String, RGBColor)],
    y0: i32,
) -> Result<i32> {
    let fail = |e: &dyn std::fmt::Display| LabError::output("legend", e);
    area.draw(&Text::new(
        heading.to_string(),
        (12, y0),
        (FONT, AXIS_SIZE).into_font().style(FontStyle::Bold),
    ))
    .map_err(|e| fail(&e))?;
    let mut y = y0 + 28;
    for (label, color) in entries {
        area.draw(&Rectangle::new([(14, y + 2), (30, y + 14)], color.filled()))
            .map_err(|e| fail(&e))?;
        area.draw(&Text::new(label.clone(), (38, y), (FONT, LABEL_SIZE + 1.0)))
            .map_err(|e| fail(&e))?;
        y += 22;
    }
    Ok(y + 10)
}

/// A figure with nothing to show, so a sweep without data still links a file.
pub(super) fn no_data(path: &Path, size: PanelSize, title: &str) -> Result<()> {
    figure(
        path,
        size,
        (1, 1),
        title,
        |_, area| {
            area.draw(&Text::new("no data", (20, 20), (FONT, CAPTION_SIZE)))
                .map_err(|e| LabError::output(path, e))
        },
        |_| Ok(()),
    )
}
