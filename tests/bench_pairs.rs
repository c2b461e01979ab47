//! Cargo bench targets judged by pairs of harness runs (issue 14): when a
//! comparison with stored runs cannot decide and the baseline is a clean
//! commit, or with `--baseline-rev`, the baseline tree's target and the
//! working tree's run in turns, and the pairs decide.

use serde_json::Value;

use crate::bench::codes;
use crate::bench_verdicts::{bench, metric};
use crate::util::Dir;

/// A package whose bench target, without a harness, reports `speed.txt` (read
/// from the package root, where cargo runs benches) a little differently
/// in every run: as a libtest `#[bench]` line whose spread is far too wide
/// for one run to decide a 10% change, or as criterion's files. Each run
/// appends its arguments to `harness-args.txt`.
fn harness_project(criterion: bool) -> Dir {
    let dir = Dir::with_package("demo");
    dir.create(".gitignore", "/target\n/.cargo-perf\n/harness-args.txt\n");
    dir.create("speed.txt", "1000");
    dir.create(
        "Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bench]]\nname = \"work\"\nharness = false\n",
    );
    dir.create(
        "benches/work.rs",
        format!(
            r#"use std::io::Write as _;

const CRITERION: bool = {criterion};

fn main() {{
    let speed: f64 = std::fs::read_to_string("speed.txt").unwrap().trim().parse().unwrap();
    let value = speed * (1.0 + f64::from(std::process::id() % 5) * 0.002);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut log = std::fs::OpenOptions::new().create(true).append(true).open("harness-args.txt").unwrap();
    writeln!(log, "{{}}", args.join(" ")).unwrap();
    if !CRITERION {{
        println!("test work ... bench: {{value:.2}} ns/iter (+/- {{speed:.2}})");
        return;
    }}
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned());
    let new = std::path::Path::new(&target).join("criterion").join("work").join("new");
    std::fs::create_dir_all(&new).unwrap();
    let iters: Vec<f64> = (1..=10).map(f64::from).collect();
    let times: Vec<f64> = iters.iter().map(|n| n * value).collect();
    std::fs::write(new.join("sample.json"), format!("{{{{\"sampling_mode\":\"Linear\",\"iters\":{{iters:?}},\"times\":{{times:?}}}}}}")).unwrap();
    std::fs::write(new.join("benchmark.json"), "{{\"full_id\":\"work\"}}").unwrap();
}}
"#
        ),
    );
    dir.policy("[bench]\nthreshold = \"5%\"\ncalibrate = false\n");
    dir.git_init();
    dir
}

fn work(task: &Value) -> &Value {
    metric(task, "bench.work/work")
}

/// The pairs' verdict, and that it came from ten pairs of harness runs.
fn assert_paired(task: &Value, verdict: &str, source: &str, runs: u64) {
    let metric = work(task);
    assert_eq!(metric["verdict"], verdict, "{task:#}");
    let judgement = &metric["judgement"];
    assert_eq!(judgement["baseline"], source, "{judgement:#}");
    assert_eq!(judgement["paired"], true, "{judgement:#}");
    assert_eq!(judgement["stop"], "decided", "{judgement:#}");
    assert_eq!(judgement["runs"], runs, "{judgement:#}");
    assert_eq!(judgement["baseline_runs"], runs, "{judgement:#}");
    // The level is divided by the looks planned from the pairs' pace: the
    // fake harness's quick pairs leave room for at least two looks after
    // the first (three to five in all).
    let confidence = metric["change"]["confidence"].as_f64().unwrap();
    assert!(
        (3..=5).any(|looks| (confidence - (1.0 - 0.05 / f64::from(looks))).abs() < 1e-9),
        "{metric:#}"
    );
}

#[test]
fn a_harness_result_the_stored_runs_cannot_decide_is_measured_again_in_pairs() {
    let dir = harness_project(false);
    bench(&dir, &["--save-baseline", "a"]);

    // 10% slower: one run's printed spread (±100%) cannot tell; ten pairs can.
    dir.create("speed.txt", "1100");
    let task = bench(&dir, &["--baseline", "a"]);
    assert_paired(&task, "regressed", "re-measured", 10);
    assert!(
        codes(&task).iter().any(|c| c == "bench-remeasured"),
        "{task:#}"
    );
    let change = work(&task)["change"]["ratio"].as_f64().unwrap();
    assert!((1.08..1.12).contains(&change), "{task:#}");

    // The same code: the stored runs cannot say `unchanged` either; the pairs do.
    dir.create("speed.txt", "1000");
    let task = bench(&dir, &["--baseline", "a"]);
    assert_paired(&task, "unchanged", "re-measured", 10);

    // The history keeps this run's own result, and the pairs beside it.
    let runs = std::fs::read_dir(dir.join(".cargo-perf/bench/runs")).unwrap();
    let last = runs.map(|e| e.unwrap().path()).max().unwrap();
    let record: Value = serde_json::from_str(&std::fs::read_to_string(last).unwrap()).unwrap();
    let stored = &record["benchmarks"][0];
    assert_eq!(stored["samples"].as_array().unwrap().len(), 1, "{record:#}");
    assert_eq!(stored["pairs"]["current"].as_array().unwrap().len(), 10);
    assert_eq!(dir.git(["worktree", "list"]).lines().count(), 1);
}

#[test]
fn criterion_runs_shortened_in_pairs_with_baseline_rev() {
    let dir = harness_project(true);
    dir.create("speed.txt", "1100");
    let task = bench(&dir, &["--baseline-rev", "HEAD"]);
    // The two whole runs are the first pair; ten shortened pairs follow.
    assert_paired(&task, "regressed", "baseline-rev", 11);
    let args = dir.read("harness-args.txt");
    let lines: Vec<&str> = args.lines().collect();
    assert_eq!(lines.len(), 11, "{args}");
    assert!(!lines[0].contains("--measurement-time"), "{args}");
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains("--measurement-time 0.05")
                && l.contains("--noplot")
                && l.contains("--save-baseline cargo-perf-pairs")),
        "{args}"
    );
    assert_eq!(dir.git(["worktree", "list"]).lines().count(), 1);

    // The baseline tree's criterion files are read from its own target dir.
    dir.create("speed.txt", "1000");
    let task = bench(&dir, &["--baseline-rev", "HEAD"]);
    assert_paired(&task, "unchanged", "baseline-rev", 11);
}
