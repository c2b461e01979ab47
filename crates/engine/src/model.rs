//! The one result model every task reports in: findings a person must act on
//! and metrics that were measured. Every renderer (human, JSON, Markdown, ...)
//! works from these types alone, so a new task needs no renderer changes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Serialize, Serializer};

pub mod code;
pub mod dashboard;
mod format;
pub mod history;
mod listing;
pub mod metric_name;

/// Escaping of text that is not ours for the terminal, shared with the
/// policy's diagnostics (the policy crate is a leaf, so it lives there).
pub use cargo_perf_policy::escape::{escape, escape_lines};
pub use code::{Code, CodeInfo, EngineCode, FindingCode, catalogue};
pub use format::{format_bytes, format_duration, format_value};
pub use listing::{ListedPipeline, ListedTask, Listing};
pub use metric_name::MetricName;

/// The version of the JSON document; bump it on any incompatible change.
pub const REPORT_VERSION: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// Something a person must act on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// A stable kebab-case code `<task>-<name>`, e.g. `command-failed`.
    pub code: Code,
    pub message: String,
    /// A path relative to the workspace root, when the finding is about a file.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "optional_path"
    )]
    pub file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The column (1-based, as rustc counts) on `line`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Finding {
    pub fn new(severity: Severity, code: impl FindingCode, message: impl Into<String>) -> Self {
        Self {
            severity,
            code: code.code(),
            message: message.into(),
            file: None,
            line: None,
            column: None,
            help: None,
        }
    }

    pub fn error(code: impl FindingCode, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    pub fn warning(code: impl FindingCode, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    pub fn info(code: impl FindingCode, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, code, message)
    }

    pub fn file(mut self, file: impl Into<PathBuf>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub fn line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }

    pub fn column(mut self, column: u32) -> Self {
        self.column = Some(column);
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// The unit a metric is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Seconds,
    Nanoseconds,
    Bytes,
    Count,
    Percent,
    Instructions,
}

/// How a metric compares to its budget or baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    Regressed,
    Improved,
    Unchanged,
    Inconclusive,
}

/// A measured number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    /// `<task>.<segment>(.<segment>)*`, see [`MetricName`].
    pub name: MetricName,
    pub value: f64,
    pub unit: Unit,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// How `value` compares with `baseline`, with the interval it is known to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// How a compared benchmark was measured and judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judgement: Option<Judgement>,
}

/// How a verdict was reached: what summarised the samples, on which clock,
/// how many runs each side had, why sampling stopped, and, for an
/// undecided verdict, why and what would decide it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judgement {
    /// `trimmed-mean`, `median`, `harness-summary` or `count`.
    pub estimator: String,
    /// `wall`, `cpu`, `instructions` or `heap`.
    pub clock: String,
    pub runs: usize,
    pub baseline_runs: usize,
    /// Where the baseline's samples come from: `stored` (the history),
    /// `baseline-rev` (the other tree of `--baseline-rev`, measured in this
    /// run) or `re-measured` (the stored baseline's commit, measured again
    /// in this run because its stored runs could not decide).
    pub baseline: String,
    /// Sample i of each side was measured right after the other's sample i
    /// (command benchmarks measured in this run), and the ratio is judged pair by pair.
    pub paired: bool,
    /// Why sampling stopped: `decided`, `precise`, `baseline-limits`,
    /// `max-time`, `max-runs` or `fixed-runs`; absent for harness results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<String>,
    /// How long a fixed calibration loop, timed beside the runs, took in
    /// this run over how long it took beside the baseline's (1.08: the
    /// machine was 8% slower now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration_ratio: Option<f64>,
    /// The largest shift between two stored runs of the same code on this
    /// machine (1.08: 8%), when it was over half the threshold and the
    /// interval of a comparison with stored runs was widened by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_to_run: Option<f64>,
    /// For an inconclusive verdict: why, and the cheapest remedy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undecided: Option<Undecided>,
}

/// Why a comparison could not decide, and what would.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Undecided {
    /// `spread`, `drift`, `baseline-imprecise`, `at-threshold`, `summary-only`
    /// or `run-to-run`.
    pub reason: String,
    /// The reason in words.
    pub why: String,
    /// What to do, in words a user can act on.
    pub remedy: String,
    /// About how long the remedy takes, when it can be estimated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_secs: Option<f64>,
}

/// A measured change: `value / baseline`, and the interval the true ratio
/// lies in (`low <= ratio <= high`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    pub ratio: f64,
    pub low: f64,
    pub high: f64,
    /// The confidence level of the interval (after any correction for many
    /// comparisons); absent when the interval is a worst-case bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

impl Change {
    /// `+12.3% [+8.1%, +16.0%]`.
    pub fn describe(&self) -> String {
        let pct = |r: f64| format!("{:+.1}%", (r - 1.0) * 100.0);
        format!(
            "{} [{}, {}]",
            pct(self.ratio),
            pct(self.low),
            pct(self.high)
        )
    }
}

impl Metric {
    pub fn new(name: MetricName, value: f64, unit: Unit) -> Self {
        Self {
            name,
            value,
            unit,
            budget: None,
            baseline: None,
            verdict: None,
            change: None,
            judgement: None,
        }
    }

