//! Time as the engine sees it: TTL expiry compares entries against a
//! [`Clock`]. The lab drives a [`VirtualClock`] from the workload so expiry
//! is simulated and deterministic; real use takes the [`SystemClock`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time in milliseconds.
pub trait Clock: Send + Sync {
    /// Milliseconds since an arbitrary, fixed origin.
    fn now_ms(&self) -> u64;

    /// Waits until the clock reads at least `ms`: a stalled writer's wait.
    /// A virtual clock jumps there at once; a real one sleeps.
    fn sleep_until(&self, ms: u64);
}

/// Wall-clock time since the Unix epoch.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    fn sleep_until(&self, ms: u64) {
        let now = self.now_ms();
        if ms > now {
            std::thread::sleep(std::time::Duration::from_millis(ms - now));
        }
    }
}

/// Simulated time, moved forward explicitly by its owner.
#[derive(Debug, Default)]
pub struct VirtualClock {
    now_ms: AtomicU64,
}

impl VirtualClock {
    /// A clock that reads `start_ms`.
    pub fn new(start_ms: u64) -> Self {
        VirtualClock {
            now_ms: AtomicU64::new(start_ms),
        }
    }

    /// Sets the time; a time earlier than the current one is ignored, so
    /// simulated time never runs backwards.
    pub fn advance_to(&self, ms: u64) {
        self.now_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// Moves the time forward by `ms`.
    pub fn advance_by(&self, ms: u64) {
        self.now_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

impl Clock for VirtualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::Relaxed)
    }

    fn sleep_until(&self, ms: u64) {
        self.advance_to(ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_never_runs_backwards() {
        let c = VirtualClock::new(100);
        c.advance_to(50);
        assert_eq!(c.now_ms(), 100);
        c.advance_by(10);
        c.advance_to(500);
        assert_eq!(c.now_ms(), 500);
    }
}
