//! Human-friendly quantities in perf.toml: sizes (`"500 MiB"`), durations
//! (`"90s"`, `"1h30m"`) and percentages (`"5%"`). Each parser explains what it
//! expected, so the policy loader can turn a failure into a located diagnostic.
//! Hand-written rather than `humantime`/`bytesize`: their errors carry no
//! "expected a number followed by a unit" wording to attach to a span, and
//! they accept spellings (`"5 minutes ago"`, `"1.5 kb"`) that perf.toml
//! should reject.

use std::fmt;
use std::time::Duration;

/// A number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ByteSize(pub u64);

/// A percentage, stored as a fraction (`"5%"` is `0.05`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Percent(pub f64);

/// Why a quantity did not parse, and how it should have been written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitError {
    pub reason: String,
    pub help: &'static str,
}

pub const SIZE_HELP: &str = "write a number and a unit, e.g. \"500 MiB\" or \"2 GiB\" (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)";
pub const DURATION_HELP: &str = "write a number and a unit, e.g. \"90s\", \"10m\", \"1h30m\" or \"30d\" (units: ms, s, m, h, d, w)";
pub const PERCENT_HELP: &str = "write a number followed by `%`, e.g. \"5%\" or \"2.5%\"";

const SIZE_UNITS: &[(&str, u64)] = &[
    ("b", 1),
    ("kb", 1_000),
    ("mb", 1_000_000),
    ("gb", 1_000_000_000),
    ("tb", 1_000_000_000_000),
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("tib", 1 << 40),
];

const DURATION_UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("us", 1e-6),
    ("µs", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("sec", 1.0),
    ("m", 60.0),
    ("min", 60.0),
    ("h", 3600.0),
    ("d", 86_400.0),
    ("w", 604_800.0),
];

impl std::str::FromStr for ByteSize {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Self, UnitError> {
        let err = |reason: String| UnitError {
            reason,
            help: SIZE_HELP,
        };
        let (number, unit) = split_number(text.trim())
            .ok_or_else(|| err(format!("`{text}` does not start with a number")))?;
        let unit = unit.trim();
        let multiplier = if unit.is_empty() {
            1
        } else {
            SIZE_UNITS
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(unit))
                .map(|(_, m)| *m)
                .ok_or_else(|| err(format!("unknown size unit `{unit}`")))?
        };
        let bytes = number * multiplier as f64;
        if !bytes.is_finite() || bytes > u64::MAX as f64 {
            return Err(err(format!("`{text}` is too large")));
        }
        Ok(ByteSize(bytes.round() as u64))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const STEPS: &[(&str, u64)] = &[
            ("TiB", 1 << 40),
            ("GiB", 1 << 30),
            ("MiB", 1 << 20),
            ("KiB", 1 << 10),
        ];
        for (unit, size) in STEPS {
            if self.0 >= *size {
                return write!(f, "{:.1} {unit}", self.0 as f64 / *size as f64);
            }
        }
        write!(f, "{} B", self.0)
    }
}

/// Parses a duration such as `"90s"`, `"1h30m"`, `"500ms"` or `"30d"`.
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    let err = |reason: String| UnitError {
        reason,
        help: DURATION_HELP,
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(err("the duration is empty".into()));
    }
    let mut seconds = 0.0;
    while !rest.is_empty() {
        let (number, after) =
            split_number(rest).ok_or_else(|| err(format!("`{text}` is not a duration")))?;
        let after = after.trim_start();
        let unit_len = after
            .char_indices()
            .find(|(_, c)| !c.is_alphabetic())
            .map_or(after.len(), |(i, _)| i);
        let unit = &after[..unit_len];
        if unit.is_empty() {
            return Err(err(format!("`{text}` has a number without a unit")));
        }
        let factor = DURATION_UNITS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))
            .map(|(_, f)| *f)
            .ok_or_else(|| err(format!("unknown duration unit `{unit}`")))?;
        seconds += number * factor;
        rest = after[unit_len..].trim_start();
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| err(format!("`{text}` is out of range")))
}

/// Renders a duration compactly for humans: `1.23s`, `450ms`, `2m05s`.
pub fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 1.0 {
        format!("{}ms", duration.as_millis())
    } else if secs < 60.0 {
        format!("{secs:.2}s")
    } else {
        let whole = duration.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

/// Whether a percentage must be written with its `%`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PercentSign {
    /// perf.toml: `"5%"`, so a percentage never reads as a fraction or a count.
    Required,
    /// A command-line flag whose name already says percent (`--min-width 0.5`).
    Optional,
}

