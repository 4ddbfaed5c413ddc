//! Sweep specs: a TOML file naming policies, workloads, engine and policy
//! parameters, a seed and a grid, parsed with every error pointing at the
//! file, key and line, and expanded into a deterministic list of runs.
//!
//! Parameter names and ranges belong to the engine and the workloads; this
//! module asks a [`ParamCatalog`] about them and knows none itself.

use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::error::{LabError, Result};

/// The sweep run by `lsmlab sweep` without a spec file.
pub const DEFAULT_SPEC_TOML: &str = include_str!("../specs/default.toml");
/// The name error messages give the embedded default spec.
pub const DEFAULT_SPEC_PATH: &str = "<built-in>/specs/default.toml";

/// The seed of a spec that does not set one.
pub const DEFAULT_SEED: u64 = 1;

/// Policy names accepted when a catalog does not list its own.
pub const KNOWN_POLICIES: &[&str] = &["leveled", "round-robin", "min-overlap", "size-tiered", "fifo"];
/// Workload presets accepted when a catalog does not list its own.
pub const KNOWN_WORKLOADS: &[&str] = &[
    "uniform", "zipfian", "latest", "sequential", "timeseries", "ycsb-a", "ycsb-b", "ycsb-c",
    "ycsb-d", "ycsb-e", "ycsb-f",
];

const SECTIONS: [&str; 3] = ["engine", "policy", "workload"];
const TOP_KEYS: &str = "name, description, seed, ops, policy, policies, workload, workloads, engine, grid";

/// What the lab knows about parameters: their names (with aliases) and their
/// valid ranges. Implemented by the runner over the engine's and workloads'
/// options; the spec parser only asks.
pub trait ParamCatalog {
    /// Resolves a name as written in a spec (bare `l0_file_limit`, qualified
    /// `engine.l0_file_limit`, or a RocksDB alias) to its qualified canonical
    /// name, or explains why it cannot (unknown, ambiguous; list valid names).
    fn resolve(&self, name: &str) -> std::result::Result<String, String>;
    /// Checks a value (as text) for a qualified parameter; the error names the
    /// allowed range.
    fn check(&self, qualified: &str, value: &str) -> std::result::Result<(), String>;
    /// Checks a compaction policy name.
    fn check_policy(&self, name: &str) -> std::result::Result<(), String> {
        check_known("policy", name, KNOWN_POLICIES)
    }
    /// Checks a workload preset name.
    fn check_workload(&self, preset: &str) -> std::result::Result<(), String> {
        check_known("workload preset", preset, KNOWN_WORKLOADS)
    }
}

fn check_known(what: &str, name: &str, known: &[&str]) -> std::result::Result<(), String> {
    if known.contains(&name) {
        Ok(())
    } else {
        Err(format!("unknown {what} `{name}`; valid: {}", known.join(", ")))
    }
}

/// A parsed sweep spec: the fixed settings and the grid to vary.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSpec {
    /// The spec file (or pseudo-path) errors and reports refer to.
    pub file: String,
    /// Names the output directories; only `[A-Za-z0-9._-]`.
    pub name: String,
    pub description: Option<String>,
    /// The seed of every run unless `seed` is a grid axis.
    pub seed: u64,
    /// Top-level `ops`, if given (also present as `workload.ops` in
    /// `workload_params`).
    pub ops: Option<u64>,
    /// INVARIANT: non-empty, no repeats.
    pub policies: Vec<String>,
    /// Workload presets. INVARIANT: non-empty, no repeats.
    pub workloads: Vec<String>,
    /// Fixed parameters (qualified name, value), in file order per section.
    pub engine_params: Vec<(String, String)>,
    pub policy_params: Vec<(String, String)>,
    pub workload_params: Vec<(String, String)>,
    /// Parameter and seed axes in file order (policy and workload axes are
    /// folded into `policies` and `workloads`). INVARIANT: no axis names a
    /// parameter that is also fixed.
    pub grid: Vec<GridAxis>,
}

