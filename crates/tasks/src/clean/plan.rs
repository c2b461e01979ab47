//! The plan phase: from the scan and the policy, the list of removals (each
//! with its size and reason, in removal order) and the notes to report
//! (locked profiles, unreadable dirs, broken toolchains, tracked files and
//! repositories kept, a budget that cannot be met). Nothing is removed here,
//! so a dry run reports exactly the plan a real run carries out.

use std::path::{Path, PathBuf};

use cargo_perf_engine::{Finding, TaskError, Workspace};
use cargo_perf_policy::ByteSize;
use cargo_perf_policy::sections::clean::{Clean, Toolchains};

use super::Anchors;
use super::codes::CleanCode;
use super::layout::UnitKey;
use super::safety::Tracked;
use super::scan::Scan;
use super::select::{self, Selection};
use super::{extras, tool_output, toolchains};

/// One removal as reported, and how to carry it out.
pub(super) struct Planned {
    pub shown: PathBuf,
    pub message: String,
    pub bytes: u64,
    pub rule: Rule,
    pub what: What,
}

/// The rule that planned a removal, in the order the plan applies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rule {
    /// `toolchains = "installed"`: units of a toolchain no longer installed.
    Toolchains,
    /// Units not used for longer than `max-age`.
    MaxAge,
    /// The least recently used units while the target dir is over `max-size`.
    MaxSize,
    /// `[[clean.extra]]` globs.
    Extra,
    /// Old outputs of cargo perf itself in `<target>/cargo-perf/`.
    ToolOutput,
}

impl Rule {
    pub(crate) const ALL: [Rule; 5] = [
        Rule::Toolchains,
        Rule::MaxAge,
        Rule::MaxSize,
        Rule::Extra,
        Rule::ToolOutput,
    ];

    /// The `[clean]` key (or the finding code's tail) that names the rule.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Rule::Toolchains => "toolchains",
            Rule::MaxAge => "max-age",
            Rule::MaxSize => "max-size",
            Rule::Extra => "extra",
            Rule::ToolOutput => "tool-output",
        }
    }

    /// What the rule removes, for people.
    pub(crate) fn what(self) -> &'static str {
        match self {
            Rule::Toolchains => "units of toolchains no longer installed",
            Rule::MaxAge => "units not used for longer than max-age",
            Rule::MaxSize => "least recently used units over max-size",
            Rule::Extra => "extra files matching [[clean.extra]]",
            Rule::ToolOutput => "old outputs of cargo perf",
        }
    }
}

pub(super) enum What {
    /// A build unit, by its index in the scan.
    Unit(usize),
    /// A file (or link) an extra glob selected.
    ExtraFile(PathBuf),
    /// A directory an extra glob selected, empty once the files before it are gone.
    ExtraDir(PathBuf),
    /// An old output of cargo perf itself in `<target>/cargo-perf/`, file or tree.
    ToolOutput(PathBuf),
}

impl What {
    /// The code of the finding that reports the removal.
    pub(super) fn code(&self) -> CleanCode {
        match self {
            What::ToolOutput(_) => CleanCode::ToolOutput,
            _ => CleanCode::Remove,
        }
    }
}

pub(super) struct Plan {
    pub items: Vec<Planned>,
    /// Warnings found while planning, reported as they are.
    pub notes: Vec<Finding>,
    /// Build locks on our private target dirs, held until the run ends
    /// (a dry run lets them go once planned).
    pub held: Vec<std::fs::File>,
}

pub(super) struct Inputs<'a> {
    pub workspace: &'a Workspace,
    /// Shows what the plan is doing now (the task's progress view).
    pub step: &'a dyn Fn(&str),
    pub anchors: &'a Anchors,
    pub scan: &'a Scan,
    pub tracked: &'a Tracked,
    /// Profiles whose build lock a running build holds.
    pub busy: &'a [String],
    pub policy: &'a Clean,
    pub now: i64,
    /// `[profile] keep`: how many profile runs stay.
    pub keep_profiles: usize,
}

