//! Command benchmarks (`[bench.commands.NAME]`): selection by name filter and
//! measurement: setup once, untimed warmup runs, then the timed runs until
//! the sampling rule is satisfied.

use std::path::PathBuf;

use cargo_perf_engine::interrupt::is_interrupted;
use cargo_perf_engine::{Finding, TaskContext, TaskError};
use cargo_perf_policy::{BenchClock, CommandBench};

use super::history::BenchRecord;
use super::report::compared;
use super::sampling::{Imprecise, Sampler, percent};
use super::timing::{RunError, run_once};

/// The declared benchmarks whose name contains `filter`, in policy order.
pub(crate) fn select(declared: &[CommandBench], filter: Option<&str>) -> Vec<CommandBench> {
    declared
        .iter()
        .filter(|b| filter.is_none_or(|f| b.name.value.contains(f)))
        .cloned()
        .collect()
}

/// Measures every benchmark. A command that fails is an error finding with
/// its last stderr lines, and the other benchmarks still run.
pub(crate) fn measure_all(
    cx: &mut TaskContext<'_>,
    benches: &[CommandBench],
) -> Result<Vec<BenchRecord>, TaskError> {
    let root = cx.workspace().root.clone();
    Ok(measure_interleaved(cx, benches, &[root])?
        .into_iter()
        .flat_map(|mut per_root| per_root.pop())
        .collect())
}

/// Measures every benchmark in each of `roots` (workspace roots of different
/// revisions), interleaving their runs A B B A A B ... so drift in the
/// machine's speed falls on both alike. Returns, per benchmark that
/// succeeded, one record per root.
pub(crate) fn measure_interleaved(
    cx: &mut TaskContext<'_>,
    benches: &[CommandBench],
    roots: &[PathBuf],
) -> Result<Vec<Vec<BenchRecord>>, TaskError> {
    let total = benches.len();
    let settings = &cx.policy().bench;
    let (threshold, confidence) = (settings.threshold, settings.confidence);
    let cpu = settings.clock == BenchClock::Cpu;
    let mut out = Vec::with_capacity(total);
    for (index, bench) in benches.iter().enumerate() {
        let name = &bench.name.value;
        let step = |cx: &TaskContext<'_>, what: &str| {
            cx.step(&format!("[{}/{total}] {name}: {what}", index + 1));
        };
        let mut imprecise = None;
        let measured = (|| -> Result<Vec<BenchRecord>, (&str, RunError)> {
            for root in roots {
                if let Some(setup) = &bench.setup {
                    step(cx, "setup");
                    run_once(setup, root, &bench.env).map_err(|e| ("setup", e))?;
                }
            }
            for i in 0..bench.warmup {
                for root in roots {
                    if is_interrupted() {
                        return Ok(Vec::new());
                    }
                    step(cx, &format!("warmup {}/{}", i + 1, bench.warmup));
                    run_once(&bench.run, root, &bench.env).map_err(|e| ("run", e))?;
                }
            }
            let mut records: Vec<BenchRecord> = roots
                .iter()
                .map(|_| BenchRecord {
                    id: name.clone(),
                    unit: "ns".into(),
                    samples: Vec::new(),
                    spread: None,
                    user_ns: Vec::new(),
                    sys_ns: Vec::new(),
                    max_rss_bytes: Vec::new(),
                })
                .collect();
            // Made now, so `max-time` counts the timed runs only.
            let sampler = Sampler::new(bench.runs, threshold, confidence, total, roots.len() == 2);
            loop {
                let judged = judged_samples(&records, cpu);
                if !sampler.wants_more(&judged) {
                    imprecise = sampler.imprecise(&judged);
                    break;
                }
                let mut order: Vec<usize> = (0..roots.len()).collect();
                // A B, B A, A B, ...: each side runs first equally often.
                if records[0].samples.len() % 2 == 1 {
                    order.reverse();
                }
                step(cx, &sampler.describe(&judged));
                for which in order {
                    if is_interrupted() {
                        return Ok(Vec::new());
                    }
                    let sample =
                        run_once(&bench.run, &roots[which], &bench.env).map_err(|e| ("run", e))?;
                    let record = &mut records[which];
                    record.samples.push(sample.wall_ns);
                    record.user_ns.push(sample.user_ns);
                    record.sys_ns.push(sample.sys_ns);
                    record.max_rss_bytes.push(sample.max_rss_bytes);
                }
            }
            Ok(records)
        })();
        check_interrupt()?;
        if let Some(why) = imprecise {
            cx.finding(imprecise_finding(name, &why));
        }
        match measured {
            Ok(records) => out.push(records),
            Err((
                phase,
                RunError::Failed {
                    status,
                    stderr_tail,
                },
            )) => {
                cx.finding(
                    Finding::error(
                        "bench-command-failed",
                        format!("benchmark `{name}`: `{phase}` {status}"),
                    )
                    .help(format!(
                        "run it by hand to see its whole output: {}",
                        match &bench.setup {
                            Some(setup) if phase == "setup" => setup,
                            _ => &bench.run,
                        }
                    )),
                );
                cx.log_tail(stderr_tail);
            }
            Err((_, other)) => {
                return Err(TaskError::new(format!("benchmark `{name}`: {other}"))
                    .hint("check that the program is installed and on PATH (a `run` string with shell syntax runs under `sh -c`)"));
            }
        }
    }
    Ok(out)
}

/// What the stopping rule judges: one tree's samples (on the clock verdicts
/// use), or for two trees measured interleaved the ratio within each pair.
fn judged_samples(records: &[BenchRecord], cpu: bool) -> Vec<f64> {
    match records {
        [one] => compared(one, cpu),
        [base, current] => compared(base, cpu)
            .iter()
            .zip(compared(current, cpu))
            .map(|(b, c)| c / b)
            .collect(),
        _ => Vec::new(),
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
        "bench-imprecise",
        format!(
            "`{name}`: {bound} after {} runs, with its median known to ±{}; a verdict needs about ±{}",
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
