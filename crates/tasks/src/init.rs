//! `cargo perf init`: a commented perf.toml tuned to the workspace, starting
//! from the policy crate's template and adding tasks for what the workspace
//! has. A task that would fail here (see [`probe`]) is written commented out,
//! with the reason, so the first `cargo perf check` passes.

mod probe;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cargo_perf_engine::workspace::TargetKind;
use cargo_perf_engine::{Workspace, fsutil};
use cargo_perf_policy::TEMPLATE;

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{0} already exists")]
    Exists(PathBuf),
    #[error("{path} already exists: a symbolic link to {target}")]
    ExistsAsLink { path: PathBuf, target: PathBuf },
    #[error("cannot tell whether {path} exists: {source}")]
    Inspect {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl InitError {
    pub fn hint(&self) -> &'static str {
        match self {
            InitError::Exists(_) => "pass --force to replace it, or edit the existing file",
            InitError::ExistsAsLink { .. } => {
                "pass --force to replace the link with a file, or fix the link"
            }
            InitError::Inspect { .. } => "check the permissions of the workspace root",
            InitError::Write { .. } => "check that the workspace root is writable",
        }
    }
}

/// What `init` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    /// Whether `--force` replaced a file (or link) of that name.
    pub replaced: bool,
    /// The custom tasks the policy declares.
    pub tasks: Vec<String>,
    /// The steps of its `check` pipeline.
    pub check: Vec<String>,
    /// Tasks written commented out because they would fail here, and why.
    pub left_out: Vec<(String, String)>,
    /// The commands `init` ran to check what it proposes.
    pub ran: Vec<String>,
}

/// A custom task `init` may propose.
struct Proposal {
    name: &'static str,
    description: &'static str,
    run: String,
    /// Why it is written commented out, when it would fail here.
    left_out: Option<String>,
    /// A comment written above it.
    note: Option<String>,
}

/// The perf.toml text for `workspace`, and what was left out and why.
fn render(workspace: &Workspace, probe: &probe::Probe) -> (String, Vec<(String, String)>) {
    let names_of = |kind: TargetKind| -> Vec<String> {
        workspace
            .members
            .iter()
            .flat_map(|m| {
                m.targets
                    .iter()
                    .filter(move |t| t.kind == kind)
                    .map(move |t| format!("{}/{}", m.name, t.name))
            })
            .collect()
    };
    let members: Vec<&str> = workspace.members.iter().map(|m| m.name.as_str()).collect();
    let benches = names_of(TargetKind::Bench);
    let bins = names_of(TargetKind::Bin);

    let mut left_out = Vec::new();
    let mut out = match &probe.fmt_failure {
        Some(reason) => {
            left_out.push(("fmt".to_owned(), reason.clone()));
            comment_out_fmt(TEMPLATE, reason)
        }
        None => TEMPLATE.to_owned(),
    };
    let _ = writeln!(out, "\n# Found in this workspace:");
    let _ = writeln!(out, "#   members: {}", list_or_none(&members));
    let _ = writeln!(out, "#   binaries: {}", list_or_none(&bins));
    let _ = writeln!(out, "#   benches: {}", list_or_none(&benches));
    if !probe.ran.is_empty() {
        let _ = writeln!(out, "#   checked by running: {}", probe.ran.join("; "));
    }
    let mut check: Vec<&str> = crate::DEFAULT_CHECK.to_vec();
    if probe.fmt_failure.is_none() {
        check.push("fmt");
    }
    for proposal in proposals(workspace, probe, !benches.is_empty()) {
        write_proposal(&mut out, &proposal);
        match proposal.left_out {
            Some(reason) => left_out.push((proposal.name.to_owned(), reason)),
            None => check.push(proposal.name),
        }
    }
    // The lint's own rules build nothing, and its clippy part replays the
    // clippy task's build: beside a clippy task it costs no second build.
    if check.contains(&"clippy") {
        check.push("lint");
        let _ = write!(
            out,
            "\n# `lint`: cargo perf's performance lints (`cargo perf lint --list`); its clippy\n# part reads the clippy task's diagnostics instead of building again."
        );
    }
    let steps = check
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        out,
        "\n[pipelines]\n# What `cargo perf check` (and the git hooks) run.\ncheck = [{steps}]\n"
    );
    (out, left_out)
}

/// clippy, the tests and (with benches) a bench build, each left out when
/// it would fail here: nightly-only targets on a stable toolchain.
fn proposals(workspace: &Workspace, probe: &probe::Probe, has_benches: bool) -> Vec<Proposal> {
    let stable = !probe.nightly_toolchain;
    let others = (stable && !probe.nightly_others.is_empty()).then(|| {
        format!(
            "{} {} `#![feature]`, which this stable toolchain refuses (rustc error E0554); it needs `cargo +nightly`",
            probe.nightly_others.join(", "),
            if probe.nightly_others.len() == 1 { "uses" } else { "use" }
        )
    });
    let nightly_benches = stable && !probe.nightly_benches.is_empty();
    let benches_reason = format!(
        "{} {} `#![feature]`, which this stable toolchain refuses (rustc error E0554); uncomment to build them with nightly",
        probe.nightly_benches.join(", "),
        if probe.nightly_benches.len() == 1 {
            "uses"
        } else {
            "use"
        }
    );
    let clippy_targets = probe::clippy_targets(workspace, probe);
    let mut list = vec![
        clippy_proposal(probe, clippy_targets, nightly_benches, others.clone()),
        Proposal {
            name: "test",
            description: "The test suite passes",
            run: "cargo test --workspace".to_owned(),
            left_out: others.clone(),
            note: None,
        },
    ];
    if has_benches {
        list.push(Proposal {
            name: "bench-build",
            description: "Benchmarks still compile",
            run: if nightly_benches {
                "cargo +nightly bench --workspace --no-run".to_owned()
            } else {
                "cargo bench --workspace --no-run".to_owned()
            },
            left_out: nightly_benches.then_some(benches_reason).or(others),
            note: None,
        });
    }
    list
}

