//! Watching one started command until it is done: its output read as it
//! arrives, its exit reaped, its deadline kept, its process group registered
//! for Ctrl-C. "Done" means the command itself (its process group's leader)
//! has exited and its output is closed, or, when a process it left behind
//! still holds the output open, a short drain after the exit: such a process
//! is reported, never waited for, so it can block neither Ctrl-C nor a timeout.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ExitStatus};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use super::{CommandSpec, Finished, Stream, Usage, leftover};
use crate::interrupt::{self, GroupGuard};

/// How long output is still read after the command exited, for what its
/// leftover processes already wrote.
const DRAIN: Duration = Duration::from_millis(200);

/// One output pipe of a started command.
pub(super) struct Pipe {
    stream: Stream,
    reader: Box<dyn Read + Send>,
    /// The pipe as /proc names it (`pipe:[123]`), to find who else holds it.
    id: Option<OsString>,
}

impl Pipe {
    pub(super) fn new(stream: Stream, reader: impl Read + AsFd + Send + 'static) -> Self {
        let fd = reader.as_fd().as_raw_fd();
        let id = std::fs::read_link(format!("/proc/self/fd/{fd}"))
            .ok()
            .map(Into::into);
        Self {
            stream,
            reader: Box::new(reader),
            id,
        }
    }
}

enum Event {
    Output(Stream, Vec<u8>),
    Closed,
    Exited(Reaped),
}

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
    let (events, received) = mpsc::channel();
    let ids: Vec<OsString> = pipes.iter().filter_map(|p| p.id.clone()).collect();
    let open = pipes.len();
    for pipe in pipes {
        read_lines(pipe, events.clone());
    }
    // Our child, which nothing else reaps: std's `Child` is not waited on.
    let pid = child.id() as libc::pid_t;
    drop(child);
    thread::spawn(move || {
        let _ = events.send(Event::Exited(reap(pid)));
    });
    let deadline = spec.timeout.map(|limit| (started + limit, limit));
    let ended = follow(received, open, group, deadline, on_output);
    let killed = ended.timed_out.is_some() || interrupt::is_interrupted();
    let reaped = ended.reaped.unwrap_or_else(|| Reaped {
        status: ExitStatus::from_raw(1 << 8),
        usage: Usage::default(),
        at: Instant::now(),
    });
    Finished {
        status: reaped.status,
        timed_out: ended.timed_out,
        duration: reaped.at.saturating_duration_since(started),
        usage: reaped.usage,
        leftover: leftover::find(group, !killed, ended.open > 0, &ids),
    }
}

/// How following the events ended.
struct Followed {
    reaped: Option<Reaped>,
    timed_out: Option<Duration>,
    /// Pipes still open when reading stopped.
    open: usize,
}

/// Hands output to `on_output` until the command was reaped and its pipes
/// closed, or the drain after its exit ran out. At the deadline the group is
/// killed; once the leader of a killed or interrupted group is gone, what is
/// left of the group is killed at once, since nothing will wait for it.
fn follow(
    received: Receiver<Event>,
    mut open: usize,
    group: i32,
    deadline: Option<(Instant, Duration)>,
    mut on_output: impl FnMut(Stream, &[u8]),
) -> Followed {
    let mut reaped: Option<Reaped> = None;
    let mut drain_until = None;
    let mut timed_out = None;
    while open > 0 || reaped.is_none() {
        let until = match (&reaped, timed_out) {
            (Some(_), _) => drain_until,
            (None, None) => deadline.map(|(at, _)| at),
            (None, Some(_)) => None,
        };
        let event = match until {
            Some(at) => match received.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(event) => Some(event),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            },
            None => match received.recv() {
                Ok(event) => Some(event),
                Err(_) => break,
            },
        };
        match event {
            Some(Event::Output(stream, bytes)) => on_output(stream, &bytes),
            Some(Event::Closed) => open -= 1,
            Some(Event::Exited(exit)) => {
                if timed_out.is_some() || interrupt::is_interrupted() {
                    interrupt::signal_group(group, libc::SIGKILL);
                }
                drain_until = Some(Instant::now() + DRAIN);
                reaped = Some(exit);
            }
            None if reaped.is_some() => break,
            None => {
                timed_out = deadline.map(|(_, limit)| limit);
                interrupt::signal_group(group, libc::SIGKILL);
            }
        }
    }
    Followed {
        reaped,
        timed_out,
        open,
    }
}

/// Reads `pipe` line by line on a thread of its own, until it closes or no
/// one listens. A pipe a leftover process holds may never close: its thread
/// then stays blocked, harmlessly, until that process ends or we exit.
fn read_lines(pipe: Pipe, events: Sender<Event>) {
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe.reader);
        let mut buffer = Vec::new();
        while matches!(reader.read_until(b'\n', &mut buffer), Ok(n) if n > 0) {
            if events
                .send(Event::Output(pipe.stream, std::mem::take(&mut buffer)))
                .is_err()
            {
                return;
            }
        }
        let _ = events.send(Event::Closed);
    });
}

/// Waits for `pid` to exit.
///
/// `wait4` rather than `Child::wait`: it is the one wait that also returns
/// the rusage of the command and the descendants it waited for (user and
/// system time, peak memory), which benchmarks report, and std has no stable
/// way to get it.
fn reap(pid: libc::pid_t) -> Reaped {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our child, not yet reaped; the pointers are valid.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let at = Instant::now();
        if rc == pid {
            return Reaped {
                status: ExitStatus::from_raw(status),
                usage: usage_of(&usage),
                at,
            };
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return Reaped {
                status: ExitStatus::from_raw(1 << 8),
                usage: Usage::default(),
                at,
            };
        }
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
