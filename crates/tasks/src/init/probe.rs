//! What `init` checks before it proposes a task, so the policy it writes
//! passes on the workspace it looked at: target sources read for
//! `#![feature]`, `rustc --version`, one `cargo fmt --check` (which compiles
//! nothing), and one `cargo clippy` (a check build, which the first `cargo
//! perf check` then reuses). The tests are not run: they are the user's own
//! verdict on their code, and may take long.

use std::path::Path;

use cargo_perf_engine::Workspace;
use cargo_perf_engine::process::{CommandSpec, run_captured};
use cargo_perf_engine::workspace::TargetKind;

/// What the checks found.
#[derive(Debug, Default)]
pub(crate) struct Probe {
    /// Bench targets whose root file uses `#![feature]`, as `member/target (file)`.
    pub(crate) nightly_benches: Vec<String>,
    /// Other targets (what `cargo test` builds) that use `#![feature]`.
    pub(crate) nightly_others: Vec<String>,
    /// The toolchain cargo runs here is a nightly one (it accepts `#![feature]`).
    pub(crate) nightly_toolchain: bool,
    /// Why `cargo fmt --all -- --check` would fail, if it would.
    pub(crate) fmt_failure: Option<String>,
    /// What clippy said, when it was run (not when other targets need nightly).
    pub(crate) clippy: Option<Clippy>,
    /// The commands the checks ran, to say so.
    pub(crate) ran: Vec<String>,
}

const FMT: &[&str] = &["fmt", "--all", "--", "--check"];

/// What one `cargo clippy` run over the proposed targets said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Clippy {
    /// No warning: the task can deny warnings.
    Clean,
    /// It passes with warnings: denying them would fail the first check.
    Warnings { count: usize, first: String },
    /// It does not pass at all (or cannot run): why.
    Fails(String),
}

pub(crate) fn probe(workspace: &Workspace) -> Probe {
    let mut probe = Probe::default();
    for member in &workspace.members {
        for target in &member.targets {
            if !uses_feature(&target.src_path) {
                continue;
            }
            let shown = format!(
                "{}/{} ({})",
                member.name,
                target.name,
                workspace.relative(&target.src_path).display()
            );
            match target.kind {
                TargetKind::Bench => probe.nightly_benches.push(shown),
                _ => probe.nightly_others.push(shown),
            }
        }
    }
    if !probe.nightly_benches.is_empty() || !probe.nightly_others.is_empty() {
        probe.nightly_toolchain = toolchain_is_nightly(workspace, &mut probe.ran);
    }
    probe.fmt_failure = fmt_failure(workspace, &mut probe.ran);
    let others_need_nightly = !probe.nightly_others.is_empty() && !probe.nightly_toolchain;
    if !others_need_nightly {
        let targets = clippy_targets(workspace, &probe);
        probe.clippy = Some(clippy(workspace, targets, &mut probe.ran));
    }
    probe
}

/// The targets the clippy task checks: every kind, less the benches when
/// they need nightly and the toolchain is stable.
pub(crate) fn clippy_targets(workspace: &Workspace, probe: &Probe) -> &'static str {
    if probe.nightly_benches.is_empty() || probe.nightly_toolchain {
        return "--all-targets";
    }
    let has_lib = workspace
        .members
        .iter()
        .any(|m| m.targets.iter().any(|t| t.kind == TargetKind::Lib));
    if has_lib {
        "--lib --bins --tests --examples"
    } else {
        "--bins --tests --examples"
    }
}

