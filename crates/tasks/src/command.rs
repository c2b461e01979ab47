//! Custom command tasks: `[tasks.NAME] run = "..."` in perf.toml. The command
//! (a string runs as `sh -c` would run it, an array directly) runs from the
//! workspace root (or `cwd`); a non-zero exit fails the task and the last
//! lines of its output go into the report. Processes it leaves running are a
//! warning, never waited for. Compiler diagnostics in its output become
//! findings with their file, line and column (see [`diagnostics`]).

use std::path::Path;

use cargo_perf_engine::process::CommandSpec;
use cargo_perf_engine::{ChangeScope, Finding, Project, Task, TaskContext, TaskError, TaskKind};
use cargo_perf_policy::{CustomTask, Located};

mod diagnostics;

cargo_perf_engine::finding_codes! {
    /// The findings of custom command tasks (docs/policy.md lists them).
    pub enum CommandCode for "command" {
        Failed => "command-failed" (Error, "the command exited with a failure"),
        LeftoverProcesses => "command-leftover-processes" (Warning, "the command left processes running"),
        RustcError => "command-rustc-error" (Error, "a rustc or clippy error, at its place"),
        RustcWarning => "command-rustc-warning" (Warning, "a rustc or clippy warning, at its place (info when the task passed)"),
        FmtDiff => "command-fmt-diff" (Error, "a file `cargo fmt --check` would change"),
        DiagnosticsTruncated => "command-diagnostics-truncated" (Info, "more diagnostics than a report keeps"),
    }
}

pub struct CommandTask {
    spec: CustomTask,
    description: String,
}

impl CommandTask {
    pub fn new(spec: CustomTask) -> Self {
        let description = spec
            .description
            .clone()
            .unwrap_or_else(|| format!("runs `{}`", spec.run.value));
        Self { spec, description }
    }
}

impl Task for CommandTask {
    fn name(&self) -> &str {
        &self.spec.name.value
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn kind(&self) -> TaskKind {
        TaskKind::Custom
    }

    fn depends_on(&self) -> &[Located<String>] {
        &self.spec.depends_on
    }

    /// A command may look at anything: only an empty change set (which the
    /// runner handles for every task) skips it.
    fn unaffected(&self, _: &ChangeScope, _: &Project) -> Option<String> {
        None
    }

    fn exclusive(&self) -> Option<&str> {
        self.spec
            .runs_cargo()
            .then_some(cargo_perf_engine::task::CARGO)
    }

    fn command(&self, root: &Path) -> Option<CommandSpec> {
        let argv = self.spec.run.value.argv();
        let (program, args) = argv.split_first()?;
        let cwd = self
            .spec
            .cwd
            .as_ref()
            .map_or_else(|| root.to_path_buf(), |dir| root.join(dir));
        let mut command = CommandSpec::new(program)
            .args(args)
            .cwd(&cwd)
            .timeout(self.spec.timeout);
        for (key, value) in &self.spec.env {
            command = command.env(key, value);
        }
        Some(command)
    }

    fn run(&self, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
        let root = &cx.workspace().root;
        let command = self
            .command(root)
            .ok_or_else(|| TaskError::new("the task has no command"))?;
        let cwd = command.cwd.clone().unwrap_or_else(|| root.clone());
        let shown = command.display();
        cx.step(&shown);
        let mut diagnostics = diagnostics::Diagnostics::new(root, &cwd);
        let (finished, tail) = cx.run_command_with(&command, |line| diagnostics.push(line))?;
        for finding in diagnostics.into_findings(!finished.success()) {
            cx.finding(finding);
        }
        if finished.success() {
            cx.summary(shown.clone());
        } else {
            cx.finding(
                Finding::error(
                    CommandCode::Failed,
                    format!("`{shown}` {}", finished.describe()),
                )
                .help(format!(
                    "run `{shown}` to see its whole output, or re-run cargo perf with --verbose"
                )),
            );
            cx.log_tail(tail);
        }
        if let Some(left) = &finished.leftover {
            cx.finding(left.finding(CommandCode::LeftoverProcesses, &shown));
        }
        Ok(())
    }
}