/// One axis of the grid: a parameter (or `seed`) and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct GridAxis {
    /// Qualified parameter name (`engine.l0_file_limit`), or `seed`.
    pub key: String,
    /// The short name used in run ids and CSV columns: the bare name when it
    /// resolves unambiguously, else the qualified one.
    pub label: String,
    /// INVARIANT: non-empty, no repeats.
    pub values: Vec<String>,
}

/// One run of a sweep: everything the runner needs to set up engine,
/// policy and workload.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSpec {
    /// `policy/workload[/label=value...]`, the grid values in axis order.
    pub run_id: String,
    pub spec_name: String,
    pub policy: String,
    pub workload: String,
    pub seed: u64,
    /// The run's `workload.ops`, when the spec sets it.
    pub ops: Option<u64>,
    /// Every parameter the spec sets for this run, as (qualified name, value):
    /// fixed engine, policy and workload parameters, then the grid values.
    pub settings: Vec<(String, String)>,
    /// The grid values of this run as (label, value), in axis order; the
    /// policy, workload and seed axes have their own fields and are not here.
    pub varied: Vec<(String, String)>,
}

impl SweepSpec {
    /// Reads and parses a spec file.
    pub fn from_file(path: &Path, catalog: &dyn ParamCatalog) -> Result<SweepSpec> {
        let text = std::fs::read_to_string(path).map_err(|e| LabError::io(path, e))?;
        SweepSpec::parse(&text, &path.display().to_string(), catalog)
    }

    /// The embedded default sweep.
    pub fn default_sweep(catalog: &dyn ParamCatalog) -> Result<SweepSpec> {
        SweepSpec::parse(DEFAULT_SPEC_TOML, DEFAULT_SPEC_PATH, catalog)
    }

    /// Parses spec text; `file` names it in errors.
    pub fn parse(text: &str, file: &str, catalog: &dyn ParamCatalog) -> Result<SweepSpec> {
        let doc = DeTable::parse(text).map_err(|e| LabError::Spec {
            file: file.to_string(),
            line: e.span().map(|s| line_of(text, s.start)),
            key: String::new(),
            message: format!("invalid TOML: {}", e.message()),
        })?;
        Parser {
            file,
            text,
            catalog,
        }
        .spec(doc.get_ref())
    }

    /// How many runs the grid expands to.
    pub fn run_count(&self) -> usize {
        self.policies.len() * self.workloads.len() * self.grid.iter().map(|a| a.values.len()).product::<usize>()
    }

    /// Expands the grid: policies outermost, then workloads, then the axes in
    /// file order (the last axis varies fastest).
    pub fn runs(&self) -> Vec<RunSpec> {
        let fixed: Vec<(String, String)> = self
            .engine_params
            .iter()
            .chain(&self.policy_params)
            .chain(&self.workload_params)
            .cloned()
            .collect();
        let combos: usize = self.grid.iter().map(|a| a.values.len()).product();
        let mut runs = Vec::with_capacity(self.run_count());
        for policy in &self.policies {
            for workload in &self.workloads {
                for combo in 0..combos {
                    runs.push(self.run(policy, workload, &fixed, combo));
                }
            }
        }
        runs
    }

