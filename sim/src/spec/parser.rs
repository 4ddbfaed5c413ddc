//! The walk over a spec's TOML document: every key checked, every error
//! located by file, key and line.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::{GridAxis, ParamCatalog, SettingOrigin, SweepSpec, DEFAULT_SEED};
use crate::error::{LabError, Result};
use crate::goal::{Goal, Rule};

const SECTIONS: [&str; 4] = ["engine", "policy", "workload", "lab"];
/// The most runs one spec may expand to: every run is held in memory
/// before the sweep starts, so a larger grid would exhaust it.
pub const MAX_RUNS: usize = 100_000;
const TOP_KEYS: &str = "name, description, seed, seeds, probe_rate, ops, policy, policies, \
     workload, workloads, engine, lab, grid, goal";
/// The most seeds per configuration.
pub const MAX_SEEDS: u64 = 1000;

/// 1-based line of a byte offset.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

type Entry<'d, 'i> = (
    &'d Spanned<std::borrow::Cow<'i, str>>,
    &'d Spanned<DeValue<'i>>,
);

/// Where a list (policies, workloads) was first given, to reject a second.
struct Given {
    key: String,
    line: usize,
}

/// The state of one parse: the source for line numbers and the catalog.
pub(super) struct Parser<'a> {
    pub(super) file: &'a str,
    pub(super) text: &'a str,
    pub(super) catalog: &'a dyn ParamCatalog,
}

/// What the top-level walk collects before it is checked as a whole.
#[derive(Default)]
struct Draft {
    name: Option<String>,
    description: Option<String>,
    seed: Option<(u64, usize)>,
    seeds: Option<(u64, usize)>,
    probe_rate: Option<f64>,
    ops: Option<(u64, Range<usize>)>,
    policies: Option<(Vec<String>, Given)>,
    workloads: Option<(Vec<String>, Given)>,
    /// Fixed parameters per section: (qualified, value, key as written, line).
    fixed: [Vec<(String, String, String, usize)>; 4],
    grid: Vec<(GridAxis, String, usize)>,
    goal: Option<Goal>,
}

impl<'a> Parser<'a> {
    fn err(&self, span: &Range<usize>, key: &str, message: impl Into<String>) -> LabError {
        LabError::Spec {
            file: self.file.to_string(),
            line: Some(line_of(self.text, span.start)),
            key: key.to_string(),
            message: message.into(),
        }
    }

    pub(super) fn spec(&self, root: &DeTable<'_>) -> Result<SweepSpec> {
        let mut d = Draft::default();
        for (k, v) in root.iter() {
            let key = k.get_ref().as_ref();
            let span = k.span();
            match (key, v.get_ref()) {
                ("name", _) => d.name = Some(self.name(v)?),
                ("description", _) => d.description = Some(self.string(key, v)?),
                ("seed", _) => {
                    d.seed = Some((self.integer(key, v)?, line_of(self.text, span.start)))
                }
                ("seeds", _) => {
                    let n = self.integer(key, v)?;
                    if !(1..=MAX_SEEDS).contains(&n) {
                        return Err(self.err(
                            &v.span(),
                            key,
                            format!("must be an integer from 1 to {MAX_SEEDS}"),
                        ));
                    }
                    d.seeds = Some((n, line_of(self.text, span.start)));
                }
                ("probe_rate", _) => {
                    let text = self.scalar(key, v)?;
                    let rate = text
                        .parse::<f64>()
                        .ok()
                        .filter(|r| (0.0..=100.0).contains(r))
                        .ok_or_else(|| {
                            self.err(
                                &v.span(),
                                key,
                                format!(
                                    "`{text}`: must be a number from 0 to 100 (probe lookups per workload operation)"
                                ),
                            )
                        })?;
                    d.probe_rate = Some(rate);
                }
                ("ops", _) => {
                    let ops = self.integer(key, v)?;
                    if ops == 0 {
                        return Err(self.err(&v.span(), key, "must be at least 1"));
                    }
                    d.ops = Some((ops, span));
                }
                ("policy", DeValue::Table(t)) => self.section(&mut d, "policy", t)?,
                ("workload", DeValue::Table(t)) => self.section(&mut d, "workload", t)?,
                ("policy" | "policies", _) => {
                    let names = self.names(key, v)?;
                    self.set_names(&mut d, "policy", names, key, &span)?;
                }
                ("workload" | "workloads", _) => {
                    let names = self.names(key, v)?;
                    self.set_names(&mut d, "workload", names, key, &span)?;
                }
                ("engine", DeValue::Table(t)) => self.section(&mut d, "engine", t)?,
                ("lab", DeValue::Table(t)) => self.section(&mut d, "lab", t)?,
                ("grid", DeValue::Table(t)) => self.grid(&mut d, t)?,
                ("goal", DeValue::Table(t)) => d.goal = Some(self.goal(t)?),
                ("engine" | "lab" | "grid" | "goal", other) => {
                    return Err(self.err(
                        &span,
                        key,
                        format!("expected a table, found {}", other.type_str()),
                    ))
                }
                _ => {
                    return Err(self.err(
                        &span,
                        key,
                        format!("unknown key; valid top-level keys: {TOP_KEYS}"),
                    ))
                }
            }
        }
        self.finish(d)
    }

