//! `cargo perf gitignore`: required ignores (any spelling git honours),
//! tracked files that are ignored, large tracked files, `--fix`, `--untrack`,
//! `--staged`, repositories above the workspace, linked worktrees, no git at all.

use std::path::Path;

use serde_json::Value;

use crate::util::{Dir, Run, git_command};

/// The ignore lines a Rust workspace needs.
const GOOD_IGNORE: &str = "/target/\n/.cargo-perf/\nperf.data*\n";

/// A committed one-package workspace whose .gitignore has `ignore`.
fn repo(ignore: &str) -> Dir {
    let dir = Dir::with_package("demo");
    if !ignore.is_empty() {
        dir.create(".gitignore", ignore);
    }
    dir.git_init();
    dir
}

fn task(run: &Run) -> Value {
    run.json()["tasks"]
        .as_array()
        .and_then(|tasks| tasks.iter().find(|t| t["name"] == "gitignore"))
        .cloned()
        .unwrap_or_else(|| panic!("no gitignore task in the report\n{}", run.context()))
}

fn findings(run: &Run, code: &str) -> Vec<Value> {
    task(run)["findings"]
        .as_array()
        .map(|all| all.iter().filter(|f| f["code"] == code).cloned().collect())
        .unwrap_or_default()
}

fn messages(run: &Run, code: &str) -> Vec<String> {
    findings(run, code)
        .iter()
        .map(|f| f["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn json(dir: &Dir, args: &[&str], code: i32) -> Run {
    dir.command(["gitignore", "--format", "json"])
        .args(args)
        .expect_code(code)
}

/// Creates, untracked, what the built-in requirements stand for (a target
/// dir, the state dir, a `perf.data`): missing ignores for paths on disk are
/// errors, for paths not created yet warnings.
fn outputs(dir: &Dir) {
    dir.create("target/debug/.keep", "");
    dir.create(".cargo-perf/bench/.keep", "");
    dir.create("perf.data", "");
}

fn tracked(dir: &Dir) -> String {
    dir.git(["ls-files"])
}

#[test]
fn a_well_kept_repository_passes() {
    let dir = repo(GOOD_IGNORE);
    let run = dir.command(["gitignore"]).expect_success();
    run.stdout_has("3 of 3 required ignores in place")
        .stdout_has("0 ignored and 0 large files tracked");
}

#[test]
fn every_spelling_git_honours_counts() {
    for spelling in [
        "target",
        "/target",
        "target/",
        "**/target/",
        "/target/*",
        "targ*",
    ] {
        let dir = repo(&format!("{spelling}\n.cargo-perf\nperf.data*\n"));
        let run = json(&dir, &[], 0);
        assert!(
            messages(&run, "gitignore-missing-ignore").is_empty(),
            "{spelling}\n{}",
            run.context()
        );
    }
}

#[test]
fn missing_ignores_name_the_path_and_the_line_to_add() {
    let dir = repo("");
    outputs(&dir);
    let run = dir.command(["gitignore"]).expect_code(1);
    run.stdout_has("error[gitignore-missing-ignore]")
        .stdout_has("target/ (the workspace's target dir) is not ignored by git")
        .stdout_has("add the line `/target/` to .gitignore")
        .stdout_has(".cargo-perf/ (the cargo perf state dir)")
        .stdout_has("add the line `/.cargo-perf/`")
        .stdout_has("add the line `perf.data*`");
    let run = json(&dir, &[], 1);
    assert_eq!(
        findings(&run, "gitignore-missing-ignore").len(),
        3,
        "{}",
        run.context()
    );
    assert_eq!(
        findings(&run, "gitignore-missing-ignore")[0]["file"],
        ".gitignore"
    );
}

#[test]
fn a_missing_ignore_for_a_path_not_created_yet_is_a_warning_until_it_exists() {
    let dir = repo("/target\n");
    let run = dir.command(["gitignore"]).expect_success();
    run.stdout_has("warning[gitignore-missing-ignore-absent]")
        .stdout_has(".cargo-perf/ (the cargo perf state dir) is not ignored by git")
        .stdout_has("nothing is there yet")
        .stdout_has("add the line `/.cargo-perf/`")
        .stdout_has("add the line `perf.data*`")
        .stdout_lacks("error[");
    assert_eq!(
        findings(&json(&dir, &[], 0), "gitignore-missing-ignore-absent").len(),
        2
    );
    // Once the path exists, it is an error, whatever its spelling.
    dir.create("perf.data.1234", "");
    let run = json(&dir, &[], 1);
    let errors = messages(&run, "gitignore-missing-ignore");
    assert_eq!(errors.len(), 1, "{}", run.context());
    assert!(errors[0].contains("perf.data"), "{errors:?}");
    dir.create(".cargo-perf/bench/runs/000001.json", "{}");
    assert_eq!(
        messages(&json(&dir, &[], 1), "gitignore-missing-ignore").len(),
        2
    );
    // `[gitignore] require` is the user's own rule: an error even before the path exists.
    dir.command(["gitignore", "--fix"]).expect_success();
    dir.policy("[gitignore]\nrequire = [\"dist/\"]\n");
    let run = json(&dir, &[], 1);
    assert_eq!(
        messages(&run, "gitignore-missing-ignore").len(),
        1,
        "{}",
        run.context()
    );
}

#[test]
fn a_rule_that_re_includes_the_path_is_named_with_its_line() {
    let dir = repo("/target/\n/.cargo-perf/\nperf.data*\n!perf.data.old\n");
    dir.create("perf.data", "");
    let run = json(&dir, &[], 1);
    let found = findings(&run, "gitignore-missing-ignore");
    assert_eq!(found.len(), 1, "{}", run.context());
    assert_eq!(found[0]["file"], ".gitignore");
    assert_eq!(found[0]["line"], 4);
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .contains("`!perf.data.old` re-includes it"),
        "{}",
        run.context()
    );
}

#[test]
fn an_ignore_only_in_info_exclude_is_a_warning() {
    let dir = repo("/.cargo-perf/\nperf.data*\n");
    dir.create(".git/info/exclude", "/target/\n");
    let run = json(&dir, &[], 0);
    let found = messages(&run, "gitignore-not-shared");
    assert_eq!(found.len(), 1, "{}", run.context());
    assert!(found[0].contains("/target/"), "{found:?}");
    // --fix writes it where every clone sees it.
    json(&dir, &["--fix"], 0);
    assert!(dir.read(".gitignore").contains("\n/target/\n"));
    assert!(messages(&json(&dir, &[], 0), "gitignore-not-shared").is_empty());
}

#[test]
fn fix_appends_in_the_files_style_and_is_idempotent() {
    let dir = repo("# build output\r\n*.o");
    let run = dir.command(["gitignore", "--fix"]).expect_success();
    run.stdout_has("added `/target/` to .gitignore")
        .stdout_has("--> .gitignore:5");
    let fixed = dir.read(".gitignore");
    assert_eq!(
        fixed,
        "# build output\r\n*.o\r\n\r\n# added by cargo perf gitignore --fix\r\n/target/\r\n/.cargo-perf/\r\nperf.data*\r\n"
    );
    let again = json(&dir, &["--fix"], 0);
    assert!(
        findings(&again, "gitignore-added").is_empty(),
        "{}",
        again.context()
    );
    assert_eq!(dir.read(".gitignore"), fixed);
    dir.command(["gitignore"]).expect_success();
}

#[test]
fn fix_creates_the_gitignore_when_there_is_none() {
    let dir = repo("");
    json(&dir, &["--fix"], 0);
    assert_eq!(
        dir.read(".gitignore"),
        "# added by cargo perf gitignore --fix\n/target/\n/.cargo-perf/\nperf.data*\n"
    );
}

#[test]
fn fix_does_not_repeat_a_line_that_something_else_overrides() {
    let dir = repo(GOOD_IGNORE);
    dir.create("sub/.gitignore", "!perf.data\n");
    dir.create("perf.toml", "[gitignore]\nrequire = [\"sub/perf.data\"]\n");
    let run = json(&dir, &["--fix"], 1);
    let before = dir.read(".gitignore");
    let found = findings(&run, "gitignore-missing-ignore");
    assert_eq!(found.len(), 1, "{}", run.context());
    assert_eq!(found[0]["file"], "sub/.gitignore");
    json(&dir, &["--fix"], 1);
    assert_eq!(dir.read(".gitignore"), before);
}

#[test]
fn fix_refuses_to_write_through_a_symlink() {
    let dir = repo("");
    let elsewhere = Dir::new();
    elsewhere.create("ignore", "x\n");
    std::os::unix::fs::symlink(elsewhere.join("ignore"), dir.join(".gitignore")).unwrap();
    dir.command(["gitignore", "--fix"])
        .expect_code(2)
        .stdout_has("is a symbolic link");
    assert_eq!(elsewhere.read("ignore"), "x\n");
}

#[test]
fn other_manifests_imply_their_own_ignores() {
    let dir = Dir::with_package("demo");
    dir.create(".gitignore", GOOD_IGNORE);
    dir.create("web/package.json", "{}\n");
    dir.create("tools/py/pyproject.toml", "[project]\nname = \"x\"\n");
    dir.git_init();
    let run = json(&dir, &[], 0);
    assert_eq!(
        findings(&run, "gitignore-missing-ignore-absent").len(),
        3,
        "not installed yet: {}",
        run.context()
    );
    dir.create("web/node_modules/left-pad/index.js", "");
    dir.create("tools/py/.venv/bin/python", "");
    dir.create("tools/py/__pycache__/x.pyc", "");
    let run = json(&dir, &[], 1);
    let missing = messages(&run, "gitignore-missing-ignore");
    assert_eq!(missing.len(), 3, "{}", run.context());
    assert!(
        missing
            .iter()
            .any(|m| m.contains("web/node_modules/") && m.contains("`package.json`"))
    );
    assert!(missing.iter().any(|m| m.contains("tools/py/.venv/")));
    assert!(missing.iter().any(|m| m.contains("tools/py/__pycache__/")));
    json(&dir, &["--fix"], 0);
    let fixed = dir.read(".gitignore");
    for line in ["\nnode_modules/\n", "\n.venv/\n", "\n__pycache__/\n"] {
        assert!(fixed.contains(line), "{fixed}");
    }
}

#[test]
fn policy_require_adds_paths() {
    let dir = repo(GOOD_IGNORE);
    dir.policy("[gitignore]\nrequire = [\"dist/\", \"*.log\", \"/docs/build\"]\n");
    let run = json(&dir, &[], 1);
    let missing = messages(&run, "gitignore-missing-ignore");
    assert_eq!(missing.len(), 3, "{}", run.context());
    json(&dir, &["--fix"], 0);
    assert!(
        dir.read(".gitignore")
            .ends_with("dist/\n*.log\n/docs/build\n"),
        "{}",
        dir.read(".gitignore")
    );
}

#[test]
fn a_symlinked_target_dir_needs_a_pattern_without_slash() {
    let dir = Dir::with_package("demo");
    let elsewhere = Dir::new();
    std::os::unix::fs::symlink(elsewhere.path(), dir.join("target")).unwrap();
    dir.create(".gitignore", "target/\n/.cargo-perf/\nperf.data*\n");
    dir.git(["init", "-q", "-b", "main"]);
    let run = json(&dir, &[], 1);
    let missing = messages(&run, "gitignore-missing-ignore");
    assert_eq!(missing.len(), 1, "{}", run.context());
    json(&dir, &["--fix"], 0);
    assert!(dir.read(".gitignore").ends_with("\n/target\n"));
}

#[test]
fn tracked_ignored_files_name_the_rule_and_the_fix() {
    let dir = repo(GOOD_IGNORE);
    dir.create("logs/debug.log", "x\n");
    dir.git(["add", "-A"]);
    dir.git(["commit", "-qm", "logs"]);
    dir.create(".gitignore", format!("{GOOD_IGNORE}*.log\n"));
    let run = dir.command(["gitignore"]).expect_code(1);
    run.stdout_has("error[gitignore-tracked-ignored]")
        .stdout_has("logs/debug.log is tracked but ignored by `*.log` (.gitignore:4)")
        .stdout_has("git rm --cached -- logs/debug.log");
    let run = json(&dir, &[], 1);
    assert_eq!(
        findings(&run, "gitignore-tracked-ignored")[0]["file"],
        "logs/debug.log"
    );
}

#[test]
fn a_tracked_file_whose_name_is_not_utf8_is_found_reported_and_its_fix_works() {
    use std::os::unix::ffi::OsStrExt;
    let name = Path::new(std::ffi::OsStr::from_bytes(b"out/caf\xe9.o"));
    let dir = repo(GOOD_IGNORE);
    dir.create(name, "object\n");
    dir.git(["add", "-A"]);
    dir.git(["commit", "-qm", "object"]);
    dir.create(".gitignore", format!("{GOOD_IGNORE}*.o\n"));
    // The JSON document stays whole; its text names the file as JSON can.
    let run = json(&dir, &[], 1);
    let found = findings(&run, "gitignore-tracked-ignored");
    assert_eq!(found.len(), 1, "{}", run.context());
    assert_eq!(found[0]["file"], "out/caf\u{fffd}.o");
    // The command the help gives names the very file, by its bytes.
    let help = found[0]["help"].as_str().unwrap();
    let command = help
        .split('`')
        .nth(1)
        .filter(|c| c.starts_with("git rm --cached -- "))
        .unwrap_or_else(|| panic!("no git rm in {help:?}"));
    assert!(command.contains(r"printf 'out/caf\351.o'"), "{command}");
    let status = git_command(dir.path())
        .args(["-c", &format!("alias.fix=!{command}"), "fix"])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(!tracked(&dir).contains(".o"), "{}", tracked(&dir));
    assert!(dir.join(name).exists());
    dir.command(["gitignore"]).expect_success();
}

#[test]
fn untrack_removes_from_the_index_and_keeps_the_file() {
    let dir = repo(GOOD_IGNORE);
    dir.create("out/a b.o", "object\n");
    dir.create("out/c.o", "object\n");
    dir.git(["add", "-A"]);
    dir.git(["commit", "-qm", "objects"]);
    dir.create(".gitignore", format!("{GOOD_IGNORE}*.o\n"));
    let run = dir.command(["gitignore", "--untrack"]).expect_success();
    run.stdout_has("untracked out/a b.o (the file stays on disk")
        .stdout_has("untracked out/c.o");
    assert!(!tracked(&dir).contains(".o"), "{}", tracked(&dir));
    assert_eq!(dir.read("out/a b.o"), "object\n");
    assert_eq!(dir.read("out/c.o"), "object\n");
    dir.command(["gitignore"]).expect_success();
}

#[test]
fn untrack_failure_is_a_finding_and_nothing_changes() {
    let dir = repo(GOOD_IGNORE);
    dir.create("a.o", "one\n");
    dir.git(["add", "-A"]);
    dir.git(["commit", "-qm", "object"]);
    // Staged content that differs from both HEAD and the file: git refuses.
    dir.create("a.o", "two\n");
    dir.git(["add", "a.o"]);
    dir.create("a.o", "three\n");
    dir.create(".gitignore", format!("{GOOD_IGNORE}*.o\n"));
    let run = json(&dir, &["--untrack"], 1);
    assert_eq!(
        findings(&run, "gitignore-untrack-failed").len(),
        1,
        "{}",
        run.context()
    );
    assert_eq!(findings(&run, "gitignore-tracked-ignored").len(), 1);
    assert!(tracked(&dir).contains("a.o"));
    assert_eq!(dir.read("a.o"), "three\n");
}

#[test]
fn large_files_count_the_working_copy_even_when_they_grew_after_add() {
    let dir = repo(GOOD_IGNORE);
    dir.create("data/grows.bin", "small");
    dir.git(["add", "-A"]);
    dir.git(["commit", "-qm", "small"]);
    dir.create("data/grows.bin", vec![7u8; 2 << 20]);
    let run = dir.command(["gitignore"]).expect_code(1);
    run.stdout_has("error[gitignore-large-file]")
        .stdout_has("tracked file data/grows.bin is 2.0 MiB, over the 1.0 MiB limit")
        .stdout_has("git lfs track");
}

#[test]
fn max_file_size_allow_large_and_lfs() {
    let dir = repo(GOOD_IGNORE);
    dir.create("assets/big/logo.png", vec![1u8; 3000]);
    dir.create("data/blob.bin", vec![1u8; 3000]);
    dir.create("data/lfs.bin", vec![1u8; 3000]);
    dir.create(
        ".gitattributes",
        "data/lfs.bin filter=lfs diff=lfs merge=lfs -text\n",
    );
    dir.create(
        "pointer.bin",
        format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 12345678\n",
            "a".repeat(64)
        ),
    );
    dir.git([
        "-c",
        "filter.lfs.clean=cat",
        "-c",
        "filter.lfs.smudge=cat",
        "add",
        "-A",
    ]);
    dir.git(["commit", "-qm", "assets"]);
    dir.policy("[gitignore]\nmax-file-size = \"100 B\"\nallow-large = [\"*.png\"]\n");
    let run = json(&dir, &[], 1);
    let large = findings(&run, "gitignore-large-file");
    let files: Vec<&str> = large.iter().filter_map(|f| f["file"].as_str()).collect();
    assert_eq!(files, ["data/blob.bin"], "{}", run.context());
    assert!(large[0]["message"].as_str().unwrap().contains("2.9 KiB"));
}

