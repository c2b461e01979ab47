//! Turns a baseline and a current set of samples per benchmark into honest
//! verdicts: an interval for the ratio of medians, judged against the
//! threshold at a Holm-corrected level.

use cargo_perf_engine::model::{Change, Verdict};

use super::stats::{RatioBootstrap, fnv1a, holm_levels};

/// A comparison of one benchmark.
#[derive(Debug, Clone)]
pub(crate) struct Comparison {
    pub(crate) id: String,
    pub(crate) baseline_median: f64,
    /// median(current) / median(baseline) and its interval; the interval's
    /// confidence is the level after correction, `None` for a bound from a
    /// harness's reported spread.
    pub(crate) change: Change,
    pub(crate) verdict: Verdict,
}

pub(crate) struct Input<'a> {
    pub(crate) id: &'a str,
    pub(crate) baseline: &'a [f64],
    pub(crate) current: &'a [f64],
    /// Sample i of each side was measured next to the other's sample i.
    pub(crate) paired: bool,
}

/// Judges every input together, so the correction covers all of them.
pub(crate) fn judge(inputs: &[Input<'_>], threshold: f64, confidence: f64) -> Vec<Comparison> {
    let boots: Vec<RatioBootstrap> = inputs
        .iter()
        .map(|i| {
            let seed = fnv1a(i.id.as_bytes());
            if i.paired && i.baseline.len() == i.current.len() {
                RatioBootstrap::paired(i.baseline, i.current, seed)
            } else {
                RatioBootstrap::new(i.baseline, i.current, seed)
            }
        })
        .collect();
    let p_values: Vec<f64> = boots.iter().map(|b| b.p_outside(threshold)).collect();
    let levels = holm_levels(&p_values, 1.0 - confidence);
    inputs
        .iter()
        .zip(&boots)
        .zip(levels)
        .map(|((input, boot), alpha)| {
            let (low, high) = boot.interval(alpha);
            Comparison {
                id: input.id.to_owned(),
                baseline_median: super::stats::median(input.baseline),
                change: Change {
                    ratio: boot.point,
                    low,
                    high,
                    confidence: Some(1.0 - alpha),
                },
                verdict: classify(low, high, threshold),
            }
        })
        .collect()
}

/// Compares two single summary values by the spread their harness reported
/// (libtest's `+/-`, divan's half-range): the ratio's worst-case bounds.
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
        baseline_median: base,
        change: Change {
            ratio: current / base,
            low,
            high,
            confidence: None,
        },
        verdict: classify(low, high, threshold),
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
        let out = judge(
            &[Input {
                id: "a",
                baseline: &base,
                current: &base,
                paired: false,
            }],
            0.05,
            0.95,
        );
        assert_eq!(out[0].verdict, Verdict::Unchanged);
    }

    #[test]
    fn pairing_cancels_shared_drift() {
        // The machine slows down over the run; each pair shares the slowdown.
        let base: Vec<f64> = (0..20)
            .map(|i| 1000.0 * (1.0 + f64::from(i) * 0.05))
            .collect();
        let slow: Vec<f64> = base.iter().map(|b| b * 1.10).collect();
        let input = |paired| Input {
            id: "a",
            baseline: &base,
            current: &slow,
            paired,
        };
        assert_eq!(
            judge(&[input(true)], 0.05, 0.95)[0].verdict,
            Verdict::Regressed
        );
        assert_eq!(
            judge(&[input(false)], 0.05, 0.95)[0].verdict,
            Verdict::Inconclusive
        );
    }
}
