//! `cargo perf init --format json`: the document that says what was written.

use std::path::Path;

use serde_json::json;

/// What `init` wrote, as the binary hands it over.
pub struct InitSummary<'a> {
    pub path: &'a Path,
    /// Whether an existing file (or link) of that name was replaced.
    pub replaced: bool,
    pub tasks: &'a [String],
    pub check: &'a [String],
    /// Tasks written commented out because they would fail, and why.
    pub left_out: &'a [(String, String)],
    /// The commands init ran to check what it proposes.
    pub ran: &'a [String],
}

pub fn render_init_json(summary: &InitSummary<'_>) -> String {
    let document = json!({
        "version": cargo_perf_engine::model::REPORT_VERSION,
        "path": summary.path,
        "replaced": summary.replaced,
        "tasks": summary.tasks,
        "check": summary.check,
        "left_out": summary
            .left_out
            .iter()
            .map(|(task, reason)| json!({ "task": task, "reason": reason }))
            .collect::<Vec<_>>(),
        "ran": summary.ran,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
