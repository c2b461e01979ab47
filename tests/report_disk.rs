//! `cargo perf report`'s Disk section: what `cargo perf clean` would reclaim
//! under `[clean]` is the very figure `cargo perf clean --dry-run` prints
//! (bytes, removals, target-dir size), broken down by rule; making the
//! report removes, creates and touches nothing; a missing or empty target
//! dir, no rule, and a profile a running build holds are each said so.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::clean::{fake_unit, locked_debug_profile, metric, tool_outputs};
use crate::util::{Dir, TestCommand};

fn in_target(dir: &Dir, command: TestCommand) -> TestCommand {
    command.env("CARGO_TARGET_DIR", dir.join("target"))
}

fn report_json(dir: &Dir) -> Value {
    in_target(dir, dir.command(["report", "--format", "json"]))
        .expect_success()
        .json()
}

fn dry_run(dir: &Dir) -> Value {
    in_target(dir, dir.command(["clean", "--dry-run", "--format", "json"]))
        .expect_success()
        .json()
}

/// The size the dry run's summary prints: `would remove ... (108.0 KiB); ...`.
fn printed_size(dry: &Value) -> String {
    let summary = dry["tasks"][0]["summary"].as_str().unwrap_or_default();
    let start = summary.find('(').expect("a size in the summary") + 1;
    let end = start + summary[start..].find(')').unwrap();
    summary[start..end].to_owned()
}

/// Every path under `root` with its size, modification and (for files)
/// access time: what a command that changes nothing leaves as it was.
fn state(root: &Path) -> BTreeMap<String, (u64, i64, Option<i64>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(path) = stack.pop() {
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            stack.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        }
        let atime = meta.is_file().then(|| meta.atime());
        let rel = path.strip_prefix(root).unwrap().display().to_string();
        out.insert(rel, (meta.len(), meta.mtime(), atime));
    }
    out.retain(|path, _| !path.starts_with(".git/") && !path.starts_with("out"));
    out
}

