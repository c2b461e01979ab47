//! One trial of the verdict-quality experiment: a baseline run, then an
//! A/A and a +10% comparison with it, each read from cargo-perf's JSON
//! report (and, for criterion, from criterion's own printed verdict).

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::fixtures::{Kind, SLOWDOWN_FILE};
use super::median_secs;

/// What runs beside the benchmark.
#[derive(Clone, Copy)]
pub enum Background {
    None,
    /// `LOAD=1`: a thread busy and idle in random bursts.
    Bursts,
    /// `cargo build` of a crate with dependencies, over and over.
    CargoBuild,
}

/// Stops the background work when dropped.
pub enum Running {
    Nothing,
    Load(#[allow(dead_code)] super::super::load::Load),
    Build(Child),
}

impl Drop for Running {
    /// Stops the whole build loop: its shell and the cargo and rustc under it.
    fn drop(&mut self) {
        if let Running::Build(child) = self {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
        }
    }
}

impl Background {
    pub fn start(self, target_dir: &Path) -> Result<Running> {
        Ok(match self {
            Background::None => Running::Nothing,
            Background::Bursts => {
                // SAFETY: single-threaded here; the load reads it once.
                unsafe { std::env::set_var("LOAD", "1") };
                Running::Load(super::super::load::Load::from_env().context("LOAD")?)
            }
            Background::CargoBuild => {
                let dir = target_dir.join("build-beside");
                let script = format!(
                    "cd {root} && while true; do cargo build -q --release -p xtask --target-dir {dir} >/dev/null 2>&1; rm -rf {dir}; done",
                    root = crate::project_root().display(),
                    dir = dir.display()
                );
                Running::Build(
                    Command::new("sh")
                        .args(["-c", &script])
                        .process_group(0)
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()?,
                )
            }
        })
    }
}

/// Counts over the trials of one class.
#[derive(Default)]
pub struct Tally {
    same_unchanged: usize,
    same_regressed: usize,
    same_inconclusive: usize,
    slow_regressed: usize,
    slow_inconclusive: usize,
    seconds: Vec<Duration>,
    runs: Vec<usize>,
    /// Criterion's own verdicts: (A/A "regressed", +10% "regressed"), when it printed any.
    criterion: Option<(usize, usize)>,
    reasons: Vec<String>,
}

impl Tally {
    pub fn row(&self, trials: usize) -> String {
        let mut runs = self.runs.clone();
        runs.sort_unstable();
        let criterion = self.criterion.map_or("-".to_owned(), |(aa, slow)| {
            format!("{aa}/{trials}, {slow}/{trials}")
        });
        let mut reasons = self.reasons.clone();
        reasons.sort();
        reasons.dedup();
        format!(
            "{}/{trials} | {}/{trials} | {}/{trials} | {}/{trials} | {}/{trials} | {:.1} | {} | {criterion}{}",
            self.same_unchanged,
            self.same_regressed,
            self.same_inconclusive,
            self.slow_regressed,
            self.slow_inconclusive,
            median_secs(self.seconds.clone()),
            runs.get(runs.len() / 2).copied().unwrap_or(0),
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" (inconclusive: {})", reasons.join(", "))
            }
        )
    }
}

/// A class's fixture, ready for trials.
pub struct Setup<'a> {
    binary: &'a Path,
    root: &'a Path,
    target_dir: PathBuf,
    kind: Kind,
    /// SLOWDOWN that makes the benchmark 10% slower.
    slow: f64,
    /// A command so quick that its fixed part (process start-up) moves with
    /// the machine: the factor is found again before every trial.
    quick: bool,
}

/// Below this a command is calibrated again for every trial (31 pairs of
/// runs then take under a second).
const QUICK_SECS: f64 = 0.02;

impl<'a> Setup<'a> {
    pub fn new(binary: &'a Path, root: &'a Path, target_dir: &Path, kind: Kind) -> Result<Self> {
        let target_dir = target_dir.join(match kind {
            Kind::Libtest => "nightly",
            _ => "stable",
        });
        let setup = Setup {
            binary,
            root,
            target_dir,
            kind,
            slow: 1.10,
            quick: false,
        };
        let (slow, one) = match kind {
            Kind::Command { run, env } => setup.calibrate(run, env)?,
            _ => {
                setup.prebuild()?;
                (1.10, f64::INFINITY)
            }
        };
        Ok(Setup {
            slow,
            quick: one < QUICK_SECS,
            ..setup
        })
    }

    /// The factor on the work that slows the whole command by 10%: its time
    /// is fixed + work x factor, measured at factors 1 and 3, interleaved,
    /// running the command as cargo perf does (no shell: every class's
    /// `run` is a plain word list); and the time at factor 1, in seconds.
    fn calibrate(&self, run: &str, env: &str) -> Result<(f64, f64)> {
        const WIDER: f64 = 3.0;
        let time = |factor: f64| -> Result<Duration> {
            let mut words = run.split_whitespace();
            let mut command = Command::new(words.next().unwrap_or_default());
            command
                .args(words)
                .current_dir(self.root)
                .env("SLOWDOWN", factor.to_string());
            for pair in env.split(',').filter(|p| p.contains('=')) {
                let (key, value) = pair.split_once('=').unwrap_or_default();
                command.env(key.trim(), value.trim().trim_matches('"'));
            }
            let started = Instant::now();
            if !command.status()?.success() {
                bail!("`{run}` failed in the fixture");
            }
            Ok(started.elapsed())
        };
        let (mut one, mut wider) = (Vec::new(), Vec::new());
        for _ in 0..31 {
            one.push(time(1.0)?);
            wider.push(time(WIDER)?);
        }
        let (one, wider) = (median_secs(one), median_secs(wider));
        let work = (wider - one) / (WIDER - 1.0);
        if work <= 0.0 {
            bail!("`{run}`: its time does not grow with SLOWDOWN");
        }
        let slow = 1.0 + 0.10 * one / work;
        if std::env::var_os("VERBOSE").is_some() {
            println!(
                "+10% is the factor {slow:.3} on the work ({:.1} ms at 1)",
                one * 1e3
            );
        }
        Ok((slow, one))
    }

