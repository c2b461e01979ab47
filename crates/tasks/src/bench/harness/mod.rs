//! Cargo bench targets: which to run, running them with `cargo bench` (through
//! the engine's process layer, so Ctrl-C stops the build and the harness), and
//! reading what their harness reported (libtest, divan, criterion) into one
//! common shape.

mod criterion;
mod divan;
mod libtest;
pub(crate) mod pairs;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use cargo_perf_engine::process::{self, CommandSpec, Stream};
use cargo_perf_engine::tail::OutputTail;
use cargo_perf_engine::workspace::TargetKind;
use cargo_perf_engine::{
    CargoCall, ChangeScope, Finding, FindingCode as _, TaskContext, TaskError, Workspace,
};

use super::codes::BenchCode;
use super::history::BenchRecord;

/// One benchmark as a harness reported it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    pub(crate) id: String,
    pub(crate) unit: &'static str,
    /// Per-iteration times (criterion), or the one median the harness printed.
    pub(crate) samples: Vec<f64>,
    /// For summary-only harnesses: how far the harness saw samples spread.
    pub(crate) spread: Option<f64>,
    /// For summary-only harnesses: the standard error of the printed value
    /// within this run, estimated from the spread (see each parser).
    pub(crate) standard_error: Option<f64>,
}

/// A bench target of a workspace member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BenchTarget {
    pub(crate) package: String,
    /// The package as cargo is told it: `name@version`, never ambiguous.
    pub(crate) spec: String,
    pub(crate) target: String,
}

/// The bench targets selected by `--bench`, `-p`, `--exclude`, `[bench]
/// targets` and the change scope; unknown names are an error listing the known ones.
pub(crate) fn select(
    cx: &TaskContext<'_>,
    benches: &[String],
) -> Result<Vec<BenchTarget>, TaskError> {
    let ws = cx.workspace();
    let cargo = &cx.project.cargo;
    let lock = lock_file(ws, cargo);
    let packages: Vec<String> = cargo
        .packages(ws)?
        .unwrap_or_default()
        .iter()
        .map(|m| m.name.clone())
        .collect();
    let all: Vec<BenchTarget> = ws
        .members
        .iter()
        .filter(|m| !cargo.excludes(m))
        .flat_map(|m| {
            m.targets
                .iter()
                .filter(|t| t.kind == TargetKind::Bench)
                .map(|t| BenchTarget {
                    package: m.name.clone(),
                    spec: m.spec_in(&lock),
                    target: t.name.clone(),
                })
        })
        .collect();
    let policy_targets: Vec<String> = cx
        .policy()
        .bench
        .targets
        .iter()
        .map(|t| t.value.clone())
        .collect();
    let wanted = if benches.is_empty() {
        &policy_targets
    } else {
        benches
    };
    for name in wanted {
        if !all.iter().any(|t| &t.target == name) {
            let names: Vec<&str> = all.iter().map(|t| t.target.as_str()).collect();
            return Err(
                TaskError::new(format!("no bench target named `{name}`")).hint(
                    if names.is_empty() {
                        "the workspace has no bench targets (`benches/*.rs`)".to_owned()
                    } else {
                        format!("bench targets: {}", names.join(", "))
                    },
                ),
            );
        }
    }
    Ok(all
        .into_iter()
        .filter(|t| wanted.is_empty() || wanted.contains(&t.target))
        .filter(|t| packages.is_empty() || packages.contains(&t.package))
        .filter(|t| {
            cx.project
                .scope
                .as_ref()
                .is_none_or(|s| affected(s, ws, &t.package))
        })
        .collect())
}