/// The clippy task as clippy's one run here allows: denying warnings when
/// there are none, allowing them (and saying how many) when there are, left
/// out when clippy does not pass at all.
fn clippy_proposal(
    probe: &probe::Probe,
    targets: &str,
    nightly_benches: bool,
    others: Option<String>,
) -> Proposal {
    let scope = if nightly_benches {
        "any target but the nightly-only benches"
    } else {
        "any target"
    };
    let mut proposal = Proposal {
        name: "clippy",
        description: if nightly_benches {
            "No clippy warnings in any target but the nightly-only benches"
        } else {
            "No clippy warnings in any target"
        },
        run: format!("cargo clippy --workspace {targets} -- -D warnings"),
        left_out: others,
        note: None,
    };
    match &probe.clippy {
        Some(probe::Clippy::Warnings { count, first }) => {
            proposal.description = if nightly_benches {
                "Clippy passes on any target but the nightly-only benches"
            } else {
                "Clippy passes on any target"
            };
            proposal.run = format!("cargo clippy --workspace {targets}");
            proposal.note = Some(format!(
                "clippy warns {count} time(s) in {scope} today (first: {first}); once that is fixed, append ` -- -D warnings` to `run` so a new warning fails the check"
            ));
        }
        Some(probe::Clippy::Fails(reason)) => proposal.left_out = Some(reason.clone()),
        Some(probe::Clippy::Clean) | None => {}
    }
    proposal
}

fn write_proposal(out: &mut String, proposal: &Proposal) {
    let body = format!(
        "[tasks.{}]\ndescription = \"{}\"\nrun = \"{}\"\n",
        proposal.name, proposal.description, proposal.run
    );
    if let Some(note) = &proposal.note {
        let _ = write!(out, "\n# {note}.");
    }
    match &proposal.left_out {
        None => {
            let _ = write!(out, "\n{body}");
        }
        Some(reason) => {
            let _ = write!(out, "\n# Left out by `cargo perf init`: {reason}.\n");
            for line in body.lines() {
                let _ = writeln!(out, "# {line}");
            }
        }
    }
}

/// The template with its `[tasks.fmt]` block commented out, saying why.
fn comment_out_fmt(template: &str, reason: &str) -> String {
    let mut out = String::with_capacity(template.len() + 200);
    let mut in_fmt = false;
    for line in template.lines() {
        if line == "[tasks.fmt]" {
            in_fmt = true;
            let _ = writeln!(out, "# Left out by `cargo perf init`: {reason}.");
        } else if in_fmt && (line.is_empty() || line.starts_with('[')) {
            in_fmt = false;
        }
        if in_fmt && !line.starts_with('#') {
            let _ = writeln!(out, "# {line}");
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// Writes the policy to `<root>/perf.toml`, or over the workspace's existing
/// policy (`.config/perf.toml` too) when `force`; refuses to replace one
/// otherwise (a file, or a link even when it leads nowhere).
pub fn write(workspace: &Workspace, force: bool) -> Result<Written, InitError> {
    let (path, replaced) = match existing_policy(workspace)? {
        Some(path) if force => (path, true),
        Some(path) => return Err(refusal(path)),
        None => (workspace.root.join(cargo_perf_policy::FILE_NAME), false),
    };
    let probe = probe::probe(workspace);
    let (text, left_out) = render(workspace, &probe);
    write_to(&path, &text)?;
    let (tasks, check) = declared(&text);
    Ok(Written {
        path,
        replaced,
        tasks,
        check,
        left_out,
        ran: probe.ran,
    })
}

/// The first policy file of the lookup order that exists as a name.
fn existing_policy(workspace: &Workspace) -> Result<Option<PathBuf>, InitError> {
    for rel in cargo_perf_policy::LOOKUP {
        let path = workspace.root.join(rel);
        match std::fs::symlink_metadata(&path) {
            Ok(_) => return Ok(Some(path)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(InitError::Inspect { path, source }),
        }
    }
    Ok(None)
}

fn refusal(path: PathBuf) -> InitError {
    match std::fs::symlink_metadata(&path) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            let target = std::fs::read_link(&path).unwrap_or_default();
            InitError::ExistsAsLink { path, target }
        }
        _ => InitError::Exists(path),
    }
}

/// The custom tasks and `check` steps of the policy text, as the loader reads them.
fn declared(text: &str) -> (Vec<String>, Vec<String>) {
    let source = cargo_perf_policy::SourceFile::new(cargo_perf_policy::FILE_NAME, text);
    let Ok(policy) = cargo_perf_policy::parse(source) else {
        return (Vec::new(), Vec::new());
    };
    let tasks = policy.tasks.iter().map(|t| t.name.value.clone()).collect();
    let check = policy
        .pipeline("check")
        .map(|p| p.steps.iter().map(|s| s.value.clone()).collect())
        .unwrap_or_default();
    (tasks, check)
}

fn write_to(path: &Path, text: &str) -> Result<(), InitError> {
    fsutil::write_atomic(path, text.as_bytes()).map_err(|source| InitError::Write {
        path: path.to_owned(),
        source,
    })
}

fn list_or_none<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
