//! Series as lines on a panel: thinning samples to what the panel's pixels
//! can show, and drawing segment by segment, clipped to the plotting area.
//!
//! Plotters draws a wide polyline as one polygon with mitred joins; a sharp
//! spike in the data (L0 files going 0 -> 11 -> 0) gives a miter that shoots
//! far past the point, over captions and neighbouring panels, and the
//! self-intersecting polygon leaves gaps. Drawing each segment on its own,
//! clipped to the area, keeps every stroke where its data is.

use std::ops::Range;

use plotters::prelude::*;
use plotters::style::RGBColor;

use super::frame::{fail, Drawn, Panel};

/// How a run's samples become the line drawn for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trace {
    /// Every sample, thinned only where more than four fall in one pixel
    /// column (first, lowest, highest and last of each column are kept, so
    /// the line looks the same as with all of them).
    Shape,
    /// A step line of the highest value within each span of `bucket_px`
    /// pixels, each sample standing for the time `sampled` says: a quantity
    /// that swings between zero and its peak many times reads as the level
    /// its peaks reach.
    Peak { bucket_px: u32, sampled: Sampled },
}

/// What a sample's value says about the time between samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sampled {
    /// The state at the sample's time, taken to hold until the next sample
    /// (L0 files: the count seen before a write stall lasts through it).
    Instant,
    /// The peak since the previous sample (pending compaction bytes).
    SincePrevious,
}

impl Trace {
    /// The points to draw for `points` (sorted by x) on an x axis `x` that
    /// is `width_px` pixels long.
    pub(super) fn apply(
        self,
        points: &[(f64, f64)],
        x: &Range<f64>,
        width_px: u32,
    ) -> Vec<(f64, f64)> {
        match self {
            Trace::Shape => thin(points, x, width_px),
            Trace::Peak { bucket_px, sampled } => peaks(points, x, width_px, bucket_px, sampled),
        }
    }
}

/// Data units per span of `bucket_px` pixels on an axis `x` of `width_px`.
fn bucket_span(x: &Range<f64>, width_px: u32, bucket_px: u32) -> Option<f64> {
    let per = (x.end - x.start) * f64::from(bucket_px.max(1)) / f64::from(width_px.max(1));
    (per > 0.0 && per.is_finite()).then_some(per)
}

fn thin(points: &[(f64, f64)], x: &Range<f64>, width_px: u32) -> Vec<(f64, f64)> {
    let Some(per) = bucket_span(x, width_px, 1) else {
        return points.to_vec();
    };
    if points.len() <= 4 * width_px as usize {
        return points.to_vec();
    }
    let column = |v: f64| ((v - x.start) / per).floor() as i64;
    let mut out = Vec::new();
    let mut i = 0;
    while i < points.len() {
        let c = column(points[i].0);
        let end = i + points[i..].iter().take_while(|p| column(p.0) == c).count();
        let group = &points[i..end];
        let lowest = group
            .iter()
            .enumerate()
            .min_by(|a, b| a.1 .1.total_cmp(&b.1 .1));
        let highest = group
            .iter()
            .enumerate()
            .max_by(|a, b| a.1 .1.total_cmp(&b.1 .1));
        let mut keep = vec![0, group.len() - 1];
        keep.extend(lowest.map(|(k, _)| k));
        keep.extend(highest.map(|(k, _)| k));
        keep.sort_unstable();
        keep.dedup();
        out.extend(keep.into_iter().map(|k| group[k]));
        i = end;
    }
    out
}

