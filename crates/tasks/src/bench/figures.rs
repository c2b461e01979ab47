//! The figures a benchmark reports beside the location its verdict compares:
//! tail latency (`p50`, `p95`, `p99`, `min`, `max` of the wall times of its
//! runs, or of criterion's per-iteration samples) and a command benchmark's
//! resources (user and system time, max RSS), each judged against its
//! `[bench.budgets]` limit when it has one. Percentiles need samples: a
//! harness that prints one summary (libtest, divan) has none to give.

use std::time::Duration;

use cargo_perf_engine::model::{Metric, MetricName, Unit, format_value};
use cargo_perf_engine::{Finding, TaskContext};
use cargo_perf_policy::{BenchBudget, ByteSize};

use super::codes::BenchCode;
use super::history::BenchRecord;
use super::stats::median;

/// `bench.<id>`: the id is one segment, whatever it holds.
pub(crate) fn metric_name(id: &str) -> MetricName {
    MetricName::task("bench").seg(id)
}

/// The limits `[bench.budgets]` sets on `id` (none when it has no entry).
pub(crate) fn budget_of(
    budgets: &[(cargo_perf_policy::Located<String>, BenchBudget)],
    id: &str,
) -> BenchBudget {
    budgets
        .iter()
        .find(|(name, _)| name.value == id)
        .map(|(_, budget)| *budget)
        .unwrap_or_default()
}

/// The finding for a figure over its budget, naming the figure, its value and the limit.
pub(crate) fn over_budget(id: &str, figure: &str, value: &str, limit: &str) -> Finding {
    Finding::error(
        BenchCode::OverBudget,
        format!("`{id}` {figure} is {value}, over its budget of {limit}"),
    )
    .help(format!(
        "bring it down, or raise `{figure}` in the `[bench.budgets]` entry of `{id}`"
    ))
}

/// The percentiles and resource figures of `bench`, with their budgets.
pub(crate) fn report(cx: &mut TaskContext<'_>, bench: &BenchRecord, budget: &BenchBudget) {
    latency(cx, bench, budget);
    resources(cx, bench, budget);
}

/// Tail latency over the wall-time samples: `p50` is the median, the others
/// nearest-rank percentiles (a time some run took), as the report dashboard
/// computes them.
fn latency(cx: &mut TaskContext<'_>, bench: &BenchRecord, budget: &BenchBudget) {
    if bench.unit != "ns" || bench.samples.len() < 2 {
        return;
    }
    let mut sorted = bench.samples.clone();
    sorted.sort_by(f64::total_cmp);
    let figures = [
        ("p50", median(&sorted), None),
        ("p95", percentile(&sorted, 0.95), budget.p95),
        ("p99", percentile(&sorted, 0.99), budget.p99),
        ("min", sorted[0], None),
        ("max", sorted[sorted.len() - 1], None),
    ];
    for (figure, value, limit) in figures {
        let mut metric = Metric::new(metric_name(&bench.id).seg(figure), value, Unit::Nanoseconds);
        if let Some(limit) = limit {
            let limit = limit.as_nanos() as f64;
            metric = metric.budget(limit);
            if value > limit {
                cx.finding(over_budget(
                    &bench.id,
                    figure,
                    &format_value(value, Unit::Nanoseconds),
                    &format_value(limit, Unit::Nanoseconds),
                ));
            }
        }
        cx.metric(metric);
    }
}

/// Nearest-rank percentile `q` of sorted samples.
pub(crate) fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The user and system time and peak memory of a command benchmark.
fn resources(cx: &mut TaskContext<'_>, bench: &BenchRecord, budget: &BenchBudget) {
    if bench.user_ns.is_empty() {
        return;
    }
    let name = || metric_name(&bench.id);
    cx.metric(Metric::new(
        name().seg("user"),
        median(&bench.user_ns),
        Unit::Nanoseconds,
    ));
    cx.metric(Metric::new(
        name().seg("sys"),
        median(&bench.sys_ns),
        Unit::Nanoseconds,
    ));
    let rss = median(&bench.max_rss_bytes);
    let mut metric = Metric::new(name().seg("max-rss"), rss, Unit::Bytes);
    if let Some(limit) = budget.max_rss {
        metric = metric.budget(limit.0 as f64);
        if rss > limit.0 as f64 {
            cx.finding(over_budget(
                &bench.id,
                "max-rss",
                &ByteSize(rss as u64).to_string(),
                &limit.to_string(),
            ));
        }
    }
    cx.metric(metric);
}

/// A duration as the median's budget finding has always written it.
pub(crate) fn nanos(ns: f64) -> String {
    cargo_perf_policy::units::format_duration(Duration::from_nanos(ns as u64))
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 0.95), 95.0);
        assert_eq!(percentile(&sorted, 0.99), 99.0);
        assert_eq!(percentile(&sorted[..10], 0.95), 10.0);
        assert_eq!(percentile(&[3.0, 7.0], 0.95), 7.0);
        assert_eq!(percentile(&[3.0], 0.5), 3.0);
        assert!(percentile(&[], 0.5).is_nan());
    }
}
