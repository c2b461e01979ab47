//! The `bench` task: times the command benchmarks declared in perf.toml,
//! appends the run to the history store, compares it with a baseline and
//! fails on a regression or a budget overrun.

mod budgets;
mod callgrind;
mod commands;
mod confirm;
mod fingerprint;
mod harness;
mod history;
mod listing;
mod report;
mod sampling;
mod stats;
mod timing;
mod verdict;

use std::path::PathBuf;

use cargo_perf_engine::{Finding, Project, Task, TaskContext, TaskError};

use history::{History, HistoryError, RunRecord};

pub use listing::history;

/// How `cargo perf bench` was asked to run.
#[derive(Debug, Clone, Default)]
pub struct BenchOptions {
    /// Only benchmarks whose name contains this.
    pub filter: Option<String>,
    /// Store this run as a named baseline.
    pub save_baseline: Option<String>,
    /// Compare with this named baseline instead of the previous run.
    pub baseline: Option<String>,
    /// Only these cargo bench targets (`--bench`); command benchmarks are skipped.
    pub benches: Vec<String>,
    /// Only bench targets of these packages (`-p`); command benchmarks are skipped.
    pub packages: Vec<String>,
    /// Measure this git revision in a temporary worktree, interleaved with
    /// the working tree, and compare with it.
    pub baseline_rev: Option<String>,
    /// Count instructions under callgrind instead of timing (command benchmarks only).
    pub instructions: bool,
}

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

/// Where the history store of `project` lives.
pub(crate) fn history_dir(project: &Project) -> PathBuf {
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
        "the bench history (`[bench] history`)",
    )?;
    Ok(History::new(dir, project.workspace.root.clone()))
}

/// What a run is compared with, and how to name it in the report.
type Baseline = (String, RunRecord);

/// The other revision `--baseline-rev` measures, checked out until dropped.
struct BaselineTree {
    _worktree: crate::worktree::Worktree,
    root: PathBuf,
    /// Where its cargo bench targets build, apart from the working tree's.
    target_dir: PathBuf,
}

