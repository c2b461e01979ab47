//! Gets the corpus's published sources through cargo alone (the one registry
//! CI reaches): a scratch package depending on each pinned `=x.y.z`, `cargo
//! fetch`, and `cargo metadata` to find where cargo unpacked each crate. Then
//! lays each entry out as a git repository: one crate as the root, or sibling
//! crates as members of a workspace whose `[patch.crates-io]` points each at
//! its path, as their own repository does.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use super::corpus::Entry;

/// Unpacked sources by `(name, version)`.
pub type Sources = BTreeMap<(String, String), PathBuf>;

/// Fetches every crate of `entries` and returns where cargo unpacked them.
pub fn fetch(sh: &Shell, scratch: &Path, entries: &[&Entry]) -> Result<Sources> {
    let crates: Vec<(&str, &str)> = entries.iter().flat_map(|e| e.crates).copied().collect();
    fetch_crates(sh, scratch, &crates)?;
    let _dir = sh.push_dir(scratch);
    let metadata = cmd!(sh, "cargo metadata --format-version 1 --quiet")
        .read()
        .context("cargo metadata of the scratch package")?;
    let metadata: serde_json::Value = serde_json::from_str(&metadata)?;
    let mut sources = Sources::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let (Some(name), Some(version), Some(manifest)) = (
            package["name"].as_str(),
            package["version"].as_str(),
            package["manifest_path"].as_str(),
        ) else {
            continue;
        };
        if let Some(dir) = Path::new(manifest).parent() {
            sources.insert((name.to_owned(), version.to_owned()), dir.to_owned());
        }
    }
    for (name, version) in &crates {
        if !sources.contains_key(&(name.to_string(), version.to_string())) {
            bail!("cargo fetched no {name} {version}");
        }
    }
    Ok(sources)
}

/// Fetches each `(name, version)` of `crates` into cargo's registry, through
/// a scratch package in `scratch` that depends on them (a crate with no
/// library is fetched too; cargo only warns).
pub(crate) fn fetch_crates(sh: &Shell, scratch: &Path, crates: &[(&str, &str)]) -> Result<()> {
    let mut manifest = String::from(
        "[package]\nname = \"real-world-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n",
    );
    for (index, (name, version)) in crates.iter().enumerate() {
        let _ = writeln!(
            manifest,
            "c{index} = {{ package = \"{name}\", version = \"={version}\", default-features = false }}"
        );
    }
    // Not part of any workspace above it.
    manifest.push_str("\n[workspace]\n");
    sh.write_file(scratch.join("Cargo.toml"), manifest)?;
    sh.write_file(scratch.join("src/lib.rs"), "")?;
    let _dir = sh.push_dir(scratch);
    cmd!(sh, "cargo fetch --quiet").run()?;
    Ok(())
}

/// Lays `entry` out under `dir` as a git repository with one commit.
pub fn lay_out(sh: &Shell, entry: &Entry, sources: &Sources, dir: &Path) -> Result<()> {
    let source = |name: &str, version: &str| &sources[&(name.to_owned(), version.to_owned())];
    match entry.crates {
        [(name, version)] => copy_tree(source(name, version), dir)?,
        members => {
            let mut manifest = String::from("[workspace]\nresolver = \"2\"\nmembers = [");
            let names: Vec<String> = members.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            manifest.push_str(&names.join(", "));
            manifest.push_str("]\n\n[patch.crates-io]\n");
            for (name, version) in members {
                copy_tree(source(name, version), &dir.join(name))?;
                // A member's own lock file means nothing inside a workspace.
                let _ = std::fs::remove_file(dir.join(name).join("Cargo.lock"));
                let _ = writeln!(manifest, "{name} = {{ path = \"{name}\" }}");
            }
            sh.write_file(dir.join("Cargo.toml"), manifest)?;
        }
    }
    let _dir = sh.push_dir(dir);
    cmd!(sh, "git init --quiet --initial-branch main").run()?;
    cmd!(sh, "git add --all").run()?;
    cmd!(sh, "git commit --quiet --message published").run()?;
    Ok(())
}

/// Copies the files of `from` (no links, as cargo unpacks them) into `to`.
pub(crate) fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("read {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() && entry.file_name() != ".cargo-ok" {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