    /// The run for grid combination number `combo` (mixed radix, last axis
    /// fastest).
    fn run(&self, policy: &str, workload: &str, fixed: &[(String, String)], combo: usize) -> RunSpec {
        let mut picks = vec![0; self.grid.len()];
        let mut rest = combo;
        for (i, axis) in self.grid.iter().enumerate().rev() {
            picks[i] = rest % axis.values.len();
            rest /= axis.values.len();
        }
        let mut run_id = format!("{policy}/{workload}");
        let mut settings = fixed.to_vec();
        let mut varied = Vec::new();
        let mut seed = self.seed;
        for (axis, &pick) in self.grid.iter().zip(&picks) {
            let value = &axis.values[pick];
            run_id.push_str(&format!("/{}={}", axis.label, value));
            if axis.key == "seed" {
                seed = value.parse().unwrap_or(self.seed);
            } else {
                settings.push((axis.key.clone(), value.clone()));
                varied.push((axis.label.clone(), value.clone()));
            }
        }
        let ops = settings
            .iter()
            .find(|(k, _)| k == "workload.ops")
            .and_then(|(_, v)| v.parse().ok());
        RunSpec {
            run_id,
            spec_name: self.name.clone(),
            policy: policy.to_string(),
            workload: workload.to_string(),
            seed,
            ops,
            settings,
            varied,
        }
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

type Entry<'d, 'i> = (&'d Spanned<std::borrow::Cow<'i, str>>, &'d Spanned<DeValue<'i>>);

/// Where a list (policies, workloads) was first given, to reject a second.
struct Given {
    key: String,
    line: usize,
}

/// The state of one parse: the source for line numbers and the catalog.
struct Parser<'a> {
    file: &'a str,
    text: &'a str,
    catalog: &'a dyn ParamCatalog,
}

/// What the top-level walk collects before it is checked as a whole.
#[derive(Default)]
struct Draft {
    name: Option<String>,
    description: Option<String>,
    seed: Option<(u64, usize)>,
    ops: Option<(u64, Range<usize>)>,
    policies: Option<(Vec<String>, Given)>,
    workloads: Option<(Vec<String>, Given)>,
    /// Fixed parameters per section: (qualified, value, key as written, line).
    fixed: [Vec<(String, String, String, usize)>; 3],
    grid: Vec<(GridAxis, String, usize)>,
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

