//! Which files a change-scoped run looks at, and which workspace members own
//! them. The change set comes from git: the commits a pre-push hook is handed
//! on stdin, the staged files of a pre-commit hook, or everything since a base
//! for `--changed [BASE]`. The result is the engine's [`ChangeScope`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cargo_perf_engine::git::{GitError, GitRepo};
use cargo_perf_engine::{ChangeScope, Workspace};

/// Where a change set comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeSource {
    /// `--changed [BASE]`: the working tree (committed, staged, unstaged and
    /// untracked files) against the merge-base with BASE, or with the upstream
    /// branch when BASE is not given.
    Base(Option<String>),
    /// A pre-commit hook: the staged files.
    PreCommit,
    /// A pre-push hook: the remote's name and git's lines
    /// `<local ref> <local sha> <remote ref> <remote sha>` from stdin.
    PrePush {
        remote: Option<String>,
        updates: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ChangesError {
    #[error("{0} is not in a git repository, so there are no changes to scope the check to")]
    NotGit(PathBuf),
    #[error("{0}")]
    Git(#[from] GitError),
    #[error("cannot find the git repository: {0}")]
    Discover(String),
    #[error("`--changed` has no base: the current branch has no upstream branch")]
    NoUpstream,
    #[error("`{0}` is not a commit, branch or tag in this repository")]
    UnknownBase(String),
    #[error("cannot read git's pre-push input line {line:?}")]
    BadPushLine { line: String },
}

impl ChangesError {
    pub fn hint(&self) -> String {
        match self {
            ChangesError::NotGit(_) => {
                "run `git init`, or drop `--changed` to check everything".to_owned()
            }
            ChangesError::Git(err) => err.hint().to_owned(),
            ChangesError::Discover(_) => "check the repository with `git status`".to_owned(),
            ChangesError::NoUpstream => {
                "name the base, e.g. `--changed origin/main`, or set one with `git branch --set-upstream-to origin/main`".to_owned()
            }
            ChangesError::UnknownBase(_) => {
                "name an existing commit, branch or tag (`git fetch` first for a remote branch)"
                    .to_owned()
            }
            ChangesError::BadPushLine { .. } => {
                "`check --hook pre-push` reads git's pre-push input; run it from the installed hook"
                    .to_owned()
            }
        }
    }
}

const ZERO_SHA_CHAR: char = '0';

/// Works out the change set of `source` and maps it onto `workspace`'s members.
pub fn scope(
    workspace: &Workspace,
    repo: Option<&GitRepo>,
    source: &ChangeSource,
) -> Result<ChangeScope, ChangesError> {
    let repo = repo.ok_or_else(|| ChangesError::NotGit(workspace.root.clone()))?;
    let (description, files) = match source {
        ChangeSource::Base(base) => {
            let base = match base {
                Some(base) => base.clone(),
                None => upstream(repo)?,
            };
            (format!("changes since `{base}`"), since_base(repo, &base)?)
        }
        ChangeSource::PreCommit => (
            "staged changes".to_owned(),
            names(repo.run(["diff", "--cached", "--name-only", "-z", "--no-renames"])?),
        ),
        ChangeSource::PrePush { remote, updates } => pushed(repo, remote.as_deref(), updates)?,
    };
    Ok(map(workspace, &repo.toplevel, files, description))
}

fn upstream(repo: &GitRepo) -> Result<String, ChangesError> {
    repo.run([
        "rev-parse",
        "--abbrev-ref",
        "--symbolic-full-name",
        "@{upstream}",
    ])
    .map(|out| String::from_utf8_lossy(&out).trim().to_owned())
    .map_err(|_| ChangesError::NoUpstream)
}

fn since_base(repo: &GitRepo, base: &str) -> Result<Vec<PathBuf>, ChangesError> {
    if !is_commit(repo, base) {
        return Err(ChangesError::UnknownBase(base.to_owned()));
    }
    // Unrelated histories have no merge-base; then the base itself is the reference.
    let fork = repo
        .run(["merge-base", base, "HEAD"])
        .map(|out| String::from_utf8_lossy(&out).trim().to_owned())
        .unwrap_or_else(|_| base.to_owned());
    let mut files = names(repo.run(["diff", "--name-only", "-z", "--no-renames", &fork])?);
    files.extend(names(repo.run([
        "ls-files",
        "-z",
        "--others",
        "--exclude-standard",
        "--full-name",
    ])?));
    Ok(files)
}

/// The files changed by the ref updates git hands a pre-push hook. A deleted
/// ref has nothing to check. A new branch (or a remote commit we do not have)
/// is compared with its merge-base with the remote's default branch
/// (`<remote>/HEAD`) or, without one, covers every commit no ref of the remote has.
fn pushed(
    repo: &GitRepo,
    remote: Option<&str>,
    updates: &str,
) -> Result<(String, Vec<PathBuf>), ChangesError> {
    let mut files = Vec::new();
    let mut refs = Vec::new();
    for line in updates.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_local_ref, local_sha, remote_ref, remote_sha] = fields[..] else {
            return Err(ChangesError::BadPushLine {
                line: line.to_owned(),
            });
        };
        if is_zero(local_sha) {
            continue;
        }
        refs.push(remote_ref.trim_start_matches("refs/heads/").to_owned());
        if !is_zero(remote_sha) && is_commit(repo, remote_sha) {
            files.extend(names(repo.run([
                "diff",
                "--name-only",
                "-z",
                "--no-renames",
                remote_sha,
                local_sha,
            ])?));
            continue;
        }
        let default_branch = remote.map(|r| format!("refs/remotes/{r}/HEAD"));
        let fork = default_branch
            .filter(|b| is_commit(repo, b))
            .and_then(|b| repo.run(["merge-base", &b, local_sha]).ok())
            .map(|out| String::from_utf8_lossy(&out).trim().to_owned());
        match fork {
            Some(fork) => files.extend(names(repo.run([
                "diff",
                "--name-only",
                "-z",
                "--no-renames",
                &fork,
                local_sha,
            ])?)),
            None => {
                let not_remote = format!("--remotes={}", remote.unwrap_or("*"));
                files.extend(names(repo.run([
                    "log",
                    "--format=",
                    "--name-only",
                    "-z",
                    "--no-renames",
                    local_sha,
                    "--not",
                    &not_remote,
                ])?));
            }
        }
    }
    let description = match (refs.as_slice(), remote) {
        ([], _) => "nothing to push".to_owned(),
        (refs, Some(remote)) => format!("pushing {} to {remote}", refs.join(", ")),
        (refs, None) => format!("pushing {}", refs.join(", ")),
    };
    Ok((description, files))
}

