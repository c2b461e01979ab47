//! `cargo perf list`: every task (built-in or custom) and every pipeline.
//! Names and descriptions come from perf.toml, so the human listing escapes them.

use std::fmt::Write as _;

use console::style;
use serde_json::json;

use cargo_perf_engine::TaskKind;
use cargo_perf_engine::model::{Listing, REPORT_VERSION, escape};

pub fn render_listing(listing: &Listing) -> String {
    let width = listing
        .tasks
        .iter()
        .map(|t| &t.name)
        .chain(listing.pipelines.iter().map(|p| &p.name))
        .map(|n| escape(n).chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(out, "{}", style("Tasks").bold());
    for task in &listing.tasks {
        let kind = match task.kind {
            TaskKind::Builtin => "built-in",
            TaskKind::Custom => "custom",
        };
        let deps = &task.depends_on;
        let after = if deps.is_empty() {
            String::new()
        } else {
            format!(" (after {})", escape(&deps.join(", ")))
        };
        let _ = writeln!(
            out,
            "  {:<width$}  {:<8}  {}{after}",
            escape(&task.name),
            kind,
            escape(&task.description)
        );
    }
    let _ = writeln!(out, "\n{}", style("Pipelines").bold());
    for pipeline in &listing.pipelines {
        let steps = &pipeline.steps;
        let origin = if pipeline.from_policy {
            "perf.toml"
        } else {
            "default"
        };
        let steps = if steps.is_empty() {
            "(empty)".to_owned()
        } else {
            escape(&steps.join(", ")).into_owned()
        };
        let _ = writeln!(
            out,
            "  {:<width$}  {:<8}  {steps}",
            escape(&pipeline.name),
            origin
        );
    }
    out
}

pub fn render_listing_json(listing: &Listing) -> String {
    let document = json!({ "version": REPORT_VERSION, "tasks": listing.tasks, "pipelines": listing.pipelines });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&document).unwrap_or_default()
    )
}
