//! SSTable reader: bytes as a table file (raw, or with every checksum the
//! footer and index reach rewritten so mutations get past them), a single
//! block, a properties block, a bloom filter. Whatever the bytes, reading
//! returns data or an error; it never panics or hangs.

#![no_main]

mod common;

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use lsmlab_engine::coding::{masked_crc, Decoder};
use lsmlab_engine::iter::InternalIterator;
use lsmlab_engine::key::{seek_key, MAX_SEQ, TRAILER_LEN};
use lsmlab_engine::sst::block::{Block, BlockIter};
use lsmlab_engine::sst::bloom::BloomFilter;
use lsmlab_engine::sst::format::{
    BlockHandle, Footer, BLOCK_TRAILER_LEN, FOOTER_LEN, FORMAT_VERSION, TABLE_MAGIC,
};
use lsmlab_engine::sst::{LookupStats, Table, TableProperties};

const MAX_ENTRIES: usize = 20_000;

fn fix_block(data: &mut [u8], h: BlockHandle, limit: usize) {
    let (Ok(off), Ok(size)) = (usize::try_from(h.offset), usize::try_from(h.size)) else {
        return;
    };
    let Some(end) = off
        .checked_add(size)
        .and_then(|e| e.checked_add(BLOCK_TRAILER_LEN))
    else {
        return;
    };
    if end <= limit {
        let crc = masked_crc(&data[off..off + size]);
        data[off + size..end].copy_from_slice(&crc.to_le_bytes());
    }
}

/// Makes the footer valid (magic, version, checksum) and rewrites the
/// checksum of every block the footer and the index point at.
fn fix_checksums(data: &mut [u8]) {
    if data.len() < FOOTER_LEN {
        return;
    }
    let at = data.len() - FOOTER_LEN;
    let footer = &mut data[at..];
    footer[FOOTER_LEN - 8..].copy_from_slice(&TABLE_MAGIC.to_le_bytes());
    footer[FOOTER_LEN - 16..FOOTER_LEN - 12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    let crc = masked_crc(&footer[..FOOTER_LEN - 12]);
    footer[FOOTER_LEN - 12..FOOTER_LEN - 8].copy_from_slice(&crc.to_le_bytes());
    let Ok(f) = Footer::decode(Path::new("fuzz.sst"), at as u64, &data[at..]) else {
        return;
    };
    for h in [f.index, f.filter, f.properties] {
        fix_block(data, h, at);
    }
    let (off, size) = (f.index.offset as usize, f.index.size as usize);
    let Ok(index) = Block::new(data[off..off + size].to_vec()) else {
        return;
    };
    let mut it = BlockIter::new(index);
    let mut handles = Vec::new();
    if it.seek_to_first().is_ok() {
        while it.valid() && handles.len() < MAX_ENTRIES {
            if let Some(h) = BlockHandle::decode_from(&mut Decoder::new(it.value())) {
                handles.push(h);
            }
            if it.next().is_err() {
                break;
            }
        }
    }
    for h in handles {
        fix_block(data, h, at);
    }
}

fn read_table(bytes: &[u8]) {
    let path = Path::new("/fuzz/000001.sst");
    let fs = common::mem_with(path, bytes);
    let Ok(table) = Table::open(&fs, path) else {
        return;
    };
    let _ = (table.properties(), table.may_contain(b"k"), table.size());
    let mut keys = Vec::new();
    let mut it = table.iter();
    if it.seek_to_first().is_ok() {
        while it.valid() && keys.len() < MAX_ENTRIES {
            keys.push(it.key().to_vec());
            let _ = it.value().len();
            if it.next().is_err() {
                break;
            }
        }
    }
    let mut stats = LookupStats::default();
    for k in keys.iter().step_by(keys.len() / 32 + 1) {
        if k.len() >= TRAILER_LEN {
            let user = &k[..k.len() - TRAILER_LEN];
            let _ = table.get(user, MAX_SEQ, &mut stats);
            let _ = table.get(user, 1, &mut stats);
        }
        let _ = it.seek(k);
    }
    for target in [&b""[..], b"a", b"\xff\xff\xff"] {
        let _ = table.get(target, MAX_SEQ, &mut stats);
        let _ = it.seek(&seek_key(target, MAX_SEQ));
    }
}

fn read_block(bytes: &[u8]) {
    let Ok(block) = Block::new(bytes.to_vec()) else {
        return;
    };
    let mut it = BlockIter::new(block.clone());
    let mut keys = Vec::new();
    if it.seek_to_first().is_ok() {
        while it.valid() && keys.len() < MAX_ENTRIES {
            keys.push(it.key().to_vec());
            let _ = it.value().len();
            if it.next().is_err() {
                break;
            }
        }
    }
    let mut it = BlockIter::new(block);
    for k in keys.iter().step_by(keys.len() / 32 + 1) {
        let _ = it.seek(k);
    }
    let _ = it.seek(&seek_key(b"m", MAX_SEQ));
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    match mode % 4 {
        0 => read_table(bytes),
        1 => {
            let mut fixed = bytes.to_vec();
            fix_checksums(&mut fixed);
            read_table(&fixed);
        }
        2 => read_block(bytes),
        _ => {
            let _ = TableProperties::decode(bytes);
            if let Ok(Some(f)) = BloomFilter::decode(bytes.to_vec()) {
                let _ = (f.may_contain(b""), f.may_contain(b"key"), f.num_probes());
            }
        }
    }
});
