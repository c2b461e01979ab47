//! The task engine through the binary: custom tasks, pipelines, depends-on,
//! parallel runs, fail-fast, timeouts, exit codes, the JSON document, Ctrl-C,
//! and snapshots of representative human and JSON output.

use std::time::{Duration, Instant};

use crate::util::Dir;

/// Replaces timings (`117ms`, `1.23s`, `2m05s`, `"duration_secs": 0.12`) and the temp path, for snapshots.
fn normalize(text: &str, dir: &Dir) -> String {
    let root = dir.path().canonicalize().unwrap();
    let text = text.replace(root.to_str().unwrap(), "[ROOT]");
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() && !out.ends_with(|p: char| p.is_ascii_alphanumeric() || p == '.') {
            let mut token = String::from(c);
            while let Some(&n) = chars.peek() {
                if n.is_ascii_alphanumeric() || n == '.' {
                    token.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            let is_time = ["ms", "s"].iter().any(|u| token.ends_with(u))
                && token.chars().next().unwrap().is_ascii_digit();
            let in_json_duration = out.ends_with("\"duration_secs\": ");
            out.push_str(if is_time || in_json_duration {
                "[T]"
            } else {
                &token
            });
        } else {
            out.push(c);
        }
    }
    // Column padding depends on the widths of the replaced timings.
    out.lines()
        .map(|line| {
            let body = line.trim_start();
            let indent = &line[..line.len() - body.len()];
            let words: Vec<&str> = body.split(' ').filter(|w| !w.is_empty()).collect();
            format!("{indent}{}\n", words.join(" "))
        })
        .collect()
}

fn pipeline_policy() -> &'static str {
    r#"[settings]
jobs = 1

[tasks.tidy]
description = "Lints pass"
run = "true"

[tasks.unit]
description = "Unit tests"
run = ["sh", "-c", "echo running unit tests; echo 'assertion failed: left == right' >&2; exit 3"]

[tasks.integration]
run = "true"
depends-on = ["unit"]

[pipelines]
check = ["tidy", "unit", "integration"]
"#
}

#[test]
fn human_summary_snapshot() {
    let dir = Dir::with_package("demo");
    dir.policy(pipeline_policy());
    let run = dir.command(["check"]).expect_code(1);
    assert_eq!(
        normalize(&run.stdout(), &dir),
        "Summary of `check`
  ✓ tidy [T] true
  ✗ unit [T] `sh -c 'echo running unit tests; echo '\\''assertion failed: left == right'\\'' >&2; exit 3'` exited with status 3
  - integration skipped: it depends on `unit`, which did not pass

error[command-failed] unit: `sh -c 'echo running unit tests; echo '\\''assertion failed: left == right'\\'' >&2; exit 3'` exited with status 3
  = help: run `sh -c 'echo running unit tests; echo '\\''assertion failed: left == right'\\'' >&2; exit 3'` to see its whole output, or re-run cargo perf with --verbose
  last 2 lines of output:
  │ running unit tests
  │ assertion failed: left == right

error: 1 of 3 passed (1 failed, 1 skipped) in [T]
"
    );
}

#[test]
fn json_document_snapshot() {
    let dir = Dir::with_package("demo");
    dir.policy(pipeline_policy());
    let run = dir
        .command(["run", "tidy", "integration", "--format", "json"])
        .expect_code(1);
    let doc = run.json();
    assert_eq!(doc["version"], 2);
    assert_eq!(doc["exit_code"], 1);
    assert_eq!(doc["outcome"], "failed");
    assert_eq!(doc["command"], "tidy integration");
    let statuses: Vec<(&str, &str)> = doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("tidy", "passed"),
            ("unit", "failed"),
            ("integration", "skipped")
        ]
    );
    let text = normalize(
        &serde_json::to_string_pretty(&doc["tasks"][0]).unwrap(),
        &dir,
    );
    assert_eq!(
        text,
        r#"{
  "artifacts": [],
  "duration_secs": [T],
  "findings": [],
  "kind": "custom",
  "metrics": [],
  "name": "tidy",
  "status": "passed",
  "summary": "true"
}
"#
    );
    let unit = &doc["tasks"][1];
    assert_eq!(unit["findings"][0]["code"], "command-failed");
    assert_eq!(unit["findings"][0]["severity"], "error");
    assert_eq!(unit["log_tail"][1], "assertion failed: left == right");
    assert_eq!(doc["totals"]["skipped"], 1);
}

