//! `cargo xtask bench gitignore` (issue 3): `cargo-perf gitignore` on a
//! generated repository of about 100,000 tracked files (with some tracked but
//! ignored files and some large ones, so the task finds something and exits 1)
//! against git's own `git ls-files -ci --exclude-standard`, which checks only
//! one of the three things we check. Goal (issue 18): at most git's time,
//! all checks included.
//!
//! The repository is generated once and cached under the system temp dir,
//! keyed by [`VERSION`]; bump it when the layout below changes.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use xshell::Shell;

use super::{Contender, Results, compare, release_binary};

/// Bump to regenerate cached repositories.
const VERSION: &str = "v1";
const DIRS: usize = 1_000;
const FILES_PER_DIR: usize = 100;
const IGNORED_TRACKED: usize = 50;
const LARGE: usize = 5;

pub fn run(sh: &Shell, rounds: usize) -> Result<()> {
    let results = measure(&release_binary(sh)?, rounds)?;
    results.print(0);
    println!(
        "ratio cargo-perf gitignore / git ls-files -ci: {:.2}x (goal <= 1.00x)",
        results.ratio(1, 0)
    );
    Ok(())
}

/// Medians of `git ls-files -ci --exclude-standard`, `cargo-perf gitignore`
/// and `cargo metadata --no-deps`, in that order.
pub fn measure(binary: &Path, rounds: usize) -> Result<Results> {
    let root = generate()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());

    let mut git = Command::new("git");
    git.args(["ls-files", "-ci", "--exclude-standard"])
        .current_dir(&root);
    let mut ours = Command::new(binary);
    ours.args(["gitignore", "--quiet"]).current_dir(&root);
    let mut metadata = Command::new(&cargo);
    metadata
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(&root);

    let mut contenders = [
        Contender::new("git ls-files -ci --exclude-standard", git),
        Contender::new("cargo-perf gitignore", ours).expect_codes(&[1]),
        Contender::new("cargo metadata --no-deps (fixed cost)", metadata),
    ];
    println!(
        "{} tracked files ({IGNORED_TRACKED} tracked but ignored, {LARGE} over 1 MiB) in {}, {rounds} interleaved rounds:",
        DIRS * FILES_PER_DIR,
        root.display()
    );
    compare(&mut contenders, rounds)
}

/// The cached repository, generated on first use.
fn generate() -> Result<PathBuf> {
    let root = std::env::temp_dir().join(format!("cargo-perf-bench-gitignore-{VERSION}"));
    let done = root.join(".git").join("cargo-perf-bench-complete");
    if done.exists() {
        return Ok(root);
    }
    println!("generating {} (once)...", root.display());
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("src"))?;
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"bench\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )?;
    std::fs::write(root.join("src/lib.rs"), "pub fn f() {}\n")?;
    std::fs::write(
        root.join(".gitignore"),
        "/target/\n/.cargo-perf/\nperf.data*\n*.log\n",
    )?;
    for d in 0..DIRS {
        let dir = root.join(format!("data/d{:02}/d{d:04}", d % 37));
        std::fs::create_dir_all(&dir)?;
        for f in 0..FILES_PER_DIR {
            std::fs::write(dir.join(format!("file{f:03}.txt")), format!("{d} {f}\n"))?;
        }
    }
    for i in 0..IGNORED_TRACKED {
        std::fs::write(
            root.join(format!("data/d{:02}/run{i}.log", i % 37)),
            "log\n",
        )?;
    }
    std::fs::create_dir_all(root.join("assets"))?;
    for i in 0..LARGE {
        std::fs::write(
            root.join(format!("assets/big{i}.bin")),
            vec![i as u8; 2 << 20],
        )?;
    }
    git(&root, &["init", "-q", "-b", "main"])?;
    git(&root, &["add", "-A"])?;
    git(&root, &["add", "-f", "data"])?;
    git(&root, &["commit", "-q", "-m", "generated"])?;
    std::fs::write(&done, VERSION)?;
    Ok(root)
}

fn git(dir: &Path, args: &[&str]) -> Result<()> {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .status()
        .with_context(|| format!("running git {}", args.join(" ")))?;
    if !status.success() {
        bail!("git {} failed ({status})", args.join(" "));
    }
    Ok(())
}
