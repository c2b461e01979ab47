//! Cargo bench targets measured in pairs with another tree (`--baseline-rev`,
//! or the stored baseline's commit measured again): the baseline tree's
//! target and the working tree's run one right after the other, in turns
//! (B A, A B, B A, …), and each run of the harness gives one value per
//! benchmark: the location of criterion's samples, or the median libtest
//! and divan print. Two runs of a harness minutes apart differ by more
//! than either run's own spread shows (the machine's speed, where memory
//! lands); two runs next to each other share most of that. So the ratio of
//! each pair is what is judged, as for a command benchmark's pairs.
//!
//! The pairs stop at planned looks: at 10 pairs (fewer leave too little
//! once the fastest and slowest fifth are trimmed), then at twice as many
//! each time while the pairs so far say it fits in [`BUDGET`], once every
//! benchmark of the target has decided, or at the first pair once the runs
//! have taken [`BUDGET`]; each look is judged at the level divided by the
//! looks planned at the first one. Criterion runs shortened
//! (`--warm-up-time`, `--measurement-time`, `--sample-size`): one run gives
//! one value, and more pairs say more than longer runs.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use cargo_perf_engine::model::Verdict;
use cargo_perf_engine::{TaskContext, TaskError};
use cargo_perf_policy::BenchSettings;

use super::{BenchTarget, Parsed, Run, packages_in, run_once};
use crate::bench::codes::BenchCode;
use crate::bench::history::PairsRecord;
use crate::bench::sampling::Stop;
use crate::bench::verdict::{Data, Estimate, location};

/// The planned looks, in pairs; the last is the most pairs taken.
const LOOKS: [usize; 5] = [10, 20, 40, 80, 160];

/// No look after the first once the runs of a target have taken this long.
const BUDGET: Duration = Duration::from_secs(30);

/// Stop even before the first look once the runs have taken this long (a
/// target whose one run takes minutes).
const HARD_LIMIT: Duration = Duration::from_secs(180);

/// Criterion's run, shortened to about 0.1 s per benchmark (it takes
/// longer where 55 iterations, its least, take longer): many short pairs
/// tell more than a few long ones, since two runs of a harness differ by
/// more than the samples within one (each process lands differently in
/// memory), and by as much whether a run measures for 0.05 s or for 0.2 s.
const CRITERION_SHORT_TIMES: [&str; 4] = ["--warm-up-time", "0.02", "--measurement-time", "0.05"];

/// The same for criterion before 0.4, which takes whole seconds only (and
/// more than none).
const CRITERION_WHOLE_SECONDS: [&str; 4] = ["--warm-up-time", "1", "--measurement-time", "1"];

/// The rest of a shortened criterion run's flags. Fewer resamples only
/// shorten criterion's own analysis, which cargo perf does not read. The
/// results are saved as criterion's baseline `cargo-perf-pairs`, so its
/// `base`, which a plain `cargo bench` compares with, stays the user's last
/// whole run.
const CRITERION_SHORT_REST: [&str; 7] = [
    "--sample-size",
    "10",
    "--nresamples",
    "1000",
    "--noplot",
    "--save-baseline",
    "cargo-perf-pairs",
];

/// The shortening flags the workspace's criterion takes: by the oldest
/// criterion its `Cargo.lock` holds (none found: a current one).
fn criterion_short(lock: &str) -> Vec<&'static str> {
    let mut lines = lock.lines().map(str::trim);
    let mut old = false;
    while let Some(line) = lines.next() {
        if line == "name = \"criterion\""
            && let Some(version) = lines.next().and_then(|v| v.strip_prefix("version = \""))
        {
            old |= version.starts_with("0.1.")
                || version.starts_with("0.2.")
                || version.starts_with("0.3.");
        }
    }
    let times = if old {
        CRITERION_WHOLE_SECONDS
    } else {
        CRITERION_SHORT_TIMES
    };
    times.into_iter().chain(CRITERION_SHORT_REST).collect()
}

/// The other tree: its workspace root and its own target dir.
pub(crate) type Tree<'a> = (&'a Path, &'a Path);

