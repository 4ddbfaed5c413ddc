//! Tests of spec parsing and grid expansion, against a fake catalog.

use super::*;

/// A catalog with the parameter names of the brief, one RocksDB alias, and a
/// few range checks.
struct FakeCatalog;

const PARAMS: &[(&str, &str)] = &[
    ("engine", "write_buffer_size"),
    ("engine", "l0_file_limit"),
    ("engine", "l0_slowdown_limit"),
    ("engine", "l0_stop_limit"),
    ("engine", "l1_base_bytes"),
    ("engine", "level_size_multiplier"),
    ("engine", "base_file_size"),
    ("engine", "num_levels"),
    ("engine", "bloom_bits_per_key"),
    ("engine", "wal"),
    ("policy", "min_threshold"),
    ("policy", "max_threshold"),
    ("policy", "ttl"),
    ("policy", "time_window"),
    ("policy", "fifo_max_bytes"),
    ("workload", "ops"),
    ("workload", "key_count"),
    ("workload", "value_size"),
    ("workload", "theta"),
    ("workload", "series"),
    ("workload", "ingest_rate"),
    ("workload", "ttl"),
];

impl ParamCatalog for FakeCatalog {
    fn resolve(&self, name: &str) -> std::result::Result<String, String> {
        let (section, bare) = match name.split_once('.') {
            Some((s, b)) => (Some(s), b),
            None => (None, name),
        };
        let bare = if bare == "level0_file_num_compaction_trigger" {
            "l0_file_limit"
        } else {
            bare
        };
        let hits: Vec<String> = PARAMS
            .iter()
            .filter(|(s, b)| *b == bare && section.is_none_or(|want| want == *s))
            .map(|(s, b)| format!("{s}.{b}"))
            .collect();
        match hits.len() {
            1 => Ok(hits[0].clone()),
            0 => Err("unknown parameter; valid: l0_file_limit, theta, ...".into()),
            _ => Err(format!("ambiguous: write {}", hits.join(" or "))),
        }
    }

    fn check(&self, qualified: &str, value: &str) -> std::result::Result<(), String> {
        match qualified {
            "engine.l0_file_limit" => match value.parse::<u64>() {
                Ok(n) if n >= 1 => Ok(()),
                _ => Err(format!("`{value}` is out of range: an integer >= 1")),
            },
            "workload.theta" => match value.parse::<f64>() {
                Ok(t) if t > 0.0 && t < 1.0 => Ok(()),
                _ => Err(format!("`{value}` is out of range: 0 < theta < 1")),
            },
            "engine.wal" if value != "true" && value != "false" => Err("true or false".into()),
            _ => Ok(()),
        }
    }
}

fn parse(text: &str) -> Result<SweepSpec> {
    SweepSpec::parse(text, "specs/t.toml", &FakeCatalog)
}

