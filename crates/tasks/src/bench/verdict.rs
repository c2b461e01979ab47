//! Turns a baseline and a current set of samples per benchmark into honest
//! verdicts: an interval for the ratio of their locations (trimmed means by
//! default, or medians), judged against the threshold at a Holm-corrected
//! level, divided again by the looks the stopping rule took.

use cargo_perf_engine::model::{Change, Judgement, Metric, Verdict};
use cargo_perf_policy::BenchEstimator;

use super::robust::{LogRatio, Trimmed};
use super::stats::{RatioBootstrap, fnv1a, holm_levels, median};

/// A comparison of one benchmark.
#[derive(Debug, Clone)]
pub(crate) struct Comparison {
    pub(crate) id: String,
    /// The baseline's location, on the estimator compared.
    pub(crate) baseline_value: f64,
    /// location(current) / location(baseline) and its interval; the
    /// interval's confidence is the level after correction, `None` for a
    /// worst-case bound from a harness's reported spread.
    pub(crate) change: Change,
    pub(crate) verdict: Verdict,
    /// How it was judged, once `undecided::explain` has looked at it.
    pub(crate) judgement: Option<Judgement>,
    /// The figure compared when a benchmark has several (memory mode's
    /// `peak-heap`, `allocated`, `allocations`); `None` for its time or count.
    pub(crate) figure: Option<&'static str>,
}

impl Comparison {
    /// `metric` with this comparison's baseline, verdict, change and judgement.
    pub(crate) fn annotate(&self, metric: Metric) -> Metric {
        let metric = metric
            .baseline(self.baseline_value)
            .verdict(self.verdict)
            .change(self.change);
        match &self.judgement {
            Some(judgement) => metric.judgement(judgement.clone()),
            None => metric,
        }
    }
}

/// What one comparison is computed from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Data<'a> {
    /// Samples of both sides; `paired`: sample i of each side was measured
    /// next to the other's sample i.
    Samples {
        baseline: &'a [f64],
        current: &'a [f64],
        paired: bool,
    },
    /// One summary value per side with its standard error (libtest, divan).
    Summary {
        baseline: (f64, f64),
        current: (f64, f64),
    },
}

pub(crate) struct Input<'a> {
    pub(crate) id: &'a str,
    pub(crate) data: Data<'a>,
    /// How many times the stopping rule looked at this comparison.
    pub(crate) looks: u32,
}

/// The estimated ratio, whichever way it is known.
pub(crate) enum Estimate {
    Log(LogRatio),
    Boot(RatioBootstrap),
}

impl Estimate {
    /// `None` when a side is too small to compare (fewer than two samples).
    pub(crate) fn of(data: &Data<'_>, estimator: BenchEstimator, seed: u64) -> Option<Estimate> {
        match (*data, estimator) {
            (Data::Summary { baseline, current }, _) => {
                LogRatio::of_summaries(baseline, current).map(Estimate::Log)
            }
            (
                Data::Samples {
                    baseline, current, ..
                },
                _,
            ) if baseline.len() < 2 || current.len() < 2 => None,
            (
                Data::Samples {
                    baseline,
                    current,
                    paired,
                },
                BenchEstimator::TrimmedMean,
            ) => if paired && baseline.len() == current.len() {
                LogRatio::paired(baseline, current)
            } else {
                LogRatio::unpaired(baseline, current)
            }
            .map(Estimate::Log),
            (
                Data::Samples {
                    baseline,
                    current,
                    paired,
                },
                BenchEstimator::Median,
            ) => Some(Estimate::Boot(
                if paired && baseline.len() == current.len() {
                    RatioBootstrap::paired(baseline, current, seed)
                } else {
                    RatioBootstrap::new(baseline, current, seed)
                },
            )),
        }
    }

    pub(crate) fn point(&self) -> f64 {
        match self {
            Estimate::Log(l) => l.ratio(),
            Estimate::Boot(b) => b.point,
        }
    }

    pub(crate) fn interval(&self, alpha: f64) -> (f64, f64) {
        match self {
            Estimate::Log(l) => l.interval(alpha),
            Estimate::Boot(b) => b.interval(alpha),
        }
    }

    pub(crate) fn p_outside(&self, threshold: f64) -> f64 {
        match self {
            Estimate::Log(l) => l.p_outside(threshold),
            Estimate::Boot(b) => b.p_outside(threshold),
        }
    }

    /// The verdict at significance `alpha`.
    pub(crate) fn verdict(&self, alpha: f64, threshold: f64) -> Verdict {
        let (low, high) = self.interval(alpha);
        classify(low, high, threshold)
    }
}

/// The location `estimator` gives `samples` (the median for one sample).
pub(crate) fn location(samples: &[f64], estimator: BenchEstimator) -> f64 {
    match estimator {
        BenchEstimator::TrimmedMean => {
            Trimmed::of(samples).map_or_else(|| median(samples), |t| t.mean)
        }
        BenchEstimator::Median => median(samples),
    }
}

