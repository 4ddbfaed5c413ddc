use super::*;

/// A benchmark small enough for a debug build, with a write buffer small
/// enough that flushes and compactions happen.
fn tiny(benchmarks: &[Phase]) -> BenchConfig {
    let settings = [
        ("write_buffer_size".to_string(), "16KiB".to_string()),
        ("max_bytes_for_level_base".to_string(), "64KiB".to_string()),
        ("target_file_size_base".to_string(), "16KiB".to_string()),
    ];
    BenchConfig {
        benchmarks: benchmarks.to_vec(),
        num: 2000,
        reads: Some(500),
        options: build_options("leveled", "background", &settings).unwrap(),
        ..BenchConfig::default()
    }
}

fn run_quiet(cfg: &BenchConfig) -> (BenchReport, String) {
    let mut out = Vec::new();
    let report = run(cfg, &mut out).unwrap();
    (report, String::from_utf8(out).unwrap())
}

#[test]
fn every_phase_runs_and_reads_find_every_key_written() {
    let cfg = tiny(&Phase::ALL);
    let (report, text) = run_quiet(&cfg);
    let names: Vec<_> = report.phases.iter().map(|r| r.phase).collect();
    assert_eq!(names, Phase::ALL);
    for r in &report.phases {
        assert!(r.ops > 0 && r.ops_per_sec() > 0.0, "{r:?}");
        assert_eq!(r.latency.count(), r.ops, "{:?}", r.phase);
        assert!(text.contains(r.phase.name()), "{text}");
    }
    let by = |p: Phase| report.phases.iter().find(|r| r.phase == p).unwrap();
    assert_eq!(by(Phase::FillSeq).ops, 2000);
    assert_eq!(by(Phase::FillSeq).bytes, 2000 * 116);
    for p in [
        Phase::ReadRandom,
        Phase::ReadWhileWriting,
        Phase::SeekRandom,
    ] {
        assert_eq!((by(p).ops, by(p).found), (500, Some(500)), "{p:?}");
    }
    assert!(by(Phase::ReadWhileWriting).writes.is_some());
    // The fills start fresh databases; the rest reuse filluniquerandom's,
    // which holds every key.
    let dbs: Vec<_> = report
        .dbs
        .iter()
        .map(|d| (d.name, d.phases.len()))
        .collect();
    assert_eq!(
        dbs,
        [("fillseq", 1), ("fillrandom", 1), ("filluniquerandom", 5)]
    );
    for db in &report.dbs[..2] {
        assert_eq!(db.stats.user_bytes, 2000 * 116, "{}", db.name);
    }
    assert!(report.dbs[2].stats.flushes > 0, "{:?}", report.dbs[2].stats);
    assert!(
        text.contains("p99.9(us)") && text.contains("write_amp"),
        "{text}"
    );
    assert!(text.contains("Level"), "{text}");
}

/// db_bench's fillrandom and overwrite draw keys with repetition, so a
/// fill leaves about 1 - 1/e of the keys present and a fill and an
/// overwrite about 1 - 1/e^2; filluniquerandom writes every key.
#[test]
fn fillrandom_draws_keys_with_repetition_as_db_bench_does() {
    let found = |phases: &[Phase]| {
        let mut cfg = tiny(phases);
        cfg.reads = Some(4000);
        let (report, _) = run_quiet(&cfg);
        let r = report.phases.last().unwrap();
        r.found.unwrap() as f64 / r.ops as f64
    };
    let fill = found(&[Phase::FillRandom, Phase::ReadRandom]);
    assert!((0.58..0.68).contains(&fill), "after fillrandom: {fill}");
    let both = found(&[Phase::FillRandom, Phase::Overwrite, Phase::ReadRandom]);
    assert!((0.82..0.91).contains(&both), "after overwrite too: {both}");
    let unique = found(&[Phase::FillUniqueRandom, Phase::ReadRandom]);
    assert_eq!(unique, 1.0);
    // A seek counts as found when it lands on the key sought, as in
    // db_bench: not when it only returns the next key.
    let seeks = found(&[Phase::FillRandom, Phase::SeekRandom]);
    assert!(
        (0.58..0.68).contains(&seeks),
        "seeks after fillrandom: {seeks}"
    );
}

#[test]
fn a_read_phase_without_a_database_loads_one_first() {
    let (report, text) = run_quiet(&tiny(&[Phase::ReadRandom]));
    assert!(text.contains("load: 2000 keys"), "{text}");
    assert_eq!(report.dbs[0].name, "load");
    assert_eq!(report.phases[0].found, Some(500));
}

#[test]
fn reads_are_split_over_the_reader_threads() {
    let mut cfg = tiny(&[Phase::FillSeq, Phase::ReadRandom, Phase::ReadWhileWriting]);
    cfg.threads = 3;
    cfg.reads = Some(1000);
    let (report, _) = run_quiet(&cfg);
    for r in &report.phases[1..] {
        assert_eq!(
            (r.ops, r.found, r.latency.count()),
            (1000, Some(1000), 1000)
        );
    }
}

