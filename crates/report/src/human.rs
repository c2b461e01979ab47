//! The summary a person reads at the end of a run: one line per task, then
//! each finding with where and how to fix it, the output tail of failed
//! commands, the latency table, the metrics, and a verdict line. Every text that is not ours
//! (names, messages, paths, command output) is escaped for the terminal.

use std::fmt::Write as _;

use console::style;

use cargo_perf_engine::model::{escape, format_duration, format_value};
use cargo_perf_engine::{Outcome, RunReport, Severity, TaskReport, TaskStatus, Verdict};

use crate::status::status_mark;

pub fn render_human(report: &RunReport, quiet: bool) -> String {
    let mut out = String::new();
    if quiet && report.outcome == Outcome::Passed {
        return out;
    }
    if report.tasks.is_empty() {
        let _ = writeln!(
            out,
            "{} nothing to run for `{}`: add tasks to perf.toml (see `cargo perf init`)",
            style("note:").cyan().bold(),
            escape(&report.command)
        );
        return out;
    }
    tasks_table(&mut out, report);
    for task in &report.tasks {
        findings(&mut out, task);
    }
    latency(&mut out, report);
    metrics(&mut out, report);
    verdict(&mut out, report);
    out
}

fn tasks_table(out: &mut String, report: &RunReport) {
    let width = report
        .tasks
        .iter()
        .map(|t| escape(&t.name).chars().count())
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "{}",
        style(format!("Summary of `{}`", escape(&report.command))).bold()
    );
    for task in &report.tasks {
        let (glyph, _, colour) = status_mark(task.status);
        let time = match task.status {
            TaskStatus::Skipped | TaskStatus::Cancelled if task.duration.is_zero() => String::new(),
            _ => format_duration(task.duration),
        };
        let detail = crate::task_detail(task);
        // A summary is one line however it is spelled; a reason's later lines
        // are output, shown with the findings.
        let first_line = match task.status {
            TaskStatus::Passed => &detail,
            _ => detail.lines().next().unwrap_or_default(),
        };
        let _ = writeln!(
            out,
            "  {} {:<width$}  {:>7}  {}",
            colour.apply_to(glyph),
            escape(&task.name),
            time,
            style(escape(first_line)).dim()
        );
    }
}

fn findings(out: &mut String, task: &TaskReport) {
    if task.findings.is_empty() && task.log_tail.is_empty() {
        return;
    }
    out.push('\n');
    for finding in &task.findings {
        let code = escape(&finding.code);
        let label = match finding.severity {
            Severity::Error => style(format!("error[{code}]")).red().bold(),
            Severity::Warning => style(format!("warning[{code}]")).yellow().bold(),
            Severity::Info => style(format!("info[{code}]")).cyan().bold(),
        };
        let _ = writeln!(
            out,
            "{label} {}: {}",
            style(escape(&task.name)).bold(),
            escape(&finding.message)
        );
        if let Some(file) = &finding.file {
            let file = file.to_string_lossy();
            let place = match (finding.line, finding.column) {
                (Some(line), Some(column)) => format!(":{line}:{column}"),
                (Some(line), None) => format!(":{line}"),
                _ => String::new(),
            };
            let _ = writeln!(out, "  --> {}{place}", escape(&file));
        }
        if let Some(help) = &finding.help {
            let _ = writeln!(out, "  {} {}", style("= help:").cyan(), escape(help));
        }
    }
    if !task.log_tail.is_empty() {
        let _ = writeln!(
            out,
            "  {}",
            style(format!("last {} lines of output:", task.log_tail.len())).dim()
        );
        for line in &task.log_tail {
            let _ = writeln!(out, "  {} {}", style("│").dim(), escape(line));
        }
    }
}

