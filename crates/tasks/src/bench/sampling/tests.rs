//! The stopping rule's unit tests, and a simulation of its error rates:
//! thousands of seeded comparisons of samples drawn from known
//! distributions, each sampled the way a command benchmark is.

use super::*;
use crate::bench::stats::{SplitMix64, normal_quantile};

fn adaptive(min: u32, max: u32, secs: u64) -> Runs {
    Runs::Adaptive {
        min,
        max,
        max_time: Duration::from_secs(secs),
    }
}

const JUDGING: Judging = Judging {
    threshold: 0.05,
    confidence: 0.95,
    estimator: BenchEstimator::TrimmedMean,
};

#[test]
fn fixed_runs_ignore_precision() {
    let mut sampler = Sampler::new(Runs::Fixed(3), JUDGING, 1, Duration::ZERO);
    assert!(sampler.wants_more(Side::Alone(&[1.0, 1.0])));
    assert!(!sampler.wants_more(Side::Alone(&[1.0, 1.0, 1.0])));
    assert_eq!(sampler.stop(), Some(Stop::FixedRuns));
    assert_eq!(sampler.imprecise(&[1.0, 50.0, 1.0]), None);
    assert_eq!(sampler.describe(Side::Alone(&[1.0])), "run 2/3");
    assert_eq!(sampler.looks(), 1);
}

#[test]
fn alone_stops_once_precise() {
    let mut sampler = Sampler::new(adaptive(4, 100, 60), JUDGING, 1, Duration::ZERO);
    let steady: Vec<f64> = (0..20).map(|i| 100.0 + f64::from(i % 3) * 0.1).collect();
    assert!(
        sampler.wants_more(Side::Alone(&steady[..3])),
        "below min-runs"
    );
    assert!(
        sampler.wants_more(Side::Alone(&steady[..19])),
        "a spread is trusted from 20 runs"
    );
    assert!(!sampler.wants_more(Side::Alone(&steady)));
    assert_eq!(sampler.stop(), Some(Stop::Precise));
    assert_eq!(sampler.imprecise(&steady), None);
    let noisy = [100.0, 130.0, 80.0, 120.0];
    assert!(sampler.wants_more(Side::Alone(&noisy)));
    assert!(
        sampler
            .describe(Side::Alone(&noisy))
            .contains(&format!("aiming for ±{}", percent(0.35 * 0.05)))
    );
}

#[test]
fn bounds_stop_and_say_why() {
    let modes: Vec<f64> = (0..6).map(|i| [10.0, 30.0][i % 2]).collect();
    let mut sampler = Sampler::new(adaptive(2, 6, 60), JUDGING, 1, Duration::ZERO);
    assert!(!sampler.wants_more(Side::Alone(&modes)));
    let why = sampler.imprecise(&modes).unwrap();
    assert_eq!((why.runs, why.max_time), (6, None));
    let mut sampler = Sampler::new(adaptive(2, 100, 0), JUDGING, 1, Duration::ZERO);
    assert!(!sampler.wants_more(Side::Alone(&modes)));
    assert_eq!(
        sampler.imprecise(&modes).unwrap().max_time,
        Some(Duration::ZERO)
    );
}

#[test]
fn looks_are_planned_from_the_time_a_run_takes() {
    // 10 s allow 50 runs of 0.2 s: looks at 20, 30, 45, then the end.
    let runs = adaptive(10, 1000, 10);
    assert_eq!(
        planned_looks(runs, Duration::from_millis(200)),
        vec![20, 30, 45]
    );
    let sampler = Sampler::new(runs, JUDGING, 1, Duration::from_millis(200));
    assert_eq!(sampler.looks(), 4);
    assert_eq!(
        planned_looks(runs, Duration::from_secs(1)),
        Vec::<usize>::new()
    );
    assert_eq!(
        planned_looks(Runs::Fixed(9), Duration::ZERO),
        Vec::<usize>::new()
    );
}

#[test]
fn against_a_baseline_it_stops_when_the_comparison_decides() {
    let base: Vec<f64> = (0..30).map(|i| 100.0 + f64::from(i % 5)).collect();
    let slow: Vec<f64> = base.iter().map(|b| b * 1.3).collect();
    let mut sampler = Sampler::new(adaptive(10, 1000, 60), JUDGING, 1, Duration::ZERO);
    let side = |n: usize| Side::Against {
        baseline: &base,
        current: &slow[..n],
        paired: false,
    };
    assert!(sampler.wants_more(side(9)), "below min-runs");
    assert!(sampler.wants_more(side(19)), "before the first look");
    assert!(!sampler.wants_more(side(20)), "decided at the first look");
    assert_eq!(sampler.stop(), Some(Stop::Decided));
    assert!(sampler.describe(side(20)).contains("+30.0% so far"));
}

