//! The baseline of `--diff`: the folded stacks of a saved profile directory,
//! or of the same target built and profiled at a git revision in a temporary
//! `git worktree` that is removed afterwards, even when something fails.

use std::path::{Path, PathBuf};

use cargo_perf_engine::git::GitRepo;
use cargo_perf_engine::{TaskContext, TaskError};

use super::fold::Folded;

/// Fails early, before anything is recorded, when `rev` names no commit.
pub(crate) fn verify_revision(repo: &GitRepo, rev: &str) -> Result<(), TaskError> {
    match crate::worktree::resolve_commit(repo, rev) {
        Some(_) => Ok(()),
        None => Err(TaskError::new(format!(
            "`{rev}` is neither a saved profile directory nor a git revision"
        ))
        .hint("pass a directory written by `cargo perf profile` (it holds stacks.folded), or a revision such as `main` or `HEAD~1`")),
    }
}

/// What `--diff` names: a directory holding `stacks.folded` (or the file itself), else a revision.
pub(crate) enum Source {
    Saved(PathBuf),
    Revision(String),
}

pub(crate) fn source(spec: &str, cwd: &Path) -> Source {
    let path = cwd.join(spec);
    if path.is_dir() || path.is_file() {
        Source::Saved(path)
    } else {
        Source::Revision(spec.to_owned())
    }
}

/// A saved profile of the other kind (heap against CPU) is refused: its
/// stacks count bytes where this run's count samples, or the reverse. Only
/// a directory whose manifest names its recorder is checked.
pub(crate) fn check_kind(path: &Path, memory: bool) -> Result<(), TaskError> {
    let Ok(text) = std::fs::read(path.join(super::MANIFEST)) else {
        return Ok(());
    };
    let Ok(manifest) = serde_json::from_slice::<serde_json::Value>(&text) else {
        return Ok(());
    };
    let Some(tool) = manifest["recorder"]["tool"].as_str() else {
        return Ok(());
    };
    let saved_memory = tool == "dhat";
    if saved_memory == memory {
        return Ok(());
    }
    let (saved, this) = match saved_memory {
        true => ("a heap profile (--memory)", "a CPU profile"),
        false => ("a CPU profile", "a heap profile (--memory)"),
    };
    Err(TaskError::new(format!(
        "the baseline {} is {saved}, and this run records {this}",
        path.display()
    ))
    .hint(match saved_memory {
        true => "add --memory to compare heaps, or pass a CPU profile's directory",
        false => "drop --memory to compare CPU profiles, or pass the directory of a --memory run",
    }))
}

/// The folded stacks of a saved profile, with its stacks per compiled
/// function when it has them.
pub(crate) fn read_saved(cx: &TaskContext<'_>, path: &Path) -> Result<Folded, TaskError> {
    let file = if path.is_dir() {
        path.join(super::FOLDED)
    } else {
        path.to_owned()
    };
    cx.step(&format!("reading the baseline {}", file.display()));
    let stacks = std::fs::read(&file).map_err(|err| {
        TaskError::new(format!("cannot read the baseline {}: {err}", file.display())).hint(
            "pass a directory written by `cargo perf profile` (it holds stacks.folded), or a git revision",
        )
    })?;
    // A stacks file named on its own is taken alone.
    let functions = path
        .is_dir()
        .then(|| std::fs::read(path.join(super::FUNCTIONS_FOLDED)).ok())
        .flatten();
    Ok(Folded { stacks, functions })
}