/// Runs clippy once over `targets`, warnings allowed, and reads its verdict
/// from the short message format (`file:line:col: warning: message`).
fn clippy(workspace: &Workspace, targets: &str, ran: &mut Vec<String>) -> Clippy {
    let mut args = vec!["clippy", "--workspace"];
    args.extend(targets.split(' '));
    args.push("--message-format=short");
    let spec = CommandSpec::new(&workspace.cargo)
        .args(&args)
        .cwd(&workspace.root);
    ran.push(format!("cargo {}", args.join(" ")));
    let (finished, _, stderr) = match run_captured(&spec) {
        Ok(done) => done,
        Err(err) => return Clippy::Fails(format!("`cargo clippy` could not run: {err}")),
    };
    let stderr = String::from_utf8_lossy(&stderr);
    // `file:line:col: warning: ...`, `file:line:col: error[E0308]: ...`.
    let diagnostic = |kind: &'static str| {
        let marker = format!(": {kind}");
        stderr
            .lines()
            .filter(move |line| {
                !line.starts_with(kind)
                    && line.match_indices(&marker).any(|(at, _)| {
                        matches!(line.as_bytes().get(at + marker.len()), Some(b':' | b'['))
                    })
            })
            .map(one_line)
    };
    if finished.success() {
        let mut warnings = diagnostic("warning");
        return match warnings.next() {
            None => Clippy::Clean,
            Some(first) => Clippy::Warnings {
                count: 1 + warnings.count(),
                first,
            },
        };
    }
    if stderr.contains("no such command") {
        return Clippy::Fails("clippy is not installed (`rustup component add clippy`)".into());
    }
    let first = diagnostic("error")
        .next()
        .or_else(|| {
            stderr
                .lines()
                .find(|l| l.starts_with("error"))
                .map(one_line)
        })
        .unwrap_or_else(|| finished.describe());
    Clippy::Fails(format!(
        "`cargo clippy` does not pass here (first: {first}); fix that, then uncomment the task"
    ))
}

/// A message on one line, short enough for a comment, without quotes.
fn one_line(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() || c == '"' { ' ' } else { c })
        .take(160)
        .collect();
    text.trim().to_owned()
}

/// Whether `file` has a crate-level `#![feature(...)]` (not one under `cfg_attr`).
fn uses_feature(file: &Path) -> bool {
    std::fs::read_to_string(file).is_ok_and(|text| {
        text.lines()
            .any(|line| line.trim_start().starts_with("#![feature("))
    })
}

/// `rustc --version` from the workspace root (its toolchain file applies) says nightly or dev.
fn toolchain_is_nightly(workspace: &Workspace, ran: &mut Vec<String>) -> bool {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let spec = CommandSpec::new(&rustc)
        .arg("--version")
        .cwd(&workspace.root);
    ran.push("rustc --version".to_owned());
    run_captured(&spec).is_ok_and(|(finished, stdout, _)| {
        let version = String::from_utf8_lossy(&stdout);
        finished.success() && (version.contains("-nightly") || version.contains("-dev"))
    })
}

/// Runs the fmt task's command once; why it failed, if it did.
fn fmt_failure(workspace: &Workspace, ran: &mut Vec<String>) -> Option<String> {
    let spec = CommandSpec::new(&workspace.cargo)
        .args(FMT)
        .cwd(&workspace.root);
    ran.push(format!("cargo {}", FMT.join(" ")));
    let (finished, stdout, stderr) = match run_captured(&spec) {
        Ok(done) => done,
        Err(err) => return Some(format!("`cargo fmt` could not run: {err}")),
    };
    if finished.success() {
        return None;
    }
    let stderr = String::from_utf8_lossy(&stderr);
    let unstable: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("unstable features are only available in nightly"))
        .collect();
    Some(if !unstable.is_empty() {
        format!(
            "the rustfmt config sets options only nightly rustfmt applies ({}), and stable rustfmt formats the workspace differently; run the fmt task with `cargo +nightly fmt`",
            unstable.len()
        )
    } else if stderr.contains("no such command") || stderr.contains("not installed") {
        "rustfmt is not installed (`rustup component add rustfmt`)".to_owned()
    } else if !stdout.is_empty() {
        "the workspace is not formatted yet: run `cargo fmt --all`, then uncomment the task"
            .to_owned()
    } else {
        format!("`cargo fmt --all -- --check` {}", finished.describe())
    })
}
