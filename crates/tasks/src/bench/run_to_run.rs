//! How far two runs of the same clean commit, on this machine and
//! toolchain, have differed, benchmark by benchmark: the history's own
//! evidence of how much a comparison with stored runs can move while the
//! code does not (caches, clock frequency, what else ran). A run's own
//! samples cannot show that; two runs of identical code can. A comparison
//! with stored runs is widened by it (see `undecided`), so a shift the
//! machine has been seen to make is never taken for the code's.
//!
//! Only command benchmarks are learned from: their baseline can then be
//! measured again in pairs, which no shift touches. A harness's results
//! cannot be paired yet, and widened by one observation most of them would
//! stay undecided (a criterion bench slowed 10% was caught 8 times in 20
//! instead of 15).

use std::collections::HashMap;

use cargo_perf_policy::BenchSettings;

use super::clock;
use super::fingerprint::Fingerprint;
use super::history::RunRecord;
use super::report::{judged_clock, unit_named};
use super::robust::LogRatio;
use cargo_perf_engine::model::Unit;

/// The most recent observations of a benchmark that count.
const KEEP: usize = 10;

/// Observations, none over half the threshold, after which a benchmark
/// counts as steady between runs.
const STEADY_AFTER: usize = 3;

/// The largest shift seen between two runs of the same code.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Observed {
    /// The shift as a ratio ≥ 1 (1.08: one run's location was 8% above
    /// the other's).
    pub(crate) ratio: f64,
    /// The two runs that showed it, earlier first.
    pub(crate) runs: (u64, u64),
    pub(crate) commit: String,
}

/// Per benchmark id, the largest shift among its last `KEEP` observations
/// (a ratio of 1 when none moved for certain) and how many there are.
#[derive(Debug, Default)]
pub(crate) struct RunToRun(HashMap<String, (Observed, usize)>);

impl RunToRun {
    /// The largest shift seen for certain, if any.
    pub(crate) fn of(&self, id: &str) -> Option<&Observed> {
        self.0
            .get(id)
            .map(|(largest, _)| largest)
            .filter(|o| o.ratio > 1.0)
    }

    /// Enough runs of the same code have been seen, none moved by more than
    /// `tolerance`: a comparison with stored runs can be taken as it is.
    pub(crate) fn steady(&self, id: &str, tolerance: f64) -> bool {
        self.0.get(id).is_some_and(|(largest, count)| {
            *count >= STEADY_AFTER && largest.ratio - 1.0 <= tolerance
        })
    }
}

/// What the history says about trusting a comparison with stored runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Evidence<'a> {
    pub(crate) run_to_run: &'a RunToRun,
    /// This run measures the same code as the baseline's run.
    pub(crate) same_code: bool,
}

/// Two runs measured the same code the same way.
pub(crate) fn same_code(a: &Fingerprint, b: &Fingerprint) -> bool {
    a.commit.is_some()
        && !a.dirty
        && !b.dirty
        && a.commit == b.commit
        && a.rustc == b.rustc
        && a.cpu == b.cpu
        && a.cores == b.cores
        && a.cargo_lock == b.cargo_lock
}

/// Learns from `runs` (oldest first): each run is set against the latest
/// earlier run of the same code, and every time benchmark both measured
/// with samples gives one observation; it counts as a shift only when the
/// 95% interval of their ratio excludes 1, so sampling noise alone does
/// not make one.
pub(crate) fn learn(runs: &[RunRecord], settings: &BenchSettings) -> RunToRun {
    let mut seen: HashMap<String, Vec<Observed>> = HashMap::new();
    for (j, later) in runs.iter().enumerate() {
        let Some(earlier) = runs[..j]
            .iter()
            .rev()
            .find(|r| same_code(&r.fingerprint, &later.fingerprint))
        else {
            continue;
        };
        let commit = later.fingerprint.commit.clone().unwrap_or_default();
        for (id, shift) in shifts(earlier, later, settings) {
            seen.entry(id).or_default().push(Observed {
                ratio: shift.exp(),
                runs: (earlier.id, later.id),
                commit: commit.clone(),
            });
        }
    }
    let learned = seen
        .into_iter()
        .filter_map(|(id, observations)| {
            let recent = &observations[observations.len().saturating_sub(KEEP)..];
            let largest = recent.iter().max_by(|a, b| a.ratio.total_cmp(&b.ratio))?;
            Some((id, (largest.clone(), recent.len())))
        })
        .collect();
    RunToRun(learned)
}

