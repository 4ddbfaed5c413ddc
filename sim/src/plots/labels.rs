//! Where to put the text label of each scatter marker: beside its marker,
//! inside the plotting area, over no other label or marker where a free
//! place exists (greedy, one label at a time, nearest places first).

/// A marker: centre and radius, in pixels of the plotting area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Marker {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) r: f64,
}

/// A box: top left corner and size, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Boxed {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) w: f64,
    pub(super) h: f64,
}

impl Boxed {
    pub(super) fn overlap(&self, o: &Boxed) -> f64 {
        let w = (self.x + self.w).min(o.x + o.w) - self.x.max(o.x);
        let h = (self.y + self.h).min(o.y + o.h) - self.y.max(o.y);
        w.max(0.0) * h.max(0.0)
    }

    /// The part of the box outside `[0, w] x [0, h]`.
    fn outside(&self, (w, h): (f64, f64)) -> f64 {
        let all = Boxed {
            x: 0.0,
            y: 0.0,
            w,
            h,
        };
        self.w * self.h - self.overlap(&all)
    }
}

impl Marker {
    fn bounds(&self) -> Boxed {
        Boxed {
            x: self.x - self.r,
            y: self.y - self.r,
            w: 2.0 * self.r,
            h: 2.0 * self.r,
        }
    }
}

/// Gap between a marker's edge and its label.
const GAP: f64 = 3.0;

/// The places tried for a `w` x `h` label of `m`, most natural first.
fn candidates(m: &Marker, w: f64, h: f64) -> Vec<Boxed> {
    let d = m.r * 0.7 + GAP;
    let right = m.x + m.r + GAP;
    let left = m.x - m.r - GAP - w;
    let mid = m.y - h / 2.0;
    [
        (right, mid),
        (left, mid),
        (m.x + d, m.y - d - h),
        (m.x + d, m.y + d),
        (m.x - d - w, m.y - d - h),
        (m.x - d - w, m.y + d),
        (m.x - w / 2.0, m.y - m.r - GAP - h),
        (m.x - w / 2.0, m.y + m.r + GAP),
        (right, mid - h),
        (right, mid + h),
        (left, mid - h),
        (left, mid + h),
    ]
    .into_iter()
    .map(|(x, y)| Boxed { x, y, w, h })
    .collect()
}

/// Top left corners for labels of `sizes` (pixels) beside `markers`, in a
/// plotting area of `area` pixels. Labels are placed in the order given.
pub(super) fn place_labels(
    markers: &[Marker],
    sizes: &[(u32, u32)],
    area: (u32, u32),
) -> Vec<Boxed> {
    let area = (f64::from(area.0), f64::from(area.1));
    let mut placed: Vec<Boxed> = Vec::new();
    for (i, (m, &(w, h))) in markers.iter().zip(sizes).enumerate() {
        let cost = |b: &Boxed| {
            let labels: f64 = placed.iter().map(|p| p.overlap(b)).sum();
            let others: f64 = markers
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, o)| o.bounds().overlap(b))
                .sum();
            1000.0 * b.outside(area) + labels + others
        };
        let candidates = candidates(m, f64::from(w), f64::from(h));
        let mut best = candidates[0];
        let mut best_cost = cost(&best);
        for c in &candidates[1..] {
            let k = cost(c);
            if k < best_cost {
                (best, best_cost) = (*c, k);
            }
        }
        best.x = best.x.min(area.0 - best.w).max(0.0);
        best.y = best.y.min(area.1 - best.h).max(0.0);
        placed.push(best);
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(b: &Boxed, (w, h): (u32, u32)) -> bool {
        b.x >= 0.0 && b.y >= 0.0 && b.x + b.w <= f64::from(w) && b.y + b.h <= f64::from(h)
    }

    #[test]
    fn crowded_labels_neither_overlap_nor_leave_the_area() {
        // Four runs of the debt sweep whose markers nearly coincide, and one
        // at the right edge whose label cannot go right.
        let markers = [
            Marker {
                x: 60.0,
                y: 50.0,
                r: 16.0,
            },
            Marker {
                x: 62.0,
                y: 58.0,
                r: 14.0,
            },
            Marker {
                x: 110.0,
                y: 62.0,
                r: 15.0,
            },
            Marker {
                x: 80.0,
                y: 40.0,
                r: 18.0,
            },
            Marker {
                x: 440.0,
                y: 300.0,
                r: 12.0,
            },
        ];
        let sizes = [(60, 13), (44, 13), (60, 13), (20, 13), (90, 13)];
        let area = (460, 330);
        let boxes = place_labels(&markers, &sizes, area);
        for (i, b) in boxes.iter().enumerate() {
            assert!(inside(b, area), "label {i} at {b:?}");
            for (j, o) in boxes.iter().enumerate().skip(i + 1) {
                assert_eq!(b.overlap(o), 0.0, "labels {i} and {j}: {b:?} {o:?}");
            }
        }
        assert!(boxes[4].x + boxes[4].w <= markers[4].x, "{:?}", boxes[4]);
    }

    #[test]
    fn a_free_label_goes_to_the_right_of_its_marker() {
        let m = Marker {
            x: 100.0,
            y: 100.0,
            r: 10.0,
        };
        let b = place_labels(&[m], &[(50, 12)], (400, 300));
        assert_eq!(
            b[0],
            Boxed {
                x: 113.0,
                y: 94.0,
                w: 50.0,
                h: 12.0
            }
        );
    }
}
