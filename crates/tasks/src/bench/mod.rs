//! The `bench` task: times the command benchmarks declared in perf.toml
//! (or counts their instructions, or measures their heap), appends the run
//! to the history store, compares it with a baseline and fails on a
//! regression or a budget overrun.

mod budgets;
mod calibration;
mod callgrind;
mod clock;
pub(crate) mod codes;
mod commands;
mod confirm;
mod figures;
mod fingerprint;
mod harness;
mod heap;
mod history;
mod listing;
mod options;
mod remeasure;
mod report;
mod robust;
mod run_to_run;
mod sampling;
mod stats;
mod timing;
mod undecided;
mod valgrind;
mod verdict;

use std::path::PathBuf;

use cargo_perf_engine::{Finding, Project, Task, TaskContext, TaskError, Written};
use cargo_perf_policy::BenchMode;

use codes::BenchCode;
use history::{History, HistoryError, RunRecord};
use run_to_run::{Evidence, RunToRun};

/// Finding codes of the bench task added since the codes became typed (the
/// others are still spelled where they are raised).
pub use listing::history;
pub use options::BenchOptions;

use options::{Compare, Resolved};

pub struct BenchTask {
    options: BenchOptions,
}

impl BenchTask {
    pub fn new(options: BenchOptions) -> Self {
        Self { options }
    }
}

impl From<HistoryError> for TaskError {
    fn from(err: HistoryError) -> Self {
        let hint = err.hint();
        TaskError::new(err.to_string()).hint(hint)
    }
}

/// What `[bench] history` names the store in messages.
const HISTORY_WHAT: &str = "the bench history (`[bench] history`)";

/// Where the history store of `project` lives.
fn history_dir(project: &Project) -> PathBuf {
    match &project.policy.bench.history {
        Some(path) => project.workspace.root.join(path),
        None => project.workspace.state_dir().join("bench"),
    }
}

/// The history store, once its directory is known to be a place cargo perf
/// may write: inside the workspace or target dir, among no tracked files.
fn open_store(project: &Project) -> Result<History, TaskError> {
    let dir = history_dir(project);
    cargo_perf_engine::outputs::check_output_dir(
        project,
        &dir,
        cargo_perf_engine::outputs::Origin::Policy,
        HISTORY_WHAT,
    )?;
    let store = History::new(dir, project.workspace.root.clone());
    store.check()?;
    Ok(store)
}

/// What a run is compared with, and how to name it in the report.
type Baseline = (String, RunRecord);

/// Another revision measured in this run (`--baseline-rev`, or the stored
/// baseline's commit measured again), checked out until dropped.
struct BaselineTree {
    worktree: crate::worktree::Worktree,
    root: PathBuf,
    /// Where its cargo bench targets build, apart from the working tree's.
    target_dir: PathBuf,
}

impl BaselineTree {
    /// Checks `rev` out in a temporary worktree.
    fn check_out(cx: &TaskContext<'_>, rev: &str) -> Result<Self, TaskError> {
        let git = cx.project.git()?.ok_or_else(|| {
            TaskError::new("measuring another revision needs a git repository")
                .hint("run it inside a git work tree")
        })?;
        let worktree =
            crate::worktree::Worktree::add(git, &cx.workspace().target_dir, "bench-baseline", rev)?;
        let root = worktree.workspace_root(&cx.workspace().root);
        if worktree.adopt_lock_file(&cx.workspace().root) {
            cx.step(&format!(
                "`{rev}` has no Cargo.lock; it is built with the working tree's dependency versions"
            ));
        }
        // The baseline builds into a target dir of its own, so the two builds never share artifacts.
        let target_dir = crate::tool_output::root(&cx.workspace().target_dir)
            .join(crate::tool_output::BENCH_BASELINE_TARGET);
        share_build_dir(cx, &root, &target_dir);
        Ok(Self {
            worktree,
            root,
            target_dir,
        })
    }
}

