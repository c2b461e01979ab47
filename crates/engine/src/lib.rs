//! The cargo-perf engine: what a workspace is, what a task is, how a plan of
//! tasks is made and run (sending progress events), and the result model
//! every task reports in. Built-in tasks live in `cargo-perf-tasks`;
//! renderers in `cargo-perf-report`; the terminal progress views in
//! `cargo-perf-progress`.

pub mod cargo;
pub mod du;
pub mod exit;
pub mod fsutil;
pub mod git;
mod graph;
pub mod metacache;
pub use model::dashboard;
pub use model::history;
pub mod interrupt;
pub mod model;
pub mod outputs;
pub mod plan;
pub mod process;
pub mod progress;
pub mod registry;
pub mod resolve;
pub mod runner;
pub mod scope;
pub mod tail;
pub mod task;
pub mod workspace;

pub use cargo::{CargoCall, CargoOptions, PolicyCargo};
pub use model::{
    Change, Finding, FindingCode, Metric, MetricName, Outcome, RunReport, Severity, TaskKind,
    TaskReport, TaskStatus, Unit, Verdict,
};
pub use plan::{Plan, PlanError, validate};
pub use registry::{PipelineDef, Registry};
pub use runner::{RunOptions, run_plan};
pub use scope::ChangeScope;
pub use task::{Project, Task, TaskContext, TaskError, Written};
pub use workspace::{Workspace, WorkspaceError};
