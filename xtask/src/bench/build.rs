//! `cargo xtask bench build` (issue 4): `cargo-perf build --no-incremental`
//! (the no-op freshness check and build-script audit) on a generated, already
//! built 20-member workspace, against running the same two cargo builds by
//! hand in one shell. Goal: at most 1.1x. A third contender adds the
//! `cargo metadata --no-deps` call every cargo-perf command makes to find the
//! workspace, so the report separates the task's own cost from that floor.

use std::process::Command;

use anyhow::{Result, bail};
use xshell::Shell;

use super::{Contender, TempDir, chain_workspace, compare, release_binary, temp_dir};

const MEMBERS: usize = 20;

/// The build the task runs twice, with the same flags (its default selection).
const BUILD: &str = "build --workspace --lib --bins --tests --examples --message-format=json -v";

pub fn run(sh: &Shell, rounds: usize) -> Result<()> {
    let binary = release_binary(sh)?;
    let dir = generate_workspace()?;
    let root = dir.path();
    let target = root.join("target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());

    let warm = Command::new(&cargo)
        .args([
            "build",
            "--workspace",
            "--lib",
            "--bins",
            "--tests",
            "--examples",
            "--quiet",
        ])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target)
        .status()?;
    if !warm.success() {
        bail!("the generated workspace does not build");
    }

    let mut by_hand = Command::new("sh");
    by_hand
        .args(["-c", &format!("\"$0\" {BUILD} && \"$0\" {BUILD}"), &cargo])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_TERM_COLOR", "never");
    let mut floor = Command::new("sh");
    floor
        .args([
            "-c",
            &format!(
                "\"$0\" metadata --no-deps --format-version 1 >/dev/null && \"$0\" {BUILD} && \"$0\" {BUILD}"
            ),
            &cargo,
        ])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_TERM_COLOR", "never");
    let mut ours = Command::new(&binary);
    ours.args(["build", "--no-incremental", "--quiet"])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target);

    let mut contenders = [
        Contender::new(format!("2x cargo {BUILD}"), by_hand),
        Contender::new("cargo metadata + the same two builds", floor),
        Contender::new("cargo-perf build --no-incremental", ours),
    ];
    println!("{MEMBERS}-member workspace, built once, {rounds} interleaved rounds:");
    let results = compare(&mut contenders, rounds)?;
    results.print(0);
    println!(
        "ratio cargo-perf build --no-incremental / two cargo builds: {:.2}x (goal <= 1.10x)",
        results.ratio(2, 0)
    );
    println!(
        "ratio cargo-perf build --no-incremental / cargo metadata + two builds: {:.2}x",
        results.ratio(2, 1)
    );
    Ok(())
}

/// Members in a chain (each depends on the one before), one with a build script.
fn generate_workspace() -> Result<TempDir> {
    let dir = temp_dir("cargo-perf-bench-build")?;
    chain_workspace(
        dir.path(),
        MEMBERS,
        "pub fn f() -> u32 { 42 }\n\n#[test]\nfn t() { assert_eq!(f(), 42); }\n",
    )?;
    std::fs::write(
        dir.path().join("crates/member00/build.rs"),
        "fn main() { println!(\"cargo::rerun-if-changed=build.rs\"); }\n",
    )?;
    Ok(dir)
}
