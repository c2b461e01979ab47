//! The `clean` task: removes what `[clean]` in perf.toml asks for (stale
//! build units in the target dir, units of toolchains no longer installed,
//! the least recently used units beyond a size budget, extra untracked
//! files), each with its size and reason, and reports the target dir's disk
//! usage. It is not part of `check`: it runs as `cargo perf clean` or when a
//! pipeline names it. `--dry-run` reports exactly the list a real run removes.

mod atime;
mod extras;
mod layout;
mod rawdir;
mod remove;
mod safety;
mod scan;
mod select;
mod toolchains;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use cargo_perf_engine::{Finding, Metric, Task, TaskContext, TaskError, Unit, interrupt};
use cargo_perf_policy::ByteSize;
use cargo_perf_policy::sections::clean::Toolchains;

use safety::{Locking, Tracked};

/// The `clean` task, configured from `cargo perf clean`'s flags.
#[derive(Debug, Clone, Default)]
pub struct CleanTask {
    /// Report what would be removed; remove nothing.
    pub dry_run: bool,
    /// Wait for cargo's build lock instead of skipping a locked profile.
    pub wait: bool,
}

impl Task for CleanTask {
    fn name(&self) -> &str {
        "clean"
    }

    fn description(&self) -> &str {
        "removes stale build units and extra files as [clean] in perf.toml says (not part of check)"
    }

    fn run(&self, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
        Cleaner::new(cx, self)?.run(cx)
    }
}

/// One removal as reported, and how to carry it out.
struct Planned {
    shown: PathBuf,
    message: String,
    bytes: u64,
    what: What,
}

enum What {
    Unit(usize),
    Extra(PathBuf),
}

struct Cleaner {
    root: PathBuf,
    target: Option<PathBuf>,
    dry_run: bool,
    wait: bool,
}

impl Cleaner {
    fn new(cx: &TaskContext<'_>, task: &CleanTask) -> Result<Self, TaskError> {
        let workspace = cx.workspace();
        let root = workspace.root.canonicalize().map_err(|err| {
            TaskError::new(format!(
                "cannot resolve {}: {err}",
                workspace.root.display()
            ))
        })?;
        let target = match workspace.target_dir.canonicalize() {
            Ok(target) => Some(target),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => {
                return Err(TaskError::new(format!(
                    "cannot resolve the target dir {}: {err}",
                    workspace.target_dir.display()
                ))
                .hint("check that the target dir is readable"));
            }
        };
        Ok(Cleaner {
            root,
            target,
            dry_run: task.dry_run,
            wait: task.wait,
        })
    }

