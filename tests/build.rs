//! `cargo perf build`: real cargo builds of tiny dependency-free workspaces,
//! each with its own target dir inside its temp dir.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::util::{Dir, Run, TestCommand};

/// `cargo perf build ARGS` with the workspace's own target dir.
fn build(dir: &Dir, args: &[&str]) -> TestCommand {
    dir.command(["build"])
        .args(args)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("MY_STAMP")
}

/// Every file's content outside `target/`.
fn contents(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.file_name().unwrap() == "target" {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, &mut out);
    out
}

fn task(run: &Run) -> Value {
    run.json()["tasks"][0].clone()
}

/// The findings of `task` with `code`.
pub(crate) fn findings<'a>(task: &'a Value, code: &str) -> Vec<&'a Value> {
    task["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn metric<'a>(task: &'a Value, name: &str) -> &'a Value {
    task["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no metric {name} in {task:#}"))
}

fn build_script(dir: &Dir, member: &str, body: &str) {
    let manifest = dir.join(format!("crates/{member}/Cargo.toml"));
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "edition = \"2021\"\n",
        "edition = \"2021\"\nbuild = \"build.rs\"\n",
    );
    std::fs::write(manifest, text).unwrap();
    dir.create(format!("crates/{member}/build.rs"), body);
}

fn depend(dir: &Dir, member: &str, on: &str) {
    let manifest = dir.join(format!("crates/{member}/Cargo.toml"));
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str(&format!("{on} = {{ path = \"../{on}\" }}\n"));
    std::fs::write(manifest, text).unwrap();
}

