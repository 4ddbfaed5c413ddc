//! What a parameter is, as data: its names, unit, default, range and doc
//! line. Parsing, range checks, range text and printing are derived from
//! the declaration, for engine and policy parameters alike.

use std::fmt;

use crate::error::{Error, Result};

const KIB: f64 = 1024.0;
const MIB: f64 = KIB * 1024.0;
const GIB: f64 = MIB * 1024.0;
const TIB: f64 = GIB * 1024.0;
const PIB: f64 = TIB * 1024.0;

/// How a parameter's value is written and what it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A whole number.
    Count,
    /// A whole number of bytes, optionally with a binary suffix (`4KiB`,
    /// `16MiB`, `1GiB`; RocksDB's `K`, `M`, `G`, `T` mean the same; `MB`
    /// and its kin are refused as ambiguous).
    Bytes,
    /// Bytes per second, written like [`Unit::Bytes`].
    BytesPerSecond,
    /// A real number.
    Real,
    /// A duration: a number with `ms`, `s`, `m`, `h` or `d`; a bare number
    /// is seconds. Held in milliseconds.
    Duration,
    /// `true` or `false` (also on/off, yes/no, 1/0).
    Flag,
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
    /// A value whose text form its declaring policy defines (a list such
    /// as UCS's `T4,L10`), held as a whole number by the codec.
    Coded(&'static Codec),
}

/// The text form of a [`Unit::Coded`] parameter.
#[derive(Debug)]
pub struct Codec {
    /// The unit's name as `lsmlab policies` prints it.
    pub name: &'static str,
    /// The held number for a text; `None` when the text is malformed.
    pub parse: fn(&str) -> Option<u64>,
    /// The text for a held number (read back exactly by `parse`).
    pub format: fn(u64) -> String,
    /// The allowed values, as error messages and help print them.
    pub allowed: &'static str,
}

/// Codecs are equal when their names are.
impl PartialEq for Codec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Codec {}

impl Unit {
    /// The unit's name as `lsmlab policies` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Bytes => "bytes",
            Unit::BytesPerSecond => "bytes/s",
            Unit::Real => "real",
            Unit::Duration => "duration",
            Unit::Flag => "flag",
            Unit::Choice(_) => "choice",
            Unit::Coded(c) => c.name,
        }
    }
}

/// A parameter's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// Counts, bytes and durations (milliseconds).
    Int(u64),
    Real(f64),
    Flag(bool),
    Choice(&'static str),
}

impl Value {
    /// The value as a whole number (counts, bytes, milliseconds).
    pub fn int(self) -> u64 {
        match self {
            Value::Int(v) => v,
            Value::Real(v) => v as u64,
            Value::Flag(b) => b as u64,
            Value::Choice(_) => 0,
        }
    }

    /// The value as a real number.
    pub fn real(self) -> f64 {
        match self {
            Value::Real(v) => v,
            other => other.int() as f64,
        }
    }

    /// The value as a flag.
    pub fn flag(self) -> bool {
        matches!(self, Value::Flag(true)) || matches!(self, Value::Int(v) if v != 0)
    }

    fn number(self) -> Option<f64> {
        match self {
            Value::Int(v) => Some(v as f64),
            Value::Real(v) => Some(v),
            _ => None,
        }
    }
}

/// One settable parameter, declared once.
#[derive(Debug, Clone, Copy)]
pub struct ParamDef {
    /// The lsmlab name (DESIGN.md).
    pub name: &'static str,
    /// Other names accepted: RocksDB's or Cassandra's for the same knob.
    pub aliases: &'static [&'static str],
    pub unit: Unit,
    pub default: Value,
    /// The smallest and largest value allowed (numbers only; in the unit's
    /// base: bytes, milliseconds).
    pub min: f64,
    pub max: f64,
    /// What a special value means, shown after the range (`0: off`).
    pub note: &'static str,
    /// One line on what it does.
    pub doc: &'static str,
}