    fn finish(&self, mut d: Draft) -> Result<SweepSpec> {
        let missing = |key: &str, message: &str| LabError::Spec {
            file: self.file.to_string(),
            line: None,
            key: key.to_string(),
            message: message.to_string(),
        };
        let name = d
            .name
            .take()
            .ok_or_else(|| missing("name", "missing: every spec needs a name"))?;
        let (policies, _) = d.policies.take().ok_or_else(|| {
            missing(
                "policy",
                "missing: set `policy = \"leveled\"` or `policies = [...]`",
            )
        })?;
        let (workloads, _) = d.workloads.take().ok_or_else(|| {
            missing(
                "workload",
                "missing: set `workload = \"uniform\"` or `workloads = [...]`",
            )
        })?;
        let seed_axis = d.grid.iter().find(|(a, _, _)| a.key == "seed");
        if let (Some((_, line)), Some((_, key, _))) = (&d.seed, seed_axis) {
            return Err(LabError::Spec {
                file: self.file.to_string(),
                line: Some(*line),
                key: "seed".into(),
                message: format!("fixed here and varied by grid key `{key}`: keep one"),
            });
        }
        if let (Some((_, line)), Some((_, key, _))) = (&d.seeds, seed_axis) {
            return Err(LabError::Spec {
                file: self.file.to_string(),
                line: Some(*line),
                key: "seeds".into(),
                message: format!(
                    "several seeds per configuration here and seeds varied by grid key `{key}`: keep one"
                ),
            });
        }
        if let Some((ops, span)) = &d.ops {
            let value = ops.to_string();
            let qualified = self
                .catalog
                .resolve("workload.ops")
                .map_err(|m| self.err(span, "ops", m))?;
            self.catalog
                .check(&qualified, &value)
                .map_err(|m| self.err(span, "ops", m))?;
            let line = line_of(self.text, span.start);
            self.add_fixed(&mut d, 2, qualified, value, "ops".into(), line)?;
        }
        for (axis, key, line) in &d.grid {
            if let Some((_, _, fixed_key, fixed_line)) =
                d.fixed.iter().flatten().find(|f| f.0 == axis.key)
            {
                return Err(LabError::Spec {
                    file: self.file.to_string(),
                    line: Some(*line),
                    key: key.clone(),
                    message: format!(
                        "varied here but fixed by `{fixed_key}` on line {fixed_line}: keep one"
                    ),
                });
            }
        }
        let runs = d
            .grid
            .iter()
            .try_fold(policies.len() * workloads.len(), |n, (a, _, _)| {
                n.checked_mul(a.values.len())
            })
            .and_then(|n| n.checked_mul(d.seeds.map_or(1, |(s, _)| s as usize)))
            .filter(|&n| n <= MAX_RUNS);
        if runs.is_none() {
            let sizes: Vec<String> = d
                .grid
                .iter()
                .map(|(a, _, _)| a.values.len().to_string())
                .collect();
            return Err(LabError::Spec {
                file: self.file.to_string(),
                line: d.grid.first().map(|(_, _, line)| *line),
                key: "grid".into(),
                message: format!(
                    "{} x {} x axes of {} values expand to more than {MAX_RUNS} runs: split the sweep into several specs",
                    crate::words::count(policies.len(), "policy"),
                    crate::words::count(workloads.len(), "workload"),
                    sizes.join(" x ")
                ),
            });
        }
        let mut origins: Vec<SettingOrigin> =
            d.fixed
                .iter()
                .flatten()
                .map(|(q, _, written, line)| SettingOrigin {
                    qualified: q.clone(),
                    written: written.clone(),
                    line: *line,
                })
                .chain(d.grid.iter().filter(|(a, _, _)| a.key != "seed").map(
                    |(a, written, line)| SettingOrigin {
                        qualified: a.key.clone(),
                        written: written.clone(),
                        line: *line,
                    },
                ))
                .collect();
        origins.sort_by_key(|o| o.line);
        let [engine, policy, workload, lab] = d
            .fixed
            .map(|v| v.into_iter().map(|(q, v, _, _)| (q, v)).collect());
        Ok(SweepSpec {
            file: self.file.to_string(),
            name,
            description: d.description,
            seed: d.seed.map(|(s, _)| s).unwrap_or(DEFAULT_SEED),
            seeds: d.seeds.map_or(1, |(s, _)| s),
            probe_rate: d.probe_rate,
            ops: d.ops.map(|(o, _)| o),
            policies,
            workloads,
            engine_params: engine,
            policy_params: policy,
            workload_params: workload,
            lab_params: lab,
            grid: d.grid.into_iter().map(|(a, _, _)| a).collect(),
            goal: d.goal,
            base_dir: Default::default(),
            origins,
        })
    }

