//! How `cargo perf bench` reaches its verdicts (issue 14): against a
//! baseline it samples until the comparison decides; it picks the CPU clock
//! for a command that keeps one CPU busy; a calibration loop beside the runs
//! keeps a slower machine from passing for slower code; and every verdict
//! says in the JSON how it was reached, and an undecided one what would
//! decide it.

use serde_json::Value;

use crate::build::findings;
use crate::util::Dir;

/// A command that keeps one CPU busy for about 20-40 ms.
const SPIN: &str = "n=$(cat n.txt); i=0; while [ $i -lt $n ]; do i=$((i+1)); done";

/// `sleep $(cat delay.txt)`, six runs, no calibration loop.
const NAP_SIX_RUNS: &str = "[bench]\ncalibrate = false\n\n[bench.commands.nap]\nrun = \"sleep $(cat delay.txt)\"\nwarmup = 1\nruns = 6\n";

fn project(policy: &str) -> Dir {
    let dir = Dir::with_package("demo");
    dir.create(".gitignore", "/target\n/.cargo-perf\n/n\n");
    dir.create("n.txt", "20000");
    dir.create("delay.txt", "0.02");
    dir.policy(policy);
    dir.git_init();
    dir
}

pub(crate) fn bench(dir: &Dir, args: &[&str]) -> Value {
    let run = dir
        .command(["bench", "--format", "json"])
        .args(args)
        .expect_code_in(&[0, 1]);
    run.json()["tasks"][0].clone()
}

pub(crate) fn metric<'a>(task: &'a Value, name: &str) -> &'a Value {
    task["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no metric {name}\n{task:#}"))
}

#[test]
fn against_a_baseline_sampling_stops_once_the_comparison_decides() {
    let dir = project(
        "[bench]\nthreshold = \"50%\"\ncalibrate = false\n\n[bench.commands.nap]\nrun = \"sleep $(cat delay.txt)\"\nwarmup = 1\nmin-runs = 2\n",
    );
    bench(&dir, &["--save-baseline", "a"]);
    dir.create("delay.txt", "0.2");
    let task = bench(&dir, &["--baseline", "a"]);
    let nap = metric(&task, "bench.nap");
    assert_eq!(nap["verdict"], "regressed", "{task:#}");
    let judgement = &nap["judgement"];
    assert_eq!(judgement["stop"], "decided", "{judgement:#}");
    assert_eq!(judgement["estimator"], "trimmed-mean", "{judgement:#}");
    // The first look is at 20 runs, far below `max-runs` and `max-time`.
    assert_eq!(judgement["runs"], 20, "{judgement:#}");
    assert!(
        judgement["baseline_runs"].as_u64().unwrap() >= 2,
        "{judgement:#}"
    );
    // A sleeping command is judged on the wall clock, and the level is
    // corrected for the looks the rule planned.
    assert_eq!(judgement["clock"], "wall", "{judgement:#}");
    assert!(
        nap["change"]["confidence"].as_f64().unwrap() > 0.95,
        "{nap:#}"
    );
    let record: Value =
        serde_json::from_str(&dir.read(".cargo-perf/bench/runs/000002.json")).unwrap();
    let sampling = &record["benchmarks"][0]["sampling"];
    assert_eq!(sampling["stop"], "decided", "{record:#}");
    assert!(sampling["looks"].as_u64().unwrap() >= 2, "{record:#}");
}

#[test]
fn the_clock_is_chosen_per_benchmark_and_the_policy_fixes_it() {
    let dir = project(&format!(
        "[bench]\ncalibrate = false\n\n[bench.commands.spin]\nrun = \"{SPIN}\"\nruns = 5\n\n[bench.commands.nap]\nrun = \"sleep 0.01\"\nruns = 5\n"
    ));
    bench(&dir, &[]);
    let task = bench(&dir, &[]);
    // A command that sleeps never qualifies for the CPU clock; a CPU-bound
    // one does when its CPU time is the steadier (the machine decides).
    assert_eq!(
        metric(&task, "bench.nap")["judgement"]["clock"],
        "wall",
        "{task:#}"
    );
    let spin = &metric(&task, "bench.spin")["judgement"];
    assert!(
        ["cpu", "wall"].contains(&spin["clock"].as_str().unwrap()),
        "{spin:#}"
    );
    assert_eq!(spin["stop"], "fixed-runs", "{task:#}");

    // `clock = "cpu"`, `clock = "wall"` and `estimator = "median"` are what they say.
    for clock in ["cpu", "wall"] {
        dir.policy(&format!(
            "[bench]\nclock = \"{clock}\"\nestimator = \"median\"\ncalibrate = false\n\n[bench.commands.spin]\nrun = \"{SPIN}\"\nruns = 5\n"
        ));
        let task = bench(&dir, &[]);
        let judgement = &metric(&task, "bench.spin")["judgement"];
        assert_eq!(judgement["clock"], clock, "{task:#}");
        assert_eq!(judgement["estimator"], "median", "{task:#}");
    }
}

