//! Memory mode (`--memory`, `[bench] mode = "memory"`): each command
//! benchmark runs once under valgrind's DHAT (see `valgrind`), which sees
//! every heap allocation with no change to the code, and its record holds
//! the heap's figures: bytes live at the peak, bytes allocated, allocations.
//! The same program on the same input allocates the same blocks every run,
//! so, as with instruction counts, one run is enough and each figure is
//! compared exactly: its ratio to the baseline's against the threshold.

use std::path::Path;

use cargo_perf_engine::model::{Change, Judgement, Metric, Unit, Verdict};
use cargo_perf_engine::{TaskContext, TaskError};
use cargo_perf_policy::{BenchBudget, ByteSize, CommandBench};

use super::figures::{self, metric_name};
use super::history::{BenchRecord, HeapRecord};
use super::report::Source;
use super::valgrind::{self, Tool};
use super::verdict::{Comparison, classify};

/// The unit of a memory-mode record.
pub(crate) const UNIT: &str = "memory";

/// A heap figure a memory benchmark reports and compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Figure {
    PeakHeap,
    Allocated,
    Allocations,
}

impl Figure {
    const ALL: [Figure; 3] = [Figure::PeakHeap, Figure::Allocated, Figure::Allocations];

    /// The metric's last segment and the budget's key.
    fn name(self) -> &'static str {
        match self {
            Figure::PeakHeap => "peak-heap",
            Figure::Allocated => "allocated",
            Figure::Allocations => "allocations",
        }
    }

    fn unit(self) -> Unit {
        match self {
            Figure::Allocations => Unit::Count,
            _ => Unit::Bytes,
        }
    }

    fn of(self, heap: &HeapRecord) -> u64 {
        match self {
            Figure::PeakHeap => heap.peak_bytes,
            Figure::Allocated => heap.allocated_bytes,
            Figure::Allocations => heap.allocations,
        }
    }

    fn limit(self, budget: &BenchBudget) -> Option<u64> {
        match self {
            Figure::PeakHeap => budget.peak_heap.map(|b| b.0),
            Figure::Allocated => budget.allocated.map(|b| b.0),
            Figure::Allocations => budget.allocations,
        }
    }

    fn format(self, value: u64) -> String {
        match self {
            Figure::Allocations => value.to_string(),
            _ => ByteSize(value).to_string(),
        }
    }
}

/// Measures the heap of every benchmark, one run each.
pub(crate) fn measure_all(
    cx: &mut TaskContext<'_>,
    benches: &[CommandBench],
    root: &Path,
) -> Result<Vec<BenchRecord>, TaskError> {
    valgrind::measure_all(cx, benches, root, Tool::Dhat)
}

/// The record of `bench` from the DHAT files in `dir`, one per process of
/// the command, summed (the peak too: the processes' peaks added up).
pub(crate) fn record(bench: &CommandBench, dir: &Path) -> Result<BenchRecord, TaskError> {
    let name = &bench.name.value;
    let unreadable = |err: String| {
        TaskError::new(format!(
            "cannot read DHAT's heap profile of `{name}`: {err}"
        ))
        .hint("check that valgrind works here: `valgrind --tool=dhat true`")
    };
    let entries = std::fs::read_dir(dir).map_err(|e| unreadable(e.to_string()))?;
    let mut total: Option<HeapRecord> = None;
    for entry in entries.flatten() {
        let bytes = std::fs::read(entry.path()).map_err(|e| unreadable(e.to_string()))?;
        let heap = crate::dhat::parse(&bytes, name).map_err(unreadable)?;
        let sum = total.get_or_insert(HeapRecord {
            peak_bytes: 0,
            allocated_bytes: 0,
            allocations: 0,
        });
        sum.peak_bytes += heap.peak_bytes;
        sum.allocated_bytes += heap.allocated_bytes;
        sum.allocations += heap.allocations;
    }
    let heap = total.ok_or_else(|| unreadable("DHAT wrote no profile".to_owned()))?;
    let mut record = BenchRecord::new(name.clone(), UNIT);
    record.samples = vec![heap.peak_bytes as f64];
    record.heap = Some(heap);
    Ok(record)
}

