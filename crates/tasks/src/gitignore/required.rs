//! Check 1, required ignores: the paths that must never be committed (the
//! target dir, the tool's state dir, profiler output, what other manifests
//! imply, `[gitignore] require`). Each is probed with `git check-ignore
//! --no-index`, so any spelling git honours (`target`, `/target/`, `target/`)
//! counts, and a later `!` rule that re-includes it does not.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cargo_perf_engine::{Workspace, Written};
use cargo_perf_policy::Gitignore;

use super::git::{self, Rule};
use super::layout::Layout;
use cargo_perf_engine::git::GitError;

/// The file name probed inside a directory that must be ignored.
const PROBE: &str = ".cargo-perf-probe";

/// Manifests of other ecosystems and the directories they imply.
const MANIFESTS: &[(&str, &[&str])] = &[
    ("pyproject.toml", &[".venv/", "__pycache__/"]),
    ("requirements.txt", &[".venv/", "__pycache__/"]),
    ("setup.py", &[".venv/", "__pycache__/"]),
    ("Pipfile", &[".venv/", "__pycache__/"]),
    ("package.json", &["node_modules/"]),
];

/// One path that must be ignored.
#[derive(Debug, Clone)]
pub(crate) struct Requirement {
    /// The line to add to the root `.gitignore`.
    pub pattern: String,
    /// What it is, for messages ("the target dir").
    pub what: String,
    /// Paths relative to the top level that must all be ignored.
    pub probes: Vec<PathBuf>,
    /// Whether a missing ignore is an error: what it stands for is on disk
    /// (so the next `git add -A` commits it), or perf.toml requires it. A
    /// path nothing has created yet can reach no commit: it is a warning.
    pub enforced: bool,
}

/// How a requirement stands.
#[derive(Debug, Clone)]
pub(crate) enum Status {
    Ignored,
    /// Ignored, but only by a rule that is not committed with the repository.
    NotShared(Rule),
    /// Not ignored: `probe` matched no rule, or `rule` re-includes it.
    Missing {
        probe: PathBuf,
        rule: Option<Rule>,
    },
}

/// Every requirement for this workspace. `tracked` are the workspace's tracked
/// files (relative to the workspace root), where other manifests are found.
pub(crate) fn requirements(
    layout: &Layout,
    workspace: &Workspace,
    policy: &Gitignore,
    writes: &[Written],
    tracked: &[&Path],
) -> Vec<Requirement> {
    let mut out = Vec::new();
    let prefix = &layout.ws_prefix;
    // Lexically first: a `target` symlink to elsewhere is still in the tree.
    let target = match workspace.target_dir.strip_prefix(&workspace.root) {
        Ok(inside) => Some(layout.in_workspace(inside)),
        Err(_) => layout.top_relative(&workspace.target_dir),
    };
    if let Some(target) = target
        && !target.as_os_str().is_empty()
    {
        out.push(directory(layout, &target, "the workspace's target dir"));
    }
    let state = layout.in_workspace(Path::new(cargo_perf_engine::workspace::STATE_DIR));
    out.push(directory(layout, &state, "the cargo perf state dir"));
    for written in writes {
        if let Some(inside) = declared_dir(workspace, &written.path) {
            out.push(directory(
                layout,
                &layout.in_workspace(&inside),
                &written.what,
            ));
        }
    }
    out.push(Requirement {
        pattern: "perf.data*".into(),
        what: "`perf record` output".into(),
        probes: vec![prefix.join("perf.data"), prefix.join("perf.data.old")],
        enforced: has_entry_starting(&layout.ws_root, "perf.data"),
    });

    let mut implied: Vec<(&str, BTreeSet<PathBuf>, BTreeSet<&str>)> = Vec::new();
    for file in tracked {
        let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some((manifest, dirs)) = MANIFESTS.iter().find(|(m, _)| *m == name) else {
            continue;
        };
        let parent = file.parent().unwrap_or(Path::new(""));
        for dir in *dirs {
            match implied.iter_mut().find(|(d, _, _)| d == dir) {
                Some((_, parents, manifests)) => {
                    parents.insert(parent.to_owned());
                    manifests.insert(manifest);
                }
                None => implied.push((
                    dir,
                    BTreeSet::from([parent.to_owned()]),
                    BTreeSet::from([*manifest]),
                )),
            }
        }
    }
    for (dir, parents, manifests) in implied {
        let enforced = parents
            .iter()
            .any(|p| exists(layout, &layout.in_workspace(&p.join(dir))));
        out.push(Requirement {
            pattern: dir.to_owned(),
            what: format!(
                "implied by {}",
                manifests
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            probes: parents
                .iter()
                .map(|p| safe_probe(layout, &layout.in_workspace(&p.join(dir).join(PROBE))))
                .collect(),
            enforced,
        });
    }

    for required in &policy.require {
        out.push(from_policy(layout, &required.value));
    }
    let mut seen = BTreeSet::new();
    out.retain(|r| seen.insert(r.pattern.clone()));
    out
}

/// A declared write's place relative to the workspace root, unless the
/// target dir or the state dir (required already) holds it, or it is outside
/// the workspace, where no commit of it can reach it.
fn declared_dir(workspace: &Workspace, path: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let relative = if path.is_absolute() {
        path.strip_prefix(&workspace.root).ok()?
    } else {
        path
    };
    let mut inside = PathBuf::new();
    for component in relative.components() {
        match component {
            Component::Normal(name) => inside.push(name),
            Component::CurDir => {}
            _ => return None,
        }
    }
    let covered = inside.starts_with(cargo_perf_engine::workspace::STATE_DIR)
        || workspace
            .target_dir
            .strip_prefix(&workspace.root)
            .is_ok_and(|target| !target.as_os_str().is_empty() && inside.starts_with(target));
    (!covered && !inside.as_os_str().is_empty()).then_some(inside)
}

/// A directory that must be ignored, anchored at its place in the tree.
fn directory(layout: &Layout, top_relative: &Path, what: &str) -> Requirement {
    let shown = top_relative.to_string_lossy();
    let probe = safe_probe(layout, &top_relative.join(PROBE));
    // A symlink is not a directory to git: only a pattern without `/` matches it.
    let pattern = if probe == top_relative {
        format!("/{shown}")
    } else {
        format!("/{shown}/")
    };
    Requirement {
        pattern,
        what: what.to_owned(),
        probes: vec![probe],
        enforced: exists(layout, top_relative),
    }
}

/// A `[gitignore] require` entry, relative to the workspace root.
fn from_policy(layout: &Layout, entry: &str) -> Requirement {
    let anchored = entry.starts_with('/') || entry.trim_end_matches('/').contains('/');
    let relative = entry.trim_start_matches('/');
    let pattern = if anchored {
        format!(
            "/{}",
            layout.in_workspace(Path::new(relative)).to_string_lossy()
        )
    } else {
        entry.to_owned()
    };
    let mut probe = relative.replace('*', "cargo-perf-probe").replace('?', "x");
    if probe.ends_with('/') {
        probe.push_str(PROBE);
    }
    Requirement {
        pattern,
        what: "required by perf.toml".into(),
        probes: vec![safe_probe(layout, &layout.in_workspace(Path::new(&probe)))],
        enforced: true,
    }
}

/// Whether `top_relative` is on disk (a dangling symbolic link counts).
fn exists(layout: &Layout, top_relative: &Path) -> bool {
    std::fs::symlink_metadata(layout.toplevel.join(top_relative)).is_ok()
}

/// Whether `dir` holds an entry whose name starts with `prefix`.
fn has_entry_starting(dir: &Path, prefix: &str) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            e.file_name()
                .as_encoded_bytes()
                .starts_with(prefix.as_bytes())
        })
    })
}