#[test]
fn seeks_return_up_to_scan_length_entries() {
    let mut cfg = tiny(&[Phase::FillSeq, Phase::SeekRandom]);
    cfg.scan_length = 5;
    let (report, _) = run_quiet(&cfg);
    let seek = &report.phases[1];
    // Seeks near the last key return fewer entries.
    assert!(
        seek.bytes <= 500 * 5 * 116 && seek.bytes > 500 * 4 * 116,
        "{seek:?}"
    );
}

#[test]
fn disk_databases_get_a_fresh_directory_each_time() {
    let base = tempfile::tempdir().unwrap();
    let mut cfg = tiny(&[Phase::FillRandom, Phase::ReadRandom]);
    cfg.fs = FsChoice::Disk(base.path().to_path_buf());
    let (first, _) = run_quiet(&cfg);
    assert!(base.path().join("fillrandom/CURRENT").exists());
    assert_eq!(
        first.dbs[0].location,
        base.path().join("fillrandom").display().to_string()
    );
    // Again over the old database: it is deleted and rebuilt, the same
    // keys drawn.
    let (second, _) = run_quiet(&cfg);
    assert_eq!(second.phases[1].found, first.phases[1].found);
    assert_eq!(second.dbs[0].stats.user_bytes, 2000 * 116);
}

#[test]
fn preparing_a_database_directory_empties_it() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("db");
    let db = Db::open(&dir, Options::default()).unwrap();
    db.put(b"k", b"v").unwrap();
    db.flush().unwrap();
    db.close().unwrap();
    assert!(std::fs::read_dir(&dir).unwrap().count() >= 3);
    prepare_dir(&dir).unwrap();
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    prepare_dir(&dir).unwrap();
    prepare_dir(&base.path().join("new/deeper")).unwrap();
    assert!(base.path().join("new/deeper").is_dir());
}

#[test]
fn a_directory_that_is_not_a_database_is_never_deleted() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("fillseq");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("CURRENT"), "MANIFEST-000001\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let mut cfg = tiny(&[Phase::FillSeq]);
    cfg.fs = FsChoice::Disk(base.path().to_path_buf());
    let e = run(&cfg, &mut Vec::new()).unwrap_err().to_string();
    assert!(e.contains("not an lsmlab database"), "{e}");
    assert!(dir.join("notes.txt").exists());

    std::fs::remove_file(dir.join("notes.txt")).unwrap();
    std::fs::create_dir(dir.join("000001.sst")).unwrap();
    assert!(
        run(&cfg, &mut Vec::new()).is_err(),
        "a subdirectory is foreign"
    );
    assert!(dir.join("000001.sst").is_dir());
}

#[test]
fn options_take_policy_mode_and_settings_by_any_name_in_any_order() {
    let set = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    };
    let o = build_options(
        "size-tiered",
        "deterministic",
        &set(&[
            ("level0_file_num_compaction_trigger", "30"),
            ("l0_slowdown_limit", "40"),
            ("l0_stop_limit", "50"),
            ("min_threshold", "6"),
        ]),
    )
    .unwrap();
    assert_eq!(o.compaction.policy.name, "size-tiered");
    assert_eq!(o.mode, Mode::Deterministic);
    assert_eq!((o.l0_file_limit, o.l0_slowdown_limit), (30, 40));
    assert_eq!(o.compaction.int("min_threshold"), 6);
    assert_eq!(
        build_options("leveled", "Background", &[]).unwrap().mode,
        Mode::Background
    );
    // Filters are cache-local as db_bench's are, unless set otherwise.
    use lsmlab_engine::sst::bloom::BloomLayout;
    assert_eq!(o.bloom_layout, BloomLayout::CacheLocal);
    let whole = build_options("leveled", "background", &set(&[("bloom_layout", "whole")]));
    assert_eq!(whole.unwrap().bloom_layout, BloomLayout::Whole);

    let err = |policy, mode, pairs: &[(&str, &str)]| {
        build_options(policy, mode, &set(pairs))
            .unwrap_err()
            .to_string()
    };
    let e = err("leveled", "background", &[("theta", "0.5")]);
    assert!(e.contains("workload parameter"), "{e}");
    let e = err("leveled", "background", &[("l0_file_limt", "4")]);
    assert!(e.contains("unknown parameter `l0_file_limt`"), "{e}");
    let e = err("leveled", "background", &[("l0_file_limit", "0")]);
    assert!(e.contains("l0_file_limit") && e.contains("1 ..="), "{e}");
    let e = err("leveled", "sideways", &[]);
    assert!(e.contains("deterministic | background"), "{e}");
    let e = err("tiered-ish", "background", &[]);
    assert!(e.contains("tiered-ish"), "{e}");
    let e = err("leveled", "background", &[("l0_stop_limit", "2")]);
    assert!(e.contains("l0_stop_limit"), "{e}");
}

