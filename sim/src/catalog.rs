//! The lab's view of every settable parameter: engine and policy options
//! (from the engine's parameter table), workload parameters (from the
//! workloads crate) and the lab's own ([`crate::lab_params`]), by bare
//! name, qualified name or RocksDB alias.

use lsmlab_engine::compaction::registry;
use lsmlab_engine::params::{self, ParamScope};
use lsmlab_engine::Options;
use lsmlab_workloads::{WorkloadSpec, PRESETS, YCSB_ALIASES};

use crate::lab_params;
use crate::spec::ParamCatalog;

/// Resolves and checks parameter names and values for spec files and
/// `--set`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Catalog;

fn workload_names() -> Vec<&'static str> {
    let aliases = YCSB_ALIASES.iter().map(|a| a.0);
    WorkloadSpec::params()
        .into_iter()
        .map(|p| p.name)
        .chain(aliases)
        .collect()
}

fn lab_names() -> Vec<&'static str> {
    lab_params::LAB_PARAMS.iter().map(|p| p.name).collect()
}

fn engine_qualified(name: &str) -> Option<String> {
    if name.eq_ignore_ascii_case("policy") {
        return None;
    }
    params::lookup(name).map(|p| match p.scope {
        ParamScope::Engine => format!("engine.{}", p.name()),
        ParamScope::Policy => format!("policy.{}", p.name()),
    })
}

/// `90s`, `10m`, `500ms` as seconds (`90`, `600`, `0.5`); `None` for
/// anything else.
fn duration_seconds(text: &str) -> Option<String> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    let ms: u64 = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    let total = digits.parse::<u64>().ok()?.checked_mul(ms)?;
    Some(format!("{}", total as f64 / 1000.0))
}

impl Catalog {
    /// `value` of the parameter `qualified` in base units (bytes, seconds),
    /// as runs.csv records grid values; `None` when it does not parse.
    fn base_value_of(&self, qualified: &str, value: &str) -> Option<String> {
        let (section, bare) = qualified.split_once('.')?;
        match section {
            "engine" | "policy" => {
                // Its declaration parses it; durations become seconds.
                let def = params::lookup(bare)?.def;
                let v = def.parse(value).ok()?;
                Some(match def.unit {
                    params::Unit::Duration => format!("{}", v.int() as f64 / 1000.0),
                    _ => def.format(v),
                })
            }
            "workload" => {
                let mut w = WorkloadSpec::default();
                let text = w.set(bare, value).ok().and_then(|()| w.get(bare))?;
                Some(duration_seconds(&text).unwrap_or(text))
            }
            "lab" => {
                let ms = crate::lab_params::parse(bare, value).ok()?;
                Some(format!("{}", ms as f64 / 1000.0))
            }
            _ => None,
        }
    }
}

