//! Every path whose change could change cargo's answer to `cargo metadata
//! --no-deps`, as far as the files tell (the environment and the command
//! line are keyed apart, in the request). Cargo reads: the configuration
//! files up the tree from the directory it runs in and in `CARGO_HOME`; the
//! manifests from there up to the workspace root (a new `[workspace]` above
//! moves the root); every member's manifest and those of its path
//! dependencies; the member directories it lists for targets it discovers
//! by convention (`src/bin/*.rs`, `tests/*/main.rs`, `build.rs`, a README);
//! the directories a `members` glob matches in. The toolchain is the cargo
//! binary itself and the rustup override files (`rust-toolchain(.toml)`).
//! `Cargo.lock` is no input: without the resolve cargo does not read it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cargo_metadata::Metadata;
use toml::de::{DeTable, DeValue};

use super::stamp::Depth;

/// A path and how much of it is compared.
pub(crate) type Input = (PathBuf, Depth);

/// What every directory up the tree may hold that cargo or rustup reads.
const UP_THE_TREE: &[&str] = &[
    "Cargo.toml",
    ".cargo/config.toml",
    ".cargo/config",
    "rust-toolchain",
    "rust-toolchain.toml",
];

/// The directories of a package cargo lists to discover targets, and those
/// whose subdirectories may hold a target (`tests/<name>/main.rs`).
const DISCOVERY: &[&str] = &["", "src", "src/bin", "tests", "benches", "examples"];
const DISCOVERY_NESTED: &[&str] = &["src/bin", "tests", "benches", "examples"];

/// The inputs known before cargo answers: the cargo binary, and what lies up
/// the tree from `dir` (where cargo runs) and from `start` (the manifest's
/// directory), and in `cargo_home`.
pub(crate) fn around(cargo: &Path, dir: &Path, start: &Path, cargo_home: &Path) -> Vec<Input> {
    let mut paths = BTreeSet::new();
    paths.insert(cargo.to_owned());
    for ancestor in dir.ancestors().chain(start.ancestors()) {
        for name in UP_THE_TREE {
            paths.insert(ancestor.join(name));
        }
    }
    paths.insert(cargo_home.join("config.toml"));
    paths.insert(cargo_home.join("config"));
    paths.into_iter().map(|p| (p, Depth::Full)).collect()
}

/// Whether `path` is a cargo config file that may pull in others (its
/// `include` key): those files are not inputs, so no answer is stored.
/// Any mention of the word counts, a comment too: a miss costs only time.
pub(crate) fn includes_other_files(path: &Path) -> bool {
    let is_config = path
        .file_name()
        .is_some_and(|name| name == "config.toml" || name == "config");
    is_config && std::fs::read_to_string(path).is_ok_and(|text| text.contains("include"))
}

/// The inputs the answer names; `None` when they cannot all be named (a
/// `**` in a members glob, a root manifest that does not parse).
pub(crate) fn of_answer(metadata: &Metadata) -> Option<Vec<Input>> {
    let root = PathBuf::from(&metadata.workspace_root);
    let mut inputs: Vec<Input> = vec![(root.join("Cargo.toml"), Depth::Full)];
    for package in &metadata.packages {
        let manifest = PathBuf::from(&package.manifest_path);
        inputs.push((manifest.clone(), Depth::Full));
        if let Some(dir) = manifest.parent() {
            discovery(dir, &mut inputs);
        }
        for target in &package.targets {
            inputs.push((PathBuf::from(&target.src_path), Depth::Presence));
        }
        for dep in &package.dependencies {
            if let Some(path) = &dep.path {
                inputs.push((PathBuf::from(path).join("Cargo.toml"), Depth::Full));
            }
        }
    }
    inputs.extend(globbed(&root)?);
    Some(inputs)
}

fn discovery(dir: &Path, inputs: &mut Vec<Input>) {
    for sub in DISCOVERY {
        inputs.push((dir.join(sub), Depth::Full));
    }
    for sub in DISCOVERY_NESTED {
        for nested in subdirs(&dir.join(sub)) {
            inputs.push((nested, Depth::Full));
        }
    }
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect()
}

