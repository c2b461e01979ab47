//! Numbers of the result model written for people: durations, sizes and
//! metric values with their units. Renderers and tasks share these so a
//! value reads the same in a summary line, a finding and a metrics table.
//! Durations and sizes are written by `cargo_perf_policy::units`, next to
//! the parsers of the same quantities, so there is one spelling of each.

use std::time::Duration;

use cargo_perf_policy::ByteSize;

use super::Unit;

/// `1.23s`, `450ms`, `2m05s`.
pub fn format_duration(duration: Duration) -> String {
    cargo_perf_policy::units::format_duration(duration)
}

/// `3.0 MiB`, `12 B`.
pub fn format_bytes(bytes: u64) -> String {
    ByteSize(bytes).to_string()
}

/// A metric's value in its unit: `1.50s`, `2.0 KiB`, `1.500 µs`, `3`, `5.0%`.
pub fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Seconds => {
            format_duration(Duration::try_from_secs_f64(value.max(0.0)).unwrap_or_default())
        }
        Unit::Nanoseconds => format_nanos(value),
        Unit::Bytes => format_bytes(value.max(0.0) as u64),
        Unit::Count | Unit::Instructions => format!("{}", value.round() as i64),
        Unit::Percent => format!("{value:.1}%"),
    }
}

fn format_nanos(ns: f64) -> String {
    match ns {
        ns if ns >= 1e9 => format!("{:.3} s", ns / 1e9),
        ns if ns >= 1e6 => format!("{:.3} ms", ns / 1e6),
        ns if ns >= 1e3 => format!("{:.3} µs", ns / 1e3),
        ns => format!("{ns:.1} ns"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(format_value(1.5, Unit::Seconds), "1.50s");
        assert_eq!(format_value(2048.0, Unit::Bytes), "2.0 KiB");
        assert_eq!(format_value(1_500.0, Unit::Nanoseconds), "1.500 µs");
        assert_eq!(format_value(3.0, Unit::Count), "3");
        assert_eq!(format_value(-1.0, Unit::Bytes), "0 B");
    }
}
