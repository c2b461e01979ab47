//! The `clean` task: removes what `[clean]` in perf.toml asks for (stale
//! build units in the target dir, units of toolchains no longer installed,
//! the least recently used units beyond a size budget, extra untracked
//! files), each with its size and reason, and reports the target dir's disk
//! usage. It is not part of `check`: it runs as `cargo perf clean` or when a
//! pipeline names it. `--dry-run` reports exactly the list a real run removes.
//!
//! A run goes in phases that hand data on: the read-only [`survey`] (open
//! the workspace and target dir once, try cargo's build locks and keep them
//! in a real run, scan, plan: select units and extra files), then act
//! (remove, unless a dry run) and report. `cargo perf report` shows what
//! clean would reclaim through the same survey ([`reclaimable`]).

mod act;
mod atime;
pub(crate) mod codes;
mod extras;
mod layout;
mod nofollow;
mod plan;
mod reclaim;
mod remove;
mod report;
mod safety;
mod scan;
mod select;
mod survey;
mod tool_output;
mod toolchains;

use cargo_perf_engine::{ChangeScope, Project, Task, TaskContext, TaskError};
use cargo_perf_policy::sections::clean::Clean;

pub use reclaim::reclaimable;
use survey::Anchors;

/// How `cargo perf clean` was asked to run.
#[derive(Debug, Clone, Default)]
pub struct CleanOptions {
    /// Report what would be removed; remove nothing.
    pub dry_run: bool,
    /// Wait for cargo's build lock instead of skipping a locked profile.
    pub wait: bool,
}

/// The flags over `[clean]`: everything one run reads.
struct Settings<'p> {
    dry_run: bool,
    wait: bool,
    policy: &'p Clean,
}

impl CleanOptions {
    /// No flag overrides a `[clean]` key today; the step exists so one
    /// that does has its one place, as in every task.
    fn resolve<'p>(&self, policy: &'p Clean) -> Settings<'p> {
        Settings {
            dry_run: self.dry_run,
            wait: self.wait,
            policy,
        }
    }
}

/// The `clean` task, configured from `cargo perf clean`'s flags.
#[derive(Debug, Clone, Default)]
pub struct CleanTask {
    options: CleanOptions,
}

impl CleanTask {
    pub fn new(options: CleanOptions) -> Self {
        Self { options }
    }
}

impl Task for CleanTask {
    /// Never beside another cargo task: it takes cargo's build locks.
    fn exclusive(&self) -> Option<&str> {
        Some(cargo_perf_engine::task::CARGO)
    }

    fn name(&self) -> &str {
        "clean"
    }

    fn description(&self) -> &str {
        "removes stale build units and extra files as [clean] in perf.toml says (not part of check)"
    }

    /// What is stale in the target dir does not depend on which files
    /// changed: a change scope never narrows a cleanup.
    fn unaffected(&self, _: &ChangeScope, _: &Project) -> Option<String> {
        None
    }

    fn run(&self, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
        run(&self.options, cx)
    }
}

fn run(options: &CleanOptions, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
    let settings = options.resolve(&cx.policy().clean);
    let writes = cx.declared_writes();
    let surveyed = survey::survey(cx.project, &writes, &settings, &|step| cx.step(step))?;
    let Some(survey::Survey {
        anchors,
        scan,
        plan,
        last_use,
        locks,
    }) = surveyed
    else {
        report::interrupted_early(cx);
        return Ok(());
    };
    let done = (!settings.dry_run).then(|| act::act(cx, &anchors, &scan, &plan.items));
    drop(locks);
    report::report(
        cx,
        &report::Inputs {
            anchors: &anchors,
            scan: &scan,
            plan: &plan,
            done: done.as_deref(),
            policy: settings.policy,
            last_use,
        },
    );
    Ok(())
}