fn is_zero(sha: &str) -> bool {
    sha.chars().all(|c| c == ZERO_SHA_CHAR)
}

fn is_commit(repo: &GitRepo, rev: &str) -> bool {
    repo.run([
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ])
    .is_ok()
}

/// NUL-separated paths from git, relative to the top level, kept as bytes.
fn names(stdout: Vec<u8>) -> Vec<PathBuf> {
    cargo_perf_engine::git::nul_paths(&stdout)
}

/// Maps paths relative to `toplevel` onto the workspace: files outside the
/// workspace root are dropped; the deepest member directory holding a file
/// owns it; the root manifest, lock file, `.cargo/` and perf.toml affect everything.
pub(crate) fn map(
    workspace: &Workspace,
    toplevel: &Path,
    files: Vec<PathBuf>,
    description: String,
) -> ChangeScope {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_owned());
    let toplevel = canonical(toplevel);
    let root = canonical(&workspace.root);
    let mut members: Vec<(PathBuf, &str)> = workspace
        .members
        .iter()
        .filter_map(|m| {
            let dir = canonical(&m.dir);
            let rel = dir.strip_prefix(&root).ok()?.to_owned();
            Some((rel, m.name.as_str()))
        })
        .collect();
    members.sort_by_key(|(dir, _)| std::cmp::Reverse(dir.components().count()));

    let mut scope = ChangeScope {
        description,
        ..ChangeScope::default()
    };
    let mut seen = BTreeSet::new();
    for file in files {
        let Ok(rel) = toplevel.join(&file).strip_prefix(&root).map(Path::to_owned) else {
            continue;
        };
        if !seen.insert(rel.clone()) {
            continue;
        }
        if affects_everything(&rel) {
            scope.everything = true;
        }
        if let Some((_, name)) = members.iter().find(|(dir, _)| rel.starts_with(dir)) {
            scope.members.insert((*name).to_owned());
        }
        scope.files.push(workspace.root.join(rel));
    }
    scope
}

fn affects_everything(rel: &Path) -> bool {
    rel == Path::new("Cargo.toml")
        || rel == Path::new("Cargo.lock")
        || cargo_perf_policy::LOOKUP
            .iter()
            .any(|p| rel == Path::new(p))
        || rel.starts_with(".cargo")
}

#[cfg(test)]
mod tests {
    use super::*;
    use cargo_perf_engine::workspace::Member;

    fn workspace(root: &Path, members: &[(&str, &str)]) -> Workspace {
        Workspace {
            root: root.to_owned(),
            root_manifest: root.join("Cargo.toml"),
            target_dir: root.join("target"),
            members: members
                .iter()
                .map(|(name, dir)| Member {
                    name: (*name).to_owned(),
                    version: "0.1.0".to_owned(),
                    id: String::new(),
                    manifest_path: root.join(dir).join("Cargo.toml"),
                    dir: root.join(dir),
                    targets: Vec::new(),
                    workspace_dependencies: Vec::new(),
                    released_twin: false,
                })
                .collect(),
            cargo: "cargo".into(),
            metadata_command: String::new(),
            metadata_cache: None,
        }
    }

    fn mapped(files: &[&str]) -> ChangeScope {
        let root = Path::new("/nonexistent/ws");
        let ws = workspace(
            root,
            &[
                ("root", "."),
                ("outer", "crates/outer"),
                ("inner", "crates/outer/inner"),
            ],
        );
        map(
            &ws,
            Path::new("/nonexistent"),
            files.iter().map(PathBuf::from).collect(),
            "test".into(),
        )
    }

    #[test]
    fn deepest_member_wins_and_outside_files_are_dropped() {
        let scope = mapped(&["ws/crates/outer/inner/src/lib.rs", "elsewhere/x.rs"]);
        assert_eq!(scope.members.iter().collect::<Vec<_>>(), ["inner"]);
        assert_eq!(
            scope.files,
            [PathBuf::from(
                "/nonexistent/ws/crates/outer/inner/src/lib.rs"
            )]
        );
        assert!(!scope.everything);
        let scope = mapped(&["ws/crates/outer/src/lib.rs", "ws/README.md"]);
        assert_eq!(scope.members.iter().collect::<Vec<_>>(), ["outer", "root"]);
    }

    #[test]
    fn root_files_affect_everything() {
        for file in [
            "ws/Cargo.lock",
            "ws/.cargo/config.toml",
            "ws/perf.toml",
            "ws/.config/perf.toml",
            "ws/Cargo.toml",
        ] {
            assert!(mapped(&[file]).everything, "{file}");
        }
        assert!(!mapped(&["ws/crates/outer/Cargo.toml"]).everything);
        assert!(!mapped(&["ws/.config/nextest.toml"]).everything);
    }
}
