//! Reusing a `cargo clippy` task of the same run, so a check that already
//! runs clippy pays for one clippy build, not two. The lint starts after
//! every task whose one command is `cargo clippy ...`; when such a task
//! passed, the lint runs *that exact* command again with
//! `--message-format=json` added. Cargo's fingerprints do not include the
//! message format, so every crate is fresh and cargo replays the
//! diagnostics it cached: nothing is checked again (the replay counts the
//! crates it did check, so that can be seen). The replay carries only the
//! lints the task's flags turn on, so the lint keeps those of the `perf`
//! group and of its curated list and says the curated ones outside
//! clippy's defaults count only where the task's flags or `[lints.clippy]`
//! enable them. When the task failed, was skipped, runs elsewhere, selects
//! other packages or other cargo flags, the lint runs its own clippy and
//! says why.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::Path;

use cargo_perf_engine::process::{self, CommandSpec, Stream};
use cargo_perf_engine::workspace::Member;
use cargo_perf_engine::{CargoOptions, Task, TaskStatus, Workspace};

/// Where the lint's clippy diagnostics come from.
#[derive(Debug)]
pub(crate) enum Source {
    /// Replay task `task`'s command, `spec`, with JSON messages.
    Reuse { task: String, spec: CommandSpec },
    /// Run the lint's own clippy; `why` says why no task was reused (`None`
    /// when the run has no `cargo clippy` task).
    Own { why: Option<String> },
}

/// Whether `spec` runs `cargo clippy` (`cargo +toolchain clippy` too).
pub(crate) fn is_clippy(spec: &CommandSpec) -> bool {
    let program = Path::new(&spec.program).file_name();
    if program != Some("cargo".as_ref()) {
        return false;
    }
    let mut args = spec.args.iter().map(|a| a.to_string_lossy());
    match args.next() {
        Some(first) if first.starts_with('+') => args.next().is_some_and(|a| a == "clippy"),
        Some(first) => first == "clippy",
        None => false,
    }
}

/// The entries of `plan` whose command is `cargo clippy ...`.
pub(crate) fn clippy_tasks(plan: &[&dyn Task]) -> Vec<usize> {
    (0..plan.len())
        .filter(|&i| {
            plan[i]
                .command(Path::new("."))
                .is_some_and(|s| is_clippy(&s))
        })
        .collect()
}

/// Chooses the source: the first `cargo clippy` task that ended before the
/// lint and fits, else the lint's own run with the reason of the first.
pub(crate) fn choose(
    finished: &[(&dyn Task, TaskStatus)],
    workspace: &Workspace,
    cargo: &CargoOptions,
    members: &[&Member],
) -> Source {
    let mut why = None;
    for (task, status) in finished {
        let Some(spec) = task.command(&workspace.root).filter(is_clippy) else {
            continue;
        };
        let name = task.name();
        match misfit(&spec, *status, workspace, cargo, members) {
            None => {
                return Source::Reuse {
                    task: name.to_owned(),
                    spec: replay(spec),
                };
            }
            Some(reason) => {
                why.get_or_insert_with(|| format!("task `{name}` {reason}"));
            }
        }
    }
    Source::Own { why }
}

/// Why task `spec` cannot stand in for the lint's own clippy, if it cannot.
fn misfit(
    spec: &CommandSpec,
    status: TaskStatus,
    workspace: &Workspace,
    cargo: &CargoOptions,
    members: &[&Member],
) -> Option<String> {
    match status {
        TaskStatus::Passed => {}
        TaskStatus::Failed | TaskStatus::Error => {
            return Some("failed, so cargo cached no diagnostics to replay".to_owned());
        }
        TaskStatus::Skipped | TaskStatus::Cancelled => return Some("did not run".to_owned()),
    }
    if spec.cwd.as_deref() != Some(workspace.root.as_path()) {
        return Some("runs in another directory".to_owned());
    }
    let words = cargo_words(spec);
    if let Some(word) = words.iter().find(|w| {
        ["--fix", "--message-format", "--manifest-path", "--config"]
            .iter()
            .any(|flag| w.split('=').next() == Some(flag))
    }) {
        return Some(format!("passes `{word}`, which a replay cannot repeat"));
    }
    let flagged = cargo.features.len()
        + usize::from(cargo.all_features)
        + usize::from(cargo.no_default_features)
        + usize::from(cargo.target.is_some())
        + usize::from(cargo.profile.is_some())
        + usize::from(cargo.target_dir.is_some());
    if flagged > 0 {
        return Some("does not get this run's cargo build flags".to_owned());
    }
    let selected = selection(&words, workspace);
    members
        .iter()
        .find(|m| !selected.contains(m.name.as_str()))
        .map(|m| format!("does not check package `{}`", m.name))
}