pub(super) fn plan(inputs: &Inputs<'_>) -> Result<Plan, TaskError> {
    let mut notes = scan_notes(inputs);
    let busy: Vec<usize> = inputs
        .scan
        .profiles
        .iter()
        .enumerate()
        .filter(|(_, p)| inputs.busy.contains(&p.name))
        .map(|(i, _)| i)
        .collect();
    let installed = installed(inputs, &mut notes)?;
    let rustc: Vec<Option<u64>> = match (&installed, &inputs.anchors.target) {
        (Some(_), Some(target)) => inputs
            .scan
            .units
            .iter()
            .map(|u| {
                u.fingerprint
                    .as_deref()
                    .and_then(|f| toolchains::unit_rustc_hash(target, f))
            })
            .collect(),
        _ => Vec::new(),
    };
    let unreadable: Vec<PathBuf> = inputs.scan.errors.iter().map(|(p, _)| p.clone()).collect();
    let selection = select::select(
        inputs.scan,
        &select::Inputs {
            policy: inputs.policy,
            now: inputs.now,
            installed: installed.as_ref(),
            rustc: &rustc,
            tracked: inputs.tracked,
            busy: &busy,
            unreadable: &unreadable,
        },
    );
    notes.extend(kept_notes(inputs, &selection));
    let mut items = unit_items(inputs, &selection);
    if !inputs.policy.extra.is_empty() {
        (inputs.step)("looking for extra files");
        items.extend(extra_items(inputs, &mut notes));
    }
    let mut held = Vec::new();
    if let Some(target) = &inputs.anchors.target {
        let shown = |path: &Path| inputs.anchors.shown(path);
        let found = tool_output::find(&target.path, inputs.keep_profiles, inputs.tracked, &shown);
        notes.extend(found.notes);
        held = found.held;
        items.extend(found.found.into_iter().map(|found| Planned {
            shown: inputs.anchors.shown(&found.path),
            message: found.reason,
            bytes: found.bytes,
            rule: Rule::ToolOutput,
            what: What::ToolOutput(found.path),
        }));
    }
    if let Some(remaining) = selection.over_budget {
        notes.push(
            Finding::warning(
                CleanCode::OverBudget,
                format!(
                    "the target dir still takes {} after removing every unit the rules allow (max-size {})",
                    ByteSize(remaining),
                    ByteSize(inputs.policy.max_size.map_or(0, |s| s.0))
                ),
            )
            .help("raise `[clean] max-size`, or look at the docs and other files in the disk-usage metrics"),
        );
    }
    Ok(Plan { items, notes, held })
}

/// Locked profiles and what the scan could not read.
fn scan_notes(inputs: &Inputs<'_>) -> Vec<Finding> {
    let scan = inputs.scan;
    let locked = scan
        .profiles
        .iter()
        .filter(|p| inputs.busy.contains(&p.name))
        .map(|profile| {
            Finding::warning(
                CleanCode::BuildLocked,
                format!(
                    "{} is locked by a running cargo build: skipped it",
                    profile.name
                ),
            )
            .file(inputs.anchors.shown(&profile.dir))
            .help("run again when the build has finished, or pass `--wait` to wait for it")
        });
    let unreadable = scan
        .errors
        .iter()
        .map(|(path, err)| unreadable(inputs, path, err));
    locked.chain(unreadable).collect()
}

fn unreadable(inputs: &Inputs<'_>, path: &Path, err: &std::io::Error) -> Finding {
    Finding::warning(CleanCode::Unreadable, format!("cannot read it: {err}"))
        .file(inputs.anchors.shown(path))
        .help("check its permissions; what cannot be read is not removed")
}

/// The installed toolchains, when the toolchain rule is on and there are units to judge.
fn installed(
    inputs: &Inputs<'_>,
    notes: &mut Vec<Finding>,
) -> Result<Option<toolchains::Installed>, TaskError> {
    if inputs.policy.toolchains != Toolchains::Installed || inputs.scan.units.is_empty() {
        return Ok(None);
    }
    (inputs.step)("asking each installed toolchain for its fingerprint");
    let installed = toolchains::probe(inputs.workspace)?;
    for (name, err) in &installed.broken {
        notes.push(Finding::warning(
            CleanCode::ToolchainBroken,
            format!("toolchain `{name}` is listed by rustup but cannot build: {err}; its units count as not installed"),
        ).help(format!("repair it with `rustup toolchain install {name}`, or remove it")));
    }
    Ok(Some(installed))
}

