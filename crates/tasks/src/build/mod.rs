//! The `build` task: is this workspace's incremental build healthy, and how
//! long does an edit-rebuild cycle take? It builds once, then checks that an
//! identical second build does nothing (no-op freshness), audits build
//! scripts, times an edit-rebuild of each member, and optionally times a
//! clean build. It never changes a file's content: edits are simulated by
//! moving a root source file's modification time, which is put back after.

mod audit;
mod cargo;
mod clean;
pub(crate) mod codes;
mod freshness;
mod incremental;
mod nightly;
mod targets;
mod tree;

use std::time::{Duration, SystemTime};

use cargo_perf_engine::resolve::DependencyGraph;
use cargo_perf_engine::workspace::Member;
use cargo_perf_engine::{
    CargoOptions, ChangeScope, Finding, Metric, MetricName, PolicyCargo, Project, Task,
    TaskContext, TaskError, Unit, Written,
};
use cargo_perf_policy::units::format_duration;
use cargo_perf_policy::{BuildSettings, BuildTarget};

use cargo::{BuildCommand, BuildOutput};
use codes::BuildCode;
use incremental::Timing;
use tree::Snapshot;

/// How many of the slowest units of a clean build are reported.
const SLOWEST_UNITS: usize = 5;

/// Command-line choices that override `[build]` in perf.toml.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Also time a clean build in a separate target dir.
    pub clean: bool,
    /// Only check no-op freshness and audit build scripts.
    pub no_incremental: bool,
    /// The kinds of targets to build (`--targets`); `None` means `[build] targets`.
    pub targets: Option<Vec<BuildTarget>>,
}

pub struct BuildTask {
    options: BuildOptions,
}

impl BuildTask {
    pub fn new(options: BuildOptions) -> Self {
        Self { options }
    }

    /// The policy's `[build]` with this run's flags applied: flags win.
    fn resolve(&self, policy: &BuildSettings) -> BuildSettings {
        let mut settings = policy.clone();
        if let Some(targets) = &self.options.targets {
            settings.targets = targets.clone();
        }
        settings
    }

    /// The members whose edit-rebuild cycle is timed: `-p`, else
    /// `[build] members`, else all; less `--exclude`.
    fn members<'w>(
        &self,
        cx: &TaskContext<'w>,
        settings: &BuildSettings,
    ) -> Result<Vec<&'w Member>, TaskError> {
        let workspace = cx.workspace();
        let cargo = &cx.project.cargo;
        let names: Vec<&str> = settings.members.iter().map(|m| m.value.as_str()).collect();
        let from = "`[build] members` in perf.toml";
        for (name, _) in &settings.per_member_budget {
            if workspace.member(&name.value).is_none() {
                return Err(unknown_member(
                    workspace,
                    &name.value,
                    "`[build] incremental-budget` in perf.toml",
                ));
            }
        }
        let flagged = cargo.packages(workspace)?;
        let mut members: Vec<&Member> = if let Some(flagged) = flagged {
            flagged
        } else if names.is_empty() {
            workspace.members.iter().collect()
        } else {
            names
                .iter()
                .map(|name| {
                    workspace
                        .member(name)
                        .ok_or_else(|| unknown_member(workspace, name, from))
                })
                .collect::<Result<_, _>>()?
        };
        members.retain(|m| !cargo.excludes(m));
        if let Some(scope) = &cx.project.scope {
            members.retain(|m| scope.affects_member(&m.name));
        }
        Ok(members)
    }
}

impl Task for BuildTask {
    /// Never beside another cargo task: it runs cargo.
    fn exclusive(&self) -> Option<&str> {
        Some(cargo_perf_engine::task::CARGO)
    }

    fn name(&self) -> &str {
        "build"
    }

    fn description(&self) -> &str {
        "incremental build health: no-op freshness, build-script audit, edit-rebuild time"
    }

    /// A change no member owns (docs, CI files) cannot change how the
    /// workspace builds, so the whole task is skipped; which members are
    /// timed is narrowed per member in `run`.
    fn unaffected(&self, scope: &ChangeScope, project: &Project) -> Option<String> {
        let members = &project.workspace.members;
        let any = members.iter().any(|m| scope.affects_member(&m.name));
        (!any).then(|| "no changed file belongs to a workspace member".to_owned())
    }

    fn writes(&self, project: &Project) -> Vec<Written> {
        let scratch = clean::target_dir(&project.workspace.target_dir);
        vec![Written::new(scratch, "the clean build's target dir")]
    }

