//! Compiler diagnostics in a custom task's output become findings with file,
//! line and column: in the JSON document and as GitHub annotations.

use crate::util::{Dir, shared_target_dir};

/// A workspace where `a` builds with a warning and `b` (which needs `a`)
/// fails with a type error; `compile` runs `cargo build` on it.
fn broken_workspace() -> Dir {
    let dir = Dir::new();
    dir.workspace(&["a", "b"]);
    dir.create(
        "crates/a/src/lib.rs",
        "pub fn answer() -> u32 {\n    let unused = 1;\n    42\n}\n",
    );
    dir.create(
        "crates/b/Cargo.toml",
        "[package]\nname = \"b\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\na = { path = \"../a\" }\n",
    );
    dir.create(
        "crates/b/src/lib.rs",
        "pub fn twice() -> u32 {\n    let text: &str = a::answer();\n    2\n}\n",
    );
    dir.policy(&format!(
        "[tasks.compile]\nrun = \"cargo build -j1\"\nenv = {{ CARGO_TARGET_DIR = {:?} }}\n",
        shared_target_dir()
            .join("diagnostics")
            .display()
            .to_string()
    ));
    dir
}

fn findings(run: &crate::util::Run) -> Vec<serde_json::Value> {
    run.json()["tasks"][0]["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings\n{}", run.context()))
        .clone()
}

#[test]
fn a_failed_cargo_task_reports_each_diagnostic_at_its_place_in_json() {
    let dir = broken_workspace();
    let run = dir
        .command(["run", "compile", "--format", "json"])
        .env("CARGO_TERM_COLOR", "always")
        .expect_code(1);
    let found = findings(&run);
    let error = found
        .iter()
        .find(|f| f["code"] == "command-rustc-error")
        .unwrap_or_else(|| panic!("no rustc error\n{}", run.context()));
    assert_eq!(error["severity"], "error");
    assert_eq!(error["file"], "crates/b/src/lib.rs", "{}", run.context());
    assert_eq!(error["line"], 2);
    assert_eq!(error["column"], 22);
    assert_eq!(error["message"], "mismatched types [E0308]");
    let warning = found
        .iter()
        .find(|f| f["code"] == "command-rustc-warning")
        .unwrap_or_else(|| panic!("no rustc warning\n{}", run.context()));
    assert_eq!(warning["severity"], "warning");
    assert_eq!(warning["file"], "crates/a/src/lib.rs");
    assert_eq!(warning["line"], 2);
    assert_eq!(warning["column"], 9);
    // One finding per diagnostic, besides the task's own.
    assert_eq!(found.len(), 3, "{}", run.context());
    assert!(found.iter().any(|f| f["code"] == "command-failed"));
    // The colours cargo was told to print never reach the report.
    let tail = run.json()["tasks"][0]["log_tail"].to_string();
    assert!(tail.contains("mismatched types"), "{}", run.context());
    assert!(
        !tail.contains("[31m") && !tail.contains("[0m") && !tail.contains("\\u001b"),
        "{tail}"
    );
}

#[test]
fn github_format_annotates_the_line_and_column() {
    let dir = broken_workspace();
    let run = dir
        .command(["run", "compile", "--format", "github"])
        .env_remove("GITHUB_STEP_SUMMARY")
        .expect_code(1);
    run.stdout_has(
        "::error file=crates/b/src/lib.rs,line=2,col=22,title=compile/command-rustc-error::mismatched types [E0308]",
    );
    run.stdout_has(
        "::warning file=crates/a/src/lib.rs,line=2,col=9,title=compile/command-rustc-warning::unused variable: `unused`",
    );
    // The human summary shows the place as rustc does.
    run.stdout_has("--> crates/b/src/lib.rs:2:22");
}

#[test]
fn a_passing_task_gives_its_warnings_as_notices_and_passes() {
    let dir = broken_workspace();
    dir.create("crates/b/src/lib.rs", "pub fn twice() -> u32 {\n    2\n}\n");
    let run = dir
        .command(["run", "compile", "--format", "github"])
        .env_remove("GITHUB_STEP_SUMMARY")
        .expect_success();
    run.stdout_has(
        "::notice file=crates/a/src/lib.rs,line=2,col=9,title=compile/command-rustc-warning::",
    );
    run.stdout_lacks("::error");
}

#[test]
fn fmt_check_diffs_become_file_findings_relative_to_the_root() {
    let dir = Dir::with_package("demo");
    dir.create("src/lib.rs", "pub fn answer()->u32{\n42}\n");
    dir.policy("[tasks.fmt]\nrun = \"cargo fmt --check\"\n");
    let run = dir
        .command(["run", "fmt", "--format", "json"])
        .expect_code(1);
    let found = findings(&run);
    let diff = found
        .iter()
        .find(|f| f["code"] == "command-fmt-diff")
        .unwrap_or_else(|| panic!("no fmt finding\n{}", run.context()));
    assert_eq!(diff["file"], "src/lib.rs", "{}", run.context());
    assert_eq!(diff["line"], 1);
    assert_eq!(diff["severity"], "error");
    assert_eq!(
        found
            .iter()
            .filter(|f| f["code"] == "command-fmt-diff")
            .count(),
        1
    );
}

#[test]
fn a_failed_clippy_task_annotates_each_lint_at_its_place() {
    let dir = Dir::with_package("demo");
    dir.create(
        "src/lib.rs",
        "pub fn answer() -> u32 {\n    return 42;\n}\n",
    );
    dir.policy(&format!(
        "[tasks.tidy]\nrun = \"cargo clippy -q -- -D warnings\"\nenv = {{ CARGO_TARGET_DIR = {:?} }}\n",
        shared_target_dir().join("diagnostics-clippy").display().to_string()
    ));
    let run = dir
        .command(["run", "tidy", "--format", "github"])
        .env_remove("GITHUB_STEP_SUMMARY")
        .expect_code(1);
    run.stdout_has("::error file=src/lib.rs,line=2,col=5,title=tidy/command-rustc-error::unneeded `return` statement");
}
