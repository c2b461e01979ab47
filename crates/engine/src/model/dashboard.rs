//! What `cargo perf report` shows, as data: the report task gathers it from
//! the stores the other tasks write (bench history, profile runs, the target
//! dir, the last check) and the report crate draws it as one HTML page or
//! Markdown. Each part is empty or `None` when nothing recorded it yet, and
//! the renderer then names the command that fills it.

use std::path::PathBuf;

use serde::Serialize;

use crate::model::Unit;

/// Everything one report page shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Dashboard {
    /// The workspace's directory name.
    pub workspace: String,
    /// Seconds since the Unix epoch when the report was gathered.
    pub generated: u64,
    /// The commit, branch and machine of the newest data.
    pub source: Source,
    pub bench: BenchData,
    /// The newest profile of each profiled target.
    pub profiles: Vec<ProfileView>,
    pub disk: Option<DiskUsage>,
    /// What `cargo perf clean` would remove now; `None` when it could not
    /// be worked out (a note says why).
    pub reclaim: Option<Reclaim>,
    pub last_check: Option<LastCheck>,
    /// Stored files that could not be read, and why; shown, never fatal.
    pub notes: Vec<String>,
}

/// Where the newest data came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Source {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub dirty: bool,
    /// Seconds since the Unix epoch.
    pub time: Option<u64>,
    /// The machine and toolchain (cpu, cores, os, rustc).
    pub machine: Option<String>,
}

/// The bench history as trends.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BenchData {
    /// The store's directory, relative to the workspace root when inside it.
    pub store: PathBuf,
    /// Stored runs.
    pub runs: usize,
    /// `[bench] threshold`: the smallest change that counts, as a fraction.
    pub threshold: f64,
    pub trends: Vec<Trend>,
}

/// One benchmark across the history, oldest run first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    pub id: String,
    pub unit: Unit,
    /// `[bench.budgets]` for it, in `unit`.
    pub budget: Option<f64>,
    pub points: Vec<TrendPoint>,
    /// The newest run's figures and verdict.
    pub latest: Latest,
}

/// One run's result for a benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrendPoint {
    pub run: u64,
    /// Seconds since the Unix epoch.
    pub time: u64,
    pub median: f64,
    /// The 95% confidence interval of the median (equal to it with one sample).
    pub low: f64,
    pub high: f64,
    pub mark: Mark,
}

/// How a point compares to the run before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    /// No earlier run, or within the threshold, or the intervals overlap.
    Steady,
    Regression,
    Improvement,
}

/// The newest run of a benchmark against its budget and the run before.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latest {
    pub samples: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    /// The run before's median, the default baseline of `cargo perf bench`.
    pub baseline: Option<f64>,
    /// Relative change of the median against `baseline`.
    pub change: Option<f64>,
    pub status: LatestStatus,
}

/// The verdict of a benchmark's newest run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LatestStatus {
    Pass,
    OverBudget,
    Regressed,
    Improved,
    /// The first run: nothing to compare with.
    New,
}

/// A profile run's flamegraph and what its manifest says.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProfileView {
    /// What was profiled (`bench parse`, `bin app`, a command).
    pub target: String,
    /// The run's directory, relative to the workspace root when inside it.
    pub dir: PathBuf,
    pub created: Option<u64>,
    pub commit: Option<String>,
    pub samples: Option<u64>,
    pub unknown_percent: Option<f64>,
    pub truncated_percent: Option<f64>,
    /// (function, percent of samples), highest first.
    pub top_self: Vec<(String, f64)>,
    pub top_inclusive: Vec<(String, f64)>,
    /// inferno's interactive SVG, as written.
    #[serde(skip)]
    pub flamegraph: Option<String>,
    /// The differential flamegraph of `--diff`, when the run made one.
    #[serde(skip)]
    pub diff: Option<String>,
}

/// The target dir's size by profile (`debug`, `release`) and kind
/// (`deps`, `build`, `incremental`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DiskUsage {
    pub target_dir: PathBuf,
    pub total: u64,
    /// (profile, kind, bytes), largest first.
    pub entries: Vec<(String, String, u64)>,
}

/// What `cargo perf clean` would remove under the workspace's `[clean]`:
/// the plan of `cargo perf clean --dry-run`, summed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reclaim {
    /// Bytes the removals free (the dry run's `clean.reclaimable`).
    pub bytes: u64,
    /// Planned removals (the dry run's `clean.removals`).
    pub entries: usize,
    /// By the rule that planned them, in the order clean applies its rules;
    /// rules that plan nothing are left out.
    pub by_rule: Vec<ReclaimPart>,
    /// Whether `[clean]` sets a rule; without one only old outputs of cargo perf go.
    pub rules_set: bool,
    /// What the plan kept or skipped, and why (a profile a running build
    /// holds, a file git tracks, ...): the figure leaves it out.
    pub notes: Vec<String>,
}

/// The removals one rule of `[clean]` plans.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReclaimPart {
    /// `toolchains`, `max-age`, `max-size`, `extra` or `tool-output`.
    pub rule: String,
    /// What the rule removes, for people.
    pub what: String,
    pub entries: usize,
    pub bytes: u64,
}

/// The outcome of the last `cargo perf check`, as its JSON document stored it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LastCheck {
    pub passed: bool,
    /// Seconds since the Unix epoch when it was stored.
    pub time: Option<u64>,
    pub tasks: Vec<CheckedTask>,
}

/// One task of the last check.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CheckedTask {
    pub name: String,
    /// `passed`, `failed`, `skipped`, ...
    pub status: String,
    pub summary: Option<String>,
    pub findings: Vec<CheckedFinding>,
    /// (name, value, unit, budget) of the metrics that have a value.
    pub metrics: Vec<CheckedMetric>,
}

/// A finding of the last check.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CheckedFinding {
    pub severity: String,
    pub code: String,
    pub message: String,
    pub location: Option<String>,
    pub help: Option<String>,
}

/// A metric of the last check.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CheckedMetric {
    pub name: String,
    pub value: f64,
    pub unit: String,
    pub budget: Option<f64>,
}
