//! Simulated background work: token buckets that meter flush and compaction
//! I/O against the clock, and the jobs waiting for their bytes. With an
//! unlimited rate every job completes the moment it starts, which is the
//! plain synchronous engine.

use crate::compaction::Job;

/// A budget of I/O bytes refilled at `rate` bytes per second of clock time.
#[derive(Debug, Clone)]
pub(super) struct TokenBucket {
    /// Bytes per second; 0 = unlimited.
    rate: u64,
    /// Most bytes an idle bucket keeps.
    burst: u64,
    tokens: u64,
    last_ms: u64,
    /// INVARIANT: `carry < 1000`: byte-milliseconds not yet a whole byte.
    carry: u64,
}

impl TokenBucket {
    pub(super) fn new(rate: u64, burst: u64, now_ms: u64) -> Self {
        TokenBucket {
            rate,
            burst: if burst == 0 { rate } else { burst },
            tokens: 0,
            last_ms: now_ms,
            carry: 0,
        }
    }

    pub(super) fn unlimited(&self) -> bool {
        self.rate == 0
    }

    /// Adds the bytes earned since the last refill (not capped yet: running
    /// work takes them first, see [`TokenBucket::settle`]).
    pub(super) fn refill(&mut self, now_ms: u64) {
        if now_ms > self.last_ms && !self.unlimited() {
            let earned = (now_ms - self.last_ms) as u128 * self.rate as u128 + self.carry as u128;
            self.tokens = self.tokens.saturating_add((earned / 1000) as u64);
            self.carry = (earned % 1000) as u64;
        }
        self.last_ms = self.last_ms.max(now_ms);
    }

    /// Grants up to `want` bytes.
    pub(super) fn take(&mut self, want: u64) -> u64 {
        if self.unlimited() {
            return want;
        }
        let granted = want.min(self.tokens);
        self.tokens -= granted;
        granted
    }

    /// Caps what an idle bucket keeps at its burst.
    pub(super) fn settle(&mut self) {
        if self.tokens > self.burst {
            self.tokens = self.burst;
            self.carry = 0;
        }
    }

    /// Milliseconds until `bytes` more are available (at least 1).
    pub(super) fn ms_until(&self, bytes: u64) -> u64 {
        if self.unlimited() || self.tokens >= bytes {
            return 1;
        }
        let missing = (bytes - self.tokens) as u128 * 1000;
        let missing = missing.saturating_sub(self.carry as u128);
        (missing.div_ceil(self.rate as u128) as u64).max(1)
    }
}

/// A compaction job holding its input files, waiting for its I/O.
#[derive(Debug)]
pub(super) struct RunningJob {
    pub job: Job,
    /// Bytes still to be granted: the inputs read plus as much written.
    pub remaining: u64,
    /// Tells jobs apart when several run at once.
    pub id: u64,
    /// Outputs the job installed before its end (see `release`), which no
    /// other job may take while it runs.
    pub held: Vec<u64>,
}

/// Background work in progress.
#[derive(Debug)]
pub(super) struct Scheduler {
    pub flush_bucket: TokenBucket,
    pub compaction_bucket: TokenBucket,
    /// Bytes the oldest waiting memtable still needs before its flush
    /// completes (flushes run one at a time, oldest first).
    pub flush_remaining: Option<u64>,
    /// Jobs in start order.
    pub running: Vec<RunningJob>,
    last_id: u64,
}

impl Scheduler {
    pub(super) fn new(
        flush_rate: u64,
        compaction_rate: u64,
        compaction_burst: u64,
        now_ms: u64,
    ) -> Self {
        Scheduler {
            flush_bucket: TokenBucket::new(flush_rate, 0, now_ms),
            compaction_bucket: TokenBucket::new(compaction_rate, compaction_burst, now_ms),
            flush_remaining: None,
            running: Vec::new(),
            last_id: 0,
        }
    }

    /// The clock time at which the next piece of background work completes,
    /// if any is waiting.
    pub(super) fn next_completion_ms(&self, now_ms: u64) -> Option<u64> {
        let flush = self
            .flush_remaining
            .map(|r| now_ms + self.flush_bucket.ms_until(r));
        let compaction = self
            .running
            .first()
            .map(|j| now_ms + self.compaction_bucket.ms_until(j.remaining));
        match (flush, compaction) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A fresh job id.
    pub(super) fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }

    /// Files held by running jobs.
    pub(super) fn busy_files(&self) -> impl Iterator<Item = u64> + '_ {
        self.running.iter().flat_map(|r| {
            r.job
                .input_files()
                .map(|(_, f)| f.number)
                .chain(r.held.iter().copied())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_earns_its_rate_and_an_idle_one_keeps_only_its_burst() {
        let mut b = TokenBucket::new(1000, 500, 0);
        b.refill(250);
        assert_eq!(b.take(10_000), 250);
        b.refill(10_000);
        b.settle();
        assert_eq!(b.take(10_000), 500, "capped at the burst while idle");
        // Fractions of a byte carry over instead of being lost.
        let mut b = TokenBucket::new(3, 0, 0);
        for t in 1..=1000 {
            b.refill(t);
        }
        assert_eq!(b.take(100), 3);
    }

    #[test]
    fn time_until_enough_bytes() {
        let mut b = TokenBucket::new(2000, 0, 0);
        assert_eq!(b.ms_until(1000), 500);
        b.refill(100);
        assert_eq!(b.ms_until(1000), 400);
        assert_eq!(TokenBucket::new(0, 0, 0).ms_until(1 << 40), 1);
        assert!(TokenBucket::new(0, 0, 0).unlimited());
    }
}
