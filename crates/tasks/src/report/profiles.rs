//! The newest profile run of each profiled target, from the run directories
//! the profile task leaves under `<target>/cargo-perf/profile/`: its
//! `manifest.json` (read tolerantly: a field it lacks is simply not shown)
//! and its flamegraphs, embedded as written so they keep inferno's search
//! and zoom.

use std::path::{Path, PathBuf};

use cargo_perf_engine::dashboard::ProfileView;
use serde_json::Value;

/// The newest run of each target, in the order their newest runs were made,
/// and a note for each run directory whose manifest could not be read.
pub(super) fn latest(
    target_dir: &Path,
    relative: &dyn Fn(&Path) -> PathBuf,
) -> (Vec<ProfileView>, Vec<String>) {
    let mut views: Vec<ProfileView> = Vec::new();
    let mut notes = Vec::new();
    let runs = crate::tool_output::list_runs(&crate::tool_output::profile_runs(target_dir));
    for dir in runs.iter().rev() {
        let manifest = dir.join("manifest.json");
        let value = match std::fs::read(&manifest)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|e| e.to_string()))
        {
            Ok(value) => value,
            Err(reason) => {
                notes.push(format!(
                    "skipped {}: {reason}",
                    relative(&manifest).display()
                ));
                continue;
            }
        };
        let view = view(&value, dir, relative);
        if !views.iter().any(|v| v.target == view.target) {
            views.push(view);
        }
    }
    views.reverse();
    (views, notes)
}

fn view(manifest: &Value, dir: &Path, relative: &dyn Fn(&Path) -> PathBuf) -> ProfileView {
    let text = |key: &str| manifest.get(key).and_then(Value::as_str).map(str::to_owned);
    let number = |key: &str| manifest.get(key).and_then(Value::as_u64);
    let unwind = |key: &str| {
        manifest
            .get("unwind")
            .and_then(|u| u.get(key))
            .and_then(Value::as_f64)
    };
    let mut target = text("target").unwrap_or_else(|| "unknown target".to_owned());
    if target == "a command"
        && let Some(program) = manifest
            .get("command")
            .and_then(|c| c.get(0))
            .and_then(Value::as_str)
    {
        let name = Path::new(program)
            .file_name()
            .map_or(program.into(), |n| n.to_string_lossy());
        target = format!("command `{name}`");
    }
    let svg_name = manifest
        .get("files")
        .and_then(|f| f.get("svg"))
        .and_then(Value::as_str)
        .unwrap_or("flamegraph.svg");
    ProfileView {
        target,
        dir: relative(dir),
        created: number("created_unix"),
        commit: text("commit"),
        samples: number("sample_count"),
        unknown_percent: unwind("unknown_percent"),
        truncated_percent: unwind("truncated_percent"),
        top_self: top(manifest.get("top_self")),
        top_inclusive: top(manifest.get("top_inclusive")),
        flamegraph: std::fs::read_to_string(dir.join(svg_name)).ok(),
        diff: std::fs::read_to_string(dir.join("diff.svg")).ok(),
    }
}

/// The first ten `{function, percent}` entries of a manifest list.
fn top(list: Option<&Value>) -> Vec<(String, f64)> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some((
                e.get("function")?.as_str()?.to_owned(),
                e.get("percent")?.as_f64()?,
            ))
        })
        .take(10)
        .collect()
}