#[test]
fn benchmark_lists_keep_their_order_and_name_the_valid_phases() {
    assert_eq!(
        Phase::parse_list("readrandom, fillseq,readrandom").unwrap(),
        [Phase::ReadRandom, Phase::FillSeq, Phase::ReadRandom]
    );
    let e = Phase::parse_list("fillseq,fillrandon")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown benchmark `fillrandon`"), "{e}");
    assert!(e.contains("readwhilewriting"), "{e}");
    assert!(Phase::parse_list(" , ").is_err());
}

#[test]
fn out_of_range_settings_name_the_flag() {
    let check = |f: fn(&mut BenchConfig), flag: &str| {
        let mut c = BenchConfig::default();
        f(&mut c);
        let e = c.validate().unwrap_err().to_string();
        assert!(e.starts_with(flag), "{e}");
    };
    check(|c| c.num = 0, "--num 0");
    check(|c| c.reads = Some(0), "--reads 0");
    check(|c| c.key_size = 4, "--key-size 4");
    check(|c| c.value_size = 2 << 20, "--value-size");
    check(|c| c.threads = 0, "--threads 0");
    check(|c| c.scan_length = 0, "--scan-length 0");
    BenchConfig::default().validate().unwrap();
}

#[test]
fn json_holds_every_phase_with_its_percentiles() {
    let cfg = tiny(&[Phase::FillSeq, Phase::ReadRandom]);
    let (report, _) = run_quiet(&cfg);
    let j = to_json(&cfg, &report);
    assert_eq!(j["config"]["num"], 2000);
    assert_eq!(j["phases"][1]["phase"], "readrandom");
    assert_eq!(j["phases"][1]["found"], 500);
    for q in ["p50", "p99", "p99.9", "max"] {
        assert!(
            j["phases"][0]["latency_us"][q].as_f64().unwrap() > 0.0,
            "{q}"
        );
    }
    assert_eq!(j["databases"][0]["levels"][0]["level"], "L0");
}

#[test]
fn db_bench_compaction_flags_choose_policies_by_rocksdb_names() {
    let chosen = |style: Option<&str>, pri: Option<&str>| {
        let name = policy_from_db_bench(style, pri).unwrap()?;
        let mut o = Options::default();
        o.set("policy", &name).unwrap();
        Some(o.compaction.policy.name)
    };
    assert_eq!(chosen(None, None), None, "neither flag: --policy decides");
    assert_eq!(chosen(Some("0"), None), Some("leveled"));
    assert_eq!(chosen(Some("2"), None), Some("fifo"));
    assert_eq!(chosen(None, Some("3")), Some("min-overlap"));
    assert_eq!(chosen(Some("0"), Some("4")), Some("round-robin"));
    assert_eq!(chosen(Some("level"), Some("0")), Some("leveled"));
    assert_eq!(chosen(None, Some("1")), Some("oldest-largest-seq"));
    assert_eq!(chosen(Some("0"), Some("2")), Some("oldest-smallest-seq"));
    assert_eq!(chosen(Some("1"), None), Some("universal"));
    assert_eq!(chosen(Some("1"), Some("3")), Some("universal"));
    // Style 3 (none) and priorities RocksDB does not have are not simulated.
    for (style, pri) in [(Some("3"), None), (None, Some("5"))] {
        let err = policy_from_db_bench(style, pri).unwrap_err().to_string();
        assert!(err.contains("not simulated"), "{err}");
    }
}

#[test]
fn a_duration_cuts_a_phase_short_and_counts_what_it_did() {
    let mut cfg = tiny(&[Phase::FillRandom, Phase::ReadRandom]);
    cfg.num = 50_000_000;
    cfg.reads = Some(50_000_000);
    cfg.duration = Some(std::time::Duration::from_millis(200));
    let (report, _) = run_quiet(&cfg);
    for r in &report.phases {
        assert!(r.ops > 0 && r.ops < cfg.num, "{:?}: {} ops", r.phase, r.ops);
        assert!(r.seconds < 20.0, "{:?} ran {} s", r.phase, r.seconds);
    }
}

