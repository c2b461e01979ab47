//! The latency table of a run: one row per benchmark that reported tail
//! latency (metrics `<task>.<id>.p50`, `.p95`, `.p99`), with the limits set
//! on its figures and its status, in the seed report's shape
//! `| benchmark | P50 | P95 | P99 | target | status |`. It is built from
//! the metrics alone, so it shows for any task whose metrics are named so.

use cargo_perf_engine::model::format_value;
use cargo_perf_engine::{Metric, RunReport, Unit, Verdict};

/// The last segments of the metrics a row shows, in column order.
const PERCENTILES: [&str; 3] = ["p50", "p95", "p99"];

/// One benchmark's row.
pub(crate) struct Row {
    pub benchmark: String,
    /// `P50`, `P95`, `P99`, formatted; empty when not reported.
    pub percentiles: [String; 3],
    /// The limits set on the benchmark's figures: `p95 ≤ 5.000 ms`.
    pub target: String,
    pub status: Status,
}

/// How a row's benchmark stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// A figure is over its budget.
    OverBudget,
    /// The verdict of its comparison, or of its budgets.
    Verdict(Verdict),
    /// Neither compared nor budgeted.
    None,
}

impl Status {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Status::OverBudget | Status::Verdict(Verdict::Fail) => "over budget",
            Status::Verdict(Verdict::Pass) => "pass",
            Status::Verdict(Verdict::Regressed) => "regressed",
            Status::Verdict(Verdict::Improved) => "improved",
            Status::Verdict(Verdict::Unchanged) => "unchanged",
            Status::Verdict(Verdict::Inconclusive) => "inconclusive",
            Status::None => "-",
        }
    }
}

/// `(task, benchmark, figure)` of a metric named `<task>.<id>.<figure>`,
/// or `(task, benchmark, None)` for `<task>.<id>`.
fn parts(metric: &Metric) -> Option<(String, String, Option<String>)> {
    let mut segments = metric.name.segments().ok()?.into_iter();
    let task = segments.next()?;
    let id = segments.next()?;
    let figure = segments.next();
    segments.next().is_none().then_some((task, id, figure))
}

/// Whether `metric` is one of the percentiles a row shows.
pub(crate) fn in_table(metric: &Metric) -> bool {
    parts(metric).is_some_and(|(_, _, f)| f.is_some_and(|f| PERCENTILES.contains(&f.as_str())))
}

/// The rows of `report`, in the order the benchmarks were reported.
pub(crate) fn rows(report: &RunReport) -> Vec<Row> {
    let mut rows = Vec::new();
    for task in &report.tasks {
        let mut seen: Vec<String> = Vec::new();
        for metric in task.metrics.iter().filter(|m| in_table(m)) {
            let Some((_, id, _)) = parts(metric) else {
                continue;
            };
            if seen.contains(&id) {
                continue;
            }
            let mine: Vec<(Option<String>, &Metric)> = task
                .metrics
                .iter()
                .filter_map(|m| {
                    let (_, of, figure) = parts(m)?;
                    (of == id).then_some((figure, m))
                })
                .collect();
            rows.push(row(&id, &mine));
            seen.push(id);
        }
    }
    rows
}

/// The row of benchmark `id` from its metrics (each with its figure, `None` for the benchmark's own).
fn row(id: &str, metrics: &[(Option<String>, &Metric)]) -> Row {
    let percentiles = PERCENTILES.map(|p| {
        metrics
            .iter()
            .find(|(f, _)| f.as_deref() == Some(p))
            .map(|(_, m)| format_value(m.value, m.unit))
            .unwrap_or_default()
    });
    let target = metrics
        .iter()
        .filter_map(|(figure, m)| {
            let budget = m.budget?;
            let name = figure.as_deref().unwrap_or(match m.unit {
                Unit::Nanoseconds | Unit::Seconds => "median",
                _ => "value",
            });
            Some(format!("{name} ≤ {}", format_value(budget, m.unit)))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let over = metrics
        .iter()
        .any(|(_, m)| m.verdict == Some(Verdict::Fail));
    let own = metrics
        .iter()
        .find(|(f, _)| f.is_none())
        .and_then(|(_, m)| m.verdict);
    let budgeted = metrics.iter().any(|(_, m)| m.budget.is_some());
    let status = match own {
        _ if over => Status::OverBudget,
        Some(verdict) => Status::Verdict(verdict),
        None if budgeted => Status::Verdict(Verdict::Pass),
        None => Status::None,
    };
    Row {
        benchmark: id.to_owned(),
        percentiles,
        target,
        status,
    }
}
