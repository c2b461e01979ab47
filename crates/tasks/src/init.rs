//! `cargo perf init`: a commented perf.toml tuned to the workspace, starting
//! from the policy crate's template and adding tasks for what the workspace has.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cargo_perf_engine::workspace::TargetKind;
use cargo_perf_engine::{Workspace, fsutil};
use cargo_perf_policy::TEMPLATE;

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{0} already exists")]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl InitError {
    pub fn hint(&self) -> &'static str {
        match self {
            InitError::Exists(_) => "pass --force to replace it, or edit the existing file",
            InitError::Write { .. } => "check that the workspace root is writable",
        }
    }
}

/// The perf.toml text for `workspace`.
pub fn render(workspace: &Workspace) -> String {
    let names_of = |kind: TargetKind| -> Vec<String> {
        workspace
            .members
            .iter()
            .flat_map(|m| {
                m.targets
                    .iter()
                    .filter(move |t| t.kind == kind)
                    .map(move |t| format!("{}/{}", m.name, t.name))
            })
            .collect()
    };
    let members: Vec<&str> = workspace.members.iter().map(|m| m.name.as_str()).collect();
    let benches = names_of(TargetKind::Bench);
    let bins = names_of(TargetKind::Bin);

    let mut out = String::from(TEMPLATE);
    let _ = writeln!(out, "\n# Found in this workspace:");
    let _ = writeln!(out, "#   members: {}", list_or_none(&members));
    let _ = writeln!(out, "#   binaries: {}", list_or_none(&bins));
    let _ = writeln!(out, "#   benches: {}", list_or_none(&benches));
    out.push_str(
        r#"
[tasks.clippy]
description = "No clippy warnings in any target"
run = "cargo clippy --workspace --all-targets -- -D warnings"

[tasks.test]
description = "The test suite passes"
run = "cargo test --workspace"
"#,
    );
    let mut check: Vec<&str> = crate::DEFAULT_CHECK.to_vec();
    check.extend(["fmt", "clippy", "test"]);
    if !benches.is_empty() {
        out.push_str(
            r#"
[tasks.bench-build]
description = "Benchmarks still compile"
run = "cargo bench --workspace --no-run"
"#,
        );
        check.push("bench-build");
    }
    let steps = check
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        out,
        "\n[pipelines]\n# What `cargo perf check` (and the git hooks) run.\ncheck = [{steps}]\n"
    );
    out
}

/// Writes the policy to `<root>/perf.toml`, or over the workspace's existing
/// policy (`.config/perf.toml` too) when `force`; refuses to replace one otherwise.
pub fn write(workspace: &Workspace, force: bool) -> Result<PathBuf, InitError> {
    let existing = cargo_perf_policy::LOOKUP
        .iter()
        .map(|rel| workspace.root.join(rel))
        .find(|path| path.exists());
    if let Some(path) = &existing
        && !force
    {
        return Err(InitError::Exists(path.clone()));
    }
    let path = existing.unwrap_or_else(|| workspace.root.join(cargo_perf_policy::FILE_NAME));
    write_to(&path, &render(workspace))?;
    Ok(path)
}

fn write_to(path: &Path, text: &str) -> Result<(), InitError> {
    fsutil::write_atomic(path, text.as_bytes()).map_err(|source| InitError::Write {
        path: path.to_owned(),
        source,
    })
}

fn list_or_none<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
