//! Each mixgraph distribution against its formula: Kolmogorov-Smirnov
//! distances between seeded samples and the model's CDF, bounded by
//! 1.95/sqrt(n) (the 0.1% critical value; discrete CDFs make it
//! conservative), and counts within 4.5 standard deviations.

use super::model::{
    pareto_cdf, pareto_quantile, power_rank, sine_rate, unit_open0, KeyRanges, QueryDecider,
};
use super::*;
use crate::op::{Op, OpKind};
use crate::rng::{derive_key, mix64, SplitMix64};
use crate::spec::WorkloadSpec;

/// The largest gap between the empirical CDF of `samples` and `cdf`, both
/// taken at each distinct sample value (integer-valued samples).
fn ks_distance(samples: &mut [u64], cdf: impl Fn(u64) -> f64) -> f64 {
    samples.sort_unstable();
    let n = samples.len() as f64;
    let mut d: f64 = 0.0;
    let mut i = 0;
    while i < samples.len() {
        let x = samples[i];
        let below = i as f64 / n;
        while i < samples.len() && samples[i] == x {
            i += 1;
        }
        let at = i as f64 / n;
        let f = cdf(x);
        let f_below = if x == 0 { 0.0 } else { cdf(x - 1) };
        d = d.max((at - f).abs()).max((below - f_below).abs());
    }
    d
}

fn ks_bound(n: usize) -> f64 {
    1.95 / (n as f64).sqrt()
}

fn spec(settings: &[(&str, &str)]) -> WorkloadSpec {
    let mut s = WorkloadSpec::preset("mixgraph").unwrap();
    for (name, value) in settings {
        s.set(name, value).unwrap();
    }
    s.validate().unwrap();
    s
}

fn ops(s: &WorkloadSpec) -> Vec<Op> {
    s.generator().unwrap().collect()
}

#[test]
fn value_sizes_follow_the_generalized_pareto_of_value_k_sigma_theta() {
    // A cap far in the tail (P(size > 2^24) < 1e-20): no wrapping.
    let s = spec(&[
        ("ops", "40000"),
        ("mix_put_ratio", "1"),
        ("mix_get_ratio", "0"),
        ("mix_seek_ratio", "0"),
        ("mix_max_value_size", "16777216"),
    ]);
    let mut sizes: Vec<u64> = ops(&s).iter().map(|o| u64::from(o.value_len)).collect();
    let m = &s.mixgraph;
    assert!(sizes.iter().all(|&v| v >= 10), "sizes below 10 become 10");
    let d = ks_distance(&mut sizes, |x| {
        if x < 10 {
            0.0
        } else {
            pareto_cdf(x as f64, m.value_theta, m.value_k, m.value_sigma)
        }
    });
    assert!(d < ks_bound(sizes.len()), "KS distance {d}");
}

#[test]
fn scan_lengths_follow_the_generalized_pareto_of_iter_k_sigma_theta() {
    // iter_k 0.5 keeps P(length > 10^6) below 1e-9: no wrapping.
    let s = spec(&[
        ("ops", "40000"),
        ("mix_seek_ratio", "1"),
        ("mix_get_ratio", "0"),
        ("mix_put_ratio", "0"),
        ("iter_k", "0.5"),
        ("iter_theta", "2"),
        ("mix_max_scan_len", "1000000"),
    ]);
    let mut lens: Vec<u64> = ops(&s)
        .iter()
        .map(|o| match &o.kind {
            OpKind::Scan { len } => u64::from(*len),
            k => panic!("{k:?}"),
        })
        .collect();
    let m = &s.mixgraph;
    let d = ks_distance(&mut lens, |x| {
        pareto_cdf(x as f64, m.iter_theta, m.iter_k, m.iter_sigma)
    });
    assert!(d < ks_bound(lens.len()), "KS distance {d}");
}