/// A command that sleeps `even` and `odd` seconds in turn, counting its
/// runs in the file `n`.
fn alternating(even: &str, odd: &str) -> String {
    format!(
        "n=$(cat n 2>/dev/null || echo 0); echo $((n + 1)) > n; if [ $((n % 2)) = 0 ]; then sleep {even}; else sleep {odd}; fi"
    )
}

#[test]
fn an_undecided_verdict_names_its_reason_and_the_remedy() {
    // Alternating 1 ms and 30 ms runs: never precise in 24 runs.
    let flaky = alternating("0.001", "0.03");
    // Judged by the stored runs: the pairs of a command that alternates could line up.
    let dir = project(&format!(
        "[bench]\ncalibrate = false\ninterleave = \"never\"\n\n[bench.commands.flaky]\nrun = \"{flaky}\"\nwarmup = 0\nmin-runs = 2\nmax-runs = 24\n"
    ));
    bench(&dir, &[]);
    let task = bench(&dir, &[]);
    let flaky = metric(&task, "bench.flaky");
    assert_eq!(flaky["verdict"], "inconclusive", "{task:#}");
    let undecided = &flaky["judgement"]["undecided"];
    let reason = undecided["reason"].as_str().unwrap();
    // On a loaded machine the two medians can also land at the threshold.
    assert!(
        ["spread", "baseline-imprecise", "at-threshold"].contains(&reason),
        "{undecided:#}"
    );
    let remedy = undecided["remedy"].as_str().unwrap();
    let named = match reason {
        "at-threshold" => remedy.contains("--instructions"),
        _ => remedy.contains("max-time") || remedy.contains("--baseline-rev"),
    };
    assert!(named, "{remedy}");
    let finding = task["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "bench-inconclusive")
        .unwrap_or_else(|| panic!("no bench-inconclusive\n{task:#}"));
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains(undecided["why"].as_str().unwrap()),
        "{finding:#}"
    );
    assert_eq!(finding["help"], undecided["remedy"], "{finding:#}");
}

/// Runs of 0.05 s and 0.8 s in turn: deciding by more runs would take hours,
/// so the remedy also offers counting instructions.
#[test]
fn a_remedy_that_would_take_hours_offers_instructions() {
    let swing = alternating("0.05", "0.8");
    let dir = project(&format!(
        "[bench]\nclock = \"wall\"\ncalibrate = false\ninterleave = \"never\"\n\n[bench.commands.swing]\nrun = \"{swing}\"\nwarmup = 0\nruns = 4\n"
    ));
    bench(&dir, &[]);
    let task = bench(&dir, &[]);
    let swing = metric(&task, "bench.swing");
    assert_eq!(swing["verdict"], "inconclusive", "{task:#}");
    let undecided = &swing["judgement"]["undecided"];
    assert_eq!(undecided["reason"], "spread", "{undecided:#}");
    assert!(
        undecided["estimated_secs"].as_f64().unwrap() > 120.0,
        "{undecided:#}"
    );
    let remedy = undecided["remedy"].as_str().unwrap();
    assert!(
        remedy.contains("`runs`") && remedy.contains("--instructions"),
        "{remedy}"
    );
}

/// Identical code measured while other processes keep every CPU busy: the
/// calibration loop sees the machine slow down, and then the verdict is
/// never `regressed`, and an undecided one says the machine was the reason.
#[test]
fn a_busier_machine_never_makes_identical_code_regress() {
    let dir = project(&format!(
        "[bench]\nclock = \"wall\"\ninterleave = \"never\"\n\n[bench.commands.spin]\nrun = \"{SPIN}\"\nruns = 12\n"
    ));
    bench(&dir, &["--save-baseline", "quiet"]);
    // Four per CPU: the baseline may itself have shared the machine with
    // other tests, so the slowdown must dwarf theirs.
    let cpus = std::thread::available_parallelism().map_or(2, usize::from);
    let hogs: Vec<std::process::Child> = (0..4 * cpus)
        .map(|_| {
            std::process::Command::new("sh")
                .args(["-c", "while :; do :; done"])
                .spawn()
                .unwrap()
        })
        .collect();
    let task = bench(&dir, &["--baseline", "quiet"]);
    for mut hog in hogs {
        let _ = hog.kill();
        let _ = hog.wait();
    }
    let spin = metric(&task, "bench.spin");
    let judgement = &spin["judgement"];
    let calibration = judgement["calibration_ratio"].as_f64().unwrap();
    // The loop saw the machine slow down, and a slowdown that large
    // (other tests share the machine too) never passes for a regression.
    assert!(calibration > 1.1, "{judgement:#}");
    if calibration > 1.5 {
        assert_ne!(spin["verdict"], "regressed", "{task:#}");
    }
    if spin["verdict"] == "inconclusive" && calibration > 1.5 {
        assert_eq!(judgement["undecided"]["reason"], "drift", "{judgement:#}");
    }
}

