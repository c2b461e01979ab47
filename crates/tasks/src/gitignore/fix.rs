//! `--fix`: appends missing required patterns to the root `.gitignore` in the
//! file's own style (line endings, final newline), under a comment saying who
//! added them. The file is replaced atomically; a pattern already written in
//! it is never written again, so running `--fix` twice changes nothing.

use std::path::Path;

use cargo_perf_engine::TaskError;
use cargo_perf_engine::fsutil::write_atomic;

/// The comment line above the patterns `--fix` adds.
pub(crate) const HEADER: &str = "# added by cargo perf gitignore --fix";

/// The comment line above the patterns `cargo perf init` adds.
pub(crate) const INIT_HEADER: &str = "# added by cargo perf init";

/// What `--fix` did: each added pattern with its 1-based line number.
#[derive(Debug, Default)]
pub(crate) struct Added {
    pub lines: Vec<(String, u32)>,
    /// Patterns already in the file (something else re-includes the path).
    pub already_present: Vec<String>,
}

/// Appends `patterns` that `gitignore` does not already contain, under `header`.
pub(crate) fn append(
    gitignore: &Path,
    patterns: &[String],
    header: &str,
) -> Result<Added, TaskError> {
    let shown = gitignore.display();
    let existing = match std::fs::symlink_metadata(gitignore) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(TaskError::new(format!(
                "{shown} is a symbolic link; cargo perf does not write through links"
            ))
            .hint("add the missing lines to the file it points to by hand"));
        }
        Ok(meta) if !meta.is_file() => {
            return Err(TaskError::new(format!("{shown} is not a regular file"))
                .hint("remove or rename it, then run `cargo perf gitignore --fix` again"));
        }
        Ok(_) => std::fs::read(gitignore).map_err(|err| {
            TaskError::new(format!("cannot read {shown}: {err}")).hint("check its permissions")
        })?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(err) => {
            return Err(TaskError::new(format!("cannot read {shown}: {err}"))
                .hint("check the permissions of the repository's top-level directory"));
        }
    };
    let text = String::from_utf8_lossy(&existing);
    let present: Vec<&str> = text.lines().map(str::trim_end).collect();
    let mut added = Added::default();
    let mut new_lines = Vec::new();
    for pattern in patterns {
        if present.contains(&pattern.as_str()) {
            added.already_present.push(pattern.clone());
        } else if !new_lines.contains(&pattern.as_str()) {
            new_lines.push(pattern.as_str());
        }
    }
    if new_lines.is_empty() {
        return Ok(added);
    }

    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = existing.clone();
    let mut line = present.len() as u32;
    if !out.is_empty() {
        if !text.ends_with('\n') {
            out.extend_from_slice(eol.as_bytes());
        }
        if present.last().is_some_and(|l| !l.trim().is_empty()) {
            out.extend_from_slice(eol.as_bytes());
            line += 1;
        }
    }
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(eol.as_bytes());
    line += 1;
    for pattern in new_lines {
        out.extend_from_slice(pattern.as_bytes());
        out.extend_from_slice(eol.as_bytes());
        line += 1;
        added.lines.push((pattern.to_owned(), line));
    }
    write_atomic(gitignore, &out).map_err(|err| {
        TaskError::new(format!("cannot write {shown}: {err}"))
            .hint("check the permissions of the file and its directory")
    })?;
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(before: &str, patterns: &[&str]) -> (String, Added) {
        let dir = tempfile_dir();
        let path = dir.join(".gitignore");
        if !before.is_empty() {
            std::fs::write(&path, before).unwrap();
        }
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        let added = append(&path, &patterns, HEADER).unwrap();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::remove_dir_all(&dir).unwrap();
        (text, added)
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "cargo-perf-fix-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn keeps_style_and_numbers_lines() {
        let (text, added) = fixed("a\r\nb", &["/target/", "perf.data*"]);
        assert_eq!(
            text,
            format!("a\r\nb\r\n\r\n{HEADER}\r\n/target/\r\nperf.data*\r\n")
        );
        assert_eq!(added.lines[0], ("/target/".to_owned(), 5));
        let (text, _) = fixed("", &["/target/"]);
        assert_eq!(text, format!("{HEADER}\n/target/\n"));
        let (text, added) = fixed("x\n\n/target/\n", &["/target/"]);
        assert_eq!(text, "x\n\n/target/\n");
        assert_eq!(added.already_present, ["/target/"]);
    }
}
