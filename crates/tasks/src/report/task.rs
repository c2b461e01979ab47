//! The `report` task, so a pipeline can end with the page
//! (`[pipelines] nightly = ["bench", "profile", "report"]`). Tasks never
//! use the report crate, so the page is drawn by a renderer the binary
//! hands in ([`ReportOptions::render`]); without one (a bare library
//! session) the task writes the gathered data as JSON instead. It writes
//! under the target dir only, so it declares no [`Task::writes`].

use std::path::PathBuf;

use cargo_perf_engine::dashboard::Dashboard;
use cargo_perf_engine::fsutil::write_atomic;
use cargo_perf_engine::{Task, TaskContext, TaskError};

/// Draws the page: `cargo_perf_report::render_dashboard_html`.
pub type Renderer = fn(&Dashboard) -> String;

/// How the `report` task draws and where it writes.
#[derive(Clone, Default)]
pub struct ReportOptions {
    /// The page's renderer; `None` writes `report.json` (the data) instead.
    pub render: Option<Renderer>,
}

impl std::fmt::Debug for ReportOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportOptions")
            .field("render", &self.render.is_some())
            .finish()
    }
}

/// The `report` task.
#[derive(Debug, Clone, Default)]
pub struct ReportTask {
    options: ReportOptions,
}

impl ReportTask {
    pub fn new(options: ReportOptions) -> Self {
        Self { options }
    }
}

impl Task for ReportTask {
    fn name(&self) -> &str {
        "report"
    }

    fn description(&self) -> &str {
        "writes one HTML page of what the other tasks recorded (see `cargo perf report`)"
    }

    /// In the cargo group, so it starts only once the tasks listed before it
    /// that write what it shows (bench, profile, build: all in that group)
    /// have ended; a pipeline lists it last.
    fn exclusive(&self) -> Option<&str> {
        Some(cargo_perf_engine::task::CARGO)
    }

    fn run(&self, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
        let dashboard = super::gather(cx.project, &cx.declared_writes())?;
        let dir = super::default_dir(cx.project);
        let (path, bytes): (PathBuf, Vec<u8>) = match self.options.render {
            Some(render) => (dir.join("report.html"), render(&dashboard).into_bytes()),
            None => (
                dir.join("report.json"),
                serde_json::to_vec_pretty(&dashboard).unwrap_or_default(),
            ),
        };
        let failed = |err: std::io::Error| {
            TaskError::new(format!("cannot write {}: {err}", path.display()))
                .hint("check that the target dir is writable")
        };
        std::fs::create_dir_all(&dir).map_err(failed)?;
        write_atomic(&path, &bytes).map_err(failed)?;
        cx.summary(format!(
            "wrote {} ({} benchmark trend(s), {} profile(s))",
            cx.workspace().relative(&path).display(),
            dashboard.bench.trends.len(),
            dashboard.profiles.len()
        ));
        cx.artifact(path);
        Ok(())
    }
}
