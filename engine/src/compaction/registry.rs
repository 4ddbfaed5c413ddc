//! The registry of compaction policies: each policy's file declares one
//! [`PolicyDef`] (name, aliases, description, parameters, how to build it),
//! and [`BUILTIN`] (one line in `policies/mod.rs`) lists them. Everything that names policies (the CLI,
//! spec validation, reports, plot colours, the notebook, the fixture runner,
//! the conformance suite) reads this list; no other list of policy names
//! exists.

use std::fmt;
use std::sync::{Arc, OnceLock};

use super::{CompactionOptions, Strategy};
use crate::error::{Error, Result};
use crate::params::ParamDef;

/// A compaction policy as the registry knows it.
pub struct PolicyDef {
    /// The name the CLI and the reports use.
    pub name: &'static str,
    /// Other names accepted (RocksDB's or Cassandra's for the same policy).
    pub aliases: &'static [&'static str],
    /// One line on what the policy chooses.
    pub description: &'static str,
    /// Its parameters, declared once.
    pub params: &'static [ParamDef],
    /// Relations between its parameters (each parameter's own range is
    /// checked from its declaration).
    pub validate: fn(&CompactionOptions) -> Result<()>,
    /// Builds the strategy from validated options.
    pub build: fn(&CompactionOptions) -> Arc<dyn Strategy>,
}

impl PolicyDef {
    /// Its parameter `name` (name or alias), if it declares one.
    pub fn param(&self, name: &str) -> Option<&'static ParamDef> {
        let params: &'static [ParamDef] = self.params;
        params.iter().find(|p| p.answers_to(name))
    }

    /// True when `name` is its name or an alias (case-insensitive; `_`
    /// and `-` alike).
    pub fn answers_to(&self, name: &str) -> bool {
        let norm = |s: &str| s.trim().to_ascii_lowercase().replace('_', "-");
        let n = norm(name);
        norm(self.name) == n || self.aliases.iter().any(|a| norm(a) == n)
    }

    /// A strategy with default parameters.
    pub fn build_default(&'static self) -> Arc<dyn Strategy> {
        (self.build)(&CompactionOptions::for_policy(self))
    }
}

impl fmt::Display for PolicyDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Policies are equal when their names are (names are unique in a
/// registry).
impl PartialEq for PolicyDef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl fmt::Debug for PolicyDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Parameter relations for a policy that has none.
pub fn no_relations(_: &CompactionOptions) -> Result<()> {
    Ok(())
}

pub use super::policies::{BUILTIN, DEFAULT_POLICY};

/// A set of policies to choose from by name: the built-in ones, plus any a
/// library user registers.
#[derive(Debug, Clone)]
pub struct Registry {
    policies: Vec<&'static PolicyDef>,
}

impl Registry {
    /// The built-in policies.
    pub fn with_builtin() -> Registry {
        Registry {
            policies: BUILTIN.to_vec(),
        }
    }

    /// Adds `policy`; an error when its name or an alias is taken.
    pub fn register(&mut self, policy: &'static PolicyDef) -> Result<()> {
        let names = std::iter::once(policy.name).chain(policy.aliases.iter().copied());
        for n in names {
            if let Some(other) = self.policies.iter().find(|p| p.answers_to(n)) {
                return Err(Error::InvalidArgument(format!(
                    "policy name `{n}` is taken by {}",
                    other.name
                )));
            }
        }
        self.policies.push(policy);
        Ok(())
    }

    /// Every policy, in registration order.
    pub fn policies(&self) -> &[&'static PolicyDef] {
        &self.policies
    }

    /// The names of every policy, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.policies.iter().map(|p| p.name).collect()
    }

    /// The policy called `name` (or an alias); the error lists the choices.
    pub fn find(&self, name: &str) -> Result<&'static PolicyDef> {
        self.policies
            .iter()
            .find(|p| p.answers_to(name))
            .copied()
            .ok_or_else(|| {
                Error::invalid_option(
                    "policy",
                    name,
                    format!("one of {}", self.names().join(", ")),
                )
            })
    }
}

/// The built-in registry.
pub fn builtin() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::with_builtin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_resolve_and_unknown_names_list_the_choices() {
        let r = builtin();
        for p in r.policies() {
            assert_eq!(r.find(p.name).unwrap().name, p.name);
            for a in p.aliases {
                assert_eq!(r.find(a).unwrap().name, p.name, "alias {a}");
            }
        }
        assert_eq!(r.find("STCS").unwrap().name, "size-tiered");
        assert_eq!(r.find("round_robin").unwrap().name, "round-robin");
        let e = r.find("lazy").unwrap_err().to_string();
        assert!(e.contains("policy = lazy"), "{e}");
        assert!(
            e.contains("leveled, round-robin, min-overlap, size-tiered, fifo"),
            "{e}"
        );
    }

    #[test]
    fn no_two_policies_share_a_name_and_registering_a_taken_one_fails() {
        let mut r = Registry::with_builtin();
        for p in BUILTIN {
            let e = r.register(p).unwrap_err().to_string();
            assert!(e.contains("is taken by"), "{e}");
        }
        let all: Vec<_> = BUILTIN
            .iter()
            .flat_map(|p| std::iter::once(p.name).chain(p.aliases.iter().copied()))
            .collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!(!a.eq_ignore_ascii_case(b), "{a} twice");
            }
        }
    }

    #[test]
    fn every_policy_builds_with_its_defaults_under_its_own_name() {
        for p in BUILTIN {
            let o = CompactionOptions::for_policy(p);
            o.validate().unwrap();
            assert_eq!((p.build)(&o).name(), p.name);
        }
    }
}