    fn run(&self, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
        let settings = &self.resolve(&cx.policy().build);
        let workspace = cx.workspace();
        let members = self.members(cx, settings)?;
        targets::check(workspace, &settings.targets)?;
        let cargo = cargo_options(cx, settings);
        let command = BuildCommand::new(workspace, settings, &cargo);

        let before = Snapshot::take(workspace);
        let future = before.in_the_future(SystemTime::now());
        for finding in audit::future_files(workspace, &future) {
            cx.finding(finding);
        }

        cx.step(&format!("{} (first build)", command.display()));
        let first = command.run(cx)?;
        if !first.success {
            return report_failure(cx, &command, settings, &first, "the build");
        }
        for finding in audit::env_changes(&first, false) {
            cx.finding(finding);
        }

        cx.step("the same build again: it must do nothing");
        let noop = command.run(cx)?;
        if !noop.success {
            return report_failure(cx, &command, settings, &noop, "the second build");
        }
        cx.metric(Metric::new(
            name().seg("noop"),
            noop.duration.as_secs_f64(),
            Unit::Seconds,
        ));
        cx.metric(Metric::new(
            name().seg("dirty-units"),
            noop.work_count() as f64,
            Unit::Count,
        ));
        let findings = freshness::findings(&noop)
            .into_iter()
            .chain(audit::env_changes(&noop, true))
            .chain(audit::scripts(workspace, &noop))
            .chain(audit::source_writes(
                workspace,
                &Snapshot::take(workspace).changes_since(&before),
            ))
            .collect::<Vec<_>>();
        for finding in findings {
            cx.finding(finding);
        }

        let mut parts = vec![match noop.work_count() {
            0 => format!(
                "no-op build did nothing ({})",
                format_duration(noop.duration)
            ),
            n => format!("no-op build rebuilt {n} unit{}", plural(n)),
        }];
        if !self.options.no_incremental && settings.incremental {
            let always_dirty = noop.rebuilt_packages();
            let graph = dependency_graph(cx, &cargo)?;
            let timed = Timed {
                command: &command,
                graph: &graph,
                always_dirty: &always_dirty,
            };
            match self.time_members(cx, &timed, &members, settings)? {
                Some(part) => parts.push(part),
                None => return Ok(()),
            }
        }
        if self.options.clean {
            match clean_build(cx, &cargo, settings)? {
                Some(part) => parts.push(part),
                None => return Ok(()),
            }
        }
        cx.summary(parts.join("; "));
        Ok(())
    }
}

/// Cargo's flags of this run over `[build]`'s `features`, `profile` and `target`: flags win.
fn cargo_options(cx: &TaskContext<'_>, settings: &BuildSettings) -> CargoOptions {
    cx.project.cargo.over(&PolicyCargo {
        features: settings.features.clone(),
        profile: settings.profile.clone(),
        target: settings.target.clone(),
    })
}

/// Cargo's resolve of the workspace, whose edges predict what an edit rebuilds.
fn dependency_graph(
    cx: &TaskContext<'_>,
    cargo: &CargoOptions,
) -> Result<DependencyGraph, TaskError> {
    let workspace = cx.workspace();
    cx.step(&cargo_perf_engine::cargo::metadata_display(
        &DependencyGraph::command(workspace, cargo),
    ));
    DependencyGraph::resolve(workspace, cargo).map_err(|err| {
        TaskError::new(format!("cannot read the dependency graph: {err}")).hint(
            "cargo's resolve (`cargo metadata`) must succeed: fix what cargo says (a lock file, the network, a manifest)",
        )
    })
}

/// What every timed edit-rebuild shares.
struct Timed<'a> {
    command: &'a BuildCommand,
    graph: &'a DependencyGraph,
    /// Packages the no-op build rebuilt already, not blamed on an edit.
    always_dirty: &'a std::collections::BTreeSet<String>,
}