#[test]
fn staged_checks_only_the_staged_versions() {
    let dir = repo(GOOD_IGNORE);
    dir.create("old.bin", vec![0u8; 2 << 20]);
    dir.create("old.o", "x");
    dir.create("grown.bin", "small");
    dir.git(["add", "-A"]);
    dir.git(["commit", "-qm", "old"]);
    // Committed before: not part of this commit.
    // Grown in the work tree but staged small: the commit is fine.
    dir.create("grown.bin", vec![0u8; 2 << 20]);
    dir.create("small.txt", "hello\n");
    dir.git(["add", "small.txt"]);
    let run = json(&dir, &["--staged"], 0);
    assert!(
        findings(&run, "gitignore-large-file").is_empty(),
        "{}",
        run.context()
    );
    // A large staged file is caught, even when the work tree copy shrank since.
    dir.create("new.bin", vec![0u8; 2 << 20]);
    dir.git(["add", "new.bin"]);
    dir.create("new.bin", "tiny");
    let run = json(&dir, &["--staged"], 1);
    let files: Vec<String> = findings(&run, "gitignore-large-file")
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(files, ["new.bin"], "{}", run.context());
    assert!(
        messages(&run, "gitignore-large-file")[0]
            .contains("the staged version of new.bin is 2.0 MiB")
    );
    // And a staged ignored file (`git add -f`) is reported, an old one is not.
    dir.create("junk.o", "x");
    dir.git(["add", "-f", "junk.o"]);
    let run = json(&dir, &["--staged"], 1);
    assert_eq!(
        findings(&run, "gitignore-tracked-ignored").len(),
        0,
        "{}",
        run.context()
    );
    dir.create(".gitignore", format!("{GOOD_IGNORE}*.o\n"));
    let run = json(&dir, &["--staged"], 1);
    let ignored: Vec<String> = findings(&run, "gitignore-tracked-ignored")
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ignored, ["junk.o"], "{}", run.context());
}