#[test]
fn passing_run_exits_0_and_failing_run_exits_1() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.ok]\nrun = \"true\"\n[tasks.bad]\nrun = \"false\"\n");
    dir.command(["run", "ok"])
        .expect_success()
        .stdout_has("1 task passed");
    dir.command(["run", "bad"])
        .expect_code(1)
        .stdout_has("exited with status 1");
}

#[test]
fn a_missing_program_is_an_environment_error() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.ghost]\nrun = \"no-such-program-cargo-perf-test --flag\"\n");
    dir.command(["run", "ghost"])
        .expect_code(2)
        .stdout_has("cannot run `no-such-program-cargo-perf-test`")
        .stdout_has("installed and on PATH");
}

#[test]
fn cycles_and_unknown_names_point_at_the_policy() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.a]\nrun = \"true\"\ndepends-on = [\"b\"]\n\n[tasks.b]\nrun = \"true\"\ndepends-on = [\"a\"]\n");
    dir.command(["run", "a"])
        .expect_code(2)
        .stderr_has("tasks depend on each other in a cycle: `a` -> `b` -> `a`")
        .stderr_has("perf.toml:7:15");

    dir.policy("[tasks.clippy]\nrun = \"true\"\n\n[pipelines]\ncheck = [\"clipy\"]\n");
    dir.command(["check"])
        .expect_code(2)
        .stderr_has("unknown task or pipeline `clipy` in pipeline `check`")
        .stderr_has("perf.toml:5:10")
        .stderr_has("did you mean `clippy`?");
    dir.policy("[tasks.clippy]\nrun = \"true\"\n");
    dir.command(["run", "clipy"])
        .expect_code(2)
        .stderr_has("unknown task or pipeline `clipy` on the command line")
        .stderr_lacks("-->");

    dir.policy("[pipelines]\na = [\"b\"]\nb = [\"a\"]\n");
    dir.command(["run", "a"])
        .expect_code(2)
        .stderr_has("pipelines include each other in a cycle");
}

#[test]
fn list_rejects_every_policy_that_check_rejects() {
    let dir = Dir::with_package("demo");
    let cases = [
        (
            "[tasks.a]\nrun = \"true\"\ndepends-on = [\"b\"]\n[tasks.b]\nrun = \"true\"\ndepends-on = [\"a\"]\n",
            "tasks depend on each other in a cycle: `a` -> `b` -> `a`",
            "perf.toml:6:15",
        ),
        (
            "[pipelines]\ncheck = [\"a\"]\na = [\"b\"]\nb = [\"a\"]\n",
            "pipelines include each other in a cycle: `a` -> `b` -> `a`",
            "perf.toml:4:6",
        ),
        (
            "[tasks.a]\nrun = \"true\"\ndepends-on = [\"nope\"]\n",
            "unknown task or pipeline `nope` in `depends-on` of task `a`",
            "perf.toml:3:15",
        ),
        (
            "[tasks.a]\nrun = \"true\"\ndepends-on = [\"p\"]\n[pipelines]\np = [\"a\"]\n",
            "`p` is a pipeline; `depends-on` takes task names",
            "perf.toml:3:15",
        ),
        (
            "[pipelines]\nextra = [\"ghost\"]\n",
            "unknown task or pipeline `ghost` in pipeline `extra`",
            "perf.toml:2:10",
        ),
    ];
    for (policy, message, location) in cases {
        dir.policy(policy);
        let check = dir.command(["check"]).expect_code(2);
        check.stderr_has(message).stderr_has(location);
        for args in [&["list"][..], &["list", "--format", "json"]] {
            let list = dir.command(args).expect_code(2);
            assert_eq!(list.stderr(), check.stderr(), "{}", list.context());
            assert_eq!(list.stdout(), "", "{}", list.context());
        }
    }
}

#[test]
fn a_ten_thousand_task_chain_plans_quickly() {
    let dir = Dir::with_package("demo");
    let n = 10_000;
    let mut policy = String::from("[tasks.t0]\nrun = \"false\"\n");
    for i in 1..n {
        policy.push_str(&format!(
            "[tasks.t{i}]\nrun = \"true\"\ndepends-on = [\"t{}\"]\n",
            i - 1
        ));
    }
    policy.push_str(&format!("[pipelines]\ncheck = [\"t{}\"]\n", n - 1));
    dir.policy(&policy);
    let started = std::time::Instant::now();
    dir.command(["list"])
        .expect_success()
        .stdout_has(&format!("t{}", n - 1));
    // t0 fails, so the other 9,999 are planned and skipped without a process.
    dir.command(["check", "--format", "json"])
        .expect_code(1)
        .stdout_has("\"skipped\"");
    let took = started.elapsed();
    assert!(took.as_secs() < 20, "took {took:?}");
}

