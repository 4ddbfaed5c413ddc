//! Data-driven tests of every picker: a tree as text in, the chosen job out
//! (files under `engine/testdata/pickers/`; `LSMLAB_REWRITE=1` rewrites the
//! expected output).
//!
//! Commands:
//! - `define policy=NAME [option=value ...]`: the tree (fixture text) and
//!   the options (`l0_file_limit`, `l1_base_bytes`, `level_size_multiplier`,
//!   `base_file_size`, `num_levels`, and every policy parameter); prints it.
//! - `pick [busy=N,N] [now=MS] [last_level=L]`: the job, or `no job`.
//! - `pick-and-install [now=MS]`: picks, then installs the job as metadata
//!   (a merge becomes one output file spanning its inputs), and prints the
//!   job and the new tree; the next `pick` sees that tree.
//! - `stall-count`: the count the L0 slowdown and stop limits apply to
//!   (`Strategy::l0_delay_trigger_count`), or `no stall count`.
//! - `flush-cuts size=N lo=KEY hi=KEY`: the user keys a flush of `size`
//!   bytes over `lo..=hi` is cut at (`Strategy::flush_split_points`), or
//!   `no cuts`.

use std::collections::HashSet;
use std::sync::Arc;

use super::{registry, FallbackParams, FlushSpan, Job, JobKind, PickContext, Strategy};
use crate::datadriven::{run_file, Case};
use crate::options::Options;
use crate::version::fixture::{
    format_user_key, format_version, parse_size, parse_user_key, parse_version,
};
use crate::version::{FileMeta, Version, VersionEdit};

struct State {
    options: Options,
    strategy: Arc<dyn Strategy>,
    version: Version,
    last_level: Option<usize>,
    next_number: u64,
}

/// The options of a `define`: `policy=NAME` (default leveled), then every
/// other argument but `last_level` as a parameter by name, in the units
/// `--set` takes.
fn options_from(case: &Case) -> Options {
    let mut o = Options::default();
    let fail = |e: crate::Error| panic!("line {}: {e}", case.line);
    o.set("policy", case.arg("policy").unwrap_or("leveled"))
        .unwrap_or_else(fail);
    for (name, value) in &case.args {
        if name != "policy" && name != "last_level" {
            o.set(name, value).unwrap_or_else(fail);
        }
    }
    o
}

