//! Check 2, tracked files that should be ignored: files committed before the
//! rule existed, or added with `git add -f`. When the index was read in
//! process, a prefilter names the few files any rule could match and one
//! `check-ignore --no-index -v` decides them and names the ignore file, line
//! and pattern of each (git's `ls-files -ci` would `lstat` every tracked
//! file to say the same). Otherwise, or where the two commands could
//! disagree (a submodule, a tracked file that is a directory on disk now, a
//! name starting with `:`, which `check-ignore` reads as pathspec magic),
//! git lists them with `ls-files -ci --exclude-standard`, and `check-ignore`
//! names the rules.

use std::path::{Path, PathBuf};

use super::git::{self, Rule};
use super::index::Listing;
use super::layout::Layout;
use super::prefilter;
use cargo_perf_engine::git::{GitError, GitRepo};

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

/// [`find`], for an index read in process: git is asked only about the
/// prefilter's candidates, and not at all when there are none.
pub(crate) fn find_in(
    layout: &Layout,
    repo: &GitRepo,
    listing: &Listing,
    keep: Option<&(dyn Fn(&Path) -> bool + Sync)>,
) -> Result<Vec<TrackedIgnored>, GitError> {
    let ws_root = layout.ws_root.as_path();
    let outer = prefilter::outer_lists(&layout.toplevel, &repo.git_dir, &repo.common_dir)?;
    let mut candidates = prefilter::candidates(&layout.toplevel, &outer, listing);
    if let Some(keep) = keep {
        candidates.retain(|p| keep(p));
    }
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    // `check-ignore` types a path by what is on disk, `ls-files` by the index;
    // and it reads a leading `:` as pathspec magic, not as part of the name.
    let typed_apart = candidates.iter().any(|path| {
        listing.is_gitlink(path)
            || path.as_os_str().as_encoded_bytes().first() == Some(&b':')
            || std::fs::symlink_metadata(ws_root.join(path)).is_ok_and(|m| m.is_dir())
    });
    if typed_apart {
        return find(ws_root, keep);
    }
    let Ok(rules) = git::check_ignore(ws_root, &candidates) else {
        // e.g. a path below what is now a symbolic link: let ls-files say.
        return find(ws_root, keep);
    };
    Ok(candidates
        .into_iter()
        .zip(rules)
        .filter_map(|(path, rule)| {
            let rule = rule.filter(|rule| !rule.negates())?;
            Some(TrackedIgnored {
                path,
                rule: Some(rule),
            })
        })
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
