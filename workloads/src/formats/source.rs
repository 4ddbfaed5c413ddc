//! What every streaming trace reader shares: the decoder interface, its
//! failures, and simulated time from a trace's timestamps.

use std::collections::VecDeque;
use std::io::BufRead;

use super::TraceCounts;
use crate::op::Op;

/// Why a reader stopped: the file could not be read, or its bytes are wrong
/// at a byte offset or a line (1-based).
#[derive(Debug)]
pub(crate) enum Fail {
    Io(std::io::Error),
    AtByte(u64, String),
    AtLine(u64, String),
}

/// A streaming decoder of one trace format.
pub(crate) trait OpSource: Send {
    /// The next operation, or `Ok(None)` at the end of the trace.
    fn next_op(&mut self) -> Result<Option<Op>, Fail>;

    /// What the decoder has yielded and skipped so far.
    fn counts(&self) -> &TraceCounts;
}

/// Simulated time from a trace's timestamps: milliseconds since the first
/// one, never decreasing (a record stamped earlier than its predecessor, as
/// multi-threaded tracers write, happens at its predecessor's time).
#[derive(Clone, Debug, Default)]
pub(crate) struct Clock {
    origin: Option<u64>,
    last_ms: u64,
}

impl Clock {
    /// Sets the time origin (a trace header's timestamp) in microseconds.
    pub(crate) fn start_at(&mut self, origin_us: u64) {
        self.origin = Some(origin_us);
    }

    /// Simulated milliseconds of a record stamped `ts_us` microseconds.
    pub(crate) fn ms(&mut self, ts_us: u64) -> u64 {
        let origin = *self.origin.get_or_insert(ts_us);
        let ms = ts_us.saturating_sub(origin) / 1000;
        self.last_ms = self.last_ms.max(ms);
        self.last_ms
    }
}

/// Reads `\n`-terminated lines of at most `max` bytes, counting them.
pub(crate) struct LineReader<R> {
    reader: R,
    pub(crate) buf: Vec<u8>,
    /// The number of the line last read (1-based).
    pub(crate) number: u64,
    max: u64,
}

impl<R: BufRead> LineReader<R> {
    pub(crate) fn new(reader: R, max: u64) -> Self {
        LineReader {
            reader,
            buf: Vec::new(),
            number: 0,
            max,
        }
    }

    /// The next line as text without its terminator, `Ok(None)` at the end.
    pub(crate) fn next_line(&mut self) -> Result<Option<&str>, Fail> {
        use std::io::Read;
        self.buf.clear();
        let n = (&mut self.reader)
            .take(self.max + 1)
            .read_until(b'\n', &mut self.buf)
            .map_err(Fail::Io)?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        } else if n as u64 > self.max {
            return Err(Fail::AtLine(
                self.number,
                format!("line longer than {} bytes", self.max),
            ));
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        std::str::from_utf8(&self.buf)
            .map(Some)
            .map_err(|_| Fail::AtLine(self.number, "line is not valid UTF-8".into()))
    }
}

/// A key for a trace's anonymised key text: a 64-bit hash of its bytes
/// (FNV-1a, then the SplitMix64 finaliser) as a big-endian integer, padded
/// with leading zeros to the trace's key size (at least 8 bytes, at most
/// 4096), so key sizes are kept and equal texts give equal keys.
pub(crate) fn hashed_key(text: &[u8], key_size: u64) -> Vec<u8> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in text {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let size = key_size.clamp(crate::key::MIN_KEY_SIZE as u64, 4096) as usize;
    crate::key::encode_key(crate::rng::mix64(h), size)
}

/// A non-negative integer field of a text trace, or why it is not one.
pub(crate) fn integer(what: &str, text: &str) -> Result<u64, String> {
    text.trim()
        .parse::<u64>()
        .map_err(|_| format!("{what} {:?} is not a non-negative integer", text.trim()))
}

/// A line-oriented trace format: the ops of one line (none, one or several).
pub(crate) trait LineFormat: Send {
    /// Appends the ops of `line` to `out`; counts records it skips in
    /// `counts`. `Err` is the reason the line is wrong.
    fn parse(
        &mut self,
        line: &str,
        counts: &mut TraceCounts,
        out: &mut VecDeque<Op>,
    ) -> Result<(), String>;

    /// Checked at the end of the input (a missing header, say).
    fn finish(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Streams a [`LineFormat`]: reads lines, queues their ops, counts them,
/// and names the line of every problem.
pub(crate) struct LineSource<R, F> {
    lines: LineReader<R>,
    format: F,
    counts: TraceCounts,
    pending: VecDeque<Op>,
}

impl<R: BufRead, F: LineFormat> LineSource<R, F> {
    pub(crate) fn new(input: R, max_line: u64, format: F) -> Self {
        LineSource {
            lines: LineReader::new(input, max_line),
            format,
            counts: TraceCounts::default(),
            pending: VecDeque::new(),
        }
    }
}

impl<R: BufRead + Send, F: LineFormat> OpSource for LineSource<R, F> {
    fn next_op(&mut self) -> Result<Option<Op>, Fail> {
        loop {
            if let Some(op) = self.pending.pop_front() {
                self.counts.count(&op);
                return Ok(Some(op));
            }
            let number = self.lines.number + 1;
            let Some(line) = self.lines.next_line()? else {
                return match self.format.finish() {
                    Ok(()) => Ok(None),
                    Err(reason) => Err(Fail::AtLine(number, reason)),
                };
            };
            self.format
                .parse(line, &mut self.counts, &mut self.pending)
                .map_err(|reason| Fail::AtLine(number, reason))?;
        }
    }

    fn counts(&self) -> &TraceCounts {
        &self.counts
    }
}

/// Every op of `source` and its counts (tests).
#[cfg(test)]
pub(crate) fn drain(mut source: impl OpSource) -> Result<(Vec<Op>, TraceCounts), Fail> {
    let mut ops = Vec::new();
    while let Some(op) = source.next_op()? {
        ops.push(op);
    }
    Ok((ops, source.counts().clone()))
}
