//! `--baseline-rev`: a temporary, detached git worktree of the baseline
//! revision, removed again however the run ends (the guard's `Drop`).

use std::path::{Path, PathBuf};

use cargo_perf_engine::TaskError;
use cargo_perf_engine::git::GitRepo;

pub(crate) struct Worktree<'a> {
    git: &'a GitRepo,
    tree: PathBuf,
    /// The workspace root inside the worktree.
    pub(crate) root: PathBuf,
    /// A target dir of its own, so the two builds never share artifacts.
    pub(crate) target_dir: PathBuf,
    pub(crate) commit: String,
    _temp: tempfile::TempDir,
}

impl<'a> Worktree<'a> {
    pub(crate) fn add(
        git: &'a GitRepo,
        rev: &str,
        workspace_root: &Path,
    ) -> Result<Self, TaskError> {
        let commit = git
            .run(["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
            .map_err(|_| {
                TaskError::new(format!("`{rev}` is not a commit of this repository"))
                    .hint("give a branch, tag or commit, e.g. `--baseline-rev main` or `--baseline-rev HEAD~1`")
            })?;
        let commit = String::from_utf8_lossy(&commit).trim().to_owned();
        let temp = tempfile::Builder::new()
            .prefix("cargo-perf-baseline-")
            .tempdir()
            .map_err(|e| TaskError::new(format!("cannot create a temporary directory: {e}")))?;
        let tree = temp.path().join("tree");
        git.run([
            "worktree".as_ref(),
            "add".as_ref(),
            "--detach".as_ref(),
            "--quiet".as_ref(),
            tree.as_os_str(),
            commit.as_ref(),
        ])?;
        let inside = workspace_root
            .strip_prefix(&git.toplevel)
            .unwrap_or(Path::new(""));
        Ok(Worktree {
            git,
            root: tree.join(inside),
            target_dir: temp.path().join("target"),
            tree,
            commit,
            _temp: temp,
        })
    }
}

impl Drop for Worktree<'_> {
    fn drop(&mut self) {
        let _ = self.git.run([
            "worktree".as_ref(),
            "remove".as_ref(),
            "--force".as_ref(),
            self.tree.as_os_str(),
        ]);
        let _ = self.git.run(["worktree", "prune"]);
    }
}
