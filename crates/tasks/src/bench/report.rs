//! What a bench run reports: comparisons as metrics and findings, budgets,
//! and the one-line summary (the figures beside them are in `figures`, the
//! heap's in `heap`).

use std::fmt::Write as _;

use cargo_perf_engine::model::{Metric, Unit, Verdict};
use cargo_perf_engine::{Finding, Severity, TaskContext};
use cargo_perf_policy::BenchSettings;

use super::clock::{self, Clock};
use super::codes::BenchCode;
use super::figures::{self, budget_of, metric_name as name, nanos};
use super::heap;
use super::history::{BenchRecord, PairsRecord, RunRecord};
use super::run_to_run::RunToRun;
use super::stats::median;
use super::undecided;
use super::verdict::{Comparison, Data, Input, judge, judge_by_spread, location};

/// Where the baseline's samples of a comparison come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The history store.
    Stored,
    /// The other tree of `--baseline-rev`, measured in this run.
    BaselineRev,
    /// The stored baseline's commit, measured again in this run
    /// (`[bench] interleave = "auto"`).
    Remeasured,
}

impl Source {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Source::Stored => "stored",
            Source::BaselineRev => "baseline-rev",
            Source::Remeasured => "re-measured",
        }
    }
}

/// Where the baseline's records come from, benchmark by benchmark.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Baselines<'a> {
    /// All from the history.
    Stored,
    /// All measured in this run from `--baseline-rev`'s tree.
    BaselineRev,
    /// These command benchmarks measured again in this run; the rest stored.
    Remeasured(&'a [String]),
}

impl Baselines<'_> {
    fn source(&self, id: &str) -> Source {
        match self {
            Baselines::Stored => Source::Stored,
            Baselines::BaselineRev => Source::BaselineRev,
            Baselines::Remeasured(ids) if ids.iter().any(|r| r == id) => Source::Remeasured,
            Baselines::Remeasured(_) => Source::Stored,
        }
    }
}

/// Compares every benchmark measured now that the baseline also has.
/// Command benchmarks whose baseline was measured in this run ran in pairs
/// with ours, and so did cargo bench targets that ran in pairs of harness
/// runs (`harness::pairs`); the rest are not pairs.
pub(crate) fn compare(
    cx: &TaskContext<'_>,
    current: &[BenchRecord],
    base: &RunRecord,
    baselines: Baselines<'_>,
    run_to_run: &RunToRun,
) -> Vec<Comparison> {
    let settings = &cx.policy().bench;
    let pairs: Vec<Pair<'_>> = current
        .iter()
        .filter(|c| c.heap.is_none())
        .filter_map(|c| {
            let b = base
                .benchmarks
                .iter()
                .find(|b| b.id == c.id && b.unit == c.unit)?;
            Some(Pair::new(c, b, settings, baselines.source(&c.id)))
        })
        .collect();
    let inputs: Vec<Input<'_>> = pairs.iter().filter_map(Pair::input).collect();
    let mut out = judge(
        &inputs,
        settings.threshold,
        settings.confidence,
        settings.estimator,
    );
    for pair in &pairs {
        if let (Some(cs), Some(bs)) = (pair.current.spread, pair.base.spread)
            && pair.input().is_none()
            && let ([cur], [bas]) = (&pair.current.samples[..], &pair.base.samples[..])
        {
            out.push(judge_by_spread(
                &pair.current.id,
                (*bas, bs),
                (*cur, cs),
                settings.threshold,
            ));
        }
    }
    let base_commit = base.fingerprint.commit.as_deref();
    for comparison in &mut out {
        if let Some(pair) = pairs.iter().find(|p| p.current.id == comparison.id) {
            let learned = run_to_run
                .of(&comparison.id)
                .filter(|_| pair.source == Source::Stored);
            undecided::explain(comparison, pair, settings, (base_commit, learned));
        }
    }
    let mut heaps = heap::compare(current, &base.benchmarks, settings.threshold);
    for comparison in &mut heaps {
        if let Some(judgement) = &mut comparison.judgement {
            judgement.baseline = baselines.source(&comparison.id).name().to_owned();
        }
    }
    out.extend(heaps);
    out
}

