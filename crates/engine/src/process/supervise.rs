//! Watching one started command until it is done: its output read as it
//! arrives, its exit reaped, its deadline kept, its process group registered
//! for Ctrl-C. "Done" means the command itself (its process group's leader)
//! has exited and its output is closed, or, when a process it left behind
//! still holds the output open, a short drain after the exit: such a process
//! is reported, never waited for, so it can block neither Ctrl-C nor a timeout.
//!
//! One thread does it all with `poll(2)` on the output pipes and a pidfd of
//! the command: no thread competes with a benchmark for the CPU while it
//! runs, and none is left blocked on a pipe a leftover process holds.

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use super::{CommandSpec, Finished, Stream, Usage, leftover};
use crate::interrupt::{self, GroupGuard};

/// How long output is still read after the command exited, for what its
/// leftover processes already wrote.
const DRAIN: Duration = Duration::from_millis(200);

/// How often the exit is checked where the kernel has no pidfd (before 5.3).
const TICK: Duration = Duration::from_millis(1);

/// One output pipe of a started command.
pub(super) struct Pipe {
    stream: Stream,
    file: File,
    /// The pipe as /proc names it (`pipe:[123]`), to find who else holds it.
    id: Option<OsString>,
    /// What was read after the last complete line.
    partial: Vec<u8>,
}

impl Pipe {
    pub(super) fn new(stream: Stream, reader: impl Into<OwnedFd>) -> Self {
        let file = File::from(reader.into());
        let id = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
            .ok()
            .map(Into::into);
        Self {
            stream,
            file,
            id,
            partial: Vec::new(),
        }
    }

    /// Reads what is there (the pipe polled readable, so this does not
    /// block) and hands over each complete line; `false` once it is closed.
    fn read(&mut self, on_output: &mut impl FnMut(Stream, &[u8])) -> bool {
        let mut chunk = [0u8; 64 * 1024];
        let n = match self.file.read(&mut chunk) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return true,
            Ok(0) | Err(_) => {
                self.flush(on_output);
                return false;
            }
            Ok(n) => n,
        };
        self.partial.extend_from_slice(&chunk[..n]);
        let mut start = 0;
        while let Some(end) = self.partial[start..].iter().position(|b| *b == b'\n') {
            on_output(self.stream, &self.partial[start..=start + end]);
            start += end + 1;
        }
        self.partial.drain(..start);
        true
    }

    /// Hands over an unterminated last line.
    fn flush(&mut self, on_output: &mut impl FnMut(Stream, &[u8])) {
        if !self.partial.is_empty() {
            on_output(self.stream, &std::mem::take(&mut self.partial));
        }
    }
}

/// A reaped command.
struct Reaped {
    status: ExitStatus,
    usage: Usage,
    at: Instant,
}

/// Watches `child` (spawned at `started` from `spec`, its pipes taken into
/// `pipes`) until it is done, calling `on_output` on this thread with each
/// line (line ending included) as it arrives.
pub(super) fn watch(
    spec: &CommandSpec,
    child: Child,
    pipes: Vec<Pipe>,
    started: Instant,
    on_output: impl FnMut(Stream, &[u8]),
) -> Finished {
    let group = child.id() as i32;
    let _registered = GroupGuard::register(group);
    // Our child, which nothing else reaps: std's `Child` is never waited on.
    let exit = Exit::open(child.id() as libc::pid_t);
    drop(child);
    let ids: Vec<OsString> = pipes.iter().filter_map(|p| p.id.clone()).collect();
    let deadline = spec.timeout.map(|limit| (started + limit, limit));
    let ended = follow(&exit, pipes, group, deadline, on_output);
    let killed = ended.timed_out.is_some() || interrupt::is_interrupted();
    Finished {
        status: ended.reaped.status,
        timed_out: ended.timed_out,
        duration: ended.reaped.at.saturating_duration_since(started),
        usage: ended.reaped.usage,
        leftover: leftover::find(group, !killed, ended.open > 0, &ids),
    }
}

/// How following the command ended.
struct Followed {
    reaped: Reaped,
    timed_out: Option<Duration>,
    /// Pipes still open when reading stopped.
    open: usize,
}

