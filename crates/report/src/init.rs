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
}

pub fn render_init_json(summary: &InitSummary<'_>) -> String {
    let document = json!({
        "version": cargo_perf_engine::model::REPORT_VERSION,
        "path": summary.path,
        "replaced": summary.replaced,
        "tasks": summary.tasks,
        "check": summary.check,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
