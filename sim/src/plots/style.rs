//! Colours and labels: one colour per policy across all plots, shades of it
//! per grid variant.

use std::collections::HashMap;

use plotters::style::RGBColor;

use crate::results::RunRecord;

/// A categorical palette (Tableau 10); the five policies of DESIGN.md keep
/// the same colour in every plot of every sweep.
pub(super) const PALETTE: [RGBColor; 20] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(20, 52, 100),
    RGBColor(166, 86, 0),
    RGBColor(0, 100, 60),
    RGBColor(120, 0, 40),
    RGBColor(80, 40, 130),
    RGBColor(230, 200, 60),
    RGBColor(0, 130, 130),
    RGBColor(40, 40, 40),
    RGBColor(110, 190, 110),
    RGBColor(240, 150, 150),
];

/// The palette as `#rrggbb` strings, for the notebook's plots.
pub fn palette_hex() -> Vec<String> {
    PALETTE
        .iter()
        .map(|c| format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2))
        .collect()
}

/// Colour of each policy in `records`: the known policies by their fixed
/// slot, others after them in order of appearance.
pub(super) fn policy_colors(records: &[RunRecord]) -> HashMap<String, RGBColor> {
    let mut colors = HashMap::new();
    let known = crate::spec::known_policies();
    let mut next = known.len();
    for r in records {
        if colors.contains_key(&r.policy) {
            continue;
        }
        let slot = match known.iter().position(|p| *p == r.policy) {
            Some(i) => i,
            None => {
                next += 1;
                next - 1
            }
        };
        colors.insert(r.policy.clone(), PALETTE[slot % PALETTE.len()]);
    }
    colors
}

/// `base` darkened (t < 0) or lightened (t > 0) by `|t|`.
pub(super) fn shade(base: RGBColor, t: f64) -> RGBColor {
    let f = |c: u8| {
        let c = f64::from(c);
        let v = if t < 0.0 {
            c * (1.0 + t)
        } else {
            c + (255.0 - c) * t
        };
        v.round().clamp(0.0, 255.0) as u8
    };
    RGBColor(f(base.0), f(base.1), f(base.2))
}

/// The grid values of a run, short: `l0_file_limit=4 bloom_bits_per_key=10`.
pub(super) fn variant(r: &RunRecord) -> String {
    r.varied
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Colour and legend label of every run: the policy colour, shaded per
/// variant when a policy ran with several parameter settings.
pub(super) struct RunStyles {
    pub(super) by_run: HashMap<String, RGBColor>,
    pub(super) legend: Vec<(String, RGBColor)>,
}

pub(super) fn run_styles(records: &[RunRecord]) -> RunStyles {
    let colors = policy_colors(records);
    let mut variants: Vec<(String, Vec<String>)> = Vec::new();
    for r in records {
        let v = variant(r);
        match variants.iter_mut().find(|(p, _)| *p == r.policy) {
            Some((_, list)) if !list.contains(&v) => list.push(v),
            Some(_) => {}
            None => variants.push((r.policy.clone(), vec![v])),
        }
    }
    let mut legend = Vec::new();
    let mut by_variant = HashMap::new();
    for (policy, list) in &variants {
        for (k, v) in list.iter().enumerate() {
            let t = if list.len() < 2 {
                0.0
            } else {
                -0.35 + 0.85 * k as f64 / (list.len() - 1) as f64
            };
            let color = shade(colors[policy], t);
            let label = if list.len() < 2 {
                policy.clone()
            } else {
                format!("{policy} {v}")
            };
            legend.push((label, color));
            by_variant.insert((policy.clone(), v.clone()), color);
        }
    }
    let by_run = records
        .iter()
        .map(|r| {
            (
                r.run_id.clone(),
                by_variant[&(r.policy.clone(), variant(r))],
            )
        })
        .collect();
    RunStyles { by_run, legend }
}

/// Workloads in order of first appearance.
pub(super) fn workloads(records: &[RunRecord]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for r in records {
        if !out.contains(&r.workload.as_str()) {
            out.push(&r.workload);
        }
    }
    out
}