#[test]
fn caps_wrap_as_db_bench_wraps_them() {
    // The published scan model has a heavy tail (iter_k 2.517): about 5%
    // of lengths pass 10000 and wrap; every length stays in 1..10000.
    let s = spec(&[
        ("ops", "20000"),
        ("mix_seek_ratio", "1"),
        ("mix_get_ratio", "0"),
        ("mix_put_ratio", "0"),
        ("mix_max_value_size", "64"),
    ]);
    let stream = Stream::new(&s);
    for i in 0..20_000u64 {
        let mut a = SplitMix64::new(i);
        let mut b = a.clone();
        let raw = pareto_quantile(unit_open0(&mut b), 0.0, 2.517, 14.236).ceil() as u64;
        assert_eq!(u64::from(stream.scan_len(&mut a)), (raw % 10_000).max(1));
        let mut a = SplitMix64::new(i);
        let mut b = a.clone();
        let raw = pareto_quantile(unit_open0(&mut b), 0.0, 0.2615, 25.45).ceil() as u64;
        let expected = if raw < 10 {
            10
        } else if raw > 64 {
            raw % 64
        } else {
            raw
        };
        assert_eq!(u64::from(stream.value_size(&mut a)), expected);
    }
}

#[test]
fn key_ranks_follow_the_power_law_of_key_dist_a_b() {
    let (a, b, size) = (0.002312, 0.3467, 1_000_000u64);
    let mut rng = SplitMix64::new(5);
    let mut ranks: Vec<u64> = (0..40_000)
        .map(|_| power_rank(&mut rng, size, a, b).unwrap())
        .collect();
    // P(rank <= r) = P(u <= a r^b), u uniform over `size` steps.
    let cdf = |r: u64| {
        (((a * (r as f64).powf(b)) * size as f64).floor() + 1.0).min(size as f64) / size as f64
    };
    let d = ks_distance(&mut ranks, cdf);
    assert!(d < ks_bound(ranks.len()), "KS distance {d}");
}

#[test]
fn the_hottest_key_is_accessed_as_often_as_rank_one() {
    // Without key ranges a key is hash(rank) % key_count: rank 1 has
    // probability a (0.002312) and collisions add about 1/key_count.
    let s = spec(&[
        ("ops", "200000"),
        ("keyrange_dist_a", "0"),
        ("keyrange_dist_b", "0"),
        ("keyrange_dist_c", "0"),
        ("keyrange_dist_d", "0"),
        ("key_count", "10000000"),
    ]);
    let salt = derive_key(s.seed, 12);
    let hot = crate::key::encode_key(mix64(1 ^ salt) % s.key_count, s.key_size);
    let n = ops(&s).iter().filter(|o| o.key == hot).count() as f64;
    let (total, p): (f64, f64) = (200_000.0, 0.002312);
    let sd = (total * p * (1.0 - p)).sqrt();
    assert!(
        (n - total * p).abs() < 4.5 * sd,
        "{n} accesses, expected {}",
        total * p
    );
}

#[test]
fn key_ranges_have_two_term_exponential_hotness() {
    let m = MixGraph::default();
    let ranges = KeyRanges::new(3_000_000, 30, m.keyrange_dist()).unwrap();
    // The shares, in any order, are db_bench's floor(amplify p(x)).
    let p = |x: f64| 14.18 * (-2.917 * x).exp() + 0.0164 * (-0.08082 * x).exp();
    let amplify = (1.0 / p(30.0)).floor() + 1.0;
    let mut expected: Vec<f64> = (1..=30).map(|x| (amplify * p(x as f64)).floor()).collect();
    let total: f64 = expected.iter().sum();
    expected.iter_mut().for_each(|e| *e /= total);
    let mut got: Vec<f64> = (0..30).map(|i| ranges.probability(i)).collect();
    expected.sort_by(f64::total_cmp);
    got.sort_by(f64::total_cmp);
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-12, "{got:?} vs {expected:?}");
    }
    // Generated keys fall in ranges with those probabilities.
    let s = spec(&[("ops", "60000"), ("key_count", "3000000")]);
    let mut ids: Vec<u64> = ops(&s)
        .iter()
        .map(|o| u64::from_be_bytes(o.key[o.key.len() - 8..].try_into().unwrap()) / ranges.size)
        .collect();
    let cumulative: Vec<f64> = (0..30)
        .scan(0.0, |acc, i| {
            *acc += ranges.probability(i);
            Some(*acc)
        })
        .collect();
    let d = ks_distance(&mut ids, |i| cumulative[i as usize]);
    assert!(d < ks_bound(ids.len()), "KS distance {d}");
}

