//! Runs a [`Plan`]: up to `jobs` tasks at once, each after its dependencies
//! passed, and never two tasks of one exclusive group at once (the tasks
//! that run cargo, which would only wait on each other for its build lock).
//! By default the run keeps going past a failure, so one run shows every
//! problem; tasks that depend on a failed task are skipped. With
//! fail-fast, no new task starts after the first failure. Ctrl-C stops
//! everything and marks what did not finish as cancelled.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use crate::interrupt;
use crate::model::{EngineCode, Finding, Severity, TaskReport, TaskStatus};
use crate::plan::Plan;
use crate::progress::ProgressSink;
use crate::scope::ChangeScope;
use crate::task::{Project, Task, TaskContext, TaskError};

/// How a plan runs.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    pub jobs: usize,
    pub fail_fast: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            jobs: thread::available_parallelism().map_or(1, usize::from),
            fail_fast: false,
        }
    }
}

enum State {
    Waiting,
    Running,
    Done(TaskStatus),
}

/// Runs every task of `plan` and returns their reports, in plan order.
pub fn run_plan(
    plan: &Plan,
    project: &Project,
    options: RunOptions,
    progress: &dyn ProgressSink,
) -> Vec<TaskReport> {
    let mut board = Board::new(plan, options);
    thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<(usize, TaskReport)>();
        loop {
            for index in board.start_ready(project, progress) {
                let done_tx = done_tx.clone();
                let task = &plan.tasks[index].task;
                let registered = plan.registered.as_slice();
                let finished = board.finished_tasks();
                scope.spawn(move || {
                    let cx =
                        TaskContext::new(project, registered, progress, task.name(), task.kind())
                            .with_finished(finished);
                    let report = run_task(task.as_ref(), cx, progress);
                    let _ = done_tx.send((index, report));
                });
            }
            if board.running == 0 {
                break;
            }
            let Ok((index, report)) = done_rx.recv() else {
                break;
            };
            board.finished(index, report, options.fail_fast);
        }
    });
    board.into_reports()
}

/// Where every task of a plan stands while it runs.
struct Board<'p> {
    plan: &'p Plan,
    states: Vec<State>,
    reports: Vec<Option<TaskReport>>,
    /// Why no new task starts any more (fail-fast, Ctrl-C).
    stop_reason: Option<String>,
    /// Skipped because the change scope does not touch them: that counts as
    /// passing for the tasks that depend on them.
    unaffected: Vec<bool>,
    running: usize,
    jobs: usize,
    /// The exclusive groups of the tasks running now.
    held: Vec<String>,
}

impl<'p> Board<'p> {
    fn new(plan: &'p Plan, options: RunOptions) -> Self {
        let count = plan.tasks.len();
        Self {
            plan,
            states: (0..count).map(|_| State::Waiting).collect(),
            reports: vec![None; count],
            stop_reason: None,
            unaffected: vec![false; count],
            running: 0,
            jobs: options.jobs.max(1),
            held: Vec::new(),
        }
    }

    /// Settles the waiting tasks that will not run (a dependency failed, the
    /// change scope does not touch them) and marks as running, and returns,
    /// those that can start now.
    fn start_ready(&mut self, project: &Project, progress: &dyn ProgressSink) -> Vec<usize> {
        if interrupt::is_interrupted() {
            self.stop_reason
                .get_or_insert_with(|| "interrupted".to_owned());
            return Vec::new();
        }
        let mut start = Vec::new();
        for index in 0..self.plan.tasks.len() {
            if !matches!(self.states[index], State::Waiting) {
                continue;
            }
            if let Some((reason, unaffected)) = self.skip_reason(index, project) {
                let task = &self.plan.tasks[index].task;
                let report =
                    TaskReport::not_run(task.name(), task.kind(), TaskStatus::Skipped, reason);
                progress.finished(&report);
                self.states[index] = State::Done(TaskStatus::Skipped);
                self.unaffected[index] = unaffected;
                self.reports[index] = Some(report);
                continue;
            }
            let planned = &self.plan.tasks[index];
            let ready = planned
                .deps
                .iter()
                .chain(&planned.after)
                .all(|d| matches!(self.states[*d], State::Done(_)));
            let group = self.plan.tasks[index].task.exclusive();
            let free = group.is_none_or(|g| !self.held.iter().any(|h| h == g));
            if ready && free && self.running < self.jobs && self.stop_reason.is_none() {
                self.states[index] = State::Running;
                self.running += 1;
                self.held.extend(group.map(str::to_owned));
                start.push(index);
            }
        }
        start
    }

