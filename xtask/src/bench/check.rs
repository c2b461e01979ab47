//! `cargo xtask bench check` (issue: foundation): `cargo-perf check` with one
//! trivial task on a generated 50-member workspace, against the floor
//! `cargo metadata --format-version 1 --no-deps` on the same workspace
//! (issue 18: through cargo, at most 1.2x the floor; the tool may take
//! cargo's earlier answer from its metadata cache when nothing changed).

use std::path::Path;
use std::process::Command;

use anyhow::Result;
use xshell::Shell;

use super::{
    Contender, Results, TempDir, chain_workspace, compare, release_binary, settle, temp_dir,
};

const MEMBERS: usize = 50;

/// The contenders' order in [`measure`]'s results.
pub const FLOOR: usize = 0;
pub const DIRECT: usize = 1;
pub const VIA_CARGO: usize = 2;

pub fn run(sh: &Shell, rounds: usize) -> Result<()> {
    let binary = release_binary(sh)?;
    println!("{MEMBERS}-member workspace, one trivial task, {rounds} interleaved rounds:");
    let results = measure(&binary, rounds)?;
    results.print(FLOOR);
    println!(
        "ratio cargo perf check (via cargo) / cargo metadata: {:.2}x (goal <= 1.20x); cargo-perf check called directly: {:.2}x",
        results.ratio(VIA_CARGO, FLOOR),
        results.ratio(DIRECT, FLOOR)
    );
    Ok(())
}

/// Medians of `cargo metadata --no-deps`, `cargo-perf check` and `cargo perf
/// check`, in that order, on a freshly generated workspace.
pub fn measure(binary: &Path, rounds: usize) -> Result<Results> {
    let dir = generate_workspace()?;
    let root = dir.path();
    // The real cargo binary, as cargo hands it to subcommands in $CARGO (not
    // the rustup proxy, which would add its own start-up to both sides).
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());

    let mut floor = Command::new(&cargo);
    floor
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root);
    let mut ours = Command::new(binary);
    ours.args(["check", "--quiet"])
        .current_dir(root)
        .env("CARGO", &cargo);
    let mut via_cargo = Command::new(&cargo);
    via_cargo
        .args(["perf", "check", "--quiet"])
        .current_dir(root)
        .env(
            "PATH",
            format!(
                "{}:{}",
                binary.parent().unwrap_or(root).display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        );

    let mut contenders = [
        Contender::new("cargo metadata --no-deps", floor),
        Contender::new("cargo-perf check", ours),
        Contender::new("cargo perf check (via cargo)", via_cargo),
    ];
    compare(&mut contenders, rounds)
}

fn generate_workspace() -> Result<TempDir> {
    let dir = temp_dir("cargo-perf-bench-check")?;
    let root = dir.path();
    chain_workspace(root, MEMBERS, "pub fn f() {}\n")?;
    std::fs::write(
        root.join("perf.toml"),
        "[tasks.noop]\nrun = \"true\"\n\n[pipelines]\ncheck = [\"noop\"]\n",
    )?;
    // As after a first build: the target dir exists (the metadata cache lives
    // there), and the files are older than its racy window.
    std::fs::create_dir(root.join("target"))?;
    settle();
    Ok(dir)
}
