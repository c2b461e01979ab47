//! criterion's own files: `<target>/criterion/**/new/sample.json` with its
//! sibling `benchmark.json`. Every sample is used: sample i took `times[i]` ns
//! for `iters[i]` iterations. Criterion 0.3.6 through the current 0.8 write
//! `{"sampling_mode": .., "iters": [..], "times": [..]}`; 0.3.0 and 0.2 wrote a
//! bare pair `[[iters..], [times..]]` (recordings of each in
//! `tests/fixtures/bench/criterion/`). Every one of them writes `full_id` in
//! `benchmark.json`; the other fields are a fallback.

use std::path::Path;
use std::time::SystemTime;

use serde::Deserialize;

use super::Parsed;

#[derive(Deserialize)]
#[serde(untagged)]
enum SampleFile {
    Keyed { iters: Vec<f64>, times: Vec<f64> },
    Pair(Vec<f64>, Vec<f64>),
}

#[derive(Deserialize)]
struct BenchmarkFile {
    full_id: Option<String>,
    group_id: Option<String>,
    function_id: Option<String>,
    value_str: Option<String>,
}

/// Reads every benchmark under `dir` written at or after `since`; a file that
/// does not parse is returned as an error naming it.
pub(crate) fn read(dir: &Path, since: Option<SystemTime>) -> Vec<Result<Parsed, String>> {
    let mut out = Vec::new();
    walk(dir, dir, since, &mut out);
    out.sort_by(|a, b| match (a, b) {
        (Ok(a), Ok(b)) => a.id.cmp(&b.id),
        _ => std::cmp::Ordering::Equal,
    });
    out
}

fn walk(root: &Path, dir: &Path, since: Option<SystemTime>, out: &mut Vec<Result<Parsed, String>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        // Never follow a symlink: it could lead out of the target dir.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if !kind.is_dir() {
            continue;
        }
        let path = entry.path();
        if entry.file_name() == "new" {
            let sample = path.join("sample.json");
            let fresh = std::fs::symlink_metadata(&sample)
                .and_then(|m| m.modified())
                .is_ok_and(|t| since.is_none_or(|s| t >= s));
            if fresh {
                out.push(read_one(root, &path));
            }
        } else if entry.file_name() != "report" {
            walk(root, &path, since, out);
        }
    }
}

pub(crate) fn read_one(root: &Path, new_dir: &Path) -> Result<Parsed, String> {
    let sample_path = new_dir.join("sample.json");
    let text = std::fs::read_to_string(&sample_path)
        .map_err(|e| format!("{}: {e}", sample_path.display()))?;
    let (iters, times) = match serde_json::from_str::<SampleFile>(&text) {
        Ok(SampleFile::Keyed { iters, times } | SampleFile::Pair(iters, times)) => (iters, times),
        Err(e) => {
            return Err(format!(
                "{}: not a criterion sample file ({e})",
                sample_path.display()
            ));
        }
    };
    if iters.len() != times.len() || iters.is_empty() || iters.iter().any(|n| *n <= 0.0) {
        return Err(format!(
            "{}: `iters` and `times` do not pair up",
            sample_path.display()
        ));
    }
    let id = std::fs::read_to_string(new_dir.join("benchmark.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<BenchmarkFile>(&t).ok())
        .and_then(|b| {
            b.full_id.or_else(|| {
                let parts: Vec<String> = [b.group_id, b.function_id, b.value_str]
                    .into_iter()
                    .flatten()
                    .collect();
                (!parts.is_empty()).then(|| parts.join("/"))
            })
        })
        .unwrap_or_else(|| {
            let bench_dir = new_dir.parent().unwrap_or(new_dir);
            bench_dir
                .strip_prefix(root)
                .unwrap_or(bench_dir)
                .to_string_lossy()
                .into_owned()
        });
    Ok(Parsed {
        id,
        unit: "ns",
        samples: times.iter().zip(&iters).map(|(t, n)| t / n).collect(),
        spread: None,
        standard_error: None,
    })
}
