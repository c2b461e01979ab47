//! The bench history as one trend per benchmark: each run's median with the
//! 95% confidence interval of the median, marked where it moved by more than
//! `[bench] threshold` with intervals that do not overlap; and the newest
//! run's percentiles against its budget and the run before it.

use cargo_perf_engine::dashboard::{BenchData, Latest, LatestStatus, Mark, Trend, TrendPoint};
use cargo_perf_engine::history::{BenchHistory, HistoryBench};
use cargo_perf_engine::{Project, Unit};

/// The trends of every benchmark in `history`, in the order first measured.
pub(super) fn trends(project: &Project, history: &BenchHistory) -> BenchData {
    let bench = &project.policy.bench;
    let mut order: Vec<String> = Vec::new();
    for run in &history.runs {
        for b in &run.benchmarks {
            if !order.contains(&b.id) {
                order.push(b.id.clone());
            }
        }
    }
    let trends = order
        .iter()
        .map(|id| {
            let budget = bench
                .budgets
                .iter()
                .find(|(name, _)| name.value == *id)
                .and_then(|(_, b)| b.median)
                .map(|d| d.as_nanos() as f64);
            trend(history, id, budget, bench.threshold)
        })
        .collect();
    BenchData {
        store: history.store.clone(),
        runs: history.runs.len(),
        threshold: bench.threshold,
        trends,
    }
}

fn trend(history: &BenchHistory, id: &str, budget: Option<f64>, threshold: f64) -> Trend {
    let measured: Vec<(u64, u64, &HistoryBench)> = history
        .runs
        .iter()
        .filter_map(|r| Some((r.id, r.time, r.benchmarks.iter().find(|b| b.id == id)?)))
        .collect();
    let mut points: Vec<TrendPoint> = Vec::with_capacity(measured.len());
    for (run, time, b) in &measured {
        let (low, high) = median_interval(&b.samples, b.median);
        let mut point = TrendPoint {
            run: *run,
            time: *time,
            median: b.median,
            low,
            high,
            mark: Mark::Steady,
        };
        if let Some(before) = points.last() {
            point.mark = mark(before, &point, threshold);
        }
        points.push(point);
    }
    let unit = measured.last().map_or(Unit::Nanoseconds, |m| m.2.unit);
    // A budget is a duration: it applies to time, not to instruction counts.
    let budget = budget.filter(|_| unit == Unit::Nanoseconds);
    let latest = latest(&points, measured.last().map(|m| m.2), budget);
    Trend {
        id: id.to_owned(),
        unit,
        budget,
        points,
        latest,
    }
}

fn mark(before: &TrendPoint, now: &TrendPoint, threshold: f64) -> Mark {
    if before.median <= 0.0 {
        return Mark::Steady;
    }
    let change = now.median / before.median - 1.0;
    let apart = now.low > before.high || now.high < before.low;
    match change {
        c if apart && c > threshold => Mark::Regression,
        c if apart && c < -threshold => Mark::Improvement,
        _ => Mark::Steady,
    }
}

fn latest(points: &[TrendPoint], bench: Option<&HistoryBench>, budget: Option<f64>) -> Latest {
    let mut sorted = bench.map(|b| b.samples.clone()).unwrap_or_default();
    sorted.sort_by(f64::total_cmp);
    let now = points.last();
    let baseline = points.len().checked_sub(2).map(|i| points[i].median);
    let change = baseline
        .zip(now)
        .filter(|(b, _)| *b > 0.0)
        .map(|(b, n)| n.median / b - 1.0);
    let status = match (now, budget) {
        (Some(n), Some(b)) if n.median > b => LatestStatus::OverBudget,
        _ => match now.map(|n| n.mark) {
            _ if baseline.is_none() => LatestStatus::New,
            Some(Mark::Regression) => LatestStatus::Regressed,
            Some(Mark::Improvement) => LatestStatus::Improved,
            _ => LatestStatus::Pass,
        },
    };
    Latest {
        samples: sorted.len(),
        p50: now.map_or(0.0, |n| n.median),
        p95: percentile(&sorted, 0.95),
        p99: percentile(&sorted, 0.99),
        baseline,
        change,
        status,
    }
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The distribution-free 95% interval of the median, between two order
/// statistics (the normal approximation of the binomial ranks).
fn median_interval(samples: &[f64], median: f64) -> (f64, f64) {
    let n = samples.len();
    if n < 2 {
        return (median, median);
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let reach = 1.96 * (n as f64).sqrt() / 2.0;
    let half = n as f64 / 2.0;
    let low = ((half - reach).floor() as usize).clamp(1, n);
    let high = ((half + reach).ceil() as usize + 1).clamp(1, n);
    (sorted[low - 1].min(median), sorted[high - 1].max(median))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(median: f64, low: f64, high: f64) -> TrendPoint {
        TrendPoint {
            run: 1,
            time: 0,
            median,
            low,
            high,
            mark: Mark::Steady,
        }
    }

    #[test]
    fn a_point_is_marked_only_when_it_moved_past_the_threshold_and_the_intervals_part() {
        let before = point(100.0, 95.0, 105.0);
        assert_eq!(
            mark(&before, &point(150.0, 140.0, 160.0), 0.05),
            Mark::Regression
        );
        assert_eq!(
            mark(&before, &point(50.0, 45.0, 55.0), 0.05),
            Mark::Improvement
        );
        assert_eq!(
            mark(&before, &point(150.0, 100.0, 200.0), 0.05),
            Mark::Steady
        );
        assert_eq!(
            mark(&before, &point(103.0, 106.0, 107.0), 0.05),
            Mark::Steady
        );
    }

    #[test]
    fn percentiles_and_interval() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&samples, 0.95), 95.0);
        assert_eq!(percentile(&samples, 0.99), 99.0);
        let (low, high) = median_interval(&samples, 50.5);
        assert!(low < 50.5 && high > 50.5 && low >= 35.0 && high <= 65.0);
        assert_eq!(median_interval(&[3.0], 3.0), (3.0, 3.0));
    }
}