    fn prebuild(&self) -> Result<()> {
        let status = self
            .cargo("cargo")
            .args(["bench", "--no-run", "-q"])
            .status()
            .context("cargo bench --no-run")?;
        if !status.success() {
            bail!("the fixture's bench does not build");
        }
        Ok(())
    }

    fn cargo(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(self.root)
            .env("CARGO_TARGET_DIR", &self.target_dir);
        if self.kind == Kind::Libtest {
            command.env("RUSTUP_TOOLCHAIN", "nightly");
        }
        command
    }

    /// The baseline at the committed factor, the A/A comparison on the
    /// clean tree, and the +10% one with the factor changed in the working
    /// tree (as a developer's uncommitted change would be).
    pub fn trial(&self, tally: &mut Tally) -> Result<()> {
        let _ = std::fs::remove_dir_all(self.root.join(".cargo-perf"));
        let slow = match self.kind {
            Kind::Command { run, env } if self.quick => self.calibrate(run, env)?.0,
            _ => self.slow,
        };
        let knob = self.root.join(SLOWDOWN_FILE);
        self.perf(&["bench", "--save-baseline", "a"])?;
        let same = self.perf(&["bench", "--baseline", "a"])?;
        std::fs::write(&knob, format!("{slow}\n"))?;
        let started = Instant::now();
        let slow = self.perf(&["bench", "--baseline", "a"]);
        tally.seconds.push(started.elapsed());
        std::fs::write(&knob, "1\n")?;
        let slow = slow?;
        tally.runs.push(slow.runs);
        if std::env::var_os("VERBOSE").is_some() {
            println!("A/A: {}\n+10%: {}", same.detail, slow.detail);
        }
        match same.verdict.as_str() {
            "unchanged" => tally.same_unchanged += 1,
            "regressed" => tally.same_regressed += 1,
            "inconclusive" => tally.same_inconclusive += 1,
            _ => {}
        }
        match slow.verdict.as_str() {
            "regressed" => tally.slow_regressed += 1,
            "inconclusive" => tally.slow_inconclusive += 1,
            _ => {}
        }
        tally
            .reasons
            .extend(same.reason.into_iter().chain(slow.reason));
        if let (Some(a), Some(b)) = (same.criterion, slow.criterion) {
            let (aa, sl) = tally.criterion.unwrap_or((0, 0));
            tally.criterion = Some((aa + usize::from(a), sl + usize::from(b)));
        }
        Ok(())
    }

    fn perf(&self, args: &[&str]) -> Result<Outcome> {
        let output = self
            .cargo(&self.binary.display().to_string())
            .args(args)
            .args(["--format", "json", "-v"])
            .env_remove("SLOWDOWN")
            .output()
            .with_context(|| format!("running cargo-perf {args:?}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !matches!(output.status.code(), Some(0 | 1)) {
            bail!(
                "cargo-perf {args:?} failed ({}):\n{stdout}{stderr}",
                output.status
            );
        }
        Outcome::read(&stdout, &stderr)
    }
}

/// What one comparison said.
struct Outcome {
    verdict: String,
    runs: usize,
    reason: Option<String>,
    /// Criterion's own verdict: whether it printed "Performance has regressed".
    criterion: Option<bool>,
    /// The verdict, change, interval and how it was judged, for `VERBOSE=1`.
    detail: String,
}

impl Outcome {
    fn read(stdout: &str, stderr: &str) -> Result<Outcome> {
        let report: serde_json::Value =
            serde_json::from_str(stdout).context("cargo-perf's JSON")?;
        let metric = report["tasks"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|t| t["metrics"].as_array().into_iter().flatten())
            .find(|m| m.get("change").is_some() || m.get("judgement").is_some());
        let Some(metric) = metric else {
            return Ok(Outcome {
                verdict: "none".into(),
                runs: 0,
                reason: None,
                criterion: None,
                detail: "no comparison".into(),
            });
        };
        let judgement = &metric["judgement"];
        let criterion = stderr
            .contains("Performance has")
            .then(|| stderr.contains("Performance has regressed"))
            .or_else(|| {
                (stderr.contains("No change in performance")
                    || stderr.contains("Change within noise"))
                .then_some(false)
            });
        let percent =
            |key: &str| (metric["change"][key].as_f64().unwrap_or(f64::NAN) - 1.0) * 100.0;
        let detail = format!(
            "{} {:+.1}% [{:+.1}%, {:+.1}%], clock {}, baseline {}, run-to-run {}",
            metric["verdict"],
            percent("ratio"),
            percent("low"),
            percent("high"),
            judgement["clock"],
            judgement["baseline"],
            judgement["run_to_run"]
        );
        Ok(Outcome {
            detail,
            verdict: metric["verdict"].as_str().unwrap_or("none").to_owned(),
            runs: judgement["runs"].as_u64().unwrap_or(0) as usize,
            reason: judgement["undecided"]["reason"].as_str().map(str::to_owned),
            criterion,
        })
    }
}