/// Worktrees cargo perf left in the target dir.
fn leftover_worktrees(dir: &Dir) -> Vec<String> {
    std::fs::read_dir(dir.path().join("target/cargo-perf"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.contains("-worktree-"))
                .collect()
        })
        .unwrap_or_default()
}

/// A comparison with a stored baseline of a clean commit that does not
/// come out `unchanged` measures that commit again, interleaved with the
/// working tree, and the pairs decide; the run's record holds the pairs'
/// samples of this tree, and the worktree is gone afterwards.
#[test]
fn a_stored_baseline_that_does_not_decide_is_measured_again_in_pairs() {
    let dir = project(
        "[bench]\ncalibrate = false\n\n[bench.commands.nap]\nsetup = \"mkdir -p target && echo built >> target/setups\"\nrun = \"sleep $(cat delay.txt)\"\nwarmup = 1\nruns = 6\n",
    );
    bench(&dir, &["--save-baseline", "a"]);
    // The committed 20 ms against 100 ms in the working tree: a gap that
    // a machine busy with the other tests cannot close in six pairs.
    dir.create("delay.txt", "0.1");
    let task = bench(&dir, &["--baseline", "a"]);
    let nap = metric(&task, "bench.nap");
    assert_eq!(nap["verdict"], "regressed", "{task:#}");
    let judgement = &nap["judgement"];
    assert_eq!(judgement["baseline"], "re-measured", "{judgement:#}");
    assert_eq!(judgement["paired"], true, "{judgement:#}");
    assert_eq!(judgement["runs"], 6, "{judgement:#}");
    assert_eq!(judgement["baseline_runs"], 6, "{judgement:#}");
    let again = findings(&task, "bench-remeasured");
    assert_eq!(again.len(), 1, "{task:#}");
    let message = again[0]["message"].as_str().unwrap();
    assert!(message.contains("`nap` regressed at +"), "{message}");
    let commit = dir.git(["rev-parse", "--short=8", "HEAD"]);
    assert!(message.contains(commit.trim()), "{message}");
    assert!(leftover_worktrees(&dir).is_empty(), "{:?}", dir.listing());
    // The worktree's `target` was the baseline's own target dir, which outlives it.
    let built = dir.read("target/cargo-perf/bench-baseline-target/setups");
    assert_eq!(built, "built\n", "{:?}", dir.listing());
    let record: Value =
        serde_json::from_str(&dir.read(".cargo-perf/bench/runs/000002.json")).unwrap();
    assert_eq!(
        record["benchmarks"][0]["samples"].as_array().unwrap().len(),
        6
    );

    // Identical code: the pairs decide `unchanged`, or at worst cannot tell.
    dir.git(["checkout", "--", "delay.txt"]);
    let task = bench(&dir, &["--baseline", "a"]);
    let nap = metric(&task, "bench.nap");
    assert_ne!(nap["verdict"], "regressed", "{task:#}");
}

/// Two stored runs of the same commit that differ for certain (here a
/// file outside git stands in for the machine) teach how far the benchmark
/// moves between runs: a comparison with stored runs is widened by that and
/// says so, and with `interleave = "auto"` the baseline's commit is then
/// measured again in pairs, which the shift cannot touch.
#[test]
fn a_shift_between_two_runs_of_the_same_code_widens_a_comparison_with_stored_runs() {
    let dir = Dir::with_package("demo");
    let machine = dir.join("target/machine");
    let policy = |interleave: &str| {
        format!(
            "[bench]\ncalibrate = false\ninterleave = \"{interleave}\"\n\n[bench.commands.nap]\nrun = \"sleep $(cat '{}')\"\nwarmup = 1\nruns = 6\n",
            machine.display()
        )
    };
    dir.create(".gitignore", "/target\n/.cargo-perf\n");
    dir.policy(&policy("never"));
    dir.git_init();
    dir.create("target/machine", "0.02");
    bench(&dir, &["--save-baseline", "a"]);
    // The same commit, five times slower for a reason outside the code.
    dir.create("target/machine", "0.1");
    bench(&dir, &["--baseline", "a"]);
    dir.create("target/machine", "0.02");
    let task = bench(&dir, &["--baseline", "a"]);
    let nap = metric(&task, "bench.nap");
    assert_eq!(nap["verdict"], "inconclusive", "{task:#}");
    let judgement = &nap["judgement"];
    let shift = judgement["run_to_run"].as_f64().unwrap_or_default();
    assert!((2.0..6.0).contains(&shift), "{task:#}");
    let undecided = &judgement["undecided"];
    assert_eq!(undecided["reason"], "run-to-run", "{judgement:#}");
    let why = undecided["why"].as_str().unwrap();
    assert!(why.contains("runs #1 and #2"), "{why}");
    assert!(
        undecided["remedy"]
            .as_str()
            .unwrap()
            .contains("--baseline-rev"),
        "{undecided:#}"
    );

    // Measured again in pairs, the comparison is not widened.
    dir.policy(&policy("auto"));
    dir.git(["commit", "-qam", "auto"]);
    let task = bench(&dir, &["--baseline", "a"]);
    let nap = metric(&task, "bench.nap");
    assert_eq!(nap["judgement"]["baseline"], "re-measured", "{task:#}");
    assert!(nap["judgement"].get("run_to_run").is_none(), "{task:#}");
    assert_ne!(nap["verdict"], "regressed", "{task:#}");
}