/// Each command benchmark timed in both runs with its certain shift (|log ratio|,
/// 0 when the interval takes in 1).
fn shifts(earlier: &RunRecord, later: &RunRecord, settings: &BenchSettings) -> Vec<(String, f64)> {
    later
        .benchmarks
        .iter()
        .filter(|b| b.sampling.is_some() && unit_named(&b.unit) == Unit::Nanoseconds)
        .filter_map(|b| {
            let a = earlier
                .benchmarks
                .iter()
                .find(|a| a.id == b.id && a.unit == b.unit)?;
            let clock = judged_clock(b, settings);
            let ratio = LogRatio::unpaired(&clock::samples(a, clock), &clock::samples(b, clock))?;
            let (low, high) = ratio.interval(0.05);
            let certain = low > 1.0 || high < 1.0;
            Some((b.id.clone(), if certain { ratio.log.abs() } else { 0.0 }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::clock::Clock;
    use crate::bench::history::{BenchRecord, SamplingRecord};
    use crate::bench::sampling::Stop;

    fn run(id: u64, commit: &str, dirty: bool, samples: Vec<f64>) -> RunRecord {
        RunRecord {
            format: String::new(),
            id,
            fingerprint: Fingerprint {
                commit: Some(commit.to_owned()),
                dirty,
                ..Fingerprint::default()
            },
            benchmarks: vec![BenchRecord {
                samples,
                sampling: Some(SamplingRecord {
                    clock: Clock::Wall,
                    stop: Stop::FixedRuns,
                    looks: 1,
                }),
                ..BenchRecord::new("nap", "ns")
            }],
        }
    }

    fn around(center: f64, n: usize) -> Vec<f64> {
        (0..n).map(|i| center * (1.0 + 0.002 * i as f64)).collect()
    }

    #[test]
    fn two_runs_of_one_commit_that_differ_for_certain_teach_their_shift() {
        let settings = BenchSettings::default();
        let runs = [
            run(1, "c1", false, around(100.0, 10)),
            run(2, "c1", false, around(110.0, 10)),
        ];
        let learned = learn(&runs, &settings);
        let nap = learned.of("nap").unwrap();
        assert!((nap.ratio - 1.10).abs() < 0.01, "{nap:?}");
        assert_eq!(nap.runs, (1, 2));
        assert_eq!(nap.commit, "c1");
    }

    #[test]
    fn other_commits_dirty_trees_and_noise_teach_nothing() {
        let settings = BenchSettings::default();
        let noisy = |seed: f64| {
            (0..10)
                .map(|i| 100.0 + ((i as f64 + seed) * 7.0) % 20.0)
                .collect()
        };
        let runs = [
            run(1, "c1", false, around(100.0, 10)),
            run(2, "c2", false, around(130.0, 10)),
            run(3, "c2", true, around(160.0, 10)),
            run(4, "c3", false, noisy(0.0)),
            run(5, "c3", false, noisy(3.0)),
        ];
        // A harness's results (no sampling record) teach nothing either.
        let mut harness = [
            run(6, "c4", false, around(100.0, 10)),
            run(7, "c4", false, around(130.0, 10)),
        ];
        for r in &mut harness {
            r.benchmarks[0].sampling = None;
        }
        assert_eq!(learn(&harness, &settings).of("nap"), None);
        let learned = learn(&runs, &settings);
        assert_eq!(learned.of("nap"), None);
        // One observation of the steady c3 is not enough to trust.
        assert!(!learned.steady("nap", 0.025));
    }

    #[test]
    fn only_the_last_observations_count() {
        let settings = BenchSettings::default();
        let mut runs = vec![
            run(1, "c1", false, around(100.0, 10)),
            run(2, "c1", false, around(150.0, 10)),
        ];
        for id in 3..=(3 + KEEP as u64) {
            runs.push(run(id, "c1", false, around(150.0, 10)));
        }
        let learned = learn(&runs, &settings);
        assert_eq!(learned.of("nap"), None);
        assert!(learned.steady("nap", 0.025));
    }
}
