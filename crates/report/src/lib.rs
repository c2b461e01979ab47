//! Renderers for a [`RunReport`]. Each works from the shared result model
//! alone (`cargo_perf_engine::model`: no registry, no process, no progress),
//! so every task's findings and metrics show in every format. They return
//! text and write no file: where it goes is the binary's choice.

mod dashboard;
mod github;
mod history;
mod human;
mod init;
mod json;
mod latency;
mod listing;
mod markdown;
mod sarif;
mod status;

pub use dashboard::{
    MAX_TREND_POINTS, MarkdownReport, render_dashboard_html, render_dashboard_markdown,
};
pub use github::render_github;
pub use history::{render_history, render_history_json};
pub use human::render_human;
pub use init::{InitSummary, render_init_json};
pub use json::render_json;
pub use listing::{render_listing, render_listing_json};
pub use markdown::render_markdown;
pub use sarif::{SARIF_SCHEMA, SARIF_VERSION, render_sarif};
pub use status::status_mark;

use cargo_perf_engine::{Finding, RunReport, Severity, TaskReport, TaskStatus};

/// Output formats for a run report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    /// GitHub Actions annotations, then the human summary for the log.
    Github,
    /// The Markdown summary (for a pull-request comment).
    Markdown,
}

/// Renders `report` in `format`. `quiet` drops the human summary when everything passed.
pub fn render(report: &RunReport, format: Format, quiet: bool) -> String {
    match format {
        Format::Human => render_human(report, quiet),
        Format::Json => render_json(report),
        Format::Github => render_github(report) + &render_human(report, quiet),
        Format::Markdown => render_markdown(report),
    }
}

/// How a finding is titled: its code, which names its task
/// (`gitignore-missing-ignore`), or `task/code` when the code does not (a
/// custom task's `clippy/command-failed`, `build/engine-task-error`).
pub(crate) fn finding_title(task: &TaskReport, finding: &Finding) -> String {
    match finding.code.strip_prefix(task.name.as_str()) {
        Some(rest) if rest.starts_with('-') => finding.code.to_string(),
        _ => format!("{}/{}", task.name, finding.code),
    }
}

/// The one line that says how a task went: its summary when it passed, else
/// why it did not run or its first error.
pub(crate) fn task_detail(task: &TaskReport) -> String {
    match task.status {
        TaskStatus::Passed => task.summary.clone().unwrap_or_default(),
        _ => task
            .reason
            .clone()
            .or_else(|| {
                task.findings
                    .iter()
                    .find(|f| f.severity == Severity::Error)
                    .map(|f| f.message.clone())
            })
            .unwrap_or_default(),
    }
}
