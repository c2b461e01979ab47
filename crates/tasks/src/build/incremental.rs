//! Incremental rebuild time: make cargo see a change to one member without
//! changing any content (its root source file's modification time moves to
//! now, and back afterwards), rebuild, and compare what rebuilt with what
//! cargo's resolved dependency graph predicts: the member and its reverse
//! dependencies.

use std::fs::{File, FileTimes};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use cargo_perf_engine::workspace::{Member, TargetKind};
use cargo_perf_engine::{TaskContext, TaskError};

use super::cargo::BuildOutput;

/// One member's measured edit-rebuild cycle.
pub(crate) struct Timing {
    pub member: String,
    pub duration: Duration,
    pub rebuilt: usize,
    /// Packages rebuilt that the dependency graph did not predict.
    pub unexpected: Vec<String>,
    pub build: BuildOutput,
}

/// The file whose modification time stands in for an edit of `member`: the
/// root of its library, or of its first binary.
pub(crate) fn root_file(member: &Member) -> Option<&Path> {
    [TargetKind::Lib, TargetKind::Bin]
        .iter()
        .find_map(|kind| member.targets.iter().find(|t| t.kind == *kind))
        .map(|t| t.src_path.as_path())
}

/// Whether `path`, with every symlink resolved, lies inside `root`.
pub(crate) fn inside(path: &Path, root: &Path) -> bool {
    match (path.canonicalize(), root.canonicalize()) {
        (Ok(path), Ok(root)) => path.starts_with(root),
        _ => false,
    }
}

/// A file whose modification time was moved to now; dropping it puts the
/// old time back, so even an interrupted run leaves only a harmless mtime.
pub(crate) struct Touched {
    file: File,
    original: SystemTime,
}

impl Touched {
    /// Refuses files that resolve outside the workspace (a symlink out of it).
    pub(crate) fn now(path: &Path, workspace_root: &Path) -> Result<Touched, TaskError> {
        let resolved = path
            .canonicalize()
            .map_err(|err| TaskError::new(format!("cannot read {}: {err}", path.display())))?;
        let root = workspace_root
            .canonicalize()
            .unwrap_or_else(|_| workspace_root.to_owned());
        if !resolved.starts_with(&root) {
            return Err(TaskError::new(format!(
                "{} resolves to {}, outside the workspace; cargo perf does not touch files outside it",
                path.display(),
                resolved.display()
            ))
            .hint("leave this member out with `[build] members` or `-p`"));
        }
        let file = File::open(&resolved)
            .map_err(|err| TaskError::new(format!("cannot open {}: {err}", path.display())))?;
        let original = file
            .metadata()
            .and_then(|m| m.modified())
            .map_err(|err| TaskError::new(format!("cannot stat {}: {err}", path.display())))?;
        file.set_times(FileTimes::new().set_modified(SystemTime::now()))
            .map_err(|err| {
                TaskError::new(format!(
                    "cannot set the modification time of {}: {err}",
                    path.display()
                ))
                .hint("the task needs to own the member's source files")
            })?;
        Ok(Touched { file, original })
    }
}

impl Drop for Touched {
    fn drop(&mut self) {
        let _ = self
            .file
            .set_times(FileTimes::new().set_modified(self.original));
    }
}

/// Times one edit-rebuild cycle of `member`. Packages the no-op build
/// rebuilt already are not blamed on the edit.
pub(crate) fn time_member(
    cx: &TaskContext<'_>,
    timed: &super::Timed<'_>,
    member: &Member,
    root: &Path,
) -> Result<Timing, TaskError> {
    let workspace = cx.workspace();
    let shown: PathBuf = workspace.relative(root).to_owned();
    let touched = Touched::now(root, &workspace.root)?;
    cx.step(&format!(
        "touched {} (modification time only, content unchanged; restored afterwards)",
        shown.display()
    ));
    let build = timed.command.run(cx)?;
    drop(touched);
    let predicted = timed.graph.cascade(&member.id);
    let unexpected = build
        .rebuilt_packages()
        .into_iter()
        .filter(|p| !predicted.contains(p) && !timed.always_dirty.contains(p))
        .collect();
    Ok(Timing {
        member: member.name.clone(),
        duration: build.duration,
        rebuilt: build.work_count(),
        unexpected,
        build,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_restores_the_modification_time_and_keeps_content() {
        let dir = std::env::temp_dir().join(format!("cargo-perf-touch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("lib.rs");
        std::fs::write(&file, "fn x() {}\n").unwrap();
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        File::open(&file)
            .unwrap()
            .set_times(FileTimes::new().set_modified(old))
            .unwrap();
        let touched = Touched::now(&file, &dir).unwrap();
        assert!(std::fs::metadata(&file).unwrap().modified().unwrap() > old);
        drop(touched);
        assert_eq!(std::fs::metadata(&file).unwrap().modified().unwrap(), old);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "fn x() {}\n");
        let outside = Touched::now(&file, &std::env::temp_dir().join("elsewhere"));
        assert!(outside.is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