fn parse_err(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

const GRID: &str = r#"
name = "l0"
seed = 9
ops = 5000
policies = ["leveled", "fifo"]

[workload]
key_count = 100
theta = 0.5

[engine]
write_buffer_size = 262_144
level0_file_num_compaction_trigger = 4

[grid]
workloads = ["uniform", "zipfian"]
bloom_bits_per_key = [0, 10]
policy.ttl = [60, 120.0]
"#;

#[test]
fn parses_sections_with_qualified_canonical_names() {
    let spec = parse(GRID).unwrap();
    assert_eq!(spec.name, "l0");
    assert_eq!(spec.seed, 9);
    assert_eq!(spec.ops, Some(5000));
    assert_eq!(spec.policies, ["leveled", "fifo"]);
    assert_eq!(spec.workloads, ["uniform", "zipfian"]);
    let pairs = |v: &[(String, String)]| {
        v.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        pairs(&spec.engine_params),
        ["engine.write_buffer_size=262144", "engine.l0_file_limit=4"]
    );
    assert_eq!(
        pairs(&spec.workload_params),
        [
            "workload.key_count=100",
            "workload.theta=0.5",
            "workload.ops=5000"
        ]
    );
    let axes: Vec<(&str, &str, Vec<&str>)> = spec
        .grid
        .iter()
        .map(|a| {
            (
                a.key.as_str(),
                a.label.as_str(),
                a.values.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        axes,
        [
            (
                "engine.bloom_bits_per_key",
                "bloom_bits_per_key",
                vec!["0", "10"]
            ),
            // `ttl` alone is ambiguous, so the label stays qualified.
            ("policy.ttl", "policy.ttl", vec!["60", "120"]),
        ]
    );
}

#[test]
fn expands_policies_then_workloads_then_axes_in_file_order() {
    let spec = parse(GRID).unwrap();
    let runs = spec.runs();
    assert_eq!(runs.len(), spec.run_count());
    assert_eq!(runs.len(), 2 * 2 * 2 * 2);
    let ids: Vec<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(
        ids[..5],
        [
            "leveled/uniform/bloom_bits_per_key=0/policy.ttl=60",
            "leveled/uniform/bloom_bits_per_key=0/policy.ttl=120",
            "leveled/uniform/bloom_bits_per_key=10/policy.ttl=60",
            "leveled/uniform/bloom_bits_per_key=10/policy.ttl=120",
            "leveled/zipfian/bloom_bits_per_key=0/policy.ttl=60",
        ]
    );
    assert_eq!(ids[15], "fifo/zipfian/bloom_bits_per_key=10/policy.ttl=120");
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "run ids are unique");

    let run = &runs[3];
    assert_eq!(
        (
            run.policy.as_str(),
            run.workload.as_str(),
            run.seed,
            run.ops
        ),
        ("leveled", "uniform", 9, Some(5000))
    );
    assert_eq!(
        run.varied,
        [
            ("bloom_bits_per_key".to_string(), "10".to_string()),
            ("policy.ttl".into(), "120".into())
        ]
    );
    let settings: Vec<String> = run
        .settings
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    assert_eq!(
        settings,
        [
            "engine.write_buffer_size=262144",
            "engine.l0_file_limit=4",
            "workload.key_count=100",
            "workload.theta=0.5",
            "workload.ops=5000",
            "engine.bloom_bits_per_key=10",
            "policy.ttl=120",
        ]
    );
    assert_eq!(spec.runs(), runs, "expansion is deterministic");
}

#[test]
fn seed_axis_sets_the_seed_and_names_the_run() {
    let spec = parse(
        "name = \"s\"\npolicy = \"leveled\"\nworkload = \"uniform\"\n[grid]\nseed = [1, 2]\n",
    )
    .unwrap();
    let runs = spec.runs();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        (runs[1].run_id.as_str(), runs[1].seed),
        ("leveled/uniform/seed=2", 2)
    );
    assert!(runs[1].varied.is_empty());
    assert_eq!(runs[1].ops, None);
}

#[test]
fn minimal_spec_has_one_run_and_the_default_seed() {
    let spec = parse("name = \"one\"\n[policy]\nname = \"fifo\"\nttl = 30\n[workload]\npreset = \"timeseries\"\n").unwrap();
    assert_eq!(spec.seed, DEFAULT_SEED);
    let runs = spec.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].run_id, "fifo/timeseries");
    assert_eq!(
        runs[0].settings,
        [("policy.ttl".to_string(), "30".to_string())]
    );
}