#[test]
fn a_repository_above_the_workspace() {
    let dir = Dir::new();
    dir.create("README.md", "monorepo\n");
    dir.package("rust/app", "app");
    dir.create("rust/app/build.log", "x\n");
    dir.create(".gitignore", "*.log\n");
    dir.git(["init", "-q", "-b", "main"]);
    dir.git(["add", "-A"]);
    dir.git(["add", "-f", "rust/app/build.log"]);
    dir.git(["commit", "-qm", "init"]);
    dir.create("rust/app/target/debug/.keep", "");
    dir.create("rust/app/.cargo-perf/.keep", "");
    dir.create("rust/app/perf.data", "");
    let ws = dir.join("rust/app");
    let run = dir
        .command(["gitignore", "--format", "json"])
        .current_dir(&ws)
        .expect_code(1);
    let missing = findings(&run, "gitignore-missing-ignore");
    assert_eq!(missing.len(), 3, "{}", run.context());
    assert_eq!(missing[0]["file"], "../../.gitignore");
    assert!(
        missing[0]["help"]
            .as_str()
            .unwrap()
            .contains("`/rust/app/target/`")
    );
    let ignored = findings(&run, "gitignore-tracked-ignored");
    assert_eq!(ignored[0]["file"], "build.log", "{}", run.context());
    assert!(
        ignored[0]["message"]
            .as_str()
            .unwrap()
            .contains("(../../.gitignore:1)")
    );

    dir.command(["gitignore", "--fix", "--untrack"])
        .current_dir(&ws)
        .expect_success();
    assert_eq!(
        dir.read(".gitignore"),
        "*.log\n\n# added by cargo perf gitignore --fix\n/rust/app/target/\n/rust/app/.cargo-perf/\nperf.data*\n"
    );
    assert!(dir.join("rust/app/build.log").exists());
    // A target dir outside the repository needs no ignore.
    let run = dir
        .command(["gitignore", "--format", "json"])
        .current_dir(&ws)
        .env("CARGO_TARGET_DIR", Dir::new().path())
        .expect_success();
    assert!(
        task(&run)["summary"]
            .as_str()
            .unwrap()
            .contains("2 of 2 required"),
        "{}",
        run.context()
    );
}

