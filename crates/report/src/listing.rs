//! `cargo perf list`: every task (built-in or custom) and every pipeline.
//! Names and descriptions come from perf.toml, so the human listing escapes them.

use std::fmt::Write as _;

use console::style;
use serde_json::json;

use cargo_perf_engine::{Registry, TaskKind};
use cargo_perf_policy::escape::escape;

pub fn render_listing(registry: &Registry) -> String {
    let width = registry
        .names()
        .map(|n| escape(n).chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(out, "{}", style("Tasks").bold());
    for task in registry.tasks() {
        let kind = match task.kind() {
            TaskKind::Builtin => "built-in",
            TaskKind::Custom => "custom",
        };
        let deps = task.depends_on();
        let after = if deps.is_empty() {
            String::new()
        } else {
            format!(
                " (after {})",
                escape(
                    &deps
                        .iter()
                        .map(|d| d.value.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            )
        };
        let _ = writeln!(
            out,
            "  {:<width$}  {:<8}  {}{after}",
            escape(task.name()),
            kind,
            escape(task.description())
        );
    }
    let _ = writeln!(out, "\n{}", style("Pipelines").bold());
    for pipeline in registry.pipelines() {
        let steps = pipeline
            .steps
            .iter()
            .map(|s| s.value.as_str())
            .collect::<Vec<_>>();
        let origin = if pipeline.name.span.is_some() {
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
            escape(&pipeline.name.value),
            origin
        );
    }
    out
}

pub fn render_listing_json(registry: &Registry) -> String {
    let tasks: Vec<_> = registry
        .tasks()
        .iter()
        .map(|t| {
            json!({
                "name": t.name(),
                "kind": t.kind(),
                "description": t.description(),
                "depends_on": t.depends_on().iter().map(|d| d.value.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let pipelines: Vec<_> = registry
        .pipelines()
        .iter()
        .map(|p| {
            json!({
                "name": p.name.value,
                "steps": p.steps.iter().map(|s| s.value.as_str()).collect::<Vec<_>>(),
                "from_policy": p.name.span.is_some(),
            })
        })
        .collect();
    let document = json!({ "version": cargo_perf_engine::model::REPORT_VERSION, "tasks": tasks, "pipelines": pipelines });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&document).unwrap_or_default()
    )
}