#[test]
fn errors_name_file_line_and_key() {
    let cases: &[(&str, &str)] = &[
        ("name = \"x\"\nbogus = 1\n", "specs/t.toml:2: `bogus`: unknown key; valid top-level keys"),
        (
            "name = \"x\"\npolicy = \"leveled\"\nworkload = \"uniform\"\n[engine]\nl0_file_limit = 0\n",
            "specs/t.toml:5: `engine.l0_file_limit`: `0` is out of range: an integer >= 1",
        ),
        (
            "name = \"x\"\npolicy = \"leveled\"\nworkload = \"uniform\"\n[engine]\nwal = [true]\n",
            "specs/t.toml:5: `engine.wal`: expected a single value; lists of values to try belong in [grid]",
        ),
        (
            "name = \"x\"\npolicy = \"leveled\"\nworkload = \"uniform\"\n[engine]\nmin_threshold = 4\n",
            "specs/t.toml:5: `engine.min_threshold`: unknown parameter",
        ),
        (
            "name = \"x\"\npolicy = \"leveled\"\nworkload = \"uniform\"\n[grid]\ntheta = [0.5, 1.5]\n",
            "specs/t.toml:5: `grid.theta`: `1.5` is out of range: 0 < theta < 1",
        ),
        (
            "name = \"x\"\npolicy = \"leveled\"\nworkload = \"uniform\"\n[grid]\nttl = [1]\n",
            "specs/t.toml:5: `grid.ttl`: ambiguous: write policy.ttl or workload.ttl",
        ),
        ("name = \"x\"\npolicy = \"lsm\"\n", "specs/t.toml:2: `policy`: unknown policy `lsm`; valid: leveled"),
        ("name = \"x\"\nseed = \"one\"\n", "specs/t.toml:2: `seed`: expected an integer, found string"),
        ("name = \"x\"\nseed = -1\n", "specs/t.toml:2: `seed`: must be an integer from 0"),
        ("name = \"a b\"\n", "specs/t.toml:1: `name`: `a b` cannot name a directory"),
        ("name = \"x\"\npolicy = \"leveled\"\n", "specs/t.toml: `workload`: missing"),
        ("policy = \"leveled\"\n", "specs/t.toml: `name`: missing"),
        ("name = \"x\"\n\nengine = [1,\n", "specs/t.toml:3: invalid TOML"),
        ("name = \"x\"\nname = \"y\"\n", "specs/t.toml:2: invalid TOML: duplicate key"),
        (
            "name = \"x\"\npolicies = [\"fifo\", \"fifo\"]\n",
            "specs/t.toml:2: `policies`: `fifo` is listed twice",
        ),
    ];
    for (text, want) in cases {
        let got = parse_err(text);
        assert!(
            got.starts_with(want),
            "spec:\n{text}\nwant prefix: {want}\ngot: {got}"
        );
    }
}

#[test]
fn conflicting_settings_are_errors() {
    let base = "name = \"x\"\npolicy = \"leveled\"\nworkload = \"uniform\"\n";
    let err = parse_err(&format!(
        "{base}[engine]\nl0_file_limit = 4\n[grid]\nlevel0_file_num_compaction_trigger = [2, 8]\n"
    ));
    assert!(err.starts_with("specs/t.toml:7: `grid.level0_file_num_compaction_trigger`: varied here but fixed by `engine.l0_file_limit` on line 5"), "{err}");
    let err = parse_err(&format!(
        "{base}[engine]\nl0_file_limit = 4\nlevel0_file_num_compaction_trigger = 2\n"
    ));
    assert!(
        err.contains(":6:") && err.contains("already set by `engine.l0_file_limit` on line 5"),
        "{err}"
    );
    let err = parse_err(&format!("{base}[grid]\npolicies = [\"fifo\"]\n"));
    assert!(
        err.starts_with(
            "specs/t.toml:5: `grid.policies`: policy names already given by `policy` on line 2"
        ),
        "{err}"
    );
    let err = parse_err("name = \"x\"\nseed = 3\npolicy = \"leveled\"\nworkload = \"uniform\"\n[grid]\nseed = [1]\n");
    assert!(
        err.starts_with("specs/t.toml:2: `seed`: fixed here and varied"),
        "{err}"
    );
    let err = parse_err(&format!("{base}ops = 10\n[grid]\nops = [1, 2]\n"));
    assert!(
        err.contains("`grid.ops`: varied here but fixed by `ops`"),
        "{err}"
    );
    let err = parse_err(&format!("{base}[grid]\nl0_file_limit = [2, 2]\n"));
    assert!(
        err.starts_with("specs/t.toml:5: `grid.l0_file_limit`: value `2` is listed twice"),
        "{err}"
    );
    let err = parse_err(&format!("{base}[grid]\nl0_file_limit = 4\n"));
    assert!(
        err.contains("a grid axis is a list of values, found integer"),
        "{err}"
    );
    let err = parse_err(&format!("{base}[grid]\nengine.theta = [0.5]\n"));
    assert!(err.contains("`engine.theta`: unknown parameter"), "{err}");
    let err = parse_err(&format!("{base}[grid]\nworkload.l0_file_limit = [2]\n"));
    assert!(err.contains("unknown parameter"), "{err}");
}