/// A benchmark of this run and its baseline's record, on the clock judged.
pub(crate) struct Pair<'a> {
    pub(crate) current: &'a BenchRecord,
    pub(crate) base: &'a BenchRecord,
    pub(crate) clock: Clock,
    pub(crate) source: Source,
    /// Sample i of each side was measured right after the other's.
    pub(crate) paired: bool,
    current_samples: Vec<f64>,
    base_samples: Vec<f64>,
}

impl<'a> Pair<'a> {
    fn new(
        current: &'a BenchRecord,
        base: &'a BenchRecord,
        settings: &BenchSettings,
        source: Source,
    ) -> Self {
        let clock = judged_clock(current, settings);
        // Measured in this run: a command benchmark's runs (which carry
        // rusage) are pairs, and so are a cargo bench result's pairs of harness runs.
        let (paired, current_samples, base_samples) = match &current.pairs {
            Some(pairs) if source != Source::Stored => {
                (true, pairs.current.clone(), pairs.baseline.clone())
            }
            _ => (
                source != Source::Stored && !current.user_ns.is_empty(),
                clock::samples(current, clock),
                clock::samples(base, clock),
            ),
        };
        Self {
            current,
            base,
            clock,
            source,
            paired,
            current_samples,
            base_samples,
        }
    }

    /// The harness's pairs judged, if it ran in pairs with the baseline's tree.
    pub(crate) fn harness_pairs(&self) -> Option<&PairsRecord> {
        self.current.pairs.as_ref().filter(|_| self.paired)
    }

    /// How many values of each side are judged.
    pub(crate) fn runs(&self) -> (usize, usize) {
        (self.current_samples.len(), self.base_samples.len())
    }

    /// What the verdict is computed from: the samples, or two summaries
    /// with standard errors; `None` for a bound from the printed spread.
    fn input(&self) -> Option<Input<'_>> {
        let data = if self.current_samples.len() >= 2 && self.base_samples.len() >= 2 {
            Data::Samples {
                baseline: &self.base_samples,
                current: &self.current_samples,
                paired: self.paired,
            }
        } else {
            Data::Summary {
                baseline: summary(self.base)?,
                current: summary(self.current)?,
            }
        };
        Some(Input {
            id: &self.current.id,
            data,
            looks: match self.harness_pairs() {
                Some(pairs) => pairs.looks,
                None => self.current.sampling.map_or(1, |s| s.looks),
            },
        })
    }
}

/// A summary-only result and its standard error, widened by the spread
/// expected between two runs of the harness, which its own spread cannot show.
fn summary(record: &BenchRecord) -> Option<(f64, f64)> {
    let (&[value], Some(se)) = (&record.samples[..], record.standard_error) else {
        return None;
    };
    let between = BETWEEN_RUNS * value;
    Some((value, (se * se + between * between).sqrt()))
}

/// How much a summary-only harness's result moves between two runs of the
/// same code on a quiet machine, relative to the result: its own spread
/// covers one run only.
const BETWEEN_RUNS: f64 = 0.01;

/// The clock a record is judged on: the one its sampling chose, else wall
/// time (harness results), or CPU time when the policy says so.
pub(crate) fn judged_clock(record: &BenchRecord, settings: &BenchSettings) -> Clock {
    match record.sampling {
        Some(sampling) => sampling.clock,
        None if settings.clock == cargo_perf_policy::BenchClock::Cpu => Clock::Cpu,
        None => Clock::Wall,
    }
}

/// The samples verdicts are computed on, on the clock the record was judged by.
pub(crate) fn compared(record: &BenchRecord, settings: &BenchSettings) -> Vec<f64> {
    clock::samples(record, judged_clock(record, settings))
}

pub(crate) fn unit_of(record: &BenchRecord) -> Unit {
    unit_named(&record.unit)
}

/// The unit a stored `unit` field names.
pub(crate) fn unit_named(unit: &str) -> Unit {
    match unit {
        "instructions" => Unit::Instructions,
        heap::UNIT => Unit::Bytes,
        _ => Unit::Nanoseconds,
    }
}