#[test]
fn the_mix_follows_the_ratios_as_db_bench_rounds_them() {
    let decider = QueryDecider::new(&[0.85, 0.14, 0.01]);
    assert_eq!(
        [decider.share(0), decider.share(1), decider.share(2)],
        [0.85, 0.14, 0.01]
    );
    let odd = QueryDecider::new(&[1.0, 1.0, 1.0]);
    // ceil(333.3) three times: 1002 slots.
    assert_eq!(odd.share(0), 334.0 / 1002.0);
    let s = spec(&[("ops", "200000")]);
    let all = ops(&s);
    let count = |f: fn(&OpKind) -> bool| all.iter().filter(|o| f(&o.kind)).count() as f64;
    for (n, p) in [
        (count(|k| *k == OpKind::Get), 0.85f64),
        (count(|k| *k == OpKind::Put), 0.14),
        (count(|k| matches!(k, OpKind::Scan { .. })), 0.01),
    ] {
        let sd = (200_000.0 * p * (1.0 - p)).sqrt();
        assert!((n - 200_000.0 * p).abs() < 4.5 * sd, "{n} vs {p}");
    }
    assert!(all.iter().all(|o| o.key.len() == 48));
}

#[test]
fn the_sine_rate_drives_simulated_time() {
    let s = spec(&[
        ("ops", "400000"),
        ("sine_a", "20000"),
        ("sine_b", "0.5"),
        ("sine_c", "1"),
        ("sine_d", "30000"),
    ]);
    let all = ops(&s);
    assert!(all.windows(2).all(|w| w[0].time <= w[1].time));
    let mut per_second = vec![0u64; 1 + (all.last().unwrap().time / 1000) as usize];
    for o in &all {
        per_second[(o.time / 1000) as usize] += 1;
    }
    // Every full second holds the rate's integral over it, within 1%.
    for (sec, &n) in per_second.iter().enumerate().take(per_second.len() - 1) {
        let steps = 1000;
        let integral: f64 = (0..steps)
            .map(|j| {
                sine_rate(
                    sec as f64 + (j as f64 + 0.5) / steps as f64,
                    s.mixgraph.sine(),
                ) / steps as f64
            })
            .sum();
        assert!(
            (n as f64 - integral).abs() < 0.01 * integral,
            "second {sec}: {n} ops, rate integral {integral}"
        );
    }
    // Without the sine, ingest_rate sets the pace.
    let flat = spec(&[
        ("ops", "5000"),
        ("sine_a", "0"),
        ("sine_d", "0"),
        ("ingest_rate", "1000"),
    ]);
    assert_eq!(ops(&flat).last().unwrap().time, 4999);
}

#[test]
fn streams_are_pinned_and_seeded() {
    let s = spec(&[("ops", "3000"), ("preload", "true"), ("key_count", "2000")]);
    let a = ops(&s);
    assert_eq!(a.len(), 5000);
    assert!(a[..2000].iter().all(|o| o.kind == OpKind::Put));
    let mut preloaded: Vec<&Vec<u8>> = a[..2000].iter().map(|o| &o.key).collect();
    preloaded.sort();
    preloaded.dedup();
    assert_eq!(preloaded.len(), 2000, "the preload writes every key once");
    assert_eq!(a, ops(&s));
    let mut other = s.clone();
    other.seed = 2;
    assert_ne!(a, ops(&other));
    // Pinned: the stream is fixed by the spec on every machine.
    let digest = a.iter().fold(0u64, |h, o| {
        let mut x = h ^ o.time ^ u64::from(o.value_len) << 20;
        for &b in &o.key {
            x = mix64(x ^ u64::from(b));
        }
        mix64(x ^ o.kind_name().len() as u64)
    });
    assert_eq!(digest, 0x6fa3_a50e_9ea9_1534, "digest {digest:#x}");
}

