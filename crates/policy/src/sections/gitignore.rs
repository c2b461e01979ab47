//! `[gitignore]`: what the `gitignore` task enforces beyond its built-in rules:
//! extra paths that must be ignored, the largest file git may track, and the
//! paths allowed to be larger.

use toml::de::DeTable;

use crate::diagnostic::Diagnostic;
use crate::glob::Glob;
use crate::reader::{Located, Reader};
use crate::table::{Key, key};
use crate::units::ByteSize;

/// The default `max-file-size`.
pub const DEFAULT_MAX_FILE_SIZE: ByteSize = ByteSize(1 << 20);

/// Settings of the `gitignore` task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gitignore {
    /// Paths (relative to the workspace root) that must be ignored; a trailing
    /// `/` names a directory, `*` and `?` are wildcards.
    pub require: Vec<Located<String>>,
    /// Tracked files larger than this are findings.
    pub max_file_size: ByteSize,
    /// Globs of files exempt from `max_file_size` (see [`Glob`] for how they match).
    pub allow_large: Vec<Located<Glob>>,
}

impl Default for Gitignore {
    fn default() -> Self {
        Self {
            require: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            allow_large: Vec::new(),
        }
    }
}

pub(crate) const KEYS: &[Key<Gitignore>] = &[
    key("require", |r, g, k, v| {
        let list = r.string_list(k, v).unwrap_or_default();
        g.require = list.into_iter().filter(|p| check_required(r, p)).collect();
    }),
    key("max-file-size", |r, g, k, v| match r.size(k, v) {
        Some(ByteSize(0)) => r.report(
            Diagnostic::new("`max-file-size` must be larger than zero")
                .at(v.span())
                .label("every file would be too large")
                .help("write a size such as \"1 MiB\" or \"500 KiB\""),
        ),
        Some(size) => g.max_file_size = size,
        None => {}
    }),
    key("allow-large", |r, g, k, v| g.allow_large = r.globs(k, v)),
];

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> Gitignore {
    let mut settings = Gitignore::default();
    r.section(table, "[gitignore]", KEYS, &mut settings);
    settings
}

/// A required path must be one the task can probe and write to .gitignore as is.
fn check_required(r: &mut Reader, path: &Located<String>) -> bool {
    let text = path.value.as_str();
    let problem = if text.trim().is_empty() {
        Some("the path is empty")
    } else if text != text.trim() {
        Some("the path starts or ends with whitespace")
    } else if text.starts_with('!') || text.starts_with('#') {
        Some("a required path cannot start with `!` or `#`")
    } else if text.contains(['[', ']', '\\', '\n', '\r']) {
        Some("`[`, `]` and `\\` are not supported in required paths")
    } else if text.split('/').any(|part| part == "..") {
        Some("a required path cannot leave the workspace (`..`)")
    } else if text.trim_start_matches('/').is_empty() {
        Some("the path names the workspace root itself")
    } else {
        None
    };
    match problem {
        Some(problem) => {
            r.report(
                Diagnostic::new(format!("invalid path in `require`: {problem}"))
                    .at(path.span.clone().unwrap_or_default())
                    .label("not a path the task can check")
                    .help("write a path relative to the workspace root, such as \"dist/\" (a directory) or \"*.log\""),
            );
            false
        }
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use crate::{SourceFile, parse};

    use super::*;

    #[test]
    fn reads_every_key_and_keeps_defaults() {
        let policy = parse(SourceFile::new(
            "perf.toml",
            "[gitignore]\nrequire = [\"dist/\"]\nallow-large = [\"*.png\"]\n",
        ))
        .unwrap();
        assert_eq!(policy.gitignore.max_file_size, DEFAULT_MAX_FILE_SIZE);
        assert_eq!(policy.gitignore.require[0].value, "dist/");
        assert_eq!(policy.gitignore.allow_large[0].value.as_str(), "*.png");
        let policy = parse(SourceFile::new(
            "perf.toml",
            "[gitignore]\nmax-file-size = 2048\n",
        ))
        .unwrap();
        assert_eq!(policy.gitignore.max_file_size, ByteSize(2048));
    }

    #[test]
    fn rejects_bad_sizes_globs_and_paths_with_their_place() {
        let text = parse(SourceFile::new(
            "perf.toml",
            "[gitignore]\nmax-file-size = \"1 XB\"\nallow-large = [\"a[\"]\nrequire = [\"a/../b\", \"\"]\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(text.contains("unknown size unit `XB`"), "{text}");
        assert!(text.contains("perf.toml:2:17"), "{text}");
        assert!(text.contains("invalid glob in `allow-large`"), "{text}");
        assert!(text.contains("cannot leave the workspace"), "{text}");
        assert!(text.contains("the path is empty"), "{text}");
    }
}