#[test]
fn works_in_a_linked_worktree() {
    let dir = repo("");
    let other = Dir::new();
    let worktree = other.join("wt");
    let status = git_command(dir.path())
        .args(["worktree", "add", "-q", "-b", "feature"])
        .arg(&worktree)
        .status()
        .unwrap();
    assert!(status.success());
    let run = dir
        .command(["gitignore", "--fix"])
        .current_dir(&worktree)
        .expect_success();
    run.stdout_has("added `/target/` to .gitignore");
    assert!(worktree.join(".gitignore").exists());
    assert!(
        !dir.join(".gitignore").exists(),
        "the main work tree is untouched"
    );
}

#[test]
fn outside_git_it_is_a_warning_not_a_crash() {
    let dir = Dir::with_package("demo");
    let run = dir.command(["gitignore"]).expect_success();
    run.stdout_has("warning[gitignore-not-a-repository]")
        .stdout_has("is not in a git repository");
    dir.command(["gitignore", "--fix"]).expect_success();
    assert!(!dir.join(".gitignore").exists());
}

#[test]
fn check_runs_gitignore_by_default() {
    let dir = repo("");
    outputs(&dir);
    dir.command(["check"])
        .expect_code(1)
        .stdout_has("error[gitignore-missing-ignore] gitignore");
}

