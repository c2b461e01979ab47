//! Instruction counts (`--instructions`): a command benchmark runs once under
//! valgrind's callgrind (see `valgrind`), following every child process, and
//! its count is the sum of the `totals:` (or older `summary:`) lines of the
//! files it wrote. Counts do not depend on machine noise, so one run is enough.

use std::path::Path;

use cargo_perf_engine::{TaskContext, TaskError};
use cargo_perf_policy::CommandBench;

use super::history::BenchRecord;
use super::valgrind::{self, Tool};

/// Counts the instructions of every benchmark, one run each.
pub(crate) fn measure_all(
    cx: &mut TaskContext<'_>,
    benches: &[CommandBench],
    root: &Path,
) -> Result<Vec<BenchRecord>, TaskError> {
    valgrind::measure_all(cx, benches, root, Tool::Callgrind)
}

/// The record of `bench` from the callgrind files in `dir`.
pub(crate) fn record(bench: &CommandBench, dir: &Path) -> Result<BenchRecord, TaskError> {
    let count = total_instructions(dir).ok_or_else(|| {
        TaskError::new(format!(
            "callgrind wrote no instruction count for `{}`",
            bench.name.value
        ))
        .hint("check that valgrind works here: `valgrind --tool=callgrind true`")
    })?;
    let mut record = BenchRecord::new(bench.name.value.clone(), "instructions");
    record.samples = vec![count];
    record.spread = Some(0.0);
    Ok(record)
}

/// The sum of the instruction totals of every callgrind file in `dir`.
fn total_instructions(dir: &Path) -> Option<f64> {
    let mut total = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let text = std::fs::read_to_string(entry.path()).ok()?;
        if let Some(count) = parse_total(&text) {
            *total.get_or_insert(0.0) += count;
        }
    }
    total
}

pub(crate) fn parse_total(text: &str) -> Option<f64> {
    let line = text
        .lines()
        .find(|l| l.starts_with("totals:"))
        .or_else(|| text.lines().find(|l| l.starts_with("summary:")))?;
    line.split_once(':')?
        .1
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_totals_or_summary() {
        assert_eq!(
            super::parse_total("events: Ir\nfl=x\n1 5\ntotals: 12345\n"),
            Some(12345.0)
        );
        assert_eq!(
            super::parse_total("events: Ir\nsummary: 777\n"),
            Some(777.0)
        );
        assert_eq!(super::parse_total("events: Ir\n"), None);
    }
}