#[test]
fn example_specs_parse_and_expand() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let expected = [
        ("default.toml", 45),
        ("ci.toml", 30),
        ("ttl.toml", 3),
        ("zipf-vs-uniform.toml", 6),
        ("l0-trigger.toml", 18),
    ];
    for (file, runs) in expected {
        let spec =
            SweepSpec::from_file(&dir.join(file), &FakeCatalog).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.runs().len(), runs, "{file}");
        assert_eq!(format!("{}.toml", spec.name), file);
    }
    let default = SweepSpec::default_sweep(&FakeCatalog).unwrap();
    assert_eq!(default.file, DEFAULT_SPEC_PATH);
    assert_eq!(default.policies.len(), known_policies().len());
    assert_eq!(default.workloads, ["uniform", "zipfian", "timeseries"]);
    let l0 = SweepSpec::from_file(&dir.join("l0-trigger.toml"), &FakeCatalog).unwrap();
    assert_eq!(
        l0.runs()[0].run_id,
        "leveled/uniform/l0_file_limit=2/bloom_bits_per_key=0"
    );
}

#[test]
fn seeds_and_probe_rate_are_checked() {
    let spec = parse(
        "name = \"s\"\nseeds = 2\nprobe_rate = 0.5\npolicy = \"leveled\"\nworkload = \"uniform\"\n",
    )
    .unwrap();
    assert_eq!((spec.seeds, spec.probe_rate), (2, Some(0.5)));
    let ids: Vec<String> = spec.runs().into_iter().map(|r| r.run_id).collect();
    assert_eq!(ids, ["leveled/uniform/seed=1", "leveled/uniform/seed=2"]);
    let err = parse_err("name = \"x\"\nseeds = 0\n");
    assert!(
        err.contains("`seeds`: must be an integer from 1 to 1000"),
        "{err}"
    );
    let err = parse_err("name = \"x\"\nprobe_rate = -1\n");
    assert!(
        err.contains("`probe_rate`") && err.contains("from 0 to 100"),
        "{err}"
    );
    let err = parse_err(
        "name = \"x\"\nseeds = 3\npolicy = \"leveled\"\nworkload = \"uniform\"\n[grid]\nseed = [1, 2]\n",
    );
    assert!(err.contains("`seeds`") && err.contains("keep one"), "{err}");
}

#[test]
fn a_grid_too_large_to_hold_in_memory_is_an_error() {
    // 60^5 = 778 million runs (which once aborted on a failed allocation),
    // and 60^11, whose count overflows.
    for axes in [5, 11] {
        let names = [
            "l0_file_limit",
            "l0_slowdown_limit",
            "l0_stop_limit",
            "l1_base_bytes",
            "base_file_size",
            "num_levels",
            "bloom_bits_per_key",
            "key_count",
            "value_size",
            "series",
            "ingest_rate",
        ];
        let mut text =
            String::from("name = \"big\"\npolicy = \"leveled\"\nworkload = \"uniform\"\n[grid]\n");
        for name in &names[..axes] {
            let values: Vec<String> = (1..=60).map(|v| v.to_string()).collect();
            text.push_str(&format!("{name} = [{}]\n", values.join(", ")));
        }
        // Refused at the third axis, from the lengths alone, naming it.
        let e = parse_err(&text);
        assert!(
            e.contains(
                "t.toml:7: `grid.l0_stop_limit`: 1 policy x 1 workload x 1 seed x axes of \
                 60 x 60 x 60 values expand to more than 100000 runs"
            ),
            "{e}"
        );
    }
    let mut text =
        String::from("name = \"ok\"\npolicy = \"leveled\"\nworkload = \"uniform\"\n[grid]\n");
    text.push_str(&format!(
        "key_count = [{}]\n",
        (1..=1000)
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    assert_eq!(parse(&text).unwrap().run_count(), 1000);
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let err = SweepSpec::from_file(Path::new("/no/such/spec.toml"), &FakeCatalog).unwrap_err();
    assert!(err.to_string().starts_with("/no/such/spec.toml: "), "{err}");
}

/// Every spec committed under specs/ parses with the real catalog and each
/// of its runs builds its engine options and workload: a spec a README
/// command names never fails on a setting.
#[test]
fn every_committed_spec_builds_every_run() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let spec = SweepSpec::from_file(&path, &crate::catalog::Catalog)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!spec.runs().is_empty(), "{}", path.display());
        for run in spec.runs() {
            crate::runner::build_options(&run)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            crate::runner::build_workload(&run)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        seen += 1;
    }
    assert!(seen >= 18, "{seen} specs");
}
