//! `cargo perf init`: a commented policy tuned to the workspace, never
//! overwriting an existing file without `--force`.

use crate::util::Dir;

#[test]
fn writes_a_valid_policy_tuned_to_the_workspace() {
    let dir = Dir::new();
    dir.workspace(&["core", "cli"]);
    dir.create("crates/cli/src/main.rs", "fn main() {}\n");
    dir.create("crates/core/benches/parse.rs", "fn main() {}\n");
    format(&dir);
    dir.command(["init"])
        .expect_success()
        .stderr_has("Wrote")
        .stderr_has("Checked by running `cargo fmt --all -- --check`")
        .stderr_lacks("Left out");
    let text = dir.read("perf.toml");
    assert!(
        text.contains("#   members: core, cli") || text.contains("#   members: cli, core"),
        "{text}"
    );
    assert!(text.contains("#   binaries: cli/cli"), "{text}");
    assert!(text.contains("#   benches: core/parse"), "{text}");
    assert!(
        text.contains("[tasks.bench-build]"),
        "benches get a build check:\n{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with('#') && l.contains("jobs")),
        "keys are documented in comments"
    );

    let list = dir.command(["list"]).expect_success();
    for task in ["fmt", "clippy", "test", "bench-build"] {
        list.stdout_has(task);
    }
}

#[test]
fn without_benches_there_is_no_bench_task() {
    let dir = Dir::with_package("solo");
    dir.command(["init"]).expect_success();
    assert!(!dir.read("perf.toml").contains("bench-build"));
}