fn peaks(
    points: &[(f64, f64)],
    x: &Range<f64>,
    width_px: u32,
    bucket_px: u32,
    sampled: Sampled,
) -> Vec<(f64, f64)> {
    let Some(per) = bucket_span(x, width_px, bucket_px) else {
        return points.to_vec();
    };
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    // The time each sample stands for, from..to.
    let covers: Vec<(f64, f64)> = match sampled {
        Sampled::Instant => points
            .iter()
            .enumerate()
            .map(|(k, p)| (p.0, points.get(k + 1).map_or(p.0, |n| n.0)))
            .collect(),
        Sampled::SincePrevious => points
            .iter()
            .enumerate()
            .map(|(k, p)| {
                (
                    if k == 0 {
                        x.start.min(p.0)
                    } else {
                        points[k - 1].0
                    },
                    p.0,
                )
            })
            .collect(),
    };
    let begin = covers[0].0;
    // Span b covers x0 + [b, b + 1) * per; an interval touches the spans
    // from the one holding its start to the one just before its end.
    let span = |v: f64| ((v - x.start) / per).floor() as i64;
    let span_before = |v: f64| ((v - x.start) / per).ceil() as i64 - 1;
    let b0 = span(begin);
    let spans = (span(last.0) - b0 + 1).max(1) as usize;
    let mut peak = vec![f64::NEG_INFINITY; spans];
    for (&(from, to), &(_, value)) in covers.iter().zip(points) {
        let lo = (span(from) - b0).clamp(0, spans as i64 - 1);
        let hi = (span_before(to) - b0).clamp(lo, spans as i64 - 1);
        for slot in &mut peak[lo as usize..=hi as usize] {
            *slot = slot.max(value);
        }
    }
    let end_x = last.0.max(first.0);
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (k, &v) in peak.iter().enumerate().filter(|(_, v)| v.is_finite()) {
        let b = (b0 + k as i64) as f64;
        let start = (x.start + b * per).max(begin);
        let end = (x.start + (b + 1.0) * per).min(end_x);
        match out.last_mut() {
            Some(tail) if tail.1 == v => tail.0 = end,
            _ if start == end => out.push((start, v)),
            _ => out.extend([(start, v), (end, v)]),
        }
    }
    out
}