impl BuildTask {
    /// Times each member's edit-rebuild cycle; `None` when a build failed.
    fn time_members(
        &self,
        cx: &mut TaskContext<'_>,
        timed: &Timed<'_>,
        members: &[&Member],
        settings: &BuildSettings,
    ) -> Result<Option<String>, TaskError> {
        let command = timed.command;
        let mut timings: Vec<Timing> = Vec::new();
        for member in members {
            let Some(root) = incremental::root_file(member) else {
                cx.finding(Finding::info(
                    BuildCode::NoRootFile,
                    format!("`{}` has no library or binary target, so its edit-rebuild cycle is not timed", member.name),
                ));
                continue;
            };
            if !incremental::inside(root, &cx.workspace().root) {
                cx.finding(
                    Finding::warning(
                        BuildCode::RootOutsideWorkspace,
                        format!(
                            "the root source file of `{}` resolves outside the workspace, so its edit is not timed (cargo perf touches no file outside the workspace)",
                            member.name
                        ),
                    )
                    .file(cx.workspace().relative(root))
                    .help("leave the member out with `[build] members` or `-p`, or move the file into the workspace"),
                );
                continue;
            }
            cx.step(&format!("timing an edit of `{}`", member.name));
            let timing = incremental::time_member(cx, timed, member, root)?;
            if !timing.build.success {
                return report_failure(
                    cx,
                    command,
                    settings,
                    &timing.build,
                    "an incremental build",
                )
                .map(|()| None);
            }
            timings.push(timing);
        }
        timings.sort_by_key(|t| std::cmp::Reverse(t.duration));
        let mut over = 0;
        for timing in &timings {
            report_timing(cx, timing, settings.budget_for(&timing.member), &mut over);
        }
        Ok(Some(match (timings.first(), cx.project.scope.is_some()) {
            (None, true) => "no member affected by the change to time".to_owned(),
            (None, false) => "no member to time".to_owned(),
            (Some(slowest), _) => {
                let mut text = format!(
                    "edit-rebuild of {} member{}, slowest `{}` {}",
                    timings.len(),
                    plural(timings.len()),
                    slowest.member,
                    format_duration(slowest.duration)
                );
                if over > 0 {
                    text.push_str(&format!(", {over} over budget"));
                }
                text
            }
        }))
    }
}

fn report_timing(
    cx: &mut TaskContext<'_>,
    timing: &Timing,
    budget: Option<Duration>,
    over: &mut usize,
) {
    let member = &timing.member;
    let mut metric = Metric::new(
        name().seg("incremental").seg(member),
        timing.duration.as_secs_f64(),
        Unit::Seconds,
    );
    if let Some(budget) = budget {
        metric = metric.budget(budget.as_secs_f64());
        if timing.duration > budget {
            *over += 1;
            cx.finding(
                Finding::error(
                    BuildCode::OverBudget,
                    format!(
                        "an edit of `{member}` takes {} to rebuild ({} unit{}), over its budget of {}",
                        format_duration(timing.duration),
                        timing.rebuilt,
                        plural(timing.rebuilt),
                        format_duration(budget)
                    ),
                )
                .help("split the crate or cut its reverse dependencies, or raise `[build] incremental-budget` in perf.toml"),
            );
        }
    }
    cx.metric(metric);
    cx.metric(Metric::new(
        name().seg("rebuilt").seg(member),
        timing.rebuilt as f64,
        Unit::Count,
    ));
    if !timing.unexpected.is_empty() {
        let reasons: Vec<String> = timing
            .build
            .dirty
            .iter()
            .filter(|d| timing.unexpected.contains(&d.package))
            .map(|d| format!("`{}`: {}", d.package, d.reason))
            .collect();
        let mut message = format!(
            "an edit of `{member}` also rebuilt {}, which do{} not depend on it",
            timing
                .unexpected
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if timing.unexpected.len() == 1 {
                "es"
            } else {
                ""
            }
        );
        if !reasons.is_empty() {
            message.push_str(&format!(" (cargo: {})", reasons.join("; ")));
        }
        cx.finding(Finding::warning(BuildCode::UnexpectedRebuild, message).help(
            "a build script or `rerun-if-changed` path outside its own package probably watches this member's files; watch only the package's own inputs",
        ));
    }
}