/// The one percentage parser, for every perf.toml section and flag: `"5%"`
/// (or, with [`PercentSign::Optional`], `"5"`) is `5.0`, a number of percent
/// from 0 to 1000. Anything after the number but one `%` is an error, so
/// `"5%%"` is rejected everywhere.
pub fn parse_percent(text: &str, sign: PercentSign) -> Result<f64, UnitError> {
    let err = |reason: String| UnitError {
        reason,
        help: PERCENT_HELP,
    };
    let trimmed = text.trim();
    let body = match (trimmed.strip_suffix('%'), sign) {
        (Some(body), _) => body.trim_end(),
        (None, PercentSign::Optional) => trimmed,
        (None, PercentSign::Required) => {
            return Err(err(format!("`{text}` does not end with `%`")));
        }
    };
    let (number, rest) =
        split_number(body).ok_or_else(|| err(format!("`{text}` is not a percentage")))?;
    if !rest.trim().is_empty() {
        return Err(err(format!("`{text}` is not a percentage")));
    }
    if number > 1000.0 {
        return Err(err(format!("`{text}` is larger than 1000%")));
    }
    Ok(number)
}

impl std::str::FromStr for Percent {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Self, UnitError> {
        parse_percent(text, PercentSign::Required).map(|points| Percent(points / 100.0))
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0 * 100.0)
    }
}

/// Splits a leading non-negative decimal number (`12`, `1.5`) from the rest.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let end = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == '_'))
        .map_or(text.len(), |(i, _)| i);
    let digits: String = text[..end].chars().filter(|c| *c != '_').collect();
    let number: f64 = digits.parse().ok()?;
    Some((number, &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!("500 MiB".parse(), Ok(ByteSize(500 << 20)));
        assert_eq!("2GiB".parse(), Ok(ByteSize(2 << 30)));
        assert_eq!("1.5 kb".parse(), Ok(ByteSize(1500)));
        assert_eq!("42".parse(), Ok(ByteSize(42)));
        assert!(
            "5 XB"
                .parse::<ByteSize>()
                .unwrap_err()
                .reason
                .contains("`XB`")
        );
        assert!("MiB".parse::<ByteSize>().is_err());
        assert!("-3 MiB".parse::<ByteSize>().is_err());
        assert!("99999999999 TiB".parse::<ByteSize>().is_err());
        assert_eq!(ByteSize(3 << 20).to_string(), "3.0 MiB");
        assert_eq!(ByteSize(12).to_string(), "12 B");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert!(
            parse_duration("90")
                .unwrap_err()
                .reason
                .contains("without a unit")
        );
        assert!(
            parse_duration("3 fortnights")
                .unwrap_err()
                .reason
                .contains("`fortnights`")
        );
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1e400s").is_err());
    }

    #[test]
    fn percentages() {
        assert_eq!("5%".parse(), Ok(Percent(0.05)));
        assert_eq!(" 2.5 %".parse::<Percent>().unwrap().0, 0.025);
        assert!("5".parse::<Percent>().unwrap_err().reason.contains("`%`"));
        assert!("five%".parse::<Percent>().is_err());
        assert!("5000%".parse::<Percent>().is_err());
        for doubled in ["5%%", "5 %%", "%", "5%5%", "-5%", "5%\u{0}"] {
            assert!(doubled.parse::<Percent>().is_err(), "{doubled:?}");
            assert!(
                parse_percent(doubled, PercentSign::Optional).is_err(),
                "{doubled:?}"
            );
        }
        assert_eq!(parse_percent("0.5", PercentSign::Optional), Ok(0.5));
        assert_eq!(parse_percent("0.5%", PercentSign::Optional), Ok(0.5));
        assert!(parse_percent("0.5", PercentSign::Required).is_err());
    }

    #[test]
    fn formats_durations() {
        assert_eq!(format_duration(Duration::from_millis(450)), "450ms");
        assert_eq!(format_duration(Duration::from_millis(1234)), "1.23s");
        assert_eq!(format_duration(Duration::from_secs(125)), "2m05s");
    }
}
