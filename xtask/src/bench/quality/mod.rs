//! `cargo xtask bench bench-quality` (issue 14): how often `cargo perf
//! bench` reaches the right verdict, per class of benchmark. Each class is
//! a fixture in a git repository whose work scales with a factor committed
//! in a file; a trial measures a baseline (`--save-baseline a`) on the
//! clean commit, then compares with it once with identical code (A/A) and
//! once with the factor changed in the working tree so the benchmark is a
//! true 10% slower (the factor is calibrated per class by timing the
//! command at two factors, and before every trial for a command under
//! 20 ms, whose start-up cost moves with the machine). The comparisons run as a user's would, so
//! cargo perf may measure the baseline's commit again (`[bench] interleave
//! = "auto"`). Every trial starts from an empty history. The table counts,
//! per class, the verdicts of both comparisons; for the criterion class it
//! also counts criterion's own printed verdicts on the same runs.
//!
//! `TRIALS=N` (default 20); `ONLY=text` runs the classes whose label
//! contains it; `LOAD=1` adds a changing background load to the classes
//! marked so; the `build` class runs a cargo build beside the benchmark;
//! `VERBOSE=1` prints each comparison's verdict, change and interval.

mod fixtures;
mod trial;

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, bail};
use xshell::Shell;

use fixtures::Kind;
use trial::{Background, Tally};

use super::{release_binary, temp_dir};

/// One row of the table.
struct Class {
    label: &'static str,
    kind: Kind,
    background: Background,
}

const fn command(run: &'static str, env: &'static str) -> Kind {
    Kind::Command { run, env }
}

fn classes() -> Vec<Class> {
    let plain = |label, kind| Class {
        label,
        kind,
        background: Background::None,
    };
    let loaded = |label, kind| Class {
        label,
        kind,
        background: Background::Bursts,
    };
    vec![
        plain("(a) compiled steady loop", command("./busy", "")),
        plain(
            "(b) interpreter start-up + 0.2 s loop",
            command("python3 work.py", ""),
        ),
        plain(
            "(c) process start-up (< 5 ms)",
            command("./busy", "STEPS = \"200000\""),
        ),
        plain(
            "(d) multi-threaded (4 threads)",
            command("./busy", "THREADS = \"4\", STEPS = \"8000000\""),
        ),
        plain("(e) reads 3,000 small files", command("./files", "")),
        plain("(f) criterion bench", Kind::Criterion),
        plain("(f) divan bench", Kind::Divan),
        plain("(g) libtest #[bench] (nightly)", Kind::Libtest),
        loaded("(a) LOAD=1", command("./busy", "")),
        loaded("(b) LOAD=1", command("python3 work.py", "")),
        loaded("(e) LOAD=1", command("./files", "")),
        Class {
            label: "(a) cargo build beside",
            kind: command("./busy", ""),
            background: Background::CargoBuild,
        },
    ]
}

pub fn run(sh: &Shell, _rounds: usize) -> Result<()> {
    let trials: usize = std::env::var("TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(20);
    let only = std::env::var("ONLY").unwrap_or_default();
    let selected: Vec<Class> = classes()
        .into_iter()
        .filter(|c| c.label.contains(&only))
        .collect();
    if selected.is_empty() {
        bail!("ONLY={only:?} matches no class");
    }
    let binary = release_binary(sh)?;
    println!(
        "{trials} trials per class and comparison; threshold 5%, default settings. A/A: right = unchanged, false alarm = regressed. +10%: right = regressed.\n"
    );
    println!(
        "| class | A/A unchanged | A/A false alarms | A/A inconclusive | +10% caught | +10% inconclusive | s/trial | runs/trial | criterion's own: A/A alarms, +10% caught |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for class in &selected {
        let tally = run_class(&binary, class, trials)?;
        println!("| {} | {} |", class.label, tally.row(trials));
    }
    Ok(())
}

fn run_class(binary: &Path, class: &Class, trials: usize) -> Result<Tally> {
    let dir = temp_dir("cargo-perf-bench-quality")?;
    let root = dir.path();
    fixtures::create(root, class.kind)?;
    super::git_commit_all(root)?;
    // Outside this repository: a tree cargo perf checks out under the
    // target dir must not find our workspace above it. Kept between runs,
    // so criterion and divan build once.
    let target_dir = std::env::temp_dir().join("cargo-perf-bench-quality-target");
    let setup = trial::Setup::new(binary, root, &target_dir, class.kind)?;
    let _background = class.background.start(&target_dir)?;
    let mut tally = Tally::default();
    for _ in 0..trials {
        setup.trial(&mut tally)?;
    }
    Ok(tally)
}

/// Median of durations, in seconds.
fn median_secs(mut values: Vec<Duration>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort();
    values[values.len() / 2].as_secs_f64()
}
