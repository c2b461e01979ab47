//! `cargo perf check --changed [BASE]` and `check --hook` fed git's input by
//! hand: which files count as changed and which members they select.

use crate::util::Dir;

/// A workspace with members `a` and `b` (and `b/inner` nested in `b`) on
/// branch `feature`, forked from `main`. `check` runs one custom task.
fn repo() -> Dir {
    let dir = Dir::new();
    dir.create(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/a\", \"crates/b\", \"crates/b/inner\"]\nresolver = \"2\"\n",
    );
    dir.package("crates/a", "a");
    dir.package("crates/b", "b");
    dir.package("crates/b/inner", "inner");
    dir.policy("[tasks.always]\nrun = \"true\"\n\n[pipelines]\ncheck = [\"always\"]\n");
    dir.create(".gitignore", "target/\n");
    dir.create("docs/guide.md", "# guide\n");
    dir.git_init();
    dir.git(["checkout", "-q", "-b", "feature"]);
    dir
}

fn scope_line(dir: &Dir, args: &[&str]) -> String {
    let run = dir.command(args).expect_success();
    run.stderr()
        .lines()
        .find(|l| l.trim_start().starts_with("Scope"))
        .unwrap_or_else(|| panic!("no Scope line\n{}", run.context()))
        .trim()
        .to_owned()
}

#[test]
fn a_change_inside_one_member_selects_that_member() {
    let dir = repo();
    dir.create("crates/a/src/lib.rs", "pub fn a() {}\n");
    assert_eq!(
        scope_line(&dir, &["check", "--changed", "main"]),
        "Scope 1 file changed (changes since `main`), affecting `a`"
    );
}

#[test]
fn the_deepest_member_owns_a_nested_file_and_untracked_files_count() {
    let dir = repo();
    dir.create("crates/b/inner/src/new.rs", "// new\n");
    assert_eq!(
        scope_line(&dir, &["check", "--changed", "main"]),
        "Scope 1 file changed (changes since `main`), affecting `inner`"
    );
    dir.create("crates/b/src/lib.rs", "pub fn b() {}\n");
    dir.git(["commit", "-qam", "b"]);
    assert_eq!(
        scope_line(&dir, &["check", "--changed", "main"]),
        "Scope 2 files changed (changes since `main`), affecting `b`, `inner`"
    );
}

#[test]
fn the_root_manifest_lock_file_cargo_dir_and_policy_affect_everything() {
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
        "perf.toml",
    ] {
        let dir = repo();
        let text = if dir.join(file).exists() {
            dir.read(file)
        } else {
            String::new()
        };
        dir.create(file, text + "\n# touched\n");
        let line = scope_line(&dir, &["check", "--changed", "main"]);
        assert!(line.ends_with("affecting every member"), "{file}: {line}");
    }
}

#[test]
fn a_change_outside_every_member_selects_none_but_custom_tasks_still_run() {
    let dir = repo();
    dir.create("docs/guide.md", "# guide, improved\n");
    let run = dir
        .command(["check", "--changed", "main", "--format", "json"])
        .expect_success();
    run.stderr_has("1 file changed (changes since `main`), affecting no workspace member");
    let json = run.json();
    assert_eq!(json["tasks"][0]["name"], "always");
    assert_eq!(json["tasks"][0]["status"], "passed");
}

#[test]
fn with_nothing_changed_the_check_finishes_at_once_and_says_why() {
    let dir = repo();
    dir.policy("[tasks.always]\nrun = \"false\"\n\n[pipelines]\ncheck = [\"always\"]\n");
    dir.git(["commit", "-qam", "failing policy"]);
    dir.git(["checkout", "-q", "-b", "next"]);
    let run = dir
        .command(["check", "--changed", "feature", "--format", "json"])
        .expect_success();
    run.stderr_has("Scope nothing changed (changes since `feature`)");
    let json = run.json();
    assert_eq!(json["tasks"][0]["status"], "skipped");
    assert_eq!(
        json["tasks"][0]["reason"],
        "skipped: nothing changed (changes since `feature`)"
    );
    // The same check without --changed runs (and fails).
    dir.command(["check"]).expect_code(1);
}

#[test]
fn without_a_base_the_upstream_branch_is_used_or_the_error_says_what_to_pass() {
    let dir = repo();
    dir.command(["check", "--changed"])
        .expect_code(2)
        .stderr_has("the current branch has no upstream branch")
        .stderr_has("--changed origin/main");
    dir.git(["branch", "-q", "--set-upstream-to", "main"]);
    dir.create("crates/a/src/lib.rs", "pub fn a() {}\n");
    assert_eq!(
        scope_line(&dir, &["check", "--changed"]),
        "Scope 1 file changed (changes since `main`), affecting `a`"
    );
}

