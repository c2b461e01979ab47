//! What one bench run is asked to do: `cargo perf bench`'s flags merged over
//! `[bench]` in one step, so every later step reads one plain struct and
//! never asks which of the two said what.

use cargo_perf_engine::TaskError;
use cargo_perf_policy::{BenchMode, BenchSettings};

use super::history;

/// How `cargo perf bench` was asked to run.
#[derive(Debug, Clone, Default)]
pub struct BenchOptions {
    /// Only benchmarks whose name contains this.
    pub filter: Option<String>,
    /// Store this run as a named baseline.
    pub save_baseline: Option<String>,
    /// Compare with this named baseline instead of the previous run.
    pub baseline: Option<String>,
    /// Only these cargo bench targets (`--bench`); command benchmarks are
    /// skipped, as they are with `-p` (the project's cargo flags).
    pub benches: Vec<String>,
    /// Measure this git revision in a temporary worktree, interleaved with
    /// the working tree, and compare with it.
    pub baseline_rev: Option<String>,
    /// Count instructions under callgrind instead of timing (command benchmarks only).
    pub instructions: bool,
    /// Measure the heap under valgrind's DHAT instead of timing (command benchmarks only).
    pub memory: bool,
}

/// What a run is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Compare {
    /// The latest stored run of this branch, measured the same way.
    Previous,
    /// A baseline saved by name (`--baseline`).
    Named(String),
    /// Another git revision, measured now in a worktree (`--baseline-rev`).
    Revision(String),
}

/// The flags over `[bench]`, with every choice made.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    /// Only benchmarks whose name contains this.
    pub filter: Option<String>,
    /// What command benchmarks measure: `--instructions` or `--memory`,
    /// else `[bench] mode`.
    pub mode: BenchMode,
    pub benches: Vec<String>,
    pub compare: Compare,
    pub save_baseline: Option<String>,
}

impl BenchOptions {
    /// Merges the flags over `policy`; a baseline name that cannot be a file name is an error.
    pub(crate) fn resolve(&self, policy: &BenchSettings) -> Result<Resolved, TaskError> {
        for name in [&self.save_baseline, &self.baseline].into_iter().flatten() {
            if !history::valid_baseline_name(name) {
                return Err(TaskError::new(format!("invalid baseline name `{name}`"))
                    .hint("use letters, digits, `-`, `_` and `.` (e.g. `main`)"));
            }
        }
        let compare = match (&self.baseline_rev, &self.baseline) {
            (Some(rev), _) => Compare::Revision(rev.clone()),
            (None, Some(name)) => Compare::Named(name.clone()),
            (None, None) => Compare::Previous,
        };
        let mode = match (self.instructions, self.memory) {
            (true, true) => {
                return Err(TaskError::new("--instructions and --memory measure different things")
                    .hint("pick one: a run measures one way, and compares with a run measured the same way"));
            }
            (true, false) => BenchMode::Instructions,
            (false, true) => BenchMode::Memory,
            (false, false) => policy.mode,
        };
        Ok(Resolved {
            filter: self.filter.clone(),
            mode,
            benches: self.benches.clone(),
            compare,
            save_baseline: self.save_baseline.clone(),
        })
    }
}
