//! `manifest.json`: what produced a profile (commit, compiler, command,
//! recorder settings) and what it holds (sample counts), so a profile kept
//! for months can still be compared or reproduced.

use std::process::Command;

use cargo_perf_engine::git::GitRepo;
use serde_json::{Value, json};

/// Facts about the toolchain and the source, asked once per run.
pub(crate) fn rustc_version() -> Option<String> {
    let output = Command::new("rustc").arg("--version").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `HEAD`'s commit, with `-dirty` when the work tree has changes.
pub(crate) fn commit(repo: Option<&GitRepo>) -> Option<String> {
    let repo = repo?;
    let commit = repo.head_commit()?;
    Some(if repo.is_dirty() {
        format!("{commit}-dirty")
    } else {
        commit
    })
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(crate) fn to_bytes(manifest: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

pub(crate) fn top_list(entries: &[(String, f64)]) -> Value {
    Value::Array(
        entries
            .iter()
            .map(|(name, share)| json!({ "function": name, "percent": round(*share) }))
            .collect(),
    )
}

pub(crate) fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
