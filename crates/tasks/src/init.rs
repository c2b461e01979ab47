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
    #[error("{path} already exists: a symbolic link to {target}")]
    ExistsAsLink { path: PathBuf, target: PathBuf },
    #[error("cannot tell whether {path} exists: {source}")]
    Inspect {
        path: PathBuf,
        source: std::io::Error,
    },
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
            InitError::ExistsAsLink { .. } => {
                "pass --force to replace the link with a file, or fix the link"
            }
            InitError::Inspect { .. } => "check the permissions of the workspace root",
            InitError::Write { .. } => "check that the workspace root is writable",
        }
    }
}

/// What `init` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    /// Whether `--force` replaced a file (or link) of that name.
    pub replaced: bool,
    /// The custom tasks the policy declares.
    pub tasks: Vec<String>,
    /// The steps of its `check` pipeline.
    pub check: Vec<String>,
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
/// policy (`.config/perf.toml` too) when `force`; refuses to replace one
/// otherwise (a file, or a link even when it leads nowhere).
pub fn write(workspace: &Workspace, force: bool) -> Result<Written, InitError> {
    let (path, replaced) = match existing_policy(workspace)? {
        Some(path) if force => (path, true),
        Some(path) => return Err(refusal(path)),
        None => (workspace.root.join(cargo_perf_policy::FILE_NAME), false),
    };
    let text = render(workspace);
    write_to(&path, &text)?;
    let (tasks, check) = declared(&text);
    Ok(Written {
        path,
        replaced,
        tasks,
        check,
    })
}

/// The first policy file of the lookup order that exists as a name.
fn existing_policy(workspace: &Workspace) -> Result<Option<PathBuf>, InitError> {
    for rel in cargo_perf_policy::LOOKUP {
        let path = workspace.root.join(rel);
        match std::fs::symlink_metadata(&path) {
            Ok(_) => return Ok(Some(path)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(InitError::Inspect { path, source }),
        }
    }
    Ok(None)
}

fn refusal(path: PathBuf) -> InitError {
    match std::fs::symlink_metadata(&path) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            let target = std::fs::read_link(&path).unwrap_or_default();
            InitError::ExistsAsLink { path, target }
        }
        _ => InitError::Exists(path),
    }
}

/// The custom tasks and `check` steps of the policy text, as the loader reads them.
fn declared(text: &str) -> (Vec<String>, Vec<String>) {
    let source = cargo_perf_policy::SourceFile::new(cargo_perf_policy::FILE_NAME, text);
    let Ok(policy) = cargo_perf_policy::parse(source) else {
        return (Vec::new(), Vec::new());
    };
    let tasks = policy.tasks.iter().map(|t| t.name.value.clone()).collect();
    let check = policy
        .pipeline("check")
        .map(|p| p.steps.iter().map(|s| s.value.clone()).collect())
        .unwrap_or_default();
    (tasks, check)
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