/// Every heap figure of `current` that the baseline measured too, compared
/// exactly: the ratio of the two counts, against the threshold.
pub(crate) fn compare(
    current: &[BenchRecord],
    base: &[BenchRecord],
    threshold: f64,
) -> Vec<Comparison> {
    let mut out = Vec::new();
    for record in current {
        let Some(now) = record.heap else { continue };
        let Some(then) = base.iter().find(|b| b.id == record.id).and_then(|b| b.heap) else {
            continue;
        };
        for figure in Figure::ALL {
            out.push(exact(
                &record.id,
                figure,
                figure.of(&then),
                figure.of(&now),
                threshold,
            ));
        }
    }
    out
}

fn exact(id: &str, figure: Figure, before: u64, now: u64, threshold: f64) -> Comparison {
    let ratio = match (before, now) {
        (b, n) if b == n => 1.0,
        (0, _) => f64::INFINITY,
        (b, n) => n as f64 / b as f64,
    };
    Comparison {
        id: id.to_owned(),
        baseline_value: before as f64,
        change: Change {
            ratio,
            low: ratio,
            high: ratio,
            confidence: None,
        },
        verdict: classify(ratio, ratio, threshold),
        judgement: Some(Judgement {
            estimator: "count".to_owned(),
            clock: "heap".to_owned(),
            runs: 1,
            baseline_runs: 1,
            baseline: Source::Stored.name().to_owned(),
            paired: false,
            stop: None,
            calibration_ratio: None,
            run_to_run: None,
            undecided: None,
        }),
        figure: Some(figure.name()),
    }
}

/// The metrics `bench.<id>.peak-heap`, `.allocated` and `.allocations`,
/// each with its comparison and its budget.
pub(crate) fn report(
    cx: &mut TaskContext<'_>,
    record: &BenchRecord,
    heap: &HeapRecord,
    comparisons: &[Comparison],
    budget: &BenchBudget,
) {
    for figure in Figure::ALL {
        let value = figure.of(heap);
        let mut metric = Metric::new(
            metric_name(&record.id).seg(figure.name()),
            value as f64,
            figure.unit(),
        );
        let compared = comparisons
            .iter()
            .find(|c| c.id == record.id && c.figure == Some(figure.name()));
        if let Some(c) = compared {
            metric = c.annotate(metric);
        }
        if let Some(limit) = figure.limit(budget) {
            metric.budget = Some(limit as f64);
            let over = value > limit;
            if compared.is_none() {
                metric.verdict = Some(if over { Verdict::Fail } else { Verdict::Pass });
            }
            if over {
                cx.finding(figures::over_budget(
                    &record.id,
                    figure.name(),
                    &figure.format(value),
                    &figure.format(limit),
                ));
            }
        }
        cx.metric(metric);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, allocations: u64) -> BenchRecord {
        let mut r = BenchRecord::new(id, UNIT);
        r.heap = Some(HeapRecord {
            peak_bytes: 4096,
            allocated_bytes: allocations * 16,
            allocations,
        });
        r
    }

    #[test]
    fn figures_compare_exactly() {
        let same = compare(&[record("a", 1000)], &[record("a", 1000)], 0.05);
        assert_eq!(same.len(), 3);
        assert!(same.iter().all(|c| c.verdict == Verdict::Unchanged));
        let doubled = compare(&[record("a", 2000)], &[record("a", 1000)], 0.05);
        let verdict = |name| {
            doubled
                .iter()
                .find(|c| c.figure == Some(name))
                .unwrap()
                .verdict
        };
        assert_eq!(verdict("allocations"), Verdict::Regressed);
        assert_eq!(verdict("allocated"), Verdict::Regressed);
        assert_eq!(verdict("peak-heap"), Verdict::Unchanged);
        // A small change within the threshold is unchanged, exactly.
        let small = compare(&[record("a", 1020)], &[record("a", 1000)], 0.05);
        assert!(small.iter().all(|c| c.verdict == Verdict::Unchanged));
        // Nothing to compare with: no comparison.
        assert!(compare(&[record("a", 1)], &[record("b", 1)], 0.05).is_empty());
        assert_eq!(
            exact("z", Figure::Allocations, 0, 0, 0.05).verdict,
            Verdict::Unchanged
        );
        assert_eq!(
            exact("z", Figure::Allocations, 0, 3, 0.05).verdict,
            Verdict::Regressed
        );
    }
}