/// The workspace's `Cargo.lock`, which says whether a member's published
/// copy is among the dependencies (and so how cargo must be told the
/// member). Without one, cargo's resolve writes it, as `cargo bench` would.
fn lock_file(ws: &Workspace, cargo: &cargo_perf_engine::CargoOptions) -> String {
    let path = ws.root.join("Cargo.lock");
    if !path.is_file() {
        // A failing resolve fails `cargo bench` too, which reports it.
        let _ = cargo_perf_engine::resolve::DependencyGraph::resolve(ws, cargo);
    }
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Whether a change in `scope` can change `package`'s benchmarks: it or a
/// workspace member it depends on (directly or not) changed.
pub(crate) fn affected(scope: &ChangeScope, ws: &Workspace, package: &str) -> bool {
    let mut seen = std::collections::BTreeSet::new();
    let mut stack = vec![package.to_owned()];
    while let Some(name) = stack.pop() {
        if scope.affects_member(&name) {
            return true;
        }
        if let Some(member) = ws.member(&name) {
            for dep in &member.workspace_dependencies {
                if seen.insert(dep.clone()) {
                    stack.push(dep.clone());
                }
            }
        }
    }
    false
}

/// Runs every target with `cargo bench` and reads its results. A target that
/// fails to build or panics is an error finding with its output.
pub(crate) fn run_all(
    cx: &mut TaskContext<'_>,
    targets: &[BenchTarget],
    filter: Option<&str>,
    tree: Option<(&Path, &Path)>,
) -> Result<Vec<BenchRecord>, TaskError> {
    let mut out = Vec::new();
    let packages = packages_in(cx, tree)?;
    for (index, target) in targets.iter().enumerate() {
        let run = Run {
            target,
            package: packages.get(&target.package).unwrap_or(&target.spec),
            filter,
            tree,
            extra: &[],
            failed: BenchCode::TargetFailed,
        };
        cx.step(&format!(
            "[{}/{}] {}",
            index + 1,
            targets.len(),
            bench_command(cx, &run).display()
        ));
        // Calibrated before and after, for the verdict's check of the machine's speed.
        let calibrating = cx.policy().bench.calibrate;
        let mut calibration = calibrate(calibrating);
        let Some(found) = run_once(cx, &run)? else {
            continue;
        };
        calibration.extend(calibrate(calibrating));
        out.extend(found.into_iter().map(|p| {
            let mut record = p.into_record(&target.target);
            record.calibration_wall_ns = calibration.iter().map(|c| c.wall_ns).collect();
            record.calibration_cpu_ns = calibration.iter().map(|c| c.cpu_ns).collect();
            record
        }));
    }
    Ok(out)
}

/// Each member's package spec in `tree` (another revision's workspace root
/// and target dir), whose versions may differ from the working tree's;
/// empty for the working tree.
pub(crate) fn packages_in(
    cx: &TaskContext<'_>,
    tree: Option<(&Path, &Path)>,
) -> Result<BTreeMap<String, String>, TaskError> {
    match tree {
        Some((root, _)) => specs_in(cx, root),
        None => Ok(BTreeMap::new()),
    }
}

/// One `cargo bench` of one target.
pub(crate) struct Run<'a> {
    pub(crate) target: &'a BenchTarget,
    /// The package as cargo is told it in the tree run.
    pub(crate) package: &'a str,
    pub(crate) filter: Option<&'a str>,
    /// Another revision's workspace root and its own target dir.
    pub(crate) tree: Option<(&'a Path, &'a Path)>,
    /// Arguments for the harness after the filter.
    pub(crate) extra: &'a [&'a str],
    /// The code a failure is reported with (and its severity).
    pub(crate) failed: BenchCode,
}

impl Parsed {
    /// The history's record of this result of `target`.
    pub(crate) fn into_record(self, target: &str) -> BenchRecord {
        let mut record = BenchRecord::new(format!("{target}/{}", self.id), self.unit);
        record.samples = self.samples;
        record.spread = self.spread;
        record.standard_error = self.standard_error;
        record
    }
}

