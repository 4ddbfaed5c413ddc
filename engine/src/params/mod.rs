//! Engine and policy parameters by name, for specs and `--set name=value`.
//! Every parameter is declared once as data ([`ParamDef`]): engine
//! parameters in [`ENGINE_PARAMS`], each policy's in its own file (see
//! [`crate::compaction::registry`]). Setting one parses it in its unit and
//! checks its range; relations between parameters are checked in one place,
//! [`Options::validate`].

mod def;
mod engine_params;

pub use def::{format_duration_ms, parse_bytes, parse_duration_ms, Codec, ParamDef, Unit, Value};
pub use engine_params::{EngineParam, ENGINE_PARAMS};

use crate::compaction::registry;
use crate::error::{Error, Result};
use crate::options::Options;

/// Whether a parameter belongs to the engine or to compaction policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamScope {
    Engine,
    Policy,
}

/// A parameter as listings show it: its declaration, its scope and, for a
/// policy parameter, the policies that declare it.
#[derive(Debug, Clone)]
pub struct ParamInfo {
    pub def: ParamDef,
    pub scope: ParamScope,
    /// The policies that read it (empty for engine parameters).
    pub policies: Vec<&'static str>,
}

impl ParamInfo {
    /// The lsmlab name.
    pub fn name(&self) -> &'static str {
        self.def.name
    }
}

/// Every parameter: engine parameters first, then each policy parameter of
/// the built-in registry once (with every policy that declares it).
pub fn all() -> Vec<ParamInfo> {
    let mut out: Vec<ParamInfo> = ENGINE_PARAMS
        .iter()
        .map(|p| ParamInfo {
            def: p.def,
            scope: ParamScope::Engine,
            policies: Vec::new(),
        })
        .collect();
    for policy in registry::builtin().policies() {
        for def in policy.params {
            match out
                .iter_mut()
                .find(|i| i.scope == ParamScope::Policy && i.def.name == def.name)
            {
                Some(info) => info.policies.push(policy.name),
                None => out.push(ParamInfo {
                    def: *def,
                    scope: ParamScope::Policy,
                    policies: vec![policy.name],
                }),
            }
        }
    }
    out
}

/// The parameter named `name` (its name or an alias, case-insensitive).
pub fn lookup(name: &str) -> Option<ParamInfo> {
    let all = all();
    let n = name.trim();
    let exact = all.iter().position(|p| p.def.name.eq_ignore_ascii_case(n));
    let i = exact.or_else(|| all.iter().position(|p| p.def.answers_to(n)))?;
    all.into_iter().nth(i)
}