/// Measures every target in pairs with `tree`; `criterion` says which
/// targets report through criterion (and so can run shortened). Returns
/// each benchmark's pairs, by its id; a target that fails in either tree
/// gets none (a finding with the code `failed` says why).
pub(crate) fn measure(
    cx: &mut TaskContext<'_>,
    targets: &[BenchTarget],
    filter: Option<&str>,
    (tree, failed): (Tree<'_>, BenchCode),
    criterion: impl Fn(&BenchTarget) -> bool,
) -> Result<BTreeMap<String, PairsRecord>, TaskError> {
    let packages = packages_in(cx, Some(tree))?;
    let lock = std::fs::read_to_string(cx.workspace().root.join("Cargo.lock")).unwrap_or_default();
    let mut out = BTreeMap::new();
    for target in targets {
        let extra = if criterion(target) {
            criterion_short(&lock)
        } else {
            Vec::new()
        };
        let runs = [
            Run {
                target,
                package: packages.get(&target.package).unwrap_or(&target.spec),
                filter,
                tree: Some(tree),
                extra: &extra,
                failed,
            },
            Run {
                target,
                package: &target.spec,
                filter,
                tree: None,
                extra: &extra,
                failed,
            },
        ];
        out.extend(
            pairs_of(cx, &runs)?
                .into_iter()
                .map(|(id, pairs)| (format!("{}/{id}", target.target), pairs)),
        );
    }
    Ok(out)
}

/// Each benchmark's values so far: the baseline tree's and this tree's.
type Values = BTreeMap<String, (Vec<f64>, Vec<f64>)>;

/// The pairs of one target: `runs` are its run in the baseline tree and in
/// the working tree.
fn pairs_of(
    cx: &mut TaskContext<'_>,
    runs: &[Run<'_>; 2],
) -> Result<BTreeMap<String, PairsRecord>, TaskError> {
    // The first pair builds the baseline tree's target, so the clock starts after it.
    let mut started = Instant::now();
    let mut values = Values::new();
    let mut looks = Looks::new();
    let mut stop = None;
    let last = LOOKS[LOOKS.len() - 1];
    for pair in 1..=last {
        cx.step(&format!(
            "{}: pair {pair} of at least {} (baseline tree and working tree in turns)",
            runs[0].target.target, LOOKS[0]
        ));
        // The baseline first in odd pairs (a tree that cannot run the
        // target then costs no run of the working tree), second in even ones.
        let order = if pair % 2 == 1 { [0, 1] } else { [1, 0] };
        let mut found: [Vec<Parsed>; 2] = [Vec::new(), Vec::new()];
        for side in order {
            match run_once(cx, &runs[side])? {
                Some(parsed) => found[side] = parsed,
                None => return Ok(BTreeMap::new()),
            }
        }
        add(&mut values, &found, cx.policy().bench.estimator);
        if pair == 1 {
            started = Instant::now();
        }
        stop = looks.after(&cx.policy().bench, &values, pair, started.elapsed());
        if stop.is_some() {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let stop = stop.unwrap_or(Stop::MaxRuns);
    Ok(values
        .into_iter()
        .map(|(id, (baseline, current))| {
            let pairs = PairsRecord {
                baseline,
                current,
                stop,
                looks: looks.count,
                seconds,
            };
            (id, pairs)
        })
        .collect())
}

/// One value per benchmark both runs of the pair reported.
fn add(
    values: &mut Values,
    [baseline, current]: &[Vec<Parsed>; 2],
    estimator: cargo_perf_policy::BenchEstimator,
) {
    for base in baseline {
        if let Some(now) = current
            .iter()
            .find(|c| c.id == base.id && c.unit == base.unit)
        {
            let entry = values.entry(base.id.clone()).or_default();
            entry.0.push(location(&base.samples, estimator));
            entry.1.push(location(&now.samples, estimator));
        }
    }
}

/// The looks at one target's pairs, planned at the first ([`LOOKS`]`[0]`
/// pairs) from how long those pairs took: the later ones of [`LOOKS`] that
/// fit in [`BUDGET`] at that pace, and the end. The plan depends on time
/// alone, never on what the pairs say, so dividing the level by its count
/// keeps it, and a slow target that can afford one look is judged at the
/// whole level.
#[derive(Debug)]
struct Looks {
    /// The pair counts looked at before the end.
    at: Vec<usize>,
    /// How many looks the level is divided by, the end included.
    count: u32,
}

impl Looks {
    /// Before the first look: only the end (at [`HARD_LIMIT`]) judges.
    fn new() -> Self {
        Self {
            at: Vec::new(),
            count: 1,
        }
    }

    /// The plan at the first look, `elapsed` after the first pair (which
    /// built the baseline tree's target, and is not timed).
    fn planned(elapsed: Duration) -> Self {
        if elapsed >= BUDGET {
            return Self {
                at: vec![LOOKS[0]],
                count: 1,
            };
        }
        let per_pair = elapsed.as_secs_f64() / (LOOKS[0] - 1) as f64;
        let at: Vec<usize> = LOOKS
            .iter()
            .copied()
            .filter(|&n| n == LOOKS[0] || n as f64 * per_pair < BUDGET.as_secs_f64())
            .collect();
        // The end is one more look, unless it is the last planned one.
        let count = (at.len() + 1).min(LOOKS.len()) as u32;
        Self { at, count }
    }

    /// Whether to stop after `pair` pairs that took `elapsed`, and why.
    fn after(
        &mut self,
        settings: &BenchSettings,
        values: &Values,
        pair: usize,
        elapsed: Duration,
    ) -> Option<Stop> {
        if pair == LOOKS[0] {
            *self = Self::planned(elapsed);
        }
        if elapsed >= HARD_LIMIT {
            return Some(Stop::MaxTime);
        }
        let planned = self.at.contains(&pair) || (pair > LOOKS[0] && elapsed >= BUDGET);
        if !planned {
            return None;
        }
        let alpha =
            (1.0 - settings.confidence) / (values.len().max(1) * self.count as usize) as f64;
        let decided = values.values().all(|(baseline, current)| {
            let data = Data::Samples {
                baseline,
                current,
                paired: true,
            };
            Estimate::of(&data, settings.estimator, 0)
                .is_some_and(|e| e.verdict(alpha, settings.threshold) != Verdict::Inconclusive)
        });
        if decided {
            Some(Stop::Decided)
        } else if elapsed >= BUDGET {
            Some(Stop::MaxTime)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use cargo_perf_engine::model::Verdict;
    use cargo_perf_policy::{BenchEstimator, BenchSettings};

    use super::{BUDGET, HARD_LIMIT, LOOKS, Looks, Values};
    use crate::bench::sampling::Stop;
    use crate::bench::stats::{SplitMix64, normal_quantile};
    use crate::bench::verdict::{Data, Input, judge};

    /// One simulated comparison in pairs: each harness run lands `noise`
    /// (relative) around its tree's speed, the machine's speed drifts by up
    /// to 10%, shared by both runs of a pair, one run in twenty is disturbed
    /// by +30%, and a pair takes `per_pair`. Returns the verdict as `report`
    /// judges it, and the pairs taken.
    fn simulate(
        rng: &mut SplitMix64,
        ratio: f64,
        noise: f64,
        per_pair: Duration,
    ) -> (Verdict, usize) {
        let settings = BenchSettings::default();
        let mut uniform =
            || ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64).clamp(1e-12, 1.0 - 1e-12);
        let mut values = Values::new();
        let mut looks = Looks::new();
        let mut pair = 0;
        loop {
            pair += 1;
            let machine = 1.0 + 0.1 * uniform();
            let mut run = |speed: f64| {
                let disturbed = if uniform() < 0.05 { 1.3 } else { 1.0 };
                speed * machine * disturbed * (noise * normal_quantile(uniform())).exp()
            };
            let (base, current) = (run(100.0), run(100.0 * ratio));
            let entry = values.entry("sim".to_owned()).or_default();
            entry.0.push(base);
            entry.1.push(current);
            let elapsed = per_pair * (pair - 1) as u32;
            if looks.after(&settings, &values, pair, elapsed).is_some()
                || pair == LOOKS[LOOKS.len() - 1]
            {
                break;
            }
        }
        let (baseline, current) = &values["sim"];
        let input = Input {
            id: "sim",
            data: Data::Samples {
                baseline,
                current,
                paired: true,
            },
            looks: looks.count,
        };
        let verdict = judge(&[input], 0.05, 0.95, BenchEstimator::TrimmedMean)[0].verdict;
        (verdict, pair)
    }

    /// Of `trials` simulated comparisons: how many said `regressed`, and
    /// how many decided.
    fn count(ratio: f64, noise: f64, trials: usize) -> (usize, usize) {
        let mut rng = SplitMix64::new(99);
        let mut regressed = 0;
        let mut decided = 0;
        for _ in 0..trials {
            let (verdict, _) = simulate(&mut rng, ratio, noise, Duration::from_millis(1500));
            regressed += usize::from(verdict == Verdict::Regressed);
            decided += usize::from(verdict != Verdict::Inconclusive);
        }
        (regressed, decided)
    }

    /// The level holds however often the pairs looked: with the true ratio
    /// exactly at the threshold, `regressed` one time in forty at most (one
    /// side of a 95% interval; 50 of 2,000, and three binomial standard
    /// errors of 7 above it for chance); on identical code, never.
    #[test]
    fn simulated_false_alarms_stay_within_the_level() {
        for noise in [0.01, 0.03, 0.06] {
            let (at_threshold, _) = count(1.05, noise, 2000);
            assert!(at_threshold <= 71, "noise {noise}: {at_threshold} of 2000");
            let (same, _) = count(1.0, noise, 500);
            assert_eq!(same, 0, "noise {noise}: A/A regressed");
        }
    }

    /// criterion before 0.4 refuses fractional seconds.
    #[test]
    fn the_oldest_criterion_in_the_lock_file_picks_the_flags() {
        let lock = |versions: &[&str]| {
            versions
                .iter()
                .map(|v| format!("[[package]]\nname = \"criterion\"\nversion = \"{v}\"\n"))
                .collect::<String>()
        };
        assert_eq!(super::criterion_short(&lock(&["0.3.6"]))[1], "1");
        assert_eq!(super::criterion_short(&lock(&["0.5.1", "0.2.11"]))[1], "1");
        assert_eq!(super::criterion_short(&lock(&["0.8.2"]))[1], "0.02");
        assert_eq!(super::criterion_short("")[1], "0.02");
    }

    /// Quiet pairs decide at the first look; noisy ones take more pairs,
    /// and the time limits stop them.
    #[test]
    fn quiet_pairs_decide_at_the_first_look_and_the_limits_stop_noisy_ones() {
        let mut rng = SplitMix64::new(5);
        let quick = Duration::from_millis(100);
        for ratio in [1.0, 1.10] {
            let (verdict, pairs) = simulate(&mut rng, ratio, 0.005, quick);
            assert_ne!(verdict, Verdict::Inconclusive, "{ratio}");
            assert_eq!(pairs, LOOKS[0], "{ratio}");
        }
        let (caught, decided) = count(1.10, 0.02, 200);
        assert!(caught >= 190 && decided >= 190, "{caught} {decided}");
        let settings = BenchSettings::default();
        let mut values = Values::new();
        values.insert(
            "x".into(),
            (vec![100.0, 150.0, 90.0], vec![140.0, 95.0, 160.0]),
        );
        let mut looks = Looks::new();
        assert_eq!(
            looks.after(&settings, &values, 3, Duration::from_secs(1)),
            None
        );
        assert_eq!(
            looks.after(&settings, &values, 3, HARD_LIMIT),
            Some(Stop::MaxTime)
        );
        assert_eq!(looks.count, 1);
    }

    /// The looks are planned at the first from the pace of the pairs: the
    /// later ones that fit in the budget, and the end.
    #[test]
    fn the_pace_of_the_first_pairs_plans_the_looks() {
        let plan = |seconds_per_pair: f64| {
            let looks = Looks::planned(Duration::from_secs_f64(
                seconds_per_pair * (LOOKS[0] - 1) as f64,
            ));
            (looks.at, looks.count)
        };
        // divan's quick runs: all but the last fit; the end is the fifth.
        assert_eq!(plan(0.1), (LOOKS.to_vec(), 5));
        assert_eq!(plan(0.2), (vec![10, 20, 40, 80], 5));
        // Shortened criterion, about 0.45 s a pair: three looks and the end.
        assert_eq!(plan(0.45), (vec![10, 20, 40], 4));
        // libtest, seconds a pair: the first look is the end.
        assert_eq!(plan(BUDGET.as_secs_f64() / 9.0), (vec![10], 1));
        // Ten pairs well within the budget: that look, and the end after it.
        assert_eq!(plan(3.0), (vec![10], 2));
        assert_eq!(plan(7.0), (vec![10], 1));
    }
}