/// In the default layout, points the worktree's `target` at the baseline's
/// own target dir, which outlives the worktree: a command benchmark's
/// `setup = "cargo build --release"` then reuses the dependencies built the
/// last time, and `./target/release/app` still names what it built.
fn share_build_dir(
    cx: &TaskContext<'_>,
    tree_root: &std::path::Path,
    target_dir: &std::path::Path,
) {
    let workspace = cx.workspace();
    let link = tree_root.join("target");
    if workspace.target_dir != workspace.root.join("target") || link.symlink_metadata().is_ok() {
        return;
    }
    if std::fs::create_dir_all(target_dir).is_ok() {
        let _ = std::os::unix::fs::symlink(target_dir, &link);
    }
}

/// Measures the working tree and revision `rev` in one run: command
/// benchmarks interleaved, cargo bench targets one tree after the other.
fn measure_against_rev(
    cx: &mut TaskContext<'_>,
    rev: &str,
    targets: &[harness::BenchTarget],
    commands: &[cargo_perf_policy::CommandBench],
    filter: Option<&str>,
    mode: BenchMode,
    fingerprint: &fingerprint::Fingerprint,
) -> Result<(Vec<history::BenchRecord>, Baseline, BaselineTree), TaskError> {
    let root = cx.workspace().root.clone();
    cx.step(&format!("checking out {rev} in a temporary worktree"));
    let tree = BaselineTree::check_out(cx, rev)?;
    let (tree_root, tree_target) = (tree.root.clone(), tree.target_dir.clone());
    let mut base = harness::run_all(cx, targets, filter, Some((&tree_root, &tree_target)))?;
    let mut current = harness::run_all(cx, targets, filter, None)?;
    pair_harness_runs(
        cx,
        targets,
        filter,
        (&tree_root, &tree_target),
        (&base, &mut current),
    )?;
    if mode != BenchMode::Time {
        base.extend(measure_once(cx, mode, commands, &tree_root)?);
        current.extend(measure_once(cx, mode, commands, &root)?);
    } else {
        for mut pair in commands::measure_interleaved(
            cx,
            commands,
            &[tree_root.clone(), root],
            None,
            BenchCode::CommandFailed,
        )? {
            current.extend(pair.pop());
            base.extend(pair.pop());
        }
    }
    let commit = tree.worktree.commit.clone();
    let mut base_fingerprint = fingerprint.clone();
    base_fingerprint.commit = Some(commit.clone());
    base_fingerprint.dirty = false;
    let label = format!(
        "revision `{rev}` ({}, measured interleaved)",
        &commit[..commit.len().min(8)]
    );
    let record = RunRecord {
        format: history::FORMAT.to_owned(),
        id: 0,
        fingerprint: base_fingerprint,
        benchmarks: base,
    };
    Ok((current, (label, record), tree))
}

/// `--baseline-rev`'s cargo bench results, judged by pairs of harness runs:
/// the two runs just taken are the first pair, `harness::pairs` takes the rest.
fn pair_harness_runs(
    cx: &mut TaskContext<'_>,
    targets: &[harness::BenchTarget],
    filter: Option<&str>,
    tree: harness::pairs::Tree<'_>,
    (base, current): (&[history::BenchRecord], &mut [history::BenchRecord]),
) -> Result<(), TaskError> {
    let criterion = |t: &harness::BenchTarget| remeasure::criterion_samples(current, &t.target);
    let mut pairs = harness::pairs::measure(
        cx,
        targets,
        filter,
        (tree, BenchCode::TargetFailed),
        criterion,
    )?;
    for record in current.iter_mut() {
        let (Some(mut again), Some(first)) = (
            pairs.remove(&record.id),
            base.iter()
                .find(|b| b.id == record.id && b.unit == record.unit),
        ) else {
            continue;
        };
        let estimator = cx.policy().bench.estimator;
        again
            .baseline
            .insert(0, verdict::location(&first.samples, estimator));
        again
            .current
            .insert(0, verdict::location(&record.samples, estimator));
        record.pairs = Some(again);
    }
    Ok(())
}

/// The deterministic modes: every command benchmark once under valgrind.
fn measure_once(
    cx: &mut TaskContext<'_>,
    mode: BenchMode,
    commands: &[cargo_perf_policy::CommandBench],
    root: &std::path::Path,
) -> Result<Vec<history::BenchRecord>, TaskError> {
    match mode {
        BenchMode::Memory => heap::measure_all(cx, commands, root),
        _ => callgrind::measure_all(cx, commands, root),
    }
}