#[test]
fn cwd_env_and_timeout() {
    let dir = Dir::with_package("demo");
    dir.create("sub/.keep", "");
    dir.policy(
        r#"[tasks.env]
run = ["sh", "-c", "test \"$GREETING\" = hello && pwd > seen.txt"]
cwd = "sub"
env = { GREETING = "hello" }

[tasks.slow]
run = "sleep 30"
timeout = "300ms"
"#,
    );
    dir.command(["run", "env"]).expect_success();
    assert!(dir.read("sub/seen.txt").trim().ends_with("sub"));

    let started = Instant::now();
    dir.command(["run", "slow"])
        .expect_code(1)
        .stdout_has("timed out after 300ms");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the timeout stopped the command"
    );
}

#[test]
fn keep_going_by_default_and_fail_fast_on_request() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.a]\nrun = \"false\"\n[tasks.b]\nrun = \"true\"\n[pipelines]\nboth = [\"a\", \"b\"]\n");
    let doc = dir
        .command(["run", "both", "--jobs", "1", "--format", "json"])
        .expect_code(1)
        .json();
    assert_eq!(
        doc["tasks"][1]["status"], "passed",
        "independent tasks still run"
    );

    let doc = dir
        .command([
            "run",
            "both",
            "--jobs",
            "1",
            "--fail-fast",
            "--format",
            "json",
        ])
        .expect_code(1)
        .json();
    assert_eq!(doc["tasks"][1]["status"], "skipped");
    assert!(
        doc["tasks"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("fail-fast")
    );

    dir.policy("[settings]\nfail-fast = true\n[tasks.a]\nrun = \"false\"\n[tasks.b]\nrun = \"true\"\n[pipelines]\nboth = [\"a\", \"b\"]\n");
    let doc = dir
        .command([
            "run",
            "both",
            "--jobs",
            "1",
            "--no-fail-fast",
            "--format",
            "json",
        ])
        .expect_code(1)
        .json();
    assert_eq!(
        doc["tasks"][1]["status"], "passed",
        "--no-fail-fast overrides the policy"
    );
}

#[test]
fn parallel_tasks_overlap_and_never_interleave_mid_line() {
    let dir = Dir::with_package("demo");
    // Each task waits until the other has started, so they can only pass when run at once.
    let task = |me: &str, other: &str| {
        format!(
            "[tasks.{me}]\nrun = [\"sh\", \"-c\", \"touch {me}.started; i=0; while [ ! -e {other}.started ]; do i=$((i+1)); [ $i -gt 500 ] && exit 9; sleep 0.01; done; for n in $(seq 1 300); do echo {me}-line-$n-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; done\"]\n"
        )
    };
    dir.policy(&format!(
        "{}{}[pipelines]\npair = [\"left\", \"right\"]\n",
        task("left", "right"),
        task("right", "left")
    ));
    let run = dir
        .command(["run", "pair", "--jobs", "2", "--verbose"])
        .expect_success();
    let mut seen = 0;
    for line in run
        .stderr()
        .lines()
        .filter(|l| l.contains("-line-") && !l.starts_with(' '))
    {
        let ok = ["left", "right"].iter().any(|who| {
            line.strip_prefix(&format!("[{who}] {who}-line-"))
                .is_some_and(|rest| {
                    rest.ends_with("-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
                        && !rest.contains('[')
                })
        });
        assert!(
            ok,
            "interleaved or mangled line: {line:?}\n{}",
            run.context()
        );
        seen += 1;
    }
    assert_eq!(seen, 600, "{}", run.context());
}

/// A `cargo` first on PATH: `cargo stamp NAME` logs its start and end around
/// a one-second sleep to `stamps.log`; anything else is the real cargo.
fn fake_cargo(dir: &Dir) -> std::ffi::OsString {
    let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let script = dir.create(
        "bin/cargo",
        format!(
            "#!/bin/sh\nif [ \"$1\" = stamp ]; then echo \"start $2\" >> stamps.log; sleep 1; echo \"end $2\" >> stamps.log; exit 0; fi\nexec '{real}' \"$@\"\n"
        ),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![dir.join("bin")];
    dirs.extend(std::env::split_paths(&path));
    std::env::join_paths(dirs).unwrap()
}

/// Whether the `start`/`end` lines of `log` ever show two runs at once.
fn overlapped(log: &str) -> bool {
    let mut running = 0;
    for line in log.lines() {
        if line.starts_with("start ") {
            running += 1;
            if running > 1 {
                return true;
            }
        } else if line.starts_with("end ") {
            running -= 1;
        }
    }
    false
}

#[test]
fn cargo_tasks_take_turns_even_with_jobs_to_spare() {
    let dir = Dir::with_package("demo");
    let path = fake_cargo(&dir);
    // By program (a string and an array), and by `cargo = true` on a script.
    dir.policy(
        "[tasks.one]\nrun = \"cargo stamp one\"\n\
         [tasks.two]\nrun = [\"cargo\", \"stamp\", \"two\"]\n\
         [tasks.three]\nrun = \"RUST_LOG=x cargo stamp three\"\n\
         [tasks.four]\nrun = [\"sh\", \"-c\", \"cargo stamp four\"]\ncargo = true\n\
         [pipelines]\nall = [\"one\", \"two\", \"three\", \"four\"]\n",
    );
    let run = dir
        .command(["run", "all", "--jobs", "4"])
        .env("PATH", &path)
        .expect_success();
    let log = dir.read("stamps.log");
    assert_eq!(log.lines().count(), 8, "{log}\n{}", run.context());
    assert!(!overlapped(&log), "cargo tasks ran at once:\n{log}");
}

#[test]
fn a_task_that_says_cargo_false_runs_beside_cargo_tasks() {
    let dir = Dir::with_package("demo");
    let path = fake_cargo(&dir);
    dir.policy(
        "[tasks.one]\nrun = \"cargo stamp one\"\ncargo = false\n\
         [tasks.two]\nrun = \"cargo stamp two\"\n\
         [pipelines]\nall = [\"one\", \"two\"]\n",
    );
    dir.command(["run", "all", "--jobs", "2"])
        .env("PATH", &path)
        .expect_success();
    let log = dir.read("stamps.log");
    assert!(overlapped(&log), "they took turns:\n{log}");
}

#[test]
fn a_cargo_key_that_is_not_a_boolean_is_a_config_error() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.one]\nrun = \"true\"\ncargo = \"yes\"\n");
    dir.command(["run", "one"])
        .expect_code(2)
        .stderr_has("wrong type for `cargo`: expected a boolean");
}