    /// `[goal]`: `minimize = "metric"`, `constraints = ["metric OP number", ...]`
    /// and `default_constraints = true|false`.
    fn goal(&self, table: &DeTable<'_>) -> Result<Goal> {
        let mut minimize = None;
        let mut constraints = Vec::new();
        let mut default_constraints = true;
        for (k, v) in table.iter() {
            let key = format!("goal.{}", k.get_ref());
            match k.get_ref().as_ref() {
                "minimize" => {
                    let name = self.string(&key, v)?;
                    minimize = Some(Goal::metric(&name).map_err(|m| self.err(&v.span(), &key, m))?);
                }
                "constraints" => {
                    let DeValue::Array(items) = v.get_ref() else {
                        return Err(self.err(
                            &v.span(),
                            &key,
                            "expected a list of constraints like [\"space_amp <= 1.5\"]",
                        ));
                    };
                    for item in items.iter() {
                        let text = self.string(&key, item)?;
                        constraints
                            .push(Rule::parse(&text).map_err(|m| self.err(&item.span(), &key, m))?);
                    }
                }
                "default_constraints" => match v.get_ref() {
                    DeValue::Boolean(b) => default_constraints = *b,
                    other => {
                        return Err(self.err(
                            &v.span(),
                            &key,
                            format!("expected true or false, found {}", other.type_str()),
                        ))
                    }
                },
                _ => return Err(self.err(
                    &k.span(),
                    &key,
                    "unknown key; valid keys of [goal]: minimize, constraints, default_constraints",
                )),
            }
        }
        let minimize = minimize.ok_or_else(|| LabError::Spec {
            file: self.file.to_string(),
            line: None,
            key: "goal.minimize".into(),
            message: "missing: a goal names the metric to minimize, e.g. minimize = \"write_amp\""
                .into(),
        })?;
        Ok(Goal {
            minimize,
            constraints,
            default_constraints,
        })
    }

