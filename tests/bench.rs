//! `cargo perf bench`: command benchmarks timed by the real binary in
//! temporary git workspaces, the history store, baselines and verdicts.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::util::{Dir, Run, TestCommand};

/// A git workspace whose benchmark `nap` sleeps for the seconds in `delay.txt`.
fn project(delay: &str, extra: &str) -> Dir {
    let dir = Dir::with_package("demo");
    dir.create(".gitignore", "/target\n/.cargo-perf\n");
    dir.create("delay.txt", delay);
    dir.create(
        "Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"demo\"\nversion = \"0.1.0\"\n",
    );
    // A 1 ms `sleep` run 8 times moves by tens of percent on a busy
    // machine: the fixture's verdicts judge 3x changes against a 50%
    // threshold, so tests about other things never trip over noise.
    // The calibration loop is off for the same reason: tests run in
    // parallel, and each moves the machine's speed under the others.
    let threshold = if extra.contains("[bench]\n") {
        ""
    } else {
        "[bench]\nthreshold = \"50%\"\ncalibrate = false\n\n"
    };
    let extra = extra.replacen("[bench]\n", "[bench]\ncalibrate = false\n", 1);
    dir.policy(&format!(
        "{threshold}[bench.commands.nap]\nrun = \"sleep $(cat delay.txt)\"\nwarmup = 1\nruns = 8\n{extra}"
    ));
    dir.git_init();
    dir
}

pub(crate) fn bench(dir: &Dir, args: &[&str]) -> TestCommand {
    dir.command(["bench", "--format", "json"]).args(args)
}

pub(crate) fn task(run: &Run) -> Value {
    run.json()["tasks"][0].clone()
}

pub(crate) fn codes(task: &Value) -> Vec<String> {
    task["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) fn finding<'a>(task: &'a Value, code: &str) -> &'a Value {
    task["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no finding {code} in {task:#}"))
}

pub(crate) fn metric<'a>(task: &'a Value, name: &str) -> &'a Value {
    task["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no metric {name} in {task:#}"))
}

fn runs_dir(dir: &Dir) -> PathBuf {
    dir.join(".cargo-perf/bench/runs")
}

