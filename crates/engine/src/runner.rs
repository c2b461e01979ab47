//! Runs a [`Plan`]: up to `jobs` tasks at once, each after its dependencies
//! passed. By default the run keeps going past a failure, so one run shows
//! every problem; tasks that depend on a failed task are skipped. With
//! fail-fast, no new task starts after the first failure. Ctrl-C stops
//! everything and marks what did not finish as cancelled.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use crate::interrupt;
use crate::model::{Finding, TaskReport, TaskStatus};
use crate::plan::Plan;
use crate::progress::ProgressSink;
use crate::scope::ChangeScope;
use crate::task::{Project, Task, TaskContext};

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
    let count = plan.tasks.len();
    let mut states: Vec<State> = (0..count).map(|_| State::Waiting).collect();
    let mut reports: Vec<Option<TaskReport>> = vec![None; count];
    let mut stop_reason: Option<String> = None;
    // Skipped because the change scope does not touch them: that counts as
    // passing for the tasks that depend on them.
    let mut unaffected = vec![false; count];
    let jobs = options.jobs.max(1);

    thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<(usize, TaskReport)>();
        let mut running = 0;
        loop {
            if stop_reason.is_none() && interrupt::is_interrupted() {
                stop_reason = Some("interrupted".to_owned());
            }
            for index in 0..count {
                if !matches!(states[index], State::Waiting) {
                    continue;
                }
                if interrupt::is_interrupted() {
                    continue;
                }
                let planned = &plan.tasks[index];
                let failed_dep = planned.deps.iter().find(|d| match states[**d] {
                    State::Done(status) => status != TaskStatus::Passed && !unaffected[**d],
                    _ => false,
                });
                if let Some(dep) = failed_dep {
                    let report = TaskReport::not_run(
                        planned.task.name(),
                        planned.task.kind(),
                        TaskStatus::Skipped,
                        format!(
                            "skipped: it depends on `{}`, which did not pass",
                            plan.tasks[*dep].task.name()
                        ),
                    );
                    progress.finished(&report);
                    states[index] = State::Done(TaskStatus::Skipped);
                    reports[index] = Some(report);
                    continue;
                }
                if let Some(reason) = project
                    .scope
                    .as_ref()
                    .and_then(|scope| scope_skip(scope, planned.task.as_ref(), project))
                {
                    let report = TaskReport::not_run(
                        planned.task.name(),
                        planned.task.kind(),
                        TaskStatus::Skipped,
                        format!("skipped: {reason}"),
                    );
                    progress.finished(&report);
                    states[index] = State::Done(TaskStatus::Skipped);
                    unaffected[index] = true;
                    reports[index] = Some(report);
                    continue;
                }
                let ready = planned
                    .deps
                    .iter()
                    .all(|d| matches!(states[*d], State::Done(_)));
                if !ready || running >= jobs || stop_reason.is_some() {
                    continue;
                }
                states[index] = State::Running;
                running += 1;
                let done_tx = done_tx.clone();
                let task = &planned.task;
                scope.spawn(move || {
                    progress.started(task.name());
                    let started = Instant::now();
                    let mut cx = TaskContext::new(project, progress, task.name(), task.kind());
                    let outcome = catch_unwind(AssertUnwindSafe(|| task.run(&mut cx)));
                    let mut report = cx.into_report();
                    report.duration = started.elapsed();
                    report.status = match outcome {
                        Ok(Ok(())) if report.findings.iter().any(|f| f.severity == crate::model::Severity::Error) => {
                            TaskStatus::Failed
                        }
                        Ok(Ok(())) => TaskStatus::Passed,
                        Ok(Err(err)) => {
                            // A message's later lines are a command's output: shown as such.
                            let message = match err.message.split_once('\n') {
                                Some((first, rest)) if report.log_tail.is_empty() => {
                                    report.log_tail = rest.lines().map(str::to_owned).collect();
                                    first
                                }
                                _ => &err.message,
                            };
                            let mut finding = Finding::error("task-error", message);
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
                                Finding::error("task-panicked", format!("task `{}` panicked: {message}", task.name()))
                                    .help("this is a bug in cargo-perf; please report it with the output of --verbose"),
                            );
                            TaskStatus::Error
                        }
                    };
                    if interrupt::is_interrupted() && report.status != TaskStatus::Passed {
                        report.status = TaskStatus::Cancelled;
                        report.reason = Some("stopped by Ctrl-C".to_owned());
                    }
                    progress.finished(&report);
                    let _ = done_tx.send((index, report));
                });
            }
            if running == 0 {
                break;
            }
            let Ok((index, report)) = done_rx.recv() else {
                break;
            };
            running -= 1;
            if report.status != TaskStatus::Passed && options.fail_fast && stop_reason.is_none() {
                stop_reason = Some(format!(
                    "not started: fail-fast stopped the run after `{}` failed",
                    report.name
                ));
            }
            states[index] = State::Done(report.status);
            reports[index] = Some(report);
        }
    });

    let interrupted = interrupt::is_interrupted();
    plan.tasks
        .iter()
        .zip(reports)
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

    fn run_with(scope: ChangeScope) -> Vec<TaskReport> {
        let workspace = Workspace {
            root: "/ws".into(),
            root_manifest: "/ws/Cargo.toml".into(),
            target_dir: "/ws/target".into(),
            members: Vec::new(),
            cargo: "cargo".into(),
        };
        let mut project = Project::new(workspace, Policy::default(), None);
        project.scope = Some(scope);
        let plan = Plan {
            tasks: vec![
                PlannedTask {
                    task: Arc::new(Scoped {
                        name: "a",
                        deps: vec![],
                        member: "a",
                    }),
                    deps: vec![],
                },
                PlannedTask {
                    task: Arc::new(Scoped {
                        name: "b",
                        deps: vec![Located::builtin("a".to_owned())],
                        member: "b",
                    }),
                    deps: vec![0],
                },
            ],
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
