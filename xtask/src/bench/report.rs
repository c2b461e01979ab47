//! `cargo xtask bench report` (issue 16): `cargo-perf report` end to end
//! (release binary: open the workspace, read the bench history, gather,
//! draw, write the page) on a history of 1,000 runs x 50 benchmarks. Goals:
//! under 1 s, and a page under 5 MB.
//!
//! The history is made in a temporary workspace (removed afterwards) from
//! one run the binary really measured and stored (50 command benchmarks of
//! 30 runs each), copied to 1,000 runs with their medians moved (a step at
//! run 700, some noise), so every field a run holds is there at its real
//! size. Beside the report, to show where its time goes: `cargo-perf bench
//! history` (reading the store alone) and `cargo metadata --no-deps` (the
//! fixed cost of opening any workspace).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;
use xshell::Shell;

use super::{Contender, compare, git_commit_all, release_binary, temp_dir};

const RUNS: u64 = 1_000;
const BENCHMARKS: usize = 50;
/// Samples per benchmark in each run.
const SAMPLES: usize = 30;
const GOAL_SECONDS: f64 = 1.0;
const GOAL_BYTES: u64 = 5_000_000;

pub fn run(sh: &Shell, rounds: usize) -> Result<()> {
    let binary = release_binary(sh)?;
    let dir = temp_dir("cargo-perf-bench-report")?;
    let root = dir.path();
    println!(
        "generating {RUNS} runs x {BENCHMARKS} benchmarks in {}...",
        root.display()
    );
    let store_bytes = generate(&binary, root)?;
    let page = root.join("out/report.html");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());

    let mut report = ours(&binary, root);
    report.args(["report", "--output"]).arg(&page);
    let mut history = ours(&binary, root);
    history.args(["bench", "history", "--format", "json"]);
    let mut metadata = Command::new(&cargo);
    metadata
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root);
    let mut contenders = [
        Contender::new("cargo-perf report", report),
        Contender::new("cargo-perf bench history (reading the store)", history),
        Contender::new("cargo metadata --no-deps (fixed cost)", metadata),
    ];
    println!(
        "{RUNS} runs x {BENCHMARKS} benchmarks ({} of JSON), {rounds} interleaved rounds:",
        megabytes(store_bytes)
    );
    let results = compare(&mut contenders, rounds)?;
    results.print(0);
    let html = check_page(&page)?;
    let markdown = markdown_bytes(&binary, root)?;
    println!(
        "ratio cargo-perf report / the {GOAL_SECONDS} s goal: {:.2}x (goal <= 1.00x)",
        results.medians[0].as_secs_f64() / GOAL_SECONDS
    );
    println!(
        "page: {} ({:.2}x the 5 MB goal); Markdown with its charts: {} ({:.2}x)",
        megabytes(html),
        html as f64 / GOAL_BYTES as f64,
        megabytes(markdown),
        markdown as f64 / GOAL_BYTES as f64
    );
    Ok(())
}

fn ours(binary: &Path, root: &Path) -> Command {
    let mut command = Command::new(binary);
    command
        .current_dir(root)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_PERF_CONFIG")
        .env_remove("CARGO_PERF_FORMAT");
    command
}

/// The workspace and its history; returns the bytes of JSON in the store.
fn generate(binary: &Path, root: &Path) -> Result<u64> {
    fs::create_dir_all(root.join("src"))?;
    fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"bench-report\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )?;
    fs::write(root.join("src/lib.rs"), "")?;
    fs::write(root.join(".gitignore"), "/target\n/.cargo-perf\n/out\n")?;
    fs::write(root.join("perf.toml"), policy())?;
    git_commit_all(root)?;
    let status = ours(binary, root)
        .args(["bench", "--quiet"])
        .status()
        .context("running cargo-perf bench for the template run")?;
    // A run judged a regression (exit 1) is stored all the same.
    if !matches!(status.code(), Some(0 | 1)) {
        bail!("cargo-perf bench failed ({status})");
    }
    let runs = root.join(".cargo-perf/bench/runs");
    let template: Value = serde_json::from_slice(&fs::read(runs.join("000001.json"))?)
        .context("reading the template run")?;
    let mut total = 0;
    for id in 1..=RUNS {
        let json = serde_json::to_vec_pretty(&copy(&template, id)?)?;
        total += json.len() as u64;
        fs::write(runs.join(format!("{id:06}.json")), json)?;
    }
    Ok(total)
}

/// 50 command benchmarks in 5 groups, a budget on every tenth.
fn policy() -> String {
    let mut text = String::from("[bench]\nthreshold = \"5%\"\n\n");
    for b in 0..BENCHMARKS {
        let _ = write!(
            text,
            "[bench.commands.\"{}\"]\nrun = \"true\"\nwarmup = 1\nruns = {SAMPLES}\n\n",
            id(b)
        );
    }
    text.push_str("[bench.budgets]\n");
    for b in (0..BENCHMARKS).step_by(10) {
        let _ = writeln!(text, "\"{}\" = \"50ms\"", id(b));
    }
    text
}

fn id(b: usize) -> String {
    format!("group{}/bench_{b:02}", b % 5)
}

/// The template run as run `id`: an hour after the one before, every
/// benchmark's samples scaled (20% slower from run 700 on, a few per cent
/// of noise).
fn copy(template: &Value, id: u64) -> Result<Value> {
    let mut run = template.clone();
    run["id"] = id.into();
    let time = run["fingerprint"]["time"].as_u64().unwrap_or(1_790_000_000);
    run["fingerprint"]["time"] = (time - (RUNS - id) * 3600).into();
    let Some(benchmarks) = run["benchmarks"].as_array_mut() else {
        bail!("the template run has no benchmarks");
    };
    for (b, bench) in benchmarks.iter_mut().enumerate() {
        let step = if id > 700 { 1.2 } else { 1.0 };
        let noise = 1.0 + 0.04 * (noise(id * 131 + b as u64) - 0.5);
        let factor = (1.0 + b as f64 / 10.0) * step * noise;
        if let Some(samples) = bench["samples"].as_array_mut() {
            for sample in samples {
                *sample = (sample.as_f64().unwrap_or(0.0) * factor).round().into();
            }
        }
    }
    Ok(run)
}

/// A number in [0, 1) from `seed` (splitmix64): the same history every time.
fn noise(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as f64 / u64::MAX as f64
}

/// The page's size, once it is seen to hold every trend with every run.
fn check_page(page: &Path) -> Result<u64> {
    let text = fs::read_to_string(page).with_context(|| format!("reading {}", page.display()))?;
    let trends = text.matches(&format!("data-runs=\"{RUNS}\"")).count();
    if trends != BENCHMARKS {
        bail!("the page has {trends} trends of {RUNS} runs, not {BENCHMARKS}");
    }
    Ok(text.len() as u64)
}

/// `report --format markdown` once: the document and its charts, in bytes.
fn markdown_bytes(binary: &Path, root: &Path) -> Result<u64> {
    let file = root.join("out/md/report.md");
    let status = ours(binary, root)
        .args(["report", "--format", "markdown", "--output"])
        .arg(&file)
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("cargo-perf report --format markdown failed ({status})");
    }
    let charts: PathBuf = file.with_file_name("report-charts");
    let mut total = fs::metadata(&file)?.len();
    for entry in fs::read_dir(&charts)? {
        total += entry?.metadata()?.len();
    }
    Ok(total)
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
