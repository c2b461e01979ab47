//! The baseline of `--diff`: the folded stacks of a saved profile directory,
//! or of the same target built and profiled at a git revision in a temporary
//! `git worktree` that is removed afterwards, even when something fails.

use std::path::{Path, PathBuf};

use cargo_perf_engine::{TaskContext, TaskError};

/// A temporary detached worktree, removed on drop.
pub(crate) struct Worktree {
    repo_root: PathBuf,
    pub path: PathBuf,
}

impl Worktree {
    pub(crate) fn add(repo_root: &Path, path: PathBuf, rev: &str) -> Result<Self, TaskError> {
        remove_abandoned(repo_root, &path);
        let output = git(repo_root)
            .args(["worktree", "add", "--detach", "--quiet"])
            .arg(&path)
            .arg(rev)
            .output()
            .map_err(|err| TaskError::new(format!("cannot run git: {err}")))?;
        if !output.status.success() {
            return Err(TaskError::new(format!(
                "cannot check out `{rev}` for the baseline: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ))
            .hint("pass a saved profile directory or a revision `git rev-parse` knows (e.g. `main`, `HEAD~1`)"));
        }
        Ok(Worktree {
            repo_root: repo_root.to_owned(),
            path,
        })
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let _ = git(&self.repo_root)
            .args(["worktree", "remove", "--force"])
            .arg(&self.path)
            .output();
        let _ = git(&self.repo_root).args(["worktree", "prune"]).output();
    }
}

/// Fails early, before anything is recorded, when `rev` names no commit.
pub(crate) fn verify_revision(repo_root: &Path, rev: &str) -> Result<(), TaskError> {
    let output = git(repo_root)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{rev}^{{commit}}"))
        .output()
        .map_err(|err| TaskError::new(format!("cannot run git: {err}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(TaskError::new(format!(
            "`{rev}` is neither a saved profile directory nor a git revision"
        ))
        .hint("pass a directory written by `cargo perf profile` (it holds stacks.folded), or a revision such as `main` or `HEAD~1`"))
    }
}

/// Removes baseline worktrees of runs that were killed before they could
/// clean up (their process is gone), and this run's own leftover path.
fn remove_abandoned(repo_root: &Path, path: &Path) {
    let Some(parent) = path.parent() else {
        return;
    };
    for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(WORKTREE_PREFIX) else {
            continue;
        };
        let alive = Path::new("/proc").join(pid).exists();
        if entry.path() == path || !alive {
            let _ = git(repo_root)
                .args(["worktree", "remove", "--force"])
                .arg(entry.path())
                .output();
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let _ = git(repo_root).args(["worktree", "prune"]).output();
}

/// Baseline worktrees are named `<prefix><pid>`.
pub(crate) const WORKTREE_PREFIX: &str = "baseline-worktree-";

fn git(dir: &Path) -> std::process::Command {
    let mut command = std::process::Command::new("git");
    command.current_dir(dir).stdin(std::process::Stdio::null());
    command
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

/// The folded stacks of a saved profile.
pub(crate) fn read_saved(cx: &TaskContext<'_>, path: &Path) -> Result<Vec<u8>, TaskError> {
    let file = if path.is_dir() {
        path.join(super::FOLDED)
    } else {
        path.to_owned()
    };
    cx.step(&format!("reading the baseline {}", file.display()));
    std::fs::read(&file).map_err(|err| {
        TaskError::new(format!("cannot read the baseline {}: {err}", file.display())).hint(
            "pass a directory written by `cargo perf profile` (it holds stacks.folded), or a git revision",
        )
    })
}