#[test]
fn bad_bases_and_flags_are_clear_errors() {
    let dir = repo();
    dir.command(["check", "--changed", "no-such-branch"])
        .expect_code(2)
        .stderr_has("`no-such-branch` is not a commit, branch or tag in this repository");
    dir.command(["check", "--changed", "main", "--hook", "pre-push"])
        .expect_code(2)
        .stderr_has("cannot be used with");
    let plain = Dir::with_package("solo");
    plain
        .command(["check", "--changed", "main"])
        .env("GIT_CEILING_DIRECTORIES", plain.path().parent().unwrap())
        .expect_code(2)
        .stderr_has("is not in a git repository")
        .stderr_has("drop `--changed`");
}

#[test]
fn pre_push_input_selects_pushed_files_and_ignores_deleted_refs() {
    let dir = repo();
    let base = dir.git(["rev-parse", "main"]).trim().to_owned();
    dir.create("crates/a/src/lib.rs", "pub fn a() {}\n");
    dir.git(["commit", "-qam", "a"]);
    let head = dir.git(["rev-parse", "HEAD"]).trim().to_owned();
    // An uncommitted change is not part of the push.
    dir.create("crates/b/src/lib.rs", "pub fn b() {}\n");
    let zero = "0".repeat(40);

    let input = format!("refs/heads/feature {head} refs/heads/feature {base}\n");
    dir.command(["check", "--hook", "pre-push", "--", "origin", "unused-url"])
        .stdin(input)
        .expect_success()
        .stderr_has("1 file changed (pushing feature to origin), affecting `a`");

    let deleted = format!("(delete) {zero} refs/heads/old {base}\n");
    dir.command(["check", "--hook", "pre-push", "--", "origin", "unused-url"])
        .stdin(deleted)
        .expect_success()
        .stderr_has("nothing changed (nothing to push)");

    // A new branch and no remote-tracking refs: every commit only we have.
    let new_branch = format!("refs/heads/feature {head} refs/heads/feature {zero}\n");
    dir.command(["check", "--hook", "pre-push", "--", "origin", "unused-url"])
        .stdin(new_branch)
        .expect_success()
        .stderr_has("affecting every member");

    dir.command(["check", "--hook", "pre-push"])
        .stdin("garbage\n")
        .expect_code(2)
        .stderr_has("cannot read git's pre-push input line \"garbage\"");
}

#[test]
fn a_new_branch_is_compared_with_the_remotes_default_branch() {
    let dir = repo();
    let remote = Dir::new();
    remote.git(["init", "-q", "--bare", "-b", "main"]);
    dir.git(["remote", "add", "origin", &remote.path().to_string_lossy()]);
    dir.git(["push", "-q", "origin", "main"]);
    dir.git(["remote", "set-head", "origin", "main"]);
    dir.create("crates/b/inner/src/lib.rs", "pub fn inner() {}\n");
    dir.git(["commit", "-qam", "inner"]);
    let head = dir.git(["rev-parse", "HEAD"]).trim().to_owned();
    let input = format!(
        "refs/heads/feature {head} refs/heads/feature {}\n",
        "0".repeat(40)
    );
    dir.command(["check", "--hook", "pre-push", "--", "origin", "url"])
        .stdin(input)
        .expect_success()
        .stderr_has("1 file changed (pushing feature to origin), affecting `inner`");
}

#[test]
fn the_hooks_section_picks_the_pipeline() {
    let dir = repo();
    dir.policy(
        "[tasks.always]\nrun = \"true\"\n\n[tasks.slow]\nrun = \"false\"\n\n[pipelines]\ncheck = [\"always\", \"slow\"]\nfast = [\"always\"]\n\n[hooks]\npre-commit = \"fast\"\n",
    );
    dir.git(["add", "perf.toml"]);
    let run = dir
        .command(["check", "--hook", "pre-commit", "--format", "json"])
        .expect_success();
    run.stderr_has("1 file changed (staged changes), affecting every member");
    let names: Vec<_> = run.json()["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["always"]);
}

#[test]
fn build_is_skipped_when_no_member_owns_a_changed_file() {
    let dir = repo();
    // The policy changes on `main` too: a changed perf.toml affects everything.
    dir.git(["checkout", "-q", "main"]);
    dir.policy("[pipelines]\ncheck = [\"build\"]\n");
    dir.git(["commit", "-qam", "check builds"]);
    dir.git(["checkout", "-q", "-B", "feature"]);
    dir.create("docs/guide.md", "# guide, improved\n");
    let run = dir
        .command(["check", "--changed", "main", "--format", "json"])
        .expect_success();
    let json = run.json();
    assert_eq!(json["tasks"][0]["name"], "build", "{}", run.context());
    assert_eq!(json["tasks"][0]["status"], "skipped", "{}", run.context());
    assert_eq!(
        json["tasks"][0]["reason"],
        "skipped: no changed file belongs to a workspace member"
    );
}
