//! A temporary, detached git worktree of another revision, for the tasks that
//! compare against one (`profile --diff REV`, `bench --baseline-rev REV`). It
//! lives under `<target dir>/cargo-perf/`, never in the user's tree; it is
//! removed on drop however the run ends, and worktrees left behind by runs that
//! were killed are removed before a new one is added.

use std::path::{Path, PathBuf};

use cargo_perf_engine::TaskError;
use cargo_perf_engine::git::GitRepo;

/// Worktree directories are named `<purpose>-worktree-<pid>`.
const MARK: &str = "-worktree-";

pub(crate) struct Worktree {
    repo_root: PathBuf,
    /// The worktree's top level.
    pub(crate) path: PathBuf,
    /// The commit checked out.
    pub(crate) commit: String,
}

impl Worktree {
    /// Checks out `rev` detached at `<target_dir>/cargo-perf/<purpose>-worktree-<pid>`.
    pub(crate) fn add(
        repo: &GitRepo,
        target_dir: &Path,
        purpose: &str,
        rev: &str,
    ) -> Result<Self, TaskError> {
        let commit = resolve_commit(repo, rev).ok_or_else(|| {
            TaskError::new(format!("`{rev}` is not a commit of this repository"))
                .hint("give a branch, tag or commit, e.g. `main` or `HEAD~1`")
        })?;
        let parent = crate::tool_output::root(target_dir);
        std::fs::create_dir_all(&parent)
            .map_err(|err| TaskError::new(format!("cannot create {}: {err}", parent.display())))?;
        let path = parent.join(format!("{purpose}{MARK}{}", std::process::id()));
        remove_abandoned(repo, &parent, &path);
        repo.run([
            "worktree".as_ref(),
            "add".as_ref(),
            "--detach".as_ref(),
            "--quiet".as_ref(),
            path.as_os_str(),
            commit.as_ref(),
        ])
        .map_err(|err| {
            TaskError::new(format!(
                "cannot check out `{rev}` in a temporary worktree: {err}"
            ))
            .hint("check the revision with `git rev-parse`, and that the target dir is writable")
        })?;
        Ok(Worktree {
            repo_root: repo.toplevel.clone(),
            path,
            commit,
        })
    }

    /// Where `workspace_root` (a directory of the current work tree) is inside this worktree.
    pub(crate) fn workspace_root(&self, workspace_root: &Path) -> PathBuf {
        self.path.join(
            workspace_root
                .strip_prefix(&self.repo_root)
                .unwrap_or(Path::new("")),
        )
    }

    /// Gives the worktree's workspace at `workspace_root` the working
    /// tree's `Cargo.lock` when the commit has none (a library that does
    /// not commit its lock file): cargo would otherwise resolve the newest
    /// versions there, and the two trees would be built and measured with
    /// different dependencies. Returns whether it did.
    pub(crate) fn adopt_lock_file(&self, workspace_root: &Path) -> bool {
        let ours = workspace_root.join("Cargo.lock");
        let theirs = self.workspace_root(workspace_root).join("Cargo.lock");
        ours.is_file() && !theirs.exists() && std::fs::copy(&ours, &theirs).is_ok()
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        remove(&self.repo_root, &self.path);
    }
}

/// The full hash of the commit `rev` names, or `None` when it names none.
pub(crate) fn resolve_commit(repo: &GitRepo, rev: &str) -> Option<String> {
    let stdout = repo
        .run([
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{rev}^{{commit}}"),
        ])
        .ok()?;
    Some(String::from_utf8_lossy(&stdout).trim().to_owned())
}

/// Removes worktrees in `parent` whose process is gone, and a leftover at `ours`.
fn remove_abandoned(repo: &GitRepo, parent: &Path, ours: &Path) {
    for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((_, pid)) = name.rsplit_once(MARK) else {
            continue;
        };
        let alive = !pid.is_empty()
            && pid.bytes().all(|b| b.is_ascii_digit())
            && Path::new("/proc").join(pid).exists();
        if entry.path() == ours || !alive {
            remove(&repo.toplevel, &entry.path());
        }
    }
}

fn remove(repo_root: &Path, path: &Path) {
    let git = |args: &[&std::ffi::OsStr]| {
        let _ = cargo_perf_engine::git::command(repo_root)
            .args(args)
            .output();
    };
    git(&[
        "worktree".as_ref(),
        "remove".as_ref(),
        "--force".as_ref(),
        path.as_os_str(),
    ]);
    let _ = std::fs::remove_dir_all(path);
    git(&["worktree".as_ref(), "prune".as_ref()]);
}
