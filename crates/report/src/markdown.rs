//! The Markdown summary of a run, for a pull-request comment or GitHub's job
//! summary (`$GITHUB_STEP_SUMMARY`): a table of tasks with status and time,
//! then the findings, the output of failed commands, the latency table and
//! the metrics.
//! Control characters in any text are escaped, as in the human summary.

use std::fmt::Write as _;

use cargo_perf_engine::model::{escape, format_duration, format_value};
use cargo_perf_engine::{Outcome, RunReport, Severity, TaskReport, TaskStatus, Verdict};

pub fn render_markdown(report: &RunReport) -> String {
    let mut out = String::new();
    let (icon, word) = match report.outcome {
        Outcome::Passed => ("✅", "passed"),
        Outcome::Failed => ("❌", "failed"),
        Outcome::Error => ("❌", "could not run"),
        Outcome::Interrupted => ("⚠️", "interrupted"),
    };
    let _ = writeln!(
        out,
        "## {icon} `cargo perf {}` {word} in {}\n",
        inline(&report.command),
        format_duration(report.duration)
    );
    if report.tasks.is_empty() {
        let _ = writeln!(out, "Nothing to run: the pipeline has no tasks.");
        return out;
    }
    let _ = writeln!(out, "| Task | Status | Time | Details |");
    let _ = writeln!(out, "|:-----|:-------|-----:|:--------|");
    for task in &report.tasks {
        let time = match task.status {
            TaskStatus::Skipped | TaskStatus::Cancelled if task.duration.is_zero() => String::new(),
            _ => format_duration(task.duration),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {time} | {} |",
            cell(&task.name),
            status(task.status),
            cell(&crate::task_detail(task))
        );
    }
    findings(&mut out, report);
    latency(&mut out, report);
    metrics(&mut out, report);
    out
}

fn status(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Passed => "✅ passed",
        TaskStatus::Failed => "❌ failed",
        TaskStatus::Error => "❌ error",
        TaskStatus::Skipped => "⏭️ skipped",
        TaskStatus::Cancelled => "⚠️ cancelled",
    }
}

fn findings(out: &mut String, report: &RunReport) {
    let tasks: Vec<&TaskReport> = report
        .tasks
        .iter()
        .filter(|t| !t.findings.is_empty() || !t.log_tail.is_empty())
        .collect();
    if tasks.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### Findings\n");
    for task in tasks {
        for finding in &task.findings {
            let icon = match finding.severity {
                Severity::Error => "❌",
                Severity::Warning => "⚠️",
                Severity::Info => "ℹ️",
            };
            let _ = write!(
                out,
                "- {icon} **{}** `{}`: {}",
                severity(finding.severity),
                inline(&crate::finding_title(task, finding)),
                inline(&finding.message)
            );
            if let Some(file) = &finding.file {
                let place = match (finding.line, finding.column) {
                    (Some(line), Some(column)) => format!("{}:{line}:{column}", file.display()),
                    (Some(line), None) => format!("{}:{line}", file.display()),
                    _ => file.display().to_string(),
                };
                let _ = write!(out, " (`{}`)", escape(&place).replace('`', "'"));
            }
            out.push('\n');
            if let Some(help) = &finding.help {
                let _ = writeln!(out, "  - help: {}", inline(help));
            }
        }
        if !task.log_tail.is_empty() {
            let fence = fence_for(&task.log_tail);
            let _ = writeln!(
                out,
                "\n<details><summary>last {} lines of <code>{}</code> output</summary>\n\n{fence}text",
                task.log_tail.len(),
                html(&inline(&task.name))
            );
            for line in &task.log_tail {
                let _ = writeln!(out, "{}", escape(line));
            }
            let _ = writeln!(out, "{fence}\n\n</details>\n");
        }
    }
}

/// `| benchmark | P50 | P95 | P99 | target | status |`, as in the seed report.
fn latency(out: &mut String, report: &RunReport) {
    let rows = crate::latency::rows(report);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### Latency\n");
    let _ = writeln!(out, "| benchmark | P50 | P95 | P99 | target | status |");
    let _ = writeln!(out, "|:----------|----:|----:|----:|:-------|:-------|");
    for row in rows {
        let icon = match row.status {
            crate::latency::Status::OverBudget
            | crate::latency::Status::Verdict(Verdict::Fail | Verdict::Regressed) => "❌ ",
            crate::latency::Status::Verdict(Verdict::Inconclusive) => "⚠️ ",
            crate::latency::Status::None => "",
            crate::latency::Status::Verdict(_) => "✅ ",
        };
        let [p50, p95, p99] = &row.percentiles;
        let _ = writeln!(
            out,
            "| `{}` | {p50} | {p95} | {p99} | {} | {icon}{} |",
            cell(&row.benchmark),
            cell(&row.target),
            row.status.word()
        );
    }
}

fn metrics(out: &mut String, report: &RunReport) {
    // Percentiles are in the latency table.
    let rows: Vec<_> = report
        .tasks
        .iter()
        .flat_map(|t| &t.metrics)
        .filter(|m| !crate::latency::in_table(m))
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### Metrics\n");
    let _ = writeln!(
        out,
        "| Metric | Value | Budget | Baseline | Change | Verdict |"
    );
    let _ = writeln!(
        out,
        "|:-------|------:|-------:|---------:|-------:|:--------|"
    );
    for metric in rows {
        let optional = |v: Option<f64>| v.map(|v| format_value(v, metric.unit)).unwrap_or_default();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            cell(&metric.name),
            format_value(metric.value, metric.unit),
            optional(metric.budget),
            optional(metric.baseline),
            metric.change.map(|c| c.describe()).unwrap_or_default(),
            metric
                .verdict
                .map(|v| format!("{v:?}").to_lowercase())
                .unwrap_or_default()
        );
    }
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// Text safe inside a table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

/// Text safe on one Markdown line (and on a terminal).
fn inline(text: &str) -> String {
    let joined = text
        .split(['\r', '\n'])
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    escape(&joined).into_owned()
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A code fence longer than any run of backticks in `lines`.
fn fence_for(lines: &[String]) -> String {
    let longest = lines
        .iter()
        .flat_map(|l| l.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}