#[test]
fn a_change_scoped_run_checks_only_the_changed_files() {
    let dir = repo(GOOD_IGNORE);
    dir.create("a.o", "x");
    dir.create("big.bin", vec![0u8; 2 << 20]);
    dir.create("changed.o", "x");
    dir.git(["add", "-A", "-f"]);
    dir.git(["commit", "-qm", "files"]);
    dir.create(".gitignore", format!("{}*.o\n", GOOD_IGNORE));
    let run = |files: Vec<std::path::PathBuf>| {
        let mut session = cargo_perf_tasks::Session::open(&cargo_perf_tasks::OpenOptions {
            dir: Some(dir.path().to_owned()),
            ..Default::default()
        })
        .expect("open");
        session.project.scope = Some(cargo_perf_tasks::engine::ChangeScope {
            description: "test".into(),
            files,
            ..Default::default()
        });
        let plan = session.plan(&["gitignore".to_owned()]).expect("plan");
        let report = session.run(
            "gitignore",
            &plan,
            session.run_options(),
            &cargo_perf_tasks::engine::progress::Silent,
        );
        report.tasks[0].findings.clone()
    };
    let findings = run(vec![dir.join("changed.o")]);
    let files: Vec<_> = findings.iter().filter_map(|f| f.file.clone()).collect();
    assert_eq!(files, [Path::new("changed.o")], "{findings:?}");
    // Required ignores are still checked in a scoped run (an empty change set skips every task).
    dir.create(".gitignore", "*.o\n");
    outputs(&dir);
    let findings = run(vec![dir.join("Cargo.toml")]);
    assert_eq!(
        findings
            .iter()
            .filter(|f| f.code == "gitignore-missing-ignore")
            .count(),
        3,
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .all(|f| f.code == "gitignore-missing-ignore"),
        "{findings:?}"
    );
}

