//! `cargo xtask bench <name>`: speed comparisons run on this (noisy, shared)
//! machine the honest way: the commands under comparison run interleaved in
//! the same session, round after round, and we report medians and the ratio
//! of medians, never one absolute time.

mod build;
mod check;
mod clean;
mod criterion_anchor;
mod gitignore;
mod hook;
mod lint;
mod load;
mod profile;
mod quality;
mod report;
mod speed;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

pub const NAMES: &[&str] = &[
    "speed",
    "check",
    "hook",
    "build",
    "gitignore",
    "profile",
    "clean",
    "bench-quality",
    "criterion-anchor",
    "lint",
    "report",
];

pub fn run(sh: &Shell, args: &[String]) -> Result<()> {
    let rounds = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15);
    match args.first().map(String::as_str) {
        None | Some("speed") => speed::run(sh, rounds),
        Some("check") => check::run(sh, rounds),
        Some("hook") => hook::run(sh, rounds),
        Some("build") => build::run(sh, rounds),
        Some("gitignore") => gitignore::run(sh, rounds),
        Some("profile") => profile::run(sh, rounds),
        Some("clean") => clean::run(sh, rounds),
        Some("bench-quality") => quality::run(sh, rounds),
        Some("criterion-anchor") => criterion_anchor::run(sh, rounds),
        Some("lint") => lint::run(sh, rounds),
        Some("report") => report::run(sh, rounds),
        _ => bail!(
            "usage: cargo xtask bench [{}]   (default: speed, every ratio of issue 18 in one table; BENCH_ROUNDS=N sets the rounds, default 15)",
            NAMES.join(" | ")
        ),
    }
}

pub use profile::fold_render;

/// Makes `root` a git repository on branch `main` with everything in it committed.
pub fn git_commit_all(root: &Path) -> Result<()> {
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=x",
            "-c",
            "user.email=x@x",
            "commit",
            "-q",
            "-m",
            "fixture",
        ],
    ] {
        let status = Command::new("git").args(args).current_dir(root).status()?;
        if !status.success() {
            bail!("git {args:?} in {} failed", root.display());
        }
    }
    Ok(())
}

/// Builds the release binary and returns its path.
pub fn release_binary(sh: &Shell) -> Result<std::path::PathBuf> {
    cmd!(sh, "cargo build --release --quiet --bin cargo-perf").run()?;
    Ok(crate::project_root().join("target/release/cargo-perf"))
}

/// One contender: a label and a command to time.
pub struct Contender {
    pub label: String,
    pub command: Command,
    /// Exit codes that count as a successful run (default: 0).
    pub expected_codes: Vec<i32>,
}

impl Contender {
    pub fn new(label: impl Into<String>, command: Command) -> Self {
        Self {
            label: label.into(),
            command,
            expected_codes: vec![0],
        }
    }

    /// Accepts these exit codes instead of 0 (e.g. 1 for a check that finds planted problems).
    pub fn expect_codes(mut self, codes: &[i32]) -> Self {
        self.expected_codes = codes.to_vec();
        self
    }
}

/// Medians and fastest rounds of each contender, in order.
pub struct Results {
    pub labels: Vec<String>,
    pub medians: Vec<Duration>,
    pub fastest: Vec<Duration>,
}

impl Results {
    /// Prints a table with each median and its ratio to the contender at `base`.
    pub fn print(&self, base: usize) {
        let width = self.labels.iter().map(String::len).max().unwrap_or(0);
        for (label, median) in self.labels.iter().zip(&self.medians) {
            println!(
                "  {label:<width$}  median {:>10.2} ms   {:>5.2}x",
                median.as_secs_f64() * 1000.0,
                median.as_secs_f64() / self.medians[base].as_secs_f64()
            );
        }
    }

    pub fn ratio(&self, a: usize, b: usize) -> f64 {
        self.medians[a].as_secs_f64() / self.medians[b].as_secs_f64()
    }

    /// The median of `a` over the fastest round of `b`: `a`'s ratio when `b` is at its best.
    pub fn ratio_to_fastest(&self, a: usize, b: usize) -> f64 {
        self.medians[a].as_secs_f64() / self.fastest[b].as_secs_f64()
    }
}

/// Runs every contender once per round, in alternating order (A B, B A, ...),
/// after one untimed warm-up each. Any failing run aborts the benchmark.
pub fn compare(contenders: &mut [Contender], rounds: usize) -> Result<Results> {
    for contender in contenders.iter_mut() {
        time_once(contender)?;
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); contenders.len()];
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..contenders.len()).collect();
        if !round.is_multiple_of(2) {
            order.reverse();
        }
        for index in order {
            samples[index].push(time_once(&mut contenders[index])?);
        }
    }
    Ok(Results {
        labels: contenders.iter().map(|c| c.label.clone()).collect(),
        fastest: samples
            .iter()
            .map(|s| s.iter().copied().min().unwrap_or_default())
            .collect(),
        medians: samples.into_iter().map(median).collect(),
    })
}

fn time_once(contender: &mut Contender) -> Result<Duration> {
    let started = Instant::now();
    let output = contender
        .command
        .output()
        .with_context(|| format!("running {}", contender.label))?;
    let elapsed = started.elapsed();
    if !output
        .status
        .code()
        .is_some_and(|code| contender.expected_codes.contains(&code))
    {
        bail!(
            "{} failed ({}):\n{}{}",
            contender.label,
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(elapsed)
}

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let mid = samples.len() / 2;
    if samples.len().is_multiple_of(2) {
        (samples[mid - 1] + samples[mid]) / 2
    } else {
        samples[mid]
    }
}

/// Waits out the metadata cache's racy window (2 s): a workspace generated
/// just now is not trusted as a cache key, one a developer works in is.
pub fn settle() {
    std::thread::sleep(Duration::from_millis(2_500));
}

pub use tempfile::TempDir;

/// A fresh, unpredictably named directory under the system temp dir, removed on drop.
pub fn temp_dir(prefix: &str) -> std::io::Result<TempDir> {
    tempfile::Builder::new()
        .prefix(&format!("{prefix}-"))
        .tempdir()
}

/// Writes a workspace of `members` library crates in a chain (each depends on
/// the one before), each with `lib_rs` as its source.
pub fn chain_workspace(root: &Path, members: usize, lib_rs: &str) -> Result<()> {
    let mut list = String::new();
    for i in 0..members {
        let name = format!("member{i:02}");
        let _ = write!(list, "\"crates/{name}\", ");
        let crate_dir = root.join("crates").join(&name);
        std::fs::create_dir_all(crate_dir.join("src"))?;
        let dep = match i {
            0 => String::new(),
            _ => format!("member{0:02} = {{ path = \"../member{0:02}\" }}\n", i - 1),
        };
        std::fs::write(
            crate_dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{dep}"
            ),
        )?;
        std::fs::write(crate_dir.join("src/lib.rs"), lib_rs)?;
    }
    std::fs::write(
        root.join("Cargo.toml"),
        format!("[workspace]\nmembers = [{list}]\nresolver = \"2\"\n"),
    )?;
    Ok(())
}