/// The mode a stored record was measured in.
fn mode_of(record: &history::BenchRecord) -> BenchMode {
    match record.unit.as_str() {
        "instructions" => BenchMode::Instructions,
        heap::UNIT => BenchMode::Memory,
        _ => BenchMode::Time,
    }
}

fn nothing_to_run(cx: &TaskContext<'_>, filter: Option<&str>, cargo_only: bool) -> TaskError {
    let declared: Vec<&str> = cx
        .policy()
        .bench
        .commands
        .iter()
        .map(|b| b.name.value.as_str())
        .collect();
    match filter {
        Some(filter) if !declared.is_empty() && !cargo_only => {
            TaskError::new(format!("no benchmark matches `{filter}`"))
                .hint(format!("declared benchmarks: {}", declared.join(", ")))
        }
        _ if cargo_only => TaskError::new("the selected packages have no bench targets")
            .hint("add a `benches/NAME.rs` target, or drop `-p`/`--bench`"),
        _ => TaskError::new("no benchmarks: no bench targets and no `[bench.commands]`").hint(
            "add `benches/NAME.rs`, or declare one in perf.toml:\n  [bench.commands.startup]\n  run = \"./target/release/app --version\"",
        ),
    }
}

impl Task for BenchTask {
    /// Never beside another cargo task: it runs cargo.
    fn exclusive(&self) -> Option<&str> {
        Some(cargo_perf_engine::task::CARGO)
    }

    fn name(&self) -> &str {
        "bench"
    }

    fn description(&self) -> &str {
        "runs the benchmarks, keeps their history and fails on a regression"
    }

    fn unaffected(
        &self,
        scope: &cargo_perf_engine::ChangeScope,
        project: &Project,
    ) -> Option<String> {
        if !project.policy.bench.commands.is_empty() {
            return None; // a command benchmark may measure anything
        }
        let ws = &project.workspace;
        let any = ws.members.iter().any(|m| {
            m.targets
                .iter()
                .any(|t| t.kind == cargo_perf_engine::workspace::TargetKind::Bench)
                && harness::affected(scope, ws, &m.name)
        });
        (!any).then(|| "no changed package has benchmarks".to_owned())
    }

    fn writes(&self, project: &Project) -> Vec<Written> {
        vec![Written::new(history_dir(project), HISTORY_WHAT)]
    }

    fn run(&self, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
        let options = self.options.resolve(&cx.policy().bench)?;
        // Where the history goes is checked first: a bad one costs no measuring.
        let store = open_store(cx.project)?;
        let selection = Selection::new(cx, &options)?;
        let fingerprint = fingerprint::Fingerprint::collect(cx.project);
        // Read the baseline first: a bad name fails before minutes of measuring.
        let (stored, run_to_run) = stored_baseline(cx, &options, &store, &fingerprint)?;
        let Measurement {
            mut measured,
            mut baseline,
            tree,
            remeasure_at,
        } = measure(cx, &options, &selection, stored, &fingerprint)?;
        if measured.is_empty() {
            cx.summary("no benchmark could be measured; the history was not changed");
            return Ok(());
        }
        let comparisons = match &mut baseline {
            Some((label, base)) => {
                let again = remeasure_at
                    .as_deref()
                    .map(|commit| (commit, label.as_str()));
                let evidence = Evidence {
                    run_to_run: &run_to_run,
                    same_code: run_to_run::same_code(&base.fingerprint, &fingerprint),
                };
                judge(
                    cx,
                    &selection,
                    (tree.as_ref(), again, evidence),
                    &mut measured,
                    base,
                )?
            }
            None => Vec::new(),
        };
        drop(tree);
        if let Some((label, base)) = &baseline {
            warn_if_fingerprint_differs(cx, &fingerprint, label, base);
        }
        let record = RunRecord {
            format: history::FORMAT.to_owned(),
            id: 0,
            fingerprint,
            benchmarks: measured,
        };
        let record = store_run(cx, &options, &store, record)?;
        report::report(
            cx,
            &record,
            &comparisons,
            baseline.as_ref().map(|(label, _)| label.as_str()),
            options.save_baseline.as_deref(),
        );
        budgets::check_unmatched(cx, &record.benchmarks, options.filter.as_deref());
        Ok(())
    }
}

