//! Git facts the tasks need (repository root, git dirs, tracked files), asked
//! of the real `git` binary so worktrees, `core.hooksPath` and every other
//! configuration behave exactly as they do for the user.
//!
//! Every git process of the tool starts from [`command`]: one place sets
//! `LC_ALL=C` (so messages we match are git's English ones) and turns a failed
//! start into the right diagnosis. Paths go to git as `OsStr` and come back as
//! bytes (NUL-separated where git can), never through a lossy UTF-8 round trip.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

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
    #[error("cannot run `git`: it is not installed or not on PATH ({0})")]
    Missing(io::Error),
    #[error("cannot run `git` in {}: {source}", dir.display())]
    Spawn { dir: PathBuf, source: io::Error },
    #[error("`git {args}` failed: {stderr}")]
    Failed { args: String, stderr: String },
}

impl GitError {
    pub fn hint(&self) -> &'static str {
        match self {
            GitError::Missing(_) => "install git (e.g. `apt-get install git`) so it is on PATH",
            GitError::Spawn { .. } => {
                "check that the directory exists and that you may enter and read it"
            }
            GitError::Failed { .. } => "check the repository with `git status`",
        }
    }

    /// Why `git` could not be started in `dir`. The OS reports a missing
    /// working directory with the same ENOENT as a missing program, so git is
    /// called missing only when `dir` is really there.
    pub fn from_spawn(dir: &Path, source: io::Error) -> GitError {
        if source.kind() == io::ErrorKind::NotFound && dir.is_dir() {
            GitError::Missing(source)
        } else {
            GitError::Spawn {
                dir: dir.to_owned(),
                source,
            }
        }
    }

    fn failed<I, S>(args: I, stderr: &[u8]) -> GitError
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        GitError::Failed {
            args: args
                .into_iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" "),
            stderr: String::from_utf8_lossy(stderr).trim().to_owned(),
        }
    }
}

/// A `git` command run in `dir`, the one way the tool starts git: messages in
/// the C locale, no stdin unless the caller sets one.
pub fn command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    command
}

/// Starts `command` (made by [`command`] for `dir`), diagnosing a failed start.
pub fn spawn(command: &mut Command, dir: &Path) -> Result<Child, GitError> {
    command
        .spawn()
        .map_err(|err| GitError::from_spawn(dir, err))
}

impl GitRepo {
    /// The repository containing `dir`, or `None` when `dir` is not in one.
    pub fn discover(dir: &Path) -> Result<Option<Self>, GitError> {
        const ASKED: [&str; 3] = ["--show-toplevel", "--absolute-git-dir", "--git-common-dir"];
        let output = git_output(dir, std::iter::once("rev-parse").chain(ASKED))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            if stderr.contains("not a git repository") {
                return Ok(None);
            }
            return Err(GitError::failed(["rev-parse"], &output.stderr));
        }
        // One line per answer, unless a path holds a newline: then ask one at a time.
        let mut answers: Vec<Vec<u8>> = output
            .stdout
            .strip_suffix(b"\n")
            .unwrap_or(&output.stdout)
            .split(|b| *b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        if answers.len() != ASKED.len() {
            answers = ASKED
                .iter()
                .map(|flag| rev_parse_path(dir, flag))
                .collect::<Result<_, _>>()?;
        }
        let mut paths = answers
            .into_iter()
            .map(|bytes| PathBuf::from(OsString::from_vec(bytes)));
        let (Some(toplevel), Some(git_dir), Some(common)) =
            (paths.next(), paths.next(), paths.next())
        else {
            return Ok(None);
        };
        Ok(Some(GitRepo {
            toplevel,
            git_dir,
            common_dir: if common.is_absolute() {
                common
            } else {
                dir.join(common)
            },
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
            Err(GitError::failed(args, &output.stderr))
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

    /// The hooks directory git really uses (honours worktrees and `core.hooksPath`).
    pub fn hooks_dir(&self) -> Result<PathBuf, GitError> {
        let path = path_line(&self.run(["rev-parse", "--git-path", "hooks"])?);
        Ok(if path.is_absolute() {
            path
        } else {
            self.toplevel.join(path)
        })
    }
}

/// NUL-separated paths from git (`-z` output), kept as the bytes git gave.
pub fn nul_paths(stdout: &[u8]) -> Vec<PathBuf> {
    stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(OsStr::from_bytes(p)))
        .collect()
}

/// A path git printed alone on one line: only the final newline is git's.
fn path_line(stdout: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(
        stdout.strip_suffix(b"\n").unwrap_or(stdout),
    ))
}

/// `git rev-parse <flag>` in `dir`, as the raw bytes of the one path it prints.
fn rev_parse_path(dir: &Path, flag: &str) -> Result<Vec<u8>, GitError> {
    let output = git_output(dir, ["rev-parse", flag])?;
    if !output.status.success() {
        return Err(GitError::failed(["rev-parse", flag], &output.stderr));
    }
    Ok(path_line(&output.stdout)
        .into_os_string()
        .into_encoded_bytes())
}

fn git_output<I, S>(dir: &Path, args: I) -> Result<Output, GitError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    command(dir)
        .args(args)
        .output()
        .map_err(|err| GitError::from_spawn(dir, err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_is_not_a_missing_git() {
        let gone = Path::new("/nonexistent/cargo-perf/dir");
        let err = command(gone).arg("--version").output().unwrap_err();
        assert!(matches!(
            GitError::from_spawn(gone, err),
            GitError::Spawn { .. }
        ));
        let here = std::env::temp_dir();
        let err = std::process::Command::new("/nonexistent/git")
            .current_dir(&here)
            .output()
            .unwrap_err();
        assert!(matches!(
            GitError::from_spawn(&here, err),
            GitError::Missing(_)
        ));
    }

    #[test]
    fn git_speaks_english_to_us() {
        let command = command(Path::new("."));
        assert!(
            command
                .get_envs()
                .any(|(key, value)| key == "LC_ALL" && value == Some(OsStr::new("C")))
        );
    }

    #[test]
    fn paths_come_back_byte_for_byte() {
        let paths = nul_paths(b"a\nb\0\xff\xfe.o\0\0");
        assert_eq!(paths.len(), 2);
        assert_eq!(paths[0], Path::new("a\nb"));
        assert_eq!(paths[1].as_os_str().as_bytes(), b"\xff\xfe.o");
        assert_eq!(path_line(b"x\ny\n"), Path::new("x\ny"));
    }
}