fn run_files(dir: &Dir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(runs_dir(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn stored(dir: &Dir, file: &str) -> Value {
    serde_json::from_str(&dir.read(format!(".cargo-perf/bench/runs/{file}"))).unwrap()
}

#[test]
fn a_command_benchmark_is_timed_and_recorded_with_its_fingerprint() {
    let dir = project("0.01", "");
    let run = bench(&dir, &[]).expect_success();
    let task = task(&run);
    let wall = metric(&task, "bench.nap")["value"].as_f64().unwrap();
    assert!(wall >= 10e6, "a 10 ms sleep took {wall} ns");
    assert_eq!(metric(&task, "bench.nap")["unit"], "nanoseconds");
    assert!(
        metric(&task, "bench.nap.max-rss")["value"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    metric(&task, "bench.nap.user");
    metric(&task, "bench.nap.sys");
    assert!(
        task["summary"]
            .as_str()
            .unwrap()
            .contains("no baseline yet"),
        "{task:#}"
    );

    assert_eq!(run_files(&dir), ["000001.json"]);
    let record = stored(&dir, "000001.json");
    assert_eq!(record["format"], "cargo-perf-bench/1");
    assert_eq!(record["id"], 1);
    let fp = &record["fingerprint"];
    assert_eq!(fp["branch"], "main");
    assert_eq!(
        fp["commit"].as_str().unwrap(),
        dir.git(["rev-parse", "HEAD"]).trim()
    );
    assert_eq!(fp["dirty"], false);
    assert!(fp["rustc"].as_str().unwrap().starts_with("rustc "), "{fp}");
    assert!(fp["target"].as_str().is_some() && fp["cores"].as_u64().unwrap() >= 1);
    assert!(fp["cargo_lock"].is_string() && fp["time"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(
        record["benchmarks"][0]["samples"].as_array().unwrap().len(),
        8
    );

    // The second run compares with the first, on the same branch.
    let run = bench(&dir, &[]).expect_success();
    let task = self::task(&run);
    assert!(metric(&task, "bench.nap")["baseline"].as_f64().is_some());
    assert!(
        task["summary"].as_str().unwrap().contains("vs run #1"),
        "{task:#}"
    );
    assert_eq!(run_files(&dir), ["000001.json", "000002.json"]);
}

#[test]
fn a_slower_command_is_regressed_and_fails_and_an_identical_rerun_is_not() {
    let dir = project("0.02", "");
    bench(&dir, &["--save-baseline", "fast"]).expect_success();
    assert!(dir.join(".cargo-perf/bench/baselines/fast.json").is_file());

    // Same code again: never `regressed`.
    let run = bench(&dir, &["--baseline", "fast"]).expect_success();
    let task = task(&run);
    let verdict = metric(&task, "bench.nap")["verdict"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        verdict == "unchanged" || verdict == "inconclusive",
        "{task:#}"
    );
    assert!(!codes(&task).contains(&"bench-regressed".to_owned()));

    dir.create("delay.txt", "0.2");
    let run = bench(&dir, &["--baseline", "fast"]).expect_code(1);
    let task = self::task(&run);
    assert_eq!(
        metric(&task, "bench.nap")["verdict"],
        "regressed",
        "{task:#}"
    );
    // The interval is in the JSON: all of it above +50%, around a ratio near 10.
    let change = &metric(&task, "bench.nap")["change"];
    let (low, ratio, high) = (
        change["low"].as_f64().unwrap(),
        change["ratio"].as_f64().unwrap(),
        change["high"].as_f64().unwrap(),
    );
    assert!(1.05 < low && low <= ratio && ratio <= high, "{change}");
    assert!((3.0..12.0).contains(&ratio), "{change}");
    assert!(change["confidence"].as_f64().unwrap() >= 0.95, "{change}");
    let regressed = finding(&task, "bench-regressed");
    assert_eq!(regressed["severity"], "error");
    assert!(
        regressed["message"]
            .as_str()
            .unwrap()
            .contains("confidence")
    );

    // Back to fast, compared with the slow previous run: improved, passes.
    dir.create("delay.txt", "0.02");
    let run = bench(&dir, &[]).expect_success();
    let task = self::task(&run);
    assert_eq!(
        metric(&task, "bench.nap")["verdict"],
        "improved",
        "{task:#}"
    );
}

#[test]
fn the_human_report_shows_the_verdict_and_interval() {
    let dir = project("0.01", "");
    dir.command(["bench"]).expect_success();
    dir.create("delay.txt", "0.05");
    let run = dir.command(["bench"]).expect_code(1);
    // The metric line: name, value, baseline, change with its interval, verdict.
    let line = run
        .stdout()
        .lines()
        .find(|l| l.trim_start().starts_with("bench.nap "))
        .unwrap_or_else(|| panic!("no metric line\n{}", run.context()))
        .to_owned();
    assert!(
        line.contains(" baseline ") && line.contains("% [+") && line.ends_with("regressed"),
        "{line}"
    );
    run.stdout_has("error[bench-regressed]");
    // Compared with the slow run just made: the Markdown table has the change too.
    let run = dir
        .command(["bench", "--format", "markdown"])
        .expect_success();
    assert!(
        run.stdout().contains("| Change |") && run.stdout().contains("% ["),
        "{}",
        run.context()
    );
}

#[test]
fn an_unknown_baseline_lists_the_known_ones() {
    let dir = project("0.001", "");
    bench(&dir, &["--save-baseline", "main"]).expect_success();
    bench(&dir, &["--save-baseline", "v1"]).expect_success();
    let run = dir.command(["bench", "--baseline", "nope"]).expect_code(2);
    let text = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        text.contains("no baseline named `nope`"),
        "{}",
        run.context()
    );
    assert!(
        text.contains("known baselines: main, v1"),
        "{}",
        run.context()
    );
    // Failing before measuring leaves no new run behind.
    assert_eq!(run_files(&dir).len(), 2);

    let run = dir
        .command(["bench", "--save-baseline", "../escape"])
        .expect_code(2);
    assert!(format!("{}{}", run.stdout(), run.stderr()).contains("invalid baseline name"));
}

#[test]
fn a_corrupt_or_foreign_history_file_is_reported_and_left_untouched() {
    let dir = project("0.001", "");
    dir.create(".cargo-perf/bench/runs/000001.json", "{ not json");
    dir.create(
        ".cargo-perf/bench/runs/000002.json",
        "{\"format\": \"someone-else\"}",
    );
    let run = bench(&dir, &[]).expect_success();
    let task = task(&run);
    let corrupt: Vec<&Value> = task["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "bench-history-corrupt")
        .collect();
    assert_eq!(corrupt.len(), 2, "{task:#}");
    assert_eq!(dir.read(".cargo-perf/bench/runs/000001.json"), "{ not json");
    assert_eq!(
        dir.read(".cargo-perf/bench/runs/000002.json"),
        "{\"format\": \"someone-else\"}"
    );
    // The new run takes a fresh id and does not compare with unreadable files.
    assert_eq!(
        run_files(&dir),
        ["000001.json", "000002.json", "000003.json", "lock"]
            .iter()
            .filter(|n| **n != "lock")
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    );
    assert!(
        task["summary"]
            .as_str()
            .unwrap()
            .contains("no baseline yet")
    );

    // A corrupt named baseline is an error and is not overwritten.
    dir.create(".cargo-perf/bench/baselines/old.json", "garbage");
    let run = dir.command(["bench", "--baseline", "old"]).expect_code(2);
    assert!(
        format!("{}{}", run.stdout(), run.stderr())
            .contains("is not a cargo-perf bench history file"),
        "{}",
        run.context()
    );
    dir.command(["bench", "--save-baseline", "old"])
        .expect_code(2);
    assert_eq!(dir.read(".cargo-perf/bench/baselines/old.json"), "garbage");

    // A file where the store's directory should be.
    let other = project("0.001", "[bench]\nhistory = \"bench-history\"\n");
    other.create("bench-history", "mine");
    let run = other.command(["bench"]).expect_code(2);
    assert!(format!("{}{}", run.stdout(), run.stderr()).contains("expected a directory"));
    assert_eq!(other.read("bench-history"), "mine");
}

#[test]
fn the_cpu_clock_judges_user_plus_system_time() {
    let dir = project("0.02", "[bench]\nclock = \"cpu\"\n");
    bench(&dir, &[]).expect_success();
    // Sleeping costs no CPU: the judged value is the CPU time, far below the
    // 80 ms the command waits, and the baseline is CPU time too.
    dir.create("delay.txt", "0.08");
    let run = bench(&dir, &[]).output();
    let task = task(&run);
    let nap = metric(&task, "bench.nap");
    assert!(nap["value"].as_f64().unwrap() < 20e6, "{task:#}");
    assert!(nap["baseline"].as_f64().unwrap() < 20e6, "{task:#}");
    assert!(nap["verdict"].is_string(), "{task:#}");
}

#[test]
fn the_store_is_never_written_through_a_symlink() {
    let dir = project("0.001", "");
    let outside = crate::util::Dir::new();
    std::os::unix::fs::symlink(outside.path(), dir.join(".cargo-perf")).unwrap();
    let run = dir.command(["bench"]).expect_code(2);
    assert!(
        format!("{}{}", run.stdout(), run.stderr()).contains("symbolic link"),
        "{}",
        run.context()
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn the_history_path_is_configurable() {
    let dir = project("0.001", "[bench]\nhistory = \"perf-data/bench\"\n");
    bench(&dir, &[]).expect_success();
    assert!(dir.join("perf-data/bench/runs/000001.json").is_file());
    assert!(!dir.join(".cargo-perf/bench").exists());
}

#[test]
fn two_concurrent_runs_both_append() {
    let dir = project("0.01", "");
    let spawn = || {
        bench(&dir, &[])
            .inner()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    assert_eq!(run_files(&dir), ["000001.json", "000002.json"]);
    for file in ["000001.json", "000002.json"] {
        assert_eq!(
            stored(&dir, file)["benchmarks"][0]["samples"]
                .as_array()
                .unwrap()
                .len(),
            8
        );
    }
}

#[test]
fn a_killed_run_leaves_the_store_intact() {
    let dir = project("0.001", "");
    bench(&dir, &[]).expect_success();
    let before = dir.read(".cargo-perf/bench/runs/000001.json");
    dir.create("delay.txt", "0.3");
    let mut child = bench(&dir, &[])
        .inner()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(run_files(&dir), ["000001.json"]);
    assert_eq!(dir.read(".cargo-perf/bench/runs/000001.json"), before);
    // And the store still works: the run is recorded whatever its verdict
    // (on a loaded machine a 1 ms command can come out `regressed`).
    dir.create("delay.txt", "0.001");
    let run = bench(&dir, &[]).output();
    assert!(
        matches!(run.output.status.code(), Some(0 | 1)),
        "{}",
        run.context()
    );
    assert_eq!(run_files(&dir), ["000001.json", "000002.json"]);
}

#[test]
fn a_budget_overrun_fails() {
    let dir = project("0.02", "[bench.budgets]\nnap = \"5 ms\"\n");
    let run = bench(&dir, &[]).expect_code(1);
    let task = task(&run);
    assert!(
        finding(&task, "bench-over-budget")["message"]
            .as_str()
            .unwrap()
            .contains("5ms")
    );
    assert_eq!(metric(&task, "bench.nap")["verdict"], "fail");
    let ok = project("0.001", "[bench.budgets]\nnap = \"2s\"\n");
    let run = bench(&ok, &[]).expect_success();
    assert_eq!(metric(&task_of(&run), "bench.nap")["verdict"], "pass");
}

fn task_of(run: &Run) -> Value {
    task(run)
}

fn stored_runs(dir: &Dir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(".cargo-perf/bench/runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn keep_runs_prunes_the_oldest_runs_but_never_one_saved_as_a_baseline() {
    let dir = project("0.001", "\n[bench]\nkeep-runs = 2\n");
    bench(&dir, &["--save-baseline", "first"]).output();
    bench(&dir, &[]).output();
    bench(&dir, &[]).output();
    // Timing verdicts on a busy machine may go either way; only the store matters here.
    // The newest two stay, and run 1, which the baseline `first` was saved from.
    assert_eq!(
        stored_runs(&dir),
        ["000001.json", "000002.json", "000003.json"]
    );
    let run = bench(&dir, &[]).output();
    assert!(run.json()["exit_code"] != 2, "{}", run.context());
    assert_eq!(
        stored_runs(&dir),
        ["000001.json", "000003.json", "000004.json"]
    );
    let task = task(&run);
    let pruned = finding(&task, "bench-history-pruned");
    assert!(
        pruned["message"]
            .as_str()
            .unwrap()
            .contains("removed 1 old run(s) from the history (#2 to #2)"),
        "{pruned:#}"
    );
    // The baseline still compares, and ids are never reused.
    bench(&dir, &["--baseline", "first"]).output();
    assert_eq!(
        stored_runs(&dir),
        ["000001.json", "000004.json", "000005.json"]
    );
}

#[test]
fn a_failing_benchmarks_coloured_output_is_plain_text_in_the_log_tail() {
    let dir = project(
        "0.001",
        "[bench.commands.boom]\nrun = '''printf '\\033[1m\\033[31merror\\033[0m: it broke \\033]8;;https://e.x\\033\\\\here\\033]8;;\\033\\\\\\n  1/3\\r  3/3\\n' >&2; exit 3'''\n",
    );
    let run = bench(&dir, &[])
        .env("CARGO_TERM_COLOR", "always")
        .expect_code(1);
    let task = task(&run);
    let tail: Vec<String> = task["log_tail"]
        .as_array()
        .unwrap_or_else(|| panic!("no log tail: {task:#}"))
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect();
    // A progress line a carriage return rewrote shows as the terminal showed it.
    assert_eq!(tail, ["error: it broke here", "  3/3"], "{task:#}");
    // Our own colours off, the command's on: none of its codes show.
    let human = dir
        .command(["bench", "--color", "never"])
        .env("CARGO_TERM_COLOR", "always")
        .expect_code(1);
    human
        .stdout_has("│ error: it broke here\n")
        .stdout_has("│   3/3\n");
}

#[test]
fn a_failing_benchmark_is_a_failed_task_with_its_error() {
    let dir = project(
        "0.001",
        "[bench.commands.boom]\nrun = \"echo 'it broke' >&2; exit 3\"\n",
    );
    let run = bench(&dir, &[]).expect_code(1);
    let task = task(&run);
    let failed = finding(&task, "bench-command-failed");
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("`run` exited with status 3"),
        "{task:#}"
    );
    assert!(
        task["log_tail"].to_string().contains("it broke"),
        "{task:#}"
    );
    // The other benchmark was still measured and stored.
    metric(&task, "bench.nap");
    assert_eq!(
        stored(&dir, "000001.json")["benchmarks"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_benchmark_name_with_a_dot_is_one_metric_segment() {
    let dir = project(
        "0.001",
        "[bench.commands.\"parse.json\"]\nrun = \"true\"\nruns = 3\n",
    );
    let run = bench(&dir, &["parse"]).expect_success();
    let task = task(&run);
    // `run.json()` checked every name against the grammar already.
    assert_eq!(metric(&task, r"bench.parse\.json")["unit"], "nanoseconds");
    metric(&task, r"bench.parse\.json.user");
    metric(&task, r"bench.parse\.json.max-rss");
    // The second run compares with the first: whatever its verdict on a
    // loaded machine, the human table names the metric the same way.
    let run = dir.command(["bench", "parse"]).output();
    assert!(
        matches!(run.output.status.code(), Some(0 | 1)),
        "{}",
        run.context()
    );
    run.stdout_has(r"bench.parse\.json.sys ");
}

#[test]
fn selection_by_name_filter() {
    let dir = project(
        "0.001",
        "[bench.commands.other]\nrun = \"true\"\nruns = 3\n",
    );
    let run = bench(&dir, &["oth"]).expect_success();
    let task = task(&run);
    assert_eq!(
        task["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["name"] == "bench.nap")
            .count(),
        0
    );
    metric(&task, "bench.other");
    let run = dir.command(["bench", "nothing-like-it"]).expect_code(2);
    let text = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        text.contains("no benchmark matches `nothing-like-it`"),
        "{}",
        run.context()
    );
    assert!(text.contains("nap, other"), "{}", run.context());
}

#[test]
fn no_declared_benchmark_says_how_to_declare_one() {
    let dir = Dir::with_package("demo");
    let run = dir.command(["bench"]).expect_code(2);
    assert!(format!("{}{}", run.stdout(), run.stderr()).contains("[bench.commands."));
}

#[test]
fn a_different_machine_fingerprint_warns_and_names_the_fields() {
    let dir = project("0.001", "");
    bench(&dir, &["--save-baseline", "ci"]).expect_success();
    let path = ".cargo-perf/bench/baselines/ci.json";
    let mut record: Value = serde_json::from_str(&dir.read(path)).unwrap();
    record["fingerprint"]["cpu"] = "Some Other CPU".into();
    record["fingerprint"]["rustc"] = "rustc 1.0.0".into();
    dir.create(path, serde_json::to_string(&record).unwrap());
    let run = bench(&dir, &["--baseline", "ci"]).output();
    let task = task(&run);
    let message = finding(&task, "bench-fingerprint-differs")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("rustc, cpu"), "{message}");
}

#[test]
fn history_lists_runs_a_run_and_a_series() {
    let dir = project("0.001", "");
    dir.command(["bench", "history"])
        .expect_success()
        .stdout_has("no bench history yet");
    bench(&dir, &[]).expect_success();
    bench(&dir, &["--save-baseline", "main"]).expect_success();
    dir.command(["bench", "history"])
        .expect_success()
        .stdout_has("    1  ")
        .stdout_has("    2  ")
        .stdout_has("main")
        .stdout_has("baselines: main");
    dir.command(["bench", "history", "2"])
        .expect_success()
        .stdout_has("run #2")
        .stdout_has("nap")
        .stdout_has("8 samples");
    dir.command(["bench", "history", "nap"])
        .expect_success()
        .stdout_has("nap:")
        .stdout_has("(8 samples)");
    dir.command(["bench", "history", "9"])
        .expect_code(2)
        .stderr_has("no run #9");
    dir.command(["bench", "history", "nope"])
        .expect_code(2)
        .stderr_has("no run measured a benchmark named `nope`");
}

#[test]
fn history_prints_json_and_warns_on_stderr_about_files_it_skips() {
    let dir = project("0.001", "");
    let empty = dir
        .command(["bench", "history", "--format", "json"])
        .expect_success()
        .json();
    assert_eq!(empty["exists"], false, "{empty:#}");
    assert_eq!(empty["version"], 2);
    bench(&dir, &[]).expect_success();
    let first = dir.read(".cargo-perf/bench/runs/000001.json");
    // A copy of run 1 under run 2's name, one under no run's name, a corrupt file.
    dir.create(".cargo-perf/bench/runs/000002.json", &first);
    dir.create(".cargo-perf/bench/runs/backup.json", &first);
    dir.create(".cargo-perf/bench/runs/000005.json", "{ not json");

    let human = dir.command(["bench", "history"]).expect_success();
    human
        .stdout_lacks("warning")
        .stdout_lacks("skipped")
        .stderr_has("warning: skipped .cargo-perf/bench/runs/000002.json: it holds run #1 but is named as run #2")
        .stderr_has("backup.json")
        .stderr_has("000005.json: not valid JSON");
    let rows = human
        .stdout()
        .lines()
        .filter(|l| l.starts_with("    1  "))
        .count();
    assert_eq!(rows, 1, "run 1 is listed once\n{}", human.context());

    let run = dir
        .command(["bench", "history", "--format", "json"])
        .expect_success();
    run.stderr_has("000002.json");
    let doc = run.json();
    assert_eq!(doc["version"], 2, "{doc:#}");
    assert_eq!(doc["exists"], true);
    assert_eq!(doc["store"], ".cargo-perf/bench");
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{doc:#}");
    assert_eq!(runs[0]["id"], 1);
    assert_eq!(runs[0]["benchmarks"][0]["id"], "nap");
    assert_eq!(runs[0]["benchmarks"][0]["unit"], "nanoseconds");
    assert_eq!(
        runs[0]["benchmarks"][0]["samples"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    assert!(runs[0]["benchmarks"][0]["median"].as_f64().unwrap() > 0.0);
    let skipped: Vec<&str> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(skipped.len(), 3, "{doc:#}");

    let one = dir
        .command(["bench", "history", "1", "--format", "json"])
        .expect_success()
        .json();
    assert_eq!(one["run"], 1);
    assert_eq!(one["runs"].as_array().unwrap().len(), 1);
    let series = dir
        .command(["bench", "history", "nap", "--format", "json"])
        .expect_success()
        .json();
    assert_eq!(series["benchmark"], "nap");
    dir.command(["bench", "history", "7", "--format", "json"])
        .expect_code(2)
        .stdout_lacks("{");
    // The files are left as they were.
    assert_eq!(dir.read(".cargo-perf/bench/runs/000002.json"), first);
    assert_eq!(dir.read(".cargo-perf/bench/runs/000005.json"), "{ not json");
}

#[test]
fn a_repository_that_cannot_say_what_it_tracks_gets_no_history_written() {
    let dir = project("0.001", "");
    std::fs::write(dir.join(".git/index"), "not an index").unwrap();
    let run = bench(&dir, &[]).expect_code(2);
    run.stdout_has("cannot ask git which files it tracks in");
    assert!(
        !dir.join(".cargo-perf/bench/runs").exists(),
        "{}",
        run.context()
    );
}

#[test]
fn the_history_is_never_written_among_tracked_files() {
    // `src` holds the crate's tracked sources.
    let dir = project("0.001", "[bench]\nhistory = \"src\"\n");
    for args in [&["bench"][..], &["bench", "history"]] {
        let run = dir.command(args).expect_code(2);
        assert!(
            format!("{}{}", run.stdout(), run.stderr()).contains(
                "the bench history (`[bench] history`) src holds files tracked by git (lib.rs)"
            ),
            "{}",
            run.context()
        );
    }
    assert_eq!(std::fs::read_dir(dir.join("src")).unwrap().count(), 1);

    // A tracked baseline is never replaced by --save-baseline.
    let dir = project("0.001", "");
    bench(&dir, &["--save-baseline", "main"]).expect_success();
    dir.git(["add", "-f", ".cargo-perf/bench/baselines/main.json"]);
    dir.git(["commit", "-q", "-m", "share the baseline"]);
    let saved = dir.read(".cargo-perf/bench/baselines/main.json");
    let run = bench(&dir, &["--save-baseline", "main"]).expect_code(2);
    run.stdout_has("holds files tracked by git (baselines/main.json)");
    assert_eq!(dir.read(".cargo-perf/bench/baselines/main.json"), saved);
    assert_eq!(
        run_files(&dir),
        ["000001.json"],
        "nothing measured or stored"
    );

    // The target dir itself is a place of its own.
    let dir = project("0.001", "[bench]\nhistory = \"target\"\n");
    bench(&dir, &[]).expect_success();
    assert!(dir.join("target/runs/000001.json").is_file());
}

#[test]
fn bad_bench_policy_is_reported_with_its_location() {
    let dir = Dir::with_package("demo");
    dir.policy("[bench]\nthreshold = \"five\"\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("invalid value for `threshold`")
        .stderr_has("perf.toml:2:13");
    dir.policy("[bench]\nthreshold = \"150%\"\nconfidence = \"20%\"\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("`threshold` must be above 0% and below 100%")
        .stderr_has("`confidence` must be at least 50%");
    dir.policy("[bench.commands.x]\nrnu = \"true\"\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("rnu")
        .stderr_has("run");
    dir.policy("[bench.commands.x]\nrun = \"true\"\nruns = 1\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("perf.toml:3:8");
    dir.policy("[bench]\nclock = \"sundial\"\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("unknown bench clock `sundial`")
        .stderr_has("perf.toml:2:9");
    dir.policy("[bench]\nestimator = \"trimed-mean\"\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("unknown bench estimator `trimed-mean`")
        .stderr_has("perf.toml:2:13")
        .stderr_has("did you mean `estimator = \"trimmed-mean\"`?");
    dir.policy("[bench]\ninterleave = \"always\"\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("unknown bench interleave `always`")
        .stderr_has("perf.toml:2:14")
        .stderr_has("`auto`");
    dir.policy("[bench]\ninterleave = \"nevr\"\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("did you mean `interleave = \"never\"`?");
    dir.policy("[bench]\ncalibrate = \"yes\"\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("perf.toml:2:13");
    dir.policy("[bench]\nestimator = 3\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("perf.toml:2:13");
    dir.policy("[bench.budgets]\nx = \"2 parsecs\"\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("unknown duration unit");
}

/// A package whose bench targets (no harness, no dependencies) replay the
/// recordings in `tests/fixtures/bench` (see its README), one harness per
/// target as in a real project: they print the recorded stdout and write the
/// recorded criterion files into the target dir, as the real harnesses did.
fn recorded_harness_project() -> Dir {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bench");
    let dir = Dir::new();
    let targets = [
        "replay_libtest",
        "replay_divan",
        "replay_criterion",
        "replay_criterion_030",
        "broken",
    ];
    let mut manifest =
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n".to_owned();
    for target in targets {
        manifest.push_str(&format!(
            "\n[[bench]]\nname = \"{target}\"\nharness = false\n"
        ));
    }
    dir.create("Cargo.toml", manifest);
    dir.create(
        "src/lib.rs",
        r#"use std::path::Path;

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Prints a recorded stdout and writes a recorded `target/criterion`.
pub fn replay(stdout: &str, criterion: Option<&str>) {
    print!("{stdout}");
    if let Some(recorded) = criterion {
        let target = std::env::var("CARGO_TARGET_DIR").unwrap();
        copy(Path::new(recorded), &Path::new(&target).join("criterion"));
    }
}
"#,
    );
    let replay = |target: &str, stdout: &str, criterion: Option<&str>| {
        let stdout = fixtures.join(stdout);
        let criterion = criterion.map(|c| fixtures.join("criterion").join(c));
        dir.create(
            format!("benches/{target}.rs"),
            format!(
                "fn main() {{\n    demo::replay(include_str!({stdout:?}), {criterion:?});\n}}\n"
            ),
        );
    };
    replay("replay_libtest", "libtest.txt", None);
    replay("replay_divan", "divan.txt", None);
    replay(
        "replay_criterion",
        "criterion-0.8.2-stdout.txt",
        Some("0.8.2"),
    );
    // criterion 0.3.0 printed much the same; its files are what differs.
    replay(
        "replay_criterion_030",
        "criterion-0.8.2-stdout.txt",
        Some("0.3.0"),
    );
    dir.create(
        "benches/broken.rs",
        "fn main() { panic!(\"the broken bench panicked\"); }\n",
    );
    dir
}

fn stored_benchmark<'a>(record: &'a Value, id: &str) -> &'a Value {
    record["benchmarks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == id)
        .unwrap_or_else(|| panic!("no benchmark {id} in {record:#}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn verbose_streams_each_harness_output_as_whole_lines() {
    let dir = recorded_harness_project();
    let run = dir
        .command([
            "-v",
            "bench",
            "--bench",
            "replay_criterion",
            "--bench",
            "replay_libtest",
            "--bench",
            "replay_divan",
        ])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .expect_success();
    let stderr = run.stderr();
    let shown: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("[bench] "))
        .collect();
    for expected in [
        // criterion's, libtest's and divan's own lines (stdout), whole.
        "fibonacci               time:   [4.0111 ns 4.1435 ns 4.3023 ns]",
        "test parse::digits_100000 ... bench:     251,601.62 ns/iter (+/- 2,756.92)",
        "│  ╰─ Vec<u32>       13.49 ns      │ 170.6 ns      │ 13.8 ns       │ 15.73 ns      │ 100     │ 6400",
    ] {
        assert!(
            shown.contains(&expected),
            "missing {expected:?}\n{}",
            run.context()
        );
    }
    // cargo's own stderr too. Lines of the two pipes keep their order within
    // each pipe only: a harness that prints at once may beat cargo's line.
    assert!(
        shown
            .iter()
            .any(|l| l.contains("Running") && l.contains("replay_criterion")),
        "{}",
        run.context()
    );
    // Without -v none of it is shown.
    let quiet = dir
        .command(["bench", "--bench", "replay_criterion"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .expect_success();
    quiet.stderr_lacks("time:   [4.0111 ns");
}

#[test]
fn cargo_bench_targets_are_run_and_every_harness_is_read() {
    let dir = recorded_harness_project();
    let cargo_bench = |args: &[&str]| bench(&dir, args).env("CARGO_TARGET_DIR", dir.join("target"));
    let replays = [
        "--bench",
        "replay_libtest",
        "--bench",
        "replay_divan",
        "--bench",
        "replay_criterion",
        "--bench",
        "replay_criterion_030",
    ];
    let run = cargo_bench(&replays).expect_success();
    let task = task(&run);
    let value = |id: &str| {
        metric(&task, &format!("bench.{id}"))["value"]
            .as_f64()
            .unwrap()
    };

    // libtest (nightly): one median per benchmark, decimals and separators.
    assert_eq!(value("replay_libtest/empty"), 0.27);
    assert_eq!(value("replay_libtest/parse::digits_100000"), 251_601.62);
    // divan: the median column, in ns, and nested groups in the id.
    assert!(close(value("replay_divan/parse/digits/1000"), 2_653.0));
    assert!(close(
        value("replay_divan/parse/collections/sleep_1ms"),
        1_067_000.0
    ));
    assert!(close(value("replay_divan/parse/collect/Vec<u32>"), 13.8));

    // criterion's per-iteration samples give tail latency; a harness that
    // prints one summary has none to give.
    let fib = |figure: &str| {
        metric(&task, &format!("bench.replay_criterion/fibonacci.{figure}"))["value"]
            .as_f64()
            .unwrap()
    };
    assert!(fib("min") <= fib("p50") && fib("p50") <= fib("p95"));
    assert!(fib("p95") <= fib("p99") && fib("p99") <= fib("max"));
    let names = task["metrics"].to_string();
    assert!(!names.contains("replay_libtest/empty.p95"), "{task:#}");
    assert!(
        !names.contains("replay_divan/parse/fibonacci.p95"),
        "{task:#}"
    );

    // criterion: every sample of `sample.json`, in both spellings.
    let record = stored(&dir, "000001.json");
    for (id, iters, time) in [
        ("replay_criterion/fibonacci", 43948.0, 167539.0),
        ("replay_criterion/parse/digits/10", 7663.0, 196471.0),
        ("replay_criterion_030/parse/digits/1000", 52.0, 130293.0),
    ] {
        let samples = stored_benchmark(&record, id)["samples"].as_array().unwrap();
        assert_eq!(samples.len(), 100, "{id}");
        // `close`: serde_json's default float parsing may be 1 ulp off.
        assert!(close(samples[0].as_f64().unwrap(), time / iters), "{id}");
    }
    // Exactly the recorded benchmarks: nothing read twice, and criterion's
    // own console output is not mistaken for results.
    let mut ids: Vec<&str> = record["benchmarks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "replay_criterion/fibonacci",
            "replay_criterion/parse/digits/10",
            "replay_criterion/parse/digits/1000",
            "replay_criterion_030/fibonacci",
            "replay_criterion_030/parse/digits/10",
            "replay_criterion_030/parse/digits/1000",
            "replay_divan/parse/collect/BTreeSet<u32>",
            "replay_divan/parse/collect/Vec<u32>",
            "replay_divan/parse/collections/sleep_1ms",
            "replay_divan/parse/collections/sort_1000",
            "replay_divan/parse/digits/10",
            "replay_divan/parse/digits/1000",
            "replay_divan/parse/fibonacci",
            "replay_libtest/empty",
            "replay_libtest/fibonacci",
            "replay_libtest/parse::digits_10",
            "replay_libtest/parse::digits_100000",
        ]
    );

    // The same results again are never a regression.
    let run = cargo_bench(&replays).expect_success();
    let task = self::task(&run);
    let verdict = metric(&task, "bench.replay_criterion/parse/digits/10")["verdict"].clone();
    assert!(
        verdict == "unchanged" || verdict == "inconclusive",
        "{task:#}"
    );
    assert!(!codes(&task).contains(&"bench-regressed".to_owned()));

    // A bench that panics fails the task and shows why.
    let run = cargo_bench(&["--bench", "broken"]).expect_code(1);
    let task = self::task(&run);
    finding(&task, "bench-target-failed");
    assert!(
        task["log_tail"]
            .to_string()
            .contains("the broken bench panicked"),
        "{task:#}"
    );

    let run = dir.command(["bench", "--bench", "nope"]).expect_code(2);
    let text = format!("{}{}", run.stdout(), run.stderr());
    assert!(text.contains("bench targets: "), "{}", run.context());
    for target in ["replay_libtest", "replay_criterion_030", "broken"] {
        assert!(text.contains(target), "{}", run.context());
    }
    let run = dir.command(["bench", "-p", "nope"]).expect_code(2);
    assert!(
        format!("{}{}", run.stdout(), run.stderr())
            .contains("`-p` names `nope`, which is not a member of this workspace")
    );
}

#[test]
fn instruction_counts_are_exact_and_catch_a_small_slowdown() {
    if std::process::Command::new("valgrind")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("valgrind is not installed; skipping the --instructions test");
        return;
    }
    let dir = Dir::with_package("demo");
    dir.create("n.txt", "2000");
    dir.policy(
        "[bench]\nthreshold = \"1%\"\n\n[bench.commands.spin]\nrun = \"read n < n.txt; i=0; while [ $i -lt $n ]; do i=$((i+1)); done\"\n",
    );
    let first = bench(&dir, &["--instructions"]).expect_success();
    let count = metric(&task(&first), "bench.spin")["value"]
        .as_f64()
        .unwrap();
    assert_eq!(metric(&task(&first), "bench.spin")["unit"], "instructions");
    assert!(count > 100_000.0, "{count}");

    // The same work counts the same: unchanged, never inconclusive.
    let again = bench(&dir, &["--instructions"]).expect_success();
    assert_eq!(
        metric(&task(&again), "bench.spin")["value"]
            .as_f64()
            .unwrap(),
        count
    );
    assert_eq!(metric(&task(&again), "bench.spin")["verdict"], "unchanged");

    // 3% more loop iterations is caught with a 1% threshold.
    dir.create("n.txt", "2060");
    let slow = bench(&dir, &["--instructions"]).expect_code(1);
    assert_eq!(metric(&task(&slow), "bench.spin")["verdict"], "regressed");

    // `mode` in perf.toml does the same, and a bad mode is located.
    dir.policy("[bench]\nmode = \"instructions\"\n\n[bench.commands.spin]\nrun = \"true\"\n");
    let run = bench(&dir, &[]).expect_success();
    assert_eq!(metric(&task(&run), "bench.spin")["unit"], "instructions");
    dir.policy("[bench]\nmode = \"cycles\"\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("unknown bench mode `cycles`")
        .stderr_has("perf.toml:2:8");
}

#[test]
fn a_benchmark_failing_under_callgrind_says_how_it_ended_like_every_command() {
    if std::process::Command::new("valgrind")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("valgrind is not installed; skipping the --instructions test");
        return;
    }
    let dir = Dir::with_package("demo");
    dir.policy("[bench.commands.boom]\nrun = \"echo 'it broke' >&2; exit 3\"\n");
    let run = bench(&dir, &["--instructions"]).expect_code(1);
    let task = task(&run);
    let failed = finding(&task, "bench-command-failed");
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .ends_with("under callgrind: valgrind exited with status 3"),
        "{task:#}"
    );
    assert!(
        task["log_tail"].to_string().contains("it broke"),
        "{task:#}"
    );
}

#[test]
fn baseline_rev_measures_both_trees_interleaved_and_removes_its_worktree() {
    // The committed revision sleeps 0.01 s; the working tree sleeps 0.06 s.
    let dir = project("0.01", "");
    dir.create("delay.txt", "0.06");
    let run = bench(&dir, &["--baseline-rev", "HEAD"]).expect_code(1);
    let task = task(&run);
    let nap = metric(&task, "bench.nap");
    assert_eq!(nap["verdict"], "regressed", "{task:#}");
    let baseline = nap["baseline"].as_f64().unwrap();
    assert!((10e6..50e6).contains(&baseline), "{baseline}");
    assert!(
        task["summary"]
            .as_str()
            .unwrap()
            .contains("revision `HEAD`"),
        "{task:#}"
    );
    // No worktree is left registered or on disk.
    assert_eq!(dir.git(["worktree", "list"]).lines().count(), 1);
    // The run is still recorded (its own measurements only).
    assert_eq!(run_files(&dir), ["000001.json"]);

    // The same code on both sides is not a regression.
    dir.create("delay.txt", "0.01");
    let run = bench(&dir, &["--baseline-rev", "HEAD"]).expect_success();
    assert_ne!(metric(&task_of(&run), "bench.nap")["verdict"], "regressed");

    let run = dir
        .command(["bench", "--baseline-rev", "no-such-rev"])
        .expect_code(2);
    assert!(
        format!("{}{}", run.stdout(), run.stderr()).contains("`no-such-rev` is not a commit"),
        "{}",
        run.context()
    );
    assert_eq!(dir.git(["worktree", "list"]).lines().count(), 1);
}

#[test]
fn confirm_re_measures_only_the_suspects_before_failing() {
    let dir = project(
        "0.01",
        "[bench]\nconfirm = true\n\n[bench.commands.steady]\nrun = \"echo x >> steady.log; sleep 0.05\"\nruns = 5\n",
    );
    dir.create(
        "perf.toml",
        dir.read("perf.toml").replace(
            "sleep $(cat delay.txt)",
            "echo x >> nap.log; sleep $(cat delay.txt)",
        ),
    );
    bench(&dir, &[]).expect_success();
    let lines = |file: &str| dir.read(file).lines().count();
    assert_eq!((lines("nap.log"), lines("steady.log")), (9, 6));
    dir.create("delay.txt", "0.06");
    let run = bench(&dir, &[]).expect_code(1);
    assert_eq!(metric(&task(&run), "bench.nap")["verdict"], "regressed");
    // `nap` ran twice more (1 warmup + 8 runs each time); `steady` once.
    assert_eq!((lines("nap.log"), lines("steady.log")), (27, 12));
}

#[test]
fn confirm_with_baseline_rev_measures_both_trees_again() {
    let dir = project("0.01", "[bench]\nconfirm = true\n");
    let log = dir.join("runs.log");
    dir.create(
        "perf.toml",
        dir.read("perf.toml").replace(
            "sleep $(cat delay.txt)",
            &format!(
                "echo $(cat delay.txt) >> '{}'; sleep $(cat delay.txt)",
                log.display()
            ),
        ),
    );
    dir.create("delay.txt", "0.06");
    let run = bench(&dir, &["--baseline-rev", "HEAD"]).expect_code(1);
    let nap = metric(&task(&run), "bench.nap").clone();
    assert_eq!(nap["verdict"], "regressed", "{nap:#}");
    assert!(
        (10e6..50e6).contains(&nap["baseline"].as_f64().unwrap()),
        "{nap:#}"
    );
    // Each tree: 1 warmup + 8 runs, twice; the confirming runs alternate too.
    let lines: Vec<String> = dir.read("runs.log").lines().map(str::to_owned).collect();
    let count = |delay: &str| lines.iter().filter(|l| *l == delay).count();
    assert_eq!((count("0.01"), count("0.06")), (18, 18), "{lines:?}");
    for pair in lines[20..].chunks(2) {
        assert_ne!(pair[0], pair[1], "{lines:?}");
    }
    assert_eq!(dir.git(["worktree", "list"]).lines().count(), 1);
}

#[test]
fn confirm_re_runs_a_suspect_cargo_bench_benchmark_with_its_name_as_filter() {
    // `a` prints the time in a.txt once, then 1,000 ns; `b` always 1,000 ns.
    let dir = Dir::with_package("demo");
    dir.create(
        "Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bench]]\nname = \"fake\"\nharness = false\n",
    );
    dir.create(
        "benches/fake.rs",
        r#"use std::io::Write;
fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut log = std::fs::OpenOptions::new().create(true).append(true).open(root.join("args.log")).unwrap();
    writeln!(log, "{}", args.join(" ")).unwrap();
    let a = std::fs::read_to_string(root.join("a.txt")).unwrap();
    std::fs::write(root.join("a.txt"), "1,000").unwrap();
    println!("test a ... bench: {} ns/iter (+/- 1)", a.trim());
    println!("test b ... bench: 1,000 ns/iter (+/- 1)");
}
"#,
    );
    dir.create(".gitignore", "/target\n/.cargo-perf\n/args.log\n/a.txt\n");
    dir.create("a.txt", "1,000");
    dir.policy("[bench]\nconfirm = true\ncalibrate = false\n");
    dir.git_init();
    let cargo_bench = || bench(&dir, &[]).env("CARGO_TARGET_DIR", dir.join("target"));
    cargo_bench().expect_success();

    // Slow once: the first measurement regresses, the confirming one does not.
    dir.create("a.txt", "2,000");
    let run = cargo_bench().expect_success();
    let task = task(&run);
    assert_eq!(
        metric(&task, "bench.fake/a")["verdict"],
        "unchanged",
        "{task:#}"
    );
    let invocations: Vec<String> = dir.read("args.log").lines().map(str::to_owned).collect();
    assert_eq!(invocations.len(), 3, "{invocations:?}");
    assert!(
        invocations[2].split_whitespace().any(|arg| arg == "a"),
        "{invocations:?}"
    );

    // Slow for good: confirmed, and the task fails.
    dir.create(
        "benches/fake.rs",
        dir.read("benches/fake.rs")
            .replace(r#""1,000").unwrap();"#, r#""2,000").unwrap();"#),
    );
    dir.create("a.txt", "2,000");
    let run = cargo_bench().expect_code(1);
    assert_eq!(
        metric(&task_of(&run), "bench.fake/a")["verdict"],
        "regressed"
    );
}

#[test]
fn a_change_scoped_check_runs_only_the_benchmarks_of_affected_packages() {
    let dir = Dir::new();
    dir.create(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/a\", \"crates/b\"]\nresolver = \"2\"\n",
    );
    for name in ["a", "b"] {
        dir.create(
            format!("crates/{name}/Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bench]]\nname = \"{name}_bench\"\nharness = false\n"),
        );
        dir.create(format!("crates/{name}/src/lib.rs"), "");
        dir.create(
            format!("crates/{name}/benches/{name}_bench.rs"),
            "fn main() { println!(\"test work ... bench:       1,000 ns/iter (+/- 10)\"); }\n",
        );
    }
    dir.policy("[pipelines]\ncheck = [\"bench\"]\n");
    // Cargo.lock appears with the first cargo run; a new lock file would
    // count as a change to every member.
    dir.create(".gitignore", "/target\n/.cargo-perf\n/Cargo.lock\n");
    dir.create("docs/guide.md", "# guide\n");
    dir.git_init();
    dir.git(["checkout", "-q", "-b", "feature"]);
    let check = || {
        dir.command(["check", "--changed", "main", "--format", "json"])
            .env("CARGO_TARGET_DIR", dir.join("target"))
    };

    dir.create("crates/b/src/lib.rs", "pub fn b() {}\n");
    dir.git(["commit", "-qam", "change b"]);
    let run = check().expect_success();
    let task = task(&run);
    let names: Vec<&str> = task["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bench.b_bench/work"], "{task:#}");

    dir.git(["checkout", "-q", "main"]);
    dir.git(["checkout", "-q", "-b", "docs-only"]);
    dir.create("docs/guide.md", "# guide, edited\n");
    dir.git(["commit", "-qam", "docs"]);
    let run = check().expect_success();
    let task = task_of(&run);
    assert_eq!(task["status"], "skipped", "{task:#}");
    assert!(
        run.stdout().contains("no changed package has benchmarks"),
        "{}",
        run.context()
    );
}

#[test]
fn the_policy_targets_key_selects_bench_targets_and_rejects_unknown_ones() {
    let dir = Dir::new();
    let mut manifest =
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n".to_owned();
    for name in ["one", "two"] {
        manifest.push_str(&format!(
            "\n[[bench]]\nname = \"{name}\"\nharness = false\n"
        ));
        // `cargo bench` runs a bench in its package's directory.
        dir.create(
            format!("benches/{name}.rs"),
            format!(
                "fn main() {{\n    std::fs::write(\"ran-{name}\", \"\").unwrap();\n    println!(\"test work ... bench:       1,000.00 ns/iter (+/- 10.00)\");\n}}\n"
            ),
        );
    }
    dir.create("Cargo.toml", manifest);
    dir.create("src/lib.rs", "");
    let cargo_bench = || bench(&dir, &[]).env("CARGO_TARGET_DIR", dir.join("target"));

    dir.policy("[bench]\ntargets = [\"one\"]\n");
    let run = cargo_bench().expect_success();
    let task = task(&run);
    let names: Vec<&str> = task["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bench.one/work"], "{task:#}");
    assert_eq!(metric(&task, "bench.one/work")["value"], 1000.0);
    assert!(dir.join("ran-one").is_file());
    assert!(!dir.join("ran-two").exists(), "`two` ran");

    // `--bench` on the command line wins over the policy.
    let run = bench(&dir, &["--bench", "two"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .expect_success();
    metric(&task_of(&run), "bench.two/work");

    dir.policy("[bench]\ntargets = [\"one\", \"three\"]\n");
    let run = cargo_bench().expect_code(2);
    let text = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        text.contains("`[bench] targets` names `three`, which is not a bench target"),
        "{}",
        run.context()
    );
    run.stderr_has("--> perf.toml:2:19");
    assert!(
        text.contains("bench targets: one, two") || text.contains("bench targets: two, one"),
        "{}",
        run.context()
    );
}

#[test]
fn a_budget_naming_no_result_of_a_target_that_ran_is_an_error_at_its_place() {
    let dir = Dir::new();
    dir.create(
        "Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bench]]\nname = \"one\"\nharness = false\n",
    );
    dir.create("src/lib.rs", "");
    dir.create(
        "benches/one.rs",
        "fn main() {\n    println!(\"test work ... bench:       1,000.00 ns/iter (+/- 10.00)\");\n}\n",
    );
    let cargo_bench = |args: &[&str]| bench(&dir, args).env("CARGO_TARGET_DIR", dir.join("target"));
    dir.policy("[bench.budgets]\n\"one/work\" = \"1s\"\n\"one/wrok\" = \"1s\"\n");
    let run = cargo_bench(&[]).expect_code(1);
    let task = task(&run);
    let unknown = finding(&task, "bench-unknown-budget");
    assert!(
        unknown["message"].as_str().unwrap().contains(
            "`[bench.budgets]` names `one/wrok`, a result bench target `one` did not report"
        ),
        "{task:#}"
    );
    assert_eq!(unknown["file"], "perf.toml");
    assert_eq!(unknown["line"], 3);
    assert_eq!(unknown["help"], "did you mean `one/work`?");
    assert_eq!(metric(&task, "bench.one/work")["verdict"], "pass");
    // A filtered run reports only some results: nothing to judge the budget by.
    cargo_bench(&["work"]).expect_success();
}

#[test]
fn a_history_path_that_cannot_be_written_is_refused_before_measuring() {
    for (history, make) in [("Cargo.toml", false), ("hist", true)] {
        let dir = Dir::with_package("demo");
        dir.policy(&format!(
            "[bench]\nhistory = \"{history}\"\n\n[bench.commands.nap]\nrun = \"touch measured\"\nwarmup = 1\nruns = 2\n"
        ));
        if make {
            std::os::unix::fs::symlink("src", dir.join("hist")).unwrap();
        }
        let manifest = dir.read("Cargo.toml");
        let run = dir.command(["bench"]).expect_code(2);
        let text = format!("{}{}", run.stdout(), run.stderr());
        assert!(
            text.contains("expected a directory") || text.contains("symbolic link"),
            "{}",
            run.context()
        );
        assert!(
            !dir.join("measured").exists(),
            "measured before refusing `{history}`: {}",
            run.context()
        );
        assert_eq!(dir.read("Cargo.toml"), manifest);
        assert_eq!(
            std::fs::read_dir(dir.join("src")).unwrap().count(),
            1,
            "wrote into src through the link"
        );
    }
}

#[test]
fn every_command_benchmark_reports_its_tail_latency_in_order() {
    let dir = project("0.001", "");
    let run = bench(&dir, &[]).expect_success();
    let task = task(&run);
    let figure = |name: &str| {
        let m = metric(&task, &format!("bench.nap.{name}"));
        assert_eq!(m["unit"], "nanoseconds", "{task:#}");
        m["value"].as_f64().unwrap()
    };
    let [min, p50, p95, p99, max] = ["min", "p50", "p95", "p99", "max"].map(figure);
    assert!(
        min > 0.0 && min <= p50 && p50 <= p95 && p95 <= p99 && p99 <= max,
        "{task:#}"
    );
    // Of 8 runs, p99 is the slowest and p95 too (nearest rank).
    assert_eq!((p95, p99), (max, max));
    // The Markdown shows them in the seed report's shape (whatever the
    // verdict against the first run on a loaded machine).
    let markdown = dir
        .command(["bench", "--format", "markdown"])
        .expect_code_in(&[0, 1])
        .stdout();
    assert!(
        markdown.contains("| benchmark | P50 | P95 | P99 | target | status |"),
        "{markdown}"
    );
    assert!(markdown.contains("| `nap` | "), "{markdown}");
    let human = dir.command(["bench"]).expect_code_in(&[0, 1]).stdout();
    assert!(human.contains("Latency"), "{human}");
    assert!(human.contains("P95"), "{human}");
}

#[test]
fn each_budget_form_passes_and_fails_by_figure() {
    // Every figure well within its limit: the metrics carry the budget and pass.
    let ok = project(
        "0.001",
        "[bench.budgets]\nnap = { median = \"2s\", p95 = \"2s\", p99 = \"2s\", max-rss = \"1 GiB\" }\n",
    );
    let run = bench(&ok, &[]).expect_success();
    let task = task_of(&run);
    for (name, budget) in [
        ("bench.nap", 2e9),
        ("bench.nap.p95", 2e9),
        ("bench.nap.p99", 2e9),
        ("bench.nap.max-rss", 1073741824.0),
    ] {
        let m = metric(&task, name);
        assert_eq!(m["budget"].as_f64(), Some(budget), "{task:#}");
        assert_eq!(m["verdict"], "pass", "{task:#}");
    }
    assert!(!codes(&task).contains(&"bench-over-budget".to_owned()));

    // A p95 and a max-rss over their limits: one finding each, naming the
    // figure, its value and the limit; the median's limit still passes.
    let over = project(
        "0.02",
        "[bench.budgets]\nnap = { median = \"2s\", p95 = \"5 ms\", max-rss = \"1 KiB\" }\n",
    );
    let run = bench(&over, &[]).expect_code(1);
    let task = task_of(&run);
    let messages: Vec<String> = task["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "bench-over-budget")
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(messages.len(), 2, "{task:#}");
    assert!(
        messages[0].starts_with("`nap` p95 is ")
            && messages[0].ends_with(" ms, over its budget of 5.000 ms"),
        "{messages:?}"
    );
    assert!(
        messages[1].starts_with("`nap` max-rss is ")
            && messages[1].ends_with("over its budget of 1.0 KiB"),
        "{messages:?}"
    );
    assert_eq!(metric(&task, "bench.nap.p95")["verdict"], "fail");
    assert_eq!(metric(&task, "bench.nap")["verdict"], "pass");
    let markdown = over
        .command(["bench", "--format", "markdown"])
        .expect_code(1)
        .stdout();
    assert!(markdown.contains("p95 ≤ 5.000 ms"), "{markdown}");
    assert!(markdown.contains("❌ over budget |"), "{markdown}");
}

#[test]
fn bad_budget_values_and_figures_are_located() {
    let dir = project(
        "0.001",
        "[bench.budgets]\nnap = { p95 = \"5 parsecs\", p96 = \"1 ms\", allocations = \"many\" }\n",
    );
    let run = dir.command(["bench"]).expect_code(2);
    run.stderr_has("invalid value for `p95`: unknown duration unit `parsecs`")
        .stderr_has("unknown key `p96` in the budget of `nap`")
        .stderr_has("did you mean `p95`?")
        .stderr_has("wrong type for `allocations`");
    // Where the entry landed in the policy the fixture wrote.
    let line = dir
        .read("perf.toml")
        .lines()
        .position(|l| l.starts_with("nap = {"))
        .unwrap()
        + 1;
    for column in [15, 28, 56] {
        run.stderr_has(&format!("perf.toml:{line}:{column}"));
    }
    // An unknown name in the table form keeps its did-you-mean.
    dir.policy("[bench.commands.nap]\nrun = \"true\"\n\n[bench.budgets]\nnpa = { p95 = \"1s\" }\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("`[bench.budgets]` names `npa`")
        .stderr_has("perf.toml:5:1")
        .stderr_has("did you mean `nap`?");
}
