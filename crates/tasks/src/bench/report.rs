//! What a bench run reports: comparisons as metrics and findings, budgets,
//! and the one-line summary.

use std::fmt::Write as _;
use std::time::Duration;

use cargo_perf_engine::model::{Metric, MetricName, Unit, Verdict};
use cargo_perf_engine::{Finding, Severity, TaskContext};
use cargo_perf_policy::BenchSettings;

use super::codes::BenchCode;
use super::history::{BenchRecord, RunRecord};
use super::stats::median;
use super::verdict::{Comparison, Input, judge, judge_by_spread};

/// Compares every benchmark measured now that the baseline also has.
/// `interleaved`: the baseline is another tree measured in this run, whose
/// command benchmarks ran in pairs with ours. (Cargo bench targets run one
/// tree after the other, so their samples are not pairs.)
pub(crate) fn compare(
    cx: &TaskContext<'_>,
    current: &[BenchRecord],
    base: &RunRecord,
    interleaved: bool,
) -> Vec<Comparison> {
    let settings = &cx.policy().bench;
    let cpu = settings.clock == cargo_perf_policy::BenchClock::Cpu;
    let pairs: Vec<(&BenchRecord, &BenchRecord)> = current
        .iter()
        .filter_map(|c| {
            let b = base
                .benchmarks
                .iter()
                .find(|b| b.id == c.id && b.unit == c.unit)?;
            Some((c, b))
        })
        .collect();
    let series: Vec<(&str, Vec<f64>, Vec<f64>, bool)> = pairs
        .iter()
        .filter(|(c, b)| c.samples.len() >= 2 && b.samples.len() >= 2)
        .map(|(c, b)| {
            // Only command benchmarks carry rusage, and only they run in pairs.
            let paired = interleaved && !c.user_ns.is_empty();
            (c.id.as_str(), compared(b, cpu), compared(c, cpu), paired)
        })
        .collect();
    let inputs: Vec<Input<'_>> = series
        .iter()
        .map(|(id, b, c, paired)| Input {
            id,
            baseline: b,
            current: c,
            paired: *paired,
        })
        .collect();
    let mut out = judge(&inputs, settings.threshold, settings.confidence);
    for (c, b) in pairs {
        if let ([cur], [bas], Some(cs), Some(bs)) =
            (&c.samples[..], &b.samples[..], c.spread, b.spread)
        {
            out.push(judge_by_spread(
                &c.id,
                (*bas, bs),
                (*cur, cs),
                settings.threshold,
            ));
        }
    }
    out
}

/// The samples verdicts are computed on: wall time, or with `clock = "cpu"`
/// the user plus system time of the benchmark's processes.
pub(crate) fn compared(record: &BenchRecord, cpu: bool) -> Vec<f64> {
    if cpu
        && record.user_ns.len() == record.samples.len()
        && record.sys_ns.len() == record.samples.len()
    {
        record
            .user_ns
            .iter()
            .zip(&record.sys_ns)
            .map(|(u, s)| u + s)
            .collect()
    } else {
        record.samples.clone()
    }
}

pub(crate) fn unit_of(record: &BenchRecord) -> Unit {
    if record.unit == "instructions" {
        Unit::Instructions
    } else {
        Unit::Nanoseconds
    }
}

pub(crate) fn report(
    cx: &mut TaskContext<'_>,
    run: &RunRecord,
    comparisons: &[Comparison],
    baseline: Option<&str>,
    saved: Option<&str>,
) {
    let settings = cx.policy().bench.clone();
    let cpu = settings.clock == cargo_perf_policy::BenchClock::Cpu;
    let mut counts = [0usize; 4];
    for bench in &run.benchmarks {
        let unit = unit_of(bench);
        let value = median(&compared(bench, cpu));
        let mut metric = Metric::new(name(&bench.id), value, unit);
        let comparison = comparisons.iter().find(|c| c.id == bench.id);
        if let Some(c) = comparison {
            metric = metric
                .baseline(c.baseline_median)
                .verdict(c.verdict)
                .change(c.change);
            let slot = match c.verdict {
                Verdict::Regressed => 0,
                Verdict::Improved => 1,
                Verdict::Unchanged => 2,
                _ => 3,
            };
            counts[slot] += 1;
            cx.finding(comparison_finding(c, unit, &settings));
        }
        if let Some((_, budget)) = settings.budgets.iter().find(|(n, _)| n.value == bench.id)
            && unit == Unit::Nanoseconds
        {
            let budget_ns = budget.as_nanos() as f64;
            // A comparison's verdict stands; the budget only judges a benchmark without one.
            if comparison.is_none() {
                metric = metric.budget(budget_ns);
            } else {
                metric.budget = Some(budget_ns);
            }
            if value > budget_ns {
                cx.finding(over_budget(&bench.id, value, budget_ns));
            }
        }
        cx.metric(metric);
        resource_metrics(cx, bench);
    }
    cx.summary(summary_line(run, counts, baseline, saved));
}

