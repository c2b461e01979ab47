//! Stopping commands that do not stop by themselves: Ctrl-C, SIGTERM and
//! timeouts end a run promptly even when a command leaves a detached process
//! holding its output, and `bench` stops the benchmark it is running. Every
//! test kills what it started, whatever the outcome.

use std::io::Read;
use std::process::{Child, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{Dir, TestCommand};

const SIGINT: i32 = 2;
const SIGKILL: i32 = 9;
const SIGTERM: i32 = 15;

/// Kills the processes of the test when it ends, passed or not.
#[derive(Default)]
struct Reaper(Vec<i32>);

impl Reaper {
    fn add(&mut self, pid: i32) -> i32 {
        self.0.push(pid);
        pid
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        for pid in &self.0 {
            let _ = std::process::Command::new("kill")
                .args([format!("-{SIGKILL}"), pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A cargo-perf started in the background, its output read as it comes.
struct Background {
    child: Child,
    out: Option<JoinHandle<Vec<u8>>>,
    err: Option<JoinHandle<Vec<u8>>>,
}

/// What a background cargo-perf did.
struct Ended {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Ended {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: stdout: {}\nstderr: {}", self.stdout, self.stderr))
    }
}

fn start(mut command: TestCommand, reaper: &mut Reaper) -> Background {
    let mut child = command
        .inner()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    reaper.add(child.id() as i32);
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let out = child.stdout.take().map(|p| read(Box::new(p)));
    let err = child.stderr.take().map(|p| read(Box::new(p)));
    Background { child, out, err }
}

impl Background {
    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits up to `limit` for the exit; panics (after killing it) if it runs longer.
    fn ended_within(mut self, limit: Duration, what: &str) -> Ended {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let stderr = self
                    .err
                    .take()
                    .map(|t| t.join().unwrap())
                    .unwrap_or_default();
                panic!(
                    "{what}: cargo-perf still ran {limit:?} later\nstderr: {}",
                    String::from_utf8_lossy(&stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let text = |t: Option<JoinHandle<Vec<u8>>>| {
            String::from_utf8_lossy(&t.map(|t| t.join().unwrap()).unwrap_or_default()).into_owned()
        };
        Ended {
            status,
            stdout: text(self.out.take()),
            stderr: text(self.err.take()),
        }
    }
}

/// Waits for `file` to hold a pid and returns it, registered with `reaper`.
fn pid_in(dir: &Dir, file: &str, reaper: &mut Reaper, run: &mut Background) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(text) = std::fs::read_to_string(dir.join(file))
            && let Ok(pid) = text.trim().parse::<i32>()
        {
            return reaper.add(pid);
        }
        if let Some(status) = run.child.try_wait().unwrap() {
            panic!("cargo-perf ended ({status}) before writing {file}");
        }
        assert!(Instant::now() < deadline, "{file} never appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(pid: i32, signal: i32) {
    let status = std::process::Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// `(pid, process group, state)` of every process in the process table, from /proc.
fn processes() -> Vec<(i32, i32, char, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        // After the name's closing parenthesis: state, ppid, pgrp, ...
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let (Some(state), Some(pgrp)) = (
            fields.first().and_then(|s| s.chars().next()),
            fields.get(2).and_then(|g| g.parse().ok()),
        ) else {
            continue;
        };
        found.push((pid, pgrp, state, cmdline));
    }
    found
}

fn alive(pid: i32) -> bool {
    processes()
        .iter()
        .any(|(p, _, state, _)| *p == pid && *state != 'Z')
}

/// Live processes in process group `group`, or whose command line contains `marker`.
fn left_over(group: i32, marker: &str) -> Vec<String> {
    processes()
        .into_iter()
        .filter(|(_, pgrp, state, cmdline)| {
            *state != 'Z' && (*pgrp == group || cmdline.contains(marker))
        })
        .map(|(pid, _, _, cmdline)| format!("{pid}: {cmdline}"))
        .collect()
}

/// Waits a little for `pid` to go: a killed process takes a moment to exit.
fn gone(pid: i32) -> bool {
    (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        !alive(pid)
    })
}

fn finding<'a>(task: &'a Value, code: &str) -> &'a Value {
    task["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no finding {code} in {task:#}"))
}

fn task_policy(run: &str, timeout: Option<&str>) -> String {
    let timeout = timeout.map_or(String::new(), |t| format!("timeout = \"{t}\"\n"));
    format!(
        "[tasks.leak]\nrun = [\"sh\", \"-c\", {run:?}]\n{timeout}\n[pipelines]\ncheck = [\"leak\"]\n"
    )
}

#[test]
fn ctrl_c_is_not_blocked_by_a_detached_child_holding_the_output() {
    let dir = Dir::with_package("demo");
    dir.policy(&task_policy(
        "setsid sleep 93.1 & echo $! > child.pid; echo started; wait",
        None,
    ));
    let mut reaper = Reaper::default();
    let mut run = start(dir.command(["check", "--format", "json"]), &mut reaper);
    let child = pid_in(&dir, "child.pid", &mut reaper, &mut run);
    std::thread::sleep(Duration::from_millis(200));
    signal(run.pid(), SIGINT);
    let ended = run.ended_within(Duration::from_secs(4), "after SIGINT");
    assert_eq!(ended.status.code(), Some(130), "stderr: {}", ended.stderr);
    let doc = ended.json();
    assert_eq!(doc["outcome"], "interrupted");
    let task = &doc["tasks"][0];
    assert_eq!(task["status"], "cancelled", "{task:#}");
    // The detached child escaped the process group: it is named, not waited for.
    let left = finding(task, "command-leftover-processes");
    assert_eq!(left["severity"], "warning");
    assert!(
        left["message"]
            .as_str()
            .unwrap()
            .contains(&child.to_string()),
        "{left:#}"
    );
}

#[test]
fn a_timeout_is_not_stretched_by_a_detached_child_holding_the_output() {
    let dir = Dir::with_package("demo");
    dir.policy(&task_policy(
        "setsid sleep 93.2 & echo $! > child.pid; wait",
        Some("2s"),
    ));
    let mut reaper = Reaper::default();
    let mut run = start(dir.command(["check", "--format", "json"]), &mut reaper);
    let child = pid_in(&dir, "child.pid", &mut reaper, &mut run);
    // Counted from when the command had started: the 2 s deadline plus little.
    let ended = run.ended_within(Duration::from_secs(4), "with timeout = \"2s\"");
    assert_eq!(ended.status.code(), Some(1), "stderr: {}", ended.stderr);
    let doc = ended.json();
    let task = &doc["tasks"][0];
    assert_eq!(task["status"], "failed", "{task:#}");
    let failed = finding(task, "command-failed");
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("timed out after 2"),
        "{failed:#}"
    );
    finding(task, "command-leftover-processes");
    assert!(
        alive(child),
        "cargo perf never kills what escaped the group"
    );
}

#[test]
fn a_command_that_exits_at_once_passes_without_waiting_for_its_background_child() {
    let dir = Dir::with_package("demo");
    dir.policy(&task_policy(
        "sleep 93.3 & echo $! > child.pid; echo done",
        Some("20s"),
    ));
    let mut reaper = Reaper::default();
    let mut run = start(dir.command(["check", "--format", "json"]), &mut reaper);
    let child = pid_in(&dir, "child.pid", &mut reaper, &mut run);
    let ended = run.ended_within(Duration::from_secs(5), "a command that exited at once");
    assert_eq!(ended.status.code(), Some(0), "stderr: {}", ended.stderr);
    let doc = ended.json();
    let task = &doc["tasks"][0];
    assert_eq!(task["status"], "passed", "{task:#}");
    let left = finding(task, "command-leftover-processes");
    assert_eq!(left["severity"], "warning");
    let message = left["message"].as_str().unwrap();
    assert!(message.contains(&child.to_string()), "{left:#}");
    assert!(message.contains("sleep"), "{left:#}");
    assert!(
        alive(child),
        "a command that passed keeps its background child"
    );
}

#[test]
fn a_command_that_leaves_nothing_behind_has_no_leftover_warning() {
    let dir = Dir::with_package("demo");
    dir.policy(&task_policy("sleep 0.1 & wait; echo done", None));
    let doc = dir
        .command(["check", "--format", "json"])
        .expect_success()
        .json();
    let findings = doc["tasks"][0]["findings"].as_array().unwrap().clone();
    assert!(findings.is_empty(), "{findings:#?}");
}

/// A workspace whose benchmark `long` is instant until `long.on` exists, then
/// runs for minutes: its shell and its sleep write their pids, and with
/// `stubborn` both ignore SIGINT.
fn bench_project(sleep: &str, stubborn: bool) -> Dir {
    let dir = Dir::with_package("demo");
    dir.create(".gitignore", "/target\n/.cargo-perf\n");
    let at = |file: &str| dir.join(file).display().to_string();
    let trap = if stubborn { "trap '' INT; " } else { "" };
    let run = format!(
        "if [ -e '{on}' ]; then {trap}sleep {sleep} & echo $! > '{sleep_pid}'; echo $$ > '{sh_pid}'; wait; fi",
        on = at("long.on"),
        sleep_pid = at("sleep.pid"),
        sh_pid = at("sh.pid"),
    );
    dir.policy(&format!(
        "[bench.commands.long]\nrun = {run:?}\nwarmup = 0\nruns = 3\n"
    ));
    dir.git_init();
    dir
}

fn history(dir: &Dir) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir.join(".cargo-perf/bench/runs")) else {
        return Vec::new();
    };
    let mut files: Vec<(String, Vec<u8>)> = entries
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Starts `bench` on the long benchmark, sends `sig` once it runs, and checks
/// that the tool exits 130 within `limit`, leaving no process and no history.
fn interrupt_bench(dir: &Dir, args: &[&str], sig: i32, limit: Duration, marker: &str) {
    let before = history(dir);
    dir.create("long.on", "");
    for file in ["sh.pid", "sleep.pid"] {
        let _ = std::fs::remove_file(dir.join(file));
    }
    let mut reaper = Reaper::default();
    let mut run = start(
        dir.command(["bench", "--format", "json"]).args(args),
        &mut reaper,
    );
    let shell = pid_in(dir, "sh.pid", &mut reaper, &mut run);
    let sleep = pid_in(dir, "sleep.pid", &mut reaper, &mut run);
    std::thread::sleep(Duration::from_millis(200));
    signal(run.pid(), sig);
    let ended = run.ended_within(limit, "bench after a signal");
    assert_eq!(ended.status.code(), Some(130), "stderr: {}", ended.stderr);
    assert_eq!(ended.json()["outcome"], "interrupted");
    for (what, pid) in [("shell", shell), ("sleep", sleep)] {
        assert!(gone(pid), "the benchmark's {what} ({pid}) was orphaned");
    }
    let left = left_over(shell, marker);
    assert!(left.is_empty(), "left in the process table: {left:?}");
    assert_eq!(history(dir), before, "an interrupted run writes no history");
    assert_eq!(dir.git(["worktree", "list"]).lines().count(), 1);
}

#[test]
fn sigint_stops_a_running_benchmark_and_writes_no_history() {
    let dir = bench_project("94.1", false);
    dir.command(["bench", "--format", "json"]).expect_success();
    assert_eq!(history(&dir).len(), 1);
    interrupt_bench(&dir, &[], SIGINT, Duration::from_secs(4), "94.1");
}

#[test]
fn sigterm_stops_a_benchmark_that_ignores_sigint_with_sigkill() {
    let dir = bench_project("94.2", true);
    // SIGINT to the group is ignored, so SIGKILL follows 3 s later.
    interrupt_bench(&dir, &[], SIGTERM, Duration::from_secs(6), "94.2");
}

#[test]
fn sigint_stops_a_baseline_rev_benchmark() {
    let dir = bench_project("94.3", false);
    interrupt_bench(
        &dir,
        &["--baseline-rev", "HEAD"],
        SIGINT,
        Duration::from_secs(4),
        "94.3",
    );
}

#[test]
fn a_benchmark_that_leaves_a_process_running_is_warned_about_not_waited_for() {
    let dir = Dir::with_package("demo");
    let pids = dir.join("pids");
    dir.policy(&format!(
        "[bench.commands.leak]\nrun = \"sleep 30.1 & echo $! >> '{}'\"\nwarmup = 0\nruns = 2\n",
        pids.display()
    ));
    let mut reaper = Reaper::default();
    let run = dir.command(["bench", "--format", "json"]).output();
    for pid in dir.read("pids").lines() {
        reaper.add(pid.parse().unwrap());
    }
    assert_eq!(run.output.status.code(), Some(0), "{}", run.context());
    let task = &run.json()["tasks"][0];
    let left = finding(task, "bench-leftover-processes");
    assert_eq!(left["severity"], "warning");
    let first = dir.read("pids").lines().next().unwrap().to_owned();
    assert!(
        left["message"].as_str().unwrap().contains(&first),
        "{left:#}"
    );
    assert_eq!(reaper.0.len(), 2, "one process per run, none waited for");
}
