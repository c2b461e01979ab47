//! `cargo perf bench history`: the stored runs as a table, one run with its
//! fingerprint, or one benchmark's series; or the same data as one JSON
//! document. Warnings about skipped files are not part of the text: the
//! binary prints them on stderr, so stdout holds the result only.

use std::fmt::Write as _;

use cargo_perf_engine::model::history::{BenchHistory, HistoryBench};

use cargo_perf_engine::model::format_value;

pub fn render_history(history: &BenchHistory) -> String {
    let mut out = String::new();
    if !history.exists {
        let _ = writeln!(
            out,
            "no bench history yet at {} (run `cargo perf bench`)",
            history.store.display()
        );
    } else if history.run.is_some() {
        run(&mut out, history);
    } else if let Some(name) = &history.benchmark {
        series(&mut out, history, name);
    } else {
        table(&mut out, history);
    }
    out
}

pub fn render_history_json(history: &BenchHistory) -> String {
    let mut text = serde_json::to_string_pretty(history)
        .unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
    text.push('\n');
    text
}

fn table(out: &mut String, history: &BenchHistory) {
    let _ = writeln!(
        out,
        "{:>5}  {:<23}  {:<12}  {:<10}  benchmarks",
        "run", "time", "branch", "commit"
    );
    for run in &history.runs {
        let commit = run.commit.as_deref().map_or("-".to_owned(), |c| {
            let short: String = c.chars().take(8).collect();
            format!("{short}{}", if run.dirty { "+" } else { "" })
        });
        let _ = writeln!(
            out,
            "{:>5}  {:<23}  {:<12}  {:<10}  {}",
            run.id,
            format_time(run.time),
            run.branch.as_deref().unwrap_or("-"),
            commit,
            run.benchmarks.len()
        );
    }
    if !history.baselines.is_empty() {
        let _ = writeln!(out, "baselines: {}", history.baselines.join(", "));
    }
}

fn run(out: &mut String, history: &BenchHistory) {
    for run in &history.runs {
        let _ = writeln!(out, "run #{} at {}", run.id, format_time(run.time));
        let fingerprint = serde_json::to_string_pretty(&run.fingerprint).unwrap_or_default();
        let _ = writeln!(out, "fingerprint: {fingerprint}");
        for b in &run.benchmarks {
            let _ = writeln!(
                out,
                "  {:<30} median {:>12}  ({} samples)",
                b.id,
                median(b),
                b.samples.len()
            );
        }
    }
}

fn series(out: &mut String, history: &BenchHistory, name: &str) {
    let _ = writeln!(out, "{name}:");
    for run in &history.runs {
        for b in &run.benchmarks {
            let _ = writeln!(
                out,
                "{:>5}  {:<23}  median {:>12}  ({} samples)",
                run.id,
                format_time(run.time),
                median(b),
                b.samples.len()
            );
        }
    }
}

fn median(b: &HistoryBench) -> String {
    format_value(b.median, b.unit)
}

/// `2026-11-23 12:05:00 UTC` from Unix seconds.
fn format_time(secs: u64) -> String {
    let (year, month, day) = civil_date(secs);
    let rem = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The (year, month, day) of Unix seconds, proleptic Gregorian (Howard
/// Hinnant's civil-from-days).
pub(crate) fn civil_date(secs: u64) -> (i64, i64, i64) {
    let days = (secs / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use cargo_perf_engine::Unit;
    use cargo_perf_engine::model::history::HistoryRun;

    use super::*;

    #[test]
    fn formats_time() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(1_709_210_096), "2024-02-29 12:34:56 UTC");
    }

    fn sample() -> BenchHistory {
        let mut history = BenchHistory::new(".cargo-perf/bench".into(), true);
        history.runs.push(HistoryRun {
            id: 1,
            time: 1_709_210_096,
            branch: Some("main".into()),
            commit: Some("0123456789abcdef".into()),
            dirty: true,
            fingerprint: serde_json::json!({"os": "linux"}),
            benchmarks: vec![HistoryBench {
                id: "parse".into(),
                unit: Unit::Nanoseconds,
                median: 1500.0,
                samples: vec![1400.0, 1500.0, 1600.0],
            }],
        });
        history.baselines.push("main".into());
        history
    }

    #[test]
    fn the_table_snapshot() {
        assert_eq!(
            render_history(&sample()),
            "  run  time                     branch        commit      benchmarks\n    1  2024-02-29 12:34:56 UTC  main          01234567+   1\nbaselines: main\n"
        );
    }

    #[test]
    fn one_run_and_one_series() {
        let mut history = sample();
        history.run = Some(1);
        let text = render_history(&history);
        assert!(
            text.starts_with("run #1 at 2024-02-29 12:34:56 UTC\nfingerprint: {"),
            "{text}"
        );
        assert!(text.contains("parse"), "{text}");
        assert!(text.contains("1.500 µs  (3 samples)"), "{text}");
        history.run = None;
        history.benchmark = Some("parse".into());
        assert_eq!(
            render_history(&history),
            "parse:\n    1  2024-02-29 12:34:56 UTC  median     1.500 µs  (3 samples)\n"
        );
    }

    #[test]
    fn json_has_a_version() {
        let value: serde_json::Value =
            serde_json::from_str(&render_history_json(&sample())).unwrap();
        assert_eq!(value["version"], cargo_perf_engine::model::REPORT_VERSION);
        assert_eq!(value["runs"][0]["benchmarks"][0]["unit"], "nanoseconds");
    }
}
