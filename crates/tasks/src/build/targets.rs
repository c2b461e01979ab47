//! Which targets the task builds: by default what `cargo build` and `cargo
//! test` compile (libs, bins, tests, examples), not benches, which often need
//! nightly; `[build] targets` or `--targets` choose. This turns the choice
//! into cargo's selection flags for a `--workspace` build.

use cargo_perf_engine::workspace::TargetKind;
use cargo_perf_engine::{TaskError, Workspace};
use cargo_perf_policy::BuildTarget;

/// cargo's flags for `targets`. `--lib` is left out when no member has a
/// library, because cargo refuses it then.
pub(crate) fn cargo_args(workspace: &Workspace, targets: &[BuildTarget]) -> Vec<&'static str> {
    if BuildTarget::ALL.iter().all(|kind| targets.contains(kind)) {
        return vec!["--all-targets"];
    }
    targets
        .iter()
        .filter(|kind| **kind != BuildTarget::Lib || has(workspace, TargetKind::Lib))
        .map(|kind| match kind {
            BuildTarget::Lib => "--lib",
            BuildTarget::Bins => "--bins",
            BuildTarget::Tests => "--tests",
            BuildTarget::Benches => "--benches",
            BuildTarget::Examples => "--examples",
        })
        .collect()
}

/// An error when the selection names only kinds no member has: cargo would
/// build its own default selection instead.
pub(crate) fn check(workspace: &Workspace, targets: &[BuildTarget]) -> Result<(), TaskError> {
    let kinds_of = |kind: BuildTarget| -> &[TargetKind] {
        match kind {
            BuildTarget::Lib => &[TargetKind::Lib],
            // `--tests` also builds the libraries and binaries as unit tests.
            BuildTarget::Tests => &[TargetKind::Test, TargetKind::Lib, TargetKind::Bin],
            BuildTarget::Bins => &[TargetKind::Bin],
            BuildTarget::Benches => &[TargetKind::Bench, TargetKind::Lib, TargetKind::Bin],
            BuildTarget::Examples => &[TargetKind::Example],
        }
    };
    if targets
        .iter()
        .any(|kind| kinds_of(*kind).iter().any(|k| has(workspace, *k)))
    {
        return Ok(());
    }
    let names: Vec<&str> = targets.iter().map(|k| k.name()).collect();
    Err(TaskError::new(format!(
        "no workspace member has a target of the kinds selected ({})",
        names.join(", ")
    ))
    .hint("choose kinds the workspace has with `[build] targets` in perf.toml or `--targets`, e.g. `--targets lib,bins,tests,examples`"))
}

/// The selection kind a target belongs to.
pub(crate) fn kind_of(kind: TargetKind) -> Option<BuildTarget> {
    match kind {
        TargetKind::Lib => Some(BuildTarget::Lib),
        TargetKind::Bin => Some(BuildTarget::Bins),
        TargetKind::Test => Some(BuildTarget::Tests),
        TargetKind::Bench => Some(BuildTarget::Benches),
        TargetKind::Example => Some(BuildTarget::Examples),
        TargetKind::BuildScript => None,
    }
}

fn has(workspace: &Workspace, kind: TargetKind) -> bool {
    workspace
        .members
        .iter()
        .any(|m| m.targets.iter().any(|t| t.kind == kind))
}