    fn spec(&self, root: &DeTable<'_>) -> Result<SweepSpec> {
        let mut d = Draft::default();
        for (k, v) in root.iter() {
            let key = k.get_ref().as_ref();
            let span = k.span();
            match (key, v.get_ref()) {
                ("name", _) => d.name = Some(self.name(v)?),
                ("description", _) => d.description = Some(self.string(key, v)?),
                ("seed", _) => d.seed = Some((self.integer(key, v)?, line_of(self.text, span.start))),
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
                ("grid", DeValue::Table(t)) => self.grid(&mut d, t)?,
                ("engine" | "grid", other) => {
                    return Err(self.err(&span, key, format!("expected a table, found {}", other.type_str())))
                }
                _ => {
                    return Err(self.err(&span, key, format!("unknown key; valid top-level keys: {TOP_KEYS}")))
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
        let name = d.name.take().ok_or_else(|| missing("name", "missing: every spec needs a name"))?;
        let (policies, _) = d
            .policies
            .take()
            .ok_or_else(|| missing("policy", "missing: set `policy = \"leveled\"` or `policies = [...]`"))?;
        let (workloads, _) = d
            .workloads
            .take()
            .ok_or_else(|| missing("workload", "missing: set `workload = \"uniform\"` or `workloads = [...]`"))?;
        let seed_axis = d.grid.iter().find(|(a, _, _)| a.key == "seed");
        if let (Some((_, line)), Some((_, key, _))) = (&d.seed, seed_axis) {
            return Err(LabError::Spec {
                file: self.file.to_string(),
                line: Some(*line),
                key: "seed".into(),
                message: format!("fixed here and varied by grid key `{key}`: keep one"),
            });
        }
        if let Some((ops, span)) = &d.ops {
            let value = ops.to_string();
            let qualified = self.catalog.resolve("workload.ops").map_err(|m| self.err(span, "ops", m))?;
            self.catalog.check(&qualified, &value).map_err(|m| self.err(span, "ops", m))?;
            let line = line_of(self.text, span.start);
            self.add_fixed(&mut d, 2, qualified, value, "ops".into(), line)?;
        }
        for (axis, key, line) in &d.grid {
            if let Some((_, _, fixed_key, fixed_line)) = d.fixed.iter().flatten().find(|f| f.0 == axis.key) {
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
        let [engine, policy, workload] = d.fixed.map(|v| v.into_iter().map(|(q, v, _, _)| (q, v)).collect());
        Ok(SweepSpec {
            file: self.file.to_string(),
            name,
            description: d.description,
            seed: d.seed.map(|(s, _)| s).unwrap_or(DEFAULT_SEED),
            ops: d.ops.map(|(o, _)| o),
            policies,
            workloads,
            engine_params: engine,
            policy_params: policy,
            workload_params: workload,
            grid: d.grid.into_iter().map(|(a, _, _)| a).collect(),
        })
    }

    fn name(&self, v: &Spanned<DeValue<'_>>) -> Result<String> {
        let name = self.string("name", v)?;
        let ok = !name.is_empty()
            && name != "."
            && name != ".."
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
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
            other => Err(self.err(&v.span(), key, format!("expected a string, found {}", other.type_str()))),
        }
    }

    fn integer(&self, key: &str, v: &Spanned<DeValue<'_>>) -> Result<u64> {
        match v.get_ref() {
            DeValue::Integer(i) => u64::from_str_radix(i.as_str(), i.radix())
                .map_err(|_| self.err(&v.span(), key, format!("must be an integer from 0 to {}", u64::MAX))),
            other => Err(self.err(&v.span(), key, format!("expected an integer, found {}", other.type_str()))),
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
            DeValue::Array(_) => Err(bad("expected a single value; lists of values to try belong in [grid]".into())),
            other => Err(bad(format!("expected a number, string or boolean, found {}", other.type_str()))),
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
                        return Err(self.err(&item.span(), key, format!("`{name}` is listed twice")));
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
                format!("expected a name or a list of names, found {}", other.type_str()),
            )),
        }
    }

    /// Records the policies or workloads, checked with the catalog; a second
    /// place naming them is an error.
    fn set_names(&self, d: &mut Draft, what: &str, names: Vec<String>, key: &str, span: &Range<usize>) -> Result<()> {
        for name in &names {
            let checked = if what == "policy" {
                self.catalog.check_policy(name)
            } else {
                self.catalog.check_workload(name)
            };
            checked.map_err(|m| self.err(span, key, m))?;
        }
        let slot = if what == "policy" { &mut d.policies } else { &mut d.workloads };
        if let Some((_, first)) = slot {
            return Err(self.err(
                span,
                key,
                format!("{what} names already given by `{}` on line {}: keep one", first.key, first.line),
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

    fn add_fixed(&self, d: &mut Draft, index: usize, qualified: String, value: String, written: String, line: usize) -> Result<()> {
        if let Some((_, _, first, first_line)) = d.fixed.iter().flatten().find(|f| f.0 == qualified) {
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
        let qualified = self.catalog.resolve(name).map_err(|m| self.err(span, name, m))?;
        match qualified.split_once('.') {
            Some((s, _)) if s == section => Ok(qualified),
            Some((s, _)) => Err(self.err(span, name, format!("`{qualified}` is a {s} parameter: set it in [{s}]"))),
            None => Err(self.err(span, name, format!("the catalog resolved it to `{qualified}`, not a qualified name"))),
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
                None => self.catalog.resolve(&name).map_err(|m| self.err(&span, &written, m))?,
            };
            let label = label_for(self.catalog, &qualified);
            (qualified, label)
        };
        let DeValue::Array(items) = v.get_ref() else {
            return Err(self.err(
                &v.span(),
                &written,
                format!("a grid axis is a list of values, found {}", v.get_ref().type_str()),
            ));
        };
        if items.is_empty() {
            return Err(self.err(&v.span(), &written, "the list of values is empty"));
        }
        let mut values: Vec<String> = Vec::new();
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
            if values.contains(&value) {
                return Err(self.err(&item.span(), &written, format!("value `{value}` is listed twice")));
            }
            values.push(value);
        }
        let line = line_of(self.text, span.start);
        if let Some((_, first, first_line)) = d.grid.iter().find(|(a, _, _)| a.key == key) {
            return Err(self.err(
                &span,
                &written,
                format!("`{key}` is already varied by `{first}` on line {first_line}"),
            ));
        }
        d.grid.push((GridAxis { key, label, values }, written, line));
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

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
