//! Where things are: the repository's top level, the workspace inside it, and
//! the translation between the two, because git answers relative to the top
//! level while findings name paths relative to the workspace root.

use std::path::{Component, Path, PathBuf};

use cargo_perf_engine::ChangeScope;

#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The work tree's top level, canonical.
    pub toplevel: PathBuf,
    /// The workspace root, canonical.
    pub ws_root: PathBuf,
    /// The workspace root relative to the top level (empty when they are the same).
    pub ws_prefix: PathBuf,
}

impl Layout {
    pub fn new(toplevel: &Path, ws_root: &Path) -> Layout {
        let toplevel = canonical(toplevel);
        let ws_root = canonical(ws_root);
        let ws_prefix = ws_root
            .strip_prefix(&toplevel)
            .map(Path::to_owned)
            .unwrap_or_default();
        Layout {
            toplevel,
            ws_root,
            ws_prefix,
        }
    }

    /// The root `.gitignore` (at the repository's top level).
    pub fn root_gitignore(&self) -> PathBuf {
        self.toplevel.join(".gitignore")
    }

    /// A path relative to the top level, re-expressed relative to the workspace
    /// root (with `..` when it lies above it), for findings.
    pub fn shown(&self, top_relative: &Path) -> PathBuf {
        if top_relative.is_absolute() {
            return top_relative.to_owned();
        }
        if let Ok(inside) = top_relative.strip_prefix(&self.ws_prefix) {
            return inside.to_owned();
        }
        let mut up: PathBuf = self
            .ws_prefix
            .components()
            .map(|_| Component::ParentDir)
            .collect();
        up.push(top_relative);
        up
    }

    /// An absolute path relative to the top level, when it lies in the work tree.
    pub fn top_relative(&self, path: &Path) -> Option<PathBuf> {
        let path = canonical(path);
        path.strip_prefix(&self.toplevel).ok().map(Path::to_owned)
    }

    /// A workspace-relative path, relative to the top level.
    pub fn in_workspace(&self, ws_relative: &Path) -> PathBuf {
        self.ws_prefix.join(ws_relative)
    }

    /// The changed files of a scoped run, relative to the workspace root
    /// (files outside the workspace drop out).
    pub fn scoped_files(&self, scope: &ChangeScope) -> Vec<PathBuf> {
        scope
            .files
            .iter()
            .filter_map(|file| {
                let file = canonical(file);
                file.strip_prefix(&self.ws_root).ok().map(Path::to_owned)
            })
            .collect()
    }
}

/// The canonical form of `path`, or of its nearest existing ancestor with the
/// rest appended (a target dir need not exist yet; a deleted file still counts).
pub(crate) fn canonical(path: &Path) -> PathBuf {
    let mut existing = path;
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            out.extend(rest.iter().rev());
            return out;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return path.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_paths_relative_to_the_workspace() {
        let layout = Layout {
            toplevel: "/repo".into(),
            ws_root: "/repo/rust/ws".into(),
            ws_prefix: "rust/ws".into(),
        };
        assert_eq!(layout.shown(Path::new("rust/ws/a.o")), Path::new("a.o"));
        assert_eq!(
            layout.shown(Path::new(".gitignore")),
            Path::new("../../.gitignore")
        );
        assert_eq!(
            layout.shown(Path::new("/home/me/.gitignore")),
            Path::new("/home/me/.gitignore")
        );
    }
}
