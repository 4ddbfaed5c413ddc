//! manifest.json: what an output directory holds — the sweep, the hash of
//! its expanded runs, the lsmlab version, the shard and the run ids — so
//! that `merge`, `--resume` and `check` can refuse to mix experiments.

use std::path::Path;

use serde_json::{json, Value};

use crate::error::{LabError, Result};
use crate::spec::RunSpec;

/// File name of the manifest inside an output directory.
pub const MANIFEST_JSON: &str = "manifest.json";

/// The lsmlab version written into every manifest and runs.csv row.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// 64-bit FNV-1a: a stable hash (the same on every machine and build).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A run's full configuration as one line: `policy`, `workload`, `seed`,
/// `ops` and every parameter the run sets (`name=value`, `;`-separated, in
/// the spec's order). Two runs with the same text do the same experiment.
pub fn run_config(run: &RunSpec) -> String {
    let mut parts = vec![
        format!("policy={}", run.policy),
        format!("workload={}", run.workload),
        format!("seed={}", run.seed),
    ];
    parts.extend(run.settings.iter().map(|(k, v)| format!("{k}={v}")));
    if let Some(rate) = run.probe_rate {
        parts.push(format!("probe_rate={rate}"));
    }
    parts.join(";")
}

/// The hash of a sweep: its name and every run's id and configuration, in
/// run order. Comments and formatting of the spec file do not change it;
/// any value that changes a run does.
pub fn spec_hash(name: &str, runs: &[RunSpec]) -> String {
    let mut text = format!("{name}\n");
    for run in runs {
        text.push_str(&run.run_id);
        text.push('\t');
        text.push_str(&run_config(run));
        text.push('\n');
    }
    format!("{:016x}", fnv1a(text.as_bytes()))
}

/// What an output directory (a whole sweep, a shard, or an interrupted
/// sweep's journal) holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub spec: String,
    pub spec_hash: String,
    pub lsmlab_version: String,
    /// The spec's seed (a seed axis is part of `spec_hash` too).
    pub seed: u64,
    /// `I/N`, or `0/1` for a whole sweep.
    pub shard: String,
    /// The runs this directory is to hold, in run order.
    pub run_ids: Vec<String>,
}

impl Manifest {
    pub fn to_json(&self) -> String {
        let value = json!({
            "spec": self.spec,
            "spec_hash": self.spec_hash,
            "lsmlab_version": self.lsmlab_version,
            "seed": self.seed,
            "shard": self.shard,
            "run_ids": self.run_ids,
        });
        serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
    }

    /// Reads a manifest; errors name the file and the field.
    pub fn read(path: &Path) -> Result<Manifest> {
        let text = crate::input_limits::read_text(path, crate::input_limits::MAX_MANIFEST_BYTES)?;
        let bad = |message: String| LabError::output(path, message);
        let value: Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("not a manifest: {e}")))?;
        let string = |field: &str| {
            value[field]
                .as_str()
                .map(String::from)
                .ok_or_else(|| bad(format!("field `{field}` is missing or not a string")))
        };
        let spec = string("spec")?;
        let spec_hash = string("spec_hash")?;
        let lsmlab_version = string("lsmlab_version")?;
        let seed = value["seed"]
            .as_u64()
            .ok_or_else(|| bad("field `seed` is missing or not an integer".into()))?;
        let shard = string("shard")?;
        let run_ids = value["run_ids"]
            .as_array()
            .and_then(|ids| {
                ids.iter()
                    .map(|id| id.as_str().map(String::from))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| bad("field `run_ids` is missing or not a list of strings".into()))?;
        Ok(Manifest {
            spec,
            spec_hash,
            lsmlab_version,
            seed,
            shard,
            run_ids,
        })
    }

    /// How this manifest's experiment differs from `other`'s, if it does:
    /// the sweep, the seed, the lsmlab version or the runs' configuration.
    pub fn difference(&self, other: &Manifest) -> Option<String> {
        if self.spec != other.spec {
            Some(format!("sweep `{}` vs `{}`", self.spec, other.spec))
        } else if self.seed != other.seed {
            Some(format!("seed {} vs {}", self.seed, other.seed))
        } else if self.lsmlab_version != other.lsmlab_version {
            Some(format!(
                "lsmlab version {} vs {}",
                self.lsmlab_version, other.lsmlab_version
            ))
        } else if self.spec_hash != other.spec_hash {
            Some(format!(
                "spec hash {} vs {} (a parameter, the ops or the grid changed)",
                self.spec_hash, other.spec_hash
            ))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, value: &str) -> RunSpec {
        RunSpec {
            run_id: id.into(),
            spec_name: "demo".into(),
            policy: "leveled".into(),
            workload: "uniform".into(),
            seed: 7,
            ops: Some(100),
            settings: vec![("engine.l0_file_limit".into(), value.into())],
            varied: vec![],
            base_dir: Default::default(),
            probe_rate: None,
        }
    }

    #[test]
    fn the_hash_follows_every_value_of_every_run() {
        let a = spec_hash("demo", &[run("x", "4")]);
        assert_eq!(a, spec_hash("demo", &[run("x", "4")]));
        assert_ne!(a, spec_hash("demo", &[run("x", "8")]));
        assert_ne!(a, spec_hash("other", &[run("x", "4")]));
        let mut seeded = run("x", "4");
        seeded.seed = 8;
        assert_ne!(a, spec_hash("demo", &[seeded]));
        assert_eq!(a.len(), 16);
        assert_eq!(
            run_config(&run("x", "4")),
            "policy=leveled;workload=uniform;seed=7;engine.l0_file_limit=4"
        );
    }

    #[test]
    fn manifests_round_trip_and_name_their_differences() {
        let dir = tempfile::tempdir().unwrap();
        let m = Manifest {
            spec: "demo".into(),
            spec_hash: "00ff".into(),
            lsmlab_version: "0.1.0".into(),
            seed: 7,
            shard: "1/3".into(),
            run_ids: vec!["a".into(), "b".into()],
        };
        let path = dir.path().join(MANIFEST_JSON);
        std::fs::write(&path, m.to_json()).unwrap();
        assert_eq!(Manifest::read(&path).unwrap(), m);
        let mut other = m.clone();
        other.seed = 8;
        assert_eq!(m.difference(&other).unwrap(), "seed 7 vs 8");
        other = m.clone();
        other.lsmlab_version = "0.2.0".into();
        assert!(m
            .difference(&other)
            .unwrap()
            .contains("version 0.1.0 vs 0.2.0"));
        assert_eq!(m.difference(&m), None);
        std::fs::write(&path, "{\"spec\": 1}").unwrap();
        let err = Manifest::read(&path).unwrap_err().to_string();
        assert!(
            err.contains("manifest.json") && err.contains("`spec`"),
            "{err}"
        );
    }
}