impl ParamDef {
    /// A numeric parameter (no note).
    pub const fn new(
        name: &'static str,
        aliases: &'static [&'static str],
        unit: Unit,
        default: Value,
        (min, max): (f64, f64),
        doc: &'static str,
    ) -> ParamDef {
        ParamDef {
            name,
            aliases,
            unit,
            default,
            min,
            max,
            note: "",
            doc,
        }
    }

    /// The same parameter with a note on a special value.
    pub const fn note(mut self, note: &'static str) -> ParamDef {
        self.note = note;
        self
    }

    /// True when `name` is this parameter's name or one of its aliases
    /// (case-insensitive).
    pub fn answers_to(&self, name: &str) -> bool {
        let n = name.trim();
        self.name.eq_ignore_ascii_case(n) || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(n))
    }

    fn bad(&self, text: &str) -> Error {
        Error::invalid_option(self.name, text, self.allowed())
    }

    /// Parses `text` in the parameter's unit and checks it against the
    /// range; the error names the parameter, the text and the range.
    pub fn parse(&self, text: &str) -> Result<Value> {
        let t = text.trim();
        let value = match self.unit {
            Unit::Count => Value::Int(t.parse().map_err(|_| self.bad(text))?),
            Unit::Bytes | Unit::BytesPerSecond => {
                Value::Int(parse_bytes(t).ok_or_else(|| self.bad(text))?)
            }
            Unit::Real => {
                let v: f64 = t.parse().map_err(|_| self.bad(text))?;
                if !v.is_finite() {
                    return Err(self.bad(text));
                }
                Value::Real(v)
            }
            Unit::Duration => Value::Int(parse_duration_ms(t).ok_or_else(|| self.bad(text))?),
            Unit::Flag => Value::Flag(parse_flag(t).ok_or_else(|| self.bad(text))?),
            Unit::Choice(words) => Value::Choice(
                words
                    .iter()
                    .find(|w| w.eq_ignore_ascii_case(t))
                    .copied()
                    .ok_or_else(|| self.bad(text))?,
            ),
            Unit::Coded(c) => Value::Int((c.parse)(t).ok_or_else(|| self.bad(text))?),
        };
        self.check(value).map_err(|_| self.bad(text))?;
        Ok(value)
    }

    /// Checks a value against the declared range.
    pub fn check(&self, v: Value) -> Result<()> {
        if let Unit::Coded(_) = self.unit {
            return Ok(());
        }
        if let Some(x) = v.number() {
            if !(x >= self.min && x <= self.max) {
                return Err(Error::invalid_option(
                    self.name,
                    self.format(v),
                    self.allowed(),
                ));
            }
        }
        Ok(())
    }

    /// The value as text that [`ParamDef::parse`] reads back exactly.
    pub fn format(&self, v: Value) -> String {
        match (self.unit, v) {
            (Unit::Duration, Value::Int(ms)) => format_duration_ms(ms),
            (Unit::Coded(c), Value::Int(n)) => (c.format)(n),
            (_, Value::Int(n)) => n.to_string(),
            (_, Value::Real(x)) => x.to_string(),
            (_, Value::Flag(b)) => b.to_string(),
            (_, Value::Choice(w)) => w.to_string(),
        }
    }

    /// The allowed values as text, e.g. `4KiB ..= 1TiB (bytes, or with
    /// KiB/MiB/GiB)` or `0s ..= 1000000000s (0: off)`.
    pub fn allowed(&self) -> String {
        let bound = |x: f64| match self.unit {
            Unit::Bytes | Unit::BytesPerSecond => format_bytes(x),
            Unit::Duration => format_duration_ms(x as u64),
            _ if x == f64::INFINITY => "inf".to_string(),
            _ => trim_float(x),
        };
        let mut s = match self.unit {
            Unit::Flag => "true | false (also yes/no, on/off, 1/0)".to_string(),
            Unit::Choice(words) => words.join(" | "),
            Unit::Coded(c) => c.allowed.to_string(),
            _ => format!("{} ..= {}", bound(self.min), bound(self.max)),
        };
        let unit_note = match self.unit {
            Unit::Bytes => "bytes, or with KiB/MiB/GiB/TiB or K/M/G/T, powers of 1024",
            Unit::BytesPerSecond => {
                "bytes per second, or with KiB/MiB/GiB/TiB or K/M/G/T, powers of 1024"
            }
            Unit::Duration => "ms/s/m/h/d; a bare number is seconds",
            _ => "",
        };
        let notes: Vec<&str> = [unit_note, self.note]
            .into_iter()
            .filter(|n| !n.is_empty())
            .collect();
        if !notes.is_empty() {
            s.push_str(&format!(" ({})", notes.join("; ")));
        }
        s
    }
}

impl fmt::Display for ParamDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

fn trim_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        x.to_string()
    }
}

fn format_bytes(x: f64) -> String {
    for (unit, name) in [
        (PIB, "PiB"),
        (TIB, "TiB"),
        (GIB, "GiB"),
        (MIB, "MiB"),
        (KIB, "KiB"),
    ] {
        if x >= unit && (x / unit).fract() == 0.0 {
            return format!("{}{name}", trim_float(x / unit));
        }
    }
    trim_float(x)
}