/// Which of the summary's counts a verdict adds to: regressed, improved,
/// unchanged, inconclusive.
fn slot(verdict: Verdict) -> usize {
    match verdict {
        Verdict::Regressed => 0,
        Verdict::Improved => 1,
        Verdict::Unchanged => 2,
        _ => 3,
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
    let mut counts = [0usize; 4];
    for bench in &run.benchmarks {
        let budget = budget_of(&settings.budgets, &bench.id);
        if let Some(heap) = &bench.heap {
            let figures: Vec<&Comparison> = comparisons
                .iter()
                .filter(|c| c.id == bench.id && c.figure.is_some())
                .collect();
            // The summary counts the benchmark once, by its worst figure:
            // regressed, then inconclusive, improved, unchanged.
            let worst = [0, 3, 1, 2]
                .into_iter()
                .find(|&at| figures.iter().any(|c| slot(c.verdict) == at));
            if let Some(at) = worst {
                counts[at] += 1;
            }
            for c in figures {
                cx.finding(comparison_finding(c, Unit::Count, &settings));
            }
            heap::report(cx, bench, heap, comparisons, &budget);
            continue;
        }
        let unit = unit_of(bench);
        let samples = compared(bench, &settings);
        let value = location(&samples, settings.estimator);
        let middle = median(&samples);
        let mut metric = Metric::new(name(&bench.id), value, unit);
        let comparison = comparisons
            .iter()
            .find(|c| c.id == bench.id && c.figure.is_none());
        if let Some(c) = comparison {
            metric = c.annotate(metric);
            counts[slot(c.verdict)] += 1;
            cx.finding(comparison_finding(c, unit, &settings));
        }
        if let Some(budget) = budget.median
            && unit == Unit::Nanoseconds
        {
            let budget_ns = budget.as_nanos() as f64;
            // A comparison's verdict stands; the budget only judges a benchmark without one.
            metric.budget = Some(budget_ns);
            if comparison.is_none() {
                metric.verdict = Some(if middle <= budget_ns {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                });
            }
            if middle > budget_ns {
                cx.finding(over_budget(&bench.id, middle, budget_ns));
            }
        }
        cx.metric(metric);
        figures::report(cx, bench, &budget);
    }
    cx.summary(summary_line(run, counts, baseline, saved));
}

/// The finding that says how a benchmark compares with its baseline.
fn comparison_finding(c: &Comparison, unit: Unit, settings: &BenchSettings) -> Finding {
    let change = c.change.describe();
    let level = c.change.confidence.map_or_else(
        || {
            if c.figure.is_some() {
                "(heap counts are exact)".to_owned()
            } else if unit == Unit::Instructions {
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
            format!("{} regressed: {change} {level}", subject(c)),
        )
        .help(if c.figure.is_some() {
            format!(
                "more than +{:.1}% over the baseline; `cargo perf profile --memory` shows where the heap goes",
                settings.threshold * 100.0
            )
        } else {
            format!(
                "the whole interval is above +{:.1}%; profile it, or re-run to confirm (`[bench] confirm = true`)",
                settings.threshold * 100.0
            )
        }),
        Verdict::Inconclusive => {
            let severity = if settings.fail_on_inconclusive {
                Severity::Error
            } else {
                Severity::Warning
            };
            let (why, remedy) = c
                .judgement
                .as_ref()
                .and_then(|j| j.undecided.as_ref())
                .map_or(("the interval straddles the threshold".to_owned(), "more runs (a longer `max-time`), `--baseline-rev` or a quieter machine narrow it".to_owned()), |u| (u.why.clone(), u.remedy.clone()));
            Finding::new(
                severity,
                BenchCode::Inconclusive,
                format!("{} is inconclusive: {change} {level}; {why}", subject(c)),
            )
            .help(remedy)
        }
        Verdict::Improved => Finding::info(
            BenchCode::Improved,
            format!("{} improved: {change} {level}", subject(c)),
        ),
        _ => Finding::info(
            BenchCode::Unchanged,
            format!("{} unchanged: {change} {level}", subject(c)),
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

/// What a comparison's finding names: `` `startup` ``, or `` `startup` allocations ``.
fn subject(c: &Comparison) -> String {
    match c.figure {
        Some(figure) => format!("`{}` {figure}", c.id),
        None => format!("`{}`", c.id),
    }
}
