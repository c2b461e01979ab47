//! Snapshot tests of the renderers: fixed [`RunReport`]s rendered in every
//! format and compared with the files under `tests/snapshots/`, so a layout
//! change shows up as a diff in review. `UPDATE_SNAPSHOTS=1 cargo test -p
//! cargo-perf-report --test snapshots` rewrites the files; read the diff
//! before committing it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cargo_perf_engine::model::dashboard::{Dashboard, DiskUsage, Reclaim, ReclaimPart};
use cargo_perf_engine::model::{ListedPipeline, ListedTask, Listing};
use cargo_perf_engine::{
    Change, Finding, Metric, MetricName, RunReport, TaskKind, TaskReport, TaskStatus, Unit, Verdict,
};
use cargo_perf_report::{
    Format, render, render_dashboard_markdown, render_listing, render_listing_json, render_sarif,
};

const UPDATE_ENV: &str = "UPDATE_SNAPSHOTS";

// Codes shaped like the tasks' own (the report crate sees no task).
cargo_perf_engine::finding_codes! {
    enum GitignoreCode for "gitignore" {
        MissingIgnore => "gitignore-missing-ignore" (Error, "a required ignore is missing"),
        LargeFile => "gitignore-large-file" (Error, "a tracked file is too large"),
        NotShared => "gitignore-not-shared" (Warning, "an ignore is not committed"),
        NotARepository => "gitignore-not-a-repository" (Warning, "not in a git repository"),
        Added => "gitignore-added" (Info, "a pattern was added"),
        Untracked => "gitignore-untracked" (Info, "a file was untracked"),
    }
}

cargo_perf_engine::finding_codes! {
    enum BenchCode for "bench" {
        Regressed => "bench-regressed" (Error, "a benchmark regressed"),
        OverBudget => "bench-over-budget" (Error, "a benchmark is over its budget"),
    }
}

fn metric(task: &str, segments: &[&str], value: f64, unit: Unit) -> Metric {
    let name = segments
        .iter()
        .fold(MetricName::task(task), |name, s| name.seg(s));
    Metric::new(name, value, unit)
}

