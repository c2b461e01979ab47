//! What `init` checks before it proposes a task, so the policy it writes
//! passes on the workspace it looked at: cheap checks only (reading target
//! sources for `#![feature]`, `rustc --version`, and one `cargo fmt --check`,
//! which compiles nothing). Clippy and the tests are not tried: that would
//! build the whole workspace.

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
    /// The commands the checks ran, to say so.
    pub(crate) ran: Vec<String>,
}

const FMT: &[&str] = &["fmt", "--all", "--", "--check"];

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
    probe
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
