//! Range-deletion block decoder: any bytes decode to tombstones that
//! survive an encode/decode round trip, or to an error; never a panic. Decoded
//! tombstones fragment into disjoint pieces that answer every lookup as
//! the raw list does.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lsmlab_engine::range_del::FragmentedTombstones;
use lsmlab_engine::sst::range_del_block::{decode, encode};

fuzz_target!(|bytes: &[u8]| {
    let Ok(tombstones) = decode(bytes) else {
        return;
    };
    assert_eq!(decode(&encode(&tombstones)).as_ref(), Ok(&tombstones));
    let frags = FragmentedTombstones::new(tombstones.iter().cloned());
    assert!(frags
        .fragments()
        .windows(2)
        .all(|w| w[0].end <= w[1].start));
    for t in tombstones.iter().take(16) {
        for probe in [&t.start, &t.end] {
            let want = tombstones
                .iter()
                .filter(|u| u.covers_key(probe))
                .map(|u| u.seq)
                .max();
            assert_eq!(frags.max_covering_seq(probe, u64::MAX), want);
        }
    }
});