fn kept_notes(inputs: &Inputs<'_>, selection: &Selection) -> Vec<Finding> {
    selection
        .kept_tracked
        .iter()
        .map(|index| {
            let unit = &inputs.scan.units[*index];
            let path = select::unit_paths(unit)
                .into_iter()
                .find(|p| inputs.tracked.covers(p))
                .unwrap_or(&inputs.anchors.root.path);
            Finding::warning(
                CleanCode::TrackedKept,
                format!("unit `{}` holds a file git tracks: kept it", unit.name),
            )
            .file(inputs.anchors.shown(path))
            .help("build output should not be in git: untrack it with `git rm --cached -r <path>`")
        })
        .collect()
}

fn unit_items(inputs: &Inputs<'_>, selection: &Selection) -> Vec<Planned> {
    let scan = inputs.scan;
    selection
        .units
        .iter()
        // A unit with no path has nothing to remove.
        .filter_map(|selected| {
            let unit = &scan.units[selected.unit];
            let first = *select::unit_paths(unit).first()?;
            Some(Planned {
                shown: inputs.anchors.shown(first),
                message: format!(
                    "{} `{}` ({}, {}): {}",
                    match unit.key {
                        UnitKey::Hash(_) => "unit",
                        UnitKey::Incremental(_) => "incremental cache",
                    },
                    unit.name,
                    scan.profiles[unit.profile].name,
                    ByteSize(unit.bytes),
                    selected.reason
                ),
                bytes: unit.bytes,
                rule: selected.rule,
                what: What::Unit(selected.unit),
            })
        })
        .collect()
}

/// The extra files, and notes on what matched but is kept.
fn extra_items(inputs: &Inputs<'_>, notes: &mut Vec<Finding>) -> Vec<Planned> {
    let anchors = inputs.anchors;
    let skip = extras::Skip {
        target: anchors.target.as_ref().map(|t| (t.stat.dev, t.stat.ino)),
        paths: &anchors.extra_skip,
        tracked: inputs.tracked,
    };
    let found = extras::find(&anchors.root, &skip, &inputs.policy.extra, inputs.now);
    for (path, count) in &found.tracked {
        let message = match count {
            None => "matches a `[[clean.extra]]` glob, but git tracks it: kept it".to_owned(),
            Some(count) => format!(
                "matches a `[[clean.extra]]` glob, but holds {count} file{} git tracks: kept {}",
                if *count == 1 { "" } else { "s" },
                if *count == 1 { "it" } else { "them" }
            ),
        };
        notes.push(
            Finding::warning(CleanCode::TrackedKept, message)
                .file(anchors.shown(path))
                .help("untrack it with `git rm --cached <path>` if it should go"),
        );
    }
    for path in &found.repos {
        notes.push(
            Finding::warning(
                CleanCode::RepositoryKept,
                "matches a `[[clean.extra]]` glob, but it is a git repository of its own (a nested repository or a submodule): not entered",
            )
            .file(anchors.shown(path))
            .help("clean it from inside that repository (e.g. `git clean`), or narrow the glob"),
        );
    }
    notes.extend(
        found
            .errors
            .iter()
            .map(|(path, err)| unreadable(inputs, path, err)),
    );
    found
        .found
        .into_iter()
        .map(|found| Planned {
            shown: anchors.shown(&found.path),
            message: if found.is_dir {
                format!("empty directory: {}", found.reason)
            } else {
                format!("{}: {}", ByteSize(found.bytes), found.reason)
            },
            bytes: found.bytes,
            rule: Rule::Extra,
            what: if found.is_dir {
                What::ExtraDir(found.path)
            } else {
                What::ExtraFile(found.path)
            },
        })
        .collect()
}
