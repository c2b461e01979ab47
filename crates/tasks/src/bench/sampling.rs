//! When to stop timing a command benchmark. With `runs = N` after N runs.
//! Otherwise, after `min-runs`:
//! - with nothing to compare with (the first run, or a new baseline), as
//!   soon as the location is known precisely enough for a later comparison
//!   to decide;
//! - against a baseline (stored, or measured interleaved), as soon as the
//!   comparison itself decides: `regressed`, `improved` or `unchanged`. The
//!   rule looks at the comparison only at planned sample sizes (each half
//!   again as large as the one before) and at the end, and each look is
//!   judged at the level divided by the number of planned looks
//!   (Bonferroni), so peeking cannot raise the chance of a false verdict
//!   above the level it reports;
//! - and always when `max-runs` or `max-time` runs out.

use std::time::{Duration, Instant};

use cargo_perf_engine::model::Verdict;
use cargo_perf_policy::{BenchEstimator, Runs};
use serde::{Deserialize, Serialize};

use super::robust::{LogRatio, Trimmed};
use super::stats::median_precision;
use super::verdict::{Data, Estimate};

/// The share of the threshold one side's location must be known to when
/// there is nothing to compare with: with a 5% threshold, ±1.75%. Two sides
/// that precise give a ratio known well enough to tell a 10% change, or no
/// change, from a 5% threshold nearly every time, even after the correction
/// for looks.
const TARGET_SHARE: f64 = 0.35;

/// The fewest runs whose spread the rule trusts enough to stop on it. Ten
/// runs of a command with two speeds (address layout, hash seeds) fall
/// eight to two or worse one time in nine, and then look precise and wrong;
/// twenty do so about one time in eighty. Only a bound stops sooner.
const TRUSTED_RUNS: usize = 20;

/// Each planned look at the comparison is this much larger than the last.
const LOOK_GROWTH: f64 = 1.5;

/// Why sampling stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Stop {
    /// The comparison reached a verdict.
    Decided,
    /// Alone: the location was precise enough.
    Precise,
    /// The baseline's own spread bounds the comparison: more runs here
    /// could not decide it.
    BaselineLimits,
    MaxTime,
    MaxRuns,
    FixedRuns,
}

impl Stop {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stop::Decided => "decided",
            Stop::Precise => "precise",
            Stop::BaselineLimits => "baseline-limits",
            Stop::MaxTime => "max-time",
            Stop::MaxRuns => "max-runs",
            Stop::FixedRuns => "fixed-runs",
        }
    }
}

/// What the runs so far are judged against.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Side<'a> {
    /// Nothing to compare with.
    Alone(&'a [f64]),
    /// A baseline (or, `paired`, the other tree's runs interleaved with these).
    Against {
        baseline: &'a [f64],
        current: &'a [f64],
        paired: bool,
    },
}

impl Side<'_> {
    fn current(&self) -> &[f64] {
        match self {
            Side::Alone(current) | Side::Against { current, .. } => current,
        }
    }
}

/// How verdicts are reached, from `[bench]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Judging {
    pub(crate) threshold: f64,
    pub(crate) confidence: f64,
    pub(crate) estimator: BenchEstimator,
}

pub(crate) struct Sampler {
    runs: Runs,
    judging: Judging,
    /// The significance for this benchmark, before the looks' correction.
    alpha: f64,
    /// Sample sizes the comparison is looked at, before the end.
    planned: Vec<usize>,
    started: Instant,
    stop: Option<Stop>,
}

/// Why sampling stopped before the location was precise enough.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Imprecise {
    pub(crate) runs: usize,
    pub(crate) precision: f64,
    pub(crate) target: f64,
    /// `Some` when `max-time` ran out, `None` when `max-runs` was reached.
    pub(crate) max_time: Option<Duration>,
}

impl Sampler {
    /// `benchmarks` is how many are judged together (their levels are
    /// corrected for it); `per_run` is how long a run took in warm-up
    /// (zero if unknown), which says how many runs `max-time` allows.
    pub(crate) fn new(runs: Runs, judging: Judging, benchmarks: usize, per_run: Duration) -> Self {
        Self {
            runs,
            judging,
            alpha: (1.0 - judging.confidence) / benchmarks.max(1) as f64,
            planned: planned_looks(runs, per_run),
            started: Instant::now(),
            stop: None,
        }
    }

    /// How many looks at the comparison the verdict must be corrected for.
    pub(crate) fn looks(&self) -> u32 {
        self.planned.len() as u32 + 1
    }

    /// Why sampling stopped, once it has.
    pub(crate) fn stop(&self) -> Option<Stop> {
        self.stop
    }

