//! Cargo bench targets: which to run, running them with `cargo bench`, and
//! reading what their harness reported (libtest, divan, criterion) into one
//! common shape.

mod criterion;
mod divan;
mod libtest;

use std::path::Path;
use std::time::SystemTime;

use cargo_perf_engine::process::{self, CommandSpec, Stream};
use cargo_perf_engine::workspace::TargetKind;
use cargo_perf_engine::{ChangeScope, Finding, TaskContext, TaskError, Workspace};

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
}

/// A bench target of a workspace member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BenchTarget {
    pub(crate) package: String,
    pub(crate) target: String,
}

/// The bench targets selected by `--bench`, `-p`, `[bench] targets` and the
/// change scope; unknown names are an error listing the known ones.
pub(crate) fn select(
    cx: &TaskContext<'_>,
    benches: &[String],
    packages: &[String],
) -> Result<Vec<BenchTarget>, TaskError> {
    let ws = cx.workspace();
    let all: Vec<BenchTarget> = ws
        .members
        .iter()
        .flat_map(|m| {
            m.targets
                .iter()
                .filter(|t| t.kind == TargetKind::Bench)
                .map(|t| BenchTarget {
                    package: m.name.clone(),
                    target: t.name.clone(),
                })
        })
        .collect();
    for package in packages {
        if ws.member(package).is_none() {
            let names: Vec<&str> = ws.members.iter().map(|m| m.name.as_str()).collect();
            return Err(
                TaskError::new(format!("no workspace member named `{package}`"))
                    .hint(format!("members: {}", names.join(", "))),
            );
        }
    }
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
    for (index, target) in targets.iter().enumerate() {
        cx.step(&format!(
            "[{}/{}] cargo bench -p {} --bench {}",
            index + 1,
            targets.len(),
            target.package,
            target.target
        ));
        let ws = cx.workspace();
        // `tree`: another revision's workspace root and its own target dir.
        let (root, target_dir) = tree.unwrap_or((&ws.root, &ws.target_dir));
        let mut spec = CommandSpec::new(&ws.cargo)
            .args(["bench", "-p", &target.package, "--bench", &target.target])
            .cwd(root);
        if tree.is_some() {
            spec = spec.env("CARGO_TARGET_DIR", target_dir);
        }
        if let Some(filter) = filter {
            spec = spec.args(["--", filter]);
        }
        let started = SystemTime::now();
        let mut stdout = String::new();
        let mut tail = std::collections::VecDeque::new();
        let finished = process::run_split(&spec, |stream, line| {
            if stream == Stream::Stdout {
                stdout.push_str(line);
                stdout.push('\n');
            }
            if tail.len() == cargo_perf_engine::task::LOG_TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(console_free(line));
        })?;
        if cargo_perf_engine::interrupt::is_interrupted() {
            return Err(TaskError::new("interrupted; the history was not changed"));
        }
        if !finished.success() {
            cx.finding(
                Finding::error(
                    "bench-target-failed",
                    format!(
                        "`cargo bench -p {} --bench {}` {}",
                        target.package,
                        target.target,
                        finished.describe()
                    ),
                )
                .help(
                    "it failed to build or panicked; its last lines are below, or run it by hand",
                ),
            );
            cx.log_tail(tail.into());
            continue;
        }
        let mut found = parse_output(&stdout);
        for result in criterion::read(&target_dir.join("criterion"), Some(started)) {
            match result {
                Ok(parsed) => found.push(parsed),
                Err(reason) => cx.finding(Finding::warning("bench-criterion-unreadable", reason)),
            }
        }
        if found.is_empty() {
            cx.finding(
                Finding::warning(
                    "bench-no-results",
                    format!("`{}` ran but reported no benchmark results", target.target),
                )
                .help("cargo-perf reads libtest `#[bench]` lines, divan's table and criterion's files"),
            );
        }
        out.extend(found.into_iter().map(|p| BenchRecord {
            id: format!("{}/{}", target.target, p.id),
            unit: p.unit.to_owned(),
            samples: p.samples,
            spread: p.spread,
            user_ns: Vec::new(),
            sys_ns: Vec::new(),
            max_rss_bytes: Vec::new(),
        }));
    }
    Ok(out)
}

/// libtest and divan results printed on stdout.
pub(crate) fn parse_output(stdout: &str) -> Vec<Parsed> {
    let mut found = libtest::parse(stdout);
    found.extend(divan::parse(stdout));
    found
}

fn console_free(line: &str) -> String {
    line.chars()
        .filter(|c| !c.is_control() || *c == '\t')
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn fixture(rel: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/bench")
            .join(rel)
    }

    #[test]
    fn libtest_fixture() {
        let text = std::fs::read_to_string(fixture("libtest.txt")).unwrap();
        let found = super::parse_output(&text);
        let ids: Vec<&str> = found.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            ["tests::parse_small", "tests::parse_large", "tests::decimal"]
        );
        assert_eq!(found[1].samples, [123_456.0]);
        assert_eq!(found[1].spread, Some(7890.0));
        assert_eq!(found[2].samples, [12.34]);
    }

    #[test]
    fn divan_fixture() {
        let text = std::fs::read_to_string(fixture("divan.txt")).unwrap();
        let found = super::parse_output(&text);
        let ids: Vec<&str> = found.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "parse/fibonacci",
                "parse/lines/10",
                "parse/lines/1000",
                "parse/sum"
            ]
        );
        assert!((found[0].samples[0] - 1318.0).abs() < 1e-6);
        assert!((found[3].samples[0] - 105.6e6).abs() < 1.0);
        assert!((found[1].spread.unwrap() - (60.4 - 52.1) / 2.0).abs() < 1e-9);
    }

    #[test]
    fn criterion_fixtures_in_every_spelling() {
        let found: Vec<_> = super::criterion::read(&fixture("criterion"), None)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let ids: Vec<&str> = found.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["parse/current", "parse/v03/64", "v02"]);
        assert_eq!(found[0].samples, [100.0, 105.0, 2900.0 / 30.0, 100.0]);
        assert_eq!(found[2].samples, [100.0, 100.0]);
    }
}