/// Names of every parameter, for error messages.
pub fn names() -> String {
    all()
        .iter()
        .map(|p| p.def.name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Options {
    /// Sets the parameter `name` (lsmlab name or RocksDB/Cassandra alias)
    /// from text, then validates the whole options: the error names the
    /// parameter, the value and the allowed range. `policy` selects the
    /// compaction policy by name or alias.
    /// On error the options are left as they were.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let mut next = self.clone();
        next.set_param(name, value)?;
        next.validate()?;
        *self = next;
        Ok(())
    }

    /// Sets one parameter, checking it against its own declared range only;
    /// relations with other parameters are left to [`Options::validate`],
    /// so that settings may come in any order (a spec sets
    /// `l0_slowdown_limit` and `l0_file_limit` in whichever order it likes).
    pub fn set_param(&mut self, name: &str, value: &str) -> Result<()> {
        if name.trim().eq_ignore_ascii_case("policy") {
            self.compaction.policy = registry::builtin().find(value)?;
            return Ok(());
        }
        if let Some(p) = ENGINE_PARAMS.iter().find(|p| p.def.answers_to(name)) {
            let v = p.def.parse(value)?;
            (p.set)(self, v);
            return Ok(());
        }
        let info = lookup(name).ok_or_else(|| {
            Error::invalid_option(
                name,
                value,
                format!("a known parameter: policy, {}", names()),
            )
        })?;
        // The current policy's declaration wins; any other declaring policy
        // checks it otherwise, so that the order of settings does not matter.
        let def = self
            .compaction
            .policy
            .param(info.def.name)
            .copied()
            .unwrap_or(info.def);
        let v = def.parse(value)?;
        self.compaction.set_value(def.name, v);
        Ok(())
    }

    /// The current value of parameter `name` as text that [`Options::set`]
    /// reads back exactly (sizes in bytes, durations with their unit).
    pub fn get(&self, name: &str) -> Option<String> {
        if name.trim().eq_ignore_ascii_case("policy") {
            return Some(self.compaction.policy.name.to_string());
        }
        if let Some(p) = ENGINE_PARAMS.iter().find(|p| p.def.answers_to(name)) {
            return Some(p.def.format((p.get)(self)));
        }
        let info = lookup(name)?;
        let v = self
            .compaction
            .value(info.def.name)
            .unwrap_or(info.def.default);
        Some(info.def.format(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_parameter_round_trips_through_set_and_get() {
        for p in all() {
            let mut o = Options::default();
            let v = o.get(p.name()).unwrap();
            o.set(p.name(), &v)
                .unwrap_or_else(|e| panic!("{}: {e}", p.name()));
            assert_eq!(o.get(p.name()).unwrap(), v, "{}", p.name());
        }
    }

    #[test]
    fn every_default_is_inside_its_own_range() {
        for p in all() {
            p.def
                .check(p.def.default)
                .unwrap_or_else(|e| panic!("{}: {e}", p.name()));
        }
    }

    #[test]
    fn aliases_sizes_durations_and_errors() {
        let mut o = Options::default();
        o.set("max_bytes_for_level_multiplier", "8").unwrap();
        assert_eq!(o.level_size_multiplier, 8.0);
        o.set("write_buffer_size", "64KiB").unwrap();
        assert_eq!(o.write_buffer_size, 64 << 10);
        o.set("policy", "size-tiered").unwrap();
        assert_eq!(o.compaction.policy.name, "size-tiered");
        // A policy parameter may be set before its policy is chosen.
        o.set("ttl", "1.5").unwrap();
        o.set("policy", "fifo").unwrap();
        assert_eq!(o.compaction.millis("ttl"), 1500);
        o.set("ttl", "10m").unwrap();
        assert_eq!(o.compaction.millis("ttl"), 600_000);
        assert_eq!(o.get("ttl").unwrap(), "600s");

        let e = o.set("level_size_multiplier", "1").unwrap_err().to_string();
        assert!(
            e.contains("level_size_multiplier = 1") && e.contains("2 ..= 1000"),
            "{e}"
        );
        let e = o.set("write_buffer_size", "lots").unwrap_err().to_string();
        assert!(e.contains("write_buffer_size = lots"), "{e}");
        let e = o.set("compaction_speed", "9").unwrap_err().to_string();
        assert!(
            e.contains("compaction_speed") && e.contains("l0_file_limit"),
            "{e}"
        );
        let e = o.set("ttl", "3 fortnights").unwrap_err().to_string();
        assert!(
            e.contains("ttl = 3 fortnights") && e.contains("a bare number is seconds"),
            "{e}"
        );
    }

    #[test]
    fn a_parameter_checks_its_own_range_on_set_and_relations_in_validate() {
        let mut o = Options::default();
        // Its own range, whatever the others are.
        let e = o.set("l0_file_limit", "0").unwrap_err().to_string();
        assert!(
            e.contains("l0_file_limit = 0") && e.contains("1 ..= 1048576"),
            "{e}"
        );
        // A relation with another parameter.
        let e = o.set("l0_stop_limit", "10").unwrap_err().to_string();
        assert!(
            e.contains("l0_stop_limit = 10") && e.contains("l0_slowdown_limit (20)"),
            "{e}"
        );
    }
}
