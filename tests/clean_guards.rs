//! `cargo perf clean` against what other parties own: a target dir in
//! another git repository, the bench history other globs must not reach,
//! the access times our own reads would leave, and Ctrl-C during the scan.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::clean::{age_tree, clean, fake_unit, findings, removals, set_age, task};
use crate::util::{Dir, git_command};

fn git_in(dir: &Path, args: &[&str]) {
    let output = git_command(dir).args(args).output().expect("run git");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Two old units in `target` (relative to `dir`), the first with a file the
/// repository at `repo` tracks; returns that file's path.
fn units_in_a_repo(dir: &Dir, repo: &Path, target: &str) -> std::path::PathBuf {
    let profile = format!("{target}/debug");
    fake_unit(dir, &profile, "owned", "00000000000000d0", 1, 40, 10);
    fake_unit(dir, &profile, "loose", "00000000000000d1", 1, 40, 10);
    let tracked = dir.join(format!("{profile}/deps/libowned-00000000000000d0.rlib"));
    git_in(repo, &["init", "-q", "-b", "main"]);
    git_in(repo, &["add", "-f", tracked.to_str().unwrap()]);
    git_in(repo, &["commit", "-q", "-m", "vendored build output"]);
    set_age(&tracked, 40);
    tracked
}

fn assert_only_loose_went(run: &Value, tracked: &Path) {
    let files: Vec<String> = removals(run).into_iter().map(|(f, _)| f).collect();
    assert_eq!(files.len(), 1, "{run:#}");
    assert!(
        files[0].ends_with("debug/.fingerprint/loose-00000000000000d1"),
        "{run:#}"
    );
    let kept = findings(run, "clean-tracked-kept");
    assert_eq!(kept.len(), 1, "{run:#}");
    assert!(
        kept[0]["message"]
            .as_str()
            .unwrap()
            .contains("`owned-00000000000000d0`"),
        "{run:#}"
    );
    assert!(tracked.exists(), "a tracked file was removed");
}

#[test]
fn a_target_dir_in_a_nested_repository_keeps_what_that_repository_tracks() {
    let dir = Dir::with_package("tiny");
    dir.policy("[clean]\nmax-age = \"30d\"\n");
    dir.git_init();
    fs::create_dir_all(dir.join("vendor/nested")).unwrap();
    let tracked = units_in_a_repo(&dir, &dir.join("vendor/nested"), "vendor/nested/tgt");
    let run = dir
        .command(["clean", "--format", "json"])
        .env("CARGO_TARGET_DIR", dir.join("vendor/nested/tgt"))
        .expect_success()
        .json();
    assert_only_loose_went(&run, &tracked);
}

#[test]
fn a_target_dir_in_an_unrelated_repository_keeps_what_that_repository_tracks() {
    let dir = Dir::with_package("tiny");
    dir.policy("[clean]\nmax-age = \"30d\"\n");
    let other = Dir::new();
    let tracked = units_in_a_repo(&other, other.path(), "tgt");
    let run = dir
        .command(["clean", "--format", "json"])
        .env("CARGO_TARGET_DIR", other.join("tgt"))
        .expect_success()
        .json();
    assert_only_loose_went(&run, &tracked);
}

#[test]
fn when_the_repository_holding_the_target_dir_cannot_answer_nothing_is_removed() {
    let dir = Dir::with_package("tiny");
    dir.policy("[clean]\nmax-age = \"30d\"\n");
    let other = Dir::new();
    let tracked = units_in_a_repo(&other, other.path(), "tgt");
    fs::write(other.join(".git/index"), "not an index").unwrap();
    let run = dir
        .command(["clean", "--format", "json"])
        .env("CARGO_TARGET_DIR", other.join("tgt"))
        .expect_code(2);
    let text = format!("{}{}", run.stdout(), run.stderr());
    assert!(
        text.contains("cannot ask git which files are tracked"),
        "{}",
        run.context()
    );
    assert!(tracked.exists());
    assert!(
        other
            .join("tgt/debug/deps/libloose-00000000000000d1.rlib")
            .exists()
    );
}

#[test]
fn a_custom_bench_history_is_never_matched_by_an_extra_glob() {
    let dir = Dir::with_package("tiny");
    dir.policy(
        "[bench]\nhistory = \"perfdata/bench\"\n\n[clean]\n\n[[clean.extra]]\nglob = \"*.json\"\n",
    );
    dir.create("perfdata/bench/runs/000001.json", "{}");
    dir.create("perfdata/bench/baselines/main.json", "{}");
    dir.create("perfdata/stray.json", "{}");
    let run = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    let files: Vec<String> = removals(&run).into_iter().map(|(f, _)| f).collect();
    assert_eq!(files, ["perfdata/stray.json"], "{run:#}");
    assert!(dir.join("perfdata/bench/runs/000001.json").exists());
    assert!(dir.join("perfdata/bench/baselines/main.json").exists());
}

#[test]
fn reading_toolchain_hashes_does_not_count_as_a_use() {
    let dir = Dir::with_package("tiny");
    dir.policy("[clean]\nmax-age = \"30d\"\ntoolchains = \"installed\"\n");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--quiet", "--offline"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .status()
        .expect("run cargo build");
    assert!(status.success());
    age_tree(&dir.join("target"), 40);
    let dry_run = || {
        let run = clean(&dir)
            .args(["--dry-run", "--format", "json"])
            .expect_success()
            .json();
        removals(&run)
            .into_iter()
            .map(|(file, _)| file)
            .collect::<Vec<_>>()
    };
    let first = dry_run();
    assert!(
        first.iter().any(|f| f.contains(".fingerprint/tiny-")),
        "the aged unit of the current toolchain is not listed: {first:#?}"
    );
    assert_eq!(
        dry_run(),
        first,
        "a dry run changed what the next run removes"
    );
}

#[test]
fn ctrl_c_while_scanning_cancels_the_task_and_removes_nothing() {
    let dir = Dir::with_package("tiny");
    // Fresh units, so no rule selects them; a rustc hash of 0 names no toolchain.
    dir.policy("[clean]\nmax-age = \"30d\"\ntoolchains = \"installed\"\n");
    let units = 6000;
    let rlib = |i: usize| dir.join(format!("target/debug/deps/libu{i:05}-{i:016x}.rlib"));
    for i in 0..units {
        let fingerprint = dir.join(format!("target/debug/.fingerprint/u{i:05}-{i:016x}"));
        fs::create_dir_all(&fingerprint).unwrap();
        fs::write(fingerprint.join(format!("lib-u{i:05}")), "0123").unwrap();
        fs::write(
            fingerprint.join(format!("lib-u{i:05}.json")),
            "{\"rustc\":0,\"deps\":[]}",
        )
        .unwrap();
        if i == 0 {
            fs::create_dir_all(dir.join("target/debug/deps")).unwrap();
        }
        fs::write(rlib(i), "rlib").unwrap();
    }
    let mut command = clean(&dir).args(["--verbose", "--format", "json"]);
    let mut child = command
        .inner()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cargo-perf");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap_or(0) > 0 {
        seen.push_str(&line);
        if line.contains("scanning the target dir") {
            break;
        }
        line.clear();
    }
    assert!(seen.contains("scanning the target dir"), "{seen}");
    let sent = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let mut rest = String::new();
    let _ = stderr.read_to_string(&mut rest);
    let output = child.wait_with_output().expect("wait for cargo-perf");
    assert!(
        sent.elapsed() < Duration::from_secs(60),
        "Ctrl-C took {:?}",
        sent.elapsed()
    );
    let json: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {seen}{rest}"));
    assert_eq!(output.status.code(), Some(130), "{json:#}");
    assert_eq!(task(&json)["status"], "cancelled", "{:#}", task(&json));
    assert_eq!(findings(&json, "clean-interrupted").len(), 1, "{json:#}");
    assert!(removals(&json).is_empty(), "{json:#}");
    assert!((0..units).all(|i| rlib(i).exists()));
}