    /// The tasks that ended so far, with how they ended, in plan order.
    fn finished_tasks(&self) -> Vec<(&'p dyn Task, TaskStatus)> {
        self.plan
            .tasks
            .iter()
            .zip(&self.states)
            .filter_map(|(planned, state)| match state {
                State::Done(status) => Some((planned.task.as_ref(), *status)),
                _ => None,
            })
            .collect()
    }

    /// Why task `index` is skipped, and whether because it is unaffected.
    fn skip_reason(&self, index: usize, project: &Project) -> Option<(String, bool)> {
        let planned = &self.plan.tasks[index];
        let failed_dep = planned.deps.iter().find(|d| match self.states[**d] {
            State::Done(status) => status != TaskStatus::Passed && !self.unaffected[**d],
            _ => false,
        });
        if let Some(dep) = failed_dep {
            let reason = format!(
                "skipped: it depends on `{}`, which did not pass",
                self.plan.tasks[*dep].task.name()
            );
            return Some((reason, false));
        }
        let scope = project.scope.as_ref()?;
        let reason = scope_skip(scope, planned.task.as_ref(), project)?;
        Some((format!("skipped: {reason}"), true))
    }

    fn finished(&mut self, index: usize, report: TaskReport, fail_fast: bool) {
        self.running -= 1;
        if let Some(group) = self.plan.tasks[index].task.exclusive() {
            self.held.retain(|h| h != group);
        }
        if report.status != TaskStatus::Passed && fail_fast && self.stop_reason.is_none() {
            self.stop_reason = Some(format!(
                "not started: fail-fast stopped the run after `{}` failed",
                report.name
            ));
        }
        self.states[index] = State::Done(report.status);
        self.reports[index] = Some(report);
    }

    /// Every task's report, in plan order; those that never started say why.
    fn into_reports(self) -> Vec<TaskReport> {
        let interrupted = interrupt::is_interrupted();
        let stop_reason = self.stop_reason;
        self.plan
            .tasks
            .iter()
            .zip(self.reports)
            .map(|(planned, report)| {
                report.unwrap_or_else(|| {
                    let (status, reason) = if interrupted {
                        (
                            TaskStatus::Cancelled,
                            "not started: interrupted by Ctrl-C".to_owned(),
                        )
                    } else {
                        (
                            TaskStatus::Skipped,
                            stop_reason
                                .clone()
                                .unwrap_or_else(|| "not started".to_owned()),
                        )
                    };
                    TaskReport::not_run(planned.task.name(), planned.task.kind(), status, reason)
                })
            })
            .collect()
    }
}

/// Runs one task on this thread and returns its report.
fn run_task(task: &dyn Task, mut cx: TaskContext<'_>, progress: &dyn ProgressSink) -> TaskReport {
    progress.started(task.name());
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| task.run(&mut cx)));
    let mut report = cx.into_report();
    report.duration = started.elapsed();
    report.status = status_of(outcome, &mut report, task.name());
    if interrupt::is_interrupted() && report.status != TaskStatus::Passed {
        report.status = TaskStatus::Cancelled;
        report.reason = Some("stopped by Ctrl-C".to_owned());
    }
    progress.finished(&report);
    report
}

/// The status of a task that ran, from how `run` ended and what it found;
/// an error or a panic becomes a finding of `report`.
fn status_of(
    outcome: thread::Result<Result<(), TaskError>>,
    report: &mut TaskReport,
    name: &str,
) -> TaskStatus {
    match outcome {
        Ok(Ok(()))
            if report
                .findings
                .iter()
                .any(|f| f.severity == Severity::Error) =>
        {
            TaskStatus::Failed
        }
        Ok(Ok(())) => TaskStatus::Passed,
        Ok(Err(err)) => {
            // A message's later lines are a command's output: shown as such
            // (its last lines, as any output tail), unless the task kept one.
            let (message, rest) = err
                .message
                .split_once('\n')
                .unwrap_or((err.message.as_str(), ""));
            if report.log_tail.is_empty() {
                report.log_tail = crate::tail::OutputTail::of_text(rest);
            }
            let mut finding = Finding::error(EngineCode::TaskError, message);
            if let Some(hint) = &err.hint {
                finding = finding.help(hint.clone());
            }
            report.findings.push(finding);
            report.reason = Some(err.message);
            TaskStatus::Error
        }
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            report.findings.push(
                Finding::error(
                    EngineCode::TaskPanicked,
                    format!("task `{name}` panicked: {message}"),
                )
                .help("this is a bug in cargo-perf; please report it with the output of --verbose"),
            );
            TaskStatus::Error
        }
    }
}

