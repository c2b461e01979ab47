//! `cargo xtask bench criterion-anchor` (issue 5): the anchor that
//! `cargo perf bench` must beat. The same A/A and +10% experiments as
//! `bench-quality`, but over a criterion benchmark, run once with plain
//! criterion (`--save-baseline a`, then `--baseline a`, counting
//! "Performance has regressed") and once through `cargo perf bench`
//! (counting `bench-regressed` and `bench-inconclusive`). Criterion keeps its
//! default settings (3 s warm-up, 5 s measurement, 100 samples) in both.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use xshell::Shell;

use super::{TempDir, release_binary, temp_dir};

/// The bench's fixed CPU loop (the same kind as `bench-quality`'s `BUSY`).
const LIB_RS: &str = r#"use std::hint::black_box;

/// A fixed amount of CPU work: `n` dependent multiply-adds.
pub fn busy(n: u64) -> u64 {
    let mut x = 0u64;
    for i in 0..n {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    x
}
"#;

/// About 1 ms per iteration on the development machine, times `SLOWDOWN`.
const BENCH_RS: &str = r#"use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};

fn work(c: &mut Criterion) {
    let factor: f64 = std::env::var("SLOWDOWN")
        .map_or(1.0, |s| s.trim().parse().expect("SLOWDOWN holds a number"));
    let n = (900_000.0 * factor) as u64;
    c.bench_function("work", |b| b.iter(|| fixture::busy(black_box(n))));
}

criterion_group!(benches, work);
criterion_main!(benches);
"#;

/// `[lib] bench = false`: otherwise `cargo bench -- ARGS` also hands
/// criterion's arguments to the library's libtest harness, which rejects them.
const CARGO_TOML: &str = r#"[package]
name = "fixture"
version = "0.1.0"
edition = "2021"

[lib]
bench = false

[dev-dependencies]
criterion = { version = "0.8", default-features = false }

[[bench]]
name = "work"
harness = false
"#;

const POLICY: &str = "[bench]\nthreshold = \"5%\"\n";

/// The line criterion 0.8 prints (without colour) under a comparison whose
/// change is significant and beyond its noise threshold, in the slower direction.
const CRITERION_REGRESSED: &str = "Performance has regressed";

#[derive(Clone, Copy, PartialEq)]
enum Tool {
    Criterion,
    CargoPerf,
}

struct Experiment {
    label: String,
    tool: Tool,
    /// `SLOWDOWN` for the second (candidate) run; the baseline runs at 1.0.
    slowdown: String,
}

struct Outcome {
    regressed: bool,
    /// Only cargo-perf has this verdict.
    inconclusive: bool,
}

/// `TRIALS=N` sets the trials per experiment (default 20), `SLOWDOWN=X` the
/// candidate's factor in the slowed experiments (default 1.10); `ONLY=text`
/// runs only the experiments whose label contains it; `LOAD=N` adds a
/// changing background load (see `load`).
pub fn run(sh: &Shell, _rounds: usize) -> Result<()> {
    let trials: usize = std::env::var("TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(20);
    let slowdown = std::env::var("SLOWDOWN").unwrap_or_else(|_| "1.10".to_owned());
    let percent = (slowdown
        .parse::<f64>()
        .with_context(|| format!("SLOWDOWN={slowdown} is not a number"))?
        - 1.0)
        * 100.0;
    let slowed = format!("{percent:+.0}%");
    let experiments = [
        (Tool::Criterion, "plain criterion", "A/A", "1.0"),
        (
            Tool::Criterion,
            "plain criterion",
            slowed.as_str(),
            slowdown.as_str(),
        ),
        (Tool::CargoPerf, "cargo-perf over criterion", "A/A", "1.0"),
        (
            Tool::CargoPerf,
            "cargo-perf over criterion",
            slowed.as_str(),
            slowdown.as_str(),
        ),
    ]
    .map(|(tool, who, what, factor)| Experiment {
        label: format!("{who}, {what}"),
        tool,
        slowdown: factor.to_owned(),
    });
    let only = std::env::var("ONLY").unwrap_or_default();
    let selected: Vec<&Experiment> = experiments
        .iter()
        .filter(|e| e.label.contains(&only))
        .collect();
    if selected.is_empty() {
        bail!("ONLY={only:?} matches no experiment");
    }
    let binary = match selected.iter().any(|e| e.tool == Tool::CargoPerf) {
        true => Some(release_binary(sh)?),
        false => None,
    };
    let fixture = Fixture::create()?;
    let _load = super::load::Load::from_env();
    println!(
        "{trials} trials per experiment; counts are trials reported regressed (criterion: \"{CRITERION_REGRESSED}\"):"
    );
    for experiment in selected {
        let started = Instant::now();
        let mut regressed = 0;
        let mut inconclusive = 0;
        for _ in 0..trials {
            let outcome = match experiment.tool {
                Tool::Criterion => fixture.criterion_trial(&experiment.slowdown)?,
                Tool::CargoPerf => fixture.perf_trial(
                    binary.as_deref().expect("built above"),
                    &experiment.slowdown,
                )?,
            };
            regressed += usize::from(outcome.regressed);
            inconclusive += usize::from(outcome.inconclusive);
        }
        let per_trial = started.elapsed().as_secs_f64() / trials as f64;
        let inconclusive = match experiment.tool {
            Tool::Criterion => "    -".to_owned(),
            Tool::CargoPerf => format!("{inconclusive:>2}/{trials}"),
        };
        println!(
            "  {:<34} regressed {regressed:>2}/{trials}  inconclusive {inconclusive}  {per_trial:.1} s/trial",
            experiment.label
        );
    }
    Ok(())
}

/// The fixture crate (a fresh temporary git workspace) and the one target
/// directory every trial shares, so criterion is compiled once.
struct Fixture {
    dir: TempDir,
    /// Kept under this repository's `target/`, so that a rerun of the
    /// experiment does not compile criterion again.
    target_dir: PathBuf,
}

impl Fixture {
    fn create() -> Result<Self> {
        let dir = temp_dir("cargo-perf-criterion-anchor")?;
        let root = dir.path();
        std::fs::create_dir_all(root.join("src"))?;
        std::fs::create_dir_all(root.join("benches"))?;
        std::fs::write(root.join("Cargo.toml"), CARGO_TOML)?;
        std::fs::write(root.join("src/lib.rs"), LIB_RS)?;
        std::fs::write(root.join("benches/work.rs"), BENCH_RS)?;
        std::fs::write(root.join("perf.toml"), POLICY)?;
        std::fs::write(root.join(".gitignore"), "/target\n/.cargo-perf\n")?;
        let fixture = Fixture {
            target_dir: crate::project_root().join("target/criterion-anchor"),
            dir,
        };
        println!("building the fixture's criterion bench (cargo bench --no-run)...");
        let output = fixture
            .cargo_bench(&["--no-run"], "1.0")
            .output()
            .context("running cargo bench --no-run")?;
        if !output.status.success() {
            bail!("building the fixture failed:\n{}", both(&output));
        }
        // Committed after the build, so Cargo.lock is in the commit too.
        super::git_commit_all(fixture.root())?;
        Ok(fixture)
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Every trial starts with no criterion data and no cargo-perf history.
    fn reset(&self) -> Result<()> {
        for dir in [
            self.target_dir.join("criterion"),
            self.root().join(".cargo-perf"),
        ] {
            match std::fs::remove_dir_all(&dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("removing {}", dir.display()));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn cargo_bench(&self, args: &[&str], slowdown: &str) -> Command {
        let mut command = Command::new("cargo");
        command
            .arg("bench")
            .args(args)
            .current_dir(self.root())
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .env("SLOWDOWN", slowdown);
        command
    }

    /// Plain criterion: `cargo bench -- --save-baseline a`, then
    /// `cargo bench -- --baseline a` with the candidate's slowdown.
    fn criterion_trial(&self, slowdown: &str) -> Result<Outcome> {
        self.reset()?;
        self.criterion(&["--save-baseline", "a"], "1.0")?;
        let stdout = self.criterion(&["--baseline", "a"], slowdown)?;
        // Every comparison prints a `change:` line and one of its explanations;
        // without them there was nothing compared, and counting 0 would lie.
        if !stdout.contains("change:") {
            bail!("criterion printed no comparison with the baseline:\n{stdout}");
        }
        Ok(Outcome {
            regressed: stdout.contains(CRITERION_REGRESSED),
            inconclusive: false,
        })
    }

    /// Runs `cargo bench -- ARGS` and returns criterion's stdout. Colour is
    /// turned off so that the explanation line is plain text.
    fn criterion(&self, args: &[&str], slowdown: &str) -> Result<String> {
        let mut all = vec!["--", "--color", "never"];
        all.extend_from_slice(args);
        let output = self
            .cargo_bench(&all, slowdown)
            .output()
            .with_context(|| format!("running cargo bench {all:?}"))?;
        if !output.status.success() {
            bail!(
                "cargo bench {all:?} failed ({}):\n{}",
                output.status,
                both(&output)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// cargo-perf over the same bench: `--save-baseline a`, then
    /// `--baseline a` with the candidate's slowdown.
    fn perf_trial(&self, binary: &Path, slowdown: &str) -> Result<Outcome> {
        self.reset()?;
        let (code, _) = self.perf(binary, &["bench", "--save-baseline", "a"], "1.0")?;
        if code != 0 {
            bail!("cargo-perf bench --save-baseline a exited {code}");
        }
        let (code, json) = self.perf(binary, &["bench", "--baseline", "a"], slowdown)?;
        let regressed = json.contains("bench-regressed");
        if (code == 1) != regressed {
            bail!("cargo-perf bench --baseline a exited {code}, its report:\n{json}");
        }
        if ![
            "bench-regressed",
            "bench-inconclusive",
            "bench-unchanged",
            "bench-improved",
        ]
        .iter()
        .any(|verdict| json.contains(verdict))
        {
            bail!("cargo-perf bench --baseline a gave no verdict:\n{json}");
        }
        Ok(Outcome {
            regressed,
            inconclusive: json.contains("bench-inconclusive"),
        })
    }

    /// Runs cargo-perf with `--format json --quiet`; exit 0 or 1 is a
    /// verdict (returned with the report), anything else an error.
    fn perf(&self, binary: &Path, args: &[&str], slowdown: &str) -> Result<(i32, String)> {
        let output = Command::new(binary)
            .args(args)
            .args(["--format", "json", "--quiet"])
            .current_dir(self.root())
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .env("SLOWDOWN", slowdown)
            .output()
            .with_context(|| format!("running cargo-perf {args:?}"))?;
        match output.status.code() {
            Some(code @ (0 | 1)) => {
                Ok((code, String::from_utf8_lossy(&output.stdout).into_owned()))
            }
            _ => bail!(
                "cargo-perf {args:?} failed ({}):\n{}",
                output.status,
                both(&output)
            ),
        }
    }
}

fn both(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
