//! Check 3, large tracked files: every tracked file (not only new ones) whose
//! working copy is larger than `max-file-size`, so files that grew after they
//! were added are caught. One `lstat` per file, spread over a few threads;
//! git is asked only about the few files over the limit (Git LFS attributes).
//! In a pre-commit run (`--staged`) the staged blobs' sizes are checked instead.

use std::ffi::{CStr, OsStr};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use cargo_perf_policy::{Glob, Located};
use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, FileType, Mode, OFlags};

use super::git;
use cargo_perf_engine::git::GitError;

/// The first line of a Git LFS pointer file.
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/v1";

/// A file over the limit.
#[derive(Debug, Clone)]
pub(crate) struct LargeFile {
    /// Relative to the workspace root.
    pub path: PathBuf,
    pub size: u64,
}

/// Working-tree files among `paths` (relative to `ws_root`) larger than `limit`.
/// Symlinks are not followed; files missing from the work tree are skipped.
/// Every core is used when `all_cores`; otherwise one is left to a git
/// process running at the same time.
pub(crate) fn over_limit_on_disk(
    ws_root: &Path,
    paths: &[&Path],
    limit: u64,
    all_cores: bool,
) -> Vec<LargeFile> {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .saturating_sub(usize::from(!all_cores))
        .clamp(1, 8);
    let chunk = paths.len().div_ceil(workers).max(4096);
    std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|chunk| scope.spawn(move || over_limit_in(ws_root, chunk, limit)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Stats each file relative to an open handle on its directory: git lists
/// files grouped by directory, so each directory is resolved once, not once
/// per file, which roughly halves the cost of a full scan.
fn over_limit_in(ws_root: &Path, paths: &[&Path], limit: u64) -> Vec<LargeFile> {
    let mut out = Vec::new();
    let mut dir: Option<(&[u8], Option<OwnedFd>)> = None;
    let mut name = Vec::new();
    for path in paths {
        let bytes = path.as_os_str().as_bytes();
        let (parent, file_name) = match bytes.iter().rposition(|b| *b == b'/') {
            Some(slash) => (&bytes[..slash], &bytes[slash + 1..]),
            None => (&b""[..], bytes),
        };
        if dir.as_ref().is_none_or(|(current, _)| *current != parent) {
            let handle = open_dir(&ws_root.join(OsStr::from_bytes(parent)));
            dir = Some((parent, handle));
        }
        let Some((_, Some(handle))) = &dir else {
            continue;
        };
        name.clear();
        name.extend_from_slice(file_name);
        name.push(0);
        if let Some(size) = regular_file_size(handle, &name)
            && size > limit
        {
            out.push(LargeFile {
                path: path.to_path_buf(),
                size,
            });
        }
    }
    out
}

/// A handle on a directory, refusing a symlink in its place.
fn open_dir(path: &Path) -> Option<OwnedFd> {
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::openat(rustix::fs::CWD, path, flags, Mode::empty()).ok()
}

/// The size of `name` (NUL-terminated) in `dir`, if it is a regular file;
/// a symlink is not followed.
fn regular_file_size(dir: &OwnedFd, name: &[u8]) -> Option<u64> {
    let name = CStr::from_bytes_with_nul(name).ok()?;
    let stat = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok()?;
    (FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile)
        .then(|| u64::try_from(stat.st_size).unwrap_or(0))
}

/// Paths (relative to `ws_root`) with staged changes: added, modified or type-changed.
pub(crate) fn staged_paths(ws_root: &Path) -> Result<Vec<PathBuf>, GitError> {
    let output = git::run(
        ws_root,
        &[
            "diff",
            "--cached",
            "--name-only",
            "--no-renames",
            "--relative",
            "--diff-filter=AMT",
            "-z",
        ],
        None,
        &[0],
    )?;
    Ok(git::nul_paths(&output))
}

/// Staged blobs among `paths` larger than `limit`, sized with one `cat-file` call.
pub(crate) fn over_limit_staged(
    ws_root: &Path,
    paths: &[&Path],
    limit: u64,
) -> Result<Vec<LargeFile>, GitError> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let mut input = Vec::new();
    for path in paths {
        input.extend_from_slice(b":./");
        input.extend_from_slice(path.as_os_str().as_bytes());
        input.push(0);
    }
    let output = git::run(
        ws_root,
        &["cat-file", "--batch-check=%(objectsize)", "-z"],
        Some(&input),
        &[0],
    )?;
    let text = String::from_utf8_lossy(&output);
    let sizes: Vec<Option<u64>> = text.lines().map(|l| l.trim().parse().ok()).collect();
    if sizes.len() != paths.len() {
        return Err(GitError::Failed {
            args: "cat-file --batch-check".into(),
            stderr: format!("expected {} sizes, got {}", paths.len(), sizes.len()),
        });
    }
    Ok(paths
        .iter()
        .zip(sizes)
        .filter_map(|(path, size)| {
            let size = size?;
            (size > limit).then(|| LargeFile {
                path: path.to_path_buf(),
                size,
            })
        })
        .collect())
}

/// Drops files Git LFS manages: `filter=lfs` in .gitattributes, or a working
/// copy that is itself an LFS pointer. git is asked about attributes only
/// when `has_attributes` (an attributes file exists): the question costs a
/// full index read.
pub(crate) fn without_lfs(
    ws_root: &Path,
    files: Vec<LargeFile>,
    has_attributes: bool,
) -> Result<Vec<LargeFile>, GitError> {
    if files.is_empty() {
        return Ok(files);
    }
    if !has_attributes {
        return Ok(files
            .into_iter()
            .filter(|f| !is_lfs_pointer(&ws_root.join(&f.path)))
            .collect());
    }
    let input = git::nul_input(files.iter().map(|f| f.path.as_path()));
    let output = git::run(
        ws_root,
        &["check-attr", "-z", "--stdin", "filter"],
        Some(&input),
        &[0],
    )?;
    let fields: Vec<&[u8]> = output.split(|b| *b == 0).collect();
    let lfs: Vec<&OsStr> = fields
        .chunks_exact(3)
        .filter(|record| record[2] == b"lfs")
        .map(|record| OsStr::from_bytes(record[0]))
        .collect();
    Ok(files
        .into_iter()
        .filter(|f| !lfs.contains(&f.path.as_os_str()) && !is_lfs_pointer(&ws_root.join(&f.path)))
        .collect())
}

fn is_lfs_pointer(path: &Path) -> bool {
    let mut head = [0u8; LFS_POINTER.len()];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut head))
        .is_ok_and(|()| head == LFS_POINTER)
}

/// Whether `path` (relative to the workspace root) matches an `allow-large` glob.
pub(crate) fn allowed(path: &Path, globs: &[Located<Glob>]) -> bool {
    globs.iter().any(|glob| glob.value.matches(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_large_globs() {
        let globs: Vec<Located<Glob>> = ["*.png", "assets/**/*.bin", "/data/x"]
            .iter()
            .map(|g| Located::builtin(Glob::new(g).unwrap()))
            .collect();
        assert!(allowed(Path::new("a/b/logo.png"), &globs));
        assert!(allowed(Path::new("assets/x/y/z.bin"), &globs));
        assert!(allowed(Path::new("data/x"), &globs));
        assert!(!allowed(Path::new("src/z.bin"), &globs));
        assert!(!allowed(Path::new("other/data/x"), &globs));
    }
}
