//! The task abstraction: a named unit of work that reports findings and
//! metrics through a [`TaskContext`]. Built-in tasks and custom commands both
//! implement [`Task`], so the engine plans and runs them the same way.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use cargo_perf_policy::{Located, Policy};

use crate::git::GitRepo;
use crate::model::{Finding, Metric, TaskKind, TaskReport, TaskStatus};
use crate::process::{self, CommandSpec, Finished};
use crate::progress::ProgressSink;
use crate::tail::{self, OutputTail};
use crate::workspace::Workspace;

/// The exclusive group of tasks that run cargo (see [`Task::exclusive`]).
pub const CARGO: &str = "cargo";

/// A unit of work the engine can plan and run.
pub trait Task: Send + Sync {
    fn name(&self) -> &str;
    fn description(&self) -> &str;
    fn kind(&self) -> TaskKind {
        TaskKind::Builtin
    }
    /// Tasks that must pass before this one starts.
    fn depends_on(&self) -> &[Located<String>] {
        &[]
    }
    /// Of the tasks of the plan (`plan`, this one among them), the indices
    /// of those this task starts after when they are in the run, without
    /// depending on them: their failure does not skip it (the lint starts
    /// after a `cargo clippy` task to reuse its build). A `depends-on`
    /// chain the other way wins.
    fn runs_after(&self, _plan: &[&dyn Task]) -> Vec<usize> {
        Vec::new()
    }
    /// The one command this task runs from the workspace at `root`, when the
    /// task is exactly one command (a custom command task), so another task
    /// can tell what it ran or run it again.
    fn command(&self, _root: &std::path::Path) -> Option<CommandSpec> {
        None
    }
    /// In a change-scoped run (`--changed`, hooks): `Some(reason)` when nothing
    /// this task looks at changed, so the runner skips it and shows the reason.
    /// The default runs the task whenever anything changed.
    fn unaffected(&self, _scope: &crate::scope::ChangeScope, _project: &Project) -> Option<String> {
        None
    }
    /// The places inside the workspace this task writes (its history, its
    /// output directory), so the gitignore task can require them ignored
    /// without knowing any task. The target dir and the state dir need not
    /// be named: they are ignored as a whole.
    fn writes(&self, _project: &Project) -> Vec<Written> {
        Vec::new()
    }

    /// The exclusive group this task belongs to: no two tasks of one group
    /// run at once, whatever `jobs` says. Tasks that run cargo return
    /// [`CARGO`], so they never wait on each other for cargo's build lock
    /// while other tasks still run beside them.
    fn exclusive(&self) -> Option<&str> {
        None
    }
    /// Does the work. Policy violations are error findings pushed to `cx`; an
    /// `Err` means the task could not do its work at all (exit code 2).
    fn run(&self, cx: &mut TaskContext<'_>) -> Result<(), TaskError>;
}

/// A directory a task writes, as [`Task::writes`] declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Absolute, or relative to the workspace root.
    pub path: PathBuf,
    /// What it is, for messages: "the benchmark history (`[bench] history`)".
    pub what: String,
}

impl Written {
    pub fn new(path: impl Into<PathBuf>, what: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            what: what.into(),
        }
    }
}

/// What `tasks` declare they write in `project`, in registry order.
pub fn declared_writes(tasks: &[Arc<dyn Task>], project: &Project) -> Vec<Written> {
    tasks.iter().flat_map(|task| task.writes(project)).collect()
}

/// A task that could not run: what went wrong and how to fix it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct TaskError {
    pub message: String,
    pub hint: Option<String>,
}

impl TaskError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<process::ProcessError> for TaskError {
    fn from(err: process::ProcessError) -> Self {
        let hint = err.hint();
        TaskError::new(err.to_string()).hint(hint)
    }
}

impl From<crate::cargo::PackageError> for TaskError {
    fn from(err: crate::cargo::PackageError) -> Self {
        TaskError::new(err.to_string()).hint(err.hint())
    }
}

impl From<crate::git::GitError> for TaskError {
    fn from(err: crate::git::GitError) -> Self {
        TaskError::new(err.to_string()).hint(err.hint())
    }
}

/// The project a run works on: the workspace, its policy, and facts found lazily.
pub struct Project {
    pub workspace: Workspace,
    pub policy: Policy,
    /// Where the policy was read from, as shown to the user.
    pub policy_path: Option<PathBuf>,
    /// Set for change-scoped runs (`--changed`, hooks); `None` checks everything.
    pub scope: Option<crate::scope::ChangeScope>,
    /// Cargo's flags of this run, for every cargo command a task runs.
    pub cargo: crate::cargo::CargoOptions,
    git: OnceLock<Result<Option<GitRepo>, TaskError>>,
}

impl Project {
    pub fn new(workspace: Workspace, policy: Policy, policy_path: Option<PathBuf>) -> Self {
        Self {
            workspace,
            policy,
            policy_path,
            scope: None,
            cargo: crate::cargo::CargoOptions::default(),
            git: OnceLock::new(),
        }
    }