    fn name(&self, v: &Spanned<DeValue<'_>>) -> Result<String> {
        let name = self.string("name", v)?;
        let ok = !name.is_empty()
            && name != "."
            && name != ".."
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !ok {
            return Err(self.err(
                &v.span(),
                "name",
                format!("`{name}` cannot name a directory: use letters, digits, `.`, `_` and `-`"),
            ));
        }
        Ok(name)
    }

    fn string(&self, key: &str, v: &Spanned<DeValue<'_>>) -> Result<String> {
        match v.get_ref() {
            DeValue::String(s) => Ok(s.to_string()),
            other => Err(self.err(
                &v.span(),
                key,
                format!("expected a string, found {}", other.type_str()),
            )),
        }
    }

    fn integer(&self, key: &str, v: &Spanned<DeValue<'_>>) -> Result<u64> {
        match v.get_ref() {
            DeValue::Integer(i) => u64::from_str_radix(i.as_str(), i.radix()).map_err(|_| {
                self.err(
                    &v.span(),
                    key,
                    format!("must be an integer from 0 to {}", u64::MAX),
                )
            }),
            other => Err(self.err(
                &v.span(),
                key,
                format!("expected an integer, found {}", other.type_str()),
            )),
        }
    }

    /// A scalar parameter value as text: integers in decimal, floats in their
    /// shortest round-trip form, strings and booleans as they are.
    fn scalar(&self, key: &str, v: &Spanned<DeValue<'_>>) -> Result<String> {
        let bad = |m: String| self.err(&v.span(), key, m);
        match v.get_ref() {
            DeValue::String(s) => Ok(s.to_string()),
            DeValue::Boolean(b) => Ok(b.to_string()),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map(|n| n.to_string())
                .or_else(|_| u64::from_str_radix(i.as_str(), i.radix()).map(|n| n.to_string()))
                .map_err(|_| bad(format!("integer `{}` is out of range", i.as_str()))),
            DeValue::Float(f) => f
                .as_str()
                .parse::<f64>()
                .map(|x| x.to_string())
                .map_err(|_| bad(format!("float `{}` is out of range", f.as_str()))),
            DeValue::Array(_) => Err(bad(
                "expected a single value; lists of values to try belong in [grid]".into(),
            )),
            other => Err(bad(format!(
                "expected a number, string or boolean, found {}",
                other.type_str()
            ))),
        }
    }

    /// A policy or workload name, or a list of them.
    fn names(&self, key: &str, v: &Spanned<DeValue<'_>>) -> Result<Vec<String>> {
        match v.get_ref() {
            DeValue::String(s) => Ok(vec![s.to_string()]),
            DeValue::Array(items) => {
                let mut names: Vec<String> = Vec::new();
                for item in items.iter() {
                    let name = self.string(key, item)?;
                    if names.contains(&name) {
                        return Err(self.err(
                            &item.span(),
                            key,
                            format!("`{name}` is listed twice"),
                        ));
                    }
                    names.push(name);
                }
                if names.is_empty() {
                    return Err(self.err(&v.span(), key, "the list is empty"));
                }
                Ok(names)
            }
            other => Err(self.err(
                &v.span(),
                key,
                format!(
                    "expected a name or a list of names, found {}",
                    other.type_str()
                ),
            )),
        }
    }

    /// Records the policies or workloads, checked with the catalog; a second
    /// place naming them is an error.
    fn set_names(
        &self,
        d: &mut Draft,
        what: &str,
        names: Vec<String>,
        key: &str,
        span: &Range<usize>,
    ) -> Result<()> {
        for name in &names {
            let checked = if what == "policy" {
                self.catalog.check_policy(name)
            } else {
                self.catalog.check_workload(name)
            };
            checked.map_err(|m| self.err(span, key, m))?;
        }
        let slot = if what == "policy" {
            &mut d.policies
        } else {
            &mut d.workloads
        };
        if let Some((_, first)) = slot {
            return Err(self.err(
                span,
                key,
                format!(
                    "{what} names already given by `{}` on line {}: keep one",
                    first.key, first.line
                ),
            ));
        }
        let given = Given {
            key: key.to_string(),
            line: line_of(self.text, span.start),
        };
        *slot = Some((names, given));
        Ok(())
    }

