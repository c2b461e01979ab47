//! How a task's status looks on a terminal: the glyph, word and colour that
//! the summary table and the binary's progress lines share.

use console::Style;

use cargo_perf_engine::TaskStatus;

/// The glyph, colour and word for a status.
pub fn status_mark(status: TaskStatus) -> (&'static str, &'static str, Style) {
    match status {
        TaskStatus::Passed => ("✓", "passed", Style::new().green()),
        TaskStatus::Failed => ("✗", "failed", Style::new().red().bold()),
        TaskStatus::Error => ("✗", "error", Style::new().red().bold()),
        TaskStatus::Skipped => ("-", "skipped", Style::new().dim()),
        TaskStatus::Cancelled => ("⊘", "cancelled", Style::new().yellow()),
    }
}
