//! Bad perf.toml files through the real binary: each error names the file,
//! line and column, quotes the line, says how to fix it, and exits 2.

use crate::util::Dir;

fn check_with(policy: &str) -> crate::util::Run {
    let dir = Dir::with_package("demo");
    dir.policy(policy);
    dir.command(["check"]).expect_code(2)
}

#[test]
fn unknown_key_suggests_the_closest_with_location() {
    let run = check_with("[tasks.fmt]\ndescription = \"x\"\nrn = \"cargo fmt\"\n");
    run.stderr_has("error: unknown key `rn` in [tasks.fmt]")
        .stderr_has("--> perf.toml:3:1")
        .stderr_has("3 | rn = \"cargo fmt\"")
        .stderr_has("did you mean `run`?");
    check_with("[setings]\njobs = 1\n").stderr_has("did you mean `settings`?");
}

#[test]
fn wrong_types_say_what_was_expected() {
    check_with("[settings]\njobs = \"two\"\n")
        .stderr_has("wrong type for `jobs`: expected an integer, found a string")
        .stderr_has("perf.toml:2:8");
    check_with("[settings]\njobs = 0\n").stderr_has("expected an integer from 1 to 1024");
    check_with("[tasks.x]\nrun = 5\n").stderr_has("expected a string or an array of strings");
    check_with("tasks = 3\n").stderr_has("wrong type for `tasks`: expected a table");
}

#[test]
fn bad_durations_have_the_same_quality() {
    check_with("[tasks.x]\nrun = \"true\"\ntimeout = \"5 parsecs\"\n")
        .stderr_has("invalid value for `timeout`: unknown duration unit `parsecs`")
        .stderr_has("perf.toml:3:11")
        .stderr_has("e.g. \"90s\"");
    check_with("[tasks.x]\nrun = \"true\"\ntimeout = 90\n").stderr_has("expected a duration");
}

#[test]
fn every_problem_is_reported_at_once() {
    check_with("[settings]\njobs = \"x\"\nfail-fast = \"yes\"\n\n[tasks.a]\nrn = \"true\"\n")
        .stderr_has("wrong type for `jobs`")
        .stderr_has("wrong type for `fail-fast`")
        .stderr_has("unknown key `rn`")
        .stderr_has("task `a` has no `run` command")
        .stderr_has("perf.toml has 4 problems");
}

#[test]
fn empty_binary_huge_and_broken_files() {
    check_with("")
        .stderr_has("perf.toml is empty")
        .stderr_has("cargo perf init --force");
    check_with("[tasks.x\nrun = 1")
        .stderr_has("invalid TOML")
        .stderr_has("perf.toml:1:");

    let dir = Dir::with_package("demo");
    dir.create("perf.toml", b"[tasks.x]\nrun = \"\xff\xfe\"\n");
    dir.command(["check"])
        .expect_code(2)
        .stderr_has("perf.toml is not valid UTF-8")
        .stderr_has("perf.toml:2:8");

    dir.create("perf.toml", format!("# {}\n", "x".repeat(2 << 20)));
    dir.command(["check"])
        .expect_code(2)
        .stderr_has("more than a policy file can be");
}

#[test]
fn config_flag_reads_another_file() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.from-default]\nrun = \"true\"\n");
    dir.create("ci/perf-ci.toml", "[tasks.from-ci]\nrun = \"true\"\n");
    dir.command(["list", "--config", "ci/perf-ci.toml"])
        .expect_success()
        .stdout_has("from-ci")
        .stdout_lacks("from-default");
    dir.command(["list", "--config", "nope.toml"])
        .expect_code(2)
        .stderr_has("cannot read nope.toml");
    dir.create("ci/bad.toml", "[tasks.x]\nrun = \"true\"\nbogus = 1\n");
    dir.command(["list", "--config", "ci/bad.toml"])
        .expect_code(2)
        .stderr_has("--> ci/bad.toml:3:1");
}

#[test]
fn names_that_clash_are_rejected() {
    check_with("[tasks.x]\nrun = \"true\"\n[pipelines]\nx = [\"x\"]\n")
        .stderr_has("`x` is both a task and a pipeline");
    check_with("[tasks.\"bad name\"]\nrun = \"true\"\n").stderr_has("invalid task name `bad name`");
    check_with("[tasks.x]\nrun = \"echo 'unclosed\"\n").stderr_has("a quote is not closed");
}

#[test]
fn diagnostic_snapshot() {
    let run = check_with(
        "[settings]\njobs = 2\n\n[tasks.fmt]\nrn = \"cargo fmt\"\ntimeout = \"3 fortnights\"\n",
    );
    assert_eq!(
        run.stderr(),
        r#"error: unknown key `rn` in [tasks.fmt]
 --> perf.toml:5:1
  |
5 | rn = "cargo fmt"
  | ^^ unknown key
  = help: did you mean `run`?

error: invalid value for `timeout`: unknown duration unit `fortnights`
 --> perf.toml:6:11
  |
6 | timeout = "3 fortnights"
  |           ^^^^^^^^^^^^^^ cannot parse this
  = help: write a number and a unit, e.g. "90s", "10m", "1h30m" or "30d" (units: ms, s, m, h, d, w)

error: task `fmt` has no `run` command
 --> perf.toml:4:1
  |
4 | [tasks.fmt]
  | ^^^^^^^^^^^ this task needs `run`
  = help: add the command to run, e.g. `run = "cargo test --workspace"`

error: perf.toml has 3 problems
"#
    );
}