/// Judges every input together, so the correction covers all of them.
/// Inputs too small to compare are left out.
pub(crate) fn judge(
    inputs: &[Input<'_>],
    threshold: f64,
    confidence: f64,
    estimator: BenchEstimator,
) -> Vec<Comparison> {
    let judged: Vec<(&Input<'_>, Estimate)> = inputs
        .iter()
        .filter_map(|i| Some((i, Estimate::of(&i.data, estimator, fnv1a(i.id.as_bytes()))?)))
        .collect();
    let p_values: Vec<f64> = judged
        .iter()
        .map(|(i, e)| (e.p_outside(threshold) * f64::from(i.looks.max(1))).min(1.0))
        .collect();
    let levels = holm_levels(&p_values, 1.0 - confidence);
    judged
        .iter()
        .zip(levels)
        .map(|((input, estimate), holm)| {
            let alpha = holm / f64::from(input.looks.max(1));
            let (low, high) = estimate.interval(alpha);
            Comparison {
                id: input.id.to_owned(),
                baseline_value: match input.data {
                    Data::Samples { baseline, .. } => location(baseline, estimator),
                    Data::Summary { baseline, .. } => baseline.0,
                },
                change: Change {
                    ratio: estimate.point(),
                    low,
                    high,
                    confidence: Some(1.0 - alpha),
                },
                verdict: classify(low, high, threshold),
                judgement: None,
                figure: None,
            }
        })
        .collect()
}

/// Compares two single summary values by the spread their harness reported
/// (libtest's `+/-`, divan's half-range): the ratio's worst-case bounds. For
/// records stored before standard errors were.
pub(crate) fn judge_by_spread(
    id: &str,
    (base, base_spread): (f64, f64),
    (current, current_spread): (f64, f64),
    threshold: f64,
) -> Comparison {
    let low = (current - current_spread).max(0.0) / (base + base_spread);
    let high = if base > base_spread {
        (current + current_spread) / (base - base_spread)
    } else {
        f64::INFINITY
    };
    Comparison {
        id: id.to_owned(),
        baseline_value: base,
        change: Change {
            ratio: current / base,
            low,
            high,
            confidence: None,
        },
        verdict: classify(low, high, threshold),
        judgement: None,
        figure: None,
    }
}

/// Regressed only when the whole interval is above `1 + threshold`, unchanged
/// only when it is wholly inside `1 ± threshold`; anything else is inconclusive.
pub(crate) fn classify(low: f64, high: f64, threshold: f64) -> Verdict {
    if low > 1.0 + threshold {
        Verdict::Regressed
    } else if high < 1.0 - threshold {
        Verdict::Improved
    } else if low >= 1.0 - threshold && high <= 1.0 + threshold {
        Verdict::Unchanged
    } else {
        Verdict::Inconclusive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples<'a>(baseline: &'a [f64], current: &'a [f64], paired: bool) -> Input<'a> {
        Input {
            id: "a",
            data: Data::Samples {
                baseline,
                current,
                paired,
            },
            looks: 1,
        }
    }

    #[test]
    fn classification_follows_the_interval() {
        assert_eq!(classify(1.06, 1.2, 0.05), Verdict::Regressed);
        assert_eq!(classify(0.8, 0.9, 0.05), Verdict::Improved);
        assert_eq!(classify(0.97, 1.03, 0.05), Verdict::Unchanged);
        assert_eq!(classify(1.01, 1.2, 0.05), Verdict::Inconclusive);
        assert_eq!(classify(0.9, 1.2, 0.05), Verdict::Inconclusive);
    }

    #[test]
    fn spread_bounds() {
        let c = judge_by_spread("x", (100.0, 2.0), (130.0, 3.0), 0.05);
        assert_eq!(c.verdict, Verdict::Regressed);
        let c = judge_by_spread("x", (100.0, 10.0), (104.0, 10.0), 0.05);
        assert_eq!(c.verdict, Verdict::Inconclusive);
    }

    #[test]
    fn identical_samples_are_not_regressed() {
        let base: Vec<f64> = (0..15).map(|i| 1000.0 + f64::from(i * 7 % 11)).collect();
        for estimator in [BenchEstimator::TrimmedMean, BenchEstimator::Median] {
            let out = judge(&[samples(&base, &base, false)], 0.05, 0.95, estimator);
            assert_eq!(out[0].verdict, Verdict::Unchanged);
        }
    }

    #[test]
    fn pairing_cancels_shared_drift() {
        // The machine slows down over the run; each pair shares the slowdown.
        let base: Vec<f64> = (0..20)
            .map(|i| 1000.0 * (1.0 + f64::from(i) * 0.05))
            .collect();
        let slow: Vec<f64> = base.iter().map(|b| b * 1.10).collect();
        for estimator in [BenchEstimator::TrimmedMean, BenchEstimator::Median] {
            let judged = |paired| judge(&[samples(&base, &slow, paired)], 0.05, 0.95, estimator);
            assert_eq!(judged(true)[0].verdict, Verdict::Regressed);
            assert_eq!(judged(false)[0].verdict, Verdict::Inconclusive);
        }
    }

    #[test]
    fn more_looks_widen_the_interval() {
        let base: Vec<f64> = (0..20).map(|i| 100.0 + f64::from(i % 7)).collect();
        let slow: Vec<f64> = base.iter().map(|b| b * 1.08).collect();
        let once = judge(
            &[samples(&base, &slow, false)],
            0.05,
            0.95,
            BenchEstimator::TrimmedMean,
        );
        let mut looked = samples(&base, &slow, false);
        looked.looks = 8;
        let many = judge(&[looked], 0.05, 0.95, BenchEstimator::TrimmedMean);
        assert!(many[0].change.low < once[0].change.low);
        assert!(many[0].change.confidence > once[0].change.confidence);
    }
}
