//! What a change-scoped run may look at. `--changed` and the git hooks work
//! out which files changed and which workspace members own them; tasks that
//! can be scoped (build health, benchmarks, gitignore) read this and limit
//! their work. `None` in [`Project::scope`](crate::Project) means a full run.

use std::collections::BTreeSet;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeScope {
    /// Where the change set came from, for the summary (e.g. "changes since origin/main").
    pub description: String,
    /// Changed files, as absolute paths.
    pub files: Vec<PathBuf>,
    /// Names of the workspace members that own a changed file.
    pub members: BTreeSet<String>,
    /// A change that affects every member (root Cargo.toml, Cargo.lock, `.cargo/`, perf.toml).
    pub everything: bool,
}

impl ChangeScope {
    pub fn affects_member(&self, name: &str) -> bool {
        self.everything || self.members.contains(name)
    }

    /// Nothing changed at all: a scoped check has nothing to do.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl ChangeScope {
    /// One line for people: what changed and what it affects.
    pub fn headline(&self) -> String {
        if self.is_empty() {
            return format!("nothing changed ({})", self.description);
        }
        let files = match self.files.len() {
            1 => "1 file".to_owned(),
            n => format!("{n} files"),
        };
        let affects = if self.everything {
            "every member".to_owned()
        } else if self.members.is_empty() {
            "no workspace member".to_owned()
        } else {
            self.members
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "{files} changed ({}), affecting {affects}",
            self.description
        )
    }
}
