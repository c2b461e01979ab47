//! A build that fails only because a target uses nightly-only features
//! (`#![feature(...)]` on a stable toolchain, rustc's error E0554) is not a
//! broken build: it is a target the toolchain cannot build. This tells it
//! apart and names the way out: leave that kind of target out of the
//! selection, or build with nightly.

use std::path::Path;

use cargo_perf_engine::workspace::Target;
use cargo_perf_engine::{Finding, Workspace};
use cargo_perf_policy::BuildTarget;

use super::cargo::CompileError;
use super::codes::BuildCode;
use super::targets;

/// rustc's code for `#![feature]` on the stable or beta channel.
const CODE: &str = "E0554";

/// The finding for `error` when it is E0554; `None` for any other error.
pub(crate) fn diagnose(
    workspace: &Workspace,
    error: &CompileError,
    selected: &[BuildTarget],
    what: &str,
) -> Option<Finding> {
    let first_line = error.rendered.lines().next()?;
    if !first_line.contains(&format!("[{CODE}]")) {
        return None;
    }
    let file = error.resolve_file(&workspace.root);
    let found = file.as_deref().and_then(|file| target_of(workspace, file));
    let (subject, kind) = match found {
        Some((member, target)) => (
            format!("{} `{}` of `{member}`", target.kind.as_str(), target.name),
            targets::kind_of(target.kind),
        ),
        None => ("a target".to_owned(), None),
    };
    let mut finding = Finding::error(
        BuildCode::NightlyOnly,
        format!(
            "{what} failed because {subject} uses `#![feature]`, which only a nightly toolchain accepts (rustc: error[{CODE}])"
        ),
    )
    .help(help(selected, kind));
    if let Some(file) = &file {
        finding = finding.file(workspace.relative(file));
    }
    if let Some(line) = error.line {
        finding = finding.line(line);
    }
    Some(finding)
}

/// The member and target whose root file is `file`.
fn target_of<'w>(workspace: &'w Workspace, file: &Path) -> Option<(&'w str, &'w Target)> {
    let file = file.canonicalize().ok()?;
    workspace.members.iter().find_map(|member| {
        member
            .targets
            .iter()
            .find(|t| t.src_path.canonicalize().is_ok_and(|p| p == file))
            .map(|t| (member.name.as_str(), t))
    })
}

fn help(selected: &[BuildTarget], kind: Option<BuildTarget>) -> String {
    let nightly = "build with a nightly toolchain (`cargo +nightly perf build`)";
    let rest: Vec<&str> = selected
        .iter()
        .filter(|k| Some(**k) != kind)
        .map(|k| k.name())
        .collect();
    match kind {
        Some(kind) if !rest.is_empty() => format!(
            "leave {} out of the build: `[build] targets = [{}]` in perf.toml, or `--targets {}`; or {nightly}",
            kind.name(),
            rest.iter()
                .map(|k| format!("\"{k}\""))
                .collect::<Vec<_>>()
                .join(", "),
            rest.join(",")
        ),
        _ => format!(
            "leave the target's kind out of `[build] targets` in perf.toml (or `--targets`), or {nightly}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_drops_the_failing_kind_from_the_selection() {
        let text = help(&BuildTarget::ALL, Some(BuildTarget::Benches));
        assert!(
            text.contains(r#"`[build] targets = ["lib", "bins", "tests", "examples"]`"#),
            "{text}"
        );
        assert!(
            text.contains("`--targets lib,bins,tests,examples`"),
            "{text}"
        );
        assert!(help(&[BuildTarget::Benches], Some(BuildTarget::Benches)).contains("nightly"));
    }
}
