//! Every kind of bad input, command by command: malformed specs, unknown
//! parameters and flags, out-of-range values in specs, `--set` and flags,
//! missing and malformed trace files, missing and unwritable paths,
//! truncated or damaged CSV baselines and results, merges of missing or
//! garbage directories. Each gets a one-line error naming the problem and
//! exit code 2: never a panic, a stack trace or a usage screen.

mod common;

use common::lsmlab;
use std::path::Path;

const SPEC_HEAD: &str =
    "name = \"t\"\npolicy = \"leveled\"\nworkloads = [\"uniform\"]\nops = 500\n";

/// Files the cases refer to, written into `dir`.
fn write_fixtures(dir: &Path) {
    let specs: &[(&str, &str)] = &[
        ("noname.toml", "policies = [\"leveled\"]\n"),
        ("empty.toml", ""),
        ("badtype.toml", "name = \"t\"\nseed = \"x\"\n"),
        ("badname.toml", "name = \"a b/c\"\n"),
        ("unknowntop.toml", "name = \"t\"\nfoo = 1\n"),
        ("dupkey.toml", "name = \"t\"\nname = \"u\"\n"),
        ("nested.toml", "name = \"t\"\n[engine.sub]\nx = 1\n"),
        (
            "both.toml",
            "name = \"t\"\npolicy = \"leveled\"\npolicies = [\"fifo\"]\n",
        ),
        (
            "emptygrid.toml",
            "name = \"t\"\n[grid]\nl0_file_limit = []\n",
        ),
        (
            "scalargrid.toml",
            "name = \"t\"\n[grid]\nl0_file_limit = 4\n",
        ),
        ("badpolicy.toml", "name = \"t\"\npolicies = [\"lazy\"]\n"),
        ("badworkload.toml", "name = \"t\"\nworkloads = [\"nope\"]\n"),
        ("negops.toml", "name = \"t\"\nops = -5\n"),
        ("zeroops.toml", "name = \"t\"\nops = 0\n"),
        (
            "hugeseed.toml",
            "name = \"t\"\nseed = 99999999999999999999999\n",
        ),
        (
            "other.toml",
            "name = \"other\"\npolicy = \"fifo\"\nworkload = \"uniform\"\n",
        ),
    ];
    for (name, text) in specs {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let with_head: &[(&str, &str)] = &[
        ("blocksize.toml", "[engine]\nblock_size = 1\n"),
        ("theta.toml", "[workload]\ntheta = 1\n"),
        ("size.toml", "[engine]\nwrite_buffer_size = \"lots\"\n"),
        (
            "hugesize.toml",
            "[engine]\nwrite_buffer_size = \"99999999TiB\"\n",
        ),
        ("keys.toml", "[workload]\nkey_count = 0\n"),
        ("gridrange.toml", "[grid]\nl0_file_limit = [2, 0]\n"),
        ("cross.toml", "[engine]\nl0_file_limit = 30\n"),
        ("fractions.toml", "[workload]\nread_fraction = 0.9\n"),
        ("lab.toml", "[lab]\nsnapshot_retention = \"1h\"\n"),
        ("labrange.toml", "[lab]\nsnapshot_interval = \"400d\"\n"),
    ];
    for (name, text) in with_head {
        std::fs::write(dir.join(name), format!("{SPEC_HEAD}{text}")).unwrap();
    }
    // 60^5 runs: once an allocation failure (abort) while expanding.
    let values: Vec<String> = (2..62).map(|v| v.to_string()).collect();
    let mut big = String::from(SPEC_HEAD);
    big.push_str("[grid]\n");
    for axis in [
        "l0_file_limit",
        "bloom_bits_per_key",
        "key_count",
        "block_restart_interval",
        "seed",
    ] {
        big.push_str(&format!("{axis} = [{}]\n", values.join(", ")));
    }
    std::fs::write(dir.join("biggrid.toml"), big).unwrap();
    let tspec = "name = \"t\"\npolicy = \"leveled\"\nworkload = \"trace:bad.csv\"\n";
    std::fs::write(dir.join("tracespec.toml"), tspec).unwrap();
    std::fs::write(dir.join("notutf8.toml"), b"name = \"t\"\n\xff\xfe = 1\n").unwrap();

    let traces: &[(&str, &str)] = &[
        ("bad.csv", "op,key,value_len\nputt,00,5\n"),
        ("badheader.csv", "op,key\nput,00,1\n"),
        ("emptytrace.csv", ""),
        ("oddhex.csv", "op,key,value_len\nput,0,5\n"),
        ("hugevalue.csv", "op,key,value_len\nput,0a,4294967295\n"),
        ("ttlget.csv", "op,key,value_len,ttl\nget,0a,0,5\n"),
        ("backwards.csv", "op,key,value_len\ndelete_range,0b-0a,0\n"),
        ("merges.csv", "op,key,value_len\nput,0a,8\nmerge,0a,8\n"),
    ];
    for (name, text) in traces {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let garbage: Vec<u8> = (0..400u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(dir.join("garbage.csv"), &garbage).unwrap();
    std::fs::write(dir.join("blocker"), "a file where a directory should be").unwrap();

    // A real runs.csv, and damaged copies of it.
    let o = lsmlab(
        &["run", "--ops", "300", "--key-count", "100", "--out", "base"],
        dir,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let runs = std::fs::read_to_string(dir.join("base/runs.csv")).unwrap();
    let header = runs.lines().next().unwrap();
    let row = runs.lines().nth(1).unwrap();
    let write_amp = header.split(',').position(|c| c == "write_amp").unwrap();
    let with_cell = |value: &str| {
        let mut cells: Vec<&str> = row.split(',').collect();
        cells[write_amp] = value;
        format!("{header}\n{}\n", cells.join(","))
    };
    let damaged: &[(&str, String)] = &[
        ("header_only.csv", format!("{header}\n")),
        ("cut_in_header.csv", runs[..header.len() / 2].to_string()),
        (
            "cut_in_row.csv",
            runs[..header.len() + row.len() / 2].to_string(),
        ),
        ("empty.csv", String::new()),
        ("nan.csv", with_cell("NaN")),
        ("negative.csv", with_cell("-1")),
        ("word.csv", with_cell("two")),
    ];
    for (name, text) in damaged {
        std::fs::write(dir.join(name), text).unwrap();
    }
    std::fs::write(dir.join("binary.csv"), &garbage).unwrap();

    // Shard-like directories: empty, garbage runs, a cut timeline (the last
    // two with the manifest and spec of `base`, so that merge reads them).
    std::fs::create_dir(dir.join("emptydir")).unwrap();
    std::fs::create_dir(dir.join("garbagedir")).unwrap();
    std::fs::write(dir.join("garbagedir/runs.csv"), &garbage).unwrap();
    std::fs::create_dir(dir.join("cuttimeline")).unwrap();
    std::fs::write(dir.join("cuttimeline/runs.csv"), &runs).unwrap();
    for shard in ["garbagedir", "cuttimeline"] {
        for file in ["manifest.json", "spec.toml"] {
            std::fs::copy(dir.join("base").join(file), dir.join(shard).join(file)).unwrap();
        }
    }
    let timeline = std::fs::read_to_string(dir.join("base/timeline.csv")).unwrap();
    std::fs::write(
        dir.join("cuttimeline/timeline.csv"),
        &timeline[..timeline.len() / 2 + 3],
    )
    .unwrap();
}

/// `(arguments, text the error must contain)`.
const CASES: &[(&[&str], &str)] = &[
    // Malformed specs.
    (&["sweep", "noname.toml"], "`name`: missing"),
    (&["sweep", "empty.toml"], "`name`: missing"),
    (&["sweep", "badtype.toml"], "badtype.toml:2: `seed`"),
    (&["sweep", "badname.toml"], "cannot name a directory"),
    (
        &["sweep", "unknowntop.toml"],
        "unknowntop.toml:2: `foo`: unknown key",
    ),
    (&["sweep", "dupkey.toml"], "duplicate key"),
    (&["sweep", "nested.toml"], "`engine.sub`: unknown parameter"),
    (&["sweep", "both.toml"], "keep one"),
    (&["sweep", "emptygrid.toml"], "list of values is empty"),
    (&["sweep", "scalargrid.toml"], "a grid axis is a list"),
    (&["sweep", "badpolicy.toml"], "badpolicy.toml:2: `policies`"),
    (&["sweep", "badworkload.toml"], "unknown workload `nope`"),
    (&["sweep", "notutf8.toml"], "UTF-8"),
    (&["sweep", "."], "Is a directory"),
    // Out-of-range values in specs.
    (&["sweep", "negops.toml"], "`ops`: must be an integer"),
    (&["sweep", "zeroops.toml"], "`ops`: must be at least 1"),
    (&["sweep", "hugeseed.toml"], "`seed`"),
    (&["sweep", "blocksize.toml"], "block_size = 1"),
    (&["sweep", "theta.toml"], "theta"),
    (&["sweep", "size.toml"], "write_buffer_size = lots"),
    (&["sweep", "hugesize.toml"], "99999999TiB"),
    (&["sweep", "keys.toml"], "key_count"),
    (&["sweep", "gridrange.toml"], "l0_file_limit"),
    // A run-time error names the spec line of the setting behind it.
    (
        &["sweep", "cross.toml"],
        "cross.toml:6: `engine.l0_file_limit`: run leveled/uniform: invalid option l0_slowdown_limit",
    ),
    (&["sweep", "fractions.toml"], "must sum to 1"),
    (
        &["sweep", "lab.toml"],
        "snapshot_retention = 3600s needs snapshot_interval above 0",
    ),
    (&["sweep", "labrange.toml"], "0s ..= 31536000s"),
    (
        &["run", "--workload", "counter", "--ops", "100"],
        "parameter merge_operator = none: workload counter merges (merge_fraction = 0.7)",
    ),
    (
        &["run", "--workload", "trace:merges.csv"],
        "the trace holds 1 merge records",
    ),
    (
        &["run", "--workload", "trace:backwards.csv"],
        "backwards.csv:2: delete_range end key \"0b-0a\" does not sort after its start key",
    ),
    (&["run", "--set", "snapshot_interval=soon"], "snapshot_interval"),
    (
        &["run", "--set", "range_deletes=true"],
        "range_deletes applies to the queue and bulk-delete distributions, not uniform",
    ),
    (&["sweep", "biggrid.toml"], "more than 100000 runs"),
    (
        &["check", "--baseline", "base/runs.csv", "biggrid.toml"],
        "more than 100000 runs",
    ),
    // Unknown parameters, flags and commands.
    (&["run", "--set", "nope=1"], "unknown parameter `nope`"),
    (
        &["run", "--set", "engine.nope=1"],
        "unknown parameter `engine.nope`",
    ),
    (
        &["run", "--set", "policy.write_buffer_size=1MiB"],
        "unknown parameter",
    ),
    (&["run", "--set", "=5"], "unknown parameter"),
    (&["run", "--nope"], "unexpected argument '--nope'"),
    (&["nope"], "unrecognized subcommand 'nope'"),
    (&["check"], "--baseline"),
    (&["merge"], "<DIRS>"),
    (&["torture", "--policy", "lazy"], "lazy"),
    // Out-of-range values in --set and flags.
    (&["run", "--set", "num_levels=100"], "num_levels = 100"),
    (
        &["run", "--set", "write_buffer_size=1"],
        "write_buffer_size",
    ),
    (
        &["run", "--set", "bloom_bits_per_key=-1"],
        "bloom_bits_per_key",
    ),
    (&["run", "--set", "theta=nan"], "theta"),
    (
        &["run", "--set", "write_buffer_accounting=arena"],
        "write_buffer_accounting = arena: allowed entries | rocksdb",
    ),
    (
        &["run", "--set", "arena_block_size=3GiB"],
        "arena_block_size = 3GiB",
    ),
    (
        &["run", "--set", "level_size_multiplier=1e309"],
        "level_size_multiplier = 1e309",
    ),
    (&["run", "--set", "delete_fraction=2"], "delete_fraction"),
    (&["run", "--set", "value_size=99999999"], "value_size"),
    (&["run", "--set", "ingest_rate=0"], "ingest_rate"),
    (
        &[
            "run",
            "--policy",
            "size-tiered",
            "--set",
            "min_threshold=100",
        ],
        "min_threshold (100)",
    ),
    (&["run", "--set", "write_buffer_size="], "write_buffer_size"),
    (&["run", "--ops", "abc"], "'abc'"),
    (&["run", "--ops", "-5"], "'-5'"),
    (&["run", "--key-count", "0"], "key_count"),
    (&["run", "--value-size", "10..=5"], "10..=5"),
    (&["sweep", "zeroops.toml", "--jobs", "0"], "`ops`"),
    (&["sweep", "other.toml", "--jobs", "0"], "--jobs"),
    (
        &["sweep", "other.toml", "--jobs", "1000000"],
        "allowed 1 ..= 1024",
    ),
    (&["sweep", "other.toml", "--shard", "1/0"], "0 <= I < N"),
    (&["sweep", "other.toml", "--shard", "x"], "expected I/N"),
    (
        &[
            "check",
            "--baseline",
            "base/runs.csv",
            "--results",
            "base/runs.csv",
            "--tolerance",
            "write_amp=-1",
        ],
        "write_amp",
    ),
    (
        &[
            "check",
            "--baseline",
            "base/runs.csv",
            "--results",
            "base/runs.csv",
            "--tolerance",
            "write_amp=nan",
        ],
        "NaN",
    ),
    (
        &[
            "check",
            "--baseline",
            "base/runs.csv",
            "--results",
            "base/runs.csv",
            "--tolerance",
            "wall_seconds=0.1",
        ],
        "never compared",
    ),
    (&["torture", "--kills", "0"], "--kills"),
    (&["torture", "--max-sleep-ms", "0"], "--max-sleep-ms"),
    (
        &["torture", "--max-sleep-ms", "18446744073709551615"],
        "--max-sleep-ms",
    ),
    (&["torture", "--child"], "--dir"),
    // Missing files.
    (&["run", "--workload", "trace:missing.csv"], "missing.csv"),
    (&["run", "--workload", "trace:"], "trace:PATH"),
    (&["sweep", "missing.toml"], "missing.toml"),
    (
        &[
            "check",
            "--baseline",
            "missing.csv",
            "--results",
            "base/runs.csv",
        ],
        "missing.csv",
    ),
    (
        &[
            "check",
            "--baseline",
            "base/runs.csv",
            "--results",
            "missing.csv",
        ],
        "missing.csv",
    ),
    (
        &["check", "--baseline", "base/runs.csv", "missing.toml"],
        "missing.toml",
    ),
    (&["merge", "base", "--spec", "missing.toml"], "missing.toml"),
    // Malformed trace files.
    (
        &["run", "--workload", "trace:bad.csv"],
        "bad.csv:2: unknown op \"putt\"",
    ),
    (
        &["run", "--workload", "trace:badheader.csv"],
        "badheader.csv:1: bad header",
    ),
    (
        &["run", "--workload", "trace:emptytrace.csv"],
        "missing header",
    ),
    (
        &["run", "--workload", "trace:garbage.csv"],
        "garbage.csv:1: bad header",
    ),
    (
        &["run", "--workload", "trace:oddhex.csv"],
        "odd number of hex digits",
    ),
    (
        &["run", "--workload", "trace:hugevalue.csv"],
        "above the largest value",
    ),
    (
        &["run", "--workload", "trace:ttlget.csv"],
        "ttl is only valid for put",
    ),
    (&["run", "--workload", "trace:."], "Is a directory"),
    (&["sweep", "tracespec.toml"], "bad.csv:2: unknown op"),
    // Unwritable output directories (a file stands where a directory must go).
    (&["run", "--out", "blocker/out"], "blocker/out"),
    (
        &["run", "--fs", "disk", "--dir", "blocker/db"],
        "blocker/db",
    ),
    (
        &["sweep", "other.toml", "--notebooks-out", "blocker/nb"],
        "blocker/nb",
    ),
    (
        &["sweep", "other.toml", "--reports-out", "blocker/rp"],
        "blocker/rp",
    ),
    (
        &[
            "sweep",
            "other.toml",
            "--shard",
            "0/2",
            "--notebooks-out",
            "blocker/nb",
        ],
        "blocker/nb",
    ),
    (
        &[
            "check",
            "--baseline",
            "blocker/b/ci.csv",
            "--results",
            "base/runs.csv",
            "--update",
        ],
        "blocker/b",
    ),
    (
        &[
            "check",
            "--baseline",
            "base",
            "--results",
            "base/runs.csv",
            "--update",
        ],
        "base",
    ),
    (
        &["merge", "base", "--notebooks-out", "blocker/nb"],
        "blocker/nb",
    ),
    (
        &["torture", "--dir", "blocker/t", "--kills", "1"],
        "blocker/t",
    ),
    // Truncated or damaged CSV baselines and results.
    (
        &[
            "check",
            "--baseline",
            "header_only.csv",
            "--results",
            "base/runs.csv",
        ],
        "holds no runs",
    ),
    (
        &["check", "--baseline", "header_only.csv", "other.toml"],
        "holds no runs",
    ),
    (
        &["check", "--baseline", "cut_in_header.csv", "other.toml"],
        "cut_in_header.csv:1",
    ),
    (
        &["check", "--baseline", "cut_in_row.csv", "other.toml"],
        "cut_in_row.csv:2",
    ),
    (
        &["check", "--baseline", "empty.csv", "other.toml"],
        "empty file",
    ),
    (
        &["check", "--baseline", "binary.csv", "other.toml"],
        "not valid UTF-8",
    ),
    (
        &["check", "--baseline", "nan.csv", "other.toml"],
        "`write_amp`: not a finite number",
    ),
    (
        &["check", "--baseline", "negative.csv", "other.toml"],
        "not a finite number >= 0: `-1`",
    ),
    (
        &["check", "--baseline", "word.csv", "other.toml"],
        "not a number: `two`",
    ),
    (
        &[
            "check",
            "--baseline",
            "base/runs.csv",
            "--results",
            "cut_in_row.csv",
        ],
        "cut_in_row.csv:2",
    ),
    // Merges of missing, garbage or mismatched directories.
    (&["merge", "nowhere"], "nowhere"),
    (&["merge", "emptydir"], "emptydir: no manifest.json"),
    (
        &["merge", "garbagedir"],
        "garbagedir/runs.csv:1: not valid UTF-8",
    ),
    (&["merge", "cuttimeline"], "cuttimeline/timeline.csv"),
    (&["merge", "base", "base"], "shard 0/1 is given twice"),
    (&["merge", "blocker"], "blocker: no manifest.json"),
    (
        &["merge", "base", "--spec", "other.toml"],
        "base is not a shard of other.toml (spec vs shard: sweep `other` vs `run`)",
    ),
];

/// The cases that did not fail as they must: exit code 2, one line
/// `error: ...` holding the needle, no panic, within 30 s (each takes
/// milliseconds; a grid axis once took minutes before it was refused).
fn failed_cases(cases: &[(&[&str], &str)], dir: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    for (args, needle) in cases {
        let start = std::time::Instant::now();
        let o = lsmlab(args, dir);
        let took = start.elapsed();
        let err = String::from_utf8_lossy(&o.stderr);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        let ok = o.status.code() == Some(2)
            && lines.len() == 1
            && lines[0].starts_with("error: ")
            && err.contains(needle)
            && !err.contains("panicked")
            && !err.contains("RUST_BACKTRACE")
            && took < std::time::Duration::from_secs(30);
        if !ok {
            failures.push(format!(
                "{args:?}: exit {:?} after {took:?}, wanted one line with `{needle}`:\n{err}",
                o.status.code()
            ));
        }
    }
    failures
}

#[test]
fn every_bad_input_is_one_line_naming_the_problem_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    write_fixtures(dir.path());
    let failures = failed_cases(CASES, dir.path());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
    eprintln!("{} bad inputs tried", CASES.len());
}

/// Spec text with the usual head and `tail`.
fn spec(tail: &str) -> String {
    format!("{SPEC_HEAD}{tail}")
}

/// Inputs of every kind past their size limit, and settings whose error
/// only shows when a run starts: each refused quickly, in one line naming
/// the file (and line, field, limit or allowed range), exit code 2.
#[test]
fn every_input_has_a_limit_and_run_time_errors_name_the_spec_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, text: &str| std::fs::write(d.join(name), text).unwrap();
    // A spec past 1 MiB (a comment is enough).
    write("huge.toml", &spec(&format!("# {}\n", "x".repeat(1 << 20))));
    // One seed axis of 130,000 values: under the size limit, far past the
    // run limit; refused from its length, before any value is checked.
    let seeds: Vec<String> = (0..130_000).map(|i| i.to_string()).collect();
    write(
        "longaxis.toml",
        &spec(&format!("[grid]\nseed = [{}]\n", seeds.join(","))),
    );
    let axis: Vec<String> = (1..=200).map(|i| i.to_string()).collect();
    write(
        "axis200.toml",
        &spec(&format!("[grid]\nkey_count = [{}]\n", axis.join(","))),
    );
    write(
        "mem.toml",
        &spec("[workload]\nkey_count = 100000000000\npreload = true\n"),
    );
    write("mb.toml", &spec("[engine]\nwrite_buffer_size = \"4mb\"\n"));
    write(
        "valuesize.toml",
        &spec("[workload]\nvalue_size = 100\nvalue_size_min = 10\n"),
    );
    write(
        "equal.toml",
        &spec("[grid]\nwrite_buffer_size = [\"4MiB\", \"4194304\"]\n"),
    );
    write("cross.toml", &spec("[engine]\nl0_file_limit = 30\n"));
    // A RocksDB trace whose second record claims a 4 GiB payload.
    let mut trace = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../workloads/testdata/rocksdb/delete.trace"),
    )
    .unwrap();
    let header_len = u32::from_le_bytes(trace[9..13].try_into().unwrap()) as usize;
    let second = 13 + header_len;
    trace[second + 9..second + 13].copy_from_slice(&u32::MAX.to_le_bytes());
    std::fs::write(d.join("hugerecord.trace"), &trace).unwrap();

    let cases: &[(&[&str], &str)] = &[
        (&["sweep", "huge.toml"], "huge.toml: larger than the limit of 1048576 bytes"),
        (&["sweep", "/dev/zero"], "/dev/zero: larger than the limit of 1048576 bytes"),
        (
            &["check", "--baseline", "/dev/zero", "--results", "/dev/zero"],
            "/dev/zero: line 1 is longer than the limit of 1048576 bytes",
        ),
        (
            &["run", "--workload", "trace:/dev/zero"],
            "/dev/zero:1: line longer than 1048576 bytes",
        ),
        (
            &["run", "--workload", "trace:rocksdb:hugerecord.trace"],
            "declares a 4294967295-byte payload, above the limit of 67108864 bytes",
        ),
        (
            &["sweep", "longaxis.toml"],
            "longaxis.toml:6: `grid.seed`: 1 policy x 1 workload x 1 seed x axes of 130000 values expand to more than 100000 runs",
        ),
        (
            &["sweep", "axis200.toml", "--seeds", "1000"],
            "--seeds 1000: 200 configurations of axis200.toml x 1000 seeds pass the limit of 100000 runs",
        ),
        (
            &["sweep", "mem.toml"],
            "mem.toml:6: `workload.key_count`: run leveled/uniform: key_count = 100000000000",
        ),
        (&["sweep", "mem.toml"], "(this machine's physical memory)"),
        (
            &["run", "--key-count", "100000000000", "--set", "preload=true"],
            "above the limit of",
        ),
        (
            &["sweep", "mb.toml"],
            "mb.toml:6: `engine.write_buffer_size`: invalid option write_buffer_size = 4mb: allowed 4KiB ..= 1TiB (bytes, or with KiB/MiB/GiB/TiB or K/M/G/T, powers of 1024)",
        ),
        (
            &["sweep", "valuesize.toml"],
            "valuesize.toml:6: `workload.value_size`; valuesize.toml:7: `workload.value_size_min`: run leveled/uniform: inconsistent workload parameters: value_size and value_size_min both set the value size",
        ),
        (
            &["run", "--value-size", "100", "--set", "value_size_max=200"],
            "value_size and value_size_max both set the value size",
        ),
        (
            &["sweep", "equal.toml"],
            "equal.toml:6: `grid.write_buffer_size`: value `4194304` equals `4MiB` listed before",
        ),
        (
            &["sweep", "cross.toml"],
            "cross.toml:6: `engine.l0_file_limit`: run leveled/uniform: invalid option l0_slowdown_limit = 20: allowed l0_file_limit (30) ..= 1048576",
        ),
    ];
    let failures = failed_cases(cases, d);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Accepted, documented forms: `wal = "yes"` and RocksDB's `4M` sizes run;
/// a policy parameter the policy ignores is a warning naming the policies
/// that use it, and the sweep goes on.
#[test]
fn documented_acceptances_run_and_an_ignored_policy_parameter_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = "name = \"t\"\nworkloads = [\"uniform\"]\nops = 300\n[policy]\nname = \"leveled\"\n\
                max_table_files_size = 5\n[engine]\nwal = \"yes\"\nwrite_buffer_size = \"4M\"\n";
    std::fs::write(d.join("ok.toml"), text).unwrap();
    let o = lsmlab(
        &[
            "sweep",
            "ok.toml",
            "--quiet",
            "--notebooks-out",
            "nb",
            "--reports-out",
            "rp",
        ],
        d,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains(
            "warning: ok.toml:6: `policy.max_table_files_size` is ignored by leveled; the policies that use it: fifo"
        ),
        "{err}"
    );
    let runs = std::fs::read_to_string(d.join("nb/t/runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 2, "{runs}");
}