#[test]
fn a_healthy_workspace_passes_and_its_sources_are_left_as_they_were() {
    let dir = Dir::new();
    dir.workspace(&["core", "app"]);
    depend(&dir, "app", "core");
    build_script(
        &dir,
        "core",
        "fn main() { println!(\"cargo::rerun-if-changed=build.rs\"); }\n",
    );
    let lib = dir.join("crates/core/src/lib.rs");
    let old = SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&lib)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let lock = std::process::Command::new(env!("CARGO"))
        .args(["generate-lockfile", "--offline", "--quiet"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(lock.success());
    let before = contents(dir.path());

    let run = build(&dir, &["--format", "json", "--verbose"]).expect_success();

    run.stderr_has("touched crates/core/src/lib.rs (modification time only")
        .stderr_has("touched crates/app/src/lib.rs");
    let task = task(&run);
    assert_eq!(task["status"], "passed", "{task:#}");
    assert_eq!(metric(&task, "build.dirty-units")["value"], 0.0);
    metric(&task, "build.noop");
    let core = metric(&task, "build.rebuilt.core")["value"]
        .as_f64()
        .unwrap();
    let app = metric(&task, "build.rebuilt.app")["value"]
        .as_f64()
        .unwrap();
    assert!(core > app && app >= 1.0, "{task:#}");
    assert!(
        task["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "info"),
        "{task:#}"
    );
    assert_eq!(
        contents(dir.path()),
        before,
        "a source file changed content"
    );
    assert_eq!(
        std::fs::metadata(&lib).unwrap().modified().unwrap(),
        old,
        "the bumped modification time was not restored"
    );
}

#[test]
fn build_script_problems_are_reported_with_package_and_reason() {
    let dir = Dir::new();
    dir.workspace(&["missing", "stamp", "norerun", "writer"]);
    build_script(
        &dir,
        "missing",
        "fn main() {\n    println!(\"cargo::rerun-if-changed=build.rs\");\n    println!(\"cargo::rerun-if-changed=does-not-exist.txt\");\n}\n",
    );
    build_script(
        &dir,
        "stamp",
        "fn main() { println!(\"cargo::rerun-if-env-changed=MY_STAMP\"); }\n",
    );
    build_script(&dir, "norerun", "fn main() {}\n");
    build_script(
        &dir,
        "writer",
        "fn main() {\n    println!(\"cargo::rerun-if-env-changed=MY_STAMP\");\n    let dir = std::env::var(\"CARGO_MANIFEST_DIR\").unwrap();\n    std::fs::write(format!(\"{dir}/generated.txt\"), \"x\").unwrap();\n}\n",
    );
    let readme = dir.create("README.md", "future\n");
    std::fs::File::options()
        .write(true)
        .open(&readme)
        .unwrap()
        .set_modified(SystemTime::now() + Duration::from_secs(86_400))
        .unwrap();
    // A build with one value of MY_STAMP, then cargo perf with another.
    let prebuild = std::process::Command::new(env!("CARGO"))
        .args(["build", "--workspace", "--all-targets", "--quiet"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("MY_STAMP", "1")
        .status()
        .unwrap();
    assert!(prebuild.success());
    std::fs::remove_file(dir.join("crates/writer/generated.txt")).unwrap();

    let run = build(&dir, &["--format", "json", "--no-incremental"])
        .env("MY_STAMP", "2")
        .expect_code(1);

    let task = task(&run);
    let stale = findings(&task, "build-not-fresh");
    assert_eq!(stale.len(), 1, "{task:#}");
    assert_eq!(
        stale[0]["message"],
        "a second identical build rebuilt `missing` (build script (run), lib `missing`, lib `missing` (test)): the file `crates/missing/does-not-exist.txt` is missing"
    );
    assert_eq!(metric(&task, "build.dirty-units")["value"], 3.0);
    let missing = findings(&task, "build-rerun-if-changed-missing");
    assert_eq!(missing.len(), 1, "{task:#}");
    assert_eq!(missing[0]["file"], "crates/missing/build.rs");
    assert_eq!(missing[0]["line"], 3);
    assert!(
        missing[0]["message"]
            .as_str()
            .unwrap()
            .contains("`missing` watches `does-not-exist.txt`")
    );
    let env = findings(&task, "build-env-changed");
    assert!(
        env.iter().any(|f| f["message"]
            == "`stamp` rebuilt because the environment variable MY_STAMP changed since the last build"),
        "{task:#}"
    );
    let norerun = findings(&task, "build-no-rerun-if");
    assert_eq!(norerun.len(), 1, "{task:#}");
    assert_eq!(norerun[0]["severity"], "warning");
    assert_eq!(norerun[0]["file"], "crates/norerun/build.rs");
    let writes = findings(&task, "build-writes-source");
    assert_eq!(writes.len(), 1, "{task:#}");
    assert_eq!(writes[0]["file"], "crates/writer/generated.txt");
    assert!(
        writes[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("the build script of `writer` created")
    );
    let future = findings(&task, "build-future-mtime");
    assert_eq!(future.len(), 1, "{task:#}");
    assert_eq!(future[0]["file"], "README.md");
    assert!(
        task["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| !m["name"]
                .as_str()
                .unwrap()
                .starts_with("build.incremental.")),
        "--no-incremental timed members: {task:#}"
    );
}

#[test]
fn a_member_over_its_budget_fails_and_clean_build_keeps_the_users_target_dir() {
    let dir = Dir::new();
    dir.workspace(&["fast", "slow"]);
    dir.policy(
        "[build]\ncommand = \"check\"\nincremental-budget = { default = \"10m\", slow = \"0s\" }\n",
    );
    dir.create("target/keep-me", "mine");

    let run = build(&dir, &["--clean"]).expect_code(1);

    run.stdout_has("error[build-over-budget]")
        .stdout_has("an edit of `slow` takes")
        .stdout_has("over its budget of 0ms")
        .stdout_has("info[build-slow-unit]")
        .stdout_has("build.clean ");
    let json = build(&dir, &["--format", "json", "-p", "fast"]).expect_success();
    let task = task(&json);
    assert_eq!(metric(&task, "build.incremental.fast")["verdict"], "pass");
    assert!(
        task["metrics"]
            .to_string()
            .find("build.incremental.slow")
            .is_none()
    );
    assert_eq!(dir.read("target/keep-me"), "mine");
    let clean = dir.join("target/cargo-perf/clean-build");
    let left: Vec<_> = std::fs::read_dir(&clean)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["cargo-timings"], "clean-build outputs were kept");
    assert!(clean.join("cargo-timings/cargo-timing.html").is_file());
}

#[test]
fn budget_failure_orders_members_slowest_first() {
    let dir = Dir::new();
    dir.workspace(&["base", "top"]);
    depend(&dir, "top", "base");
    dir.policy("[build]\nincremental-budget = \"0s\"\nmembers = [\"top\", \"base\"]\n");

    let run = build(&dir, &["--format", "json"]).expect_code(1);

    let task = task(&run);
    let timed: Vec<(&str, f64)> = task["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["name"]
                .as_str()
                .unwrap()
                .starts_with("build.incremental.")
        })
        .map(|m| (m["name"].as_str().unwrap(), m["value"].as_f64().unwrap()))
        .collect();
    assert_eq!(timed.len(), 2, "{task:#}");
    assert!(timed[0].1 >= timed[1].1, "not slowest first: {timed:?}");
    assert!(timed.iter().all(|(name, _)| {
        metric(&task, name)["verdict"] == "fail" && metric(&task, name)["budget"] == 0.0
    }));
    assert_eq!(findings(&task, "build-over-budget").len(), 2);
}

#[test]
fn a_compile_error_is_a_failed_task_showing_the_first_error() {
    let dir = Dir::new();
    dir.workspace(&["broken"]);
    dir.create(
        "crates/broken/src/lib.rs",
        "pub fn answer() -> u32 {\n    missing_name\n}\n",
    );

    let run = build(&dir, &[]).expect_code(1);

    run.stdout_has("error[build-failed]")
        .stdout_has(
            "the build failed: error[E0425]: cannot find value `missing_name` in this scope",
        )
        .stdout_has("  --> crates/broken/src/lib.rs:2\n");
}

#[test]
fn unknown_members_and_bad_policy_values_are_usage_errors() {
    let dir = Dir::new();
    dir.workspace(&["alpha"]);
    build(&dir, &["-p", "alpah"])
        .expect_code(2)
        .stderr_has("`-p` names `alpah`, which is not a member of this workspace")
        .stderr_has("did you mean `alpha`?");
    dir.policy("[build]\nincremental-budget = { default = \"1s\", beta = \"2s\" }\n");
    build(&dir, &[])
        .expect_code(2)
        .stderr_has(
            "`[build] incremental-budget` names `beta`, which is not a member of this workspace",
        )
        .stderr_has("--> perf.toml:2:40")
        .stderr_has("the workspace members are: alpha");
    dir.policy("[build]\ncommand = \"test\"\nincremental-budget = \"soon\"\n");
    build(&dir, &[])
        .expect_code(2)
        .stderr_has("unknown build command `test`")
        .stderr_has("perf.toml:2:11")
        .stderr_has("invalid value for `incremental-budget`");
}

#[test]
fn a_root_file_linked_from_outside_the_workspace_is_never_touched() {
    let dir = Dir::new();
    dir.workspace(&["inside", "linked"]);
    let outside = Dir::new();
    let target = outside.create("lib.rs", "pub fn answer() -> u32 { 42 }\n");
    let old = SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&target)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let link = dir.join("crates/linked/src/lib.rs");
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();

    let run = build(&dir, &["--format", "json"]).expect_success();

    let task = task(&run);
    let skipped = findings(&task, "build-root-outside-workspace");
    assert_eq!(skipped.len(), 1, "{task:#}");
    assert_eq!(skipped[0]["file"], "crates/linked/src/lib.rs");
    metric(&task, "build.incremental.inside");
    assert!(
        !task["metrics"]
            .to_string()
            .contains("build.incremental.linked")
    );
    assert_eq!(std::fs::metadata(&target).unwrap().modified().unwrap(), old);
}

/// Members `a` and `b`; `b` has an integration test, an example, and a
/// libtest bench that only nightly compiles, as many published crates do.
/// `RUSTC_BOOTSTRAP=-1` makes even a nightly rustc behave as stable.
fn nightly_bench_workspace() -> Dir {
    let dir = Dir::new();
    dir.workspace(&["a", "b"]);
    dir.create(
        "crates/b/benches/nightly.rs",
        "#![feature(test)]\nextern crate test;\n\n#[bench]\nfn answer(bench: &mut test::Bencher) {\n    bench.iter(b::answer);\n}\n",
    );
    dir.create(
        "crates/b/examples/demo.rs",
        "fn main() {\n    println!(\"{}\", b::answer());\n}\n",
    );
    dir.create(
        "crates/b/tests/it.rs",
        "#[test]\nfn answers() {\n    assert_eq!(b::answer(), 42);\n}\n",
    );
    dir
}

fn stable_build(dir: &Dir, args: &[&str]) -> TestCommand {
    build(dir, args).env("RUSTC_BOOTSTRAP", "-1")
}

fn built_names(dir: &Dir, sub: &str) -> Vec<String> {
    std::fs::read_dir(dir.join("target/debug").join(sub))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn by_default_it_builds_what_cargo_build_and_cargo_test_build_not_benches() {
    let dir = nightly_bench_workspace();
    let run = stable_build(&dir, &["--no-incremental", "-v"]).expect_success();
    run.stderr_has("build --workspace --lib --bins --tests --examples --message-format=json");
    assert!(
        built_names(&dir, "examples").iter().any(|n| n == "demo"),
        "the example is built\n{}",
        run.context()
    );
    let deps = built_names(&dir, "deps");
    assert!(deps.iter().any(|n| n.starts_with("it-")), "{deps:?}");
    assert!(!deps.iter().any(|n| n.starts_with("nightly-")), "{deps:?}");

    // A package with no library: cargo refuses `--lib`, so it is not passed.
    let bin_only = Dir::new();
    bin_only.create(
        "Cargo.toml",
        "[package]\nname = \"tool\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    bin_only.create("src/main.rs", "fn main() {}\n");
    build(&bin_only, &["--no-incremental"]).expect_success();
    build(&bin_only, &["--no-incremental", "--targets", "lib"])
        .expect_code(2)
        .stdout_has("no workspace member has a target of the kinds selected (lib)");
}

#[test]
fn a_bench_that_needs_nightly_is_reported_as_such_with_the_selection_to_drop_it() {
    let dir = nightly_bench_workspace();
    let run = stable_build(
        &dir,
        &["--no-incremental", "--targets", "all", "--format", "json"],
    )
    .expect_code(1);
    let task = task(&run);
    let found = findings(&task, "build-nightly-only");
    assert_eq!(found.len(), 1, "{}", run.context());
    assert!(findings(&task, "build-failed").is_empty(), "{task:#}");
    let finding = found[0];
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("bench `nightly` of `b` uses `#![feature]`, which only a nightly toolchain accepts (rustc: error[E0554])"),
        "{finding:#}"
    );
    assert_eq!(finding["file"], "crates/b/benches/nightly.rs");
    assert_eq!(finding["line"], 1);
    let help = finding["help"].as_str().unwrap();
    assert!(
        help.contains(r#"`[build] targets = ["lib", "bins", "tests", "examples"]`"#)
            && help.contains("`--targets lib,bins,tests,examples`"),
        "{help}"
    );

    // The same through perf.toml; the hint keeps the rest of that selection.
    dir.policy("[build]\ntargets = [\"lib\", \"tests\", \"benches\"]\n");
    stable_build(&dir, &["--no-incremental"])
        .expect_code(1)
        .stdout_has("error[build-nightly-only]")
        .stdout_has(r#"`[build] targets = ["lib", "tests"]`"#);
    // A flag wins over the policy.
    stable_build(&dir, &["--no-incremental", "--targets", "lib,tests"]).expect_success();
}

#[test]
fn bad_target_selections_are_usage_errors() {
    let dir = Dir::new();
    dir.workspace(&["alpha"]);
    dir.policy("[build]\ntargets = [\"lib\", \"bench\"]\n");
    build(&dir, &[])
        .expect_code(2)
        .stderr_has("unknown target kind `bench`")
        .stderr_has("perf.toml:2:19")
        .stderr_has("did you mean `benches`?");
    dir.policy("[build]\ntargets = []\n");
    build(&dir, &[])
        .expect_code(2)
        .stderr_has("`targets` selects no target");
    dir.policy("[build]\ntargets = 5\n");
    build(&dir, &[])
        .expect_code(2)
        .stderr_has("expected \"all\" or an array of target kinds");
    build(&dir, &["--targets", "lib,nope"])
        .expect_code(2)
        .stderr_has("invalid value 'nope' for '--targets <KINDS>'")
        .stderr_has("lib, bins, tests, benches, examples, all");
}
