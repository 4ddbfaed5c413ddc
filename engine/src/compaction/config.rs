//! Which policy runs and the values of its parameters.

use std::collections::BTreeMap;
use std::fmt;

use super::registry::{self, PolicyDef};
use crate::error::Result;
use crate::params::{ParamDef, Value};

/// The compaction policy and the policy parameters set by name. A parameter
/// not set has its declared default; values set for parameters the policy
/// does not declare are kept (a sweep sets them for every policy) and
/// ignored by it.
#[derive(Clone)]
pub struct CompactionOptions {
    pub policy: &'static PolicyDef,
    values: BTreeMap<&'static str, Value>,
}

impl Default for CompactionOptions {
    fn default() -> Self {
        CompactionOptions::for_policy(registry::DEFAULT_POLICY)
    }
}

impl PartialEq for CompactionOptions {
    fn eq(&self, other: &Self) -> bool {
        self.policy.name == other.policy.name && self.values == other.values
    }
}

impl fmt::Debug for CompactionOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompactionOptions")
            .field("policy", &self.policy.name)
            .field("values", &self.values)
            .finish()
    }
}

impl CompactionOptions {
    /// Default parameters for `policy`.
    pub fn for_policy(policy: &'static PolicyDef) -> Self {
        CompactionOptions {
            policy,
            values: BTreeMap::new(),
        }
    }

    /// Default parameters for the built-in policy named `name` (or an
    /// alias); the error lists the choices.
    pub fn named(name: &str) -> Result<Self> {
        Ok(CompactionOptions::for_policy(
            registry::builtin().find(name)?,
        ))
    }

    /// Records `value` for the parameter `name` (already parsed and range
    /// checked by its declaration).
    pub fn set_value(&mut self, name: &'static str, value: Value) {
        self.values.insert(name, value);
    }

    /// The value set for `name`, if any.
    pub fn value(&self, name: &str) -> Option<Value> {
        self.values.get(name).copied()
    }

    /// The value the policy sees for its parameter `name`: as set, or the
    /// declared default.
    ///
    /// # Panics
    /// When the policy does not declare `name`: a policy reads only the
    /// parameters it declares.
    pub fn get(&self, name: &str) -> Value {
        let def = self.declared(name);
        self.value(def.name).unwrap_or(def.default)
    }

    fn declared(&self, name: &str) -> &'static ParamDef {
        self.policy.param(name).unwrap_or_else(|| {
            panic!(
                "policy {} reads parameter {name}, which it does not declare",
                self.policy.name
            )
        })
    }

    /// A whole-number parameter (counts, bytes).
    pub fn int(&self, name: &str) -> u64 {
        self.get(name).int()
    }

    /// A duration parameter, in milliseconds.
    pub fn millis(&self, name: &str) -> u64 {
        self.get(name).int()
    }

    /// A real-number parameter.
    pub fn real(&self, name: &str) -> f64 {
        self.get(name).real()
    }

    /// A flag parameter.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name).flag()
    }

    /// Checks the policy's declared ranges and its relations between
    /// parameters.
    pub fn validate(&self) -> Result<()> {
        for def in self.policy.params {
            def.check(self.value(def.name).unwrap_or(def.default))?;
        }
        (self.policy.validate)(self)
    }
}