/// Measures the working tree and revision `rev` in one run: command
/// benchmarks interleaved, cargo bench targets one tree after the other.
fn measure_against_rev(
    cx: &mut TaskContext<'_>,
    rev: &str,
    targets: &[harness::BenchTarget],
    commands: &[cargo_perf_policy::CommandBench],
    filter: Option<&str>,
    instructions: bool,
    fingerprint: &fingerprint::Fingerprint,
) -> Result<(Vec<history::BenchRecord>, Baseline, BaselineTree), TaskError> {
    let git = cx.project.git()?.ok_or_else(|| {
        TaskError::new("--baseline-rev needs a git repository")
            .hint("run it inside a git work tree")
    })?;
    let root = cx.workspace().root.clone();
    cx.step(&format!("checking out {rev} in a temporary worktree"));
    let tree =
        crate::worktree::Worktree::add(git, &cx.workspace().target_dir, "bench-baseline", rev)?;
    let tree_root = tree.workspace_root(&root);
    // The baseline builds into a target dir of its own, so the two builds never share artifacts.
    let tree_target = cx
        .workspace()
        .target_dir
        .join("cargo-perf")
        .join("bench-baseline-target");
    let mut base = harness::run_all(cx, targets, filter, Some((&tree_root, &tree_target)))?;
    let mut current = harness::run_all(cx, targets, filter, None)?;
    if instructions {
        base.extend(callgrind::measure_all(cx, commands, &tree_root)?);
        current.extend(callgrind::measure_all(cx, commands, &root)?);
    } else {
        for mut pair in commands::measure_interleaved(cx, commands, &[tree_root.clone(), root])? {
            current.extend(pair.pop());
            base.extend(pair.pop());
        }
    }
    let commit = tree.commit.clone();
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
    let tree = BaselineTree {
        _worktree: tree,
        root: tree_root,
        target_dir: tree_target,
    };
    Ok((current, (label, record), tree))
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

    fn run(&self, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
        check_baseline_names(&self.options)?;
        let selection = Selection::new(cx, &self.options)?;
        let store = open_store(cx.project)?;
        let fingerprint = fingerprint::Fingerprint::collect(cx.project);
        // Read the baseline first: a bad name fails before minutes of measuring.
        let stored = self.stored_baseline(cx, &store, &fingerprint, selection.instructions)?;
        let Measurement {
            mut measured,
            mut baseline,
            tree,
        } = self.measure(cx, &selection, stored, &fingerprint)?;
        if measured.is_empty() {
            cx.summary("no benchmark could be measured; the history was not changed");
            return Ok(());
        }
        let comparisons = match &mut baseline {
            Some((_, base)) => judge(cx, &selection, tree.as_ref(), &mut measured, base)?,
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
        let record = self.store(&store, record)?;
        report::report(
            cx,
            &record,
            &comparisons,
            baseline.as_ref().map(|(label, _)| label.as_str()),
            self.options.save_baseline.as_deref(),
        );
        budgets::check_unmatched(cx, &record.benchmarks, selection.filter.as_deref());
        Ok(())
    }
}

fn check_baseline_names(options: &BenchOptions) -> Result<(), TaskError> {
    for name in [&options.save_baseline, &options.baseline]
        .into_iter()
        .flatten()
    {
        if !history::valid_baseline_name(name) {
            return Err(TaskError::new(format!("invalid baseline name `{name}`"))
                .hint("use letters, digits, `-`, `_` and `.` (e.g. `main`)"));
        }
    }
    Ok(())
}

/// The benchmarks a run measures, and how.
struct Selection {
    filter: Option<String>,
    /// Count instructions under callgrind instead of timing.
    instructions: bool,
    targets: Vec<harness::BenchTarget>,
    commands: Vec<cargo_perf_policy::CommandBench>,
}

impl Selection {
    fn new(cx: &TaskContext<'_>, options: &BenchOptions) -> Result<Self, TaskError> {
        let settings = &cx.policy().bench;
        let filter = options.filter.as_deref();
        let instructions =
            options.instructions || settings.mode == cargo_perf_policy::BenchMode::Instructions;
        let targets = if instructions {
            Vec::new()
        } else {
            harness::select(cx, &options.benches, &options.packages)?
        };
        let cargo_only = !options.benches.is_empty() || !options.packages.is_empty();
        let commands = if cargo_only {
            Vec::new()
        } else {
            commands::select(&settings.commands, filter)
        };
        if targets.is_empty() && commands.is_empty() {
            return Err(nothing_to_run(cx, filter, cargo_only));
        }
        Ok(Self {
            filter: options.filter.clone(),
            instructions,
            targets,
            commands,
        })
    }
}

/// What a run measured, and what it is compared with.
struct Measurement {
    measured: Vec<history::BenchRecord>,
    baseline: Option<Baseline>,
    /// The other revision of `--baseline-rev`, kept until confirm is done.
    tree: Option<BaselineTree>,
}

impl BenchTask {
    /// The baseline in the history: the named one, or the latest run of
    /// this branch measured the same way. Corrupt runs are reported and skipped.
    fn stored_baseline(
        &self,
        cx: &mut TaskContext<'_>,
        store: &History,
        fingerprint: &fingerprint::Fingerprint,
        instructions: bool,
    ) -> Result<Option<Baseline>, TaskError> {
        let lock = store.lock()?;
        let (runs, skipped) = store.runs(&lock)?;
        for s in &skipped {
            cx.finding(
                Finding::warning(
                    "bench-history-corrupt",
                    format!("skipped {}: {}", s.path.display(), s.reason),
                )
                .file(s.path.clone())
                .help("cargo-perf left it untouched; move it away if it is not a run of this workspace"),
            );
        }
        Ok(match &self.options.baseline {
            _ if self.options.baseline_rev.is_some() => None,
            Some(name) => Some((format!("baseline `{name}`"), store.baseline(&lock, name)?)),
            None => runs
                .into_iter()
                .rev()
                .find(|r| {
                    r.fingerprint.branch == fingerprint.branch
                        && r.benchmarks
                            .iter()
                            .any(|b| (b.unit == "instructions") == instructions)
                })
                .map(|r| (format!("run #{}", r.id), r)),
        })
    }

    /// Measures the working tree, and with `--baseline-rev` the other
    /// revision too, which then is the baseline.
    fn measure(
        &self,
        cx: &mut TaskContext<'_>,
        selection: &Selection,
        stored: Option<Baseline>,
        fingerprint: &fingerprint::Fingerprint,
    ) -> Result<Measurement, TaskError> {
        let filter = selection.filter.as_deref();
        if let Some(rev) = &self.options.baseline_rev {
            let (measured, base, tree) = measure_against_rev(
                cx,
                rev,
                &selection.targets,
                &selection.commands,
                filter,
                selection.instructions,
                fingerprint,
            )?;
            return Ok(Measurement {
                measured,
                baseline: Some(base),
                tree: Some(tree),
            });
        }
        let root = cx.workspace().root.clone();
        let mut measured = harness::run_all(cx, &selection.targets, filter, None)?;
        if selection.instructions {
            measured.extend(callgrind::measure_all(cx, &selection.commands, &root)?);
        } else {
            measured.extend(commands::measure_all(cx, &selection.commands)?);
        }
        Ok(Measurement {
            measured,
            baseline: stored,
            tree: None,
        })
    }

    /// Appends the run to the history, and saves it as a named baseline when asked.
    fn store(&self, store: &History, record: RunRecord) -> Result<RunRecord, TaskError> {
        let lock = store.lock()?;
        let record = store.append(&lock, record)?;
        if let Some(name) = &self.options.save_baseline {
            store.save_baseline(&lock, name, &record)?;
        }
        Ok(record)
    }
}

/// Compares with the baseline and, with `[bench] confirm`, re-measures the suspects.
fn judge(
    cx: &mut TaskContext<'_>,
    selection: &Selection,
    tree: Option<&BaselineTree>,
    measured: &mut [history::BenchRecord],
    base: &mut RunRecord,
) -> Result<Vec<verdict::Comparison>, TaskError> {
    let comparisons = report::compare(cx, measured, base, tree.is_some());
    if !cx.policy().bench.confirm {
        return Ok(comparisons);
    }
    confirm::confirm(
        cx,
        &confirm::Measured {
            commands: &selection.commands,
            targets: &selection.targets,
            tree,
            instructions: selection.instructions,
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
            "bench-fingerprint-differs",
            format!(
                "comparing with {label}, measured with a different {}",
                differ.join(", ")
            ),
        )
        .help("differences may come from the machine or toolchain rather than the code; re-measure the baseline here to be sure"),
    );
}
