//! db_bench's `--benchmark_write_rate_limit`: the write phases and the
//! readwhilewriting writer hold their puts to a rate in bytes per second,
//! so that engines whose writers run at different speeds can be compared
//! under the same write load.

use std::time::{Duration, Instant};

/// How far ahead of its rate a writer may run before it sleeps: sleeping
/// after every put of ~100 bytes would cost more than the put.
const SLACK: Duration = Duration::from_millis(1);

/// Keeps the bytes written since it was started within `rate` bytes per
/// second (plus one put and `SLACK`); does nothing without a rate.
#[derive(Debug)]
pub struct WritePacer {
    rate: Option<u64>,
    start: Instant,
    bytes: u64,
}

impl WritePacer {
    /// A pacer starting now; `None` or `Some(0)`: no limit.
    pub fn new(rate: Option<u64>) -> Self {
        WritePacer {
            rate: rate.filter(|&r| r > 0),
            start: Instant::now(),
            bytes: 0,
        }
    }

    /// Counts a put of `bytes` and sleeps until the bytes so far are due.
    pub fn wrote(&mut self, bytes: u64) {
        let Some(rate) = self.rate else { return };
        self.bytes += bytes;
        let due = Duration::from_secs_f64(self.bytes as f64 / rate as f64);
        let elapsed = self.start.elapsed();
        if due > elapsed + SLACK {
            std::thread::sleep(due - elapsed);
        }
    }
}