impl ParamCatalog for Catalog {
    fn resolve(&self, name: &str) -> Result<String, String> {
        let all = || {
            format!(
                "engine and policy: {}; workload: {}; lab: {}",
                params::names(),
                workload_names().join(", "),
                lab_names().join(", ")
            )
        };
        if let Some((section, bare)) = name.split_once('.') {
            let ok = match section {
                "engine" | "policy" => engine_qualified(bare)
                    .filter(|q| q.starts_with(section))
                    .is_some(),
                "workload" => workload_names().contains(&bare),
                "lab" => lab_params::lookup(bare).is_some(),
                _ => false,
            };
            return if ok {
                Ok(match section {
                    "workload" => format!("workload.{bare}"),
                    "lab" => format!("lab.{}", lab_params::lookup(bare).expect("checked").name),
                    _ => engine_qualified(bare).expect("checked above"),
                })
            } else {
                Err(format!("unknown parameter `{name}`; valid: {}", all()))
            };
        }
        let engine = engine_qualified(name);
        let workload = workload_names()
            .contains(&name)
            .then(|| format!("workload.{name}"));
        let lab = lab_params::lookup(name).map(|d| format!("lab.{}", d.name));
        let found: Vec<String> = [engine, workload, lab].into_iter().flatten().collect();
        match found.as_slice() {
            [q] => Ok(q.clone()),
            [] => Err(format!("unknown parameter `{name}`; valid: {}", all())),
            many => Err(format!(
                "`{name}` is ambiguous: write {}",
                many.iter()
                    .map(|q| format!("`{q}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
        }
    }

    fn check(&self, qualified: &str, value: &str) -> Result<(), String> {
        let (section, bare) = qualified
            .split_once('.')
            .ok_or_else(|| format!("`{qualified}` is not a qualified parameter name"))?;
        match section {
            "engine" | "policy" => {
                // Its own range only: relations between parameters are checked
                // on each run's complete options when it starts.
                Options::default()
                    .set_param(bare, value)
                    .map_err(|e| e.to_string())
            }
            "workload" => {
                let mut w = WorkloadSpec::default();
                w.set(bare, value).map_err(|e| e.to_string())
            }
            "lab" => lab_params::parse(bare, value)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            _ => Err(format!("unknown section in `{qualified}`")),
        }
    }

    fn base_value(&self, qualified: &str, value: &str) -> String {
        self.base_value_of(qualified, value)
            .unwrap_or_else(|| value.to_string())
    }

    fn check_policy(&self, name: &str) -> Result<(), String> {
        registry::builtin()
            .find(name)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn check_workload(&self, preset: &str) -> Result<(), String> {
        if preset
            .strip_prefix("trace:")
            .is_some_and(|p| p.trim().is_empty())
        {
            Err("`trace:` needs the trace file's path: trace:PATH".into())
        } else if PRESETS.iter().any(|(p, _)| *p == preset) || preset.starts_with("trace:") {
            Ok(())
        } else {
            let names: Vec<_> = PRESETS.iter().map(|p| p.0).collect();
            Err(format!(
                "unknown workload `{preset}`; valid: {}, or trace:PATH",
                names.join(", ")
            ))
        }
    }
}

/// Warnings for policy parameters that some of `policies` ignore: for
/// each `(qualified name, where it is set)`, the policies that do not
/// declare it and those that do. A warning, not an error: one sweep over
/// several policies sets a parameter that only some of them read.
pub fn ignored_policy_params<'a>(
    policies: &[String],
    settings: impl IntoIterator<Item = (&'a str, String)>,
) -> Vec<String> {
    let reg = registry::builtin();
    let mut warnings = Vec::new();
    for (qualified, place) in settings {
        let Some(bare) = qualified.strip_prefix("policy.") else {
            continue;
        };
        let declares = |p: &registry::PolicyDef| p.param(bare).is_some();
        let ignoring: Vec<&str> = policies
            .iter()
            .filter_map(|name| reg.find(name).ok())
            .filter(|p| !declares(p))
            .map(|p| p.name)
            .collect();
        if ignoring.is_empty() {
            continue;
        }
        let users: Vec<&str> = reg
            .policies()
            .iter()
            .filter(|p| declares(p))
            .map(|p| p.name)
            .collect();
        warnings.push(format!(
            "warning: {place}: `{qualified}` is ignored by {}; the policies that use it: {}",
            ignoring.join(", "),
            if users.is_empty() {
                "none".to_string()
            } else {
                users.join(", ")
            }
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_parameter_set_for_a_policy_that_ignores_it_is_named() {
        let policies = vec!["leveled".to_string(), "fifo".to_string()];
        let cap = "policy.max_table_files_size";
        let w = ignored_policy_params(&policies, [(cap, "x.toml:4".to_string())]);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with(
                "warning: x.toml:4: `policy.max_table_files_size` is ignored by leveled;"
            ) && w[0].contains("fifo"),
            "{}",
            w[0]
        );
        let fifo_only = vec!["fifo".to_string()];
        assert!(ignored_policy_params(&fifo_only, [(cap, "x".to_string())]).is_empty());
        assert!(ignored_policy_params(&policies, [("engine.wal", "x".to_string())]).is_empty());
    }

    #[test]
    fn values_are_checked_against_their_own_range_not_the_defaults_of_others() {
        let c = Catalog;
        c.check("engine.l0_stop_limit", "12").unwrap();
        c.check("engine.l0_file_limit", "40").unwrap();
        c.check("policy.max_threshold", "3").unwrap();
        let e = c.check("engine.l0_stop_limit", "0").unwrap_err();
        assert!(e.contains("l0_stop_limit"), "{e}");
        let e = c.check("engine.level_size_multiplier", "1").unwrap_err();
        assert!(e.contains("2 ..= 1000"), "{e}");
    }

    #[test]
    fn names_resolve_to_their_section_and_ambiguity_is_an_error() {
        let c = Catalog;
        assert_eq!(
            c.resolve("max_bytes_for_level_base").unwrap(),
            "engine.l1_base_bytes"
        );
        assert_eq!(c.resolve("min_threshold").unwrap(), "policy.min_threshold");
        assert_eq!(c.resolve("theta").unwrap(), "workload.theta");
        assert_eq!(c.resolve("workload.ttl").unwrap(), "workload.ttl");
        assert!(c.resolve("ttl").unwrap_err().contains("ambiguous"));
        assert_eq!(
            c.resolve("snapshot_retention").unwrap(),
            "lab.snapshot_retention"
        );
        assert_eq!(
            c.resolve("lab.snapshot_interval").unwrap(),
            "lab.snapshot_interval"
        );
        assert!(c
            .check("lab.snapshot_interval", "-1")
            .unwrap_err()
            .contains("snapshot_interval"));
        assert!(c
            .resolve("engine.theta")
            .unwrap_err()
            .contains("unknown parameter"));
    }

    #[test]
    fn grid_values_are_recorded_in_base_units() {
        let c = Catalog;
        for (q, written, base) in [
            ("engine.compaction_io_rate", "1MiB", "1048576"),
            ("engine.write_buffer_size", "16KiB", "16384"),
            ("engine.l0_file_limit", "8", "8"),
            ("policy.ttl", "90", "90"),
            ("workload.ttl", "10m", "600"),
            ("workload.ttl", "1500ms", "1.5"),
            ("workload.theta", "0.9", "0.9"),
            ("workload.value_size", "10..=1000", "10..=1000"),
            ("lab.snapshot_retention", "2m", "120"),
        ] {
            assert_eq!(c.base_value(q, written), base, "{q} = {written}");
        }
    }
}
