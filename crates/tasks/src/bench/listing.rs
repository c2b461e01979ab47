//! `cargo perf bench history [ID]`: reads the store into the engine's
//! [`BenchHistory`] data (every run, one run, or one benchmark's series);
//! the report crate renders it.

use cargo_perf_engine::history::{BenchHistory, HistoryBench, HistoryRun, SkippedFile};
use cargo_perf_engine::{Project, TaskError};

use super::history::RunOutline;
use super::report::unit_named;
use super::stats::median;

/// The history of `project`, narrowed to `id`: a run number or a benchmark name.
pub fn history(project: &Project, id: Option<&str>) -> Result<BenchHistory, TaskError> {
    let store = super::open_store(project)?;
    let relative = |path: &std::path::Path| project.workspace.relative(path).to_owned();
    let exists = store.root().exists();
    let mut out = BenchHistory::new(relative(store.root()), exists);
    if !exists {
        return Ok(out);
    }
    let lock = store.lock()?;
    let (runs, skipped) = store.runs::<RunOutline>(&lock)?;
    drop(lock);
    out.baselines = store.baseline_names();
    out.skipped = skipped
        .into_iter()
        .map(|s| SkippedFile {
            path: relative(&s.path),
            reason: s.reason,
        })
        .collect();
    out.runs = match id {
        None => runs.iter().map(|r| view(r, None)).collect(),
        Some(id) => match id.parse::<u64>() {
            Ok(number) => {
                out.run = Some(number);
                let run = runs.iter().find(|r| r.id == number).ok_or_else(|| {
                    TaskError::new(format!("no run #{number} in the bench history"))
                        .hint("`cargo perf bench history` lists the runs")
                })?;
                vec![view(run, None)]
            }
            Err(_) => {
                out.benchmark = Some(id.to_owned());
                let series: Vec<HistoryRun> = runs
                    .iter()
                    .filter(|r| r.benchmarks.iter().any(|b| b.id == id))
                    .map(|r| view(r, Some(id)))
                    .collect();
                if series.is_empty() {
                    return Err(TaskError::new(format!("no run measured a benchmark named `{id}`"))
                        .hint("give a run number or a benchmark name; `cargo perf bench history` lists the runs"));
                }
                series
            }
        },
    };
    Ok(out)
}

/// A stored run as data, with only the benchmark `only` when given.
fn view(run: &RunOutline, only: Option<&str>) -> HistoryRun {
    let fp = &run.fingerprint;
    HistoryRun {
        id: run.id,
        time: fp.time,
        branch: fp.branch.clone(),
        commit: fp.commit.clone(),
        dirty: fp.dirty,
        fingerprint: serde_json::to_value(fp).unwrap_or_default(),
        benchmarks: run
            .benchmarks
            .iter()
            .filter(|b| only.is_none_or(|name| b.id == name))
            .map(|b| HistoryBench {
                id: b.id.clone(),
                unit: unit_named(&b.unit),
                median: median(&b.samples),
                samples: b.samples.clone(),
            })
            .collect(),
    }
}