    /// A `[engine]`, `[policy]` or `[workload]` table of fixed parameters
    /// (`[policy]` may name the policy, `[workload]` the preset).
    fn section(&self, d: &mut Draft, section: &str, table: &DeTable<'_>) -> Result<()> {
        let index = SECTIONS.iter().position(|s| *s == section).unwrap_or(0);
        for (k, v) in table.iter() {
            let written = format!("{section}.{}", k.get_ref());
            let span = k.span();
            match (section, k.get_ref().as_ref()) {
                ("policy", "name") | ("workload", "preset") => {
                    let names = vec![self.string(&written, v)?];
                    self.set_names(d, section, names, &written, &span)?;
                    continue;
                }
                _ => {}
            }
            let qualified = self.resolve_in(section, &written, &span)?;
            let value = self.scalar(&written, v)?;
            self.catalog
                .check(&qualified, &value)
                .map_err(|m| self.err(&v.span(), &written, m))?;
            let line = line_of(self.text, span.start);
            self.add_fixed(d, index, qualified, value, written, line)?;
        }
        Ok(())
    }

    fn add_fixed(
        &self,
        d: &mut Draft,
        index: usize,
        qualified: String,
        value: String,
        written: String,
        line: usize,
    ) -> Result<()> {
        if let Some((_, _, first, first_line)) = d.fixed.iter().flatten().find(|f| f.0 == qualified)
        {
            return Err(LabError::Spec {
                file: self.file.to_string(),
                line: Some(line),
                key: written,
                message: format!("`{qualified}` is already set by `{first}` on line {first_line}"),
            });
        }
        d.fixed[index].push((qualified, value, written, line));
        Ok(())
    }

    /// Resolves `name` with the catalog and requires it to be in `section`.
    fn resolve_in(&self, section: &str, name: &str, span: &Range<usize>) -> Result<String> {
        let qualified = self
            .catalog
            .resolve(name)
            .map_err(|m| self.err(span, name, m))?;
        match qualified.split_once('.') {
            Some((s, _)) if s == section => Ok(qualified),
            Some((s, _)) => Err(self.err(
                span,
                name,
                format!("`{qualified}` is a {s} parameter: set it in [{s}]"),
            )),
            None => Err(self.err(
                span,
                name,
                format!("the catalog resolved it to `{qualified}`, not a qualified name"),
            )),
        }
    }

    fn grid(&self, d: &mut Draft, table: &DeTable<'_>) -> Result<()> {
        for entry in table.iter() {
            let (k, v) = entry;
            let key = k.get_ref().as_ref();
            let written = format!("grid.{key}");
            match (key, v.get_ref()) {
                ("policy" | "policies", DeValue::Array(_)) => {
                    let names = self.names(&written, v)?;
                    self.set_names(d, "policy", names, &written, &k.span())?;
                }
                ("workload" | "workloads", DeValue::Array(_)) => {
                    let names = self.names(&written, v)?;
                    self.set_names(d, "workload", names, &written, &k.span())?;
                }
                (section, DeValue::Table(inner)) if SECTIONS.contains(&section) => {
                    for inner_entry in inner.iter() {
                        self.axis(d, Some(section), inner_entry)?;
                    }
                }
                _ => self.axis(d, None, entry)?,
            }
        }
        Ok(())
    }