/// The part of the segment `a`-`b` inside `[0, w] x [0, h]` (Liang-Barsky),
/// or `None` when none of it is.
pub(super) fn clip(
    a: (f64, f64),
    b: (f64, f64),
    (w, h): (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0: f64 = 0.0;
    let mut t1: f64 = 1.0;
    for (p, q) in [(-dx, a.0), (dx, w - a.0), (-dy, a.1), (dy, h - a.1)] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 <= t1).then_some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

/// Draws the polyline through `points` (data coordinates) on `panel`, each
/// segment clipped to the plotting area and kept `width` pixels inside its
/// edges; a lone point is drawn as a dot.
pub(super) fn draw_line(
    panel: &Panel<'_>,
    points: &[(f64, f64)],
    color: RGBColor,
    width: u32,
) -> Drawn {
    let area = panel.chart.plotting_area().strip_coord_spec();
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (f64::from(w.max(1) - 1), f64::from(h.max(1) - 1));
    let snap = |(x, y): (f64, f64), inset: f64| {
        (
            x.clamp(inset.min(w), (w - inset).max(0.0)).round() as i32,
            y.clamp(inset.min(h), (h - inset).max(0.0)).round() as i32,
        )
    };
    let pixels: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
        .map(|&p| panel.to_pixel(p))
        .collect();
    let style = color.stroke_width(width);
    if let [only] = pixels.as_slice() {
        if clip(*only, *only, (w, h)).is_some() {
            let r = 3 + width as i32;
            let dot = Circle::new(snap(*only, f64::from(r + 1)), r, color.filled());
            area.draw(&dot).map_err(fail)?;
        }
        return Ok(());
    }
    for pair in pixels.windows(2) {
        if let Some((a, b)) = clip(pair[0], pair[1], (w, h)) {
            let inset = f64::from(width);
            let (a, b) = (snap(a, inset), snap(b, inset));
            if a != b || width == 1 {
                area.draw(&PathElement::new(vec![a, b], style))
                    .map_err(fail)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A debt-like series: a sawtooth between 0 and `top`, `n` samples.
    fn sawtooth(n: usize, top: f64) -> Vec<(f64, f64)> {
        (1..=n)
            .map(|i| (i as f64, (i % 12) as f64 * top / 11.0))
            .collect()
    }

    #[test]
    fn clipping_keeps_segments_inside_and_drops_those_outside() {
        let area = (100.0, 50.0);
        let (a, b) = clip((-50.0, 25.0), (150.0, 25.0), area).unwrap();
        assert_eq!((a, b), ((0.0, 25.0), (100.0, 25.0)));
        let (a, b) = clip((50.0, 25.0), (50.0, -400.0), area).unwrap();
        assert_eq!((a, b), ((50.0, 25.0), (50.0, 0.0)));
        assert!(clip((-10.0, -10.0), (-1.0, 60.0), area).is_none());
        assert!(clip((120.0, 10.0), (130.0, 20.0), area).is_none());
        // On the edge counts as inside: a series at zero sits on the axis.
        assert!(clip((0.0, 50.0), (100.0, 50.0), area).is_some());
        for k in 0..200 {
            let t = k as f64 * 0.37;
            let p = (t.sin() * 300.0, t.cos() * 200.0);
            let q = ((t * 1.7).cos() * 250.0, (t * 2.3).sin() * 180.0);
            if let Some((a, b)) = clip(p, q, area) {
                for (x, y) in [a, b] {
                    assert!((-1e-9..=100.0 + 1e-9).contains(&x), "{p:?} {q:?} -> {x}");
                    assert!((-1e-9..=50.0 + 1e-9).contains(&y), "{p:?} {q:?} -> {y}");
                }
            }
        }
    }

    #[test]
    fn peaks_keep_the_highest_value_of_every_span() {
        let points = sawtooth(1199, 11.0);
        for sampled in [Sampled::Instant, Sampled::SincePrevious] {
            let trace = Trace::Peak {
                bucket_px: 4,
                sampled,
            };
            let line = trace.apply(&points, &(0.0..1200.0), 400);
            // 100 spans of 12 samples, each holding one peak of 11.
            assert!(line.len() < points.len() / 4, "{}", line.len());
            assert!(line.iter().all(|p| p.1 == 11.0), "{line:?}");
            assert_eq!(line.last().unwrap().0, 1199.0);
            for w in line.windows(2) {
                assert!(w[0].0 <= w[1].0);
            }
        }
    }

    #[test]
    fn sparse_samples_become_steps_over_the_time_they_stand_for() {
        let points = [(10.0, 1.0), (20.0, 5.0), (30.0, 2.0)];
        let steps = |sampled| {
            let trace = Trace::Peak {
                bucket_px: 1,
                sampled,
            };
            trace.apply(&points, &(0.0..32.0), 32)
        };
        // A state holds until the next sample: the 5 seen at 20 s (before a
        // write stall, say) lasts until 30 s.
        assert_eq!(
            steps(Sampled::Instant),
            [
                (10.0, 1.0),
                (20.0, 1.0),
                (20.0, 5.0),
                (30.0, 5.0),
                (30.0, 2.0)
            ]
        );
        // A peak since the previous sample covers the time before it.
        assert_eq!(
            steps(Sampled::SincePrevious),
            [
                (0.0, 1.0),
                (10.0, 1.0),
                (10.0, 5.0),
                (20.0, 5.0),
                (20.0, 2.0),
                (30.0, 2.0)
            ]
        );
    }

    #[test]
    fn thinning_keeps_each_column_extremes_and_ends() {
        let points: Vec<(f64, f64)> = (0..10_000)
            .map(|i| (i as f64, ((i * 7919) % 1000) as f64))
            .collect();
        let line = Trace::Shape.apply(&points, &(0.0..10_000.0), 100);
        assert!(line.len() <= 400, "{}", line.len());
        assert_eq!(line.first(), points.first());
        assert_eq!(line.last(), points.last());
        for c in 0..100 {
            let col = |p: &&(f64, f64)| (p.0 / 100.0).floor() as usize == c;
            let max = |v: Vec<f64>| v.into_iter().fold(f64::MIN, f64::max);
            let all = max(points.iter().filter(col).map(|p| p.1).collect());
            let kept = max(line.iter().filter(col).map(|p| p.1).collect());
            assert_eq!(all, kept, "column {c}");
        }
        let few = sawtooth(50, 3.0);
        assert_eq!(Trace::Shape.apply(&few, &(0.0..50.0), 100), few);
    }
}