#[test]
fn bad_mixgraph_parameters_name_the_problem() {
    let mut s = WorkloadSpec::preset("mixgraph").unwrap();
    for (name, value, allowed) in [
        ("value_sigma", "0", "> 0"),
        ("key_dist_a", "-1", ">= 0"),
        ("keyrange_num", "0", "1..=1048576"),
        ("mix_max_scan_len", "0", "1..=1000000"),
        ("sine_b", "nan", "finite"),
    ] {
        let e = s.set(name, value).unwrap_err().to_string();
        assert!(e.contains(name) && e.contains(allowed), "{e}");
    }
    for (settings, needle) in [
        (vec![("sine_a", "60000")], "must stay within 1..=1000000"),
        (
            vec![("keyrange_num", "100"), ("key_count", "50")],
            "keyrange_num (100) is above key_count (50)",
        ),
        (
            vec![
                ("mix_get_ratio", "0"),
                ("mix_put_ratio", "0"),
                ("mix_seek_ratio", "0"),
            ],
            "must be above 0",
        ),
        (
            vec![("keyrange_dist_a", "0"), ("keyrange_dist_c", "-1")],
            "no key range a hotness",
        ),
    ] {
        let mut s = WorkloadSpec::preset("mixgraph").unwrap();
        for (n, v) in settings {
            s.set(n, v).unwrap();
        }
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains(needle), "{e}");
    }
}

#[test]
fn fit_recovers_the_parameters_of_a_generated_trace() {
    // Known parameters: the published model without key ranges, with more
    // seeks so the scan fit has samples, a flat rate of 20000 ops/s.
    let s = spec(&[
        ("ops", "300000"),
        ("key_count", "10000000"),
        ("keyrange_dist_a", "0"),
        ("keyrange_dist_b", "0"),
        ("keyrange_dist_c", "0"),
        ("keyrange_dist_d", "0"),
        ("mix_get_ratio", "0.6"),
        ("mix_put_ratio", "0.3"),
        ("mix_seek_ratio", "0.1"),
        ("sine_a", "0"),
        ("sine_d", "20000"),
    ]);
    let fit = super::fit_mixgraph(s.generator().unwrap());
    let f = &fit.params;
    let close = |name: &str, got: f64, want: f64, tolerance: f64| {
        assert!(
            (got - want).abs() <= tolerance,
            "{name}: fitted {got}, generated with {want} (tolerance {tolerance})"
        );
    };
    close("mix_get_ratio", f.mix_get_ratio, 0.6, 0.01);
    close("mix_put_ratio", f.mix_put_ratio, 0.3, 0.01);
    close("mix_seek_ratio", f.mix_seek_ratio, 0.1, 0.01);
    close("mean rate", fit.mean_rate, 20000.0, 100.0);
    close("value_k", f.value_k, 0.2615, 0.05);
    close("value_sigma", f.value_sigma, 25.45, 1.5);
    close("iter_k", f.iter_k, 2.517, 0.25);
    close("iter_sigma", f.iter_sigma, 14.236, 3.0);
    close("key_dist_a", f.key_dist_a, 0.002312, 0.0006);
    close("key_dist_b", f.key_dist_b, 0.3467, 0.05);
    assert_eq!(fit.key_size, 48);
    for d in [&fit.values, &fit.scans, &fit.keys] {
        let d = d.as_ref().unwrap();
        assert!(d.ks_distance < 0.05, "{d:?}");
    }
    // Generated without key ranges and at a flat rate: neither is fitted.
    assert_eq!(fit.key_ranges, None);
    assert_eq!(fit.sine, None);
    // The fragment is a spec the lab reads back to the fitted parameters.
    let rebuilt = rebuild(&fit);
    close("rebuilt value_k", rebuilt.mixgraph.value_k, f.value_k, 1e-5);
}

