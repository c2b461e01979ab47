//! `cargo xtask bench check` (issue: foundation): `cargo-perf check` with one
//! trivial task on a generated 50-member workspace, against the floor
//! `cargo metadata --format-version 1 --no-deps` on the same workspace
//! (the tool must ask cargo at least once). Goal: at most 1.3x the floor.

use std::process::Command;

use anyhow::Result;
use xshell::Shell;

use super::{Contender, TempDir, chain_workspace, compare, release_binary, temp_dir};

const MEMBERS: usize = 50;

pub fn run(sh: &Shell, rounds: usize) -> Result<()> {
    let binary = release_binary(sh)?;
    let dir = generate_workspace()?;
    let root = dir.path();
    // The real cargo binary, as cargo hands it to subcommands in $CARGO (not
    // the rustup proxy, which would add its own start-up to both sides).
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());

    let mut floor = Command::new(&cargo);
    floor
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root);
    let mut ours = Command::new(&binary);
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
    println!("{MEMBERS}-member workspace, one trivial task, {rounds} interleaved rounds:");
    let results = compare(&mut contenders, rounds)?;
    results.print(0);
    println!(
        "ratio cargo-perf check / cargo metadata: {:.2}x (goal <= 1.30x)",
        results.ratio(1, 0)
    );
    Ok(())
}

fn generate_workspace() -> Result<TempDir> {
    let dir = temp_dir("cargo-perf-bench-check")?;
    let root = dir.path();
    chain_workspace(root, MEMBERS, "pub fn f() {}\n")?;
    std::fs::write(
        root.join("perf.toml"),
        "[tasks.noop]\nrun = \"true\"\n\n[pipelines]\ncheck = [\"noop\"]\n",
    )?;
    Ok(dir)
}
