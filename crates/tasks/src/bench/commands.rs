//! Command benchmarks (`[bench.commands.NAME]`): selection by name filter and
//! measurement: setup once, untimed warmup runs, then the timed runs until
//! the sampling rule is satisfied. Ctrl-C stops the running command (the
//! process layer signals it) and the benchmark with it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cargo_perf_engine::interrupt::is_interrupted;
use cargo_perf_engine::process::Leftover;
use cargo_perf_engine::{Finding, FindingCode as _, TaskContext, TaskError};
use cargo_perf_policy::CommandLine;
use cargo_perf_policy::{BenchClock, CommandBench};

use super::calibration;
use super::clock::{self, Clock};
use super::codes::BenchCode;
use super::history::{BenchRecord, RunRecord, SamplingRecord};
use super::sampling::{Imprecise, Judging, Sampler, Side, Stop, percent};
use super::stats::median;
use super::timing::{RunError, Sample, run_once};

/// The declared benchmarks whose name contains `filter`, in policy order.
pub(crate) fn select(declared: &[CommandBench], filter: Option<&str>) -> Vec<CommandBench> {
    declared
        .iter()
        .filter(|b| filter.is_none_or(|f| b.name.value.contains(f)))
        .cloned()
        .collect()
}

/// Measures every benchmark, each against its record in `baseline` when it
/// has one. A command that fails is an error finding with its last stderr
/// lines, and the other benchmarks still run.
pub(crate) fn measure_all(
    cx: &mut TaskContext<'_>,
    benches: &[CommandBench],
    baseline: Option<&RunRecord>,
) -> Result<Vec<BenchRecord>, TaskError> {
    let root = cx.workspace().root.clone();
    Ok(
        measure_interleaved(cx, benches, &[root], baseline, BenchCode::CommandFailed)?
            .into_iter()
            .flat_map(|mut per_root| per_root.pop())
            .collect(),
    )
}

/// Measures every benchmark in each of `roots` (workspace roots of different
/// revisions), interleaving their runs A B B A A B ... so drift in the
/// machine's speed falls on both alike. Returns, per benchmark that
/// succeeded, one record per root; a benchmark that failed is reported
/// with the code `failed` (and its severity).
pub(crate) fn measure_interleaved(
    cx: &mut TaskContext<'_>,
    benches: &[CommandBench],
    roots: &[PathBuf],
    baseline: Option<&RunRecord>,
    failed: BenchCode,
) -> Result<Vec<Vec<BenchRecord>>, TaskError> {
    let settings = &cx.policy().bench;
    let judging = Judging {
        threshold: settings.threshold,
        confidence: settings.confidence,
        estimator: settings.estimator,
    };
    let clock = settings.clock;
    let calibrate = settings.calibrate;
    let mut out = Vec::with_capacity(benches.len());
    for (index, bench) in benches.iter().enumerate() {
        let step = Step {
            index,
            total: benches.len(),
            name: &bench.name.value,
        };
        let mut runs = Runs {
            bench,
            leftover: None,
        };
        let stored = baseline.and_then(|b| {
            b.benchmarks
                .iter()
                .find(|r| r.id == bench.name.value && r.unit == "ns")
        });
        let measured = runs.prepare(cx, &step, roots).and_then(|warmup| {
            let mut plan = Plan::new(bench, &warmup, stored, clock, (judging, step.total));
            // Pairs share the machine's speed: they need no calibration.
            if !calibrate || roots.len() > 1 {
                plan.threads = 0;
            }
            runs.timed(cx, &step, roots, plan)
        });
        check_interrupt()?;
        if let Some(left) = &runs.leftover {
            cx.finding(left.finding(BenchCode::LeftoverProcesses, &bench.run.to_string()));
        }
        match measured {
            Ok((records, imprecise)) => {
                if let Some(why) = imprecise {
                    cx.finding(imprecise_finding(step.name, &why));
                }
                out.push(records);
            }
            Err(failure) => report_failure(cx, bench, failure, failed)?,
        }
    }
    Ok(out)
}