#[test]
fn refuses_to_overwrite_without_force() {
    let dir = Dir::with_package("solo");
    dir.policy("# mine\n[tasks.x]\nrun = \"true\"\n");
    dir.command(["init"])
        .expect_code(2)
        .stderr_has("already exists")
        .stderr_has("--force");
    assert_eq!(dir.read("perf.toml"), "# mine\n[tasks.x]\nrun = \"true\"\n");
    dir.command(["init", "--force"]).expect_success();
    assert!(dir.read("perf.toml").contains("[tasks.clippy]"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left behind");
}

#[test]
fn a_perf_toml_link_is_not_replaced_without_force_even_when_dangling() {
    let dir = Dir::with_package("solo");
    let link = dir.join("perf.toml");
    std::os::unix::fs::symlink("nowhere.toml", &link).unwrap();
    dir.command(["init"])
        .expect_code(2)
        .stderr_has("perf.toml already exists: a symbolic link to nowhere.toml")
        .stderr_has("--force")
        .stdout_lacks("{");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        std::path::Path::new("nowhere.toml")
    );
    assert!(
        !dir.join("nowhere.toml").exists(),
        "nothing written through the link"
    );

    let doc = dir
        .command(["init", "--force", "--format", "json"])
        .expect_success()
        .json();
    assert_eq!(doc["replaced"], true, "{doc:#}");
    assert!(
        !std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(!dir.join("nowhere.toml").exists());
}

#[test]
fn json_says_what_was_written() {
    let dir = Dir::with_package("solo");
    dir.create("benches/parse.rs", "fn main() {}\n");
    format(&dir);
    let run = dir.command(["init", "--format", "json"]).expect_success();
    let doc = run.json();
    assert_eq!(doc["version"], 2, "{doc:#}");
    assert_eq!(doc["replaced"], false);
    let path = std::path::PathBuf::from(doc["path"].as_str().unwrap());
    assert_eq!(path.file_name().unwrap(), "perf.toml");
    assert!(path.is_file(), "{doc:#}");
    let tasks: Vec<&str> = doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    for task in ["fmt", "clippy", "test", "bench-build"] {
        assert!(tasks.contains(&task), "{doc:#}");
    }
    let check: Vec<&str> = doc["check"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        check.contains(&"gitignore") && check.contains(&"bench-build"),
        "{doc:#}"
    );
}

/// `cargo new --vcs git KIND demo` in a fresh directory: the crate a new user starts from.
fn cargo_new(kind: &str) -> (Dir, std::path::PathBuf) {
    let dir = Dir::new();
    let status = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args(["new", "--quiet", "--vcs", "git", kind, "demo"])
        .current_dir(dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("run cargo new");
    assert!(status.success(), "cargo new {kind} failed");
    let root = dir.join("demo");
    (dir, root)
}

#[test]
fn init_then_check_passes_on_a_fresh_cargo_new_crate() {
    for kind in ["--lib", "--bin"] {
        let (dir, root) = cargo_new(kind);
        // Even before init, the built-in check passes: what is not there yet only warns.
        dir.command(["check"])
            .current_dir(&root)
            .env_remove("CARGO_TARGET_DIR")
            .expect_success()
            .stdout_has("warning[gitignore-missing-ignore-absent]");
        dir.command(["init"])
            .current_dir(&root)
            .env_remove("CARGO_TARGET_DIR")
            .expect_success()
            .stderr_has("Wrote")
            .stderr_has("Added `/.cargo-perf/`, `perf.data*` to .gitignore");
        let ignore = std::fs::read_to_string(root.join(".gitignore")).unwrap();
        assert_eq!(
            ignore, "/target\n\n# added by cargo perf init\n/.cargo-perf/\nperf.data*\n",
            "cargo new's own line is kept ({kind})"
        );
        let run = dir
            .command(["check"])
            .current_dir(&root)
            .env_remove("CARGO_TARGET_DIR")
            .expect_success();
        run.stdout_has("3 of 3 required ignores in place")
            .stdout_has("reused the diagnostics of task `clippy`")
            .stdout_lacks("warning[")
            .stdout_lacks("error[");
        // A second init (with --force) finds nothing to add.
        dir.command(["init", "--force"])
            .current_dir(&root)
            .expect_success()
            .stderr_lacks("Added");
        assert_eq!(
            std::fs::read_to_string(root.join(".gitignore")).unwrap(),
            ignore
        );
    }
}

#[test]
fn init_says_so_when_it_cannot_write_the_gitignore() {
    let (dir, root) = cargo_new("--lib");
    let elsewhere = Dir::new();
    elsewhere.create("ignore", "/target\n");
    std::fs::remove_file(root.join(".gitignore")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("ignore"), root.join(".gitignore")).unwrap();
    dir.command(["init"])
        .current_dir(&root)
        .expect_code(2)
        .stderr_has("is a symbolic link")
        .stderr_has("perf.toml was written, .gitignore was not changed");
    assert!(root.join("perf.toml").is_file());
    assert_eq!(elsewhere.read("ignore"), "/target\n");
}

/// `cargo fmt --all` in `dir`, so init's fmt check passes there.
fn format(dir: &Dir) {
    let status = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args(["fmt", "--all"])
        .current_dir(dir.path())
        .status()
        .expect("run cargo fmt");
    assert!(status.success());
}

/// The `check` pipeline's steps of the written perf.toml.
fn check_steps(text: &str) -> String {
    text.lines()
        .find(|l| l.starts_with("check = "))
        .unwrap_or_else(|| panic!("no check pipeline:\n{text}"))
        .to_owned()
}

#[test]
fn nightly_only_benches_are_left_out_and_the_check_passes_on_stable() {
    let (dir, root) = cargo_new("--lib");
    std::fs::create_dir_all(root.join("benches")).unwrap();
    std::fs::write(
        root.join("benches/speed.rs"),
        "#![feature(test)]\nextern crate test;\n\n#[bench]\nfn add(b: &mut test::Bencher) {\n    b.iter(|| 1 + 1);\n}\n",
    )
    .unwrap();
    // A `cfg_attr`-gated feature builds on stable: not a reason to leave anything out.
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        format!("{manifest}\n[features]\nnightly = []\n"),
    )
    .unwrap();
    std::fs::write(
        root.join("src/lib.rs"),
        "#![cfg_attr(feature = \"nightly\", feature(test))]\n\npub fn one() -> u32 {\n    1\n}\n",
    )
    .unwrap();
    let run = dir
        .command(["init"])
        .current_dir(&root)
        .env("RUSTUP_TOOLCHAIN", "stable")
        .expect_success();
    let json = dir
        .command(["init", "--force", "--format", "json"])
        .current_dir(&root)
        .env("RUSTUP_TOOLCHAIN", "stable")
        .expect_success()
        .json();
    assert_eq!(json["left_out"][0]["task"], "bench-build", "{json:#}");
    assert_eq!(
        json["ran"],
        serde_json::json!([
            "rustc --version",
            "cargo fmt --all -- --check",
            "cargo clippy --workspace --lib --bins --tests --examples --message-format=short"
        ])
    );
    run.stderr_has("Left out `bench-build` (commented out in perf.toml): demo/speed (benches/speed.rs) uses `#![feature]`");
    let text = std::fs::read_to_string(root.join("perf.toml")).unwrap();
    assert!(
        text.contains(
            "# Left out by `cargo perf init`: demo/speed (benches/speed.rs) uses `#![feature]`"
        ),
        "{text}"
    );
    assert!(
        text.contains("# [tasks.bench-build]\n# description"),
        "{text}"
    );
    assert!(!check_steps(&text).contains("bench-build"), "{text}");
    // clippy still checks every other target, and the tests still run.
    assert!(
        text.contains(
            "run = \"cargo clippy --workspace --lib --bins --tests --examples -- -D warnings\""
        ),
        "{text}"
    );
    assert!(
        check_steps(&text).contains("\"clippy\", \"test\""),
        "{text}"
    );
    dir.command(["check"])
        .current_dir(&root)
        .env("RUSTUP_TOOLCHAIN", "stable")
        .expect_success();
}

#[test]
fn an_unformatted_workspace_gets_its_fmt_task_commented_out() {
    let dir = Dir::with_package("solo");
    dir.create("src/lib.rs", "pub fn   squashed( ) -> u32 { 1 }\n");
    dir.command(["init"])
        .expect_success()
        .stderr_has("Left out `fmt` (commented out in perf.toml): the workspace is not formatted yet: run `cargo fmt --all`");
    let text = dir.read("perf.toml");
    assert!(text.contains("# [tasks.fmt]\n"), "{text}");
    assert!(!check_steps(&text).contains("\"fmt\""), "{text}");
    dir.command(["list"]).expect_success().stdout_lacks("fmt");
}

#[test]
fn clippy_warnings_today_are_allowed_and_named_so_the_first_check_passes() {
    let dir = Dir::with_package("solo");
    dir.create(
        "src/lib.rs",
        "pub fn count(v: &Vec<u32>) -> usize {\n    v.len()\n}\n",
    );
    dir.command(["init"])
        .expect_success()
        .stderr_has("cargo clippy --workspace --all-targets --message-format=short");
    let text = dir.read("perf.toml");
    assert!(
        text.contains("run = \"cargo clippy --workspace --all-targets\"\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "# clippy warns 1 time(s) in any target today (first: src/lib.rs:1:17: warning:"
        ),
        "{text}"
    );
    assert!(check_steps(&text).contains("\"clippy\""), "{text}");
    dir.command(["check"]).expect_success();

    // Once the warning is fixed, a fresh init denies warnings.
    dir.create(
        "src/lib.rs",
        "pub fn count(v: &[u32]) -> usize {\n    v.len()\n}\n",
    );
    dir.command(["init", "--force"]).expect_success();
    let text = dir.read("perf.toml");
    assert!(
        text.contains("run = \"cargo clippy --workspace --all-targets -- -D warnings\"\n"),
        "{text}"
    );
}

#[test]
fn a_workspace_clippy_cannot_pass_gets_its_clippy_task_commented_out() {
    let dir = Dir::with_package("solo");
    dir.create("src/lib.rs", "pub fn broken() -> u32 {\n    \"nope\"\n}\n");
    dir.command(["init"])
        .expect_success()
        .stderr_has("Left out `clippy` (commented out in perf.toml): `cargo clippy` does not pass here (first: src/lib.rs:2:5: error");
    let text = dir.read("perf.toml");
    assert!(text.contains("# [tasks.clippy]\n"), "{text}");
    assert!(!check_steps(&text).contains("\"clippy\""), "{text}");
}
