//! The tool's own outputs under `<target>/cargo-perf/`, named in one place:
//! the profile task writes them and prunes its runs to `[profile] keep`;
//! the clean task removes what is left over (older runs and their
//! recordings, private target dirs). Neither knows the other's module.

use std::path::{Path, PathBuf};

/// `<target>/cargo-perf`: every output of ours inside the target dir.
pub(crate) fn root(target_dir: &Path) -> PathBuf {
    target_dir.join("cargo-perf")
}

/// Where profile runs go by default, one directory per run.
pub(crate) fn profile_runs(target_dir: &Path) -> PathBuf {
    profile_runs_in(&root(target_dir))
}

/// [`profile_runs`] under our `root` (`<target>/cargo-perf`).
pub(crate) fn profile_runs_in(root: &Path) -> PathBuf {
    root.join("profile")
}

/// A profile run's recording: large, and not needed once the flamegraph
/// and folded stacks are drawn (`--diff` reads the folded stacks).
pub(crate) const RECORDINGS: &[&str] = &["perf.data", "perf.data.old", "callgrind.out"];

/// The target dir `cargo perf profile --diff <rev>` builds the baseline in.
pub(crate) const PROFILE_BASELINE_TARGET: &str = "baseline-target";
/// The target dir `cargo perf bench` builds another revision in
/// (`--baseline-rev`, or a stored baseline's commit measured again).
pub(crate) const BENCH_BASELINE_TARGET: &str = "bench-baseline-target";

/// The target dirs of our own builds, rebuilt when needed: (name, what
/// builds into it).
pub(crate) const PRIVATE_TARGETS: &[(&str, &str)] = &[
    (PROFILE_BASELINE_TARGET, "`cargo perf profile --diff <rev>`"),
    (
        BENCH_BASELINE_TARGET,
        "`cargo perf bench --baseline-rev` and re-measured baselines",
    ),
];

/// The clean-build dir of `cargo perf build --clean`, and the one entry of
/// it that is a report, not a leftover.
pub(crate) const CLEAN_BUILD: &str = "clean-build";
pub(crate) const CLEAN_BUILD_REPORT: &str = "cargo-timings";

/// The order of a run directory's name (`<unix seconds>` or
/// `<unix seconds>-<n>`); `None` for a name we never give.
pub(crate) fn run_order(name: &str) -> Option<(u64, u64)> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (stamp, n) = name.split_once('-').unwrap_or((name, "0"));
    (digits(stamp) && digits(n)).then(|| Some((stamp.parse().ok()?, n.parse().ok()?)))?
}

/// The run directories in `parent` (real directories, never links),
/// oldest first.
pub(crate) fn list_runs(parent: &Path) -> Vec<PathBuf> {
    let mut runs: Vec<((u64, u64), PathBuf)> = std::fs::read_dir(parent)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|entry| {
            let order = run_order(entry.file_name().to_str()?)?;
            Some((order, entry.path()))
        })
        .collect();
    runs.sort();
    runs.into_iter().map(|(_, path)| path).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_we_give_are_runs() {
        assert_eq!(run_order("1700000000"), Some((1_700_000_000, 0)));
        assert_eq!(run_order("1700000000-2"), Some((1_700_000_000, 2)));
        for name in ["", "-1", "12-", "a1", "1-2-3", "baseline", "1 2"] {
            assert_eq!(run_order(name), None, "{name:?}");
        }
    }
}
