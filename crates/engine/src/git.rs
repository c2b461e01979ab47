//! Git facts the tasks need (repository root, git dirs, tracked files), asked
//! of the real `git` binary so worktrees, `core.hooksPath` and every other
//! configuration behave exactly as they do for the user.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A git repository containing the workspace.
#[derive(Debug, Clone)]
pub struct GitRepo {
    /// The work tree's top-level directory.
    pub toplevel: PathBuf,
    /// This work tree's git dir (differs from `common_dir` in linked worktrees).
    pub git_dir: PathBuf,
    pub common_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run `git`: {0}")]
    Missing(std::io::Error),
    #[error("`git {args}` failed: {stderr}")]
    Failed { args: String, stderr: String },
}

impl GitError {
    pub fn hint(&self) -> &'static str {
        match self {
            GitError::Missing(_) => "install git (e.g. `apt-get install git`) so it is on PATH",
            GitError::Failed { .. } => "check the repository with `git status`",
        }
    }
}

impl GitRepo {
    /// The repository containing `dir`, or `None` when `dir` is not in one.
    pub fn discover(dir: &Path) -> Result<Option<Self>, GitError> {
        let output = git_output(
            dir,
            [
                "rev-parse",
                "--show-toplevel",
                "--absolute-git-dir",
                "--git-common-dir",
            ],
        )?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            if stderr.contains("not a git repository") {
                return Ok(None);
            }
            return Err(GitError::Failed {
                args: "rev-parse".into(),
                stderr: stderr.trim().to_owned(),
            });
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let mut lines = stdout.lines();
        let (Some(toplevel), Some(git_dir), Some(common)) =
            (lines.next(), lines.next(), lines.next())
        else {
            return Ok(None);
        };
        let toplevel = PathBuf::from(toplevel);
        let git_dir = PathBuf::from(git_dir);
        let common_dir = if Path::new(common).is_absolute() {
            PathBuf::from(common)
        } else {
            dir.join(common)
        };
        Ok(Some(GitRepo {
            toplevel,
            git_dir,
            common_dir,
        }))
    }

    /// Runs git in the work tree and returns its stdout; a non-zero exit is an error.
    pub fn run<I, S>(&self, args: I) -> Result<Vec<u8>, GitError>
    where
        I: IntoIterator<Item = S> + Clone,
        S: AsRef<OsStr>,
    {
        let output = git_output(&self.toplevel, args.clone())?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(GitError::Failed {
                args: args
                    .into_iter()
                    .map(|a| a.as_ref().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(" "),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            })
        }
    }

    /// `HEAD`'s full commit hash; `None` before the first commit.
    pub fn head_commit(&self) -> Option<String> {
        let stdout = self
            .run(["rev-parse", "--verify", "--quiet", "HEAD"])
            .ok()?;
        Some(String::from_utf8_lossy(&stdout).trim().to_owned()).filter(|c| !c.is_empty())
    }

    /// Whether tracked files differ from `HEAD` (untracked files do not count).
    pub fn is_dirty(&self) -> bool {
        self.run(["status", "--porcelain", "--untracked-files=no"])
            .is_ok_and(|stdout| !stdout.is_empty())
    }

    /// Paths git tracks, relative to the work tree's top level.
    pub fn tracked_files(&self) -> Result<Vec<PathBuf>, GitError> {
        let stdout = self.run(["ls-files", "-z", "--full-name"])?;
        Ok(stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
            .collect())
    }

    /// The hooks directory git really uses (honours worktrees and `core.hooksPath`).
    pub fn hooks_dir(&self) -> Result<PathBuf, GitError> {
        let stdout = self.run(["rev-parse", "--git-path", "hooks"])?;
        let path = PathBuf::from(String::from_utf8_lossy(&stdout).trim());
        Ok(if path.is_absolute() {
            path
        } else {
            self.toplevel.join(path)
        })
    }
}

fn git_output<I, S>(dir: &Path, args: I) -> Result<Output, GitError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(GitError::Missing)
}
