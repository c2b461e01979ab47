//! The cache of cargo's `cargo metadata --no-deps` answer (in
//! `<target>/cargo-perf/workspace-metadata.json`): taken when nothing
//! changed, and never once any input cargo reads did. Each test edits one
//! input through the real binary and asserts the tool sees the new answer.
//! A file changed within 2 s of the question is not trusted as a key, so
//! each fixture settles before its first run.

use std::time::Duration;

use crate::util::{Dir, Run};

const CACHE: &str = "target/cargo-perf/workspace-metadata.json";

/// A workspace of members `a` and `b` under a `crates/*` glob, built once
/// (its target dir exists), left alone long enough to be trusted.
fn settled_workspace() -> Dir {
    let dir = Dir::new();
    dir.create(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n",
    );
    dir.package("crates/a", "a");
    dir.package("crates/b", "b");
    dir.policy("[tasks.noop]\nrun = \"true\"\n\n[pipelines]\ncheck = [\"noop\"]\n");
    std::fs::create_dir(dir.join("target")).unwrap();
    settle();
    dir
}

fn settle() {
    std::thread::sleep(Duration::from_millis(2300));
}

/// `cargo-perf -v <args>` as cargo runs it (with `$CARGO` set).
fn run(dir: &Dir, args: &[&str]) -> Run {
    dir.command(["-v"])
        .args(args)
        .env("CARGO", env!("CARGO"))
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .env_remove("RUSTUP_TOOLCHAIN")
        .expect_success()
}

fn cached(run: &Run) -> bool {
    run.stderr().contains("Fresh") && run.stderr().contains("workspace-metadata.json")
}

/// Asks cargo once, then asserts the next run takes the stored answer.
fn warm(dir: &Dir) {
    let first = run(dir, &["check"]);
    assert!(!cached(&first), "{}", first.context());
    assert!(dir.join(CACHE).is_file(), "{}", first.context());
    let second = run(dir, &["check"]);
    assert!(cached(&second), "{}", second.context());
}

#[test]
fn an_unchanged_workspace_is_answered_from_the_cache_and_a_corrupt_one_is_rewritten() {
    let dir = settled_workspace();
    warm(&dir);
    for garbage in ["", "{\"version\":1}\n{}", "not json at all", "\n\n"] {
        std::fs::write(dir.join(CACHE), garbage).unwrap();
        let run = run(&dir, &["check", "-p", "a"]);
        assert!(!cached(&run), "{garbage:?}: {}", run.context());
    }
    // The last run rewrote it: the next one takes it again.
    let again = run(&dir, &["check"]);
    assert!(cached(&again), "{}", again.context());
}

#[test]
fn a_renamed_or_re_versioned_member_is_seen() {
    let dir = settled_workspace();
    warm(&dir);
    dir.create(
        "crates/a/Cargo.toml",
        "[package]\nname = \"renamed\"\nversion = \"0.2.0\"\nedition = \"2021\"\n",
    );
    let run = run(&dir, &["check", "-p", "renamed@0.2.0"]);
    assert!(!cached(&run), "{}", run.context());
    dir.command(["check", "-p", "a"])
        .env("CARGO", env!("CARGO"))
        .expect_code(2)
        .stderr_has("not a member");
}

#[test]
fn a_new_directory_under_a_members_glob_is_a_new_member() {
    let dir = settled_workspace();
    warm(&dir);
    dir.package("crates/c", "c");
    let run = run(&dir, &["check", "-p", "c"]);
    assert!(!cached(&run), "{}", run.context());
}

#[test]
fn a_new_target_file_asks_cargo_again_and_an_edit_of_a_source_does_not() {
    let dir = settled_workspace();
    warm(&dir);
    dir.create("crates/a/src/lib.rs", "pub fn changed() {}\n");
    let edited = run(&dir, &["check"]);
    assert!(cached(&edited), "{}", edited.context());
    dir.create("crates/a/src/bin/tool.rs", "fn main() {}\n");
    let run = run(&dir, &["check"]);
    assert!(!cached(&run), "{}", run.context());
}

#[test]
fn a_target_dir_set_in_cargo_config_or_the_environment_is_seen() {
    let dir = settled_workspace();
    std::fs::create_dir(dir.join("elsewhere")).unwrap();
    std::fs::create_dir(dir.join("from-env")).unwrap();
    settle();
    warm(&dir);
    dir.create(
        ".cargo/config.toml",
        "[build]\ntarget-dir = \"elsewhere\"\n",
    );
    let run = run(&dir, &["check"]);
    assert!(!cached(&run), "{}", run.context());
    assert!(
        dir.join("elsewhere/cargo-perf/last-check.json").is_file(),
        "{}",
        run.context()
    );
    std::fs::remove_file(dir.join(".cargo/config.toml")).unwrap();
    let by_env = dir
        .command(["-v", "check"])
        .env("CARGO", env!("CARGO"))
        .env("CARGO_TARGET_DIR", dir.join("from-env"))
        .expect_success();
    assert!(!cached(&by_env), "{}", by_env.context());
    assert!(
        dir.join("from-env/cargo-perf/last-check.json").is_file(),
        "{}",
        by_env.context()
    );
}

#[test]
fn a_toolchain_override_asks_cargo_again() {
    let dir = settled_workspace();
    warm(&dir);
    let by_env = dir
        .command(["-v", "check"])
        .env("CARGO", env!("CARGO"))
        .env("RUSTUP_TOOLCHAIN", "some-other-toolchain")
        .expect_success();
    assert!(!cached(&by_env), "{}", by_env.context());
    warm(&dir);
    dir.create("rust-toolchain.toml", "[toolchain]\nchannel = \"stable\"\n");
    let by_file = run(&dir, &["check"]);
    assert!(!cached(&by_file), "{}", by_file.context());
}

#[test]
fn clean_and_a_run_without_cargo_named_write_no_cache() {
    let dir = settled_workspace();
    dir.command(["clean", "--dry-run"])
        .env("CARGO", env!("CARGO"))
        .expect_success();
    assert!(!dir.join(CACHE).exists());
    for _ in 0..2 {
        let run = dir
            .command(["-v", "check"])
            .env_remove("CARGO")
            .expect_success();
        assert!(!cached(&run), "{}", run.context());
    }
    assert!(!dir.join(CACHE).exists());
}

#[test]
fn clean_never_takes_a_stored_answer_and_a_config_include_is_never_stored() {
    let dir = settled_workspace();
    warm(&dir);
    // clean deletes in the target dir cargo names: it asks cargo every time.
    let clean = run(&dir, &["clean", "--dry-run"]);
    assert!(!cached(&clean), "{}", clean.context());
    assert!(
        clean
            .stderr()
            .contains("cargo metadata --format-version 1 --no-deps`"),
        "{}",
        clean.context()
    );
    // A config that pulls in another file: that file is no input, so no
    // answer is stored while it is there (its target dir could move unseen).
    std::fs::remove_file(dir.join(CACHE)).unwrap();
    dir.create(".cargo/config.toml", "include = [\"more.toml\"]\n");
    dir.create(".cargo/more.toml", "[build]\n");
    settle();
    for _ in 0..2 {
        let check = run(&dir, &["check"]);
        assert!(!cached(&check), "{}", check.context());
    }
    assert!(!dir.join(CACHE).exists());
}
