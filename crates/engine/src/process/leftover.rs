//! Processes a command left running when it exited: members of its process
//! group (`cmd &` in a script), and processes anywhere (`setsid cmd &`) that
//! still hold its output pipe. Found through /proc so the report can name
//! them; the run never waits for them.

use std::ffi::OsString;
use std::path::Path;

use crate::model::{Finding, FindingCode};

/// What a command left running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// `(pid, name)` of each process found, by pid.
    pub processes: Vec<(u32, String)>,
    /// Whether one of them still held the command's output open.
    pub holds_output: bool,
}

impl Leftover {
    /// "left 2 processes running: 41 (sleep), 42 (sh), still holding its output".
    pub fn describe(&self) -> String {
        let named: Vec<String> = self
            .processes
            .iter()
            .map(|(pid, name)| format!("{pid} ({name})"))
            .collect();
        let what = match named.len() {
            0 => "left a process running".to_owned(),
            1 => format!("left a process running: {}", named[0]),
            n => format!("left {n} processes running: {}", named.join(", ")),
        };
        if self.holds_output {
            format!("{what}, still holding its output")
        } else {
            what
        }
    }

    /// The warning a task reports for `command` (as shown to the user), with
    /// its task's `code`.
    pub fn finding(&self, code: impl FindingCode, command: &str) -> Finding {
        let them = if self.processes.len() > 1 {
            "them"
        } else {
            "it"
        };
        Finding::warning(
            code,
            format!(
                "`{command}` {}; cargo perf did not wait for {them}",
                self.describe()
            ),
        )
        .help(
            "make the command wait for what it starts (`wait`), or stop it before exiting; a process meant to outlive it must not keep its output (`cmd >/dev/null 2>&1 &`)",
        )
    }
}

/// What `group`'s command left running: with `in_group`, the live members of
/// its process group; with `output_open`, whoever holds one of the pipes
/// named `pipes`. `None` when nothing is left.
pub(super) fn find(
    group: i32,
    in_group: bool,
    output_open: bool,
    pipes: &[OsString],
) -> Option<Leftover> {
    let in_group = in_group && group_exists(group);
    if !in_group && !output_open {
        return None;
    }
    let holders = if output_open { pipes } else { &[] };
    let processes = scan(in_group.then_some(group), holders);
    if processes.is_empty() && !output_open {
        return None; // only zombies about to be reaped
    }
    Some(Leftover {
        processes,
        holds_output: output_open,
    })
}

fn group_exists(group: i32) -> bool {
    // SAFETY: signal 0 only checks that the group exists.
    unsafe { libc::killpg(group, 0) == 0 }
}

/// Live processes (other than ours) in `group` or holding one of `pipes`.
fn scan(group: Option<i32>, pipes: &[OsString]) -> Vec<(u32, String)> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found: Vec<(u32, String)> = entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            if pid == me {
                return None;
            }
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let (name, state, pgrp) = parse_stat(&stat)?;
            let wanted =
                state != 'Z' && (group == Some(pgrp) || holds_any(&entry.path().join("fd"), pipes));
            wanted.then_some((pid, name))
        })
        .collect();
    found.sort();
    found
}

/// The name, state and process group of a `/proc/PID/stat` line.
fn parse_stat(stat: &str) -> Option<(String, char, i32)> {
    let (head, rest) = stat.rsplit_once(')')?;
    let name = head.split_once('(')?.1.to_owned();
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let pgrp = fields.nth(1)?.parse().ok()?;
    Some((name, state, pgrp))
}

fn holds_any(fd_dir: &Path, pipes: &[OsString]) -> bool {
    if pipes.is_empty() {
        return false;
    }
    let Ok(fds) = std::fs::read_dir(fd_dir) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path())
            .is_ok_and(|target| pipes.iter().any(|p| p.as_os_str() == target.as_os_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stat_lines_whose_name_has_parentheses() {
        assert_eq!(
            parse_stat("42 (a (b) c) S 1 40 40 0 -1"),
            Some(("a (b) c".to_owned(), 'S', 40))
        );
    }

    #[test]
    fn names_the_processes() {
        let left = Leftover {
            processes: vec![(41, "sleep".to_owned())],
            holds_output: true,
        };
        assert_eq!(
            left.describe(),
            "left a process running: 41 (sleep), still holding its output"
        );
    }
}