/// Cargo's own words of the command: after `clippy`, before `--`.
fn cargo_words(spec: &CommandSpec) -> Vec<String> {
    spec.args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .skip_while(|a| a != "clippy")
        .skip(1)
        .take_while(|a| a != "--")
        .collect()
}

/// The member names the command's package flags select. Without any, the
/// root package alone: cargo's `default-members` are not known here, so a
/// virtual workspace's command must say `--workspace` (or `-p`) to count.
fn selection<'w>(words: &[String], workspace: &'w Workspace) -> BTreeSet<&'w str> {
    let all = words.iter().any(|w| w == "--workspace" || w == "--all");
    let packages = values(words, "-p", "--package");
    let excluded = values(words, "", "--exclude");
    let names = workspace.members.iter().map(|m| m.name.as_str());
    let selected: BTreeSet<&str> = if all {
        names
            .filter(|n| !excluded.iter().any(|e| spec_names(e, n)))
            .collect()
    } else if !packages.is_empty() {
        names
            .filter(|n| packages.iter().any(|p| spec_names(p, n)))
            .collect()
    } else {
        let root_package = workspace
            .members
            .iter()
            .find(|m| m.manifest_path == workspace.root_manifest);
        root_package.map(|m| m.name.as_str()).into_iter().collect()
    };
    selected
}

/// The values of a flag given as `-pX`, `-p X`, `--package X` or `--package=X`.
fn values(words: &[String], short: &str, long: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut words = words.iter();
    while let Some(word) = words.next() {
        if word == long || (!short.is_empty() && word == short) {
            out.extend(words.next().cloned());
        } else if let Some(value) = word.strip_prefix(&format!("{long}=")) {
            out.push(value.to_owned());
        } else if !short.is_empty()
            && let Some(value) = word.strip_prefix(short)
            && !value.is_empty()
            && !word.starts_with("--")
        {
            out.push(value.to_owned());
        }
    }
    out
}

/// Whether package spec `spec` (`name`, `name@version`) names `name`; a
/// glob never matches, so a pattern is never taken as covering a member.
fn spec_names(spec: &str, name: &str) -> bool {
    spec.split('@').next() == Some(name)
}

/// The task's command with JSON messages, so the replay can be read.
fn replay(mut spec: CommandSpec) -> CommandSpec {
    let at = spec
        .args
        .iter()
        .position(|a| a == "--")
        .unwrap_or(spec.args.len());
    spec.args
        .insert(at, OsString::from("--message-format=json"));
    spec.env("CARGO_TERM_COLOR", "never")
}

