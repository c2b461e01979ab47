//! Formatting metric values with their units for people.

use std::time::Duration;

use cargo_perf_engine::Unit;
use cargo_perf_policy::ByteSize;
use cargo_perf_policy::units::format_duration;

pub fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Seconds => {
            format_duration(Duration::try_from_secs_f64(value.max(0.0)).unwrap_or_default())
        }
        Unit::Nanoseconds => format_nanos(value),
        Unit::Bytes => ByteSize(value.max(0.0) as u64).to_string(),
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
    }
}
