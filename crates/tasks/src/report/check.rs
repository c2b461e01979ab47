//! The last `cargo perf check`: the binary hands its JSON document (the
//! documented `--format json` one, see docs/json.md) to [`store_last_check`],
//! which keeps it as `<target>/cargo-perf/last-check.json`; the report reads
//! it back tolerantly, so a document of an older or newer version shows what
//! it can.

use std::path::{Path, PathBuf};

use cargo_perf_engine::dashboard::{CheckedFinding, CheckedMetric, CheckedTask, LastCheck};
use cargo_perf_engine::{Project, fsutil::write_atomic_unsynced};
use serde_json::Value;

fn path(target_dir: &Path) -> PathBuf {
    crate::tool_output::root(target_dir).join("last-check.json")
}

/// Keeps `json` (a check's `--format json` document) for the next report.
/// Before the first build there is no target dir, and a check does not make
/// one (the gitignore task judges an absent target dir more gently): then
/// nothing is kept and `None` returned.
pub fn store_last_check(project: &Project, json: &str) -> std::io::Result<Option<PathBuf>> {
    if !project.workspace.target_dir.is_dir() {
        return Ok(None);
    }
    let path = path(&project.workspace.target_dir);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    write_atomic_unsynced(&path, json.as_bytes())?;
    Ok(Some(path))
}

/// The stored check, or `None` (with a note when the file is there but unreadable).
pub(super) fn load(target_dir: &Path) -> (Option<LastCheck>, Option<String>) {
    let path = path(target_dir);
    let Ok(bytes) = std::fs::read(&path) else {
        return (None, None);
    };
    let time = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs());
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(doc) => (Some(parse(&doc, time)), None),
        Err(err) => (
            None,
            Some(format!(
                "skipped the last check's record: not valid JSON ({err})"
            )),
        ),
    }
}

fn parse(doc: &Value, time: Option<u64>) -> LastCheck {
    let tasks = doc
        .get("tasks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(task)
        .collect();
    LastCheck {
        passed: doc.get("exit_code").and_then(Value::as_u64) == Some(0),
        time,
        tasks,
    }
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn task(value: &Value) -> CheckedTask {
    let list = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    CheckedTask {
        name: text(value, "name").unwrap_or_default(),
        status: text(value, "status").unwrap_or_default(),
        summary: text(value, "summary"),
        findings: list("findings").iter().map(finding).collect(),
        metrics: list("metrics")
            .iter()
            .filter_map(|m| {
                Some(CheckedMetric {
                    name: text(m, "name")?,
                    value: m.get("value")?.as_f64()?,
                    unit: text(m, "unit").unwrap_or_default(),
                    budget: m.get("budget").and_then(Value::as_f64),
                })
            })
            .collect(),
    }
}

fn finding(value: &Value) -> CheckedFinding {
    let location =
        text(value, "file").map(|file| match value.get("line").and_then(Value::as_u64) {
            Some(line) => format!("{file}:{line}"),
            None => file,
        });
    CheckedFinding {
        severity: text(value, "severity").unwrap_or_default(),
        code: text(value, "code").unwrap_or_default(),
        message: text(value, "message").unwrap_or_default(),
        location,
        help: text(value, "help"),
    }
}