#[test]
fn ctrl_c_stops_the_task_tree_and_exits_130() {
    let dir = Dir::with_package("demo");
    dir.policy(
        r#"[tasks.long]
run = ["sh", "-c", "sleep 60 & echo $! > child.pid; echo $$ > shell.pid; wait"]

[tasks.after]
run = "touch after.ran"
depends-on = ["long"]
"#,
    );
    let mut command = dir.command(["run", "after", "--format", "json"]);
    let child = command
        .inner()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !dir.join("child.pid").exists() || !dir.join("shell.pid").exists() {
        assert!(Instant::now() < deadline, "the task never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    unsafe_kill(child.id() as i32, 2);
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["outcome"], "interrupted");
    assert_eq!(doc["tasks"][0]["status"], "cancelled");
    assert_eq!(doc["tasks"][1]["status"], "cancelled");
    assert!(
        !dir.join("after.ran").exists(),
        "no task starts after Ctrl-C"
    );
    for pid_file in ["child.pid", "shell.pid"] {
        let pid: i32 = dir.read(pid_file).trim().parse().unwrap();
        let gone = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(50));
            !process_alive(pid)
        });
        assert!(gone, "{pid_file} process {pid} survived Ctrl-C");
    }
}

fn unsafe_kill(pid: i32, signal: i32) {
    let status = std::process::Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn process_alive(pid: i32) -> bool {
    // A zombie (state Z) has exited; only its parent has not reaped it yet.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            !stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

#[test]
fn list_shows_tasks_and_pipelines_in_both_formats() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.fmt]\ndescription = \"Formatting\"\nrun = \"true\"\n[tasks.test]\nrun = \"true\"\ndepends-on = [\"fmt\"]\n[pipelines]\ncheck = [\"fmt\", \"test\"]\n");
    dir.command(["list"])
        .expect_success()
        .stdout_has("fmt")
        .stdout_has("Formatting")
        .stdout_has("(after fmt)")
        .stdout_has("perf.toml  fmt, test");
    let doc = dir
        .command(["list", "--format", "json"])
        .expect_success()
        .json();
    assert_eq!(doc["version"], 2);
    let custom: Vec<&str> = doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "custom")
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(custom, ["fmt", "test"]);
    assert_eq!(
        doc["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "test")
            .unwrap()["depends_on"][0],
        "fmt"
    );
}

#[test]
fn a_missing_working_directory_is_an_environment_error() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.x]\nrun = \"true\"\ncwd = \"no-such-dir\"\n");
    dir.command(["run", "x"])
        .expect_code(2)
        .stdout_has("the working directory")
        .stdout_has("no-such-dir does not exist");
}