/// `git check-ignore` refuses a path below a symbolic link; probe the link instead.
fn safe_probe(layout: &Layout, top_relative: &Path) -> PathBuf {
    let mut current = PathBuf::new();
    for component in top_relative.components() {
        current.push(component);
        if current != top_relative
            && std::fs::symlink_metadata(layout.toplevel.join(&current))
                .is_ok_and(|m| m.file_type().is_symlink())
        {
            return current;
        }
    }
    top_relative.to_owned()
}

/// Probes every requirement with one `git check-ignore` call.
pub(crate) fn evaluate(
    layout: &Layout,
    requirements: &[Requirement],
) -> Result<Vec<Status>, GitError> {
    let probes: Vec<PathBuf> = requirements
        .iter()
        .flat_map(|r| r.probes.iter().cloned())
        .collect();
    let mut rules = git::check_ignore(&layout.toplevel, &probes)?.into_iter();
    let mut out = Vec::with_capacity(requirements.len());
    for requirement in requirements {
        let mut status = Status::Ignored;
        for probe in &requirement.probes {
            let rule = rules.next().flatten();
            status = match (rule, status) {
                (_, missing @ Status::Missing { .. }) => missing,
                (None, _) => Status::Missing {
                    probe: probe.clone(),
                    rule: None,
                },
                (Some(rule), _) if rule.negates() => Status::Missing {
                    probe: probe.clone(),
                    rule: Some(rule),
                },
                (Some(rule), _) if !rule.is_shared() => Status::NotShared(rule),
                (Some(_), status) => status,
            };
        }
        out.push(status);
    }
    Ok(out)
}

/// The patterns to write so every requirement is ignored where every clone sees it.
pub(crate) fn to_add(requirements: &[Requirement], statuses: &[Status]) -> Vec<String> {
    requirements
        .iter()
        .zip(statuses)
        .filter(|(_, s)| !matches!(s, Status::Ignored))
        .map(|(r, _)| r.pattern.clone())
        .collect()
}

/// The path a probe stands for, as a user would name it (a directory ends in
/// `/`), relative to the workspace root.
pub(crate) fn probed_path(layout: &Layout, probe: &Path) -> String {
    match probe.file_name() {
        Some(name) if name == PROBE => {
            let dir = layout.shown(probe.parent().unwrap_or(Path::new("")));
            format!("{}/", dir.display())
        }
        _ => layout.shown(probe).display().to_string(),
    }
}