/// The `members` patterns of the root manifest's `[workspace]`.
fn member_patterns(root: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(root.join("Cargo.toml")).ok()?;
    let table = DeTable::parse(&text).ok()?;
    let Some(workspace) = table.get_ref().get("workspace") else {
        return Some(Vec::new());
    };
    let DeValue::Table(workspace) = workspace.get_ref() else {
        return None;
    };
    let Some(members) = workspace.get("members") else {
        return Some(Vec::new());
    };
    let DeValue::Array(members) = members.get_ref() else {
        return None;
    };
    members
        .iter()
        .map(|m| match m.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => None,
        })
        .collect()
}

/// Every path a glob in `members` looks at, over-approximated: each segment
/// with a wildcard stands for every subdirectory, so a new directory that
/// might match changes the listing of a stamped one, and a candidate that
/// is not a member yet has its (missing) manifest stamped.
fn globbed(root: &Path) -> Option<Vec<Input>> {
    let mut inputs = Vec::new();
    for pattern in member_patterns(root)? {
        if !pattern.contains(['*', '?', '[']) {
            continue;
        }
        if Path::new(&pattern).is_absolute() {
            return None;
        }
        let mut candidates = vec![root.to_owned()];
        inputs.push((root.to_owned(), Depth::Full));
        for segment in pattern.split('/').filter(|s| !s.is_empty() && *s != ".") {
            if segment == "**" {
                return None;
            }
            if segment.contains(['*', '?', '[']) {
                candidates = candidates.iter().flat_map(|dir| subdirs(dir)).collect();
            } else {
                candidates = candidates.iter().map(|dir| dir.join(segment)).collect();
            }
            inputs.extend(candidates.iter().map(|d| (d.clone(), Depth::Full)));
        }
        inputs.extend(
            candidates
                .iter()
                .map(|d| (d.join("Cargo.toml"), Depth::Full)),
        );
    }
    Some(inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(inputs: &[Input]) -> Vec<String> {
        let mut paths: Vec<String> = inputs
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        paths.sort();
        paths
    }

    #[test]
    fn a_glob_stamps_the_directories_it_lists_and_a_double_star_is_uncacheable() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("tools/x/pkg")).unwrap();
        std::fs::create_dir_all(root.join("tools/y")).unwrap();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"tools/*/pkg\", \"lit\"]\n",
        )
        .unwrap();
        let rel: Vec<String> = paths(&globbed(root).unwrap())
            .into_iter()
            .map(|p| p.replace(&root.display().to_string(), ""))
            .collect();
        for want in [
            "/tools",
            "/tools/x",
            "/tools/y",
            "/tools/x/pkg",
            "/tools/y/pkg",
            "/tools/y/pkg/Cargo.toml",
        ] {
            assert!(rel.contains(&want.to_owned()), "{want}: {rel:?}");
        }
        assert!(!rel.iter().any(|p| p.contains("lit")), "{rel:?}");
        std::fs::write(root.join("Cargo.toml"), "[workspace]\nmembers = [\"**\"]\n").unwrap();
        assert!(globbed(root).is_none());
    }

    #[test]
    fn an_absolute_members_glob_or_a_config_include_turns_the_cache_off() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let absolute = root.join("crates/*");
        let manifest = format!(
            "[workspace]\nmembers = [{:?}]\n",
            absolute.display().to_string()
        );
        std::fs::write(root.join("Cargo.toml"), manifest).unwrap();
        assert!(globbed(root).is_none());
        std::fs::create_dir_all(root.join(".cargo")).unwrap();
        let config = root.join(".cargo/config.toml");
        std::fs::write(&config, "[build]\njobs = 2\n").unwrap();
        assert!(!includes_other_files(&config));
        std::fs::write(&config, "include = [\"more.toml\"]\n").unwrap();
        assert!(includes_other_files(&config));
        assert!(!includes_other_files(&root.join("Cargo.toml")));
    }

    #[test]
    fn config_and_toolchain_files_up_the_tree_and_in_cargo_home_are_inputs() {
        let inputs = around(
            Path::new("/usr/bin/cargo"),
            Path::new("/w/sub"),
            Path::new("/w"),
            Path::new("/home/u/.cargo"),
        );
        let paths = paths(&inputs);
        for want in [
            "/usr/bin/cargo",
            "/w/sub/.cargo/config.toml",
            "/w/.cargo/config",
            "/.cargo/config.toml",
            "/w/rust-toolchain.toml",
            "/w/sub/rust-toolchain",
            "/Cargo.toml",
            "/home/u/.cargo/config.toml",
            "/home/u/.cargo/config",
        ] {
            assert!(paths.contains(&want.to_owned()), "{want}: {paths:?}");
        }
    }
}
