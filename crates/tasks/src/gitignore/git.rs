//! The few batched git calls the task makes. Every path list goes through
//! stdin or comes back NUL-separated, so no file name is ever quoted, split or
//! mistaken for an option, and 100,000 files cost one process, not 100,000.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use cargo_perf_engine::git::{self, GitError};

/// Runs `git args` in `dir`, feeding `input` to its stdin. Exit codes in
/// `ok_codes` count as success (`check-ignore` exits 1 when nothing matched).
pub(crate) fn run(
    dir: &Path,
    args: &[&str],
    input: Option<&[u8]>,
    ok_codes: &[i32],
) -> Result<Vec<u8>, GitError> {
    let mut command = git::command(dir);
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if input.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = git::spawn(&mut command, dir)?;
    let output = std::thread::scope(|scope| {
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            // A writer thread, so a full stdout pipe can never deadlock us.
            scope.spawn(move || {
                let _ = stdin.write_all(input);
            });
        }
        child.wait_with_output()
    })
    .map_err(|source| GitError::Spawn {
        dir: dir.to_owned(),
        source,
    })?;
    match output.status.code() {
        Some(code) if ok_codes.contains(&code) => Ok(output.stdout),
        _ => Err(GitError::Failed {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        }),
    }
}

pub(crate) use git::nul_paths;

/// Splits NUL-terminated output into paths borrowed from it (no allocation
/// per path: a listing can hold 100,000 of them).
pub(crate) fn nul_path_refs(output: &[u8]) -> Vec<&Path> {
    output
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| Path::new(OsStr::from_bytes(p)))
        .collect()
}

/// Joins paths into NUL-terminated stdin for `--stdin -z` commands.
pub(crate) fn nul_input<'p>(paths: impl IntoIterator<Item = &'p Path>) -> Vec<u8> {
    let mut input = Vec::new();
    for path in paths {
        input.extend_from_slice(path.as_os_str().as_bytes());
        input.push(0);
    }
    input
}

/// Which ignore rule matched a path, as `git check-ignore -v` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    /// The ignore file, as git names it (relative to the repository's top level
    /// for files in the tree; absolute for a global excludes file).
    pub source: PathBuf,
    pub line: u32,
    pub pattern: String,
}

impl Rule {
    /// A `!pattern` matched: the path is explicitly *not* ignored.
    pub fn negates(&self) -> bool {
        self.pattern.starts_with('!')
    }

    /// Whether the rule lives in a `.gitignore` committed with the repository,
    /// as opposed to `.git/info/exclude` or a user's global excludes file.
    pub fn is_shared(&self) -> bool {
        self.source.is_relative()
            && !self.source.starts_with(".git")
            && self.source.file_name() == Some(OsStr::new(".gitignore"))
    }
}

/// Asks git, with its own matching semantics and without looking at the index,
/// which rule decides each path. `paths` are relative to `dir`. The result is
/// in input order; `None` where no rule matches.
pub(crate) fn check_ignore(dir: &Path, paths: &[PathBuf]) -> Result<Vec<Option<Rule>>, GitError> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    let input = nul_input(paths.iter().map(PathBuf::as_path));
    let output = run(
        dir,
        &[
            "check-ignore",
            "--no-index",
            "--verbose",
            "--non-matching",
            "--stdin",
            "-z",
        ],
        Some(&input),
        &[0, 1],
    )?;
    let fields: Vec<&[u8]> = output.split(|b| *b == 0).collect();
    let mut rules = Vec::with_capacity(paths.len());
    for record in fields.chunks_exact(4) {
        let [source, line, pattern, _path] = record else {
            continue;
        };
        rules.push(if source.is_empty() {
            None
        } else {
            Some(Rule {
                source: PathBuf::from(OsStr::from_bytes(source)),
                line: std::str::from_utf8(line)
                    .ok()
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0),
                pattern: String::from_utf8_lossy(pattern).into_owned(),
            })
        });
    }
    if rules.len() != paths.len() {
        return Err(GitError::Failed {
            args: "check-ignore --no-index --verbose --non-matching --stdin -z".into(),
            stderr: format!("expected {} answers, got {}", paths.len(), rules.len()),
        });
    }
    Ok(rules)
}
