//! Checks made before anything is built or run: is the profiler installed, may
//! it sample (`perf_event_paranoid`), will it see kernel symbols
//! (`kptr_restrict`), and which sampling event this machine has (hardware
//! cycles, or the software `cpu-clock` on virtual machines). Each problem is an
//! error that gives the exact command that fixes it.

use std::path::Path;

use cargo_perf_engine::process::{self, CommandSpec};
use cargo_perf_engine::{Finding, TaskContext, TaskError};

use super::codes::ProfileCode;

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
                ProfileCode::PerfParanoid,
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
                ProfileCode::KptrRestrict,
                format!("kptr_restrict is {restrict}: kernel frames show as [unknown]"),
            )
            .help("to name kernel frames: `sudo sysctl -w kernel.kptr_restrict=0`"),
        );
    }
    let event = sampling_event()?;
    Ok(Perf { version, event })
}

/// `cycles` when the hardware counter can be opened, else `cpu-clock`. Asked
/// of the kernel directly (`perf_event_open` on this process, user space
/// only), which takes microseconds where `perf stat` takes a tenth of a second.
fn sampling_event() -> Result<String, TaskError> {
    if probe(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES).is_ok() {
        return Ok("cycles".to_owned());
    }
    match probe(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK) {
        Ok(()) => Ok("cpu-clock".to_owned()),
        Err(err) => Err(TaskError::new(format!(
            "the kernel refuses to open a sampling event: {err}"
        ))
        .hint(match err.raw_os_error() {
            Some(libc::EACCES | libc::EPERM) => {
                "allow profiling with `sudo sysctl -w kernel.perf_event_paranoid=1`, or profile with `--callgrind`"
            }
            Some(libc::ENOSYS | libc::ENOENT) => {
                "this kernel has no perf events (e.g. some containers); profile with `--callgrind`"
            }
            _ => "check `perf stat -e cpu-clock -- true`, or profile with `--callgrind`",
        })),
    }
}

const PERF_TYPE_HARDWARE: u32 = 0;
const PERF_TYPE_SOFTWARE: u32 = 1;
const PERF_COUNT_HW_CPU_CYCLES: u64 = 0;
const PERF_COUNT_SW_CPU_CLOCK: u64 = 0;

/// The first 64 bytes of the kernel's `struct perf_event_attr` (`PERF_ATTR_SIZE_VER0`).
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    bp_addr: u64,
}

/// Opens (and closes) a sampling event counting this process in user space.
/// A raw `perf_event_open` rather than a crate (`perf-event`): one probe
/// call, to learn whether `perf record` will be allowed before it runs, is
/// not worth a dependency tree; rustix has no wrapper for this syscall.
fn probe(kind: u32, config: u64) -> std::io::Result<()> {
    const DISABLED: u64 = 1;
    const EXCLUDE_KERNEL: u64 = 1 << 5;
    const EXCLUDE_HV: u64 = 1 << 6;
    let attr = PerfEventAttr {
        kind,
        size: std::mem::size_of::<PerfEventAttr>() as u32,
        config,
        sample_period: 1_000_000,
        flags: DISABLED | EXCLUDE_KERNEL | EXCLUDE_HV,
        ..PerfEventAttr::default()
    };
    // SAFETY: `attr` is a valid, initialised perf_event_attr of the size it
    // declares; pid 0 / cpu -1 / group -1 / flags 0 ask for this process on any CPU.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const PerfEventAttr,
            0 as libc::pid_t,
            -1 as libc::c_int,
            -1 as libc::c_int,
            0 as libc::c_ulong,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` is the descriptor the kernel just returned to us.
    unsafe {
        libc::close(fd as libc::c_int);
    }
    Ok(())
}

/// Valgrind for `--callgrind` or `--memory` (the flag that needs it).
pub(crate) fn valgrind(cx: &TaskContext<'_>, flag: &str) -> Result<String, TaskError> {
    cx.step("checking valgrind");
    tool_version("valgrind", "--version").map_err(|_| {
        TaskError::new(format!("`valgrind` is not installed (or not on PATH); {flag} needs it")).hint(
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

fn read_number(path: &Path) -> Option<i64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attr_has_the_kernel_v0_size() {
        assert_eq!(std::mem::size_of::<PerfEventAttr>(), 64);
    }
}