    /// Sets a budget and the pass/fail verdict against it (at most the budget passes).
    pub fn budget(mut self, budget: f64) -> Self {
        self.budget = Some(budget);
        self.verdict = Some(if self.value <= budget {
            Verdict::Pass
        } else {
            Verdict::Fail
        });
        self
    }

    pub fn baseline(mut self, baseline: f64) -> Self {
        self.baseline = Some(baseline);
        self
    }

    pub fn verdict(mut self, verdict: Verdict) -> Self {
        self.verdict = Some(verdict);
        self
    }

    pub fn change(mut self, change: Change) -> Self {
        self.change = Some(change);
        self
    }

    pub fn judgement(mut self, judgement: Judgement) -> Self {
        self.judgement = Some(judgement);
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskKind {
    Builtin,
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    /// Ran, and found nothing that fails the policy.
    Passed,
    /// Ran, and a policy check failed (an error finding).
    Failed,
    /// Could not run: a configuration or environment problem.
    Error,
    /// Not run, on purpose (a dependency failed, fail-fast, nothing affected).
    Skipped,
    /// Stopped or never started because of Ctrl-C.
    Cancelled,
}

/// What one task did.
#[derive(Debug, Clone, Serialize)]
pub struct TaskReport {
    pub name: String,
    pub kind: TaskKind,
    pub status: TaskStatus,
    #[serde(rename = "duration_secs", serialize_with = "seconds")]
    pub duration: Duration,
    /// One line on what the task did, for the summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Why the task was skipped, cancelled or could not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub findings: Vec<Finding>,
    pub metrics: Vec<Metric>,
    /// Files the task wrote for the user (reports, flamegraphs).
    #[serde(serialize_with = "paths")]
    pub artifacts: Vec<PathBuf>,
    /// The last lines of output of a command that failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log_tail: Vec<String>,
}

impl TaskReport {
    pub fn new(name: impl Into<String>, kind: TaskKind) -> Self {
        Self {
            name: name.into(),
            kind,
            status: TaskStatus::Passed,
            duration: Duration::ZERO,
            summary: None,
            reason: None,
            findings: Vec::new(),
            metrics: Vec::new(),
            artifacts: Vec::new(),
            log_tail: Vec::new(),
        }
    }

    pub fn not_run(
        name: impl Into<String>,
        kind: TaskKind,
        status: TaskStatus,
        reason: impl Into<String>,
    ) -> Self {
        let mut report = Self::new(name, kind);
        report.status = status;
        report.reason = Some(reason.into());
        report
    }
}

/// The overall outcome of a run, in the order of precedence for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    Failed,
    Error,
    Interrupted,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Passed => crate::exit::SUCCESS,
            Outcome::Failed => crate::exit::CHECK_FAILED,
            Outcome::Error => crate::exit::ERROR,
            Outcome::Interrupted => crate::exit::INTERRUPTED,
        }
    }
}

/// Counts of task statuses, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub error: usize,
    pub skipped: usize,
    pub cancelled: usize,
}

/// Everything one invocation did: the document `--format json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub version: u32,
    pub tool_version: String,
    /// What was asked for: `check`, or the names given to `run`.
    pub command: String,
    #[serde(serialize_with = "path")]
    pub workspace_root: PathBuf,
    /// The policy file in use; `null` when built-in defaults were used.
    #[serde(serialize_with = "optional_path")]
    pub policy: Option<PathBuf>,
    pub outcome: Outcome,
    pub exit_code: u8,
    #[serde(rename = "duration_secs", serialize_with = "seconds")]
    pub duration: Duration,
    pub totals: Totals,
    pub tasks: Vec<TaskReport>,
}

impl RunReport {
    pub fn new(
        command: String,
        workspace_root: PathBuf,
        policy: Option<PathBuf>,
        tasks: Vec<TaskReport>,
        duration: Duration,
        interrupted: bool,
    ) -> Self {
        let mut totals = Totals::default();
        for task in &tasks {
            match task.status {
                TaskStatus::Passed => totals.passed += 1,
                TaskStatus::Failed => totals.failed += 1,
                TaskStatus::Error => totals.error += 1,
                TaskStatus::Skipped => totals.skipped += 1,
                TaskStatus::Cancelled => totals.cancelled += 1,
            }
        }
        let outcome = if interrupted {
            Outcome::Interrupted
        } else if totals.error > 0 {
            Outcome::Error
        } else if totals.failed > 0 {
            Outcome::Failed
        } else {
            Outcome::Passed
        };
        Self {
            version: REPORT_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            command,
            workspace_root,
            policy,
            outcome,
            exit_code: outcome.exit_code(),
            duration,
            totals,
            tasks,
        }
    }
}

/// A path as JSON text: JSON strings are Unicode, so a name that is not
/// UTF-8 shows its other bytes as U+FFFD (the JSON document stays whole
/// rather than failing on one file name).
fn path<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}

fn optional_path<S: Serializer>(path: &Option<PathBuf>, serializer: S) -> Result<S::Ok, S::Error> {
    match path {
        Some(p) => self::path(p, serializer),
        None => serializer.serialize_none(),
    }
}

fn paths<S: Serializer>(paths: &[PathBuf], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(paths.iter().map(|p| p.to_string_lossy()))
}

fn seconds<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((duration.as_secs_f64() * 1000.0).round() / 1000.0)
}
