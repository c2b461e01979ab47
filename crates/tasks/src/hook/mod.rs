//! `cargo perf hook install | uninstall | status`: puts a small script in the
//! hooks directory git really uses (`git rev-parse --git-path hooks`, so
//! linked worktrees and `core.hooksPath` work) that runs `cargo perf check`
//! before a push or commit. A hook that was there before is never lost: it is
//! moved aside, still runs first, and `uninstall` puts it back as it was.
//! Nor is an edit made to our own hook: it is set aside under its own name
//! before ours is rewritten or removed (only `uninstall --force` discards it).

mod script;

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cargo_perf_engine::fsutil;
use cargo_perf_engine::git::{GitError, GitRepo};

pub use script::{EDITED_SUFFIX, SAVED_SUFFIX};

/// The git hooks cargo-perf can install.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    PrePush,
    PreCommit,
}

impl HookKind {
    pub const ALL: [HookKind; 2] = [HookKind::PrePush, HookKind::PreCommit];

    /// The hook's file name, as git knows it.
    pub fn name(self) -> &'static str {
        match self {
            HookKind::PrePush => "pre-push",
            HookKind::PreCommit => "pre-commit",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("{0} is not in a git repository")]
    NotGit(PathBuf),
    #[error("{0}")]
    Git(#[from] GitError),
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("{} is not cargo-perf's, and {} is already taken by a hook kept earlier", hook.display(), saved.display())]
    SavedExists { hook: PathBuf, saved: PathBuf },
    #[error("{} is a directory, not a hook", .0.display())]
    NotAFile(PathBuf),
    #[error("{} was edited, and every name to keep the edits under ({}, ...) is taken", hook.display(), first.display())]
    NoRoomForEdits { hook: PathBuf, first: PathBuf },
}

impl HookError {
    pub fn hint(&self) -> String {
        match self {
            HookError::NotGit(_) => "run `git init` first; hooks live in a git repository".into(),
            HookError::Git(err) => err.hint().into(),
            HookError::Io { .. } => "check the permissions of the hooks directory".into(),
            HookError::SavedExists { saved, .. } => format!(
                "merge the two hooks by hand, then remove {} and install again",
                saved.display()
            ),
            HookError::NotAFile(_) => "move the directory away, then install again".into(),
            HookError::NoRoomForEdits { .. } => {
                "remove the edited copies kept earlier (`uninstall --force` discards the edits instead of keeping them)".into()
            }
        }
    }
}

/// Where one hook lives.
#[derive(Debug, Clone)]
pub struct HookPaths {
    pub kind: HookKind,
    pub hook: PathBuf,
    /// Where a hook that was there before ours is kept.
    pub saved: PathBuf,
}

/// What `install` did for one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// Wrote our hook; `kept` names where a hook that was there before now lives.
    Wrote { kept: Option<PathBuf> },
    /// Ours was there with other settings and was rewritten; `edited` names
    /// where the user's edits to it were set aside.
    Updated { edited: Option<PathBuf> },
    /// Ours was there, byte for byte.
    Unchanged,
}

/// What `uninstall` did for one hook. `edited` names where the user's edits
/// to our hook were set aside (`None`: it was as we wrote it, or `--force`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// Ours was removed and the kept hook put back.
    Restored {
        edited: Option<PathBuf>,
    },
    /// Ours was removed; there was nothing before it.
    Removed {
        edited: Option<PathBuf>,
    },
    /// The hook there is not ours: left alone.
    NotOurs,
    NotInstalled,
}

/// What is installed for one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    NotInstalled,
    /// Someone else's hook (cargo-perf does not run).
    Foreign,
    Ours {
        /// The `strict` baked into the script.
        strict: bool,
        /// Whether the script is what `install` would write now.
        current: bool,
        /// Whether someone edited the script after cargo-perf wrote it.
        modified: bool,
        /// Whether a kept hook runs before ours.
        keeps_previous: bool,
    },
}

/// The hooks directory and the workspace's place in the repository.
pub struct Hooks {
    pub dir: PathBuf,
    workspace_dir: PathBuf,
}

