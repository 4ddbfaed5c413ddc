//! Remote compaction messages: bytes as a job, as a result and as a frame.
//! Decoders return a message or an error, never panic; a decoded message
//! survives encoding and decoding again unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lsmlab_engine::remote::codec::read_frame;
use lsmlab_engine::remote::{RemoteJob, RemoteResult};

fuzz_target!(|input: &[u8]| {
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            if let Ok(job) = RemoteJob::decode(bytes) {
                let again = RemoteJob::decode(&job.encode()).expect("re-decodes");
                assert_eq!(again, job);
            }
        }
        1 => {
            if let Ok(r) = RemoteResult::decode(bytes) {
                let again = RemoteResult::decode(&r.encode()).expect("re-decodes");
                assert_eq!(again, r);
            }
        }
        _ => {
            if let Ok(payload) = read_frame(&mut &bytes[..]) {
                let _ = RemoteJob::decode(&payload);
            }
        }
    }
});
