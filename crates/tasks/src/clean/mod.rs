//! The `clean` task: removes what `[clean]` in perf.toml asks for (stale
//! build units in the target dir, units of toolchains no longer installed,
//! the least recently used units beyond a size budget, extra untracked
//! files), each with its size and reason, and reports the target dir's disk
//! usage. It is not part of `check`: it runs as `cargo perf clean` or when a
//! pipeline names it. `--dry-run` reports exactly the list a real run removes.
//!
//! A run goes in phases that hand data on: open the workspace and target
//! dir once ([`nofollow::Anchor`]) and take cargo's build locks, scan, plan
//! (select units and extra files), act (remove), report.

mod act;
mod atime;
pub(crate) mod codes;
mod extras;
mod layout;
mod nofollow;
mod plan;
mod remove;
mod report;
mod safety;
mod scan;
mod select;
mod tool_output;
mod toolchains;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use cargo_perf_engine::{ChangeScope, Project, Task, TaskContext, TaskError, interrupt};
use cargo_perf_policy::sections::clean::Clean;

use nofollow::Anchor;
use safety::{BuildLock, Locking, Tracked};

/// How `cargo perf clean` was asked to run.
#[derive(Debug, Clone, Default)]
pub struct CleanOptions {
    /// Report what would be removed; remove nothing.
    pub dry_run: bool,
    /// Wait for cargo's build lock instead of skipping a locked profile.
    pub wait: bool,
}

/// The flags over `[clean]`: everything one run reads.
struct Settings<'p> {
    dry_run: bool,
    wait: bool,
    policy: &'p Clean,
}

impl CleanOptions {
    /// No flag overrides a `[clean]` key today; the step exists so one
    /// that does has its one place, as in every task.
    fn resolve<'p>(&self, policy: &'p Clean) -> Settings<'p> {
        Settings {
            dry_run: self.dry_run,
            wait: self.wait,
            policy,
        }
    }
}

/// The `clean` task, configured from `cargo perf clean`'s flags.
#[derive(Debug, Clone, Default)]
pub struct CleanTask {
    options: CleanOptions,
}

impl CleanTask {
    pub fn new(options: CleanOptions) -> Self {
        Self { options }
    }
}

impl Task for CleanTask {
    /// Never beside another cargo task: it takes cargo's build locks.
    fn exclusive(&self) -> Option<&str> {
        Some(cargo_perf_engine::task::CARGO)
    }

    fn name(&self) -> &str {
        "clean"
    }

    fn description(&self) -> &str {
        "removes stale build units and extra files as [clean] in perf.toml says (not part of check)"
    }

    /// What is stale in the target dir does not depend on which files
    /// changed: a change scope never narrows a cleanup.
    fn unaffected(&self, _: &ChangeScope, _: &Project) -> Option<String> {
        None
    }

    fn run(&self, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
        let settings = self.options.resolve(&cx.policy().clean);
        Cleaner::new(cx, settings)?.run(cx)
    }
}

/// The directories a run works in, each opened once: every later step is
/// relative to these handles, so nothing can move them from under it.
struct Anchors {
    root: Anchor,
    target: Option<Anchor>,
    /// Paths an extra glob never enters (besides `.git`, repositories and the target dir).
    extra_skip: Vec<PathBuf>,
}

impl Anchors {
    /// `path` as shown to the user: relative to the workspace root when inside it.
    fn shown(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root.path)
            .map(Path::to_owned)
            .unwrap_or_else(|_| path.to_owned())
    }
}

/// Where an extra glob meets `path` (absolute, or relative to the workspace
/// root `configured`): under the canonical root `canonical`, as written and
/// with its symlinks resolved.
fn written_paths(configured: &Path, canonical: &Path, path: &Path) -> Vec<PathBuf> {
    let absolute = configured.join(path);
    let mut paths: Vec<PathBuf> = absolute.canonicalize().into_iter().collect();
    if let Ok(rel) = absolute.strip_prefix(configured) {
        let rel: PathBuf = rel
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect();
        paths.push(canonical.join(rel));
    }
    paths
}

struct Cleaner<'p> {
    anchors: Anchors,
    settings: Settings<'p>,
}

/// Cargo's build locks taken, and the profiles a running build holds.
struct Locks {
    _held: Vec<BuildLock>,
    busy: Vec<String>,
}