/// The benchmarks a run measures, and how.
struct Selection {
    /// Time, count instructions under callgrind, or measure the heap under DHAT.
    mode: BenchMode,
    targets: Vec<harness::BenchTarget>,
    commands: Vec<cargo_perf_policy::CommandBench>,
    /// `--filter`, which the harnesses get too.
    filter: Option<String>,
}

impl Selection {
    fn new(cx: &TaskContext<'_>, options: &Resolved) -> Result<Self, TaskError> {
        let filter = options.filter.as_deref();
        // The deterministic modes run command benchmarks only.
        let targets = if options.mode != BenchMode::Time {
            Vec::new()
        } else {
            harness::select(cx, &options.benches)?
        };
        // `--bench` or `-p` given: only cargo bench targets run.
        let cargo_only = !options.benches.is_empty() || !cx.project.cargo.packages.is_empty();
        let commands = if cargo_only {
            Vec::new()
        } else {
            commands::select(&cx.policy().bench.commands, filter)
        };
        if targets.is_empty() && commands.is_empty() {
            return Err(nothing_to_run(cx, filter, cargo_only));
        }
        Ok(Self {
            mode: options.mode,
            targets,
            commands,
            filter: options.filter.clone(),
        })
    }
}

/// What a run measured, and what it is compared with.
struct Measurement {
    measured: Vec<history::BenchRecord>,
    baseline: Option<Baseline>,
    /// The other revision of `--baseline-rev`, kept until confirm is done.
    tree: Option<BaselineTree>,
    /// The stored baseline's commit, when it can be measured again.
    remeasure_at: Option<String>,
}

/// The baseline in the history: the named one, or the latest run of
/// this branch measured the same way. Corrupt runs are reported and skipped.
fn stored_baseline(
    cx: &mut TaskContext<'_>,
    options: &Resolved,
    store: &History,
    fingerprint: &fingerprint::Fingerprint,
) -> Result<(Option<Baseline>, RunToRun), TaskError> {
    let mode = options.mode;
    let lock = store.lock()?;
    let (runs, skipped) = store.runs::<RunRecord>(&lock)?;
    let run_to_run = run_to_run::learn(&runs, &cx.policy().bench);
    for s in &skipped {
        cx.finding(
            Finding::warning(
                BenchCode::HistoryCorrupt,
                format!("skipped {}: {}", s.path.display(), s.reason),
            )
            .file(s.path.clone())
            .help(
                "cargo-perf left it untouched; move it away if it is not a run of this workspace",
            ),
        );
    }
    let baseline = match &options.compare {
        Compare::Revision(_) => None,
        Compare::Named(name) => Some((format!("baseline `{name}`"), store.baseline(&lock, name)?)),
        Compare::Previous => runs
            .into_iter()
            .rev()
            .find(|r| {
                r.fingerprint.branch == fingerprint.branch
                    && r.benchmarks.iter().any(|b| mode_of(b) == mode)
            })
            .map(|r| (format!("run #{}", r.id), r)),
    };
    Ok((baseline, run_to_run))
}

/// Measures the working tree, and with `--baseline-rev` the other
/// revision too, which then is the baseline.
fn measure(
    cx: &mut TaskContext<'_>,
    options: &Resolved,
    selection: &Selection,
    stored: Option<Baseline>,
    fingerprint: &fingerprint::Fingerprint,
) -> Result<Measurement, TaskError> {
    let filter = options.filter.as_deref();
    if let Compare::Revision(rev) = &options.compare {
        let (measured, base, tree) = measure_against_rev(
            cx,
            rev,
            &selection.targets,
            &selection.commands,
            filter,
            selection.mode,
            fingerprint,
        )?;
        return Ok(Measurement {
            measured,
            baseline: Some(base),
            tree: Some(tree),
            remeasure_at: None,
        });
    }
    let remeasure_at = remeasure::commit(cx, options, stored.as_ref());
    let root = cx.workspace().root.clone();
    let mut measured = harness::run_all(cx, &selection.targets, filter, None)?;
    if selection.mode != BenchMode::Time {
        measured.extend(measure_once(
            cx,
            selection.mode,
            &selection.commands,
            &root,
        )?);
    } else {
        let commands = match remeasure_at {
            Some(_) => remeasure::first_pass(&selection.commands),
            None => selection.commands.clone(),
        };
        measured.extend(commands::measure_all(
            cx,
            &commands,
            stored.as_ref().map(|(_, run)| run),
        )?);
    }
    Ok(Measurement {
        measured,
        baseline: stored,
        tree: None,
        remeasure_at,
    })
}

