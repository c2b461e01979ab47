//! How each verdict was reached, and for one that could not decide, why
//! and the cheapest thing that would: more time, a new baseline, measuring
//! both sides interleaved (`--baseline-rev`), or counting instructions.
//! Here too the interval takes in how far the machine's speed moved: a
//! calibration loop timed beside both runs says by how much, and when it
//! moved, for certain, by more than half the threshold, any part of the change up
//! to that movement could be the machine's rather than the code's, so the
//! interval is widened by it on the side it could explain. And when two
//! stored runs of the same code have moved by more than half the threshold
//! (`run_to_run`), a comparison with stored runs is widened by that, either way.

use cargo_perf_engine::model::{Judgement, Undecided, Verdict};
use cargo_perf_policy::{BenchEstimator, BenchSettings};

use super::clock;
use super::history::{BenchRecord, PairsRecord};
use super::remeasure::PAIRED_SHARE;
use super::report::{Pair, Source};
use super::robust::LogRatio;
use super::run_to_run::Observed;
use super::sampling::Stop;
use super::stats::median;
use super::verdict::{Comparison, classify};

/// Fills in `comparison.judgement`, widening its interval (and judging it
/// again) when the calibration loop says the machine's speed moved by more
/// than half the threshold between two runs measured apart, or when two
/// stored runs of the same code (`learned`) have moved by more than that.
pub(crate) fn explain(
    comparison: &mut Comparison,
    pair: &Pair<'_>,
    settings: &BenchSettings,
    (base_commit, learned): (Option<&str>, Option<&Observed>),
) {
    let tolerance = settings.threshold / 2.0;
    let calibration = (!pair.paired)
        .then(|| calibration_ratio(pair, tolerance))
        .flatten();
    let ratio = calibration.map(|(r, _)| r);
    // Only the share of the run spent on a CPU moves with the CPU's speed.
    let drifted = calibration
        .filter(|(_, moved)| *moved)
        .map(|(r, _)| 1.0 + (r - 1.0) * cpu_share(pair))
        .filter(|r| (r - 1.0).abs() > tolerance);
    let learned = learned.filter(|o| !pair.paired && o.ratio - 1.0 > tolerance);
    widen(
        comparison,
        drifted,
        learned.map(|o| o.ratio),
        settings.threshold,
    );
    let undecided = (comparison.verdict == Verdict::Inconclusive).then(|| {
        match (drifted, learned) {
            (Some(machine), _) => drift(pair, machine, base_commit),
            // More runs cannot take a shift the machine is known to make.
            (None, Some(observed)) => run_to_run(pair, observed, base_commit),
            _ => spread(comparison, pair, settings, base_commit),
        }
    });
    let instructions = pair.current.unit == "instructions";
    let (runs, baseline_runs) = pair.runs();
    comparison.judgement = Some(Judgement {
        estimator: match (instructions, runs) {
            (true, _) => "count",
            (false, 0 | 1) => "harness-summary",
            _ if settings.estimator == BenchEstimator::Median => "median",
            _ => "trimmed-mean",
        }
        .to_owned(),
        clock: if instructions {
            "instructions"
        } else {
            pair.clock.name()
        }
        .to_owned(),
        runs,
        baseline_runs,
        baseline: pair.source.name().to_owned(),
        paired: pair.paired,
        stop: match pair.harness_pairs() {
            Some(pairs) => Some(pairs.stop.name().to_owned()),
            None => pair.current.sampling.map(|s| s.stop.name().to_owned()),
        },
        calibration_ratio: ratio,
        run_to_run: learned.map(|o| o.ratio),
        undecided,
    });
}

/// Widens the interval by how far the machine moved (`machine`, from the
/// calibration loop: on the side it could explain) and by how far runs of
/// the same code have moved (`learned`: either way), and judges it again.
fn widen(comparison: &mut Comparison, machine: Option<f64>, learned: Option<f64>, threshold: f64) {
    if machine.is_none() && learned.is_none() {
        return;
    }
    let learned = learned.unwrap_or(1.0);
    let (up, down) = machine.map_or((1.0, 1.0), |m| (m.max(1.0), m.min(1.0)));
    let change = &mut comparison.change;
    change.low /= up.max(learned);
    change.high /= down.min(1.0 / learned);
    comparison.verdict = classify(change.low, change.high, threshold);
    // A machine whose speed moved by more than twice the threshold
    // slows different work by different amounts: no verdict holds.
    if machine.is_some_and(|m| (m - 1.0).abs() > 2.0 * threshold) {
        comparison.verdict = Verdict::Inconclusive;
    }
}

