//! `cargo xtask bench bench-quality` (issue: bench): how often `cargo perf
//! bench` says `regressed` on this machine. A fixture program does a fixed
//! amount of CPU work times a factor: the environment variable `SLOWDOWN` in
//! sequential trials, the committed or changed `factor.txt` when two
//! revisions are measured in one run (`--baseline-rev`). Each trial starts from an empty history and compares a
//! baseline with a candidate; we count the trials that exit 1 with
//! `bench-regressed`. Goals (issue 5): A/A at most 1 of 20, a 10% slowdown at
//! least 19 of 20, and with `--instructions` a 2% slowdown caught in every
//! trial with no A/A false alarm.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use xshell::Shell;

use super::{median, release_binary, temp_dir};

const BUSY: &str = r#"use std::hint::black_box;
fn main() {
    let file: f64 = std::fs::read_to_string("factor.txt")
        .map(|s| s.trim().parse().expect("factor.txt holds a number"))
        .unwrap_or(1.0);
    let env: f64 = std::env::var("SLOWDOWN").map_or(1.0, |s| s.parse().expect("SLOWDOWN holds a number"));
    let factor = file * env;
    let scale: f64 = std::env::args().nth(1).map_or(1.0, |s| s.parse().expect("a scale"));
    let n = (20_000_000.0 * scale * factor) as u64;
    let mut x = 0u64;
    for i in 0..n {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    black_box(x);
}
"#;

const TIME_POLICY: &str = "[bench]\nthreshold = \"5%\"\n\n[bench.commands.work]\nsetup = \"rustc -O -o busy busy.rs\"\nrun = \"./busy\"\nwarmup = 3\n";
const CPU_POLICY: &str = "[bench]\nthreshold = \"5%\"\nclock = \"cpu\"\n\n[bench.commands.work]\nsetup = \"rustc -O -o busy busy.rs\"\nrun = \"./busy\"\nwarmup = 3\n";
const INSTRUCTIONS_POLICY: &str = "[bench]\nthreshold = \"1%\"\nmode = \"instructions\"\n\n[bench.commands.work]\nsetup = \"rustc -O -o busy busy.rs\"\nrun = \"./busy 0.05\"\n";

/// How a trial gets its baseline.
#[derive(Clone, Copy)]
enum Method {
    /// `--save-baseline` in one run, `--baseline` in the next.
    Sequential,
    /// `--baseline-rev HEAD`: both measured in one run, interleaved.
    Interleaved,
}

struct Experiment {
    label: &'static str,
    policy: &'static str,
    method: Method,
    factor: &'static str,
}

/// `TRIALS=N` sets the trials per experiment (default 20), `RUNS=N` fixes
/// the timed runs per side (by default cargo-perf samples until the median
/// is precise); `ONLY=text` runs only the experiments whose label contains
/// it; `LOAD=N` adds a changing background load (see `load`).
pub fn run(sh: &Shell, _rounds: usize) -> Result<()> {
    let trials: usize = std::env::var("TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(20);
    let binary = release_binary(sh)?;
    let experiments = [
        Experiment {
            label: "time, A/A, sequential",
            policy: TIME_POLICY,
            method: Method::Sequential,
            factor: "1.0",
        },
        Experiment {
            label: "time, +10%, sequential",
            policy: TIME_POLICY,
            method: Method::Sequential,
            factor: "1.10",
        },
        Experiment {
            label: "time, A/A, --baseline-rev (interleaved)",
            policy: TIME_POLICY,
            method: Method::Interleaved,
            factor: "1.0",
        },
        Experiment {
            label: "time, +10%, --baseline-rev (interleaved)",
            policy: TIME_POLICY,
            method: Method::Interleaved,
            factor: "1.10",
        },
        Experiment {
            label: "cpu clock, A/A, sequential",
            policy: CPU_POLICY,
            method: Method::Sequential,
            factor: "1.0",
        },
        Experiment {
            label: "cpu clock, +10%, sequential",
            policy: CPU_POLICY,
            method: Method::Sequential,
            factor: "1.10",
        },
        Experiment {
            label: "instructions, A/A",
            policy: INSTRUCTIONS_POLICY,
            method: Method::Sequential,
            factor: "1.0",
        },
        Experiment {
            label: "instructions, +2%",
            policy: INSTRUCTIONS_POLICY,
            method: Method::Sequential,
            factor: "1.02",
        },
    ];
    let only = std::env::var("ONLY").unwrap_or_default();
    let _load = super::load::Load::from_env();
    println!(
        "{trials} trials per experiment; counts are trials reported `regressed`; times and runs are medians over the trials:"
    );
    for experiment in experiments.iter().filter(|e| e.label.contains(&only)) {
        let mut regressed = 0;
        let mut inconclusive = 0;
        let mut seconds = Vec::with_capacity(trials);
        let mut runs = Vec::with_capacity(trials);
        for _ in 0..trials {
            let started = Instant::now();
            let outcome = trial(&binary, experiment)?;
            seconds.push(started.elapsed());
            runs.push(outcome.runs);
            regressed += usize::from(outcome.regressed);
            inconclusive += usize::from(outcome.inconclusive);
        }
        println!(
            "  {:<42} regressed {regressed:>2}/{trials}  inconclusive {inconclusive:>2}/{trials}  {:.1} s/trial (max {:.1})  {} timed runs (max {})",
            experiment.label,
            median(seconds.clone()).as_secs_f64(),
            seconds
                .iter()
                .max()
                .unwrap_or(&Duration::ZERO)
                .as_secs_f64(),
            {
                runs.sort_unstable();
                runs[runs.len() / 2]
            },
            runs.last().copied().unwrap_or(0),
        );
    }
    Ok(())
}

struct Outcome {
    regressed: bool,
    inconclusive: bool,
    /// Timed runs of the candidate (per side when interleaved).
    runs: usize,
}

fn trial(binary: &Path, experiment: &Experiment) -> Result<Outcome> {
    let dir = temp_dir("cargo-perf-bench-quality")?;
    let root = dir.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )?;
    std::fs::create_dir_all(root.join("src"))?;
    std::fs::write(root.join("src/lib.rs"), "")?;
    std::fs::write(root.join("busy.rs"), BUSY)?;
    std::fs::write(root.join("factor.txt"), "1.0")?;
    std::fs::write(
        root.join(".gitignore"),
        "/busy\n/target\n/.cargo-perf\n/perf.toml\n",
    )?;
    super::git_commit_all(root)?;
    // `RUNS=N` fixes the timed runs per side; by default they adapt.
    let mut policy = experiment.policy.to_owned();
    if let Ok(runs) = std::env::var("RUNS")
        && !policy.contains("instructions")
    {
        policy.push_str(&format!("runs = {runs}\n"));
    }
    std::fs::write(root.join("perf.toml"), policy)?;
    let output = match experiment.method {
        Method::Sequential => {
            perf(binary, root, &["bench", "--save-baseline", "a"], "1.0")?;
            perf(
                binary,
                root,
                &["bench", "--baseline", "a"],
                experiment.factor,
            )?
        }
        Method::Interleaved => {
            // The working tree's change is what `--baseline-rev HEAD` compares.
            std::fs::write(root.join("factor.txt"), experiment.factor)?;
            perf(binary, root, &["bench", "--baseline-rev", "HEAD"], "1.0")?
        }
    };
    Ok(Outcome {
        regressed: output.contains("bench-regressed"),
        inconclusive: output.contains("bench-inconclusive"),
        runs: last_run_samples(root)?,
    })
}

/// How many samples the newest run in the history holds for its benchmark.
fn last_run_samples(root: &Path) -> Result<usize> {
    let runs = root.join(".cargo-perf/bench/runs");
    let newest = std::fs::read_dir(&runs)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .max()
        .with_context(|| format!("no run in {}", runs.display()))?;
    let record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&newest)?)?;
    Ok(record["benchmarks"][0]["samples"]
        .as_array()
        .map_or(0, Vec::len))
}

/// Runs cargo-perf with `--format json`; exit 0 or 1 is a verdict, anything else an error.
fn perf(binary: &Path, root: &Path, args: &[&str], slowdown: &str) -> Result<String> {
    let output = Command::new(binary)
        .args(args)
        .env("SLOWDOWN", slowdown)
        .args(["--format", "json", "--quiet"])
        .current_dir(root)
        .output()
        .with_context(|| format!("running cargo-perf {args:?}"))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    match output.status.code() {
        Some(0 | 1) => Ok(text),
        _ => bail!(
            "cargo-perf {args:?} failed ({}):\n{text}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}