/// The latency table: a column per percentile, the limits and the status.
fn latency(out: &mut String, report: &RunReport) {
    let rows = crate::latency::rows(report);
    if rows.is_empty() {
        return;
    }
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            let [p50, p95, p99] = r.percentiles.clone();
            [
                escape(&r.benchmark).into_owned(),
                p50,
                p95,
                p99,
                r.target.clone(),
            ]
        })
        .collect();
    let header = ["benchmark", "P50", "P95", "P99", "target"];
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .chain([header[i].len()])
            .max()
            .unwrap_or(0)
    };
    let w = [width(0), width(1), width(2), width(3), width(4)];
    let _ = writeln!(out, "\n{}", style("Latency").bold());
    latency_line(out, &header, &w, "status");
    for (row, cols) in rows.iter().zip(&cells) {
        let word = row.status.word();
        let styled = match row.status {
            crate::latency::Status::OverBudget
            | crate::latency::Status::Verdict(Verdict::Fail | Verdict::Regressed) => {
                style(word).red().bold()
            }
            crate::latency::Status::Verdict(Verdict::Inconclusive) => style(word).yellow(),
            crate::latency::Status::None => style(word).dim(),
            crate::latency::Status::Verdict(_) => style(word).green(),
        };
        latency_line(out, cols, &w, styled);
    }
}

/// One line of the latency table: the name left, the figures right, the
/// target left, then `last` (the status).
fn latency_line(
    out: &mut String,
    cols: &[impl std::fmt::Display; 5],
    w: &[usize; 5],
    last: impl std::fmt::Display,
) {
    let _ = writeln!(
        out,
        "  {:<a$}  {:>b$}  {:>c$}  {:>d$}  {:<e$}  {last}",
        cols[0],
        cols[1],
        cols[2],
        cols[3],
        cols[4],
        a = w[0],
        b = w[1],
        c = w[2],
        d = w[3],
        e = w[4]
    );
}

fn metrics(out: &mut String, report: &RunReport) {
    // Percentiles are in the latency table.
    let rows: Vec<&cargo_perf_engine::Metric> = report
        .tasks
        .iter()
        .flat_map(|t| &t.metrics)
        .filter(|m| !crate::latency::in_table(m))
        .collect();
    if rows.is_empty() {
        return;
    }
    // A name already starts with its task (`build.noop`), and is shown as it is in the JSON.
    let name = |metric: &cargo_perf_engine::Metric| escape(&metric.name).into_owned();
    let name_width = rows
        .iter()
        .map(|m| name(m).chars().count())
        .max()
        .unwrap_or(0);
    let _ = writeln!(out, "\n{}", style("Metrics").bold());
    for metric in rows {
        let mut line = format!(
            "  {:<name_width$}  {:>12}",
            name(metric),
            format_value(metric.value, metric.unit)
        );
        if let Some(budget) = metric.budget {
            let _ = write!(line, "  budget {}", format_value(budget, metric.unit));
        }
        if let Some(baseline) = metric.baseline {
            let _ = write!(line, "  baseline {}", format_value(baseline, metric.unit));
        }
        if let Some(change) = metric.change {
            let _ = write!(line, "  {}", change.describe());
        }
        if let Some(verdict) = metric.verdict {
            let word = format!("{verdict:?}").to_lowercase();
            let styled = match verdict {
                Verdict::Fail | Verdict::Regressed => style(word).red().bold(),
                Verdict::Pass | Verdict::Improved | Verdict::Unchanged => style(word).green(),
                Verdict::Inconclusive => style(word).yellow(),
            };
            let _ = write!(line, "  {styled}");
        }
        let _ = writeln!(out, "{line}");
    }
}

fn verdict(out: &mut String, report: &RunReport) {
    let t = &report.totals;
    let total = report.tasks.len();
    let time = format_duration(report.duration);
    let counts = [
        (t.failed, "failed"),
        (t.error, "could not run"),
        (t.skipped, "skipped"),
        (t.cancelled, "cancelled"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{n} {word}"))
    .collect::<Vec<_>>()
    .join(", ");
    out.push('\n');
    let _ = match report.outcome {
        Outcome::Passed if counts.is_empty() => writeln!(
            out,
            "{} {total} task{} passed in {time}",
            style("✓").green().bold(),
            if total == 1 { "" } else { "s" }
        ),
        Outcome::Passed => writeln!(
            out,
            "{} {} of {total} passed ({counts}) in {time}",
            style("✓").green().bold(),
            t.passed
        ),
        Outcome::Failed => writeln!(
            out,
            "{} {} of {total} passed ({counts}) in {time}",
            style("error:").red().bold(),
            t.passed
        ),
        Outcome::Error => writeln!(
            out,
            "{} {} of {total} passed ({counts}) in {time}",
            style("error:").red().bold(),
            t.passed
        ),
        Outcome::Interrupted => writeln!(
            out,
            "{} interrupted: {} of {total} passed ({counts})",
            style("error:").red().bold(),
            t.passed
        ),
    };
}
