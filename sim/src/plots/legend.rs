//! The legend column of a figure: sections of a bold heading and entries
//! (a colour swatch, a sized ring, or plain text). Its width comes from the
//! text measured in the embedded font, so no label is ever cut off.

use plotters::prelude::*;
use plotters::style::{FontStyle, RGBColor};

use super::frame::{fail, text_size, Area, Drawn, AXIS_SIZE, FONT, LABEL_SIZE};
use crate::error::Result;

/// Space above the first heading.
const TOP: i32 = 30;
const LEFT: i32 = 12;
/// Blank space kept at the right of the longest line.
const RIGHT_PAD: u32 = 16;
const HEADING_ROW: i32 = 28;
const ENTRY_ROW: i32 = 22;
const SECTION_GAP: i32 = 12;
const SWATCH: i32 = 16;
/// Gap between a mark and its label.
const GAP: i32 = 8;
const MIN_WIDTH: u32 = 120;
pub(super) const ENTRY_SIZE: f64 = LABEL_SIZE + 1.0;

/// What stands before an entry's label.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Mark {
    Swatch(RGBColor),
    /// An outlined circle of this radius (marker sizes of a scatter).
    Ring(u32),
    /// Text only.
    Note,
}

/// One titled group of entries.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Section {
    pub(super) heading: String,
    pub(super) entries: Vec<(Mark, String)>,
}

/// The legend of a figure; empty draws nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Legend {
    pub(super) sections: Vec<Section>,
}

impl Legend {
    /// A legend of one section of colour swatches.
    pub(super) fn swatches(heading: &str, entries: &[(String, RGBColor)]) -> Legend {
        Legend {
            sections: vec![Section {
                heading: heading.into(),
                entries: entries
                    .iter()
                    .map(|(label, color)| (Mark::Swatch(*color), label.clone()))
                    .collect(),
            }],
        }
    }

    /// The width and height the legend needs, in pixels.
    pub(super) fn size(&self) -> Result<(u32, u32)> {
        if self.sections.is_empty() {
            return Ok((MIN_WIDTH, 0));
        }
        let mut width = 0u32;
        let mut height = TOP;
        for section in &self.sections {
            let (w, _) = text_size(&section.heading, AXIS_SIZE)?;
            width = width.max(LEFT as u32 + w);
            height += HEADING_ROW;
            for (mark, label) in &section.entries {
                let (w, _) = text_size(label, ENTRY_SIZE)?;
                width = width.max(section.label_x(mark) as u32 + w);
                height += mark.row_height();
            }
            height += SECTION_GAP;
        }
        Ok(((width + RIGHT_PAD).max(MIN_WIDTH), height as u32))
    }

    /// Draws the legend at the top left of `area`.
    pub(super) fn draw(&self, area: &Area<'_>) -> Drawn {
        let heading_font = (FONT, AXIS_SIZE).into_font().style(FontStyle::Bold);
        let mut y = TOP;
        for section in &self.sections {
            area.draw(&Text::new(
                section.heading.clone(),
                (LEFT, y),
                heading_font.clone(),
            ))
            .map_err(fail)?;
            y += HEADING_ROW;
            for (mark, label) in &section.entries {
                let row = mark.row_height();
                let mid = y + row / 2 - ENTRY_ROW / 2 + 8;
                match mark {
                    Mark::Swatch(color) => area
                        .draw(&Rectangle::new(
                            [(LEFT + 2, mid - 6), (LEFT + 2 + SWATCH, mid + 6)],
                            color.filled(),
                        ))
                        .map_err(fail)?,
                    Mark::Ring(r) => area
                        .draw(&Circle::new(
                            (LEFT + section.mark_width() / 2, mid),
                            *r as i32,
                            RGBColor(120, 120, 120).stroke_width(1),
                        ))
                        .map_err(fail)?,
                    Mark::Note => {}
                }
                area.draw(&Text::new(
                    label.clone(),
                    (section.label_x(mark), mid - 8),
                    (FONT, ENTRY_SIZE),
                ))
                .map_err(fail)?;
                y += row;
            }
            y += SECTION_GAP;
        }
        Ok(())
    }
}

impl Mark {
    fn row_height(&self) -> i32 {
        match self {
            Mark::Ring(r) => (2 * *r as i32 + 8).max(ENTRY_ROW),
            _ => ENTRY_ROW,
        }
    }
}

impl Section {
    /// Width of the widest mark, so that the labels of a section line up.
    fn mark_width(&self) -> i32 {
        self.entries
            .iter()
            .map(|(mark, _)| match mark {
                Mark::Swatch(_) => SWATCH + 2,
                Mark::Ring(r) => 2 * *r as i32 + 1,
                Mark::Note => 0,
            })
            .max()
            .unwrap_or(0)
    }

    fn label_x(&self, mark: &Mark) -> i32 {
        match mark {
            Mark::Note => LEFT,
            _ => LEFT + self.mark_width() + GAP,
        }
    }
}
