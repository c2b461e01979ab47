//! Cargo's own flags on every subcommand that runs cargo (`--locked`,
//! `--offline`, `-p`, `--exclude`, `--features`, ...), package specs cargo
//! cannot find ambiguous, and the resolved dependency graph behind the build
//! task's rebuild predictions. Real cargo, tiny dependency-free workspaces.

use crate::util::{Dir, Run, TestCommand};

/// `cargo perf ARGS` with the workspace's own target dir.
fn perf(dir: &Dir, args: &[&str]) -> TestCommand {
    dir.command(args)
        .env("CARGO_TARGET_DIR", dir.join("target"))
}

fn text(run: &Run) -> String {
    format!("{}{}", run.stdout(), run.stderr())
}

/// The codes of the findings that are not `info`.
fn codes(run: &Run) -> Vec<String> {
    run.json()["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap().clone())
        .filter(|f| f["severity"] != "info")
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Names of the members whose edit-rebuild cycle the build task timed.
fn timed(run: &Run) -> Vec<String> {
    let json = run.json();
    let mut names: Vec<String> = json["tasks"][0]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["name"].as_str())
        .filter(|name| name.contains("incremental"))
        .filter_map(|name| name.rsplit(['/', '.']).next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

/// A workspace of members that each have a bench printing one libtest line.
fn bench_workspace(dir: &Dir, members: &[&str]) {
    let list: Vec<String> = members.iter().map(|m| format!("\"crates/{m}\"")).collect();
    dir.create(
        "Cargo.toml",
        format!(
            "[workspace]\nmembers = [{}]\nresolver = \"2\"\n",
            list.join(", ")
        ),
    );
    for name in members {
        dir.create(
            format!("crates/{name}/Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bench]]\nname = \"{name}_bench\"\nharness = false\n"),
        );
        dir.create(format!("crates/{name}/src/lib.rs"), "");
        dir.create(
            format!("crates/{name}/benches/{name}_bench.rs"),
            "fn main() { println!(\"test work ... bench:       1,000 ns/iter (+/- 10)\"); }\n",
        );
    }
    dir.create(".gitignore", "/target\n/.cargo-perf\n");
    // Tests run in parallel and move the machine's speed under each other.
    dir.policy("[bench]\ncalibrate = false\n");
    dir.git_init();
}

#[test]
fn an_unknown_package_is_a_usage_error_listing_the_members_on_every_subcommand() {
    let dir = Dir::new();
    dir.workspace(&["alpha", "beta"]);
    dir.policy("[pipelines]\nci = [\"build\"]\n");
    for args in [
        &["build", "-p", "nosuch"][..],
        &["bench", "-p", "nosuch"],
        &["profile", "-p", "nosuch", "--bin", "x"],
        &["check", "-p", "nosuch"],
        &["run", "ci", "-p", "nosuch"],
        &["build", "--exclude", "nosuch"],
        &["build", "-p", "alpha@9.9.9"],
    ] {
        let run = perf(&dir, args).expect_code(2);
        let all = text(&run);
        assert!(
            all.contains("which is not a member of this workspace")
                && all.contains("the workspace members are: alpha@0.1.0, beta@0.1.0"),
            "{args:?}: {}",
            run.context()
        );
    }
    perf(&dir, &["build", "-p", "alpah"])
        .expect_code(2)
        .stderr_has("`-p` names `alpah`, which is not a member of this workspace")
        .stderr_has("did you mean `alpha`?");
}

#[test]
fn offline_with_a_dependency_missing_from_the_cache_is_cargos_error() {
    let dir = Dir::with_package("app");
    dir.create(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ncargo-perf-test-no-such-crate = \"1\"\n",
    );
    let run = perf(&dir, &["build", "--offline", "--no-incremental"]).expect_code(2);
    let all = text(&run);
    assert!(
        all.contains("cargo could not start the build")
            && all.contains("--offline")
            && all.contains("cargo-perf-test-no-such-crate"),
        "{}",
        run.context()
    );
}

#[test]
fn locked_with_an_out_of_date_lock_file_fails_with_cargos_message() {
    let dir = Dir::new();
    dir.workspace(&["alpha", "beta"]);
    perf(&dir, &["build", "--locked", "--no-incremental"]).expect_code(2);
    // Cargo.lock written by a plain run, then made stale by a new dependency.
    perf(&dir, &["build", "--no-incremental"]).expect_success();
    perf(&dir, &["build", "--locked", "--no-incremental"]).expect_success();
    dir.create(
        "crates/alpha/Cargo.toml",
        "[package]\nname = \"alpha\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nbeta = { path = \"../beta\" }\n",
    );
    let lock = dir.read("Cargo.lock");
    dir.policy("[pipelines]\nci = [\"build\"]\n");
    for args in [
        &["build", "--locked", "--no-incremental"][..],
        &["run", "ci", "--locked"],
        &["build", "--frozen", "--no-incremental"],
    ] {
        let run = perf(&dir, args).expect_code(2);
        let all = text(&run);
        assert!(
            all.contains("cargo could not start the build") && all.contains("was passed"),
            "{args:?}: {}",
            run.context()
        );
    }
    assert_eq!(
        dir.read("Cargo.lock"),
        lock,
        "--locked let the lock file change"
    );
}

#[test]
fn features_reach_the_build_and_flags_win_over_the_policy() {
    let dir = Dir::with_package("app");
    dir.create(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[features]\nbroken = []\nfine = []\n",
    );
    dir.create(
        "src/lib.rs",
        "#[cfg(feature = \"broken\")]\ncompile_error!(\"feature broken reached the build\");\npub fn f() {}\n",
    );
    perf(&dir, &["build", "--no-incremental"]).expect_success();
    perf(&dir, &["build", "--no-incremental", "--features", "broken"])
        .expect_code(1)
        .stdout_has("feature broken reached the build");
    perf(&dir, &["build", "--no-incremental", "--all-features"])
        .expect_code(1)
        .stdout_has("feature broken reached the build");
    dir.policy("[build]\nfeatures = [\"broken\"]\n");
    perf(&dir, &["build", "--no-incremental"])
        .expect_code(1)
        .stdout_has("feature broken reached the build");
    perf(&dir, &["build", "--no-incremental", "-F", "fine"]).expect_success();
    // `--target-dir` beats `CARGO_TARGET_DIR`, as in cargo, relative to where it was given.
    perf(
        &dir,
        &[
            "build",
            "--no-incremental",
            "-F",
            "fine",
            "--target-dir",
            "elsewhere",
        ],
    )
    .current_dir(dir.join("src"))
    .expect_success();
    assert!(
        dir.join("src/elsewhere/debug").is_dir(),
        "{}",
        dir.listing()
    );
    // `-v` shows the exact cargo command lines.
    perf(
        &dir,
        &[
            "-v",
            "build",
            "--no-incremental",
            "--features",
            "fine",
            "--locked",
        ],
    )
    .expect_success()
    .stderr_has(" metadata --format-version 1 --no-deps --locked`")
    .stderr_has("build --workspace --locked --features fine");
}

#[test]
fn p_and_exclude_scope_the_built_ins_of_check_and_run() {
    let dir = Dir::new();
    dir.workspace(&["alpha", "beta", "gamma"]);
    dir.policy("[pipelines]\ncheck = [\"build\"]\n");
    let json = |args: &[&str]| {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        perf(&dir, &all).expect_success()
    };
    assert_eq!(timed(&json(&["build"])), ["alpha", "beta", "gamma"]);
    assert_eq!(timed(&json(&["build", "-p", "beta@0.1.0"])), ["beta"]);
    assert_eq!(
        timed(&json(&["check", "-p", "alpha", "-p", "gamma"])),
        ["alpha", "gamma"]
    );
    assert_eq!(
        timed(&json(&["run", "build", "--exclude", "beta"])),
        ["alpha", "gamma"]
    );
    perf(
        &dir,
        &["-v", "build", "--exclude", "beta", "--no-incremental"],
    )
    .expect_success()
    .stderr_has("--workspace --exclude beta@0.1.0");
}

#[test]
fn bench_takes_name_at_version_specs_and_exclude() {
    let dir = Dir::new();
    bench_workspace(&dir, &["alpha", "beta"]);
    let ids = |run: &Run| -> Vec<String> {
        let mut ids: Vec<String> = run.json()["tasks"][0]["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let run = perf(&dir, &["--format", "json", "bench", "-p", "beta@0.1.0"]).expect_success();
    assert!(
        ids(&run).iter().all(|id| id.contains("beta_bench")),
        "{}",
        run.context()
    );
    let run = perf(&dir, &["--format", "json", "bench", "--exclude", "beta"]).expect_success();
    assert!(
        ids(&run).iter().all(|id| id.contains("alpha_bench")),
        "{}",
        run.context()
    );
    perf(&dir, &["-v", "bench", "-p", "alpha"])
        .expect_success()
        .stderr_has("cargo bench -p alpha@0.1.0 --bench alpha_bench");
}

#[test]
fn a_crate_whose_dev_dependency_is_another_version_of_itself_benches() {
    // `foo` 0.2 dev-depends on a `foo` 0.1 (as itoa, serde, memchr do
    // through their dev-dependencies): `cargo bench -p foo` is ambiguous.
    let dir = Dir::new();
    dir.create(
        "ws/Cargo.toml",
        "[package]\nname = \"foo\"\nversion = \"0.2.0\"\nedition = \"2021\"\n\n[dev-dependencies]\nold-foo = { path = \"../old\", package = \"foo\" }\n\n[[bench]]\nname = \"speed\"\nharness = false\n",
    );
    dir.create("ws/src/lib.rs", "pub fn v() -> u32 { 2 }\n");
    dir.create(
        "ws/benches/speed.rs",
        "fn main() { assert_eq!(old_foo::v() + foo::v(), 3); println!(\"test work ... bench:       1,000 ns/iter (+/- 10)\"); }\n",
    );
    dir.create(
        "old/Cargo.toml",
        "[package]\nname = \"foo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    dir.create("old/src/lib.rs", "pub fn v() -> u32 { 1 }\n");
    dir.create("ws/.gitignore", "/target\n/.cargo-perf\n");
    let ws = dir.join("ws");
    crate::util::git_command(&ws)
        .args(["init", "-q"])
        .status()
        .unwrap();
    let bench = |args: &[&str]| {
        TestCommand::new(&ws)
            .args(args)
            .env("CARGO_TARGET_DIR", ws.join("target"))
    };
    let run = bench(&["--format", "json", "bench"]).expect_success();
    assert_eq!(codes(&run), Vec::<String>::new(), "{}", run.context());
    bench(&["bench", "-p", "foo"]).expect_success();
    bench(&["bench", "-p", "foo@0.2.0"]).expect_success();
    bench(&["bench", "-p", "foo@0.1.0"]).expect_code(2);
}

#[test]
fn a_crate_whose_dev_dependencies_pull_in_its_own_published_release_benches() {
    // `foo` 0.1.0 dev-depends on the published `foo` 0.1.0 (as itoa 1.0.19
    // does through criterion → serde_json): `foo@0.1.0` is ambiguous, only
    // cargo's full package id names the member. Here "published" is a git
    // repository, which gives the lock file a `source` as a registry does.
    let dir = Dir::new();
    dir.create(
        "published/Cargo.toml",
        "[package]\nname = \"foo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    dir.create("published/src/lib.rs", "pub fn v() -> u32 { 1 }\n");
    let commit_all = |repo: &std::path::Path| {
        for args in [
            &["init", "-q"][..],
            &["add", "-A"],
            &["commit", "-q", "-m", "c"],
        ] {
            let status = crate::util::git_command(repo).args(args).status().unwrap();
            assert!(status.success(), "git {args:?} in {}", repo.display());
        }
    };
    let published = dir.join("published");
    commit_all(&published);
    dir.create(
        "ws/Cargo.toml",
        format!(
            "[package]\nname = \"foo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dev-dependencies]\npublished = {{ git = \"file://{}\", package = \"foo\" }}\n\n[[bench]]\nname = \"speed\"\nharness = false\n",
            published.display()
        ),
    );
    dir.create("ws/src/lib.rs", "pub fn v() -> u32 { 2 }\n");
    dir.create(
        "ws/benches/speed.rs",
        "fn main() { assert_eq!(published::v() + foo::v(), 3); println!(\"test work ... bench:       1,000 ns/iter (+/- 10)\"); }\n",
    );
    // A library that does not commit its lock file.
    dir.create("ws/.gitignore", "/target\n/.cargo-perf\n/Cargo.lock\n");
    let ws = dir.join("ws");
    commit_all(&ws);
    let bench = |args: &[&str]| {
        TestCommand::new(&ws)
            .args(args)
            .env("CARGO_TARGET_DIR", ws.join("target"))
    };
    let run = bench(&["-v", "--format", "json", "bench"]).expect_success();
    assert_eq!(codes(&run), Vec::<String>::new(), "{}", run.context());
    run.stderr_has("#foo@0.1.0' --bench speed");
    // The baseline's commit has no Cargo.lock: it gets the working tree's,
    // so both trees build the same dependency versions.
    let run =
        bench(&["-v", "--format", "json", "bench", "--baseline-rev", "HEAD"]).expect_success();
    assert_eq!(codes(&run), Vec::<String>::new(), "{}", run.context());
    run.stdout_has("\"code\": \"bench-unchanged\"");
    run.stderr_has(
        "`HEAD` has no Cargo.lock; it is built with the working tree's dependency versions",
    );
}

#[test]
fn a_patch_wired_workspace_gives_no_false_unexpected_rebuild() {
    // `a` depends on `b` from crates.io, which `[patch]` points at the
    // member: `--no-deps` metadata shows no path for the edge, cargo's resolve does.
    let dir = Dir::new();
    dir.create(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/a\", \"crates/b\"]\nresolver = \"2\"\n\n[patch.crates-io]\nb = { path = \"crates/b\" }\n",
    );
    dir.create(
        "crates/a/Cargo.toml",
        "[package]\nname = \"a\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nrenamed = { package = \"b\", version = \"0.1\" }\n",
    );
    dir.create(
        "crates/a/src/lib.rs",
        "pub fn f() -> u32 { renamed::g() }\n",
    );
    dir.create(
        "crates/b/Cargo.toml",
        "[package]\nname = \"b\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    dir.create("crates/b/src/lib.rs", "pub fn g() -> u32 { 1 }\n");
    let run = perf(&dir, &["--format", "json", "build", "--offline"]).expect_success();
    assert_eq!(timed(&run), ["a", "b"]);
    assert!(
        !codes(&run).iter().any(|c| c.contains("unexpected-rebuild")),
        "{}",
        run.context()
    );
}

#[test]
fn baseline_rev_names_the_package_by_the_other_revisions_version() {
    let dir = Dir::new();
    bench_workspace(&dir, &["alpha"]);
    // The working tree bumped the version the committed revision still has at 0.1.0.
    dir.create(
        "crates/alpha/Cargo.toml",
        "[package]\nname = \"alpha\"\nversion = \"0.2.0\"\nedition = \"2021\"\n\n[[bench]]\nname = \"alpha_bench\"\nharness = false\n",
    );
    let run = perf(
        &dir,
        &["-v", "--format", "json", "bench", "--baseline-rev", "HEAD"],
    )
    .expect_success();
    assert_eq!(codes(&run), Vec::<String>::new(), "{}", run.context());
    run.stderr_has("bench -p alpha@0.1.0 --bench alpha_bench")
        .stderr_has("bench -p alpha@0.2.0 --bench alpha_bench");
}
