//! Which toolchains are installed, as the `rustc` hash cargo writes into each
//! unit's fingerprint. Cargo's hashing of the rustc version has changed
//! before (Rust 1.85 switched hashers, and cargo-sweep, which re-implemented
//! it, then took every fresh unit for a stale one), so the hash is never
//! computed here: each toolchain builds an empty library into a temporary
//! target dir and we read the hash its cargo wrote.

use std::collections::BTreeMap;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cargo_perf_engine::process::{CommandSpec, run_captured};
use cargo_perf_engine::{TaskError, Workspace};

use super::nofollow::{Anchor, Listing, open_file_noatime};

const PROBE_TIMEOUT: Duration = Duration::from_secs(300);
const PROBE_NAME: &str = "cargo-perf-toolchain-probe";

/// The fingerprint hashes of the installed toolchains.
#[derive(Debug, Default)]
pub(crate) struct Installed {
    /// The toolchain cargo uses in this workspace.
    pub current: u64,
    /// Every hash that belongs to an installed toolchain, with its name.
    pub hashes: BTreeMap<u64, String>,
    /// Toolchains rustup lists that could not build the probe (they count as not installed).
    pub broken: Vec<(String, String)>,
}

/// Probes the current toolchain and every toolchain rustup lists.
pub(crate) fn probe(workspace: &Workspace) -> Result<Installed, TaskError> {
    let current = probe_one(
        CommandSpec::new(&workspace.cargo).cwd(&workspace.root),
        "the current toolchain",
    )
    .map_err(|err| {
        TaskError::new(format!(
            "cannot tell which toolchain builds this workspace: {err}"
        ))
        .hint("check that `cargo build` works here, or set `[clean] toolchains = \"any\"`")
    })?;
    let mut installed = Installed {
        current,
        ..Installed::default()
    };
    installed.hashes.insert(current, "current".to_owned());
    let names = rustup_toolchains();
    let results: Vec<(String, Result<u64, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = names
            .iter()
            .map(|name| {
                scope.spawn(move || {
                    let spec = CommandSpec::new("rustup").args(["run", name.as_str(), "cargo"]);
                    (name.clone(), probe_one(spec, name))
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    for (name, result) in results {
        match result {
            Ok(hash) => {
                installed.hashes.entry(hash).or_insert(name);
            }
            Err(err) => installed.broken.push((name, err)),
        }
    }
    Ok(installed)
}

/// `rustup toolchain list`; empty when rustup is not installed.
fn rustup_toolchains() -> Vec<String> {
    let spec = CommandSpec::new("rustup")
        .args(["toolchain", "list"])
        .timeout(Some(PROBE_TIMEOUT));
    match run_captured(&spec) {
        Ok((finished, stdout, _)) if finished.success() => String::from_utf8_lossy(&stdout)
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|name| !name.is_empty() && *name != "no")
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Builds an empty library with `cargo` (a command ending in cargo) and returns its rustc hash.
fn probe_one(cargo: CommandSpec, what: &str) -> Result<u64, String> {
    let dir = tempfile::Builder::new()
        .prefix("cargo-perf-probe-")
        .tempdir()
        .map_err(|err| format!("cannot create a temporary directory: {err}"))?;
    let manifest = dir.path().join("Cargo.toml");
    let write = |path: PathBuf, text: &str| {
        std::fs::create_dir_all(path.parent().unwrap_or(dir.path()))
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|err| format!("cannot write {}: {err}", path.display()))
    };
    write(
        manifest.clone(),
        &format!(
            "[package]\nname = \"{PROBE_NAME}\"\nversion = \"0.0.0\"\nedition = \"2015\"\n\n[workspace]\n"
        ),
    )?;
    write(dir.path().join("src/lib.rs"), "")?;
    let target = dir.path().join("target");
    let spec = cargo
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .env("CARGO_INCREMENTAL", "0")
        .timeout(Some(PROBE_TIMEOUT));
    let (finished, _, stderr) = run_captured(&spec).map_err(|err| err.to_string())?;
    if !finished.success() {
        let stderr = String::from_utf8_lossy(&stderr);
        return Err(format!(
            "{what} could not build an empty library ({}): {}",
            finished.describe(),
            stderr.lines().last().unwrap_or("").trim()
        ));
    }
    find_rustc_hash(&target)
        .ok_or_else(|| format!("{what} built the probe, but wrote no fingerprint we can read"))
}

/// The rustc hash of the probe's fingerprint anywhere under `target`.
fn find_rustc_hash(target: &Path) -> Option<u64> {
    let mut stack = vec![target.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            } else if name.ends_with(".json")
                && path.to_string_lossy().contains(PROBE_NAME)
                && let Some(hash) = read_rustc_hash(&path)
            {
                return Some(hash);
            }
        }
    }
    None
}

/// The `rustc` field of a fingerprint JSON file (`{"rustc":123,...`).
fn read_rustc_hash(path: &Path) -> Option<u64> {
    parse_rustc_hash(std::fs::File::open(path).ok()?)
}

fn parse_rustc_hash(mut file: std::fs::File) -> Option<u64> {
    use std::io::Read;
    let mut head = [0u8; 64];
    let len = file.read(&mut head).ok()?;
    let text = std::str::from_utf8(&head[..len]).ok()?;
    let rest = text.strip_prefix("{\"rustc\":")?;
    let digits: &str = &rest[..rest.find(|c: char| !c.is_ascii_digit())?];
    digits.parse().ok()
}

/// The rustc hash of a unit, from the first JSON file in its fingerprint dir
/// (reached from the target dir's handle: a symlink on the way is not followed).
pub(crate) fn unit_rustc_hash(target: &Anchor, fingerprint: &Path) -> Option<u64> {
    let dir = target.open_dir(fingerprint).ok()?;
    let names = Listing::new(dir.as_fd()).ok()?.names().ok()?;
    names
        .iter()
        .filter(|name| name.to_bytes().ends_with(b".json"))
        .find_map(|name| parse_rustc_hash(open_file_noatime(dir.as_fd(), name).ok()?))
}