/// Every format, with the extension its snapshot file gets.
const FORMATS: &[(Format, &str)] = &[
    (Format::Human, "human.txt"),
    (Format::Markdown, "md"),
    (Format::Github, "github.txt"),
    (Format::Json, "json"),
];

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Compares `actual` with the snapshot `name`, or rewrites it under `UPDATE_SNAPSHOTS=1`.
fn check(name: &str, actual: &str) {
    let path = snapshot_dir().join(name);
    if std::env::var_os(UPDATE_ENV).is_some_and(|v| v == "1") {
        std::fs::create_dir_all(snapshot_dir()).expect("create the snapshot dir");
        std::fs::write(&path, actual).expect("write the snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|err| {
        panic!(
            "cannot read snapshot {}: {err}\nrun `{UPDATE_ENV}=1 cargo test -p cargo-perf-report --test snapshots` to create it",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{name} differs from its snapshot {}\n{}\nrun `{UPDATE_ENV}=1 cargo test -p cargo-perf-report --test snapshots` to accept the new output",
            path.display(),
            line_diff(&expected, actual)
        );
    }
}

/// The lines that differ, `-` expected and `+` actual, each with its line number.
fn line_diff(expected: &str, actual: &str) -> String {
    let expected: Vec<&str> = expected.lines().collect();
    let actual: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    for i in 0..expected.len().max(actual.len()) {
        let (e, a) = (expected.get(i), actual.get(i));
        if e != a {
            if let Some(e) = e {
                out.push_str(&format!("{:>4} - {e}\n", i + 1));
            }
            if let Some(a) = a {
                out.push_str(&format!("{:>4} + {a}\n", i + 1));
            }
        }
    }
    out
}

/// Renders `report` in every format and checks each against its snapshot.
fn check_all(fixture: &str, report: &RunReport) {
    console::set_colors_enabled(false);
    for (format, ext) in FORMATS {
        check(&format!("{fixture}.{ext}"), &render(report, *format, false));
    }
}

fn run_report(tasks: Vec<TaskReport>, duration: Duration, interrupted: bool) -> RunReport {
    let mut report = RunReport::new(
        "check".into(),
        "/ws".into(),
        Some("/ws/perf.toml".into()),
        tasks,
        duration,
        interrupted,
    );
    // The tool's version would change every snapshot on each release.
    report.tool_version = "0.0.0-snapshot".into();
    report
}

fn task(name: &str, status: TaskStatus, millis: u64) -> TaskReport {
    let mut task = TaskReport::new(name, TaskKind::Builtin);
    task.status = status;
    task.duration = Duration::from_millis(millis);
    task
}

fn change(ratio: f64, low: f64, high: f64, confidence: Option<f64>) -> Change {
    Change {
        ratio,
        low,
        high,
        confidence,
    }
}

/// Findings of every severity, with and without a file and line.
fn gitignore_failed() -> TaskReport {
    let mut gitignore = task("gitignore", TaskStatus::Failed, 120);
    gitignore.summary = Some("12 tracked files, 2 of 3 required ignores in place".into());
    gitignore.findings = vec![
        Finding::error(
            GitignoreCode::MissingIgnore,
            "target/ (the build output) is not ignored: `!target/` re-includes it",
        )
        .file(".gitignore")
        .line(4)
        .help("remove `!target/`, or add `/target/` after it"),
        Finding::error(
            GitignoreCode::LargeFile,
            "tracked file assets/big,one:1.bin is 2.0 MiB, over the 1.0 MiB limit",
        )
        .file("assets/big,one:1.bin")
        .help("keep it out of git"),
        Finding::warning(
            GitignoreCode::NotShared,
            "perf.data* is ignored only by .git/info/exclude",
        )
        .file(".gitignore"),
        Finding::warning(
            GitignoreCode::NotARepository,
            "/ws is 100% outside git, so there is nothing to check",
        ),
        Finding::info(GitignoreCode::Added, "added `/target/` to .gitignore")
            .file(".gitignore")
            .line(9),
        Finding::info(
            GitignoreCode::Untracked,
            "untracked a|b.log (the file stays on disk)",
        ),
    ];
    gitignore.metrics = vec![
        metric("gitignore", &["tracked-files"], 12.0, Unit::Count),
        metric("gitignore", &["missing-ignores"], 1.0, Unit::Count),
    ];
    gitignore
}

/// Metrics of every unit, with budgets, baselines, intervals and verdicts.
fn bench_failed() -> TaskReport {
    let mut bench = task("bench", TaskStatus::Failed, 65_400);
    bench.findings = vec![
        Finding::error(
            BenchCode::Regressed,
            "`parse` regressed: +12.3% [+8.1%, +16.0%] at 95.0% confidence",
        )
        .help("profile it"),
        Finding::error(
            BenchCode::OverBudget,
            "`startup` takes 1.50s (median), over its budget of 1.00s",
        ),
    ];
    bench.metrics = vec![
        metric("bench", &["parse"], 1_234_567.0, Unit::Nanoseconds)
            .baseline(1_099_000.0)
            .verdict(Verdict::Regressed)
            .change(change(1.123, 1.081, 1.160, Some(0.95))),
        metric("bench", &["lex"], 850.0, Unit::Nanoseconds)
            .baseline(1_000.0)
            .verdict(Verdict::Improved)
            .change(change(0.85, 0.80, 0.90, Some(0.95))),
        metric(
            "bench",
            &["walk/large.json"],
            2_000_000_000.0,
            Unit::Nanoseconds,
        )
        .baseline(1_990_000_000.0)
        .verdict(Verdict::Unchanged)
        .change(change(1.005, 0.99, 1.02, None)),
        metric("bench", &["noisy"], 45.5, Unit::Nanoseconds)
            .baseline(44.0)
            .verdict(Verdict::Inconclusive)
            .change(change(1.034, 0.97, 1.10, Some(0.99))),
        metric("bench", &["startup"], 1_500_000_000.0, Unit::Nanoseconds).budget(1_000_000_000.0),
        metric("bench", &["parse", "p50"], 1_230_000.0, Unit::Nanoseconds),
        metric("bench", &["parse", "p95"], 1_400_000.0, Unit::Nanoseconds).budget(2_000_000.0),
        metric("bench", &["parse", "p99"], 1_600_000.0, Unit::Nanoseconds),
        metric(
            "bench",
            &["startup", "p50"],
            1_500_000_000.0,
            Unit::Nanoseconds,
        ),
        metric(
            "bench",
            &["startup", "p95"],
            1_700_000_000.0,
            Unit::Nanoseconds,
        ),
        metric(
            "bench",
            &["startup", "p99"],
            1_900_000_000.0,
            Unit::Nanoseconds,
        )
        .budget(1_800_000_000.0),
        metric("bench", &["alloc", "allocations"], 2_000.0, Unit::Count)
            .baseline(1_000.0)
            .verdict(Verdict::Regressed)
            .change(change(2.0, 2.0, 2.0, None)),
        metric("bench", &["count"], 123_456_789.0, Unit::Instructions),
        metric("bench", &["startup", "max-rss"], 52_428_800.0, Unit::Bytes),
    ];
    bench
}

fn build_passed() -> TaskReport {
    let mut build = task("build", TaskStatus::Passed, 3_250);
    build.summary = Some("no-op build 0.41s; 2 members within budget".into());
    build.metrics = vec![
        metric("build", &["noop"], 0.41, Unit::Seconds).budget(2.0),
        metric("build", &["incremental", "core"], 45.0, Unit::Seconds).budget(60.0),
        metric(
            "build",
            &["usage"],
            3.0 * 1024.0 * 1024.0 * 1024.0,
            Unit::Bytes,
        ),
        metric("build", &["hit-rate"], 87.25, Unit::Percent),
    ];
    build
}

/// A custom command that could not run, with the tail of its output.
fn lint_error() -> TaskReport {
    let mut lint = TaskReport::new("lint", TaskKind::Custom);
    lint.status = TaskStatus::Error;
    lint.duration = Duration::from_millis(800);
    lint.reason = Some("`cargo clippy` exited with status 101".into());
    lint.log_tail = vec![
        "error: unused variable `x` | in <main>".into(),
        "```".into(),
        "  --> src/lib.rs:3:9 & more".into(),
    ];
    lint
}

#[test]
fn mixed_run() {
    let report = run_report(
        vec![
            gitignore_failed(),
            build_passed(),
            bench_failed(),
            lint_error(),
            TaskReport::not_run(
                "profile",
                TaskKind::Builtin,
                TaskStatus::Skipped,
                "skipped: `build` failed",
            ),
            TaskReport::not_run(
                "clean",
                TaskKind::Builtin,
                TaskStatus::Cancelled,
                "cancelled by Ctrl-C",
            ),
        ],
        Duration::from_millis(70_123),
        false,
    );
    check_all("mixed", &report);
    let codes = cargo_perf_engine::model::catalogue::<GitignoreCode>();
    check("mixed.sarif.json", &render_sarif(&report, &codes));
}

#[test]
fn failed_run() {
    let mut skipped = task("bench", TaskStatus::Skipped, 15);
    skipped.reason = Some("no changed package has benchmarks".into());
    let report = run_report(
        vec![gitignore_failed(), skipped],
        Duration::from_millis(450),
        false,
    );
    check_all("failed", &report);
}

#[test]
fn passed_run() {
    let report = run_report(vec![build_passed()], Duration::from_millis(3_300), false);
    check_all("passed", &report);
    console::set_colors_enabled(false);
    assert_eq!(
        render(&report, Format::Human, true),
        "",
        "--quiet on a pass"
    );
}

#[test]
fn passed_with_skips() {
    let skipped = TaskReport::not_run(
        "bench",
        TaskKind::Builtin,
        TaskStatus::Skipped,
        "no changed package has benchmarks",
    );
    let report = run_report(
        vec![build_passed(), skipped],
        Duration::from_millis(3_300),
        false,
    );
    check_all("passed-with-skips", &report);
}

#[test]
fn interrupted_run() {
    let mut build = task("build", TaskStatus::Cancelled, 1_200);
    build.reason = Some("interrupted by Ctrl-C".into());
    let report = run_report(
        vec![
            build,
            TaskReport::not_run(
                "bench",
                TaskKind::Builtin,
                TaskStatus::Cancelled,
                "not started: interrupted",
            ),
        ],
        Duration::from_millis(1_250),
        true,
    );
    check_all("interrupted", &report);
}

#[test]
fn empty_run() {
    let report = run_report(Vec::new(), Duration::ZERO, false);
    check_all("empty", &report);
}

#[test]
fn listing() {
    let listed = |name: &str, kind, description: &str, depends_on: &[&str]| ListedTask {
        name: name.into(),
        kind,
        description: description.into(),
        depends_on: depends_on.iter().map(|d| d.to_string()).collect(),
    };
    let listing = Listing {
        tasks: vec![
            listed(
                "gitignore",
                TaskKind::Builtin,
                "git ignores what it must",
                &[],
            ),
            listed("fmt", TaskKind::Custom, "Formatting", &[]),
            listed(
                "test",
                TaskKind::Custom,
                "cargo test",
                &["fmt", "gitignore"],
            ),
        ],
        pipelines: vec![
            ListedPipeline {
                name: "check".into(),
                steps: vec!["fmt".into(), "test".into()],
                from_policy: true,
            },
            ListedPipeline {
                name: "a-long-pipeline-name".into(),
                steps: Vec::new(),
                from_policy: false,
            },
        ],
    };
    console::set_colors_enabled(false);
    check("listing.human.txt", &render_listing(&listing));
    check("listing.json", &render_listing_json(&listing));
}

/// A report page's data with a target dir and what clean would reclaim from it.
fn disk_dashboard() -> Dashboard {
    Dashboard {
        workspace: "demo".into(),
        disk: Some(DiskUsage {
            target_dir: "target".into(),
            total: 3 << 30,
            entries: vec![
                ("debug".into(), "deps".into(), 2 << 30),
                ("debug".into(), "incremental".into(), 1 << 29),
                ("cargo-perf".into(), "profile".into(), 1 << 29),
            ],
        }),
        reclaim: Some(Reclaim {
            bytes: (1 << 30) + (300 << 20) + 4096,
            entries: 42,
            by_rule: vec![
                ReclaimPart {
                    rule: "max-age".into(),
                    what: "units not used for longer than max-age".into(),
                    entries: 40,
                    bytes: 1 << 30,
                },
                ReclaimPart {
                    rule: "extra".into(),
                    what: "extra files matching [[clean.extra]]".into(),
                    entries: 1,
                    bytes: 4096,
                },
                ReclaimPart {
                    rule: "tool-output".into(),
                    what: "old outputs of cargo perf".into(),
                    entries: 1,
                    bytes: 300 << 20,
                },
            ],
            rules_set: true,
            notes: (1..=12)
                .map(|n| format!("debug is locked | by a running cargo build ({n})"))
                .collect(),
        }),
        ..Dashboard::default()
    }
}

/// The Disk section and the summary of a dashboard (the rest of its
/// Markdown is the empty-data text, snapshot too).
#[test]
fn dashboard_disk() {
    let dashboard = disk_dashboard();
    check(
        "dashboard-disk.md",
        &render_dashboard_markdown(&dashboard, "charts").document,
    );
    check(
        "dashboard-disk.json",
        &(serde_json::to_string_pretty(&dashboard).unwrap() + "\n"),
    );
    let nothing = Dashboard {
        reclaim: Some(Reclaim::default()),
        ..disk_dashboard()
    };
    check(
        "dashboard-no-rule.md",
        &render_dashboard_markdown(&nothing, "charts").document,
    );
    let no_target = Dashboard {
        disk: None,
        reclaim: None,
        notes: vec!["what `cargo perf clean` would reclaim was not worked out: git failed".into()],
        ..disk_dashboard()
    };
    check(
        "dashboard-no-target.md",
        &render_dashboard_markdown(&no_target, "charts").document,
    );
}

/// A snapshot no test writes any more would rot unnoticed.
#[test]
fn every_snapshot_file_belongs_to_a_test() {
    if std::env::var_os(UPDATE_ENV).is_some() {
        return; // the other tests are rewriting the files right now
    }
    let fixtures = [
        "mixed",
        "failed",
        "passed",
        "passed-with-skips",
        "interrupted",
        "empty",
    ];
    let expected: Vec<String> = fixtures
        .iter()
        .flat_map(|f| FORMATS.iter().map(move |(_, ext)| format!("{f}.{ext}")))
        .chain([
            "listing.human.txt".into(),
            "listing.json".into(),
            "mixed.sarif.json".into(),
            "dashboard-disk.md".into(),
            "dashboard-disk.json".into(),
            "dashboard-no-rule.md".into(),
            "dashboard-no-target.md".into(),
        ])
        .collect();
    let Ok(entries) = std::fs::read_dir(snapshot_dir()) else {
        panic!("no snapshot dir {}", snapshot_dir().display());
    };
    for entry in entries {
        let name = entry.expect("read the snapshot dir").file_name();
        let name = name.to_string_lossy();
        assert!(
            expected.iter().any(|e| *e == name),
            "{name} in {} belongs to no test: remove it",
            snapshot_dir().display()
        );
    }
}
