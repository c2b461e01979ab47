//! The dependency graph as cargo resolved it (`cargo metadata` with
//! dependencies), where `[patch]`, renamed and path dependencies are edges
//! like any other. It costs a resolve, so only the tasks that predict what an
//! edit rebuilds ask for it; everything else reads `--no-deps` metadata.

use std::collections::{BTreeMap, BTreeSet};

use cargo_metadata::{Metadata, MetadataCommand};

use crate::cargo::{CargoCall, CargoOptions};
use crate::workspace::{Workspace, WorkspaceError};

/// Who depends on whom, by package id.
#[derive(Debug, Clone, Default)]
pub struct DependencyGraph {
    /// Package id → the ids of the packages that depend on it directly.
    dependents: BTreeMap<String, BTreeSet<String>>,
    /// Package id → package name.
    names: BTreeMap<String, String>,
}

impl DependencyGraph {
    /// Asks cargo for the resolve of `workspace`, with the flags of `options`
    /// that change it (features, target, lock file, network).
    pub fn resolve(workspace: &Workspace, options: &CargoOptions) -> Result<Self, WorkspaceError> {
        let command = Self::command(workspace, options);
        let metadata = command.exec().map_err(|err| match err {
            cargo_metadata::Error::CargoMetadata { stderr } => {
                WorkspaceError::Metadata(stderr.trim_end().to_owned())
            }
            cargo_metadata::Error::Io(io) => {
                crate::workspace::start_error(&workspace.cargo, &workspace.root, io)
            }
            other => WorkspaceError::Metadata(other.to_string()),
        })?;
        Ok(Self::from_metadata(&metadata))
    }

    /// The `cargo metadata` command [`DependencyGraph::resolve`] runs.
    pub fn command(workspace: &Workspace, options: &CargoOptions) -> MetadataCommand {
        let mut command = MetadataCommand::new();
        command
            .cargo_path(&workspace.cargo)
            .manifest_path(&workspace.root_manifest)
            .current_dir(&workspace.root)
            .other_options(
                options
                    .args(CargoCall::Metadata)
                    .into_iter()
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect::<Vec<_>>(),
            );
        command
    }

    pub fn from_metadata(metadata: &Metadata) -> Self {
        let mut graph = DependencyGraph::default();
        for package in &metadata.packages {
            graph
                .names
                .insert(package.id.repr.clone(), package.name.to_string());
        }
        for node in metadata.resolve.iter().flat_map(|r| &r.nodes) {
            for dep in &node.deps {
                graph
                    .dependents
                    .entry(dep.pkg.repr.clone())
                    .or_default()
                    .insert(node.id.repr.clone());
            }
        }
        graph
    }

    /// The names of the package `id` and of every package that depends on
    /// it, directly or not: what an edit of it rebuilds.
    pub fn cascade(&self, id: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::from([id.to_owned()]);
        let mut stack = vec![id.to_owned()];
        while let Some(next) = stack.pop() {
            for dependent in self.dependents.get(&next).into_iter().flatten() {
                if seen.insert(dependent.clone()) {
                    stack.push(dependent.clone());
                }
            }
        }
        seen.iter()
            .map(|id| self.names.get(id).cloned().unwrap_or_else(|| id.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `a` depends on `b` under another name, `c` on `a`; `d` stands alone;
    /// `b`'s old version is a dependency of nobody in the workspace.
    #[test]
    fn the_cascade_follows_every_edge_of_the_resolve() {
        let package = |name: &str, version: &str| {
            format!(
                r#"{{"name":"{name}","version":"{version}","id":"{name}-{version}","source":null,"dependencies":[],"targets":[],"features":{{}},"manifest_path":"/ws/{name}/Cargo.toml","authors":[],"categories":[],"keywords":[],"edition":"2021","metadata":null,"publish":null,"license":null,"license_file":null,"description":null,"readme":null,"repository":null,"homepage":null,"documentation":null,"links":null,"default_run":null,"rust_version":null}}"#
            )
        };
        let node = |id: &str, deps: &[&str]| {
            let deps: Vec<String> = deps
                .iter()
                .map(|d| format!(r#"{{"name":"x","pkg":"{d}","dep_kinds":[]}}"#))
                .collect();
            format!(
                r#"{{"id":"{id}","deps":[{}],"dependencies":[],"features":[]}}"#,
                deps.join(",")
            )
        };
        let json = format!(
            r#"{{"packages":[{},{},{},{},{}],"workspace_members":[],"workspace_default_members":[],"resolve":{{"nodes":[{},{},{},{},{}],"root":null}},"target_directory":"/ws/target","version":1,"workspace_root":"/ws","metadata":null}}"#,
            package("a", "0.1.0"),
            package("b", "0.2.0"),
            package("b", "0.1.0"),
            package("c", "0.1.0"),
            package("d", "0.1.0"),
            node("a-0.1.0", &["b-0.2.0"]),
            node("b-0.2.0", &[]),
            node("b-0.1.0", &[]),
            node("c-0.1.0", &["a-0.1.0"]),
            node("d-0.1.0", &[]),
        );
        let metadata: Metadata = serde_json::from_str(&json).unwrap();
        let graph = DependencyGraph::from_metadata(&metadata);
        let names = |set: BTreeSet<String>| set.into_iter().collect::<Vec<_>>();
        assert_eq!(names(graph.cascade("b-0.2.0")), ["a", "b", "c"]);
        assert_eq!(names(graph.cascade("b-0.1.0")), ["b"]);
        assert_eq!(names(graph.cascade("c-0.1.0")), ["c"]);
    }
}
