//! Check 2, tracked files that should be ignored: files committed before the
//! rule existed, or added with `git add -f`. git lists them in one call
//! (`ls-files -ci --exclude-standard`); a second call (`check-ignore
//! --no-index -v`) names the ignore file, line and pattern of each.

use std::path::{Path, PathBuf};

use super::git::{self, Rule};
use cargo_perf_engine::git::GitError;

/// A tracked file an ignore rule matches.
#[derive(Debug, Clone)]
pub(crate) struct TrackedIgnored {
    /// Relative to the workspace root.
    pub path: PathBuf,
    pub rule: Option<Rule>,
}

/// Tracked files below `ws_root` that git's ignore rules match, with the rule
/// for each. `keep` limits the answer (a scoped or staged run).
pub(crate) fn find(
    ws_root: &Path,
    keep: Option<&(dyn Fn(&Path) -> bool + Sync)>,
) -> Result<Vec<TrackedIgnored>, GitError> {
    let listed = git::run(
        ws_root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--ignored",
            "--exclude-standard",
        ],
        None,
        &[0],
    )?;
    let mut paths = git::nul_paths(&listed);
    if let Some(keep) = keep {
        paths.retain(|p| keep(p));
    }
    let rules = git::check_ignore(ws_root, &paths)?;
    Ok(paths
        .into_iter()
        .zip(rules)
        .map(|(path, rule)| TrackedIgnored { path, rule })
        .collect())
}

/// Stops tracking `paths` (relative to `toplevel`: git refuses a pathspec file
/// in a subdirectory) with one `git rm --cached`; the files stay on disk.
pub(crate) fn untrack(toplevel: &Path, paths: &[PathBuf]) -> Result<(), GitError> {
    if paths.is_empty() {
        return Ok(());
    }
    let input = git::nul_input(paths.iter().map(PathBuf::as_path));
    git::run(
        toplevel,
        &[
            "--literal-pathspecs",
            "rm",
            "--cached",
            "--quiet",
            "--pathspec-from-file=-",
            "--pathspec-file-nul",
        ],
        Some(&input),
        &[0],
    )?;
    Ok(())
}