impl Hooks {
    /// The hooks of the repository holding `workspace_root`.
    pub fn locate(repo: Option<&GitRepo>, workspace_root: &Path) -> Result<Hooks, HookError> {
        let repo = repo.ok_or_else(|| HookError::NotGit(workspace_root.to_owned()))?;
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_owned());
        let workspace_dir = canonical(workspace_root)
            .strip_prefix(canonical(&repo.toplevel))
            .map(Path::to_owned)
            .unwrap_or_default();
        Ok(Hooks {
            dir: repo.hooks_dir()?,
            workspace_dir,
        })
    }

    pub fn paths(&self, kind: HookKind) -> HookPaths {
        HookPaths {
            kind,
            hook: self.dir.join(kind.name()),
            saved: self.dir.join(format!("{}{SAVED_SUFFIX}", kind.name())),
        }
    }

    fn script(&self, kind: HookKind, strict: bool) -> String {
        script::render(kind, strict, &self.workspace_dir)
    }

    /// Writes our `kind` hook. A foreign hook there is kept and run first; an
    /// edited copy of ours is always set aside (rewriting it is no reason to
    /// lose the edits; only `uninstall --force` discards them).
    pub fn install(&self, kind: HookKind, strict: bool) -> Result<Installed, HookError> {
        let paths = self.paths(kind);
        let wanted = self.script(kind, strict);
        fs::create_dir_all(&self.dir).map_err(io_err("create", &self.dir))?;
        let kept = match Existing::at(&paths.hook)? {
            Existing::Missing => None,
            Existing::Ours(bytes) if bytes == wanted.as_bytes() => {
                make_executable(&paths.hook)?;
                return Ok(Installed::Unchanged);
            }
            Existing::Ours(bytes) => {
                let edited = self.set_aside_edits(&paths, &bytes, false)?;
                if let Err(err) = write_script(&paths.hook, &wanted) {
                    if let Some(edited) = &edited {
                        let _ = fs::rename(edited, &paths.hook);
                    }
                    return Err(err);
                }
                return Ok(Installed::Updated { edited });
            }
            Existing::Foreign => {
                if exists(&paths.saved) {
                    return Err(HookError::SavedExists {
                        hook: paths.hook,
                        saved: paths.saved,
                    });
                }
                fs::rename(&paths.hook, &paths.saved).map_err(io_err("move aside", &paths.hook))?;
                Some(paths.saved.clone())
            }
        };
        if let Err(err) = write_script(&paths.hook, &wanted) {
            if kept.is_some() {
                let _ = fs::rename(&paths.saved, &paths.hook);
            }
            return Err(err);
        }
        Ok(Installed::Wrote { kept })
    }

    /// Removes our `kind` hook and puts back the one it replaced. An edited
    /// copy of ours is set aside unless `force`; someone else's is left alone.
    pub fn uninstall(&self, kind: HookKind, force: bool) -> Result<Removed, HookError> {
        let paths = self.paths(kind);
        let edited = match Existing::at(&paths.hook)? {
            Existing::Foreign => return Ok(Removed::NotOurs),
            Existing::Missing if !exists(&paths.saved) => return Ok(Removed::NotInstalled),
            Existing::Missing => None,
            Existing::Ours(bytes) => self.set_aside_edits(&paths, &bytes, force)?,
        };
        if exists(&paths.saved) {
            fs::rename(&paths.saved, &paths.hook).map_err(io_err("restore", &paths.saved))?;
            return Ok(Removed::Restored { edited });
        }
        if edited.is_none() {
            fs::remove_file(&paths.hook).map_err(io_err("remove", &paths.hook))?;
        }
        Ok(Removed::Removed { edited })
    }

    /// Moves our hook, when someone edited it (and not `force`), to the first
    /// free `<hook>.cargo-perf-edited[.N]` beside it; returns where it went.
    fn set_aside_edits(
        &self,
        paths: &HookPaths,
        bytes: &[u8],
        force: bool,
    ) -> Result<Option<PathBuf>, HookError> {
        if force || script::is_pristine(bytes) {
            return Ok(None);
        }
        let name = format!("{}{EDITED_SUFFIX}", paths.kind.name());
        let first = self.dir.join(&name);
        let free = std::iter::once(first.clone())
            .chain((2..100).map(|n| self.dir.join(format!("{name}.{n}"))))
            .find(|candidate| !exists(candidate))
            .ok_or_else(|| HookError::NoRoomForEdits {
                hook: paths.hook.clone(),
                first,
            })?;
        fs::rename(&paths.hook, &free).map_err(io_err("set aside", &paths.hook))?;
        Ok(Some(free))
    }

    /// What is installed for `kind`; `strict` is the policy's current value.
    pub fn state(&self, kind: HookKind, strict: bool) -> Result<State, HookError> {
        let paths = self.paths(kind);
        Ok(match Existing::at(&paths.hook)? {
            Existing::Missing => State::NotInstalled,
            Existing::Foreign => State::Foreign,
            Existing::Ours(bytes) => State::Ours {
                strict: script::baked_strict(&bytes),
                current: bytes == self.script(kind, strict).as_bytes()
                    && is_executable(&paths.hook),
                modified: !script::is_pristine(&bytes),
                keeps_previous: exists(&paths.saved),
            },
        })
    }
}

/// What is at a hook's path. A symlink is never followed: it is someone else's.
enum Existing {
    Missing,
    Ours(Vec<u8>),
    Foreign,
}

impl Existing {
    fn at(path: &Path) -> Result<Existing, HookError> {
        let meta = match fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Existing::Missing),
            Err(err) => return Err(io_err("read", path)(err)),
        };
        if meta.is_dir() {
            return Err(HookError::NotAFile(path.to_owned()));
        }
        if !meta.is_file() {
            return Ok(Existing::Foreign);
        }
        let bytes = fs::read(path).map_err(io_err("read", path))?;
        Ok(if script::is_ours(&bytes) {
            Existing::Ours(bytes)
        } else {
            Existing::Foreign
        })
    }
}

fn write_script(path: &Path, text: &str) -> Result<(), HookError> {
    fsutil::write_atomic(path, text.as_bytes()).map_err(io_err("write", path))?;
    make_executable(path)
}

fn make_executable(path: &Path) -> Result<(), HookError> {
    let mode = fs::metadata(path)
        .map_err(io_err("read", path))?
        .permissions()
        .mode();
    if mode & 0o111 != 0o111 {
        fs::set_permissions(path, fs::Permissions::from_mode(mode | 0o755))
            .map_err(io_err("make executable", path))?;
    }
    Ok(())
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> HookError {
    let path = path.to_owned();
    move |source| HookError::Io {
        action,
        path,
        source,
    }
}
