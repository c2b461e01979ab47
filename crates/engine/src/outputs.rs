//! Where a task may write a directory of outputs (bench history, profiles):
//! a location from perf.toml must lead, through any symbolic link, into the
//! workspace or its target dir; no location may be inside a git directory
//! or hold files git tracks, so an output never replaces a tracked file.
//! perf.toml's own spelling (`..`, absolute, `.git`) is checked by the
//! policy crate with located errors; this is the run-time half, which sees
//! links and git.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use crate::task::{Project, TaskError};

/// Who named an output location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// perf.toml or a built-in default: it must stay inside the workspace or target dir.
    Policy,
    /// The command line (or a library caller): it may be anywhere.
    User,
}

/// At most this many tracked files are named in the error.
const SHOWN: usize = 3;

/// Checks that `dir` (absolute) may receive outputs; `what` names the
/// setting in messages, e.g. "`[profile] output-dir`".
pub fn check_output_dir(
    project: &Project,
    dir: &Path,
    origin: Origin,
    what: &str,
) -> Result<(), TaskError> {
    let resolved = resolve(dir);
    let shown = match project.workspace.relative(dir) {
        p if p.as_os_str().is_empty() => ".".to_owned(),
        p => p.display().to_string(),
    };
    if origin == Origin::Policy {
        let inside = [&project.workspace.root, &project.workspace.target_dir]
            .iter()
            .any(|base| resolved.starts_with(resolve(base)));
        if !inside {
            return Err(TaskError::new(format!(
                "{what} {shown} leads through a symbolic link to {}, outside the workspace and its target dir",
                resolved.display()
            ))
            .hint("perf.toml names output directories inside the workspace; check the symbolic links on the way, or name a directory elsewhere on the command line"));
        }
    }
    if let Some(repo) = project.git().ok().flatten() {
        let git_dirs = [&repo.git_dir, &repo.common_dir];
        if git_dirs.iter().any(|g| resolved.starts_with(resolve(g))) {
            return Err(
                TaskError::new(format!("{what} {shown} is inside the git directory"))
                    .hint("choose a directory outside `.git`, e.g. under the target dir"),
            );
        }
    }
    if resolved.components().any(|c| c.as_os_str() == ".git") {
        return Err(
            TaskError::new(format!("{what} {shown} is inside a `.git` directory"))
                .hint("choose a directory outside `.git`, e.g. under the target dir"),
        );
    }
    let tracked = tracked_under(&resolved).map_err(|err| {
        TaskError::new(format!(
            "cannot ask git which files it tracks in {}: {err}",
            resolved.display()
        ))
        .hint("an output is never written where git might track a file: repair the repository (`git status` shows what is wrong), or choose another output directory")
    })?;
    if !tracked.is_empty() {
        let mut list: Vec<String> = tracked
            .iter()
            .take(SHOWN)
            .map(|p| p.display().to_string())
            .collect();
        if tracked.len() > SHOWN {
            list.push(format!("and {} more", tracked.len() - SHOWN));
        }
        return Err(TaskError::new(format!(
            "{what} {shown} holds files tracked by git ({})",
            list.join(", ")
        ))
        .hint("cargo perf never writes among tracked files, so it cannot overwrite one: choose a directory of its own (e.g. under the target dir)"));
    }
    Ok(())
}

/// `path` with every existing part resolved through links; the parts that do
/// not exist yet are appended as written (they cannot be links).
fn resolve(path: &Path) -> PathBuf {
    let mut existing = path;
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest.iter().rev().fold(real, |p, part| p.join(part));
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(Component::Normal(name))) => {
                rest.push(name);
                existing = parent;
            }
            _ => return path.to_owned(),
        }
    }
}

/// Files git tracks at or below `dir` (relative to its nearest existing
/// directory), in whichever repository holds it: none when it is in no
/// repository (git not installed is fine only there); an error when git
/// cannot answer (a broken index, no git in a repository), since then
/// nothing may be overwritten.
fn tracked_under(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut cwd = dir;
    let mut rest = PathBuf::new();
    while !cwd.is_dir() {
        match (cwd.parent(), cwd.file_name()) {
            (Some(parent), Some(name)) => {
                rest = Path::new(name).join(rest);
                cwd = parent;
            }
            _ => return Ok(Vec::new()),
        }
    }
    let mut spec = OsString::from(":(literal)");
    if rest.as_os_str().is_empty() {
        spec.push(".");
    } else {
        spec.push(rest.as_os_str());
    }
    let output = crate::git::command(cwd)
        .args(["ls-files", "-z", "--"])
        .arg(spec)
        // Hooks run with these set; the repository is the one holding `dir`.
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output();
    match output {
        Ok(output) if output.status.success() => Ok(output
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(std::ffi::OsStr::from_bytes(p)))
            .collect()),
        Ok(output) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            if stderr.contains("not a git repository") {
                Ok(Vec::new())
            } else {
                Err(stderr.trim().to_owned())
            }
        }
        // No git: only a directory in no repository is fine to write in.
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !in_a_repository(cwd) => {
            Ok(Vec::new())
        }
        Err(err) => Err(err.to_string()),
    }
}

/// Whether `dir` or a directory above it holds a `.git` (directory or file).
fn in_a_repository(dir: &Path) -> bool {
    dir.ancestors()
        .any(|d| std::fs::symlink_metadata(d.join(".git")).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_follows_links_in_the_existing_part_only() {
        let temp = tempfile::tempdir().unwrap();
        let real = temp.path().canonicalize().unwrap();
        std::fs::create_dir(real.join("out")).unwrap();
        std::os::unix::fs::symlink(real.join("out"), real.join("link")).unwrap();
        assert_eq!(
            resolve(&real.join("link/new/deeper")),
            real.join("out/new/deeper")
        );
    }
}
