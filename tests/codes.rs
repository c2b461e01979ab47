//! Every finding code is declared once, named `<task>-<kebab-name>`, and
//! documented with its severity and fix in its task's docs page; metric
//! names are checked against their grammar (and the check itself is tested).

use std::collections::BTreeSet;
use std::path::Path;

use cargo_perf_tasks::codes;
use cargo_perf_tasks::engine::Severity;
use serde_json::json;

use crate::util::{check_codes, check_metric_names, metric_segments};

/// The docs page that lists a task's codes.
fn page(task: &str) -> &'static str {
    match task {
        "engine" => "json.md",
        "command" => "policy.md",
        "gitignore" => "gitignore.md",
        "clean" => "clean.md",
        "build" => "build.md",
        "bench" => "bench.md",
        "profile" => "profile.md",
        "lint" => "lint.md",
        other => panic!("no docs page for the codes of `{other}`"),
    }
}

fn read(page: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(page);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The rows of the page's findings table: `| code | severity | meaning | fix |`.
fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|cells| cells.len() == 4)
        .collect()
}

fn word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

#[test]
fn every_code_is_unique_and_starts_with_its_task() {
    let all = codes::all();
    let mut seen = BTreeSet::new();
    for code in &all {
        assert!(seen.insert(code.code), "`{}` is declared twice", code.code);
        let name = code
            .code
            .strip_prefix(code.task)
            .and_then(|rest| rest.strip_prefix('-'))
            .unwrap_or_else(|| panic!("`{}` does not start with `{}-`", code.code, code.task));
        assert!(
            !name.is_empty()
                && name.split('-').all(|w| !w.is_empty()
                    && w.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
            "`{}` is not kebab-case",
            code.code
        );
        assert!(
            !name.starts_with(&format!("{}-", code.task)),
            "`{}` stutters",
            code.code
        );
        assert!(!code.summary.is_empty(), "`{}` has no summary", code.code);
    }
    let tasks: BTreeSet<&str> = all.iter().map(|c| c.task).collect();
    assert_eq!(
        tasks,
        BTreeSet::from([
            "bench",
            "build",
            "clean",
            "command",
            "engine",
            "gitignore",
            "lint",
            "profile"
        ])
    );
}

#[test]
fn every_code_is_documented_with_its_severity_and_fix() {
    for code in codes::all() {
        let page = page(code.task);
        let text = read(page);
        let row = rows(&text)
            .into_iter()
            .find(|cells| cells[0] == format!("`{}`", code.code))
            .unwrap_or_else(|| {
                panic!(
                    "docs/{page} has no row `| `{}` | severity | meaning | fix |` in its Findings table",
                    code.code
                )
            });
        assert!(
            row[1].starts_with(word(code.severity)),
            "docs/{page}: `{}` is {} but documented as `{}`",
            code.code,
            word(code.severity),
            row[1]
        );
        assert!(
            !row[2].is_empty(),
            "docs/{page}: `{}` has no meaning",
            code.code
        );
        assert!(
            !row[3].is_empty(),
            "docs/{page}: `{}` has no fix",
            code.code
        );
    }
}

#[test]
fn every_documented_code_exists() {
    let declared: BTreeSet<String> = codes::all()
        .iter()
        .map(|c| format!("`{}`", c.code))
        .collect();
    for page in [
        "json.md",
        "policy.md",
        "gitignore.md",
        "clean.md",
        "build.md",
        "bench.md",
        "profile.md",
        "lint.md",
    ] {
        let text = read(page);
        let table = text
            .split("## Findings")
            .nth(1)
            .unwrap_or_else(|| panic!("docs/{page} has no `## Findings` section"));
        let table = table.split("\n## ").next().unwrap_or_default();
        for row in rows(table) {
            assert!(
                declared.contains(&row[0]),
                "docs/{page} documents {}, which no task declares",
                row[0]
            );
        }
    }
}

#[test]
fn metric_segments_follow_the_escaping_rule() {
    assert_eq!(
        metric_segments(r"bench.parse/large\.json.user").unwrap(),
        ["bench", "parse/large.json", "user"]
    );
    assert_eq!(metric_segments(r"t.a\\.b").unwrap(), ["t", r"a\", "b"]);
    assert_eq!(metric_segments(r"t.a\\\.b").unwrap(), ["t", r"a\.b"]);
    assert_eq!(metric_segments(r"t.a\b"), None);
    assert_eq!(metric_segments("t..b"), None);
    assert_eq!(metric_segments("t.b."), None);
}

#[test]
fn the_json_check_rejects_names_outside_the_grammar() {
    let doc = |kind: &str, task: &str, name: &str| json!({"tasks": [{"name": task, "kind": kind, "metrics": [{"name": name}]}]});
    assert!(check_metric_names(&doc("builtin", "build", "build.noop")).is_ok());
    assert!(check_metric_names(&doc("builtin", "build", "build.incremental.core")).is_ok());
    assert!(check_metric_names(&doc("custom", "lint", "command.lint.time")).is_ok());
    // Today's old names: no task prefix, another task's, a bare task, a bad escape.
    for (kind, task, name) in [
        ("builtin", "build", "noop"),
        ("builtin", "build", "incremental/core"),
        ("builtin", "clean", "usage.debug.deps"),
        ("builtin", "build", "bench.x"),
        ("builtin", "build", "build"),
        ("builtin", "bench", r"bench.a\b"),
        ("custom", "lint", "lint.time"),
    ] {
        assert!(
            check_metric_names(&doc(kind, task, name)).is_err(),
            "{task}: `{name}` passed"
        );
    }
}

#[test]
fn the_json_check_rejects_codes_of_another_task() {
    let doc = |kind: &str, task: &str, code: &str| json!({"tasks": [{"name": task, "kind": kind, "findings": [{"code": code}]}]});
    assert!(check_codes(&doc("builtin", "gitignore", "gitignore-missing-ignore")).is_ok());
    assert!(check_codes(&doc("builtin", "build", "engine-task-error")).is_ok());
    assert!(check_codes(&doc("custom", "lint", "command-failed")).is_ok());
    for (kind, task, code) in [
        ("builtin", "gitignore", "missing-ignore"),
        ("builtin", "build", "bench-over-budget"),
        ("builtin", "build", "build-"),
        ("custom", "lint", "lint-failed"),
    ] {
        assert!(
            check_codes(&doc(kind, task, code)).is_err(),
            "{task}: `{code}` passed"
        );
    }
}
