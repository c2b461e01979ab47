//! `cargo perf report`: the [`Dashboard`] data as one self-contained HTML
//! page (CSS, SVG and the flamegraphs inline: it opens from disk with no
//! network) or as Markdown with its charts as separate SVG files. Charts are
//! hand-written SVG (see `chart`): a few hundred lines do what the page needs,
//! styled by the page's CSS so the dark theme and the colour-blind-safe
//! palette apply, where a plotting crate would bring its own fonts and styles.

mod chart;
mod lights;
mod markdown;
mod page;
mod text;

use cargo_perf_engine::model::dashboard::Dashboard;

pub use markdown::MarkdownReport;

/// The HTML page.
pub fn render_dashboard_html(dashboard: &Dashboard) -> String {
    page::render(dashboard)
}

/// The Markdown twin; its charts link to `charts_dir` (relative to the
/// Markdown file), where the caller writes [`MarkdownReport::charts`].
pub fn render_dashboard_markdown(dashboard: &Dashboard, charts_dir: &str) -> MarkdownReport {
    markdown::render(dashboard, charts_dir)
}

/// The most points a trend chart draws (see `chart::downsample`).
pub const MAX_TREND_POINTS: usize = chart::MAX_POINTS;
