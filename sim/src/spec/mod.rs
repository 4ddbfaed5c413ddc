//! Sweep specs: a TOML file naming policies, workloads, engine and policy
//! parameters, a seed and a grid, parsed with every error pointing at the
//! file, key and line, and expanded into a deterministic list of runs.
//!
//! Parameter names and ranges belong to the engine and the workloads; this
//! module asks a [`ParamCatalog`] about them and knows none itself.

mod parser;

use std::path::Path;

use toml::de::DeTable;

use crate::error::{LabError, Result};
use crate::goal::Goal;
use parser::{line_of, Parser};
pub use parser::{MAX_RUNS, MAX_SEEDS};

/// The sweep run by `lsmlab sweep` without a spec file.
pub const DEFAULT_SPEC_TOML: &str = include_str!("../../specs/default.toml");
/// The name error messages give the embedded default spec.
pub const DEFAULT_SPEC_PATH: &str = "<built-in>/specs/default.toml";

/// The seed of a spec that does not set one.
pub const DEFAULT_SEED: u64 = 1;

/// Policy names accepted when a catalog does not list its own: the
/// engine's registry, in its order.
pub fn known_policies() -> Vec<&'static str> {
    lsmlab_engine::compaction::registry::builtin().names()
}
/// Workload presets accepted when a catalog does not list its own.
pub const KNOWN_WORKLOADS: &[&str] = &[
    "uniform",
    "zipfian",
    "latest",
    "sequential",
    "timeseries",
    "ycsb-a",
    "ycsb-b",
    "ycsb-c",
    "ycsb-d",
    "ycsb-e",
    "ycsb-f",
];

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
    /// A checked value in base units (bytes, seconds) as runs.csv records
    /// it: `1MiB` is `1048576`, `10m` is `600`. Values without a unit are
    /// returned as they are.
    fn base_value(&self, _qualified: &str, value: &str) -> String {
        value.to_string()
    }
    /// Checks a compaction policy name.
    fn check_policy(&self, name: &str) -> std::result::Result<(), String> {
        check_known("policy", name, &known_policies())
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
        Err(format!(
            "unknown {what} `{name}`; valid: {}",
            known.join(", ")
        ))
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
    /// Runs per configuration: seeds `seed`, `seed + 1`, ... (`seeds = N`
    /// in the spec or `--seeds N`); at least 1.
    pub seeds: u64,
    /// Probe lookups per workload operation (`probe_rate`); `None`: the
    /// runner's default (see `runner::default_probe_rate`).
    pub probe_rate: Option<f64>,
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
    /// `[lab]`: how the lab drives each run ([`crate::lab_params`]).
    pub lab_params: Vec<(String, String)>,
    /// Parameter and seed axes in file order (policy and workload axes are
    /// folded into `policies` and `workloads`). INVARIANT: no axis names a
    /// parameter that is also fixed.
    pub grid: Vec<GridAxis>,
    /// `[goal]`: what the report recommends by, when the spec states it.
    pub goal: Option<Goal>,
    /// The directory of the spec file: relative trace paths resolve against
    /// it (empty for specs not read from a file: the working directory).
    pub base_dir: std::path::PathBuf,
    /// Where each fixed parameter and grid axis is set, in file order, so
    /// an error found when a run starts can name the spec line behind it.
    pub origins: Vec<SettingOrigin>,
}

/// The place in a spec file that sets a parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingOrigin {
    /// Qualified name (`engine.l0_file_limit`).
    pub qualified: String,
    /// The key as written (`grid.l0_file_limit`, `engine.l0_file_limit`).
    pub written: String,
    /// 1-based line of the key.
    pub line: usize,
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
    /// `values` in base units (see `ParamCatalog::base_value`), as written
    /// to runs.csv. INVARIANT: as long as `values`.
    pub base_values: Vec<String>,
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
    /// Probe lookups per workload operation; `None`: the default.
    pub probe_rate: Option<f64>,
    /// The run's `workload.ops`, when the spec sets it.
    pub ops: Option<u64>,
    /// Every parameter the spec sets for this run, as (qualified name, value):
    /// fixed engine, policy and workload parameters, then the grid values.
    pub settings: Vec<(String, String)>,
    /// The grid values of this run as (label, value in base units), in axis
    /// order; the policy, workload and seed axes have their own fields and
    /// are not here.
    pub varied: Vec<(String, String)>,
    /// Where a relative `trace:PATH` resolves from (the spec's directory).
    pub base_dir: std::path::PathBuf,
}

