//! `cargo perf hook install | uninstall | status` and real `git push`es
//! through the installed hook to a bare repository.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::util::{Dir, binary, git_command};

/// A two-member workspace in git whose `check` fails while a file `fail` exists.
fn repo() -> Dir {
    let dir = Dir::new();
    dir.workspace(&["a", "b"]);
    dir.policy("[tasks.guard]\nrun = \"test ! -e fail\"\n\n[pipelines]\ncheck = [\"guard\"]\n");
    dir.create(".gitignore", "target/\n");
    dir.git_init();
    dir
}

/// A bare repository, added to `dir` as `origin`.
fn remote(dir: &Dir) -> Dir {
    let bare = Dir::new();
    bare.git(["init", "-q", "--bare", "-b", "main"]);
    dir.git(["remote", "add", "origin", &bare.path().to_string_lossy()]);
    bare
}

fn path_with_binary() -> String {
    let bin_dir = binary().parent().unwrap().to_owned();
    format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// PATH without any directory holding a `cargo-perf`.
fn path_without_binary() -> String {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .filter(|d| !Path::new(d).join("cargo-perf").exists())
        .collect::<Vec<_>>()
        .join(":")
}

fn push_with(dir: &Path, path: &str, env: &[(&str, &str)]) -> Output {
    let mut command = git_command(dir);
    command
        .args(["push", "origin", "HEAD:refs/heads/main"])
        .env("PATH", path)
        .env_remove("CARGO_PERF_SKIP");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run git push")
}

fn push(dir: &Path) -> Output {
    push_with(dir, &path_with_binary(), &[])
}

/// What git and the hook printed (a pre-push hook's stdout goes to git's stdout).
fn stderr(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn remote_head(bare: &Dir) -> Option<String> {
    let output = git_command(bare.path())
        .args(["rev-parse", "--verify", "-q", "refs/heads/main"])
        .output()
        .unwrap();
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn commit_change(dir: &Dir, rel: &str) -> String {
    let path = dir.join(rel);
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    text.push_str("// change\n");
    dir.create(rel, text);
    dir.git(["add", "-A"]);
    dir.git(["commit", "-q", "-m", "change"]);
    dir.git(["rev-parse", "HEAD"]).trim().to_owned()
}

fn hook_path(dir: &Dir) -> PathBuf {
    dir.join(".git/hooks/pre-push")
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn install_into_a_fresh_repo_twice_changes_nothing_and_uninstall_removes_it() {
    let dir = repo();
    let run = dir.command(["hook", "install"]).expect_success();
    run.stderr_has("Installed pre-push hook at")
        .stderr_has(&hook_path(&dir).display().to_string());
    let first = std::fs::read(hook_path(&dir)).unwrap();
    assert!(String::from_utf8_lossy(&first).starts_with("#!/bin/sh\n# cargo-perf hook: pre-push"));
    assert_eq!(
        mode(&hook_path(&dir)) & 0o111,
        0o111,
        "the hook is executable"
    );

    dir.command(["hook", "install"])
        .expect_success()
        .stderr_has("Unchanged pre-push hook");
    assert_eq!(std::fs::read(hook_path(&dir)).unwrap(), first);
    assert!(!dir.join(".git/hooks/pre-push.cargo-perf-saved").exists());

    dir.command(["hook", "status"])
        .expect_success()
        .stdout_has("pre-push: installed, runs `check`; strict = false")
        .stdout_has("pre-commit: not installed");

    dir.command(["hook", "uninstall"])
        .expect_success()
        .stderr_has("Removed pre-push hook");
    assert!(!hook_path(&dir).exists());
    dir.command(["hook", "status"])
        .expect_success()
        .stdout_has("pre-push: not installed");
}

#[test]
fn an_existing_hook_is_kept_runs_first_with_args_and_stdin_and_is_restored_exactly() {
    let dir = repo();
    let bare = remote(&dir);
    let log = Dir::new();
    let original = format!(
        "#!/bin/sh\n# someone else's hook\necho \"args: $*\" >> '{0}/log'\ncat >> '{0}/log'\n",
        log.path().display()
    );
    dir.create(".git/hooks/pre-push", &original);
    std::fs::set_permissions(hook_path(&dir), std::fs::Permissions::from_mode(0o750)).unwrap();

    dir.command(["hook", "install"])
        .expect_success()
        .stderr_has("Kept the existing pre-push hook as")
        .stderr_has("pre-push.cargo-perf-saved");
    let saved = dir.join(".git/hooks/pre-push.cargo-perf-saved");
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), original);
    dir.command(["hook", "install"])
        .expect_success()
        .stderr_has("Unchanged");
    dir.command(["hook", "status"])
        .expect_success()
        .stdout_has("runs the earlier hook");

    let head = commit_change(&dir, "crates/a/src/lib.rs");
    let output = push(dir.path());
    assert!(output.status.success(), "push failed:\n{}", stderr(&output));
    assert!(
        stderr(&output).contains("Summary of `check`"),
        "{}",
        stderr(&output)
    );
    let logged = log.read("log");
    assert!(
        logged.contains(&format!("args: origin {}", bare.path().display())),
        "{logged}"
    );
    assert!(
        logged.contains(&format!("HEAD {head} refs/heads/main ")),
        "{logged}"
    );
    assert_eq!(remote_head(&bare).as_deref(), Some(head.as_str()));

    dir.command(["hook", "uninstall"])
        .expect_success()
        .stderr_has("Restored pre-push hook");
    assert_eq!(std::fs::read_to_string(hook_path(&dir)).unwrap(), original);
    assert_eq!(mode(&hook_path(&dir)), 0o750);
    assert!(!saved.exists());
}

#[test]
fn a_failing_kept_hook_blocks_the_push() {
    let dir = repo();
    let bare = remote(&dir);
    dir.create(
        ".git/hooks/pre-push",
        "#!/bin/sh\necho 'old hook says no' >&2\nexit 3\n",
    );
    std::fs::set_permissions(hook_path(&dir), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir.command(["hook", "install"]).expect_success();
    let output = push(dir.path());
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("old hook says no"),
        "{}",
        stderr(&output)
    );
    assert!(
        !stderr(&output).contains("Summary of `check`"),
        "{}",
        stderr(&output)
    );
    assert_eq!(remote_head(&bare), None);
}

#[test]
fn a_real_push_is_blocked_when_the_check_fails_and_allowed_when_it_passes() {
    let dir = repo();
    let bare = remote(&dir);
    dir.command(["hook", "install"]).expect_success();
    let output = push(dir.path());
    assert!(
        output.status.success(),
        "first push failed:\n{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("affecting every member"),
        "{}",
        stderr(&output)
    );
    let before = remote_head(&bare);
    let head = commit_change(&dir, "crates/a/src/lib.rs");

    dir.create("fail", "");
    let output = push(dir.path());
    assert!(
        !output.status.success(),
        "the push went through:\n{}",
        stderr(&output)
    );
    let text = stderr(&output);
    assert!(text.contains("affecting `a`"), "{text}");
    assert!(text.contains("error[command-failed] guard"), "{text}");
    assert_eq!(remote_head(&bare), before);

    std::fs::remove_file(dir.join("fail")).unwrap();
    let output = push(dir.path());
    assert!(output.status.success(), "push failed:\n{}", stderr(&output));
    assert_eq!(remote_head(&bare).as_deref(), Some(head.as_str()));

    // Nothing new in the files: the check finishes at once, even while it would fail.
    dir.create("fail", "");
    dir.git(["commit", "-q", "--allow-empty", "-m", "empty"]);
    let output = push(dir.path());
    assert!(output.status.success(), "push failed:\n{}", stderr(&output));
    assert!(
        stderr(&output).contains("nothing changed (pushing main to origin)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn cargo_perf_skip_lets_a_failing_push_through_with_a_message() {
    let dir = repo();
    let bare = remote(&dir);
    dir.command(["hook", "install"]).expect_success();
    let head = commit_change(&dir, "crates/b/src/lib.rs");
    dir.create("fail", "");
    let output = push_with(dir.path(), &path_with_binary(), &[("CARGO_PERF_SKIP", "1")]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("CARGO_PERF_SKIP=1, skipping the pre-push check"));
    assert_eq!(remote_head(&bare).as_deref(), Some(head.as_str()));
}

#[test]
fn without_cargo_perf_on_path_the_push_goes_through_with_a_warning_unless_strict() {
    let dir = repo();
    let bare = remote(&dir);
    dir.command(["hook", "install"]).expect_success();
    commit_change(&dir, "crates/a/src/lib.rs");
    dir.create("fail", "");
    // Nor in cargo's bin dir, where the hook looks next.
    let no_cargo_home = Dir::new();
    let cargo_home = no_cargo_home.path().to_str().unwrap();
    let output = push_with(
        dir.path(),
        &path_without_binary(),
        &[("CARGO_HOME", cargo_home)],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "cargo-perf: warning: cargo-perf is not on PATH (nor at {cargo_home}/bin/cargo-perf); skipping the pre-push check"
        )),
        "{}",
        stderr(&output)
    );
    assert!(remote_head(&bare).is_some());

    // strict = true is baked in when installing; status says so.
    let head = commit_change(&dir, "crates/a/src/lib.rs");
    dir.create(
        "perf.toml",
        dir.read("perf.toml") + "\n[hooks]\nstrict = true\n",
    );
    dir.command(["hook", "status"])
        .expect_success()
        .stdout_has("out of date");
    dir.command(["hook", "install"])
        .expect_success()
        .stderr_has("Updated pre-push hook");
    dir.command(["hook", "status"])
        .expect_success()
        .stdout_has("strict = true (baked in at install time)")
        .stdout_lacks("out of date");
    let output = push_with(
        dir.path(),
        &path_without_binary(),
        &[("CARGO_HOME", cargo_home)],
    );
    assert!(
        !output.status.success(),
        "the push went through:\n{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("cargo-perf is not on PATH (nor at "));
    assert!(stderr(&output).contains(") and [hooks] strict = true"));
    assert_ne!(remote_head(&bare).as_deref(), Some(head.as_str()));
}

#[test]
fn without_cargo_perf_on_path_the_hook_runs_the_one_in_cargo_home_and_says_so_when_verbose() {
    let dir = repo();
    let bare = remote(&dir);
    dir.command(["hook", "install"]).expect_success();
    let cargo_home = Dir::new();
    std::fs::create_dir_all(cargo_home.join("bin")).unwrap();
    let installed = cargo_home.join("bin/cargo-perf");
    std::os::unix::fs::symlink(binary(), &installed).unwrap();
    let home = cargo_home.path().to_str().unwrap();

    // The check really runs: a failing one blocks the push.
    commit_change(&dir, "crates/a/src/lib.rs");
    dir.create("fail", "");
    let output = push_with(dir.path(), &path_without_binary(), &[("CARGO_HOME", home)]);
    assert!(!output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("guard"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("the pre-push hook runs"));
    assert!(remote_head(&bare).is_none());

    // A passing one lets it through, and CARGO_PERF_VERBOSE=1 names the binary.
    std::fs::remove_file(dir.join("fail")).unwrap();
    let output = push_with(
        dir.path(),
        &path_without_binary(),
        &[("CARGO_HOME", home), ("CARGO_PERF_VERBOSE", "1")],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "cargo-perf: the pre-push hook runs {}",
            installed.display()
        )),
        "{}",
        stderr(&output)
    );
    assert!(remote_head(&bare).is_some());

    // Without CARGO_HOME, the default is $HOME/.cargo.
    commit_change(&dir, "crates/a/src/lib.rs");
    let fake_home = Dir::new();
    std::fs::create_dir_all(fake_home.join(".cargo/bin")).unwrap();
    std::os::unix::fs::symlink(binary(), fake_home.join(".cargo/bin/cargo-perf")).unwrap();
    let mut command = git_command(dir.path());
    let output = command
        .args(["push", "origin", "HEAD:refs/heads/main"])
        .env("PATH", path_without_binary())
        .env("HOME", fake_home.path())
        .env("CARGO_PERF_VERBOSE", "1")
        .env_remove("CARGO_HOME")
        .env("RUSTUP_HOME", rustup_home())
        .env_remove("CARGO_PERF_SKIP")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "the pre-push hook runs {}",
            fake_home.join(".cargo/bin/cargo-perf").display()
        )),
        "{}",
        stderr(&output)
    );
}

