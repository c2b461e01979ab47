//! The deterministic modes' runner: each command benchmark runs once under a
//! valgrind tool (callgrind for `--instructions`, DHAT for `--memory`),
//! following every child process, each writing its own file into a
//! temporary directory the tool's reader then sums. What these tools count
//! does not depend on machine noise, so one run is enough. valgrind runs
//! through the engine's process layer, as the profile task's does.

use std::ffi::OsString;
use std::path::Path;

use cargo_perf_engine::process::{self, CommandSpec};
use cargo_perf_engine::tail::OutputTail;
use cargo_perf_engine::{Finding, TaskContext, TaskError};
use cargo_perf_policy::CommandBench;

use super::codes::BenchCode;
use super::history::BenchRecord;

/// A valgrind tool a deterministic mode runs benchmarks under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tool {
    /// Instruction counts (`--instructions`).
    Callgrind,
    /// Heap figures (`--memory`).
    Dhat,
}

impl Tool {
    /// How messages name it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tool::Callgrind => "callgrind",
            Tool::Dhat => "DHAT",
        }
    }

    /// The flag that asks for it, for hints.
    fn flag(self) -> &'static str {
        match self {
            Tool::Callgrind => "--instructions",
            Tool::Dhat => "--memory",
        }
    }

    /// valgrind's arguments before the command: one output file per process in `dir`.
    fn args(self, dir: &Path) -> Vec<OsString> {
        let (tool, option, file) = match self {
            Tool::Callgrind => (
                "--tool=callgrind",
                "--callgrind-out-file=",
                "callgrind.out.%p",
            ),
            Tool::Dhat => ("--tool=dhat", "--dhat-out-file=", "dhat.%p.json"),
        };
        let mut out_file = OsString::from(option);
        out_file.push(dir.join(file));
        vec![tool.into(), "--trace-children=yes".into(), out_file]
    }

    /// The record of `bench` from the files the tool wrote into `dir`.
    fn read(self, bench: &CommandBench, dir: &Path) -> Result<BenchRecord, TaskError> {
        match self {
            Tool::Callgrind => super::callgrind::record(bench, dir),
            Tool::Dhat => super::heap::record(bench, dir),
        }
    }
}

/// Runs every benchmark once under `tool`, after its `setup`. A benchmark
/// that fails is an error finding, and the others still run.
pub(crate) fn measure_all(
    cx: &mut TaskContext<'_>,
    benches: &[CommandBench],
    root: &Path,
    tool: Tool,
) -> Result<Vec<BenchRecord>, TaskError> {
    let mut out = Vec::new();
    for (index, bench) in benches.iter().enumerate() {
        check_interrupt()?;
        cx.step(&format!(
            "[{}/{}] {}: {}",
            index + 1,
            benches.len(),
            bench.name.value,
            tool.name()
        ));
        if let Some(setup) = &bench.setup {
            let ran = super::timing::run_once(setup, root, &bench.env);
            check_interrupt()?;
            ran.map_err(|e| {
                TaskError::new(format!("benchmark `{}`: `setup` {e}", bench.name.value))
            })?;
        }
        if let Some(record) = measure(cx, bench, root, tool)? {
            out.push(record);
        }
    }
    Ok(out)
}

/// One run of `bench` under `tool`: its record, or `None` when it failed
/// (an error finding with the last lines of valgrind's stderr).
fn measure(
    cx: &mut TaskContext<'_>,
    bench: &CommandBench,
    root: &Path,
    tool: Tool,
) -> Result<Option<BenchRecord>, TaskError> {
    let temp = tempfile::Builder::new()
        .prefix("cargo-perf-valgrind-")
        .tempdir()
        .map_err(|e| TaskError::new(format!("cannot create a temporary directory: {e}")))?;
    let mut spec = CommandSpec::new("valgrind")
        .args(tool.args(temp.path()))
        .args(bench.run.argv())
        .cwd(root)
        .discard_stdout();
    for (key, value) in &bench.env {
        spec = spec.env(key, value);
    }
    let mut tail = OutputTail::new();
    let finished = process::run_split(&spec, |_, line| tail.push(line)).map_err(|e| {
        TaskError::new(e.to_string()).hint(format!(
            "install valgrind (e.g. `apt install valgrind`), or drop {}",
            tool.flag()
        ))
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
                    "benchmark `{}` under {}: valgrind {}",
                    bench.name.value,
                    tool.name(),
                    finished.describe()
                ),
            )
            .help(format!("run it by hand: {}", bench.run)),
        );
        cx.log_tail(tail.into_lines());
        return Ok(None);
    }
    tool.read(bench, temp.path()).map(Some)
}

fn check_interrupt() -> Result<(), TaskError> {
    if cargo_perf_engine::interrupt::is_interrupted() {
        Err(TaskError::new("interrupted; the history was not changed"))
    } else {
        Ok(())
    }
}