/// Parses a byte size: a whole number with an optional `KiB`, `MiB`,
/// `GiB`, `TiB` suffix, or RocksDB's one-letter `K`, `M`, `G`, `T` (binary,
/// as RocksDB's option strings read them), any case. `KB`, `MB`, `GB`,
/// `TB` are refused: they read as powers of 1000 to some and 1024 to
/// others, and a size off by 5% would go unnoticed.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

/// Parses a duration into milliseconds: a non-negative number followed by
/// `ms`, `s`, `m`, `h` or `d`; a bare number is seconds (`1.5` is 1500 ms).
pub fn parse_duration_ms(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number.parse().ok()?;
    let ms_per = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "s" | "sec" | "secs" | "seconds" => 1e3,
        "ms" => 1.0,
        "m" | "min" | "minutes" => 60e3,
        "h" | "hours" => 3600e3,
        "d" | "days" => 86400e3,
        _ => return None,
    };
    let ms = (n * ms_per).round();
    (n.is_finite() && n >= 0.0 && ms <= u64::MAX as f64 / 2.0).then_some(ms as u64)
}

/// A duration in milliseconds as the shortest exact text: `600s`, `250ms`.
pub fn format_duration_ms(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

fn parse_flag(t: &str) -> Option<bool> {
    match t.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Some(true),
        "false" | "off" | "no" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units_and_bare_numbers_are_seconds() {
        assert_eq!(parse_duration_ms("10m"), Some(600_000));
        assert_eq!(parse_duration_ms("600s"), Some(600_000));
        assert_eq!(parse_duration_ms("250ms"), Some(250));
        assert_eq!(parse_duration_ms("1.5"), Some(1500));
        assert_eq!(parse_duration_ms("2h"), Some(7_200_000));
        assert_eq!(parse_duration_ms("1d"), Some(86_400_000));
        assert_eq!(parse_duration_ms("-1s"), None);
        assert_eq!(parse_duration_ms("10 parsecs"), None);
        assert_eq!(format_duration_ms(600_000), "600s");
        assert_eq!(format_duration_ms(1500), "1500ms");
    }

    #[test]
    fn sizes_take_binary_suffixes_and_refuse_ambiguous_ones() {
        assert_eq!(parse_bytes("4MiB"), Some(4 << 20));
        assert_eq!(parse_bytes("4M"), Some(4 << 20));
        assert_eq!(parse_bytes("4m"), Some(4 << 20));
        assert_eq!(parse_bytes("64k"), Some(64 << 10));
        assert_eq!(parse_bytes("4194304"), Some(4 << 20));
        for ambiguous in ["4MB", "4mb", "4KB", "1GB", "1tb", "4096b"] {
            assert_eq!(parse_bytes(ambiguous), None, "{ambiguous}");
        }
        let p = ParamDef::new("x", &[], Unit::Bytes, Value::Int(0), (0.0, TIB), "");
        let e = p.parse("4mb").unwrap_err().to_string();
        assert!(
            e.contains("x = 4mb") && e.contains("K/M/G/T, powers of 1024"),
            "{e}"
        );
    }

    #[test]
    fn flags_take_yes_no_on_off_and_say_so() {
        let f = ParamDef::new("wal", &[], Unit::Flag, Value::Flag(true), (0.0, 0.0), "");
        for (text, want) in [
            ("yes", true),
            ("ON", true),
            ("1", true),
            ("no", false),
            ("off", false),
        ] {
            assert_eq!(f.parse(text).unwrap(), Value::Flag(want), "{text}");
        }
        let e = f.parse("maybe").unwrap_err().to_string();
        assert!(e.contains("true | false (also yes/no, on/off, 1/0)"), "{e}");
    }

    #[test]
    fn range_text_comes_from_the_declaration() {
        let p = ParamDef::new("x", &[], Unit::Bytes, Value::Int(0), (4.0 * KIB, TIB), "");
        assert_eq!(
            p.allowed(),
            "4KiB ..= 1TiB (bytes, or with KiB/MiB/GiB/TiB or K/M/G/T, powers of 1024)"
        );
        let e = p.parse("1KiB").unwrap_err().to_string();
        assert!(e.contains("x = 1KiB") && e.contains("4KiB ..= 1TiB"), "{e}");
        let d = ParamDef::new("ttl", &[], Unit::Duration, Value::Int(0), (0.0, 1e12), "")
            .note("0: off");
        assert_eq!(
            d.allowed(),
            "0s ..= 1000000000s (ms/s/m/h/d; a bare number is seconds; 0: off)"
        );
        assert_eq!(d.parse("10m").unwrap(), Value::Int(600_000));
        assert_eq!(d.format(Value::Int(600_000)), "600s");
    }
}