#[test]
fn bad_policy_values_point_at_the_line() {
    let dir = repo(GOOD_IGNORE);
    dir.policy("[gitignore]\nmax-file-size = \"lots\"\n");
    dir.command(["gitignore"])
        .expect_code(2)
        .stderr_has("invalid value for `max-file-size`")
        .stderr_has("perf.toml:2:17");
    dir.policy("[gitignore]\nmax-file-size = 0\nallow-large = [\"[a\"]\nrequire = [\"../x\", \"!y\"]\nmax-file-sise = 3\n");
    let run = dir.command(["gitignore"]).expect_code(2);
    run.stderr_has("`max-file-size` must be larger than zero")
        .stderr_has("perf.toml:2:17")
        .stderr_has("invalid glob in `allow-large`")
        .stderr_has("perf.toml:3:16")
        .stderr_has("cannot leave the workspace")
        .stderr_has("cannot start with `!` or `#`")
        .stderr_has("unknown key `max-file-sise` in [gitignore]")
        .stderr_has("did you mean `max-file-size`?")
        .stderr_has("has 5 problems");
}

#[test]
fn symlinks_are_never_followed_out_of_the_workspace() {
    let dir = repo(GOOD_IGNORE);
    let outside = Dir::new();
    outside.create("huge.bin", vec![0u8; 2 << 20]);
    std::os::unix::fs::symlink(outside.join("huge.bin"), dir.join("link.bin")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.join("linked-dir")).unwrap();
    dir.git(["add", "link.bin", "linked-dir"]);
    dir.git(["commit", "-qm", "links"]);
    let run = json(&dir, &[], 0);
    assert!(
        findings(&run, "gitignore-large-file").is_empty(),
        "{}",
        run.context()
    );
    assert_eq!(outside.read("huge.bin").len(), 2 << 20);
}

