//! Lab parameters: how the lab drives a run besides the engine, the policy
//! and the workload (`[lab]` in a spec, `lab.NAME` or the bare name with
//! `--set`): snapshot retention, the reader that holds a snapshot open for
//! a while, as a long scan or a backup does; and remote compaction, merges
//! run by compaction workers instead of the writer.
//!
//! Declared with the engine's [`ParamDef`], so parsing, ranges, error text
//! and listing work as for every other parameter.

use lsmlab_engine::params::{ParamDef, Unit, Value};

/// The longest snapshot interval or retention: a year of simulated time.
const MAX_MS: f64 = 365.0 * 86_400_000.0;

/// Every lab parameter.
pub const LAB_PARAMS: &[ParamDef] = &[
    ParamDef::new(
        "snapshot_interval",
        &[],
        Unit::Duration,
        Value::Int(0),
        (0.0, MAX_MS),
        "take an engine snapshot every this much simulated time (with snapshot_retention)",
    )
    .note("0: never"),
    ParamDef::new(
        "snapshot_retention",
        &[],
        Unit::Duration,
        Value::Int(0),
        (0.0, MAX_MS),
        "release each snapshot this long after it was taken; compaction keeps the versions \
         it needs meanwhile (Cobble's snapshot_retention)",
    )
    .note("0: released at once, as without snapshots"),
    ParamDef::new(
        "compaction_workers",
        &[],
        Unit::Count,
        Value::Int(0),
        (0.0, MAX_WORKERS as f64),
        "compaction workers (in this process, on the run's files) that run the merges \
         instead of the writer, through the remote compaction protocol",
    )
    .note("0: merges run in the writer"),
];

/// The most compaction workers one run may start.
pub const MAX_WORKERS: u64 = 64;

/// The lab parameter `name` (exact name, any case).
pub fn lookup(name: &str) -> Option<&'static ParamDef> {
    LAB_PARAMS.iter().find(|p| p.answers_to(name))
}

/// The lab parameters of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabParams {
    /// Milliseconds of simulated time between snapshots (0: none).
    pub snapshot_interval_ms: u64,
    /// Milliseconds a snapshot is held (0: none).
    pub snapshot_retention_ms: u64,
    /// Compaction workers the run's merges go to (0: the writer's own).
    pub compaction_workers: u64,
}

/// A lab setting that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LabParamError {
    #[error("parameter lab.{name} = {value}: {reason}")]
    Invalid {
        name: String,
        value: String,
        reason: String,
    },
    #[error("unknown lab parameter `{name}`; valid: {valid}")]
    Unknown { name: String, valid: String },
    #[error("{0}")]
    Inconsistent(String),
}

/// Checks `value` for the lab parameter `bare`; the value in its base unit
/// (milliseconds for durations).
pub fn parse(bare: &str, value: &str) -> Result<u64, LabParamError> {
    let def = lookup(bare).ok_or_else(|| LabParamError::Unknown {
        name: bare.to_string(),
        valid: LAB_PARAMS
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    def.parse(value)
        .map(Value::int)
        .map_err(|e| LabParamError::Invalid {
            name: def.name.to_string(),
            value: value.to_string(),
            reason: e.to_string(),
        })
}

impl LabParams {
    /// The lab parameters among a run's settings (`lab.NAME`), checked
    /// alone and together.
    pub fn from_settings(settings: &[(String, String)]) -> Result<LabParams, LabParamError> {
        let mut p = LabParams::default();
        for (name, value) in settings {
            let Some(bare) = name.strip_prefix("lab.") else {
                continue;
            };
            let v = parse(bare, value)?;
            match lookup(bare).map(|d| d.name) {
                Some("snapshot_interval") => p.snapshot_interval_ms = v,
                Some("snapshot_retention") => p.snapshot_retention_ms = v,
                _ => p.compaction_workers = v,
            }
        }
        p.validate()?;
        Ok(p)
    }

    /// A retention without an interval would silently retain nothing.
    /// (An interval with retention 0 is a sweep's baseline: every snapshot
    /// released at once.)
    pub fn validate(&self) -> Result<(), LabParamError> {
        let (i, r) = (self.snapshot_interval_ms, self.snapshot_retention_ms);
        if i == 0 && r > 0 {
            return Err(LabParamError::Inconsistent(format!(
                "snapshot_retention = {} needs snapshot_interval above 0 (how often a \
                 snapshot is taken); it is 0, so no snapshot would be retained",
                lsmlab_engine::params::format_duration_ms(r),
            )));
        }
        Ok(())
    }

    /// `(interval, retention)` in milliseconds when snapshots are retained.
    pub fn snapshots(&self) -> Option<(u64, u64)> {
        (self.snapshot_interval_ms > 0 && self.snapshot_retention_ms > 0)
            .then_some((self.snapshot_interval_ms, self.snapshot_retention_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn durations_parse_in_any_unit_and_off_is_the_default() {
        let p = LabParams::from_settings(&settings(&[
            ("engine.l0_file_limit", "4"),
            ("lab.snapshot_interval", "30s"),
            ("lab.snapshot_retention", "2m"),
        ]))
        .unwrap();
        assert_eq!(p.snapshots(), Some((30_000, 120_000)));
        assert_eq!(LabParams::from_settings(&[]).unwrap().snapshots(), None);
    }

    #[test]
    fn bad_values_name_the_parameter_and_range() {
        let e = LabParams::from_settings(&settings(&[("lab.snapshot_interval", "-3")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("snapshot_interval") && e.contains("0s ..= 31536000s"),
            "{e}"
        );
        let e = LabParams::from_settings(&settings(&[("lab.snapshot_retention", "10m")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs snapshot_interval above 0"), "{e}");
        let baseline = LabParams::from_settings(&settings(&[
            ("lab.snapshot_interval", "10s"),
            ("lab.snapshot_retention", "0"),
        ]))
        .unwrap();
        assert_eq!(baseline.snapshots(), None);
        let e = parse("snapshot_count", "3").unwrap_err().to_string();
        assert!(
            e.contains("snapshot_interval, snapshot_retention, compaction_workers"),
            "{e}"
        );
        let e = LabParams::from_settings(&settings(&[("lab.compaction_workers", "65")]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("compaction_workers") && e.contains("0 ..= 64"),
            "{e}"
        );
        let w = LabParams::from_settings(&settings(&[("lab.compaction_workers", "3")])).unwrap();
        assert_eq!(w.compaction_workers, 3);
    }
}