/// The workload a fit's spec fragment describes, validated.
fn rebuild(fit: &super::MixGraphFit) -> WorkloadSpec {
    let mut rebuilt = WorkloadSpec::preset("mixgraph").unwrap();
    for line in fit
        .spec_fragment()
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains(" = ") && !l.starts_with("preset"))
    {
        let (name, value) = line.split_once(" = ").unwrap();
        rebuilt.set(name, value).unwrap();
    }
    rebuilt.validate().unwrap();
    rebuilt
}

/// `got` within `relative` of `want`.
fn within(name: &str, got: f64, want: f64, relative: f64) {
    assert!(
        (got - want).abs() <= relative * want.abs(),
        "{name}: fitted {got}, generated with {want} (tolerance {}%)",
        relative * 100.0
    );
}

#[test]
fn fit_recovers_the_published_key_range_hotness() {
    // The published keyrange_dist_a..d over 30 ranges of 10,000 keys.
    let s = spec(&[
        ("ops", "200000"),
        ("key_count", "300000"),
        ("sine_a", "0"),
        ("sine_d", "20000"),
    ]);
    let fit = super::fit_mixgraph(s.generator().unwrap());
    let r = fit.key_ranges.as_ref().expect("key ranges fitted");
    assert_eq!(r.keyrange_num, 30);
    // The largest key seen is within a few keys of the space's end.
    within("key_count", r.key_count as f64, 300_000.0, 0.001);
    let [a, b, c, d] = r.dist;
    // Tolerances: sampling noise, and what is left of db_bench's integer
    // range shares after the fit's half-unit correction (see fit_shape).
    within("keyrange_dist_a", a, 14.18, 0.06);
    within("keyrange_dist_b", b, -2.917, 0.02);
    within("keyrange_dist_c", c, 0.0164, 0.08);
    within("keyrange_dist_d", d, -0.08082, 0.10);
    eprintln!(
        "key ranges fitted: a {a}, b {b}, c {c}, d {d} (published 14.18, -2.917, 0.0164, -0.08082)"
    );
    assert!(r.fit.ks_distance < 0.01, "{r:?}");
    assert_eq!(fit.params.keyrange_dist_a, a);
    let rebuilt = rebuild(&fit);
    assert_eq!(rebuilt.key_count, r.key_count);
    within(
        "rebuilt keyrange_dist_d",
        rebuilt.mixgraph.keyrange_dist_d,
        d,
        1e-5,
    );
}

#[test]
fn fit_recovers_the_sine_rate() {
    // 400 sin(0.1 t + 0.5) + 1000 ops/s: a period of 63 s, about 3 periods.
    let s = spec(&[
        ("ops", "200000"),
        ("key_count", "1000000"),
        ("sine_a", "400"),
        ("sine_b", "0.1"),
        ("sine_c", "0.5"),
        ("sine_d", "1000"),
    ]);
    let fit = super::fit_mixgraph(s.generator().unwrap());
    let f = fit.sine.as_ref().expect("sine fitted");
    let [a, b, c, d] = f.sine;
    within("sine_a", a, 400.0, 0.03);
    within("sine_b", b, 0.1, 0.01);
    assert!(
        (c - 0.5).abs() < 0.05,
        "sine_c: fitted {c}, generated with 0.5"
    );
    within("sine_d", d, 1000.0, 0.01);
    assert!(f.explained > 0.95, "{f:?}");
    eprintln!(
        "sine fitted: {a} sin({b} t + {c}) + {d}, explaining {:.3}",
        f.explained
    );
    assert_eq!(
        [
            fit.params.sine_a,
            fit.params.sine_b,
            fit.params.sine_c,
            fit.params.sine_d
        ],
        f.sine
    );
    // The fragment reads back to the fitted sine.
    within("rebuilt sine_b", rebuild(&fit).mixgraph.sine_b, b, 1e-5);
}
