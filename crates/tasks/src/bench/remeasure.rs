//! `[bench] interleave = "auto"`: when a benchmark compared with a stored
//! baseline comes out anything but `unchanged` (or `unchanged` on changed
//! code, before the history has shown the benchmark steady between runs),
//! and that baseline is a run of a clean commit git still has, the commit
//! is checked out in a temporary worktree and measured again beside the
//! working tree, and the pairs decide: a command benchmark's runs
//! interleaved, a cargo bench target's whole harness runs in turns
//! (`harness::pairs`).
//!
//! Two runs of cargo perf minutes apart differ by a few percent on a shared
//! machine (its speed, the page cache, where memory lands), more than a
//! 5% threshold can absorb; two runs in a pair share all of that. So the
//! pairs decide where the stored runs cannot, and a slower machine's false
//! alarm is not confirmed. A benchmark's `max-time` is shared when the pairs
//! may follow: a third for the comparison with the stored runs, the rest
//! for the pairs.

use cargo_perf_engine::model::Verdict;
use cargo_perf_engine::{Finding, TaskContext, TaskError};
use cargo_perf_policy::{BenchInterleave, BenchMode, CommandBench, Runs};

use super::codes::BenchCode;
use super::commands;
use super::harness::{self, BenchTarget};
use super::history::{BenchRecord, RunRecord};
use super::options::{Compare, Resolved};
use super::run_to_run::Evidence;
use super::verdict::Comparison;
use super::{Baseline, BaselineTree};

/// The share of a benchmark's `max-time` its comparison with the stored
/// runs gets when the pairs may follow; the pairs get the rest.
const STORED_SHARE: f64 = 1.0 / 3.0;

/// The share of `max-time` the pairs get.
pub(crate) const PAIRED_SHARE: f64 = 1.0 - STORED_SHARE;

/// The commit the stored baseline can be measured again at: it was a
/// clean commit, git still has it, and the policy allows it.
pub(super) fn commit(
    cx: &TaskContext<'_>,
    options: &Resolved,
    stored: Option<&Baseline>,
) -> Option<String> {
    let allowed = cx.policy().bench.interleave == BenchInterleave::Auto
        && options.mode == BenchMode::Time
        && !matches!(options.compare, Compare::Revision(_));
    let fingerprint = &stored?.1.fingerprint;
    if !allowed || fingerprint.dirty {
        return None;
    }
    let git = cx.project.git().ok().flatten()?;
    crate::worktree::resolve_commit(git, fingerprint.commit.as_deref()?)
}

/// `benches` as the comparison with the stored runs measures them when the pairs may follow.
pub(super) fn first_pass(benches: &[CommandBench]) -> Vec<CommandBench> {
    with_share(benches, STORED_SHARE)
}

/// `benches`, each with `share` of its `max-time` (a fixed number of runs stays as it is).
fn with_share(benches: &[CommandBench], share: f64) -> Vec<CommandBench> {
    benches
        .iter()
        .cloned()
        .map(|mut bench| {
            if let Runs::Adaptive { max_time, .. } = &mut bench.runs {
                *max_time = max_time.mul_f64(share);
            }
            bench
        })
        .collect()
}

/// The baseline's tree, kept until confirm is done, and the command
/// benchmarks measured in it.
pub(super) struct Remeasured {
    pub(super) tree: BaselineTree,
    pub(super) ids: Vec<String>,
}

/// What is measured again, and with what.
pub(super) struct Suspects<'a> {
    pub(super) commands: &'a [CommandBench],
    pub(super) targets: &'a [BenchTarget],
    /// The run's `--filter`, which the harnesses get again.
    pub(super) filter: Option<&'a str>,
}