    fn shown(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root)
            .map(Path::to_owned)
            .unwrap_or_else(|_| path.to_owned())
    }

    fn run(self, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
        let policy = &cx.policy().clean;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut roots: Vec<&Path> = Vec::new();
        if let Some(target) = &self.target {
            roots.push(target);
        }
        if !policy.extra.is_empty() {
            roots.push(&self.root);
        }
        let tracked = match cx.project.git()? {
            Some(repo) if !roots.is_empty() => Tracked::load(repo, &roots)?,
            _ => Tracked::default(),
        };

        // Take cargo's build lock on every profile before looking, so what
        // we list is what we remove: no build can change it in between.
        let mut locks = Vec::new();
        let mut busy_names = Vec::new();
        let last_use = self
            .target
            .as_deref()
            .map_or(atime::LastUse::Mtime("no target dir"), atime::detect);
        if let Some(target) = &self.target {
            cx.step("taking cargo's build lock");
            let top = layout::top_level(target).map_err(|err| {
                TaskError::new(format!("cannot read {}: {err}", target.display()))
            })?;
            for profile in &top.profiles {
                if self.wait {
                    cx.step(&format!(
                        "waiting for cargo's build lock on {}",
                        profile.name
                    ));
                }
                match safety::lock_profile(&profile.dir, self.wait) {
                    Ok(Locking::Held(lock)) => locks.push(lock),
                    Ok(Locking::Busy) => busy_names.push(profile.name.clone()),
                    Err(err) => {
                        return Err(TaskError::new(format!(
                            "cannot take cargo's build lock in {}: {err}",
                            profile.dir.display()
                        )));
                    }
                }
            }
        }
        if interrupt::is_interrupted() {
            return Ok(());
        }

        cx.step("scanning the target dir");
        let scan = match &self.target {
            Some(target) => scan::scan(target, last_use.uses_atime()).map_err(|err| {
                TaskError::new(format!("cannot read {}: {err}", target.display()))
            })?,
            None => scan::Scan::default(),
        };
        let busy: Vec<usize> = scan
            .profiles
            .iter()
            .enumerate()
            .filter(|(_, p)| busy_names.contains(&p.name))
            .map(|(i, _)| i)
            .collect();
        for index in &busy {
            let profile = &scan.profiles[*index];
            cx.finding(
                Finding::warning(
                    "build-locked",
                    format!(
                        "{} is locked by a running cargo build: skipped it",
                        profile.name
                    ),
                )
                .file(self.shown(&profile.dir))
                .help("run again when the build has finished, or pass `--wait` to wait for it"),
            );
        }
        for (path, err) in &scan.errors {
            cx.finding(
                Finding::warning("unreadable", format!("cannot read it: {err}"))
                    .file(self.shown(path))
                    .help("check its permissions; what cannot be read is not removed"),
            );
        }

        let unreadable: Vec<PathBuf> = scan.errors.iter().map(|(p, _)| p.clone()).collect();
        let installed = if policy.toolchains == Toolchains::Installed && !scan.units.is_empty() {
            cx.step("asking each installed toolchain for its fingerprint");
            let installed = toolchains::probe(cx.workspace())?;
            for (name, err) in &installed.broken {
                cx.finding(Finding::warning(
                    "toolchain-broken",
                    format!("toolchain `{name}` is listed by rustup but cannot build: {err}; its units count as not installed"),
                ).help(format!("repair it with `rustup toolchain install {name}`, or remove it")));
            }
            Some(installed)
        } else {
            None
        };
        let selection = select::select(
            &scan,
            &select::Inputs {
                policy,
                now,
                installed: installed.as_ref(),
                tracked: &tracked,
                busy: &busy,
                unreadable: &unreadable,
            },
        );
        for index in &selection.kept_tracked {
            let unit = &scan.units[*index];
            let path = select::unit_paths(unit)
                .into_iter()
                .find(|p| tracked.covers(p))
                .unwrap_or(&self.root);
            cx.finding(
                Finding::warning(
                    "tracked-kept",
                    format!("unit `{}` holds a file git tracks: kept it", unit.name),
                )
                .file(self.shown(path))
                .help("build output should not be in git: untrack it with `git rm --cached -r <path>`"),
            );
        }

        let mut planned: Vec<Planned> = selection
            .units
            .iter()
            .map(|selected| {
                let unit = &scan.units[selected.unit];
                let first = select::unit_paths(unit)[0];
                Planned {
                    shown: self.shown(first),
                    message: format!(
                        "{} `{}` ({}, {}): {}",
                        match unit.key {
                            layout::UnitKey::Hash(_) => "unit",
                            layout::UnitKey::Incremental(_) => "incremental cache",
                        },
                        unit.name,
                        scan.profiles[unit.profile].name,
                        ByteSize(unit.bytes),
                        selected.reason
                    ),
                    bytes: unit.bytes,
                    what: What::Unit(selected.unit),
                }
            })
            .collect();
        if !policy.extra.is_empty() {
            cx.step("looking for extra files");
            // Never the target dir (units are judged whole, above), git's
            // own files, or the tool's state (baselines, history).
            let mut skip = vec![
                self.root.join(".git"),
                self.root.join(cargo_perf_engine::workspace::STATE_DIR),
            ];
            skip.extend(self.target.clone());
            for found in extras::find(&self.root, &skip, &policy.extra, now) {
                if tracked.covers(&found.path) {
                    cx.finding(
                        Finding::warning(
                            "tracked-kept",
                            "matches a `[[clean.extra]]` glob, but git tracks it: kept it",
                        )
                        .file(self.shown(&found.path))
                        .help("untrack it with `git rm --cached <path>` if it should go"),
                    );
                    continue;
                }
                planned.push(Planned {
                    shown: self.shown(&found.path),
                    message: format!("{}: {}", ByteSize(found.bytes), found.reason),
                    bytes: found.bytes,
                    what: What::Extra(found.path),
                });
            }
        }
        if let Some(remaining) = selection.over_budget {
            cx.finding(
                Finding::warning(
                    "over-budget",
                    format!(
                        "the target dir still takes {} after removing every unit the rules allow (max-size {})",
                        ByteSize(remaining),
                        ByteSize(policy.max_size.map_or(0, |s| s.0))
                    ),
                )
                .help("raise `[clean] max-size`, or look at the docs and other files in the disk-usage metrics"),
            );
        }

        let reclaimable: u64 = planned.iter().map(|p| p.bytes).sum();
        for item in &planned {
            cx.finding(Finding::info("remove", item.message.clone()).file(item.shown.clone()));
        }

        let mut removed_bytes = 0;
        let mut removed = 0;
        let mut failed = 0;
        let mut interrupted = false;
        if !self.dry_run {
            for item in &planned {
                if interrupt::is_interrupted() {
                    interrupted = true;
                    break;
                }
                cx.step(&format!("removing {}", item.shown.display()));
                let (allowed_root, paths, failures) = match &item.what {
                    What::Unit(index) => {
                        let unit = &scan.units[*index];
                        let target = self.target.as_deref().unwrap_or(&self.root);
                        let paths: Vec<PathBuf> = select::unit_paths(unit)
                            .into_iter()
                            .map(Path::to_owned)
                            .collect();
                        if paths.iter().all(|p| safety::is_inside(p, target)) {
                            let failures =
                                remove::remove_unit(unit.fingerprint.as_deref(), &unit.entries);
                            (target, paths, Some(failures))
                        } else {
                            (target, paths, None)
                        }
                    }
                    What::Extra(path) => {
                        let inside = safety::is_inside(path, &self.root)
                            && self.target.as_deref().is_none_or(|t| !path.starts_with(t));
                        let failures = inside.then(|| remove::remove_path(path));
                        (self.root.as_path(), vec![path.clone()], failures)
                    }
                };
                match failures {
                    None => {
                        failed += 1;
                        cx.finding(
                            Finding::error(
                                "outside-workspace",
                                format!(
                                    "refused to remove it: it resolves to a place outside {}",
                                    allowed_root.display()
                                ),
                            )
                            .file(self.shown(&paths[0]))
                            .help("a directory on its path is a symlink that leads elsewhere; remove it by hand if it should go"),
                        );
                    }
                    Some(failures) if failures.is_empty() => {
                        removed += 1;
                        removed_bytes += item.bytes;
                    }
                    Some(failures) => {
                        failed += 1;
                        for (path, err) in failures {
                            cx.finding(
                                Finding::error(
                                    "remove-failed",
                                    format!("cannot remove it: {err}"),
                                )
                                .file(self.shown(&path))
                                .help("check its permissions and attributes (`ls -ld`, `lsattr -d`), then run `cargo perf clean` again"),
                            );
                        }
                    }
                }
            }
        }
        drop(locks);

        let before = scan.total;
        let target_removed: u64 = planned
            .iter()
            .filter(|p| matches!(p.what, What::Unit(_)))
            .map(|p| p.bytes)
            .sum();
        let after = if self.dry_run {
            before.saturating_sub(target_removed)
        } else {
            before.saturating_sub(removed_bytes.min(target_removed))
        };
        cx.metric(Metric::new(
            "reclaimable-bytes",
            reclaimable as f64,
            Unit::Bytes,
        ));
        if !self.dry_run {
            cx.metric(Metric::new(
                "reclaimed-bytes",
                removed_bytes as f64,
                Unit::Bytes,
            ));
        }
        cx.metric(Metric::new(
            "target-bytes-before",
            before as f64,
            Unit::Bytes,
        ));
        cx.metric(Metric::new("target-bytes-after", after as f64, Unit::Bytes));
        cx.metric(Metric::new("units", scan.units.len() as f64, Unit::Count));
        cx.metric(Metric::new("removals", planned.len() as f64, Unit::Count));
        for ((profile, kind), bytes) in &scan.usage {
            if *bytes == 0 {
                continue;
            }
            let name = match profile {
                Some(index) => format!("usage.{}.{}", scan.profiles[*index].name, kind.as_str()),
                None => format!("usage.{}", kind.as_str()),
            };
            cx.metric(Metric::new(name, *bytes as f64, Unit::Bytes));
        }

        let units = selection.units.len();
        let files = planned.len() - units;
        let what = format!(
            "{units} unit{} and {files} extra path{}",
            plural(units),
            plural(files)
        );
        let summary = if planned.is_empty() && no_rules(policy) {
            "nothing to remove: no rule is set in [clean] of perf.toml (see docs/clean.md)"
                .to_owned()
        } else if self.dry_run {
            format!(
                "would remove {what} ({}); target dir {} -> {}; {}",
                ByteSize(reclaimable),
                ByteSize(before),
                ByteSize(after),
                last_use.describe()
            )
        } else if interrupted {
            format!(
                "interrupted after removing {removed} of {} ({} reclaimed)",
                planned.len(),
                ByteSize(removed_bytes)
            )
        } else {
            format!(
                "removed {what}{}: {} reclaimed; target dir {} -> {}; {}",
                if failed > 0 {
                    format!(" ({failed} failed)")
                } else {
                    String::new()
                },
                ByteSize(removed_bytes),
                ByteSize(before),
                ByteSize(after),
                last_use.describe()
            )
        };
        cx.summary(summary);
        Ok(())
    }
}

fn no_rules(policy: &cargo_perf_policy::sections::clean::Clean) -> bool {
    policy.max_age.is_none()
        && policy.max_size.is_none()
        && policy.toolchains == Toolchains::Any
        && policy.extra.is_empty()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
