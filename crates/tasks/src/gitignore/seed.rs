//! What `cargo perf init` does to `.gitignore`: it appends the required
//! ignores git lacks (the state dir, `perf.data*`, the target dir, ...), as
//! `cargo perf gitignore --fix` would, so the first `cargo perf check` after
//! `init` passes with no manual step.

use std::path::{Path, PathBuf};

use cargo_perf_engine::{Project, Registry, TaskError};

use super::layout::Layout;
use super::{fix, git, required};

/// The lines `init` wrote.
#[derive(Debug, Default)]
pub struct AddedIgnores {
    /// The `.gitignore` written, relative to the workspace root.
    pub gitignore: PathBuf,
    /// Each pattern with its 1-based line number; empty when none was missing.
    pub lines: Vec<(String, u32)>,
}

/// Appends the missing required ignores to the repository's root
/// `.gitignore` (among them what the tasks of `registry` declare they
/// write); `None` when the workspace is not in a git repository.
pub fn add_required_ignores(
    project: &Project,
    registry: &Registry,
) -> Result<Option<AddedIgnores>, TaskError> {
    let Some(repo) = project.git()? else {
        return Ok(None);
    };
    let layout = Layout::new(&repo.toplevel, &project.workspace.root);
    let listing = git::run(&layout.ws_root, &["ls-files", "-z", "--cached"], None, &[0])?;
    let tracked = git::nul_path_refs(&listing);
    let writes = registry.writes(project);
    let requirements = required::requirements(
        &layout,
        &project.workspace,
        &project.policy.gitignore,
        &writes,
        &tracked,
    );
    let statuses = required::evaluate(&layout, &requirements)?;
    let patterns = required::to_add(&requirements, &statuses);
    let gitignore = layout.shown(Path::new(".gitignore"));
    if patterns.is_empty() {
        return Ok(Some(AddedIgnores {
            gitignore,
            lines: Vec::new(),
        }));
    }
    let added = fix::append(&layout.root_gitignore(), &patterns, fix::INIT_HEADER)?;
    Ok(Some(AddedIgnores {
        gitignore,
        lines: added.lines,
    }))
}