/// Hands output to `on_output` until the command was reaped and its pipes
/// closed, or the drain after its exit ran out. At the deadline the group is
/// killed; once the leader of a killed or interrupted group is gone, what is
/// left of the group is killed at once, since nothing will wait for it.
fn follow(
    exit: &Exit,
    mut pipes: Vec<Pipe>,
    group: i32,
    deadline: Option<(Instant, Duration)>,
    mut on_output: impl FnMut(Stream, &[u8]),
) -> Followed {
    let mut reaped: Option<Reaped> = None;
    let mut drain_until = None;
    let mut timed_out = None;
    let mut exited = true;
    loop {
        if reaped.is_none()
            && exited
            && let Some(now) = exit.try_reap()
        {
            if timed_out.is_some() || interrupt::is_interrupted() {
                interrupt::signal_group(group, libc::SIGKILL);
            }
            drain_until = Some(Instant::now() + DRAIN);
            reaped = Some(now);
        }
        let until = match (&reaped, timed_out) {
            (Some(_), _) => drain_until,
            (None, None) => deadline.map(|(at, _)| at),
            (None, Some(_)) => None,
        };
        let expired = until.is_some_and(|at| Instant::now() >= at);
        match (&reaped, expired) {
            (Some(_), _) if pipes.is_empty() => break,
            (Some(_), true) => break,
            (None, true) => {
                timed_out = deadline.map(|(_, limit)| limit);
                interrupt::signal_group(group, libc::SIGKILL);
                continue;
            }
            _ => {}
        }
        let ready;
        (ready, exited) = wait_ready(&pipes, exit, reaped.is_none(), until);
        let mut index = 0;
        pipes.retain_mut(|pipe| {
            let keep = !ready[index] || pipe.read(&mut on_output);
            index += 1;
            keep
        });
    }
    for pipe in &mut pipes {
        pipe.flush(&mut on_output);
    }
    Followed {
        reaped: reaped.expect("the loop ends only once the command was reaped"),
        timed_out,
        open: pipes.len(),
    }
}

/// Sleeps until a pipe has something (or closed), the command exited (when
/// `exiting`), or `until`; returns which pipes are ready, and whether the
/// command may have exited.
fn wait_ready(
    pipes: &[Pipe],
    exit: &Exit,
    exiting: bool,
    until: Option<Instant>,
) -> (Vec<bool>, bool) {
    let mut fds: Vec<libc::pollfd> = pipes
        .iter()
        .map(|pipe| pollfd(pipe.file.as_raw_fd()))
        .collect();
    let mut timeout = until.map(|at| at.saturating_duration_since(Instant::now()));
    if exiting {
        match &exit.fd {
            Some(fd) => fds.push(pollfd(fd.as_raw_fd())),
            None => timeout = Some(timeout.map_or(TICK, |t| t.min(TICK))),
        }
    }
    // Rounded up, so a deadline less than 1 ms away is not a busy loop.
    let ms = timeout.map_or(-1, |t| {
        i32::try_from(t.as_micros().div_ceil(1000)).unwrap_or(i32::MAX)
    });
    // SAFETY: `fds` is a valid array of pollfd for the duration of the call.
    // An error (EINTR from a signal) reads as "nothing ready": the caller loops.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    let ready = fds
        .iter()
        .take(pipes.len())
        .map(|fd| n > 0 && fd.revents != 0)
        .collect();
    let exited = exiting
        && match exit.fd {
            Some(_) => n > 0 && fds.last().is_some_and(|fd| fd.revents != 0),
            None => true,
        };
    (ready, exited)
}

fn pollfd(fd: RawFd) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

/// The command's exit: a pidfd that polls readable once it exited, where
/// the kernel has them.
struct Exit {
    pid: libc::pid_t,
    fd: Option<OwnedFd>,
}

impl Exit {
    #[cfg(target_os = "linux")]
    fn open(pid: libc::pid_t) -> Self {
        // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        let fd = RawFd::try_from(fd).ok().filter(|fd| *fd >= 0).map(|fd| {
            // SAFETY: `fd` was just opened for us and nothing else owns it.
            unsafe { OwnedFd::from_raw_fd(fd) }
        });
        Self { pid, fd }
    }

    #[cfg(not(target_os = "linux"))]
    fn open(pid: libc::pid_t) -> Self {
        Self { pid, fd: None }
    }

    /// Reaps the command if it has exited.
    ///
    /// `wait4` rather than `Child::wait`: it is the one wait that also
    /// returns the rusage of the command and the descendants it waited for
    /// (user and system time, peak memory), which benchmarks report, and std
    /// has no stable way to get it.
    fn try_reap(&self) -> Option<Reaped> {
        let mut status: libc::c_int = 0;
        // SAFETY: rusage is plain old data; all zeroes is a valid value.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our child, not yet reaped; the pointers are valid.
        let rc = unsafe { libc::wait4(self.pid, &mut status, libc::WNOHANG, &mut usage) };
        let at = Instant::now();
        if rc == self.pid {
            return Some(Reaped {
                status: ExitStatus::from_raw(status),
                usage: usage_of(&usage),
                at,
            });
        }
        let interrupted =
            rc == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted;
        (rc == -1 && !interrupted).then(|| Reaped {
            status: ExitStatus::from_raw(1 << 8),
            usage: Usage::default(),
            at,
        })
    }
}

fn usage_of(usage: &libc::rusage) -> Usage {
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    Usage {
        user: time(usage.ru_utime),
        system: time(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        max_rss_bytes: (usage.ru_maxrss.max(0) as u64) * 1024,
    }
}
