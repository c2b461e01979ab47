//! Where a workspace keeps its policy: `perf.toml` at the workspace root,
//! else `.config/perf.toml` (where nextest keeps `.config/nextest.toml`, for
//! projects that gather tool configuration in one directory). A policy in
//! both places is an error: one of them would be silently ignored.

use std::path::{Path, PathBuf};

use crate::{Diagnostic, PolicyError};

/// The places looked at, relative to the workspace root, in order.
pub const LOOKUP: [&str; 2] = [crate::FILE_NAME, ".config/perf.toml"];

/// The policy file of the workspace at `root`, or `None` when there is none.
/// `shown` turns a path into the form printed in messages.
pub fn locate(
    root: &Path,
    shown: impl Fn(&Path) -> PathBuf,
) -> Result<Option<PathBuf>, PolicyError> {
    let found: Vec<PathBuf> = LOOKUP
        .iter()
        .map(|rel| root.join(rel))
        .filter(|path| present(path))
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        [first, second, ..] => {
            let (first, second) = (shown(first), shown(second));
            let diagnostic = Diagnostic::new(format!(
                "there is a policy in both {} and {}",
                first.display(),
                second.display()
            ))
            .help(format!(
                "keep one: move what you need from {} into {} and delete it (cargo perf reads only one), or pick one with `--config`",
                second.display(),
                first.display()
            ));
            Err(PolicyError::whole_file(&first, String::new(), diagnostic))
        }
    }
}

/// Whether a policy file is there as a name. Only a name that is not there
/// means "look further" (or "use the defaults"): a dangling or looping link,
/// or one we may not look at, is present, so loading it gives the error and a
/// hook never gates on the wrong policy.
pub fn present(path: &Path) -> bool {
    !matches!(std::fs::symlink_metadata(path), Err(err) if err.kind() == std::io::ErrorKind::NotFound)
}