#[test]
fn the_policy_may_live_in_dot_config() {
    let dir = Dir::with_package("demo");
    dir.create(
        ".config/perf.toml",
        "[tasks.from-config-dir]\nrun = \"true\"\n",
    );
    dir.command(["list"])
        .expect_success()
        .stdout_has("from-config-dir");
    dir.create(
        ".config/perf.toml",
        "[tasks.x]\nrun = \"true\"\nbogus = 1\n",
    );
    dir.command(["list"])
        .expect_code(2)
        .stderr_has("--> .config/perf.toml:3:1");
    // init refuses to write a second policy next to it, and --force replaces that one.
    dir.command(["init"])
        .expect_code(2)
        .stderr_has(".config/perf.toml already exists");
    dir.command(["init", "--force"]).expect_success();
    assert!(dir.read(".config/perf.toml").contains("[tasks.clippy]"));
    assert!(!dir.join("perf.toml").exists());
}

#[test]
fn a_policy_in_both_places_is_an_error_naming_both() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.root]\nrun = \"true\"\n");
    dir.create(".config/perf.toml", "[tasks.nested]\nrun = \"true\"\n");
    dir.command(["check"])
        .expect_code(2)
        .stderr_has("there is a policy in both perf.toml and .config/perf.toml")
        .stderr_has("--config");
    std::fs::create_dir_all(dir.join("src/deep")).unwrap();
    dir.command(["list"])
        .current_dir(dir.join("src/deep"))
        .expect_code(2)
        .stderr_has(&format!(
            "{} and {}",
            dir.join("perf.toml").display(),
            dir.join(".config/perf.toml").display()
        ));
    // Naming one of them settles it.
    dir.command(["list", "--config", ".config/perf.toml"])
        .expect_success()
        .stdout_has("nested")
        .stdout_lacks("root");
}

#[test]
fn environment_overrides_and_flags_win_over_them() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.from-default]\nrun = \"true\"\n");
    dir.create("ci/perf-ci.toml", "[tasks.from-ci]\nrun = \"true\"\n");
    dir.create("ci/other.toml", "[tasks.from-other]\nrun = \"true\"\n");
    dir.command(["list"])
        .env("CARGO_PERF_CONFIG", "ci/perf-ci.toml")
        .expect_success()
        .stdout_has("from-ci")
        .stdout_lacks("from-default");
    dir.command(["list", "--config", "ci/other.toml"])
        .env("CARGO_PERF_CONFIG", "ci/perf-ci.toml")
        .expect_success()
        .stdout_has("from-other")
        .stdout_lacks("from-ci");
    dir.command(["list"])
        .env("CARGO_PERF_CONFIG", "")
        .expect_success()
        .stdout_has("from-default");

    let run = dir
        .command(["list"])
        .env("CARGO_PERF_FORMAT", "json")
        .expect_success();
    assert!(run.json()["tasks"].is_array(), "{}", run.context());
    dir.command(["list", "--format", "human"])
        .env("CARGO_PERF_FORMAT", "json")
        .expect_success()
        .stdout_has("Tasks");
    dir.command(["list"])
        .env("CARGO_PERF_FORMAT", "xml")
        .expect_code(2)
        .stderr_has("CARGO_PERF_FORMAT=xml is not an output format")
        .stderr_has("human, json, github, markdown");

    // Each task waits (up to 2 s) for the other to start: only two at once pass.
    let task = |me: &str, other: &str| {
        format!(
            "[tasks.{me}]\nrun = [\"sh\", \"-c\", \"touch {me}.started; i=0; while [ ! -e {other}.started ]; do i=$((i+1)); [ $i -gt 200 ] && exit 9; sleep 0.01; done\"]\n"
        )
    };
    dir.policy(&format!(
        "{}{}[pipelines]\npair = [\"left\", \"right\"]\n",
        task("left", "right"),
        task("right", "left")
    ));
    let clear = || {
        for name in ["left.started", "right.started"] {
            let _ = std::fs::remove_file(dir.join(name));
        }
    };
    dir.command(["run", "pair"])
        .env("CARGO_PERF_JOBS", "1")
        .expect_code(1);
    clear();
    dir.command(["run", "pair", "--jobs", "2"])
        .env("CARGO_PERF_JOBS", "1")
        .expect_success();
    clear();
    dir.command(["run", "pair"])
        .env("CARGO_PERF_JOBS", "0")
        .expect_code(2)
        .stderr_has("CARGO_PERF_JOBS=0 is not a number of tasks");
}
