//! `--format github` (workflow-command annotations plus the job summary in
//! `$GITHUB_STEP_SUMMARY`) and `--format markdown`.

use crate::util::Dir;

/// One passing task, and one (named with a `:`) that prints a line and fails
/// with `%`, `,` and `:` in its message.
fn project() -> Dir {
    let dir = Dir::with_package("demo");
    dir.policy(
        r#"[tasks.ok]
run = "true"

[tasks."lint:deep"]
run = ["sh", "-c", "echo 'bad | line'; exit 3", "100%,a:b"]

[pipelines]
check = ["ok", "lint:deep"]
"#,
    );
    dir
}

#[test]
fn github_format_prints_annotations_with_escaped_properties_and_message() {
    let dir = project();
    let run = dir
        .command(["check", "--format", "github"])
        .env_remove("GITHUB_STEP_SUMMARY")
        .expect_code(1);
    let annotation = run
        .stdout()
        .lines()
        .find(|l| l.starts_with("::error "))
        .unwrap_or_else(|| panic!("no annotation\n{}", run.context()))
        .to_owned();
    assert_eq!(
        annotation,
        r"::error title=lint%3Adeep/command-failed::`sh -c 'echo '\''bad | line'\''; exit 3' 100%25,a:b` exited with status 3%0Ahelp: run `sh -c 'echo '\''bad | line'\''; exit 3' 100%25,a:b` to see its whole output, or re-run cargo perf with --verbose",
        "{}",
        run.context()
    );
    assert_eq!(
        run.stdout().matches("::error").count(),
        1,
        "{}",
        run.context()
    );
    // The human summary follows, for the log.
    run.stdout_has("Summary of `check`");
}

#[test]
fn github_format_appends_the_markdown_summary_to_the_step_summary_file() {
    let dir = project();
    let summary = dir.create("summary.md", "# earlier step\n");
    dir.command(["check", "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .expect_code(1);
    dir.command(["run", "ok", "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .expect_success()
        .stdout_lacks("::error");
    let text = dir.read("summary.md");
    assert!(
        text.starts_with("# earlier step\n## ❌ `cargo perf check` failed in "),
        "{text}"
    );
    assert!(text.contains("| `ok` | ✅ passed |"), "{text}");
    assert!(text.contains("| `lint:deep` | ❌ failed |"), "{text}");
    assert!(text.contains("## ✅ `cargo perf ok` passed in "), "{text}");
}

#[test]
fn an_unwritable_step_summary_is_reported_and_the_exit_code_kept() {
    let dir = project();
    dir.command(["run", "ok", "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", dir.join("no/such/dir/summary.md"))
        .expect_success()
        .stderr_has("cannot append to $GITHUB_STEP_SUMMARY");
}

#[test]
fn markdown_format_prints_the_task_table_findings_and_output() {
    let dir = project();
    let run = dir
        .command(["check", "--format", "markdown"])
        .expect_code(1);
    let out = run.stdout();
    assert!(
        out.starts_with("## ❌ `cargo perf check` failed in "),
        "{out}"
    );
    run.stdout_has("| Task | Status | Time | Details |")
        .stdout_has("| `ok` | ✅ passed |")
        .stdout_has("| `lint:deep` | ❌ failed |")
        .stdout_has("bad \\| line")
        .stdout_has("### Findings")
        .stdout_has("- ❌ **error** `lint:deep/command-failed`:")
        .stdout_has("  - help: run `sh -c")
        .stdout_has("<details><summary>last 1 lines of <code>lint:deep</code> output</summary>")
        .stdout_has("```text\nbad | line\n```");
    run.stdout_lacks("::error");
}

#[test]
fn markdown_of_a_passing_run_and_of_a_skipped_scope() {
    let dir = project();
    dir.git_init();
    let run = dir
        .command(["check", "--changed", "main", "--format", "markdown"])
        .expect_success();
    run.stdout_has("## ✅ `cargo perf check` passed")
        .stdout_has("| `ok` | ⏭️ skipped |  | skipped: nothing changed (changes since `main`) |")
        .stdout_lacks("### Findings");
}
