//! The `clean-tool-output` rule: what cargo perf itself left in
//! `<target>/cargo-perf/` that is no longer needed. Profile runs beyond the
//! newest `[profile] keep`; the recordings (`perf.data`, `callgrind.out`)
//! of every kept run but the newest (their flamegraphs and folded stacks
//! stay); what an interrupted `build --clean` left in its build dir (its
//! timings report stays); and the private target dirs of baseline builds,
//! unless a build holds their lock. Nothing outside those places is looked
//! at, a symlink on the way is never followed, and nothing git tracks goes.

use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};

use cargo_perf_engine::Finding;
use cargo_perf_engine::du::BlockCounter;
use cargo_perf_policy::ByteSize;

use super::codes::CleanCode;
use super::safety::Tracked;
use crate::tool_output as ours;

/// One output of ours to remove (a file or a whole directory).
pub(super) struct Found {
    pub path: PathBuf,
    pub bytes: u64,
    pub reason: String,
}

/// What the rule found, the notes on what it kept, and the build locks it
/// holds on private target dirs until the run ends.
#[derive(Default)]
pub(super) struct ToolOutput {
    pub found: Vec<Found>,
    pub notes: Vec<Finding>,
    pub held: Vec<File>,
}

/// Looks in `<target>/cargo-perf/` (`target` canonical) for what may go;
/// `shown` spells a path for a note.
pub(super) fn find(
    target: &Path,
    keep: usize,
    tracked: &Tracked,
    shown: &dyn Fn(&Path) -> PathBuf,
) -> ToolOutput {
    let mut out = ToolOutput::default();
    let root = ours::root(target);
    if !is_real_dir(&root) {
        return out;
    }
    profile_runs(&root, keep, &mut out);
    clean_build(&root, &mut out);
    private_targets(&root, &mut out, shown);
    let (kept, found): (Vec<Found>, Vec<Found>) =
        out.found.into_iter().partition(|f| tracked.covers(&f.path));
    out.found = found;
    out.notes.extend(kept.into_iter().map(|f| {
        Finding::warning(
            CleanCode::TrackedKept,
            "an old output of cargo perf, but git tracks it (or files in it): kept it",
        )
        .file(shown(&f.path))
        .help("untrack it with `git rm --cached -r <path>` if it should go")
    }));
    out
}

fn profile_runs(root: &Path, keep: usize, out: &mut ToolOutput) {
    let runs = ours::list_runs(&ours::profile_runs_in(root));
    let old = runs.len().saturating_sub(keep);
    for run in &runs[..old] {
        push(
            out,
            run,
            format!("a profile run older than the newest {keep} (`[profile] keep`)"),
        );
    }
    let kept = &runs[old..];
    // The newest run keeps its recording, for `perf report` on it.
    for run in kept.iter().take(kept.len().saturating_sub(1)) {
        for name in ours::RECORDINGS {
            let path = run.join(name);
            if fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
                push(
                    out,
                    &path,
                    "the recording of an older profile run (its flamegraph and folded stacks stay)"
                        .to_owned(),
                );
            }
        }
    }
}

fn clean_build(root: &Path, out: &mut ToolOutput) {
    let dir = root.join(ours::CLEAN_BUILD);
    if !is_real_dir(&dir) {
        return;
    }
    let mut leftovers: Vec<PathBuf> = fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_name() != ours::CLEAN_BUILD_REPORT)
        .map(|entry| entry.path())
        .collect();
    leftovers.sort();
    for path in leftovers {
        push(
            out,
            &path,
            "left by an interrupted `cargo perf build --clean` (its timings report stays)"
                .to_owned(),
        );
    }
}

fn private_targets(root: &Path, out: &mut ToolOutput, shown: &dyn Fn(&Path) -> PathBuf) {
    for (name, builder) in ours::PRIVATE_TARGETS {
        let dir = root.join(name);
        if !is_real_dir(&dir) {
            continue;
        }
        match lock_all(&dir) {
            Some(mut locks) => {
                out.held.append(&mut locks);
                push(
                    out,
                    &dir,
                    format!("the private target dir of {builder}, rebuilt when needed"),
                );
            }
            None => out.notes.push(
                Finding::warning(
                    CleanCode::BuildLocked,
                    format!("the private target dir of {builder} is locked by a running build: skipped it"),
                )
                .file(shown(&dir))
                .help("run again when the build has finished"),
            ),
        }
    }
}

/// Cargo's build locks in a target dir (`<profile>/.cargo-lock`, also under
/// a target triple); `None` when a running build holds one.
fn lock_all(dir: &Path) -> Option<Vec<File>> {
    let subdirs = |d: &Path| -> Vec<PathBuf> {
        fs::read_dir(d)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect()
    };
    let mut locks = Vec::new();
    for profile in subdirs(dir).iter().flat_map(|d| {
        let mut both = subdirs(d);
        both.push(d.clone());
        both
    }) {
        let path = profile.join(".cargo-lock");
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let file = File::open(&path).ok()?;
        match file.try_lock() {
            Ok(()) => locks.push(file),
            Err(TryLockError::WouldBlock | TryLockError::Error(_)) => return None,
        }
    }
    Some(locks)
}

fn push(out: &mut ToolOutput, path: &Path, reason: String) {
    let bytes = BlockCounter::default().tree(path);
    out.found.push(Found {
        path: path.to_owned(),
        bytes,
        reason: format!("{}: {reason}", ByteSize(bytes)),
    });
}

fn is_real_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}
