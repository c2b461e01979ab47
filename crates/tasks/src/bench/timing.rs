//! Times one run of a command the way hyperfine does: wall clock around
//! spawn and reap, and the child's own user/system time and peak memory from
//! `wait4`'s rusage (so concurrent work elsewhere in this process never leaks in).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use cargo_perf_policy::CommandLine;

/// One measured run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sample {
    pub(crate) wall_ns: f64,
    pub(crate) user_ns: f64,
    pub(crate) sys_ns: f64,
    pub(crate) max_rss_bytes: f64,
}

/// Why a run did not give a sample.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    #[error("cannot start `{0}`: {1}")]
    Spawn(String, std::io::Error),
    #[error("cannot wait for the command: {0}")]
    Wait(std::io::Error),
    #[error("the command {status}")]
    Failed {
        status: String,
        stderr_tail: Vec<String>,
    },
}

const STDERR_LINES: usize = 20;

/// Runs `line` in `cwd` with `env`, its stdout discarded.
pub(crate) fn run_once(
    line: &CommandLine,
    cwd: &Path,
    env: &[(String, String)],
) -> Result<Sample, RunError> {
    let argv = line.argv();
    let program = argv.first().map_or("sh", String::as_str);
    let mut command = Command::new(program);
    command
        .args(argv.iter().skip(1))
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let start = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|err| RunError::Spawn(program.to_owned(), err))?;
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut tail = VecDeque::with_capacity(STDERR_LINES);
        if let Some(stderr) = stderr {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tail.len() == STDERR_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        }
        Vec::from(tail)
    });
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our child, not yet reaped; the pointers are valid.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(RunError::Wait(err));
        }
    }
    let wall = start.elapsed();
    let stderr_tail = reader.join().unwrap_or_default();
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let status = if libc::WIFEXITED(status) {
            format!("exited with code {}", libc::WEXITSTATUS(status))
        } else if libc::WIFSIGNALED(status) {
            format!("was killed by signal {}", libc::WTERMSIG(status))
        } else {
            "ended abnormally".to_owned()
        };
        return Err(RunError::Failed {
            status,
            stderr_tail,
        });
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 * 1e9 + t.tv_usec as f64 * 1e3;
    Ok(Sample {
        wall_ns: wall.as_nanos() as f64,
        user_ns: tv(usage.ru_utime),
        sys_ns: tv(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        max_rss_bytes: usage.ru_maxrss as f64 * 1024.0,
    })
}
