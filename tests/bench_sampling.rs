//! `cargo perf bench` without a fixed `runs`: command benchmarks are timed
//! until their median is precise enough for the threshold, within
//! `min-runs`, `max-runs` and `max-time`, and say so when a bound cut them short.

use serde_json::Value;

use crate::util::Dir;

/// A command that takes 1 ms and 30 ms in turn: its median is never precise.
const ALTERNATING: &str = "n=$(cat n 2>/dev/null || echo 0); echo $((n + 1)) > n; if [ $((n % 2)) = 0 ]; then sleep 0.001; else sleep 0.03; fi";

fn project(policy: &str) -> Dir {
    let dir = Dir::with_package("demo");
    dir.create(".gitignore", "/target\n/.cargo-perf\n/n\n");
    dir.policy(policy);
    dir.git_init();
    dir
}

/// Runs `cargo perf bench`, expecting exit 0, and returns the task report and
/// how many samples the stored run holds.
fn bench(dir: &Dir) -> (Value, usize) {
    let run = dir.command(["bench", "--format", "json"]).expect_success();
    let task = run.json()["tasks"][0].clone();
    let record: Value =
        serde_json::from_str(&dir.read(".cargo-perf/bench/runs/000001.json")).unwrap();
    let samples = record["benchmarks"][0]["samples"].as_array().unwrap().len();
    (task, samples)
}

fn imprecise(task: &Value) -> Option<String> {
    task["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "bench-imprecise")
        .map(|f| {
            assert_eq!(f["severity"], "warning", "{f}");
            f["message"].as_str().unwrap().to_owned()
        })
}

#[test]
fn a_steady_command_stops_as_soon_as_its_median_is_precise() {
    // A 90% threshold needs the median to ±31.5%: a 50 ms sleep gets there at once.
    let dir = project(
        "[bench]\nthreshold = \"90%\"\n\n[bench.commands.nap]\nrun = \"sleep 0.05\"\nmin-runs = 4\nmax-runs = 60\n",
    );
    let (task, samples) = bench(&dir);
    assert!((4..60).contains(&samples), "{samples} samples\n{task:#}");
    assert_eq!(imprecise(&task), None, "{task:#}");
}

#[test]
fn a_noisy_command_stops_at_max_runs_and_says_so() {
    let dir = project(&format!(
        "[bench.commands.flaky]\nrun = \"{ALTERNATING}\"\nwarmup = 0\nmin-runs = 2\nmax-runs = 12\n"
    ));
    let (task, samples) = bench(&dir);
    assert_eq!(samples, 12, "{task:#}");
    let message = imprecise(&task).unwrap_or_else(|| panic!("no warning\n{task:#}"));
    assert!(
        message.contains("`flaky`: `max-runs` was reached after 12 runs"),
        "{message}"
    );
    assert!(message.contains("a verdict needs about ±1.7%"), "{message}");
}

#[test]
fn a_noisy_command_stops_when_max_time_runs_out() {
    let dir = project(&format!(
        "[bench.commands.flaky]\nrun = \"{ALTERNATING}\"\nwarmup = 0\nmin-runs = 2\nmax-time = \"300ms\"\n"
    ));
    let (task, samples) = bench(&dir);
    // About 20 runs fit in 300 ms; far fewer than the default 1000.
    assert!((2..200).contains(&samples), "{samples} samples\n{task:#}");
    let message = imprecise(&task).unwrap_or_else(|| panic!("no warning\n{task:#}"));
    assert!(message.contains("`max-time` (300ms) ran out"), "{message}");
}

#[test]
fn fixed_runs_cannot_be_mixed_with_adaptive_bounds() {
    let dir = project("[bench.commands.x]\nrun = \"true\"\nruns = 5\nmax-runs = 50\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("`max-runs` cannot be combined with `runs`")
        .stderr_has("perf.toml:4:12")
        .stderr_has("remove `runs`");

    dir.policy("[bench.commands.x]\nrun = \"true\"\nmin-runs = 50\nmax-runs = 20\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("`min-runs` (50) is above `max-runs` (20)")
        .stderr_has("perf.toml:4:12");

    dir.policy("[bench.commands.x]\nrun = \"true\"\nmax-time = 10\n");
    dir.command(["bench"])
        .expect_code(2)
        .stderr_has("perf.toml:3:12")
        .stderr_has("a duration");
}
