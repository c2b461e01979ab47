//! `[[clean.extra]]`: untracked files anywhere in the workspace that match a
//! glob, optionally only when larger or older than a limit. The walk starts
//! from the workspace root's handle and never follows a symlink (a link is
//! matched as a link). It never enters the target dir, the tool's state dir,
//! a `.git`, a directory holding a `.git` (a nested repository or a
//! submodule's checkout) or a registered submodule. A glob that matches a
//! directory selects the files inside it that pass every rule, one by one,
//! and the directory itself only when all it holds goes with them: nothing
//! is ever removed recursively.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use cargo_perf_policy::ByteSize;
use cargo_perf_policy::sections::clean::Extra;

use super::nofollow::{Anchor, Listing, Stat, open_dir, os_name, stat};
use super::safety::Tracked;

/// One path an extra rule selected; directories come after what they hold.
#[derive(Debug, Clone)]
pub(crate) struct ExtraMatch {
    pub path: PathBuf,
    /// Apparent size (what `larger-than` compares); 0 for a directory.
    pub bytes: u64,
    pub reason: String,
    pub is_dir: bool,
}

/// What the walk found.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    pub found: Vec<ExtraMatch>,
    /// Matched, but git tracks it (a file), or this many files in it (a directory).
    pub tracked: Vec<(PathBuf, Option<usize>)>,
    /// Matched, but a repository of its own: never entered.
    pub repos: Vec<PathBuf>,
    pub errors: Vec<(PathBuf, io::Error)>,
}

/// Where not to look.
pub(crate) struct Skip<'a> {
    /// The target dir (units are judged whole, elsewhere), by device and inode.
    pub target: Option<(u64, u64)>,
    /// Paths never entered (the tool's state dir, the target dir as configured).
    pub paths: &'a [PathBuf],
    pub tracked: &'a Tracked,
}

/// Walks the workspace from `root` and returns what the rules select.
pub(crate) fn find(root: &Anchor, skip: &Skip<'_>, rules: &[Extra], now: i64) -> Extras {
    let mut walk = Walk {
        root: &root.path,
        skip,
        rules,
        now,
        out: Extras::default(),
    };
    if !walk.rules.is_empty() {
        match root.dup() {
            Ok(fd) => {
                walk.dir(&fd, &root.path, None);
            }
            Err(err) => walk.out.errors.push((root.path.clone(), err)),
        }
    }
    walk.out
}

struct Walk<'a> {
    root: &'a Path,
    skip: &'a Skip<'a>,
    rules: &'a [Extra],
    now: i64,
    out: Extras,
}

/// A directory entry, as the walk met it.
#[derive(Clone, Copy)]
struct Seen<'b> {
    parent: &'b OwnedFd,
    name: &'b CStr,
    path: &'b Path,
    st: Stat,
}

/// How a directory's walk went.
struct DirOutcome {
    /// Every entry in it was selected.
    emptied: bool,
    /// Tracked files kept below it, not reported one by one.
    tracked: usize,
}

impl<'a> Walk<'a> {
    /// Walks the directory `fd` at `path`; `inherited` is the rule that matched
    /// it or a directory above it.
    fn dir(&mut self, fd: &OwnedFd, path: &Path, inherited: Option<&'a Extra>) -> DirOutcome {
        let mut outcome = DirOutcome {
            emptied: true,
            tracked: 0,
        };
        let names = match Listing::new(fd.as_fd()).and_then(Listing::names) {
            Ok(names) => names,
            Err(err) => {
                self.out.errors.push((path.to_owned(), err));
                outcome.emptied = false;
                return outcome;
            }
        };
        for name in names {
            let child = path.join(os_name(&name));
            if !self.entry(fd, &name, &child, inherited, &mut outcome) {
                outcome.emptied = false;
            }
        }
        outcome
    }

