//! Instruction counts (`--instructions`): a command benchmark runs once under
//! valgrind's callgrind, following every child process, and its count is the
//! sum of the `totals:` (or older `summary:`) lines of the files it wrote.
//! Counts do not depend on machine noise, so one run is enough. valgrind runs
//! through the engine's process layer, as the profile task's does.

use std::ffi::OsString;
use std::path::Path;

use cargo_perf_engine::process::{self, CommandSpec};
use cargo_perf_engine::tail::OutputTail;
use cargo_perf_engine::{Finding, TaskContext, TaskError};
use cargo_perf_policy::CommandBench;

use super::codes::BenchCode;
use super::history::BenchRecord;

pub(crate) fn measure_all(
    cx: &mut TaskContext<'_>,
    benches: &[CommandBench],
    root: &Path,
) -> Result<Vec<BenchRecord>, TaskError> {
    let mut out = Vec::new();
    for (index, bench) in benches.iter().enumerate() {
        check_interrupt()?;
        cx.step(&format!(
            "[{}/{}] {}: callgrind",
            index + 1,
            benches.len(),
            bench.name.value
        ));
        if let Some(setup) = &bench.setup {
            let ran = super::timing::run_once(setup, root, &bench.env);
            check_interrupt()?;
            ran.map_err(|e| {
                TaskError::new(format!("benchmark `{}`: `setup` {e}", bench.name.value))
            })?;
        }
        if let Some(record) = measure(cx, bench, root)? {
            out.push(record);
        }
    }
    Ok(out)
}

/// One run of `bench` under callgrind: its record, or `None` when it failed
/// (an error finding with the last lines of valgrind's stderr).
fn measure(
    cx: &mut TaskContext<'_>,
    bench: &CommandBench,
    root: &Path,
) -> Result<Option<BenchRecord>, TaskError> {
    let temp = tempfile::Builder::new()
        .prefix("cargo-perf-callgrind-")
        .tempdir()
        .map_err(|e| TaskError::new(format!("cannot create a temporary directory: {e}")))?;
    let mut out_file = OsString::from("--callgrind-out-file=");
    out_file.push(temp.path().join("callgrind.out.%p"));
    let mut spec = CommandSpec::new("valgrind")
        .args(["--tool=callgrind", "--trace-children=yes"])
        .arg(out_file)
        .args(bench.run.argv())
        .cwd(root)
        .discard_stdout();
    for (key, value) in &bench.env {
        spec = spec.env(key, value);
    }
    let mut tail = OutputTail::new();
    let finished = process::run_split(&spec, |_, line| tail.push(line)).map_err(|e| {
        TaskError::new(e.to_string())
            .hint("install valgrind (e.g. `apt install valgrind`), or drop --instructions")
    })?;
    check_interrupt()?;
    if let Some(left) = &finished.leftover {
        cx.finding(left.finding(BenchCode::LeftoverProcesses, &spec.display()));
    }
    if !finished.success() {
        cx.finding(
            Finding::error(
                BenchCode::CommandFailed,
                format!(
                    "benchmark `{}` under callgrind: valgrind {}",
                    bench.name.value,
                    finished.describe()
                ),
            )
            .help(format!("run it by hand: {}", bench.run)),
        );
        cx.log_tail(tail.into_lines());
        return Ok(None);
    }
    let count = total_instructions(temp.path()).ok_or_else(|| {
        TaskError::new(format!(
            "callgrind wrote no instruction count for `{}`",
            bench.name.value
        ))
        .hint("check that valgrind works here: `valgrind --tool=callgrind true`")
    })?;
    let mut record = BenchRecord::new(bench.name.value.clone(), "instructions");
    record.samples = vec![count];
    record.spread = Some(0.0);
    Ok(Some(record))
}

fn check_interrupt() -> Result<(), TaskError> {
    if cargo_perf_engine::interrupt::is_interrupted() {
        Err(TaskError::new("interrupted; the history was not changed"))
    } else {
        Ok(())
    }
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