/// Where rustup keeps its toolchains, for a test that moves `$HOME`.
fn rustup_home() -> PathBuf {
    std::env::var_os("RUSTUP_HOME").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".rustup"),
        PathBuf::from,
    )
}

#[test]
fn a_linked_worktree_installs_into_the_shared_hooks_dir_and_its_pushes_run_the_check() {
    let dir = repo();
    let bare = remote(&dir);
    let parent = Dir::new();
    let worktree = parent.join("linked");
    dir.git([
        "worktree",
        "add",
        "-q",
        "-b",
        "feature",
        &worktree.to_string_lossy(),
    ]);
    assert!(push(dir.path()).status.success());
    let before = remote_head(&bare);
    let hooks = dir.path().canonicalize().unwrap().join(".git/hooks");
    crate::util::TestCommand::new(&worktree)
        .args(["hook", "install"])
        .expect_success()
        .stderr_has(&hooks.join("pre-push").display().to_string());
    assert!(hooks.join("pre-push").exists());

    std::fs::write(worktree.join("fail"), "").unwrap();
    std::fs::write(worktree.join("crates/b/src/lib.rs"), "pub fn b() {}\n").unwrap();
    git_command(&worktree)
        .args(["commit", "-qam", "b"])
        .status()
        .unwrap();
    let output = push(&worktree);
    assert!(!output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("affecting `b`"),
        "{}",
        stderr(&output)
    );
    assert_eq!(remote_head(&bare), before);
}