/// How one benchmark's timed runs go, decided after its warm-up.
struct Plan {
    sampler: Sampler,
    clock: Clock,
    /// Threads the calibration loop runs on (0: no calibration), and its length.
    threads: usize,
    steps: u64,
    /// The stored baseline's samples on `clock`, when there is one.
    baseline: Option<Vec<f64>>,
}

impl Plan {
    fn new(
        bench: &CommandBench,
        warmup: &BenchRecord,
        stored: Option<&BenchRecord>,
        policy: BenchClock,
        (judging, benchmarks): (Judging, usize),
    ) -> Self {
        let clock = clock::resolve(policy, warmup, stored);
        let wall = median(&warmup.samples);
        let per_run = if wall.is_finite() && wall > 0.0 {
            Duration::from_nanos(wall as u64)
        } else {
            Duration::ZERO
        };
        let cpu = median(&clock::samples(warmup, Clock::Cpu));
        Self {
            sampler: Sampler::new(bench.runs, judging, benchmarks, per_run),
            clock,
            threads: calibration::threads_for(cpu, wall),
            steps: calibration::steps_for(wall),
            baseline: stored.map(|s| clock::samples(s, clock)),
        }
    }
}

/// Which benchmark is being measured, for the progress view.
struct Step<'a> {
    index: usize,
    total: usize,
    name: &'a str,
}

impl Step<'_> {
    fn show(&self, cx: &TaskContext<'_>, what: &str) {
        cx.step(&format!(
            "[{}/{}] {}: {what}",
            self.index + 1,
            self.total,
            self.name
        ));
    }
}

/// A run that failed, and in which phase (`setup` or `run`).
type Failure = (&'static str, RunError);

/// The runs of one benchmark, and what the first of them left running.
struct Runs<'a> {
    bench: &'a CommandBench,
    leftover: Option<Leftover>,
}

impl Runs<'_> {
    fn once(
        &mut self,
        phase: &'static str,
        line: &CommandLine,
        root: &Path,
    ) -> Result<Sample, Failure> {
        if is_interrupted() {
            return Err((phase, RunError::Interrupted));
        }
        let sample = run_once(line, root, &self.bench.env).map_err(|e| (phase, e))?;
        if self.leftover.is_none() {
            self.leftover.clone_from(&sample.leftover);
        }
        Ok(sample)
    }

    /// The setup once in each tree, then the untimed warmup runs, whose
    /// times (of every tree) say how the timed runs should go.
    fn prepare(
        &mut self,
        cx: &TaskContext<'_>,
        step: &Step<'_>,
        roots: &[PathBuf],
    ) -> Result<BenchRecord, Failure> {
        let bench = self.bench;
        if let Some(setup) = &bench.setup {
            for root in roots {
                step.show(cx, "setup");
                self.once("setup", setup, root)?;
            }
        }
        let mut warmup = BenchRecord::new(step.name, "ns");
        for i in 0..bench.warmup {
            for root in roots {
                step.show(cx, &format!("warmup {}/{}", i + 1, bench.warmup));
                push(&mut warmup, &self.once("run", &bench.run, root)?);
            }
        }
        Ok(warmup)
    }

    /// The timed runs, A B, B A, A B, ... until the sampling rule is
    /// satisfied, each after a calibration measurement: one record per
    /// tree, and why precision fell short if it did.
    fn timed(
        &mut self,
        cx: &TaskContext<'_>,
        step: &Step<'_>,
        roots: &[PathBuf],
        mut plan: Plan,
    ) -> Result<(Vec<BenchRecord>, Option<Imprecise>), Failure> {
        let bench = self.bench;
        let mut records: Vec<BenchRecord> = roots
            .iter()
            .map(|_| BenchRecord::new(step.name, "ns"))
            .collect();
        loop {
            let judged: Vec<Vec<f64>> = records
                .iter()
                .map(|r| clock::samples(r, plan.clock))
                .collect();
            let side = side(&judged, plan.baseline.as_deref());
            if !plan.sampler.wants_more(side) {
                break;
            }
            let mut order: Vec<usize> = (0..roots.len()).collect();
            // Each side runs first equally often.
            if records[0].samples.len() % 2 == 1 {
                order.reverse();
            }
            step.show(cx, &plan.sampler.describe(side));
            for which in order {
                let calibration =
                    (plan.threads > 0).then(|| calibration::measure(plan.threads, plan.steps));
                let sample = self.once("run", &bench.run, &roots[which])?;
                let record = &mut records[which];
                push(record, &sample);
                if let Some(calibration) = calibration {
                    record.calibration_wall_ns.push(calibration.wall_ns);
                    record.calibration_cpu_ns.push(calibration.cpu_ns);
                }
            }
        }
        let stop = plan.sampler.stop().unwrap_or(Stop::MaxRuns);
        let sampling = SamplingRecord {
            clock: plan.clock,
            stop,
            looks: plan.sampler.looks(),
        };
        let imprecise = match records.as_slice() {
            [one] if plan.baseline.is_none() => {
                plan.sampler.imprecise(&clock::samples(one, plan.clock))
            }
            _ => None,
        };
        for record in &mut records {
            record.sampling = Some(sampling);
        }
        Ok((records, imprecise))
    }
}

