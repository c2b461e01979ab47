//! Running the program under a recorder: `perf record` (sampling) or valgrind's
//! callgrind (instruction counts). Output goes into the run's own directory,
//! never the working directory. A program that fails, panics or is stopped
//! with Ctrl-C still leaves a recording to post-process.

use std::path::Path;

use cargo_perf_engine::process::{CommandSpec, Finished};
use cargo_perf_engine::{TaskContext, TaskError};

use super::build::Program;
use super::options::{CallGraph, Resolved};

/// Bytes of user stack perf copies per sample in dwarf mode: deep Rust stacks need more than the 8 KiB default.
pub(crate) const DWARF_STACK_SIZE: u32 = 32_768;

/// What `perf record` leaves out to end as soon as the program does (each
/// measured on perf 6.1, see docs/profile.md):
/// - `--no-buildid`: after the program ends, perf would read the whole
///   recording again (every sample with its stack copy, and the kernel's
///   symbol table) to list the binaries hit, and copy each into `~/.debug`.
///   `perf script` runs right after, on binaries still in place, and reads
///   their build ids from the files themselves.
/// - `--no-bpf-event`: perf's side-band thread, which tracks BPF programs
///   loaded during the run, polls with a one-second timeout and is joined
///   at the end, so every recording waited up to a second after the program
///   had exited. Only samples inside JIT-compiled BPF programs lose a name.
const RECORD_FLAGS: [&str; 3] = ["record", "--no-buildid", "--no-bpf-event"];

/// How the recording went.
#[derive(Debug, Clone)]
pub(crate) struct Recording {
    pub command: String,
    pub finished: Finished,
    /// The exit of the program as the user would see it ("exited with status 101").
    pub outcome: String,
    pub stopped_by_duration: bool,
    pub recorded_samples: Option<u64>,
    pub lost: u64,
    pub tail: Vec<String>,
}

pub(crate) fn perf(
    cx: &TaskContext<'_>,
    program: &Program,
    options: &Resolved,
    event: &str,
    data: &Path,
) -> Result<Recording, TaskError> {
    let call_graph = match options.call_graph {
        CallGraph::Dwarf => format!("dwarf,{DWARF_STACK_SIZE}"),
        CallGraph::FramePointers => "fp".to_owned(),
    };
    let spec = CommandSpec::new("perf")
        .args(RECORD_FLAGS)
        .args(["-e", event, "-F"])
        .arg(options.frequency.to_string())
        .args(["--call-graph", &call_graph, "-o"])
        .arg(data)
        .arg("--");
    let spec = workload(spec, program, options);
    run(cx, spec, options, "recording with perf")
}

pub(crate) fn callgrind(
    cx: &TaskContext<'_>,
    program: &Program,
    options: &Resolved,
    out: &Path,
) -> Result<Recording, TaskError> {
    let mut file_arg = std::ffi::OsString::from("--callgrind-out-file=");
    file_arg.push(out);
    let spec = valgrind(options)
        .args(["--tool=callgrind", "--quiet"])
        .arg(file_arg)
        .arg("--")
        .arg(&program.executable)
        .args(&program.args);
    run(cx, spec, options, "recording with callgrind (slow: ~50x)")
}

/// `--memory`: valgrind's DHAT, with inline frames so inlined code is named.
pub(crate) fn dhat(
    cx: &TaskContext<'_>,
    program: &Program,
    options: &Resolved,
    out: &Path,
) -> Result<Recording, TaskError> {
    let mut file_arg = std::ffi::OsString::from("--dhat-out-file=");
    file_arg.push(out);
    let spec = valgrind(options)
        .args(["--tool=dhat", "--quiet", "--read-inline-info=yes"])
        .arg(file_arg)
        .arg("--")
        .arg(&program.executable)
        .args(&program.args);
    run(
        cx,
        spec,
        options,
        "recording allocations with DHAT (slow: ~20x)",
    )
}

/// `valgrind`, under `timeout -s INT` for `--duration`: valgrind follows no
/// child process, so the cap goes outside it (inside, it would profile
/// `timeout`); valgrind passes the signal on and still writes its file.
fn valgrind(options: &Resolved) -> CommandSpec {
    match options.duration {
        Some(limit) => CommandSpec::new("timeout")
            .args(["--signal=INT", "--preserve-status"])
            .arg(format!("{}s", limit.as_secs_f64()))
            .arg("valgrind"),
        None => CommandSpec::new("valgrind"),
    }
}

/// Appends the program, capped by `--duration` with `timeout -s INT` so the
/// recorder still writes a complete file.
fn workload(mut spec: CommandSpec, program: &Program, options: &Resolved) -> CommandSpec {
    if let Some(limit) = options.duration {
        spec = spec
            .args(["timeout", "--signal=INT", "--preserve-status"])
            .arg(format!("{}s", limit.as_secs_f64()));
    }
    spec.arg(&program.executable).args(&program.args)
}

/// perf's own lines (`[ perf record: ...`) and valgrind's (`==123== ...`):
/// the rest is the program's output, which passes through.
fn is_recorder_line(line: &str) -> bool {
    line.starts_with("[ perf record:")
        || line
            .strip_prefix("==")
            .and_then(|rest| rest.split_once("=="))
            .is_some_and(|(pid, _)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

fn run(
    cx: &TaskContext<'_>,
    spec: CommandSpec,
    options: &Resolved,
    what: &str,
) -> Result<Recording, TaskError> {
    let command = spec.display();
    cx.step(what);
    let started = std::time::Instant::now();
    let (finished, tail) = cx.run_program(&spec, |line| !is_recorder_line(line))?;
    let stopped_by_duration = options
        .duration
        .is_some_and(|limit| started.elapsed() >= limit && !finished.success());
    let mut recorded_samples = None;
    let mut lost = 0;
    for line in &tail {
        if let Some(rest) = line.split("perf record: Captured and wrote").nth(1)
            && let Some(count) = rest.split('(').nth(1)
        {
            recorded_samples = count.split_whitespace().next().and_then(|n| n.parse().ok());
        }
        let lower = line.to_ascii_lowercase();
        if lower.contains("lost") {
            lost += lower
                .split_whitespace()
                .skip_while(|w| *w != "lost")
                .nth(1)
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    let outcome = if stopped_by_duration {
        "was stopped after --duration".to_owned()
    } else {
        finished.describe()
    };
    Ok(Recording {
        command,
        finished,
        outcome,
        stopped_by_duration,
        recorded_samples,
        lost,
        tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorders_lines_are_told_from_the_programs() {
        assert!(is_recorder_line(
            "[ perf record: Woken up 1 times to write data ]"
        ));
        assert!(is_recorder_line(
            "==4242== Warning: set address range perms"
        ));
        assert!(!is_recorder_line("==> done"));
        assert!(!is_recorder_line("== =="));
        assert!(!is_recorder_line("allocated 64 MiB"));
    }
}
