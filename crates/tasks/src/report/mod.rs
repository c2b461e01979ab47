//! `cargo perf report`: gathers what the other tasks recorded (the bench
//! history, profile runs, the target dir's size and what `clean` would
//! reclaim, the last check) into the engine's [`Dashboard`] data, which the
//! report crate draws. It reads only, except [`store_last_check`], which
//! the binary calls after a check so the next report can show its outcome.

mod check;
mod disk;
mod profiles;
mod task;
mod trends;

use std::path::{Path, PathBuf};

use cargo_perf_engine::dashboard::{Dashboard, Source};
use cargo_perf_engine::task::Written;
use cargo_perf_engine::{Project, TaskError};

pub use check::store_last_check;
pub use task::{Renderer, ReportOptions, ReportTask};

/// Everything the report shows for `project`. A store that cannot be read
/// becomes a note on the page, not an error. `writes` are the paths every
/// registered task declares ([`cargo_perf_engine::Registry::writes`]), which
/// the plan of what `clean` would reclaim keeps out of its extra globs, as
/// `clean` itself does.
pub fn gather(project: &Project, writes: &[Written]) -> Result<Dashboard, TaskError> {
    let workspace = &project.workspace;
    let mut dashboard = Dashboard {
        workspace: workspace
            .root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        generated: now(),
        ..Dashboard::default()
    };
    // One unreadable store does not hide the rest of the page.
    let history = crate::bench_history(project, None).unwrap_or_else(|err| {
        let hint = err.hint.map(|h| format!(" ({h})")).unwrap_or_default();
        dashboard.notes.push(format!(
            "the bench history was not read: {}{hint}",
            err.message
        ));
        cargo_perf_engine::history::BenchHistory::new(PathBuf::new(), false)
    });
    dashboard.notes.extend(
        history
            .skipped
            .iter()
            .map(|s| format!("skipped {}: {}", s.path.display(), s.reason)),
    );
    dashboard.source = source(&history);
    dashboard.bench = trends::trends(project, &history);
    let relative = |path: &Path| -> PathBuf { workspace.relative(path).to_owned() };
    let (profiles, notes) = profiles::latest(&workspace.target_dir, &relative);
    dashboard.profiles = profiles;
    dashboard.notes.extend(notes);
    dashboard.disk = disk::usage(&workspace.target_dir, &relative);
    dashboard.reclaim = crate::clean_reclaimable(project, writes)
        .map_err(|err| {
            let hint = err.hint.map(|h| format!(" ({h})")).unwrap_or_default();
            dashboard.notes.push(format!(
                "what `cargo perf clean` would reclaim was not worked out: {}{hint}",
                err.message
            ));
        })
        .ok();
    let (last_check, note) = check::load(&workspace.target_dir);
    dashboard.last_check = last_check;
    dashboard.notes.extend(note);
    Ok(dashboard)
}

/// The newest bench run's commit, branch and machine.
fn source(history: &cargo_perf_engine::history::BenchHistory) -> Source {
    let Some(run) = history.runs.last() else {
        return Source::default();
    };
    let fp = &run.fingerprint;
    let text = |key: &str| fp.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let machine = [
        text("cpu"),
        fp.get("cores")
            .and_then(|v| v.as_u64())
            .map(|n| format!("{n} cores")),
        text("os"),
        text("rustc"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    Source {
        commit: run.commit.clone(),
        branch: run.branch.clone(),
        dirty: run.dirty,
        time: Some(run.time),
        machine: (!machine.is_empty()).then_some(machine),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Where the page goes when no `--output` is given: `<target>/cargo-perf/report/`.
pub fn default_dir(project: &Project) -> PathBuf {
    crate::tool_output::root(&project.workspace.target_dir).join("report")
}
