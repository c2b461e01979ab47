//! Small text helpers of the report page: HTML escaping, base64 (for the
//! flamegraphs' data URIs), dates, a value's display in a unit scaled to
//! its size, and the sentence on what clean would reclaim (page and Markdown).

use cargo_perf_engine::model::dashboard::Reclaim;
use cargo_perf_engine::model::{Unit, format_bytes, format_value};

/// How many of the notes on what clean's plan left out are listed.
pub(super) const NOTES_SHOWN: usize = 10;

/// One sentence on what `cargo perf clean` would reclaim, with code spans
/// between `open` and `close` (`<code>`/`</code>`, or backticks).
pub(super) fn reclaim_sentence(r: &Reclaim, open: &str, close: &str) -> String {
    let clean = format!("{open}cargo perf clean{close}");
    if r.entries > 0 {
        return format!(
            "{clean} would reclaim {} ({} removal{}) under the current policy: the plan {open}cargo perf clean --dry-run{close} lists.",
            format_bytes(r.bytes),
            r.entries,
            if r.entries == 1 { "" } else { "s" }
        );
    }
    if r.rules_set {
        format!("{clean} would remove nothing under the current policy.")
    } else {
        format!(
            "{clean} would remove nothing: no rule is set in {open}[clean]{close} of perf.toml (see docs/clean.md), so it removes only old outputs of cargo perf."
        )
    }
}

pub(super) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(super) fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `2026-12-01 11:04 UTC`.
pub(super) fn date(unix: u64) -> String {
    let (year, month, day) = crate::history::civil_date(unix);
    let secs = unix % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// A value in its unit, as the rest of the tool writes it.
pub(super) fn value(v: f64, unit: Unit) -> String {
    format_value(v, unit)
}

/// A metric of the stored check in its unit (`seconds`, `bytes`, ...).
pub(super) fn metric(v: f64, unit: &str) -> String {
    let unit = match unit {
        "seconds" => Unit::Seconds,
        "nanoseconds" => Unit::Nanoseconds,
        "bytes" => Unit::Bytes,
        "percent" => Unit::Percent,
        "instructions" => Unit::Instructions,
        _ => Unit::Count,
    };
    format_value(v, unit)
}

/// The scale a chart of values up to `max` shows them in: (divisor, unit label).
pub(super) fn scale(max: f64, unit: Unit) -> (f64, &'static str) {
    match unit {
        Unit::Nanoseconds => match max {
            m if m >= 1e9 => (1e9, "s"),
            m if m >= 1e6 => (1e6, "ms"),
            m if m >= 1e3 => (1e3, "µs"),
            _ => (1.0, "ns"),
        },
        Unit::Seconds => (1.0, "s"),
        Unit::Bytes => match max {
            m if m >= 1024.0 * 1024.0 * 1024.0 => (1024.0 * 1024.0 * 1024.0, "GiB"),
            m if m >= 1024.0 * 1024.0 => (1024.0 * 1024.0, "MiB"),
            m if m >= 1024.0 => (1024.0, "KiB"),
            _ => (1.0, "B"),
        },
        Unit::Instructions => match max {
            m if m >= 1e9 => (1e9, "G instructions"),
            m if m >= 1e6 => (1e6, "M instructions"),
            m if m >= 1e3 => (1e3, "k instructions"),
            _ => (1.0, "instructions"),
        },
        Unit::Count => (1.0, "count"),
        Unit::Percent => (1.0, "%"),
    }
}

/// A commit's first 12 characters.
pub(super) fn short(commit: &str) -> String {
    commit.chars().take(12).collect()
}

/// `+12.3%`.
pub(super) fn percent_change(change: f64) -> String {
    format!("{:+.1}%", change * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(date(0), "1970-01-01 00:00 UTC");
        assert_eq!(date(1_796_123_040), "2026-12-01 11:04 UTC");
    }
}