fn busy_from(case: &Case) -> HashSet<u64> {
    case.arg("busy")
        .map(|list| {
            list.split(',')
                .map(|n| {
                    n.parse()
                        .unwrap_or_else(|_| panic!("line {}: bad busy file `{n}`", case.line))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The edit a job would install, with a merge's outputs summarized as one
/// file spanning the inputs (written at `created_ms`, when recorded).
fn metadata_edit(job: &Job, next_number: &mut u64, created_ms: Option<u64>) -> VersionEdit {
    let mut edit = VersionEdit::new();
    for (level, f) in job.input_files() {
        edit.delete_file(level, f.number);
    }
    match job.kind {
        JobKind::Drop => {}
        JobKind::TrivialMove => {
            let first = job.input_files().next().map(|(_, f)| f.number);
            let run = job.output_run.or(first).unwrap();
            for (_, f) in job.input_files() {
                edit.add_file_to_run(job.output_level, run, f.as_ref().clone());
            }
        }
        JobKind::Merge => {
            let files: Vec<&Arc<FileMeta>> = job.input_files().map(|(_, f)| f).collect();
            let smallest = files
                .iter()
                .map(|f| &f.smallest)
                .min_by(|a, b| crate::key::compare_internal(a, b))
                .unwrap();
            let largest = files
                .iter()
                .map(|f| &f.largest)
                .max_by(|a, b| crate::key::compare_internal(a, b))
                .unwrap();
            let out = FileMeta {
                number: *next_number,
                size: files.iter().map(|f| f.size).sum(),
                smallest: smallest.clone(),
                largest: largest.clone(),
                entries: files.iter().map(|f| f.entries).sum(),
                tombstones: 0,
                smallest_seq: files.iter().map(|f| f.smallest_seq).min().unwrap(),
                largest_seq: files.iter().map(|f| f.largest_seq).max().unwrap(),
                max_expiry_ms: None,
                oldest_time_ms: files.iter().map(|f| f.oldest_time_ms).min().unwrap(),
                newest_time_ms: files.iter().map(|f| f.newest_time_ms).max().unwrap(),
                marks: Default::default(),
                created_ms,
                kept_for_snapshots: false,
                oldest_tombstone_ms: None,
                narrowed: false,
            };
            let run = job.output_run.unwrap_or(out.number);
            *next_number += 1;
            edit.add_file_to_run(job.output_level, run, out);
        }
    }
    if let Some((level, k)) = &job.cursor_update {
        edit.set_cursor(*level, k.clone());
    }
    edit
}

fn run_case(state: &mut Option<State>, case: &Case) -> String {
    match case.command.as_str() {
        "define" => {
            let options = options_from(case);
            let version = match parse_version(&case.input, options.num_levels) {
                Ok(v) => v,
                Err(e) => return format!("error: {e}\n"),
            };
            let strategy = (options.compaction.policy.build)(&options.compaction);
            let next_number = version.all_file_numbers().into_iter().max().unwrap_or(0) + 1;
            let out = format_version(&version);
            *state = Some(State {
                options,
                strategy,
                version,
                last_level: case.arg("last_level").map(|l| l.parse().unwrap()),
                next_number,
            });
            out
        }
        "pick" | "pick-and-install" => {
            let s = state
                .as_mut()
                .unwrap_or_else(|| panic!("line {}: pick before define", case.line));
            let busy = busy_from(case);
            let ctx = PickContext {
                options: &s.options,
                busy: &busy,
                now_ms: case.arg_or("now", 0u64),
                last_level: case
                    .arg("last_level")
                    .map(|l| l.parse().unwrap())
                    .or(s.last_level),
                oldest_snapshot: case.arg("oldest_snapshot").map(|n| n.parse().unwrap()),
            };
            let Some(job) = s.strategy.pick(&s.version, &ctx) else {
                return "no job\n".into();
            };
            if let Some(b) = job.input_files().find(|(_, f)| busy.contains(&f.number)) {
                panic!("line {}: job takes busy file {:06}", case.line, b.1.number);
            }
            let mut out = format!("{job}\n");
            if case.command == "pick-and-install" {
                // As the engine: creation times are recorded while periodic
                // compaction is on.
                let periodic = FallbackParams::from_options(&s.options.compaction).periodic_ms > 0;
                let created = periodic.then_some(ctx.now_ms);
                let edit = metadata_edit(&job, &mut s.next_number, created);
                s.version = s
                    .version
                    .apply(&edit)
                    .unwrap_or_else(|e| panic!("line {}: job does not apply: {e}", case.line));
                s.last_level = job.inputs.first().map(|i| i.level);
                out.push_str(&format_version(&s.version));
            }
            out
        }
        "stall-count" => {
            let s = state
                .as_ref()
                .unwrap_or_else(|| panic!("line {}: stall-count before define", case.line));
            match s.strategy.l0_delay_trigger_count(&s.version) {
                Some(n) => format!("l0_delay_trigger_count {n}\n"),
                None => "no stall count\n".into(),
            }
        }
        "flush-cuts" => {
            let s = state
                .as_ref()
                .unwrap_or_else(|| panic!("line {}: flush-cuts before define", case.line));
            let arg = |name: &str| {
                case.arg(name)
                    .unwrap_or_else(|| panic!("line {}: flush-cuts needs {name}=", case.line))
            };
            let key = |name: &str| {
                parse_user_key(arg(name))
                    .unwrap_or_else(|| panic!("line {}: bad key in {name}=", case.line))
            };
            let bytes =
                parse_size(arg("size")).unwrap_or_else(|e| panic!("line {}: {e}", case.line));
            let (lo, hi) = (key("lo"), key("hi"));
            let flush = FlushSpan {
                smallest: &lo,
                largest: &hi,
                bytes,
            };
            let cuts = s
                .strategy
                .flush_split_points(&s.version, &s.options, &flush);
            if cuts.is_empty() {
                "no cuts\n".into()
            } else {
                let keys: Vec<String> = cuts.iter().map(|k| format_user_key(k)).collect();
                format!("cuts {}\n", keys.join(" "))
            }
        }
        other => panic!("line {}: unknown command `{other}`", case.line),
    }
}

#[test]
fn pickers_choose_as_the_fixtures_say() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pickers");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    // Every registered policy has its golden fixture, named after it, that
    // defines a tree under it.
    for policy in registry::builtin().policies() {
        let path = dir.join(fixture_name(policy.name));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "policy {} has no picker fixture: add {}",
                policy.name,
                path.display()
            )
        });
        assert!(
            text.contains(&format!("policy={}", policy.name)),
            "{} defines no tree under policy={}",
            path.display(),
            policy.name
        );
    }
    for path in files {
        let mut state = None;
        run_file(&path, |case| run_case(&mut state, case));
    }
}

/// The fixture file of a policy: its name with `-` as `_`, `.txt`.
fn fixture_name(policy: &str) -> String {
    format!("{}.txt", policy.replace('-', "_"))
}