    /// The git repository holding the workspace (`None` outside git), asked once.
    pub fn git(&self) -> Result<Option<&GitRepo>, TaskError> {
        self.git
            .get_or_init(|| GitRepo::discover(&self.workspace.root).map_err(TaskError::from))
            .as_ref()
            .map(Option::as_ref)
            .map_err(Clone::clone)
    }
}

/// What a running task can see and how it reports.
pub struct TaskContext<'a> {
    pub project: &'a Project,
    /// Every registered task, for [`TaskContext::declared_writes`].
    registered: &'a [Arc<dyn Task>],
    /// The tasks of the run that ended before this one started.
    finished: Vec<(&'a dyn Task, TaskStatus)>,
    progress: &'a dyn ProgressSink,
    report: TaskReport,
}

impl<'a> TaskContext<'a> {
    pub(crate) fn new(
        project: &'a Project,
        registered: &'a [Arc<dyn Task>],
        progress: &'a dyn ProgressSink,
        name: &str,
        kind: TaskKind,
    ) -> Self {
        Self {
            project,
            registered,
            finished: Vec::new(),
            progress,
            report: TaskReport::new(name, kind),
        }
    }

    pub(crate) fn with_finished(mut self, finished: Vec<(&'a dyn Task, TaskStatus)>) -> Self {
        self.finished = finished;
        self
    }

    /// The tasks of this run that ended before this one started, in plan
    /// order, with how each ended (skipped and cancelled ones too).
    pub fn finished_tasks(&self) -> &[(&'a dyn Task, TaskStatus)] {
        &self.finished
    }

    pub(crate) fn into_report(self) -> TaskReport {
        self.report
    }

    pub fn name(&self) -> &str {
        &self.report.name
    }

    pub fn workspace(&self) -> &'a Workspace {
        &self.project.workspace
    }

    pub fn policy(&self) -> &'a Policy {
        &self.project.policy
    }

    /// What every registered task declares it writes (see [`Task::writes`]).
    pub fn declared_writes(&self) -> Vec<Written> {
        declared_writes(self.registered, self.project)
    }

    /// Shows what the task is doing now in the progress view.
    pub fn step(&self, message: &str) {
        self.progress.step(&self.report.name, message);
    }

    pub fn finding(&mut self, finding: Finding) {
        self.report.findings.push(finding);
    }

    pub fn metric(&mut self, metric: Metric) {
        self.report.metrics.push(metric);
    }

    pub fn artifact(&mut self, path: impl Into<PathBuf>) {
        self.report.artifacts.push(path.into());
    }

    pub fn summary(&mut self, summary: impl Into<String>) {
        self.report.summary = Some(summary.into());
    }

    /// Shows one line of a command's output in the progress view (whole
    /// lines only, so parallel tasks never interleave mid-line; `--verbose`
    /// prints them). For commands a task runs itself rather than through
    /// [`TaskContext::run_command`].
    pub fn output(&self, line: &str) {
        self.progress
            .output(&self.report.name, &tail::clean_line(line));
    }

    /// Keeps the last lines of a failed command's output for the report,
    /// as plain text (see [`tail::clean_line`]).
    pub fn log_tail(&mut self, lines: Vec<String>) {
        self.report.log_tail = lines.iter().map(|line| tail::clean_line(line)).collect();
    }

    /// Runs a command, streaming its output to the progress view (shown with
    /// `--verbose`), and returns how it ended with the last lines it printed.
    pub fn run_command(&self, spec: &CommandSpec) -> Result<(Finished, Vec<String>), TaskError> {
        self.run_command_with(spec, |_| {})
    }

    /// [`Self::run_command`] for the user's own program run under a tool (a
    /// profiler): the lines `is_program` picks pass through to the user as
    /// the program's output; the tool's own lines go to the progress view.
    pub fn run_program(
        &self,
        spec: &CommandSpec,
        is_program: impl Fn(&str) -> bool,
    ) -> Result<(Finished, Vec<String>), TaskError> {
        let mut tail = OutputTail::new();
        let finished = process::run_streaming(spec, |line| {
            let plain = tail::clean_line(line);
            if is_program(&plain) {
                self.progress.program_output(&self.report.name, &plain);
            } else {
                self.progress.output(&self.report.name, &plain);
            }
            tail.push(line);
        })?;
        Ok((finished, tail.into_lines()))
    }

    /// [`Self::run_command`], also handing each line of output, as plain
    /// text, to `on_line` as it arrives: for a task that reads the whole
    /// output (compiler diagnostics) and not only its tail.
    pub fn run_command_with(
        &self,
        spec: &CommandSpec,
        mut on_line: impl FnMut(&str),
    ) -> Result<(Finished, Vec<String>), TaskError> {
        let mut tail = OutputTail::new();
        let finished = process::run_streaming(spec, |line| {
            let plain = tail::clean_line(line);
            self.progress.output(&self.report.name, &plain);
            on_line(&plain);
            tail.push(line);
        })?;
        Ok((finished, tail.into_lines()))
    }
}