/// Runs one target once and reads what its harness reported; `None` when
/// it failed (an error finding with its last lines says so).
pub(crate) fn run_once(
    cx: &mut TaskContext<'_>,
    run: &Run<'_>,
) -> Result<Option<Vec<Parsed>>, TaskError> {
    let spec = bench_command(cx, run);
    let target_dir = run
        .tree
        .map_or(cx.workspace().target_dir.clone(), |(_, dir)| dir.to_owned());
    let started = SystemTime::now();
    let mut stdout = String::new();
    let mut tail = OutputTail::new();
    let finished = process::run_split(&spec, |stream, line| {
        cx.output(line);
        if stream == Stream::Stdout {
            stdout.push_str(line);
            stdout.push('\n');
        }
        tail.push(line);
    })?;
    if cargo_perf_engine::interrupt::is_interrupted() {
        return Err(TaskError::new("interrupted; the history was not changed"));
    }
    if let Some(left) = &finished.leftover {
        cx.finding(left.finding(BenchCode::LeftoverProcesses, &spec.display()));
    }
    if !finished.success() {
        let help = match run.failed {
            BenchCode::RemeasureFailed => {
                "the stored baseline's commit could not run it (its last lines are below), so the verdict against its stored runs stands"
            }
            _ => "it failed to build or panicked; its last lines are below, or run it by hand",
        };
        cx.finding(
            Finding::new(
                run.failed.severity(),
                run.failed,
                format!(
                    "`cargo bench -p {} --bench {}` {}",
                    run.package,
                    run.target.target,
                    finished.describe()
                ),
            )
            .help(help),
        );
        cx.log_tail(tail.into_lines());
        return Ok(None);
    }
    let mut found = parse_output(&stdout);
    for result in criterion::read(&target_dir.join("criterion"), Some(started)) {
        match result {
            Ok(parsed) => found.push(parsed),
            Err(reason) => cx.finding(Finding::warning(BenchCode::CriterionUnreadable, reason)),
        }
    }
    if found.is_empty() {
        cx.finding(
            Finding::warning(
                BenchCode::NoResults,
                format!(
                    "`{}` ran but reported no benchmark results",
                    run.target.target
                ),
            )
            .help("cargo-perf reads libtest `#[bench]` lines, divan's table and criterion's files"),
        );
    }
    Ok(Some(found))
}

/// Calibration measurements beside a harness run (which times itself, on
/// one thread).
fn calibrate(on: bool) -> Vec<super::calibration::Calibration> {
    let count = if on { CALIBRATIONS } else { 0 };
    (0..count)
        .map(|_| super::calibration::measure(1, CALIBRATION_STEPS))
        .collect()
}

/// How many calibration measurements are taken before and after a target
/// runs, and how long each is (about 3 ms).
const CALIBRATIONS: usize = 15;
const CALIBRATION_STEPS: u64 = 10 * super::calibration::MIN_STEPS;

/// `cargo bench -p name@version --bench target` with the run's cargo flags;
/// in another revision's tree, into that tree's own target dir.
fn bench_command(cx: &TaskContext<'_>, run: &Run<'_>) -> CommandSpec {
    let ws = cx.workspace();
    let mut cargo = cx.project.cargo.clone();
    if let Some((_, dir)) = run.tree {
        cargo = cargo.with_target_dir(dir);
    }
    let mut spec = CommandSpec::new(&ws.cargo)
        .args(["bench", "-p", run.package, "--bench", &run.target.target])
        .cwd(run.tree.map_or(ws.root.as_path(), |(root, _)| root));
    if let Some((_, dir)) = run.tree {
        // The harness finds its target dir here too (criterion writes its
        // files there), and an environment's own must not win over it.
        spec = spec.env("CARGO_TARGET_DIR", dir);
    }
    let spec = cargo.apply(spec, CargoCall::Compile);
    let harness_args: Vec<&str> = run
        .filter
        .into_iter()
        .chain(run.extra.iter().copied())
        .collect();
    if harness_args.is_empty() {
        spec
    } else {
        spec.arg("--").args(harness_args)
    }
}

/// Each member's `name@version` in the workspace at `root` (another
/// revision, whose versions may differ from the working tree's).
fn specs_in(cx: &TaskContext<'_>, root: &Path) -> Result<BTreeMap<String, String>, TaskError> {
    let tree = Workspace::discover(root, None, &cx.project.cargo).map_err(|err| {
        TaskError::new(format!(
            "cannot read the workspace of the other revision: {err}"
        ))
        .hint(err.hint())
    })?;
    Ok(tree
        .members
        .iter()
        .map(|m| (m.name.clone(), m.spec()))
        .collect())
}