#[test]
fn the_reclaim_figure_is_the_dry_runs_and_the_report_changes_nothing() {
    let dir = Dir::with_package("demo");
    dir.create(".gitignore", "/target\n/out\n");
    dir.policy("[clean]\nmax-age = \"30d\"\n\n[[clean.extra]]\nglob = \"*.profraw\"\n");
    dir.create("tracked.profraw", "git tracks this one");
    dir.git_init();
    dir.create("old.profraw", vec![1u8; 3000]);
    fake_unit(
        &dir,
        "target/debug",
        "stale",
        "0123456789abcdef",
        1,
        45,
        20_000,
    );
    fake_unit(
        &dir,
        "target/debug",
        "fresh",
        "00000000000000aa",
        1,
        1,
        10_000,
    );
    tool_outputs(&dir, 3);

    let before = state(dir.path());
    let doc = report_json(&dir);
    assert_eq!(
        state(dir.path()),
        before,
        "the report changed the workspace"
    );

    let dry = dry_run(&dir);
    let reclaim = &doc["reclaim"];
    assert_eq!(
        reclaim["bytes"].as_f64(),
        metric(&dry, "clean.reclaimable"),
        "{reclaim:#}"
    );
    assert_eq!(
        reclaim["entries"].as_f64(),
        metric(&dry, "clean.removals"),
        "{reclaim:#}"
    );
    assert_eq!(
        doc["disk"]["total"].as_f64(),
        metric(&dry, "clean.target.before"),
        "{:#}",
        doc["disk"]
    );
    let parts = reclaim["by_rule"].as_array().unwrap();
    let rules: Vec<&str> = parts.iter().map(|p| p["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["max-age", "extra", "tool-output"], "{reclaim:#}");
    let sum: u64 = parts.iter().map(|p| p["bytes"].as_u64().unwrap()).sum();
    assert_eq!(Some(sum), reclaim["bytes"].as_u64());
    assert_eq!(parts[0]["entries"], 1, "only the stale unit: {reclaim:#}");
    assert_eq!(
        parts[1]["entries"], 1,
        "only the untracked file: {reclaim:#}"
    );
    let notes = reclaim["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().starts_with("tracked.profraw: ")),
        "{reclaim:#}"
    );

    // The page and the Markdown print the dry run's own figure.
    let size = printed_size(&dry);
    for (args, expected) in [
        (
            ["--output", "out/perf.html"],
            format!("<code>cargo perf clean</code> would reclaim {size} ("),
        ),
        (
            ["--format", "markdown"],
            format!("`cargo perf clean` would reclaim {size} ("),
        ),
    ] {
        let run = in_target(&dir, dir.command(["report"]).args(args)).expect_success();
        let text = fs::read_to_string(run.stdout().trim()).unwrap();
        assert!(text.contains(&expected), "no {expected:?} in\n{text}");
        assert!(text.contains("tracked.profraw: "), "{text}");
    }
    assert!(dir.join("old.profraw").exists());
    assert!(
        dir.join("target/debug/deps/libstale-0123456789abcdef.rlib")
            .exists()
    );
    assert!(dir.join("target/cargo-perf/profile/1700000001").exists());
}

#[test]
fn a_missing_or_empty_target_dir_and_no_rule_are_said_so() {
    let dir = Dir::with_package("demo");
    dir.policy("[clean]\nmax-age = \"30d\"\n");
    dir.git_init();
    let doc = report_json(&dir);
    assert_eq!(doc["disk"], Value::Null, "{doc:#}");
    assert_eq!(doc["reclaim"]["bytes"], 0, "{doc:#}");
    assert_eq!(doc["reclaim"]["entries"], 0, "{doc:#}");
    assert!(!dir.join("target").exists(), "the report made a target dir");
    let page =
        in_target(&dir, dir.command(["report", "--output", "out/perf.html"])).expect_success();
    let page = fs::read_to_string(page.stdout().trim()).unwrap();
    assert!(page.contains("No target dir yet"), "{page}");
    assert!(!page.contains("would reclaim"), "{page}");

    fs::create_dir(dir.join("target")).unwrap();
    let doc = report_json(&dir);
    assert_eq!(doc["disk"]["total"], 0, "{doc:#}");
    assert_eq!(doc["reclaim"]["entries"], 0, "{doc:#}");
    assert_eq!(
        fs::read_dir(dir.join("target")).unwrap().count(),
        0,
        "the JSON report wrote into the target dir"
    );
    let page =
        in_target(&dir, dir.command(["report", "--output", "out/perf.html"])).expect_success();
    let page = fs::read_to_string(page.stdout().trim()).unwrap();
    assert!(
        page.contains(
            "<code>cargo perf clean</code> would remove nothing under the current policy."
        ),
        "{page}"
    );

    fs::remove_file(dir.join("perf.toml")).unwrap();
    fake_unit(&dir, "target/debug", "old", "0123456789abcdef", 1, 400, 100);
    let doc = report_json(&dir);
    assert_eq!(doc["reclaim"]["rules_set"], false, "{doc:#}");
    assert_eq!(doc["reclaim"]["entries"], 0, "{doc:#}");
    let md = in_target(&dir, dir.command(["report", "--format", "markdown"])).expect_success();
    let md = fs::read_to_string(md.stdout().trim()).unwrap();
    assert!(
        md.contains("would remove nothing: no rule is set in `[clean]` of perf.toml"),
        "{md}"
    );
}

#[test]
fn a_profile_a_running_build_holds_is_left_out_without_waiting() {
    let dir = Dir::with_package("demo");
    let Some(_holder) = locked_debug_profile(&dir) else {
        eprintln!("skipped: flock(1) from util-linux is not installed");
        return;
    };
    let started = Instant::now();
    let doc = report_json(&dir);
    // The lock is held for a minute: a report that waited for it would take that long.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the report waited for the build lock"
    );
    let reclaim = &doc["reclaim"];
    assert_eq!(reclaim["entries"], 1, "{reclaim:#}");
    assert!(
        reclaim["notes"][0]
            .as_str()
            .unwrap()
            .contains("locked by a running cargo build"),
        "{reclaim:#}"
    );
    assert_eq!(
        reclaim["bytes"].as_f64(),
        metric(&dry_run(&dir), "clean.reclaimable")
    );
    assert!(
        dir.join("target/release/deps/libidle-00000000000000b1.rlib")
            .exists()
    );
}
