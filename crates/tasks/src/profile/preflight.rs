//! Checks made before anything is built or run: is the profiler installed, may
//! it sample (`perf_event_paranoid`), will it see kernel symbols
//! (`kptr_restrict`), and which sampling event this machine has (hardware
//! cycles, or the software `cpu-clock` on virtual machines). Each problem is an
//! error that gives the exact command that fixes it.

use std::path::Path;

use cargo_perf_engine::process::{self, CommandSpec};
use cargo_perf_engine::{Finding, TaskContext, TaskError};

/// What preflight learnt about perf on this machine.
#[derive(Debug, Clone)]
pub(crate) struct Perf {
    pub version: String,
    /// `cycles` when the hardware counter works, else `cpu-clock`.
    pub event: String,
}

const PARANOID: &str = "/proc/sys/kernel/perf_event_paranoid";
const KPTR_RESTRICT: &str = "/proc/sys/kernel/kptr_restrict";

pub(crate) fn perf(cx: &mut TaskContext<'_>) -> Result<Perf, TaskError> {
    cx.step("checking perf");
    let version = tool_version("perf", "--version").map_err(|_| {
        TaskError::new("`perf` is not installed (or not on PATH)").hint(
            "install it: `sudo apt-get install linux-perf` (Debian), `sudo apt-get install linux-tools-common linux-tools-$(uname -r)` (Ubuntu) or `sudo dnf install perf` (Fedora); or profile with `--callgrind`",
        )
    })?;
    let root = is_root();
    if let Some(paranoid) = read_number(Path::new(PARANOID))
        && paranoid > 2
        && !root
    {
        return Err(TaskError::new(format!(
            "perf_event_paranoid is {paranoid}: this kernel forbids unprivileged profiling"
        ))
        .hint(
            "allow it until the next reboot with `sudo sysctl -w kernel.perf_event_paranoid=1` (or run as root)",
        ));
    }
    if let Some(paranoid) = read_number(Path::new(PARANOID))
        && paranoid == 2
        && !root
    {
        cx.finding(
            Finding::info(
                "perf-paranoid",
                "perf_event_paranoid is 2: only user-space frames are sampled",
            )
            .help("to see kernel frames too: `sudo sysctl -w kernel.perf_event_paranoid=1`"),
        );
    }
    if let Some(restrict) = read_number(Path::new(KPTR_RESTRICT))
        && restrict > 0
        && !root
    {
        cx.finding(
            Finding::info(
                "perf-kptr-restrict",
                format!("kptr_restrict is {restrict}: kernel frames show as [unknown]"),
            )
            .help("to name kernel frames: `sudo sysctl -w kernel.kptr_restrict=0`"),
        );
    }
    let event = sampling_event()?;
    Ok(Perf { version, event })
}

/// `cycles` when the hardware counter can be opened, else `cpu-clock`.
fn sampling_event() -> Result<String, TaskError> {
    let candidates: &[&str] = if has_hardware_pmu() {
        &["cycles", "cpu-clock"]
    } else {
        &["cpu-clock"]
    };
    for &event in candidates {
        let spec = CommandSpec::new("perf").args(["stat", "-x", ",", "-e", event, "--", "true"]);
        let (finished, _, stderr) = process::run_captured(&spec)?;
        let text = String::from_utf8_lossy(&stderr);
        if finished.success()
            && !text.contains("<not supported>")
            && !text.contains("<not counted>")
        {
            return Ok(event.to_owned());
        }
        if event == "cpu-clock" {
            return Err(TaskError::new(format!(
                "perf cannot open a sampling event on this machine: {}",
                text.trim()
            ))
            .hint("allow profiling with `sudo sysctl -w kernel.perf_event_paranoid=1`, or profile with `--callgrind`"));
        }
    }
    unreachable!("the loop returns on its last event")
}

/// Valgrind for `--callgrind`.
pub(crate) fn valgrind(cx: &TaskContext<'_>) -> Result<String, TaskError> {
    cx.step("checking valgrind");
    tool_version("valgrind", "--version").map_err(|_| {
        TaskError::new("`valgrind` is not installed (or not on PATH); --callgrind needs it").hint(
            "install it: `sudo apt-get install valgrind` (Debian/Ubuntu) or `sudo dnf install valgrind` (Fedora)",
        )
    })
}

fn tool_version(program: &str, flag: &str) -> Result<String, TaskError> {
    let (finished, stdout, _) = process::run_captured(&CommandSpec::new(program).arg(flag))?;
    if !finished.success() {
        return Err(TaskError::new(format!(
            "`{program} {flag}` {}",
            finished.describe()
        )));
    }
    Ok(String::from_utf8_lossy(&stdout).trim().to_owned())
}

/// Whether the kernel lists a hardware PMU (none on most virtual machines);
/// when it cannot tell, assume one and let `perf stat` decide.
fn has_hardware_pmu() -> bool {
    const SOFTWARE: &[&str] = &[
        "software",
        "tracepoint",
        "breakpoint",
        "uprobe",
        "kprobe",
        "msr",
        "power",
    ];
    match std::fs::read_dir("/sys/bus/event_source/devices") {
        Ok(entries) => entries
            .flatten()
            .any(|e| !SOFTWARE.contains(&e.file_name().to_string_lossy().as_ref())),
        Err(_) => true,
    }
}

fn read_number(path: &Path) -> Option<i64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}