/// Stored runs of the same code have differed by more than this change
/// could be told from.
fn run_to_run(pair: &Pair<'_>, observed: &Observed, base_commit: Option<&str>) -> Undecided {
    let why = format!(
        "two runs of the same code on this machine (commit {}, runs #{} and #{}) differed by {:.1}%, so a comparison with stored runs cannot tell a change of this size from the machine",
        short(&observed.commit),
        observed.runs.0,
        observed.runs.1,
        (observed.ratio - 1.0) * 100.0
    );
    // Only command benchmarks are learned from (see `run_to_run`): they pair.
    let seconds = measured_secs(pair) * 2.0;
    let rev = base_commit.map_or_else(|| "REV".to_owned(), short);
    Undecided {
        reason: "run-to-run".into(),
        why,
        remedy: format!(
            "measure both in one run, interleaved: `cargo perf bench --baseline-rev {rev}` ({}), which `[bench] interleave = \"auto\"` does by itself for a baseline measured on a clean commit; or count instructions with `--instructions`",
            duration(seconds)
        ),
        estimated_secs: Some(seconds),
    }
}

/// How much of a run the benchmark spends on a CPU: 1 on the CPU clock and
/// for harness results (which time CPU work), else the highest CPU time over
/// wall time of any run of either side. (A command that mostly sleeps barely
/// feels a slower CPU; a CPU-bound one shows a low share exactly when it
/// waited for a CPU, so its least disturbed run is the one to go by.)
fn cpu_share(pair: &Pair<'_>) -> f64 {
    if pair.clock == clock::Clock::Cpu {
        return 1.0;
    }
    let shares = |record: &BenchRecord| -> Option<f64> {
        let cpu = clock::samples(record, clock::Clock::Cpu);
        (record.user_ns.len() == record.samples.len() && !record.samples.is_empty()).then(|| {
            cpu.iter()
                .zip(&record.samples)
                .filter(|(_, wall)| **wall > 0.0)
                .map(|(cpu, wall)| cpu / wall)
                .fold(0.0, f64::max)
        })
    };
    match (shares(pair.current), shares(pair.base)) {
        (Some(a), Some(b)) => a.max(b).clamp(0.0, 1.0),
        _ => 1.0,
    }
}

/// The calibration loop's time now over its time beside the baseline, and
/// whether it moved beyond `tolerance` for certain: its whole 95% interval
/// (the loop's own timings vary too) lies outside `1 ± tolerance`.
fn calibration_ratio(pair: &Pair<'_>, tolerance: f64) -> Option<(f64, bool)> {
    let now = clock::calibration(pair.current, pair.clock);
    let then = clock::calibration(pair.base, pair.clock);
    let ratio = LogRatio::unpaired(then, now)?;
    let (low, high) = ratio.interval(0.05);
    Some((
        ratio.ratio(),
        low > 1.0 + tolerance || high < 1.0 - tolerance,
    ))
}

fn drift(pair: &Pair<'_>, ratio: f64, base_commit: Option<&str>) -> Undecided {
    let why = format!(
        "the machine's speed moved between the two runs: a fixed calibration loop took {:+.1}% as long as beside the baseline",
        (ratio - 1.0) * 100.0
    );
    let seconds = pair.current.sampling.map(|_| measured_secs(pair) * 2.0);
    let remedy = match (base_commit, pair.current.sampling) {
        (Some(commit), Some(_)) => format!(
            "measure both in one run, interleaved, so the machine's speed falls on both alike: `cargo perf bench --baseline-rev {}` ({}); or count instructions with `--instructions`",
            short(commit),
            duration(seconds.unwrap_or_default())
        ),
        _ => "re-run when the machine is quieter, or compare in one run, interleaved, with `--baseline-rev REV`".to_owned(),
    };
    Undecided {
        reason: "drift".into(),
        why,
        remedy,
        estimated_secs: seconds,
    }
}

