//! Times one run of a command the way hyperfine does: wall clock around
//! spawn and reap, and the child's own user/system time and peak memory from
//! `wait4`'s rusage (so concurrent work elsewhere in this process never leaks
//! in). The run goes through the engine's process layer, so Ctrl-C stops it
//! like any other command.

use std::path::Path;

use cargo_perf_engine::process::{self, CommandSpec, Leftover, ProcessError};
use cargo_perf_engine::tail::OutputTail;

use cargo_perf_policy::CommandLine;

/// One measured run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    pub(crate) wall_ns: f64,
    pub(crate) user_ns: f64,
    pub(crate) sys_ns: f64,
    pub(crate) max_rss_bytes: f64,
    /// Processes the run left behind (not waited for, so not timed).
    pub(crate) leftover: Option<Leftover>,
}

/// Why a run did not give a sample.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    #[error(transparent)]
    Spawn(#[from] ProcessError),
    #[error("interrupted")]
    Interrupted,
    #[error("the command {status}")]
    Failed {
        status: String,
        stderr_tail: Vec<String>,
    },
}

/// `line` (its argv: a shell line runs under `sh -c`) in `cwd` with `env`,
/// its stdout discarded.
pub(crate) fn spec(line: &CommandLine, cwd: &Path, env: &[(String, String)]) -> CommandSpec {
    let argv = line.argv();
    let mut spec = CommandSpec::new(&argv[0])
        .args(&argv[1..])
        .cwd(cwd)
        .discard_stdout();
    for (key, value) in env {
        spec = spec.env(key, value);
    }
    spec
}

/// Runs `line` in `cwd` with `env`, its stdout discarded.
pub(crate) fn run_once(
    line: &CommandLine,
    cwd: &Path,
    env: &[(String, String)],
) -> Result<Sample, RunError> {
    let mut tail = OutputTail::new();
    let finished = process::run_split(&spec(line, cwd, env), |_, line| tail.push(line))?;
    if !finished.success() {
        return Err(RunError::Failed {
            status: finished.describe(),
            stderr_tail: tail.into_lines(),
        });
    }
    let ns = |d: std::time::Duration| d.as_nanos() as f64;
    Ok(Sample {
        wall_ns: ns(finished.duration),
        user_ns: ns(finished.usage.user),
        sys_ns: ns(finished.usage.system),
        max_rss_bytes: finished.usage.max_rss_bytes as f64,
        leftover: finished.leftover,
    })
}
