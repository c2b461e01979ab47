//! `cargo xtask bench lint` (issue 17): the lint's own rules on ripgrep
//! 14.1.1, laid out as its repository is (the `ripgrep` package at the
//! root, its nine library crates under `crates/`, joined by
//! `[patch.crates-io]`), with clippy off. Goal: the own rules under 1 s.
//! Two figures: the whole `cargo-perf lint --no-clippy` command (cargo
//! metadata and start-up included), timed, against `cargo metadata
//! --no-deps` as its floor; and the median of the `lint.own-rules` metric
//! the task reports for the parsing and the rules alone, which the goal is
//! about.
//!
//! The sources come through cargo alone (the one registry CI reaches): a
//! scratch package depending on each pinned crate, `cargo fetch`, then a
//! copy from cargo's registry sources. The workspace is cached under the
//! system temp dir, keyed by [`VERSION`]; bump it when the layout changes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use xshell::Shell;

use super::{Contender, compare, median, release_binary};
use crate::real_world::fetch::{copy_tree, fetch_crates};

/// Bump to lay the workspace out again.
const VERSION: &str = "v1";

/// ripgrep 14.1.1 and the versions of its own crates its Cargo.lock pins,
/// with their directory under `crates/` in its repository.
const RIPGREP: (&str, &str) = ("ripgrep", "14.1.1");
const MEMBERS: &[(&str, &str, &str)] = &[
    ("globset", "0.4.15", "globset"),
    ("grep", "0.3.2", "grep"),
    ("grep-cli", "0.1.11", "cli"),
    ("grep-matcher", "0.1.7", "matcher"),
    ("grep-pcre2", "0.1.8", "pcre2"),
    ("grep-printer", "0.2.2", "printer"),
    ("grep-regex", "0.1.13", "regex"),
    ("grep-searcher", "0.1.14", "searcher"),
    ("ignore", "0.4.23", "ignore"),
];

/// The goal for the own rules on this workspace.
const GOAL: Duration = Duration::from_secs(1);

pub fn run(sh: &Shell, rounds: usize) -> Result<()> {
    let binary = release_binary(sh)?;
    let root = workspace(sh)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());

    let mut floor = Command::new(&cargo);
    floor
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(&root);
    let mut contenders = [
        Contender::new("cargo metadata --no-deps (fixed cost)", floor),
        Contender::new("cargo-perf lint --no-clippy", lint(&binary, &root, &cargo))
            .expect_codes(&[0, 1]),
    ];
    println!(
        "ripgrep {} as a {}-member workspace in {}, {rounds} interleaved rounds:",
        RIPGREP.1,
        MEMBERS.len() + 1,
        root.display()
    );
    let results = compare(&mut contenders, rounds)?;
    results.print(0);

    let (own, files) = own_rules(&binary, &root, &cargo, rounds)?;
    println!(
        "own rules (the lint.own-rules metric, median of {rounds}): {:.1} ms on {files} files",
        own.as_secs_f64() * 1000.0
    );
    println!(
        "ratio own rules / 1 s goal: {:.2}x (goal < 1.00x); whole command / 1 s: {:.2}x",
        own.as_secs_f64() / GOAL.as_secs_f64(),
        results.medians[1].as_secs_f64() / GOAL.as_secs_f64()
    );
    Ok(())
}

/// `cargo-perf lint --no-clippy` on `root`, its report as JSON on stdout.
fn lint(binary: &Path, root: &Path, cargo: &str) -> Command {
    let mut command = Command::new(binary);
    command
        .args(["lint", "--no-clippy", "--format", "json"])
        .current_dir(root)
        .env("CARGO", cargo);
    command
}

/// The median of the `lint.own-rules` metric over `rounds` runs, and the
/// number of files read (`lint.files`).
fn own_rules(binary: &Path, root: &Path, cargo: &str, rounds: usize) -> Result<(Duration, f64)> {
    let mut samples = Vec::with_capacity(rounds);
    let mut files = 0.0;
    for _ in 0..rounds.max(1) {
        let output = lint(binary, root, cargo).output()?;
        let doc: serde_json::Value = serde_json::from_slice(&output.stdout)
            .with_context(|| format!("the lint's JSON report ({})", output.status))?;
        let metric = |name: &str| {
            doc["tasks"][0]["metrics"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|m| m["name"] == name)
                .and_then(|m| m["value"].as_f64())
        };
        let (Some(seconds), Some(read)) = (metric("lint.own-rules"), metric("lint.files")) else {
            bail!("no lint.own-rules or lint.files metric in the report");
        };
        samples.push(Duration::from_secs_f64(seconds));
        files = read;
    }
    Ok((median(samples), files))
}

/// The cached workspace, laid out on first use.
pub(super) fn workspace(sh: &Shell) -> Result<PathBuf> {
    let base = std::env::temp_dir().join(format!("cargo-perf-bench-lint-{VERSION}"));
    let root = base.join("ripgrep");
    let done = base.join("complete");
    if done.exists() {
        return Ok(root);
    }
    println!(
        "fetching ripgrep {} and laying it out in {} (once)...",
        RIPGREP.1,
        root.display()
    );
    let _ = std::fs::remove_dir_all(&base);
    let crates: Vec<(&str, &str)> = std::iter::once(RIPGREP)
        .chain(MEMBERS.iter().map(|(n, v, _)| (*n, *v)))
        .collect();
    fetch_crates(sh, &base.join("fetch"), &crates)?;
    let registry = registry_sources()?;
    let source = |name: &str, version: &str| registry_source(&registry, name, version);
    copy_tree(&source(RIPGREP.0, RIPGREP.1)?, &root)?;
    let mut manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let dirs: Vec<String> = MEMBERS
        .iter()
        .map(|(_, _, dir)| format!("\"crates/{dir}\""))
        .collect();
    let _ = write!(
        manifest,
        "\n[workspace]\nmembers = [{}]\n\n[patch.crates-io]\n",
        dirs.join(", ")
    );
    for (name, version, dir) in MEMBERS {
        let to = root.join("crates").join(dir);
        copy_tree(&source(name, version)?, &to)?;
        // A member's own lock file means nothing inside a workspace.
        let _ = std::fs::remove_file(to.join("Cargo.lock"));
        let _ = writeln!(manifest, "{name} = {{ path = \"crates/{dir}\" }}");
    }
    std::fs::write(root.join("Cargo.toml"), manifest)?;
    std::fs::write(&done, "")?;
    Ok(root)
}

/// Cargo's unpacked registry sources, `$CARGO_HOME/registry/src`: ripgrep
/// has no library, so `cargo metadata` of the scratch package omits it.
pub(super) fn registry_sources() -> Result<PathBuf> {
    let home = match std::env::var_os("CARGO_HOME") {
        Some(home) => PathBuf::from(home),
        None => PathBuf::from(std::env::var_os("HOME").context("no HOME nor CARGO_HOME")?)
            .join(".cargo"),
    };
    Ok(home.join("registry").join("src"))
}

/// Where cargo unpacked `name` `version` (under one of the registries' dirs).
fn registry_source(registry: &Path, name: &str, version: &str) -> Result<PathBuf> {
    let entries = std::fs::read_dir(registry)
        .with_context(|| format!("read cargo's registry sources in {}", registry.display()))?;
    for index in entries.flatten() {
        let dir = index.path().join(format!("{name}-{version}"));
        if dir.join("Cargo.toml").is_file() {
            return Ok(dir);
        }
    }
    bail!(
        "cargo fetched no {name} {version} into {}",
        registry.display()
    )
}
