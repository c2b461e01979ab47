//! The build-script audit: scripts that rerun on every build (a watched path
//! that does not exist), that print no `rerun-if-*` line (they rerun whenever
//! any file of their package changes), that watch an environment variable
//! whose value changes, or that write into the source tree; and source files
//! dated in the future (cargo sees them as changed until that time comes).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use cargo_perf_engine::workspace::TargetKind;
use cargo_perf_engine::{Finding, Workspace};

use super::cargo::{BuildOutput, Script};
use super::codes::BuildCode;
use super::tree::Changes;

/// What a build script told cargo to watch, from its `output` file.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Watches {
    pub paths: Vec<String>,
    pub env: Vec<String>,
}

pub(crate) fn parse_watches(output: &str) -> Watches {
    let mut watches = Watches::default();
    for line in output.lines() {
        let Some(rest) = line
            .strip_prefix("cargo::")
            .or_else(|| line.strip_prefix("cargo:"))
        else {
            continue;
        };
        if let Some(path) = rest.strip_prefix("rerun-if-changed=") {
            watches.paths.push(path.to_owned());
        } else if let Some(var) = rest.strip_prefix("rerun-if-env-changed=") {
            watches.env.push(var.to_owned());
        }
    }
    watches
}

/// Audits the build scripts of workspace members that `build` reported.
pub(crate) fn scripts(workspace: &Workspace, build: &BuildOutput) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut seen = BTreeSet::new();
    for Script { package, out_dir } in &build.scripts {
        let Some(member) = workspace.member(package) else {
            continue;
        };
        if !seen.insert(package) {
            continue;
        }
        let Some(output) = out_dir
            .parent()
            .and_then(|dir| std::fs::read_to_string(dir.join("output")).ok())
        else {
            continue;
        };
        let script = member
            .targets
            .iter()
            .find(|t| t.kind == TargetKind::BuildScript)
            .map(|t| t.src_path.clone())
            .unwrap_or_else(|| member.dir.join("build.rs"));
        let script_rel = workspace.relative(&script).to_owned();
        let source = std::fs::read_to_string(&script).unwrap_or_default();
        let watches = parse_watches(&output);
        if watches.paths.is_empty() && watches.env.is_empty() {
            findings.push(
                Finding::warning(
                    BuildCode::NoRerunIf,
                    format!(
                        "the build script of `{package}` prints no `rerun-if-changed` or `rerun-if-env-changed` line, so it reruns whenever any file of the package changes"
                    ),
                )
                .file(&script_rel)
                .help("print what it reads, e.g. `println!(\"cargo::rerun-if-changed=build.rs\");` (and one line per input file)"),
            );
        }
        for path in &watches.paths {
            if member.dir.join(path).exists() {
                continue;
            }
            let mut finding = Finding::error(
                BuildCode::RerunIfChangedMissing,
                format!(
                    "the build script of `{package}` watches `{path}`, which does not exist, so it reruns on every build"
                ),
            )
            .file(&script_rel)
            .help(format!(
                "create `{}`, fix the path (relative to the package directory), or remove the `rerun-if-changed` line",
                workspace.relative(&member.dir.join(path)).display()
            ));
            if let Some(line) = line_of(&source, path) {
                finding = finding.line(line);
            }
            findings.push(finding);
        }
    }
    findings
}

/// Env variables cargo said changed: from the no-op build an error (the value
/// changes between back-to-back builds), from the first build a warning.
pub(crate) fn env_changes(build: &BuildOutput, between_identical_builds: bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    for dirty in &build.dirty {
        let Some(var) = dirty
            .reason
            .strip_prefix("the env variable ")
            .and_then(|rest| rest.strip_suffix(" changed"))
        else {
            continue;
        };
        let package = &dirty.package;
        let finding = if between_identical_builds {
            Finding::error(
                BuildCode::VolatileEnv,
                format!(
                    "`{package}` watches the environment variable {var}, whose value changed between two identical builds, so it rebuilds every time"
                ),
            )
        } else {
            Finding::warning(
                BuildCode::EnvChanged,
                format!(
                    "`{package}` rebuilt because the environment variable {var} changed since the last build"
                ),
            )
        };
        findings.push(finding.help(format!(
            "if {var} changes on every build (a timestamp, a random or per-shell value), stop watching it (`rerun-if-env-changed`, `env!`) or keep its value stable"
        )));
    }
    findings
}

/// Files a build created or modified in the source tree.
pub(crate) fn source_writes(workspace: &Workspace, changes: &Changes) -> Vec<Finding> {
    changes
        .created
        .iter()
        .map(|p| (p, "created"))
        .chain(changes.modified.iter().map(|p| (p, "modified")))
        .map(|(path, what)| {
            let owner = workspace
                .members
                .iter()
                .filter(|m| path.starts_with(&m.dir))
                .max_by_key(|m| m.dir.components().count());
            let who = match owner {
                Some(m) if m.targets.iter().any(|t| t.kind == TargetKind::BuildScript) => {
                    format!("the build script of `{}`", m.name)
                }
                _ => "the build (a build script or procedural macro)".to_owned(),
            };
            Finding::error(
                BuildCode::WritesSource,
                format!("{who} {what} a file in the source tree"),
            )
            .file(workspace.relative(path))
            .help("write generated files to `OUT_DIR` (`std::env::var(\"OUT_DIR\")`) instead; `cargo publish` rejects packages whose build modifies their sources")
        })
        .collect()
}

/// Source files dated in the future.
pub(crate) fn future_files(workspace: &Workspace, files: &[(PathBuf, Duration)]) -> Vec<Finding> {
    files
        .iter()
        .map(|(path, ahead)| {
            let rel = workspace.relative(path);
            Finding::error(
                BuildCode::FutureMtime,
                format!(
                    "the modification time of this file is {} in the future, so cargo sees it as changed on every build until then",
                    cargo_perf_policy::units::format_duration(*ahead)
                ),
            )
            .file(rel)
            .help(format!(
                "set it to now (content unchanged): `touch {}`; check the clock of the machine that wrote it",
                rel.display()
            ))
        })
        .collect()
}

fn line_of(source: &str, needle: &str) -> Option<u32> {
    source
        .lines()
        .position(|line| line.contains(needle))
        .map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::cargo::Dirty;

    #[test]
    fn reads_both_directive_syntaxes() {
        let w = parse_watches(
            "cargo:rerun-if-changed=a.txt\ncargo::rerun-if-env-changed=STAMP\ncargo:rustc-cfg=x\n",
        );
        assert_eq!(w.paths, ["a.txt"]);
        assert_eq!(w.env, ["STAMP"]);
    }

    #[test]
    fn env_reasons_become_findings() {
        let build = BuildOutput {
            dirty: vec![Dirty {
                package: "a".into(),
                reason: "the env variable MY_STAMP changed".into(),
            }],
            ..BuildOutput::default()
        };
        let error = &env_changes(&build, true)[0];
        assert_eq!(error.code, "build-volatile-env");
        assert!(
            error
                .message
                .contains("`a` watches the environment variable MY_STAMP")
        );
        assert_eq!(env_changes(&build, false)[0].code, "build-env-changed");
    }
}