impl RunSpec {
    /// The trace of a `trace:[FORMAT:]PATH` workload as the trace reader
    /// takes it, its path resolved against the spec's directory when
    /// relative (a format prefix is kept).
    pub fn trace_spec(&self) -> Option<String> {
        let tail = self.workload.strip_prefix("trace:")?;
        let (format, path) = match tail.split_once(':') {
            Some((f, p)) if lsmlab_workloads::TraceFormat::from_name(f).is_some() => (Some(f), p),
            _ => (None, tail),
        };
        let path = self.base_dir.join(path).display().to_string();
        Some(match format {
            Some(f) => format!("{f}:{path}"),
            None => path,
        })
    }
}

impl SweepSpec {
    /// Reads and parses a spec file.
    pub fn from_file(path: &Path, catalog: &dyn ParamCatalog) -> Result<SweepSpec> {
        let text = crate::input_limits::read_text(path, crate::input_limits::MAX_SPEC_BYTES)?;
        let mut spec = SweepSpec::parse(&text, &path.display().to_string(), catalog)?;
        spec.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(spec)
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

    /// The spec lines whose parameter a run-time error `message` names (by
    /// its bare or qualified name, as a whole word), as `file:line: `key``
    /// joined by `; `; `None` when it names none of them.
    pub fn origins_named_in(&self, message: &str) -> Option<String> {
        let named = |name: &str| {
            message.match_indices(name).any(|(i, _)| {
                let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
                let before = message[..i].chars().next_back();
                let after = message[i + name.len()..].chars().next();
                !before.is_some_and(ident) && !after.is_some_and(ident)
            })
        };
        let places: Vec<String> = self
            .origins
            .iter()
            .filter(|o| {
                let bare = o
                    .qualified
                    .split_once('.')
                    .map_or(&*o.qualified, |(_, b)| b);
                named(bare) || named(&o.qualified)
            })
            .map(|o| format!("{}:{}: `{}`", self.file, o.line, o.written))
            .collect();
        (!places.is_empty()).then(|| places.join("; "))
    }

    /// How many runs the grid expands to with `seeds` seeds per
    /// configuration, by multiplying lengths (nothing is expanded); `None`
    /// past `usize`.
    pub fn run_count_with(&self, seeds: u64) -> Option<usize> {
        self.grid
            .iter()
            .map(|a| a.values.len())
            .chain([self.workloads.len(), usize::try_from(seeds).ok()?])
            .try_fold(self.policies.len(), |n, k| n.checked_mul(k))
    }

    /// How many runs the grid expands to.
    pub fn run_count(&self) -> usize {
        self.policies.len()
            * self.workloads.len()
            * self.grid.iter().map(|a| a.values.len()).product::<usize>()
            * self.seeds as usize
    }

    /// Expands the grid: policies outermost, then workloads, then the axes in
    /// file order (the last axis varies fastest), then the seeds. With more
    /// than one seed, each run id ends in `/seed=N`.
    pub fn runs(&self) -> Vec<RunSpec> {
        let fixed: Vec<(String, String)> = self
            .engine_params
            .iter()
            .chain(&self.policy_params)
            .chain(&self.workload_params)
            .chain(&self.lab_params)
            .cloned()
            .collect();
        let combos: usize = self.grid.iter().map(|a| a.values.len()).product();
        let mut runs = Vec::with_capacity(self.run_count());
        for policy in &self.policies {
            for workload in &self.workloads {
                for combo in 0..combos {
                    let run = self.run(policy, workload, &fixed, combo);
                    if self.seeds <= 1 {
                        runs.push(run);
                        continue;
                    }
                    for k in 0..self.seeds {
                        let seed = run.seed.wrapping_add(k);
                        runs.push(RunSpec {
                            run_id: format!("{}/seed={seed}", run.run_id),
                            seed,
                            ..run.clone()
                        });
                    }
                }
            }
        }
        runs
    }

    /// The run for grid combination number `combo` (mixed radix, last axis
    /// fastest).
    fn run(
        &self,
        policy: &str,
        workload: &str,
        fixed: &[(String, String)],
        combo: usize,
    ) -> RunSpec {
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
                varied.push((axis.label.clone(), axis.base_values[pick].clone()));
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
            probe_rate: self.probe_rate,
            ops,
            settings,
            varied,
            base_dir: self.base_dir.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