#[test]
fn an_existing_database_in_db_is_reused_and_a_fill_on_it_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut cfg = tiny(&[Phase::FillUniqueRandom]);
    cfg.db = Some(db.clone());
    run_quiet(&cfg);
    cfg.use_existing_db = true;
    cfg.benchmarks = vec![Phase::ReadRandom];
    let (report, text) = run_quiet(&cfg);
    assert_eq!(report.phases[0].found, Some(500), "{text}");
    assert!(
        !text.contains("load:"),
        "no load on an existing database: {text}"
    );
    cfg.benchmarks = vec![Phase::FillSeq];
    let err = run(&cfg, &mut Vec::new()).unwrap_err().to_string();
    assert!(err.contains("fillseq needs a fresh database"), "{err}");
    cfg.db = Some(dir.path().join("nothing-here"));
    cfg.benchmarks = vec![Phase::ReadRandom];
    let err = run(&cfg, &mut Vec::new()).unwrap_err().to_string();
    assert!(err.contains("no lsmlab database here"), "{err}");
}

/// A reader thread the operating system refuses (here: a stack no
/// machine can map) ends the phase with an error naming the thread, not a
/// panic; with readers racing a writer, the writer stops too.
#[test]
fn a_reader_thread_that_cannot_start_is_an_error_not_a_panic() {
    for phase in [Phase::ReadRandom, Phase::ReadWhileWriting] {
        let cfg = BenchConfig {
            threads: 2,
            reader_stack_size: Some(1 << 60),
            ..tiny(&[Phase::FillRandom, phase])
        };
        let e = run(&cfg, &mut Vec::new()).unwrap_err();
        assert!(matches!(e, BenchError::Threads(_)), "{e:?}");
        let text = e.to_string();
        assert!(
            text.starts_with("starting reader thread 1 of 2: ")
                && text.ends_with("; lower --threads"),
            "{text}"
        );
    }
}

/// `--benchmark_write_rate_limit` holds the fills and readwhilewriting's
/// writer to the rate: a phase takes at least its bytes over the rate (a
/// slow machine only makes it longer), and the writer writes no more than
/// the rate allows in the time the readers took.
#[test]
fn a_write_rate_limit_holds_the_writers_to_it() {
    let rate = 200_000; // bytes per second: 1,724 puts of 116 bytes
    let mut cfg = tiny(&[Phase::FillRandom, Phase::ReadWhileWriting]);
    cfg.write_rate_limit = Some(rate);
    cfg.reads = Some(20_000);
    let (report, text) = run_quiet(&cfg);
    assert!(text.contains("writes held to 200000 bytes/s"), "{text}");
    let fill = &report.phases[0];
    let least = (cfg.num * cfg.entry_bytes()) as f64 / rate as f64;
    assert!(
        fill.seconds >= least - 0.002,
        "{} s < {least} s",
        fill.seconds
    );
    let rww = &report.phases[1];
    let writes = rww.writes.unwrap();
    let most = rww.seconds * rate as f64 / cfg.entry_bytes() as f64 + 20.0;
    assert!(
        (writes as f64) <= most,
        "{writes} writes in {} s",
        rww.seconds
    );
    // Without a limit the same fill runs far faster.
    cfg.write_rate_limit = None;
    cfg.benchmarks = vec![Phase::FillRandom];
    let (free, _) = run_quiet(&cfg);
    assert!(
        free.phases[0].seconds < fill.seconds,
        "{} s",
        free.phases[0].seconds
    );
}

/// The untimed steps make no result rows; `compact` leaves every key in
/// one level below L0, which `levelstats` shows and the reads then find.
#[test]
fn untimed_steps_set_the_tree_the_next_phase_reads() {
    let benchmarks = Phase::parse_list(
        "filluniquerandom,levelstats,flush,waitforcompaction,compact,levelstats,readrandom",
    )
    .unwrap();
    let (report, text) = run_quiet(&tiny(&benchmarks));
    let timed: Vec<_> = report.phases.iter().map(|r| r.phase).collect();
    assert_eq!(timed, [Phase::FillUniqueRandom, Phase::ReadRandom]);
    let read = &report.phases[1];
    assert_eq!((read.ops, read.found), (500, Some(500)));
    let db = &report.dbs[0];
    assert_eq!(db.phases, benchmarks);
    // After compact: one level below L0 holds every file.
    let levels: Vec<(String, usize)> = db
        .level_stats
        .rows
        .iter()
        .filter(|r| r.level.starts_with('L') && r.files > 0)
        .map(|r| (r.level.clone(), r.files))
        .collect();
    assert_eq!(levels.len(), 1, "{text}");
    assert_ne!(levels[0].0, "L0", "{text}");
    // The last levelstats block shows that level alone, in db_bench's
    // layout (level, files, MB).
    let last = text.rsplit("levelstats:\n").next().unwrap();
    let shown: Vec<(String, usize)> = last
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .take_while(|f| f.len() == 3)
        .map(|f| (format!("L{}", f[0]), f[1].parse().unwrap()))
        .filter(|(_, files)| *files > 0)
        .collect();
    assert_eq!(shown, levels, "{text}");
    assert!(
        text.contains(&format!(
            "compact: every level merged into {} (",
            levels[0].0
        )),
        "{text}"
    );
}
