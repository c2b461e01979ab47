//! What `cargo perf list` shows: every task and pipeline a run can name, as
//! plain data, so the renderers need no registry.

use serde::Serialize;

use super::TaskKind;

/// Every task, then every pipeline, in the registry's order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Listing {
    pub tasks: Vec<ListedTask>,
    pub pipelines: Vec<ListedPipeline>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListedTask {
    pub name: String,
    pub kind: TaskKind,
    pub description: String,
    /// The tasks it runs after.
    pub depends_on: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListedPipeline {
    pub name: String,
    /// Task or pipeline names, in order.
    pub steps: Vec<String>,
    /// Declared in perf.toml rather than built in.
    pub from_policy: bool,
}
