//! `[tasks.NAME]`: custom command tasks declared by the user.

use std::path::PathBuf;
use std::time::Duration;

use toml::de::DeTable;

use crate::command::CommandLine;
use crate::diagnostic::Diagnostic;
use crate::reader::{Located, Reader, Value};
use crate::table::{Key, key};

/// A command the user declared as a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomTask {
    pub name: Located<String>,
    pub description: Option<String>,
    /// The command (see [`CommandLine`] for how a string and an array run).
    pub run: Located<CommandLine>,
    /// Working directory, relative to the workspace root.
    pub cwd: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    pub depends_on: Vec<Located<String>>,
    pub timeout: Option<Duration>,
    /// `cargo = true|false`: whether the task runs cargo, so it never runs
    /// beside another cargo task. Unset: it does when its program is cargo.
    pub cargo: Option<bool>,
}

impl CustomTask {
    /// Whether the task runs cargo: as declared, else by its program.
    pub fn runs_cargo(&self) -> bool {
        self.cargo
            .unwrap_or_else(|| self.run.value.program() == Some("cargo"))
    }
}

/// A task being read: its keys so far, and its `run` once seen.
pub(crate) struct Draft {
    task: CustomTask,
    run: Option<Located<CommandLine>>,
}

pub(crate) const KEYS: &[Key<Draft>] = &[
    key("run", |r, d, k, v| d.run = r.command(k, v)),
    key("description", |r, d, k, v| {
        d.task.description = r.string(k, v).map(|s| s.value)
    }),
    key("cwd", |r, d, k, v| {
        d.task.cwd = r.string(k, v).map(|s| PathBuf::from(s.value))
    }),
    key("env", |r, d, k, v| {
        d.task.env = r.string_map(k, v).unwrap_or_default()
    }),
    key("depends-on", |r, d, k, v| {
        d.task.depends_on = r.string_list(k, v).unwrap_or_default()
    }),
    key("timeout", |r, d, k, v| d.task.timeout = r.duration(k, v)),
    key("cargo", |r, d, k, v| d.task.cargo = r.bool(k, v)),
];

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> Vec<CustomTask> {
    let mut tasks = Vec::with_capacity(table.len());
    for (name, value) in table {
        let name = Located::new(name.get_ref().to_string(), name.span());
        if !is_valid_name(&name.value) {
            r.report(
                Diagnostic::new(format!("invalid task name `{}`", name.value))
                    .at(name.span.clone().unwrap_or_default())
                    .label("not a valid name")
                    .help("task names use letters, digits, `-`, `_` and `:` (e.g. `fmt-check`)"),
            );
            continue;
        }
        let Some(body) = r.table(&format!("tasks.{}", name.value), value) else {
            continue;
        };
        if let Some(task) = read_task(r, name, body, value) {
            tasks.push(task);
        }
    }
    tasks
}

fn read_task(
    r: &mut Reader,
    name: Located<String>,
    body: &DeTable<'_>,
    whole: &Value<'_>,
) -> Option<CustomTask> {
    let context = format!("[tasks.{}]", name.value);
    let mut draft = Draft {
        task: CustomTask {
            name,
            description: None,
            run: Located::builtin(CommandLine::Argv(Vec::new())),
            cwd: None,
            env: Vec::new(),
            depends_on: Vec::new(),
            timeout: None,
            cargo: None,
        },
        run: None,
    };
    r.section(body, &context, KEYS, &mut draft);
    let Draft { mut task, run } = draft;
    match run {
        Some(run) => {
            task.run = run;
            Some(task)
        }
        None if !body.contains_key("run") => {
            r.report(
                Diagnostic::new(format!("task `{}` has no `run` command", task.name.value))
                    .at(whole.span())
                    .label("this task needs `run`")
                    .help("add the command to run, e.g. `run = \"cargo test --workspace\"`"),
            );
            None
        }
        None => None,
    }
}

pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'))
}
