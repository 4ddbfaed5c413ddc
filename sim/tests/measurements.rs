//! The lab's measurements against what they should show: read cost measured
//! during the run separating L0 triggers, the block cache, seeds grouped by
//! configuration, delete persistence, scan cost, the per-level write split,
//! and leveled and tiered write amplification against their models at four
//! levels.

use lsmlab::aggregate::configurations;
use lsmlab::catalog::Catalog;
use lsmlab::results::RunRecord;
use lsmlab::runner::FsChoice;
use lsmlab::spec::{RunSpec, SweepSpec};
use lsmlab::sweep::run_all;

fn records(spec: &str) -> Vec<RunRecord> {
    let spec = SweepSpec::parse(spec, "test.toml", &Catalog).unwrap();
    let runs = spec.runs();
    let refs: Vec<&RunSpec> = runs.iter().collect();
    run_all(&refs, &FsChoice::MEM, 2, false)
        .unwrap()
        .into_iter()
        .map(|o| o.record)
        .collect()
}

fn find<'a>(records: &'a [RunRecord], id: &str) -> &'a RunRecord {
    records
        .iter()
        .find(|r| r.run_id == id)
        .unwrap_or_else(|| panic!("no run {id}"))
}

fn column(r: &RunRecord, name: &str) -> u64 {
    r.breakdown
        .iter()
        .find(|(n, _)| n == name)
        .map_or(0, |(_, v)| *v)
}

const L0_SPEC: &str = r#"
name = "l0"
seed = 3
ops = 30000
policy = "leveled"
[workload]
preset = "uniform"
key_count = 8000
value_size = 100
[engine]
write_buffer_size = "32KiB"
l1_base_bytes = "128KiB"
base_file_size = "32KiB"
l0_slowdown_limit = 20
l0_stop_limit = 36
bloom_bits_per_key = 0
[grid]
l0_file_limit = [2, 8]
"#;

#[test]
fn probes_during_the_run_see_the_l0_files_a_settled_tree_does_not() {
    let rs = records(L0_SPEC);
    let (two, eight) = (
        find(&rs, "leveled/uniform/l0_file_limit=2"),
        find(&rs, "leveled/uniform/l0_file_limit=8"),
    );
    for r in [two, eight] {
        assert_eq!(r.metrics.lookups, 10_000, "{}", r.run_id);
    }
    // Without filters every overlapping L0 file a lookup passes costs a block.
    assert!(
        eight.metrics.read_amp > 1.2 * two.metrics.read_amp,
        "{} vs {}",
        eight.metrics.read_amp,
        two.metrics.read_amp
    );
    assert!(eight.metrics.read_amp_p99 > two.metrics.read_amp_p99);
    // The settled figure is measured on its own, after the final compaction.
    assert!(two.metrics.read_amp_settled > 0.0 && eight.metrics.read_amp_settled > 0.0);
    // Probes are reads: the writes are those of a run without them.
    let no_probes = records(&format!("probe_rate = 0\n{L0_SPEC}"));
    let quiet = find(&no_probes, "leveled/uniform/l0_file_limit=8");
    assert_eq!(quiet.metrics.lookups, 0);
    assert_eq!(quiet.metrics.write_amp, eight.metrics.write_amp);
    assert_eq!(quiet.metrics.space_amp, eight.metrics.space_amp);
}

#[test]
fn a_block_cache_serves_repeated_reads_and_leaves_writes_alone() {
    let spec = L0_SPEC.replace(
        "[grid]\nl0_file_limit = [2, 8]",
        "[grid]\nblock_cache_size = [0, 4194304]",
    );
    let rs = records(&spec);
    let (none, cached) = (
        find(&rs, "leveled/uniform/block_cache_size=0"),
        find(&rs, "leveled/uniform/block_cache_size=4194304"),
    );
    assert_eq!(none.metrics.cache_hit_rate, 0.0);
    assert!(cached.metrics.cache_hit_rate > 0.2, "{:?}", cached.metrics);
    assert!(cached.metrics.read_amp < none.metrics.read_amp);
    assert_eq!(cached.metrics.write_amp, none.metrics.write_amp);
}

#[test]
fn seeds_run_every_configuration_and_group_back() {
    let spec = r#"
name = "seeds"
seed = 5
seeds = 3
ops = 4000
policies = ["leveled", "size-tiered"]
workloads = ["uniform"]
[workload]
key_count = 2000
[engine]
write_buffer_size = "16KiB"
l1_base_bytes = "64KiB"
base_file_size = "16KiB"
"#;
    let rs = records(spec);
    let ids: Vec<&str> = rs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "leveled/uniform/seed=5",
            "leveled/uniform/seed=6",
            "leveled/uniform/seed=7",
            "size-tiered/uniform/seed=5",
            "size-tiered/uniform/seed=6",
            "size-tiered/uniform/seed=7",
        ]
    );
    let cs = configurations(&rs);
    assert_eq!(cs.len(), 2);
    let wa = cs[0].spread("write_amp").unwrap();
    assert_eq!(wa.n, 3);
    assert!(wa.min < wa.max, "seeds differ: {wa:?}");
}