/// The lints of clippy's `perf` group, as `clippy-driver -W help` lists
/// them (`None` when it cannot be asked).
/// them (`None` when it cannot be asked). The driver beside the cargo that
/// runs is the one `cargo clippy` uses.
pub(crate) fn perf_group(workspace: &Workspace) -> Option<BTreeSet<String>> {
    let beside = Path::new(&workspace.cargo).with_file_name("clippy-driver");
    let driver = if beside.is_file() {
        beside.into_os_string()
    } else {
        OsString::from("clippy-driver")
    };
    let spec = CommandSpec::new(driver)
        .args(["-W", "help"])
        .cwd(&workspace.root);
    let mut line = None;
    let finished = process::run_split(&spec, |stream, text| {
        if stream == Stream::Stdout
            && line.is_none()
            && let Some(rest) = text.trim_start().strip_prefix("clippy::perf ")
        {
            line = Some(rest.to_owned());
        }
    })
    .ok()?;
    let line = line.filter(|_| finished.success())?;
    let lints: BTreeSet<String> = line
        .split(',')
        .filter_map(|l| l.trim().strip_prefix("clippy::"))
        .map(|l| l.replace('-', "_"))
        .collect();
    (!lints.is_empty()).then_some(lints)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(args: &[&str]) -> CommandSpec {
        CommandSpec::new("cargo").args(args)
    }

    #[test]
    fn cargo_clippy_commands_are_told_apart() {
        assert!(is_clippy(&spec(&["clippy", "--workspace"])));
        assert!(is_clippy(&spec(&["+nightly", "clippy"])));
        assert!(is_clippy(&CommandSpec::new("/usr/bin/cargo").arg("clippy")));
        assert!(!is_clippy(&spec(&["check"])));
        assert!(!is_clippy(
            &CommandSpec::new("sh").args(["-c", "cargo clippy"])
        ));
    }

    #[test]
    fn the_replay_asks_for_json_before_clippys_own_flags() {
        let replayed = replay(spec(&["clippy", "--workspace", "--", "-D", "warnings"]));
        assert_eq!(
            replayed.args,
            [
                "clippy",
                "--workspace",
                "--message-format=json",
                "--",
                "-D",
                "warnings"
            ]
        );
        let replayed = replay(spec(&["clippy"]));
        assert_eq!(replayed.args, ["clippy", "--message-format=json"]);
    }

    fn member(name: &str, root: &Path) -> Member {
        Member {
            name: name.to_owned(),
            version: "0.1.0".to_owned(),
            id: format!("path+file:///ws/{name}#{name}@0.1.0"),
            manifest_path: root.join(name).join("Cargo.toml"),
            dir: root.join(name),
            targets: Vec::new(),
            workspace_dependencies: Vec::new(),
            released_twin: false,
        }
    }

    fn workspace() -> Workspace {
        let root = Path::new("/ws");
        Workspace {
            root: root.to_path_buf(),
            root_manifest: root.join("Cargo.toml"),
            target_dir: root.join("target"),
            members: vec![member("a", root), member("b", root)],
            cargo: "cargo".into(),
            metadata_command: String::new(),
            metadata_cache: None,
        }
    }

    /// Why `cargo ARGS` (run from the root) cannot stand in for every member.
    fn misfit_of(args: &[&str], status: TaskStatus, cargo: &CargoOptions) -> Option<String> {
        let ws = workspace();
        let members: Vec<&Member> = ws.members.iter().collect();
        misfit(&spec(args).cwd("/ws"), status, &ws, cargo, &members)
    }

    #[test]
    fn only_a_passed_task_over_every_member_with_the_same_flags_fits() {
        let none = CargoOptions::default();
        let passed = TaskStatus::Passed;
        assert_eq!(misfit_of(&["clippy", "--workspace"], passed, &none), None);
        assert_eq!(
            misfit_of(&["clippy", "--all", "--", "-D", "warnings"], passed, &none),
            None
        );
        assert_eq!(
            misfit_of(&["clippy", "-p", "a", "--package=b"], passed, &none),
            None
        );
        for (args, status, why) in [
            (&["clippy", "--workspace"][..], TaskStatus::Failed, "failed"),
            (
                &["clippy", "--workspace"],
                TaskStatus::Skipped,
                "did not run",
            ),
            (&["clippy", "-p", "a"], passed, "does not check package `b`"),
            (
                &["clippy", "--workspace", "--exclude", "b"],
                passed,
                "package `b`",
            ),
            (&["clippy"], passed, "does not check package `a`"),
            (&["clippy", "--fix", "--workspace"], passed, "`--fix`"),
            (
                &["clippy", "--workspace", "--message-format=short"],
                passed,
                "--message-format",
            ),
        ] {
            let said = misfit_of(args, status, &none).unwrap_or_default();
            assert!(said.contains(why), "{args:?}: {said:?}");
        }
        let featured = CargoOptions {
            features: vec!["x".to_owned()],
            ..CargoOptions::default()
        };
        let said = misfit_of(&["clippy", "--workspace"], passed, &featured);
        assert!(said.is_some_and(|s| s.contains("cargo build flags")));
        let ws = workspace();
        let elsewhere = spec(&["clippy", "--workspace"]).cwd("/ws/a");
        let members: Vec<&Member> = ws.members.iter().collect();
        assert!(misfit(&elsewhere, passed, &ws, &none, &members).is_some());
    }

    #[test]
    fn package_flags_are_read_in_every_spelling() {
        let words: Vec<String> = [
            "-pa",
            "-p",
            "b",
            "--package",
            "c",
            "--package=d",
            "--exclude=e",
        ]
        .iter()
        .map(|w| (*w).to_owned())
        .collect();
        assert_eq!(values(&words, "-p", "--package"), ["a", "b", "c", "d"]);
        assert_eq!(values(&words, "", "--exclude"), ["e"]);
        assert!(spec_names("a@1.0.0", "a"));
        assert!(!spec_names("a*", "a"));
    }
}