/// Too wide an interval: from the baseline, from a harness that printed
/// only a summary, or from this run's own spread.
fn spread(
    comparison: &Comparison,
    pair: &Pair<'_>,
    settings: &BenchSettings,
    base_commit: Option<&str>,
) -> Undecided {
    let change = comparison.change;
    let reach = (change.high.ln() - change.low.ln()) / 2.0;
    let gap = ((1.0 + settings.threshold).ln() - change.ratio.ln().abs()).abs();
    let rev = base_commit.map_or_else(|| "REV".to_owned(), short);
    if let Some(pairs) = pair.harness_pairs() {
        return more_pairs(pairs, reach, gap, &rev);
    }
    if pair.current.samples.len() < 2 {
        return Undecided {
            reason: "summary-only".into(),
            why: "the harness printed one summary per benchmark, not its samples".into(),
            remedy: format!(
                "re-run to confirm, compare in one run with `--baseline-rev {rev}`, or move the benchmark to criterion, whose samples cargo perf reads"
            ),
            estimated_secs: None,
        };
    }
    if pair
        .current
        .sampling
        .is_some_and(|s| s.stop == Stop::BaselineLimits)
    {
        return Undecided {
            reason: "baseline-imprecise".into(),
            why: "the baseline's own runs are too spread for any number of runs here to decide"
                .into(),
            remedy: format!(
                "measure a new baseline with more runs (`--save-baseline NAME` with a longer `max-time`), or compare in one run, interleaved: `--baseline-rev {rev}`"
            ),
            estimated_secs: None,
        };
    }
    // Within a tenth of the threshold from its edge (+4.5% to +5.5% for 5%).
    if gap < settings.threshold * 0.1 || !gap.is_finite() {
        return Undecided {
            reason: "at-threshold".into(),
            why: format!(
                "the change is about the threshold itself ({:+.1}% against {:.1}%)",
                (change.ratio - 1.0) * 100.0,
                settings.threshold * 100.0
            ),
            remedy: "no affordable number of runs separates it from the threshold; count instructions with `--instructions` for an exact answer, or judge the number yourself".into(),
            estimated_secs: None,
        };
    }
    more_runs(pair, reach, gap)
}

/// Extra measuring beyond which a command's remedy also offers counting
/// instructions: few would wait that long before every push.
const PATIENCE_SECS: f64 = 120.0;

const INSTEAD_OF_WAITING: &str = "; or, much sooner, count instructions with `--instructions`, which barely vary from run to run";

/// The runs that would narrow the interval enough: its width falls with
/// the square root of the runs.
fn more_runs(pair: &Pair<'_>, reach: f64, gap: f64) -> Undecided {
    let runs = pair.current.samples.len() as f64;
    let extra = (runs * ((reach / gap).powi(2) - 1.0)).ceil().max(1.0);
    let per_run = median(&pair.current.samples) / 1e9 * if pair.paired { 2.0 } else { 1.0 };
    let seconds = extra * per_run;
    let mut remedy = if pair
        .current
        .sampling
        .is_some_and(|s| s.stop == Stop::FixedRuns)
    {
        format!(
            "about {extra:.0} more runs would decide it (about {seconds:.0} s more): raise this benchmark's `runs` to {:.0}, or drop it and let the runs adapt",
            runs + extra
        )
    } else if pair.current.sampling.is_some() {
        // Paired runs spend `max-time` on both sides; measured again, they had a share of it.
        let spent = measured_secs(pair) * if pair.paired { 2.0 } else { 1.0 };
        let share = match pair.source {
            Source::Remeasured => PAIRED_SHARE,
            _ => 1.0,
        };
        format!(
            "about {extra:.0} more runs would decide it (about {seconds:.0} s more): raise this benchmark's `max-time` to \"{:.0}s\"",
            ((spent + seconds) / share).ceil()
        )
    } else {
        format!(
            "about {:.1}x the samples would decide it: give the benchmark more measurement time in its harness",
            (reach / gap).powi(2)
        )
    };
    if pair.current.sampling.is_some() && seconds > PATIENCE_SECS {
        remedy.push_str(INSTEAD_OF_WAITING);
    }
    Undecided {
        reason: "spread".into(),
        why: format!(
            "its runs are too spread (±{:.1}%) for the threshold",
            reach * 100.0
        ),
        remedy,
        estimated_secs: Some(seconds),
    }
}

/// Pairs of harness runs that ran out of pairs or time: more of them
/// would narrow the interval with the square root of their number.
fn more_pairs(pairs: &PairsRecord, reach: f64, gap: f64, rev: &str) -> Undecided {
    let taken = pairs.current.len() as f64;
    let extra = (taken * ((reach / gap).powi(2) - 1.0)).ceil().max(1.0);
    let seconds = extra * pairs.seconds / taken.max(1.0);
    Undecided {
        reason: "spread".into(),
        why: format!(
            "{taken:.0} pairs of harness runs, the baseline tree's and the working tree's in turns, still differ too much from one another (±{:.1}%) for the threshold",
            reach * 100.0
        ),
        remedy: format!(
            "about {extra:.0} more pairs would decide it ({}): re-run `cargo perf bench --baseline-rev {rev}` when the machine is quieter, or steady the benchmark (a larger input per iteration)",
            duration(seconds)
        ),
        estimated_secs: Some(seconds),
    }
}

/// `seconds` in words: "about 12 s", or "under a second".
fn duration(seconds: f64) -> String {
    if seconds < 1.0 {
        "under a second".to_owned()
    } else {
        format!("about {seconds:.0} s")
    }
}

/// The timed runs' total wall time, in seconds.
fn measured_secs(pair: &Pair<'_>) -> f64 {
    pair.current.samples.iter().sum::<f64>() / 1e9
}

fn short(commit: &str) -> String {
    commit[..commit.len().min(8)].to_owned()
}