/// Appends the run to the history, saves it as a named baseline when asked,
/// and prunes the history to `[bench] keep-runs`.
fn store_run(
    cx: &mut TaskContext<'_>,
    options: &Resolved,
    store: &History,
    record: RunRecord,
) -> Result<RunRecord, TaskError> {
    let lock = store.lock()?;
    let record = store.append(&lock, record)?;
    if let Some(name) = &options.save_baseline {
        store.save_baseline(&lock, name, &record)?;
    }
    if let Some(keep) = cx.policy().bench.keep_runs {
        let removed = store.prune(&lock, keep as usize)?;
        if let (Some(first), Some(last)) = (removed.first(), removed.last()) {
            cx.finding(Finding::info(
                BenchCode::HistoryPruned,
                format!(
                    "removed {} old run(s) from the history (#{first} to #{last}), as `[bench] keep-runs = {keep}` says; runs saved as baselines are kept",
                    removed.len()
                ),
            ));
        }
    }
    Ok(record)
}

/// Compares with the baseline; measures the stored baseline's commit
/// again when it can and the comparison did not decide (`again`: that
/// commit and the baseline's label); and with `[bench] confirm`,
/// re-measures the suspects.
fn judge(
    cx: &mut TaskContext<'_>,
    selection: &Selection,
    (tree, again, evidence): (Option<&BaselineTree>, Option<(&str, &str)>, Evidence<'_>),
    measured: &mut [history::BenchRecord],
    base: &mut RunRecord,
) -> Result<Vec<verdict::Comparison>, TaskError> {
    let baselines = match tree {
        Some(_) => report::Baselines::BaselineRev,
        None => report::Baselines::Stored,
    };
    let mut comparisons = report::compare(cx, measured, base, baselines, evidence.run_to_run);
    let remeasured = match again {
        Some(commit) => remeasure::remeasure(
            cx,
            commit,
            &remeasure::Suspects {
                commands: &selection.commands,
                targets: &selection.targets,
                filter: selection.filter.as_deref(),
            },
            (measured, base),
            (&comparisons, evidence),
        )?,
        None => None,
    };
    let baselines = match &remeasured {
        Some(again) => report::Baselines::Remeasured(&again.ids),
        None => baselines,
    };
    if remeasured.is_some() {
        comparisons = report::compare(cx, measured, base, baselines, evidence.run_to_run);
    }
    // Heap counts are exact: measuring them again would give the same.
    if !cx.policy().bench.confirm || selection.mode == BenchMode::Memory {
        return Ok(comparisons);
    }
    confirm::confirm(
        cx,
        &confirm::Measured {
            commands: &selection.commands,
            targets: &selection.targets,
            tree: tree.or(remeasured.as_ref().map(|again| &again.tree)),
            baselines,
            run_to_run: evidence.run_to_run,
            instructions: selection.mode == BenchMode::Instructions,
        },
        measured,
        base,
        comparisons,
    )
}

fn warn_if_fingerprint_differs(
    cx: &mut TaskContext<'_>,
    fingerprint: &fingerprint::Fingerprint,
    label: &str,
    base: &RunRecord,
) {
    let differ = fingerprint.differences(&base.fingerprint);
    if differ.is_empty() {
        return;
    }
    cx.finding(
        Finding::warning(
            BenchCode::FingerprintDiffers,
            format!(
                "comparing with {label}, measured with a different {}",
                differ.join(", ")
            ),
        )
        .help("differences may come from the machine or toolchain rather than the code; re-measure the baseline here to be sure"),
    );
}
