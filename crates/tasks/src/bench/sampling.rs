//! When to stop timing a command benchmark. With `runs = N` after N runs;
//! otherwise after `min-runs`, as soon as the median is known precisely
//! enough to judge it against the threshold, bounded by `max-runs` and
//! `max-time`. The rule looks only at the precision of the samples, never at
//! the comparison with the baseline, so stopping early cannot bias a verdict.

use std::time::{Duration, Instant};

use cargo_perf_policy::Runs;

use super::stats::median_precision;

/// The share of the threshold one side's median must be known to: with a 5%
/// threshold, ±1.25%. Two sides that precise give a ratio known to about
/// ±1.8%, which tells a 10% change from a 5% threshold nearly every time and
/// leaves room for the machine's speed to drift a little between two runs.
const TARGET_SHARE: f64 = 0.25;

pub(crate) struct Sampler {
    runs: Runs,
    /// The relative half-width to reach (`median_precision`).
    target: f64,
    /// The confidence level precision is measured at.
    confidence: f64,
    started: Instant,
}

/// Why sampling stopped before the median was precise enough.
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
    /// corrected for it); `paired` when the samples are per-pair ratios of
    /// two trees measured interleaved, whose one interval is the ratio's.
    pub(crate) fn new(
        runs: Runs,
        threshold: f64,
        confidence: f64,
        benchmarks: usize,
        paired: bool,
    ) -> Self {
        let share = if paired {
            TARGET_SHARE * std::f64::consts::SQRT_2
        } else {
            TARGET_SHARE
        };
        Self {
            runs,
            target: share * threshold,
            confidence: 1.0 - (1.0 - confidence) / benchmarks.max(1) as f64,
            started: Instant::now(),
        }
    }

    /// Whether to take another run, after the `samples` taken so far.
    pub(crate) fn wants_more(&self, samples: &[f64]) -> bool {
        let done = samples.len();
        match self.runs {
            Runs::Fixed(n) => done < n as usize,
            Runs::Adaptive { min, max, max_time } => {
                done < min as usize
                    || (done < max as usize
                        && self.started.elapsed() < max_time
                        && self.precision(samples) > self.target)
            }
        }
    }

    /// For the progress line: `run 12/30`, or `run 12 (±3.1%, aiming for ±1.8%)`.
    pub(crate) fn describe(&self, samples: &[f64]) -> String {
        let next = samples.len() + 1;
        match self.runs {
            Runs::Fixed(n) => format!("run {next}/{n}"),
            Runs::Adaptive { .. } if samples.len() < 2 => format!("run {next}"),
            Runs::Adaptive { .. } => format!(
                "run {next} (±{}, aiming for ±{})",
                percent(self.precision(samples)),
                percent(self.target)
            ),
        }
    }

    /// After the last run: `Some` when adaptive sampling hit a bound before
    /// the median was precise enough.
    pub(crate) fn imprecise(&self, samples: &[f64]) -> Option<Imprecise> {
        let Runs::Adaptive { max, max_time, .. } = self.runs else {
            return None;
        };
        let precision = self.precision(samples);
        (precision > self.target).then(|| Imprecise {
            runs: samples.len(),
            precision,
            target: self.target,
            max_time: (samples.len() < max as usize).then_some(max_time),
        })
    }

    fn precision(&self, samples: &[f64]) -> f64 {
        median_precision(samples, self.confidence)
    }
}

pub(crate) fn percent(fraction: f64) -> String {
    if fraction.is_finite() {
        format!("{:.1}%", fraction * 100.0)
    } else {
        "∞".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adaptive(min: u32, max: u32, secs: u64) -> Runs {
        Runs::Adaptive {
            min,
            max,
            max_time: Duration::from_secs(secs),
        }
    }

    #[test]
    fn fixed_runs_ignore_precision() {
        let sampler = Sampler::new(Runs::Fixed(3), 0.05, 0.95, 1, false);
        assert!(sampler.wants_more(&[1.0, 1.0]));
        assert!(!sampler.wants_more(&[1.0, 1.0, 1.0]));
        assert_eq!(sampler.imprecise(&[1.0, 50.0, 1.0]), None);
        assert_eq!(sampler.describe(&[1.0]), "run 2/3");
    }

    #[test]
    fn adaptive_runs_stop_once_precise() {
        let sampler = Sampler::new(adaptive(4, 100, 60), 0.05, 0.95, 1, false);
        let steady = [100.0, 100.1, 99.9, 100.0];
        assert!(sampler.wants_more(&steady[..3]), "below min-runs");
        assert!(!sampler.wants_more(&steady));
        assert_eq!(sampler.imprecise(&steady), None);
        let noisy = [100.0, 130.0, 80.0, 120.0];
        assert!(sampler.wants_more(&noisy));
        assert!(sampler.describe(&noisy).contains("aiming for ±1.2%"));
    }

    #[test]
    fn adaptive_runs_stop_at_their_bounds_and_say_why() {
        let modes: Vec<f64> = (0..6).map(|i| [10.0, 30.0][i % 2]).collect();
        let sampler = Sampler::new(adaptive(2, 6, 60), 0.05, 0.95, 1, false);
        assert!(!sampler.wants_more(&modes));
        let why = sampler.imprecise(&modes).unwrap();
        assert_eq!((why.runs, why.max_time), (6, None));
        let sampler = Sampler::new(adaptive(2, 100, 0), 0.05, 0.95, 1, false);
        assert!(!sampler.wants_more(&modes));
        assert_eq!(
            sampler.imprecise(&modes).unwrap().max_time,
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn more_benchmarks_and_pairs_change_the_target() {
        let one = Sampler::new(adaptive(2, 10, 60), 0.05, 0.95, 1, false);
        let many = Sampler::new(adaptive(2, 10, 60), 0.05, 0.95, 20, false);
        assert!(many.confidence > one.confidence);
        let paired = Sampler::new(adaptive(2, 10, 60), 0.05, 0.95, 1, true);
        assert!((paired.target - 0.05 * 0.25 * 2f64.sqrt()).abs() < 1e-12);
    }
}
