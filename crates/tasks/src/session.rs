//! The entry point for the binary and for a project's own xtask: find the
//! workspace, load its policy, assemble the registry of tasks and pipelines,
//! then plan and run. `cargo perf check` is `Session::open` + `run(["check"])`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use cargo_perf_engine::cargo::{CargoOptions, PackageError};
use cargo_perf_engine::metacache::MetadataCache;
use cargo_perf_engine::progress::ProgressSink;
use cargo_perf_engine::{
    PipelineDef, Plan, PlanError, Project, Registry, RunOptions, RunReport, Workspace,
    WorkspaceError, run_plan,
};
use cargo_perf_policy::{Diagnostic, Located, Policy, PolicyError, WorkspaceNames};

use crate::command::CommandTask;

/// Where to look for the workspace and its policy.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// The directory to start from (default: the current directory).
    pub dir: Option<PathBuf>,
    /// A Cargo.toml to use instead of searching from `dir`.
    pub manifest_path: Option<PathBuf>,
    /// A policy file to use instead of the workspace's own (`perf.toml`, else `.config/perf.toml`).
    pub config: Option<PathBuf>,
    /// Cargo's flags (`--locked`, `-p`, `--features`, ...) for every cargo command of the run.
    pub cargo: CargoOptions,
    /// Whether cargo's answer about the workspace may come from (and go to)
    /// the cache in the target dir.
    pub metadata_cache: MetadataCache,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0}")]
    Workspace(#[from] WorkspaceError),
    #[error("{0}")]
    Policy(#[from] PolicyError),
    #[error("{0}")]
    Package(#[from] PackageError),
    #[error("cannot determine the current directory: {0}")]
    CurrentDir(std::io::Error),
}

impl OpenError {
    pub fn hint(&self) -> Option<&str> {
        match self {
            OpenError::Workspace(err) => Some(err.hint()),
            OpenError::Policy(_) => None,
            OpenError::Package(err) => Some(err.hint()),
            OpenError::CurrentDir(_) => Some("run cargo perf from an existing directory"),
        }
    }
}

/// An opened project with every task and pipeline it can run.
pub struct Session {
    pub project: Project,
    pub registry: Registry,
}

impl Session {
    pub fn open(options: &OpenOptions) -> Result<Session, OpenError> {
        let cwd = std::env::current_dir().map_err(OpenError::CurrentDir)?;
        let dir = options
            .dir
            .as_deref()
            .map_or_else(|| cwd.clone(), |d| cwd.join(d));
        let mut cargo = options.cargo.clone();
        if let Some(target_dir) = &cargo.target_dir {
            cargo.target_dir = Some(cwd.join(target_dir));
        }
        let workspace = Workspace::discover_with(
            &dir,
            options.manifest_path.as_deref(),
            &cargo,
            options.metadata_cache,
        )?;
        cargo.validate(&workspace)?;
        let (policy, policy_path) = load_policy(&workspace, options.config.as_deref(), &cwd)?;
        policy.check_names(&workspace_names(&workspace))?;
        let registry = build_registry(&policy)?;
        let mut project = Project::new(workspace, policy, policy_path);
        project.cargo = cargo;
        Ok(Session { project, registry })
    }

    /// Replaces a built-in task, e.g. with one configured from command-line flags.
    pub fn override_task(&mut self, task: Arc<dyn cargo_perf_engine::Task>) {
        self.registry.add_task(task);
    }

    /// Limits the run to what changed: works out the change set of `source`
    /// and sets it as the project's scope, which the runner and tasks read.
    pub fn scope_to(
        &mut self,
        source: &crate::changes::ChangeSource,
    ) -> Result<&cargo_perf_engine::ChangeScope, crate::changes::ChangesError> {
        let repo = self
            .project
            .git()
            .map_err(|err| crate::changes::ChangesError::Discover(err.message))?;
        let scope = crate::changes::scope(&self.project.workspace, repo, source)?;
        Ok(self.project.scope.insert(scope))
    }

    /// Plans names that may come from the policy (such as `[hooks] pre-push`),
    /// so an unknown one is reported at its perf.toml line.
    pub fn plan_located(&self, names: &[Located<String>]) -> Result<Plan, PlanError> {
        Plan::build(&self.registry, names)
    }

    pub fn plan(&self, names: &[String]) -> Result<Plan, PlanError> {
        let names: Vec<Located<String>> = names.iter().cloned().map(Located::builtin).collect();
        Plan::build(&self.registry, &names)
    }

    /// Runs a plan and assembles the report.
    pub fn run(
        &self,
        command: &str,
        plan: &Plan,
        options: RunOptions,
        progress: &dyn ProgressSink,
    ) -> RunReport {
        cargo_perf_engine::interrupt::install();
        let started = Instant::now();
        let tasks = run_plan(plan, &self.project, options, progress);
        RunReport::new(
            command.to_owned(),
            self.project.workspace.root.clone(),
            self.project.policy_path.clone(),
            tasks,
            started.elapsed(),
            cargo_perf_engine::interrupt::is_interrupted(),
        )
    }

    /// Renders a planning error against the policy file it is about.
    pub fn render(&self, diagnostic: &Diagnostic) -> String {
        self.project.policy.render(diagnostic)
    }

    /// Run options from the policy's `[settings]`, before command-line overrides.
    pub fn run_options(&self) -> RunOptions {
        let settings = &self.project.policy.settings;
        let defaults = RunOptions::default();
        RunOptions {
            jobs: settings.jobs.unwrap_or(defaults.jobs),
            fail_fast: settings.fail_fast,
        }
    }
}

fn load_policy(
    workspace: &Workspace,
    config: Option<&Path>,
    cwd: &Path,
) -> Result<(Policy, Option<PathBuf>), PolicyError> {
    let shown = |path: &Path| {
        path.strip_prefix(cwd)
            .map(Path::to_owned)
            .unwrap_or_else(|_| path.to_owned())
    };
    let path = match config {
        Some(path) => cwd.join(path),
        None => match cargo_perf_policy::locate(&workspace.root, shown)? {
            Some(path) => path,
            None => return Ok((Policy::default(), None)),
        },
    };
    let policy = cargo_perf_policy::load(&path, &shown(&path))?;
    Ok((policy, Some(path)))
}

/// What of the workspace perf.toml's names are checked against.
fn workspace_names(workspace: &Workspace) -> WorkspaceNames {
    WorkspaceNames {
        members: workspace.members.iter().map(|m| m.name.clone()).collect(),
        bench_targets: workspace
            .members
            .iter()
            .flat_map(|m| &m.targets)
            .filter(|t| t.kind == cargo_perf_engine::workspace::TargetKind::Bench)
            .map(|t| t.name.clone())
            .collect(),
    }
}

fn build_registry(policy: &Policy) -> Result<Registry, PolicyError> {
    let mut registry = Registry::new();
    for task in crate::builtin::tasks() {
        registry.add_task(task);
    }
    registry.add_pipeline(PipelineDef {
        name: Located::builtin("check".to_owned()),
        steps: crate::DEFAULT_CHECK
            .iter()
            .map(|s| Located::builtin(s.to_string()))
            .collect(),
        description: "the checks `cargo perf check` runs (built-in default)".to_owned(),
    });
    let mut diagnostics = Vec::new();
    for spec in &policy.tasks {
        let span = spec.name.span.clone();
        if let Err(diagnostic) =
            registry.add_custom_task(Arc::new(CommandTask::new(spec.clone())), span)
        {
            diagnostics.push(diagnostic);
        }
    }
    for pipeline in &policy.pipelines {
        if registry.task(&pipeline.name.value).is_some() {
            diagnostics.push(
                Diagnostic::new(format!(
                    "pipeline `{}` has the name of a built-in task",
                    pipeline.name.value
                ))
                .at(pipeline.name.span.clone().unwrap_or_default())
                .label("built-in task name")
                .help("rename the pipeline"),
            );
            continue;
        }
        registry.add_pipeline(PipelineDef {
            name: pipeline.name.clone(),
            steps: pipeline.steps.clone(),
            description: format!(
                "pipeline: {}",
                pipeline
                    .steps
                    .iter()
                    .map(|s| s.value.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    // The same checks a plan makes, over every task and pipeline, so a
    // command that plans nothing (`list`) rejects what `check` would.
    diagnostics.extend(cargo_perf_engine::validate(&registry));
    diagnostics.sort_by_key(|d| d.span.as_ref().map(|s| s.start));
    match (&policy.source, diagnostics.is_empty()) {
        (Some(source), false) => Err(PolicyError {
            source: source.clone(),
            diagnostics,
        }),
        _ => Ok(registry),
    }
}
