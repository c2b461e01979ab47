//! Globs of workspace paths (`[gitignore] allow-large`, `[[clean.extra]]
//! glob`), with one matching rule everywhere, .gitignore's: a glob without
//! `/` matches a file or directory name at any depth; a glob with `/` is
//! anchored at the workspace root (a leading `/` only anchors it). `*`, `?`
//! and `[...]` stay within one path component; `**` spans any number of them.

use std::fmt;
use std::path::Path;

use glob::{MatchOptions, Pattern};
use toml::de::DeValue;

use crate::diagnostic::Diagnostic;
use crate::reader::{Located, Reader, Value};

/// A validated glob; [`Glob::matches`] applies the rule above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    /// As written in perf.toml.
    text: String,
    /// `text` without a leading `/`.
    pattern: Pattern,
    /// Matched against the whole relative path, not only its last component.
    anchored: bool,
}

const OPTIONS: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

/// Why a glob was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobError {
    pub reason: String,
}

impl Glob {
    pub fn new(text: &str) -> Result<Self, GlobError> {
        let err = |reason: &str| {
            Err(GlobError {
                reason: reason.to_owned(),
            })
        };
        let body = text.strip_prefix('/').unwrap_or(text);
        if body.trim().is_empty() {
            return err("the glob is empty");
        }
        if body.split('/').any(|part| part == "..") {
            return err("the glob must stay inside the workspace (no `..`)");
        }
        if body.ends_with('/') {
            return err("a glob cannot end with `/`: it matches files and directories alike");
        }
        if body.contains("//") {
            return err("the glob has an empty path component (`//`)");
        }
        let pattern = Pattern::new(body).map_err(|e| GlobError {
            reason: format!("{} at character {}", e.msg, e.pos + 1),
        })?;
        Ok(Glob {
            text: text.to_owned(),
            anchored: text.contains('/'),
            pattern,
        })
    }

    /// Whether `path`, relative to the workspace root, matches. A name that
    /// is not UTF-8 is matched as its text with U+FFFD for the bytes that are
    /// not (the glob crate would never match it): `*.o` matches `caf\xe9.o`.
    pub fn matches(&self, path: &Path) -> bool {
        let matches = |part: &Path| self.pattern.matches_with(&part.to_string_lossy(), OPTIONS);
        if self.anchored {
            matches(path)
        } else {
            path.file_name()
                .is_some_and(|name| matches(Path::new(name)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Reader {
    /// A glob under the rule of this module; `what` names the key in messages.
    pub fn glob(&mut self, what: &str, value: &Value<'_>) -> Option<Located<Glob>> {
        let text = self.string(what, value)?;
        match Glob::new(&text.value) {
            Ok(glob) => Some(Located::new(glob, value.span())),
            Err(err) => {
                self.report(
                    Diagnostic::new(format!("invalid glob in `{what}`: {} (`{}`)", err.reason, text.value))
                        .at(value.span())
                        .label("bad glob")
                        .help("a glob without `/` matches a name at any depth (`*.png`); with `/` it starts at the workspace root (`assets/**`, `/perf.data*`)"),
                );
                None
            }
        }
    }

    /// An array of globs.
    pub fn globs(&mut self, key: &str, value: &Value<'_>) -> Vec<Located<Glob>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.type_error(
                key,
                value,
                "an array of globs",
                &format!("`{key} = [\"*.png\", \"assets/**\"]`"),
            );
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| self.glob(key, item))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(glob: &str, path: &str) -> bool {
        Glob::new(glob).unwrap().matches(Path::new(path))
    }

    #[test]
    fn without_a_slash_a_glob_matches_names_at_any_depth() {
        assert!(matches("*.png", "logo.png"));
        assert!(matches("*.png", "a/b/logo.png"));
        assert!(matches("perf.data*", "sub/perf.data.old"));
        assert!(!matches("*.png", "a/logo.png.bak"));
    }

    #[test]
    fn with_a_slash_a_glob_is_anchored_at_the_root() {
        assert!(matches("assets/**/*.bin", "assets/x/y/z.bin"));
        assert!(matches("assets/**", "assets/x/y.png"));
        assert!(matches("**/*.profraw", "big.profraw"));
        assert!(matches("**/*.profraw", "deep/er/big.profraw"));
        assert!(matches("/data/x", "data/x"));
        assert!(!matches("/data/x", "other/data/x"));
        assert!(!matches("/perf.data*", "sub/perf.data"));
        assert!(!matches("src/*.bin", "src/a/z.bin"));
    }

    #[test]
    fn a_name_that_is_not_utf8_still_matches() {
        use std::os::unix::ffi::OsStrExt;
        let name = Path::new(std::ffi::OsStr::from_bytes(b"deep/caf\xe9.o"));
        assert!(Glob::new("*.o").unwrap().matches(name));
        assert!(Glob::new("**/*.o").unwrap().matches(name));
        assert!(Glob::new("deep/caf?.o").unwrap().matches(name));
        assert!(!Glob::new("*.rs").unwrap().matches(name));
    }

    #[test]
    fn refuses_globs_that_cannot_mean_a_workspace_path() {
        for (glob, reason) in [
            ("", "empty"),
            ("/", "empty"),
            ("../x", "inside the workspace"),
            ("a/../../x", "inside the workspace"),
            ("dist/", "cannot end with `/`"),
            ("a//b", "empty path component"),
            ("a[", "at character 2"),
        ] {
            let err = Glob::new(glob).unwrap_err();
            assert!(err.reason.contains(reason), "{glob}: {}", err.reason);
        }
    }
}