/// libtest and divan results printed on stdout.
pub(crate) fn parse_output(stdout: &str) -> Vec<Parsed> {
    let mut found = libtest::parse(stdout);
    found.extend(divan::parse(stdout));
    found
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn fixture(rel: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/bench")
            .join(rel)
    }

    /// `(id, first sample, spread)` of each result.
    fn summary(found: &[super::Parsed]) -> Vec<(&str, f64, Option<f64>)> {
        found
            .iter()
            .map(|p| (p.id.as_str(), p.samples[0], p.spread))
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn libtest_recording() {
        let text = std::fs::read_to_string(fixture("libtest.txt")).unwrap();
        let found = super::parse_output(&text);
        assert_eq!(
            summary(&found),
            [
                ("empty", 0.27, Some(0.01)),
                ("fibonacci", 3.88, Some(0.32)),
                ("parse::digits_10", 25.84, Some(1.95)),
                // Thousands separators and decimals together.
                ("parse::digits_100000", 251_601.62, Some(2_756.92)),
            ]
        );
        assert!(found.iter().all(|p| p.samples.len() == 1 && p.unit == "ns"));
    }

    #[test]
    fn divan_recording() {
        let text = std::fs::read_to_string(fixture("divan.txt")).unwrap();
        let found = super::parse_output(&text);
        let ids: Vec<&str> = found.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "parse/digits/10",
                "parse/digits/1000",
                "parse/fibonacci",
                "parse/collect/BTreeSet<u32>",
                "parse/collect/Vec<u32>",
                "parse/collections/sleep_1ms",
                "parse/collections/sort_1000",
            ]
        );
        // The median column, in ns, whatever unit divan printed it in.
        let medians: Vec<f64> = found.iter().map(|p| p.samples[0]).collect();
        let expected = [54.57, 2_653.0, 3.591, 302.7, 13.8, 1_067_000.0, 6_549.0];
        for (got, want) in medians.iter().zip(expected) {
            assert!(close(*got, want), "{medians:?}");
        }
        // Half the fastest..slowest range: 2.642 µs .. 3.911 ms.
        assert!(close(
            found[1].spread.unwrap(),
            (3_911_000.0 - 2_642.0) / 2.0
        ));
        assert!(close(found[0].spread.unwrap(), (54.82 - 52.46) / 2.0));
    }

    #[test]
    fn criterion_stdout_is_not_mistaken_for_results() {
        let text = std::fs::read_to_string(fixture("criterion-0.8.2-stdout.txt")).unwrap();
        assert_eq!(super::parse_output(&text), []);
    }

    /// Every recorded criterion version: ids from `benchmark.json`, and one
    /// sample per `(iters, times)` pair of `sample.json`, in file order.
    #[test]
    fn criterion_recordings_of_every_version() {
        /// `(id, first iters, first time, last iters, last time)`.
        type Expected = (&'static str, f64, f64, f64, f64);
        let cases: [(&str, [Expected; 3]); 4] = [
            (
                "0.8.2",
                [
                    ("fibonacci", 43948.0, 167539.0, 4394800.0, 16967808.0),
                    ("parse/digits/10", 7663.0, 196471.0, 766300.0, 19740734.0),
                    ("parse/digits/1000", 79.0, 197724.0, 7900.0, 19880862.0),
                ],
            ),
            (
                "0.3.6",
                [
                    ("fibonacci", 30824.0, 120349.0, 3082400.0, 12162688.0),
                    ("parse/digits/10", 5786.0, 164034.0, 578600.0, 14869024.0),
                    ("parse/digits/1000", 76.0, 206907.0, 7600.0, 19201884.0),
                ],
            ),
            (
                "0.3.0",
                [
                    ("fibonacci", 45323.0, 175410.0, 4532300.0, 17804511.0),
                    ("parse/digits/10", 7166.0, 204744.0, 716600.0, 26502007.0),
                    ("parse/digits/1000", 52.0, 130293.0, 5200.0, 23352683.0),
                ],
            ),
            (
                "0.2.11",
                [
                    ("fibonacci", 43032.0, 206016.0, 4303200.0, 16976702.0),
                    ("parse/digits/10", 6898.0, 176382.0, 689800.0, 47533826.0),
                    ("parse/digits/1000", 50.0, 125226.0, 5000.0, 23407786.0),
                ],
            ),
        ];
        for (version, expected) in cases {
            let found: Vec<_> =
                super::criterion::read(&fixture(&format!("criterion/{version}")), None)
                    .into_iter()
                    .map(Result::unwrap)
                    .collect();
            assert_eq!(found.len(), 3, "{version}: {found:?}");
            for (parsed, (id, n0, t0, n1, t1)) in found.iter().zip(expected) {
                assert_eq!(parsed.id, id, "{version}");
                assert_eq!(parsed.samples.len(), 100, "{version} {id}");
                assert_eq!(parsed.samples[0], t0 / n0, "{version} {id}");
                assert_eq!(parsed.samples[99], t1 / n1, "{version} {id}");
                assert_eq!(parsed.spread, None);
            }
        }
    }
}
