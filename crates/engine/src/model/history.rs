//! The bench history as data, for `cargo perf bench history`: the bench task
//! reads its store into these types and the report crate renders them (human
//! text or JSON), so the task prints nothing and the renderer reads no file.

use std::path::PathBuf;

use serde::Serialize;

use crate::model::{REPORT_VERSION, Unit};

/// What the store holds, narrowed to what was asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchHistory {
    pub version: u32,
    /// The store's directory, relative to the workspace root when inside it.
    pub store: PathBuf,
    /// `false` before the first `cargo perf bench`; then everything is empty.
    pub exists: bool,
    /// The run asked for (`bench history 3`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<u64>,
    /// The benchmark asked for (`bench history parse`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<String>,
    /// Oldest first: every run, the one asked for, or the runs that measured
    /// the benchmark asked for (holding only that benchmark).
    pub runs: Vec<HistoryRun>,
    /// Names of the saved baselines.
    pub baselines: Vec<String>,
    /// Files of the store that are not readable runs, left as they are.
    pub skipped: Vec<SkippedFile>,
}

impl BenchHistory {
    /// An empty listing of the store at `store`.
    pub fn new(store: PathBuf, exists: bool) -> Self {
        Self {
            version: REPORT_VERSION,
            store,
            exists,
            run: None,
            benchmark: None,
            runs: Vec::new(),
            baselines: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

/// One stored run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryRun {
    pub id: u64,
    /// Seconds since the Unix epoch.
    pub time: u64,
    pub branch: Option<String>,
    pub commit: Option<String>,
    /// Whether tracked files differed from the commit.
    pub dirty: bool,
    /// Everything the run was measured on (commit, toolchain, machine).
    pub fingerprint: serde_json::Value,
    pub benchmarks: Vec<HistoryBench>,
}

/// One benchmark of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryBench {
    pub id: String,
    /// `nanoseconds` or `instructions`.
    pub unit: Unit,
    pub median: f64,
    pub samples: Vec<f64>,
}

/// A file that is not a readable run, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedFile {
    /// Relative to the workspace root when inside it.
    pub path: PathBuf,
    pub reason: String,
}