/// Changed code that its stored runs call `unchanged` is measured again
/// too while the history has not shown the benchmark steady between runs:
/// a shift of the machine could hide a change.
#[test]
fn an_unchanged_verdict_on_changed_code_is_checked_in_pairs_until_runs_are_known_steady() {
    let dir = project(NAP_SIX_RUNS);
    bench(&dir, &["--save-baseline", "a"]);
    // A tracked file changes; the benchmark does not read it.
    dir.create("n.txt", "20001");
    let task = bench(&dir, &["--baseline", "a"]);
    let nap = metric(&task, "bench.nap");
    assert_eq!(nap["judgement"]["baseline"], "re-measured", "{task:#}");
    assert_ne!(nap["verdict"], "regressed", "{task:#}");
    assert_eq!(findings(&task, "bench-remeasured").len(), 1, "{task:#}");
}

/// `interleave = "never"` judges by the stored runs only; so does a
/// baseline measured on a dirty tree, which no commit holds.
#[test]
fn without_a_clean_commit_or_with_interleave_never_the_stored_runs_decide() {
    let policy = |interleave: &str| {
        format!(
            "[bench]\ncalibrate = false\n{interleave}\n[bench.commands.nap]\nrun = \"sleep $(cat delay.txt)\"\nwarmup = 1\nruns = 6\n"
        )
    };
    let dir = project(&policy("interleave = \"never\""));
    bench(&dir, &["--save-baseline", "a"]);
    dir.create("delay.txt", "0.1");
    let task = bench(&dir, &["--baseline", "a"]);
    let nap = metric(&task, "bench.nap");
    assert_eq!(nap["verdict"], "regressed", "{task:#}");
    assert_eq!(nap["judgement"]["baseline"], "stored", "{task:#}");
    assert_eq!(nap["judgement"]["paired"], false, "{task:#}");
    assert!(findings(&task, "bench-remeasured").is_empty(), "{task:#}");

    // The default, but the baseline's tree was dirty: nothing to check out.
    dir.policy(&policy(""));
    dir.git(["commit", "-qam", "auto"]);
    dir.create("delay.txt", "0.021");
    bench(&dir, &["--save-baseline", "dirty"]);
    dir.create("delay.txt", "0.1");
    let task = bench(&dir, &["--baseline", "dirty"]);
    let nap = metric(&task, "bench.nap");
    assert_eq!(nap["judgement"]["baseline"], "stored", "{task:#}");
    assert!(findings(&task, "bench-remeasured").is_empty(), "{task:#}");
}

/// When the baseline's commit cannot run the benchmark as perf.toml now
/// declares it, a warning says so and the verdict against the stored runs
/// stands.
#[test]
fn a_baseline_commit_that_cannot_run_the_benchmark_leaves_the_stored_verdict() {
    let dir = project(NAP_SIX_RUNS);
    bench(&dir, &["--save-baseline", "a"]);
    // Only the working tree has `slower.txt`.
    dir.create("slower.txt", "0.1");
    dir.policy(
        "[bench]\ncalibrate = false\n\n[bench.commands.nap]\nrun = \"sleep $(cat slower.txt)\"\nwarmup = 1\nruns = 6\n",
    );
    let task = bench(&dir, &["--baseline", "a"]);
    let nap = metric(&task, "bench.nap");
    assert_eq!(nap["verdict"], "regressed", "{task:#}");
    assert_eq!(nap["judgement"]["baseline"], "stored", "{task:#}");
    let failed = findings(&task, "bench-remeasure-failed");
    assert_eq!(failed.len(), 1, "{task:#}");
    assert_eq!(failed[0]["severity"], "warning", "{task:#}");
    assert!(
        failed[0]["message"].as_str().unwrap().contains("`nap`"),
        "{task:#}"
    );
    assert!(
        findings(&task, "bench-command-failed").is_empty(),
        "{task:#}"
    );
    assert!(leftover_worktrees(&dir).is_empty(), "{:?}", dir.listing());
}
