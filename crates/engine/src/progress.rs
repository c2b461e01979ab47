//! The progress events of a run: the runner and tasks send them to a
//! [`ProgressSink`]. The engine draws nothing; the terminal views (a live
//! view on a TTY, plain lines in CI logs) belong to the binary.

use crate::model::TaskReport;

/// Receives the events of a run. Called from the threads that run tasks.
pub trait ProgressSink: Send + Sync {
    fn started(&self, task: &str);
    fn step(&self, task: &str, message: &str);
    /// A line of output from a command the task runs.
    fn output(&self, task: &str, line: &str);
    /// A line the program a task runs for the user wrote (a profiled
    /// program): shown as the program's own output, not only with `--verbose`.
    fn program_output(&self, task: &str, line: &str) {
        self.output(task, line);
    }
    fn finished(&self, report: &TaskReport);
}

/// Shows nothing (`--quiet`, or library use).
pub struct Silent;

impl ProgressSink for Silent {
    fn started(&self, _: &str) {}
    fn step(&self, _: &str, _: &str) {}
    fn output(&self, _: &str, _: &str) {}
    fn finished(&self, _: &TaskReport) {}
}