/// Adds one run's times and memory to `record`.
fn push(record: &mut BenchRecord, sample: &Sample) {
    record.samples.push(sample.wall_ns);
    record.user_ns.push(sample.user_ns);
    record.sys_ns.push(sample.sys_ns);
    record.max_rss_bytes.push(sample.max_rss_bytes);
}

/// What the stopping rule judges: one tree's samples alone or against a
/// stored baseline, or for two trees measured interleaved, the pairs.
fn side<'a>(judged: &'a [Vec<f64>], baseline: Option<&'a [f64]>) -> Side<'a> {
    match (judged, baseline) {
        ([base, current], _) => Side::Against {
            baseline: base,
            current,
            paired: true,
        },
        ([current], Some(baseline)) => Side::Against {
            baseline,
            current,
            paired: false,
        },
        ([current], None) => Side::Alone(current),
        _ => Side::Alone(&[]),
    }
}

/// A failed run is an error finding with the last lines of its stderr; a
/// command that could not start at all is an error of the task.
fn report_failure(
    cx: &mut TaskContext<'_>,
    bench: &CommandBench,
    (phase, error): Failure,
    code: BenchCode,
) -> Result<(), TaskError> {
    let name = &bench.name.value;
    match error {
        RunError::Failed {
            status,
            stderr_tail,
        } => {
            let line = match &bench.setup {
                Some(setup) if phase == "setup" => setup,
                _ => &bench.run,
            };
            cx.finding(
                Finding::new(
                    code.severity(),
                    code,
                    format!("benchmark `{name}`: `{phase}` {status}"),
                )
                .help(format!("run it by hand to see its whole output: {line}")),
            );
            cx.log_tail(stderr_tail);
            Ok(())
        }
        RunError::Interrupted => check_interrupt(),
        RunError::Spawn(error) => Err(TaskError::new(format!("benchmark `{name}`: {error}"))
            .hint("check that the program is installed and on PATH (a `run` string with shell syntax runs under `sh -c`)")),
    }
}

fn imprecise_finding(name: &str, why: &Imprecise) -> Finding {
    let bound = match why.max_time {
        Some(limit) => format!(
            "`max-time` ({}) ran out",
            cargo_perf_policy::units::format_duration(limit)
        ),
        None => "`max-runs` was reached".to_owned(),
    };
    Finding::warning(
        BenchCode::Imprecise,
        format!(
            "`{name}`: {bound} after {} runs, known to ±{}; a verdict needs about ±{}",
            why.runs,
            percent(why.precision),
            percent(why.target)
        ),
    )
    .help(
        "its times vary a lot: raise `max-time` or `max-runs`, quiet the machine, measure with `clock = \"cpu\"` or `--baseline-rev`, or count instructions with `--instructions`",
    )
}

fn check_interrupt() -> Result<(), TaskError> {
    if is_interrupted() {
        Err(TaskError::new("interrupted; the history was not changed"))
    } else {
        Ok(())
    }
}