/// Why a change-scoped run skips `task`, if it does.
fn scope_skip(scope: &ChangeScope, task: &dyn Task, project: &Project) -> Option<String> {
    if scope.is_empty() {
        return Some(format!("nothing changed ({})", scope.description));
    }
    task.unaffected(scope, project)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cargo_perf_policy::{Located, Policy};

    use super::*;
    use crate::plan::PlannedTask;
    use crate::progress::Silent;
    use crate::task::TaskError;
    use crate::workspace::Workspace;

    struct Scoped {
        name: &'static str,
        deps: Vec<Located<String>>,
        member: &'static str,
    }

    impl Task for Scoped {
        fn name(&self) -> &str {
            self.name
        }
        fn description(&self) -> &str {
            "scoped"
        }
        fn depends_on(&self) -> &[Located<String>] {
            &self.deps
        }
        fn unaffected(&self, scope: &ChangeScope, _: &Project) -> Option<String> {
            (!scope.affects_member(self.member))
                .then(|| format!("`{}` did not change", self.member))
        }
        fn run(&self, _: &mut TaskContext<'_>) -> Result<(), TaskError> {
            Ok(())
        }
    }

    /// A workspace of no members at `/ws`.
    fn workspace() -> Workspace {
        Workspace {
            root: "/ws".into(),
            root_manifest: "/ws/Cargo.toml".into(),
            target_dir: "/ws/target".into(),
            members: Vec::new(),
            cargo: "cargo".into(),
            metadata_command: String::new(),
            metadata_cache: None,
        }
    }

    fn run_with(scope: ChangeScope) -> Vec<TaskReport> {
        let mut project = Project::new(workspace(), Policy::default(), None);
        project.scope = Some(scope);
        let plan = Plan {
            tasks: vec![
                PlannedTask::new(
                    Arc::new(Scoped {
                        name: "a",
                        deps: vec![],
                        member: "a",
                    }),
                    vec![],
                ),
                PlannedTask::new(
                    Arc::new(Scoped {
                        name: "b",
                        deps: vec![Located::builtin("a".to_owned())],
                        member: "b",
                    }),
                    vec![0],
                ),
            ],
            registered: Vec::new(),
        };
        run_plan(
            &plan,
            &project,
            RunOptions {
                jobs: 1,
                fail_fast: false,
            },
            &Silent,
        )
    }

    /// Fails, or passes when it saw `seen` end with `status` before it started.
    struct Watcher(&'static str, Option<(&'static str, TaskStatus)>);

    impl Task for Watcher {
        fn name(&self) -> &str {
            self.0
        }
        fn description(&self) -> &str {
            "watcher"
        }
        fn run(&self, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
            let Some((seen, status)) = self.1 else {
                return Err(TaskError::new("fails"));
            };
            let saw = cx.finished_tasks().iter().map(|(t, s)| (t.name(), *s));
            if saw.collect::<Vec<_>>() == [(seen, status)] {
                Ok(())
            } else {
                Err(TaskError::new("did not see it end first"))
            }
        }
    }

    #[test]
    fn a_task_ordered_after_a_failed_one_still_runs_and_sees_how_it_ended() {
        let project = Project::new(workspace(), Policy::default(), None);
        let mut later = PlannedTask::new(
            Arc::new(Watcher("later", Some(("first", TaskStatus::Error)))),
            vec![],
        );
        later.after = vec![1];
        let plan = Plan {
            tasks: vec![
                later,
                PlannedTask::new(Arc::new(Watcher("first", None)), vec![]),
            ],
            registered: Vec::new(),
        };
        let options = RunOptions {
            jobs: 2,
            fail_fast: false,
        };
        let reports = run_plan(&plan, &project, options, &Silent);
        assert_eq!(reports[1].status, TaskStatus::Error);
        assert_eq!(reports[0].status, TaskStatus::Passed, "{:?}", reports[0]);
    }

    #[test]
    fn unaffected_tasks_are_skipped_and_do_not_block_their_dependents() {
        let scope = ChangeScope {
            description: "test".into(),
            files: vec!["/ws/b/src/lib.rs".into()],
            members: ["b".to_owned()].into(),
            everything: false,
        };
        let reports = run_with(scope);
        assert_eq!(reports[0].status, TaskStatus::Skipped);
        assert_eq!(
            reports[0].reason.as_deref(),
            Some("skipped: `a` did not change")
        );
        assert_eq!(reports[1].status, TaskStatus::Passed);
    }

    #[test]
    fn with_nothing_changed_every_task_is_skipped() {
        let reports = run_with(ChangeScope {
            description: "since main".into(),
            ..ChangeScope::default()
        });
        for report in reports {
            assert_eq!(report.status, TaskStatus::Skipped);
            assert_eq!(
                report.reason.as_deref(),
                Some("skipped: nothing changed (since main)")
            );
        }
    }
}