#[test]
fn a_custom_benchmark_history_dir_must_be_ignored_too() {
    let dir = repo(GOOD_IGNORE);
    dir.policy("[bench]\nhistory = \"perf-history\"\n");
    dir.create("perf-history/runs/000001.json", "{}");
    dir.command(["gitignore"])
        .expect_code(1)
        .stdout_has("error[gitignore-missing-ignore] gitignore")
        .stdout_has("perf-history");
    dir.command(["gitignore", "--fix"]).expect_success();
    assert!(
        dir.read(".gitignore").contains("perf-history"),
        "{}",
        dir.read(".gitignore")
    );
    dir.command(["gitignore"]).expect_success();

    // Inside the state dir it is covered by `/.cargo-perf/` already.
    dir.policy("[bench]\nhistory = \".cargo-perf/elsewhere\"\n");
    dir.command(["gitignore"]).expect_success();
}

#[test]
fn the_profile_output_dir_must_be_ignored_too() {
    let dir = repo(GOOD_IGNORE);
    dir.policy("[profile]\noutput-dir = \"profiles\"\n");
    // Not created yet: nothing can commit it, so a warning names it.
    dir.command(["gitignore"])
        .expect_success()
        .stdout_has("profiles/")
        .stdout_has("[profile] output-dir");
    dir.create("profiles/1/flamegraph.svg", "<svg/>");
    dir.command(["gitignore"])
        .expect_code(1)
        .stdout_has("profiles/");
    dir.command(["gitignore", "--fix"]).expect_success();
    assert!(
        dir.read(".gitignore").contains("/profiles/"),
        "{}",
        dir.read(".gitignore")
    );
    dir.command(["gitignore"]).expect_success();

    // The default, under the target dir, is covered by the target dir's ignore.
    dir.policy("[profile]\nfrequency = 99\n");
    dir.create("target/cargo-perf/profile/1/flamegraph.svg", "<svg/>");
    dir.command(["gitignore"]).expect_success();
}