#[test]
fn core_hooks_path_is_honoured() {
    let dir = repo();
    dir.git(["config", "core.hooksPath", "githooks"]);
    dir.command(["hook", "install", "--pre-push", "--pre-commit"])
        .expect_success()
        .stderr_has("githooks/pre-push")
        .stderr_has("githooks/pre-commit");
    assert!(dir.join("githooks/pre-push").exists());
    assert!(dir.join("githooks/pre-commit").exists());
    assert!(!hook_path(&dir).exists());
    dir.command(["hook", "status"])
        .expect_success()
        .stdout_has("githooks");
    dir.command(["hook", "uninstall", "--pre-commit"])
        .expect_success();
    assert!(!dir.join("githooks/pre-commit").exists());
    assert!(dir.join("githooks/pre-push").exists());
}

#[test]
fn the_pre_commit_hook_checks_staged_changes_with_its_own_pipeline() {
    let dir = repo();
    dir.create(
        "perf.toml",
        dir.read("perf.toml")
            + "\n[tasks.quick]\nrun = \"test ! -e stop\"\n\n[hooks]\npre-commit = \"quick\"\n",
    );
    dir.git(["commit", "-qam", "policy"]);
    dir.command(["hook", "install", "--pre-commit"])
        .expect_success()
        .stderr_has("runs `quick`");
    dir.create("stop", "");
    dir.create("crates/a/src/lib.rs", "pub fn a() {}\n");
    dir.git(["add", "crates"]);
    let output = git_command(dir.path())
        .args(["commit", "-q", "-m", "blocked"])
        .env("PATH", path_with_binary())
        .output()
        .unwrap();
    assert!(!output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("staged changes"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("quick"), "{}", stderr(&output));
    std::fs::remove_file(dir.join("stop")).unwrap();
    let output = git_command(dir.path())
        .args(["commit", "-q", "-m", "allowed"])
        .env("PATH", path_with_binary())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn a_foreign_hook_is_never_overwritten_when_a_kept_one_exists() {
    let dir = repo();
    dir.create(".git/hooks/pre-push", "#!/bin/sh\necho mine\n");
    dir.create(
        ".git/hooks/pre-push.cargo-perf-saved",
        "#!/bin/sh\necho older\n",
    );
    dir.command(["hook", "install"])
        .expect_code(2)
        .stderr_has("already taken by a hook kept earlier")
        .stderr_has("merge the two hooks by hand");
    assert_eq!(dir.read(".git/hooks/pre-push"), "#!/bin/sh\necho mine\n");
    assert_eq!(
        dir.read(".git/hooks/pre-push.cargo-perf-saved"),
        "#!/bin/sh\necho older\n"
    );
    dir.command(["hook", "uninstall"])
        .expect_success()
        .stderr_has("not installed by cargo-perf, left alone");
    assert_eq!(dir.read(".git/hooks/pre-push"), "#!/bin/sh\necho mine\n");
    dir.command(["hook", "status"])
        .expect_success()
        .stdout_has("pre-push: another tool's hook");
}

#[test]
fn a_symlinked_hook_is_moved_aside_not_followed() {
    let dir = repo();
    let elsewhere = Dir::new();
    elsewhere.create("shared-hook", "#!/bin/sh\nexit 0\n");
    std::os::unix::fs::symlink(elsewhere.join("shared-hook"), hook_path(&dir)).unwrap();
    dir.command(["hook", "install"]).expect_success();
    assert_eq!(elsewhere.read("shared-hook"), "#!/bin/sh\nexit 0\n");
    dir.command(["hook", "uninstall"]).expect_success();
    assert!(
        std::fs::symlink_metadata(hook_path(&dir))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(elsewhere.read("shared-hook"), "#!/bin/sh\nexit 0\n");
}

#[test]
fn bad_hook_settings_and_no_repository_are_clear_errors() {
    let dir = repo();
    dir.create(
        "perf.toml",
        dir.read("perf.toml") + "\n[hooks]\npre-push = \"chek\"\n",
    );
    dir.command(["hook", "install"])
        .expect_code(2)
        .stderr_has("unknown task or pipeline `chek` in [hooks] pre-push")
        .stderr_has("perf.toml:8:12")
        .stderr_has("did you mean `check`?");
    assert!(!hook_path(&dir).exists());

    let plain = Dir::with_package("solo");
    plain
        .command(["hook", "install"])
        .env("GIT_CEILING_DIRECTORIES", plain.path().parent().unwrap())
        .expect_code(2)
        .stderr_has("is not in a git repository")
        .stderr_has("git init");
}

#[test]
fn a_workspace_in_a_subdirectory_of_the_repository_is_checked_from_its_root() {
    let dir = Dir::new();
    dir.create("README.md", "repository root, no Cargo.toml here\n");
    dir.package("rust dir", "sub");
    dir.create(
        "rust dir/perf.toml",
        "[tasks.guard]\nrun = \"test ! -e fail\"\n\n[pipelines]\ncheck = [\"guard\"]\n",
    );
    dir.create(".gitignore", "target/\n");
    dir.git_init();
    let bare = remote(&dir);
    crate::util::TestCommand::new(&dir.join("rust dir"))
        .args(["hook", "install"])
        .expect_success();
    assert!(
        dir.read(".git/hooks/pre-push")
            .contains("cd 'rust dir' || exit 1")
    );
    dir.create("rust dir/fail", "");
    let output = push(dir.path());
    assert!(!output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("error[command-failed] guard"),
        "{}",
        stderr(&output)
    );
    std::fs::remove_file(dir.join("rust dir/fail")).unwrap();
    let output = push(dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(remote_head(&bare).is_some());
}

/// Appends a line to the installed pre-push hook, as a user editing it would.
fn edit_hook(dir: &Dir, line: &str) -> String {
    let mut text = std::fs::read_to_string(hook_path(dir)).unwrap();
    text.push_str(line);
    std::fs::write(hook_path(dir), &text).unwrap();
    text
}

fn edited_path(dir: &Dir, n: &str) -> PathBuf {
    dir.join(format!(".git/hooks/pre-push.cargo-perf-edited{n}"))
}

#[test]
fn an_edited_hook_is_reported_modified_and_uninstall_keeps_the_edits_unless_forced() {
    let dir = repo();
    dir.command(["hook", "install"]).expect_success();
    dir.command(["hook", "status"])
        .expect_success()
        .stdout_lacks("modified")
        .stdout_lacks("out of date");
    let edited = edit_hook(&dir, "echo 'my own step'\n");
    std::fs::set_permissions(hook_path(&dir), std::fs::Permissions::from_mode(0o700)).unwrap();

    dir.command(["hook", "status"])
        .expect_success()
        .stdout_has("pre-push: installed")
        .stdout_has("modified: edited since cargo perf wrote it")
        .stdout_has("out of date");
    let status = dir
        .command(["hook", "status", "--format", "json"])
        .expect_success();
    let pre_push = &status.json()["hooks"][0];
    assert_eq!(pre_push["name"], "pre-push", "{}", status.context());
    assert_eq!(pre_push["modified"], true, "{}", status.context());
    assert_eq!(pre_push["current"], false, "{}", status.context());

    dir.command(["hook", "uninstall"])
        .expect_success()
        .stderr_has("Removed pre-push hook")
        .stderr_has("Kept your edited version of it as")
        .stderr_has(&edited_path(&dir, "").display().to_string());
    assert!(!hook_path(&dir).exists());
    assert_eq!(
        std::fs::read_to_string(edited_path(&dir, "")).unwrap(),
        edited
    );
    assert_eq!(mode(&edited_path(&dir, "")), 0o700);

    // With --force the edits go; nothing else is touched.
    dir.command(["hook", "install"]).expect_success();
    edit_hook(&dir, "echo 'again'\n");
    dir.command(["hook", "uninstall", "--force"])
        .expect_success()
        .stderr_has("Removed pre-push hook")
        .stderr_lacks("Kept");
    assert!(!hook_path(&dir).exists());
    assert!(!edited_path(&dir, ".2").exists());
    assert_eq!(
        std::fs::read_to_string(edited_path(&dir, "")).unwrap(),
        edited
    );
}

#[test]
fn reinstalling_over_an_edited_hook_sets_the_edits_aside_under_a_free_name() {
    let dir = repo();
    dir.command(["hook", "install"]).expect_success();
    dir.create(".git/hooks/pre-push.cargo-perf-edited", "older edits\n");
    let edited = edit_hook(&dir, "echo mine\n");
    dir.command(["hook", "install"])
        .expect_success()
        .stderr_has("Updated pre-push hook")
        .stderr_has(&edited_path(&dir, ".2").display().to_string());
    assert_eq!(
        std::fs::read_to_string(edited_path(&dir, ".2")).unwrap(),
        edited
    );
    assert_eq!(
        dir.read(".git/hooks/pre-push.cargo-perf-edited"),
        "older edits\n"
    );
    dir.command(["hook", "status"])
        .expect_success()
        .stdout_lacks("modified")
        .stdout_lacks("out of date");
    // A script cargo-perf wrote with other settings is no edit: rewritten in place.
    dir.create(
        "perf.toml",
        dir.read("perf.toml") + "\n[hooks]\nstrict = true\n",
    );
    dir.command(["hook", "install"])
        .expect_success()
        .stderr_has("Updated pre-push hook")
        .stderr_lacks("Kept");
    assert!(!edited_path(&dir, ".3").exists());
}

#[test]
fn uninstalling_an_edited_hook_still_restores_the_one_it_replaced() {
    let dir = repo();
    let original = "#!/bin/sh\necho theirs\n";
    dir.create(".git/hooks/pre-push", original);
    std::fs::set_permissions(hook_path(&dir), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir.command(["hook", "install"]).expect_success();
    let edited = edit_hook(&dir, "echo mine\n");
    dir.command(["hook", "uninstall"])
        .expect_success()
        .stderr_has("Restored pre-push hook")
        .stderr_has("Kept your edited version");
    assert_eq!(dir.read(".git/hooks/pre-push"), original);
    assert_eq!(
        std::fs::read_to_string(edited_path(&dir, "")).unwrap(),
        edited
    );
    assert!(!dir.join(".git/hooks/pre-push.cargo-perf-saved").exists());
}

#[test]
fn hook_status_as_json_is_one_versioned_document() {
    let dir = repo();
    dir.create(".git/hooks/pre-commit", "#!/bin/sh\nexit 0\n");
    let run = dir
        .command(["hook", "status", "--format", "json"])
        .expect_success();
    let doc = run.json();
    assert_eq!(doc["version"], 2, "{}", run.context());
    assert_eq!(
        doc["hooks"][0]["state"],
        "not-installed",
        "{}",
        run.context()
    );
    assert_eq!(doc["hooks"][1]["state"], "foreign", "{}", run.context());
    assert_eq!(doc["hooks"][1]["name"], "pre-commit", "{}", run.context());

    dir.command(["hook", "install"]).expect_success();
    let run = dir
        .command(["hook", "status", "--format", "json"])
        .expect_success();
    let doc = run.json();
    let hooks_dir = dir.path().canonicalize().unwrap().join(".git/hooks");
    assert_eq!(
        std::path::Path::new(doc["hooks_dir"].as_str().unwrap())
            .canonicalize()
            .unwrap(),
        hooks_dir,
        "{}",
        run.context()
    );
    let pre_push = &doc["hooks"][0];
    assert_eq!(pre_push["state"], "installed", "{}", run.context());
    assert_eq!(pre_push["pipeline"], "check");
    assert_eq!(pre_push["strict"], false);
    assert_eq!(pre_push["current"], true);
    assert_eq!(pre_push["modified"], false);
    assert_eq!(pre_push["previous"], serde_json::Value::Null);
}

#[test]
fn a_workspace_whose_path_holds_a_newline_gets_its_gitignore_check_and_hook() {
    let parent = Dir::new();
    let root = parent.join("line\nbreak");
    std::fs::create_dir(&root).unwrap();
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "Cargo.toml",
        "[package]\nname = \"nl\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write("src/lib.rs", "pub fn f() {}\n");
    write(".gitignore", "/target/\n/.cargo-perf/\nperf.data*\n");
    write(
        "perf.toml",
        "[tasks.guard]\nrun = \"test ! -e fail\"\n\n[pipelines]\ncheck = [\"gitignore\", \"guard\"]\n",
    );
    let git = |args: &[&str]| {
        let output = git_command(&root).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "initial"]);
    let cargo_perf = |args: &[&str]| crate::util::TestCommand::new(&root).args(args);

    cargo_perf(&["gitignore"])
        .expect_success()
        .stdout_has("3 of 3 required ignores in place")
        .stderr_lacks("install git");
    cargo_perf(&["hook", "install"])
        .expect_success()
        .stderr_has("Installed pre-push hook at")
        .stderr_has(r"line\nbreak/.git/hooks/pre-push");
    let hook = root.join(".git/hooks/pre-push");
    assert!(hook.is_file());
    cargo_perf(&["hook", "status"])
        .expect_success()
        .stdout_has("pre-push: installed")
        .stdout_lacks("out of date");

    // The hook it wrote really runs the check.
    let bare = Dir::new();
    bare.git(["init", "-q", "--bare", "-b", "main"]);
    git(&["remote", "add", "origin", &bare.path().to_string_lossy()]);
    std::fs::write(root.join("fail"), "").unwrap();
    let output = push(&root);
    assert!(!output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("error[command-failed] guard"),
        "{}",
        stderr(&output)
    );
    std::fs::remove_file(root.join("fail")).unwrap();
    let output = push(&root);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn without_git_on_path_the_error_says_git_is_missing() {
    let dir = repo();
    let empty = Dir::new();
    for args in [&["gitignore"][..], &["hook", "install"]] {
        let run = dir
            .command(args)
            .env("PATH", empty.path())
            .env(
                "CARGO",
                std::env::var_os("CARGO").expect("cargo sets CARGO for tests"),
            )
            .expect_code(2);
        let all = run.stdout() + &run.stderr();
        assert!(
            all.contains("cannot run `git`: it is not installed or not on PATH")
                && all.contains("install git"),
            "{}",
            run.context()
        );
    }
}

#[test]
fn install_over_an_edited_hook_sets_the_edits_aside_and_has_no_force() {
    let dir = repo();
    dir.command(["hook", "install"]).expect_success();
    let edited = edit_hook(&dir, "echo 'keep me'\n");
    // `--force` belongs to uninstall only: install never discards edits.
    dir.command(["hook", "install", "--force"])
        .expect_code(2)
        .stderr_has("--force");
    dir.command(["hook", "install"])
        .expect_success()
        .stderr_has("Updated pre-push hook")
        .stderr_has("Kept your edited version of it as")
        .stderr_has(&edited_path(&dir, "").display().to_string());
    assert_eq!(
        std::fs::read_to_string(edited_path(&dir, "")).unwrap(),
        edited
    );
    dir.command(["hook", "status"])
        .expect_success()
        .stdout_lacks("modified");
}
