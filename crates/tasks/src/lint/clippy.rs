//! The second source: `cargo clippy --message-format=json` with clippy's
//! `perf` group and a curated list of performance lints from other groups
//! (docs/lint.md says which and why), read with `cargo_metadata::Message`.
//! Only lints at a place inside the workspace are kept, once each.

use std::collections::BTreeSet;
use std::path::PathBuf;

use cargo_metadata::diagnostic::{Diagnostic, DiagnosticLevel};
use cargo_metadata::{Message, TargetKind};
use cargo_perf_engine::process::{self, CommandSpec, Stream};
use cargo_perf_engine::tail::OutputTail;
use cargo_perf_engine::workspace::Member;
use cargo_perf_engine::{CargoCall, CargoOptions, TaskContext, TaskError, Workspace};

/// Lints outside `clippy::perf` that cost time or memory at run time.
pub const CURATED: &[&str] = &[
    "needless_collect",
    "redundant_clone",
    "large_enum_variant",
    "large_stack_arrays",
    "large_types_passed_by_value",
    "inefficient_to_string",
    "format_collect",
    "unnecessary_to_owned",
    "trivially_copy_pass_by_ref",
    "needless_pass_by_value",
    "naive_bytecount",
    "rc_buffer",
    "mutex_integer",
    "format_push_string",
    "string_add",
    "implicit_clone",
];

/// One clippy lint at its place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ClippyLint {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    pub name: String,
    pub message: String,
    pub help: Option<String>,
}

/// What one clippy run said.
#[derive(Debug, Default)]
pub(crate) struct ClippyOutput {
    pub lints: BTreeSet<ClippyLint>,
    pub first_error: Option<String>,
    pub success: bool,
    pub status: String,
    /// Crates cargo checked rather than found fresh: 0 when a replay of an
    /// earlier clippy build re-checked nothing.
    pub checked: usize,
    pub stderr_tail: Vec<String>,
}

/// `cargo clippy` of `members` (every member less `--exclude`, or `-p`'s).
pub(crate) fn command(
    workspace: &Workspace,
    members: &[&Member],
    cargo: &CargoOptions,
    lints: &[String],
) -> CommandSpec {
    let mut spec = CommandSpec::new(&workspace.cargo).arg("clippy");
    if members.len() == workspace.members.len() {
        spec = spec.arg("--workspace");
    } else {
        for member in members {
            spec = spec.args(["-p", &member.spec()]);
        }
    }
    spec = cargo.apply(spec, CargoCall::Compile).args([
        "--message-format=json",
        "--",
        "-W",
        "clippy::perf",
    ]);
    for lint in lints {
        spec = spec.args(["-W".to_owned(), format!("clippy::{lint}")]);
    }
    spec.cwd(&workspace.root).env("CARGO_TERM_COLOR", "never")
}

pub(crate) fn run(cx: &TaskContext<'_>, spec: &CommandSpec) -> Result<ClippyOutput, TaskError> {
    let workspace = cx.workspace();
    let mut out = ClippyOutput::default();
    let mut tail = OutputTail::new();
    let finished = process::run_split(spec, |stream, line| match stream {
        Stream::Stdout => read_message(workspace, &mut out, line),
        Stream::Stderr => {
            cx.output(line);
            tail.push(line);
        }
    })?;
    if cargo_perf_engine::interrupt::is_interrupted() {
        return Err(TaskError::new("interrupted by Ctrl-C"));
    }
    out.success = finished.success();
    out.status = finished.describe();
    out.stderr_tail = tail.into_lines();
    if !out.success
        && out
            .stderr_tail
            .iter()
            .any(|l| l.contains("no such command"))
    {
        return Err(TaskError::new("`cargo clippy` is not installed")
            .hint("install it with `rustup component add clippy`, or set `[lint] clippy = false` in perf.toml"));
    }
    Ok(out)
}

fn read_message(workspace: &Workspace, out: &mut ClippyOutput, line: &str) {
    let message = match serde_json::from_str::<Message>(line) {
        Ok(Message::CompilerMessage(message)) => message,
        Ok(Message::CompilerArtifact(artifact)) => {
            out.checked += usize::from(!artifact.fresh);
            return;
        }
        _ => return,
    };
    let diagnostic = message.message;
    if diagnostic.level == DiagnosticLevel::Error && out.first_error.is_none() {
        out.first_error = diagnostic
            .rendered
            .clone()
            .or(Some(diagnostic.message.clone()));
    }
    if shipped(&message.target)
        && let Some(lint) = lint_of(workspace, &diagnostic)
    {
        out.lints.insert(lint);
    }
}

/// Whether the target is shipped code (what the own rules read too): a
/// clippy task run with `--all-targets` also lints tests and examples.
fn shipped(target: &cargo_metadata::Target) -> bool {
    !target.kind.iter().any(|kind| {
        matches!(
            kind,
            TargetKind::Test | TargetKind::Bench | TargetKind::Example | TargetKind::CustomBuild
        )
    })
}

/// A clippy lint at a place in the workspace, from one diagnostic.
fn lint_of(workspace: &Workspace, diagnostic: &Diagnostic) -> Option<ClippyLint> {
    let code = diagnostic.code.as_ref()?;
    let name = code.code.strip_prefix("clippy::")?;
    let span = diagnostic.spans.iter().find(|s| s.is_primary)?;
    let file = workspace.root.join(&span.file_name);
    if !file.starts_with(&workspace.root) || span.file_name.starts_with('/') && !file.exists() {
        return None;
    }
    let help = diagnostic
        .children
        .iter()
        .find(|c| {
            c.level == DiagnosticLevel::Help
                && c.spans.is_empty()
                && !c.message.starts_with("for further information")
        })
        .map(|c| c.message.clone());
    Some(ClippyLint {
        file: workspace.relative(&file).to_path_buf(),
        line: span.line_start as u32,
        column: span.column_start as u32,
        name: name.to_owned(),
        message: diagnostic.message.clone(),
        help,
    })
}