/// Times a clean build in our own target dir; `None` when it failed.
fn clean_build(
    cx: &mut TaskContext<'_>,
    cargo: &CargoOptions,
    settings: &BuildSettings,
) -> Result<Option<String>, TaskError> {
    let dir = clean::target_dir(&cx.workspace().target_dir);
    clean::reset(&dir).map_err(|err| {
        TaskError::new(format!("cannot prepare {}: {err}", dir.display()))
            .hint("check the permissions of the target directory")
    })?;
    let timed = BuildCommand::new(cx.workspace(), settings, &cargo.with_target_dir(&dir))
        .with_args(["--timings"]);
    cx.step(&format!("clean build: {}", timed.display()));
    let build = timed.run(cx)?;
    if !build.success {
        clean::discard_outputs(&dir);
        return report_failure(cx, &timed, settings, &build, "the clean build").map(|()| None);
    }
    cx.metric(Metric::new(
        name().seg("clean"),
        build.duration.as_secs_f64(),
        Unit::Seconds,
    ));
    let report = clean::report_path(&dir);
    let units = std::fs::read_to_string(&report)
        .ok()
        .and_then(|html| clean::slowest_units(&html));
    match units {
        Some(units) => {
            for unit in units.iter().take(SLOWEST_UNITS) {
                cx.finding(Finding::info(
                    BuildCode::SlowUnit,
                    format!(
                        "clean build: {} took {}",
                        unit.describe(),
                        format_duration(Duration::from_secs_f64(unit.duration.max(0.0)))
                    ),
                ));
            }
            cx.artifact(report);
        }
        None => cx.finding(Finding::warning(
            BuildCode::NoTimings,
            format!(
                "cargo wrote no readable timings report at {}, so the slowest units are unknown",
                report.display()
            ),
        ).help("check that `cargo build --timings` works with this toolchain")),
    }
    clean::discard_outputs(&dir);
    Ok(Some(format!(
        "clean build {}",
        format_duration(build.duration)
    )))
}

/// A failed build: a target that needs nightly, the compiler's first error,
/// or cargo's own last words.
fn report_failure(
    cx: &mut TaskContext<'_>,
    command: &BuildCommand,
    settings: &BuildSettings,
    build: &BuildOutput,
    what: &str,
) -> Result<(), TaskError> {
    let shown = command.display();
    if let Some(error) = &build.first_error
        && let Some(finding) = nightly::diagnose(cx.workspace(), error, &settings.targets, what)
    {
        cx.finding(finding);
        cx.log_tail(error.rendered.lines().map(str::to_owned).collect());
        cx.summary(format!("{what} failed: a target needs a nightly toolchain"));
        return Ok(());
    }
    match &build.first_error {
        Some(error) => {
            let first_line = error.rendered.lines().next().unwrap_or("a compile error");
            let mut finding = Finding::error(
                BuildCode::Failed,
                format!("{what} failed: {first_line}"),
            )
            .help(format!(
                "fix the compile error, then run `cargo perf build` again (`{shown}` shows every error)"
            ));
            if let Some(file) = error.resolve_file(&cx.workspace().root) {
                finding = finding.file(cx.workspace().relative(&file));
            }
            if let Some(line) = error.line {
                finding = finding.line(line);
            }
            cx.finding(finding);
            cx.log_tail(error.rendered.lines().map(str::to_owned).collect());
        }
        // Nothing compiled: cargo itself refused (a lock file `--locked`
        // forbids updating, a dependency `--offline` cannot fetch, a bad manifest).
        None if build.units.is_empty() => return Err(cargo_refused(&shown, build, what)),
        None => {
            cx.finding(
                Finding::error(
                    BuildCode::Failed,
                    format!("{what} failed: `{shown}` {}", build.status),
                )
                .help(format!("run `{shown}` to see its whole output")),
            );
            cx.log_tail(build.stderr_tail.clone());
        }
    }
    cx.summary(format!("{what} failed"));
    Ok(())
}

/// Cargo's own error, from its first `error:` line on.
fn cargo_refused(shown: &str, build: &BuildOutput, what: &str) -> TaskError {
    let start = build
        .stderr_tail
        .iter()
        .position(|line| line.starts_with("error"))
        .unwrap_or(0);
    let said = build.stderr_tail[start..].join("\n");
    TaskError::new(format!(
        "cargo could not start {what}: `{shown}` {}\n{}",
        build.status,
        said.trim_end()
    ))
    .hint("fix what cargo says above (a lock file, the network, a manifest), then run `cargo perf build` again")
}

fn unknown_member(workspace: &cargo_perf_engine::Workspace, name: &str, from: &str) -> TaskError {
    let known: Vec<&str> = workspace.members.iter().map(|m| m.name.as_str()).collect();
    let hint = match cargo_perf_policy::suggest(name, known.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("the workspace members are: {}", known.join(", ")),
    };
    TaskError::new(format!(
        "{from} names `{name}`, which is not a member of this workspace"
    ))
    .hint(hint)
}

fn name() -> MetricName {
    MetricName::task("build")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