#[test]
fn an_imprecise_baseline_stops_sampling_that_cannot_help() {
    // A wide baseline, a steady current side near the threshold.
    let base: Vec<f64> = (0..12).map(|i| 100.0 + 8.0 * f64::from(i % 4)).collect();
    let cur: Vec<f64> = (0..20).map(|i| 117.0 + 0.1 * f64::from(i % 3)).collect();
    let mut sampler = Sampler::new(adaptive(10, 1000, 60), JUDGING, 1, Duration::ZERO);
    let side = Side::Against {
        baseline: &base,
        current: &cur,
        paired: false,
    };
    assert!(!sampler.wants_more(side));
    assert_eq!(sampler.stop(), Some(Stop::BaselineLimits));
}

/// Samples from a named distribution: `ratio` times a location of 100.
struct Source {
    rng: SplitMix64,
    kind: Kind,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Normal, 3% spread.
    Normal,
    /// Log-normal, skewed to the right, about 4% spread.
    Skewed,
    /// Two modes 6% apart, half the runs in each, 1% spread around each.
    Bimodal,
}

impl Source {
    fn uniform(&mut self) -> f64 {
        ((self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64).clamp(1e-12, 1.0 - 1e-12)
    }

    fn draw(&mut self, ratio: f64) -> f64 {
        let z = normal_quantile(self.uniform());
        let x = match self.kind {
            Kind::Normal => 100.0 * (1.0 + 0.03 * z),
            Kind::Skewed => 100.0 * (0.04 * z).exp(),
            Kind::Bimodal => {
                let mode = if self.uniform() < 0.5 { 97.0 } else { 103.0 };
                mode * (1.0 + 0.01 * z)
            }
        };
        x * ratio
    }
}

/// Samples one benchmark alone (the baseline), then the current side against
/// it; returns the verdict at the end, judged as `report` judges it.
fn simulate(source: &mut Source, ratio: f64) -> Verdict {
    let runs = adaptive(10, 400, 3600);
    let mut baseline = Vec::new();
    let mut alone = Sampler::new(runs, JUDGING, 1, Duration::ZERO);
    while alone.wants_more(Side::Alone(&baseline)) {
        baseline.push(source.draw(1.0));
    }
    let mut current = Vec::new();
    let mut sampler = Sampler::new(runs, JUDGING, 1, Duration::ZERO);
    while sampler.wants_more(Side::Against {
        baseline: &baseline,
        current: &current,
        paired: false,
    }) {
        current.push(source.draw(ratio));
    }
    let input = crate::bench::verdict::Input {
        id: "sim",
        data: Data::Samples {
            baseline: &baseline,
            current: &current,
            paired: false,
        },
        looks: sampler.looks(),
    };
    crate::bench::verdict::judge(&[input], 0.05, 0.95, BenchEstimator::TrimmedMean)[0].verdict
}

fn rates(kind: Kind, ratio: f64, trials: usize) -> (f64, f64) {
    let mut source = Source {
        rng: SplitMix64::new(kind as u64 * 7919 + 1),
        kind,
    };
    let mut regressed = 0;
    let mut decided = 0;
    for _ in 0..trials {
        let verdict = simulate(&mut source, ratio);
        regressed += usize::from(verdict == Verdict::Regressed);
        decided += usize::from(verdict != Verdict::Inconclusive);
    }
    (
        regressed as f64 / trials as f64,
        decided as f64 / trials as f64,
    )
}

/// The error the level promises: with the true ratio exactly at the
/// threshold, `regressed` comes out at most 2.5% of the time (one side of
/// a 95% interval), however often the rule looked.
#[test]
fn simulated_false_alarms_stay_within_the_level() {
    for kind in [Kind::Normal, Kind::Skewed, Kind::Bimodal] {
        let (at_threshold, _) = rates(kind, 1.05, 1500);
        assert!(at_threshold <= 0.025, "{kind:?}: {at_threshold}");
        let (same, decided) = rates(kind, 1.0, 500);
        assert!(same == 0.0, "{kind:?}: A/A regressed {same}");
        assert!(decided >= 0.95, "{kind:?}: A/A decided {decided}");
        let (caught, _) = rates(kind, 1.10, 500);
        assert!(caught >= 0.95, "{kind:?}: +10% caught {caught}");
    }
}