    /// Whether to take another run, after the runs `side` holds.
    pub(crate) fn wants_more(&mut self, side: Side<'_>) -> bool {
        let done = side.current().len();
        let stop = match self.runs {
            Runs::Fixed(n) => (done >= n as usize).then_some(Stop::FixedRuns),
            Runs::Adaptive { min, .. } if done < min as usize => None,
            Runs::Adaptive { max, max_time, .. } => {
                let bound = if done >= max as usize {
                    Some(Stop::MaxRuns)
                } else if self.started.elapsed() >= max_time {
                    Some(Stop::MaxTime)
                } else {
                    None
                };
                match side {
                    Side::Alone(samples) => (done >= TRUSTED_RUNS
                        && self.precision(samples) <= self.target())
                    .then_some(Stop::Precise)
                    .or(bound),
                    Side::Against { .. } if bound.is_some() || self.planned.contains(&done) => {
                        self.look(side).or(bound)
                    }
                    Side::Against { .. } => None,
                }
            }
        };
        self.stop = stop;
        stop.is_none()
    }

    /// One look at the comparison: whether it decided, or cannot.
    fn look(&self, side: Side<'_>) -> Option<Stop> {
        let Side::Against {
            baseline,
            current,
            paired,
        } = side
        else {
            return None;
        };
        let data = Data::Samples {
            baseline,
            current,
            paired,
        };
        let estimate = Estimate::of(&data, self.judging.estimator, 0)?;
        let alpha = self.alpha / f64::from(self.looks());
        if estimate.verdict(alpha, self.judging.threshold) != Verdict::Inconclusive {
            return Some(Stop::Decided);
        }
        (!paired && baseline_limits(baseline, current)).then_some(Stop::BaselineLimits)
    }

    /// For the progress line: `run 12/30`, `run 12 (±3.1%, aiming for
    /// ±1.8%)` or, against a baseline, `run 12 (+3.2% so far)`.
    pub(crate) fn describe(&self, side: Side<'_>) -> String {
        let next = side.current().len() + 1;
        match (self.runs, side) {
            (Runs::Fixed(n), _) => format!("run {next}/{n}"),
            (_, Side::Alone(samples)) if samples.len() >= 2 => format!(
                "run {next} (±{}, aiming for ±{})",
                percent(self.precision(samples)),
                percent(self.target())
            ),
            (
                _,
                Side::Against {
                    baseline,
                    current,
                    paired,
                },
            ) => {
                let data = Data::Samples {
                    baseline,
                    current,
                    paired,
                };
                match Estimate::of(&data, self.judging.estimator, 0) {
                    Some(e) => format!("run {next} ({:+.1}% so far)", (e.point() - 1.0) * 100.0),
                    None => format!("run {next}"),
                }
            }
            _ => format!("run {next}"),
        }
    }

    /// After the last run alone: `Some` when a bound stopped sampling before
    /// the location was precise enough.
    pub(crate) fn imprecise(&self, samples: &[f64]) -> Option<Imprecise> {
        let Runs::Adaptive { max_time, .. } = self.runs else {
            return None;
        };
        let precision = self.precision(samples);
        let max_time = match self.stop? {
            Stop::MaxTime => Some(max_time),
            Stop::MaxRuns => None,
            _ => return None,
        };
        (precision > self.target()).then(|| Imprecise {
            runs: samples.len(),
            precision,
            target: self.target(),
            max_time,
        })
    }

    fn target(&self) -> f64 {
        TARGET_SHARE * self.judging.threshold
    }

    fn precision(&self, samples: &[f64]) -> f64 {
        match self.judging.estimator {
            BenchEstimator::TrimmedMean => {
                Trimmed::of(samples).map_or(f64::INFINITY, |t| t.precision(self.alpha))
            }
            BenchEstimator::Median => median_precision(samples, 1.0 - self.alpha),
        }
    }
}

/// The sample sizes to look at before the end: `min-runs`, then each half
/// again as large, below what `max-runs` and `max-time` allow.
fn planned_looks(runs: Runs, per_run: Duration) -> Vec<usize> {
    let Runs::Adaptive { min, max, max_time } = runs else {
        return Vec::new();
    };
    let by_time = if per_run.is_zero() {
        usize::MAX
    } else {
        (max_time.as_secs_f64() / per_run.as_secs_f64()) as usize
    };
    let limit = (max as usize).min(by_time);
    let mut looks = Vec::new();
    let mut size = (min as usize).max(TRUSTED_RUNS);
    while size < limit {
        looks.push(size);
        size = ((size as f64 * LOOK_GROWTH).ceil() as usize).max(size + 1);
    }
    looks
}

/// Whether the baseline's spread, not this side's, now bounds the
/// comparison: this side's variance is under a quarter of the baseline's,
/// so even endless runs here would narrow the interval by under 11%.
fn baseline_limits(baseline: &[f64], current: &[f64]) -> bool {
    let (Some(b), Some(c)) = (Trimmed::of(baseline), Trimmed::of(current)) else {
        return false;
    };
    let relative = |t: Trimmed| t.variance / (t.mean * t.mean);
    LogRatio::unpaired(baseline, current).is_some() && relative(c) < 0.25 * relative(b)
}

pub(crate) fn percent(fraction: f64) -> String {
    if fraction.is_finite() {
        format!("{:.1}%", fraction * 100.0)
    } else {
        "∞".to_owned()
    }
}

#[cfg(test)]
mod tests;