/// Measures `commit` again beside the working tree, in pairs, for every
/// benchmark `comparisons` did not call `unchanged` (or may not trust):
/// command benchmarks interleaved, cargo bench targets in pairs of harness
/// runs. Puts the pairs in place in the records of both sides. `None` when
/// none needed it, or when the commit could not be checked out (a warning
/// says so, and the comparison with the stored runs stands).
pub(super) fn remeasure(
    cx: &mut TaskContext<'_>,
    (commit, label): (&str, &str),
    suspects: &Suspects<'_>,
    (measured, base): (&mut [BenchRecord], &mut RunRecord),
    (comparisons, evidence): (&[Comparison], Evidence<'_>),
) -> Result<Option<Remeasured>, TaskError> {
    let tolerance = cx.policy().bench.threshold / 2.0;
    let undecided: Vec<&Comparison> = comparisons
        .iter()
        .filter(|c| c.figure.is_none())
        .filter(|c| c.verdict != Verdict::Unchanged || !trusted(c, evidence, tolerance))
        .collect();
    let commands: Vec<CommandBench> = suspects
        .commands
        .iter()
        .filter(|b| undecided.iter().any(|c| c.id == b.name.value))
        .cloned()
        .collect();
    let targets: Vec<BenchTarget> = suspects
        .targets
        .iter()
        .filter(|t| {
            undecided
                .iter()
                .any(|c| target_of(&c.id) == Some(&t.target))
        })
        .cloned()
        .collect();
    if commands.is_empty() && targets.is_empty() {
        return Ok(None);
    }
    let short = &commit[..commit.len().min(8)];
    cx.step(&format!(
        "measuring {short} (the commit of {label}) again, interleaved"
    ));
    let tree = match BaselineTree::check_out(cx, commit) {
        Ok(tree) => tree,
        Err(err) => {
            cx.finding(
                Finding::warning(
                    BenchCode::RemeasureFailed,
                    format!("could not measure {short}, the commit of {label}, again: {err}"),
                )
                .help("the verdicts against its stored runs stand; `[bench] interleave = \"never\"` stops trying"),
            );
            return Ok(None);
        }
    };
    let mut ids = commands_again(cx, &tree, &commands, measured, base)?;
    let criterion = |t: &BenchTarget| criterion_samples(measured, &t.target);
    let pairs = harness::pairs::measure(
        cx,
        &targets,
        suspects.filter,
        ((&tree.root, &tree.target_dir), BenchCode::RemeasureFailed),
        criterion,
    )?;
    let (pairs, single): (Vec<_>, Vec<_>) =
        pairs.into_iter().partition(|(_, p)| p.current.len() >= 2);
    if !single.is_empty() {
        let names: Vec<String> = single.iter().map(|(id, _)| format!("`{id}`")).collect();
        cx.finding(
            Finding::warning(
                BenchCode::RemeasureFailed,
                format!(
                    "{} ran only once in each tree before the pairs' time limit: one pair cannot be judged",
                    names.join(", ")
                ),
            )
            .help("the verdicts against the stored runs stand; `--baseline-rev` with a filter measures fewer benchmarks at a time"),
        );
    }
    for (id, pairs) in pairs {
        if let Some(record) = measured.iter_mut().find(|r| r.id == id && r.unit == "ns") {
            record.pairs = Some(pairs);
            ids.push(id);
        }
    }
    if !ids.is_empty() {
        cx.finding(explained(&undecided, &ids, short, label));
    }
    Ok(Some(Remeasured { tree, ids }))
}

/// The command benchmarks measured again in `tree`, interleaved with the
/// working tree; their new records replace the old on both sides.
fn commands_again(
    cx: &mut TaskContext<'_>,
    tree: &BaselineTree,
    commands: &[CommandBench],
    measured: &mut [BenchRecord],
    base: &mut RunRecord,
) -> Result<Vec<String>, TaskError> {
    let roots = [tree.root.clone(), cx.workspace().root.clone()];
    let mut ids = Vec::new();
    for mut pair in commands::measure_interleaved(
        cx,
        &with_share(commands, PAIRED_SHARE),
        &roots,
        None,
        BenchCode::RemeasureFailed,
    )? {
        if let (Some(current), Some(old)) = (pair.pop(), pair.pop()) {
            ids.push(current.id.clone());
            put(measured, current);
            put(&mut base.benchmarks, old);
        }
    }
    Ok(ids)
}

/// The bench target a cargo bench result's id names (`target/benchmark`).
fn target_of(id: &str) -> Option<&str> {
    id.split_once('/').map(|(target, _)| target)
}

/// Whether `target` reported through criterion in this run: its results
/// carry every sample, where libtest and divan print one value.
pub(super) fn criterion_samples(records: &[BenchRecord], target: &str) -> bool {
    records
        .iter()
        .any(|r| target_of(&r.id) == Some(target) && r.samples.len() > 1)
}

/// An `unchanged` verdict from stored runs stands as it is when the code
/// is the baseline's own, or when the history shows the benchmark steady
/// between runs; otherwise a shift of the machine could have hidden a change.
fn trusted(comparison: &Comparison, evidence: Evidence<'_>, tolerance: f64) -> bool {
    evidence.same_code || evidence.run_to_run.steady(&comparison.id, tolerance)
}

/// `fresh` in place of the record of the same benchmark and unit.
fn put(records: &mut [BenchRecord], fresh: BenchRecord) {
    if let Some(slot) = records
        .iter_mut()
        .find(|r| r.id == fresh.id && r.unit == fresh.unit)
    {
        *slot = fresh;
    }
}

/// Which benchmarks were measured again, and what their stored runs had said.
fn explained(undecided: &[&Comparison], ids: &[String], short: &str, label: &str) -> Finding {
    let list: Vec<String> = undecided
        .iter()
        .filter(|c| ids.contains(&c.id))
        .map(|c| {
            let verdict = match c.verdict {
                Verdict::Regressed => "regressed",
                Verdict::Improved => "improved",
                Verdict::Unchanged => "unchanged (not yet seen steady between runs)",
                _ => "inconclusive",
            };
            format!(
                "`{}` {verdict} at {:+.1}%",
                c.id,
                (c.change.ratio - 1.0) * 100.0
            )
        })
        .collect();
    Finding::info(
        BenchCode::Remeasured,
        format!(
            "measured {short}, the commit of {label}, again, interleaved with the working tree, to check what its stored runs said: {}",
            list.join(", ")
        ),
    )
    .help("the verdicts below come from the pairs: runs minutes apart differ by a few percent on a busy machine, runs in pairs do not")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use cargo_perf_policy::{CommandBench, CommandLine, Located, Runs};

    use super::{PAIRED_SHARE, first_pass, with_share};

    fn bench(runs: Runs) -> CommandBench {
        CommandBench {
            name: Located::builtin("work".to_owned()),
            run: CommandLine::Shell("true".to_owned()),
            setup: None,
            warmup: 1,
            runs,
            env: Vec::new(),
        }
    }

    #[test]
    fn the_two_phases_share_max_time_and_a_fixed_count_stays() {
        let adaptive = Runs::Adaptive {
            min: 10,
            max: 1000,
            max_time: Duration::from_secs(9),
        };
        let limit = |b: &[CommandBench]| match b[0].runs {
            Runs::Adaptive { max_time, .. } => max_time,
            Runs::Fixed(_) => Duration::ZERO,
        };
        let stored = limit(&first_pass(&[bench(adaptive)]));
        let paired = limit(&with_share(&[bench(adaptive)], PAIRED_SHARE));
        assert_eq!(stored, Duration::from_secs(3));
        assert_eq!(stored + paired, Duration::from_secs(9));
        let fixed = first_pass(&[bench(Runs::Fixed(6))]);
        assert_eq!(fixed[0].runs, Runs::Fixed(6));
    }
}
