//! The read-only half of a clean run: open the workspace and target dir once
//! ([`Anchor`]), see which profiles a running build holds, scan, and plan.
//! It removes nothing and changes nothing, so `cargo perf clean --dry-run`,
//! `cargo perf report` (what clean would reclaim) and a real run all plan
//! through [`survey`] and cannot disagree. Only a real run keeps cargo's
//! build locks once the survey is done (until it has acted, so no build
//! changes what it listed); a dry run only tries them, never holding up a
//! build, and waits for them only when `--wait` asks it to.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use cargo_perf_engine::task::Written;
use cargo_perf_engine::{Project, TaskError, interrupt};

use super::nofollow::Anchor;
use super::plan::{self, Plan};
use super::safety::{self, BuildLock, Locking, Tracked};
use super::scan::{self, Scan};
use super::{Settings, atime, layout};

/// The directories a run works in, each opened once: every later step is
/// relative to these handles, so nothing can move them from under it.
pub(super) struct Anchors {
    pub root: Anchor,
    pub target: Option<Anchor>,
    /// Paths an extra glob never enters (besides `.git`, repositories and the target dir).
    pub extra_skip: Vec<PathBuf>,
}

impl Anchors {
    /// `path` as shown to the user: relative to the workspace root when inside it.
    pub(super) fn shown(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root.path)
            .map(Path::to_owned)
            .unwrap_or_else(|_| path.to_owned())
    }
}

/// What a run found and plans to remove.
pub(super) struct Survey {
    pub anchors: Anchors,
    pub scan: Scan,
    pub plan: Plan,
    pub last_use: atime::LastUse,
    /// Cargo's build locks, held in a real run only.
    pub locks: Vec<BuildLock>,
}

/// What `clean` would remove in `project` now, under `settings`. `writes`
/// are the paths every registered task declares ([`cargo_perf_engine::Task::writes`]):
/// an extra glob never reaches into them. `None` when Ctrl-C stopped it.
pub(super) fn survey(
    project: &Project,
    writes: &[Written],
    settings: &Settings<'_>,
    step: &dyn Fn(&str),
) -> Result<Option<Survey>, TaskError> {
    let policy = settings.policy;
    let anchors = anchors(project, writes)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let tracked = tracked(project, &anchors, settings)?;
    let last_use = anchors
        .target
        .as_ref()
        .map_or(atime::LastUse::Mtime("no target dir"), |t| {
            atime::detect(&t.path)
        });
    let top = top_level(&anchors)?;
    // A real run takes cargo's build lock on every profile before looking,
    // so what it lists is what it removes: no build can change it in between.
    let (locks, busy) = lock(top.as_ref(), settings, step)?;
    if interrupt::is_interrupted() {
        return Ok(None);
    }
    step("scanning the target dir");
    let scan = top.map_or_else(Scan::default, |top| scan::scan(top, last_use.uses_atime()));
    // A scan cut short by Ctrl-C is not a plan to act on.
    if interrupt::is_interrupted() {
        return Ok(None);
    }
    let mut plan = plan::plan(&plan::Inputs {
        workspace: &project.workspace,
        step,
        anchors: &anchors,
        scan: &scan,
        tracked: &tracked,
        busy: &busy,
        policy,
        now,
        keep_profiles: project.policy.profile.keep as usize,
    })?;
    if settings.dry_run {
        plan.held.clear();
    }
    Ok(Some(Survey {
        anchors,
        scan,
        plan,
        last_use,
        locks,
    }))
}

fn anchors(project: &Project, writes: &[Written]) -> Result<Anchors, TaskError> {
    let workspace = &project.workspace;
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
    for written in writes {
        extra_skip.extend(written_paths(&workspace.root, &root.path, &written.path));
    }
    Ok(Anchors {
        root,
        target,
        extra_skip,
    })
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

/// What git tracks in the target dir and (for extra globs) the workspace,
/// asking the workspace's repository and the one holding the target dir.
fn tracked(
    project: &Project,
    anchors: &Anchors,
    settings: &Settings<'_>,
) -> Result<Tracked, TaskError> {
    let mut roots: Vec<&Path> = Vec::new();
    if let Some(target) = &anchors.target {
        roots.push(&target.path);
    }
    if !settings.policy.extra.is_empty() {
        roots.push(&anchors.root.path);
    }
    let repo = project.git()?;
    let mut tracked = match repo {
        Some(repo) if !roots.is_empty() => Tracked::load(repo, &roots)?,
        _ => Tracked::default(),
    };
    if let Some(target) = &anchors.target {
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

fn top_level(anchors: &Anchors) -> Result<Option<layout::TopLevel>, TaskError> {
    let Some(target) = &anchors.target else {
        return Ok(None);
    };
    layout::top_level(target)
        .map(Some)
        .map_err(|err| TaskError::new(format!("cannot read {}: {err}", target.path.display())))
}

/// Cargo's build lock on every profile that no running build holds (in a
/// dry run each is let go at once: trying it is all a dry run needs), and
/// the names of those one does.
fn lock(
    top: Option<&layout::TopLevel>,
    settings: &Settings<'_>,
    step: &dyn Fn(&str),
) -> Result<(Vec<BuildLock>, Vec<String>), TaskError> {
    let (mut held, mut busy) = (Vec::new(), Vec::new());
    let Some(top) = top else {
        return Ok((held, busy));
    };
    step("taking cargo's build lock");
    for profile in &top.profiles {
        if settings.wait {
            step(&format!(
                "waiting for cargo's build lock on {}",
                profile.name
            ));
        }
        match safety::lock_profile(profile, settings.wait) {
            Ok(Locking::Held(lock)) if !settings.dry_run => held.push(lock),
            Ok(Locking::Held(_)) => {}
            Ok(Locking::Busy) => busy.push(profile.name.clone()),
            Err(err) => {
                return Err(TaskError::new(format!(
                    "cannot take cargo's build lock in {}: {err}",
                    profile.dir.display()
                ))
                .hint("`.cargo-lock` there must be a regular file cargo can lock; remove it if no build is running"));
            }
        }
    }
    Ok((held, busy))
}