impl<'p> Cleaner<'p> {
    fn new(cx: &TaskContext<'_>, settings: Settings<'p>) -> Result<Self, TaskError> {
        let workspace = cx.workspace();
        let root = workspace
            .root
            .canonicalize()
            .and_then(|root| Anchor::open(&root))
            .map_err(|err| {
                TaskError::new(format!("cannot open {}: {err}", workspace.root.display()))
            })?;
        let target = match workspace.target_dir.canonicalize() {
            Ok(target) => Some(Anchor::open(&target)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => Some(Err(err)),
        }
        .transpose()
        .map_err(|err| {
            TaskError::new(format!(
                "cannot open the target dir {}: {err}",
                workspace.target_dir.display()
            ))
            .hint("check that the target dir is readable")
        })?;
        let mut extra_skip = vec![root.path.join(cargo_perf_engine::workspace::STATE_DIR)];
        // The target dir as configured, even when it is a symlink to the real one.
        if let Ok(rel) = workspace.target_dir.strip_prefix(&workspace.root) {
            extra_skip.push(root.path.join(rel));
        }
        // What other tasks write (a custom `[bench] history`, profile output).
        for written in cx.declared_writes() {
            extra_skip.extend(written_paths(&workspace.root, &root.path, &written.path));
        }
        Ok(Cleaner {
            anchors: Anchors {
                root,
                target,
                extra_skip,
            },
            settings,
        })
    }

    fn run(self, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
        let policy = self.settings.policy;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let tracked = self.tracked(cx)?;
        let last_use = self
            .anchors
            .target
            .as_ref()
            .map_or(atime::LastUse::Mtime("no target dir"), |t| {
                atime::detect(&t.path)
            });
        let top = self.top_level()?;
        // Take cargo's build lock on every profile before looking, so what
        // we list is what we remove: no build can change it in between.
        let locks = self.lock(cx, top.as_ref())?;
        if interrupt::is_interrupted() {
            report::interrupted_early(cx);
            return Ok(());
        }
        cx.step("scanning the target dir");
        let scan = top.map_or_else(scan::Scan::default, |top| {
            scan::scan(top, last_use.uses_atime())
        });
        // A scan cut short by Ctrl-C is not a plan to act on.
        if interrupt::is_interrupted() {
            report::interrupted_early(cx);
            return Ok(());
        }
        let plan = plan::plan(
            cx,
            &plan::Inputs {
                anchors: &self.anchors,
                scan: &scan,
                tracked: &tracked,
                busy: &locks.busy,
                policy,
                now,
                keep_profiles: cx.policy().profile.keep as usize,
            },
        )?;
        let done =
            (!self.settings.dry_run).then(|| act::act(cx, &self.anchors, &scan, &plan.items));
        drop(locks);
        report::report(
            cx,
            &report::Inputs {
                anchors: &self.anchors,
                scan: &scan,
                plan: &plan,
                done: done.as_deref(),
                policy,
                last_use,
            },
        );
        Ok(())
    }

    /// What git tracks in the target dir and (for extra globs) the workspace,
    /// asking the workspace's repository and the one holding the target dir.
    fn tracked(&self, cx: &TaskContext<'_>) -> Result<Tracked, TaskError> {
        let mut roots: Vec<&Path> = Vec::new();
        if let Some(target) = &self.anchors.target {
            roots.push(&target.path);
        }
        if !self.settings.policy.extra.is_empty() {
            roots.push(&self.anchors.root.path);
        }
        let repo = cx.project.git()?;
        let mut tracked = match repo {
            Some(repo) if !roots.is_empty() => Tracked::load(repo, &roots)?,
            _ => Tracked::default(),
        };
        if let Some(target) = &self.anchors.target {
            let known = repo.map(|r| {
                r.toplevel
                    .canonicalize()
                    .unwrap_or_else(|_| r.toplevel.clone())
            });
            let other = Tracked::load_target_repo(&target.path, known.as_deref()).map_err(|err| {
                TaskError::new(format!(
                    "cannot ask git which files are tracked in the repository holding the target dir {}: {err}; removed nothing",
                    target.path.display()
                ))
                .hint(err.hint())
            })?;
            tracked.merge(other);
        }
        Ok(tracked)
    }

    fn top_level(&self) -> Result<Option<layout::TopLevel>, TaskError> {
        let Some(target) = &self.anchors.target else {
            return Ok(None);
        };
        layout::top_level(target)
            .map(Some)
            .map_err(|err| TaskError::new(format!("cannot read {}: {err}", target.path.display())))
    }

    fn lock(
        &self,
        cx: &TaskContext<'_>,
        top: Option<&layout::TopLevel>,
    ) -> Result<Locks, TaskError> {
        let mut locks = Locks {
            _held: Vec::new(),
            busy: Vec::new(),
        };
        let Some(top) = top else {
            return Ok(locks);
        };
        cx.step("taking cargo's build lock");
        for profile in &top.profiles {
            if self.settings.wait {
                cx.step(&format!(
                    "waiting for cargo's build lock on {}",
                    profile.name
                ));
            }
            match safety::lock_profile(profile, self.settings.wait) {
                Ok(Locking::Held(lock)) => locks._held.push(lock),
                Ok(Locking::Busy) => locks.busy.push(profile.name.clone()),
                Err(err) => {
                    return Err(TaskError::new(format!(
                        "cannot take cargo's build lock in {}: {err}",
                        profile.dir.display()
                    ))
                    .hint("`.cargo-lock` there must be a regular file cargo can lock; remove it if no build is running"));
                }
            }
        }
        Ok(locks)
    }
}
