//! The list of built-in tasks, and which of them `cargo perf check` runs by default.

use std::sync::Arc;

use cargo_perf_engine::Task;

/// What `cargo perf check` runs when perf.toml has no `check` pipeline.
pub const DEFAULT_CHECK: &[&str] = &["gitignore"];

/// Every built-in task with its default configuration.
pub fn tasks() -> Vec<Arc<dyn Task>> {
    vec![
        Arc::new(crate::gitignore::GitignoreTask::new(
            crate::gitignore::GitignoreOptions::default(),
        )),
        Arc::new(crate::build::BuildTask::new(Default::default())),
        Arc::new(crate::profile::ProfileTask::default()),
        Arc::new(crate::clean::CleanTask::default()),
        Arc::new(crate::bench::BenchTask::new(Default::default())),
        Arc::new(crate::lint::LintTask::default()),
        Arc::new(crate::report::ReportTask::default()),
    ]
}
