//! Which files the own rules read: the workspace members' own library and
//! binary sources, from each such target's source directory as cargo
//! metadata names it. Test code is not shipped code: test, bench and
//! example targets, `tests/` and `benches/` directories and `tests.rs`
//! files are left out (and `#[cfg(test)]` items, by the walk). A root file
//! at the package's top is read alone (its directory is the whole package);
//! nested packages, `target/` and hidden directories are never entered, and
//! `[lint] exclude` globs leave files out.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cargo_perf_engine::Workspace;
use cargo_perf_engine::workspace::{Member, TargetKind};
use cargo_perf_policy::{Glob, Located};

/// Every `.rs` file of `members`, sorted, less the excluded ones.
pub(crate) fn files(
    workspace: &Workspace,
    members: &[&Member],
    exclude: &[Located<Glob>],
) -> Vec<PathBuf> {
    let mut roots = BTreeSet::new();
    let mut singles = BTreeSet::new();
    for member in members {
        for target in &member.targets {
            let Some(dir) = target.src_path.parent() else {
                continue;
            };
            if !matches!(target.kind, TargetKind::Lib | TargetKind::Bin) {
                continue;
            }
            if dir == member.dir {
                singles.insert(target.src_path.clone());
            } else {
                roots.insert(dir.to_path_buf());
            }
        }
    }
    let mut found = BTreeSet::new();
    for root in &roots {
        if roots
            .iter()
            .any(|other| other != root && root.starts_with(other))
        {
            continue;
        }
        walk(root, &workspace.target_dir, &mut found);
    }
    found.extend(singles.into_iter().filter(|p| p.is_file()));
    found
        .into_iter()
        .filter(|path| {
            let relative = workspace.relative(path);
            !exclude.iter().any(|glob| glob.value.matches(relative))
        })
        .collect()
}

fn walk(dir: &Path, target_dir: &Path, found: &mut BTreeSet<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if kind.is_dir() {
            let skip = name.starts_with('.')
                || name == "target"
                || name == "tests"
                || name == "benches"
                || path.starts_with(target_dir)
                || path.join("Cargo.toml").is_file();
            if !skip {
                walk(&path, target_dir, found);
            }
        } else if kind.is_file() && name.ends_with(".rs") && name != "tests.rs" && name != "test.rs"
        {
            found.insert(path);
        }
    }
}