    /// Looks at one entry; `true` when it is selected (all of it, for a directory).
    fn entry(
        &mut self,
        parent: &OwnedFd,
        name: &CStr,
        path: &Path,
        inherited: Option<&'a Extra>,
        outcome: &mut DirOutcome,
    ) -> bool {
        if name.to_bytes() == b".git" || self.skip.paths.iter().any(|p| p == path) {
            return false;
        }
        let st = match stat(parent.as_fd(), name) {
            Ok(st) => st,
            Err(err) => {
                self.out.errors.push((path.to_owned(), err));
                return false;
            }
        };
        let rel = path.strip_prefix(self.root).unwrap_or(path);
        let direct = self.rules.iter().find(|rule| rule.glob.value.matches(rel));
        let rule = direct.or(inherited);
        if st.is_dir() {
            let seen = Seen {
                parent,
                name,
                path,
                st,
            };
            let top_match = direct.is_some() && inherited.is_none();
            return self.subdir(&seen, rule, top_match, outcome);
        }
        let Some(rule) = rule else {
            return false;
        };
        if self.skip.tracked.covers(path) {
            if direct.is_some() {
                self.out.tracked.push((path.to_owned(), None));
            } else {
                outcome.tracked += 1;
            }
            return false;
        }
        let Some(reason) = admits(rule, st.len, self.now - st.mtime) else {
            return false;
        };
        self.out.found.push(ExtraMatch {
            path: path.to_owned(),
            bytes: st.len,
            reason,
            is_dir: false,
        });
        true
    }

    /// A subdirectory: entered unless it is skipped or a repository; selected
    /// when a rule matched it (or a directory above) and it empties.
    fn subdir(
        &mut self,
        seen: &Seen<'_>,
        rule: Option<&'a Extra>,
        top_match: bool,
        outcome: &mut DirOutcome,
    ) -> bool {
        let Seen {
            parent,
            name,
            path,
            st,
        } = *seen;
        if self.skip.target == Some((st.dev, st.ino)) {
            return false;
        }
        let fd = match open_dir(parent.as_fd(), name) {
            Ok(fd) => fd,
            Err(err) => {
                self.out.errors.push((path.to_owned(), err));
                return false;
            }
        };
        let is_repo = self.skip.tracked.is_submodule(path)
            || match stat(fd.as_fd(), c".git") {
                Ok(_) => true,
                Err(err) => err.kind() != io::ErrorKind::NotFound,
            };
        if is_repo {
            if rule.is_some() {
                self.out.repos.push(path.to_owned());
            }
            return false;
        }
        let inner = self.dir(&fd, path, rule);
        if top_match && inner.tracked > 0 {
            self.out
                .tracked
                .push((path.to_owned(), Some(inner.tracked)));
        } else {
            outcome.tracked += inner.tracked;
        }
        let Some(rule) = rule.filter(|_| inner.emptied) else {
            return false;
        };
        self.out.found.push(ExtraMatch {
            path: path.to_owned(),
            bytes: 0,
            reason: format!(
                "matches `[[clean.extra]]` glob `{}` (directly or through a directory above), and nothing is left in it",
                rule.glob.value
            ),
            is_dir: true,
        });
        true
    }
}

/// The reason to remove a match, or `None` when a limit keeps it.
fn admits(rule: &Extra, bytes: u64, age_secs: i64) -> Option<String> {
    let mut reason = format!(
        "matches `[[clean.extra]]` glob `{}`",
        rule.glob.value.as_str()
    );
    if let Some(limit) = rule.larger_than {
        if bytes <= limit.0 {
            return None;
        }
        reason.push_str(&format!(", larger than {}", ByteSize(limit.0)));
    }
    if let Some(limit) = rule.older_than {
        if age_secs < 0 || Duration::from_secs(age_secs as u64) <= limit {
            return None;
        }
        reason.push_str(&format!(", older than {}", super::select::days(limit)));
    }
    Some(reason)
}