/// The finding that says how a benchmark compares with its baseline.
fn comparison_finding(c: &Comparison, unit: Unit, settings: &BenchSettings) -> Finding {
    let change = c.change.describe();
    let level = c.change.confidence.map_or_else(
        || {
            if unit == Unit::Instructions {
                "(instruction counts are exact)".to_owned()
            } else {
                "by the spread the harness reported".to_owned()
            }
        },
        |l| format!("at {:.1}% confidence", l * 100.0),
    );
    match c.verdict {
        Verdict::Regressed => Finding::error(
            BenchCode::Regressed,
            format!("`{}` regressed: {change} {level}", c.id),
        )
        .help(format!(
            "the whole interval is above +{:.1}%; profile it, or re-run to confirm (`[bench] confirm = true`)",
            settings.threshold * 100.0
        )),
        Verdict::Inconclusive => {
            let severity = if settings.fail_on_inconclusive {
                Severity::Error
            } else {
                Severity::Warning
            };
            Finding::new(
                severity,
                BenchCode::Inconclusive,
                format!("`{}` is inconclusive: {change} {level}", c.id),
            )
            .help("the interval straddles the threshold; more runs (a longer `max-time`), `--baseline-rev` or a quieter machine narrow it")
        }
        Verdict::Improved => Finding::info(
            BenchCode::Improved,
            format!("`{}` improved: {change} {level}", c.id),
        ),
        _ => Finding::info(
            BenchCode::Unchanged,
            format!("`{}` unchanged: {change} {level}", c.id),
        ),
    }
}

fn over_budget(id: &str, value: f64, budget_ns: f64) -> Finding {
    Finding::error(
        BenchCode::OverBudget,
        format!(
            "`{id}` takes {} (median), over its budget of {}",
            nanos(value),
            nanos(budget_ns)
        ),
    )
    .help("make it faster, or raise its budget in `[bench.budgets]`")
}

/// The user and system time and peak memory of a command benchmark.
fn resource_metrics(cx: &mut TaskContext<'_>, bench: &BenchRecord) {
    if bench.user_ns.is_empty() {
        return;
    }
    cx.metric(Metric::new(
        name(&bench.id).seg("user"),
        median(&bench.user_ns),
        Unit::Nanoseconds,
    ));
    cx.metric(Metric::new(
        name(&bench.id).seg("sys"),
        median(&bench.sys_ns),
        Unit::Nanoseconds,
    ));
    cx.metric(Metric::new(
        name(&bench.id).seg("max-rss"),
        median(&bench.max_rss_bytes),
        Unit::Bytes,
    ));
}

/// `3 benchmark(s), run #7 vs run #6: 1 regressed, ...`; `counts` are the
/// regressed, improved, unchanged and inconclusive comparisons.
fn summary_line(
    run: &RunRecord,
    counts: [usize; 4],
    baseline: Option<&str>,
    saved: Option<&str>,
) -> String {
    let mut summary = format!("{} benchmark(s), run #{}", run.benchmarks.len(), run.id);
    match baseline {
        Some(label) => {
            let _ = write!(
                summary,
                " vs {label}: {} regressed, {} improved, {} unchanged, {} inconclusive",
                counts[0], counts[1], counts[2], counts[3]
            );
        }
        None => summary.push_str(", no baseline yet (the next run compares with this one)"),
    }
    if let Some(name) = saved {
        let _ = write!(summary, "; saved as baseline `{name}`");
    }
    summary
}

/// `bench.<id>`: the id is one segment, whatever it holds.
fn name(id: &str) -> MetricName {
    MetricName::task("bench").seg(id)
}

fn nanos(ns: f64) -> String {
    cargo_perf_policy::units::format_duration(Duration::from_nanos(ns as u64))
}