    /// Refuses an axis of `len` values when the runs known so far (the
    /// axes before it, the policies, workloads and seeds given before it)
    /// times `len` pass [`MAX_RUNS`]: checked by multiplying lengths, before
    /// any value of the axis is read, so a huge axis fails at once.
    fn check_grid_size(
        &self,
        d: &Draft,
        len: usize,
        written: &str,
        span: &Range<usize>,
    ) -> Result<()> {
        let policies = d.policies.as_ref().map_or(1, |(p, _)| p.len());
        let workloads = d.workloads.as_ref().map_or(1, |(w, _)| w.len());
        let seeds = d.seeds.map_or(1, |(s, _)| s as usize);
        let before: Vec<usize> = d.grid.iter().map(|(a, _, _)| a.values.len()).collect();
        let runs = before
            .iter()
            .chain([&len, &policies, &workloads, &seeds])
            .try_fold(1usize, |n, &k| n.checked_mul(k));
        if runs.is_some_and(|n| n <= MAX_RUNS) {
            return Ok(());
        }
        let axes: Vec<String> = before.iter().chain([&len]).map(|n| n.to_string()).collect();
        Err(self.err(
            span,
            written,
            format!(
                "{} x {} x {} x axes of {} values expand to more than {MAX_RUNS} runs \
                 (allowed: at most {MAX_RUNS}): split the sweep into several specs",
                crate::words::count(policies, "policy"),
                crate::words::count(workloads, "workload"),
                crate::words::count(seeds, "seed"),
                axes.join(" x ")
            ),
        ))
    }

    /// One grid axis; `section` is set for axes written `engine.x = [...]`.
    fn axis(&self, d: &mut Draft, section: Option<&str>, (k, v): Entry<'_, '_>) -> Result<()> {
        let name = match section {
            Some(s) => format!("{s}.{}", k.get_ref()),
            None => k.get_ref().to_string(),
        };
        let written = format!("grid.{name}");
        let span = k.span();
        let (key, label) = if name == "seed" {
            ("seed".to_string(), "seed".to_string())
        } else {
            let qualified = match section {
                Some(s) => self.resolve_in(s, &name, &span)?,
                None => self
                    .catalog
                    .resolve(&name)
                    .map_err(|m| self.err(&span, &written, m))?,
            };
            let label = label_for(self.catalog, &qualified);
            (qualified, label)
        };
        let DeValue::Array(items) = v.get_ref() else {
            return Err(self.err(
                &v.span(),
                &written,
                format!(
                    "a grid axis is a list of values, found {}",
                    v.get_ref().type_str()
                ),
            ));
        };
        if items.is_empty() {
            return Err(self.err(&v.span(), &written, "the list of values is empty"));
        }
        self.check_grid_size(d, items.len(), &written, &span)?;
        let mut values: Vec<String> = Vec::new();
        let mut base_values: Vec<String> = Vec::new();
        for item in items.iter() {
            let value = if key == "seed" {
                self.integer(&written, item)?.to_string()
            } else {
                let value = self.scalar(&written, item)?;
                self.catalog
                    .check(&key, &value)
                    .map_err(|m| self.err(&item.span(), &written, m))?;
                value
            };
            let base = if key == "seed" {
                value.clone()
            } else {
                self.catalog.base_value(&key, &value)
            };
            // Equal after unit conversion (`4MiB` and `4194304`) is the same
            // run twice under two ids.
            if let Some(i) = base_values.iter().position(|b| *b == base) {
                let message = if values[i] == value {
                    format!("value `{value}` is listed twice")
                } else {
                    format!(
                        "value `{value}` equals `{}` listed before (both {base} in base units): \
                         the same runs twice; keep one",
                        values[i]
                    )
                };
                return Err(self.err(&item.span(), &written, message));
            }
            values.push(value);
            base_values.push(base);
        }
        let line = line_of(self.text, span.start);
        if let Some((_, first, first_line)) = d.grid.iter().find(|(a, _, _)| a.key == key) {
            return Err(self.err(
                &span,
                &written,
                format!("`{key}` is already varied by `{first}` on line {first_line}"),
            ));
        }
        d.grid.push((
            GridAxis {
                key,
                label,
                values,
                base_values,
            },
            written,
            line,
        ));
        Ok(())
    }
}

/// The bare name when it resolves back to `qualified`, else `qualified`.
fn label_for(catalog: &dyn ParamCatalog, qualified: &str) -> String {
    match qualified.split_once('.') {
        Some((_, bare)) if catalog.resolve(bare).as_deref() == Ok(qualified) => bare.to_string(),
        _ => qualified.to_string(),
    }
}
