//! `[bench] confirm = true`: before a regression fails the task, measure
//! only the suspects once more (both trees again with `--baseline-rev`) and
//! judge them again, so one disturbed measurement does not block a push.

use cargo_perf_engine::model::Verdict;
use cargo_perf_engine::{TaskContext, TaskError};
use cargo_perf_policy::CommandBench;

use super::codes::BenchCode;
use super::harness::{self, BenchTarget};
use super::history::{BenchRecord, RunRecord};
use super::report::Baselines;
use super::run_to_run::RunToRun;
use super::verdict::Comparison;
use super::{BaselineTree, callgrind, commands, report};

/// What this run measured, and how.
pub(super) struct Measured<'a> {
    pub(super) commands: &'a [CommandBench],
    pub(super) targets: &'a [BenchTarget],
    /// The other tree measured in this run, if any.
    pub(super) tree: Option<&'a BaselineTree>,
    /// Where the baseline's records come from.
    pub(super) baselines: Baselines<'a>,
    /// How far runs of the same code have moved, for stored baselines.
    pub(super) run_to_run: &'a RunToRun,
    pub(super) instructions: bool,
}

/// Re-measures every benchmark `comparisons` call regressed, replaces its
/// samples in `measured` (and in `base` when the baseline is another tree
/// measured in this run), and judges everything again. A cargo bench
/// benchmark is re-run through its target with its name as the filter; if
/// the harness does not report it again, its first measurement stands.
pub(super) fn confirm(
    cx: &mut TaskContext<'_>,
    run: &Measured<'_>,
    measured: &mut [BenchRecord],
    base: &mut RunRecord,
    comparisons: Vec<Comparison>,
) -> Result<Vec<Comparison>, TaskError> {
    let suspects: Vec<&str> = comparisons
        .iter()
        .filter(|c| c.verdict == Verdict::Regressed)
        .map(|c| c.id.as_str())
        .collect();
    if suspects.is_empty() {
        return Ok(comparisons);
    }
    cx.step(&format!(
        "confirming {} suspect benchmark(s)",
        suspects.len()
    ));
    let commands: Vec<CommandBench> = run
        .commands
        .iter()
        .filter(|b| suspects.contains(&b.name.value.as_str()))
        .cloned()
        .collect();
    // Results judged by pairs of harness runs were measured again already.
    let harnessed: Vec<(&BenchTarget, &str)> = suspects
        .iter()
        .filter(|id| commands.iter().all(|b| b.name.value != **id))
        .filter(|id| !measured.iter().any(|r| r.id == **id && r.pairs.is_some()))
        .filter_map(|id| {
            let (target, name) = id.split_once('/')?;
            let target = run.targets.iter().find(|t| t.target == target)?;
            Some((target, name))
        })
        .collect();

    for (target, name) in &harnessed {
        let targets = std::slice::from_ref(*target);
        // Only `--baseline-rev`'s tree ran the bench targets.
        if let (Some(tree), Baselines::BaselineRev) = (run.tree, run.baselines) {
            let tree_dirs = Some((tree.root.as_path(), tree.target_dir.as_path()));
            replace_all(
                &mut base.benchmarks,
                harness::run_all(cx, targets, Some(name), tree_dirs)?,
            );
        }
        replace_all(measured, harness::run_all(cx, targets, Some(name), None)?);
    }
    if !commands.is_empty() {
        let root = cx.workspace().root.clone();
        match run.tree {
            Some(tree) if run.instructions => {
                replace_all(
                    &mut base.benchmarks,
                    callgrind::measure_all(cx, &commands, &tree.root)?,
                );
                replace_all(measured, callgrind::measure_all(cx, &commands, &root)?);
            }
            Some(tree) => {
                let roots = [tree.root.clone(), root];
                for mut pair in commands::measure_interleaved(
                    cx,
                    &commands,
                    &roots,
                    None,
                    BenchCode::CommandFailed,
                )? {
                    if let (Some(current), Some(old)) = (pair.pop(), pair.pop()) {
                        replace_all(measured, vec![current]);
                        replace_all(&mut base.benchmarks, vec![old]);
                    }
                }
            }
            None if run.instructions => {
                replace_all(measured, callgrind::measure_all(cx, &commands, &root)?);
            }
            None => replace_all(
                measured,
                commands::measure_all(cx, &commands, Some(&*base))?,
            ),
        }
    }
    Ok(report::compare(
        cx,
        measured,
        base,
        run.baselines,
        run.run_to_run,
    ))
}

/// Puts each fresh record in place of the record of the same benchmark;
/// fresh records of benchmarks not in `records` (a filter matched more) are dropped.
fn replace_all(records: &mut [BenchRecord], fresh: Vec<BenchRecord>) {
    for again in fresh {
        if let Some(slot) = records.iter_mut().find(|r| r.id == again.id) {
            *slot = again;
        }
    }
}