#[test]
fn deletes_scans_and_the_write_split_are_measured() {
    let spec = r#"
name = "mixed"
seed = 9
ops = 20000
policy = "leveled"
[workload]
preset = "ycsb-e"
key_count = 4000
delete_fraction = 0.1
[engine]
write_buffer_size = "16KiB"
l1_base_bytes = "64KiB"
base_file_size = "16KiB"
"#;
    let rs = records(spec);
    let m = &rs[0].metrics;
    assert!(m.scans > 0);
    let blocks = m.scan_blocks.unwrap();
    assert!(blocks >= 1.0, "{m:?}");
    assert!(m.scan_blocks_p99.unwrap() >= blocks.floor());
    assert!(m.scan_sorted_runs.unwrap() >= 1.0);
    let (mean, max) = (
        m.delete_persistence_mean_s.unwrap(),
        m.delete_persistence_max_s.unwrap(),
    );
    assert!(0.0 <= mean && mean <= max, "{mean} {max}");
    // Every byte written is attributed to a level and to a reason.
    let r = &rs[0];
    let written = m.flush_bytes + m.compaction_write_bytes;
    let by_level: u64 = (0..7)
        .map(|l| column(r, &format!("write_bytes_L{l}")))
        .sum();
    let by_reason: u64 = r
        .breakdown
        .iter()
        .filter(|(n, _)| n.starts_with("write_bytes_") && !n.starts_with("write_bytes_L"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(by_level, written);
    assert_eq!(by_reason, written);
    assert_eq!(column(r, "write_bytes_flush"), m.flush_bytes);
    assert_eq!(column(r, "write_bytes_L0"), m.flush_bytes);
}

/// Leveled (T = 4) and size-tiered (min_threshold 4) inserting 4.6 MB,
/// enough for four levels below L0 (64 KiB, 256 KiB, 1 MiB, 4 MiB): measured
/// write amplification lands within a stated band of the models
/// (theory.rs). Inserts (a million-key space, 40,000 puts) because the
/// models assume data that grows; `min_sstable_size = 0` because
/// Cassandra's 50 MB default puts every small run in one bucket, which no
/// tiering model describes.
#[test]
fn leveled_and_tiered_write_amp_land_near_their_models_at_four_levels() {
    let rs = records(&theory_spec(
        "theory",
        r#"["leveled", "size-tiered"]"#,
        "min_threshold = 4\nmin_sstable_size = 0",
    ));
    let leveled = find(&rs, "leveled/uniform");
    assert!(
        column(leveled, "level_bytes_L4") > 0,
        "four levels below L0"
    );
    assert_near_model(leveled, LEVELED_BAND);
    assert_near_model(find(&rs, "size-tiered/uniform"), TIERED_BAND);
}

/// 40,000 inserts of 100-byte values into a million-key space under
/// `policies`, with 16 KiB flushes and files, a 64 KiB L1 and ratio 4: four
/// levels below L0 for the leveled shapes; `policy` holds the `[policy]`
/// lines.
fn theory_spec(name: &str, policies: &str, policy: &str) -> String {
    format!(
        r#"
name = "{name}"
seed = 1
ops = 40000
policies = {policies}
probe_rate = 0
[workload]
preset = "uniform"
key_count = 1000000
value_size = 100
[engine]
write_buffer_size = "16KiB"
l1_base_bytes = "64KiB"
base_file_size = "16KiB"
level_size_multiplier = 4
[policy]
{policy}
"#
    )
}

/// Measured write amplification over the run's model lies in `band`.
fn assert_near_model(r: &RunRecord, band: (f64, f64)) {
    let model = r.metrics.model_write_amp.expect("a model applies");
    let ratio = r.metrics.write_amp / model;
    assert!(
        band.0 <= ratio && ratio <= band.1,
        "{}: measured {} model {model} ratio {ratio}",
        r.run_id,
        r.metrics.write_amp
    );
}

/// measured / model for leveling: the model charges each level (T+1)/2
/// rewrites per byte, a whole-level merge; picking one file at a time
/// rewrites closer to T per level (measured 1.34 at this scale).
const LEVELED_BAND: (f64, f64) = (0.7, 1.6);
/// measured / model for tiering (measured 0.79: the top tier is still
/// filling, so the last merge the model counts has not happened yet).
const TIERED_BAND: (f64, f64) = (0.6, 1.3);

/// The policies that declare their own models (lazy leveling's Fluid
/// formula with K = T-1, Z = 1; UCS's per-level formula for `T4`; Cassandra
/// LCS's leveling with its fanout; TWCS's tiers within one window) inserting
/// the same 4.6 MB as above: each lands within its stated band.
#[test]
fn every_declared_model_lands_near_its_policy_at_four_levels() {
    let rs = records(&theory_spec(
        "theory-families",
        r#"["lazy-leveling", "ucs", "lcs", "twcs"]"#,
        r#"size_ratio = 4
scaling_parameters = "T4"
target_sstable_size = "1MiB"
sstable_size_in_mb = 1
fanout_size = 4
compaction_window_unit = "MINUTES"
min_threshold = 4
min_sstable_size = 0"#,
    ));
    for (run, band) in FAMILY_BANDS {
        assert_near_model(find(&rs, run), band);
    }
}

/// measured / model per policy at the scale above (measured when the bands
/// were set: lazy leveling 0.95, UCS 0.76, LCS 1.26, TWCS 0.79). The tiered
/// shapes (UCS T4, TWCS's STCS) sit below their model as tiering does: the
/// top tier is still filling, so its last merge has not happened yet. LCS
/// sits above as leveling does: one sstable at a time rewrites nearer
/// `fanout_size` than (T+1)/2 per level.
const FAMILY_BANDS: [(&str, (f64, f64)); 4] = [
    ("lazy-leveling/uniform", (0.8, 1.2)),
    ("ucs/uniform", (0.6, 1.1)),
    ("lcs/uniform", (0.9, 1.6)),
    ("twcs/uniform", (0.6, 1.1)),
];

/// TWCS on time series that expire: each byte is flushed once and merged
/// by STCS within its window only (closed windows are left alone, expired
/// ones dropped unread), so write amplification stays at its model, 1 plus
/// the newest window's tiers (measured 4.06 against 4 when the band was
/// set), and well below leveled's on the same data (7.20).
#[test]
fn twcs_on_expiring_time_series_writes_once_plus_its_window_tiers() {
    let spec = r#"
name = "twcs-ttl"
seed = 42
ops = 200000
policies = ["twcs", "leveled"]
probe_rate = 0
[workload]
preset = "timeseries"
series = 100
ingest_rate = 1000
ttl = "60s"
value_size = 100
[engine]
write_buffer_size = "256KiB"
l1_base_bytes = "1MiB"
base_file_size = "256KiB"
[policy]
compaction_window_unit = "MINUTES"
compaction_window_size = 1
min_sstable_size = 0
"#;
    let rs = records(spec);
    let twcs = find(&rs, "twcs/timeseries");
    assert_near_model(twcs, (0.85, 1.2));
    let leveled = find(&rs, "leveled/timeseries");
    assert!(
        twcs.metrics.write_amp < 0.7 * leveled.metrics.write_amp,
        "twcs {} vs leveled {}",
        twcs.metrics.write_amp,
        leveled.metrics.write_amp
    );
}

/// ScyllaDB's ICS releases a merge's inputs fragment by fragment, so its
/// peak space amplification is well below size-tiered's on the same data
/// (the families spec's uniform run: measured 1.91 against 2.93 when the
/// band was set), and the release is what does it: with
/// `release_inputs_early = false` the same ICS merges peak at 2.58.
#[test]
fn ics_peak_space_is_well_below_size_tiereds_on_the_same_data() {
    let spec = |policies: &str, release: bool| {
        format!(
            r#"
name = "ics-peak"
seed = 42
ops = 800000
policies = {policies}
probe_rate = 0
[workload]
preset = "uniform"
key_count = 200000
value_size = 100
[engine]
write_buffer_size = "256KiB"
l1_base_bytes = "512KiB"
base_file_size = "256KiB"
[policy]
sstable_size_in_mb = 1
release_inputs_early = {release}
"#
        )
    };
    let rs = records(&spec(r#"["size-tiered", "ics"]"#, true));
    let stcs = &find(&rs, "size-tiered/uniform").metrics;
    let ics = &find(&rs, "ics/uniform").metrics;
    let held = records(&spec(r#"["ics"]"#, false));
    let held = &find(&held, "ics/uniform").metrics;
    eprintln!(
        "space_amp_peak: size-tiered {} ics {} ics holding its inputs {}",
        stcs.space_amp_peak, ics.space_amp_peak, held.space_amp_peak
    );
    assert!(
        ics.space_amp_peak < 0.8 * stcs.space_amp_peak,
        "ics peak {} vs size-tiered {}",
        ics.space_amp_peak,
        stcs.space_amp_peak
    );
    // The same merges either way (to the bytes of the outputs' file
    // numbers); only the space they hold differs.
    assert!((ics.write_amp / held.write_amp - 1.0).abs() < 1e-4);
    assert!(ics.space_amp_peak + 0.3 < held.space_amp_peak);
}
