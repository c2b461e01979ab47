//! No-op freshness: after one build, an identical second build must do
//! nothing. Every package it did work for becomes a finding naming the
//! targets rebuilt (from the JSON) and cargo's own reason (from `-v`).

use std::collections::BTreeMap;

use cargo_perf_engine::Finding;

use super::cargo::BuildOutput;
use super::codes::BuildCode;

/// The findings about a no-op build that was not a no-op.
pub(crate) fn findings(noop: &BuildOutput) -> Vec<Finding> {
    let mut packages: BTreeMap<&str, (Vec<String>, Vec<&str>)> = BTreeMap::new();
    for package in &noop.scripts_run {
        packages
            .entry(package)
            .or_default()
            .0
            .push("build script (run)".to_owned());
    }
    for unit in noop.rebuilt() {
        packages
            .entry(&unit.package)
            .or_default()
            .0
            .push(unit.describe());
    }
    for dirty in &noop.dirty {
        packages
            .entry(&dirty.package)
            .or_default()
            .1
            .push(&dirty.reason);
    }
    let mut findings: Vec<(bool, Finding)> = packages
        .into_iter()
        .map(|(package, (mut targets, reasons))| {
            targets.sort();
            let targets = if targets.is_empty() {
                "its units".to_owned()
            } else {
                targets.join(", ")
            };
            let reason = if reasons.is_empty() {
                "cargo gave no reason".to_owned()
            } else {
                reasons.join("; ")
            };
            let knock_on = reasons.iter().all(|r| is_knock_on(r));
            let finding = Finding::error(
                BuildCode::NotFresh,
                format!("a second identical build rebuilt `{package}` ({targets}): {reason}"),
            )
            .help(help_for(&reason, package));
            (knock_on, finding)
        })
        .collect();
    // Root causes first, then the packages rebuilt only because of them.
    findings.sort_by_key(|(knock_on, _)| *knock_on);
    findings.into_iter().map(|(_, f)| f).collect()
}

/// A reason that only passes on another package's rebuild.
fn is_knock_on(reason: &str) -> bool {
    reason.contains("dependency `")
        && (reason.contains("was rebuilt") || reason.contains("changed"))
}

fn help_for(reason: &str, package: &str) -> String {
    if reason.contains("is missing") {
        format!(
            "a file cargo watches for `{package}` does not exist, so it reruns every build: create it, or fix the `rerun-if-changed` path in its build script"
        )
    } else if reason.contains("env variable") {
        "an environment variable cargo watches changes between builds: stop watching it (`rerun-if-env-changed`) or keep its value stable".to_owned()
    } else if is_knock_on(reason) {
        "fix the dependency named in the reason; this package only rebuilt because of it".to_owned()
    } else {
        "run the build twice with `-v` to watch cargo's reasons, and make the second one do nothing"
            .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::cargo::{Dirty, Unit};

    #[test]
    fn names_package_targets_and_reason_root_causes_first() {
        let unit = |package: &str, kind: &str| Unit {
            package: package.into(),
            manifest_path: Default::default(),
            target: package.into(),
            kind: kind.into(),
            test: false,
            fresh: false,
        };
        let noop = BuildOutput {
            units: vec![unit("a", "lib"), unit("b", "lib")],
            scripts_run: vec!["b".into()],
            dirty: vec![
                Dirty {
                    package: "a".into(),
                    reason: "the dependency `b` was rebuilt".into(),
                },
                Dirty {
                    package: "b".into(),
                    reason: "the file `b/x.txt` is missing".into(),
                },
            ],
            ..BuildOutput::default()
        };
        let findings = findings(&noop);
        assert_eq!(
            findings[0].message,
            "a second identical build rebuilt `b` (build script (run), lib `b`): the file `b/x.txt` is missing"
        );
        assert!(findings[1].message.contains("`a` (lib `a`)"));
    }
}
