//! `cargo xtask bench bench-quality` (issue: bench): how often `cargo perf
//! bench` says `regressed` on this machine. A fixture program does a fixed
//! amount of CPU work times the factor in its `factor.txt`, so a slowdown is
//! a one-line change. Each trial starts from an empty history and compares a
//! baseline with a candidate; we count the trials that exit 1 with
//! `bench-regressed`. Goals (issue 5): A/A at most 1 of 20, a 10% slowdown at
//! least 19 of 20, and with `--instructions` a 2% slowdown caught in every
//! trial with no A/A false alarm.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use xshell::Shell;

use super::{TempDir, release_binary};

const BUSY: &str = r#"use std::hint::black_box;
fn main() {
    let factor: f64 = std::fs::read_to_string("factor.txt")
        .map(|s| s.trim().parse().expect("factor.txt holds a number"))
        .unwrap_or(1.0);
    let scale: f64 = std::env::args().nth(1).map_or(1.0, |s| s.parse().expect("a scale"));
    let n = (20_000_000.0 * scale * factor) as u64;
    let mut x = 0u64;
    for i in 0..n {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    black_box(x);
}
"#;

const TIME_POLICY: &str = "[bench]\nthreshold = \"5%\"\n\n[bench.commands.work]\nsetup = \"rustc -O -o busy busy.rs\"\nrun = \"./busy\"\nwarmup = 3\nruns = 30\n";
const CPU_POLICY: &str = "[bench]\nthreshold = \"5%\"\nclock = \"cpu\"\n\n[bench.commands.work]\nsetup = \"rustc -O -o busy busy.rs\"\nrun = \"./busy\"\nwarmup = 3\nruns = 30\n";
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

/// `TRIALS=N` sets the trials per experiment (default 20), `RUNS=N` the
/// timed runs per side (default 30); `ONLY=text` runs only the experiments
/// whose label contains it.
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
    println!("{trials} trials per experiment; counts are trials reported `regressed`:");
    for experiment in experiments.iter().filter(|e| e.label.contains(&only)) {
        let started = Instant::now();
        let mut regressed = 0;
        let mut inconclusive = 0;
        for _ in 0..trials {
            let outcome = trial(&binary, experiment)?;
            regressed += usize::from(outcome.regressed);
            inconclusive += usize::from(outcome.inconclusive);
        }
        let per_trial = started.elapsed().as_secs_f64() / trials as f64;
        println!(
            "  {:<42} regressed {regressed:>2}/{trials}  inconclusive {inconclusive:>2}/{trials}  {per_trial:.1} s/trial",
            experiment.label
        );
    }
    Ok(())
}

struct Outcome {
    regressed: bool,
    inconclusive: bool,
}

fn trial(binary: &Path, experiment: &Experiment) -> Result<Outcome> {
    let dir = TempDir::new("cargo-perf-bench-quality")?;
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
            bail!("git {args:?} failed");
        }
    }
    // `RUNS=N` overrides the 30 timed runs per side.
    let runs = std::env::var("RUNS").unwrap_or_else(|_| "30".to_owned());
    std::fs::write(
        root.join("perf.toml"),
        experiment
            .policy
            .replace("runs = 30", &format!("runs = {runs}")),
    )?;
    let output = match experiment.method {
        Method::Sequential => {
            perf(binary, root, &["bench", "--save-baseline", "a"])?;
            std::fs::write(root.join("factor.txt"), experiment.factor)?;
            perf(binary, root, &["bench", "--baseline", "a"])?
        }
        Method::Interleaved => {
            std::fs::write(root.join("factor.txt"), experiment.factor)?;
            perf(binary, root, &["bench", "--baseline-rev", "HEAD"])?
        }
    };
    Ok(Outcome {
        regressed: output.contains("bench-regressed"),
        inconclusive: output.contains("bench-inconclusive"),
    })
}

/// Runs cargo-perf with `--format json`; exit 0 or 1 is a verdict, anything else an error.
fn perf(binary: &Path, root: &Path, args: &[&str]) -> Result<String> {
    let output = Command::new(binary)
        .args(args)
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
