//! `[tasks.NAME]`: custom command tasks declared by the user.

use std::path::PathBuf;
use std::time::Duration;

use toml::de::{DeTable, DeValue};

use crate::diagnostic::Diagnostic;
use crate::reader::{Located, Reader, Value};

/// A command the user declared as a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomTask {
    pub name: Located<String>,
    pub description: Option<String>,
    /// The program and its arguments (a `run` string is split like a shell would).
    pub argv: Located<Vec<String>>,
    /// Working directory, relative to the workspace root.
    pub cwd: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    pub depends_on: Vec<Located<String>>,
    pub timeout: Option<Duration>,
}

const KEYS: &[&str] = &["run", "description", "cwd", "env", "depends-on", "timeout"];

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
    let mut argv = None;
    let mut task = CustomTask {
        name,
        description: None,
        argv: Located::builtin(Vec::new()),
        cwd: None,
        env: Vec::new(),
        depends_on: Vec::new(),
        timeout: None,
    };
    r.fields(body, &context, KEYS, |r, key, value| match key {
        "run" => argv = read_argv(r, value),
        "description" => task.description = r.string(key, value).map(|s| s.value),
        "cwd" => task.cwd = r.string(key, value).map(|s| PathBuf::from(s.value)),
        "env" => task.env = r.string_map(key, value).unwrap_or_default(),
        "depends-on" => task.depends_on = r.string_list(key, value).unwrap_or_default(),
        _ => task.timeout = r.duration(key, value),
    });
    match argv {
        Some(argv) => {
            task.argv = argv;
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

fn read_argv(r: &mut Reader, value: &Value<'_>) -> Option<Located<Vec<String>>> {
    let argv = match value.get_ref() {
        DeValue::String(line) => match shell_words::split(line) {
            Ok(words) => words,
            Err(_) => {
                r.report(
                    Diagnostic::new("cannot split `run` into words: a quote is not closed")
                        .at(value.span())
                        .label("unbalanced quotes")
                        .help("close the quote, or write `run` as an array: `run = [\"prog\", \"arg one\"]`"),
                );
                return None;
            }
        },
        DeValue::Array(_) => r
            .string_list("run", value)?
            .into_iter()
            .map(|w| w.value)
            .collect(),
        _ => {
            r.report(
                Diagnostic::new(format!(
                    "wrong type for `run`: expected a string or an array of strings, found a {}",
                    value.get_ref().type_str()
                ))
                .at(value.span())
                .label("expected a command")
                .help("write it as `run = \"cargo test\"` or `run = [\"cargo\", \"test\"]`"),
            );
            return None;
        }
    };
    if argv.is_empty() {
        r.report(
            Diagnostic::new("`run` is empty")
                .at(value.span())
                .label("no program to run")
                .help("name the program and its arguments, e.g. `run = \"cargo test\"`"),
        );
        return None;
    }
    Some(Located::new(argv, value.span()))
}

pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'))
}
