//! Output locations written in perf.toml (`[bench] history`, `[profile]
//! output-dir`): a cloned repository's policy must not send cargo perf's
//! writes outside the workspace or into `.git`, so such a path is relative,
//! stays below the workspace root, and names a directory of its own. The run
//! time half (links, tracked files) is the engine's `outputs` module.

use std::path::{Component, Path};

/// Why `text` cannot be an output location, with the diagnostic's label.
pub(crate) fn output_dir_problem(text: &str) -> Option<(String, &'static str)> {
    if text.trim().is_empty() {
        return Some(("is empty".into(), "no path"));
    }
    let path = Path::new(text);
    if path.is_absolute() || text.starts_with('~') {
        return Some((
            "is an absolute path; perf.toml names directories inside the workspace".into(),
            "absolute path",
        ));
    }
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::ParentDir => {
                return Some((
                    "leaves the workspace through `..`".into(),
                    "goes above the workspace root",
                ));
            }
            Component::Normal(name) if name.eq_ignore_ascii_case(".git") => {
                return Some((
                    "is inside `.git`, where git keeps its own data".into(),
                    "inside .git",
                ));
            }
            Component::Normal(_) => depth += 1,
            _ => {}
        }
    }
    if depth == 0 {
        return Some((
            "names the workspace root itself; outputs need a directory of their own".into(),
            "the workspace root",
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_directory_below_the_root_passes() {
        for bad in [
            "",
            "  ",
            "/tmp/x",
            "~/x",
            "..",
            "a/../../b",
            "a/..",
            ".git",
            "a/.git/b",
            ".GIT/x",
            ".",
            "./",
            "./.",
        ] {
            assert!(output_dir_problem(bad).is_some(), "{bad:?}");
        }
        for good in [
            "profiles",
            "./perf/out",
            "target",
            "target/perf",
            ".cargo-perf/bench",
            "a/.gitx",
        ] {
            assert!(output_dir_problem(good).is_none(), "{good:?}");
        }
    }
}
