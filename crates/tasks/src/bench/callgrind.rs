//! Instruction counts (`--instructions`): a command benchmark runs once under
//! valgrind's callgrind, following every child process, and its count is the
//! sum of the `totals:` (or older `summary:`) lines of the files it wrote.
//! Counts do not depend on machine noise, so one run is enough.

use std::path::Path;
use std::process::{Command, Stdio};

use cargo_perf_engine::{Finding, TaskContext, TaskError};
use cargo_perf_policy::CommandBench;

use super::history::BenchRecord;

pub(crate) fn measure_all(
    cx: &mut TaskContext<'_>,
    benches: &[CommandBench],
    root: &Path,
) -> Result<Vec<BenchRecord>, TaskError> {
    let mut out = Vec::new();
    for (index, bench) in benches.iter().enumerate() {
        if cargo_perf_engine::interrupt::is_interrupted() {
            return Err(TaskError::new("interrupted; the history was not changed"));
        }
        cx.step(&format!(
            "[{}/{}] {}: callgrind",
            index + 1,
            benches.len(),
            bench.name.value
        ));
        if let Some(setup) = &bench.setup {
            super::timing::run_once(setup, root, &bench.env).map_err(|e| {
                TaskError::new(format!("benchmark `{}`: `setup` {e}", bench.name.value))
            })?;
        }
        let temp = tempfile::Builder::new()
            .prefix("cargo-perf-callgrind-")
            .tempdir()
            .map_err(|e| TaskError::new(format!("cannot create a temporary directory: {e}")))?;
        let output = Command::new("valgrind")
            .arg("--tool=callgrind")
            .arg("--trace-children=yes")
            .arg(format!(
                "--callgrind-out-file={}",
                temp.path().join("callgrind.out.%p").display()
            ))
            .args(bench.run.argv())
            .current_dir(root)
            .envs(bench.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| {
                TaskError::new(format!("cannot run valgrind: {e}"))
                    .hint("install valgrind (e.g. `apt install valgrind`), or drop --instructions")
            })?;
        if !output.status.success() {
            cx.finding(
                Finding::error(
                    "bench-command-failed",
                    format!(
                        "benchmark `{}` under callgrind: {}",
                        bench.name.value, output.status
                    ),
                )
                .help(format!("run it by hand: {}", bench.run)),
            );
            let stderr = String::from_utf8_lossy(&output.stderr);
            let lines: Vec<String> = stderr.lines().map(str::to_owned).collect();
            cx.log_tail(lines[lines.len().saturating_sub(30)..].to_vec());
            continue;
        }
        let count = total_instructions(temp.path()).ok_or_else(|| {
            TaskError::new(format!(
                "callgrind wrote no instruction count for `{}`",
                bench.name.value
            ))
            .hint("check that valgrind works here: `valgrind --tool=callgrind true`")
        })?;
        out.push(BenchRecord {
            id: bench.name.value.clone(),
            unit: "instructions".into(),
            samples: vec![count],
            spread: Some(0.0),
            user_ns: Vec::new(),
            sys_ns: Vec::new(),
            max_rss_bytes: Vec::new(),
        });
    }
    Ok(out)
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
