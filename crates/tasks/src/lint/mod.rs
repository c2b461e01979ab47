//! The `lint` task: performance anti-patterns seen in the source before
//! they ship. Two sources, one list of findings: the task's own rules on the
//! syntax tree (syn), for what clippy does not catch, and `cargo clippy`
//! with its `perf` group and a curated list of other lints. `[lint]` sets
//! each rule's level, the clippy lints and the paths left out; a comment or
//! an attribute allows a rule inline (docs/lint.md).

mod blocks;
mod checks;
mod clippy;
pub(crate) mod codes;
mod imports;
mod reuse;
mod rules;
mod scan;
mod sources;
mod suppress;
mod visit;

use std::collections::BTreeSet;

use cargo_perf_engine::process::CommandSpec;
use cargo_perf_engine::workspace::Member;
use cargo_perf_engine::{
    ChangeScope, Finding, Metric, MetricName, PolicyCargo, Project, Severity, Task, TaskContext,
    TaskError, Unit,
};
use cargo_perf_policy::{LintLevel, LintSettings};

pub use clippy::CURATED as CLIPPY_LINTS;
pub use rules::{RuleInfo, catalogue as rules};

use codes::LintCode;
use rules::Rule;
use scan::Scanned;

/// Command-line choices that override `[lint]`.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// `Some(false)` with `--no-clippy`: only the own rules run.
    pub clippy: Option<bool>,
}

#[derive(Debug, Default)]
pub struct LintTask {
    options: LintOptions,
}

impl LintTask {
    pub fn new(options: LintOptions) -> Self {
        Self { options }
    }
}

impl Task for LintTask {
    fn name(&self) -> &str {
        "lint"
    }

    fn description(&self) -> &str {
        "performance anti-patterns in the source: own syntax rules and clippy's perf lints"
    }

    /// Never beside another cargo task: its clippy part runs cargo.
    fn exclusive(&self) -> Option<&str> {
        Some(cargo_perf_engine::task::CARGO)
    }

    /// After any `cargo clippy` task of the run, whose build it reuses.
    fn runs_after(&self, plan: &[&dyn Task]) -> Vec<usize> {
        reuse::clippy_tasks(plan)
    }

    /// A change that touches no member cannot add a finding.
    fn unaffected(&self, scope: &ChangeScope, project: &Project) -> Option<String> {
        let members = &project.workspace.members;
        let any = members.iter().any(|m| scope.affects_member(&m.name));
        (!any).then(|| "no changed file belongs to a workspace member".to_owned())
    }

    fn run(&self, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
        let settings = &cx.policy().lint;
        let members = members(cx)?;
        let files = sources::files(cx.workspace(), &members, &settings.exclude);
        cx.step(&format!(
            "reading {} source file{}",
            files.len(),
            plural(files.len())
        ));
        let started = std::time::Instant::now();
        let scanned = scan::scan_all(&files);
        cx.metric(Metric::new(
            name().seg("files"),
            files.len() as f64,
            Unit::Count,
        ));
        cx.metric(Metric::new(
            name().seg("own-rules"),
            started.elapsed().as_secs_f64(),
            Unit::Seconds,
        ));
        let mut own = 0;
        for file in scanned {
            own += report_file(cx, settings, file);
        }
        let mut parts = vec![format!(
            "{own} own-rule finding{} in {} file{}",
            plural(own),
            files.len(),
            plural(files.len())
        )];
        let clippy_level = level(settings, "clippy", LintLevel::Warn);
        if self.options.clippy.unwrap_or(settings.clippy)
            && clippy_level != LintLevel::Allow
            && !members.is_empty()
        {
            parts.push(run_clippy(cx, &members, settings, clippy_level)?);
        }
        cx.summary(parts.join(", "));
        Ok(())
    }
}

/// The members to read: `-p`, else all; less `--exclude`.
fn members<'w>(cx: &TaskContext<'w>) -> Result<Vec<&'w Member>, TaskError> {
    let workspace = cx.workspace();
    let cargo = &cx.project.cargo;
    let mut members = match cargo.packages(workspace)? {
        Some(flagged) => flagged,
        None => workspace.members.iter().collect(),
    };
    members.retain(|m| !cargo.excludes(m));
    if let Some(scope) = &cx.project.scope {
        members.retain(|m| scope.affects_member(&m.name));
    }
    Ok(members)
}

fn level(settings: &LintSettings, rule: &str, default: LintLevel) -> LintLevel {
    settings.level(rule).unwrap_or(default)
}

fn severity(level: LintLevel) -> Severity {
    match level {
        LintLevel::Deny => Severity::Error,
        _ => Severity::Warning,
    }
}

/// Reports one file's hits at their rules' levels; returns how many.
fn report_file(cx: &mut TaskContext<'_>, settings: &LintSettings, file: Scanned) -> usize {
    let relative = cx.workspace().relative(&file.path).to_path_buf();
    let hits = match file.outcome {
        Ok(hits) => hits,
        Err(err) => {
            cx.finding(
                Finding::warning(
                    LintCode::ParseFailed,
                    format!("cannot parse the file, so the own rules skipped it: {err}"),
                )
                .file(&relative)
                .help("fix the syntax error (`cargo check` shows it), or leave the file out with `[lint] exclude`"),
            );
            return 0;
        }
    };
    for unknown in hits.unknown {
        let known = Rule::ALL.iter().map(|r| r.name());
        let help = match cargo_perf_policy::suggest(&unknown.name.replace('_', "-"), known) {
            Some(close) => format!("did you mean `{close}`?"),
            None => "`cargo perf lint --list` shows every rule".to_owned(),
        };
        cx.finding(
            Finding::warning(
                LintCode::UnknownSuppression,
                format!(
                    "`cargo-perf: allow({})` names no rule, so it allows nothing",
                    unknown.name
                ),
            )
            .file(&relative)
            .line(unknown.line as u32)
            .column(unknown.column as u32)
            .help(help),
        );
    }
    let mut count = 0;
    for hit in hits.hits {
        let level = level(settings, hit.rule.name(), hit.rule.default_level());
        if level == LintLevel::Allow {
            continue;
        }
        count += 1;
        let info = hit.rule.info();
        cx.finding(
            Finding::new(severity(level), hit.rule.code(), hit.message)
                .file(&relative)
                .line(hit.line as u32)
                .column(hit.column as u32)
                .help(info.help),
        );
    }
    count
}

/// The clippy source: a replay of a `cargo clippy` task of the run when
/// one fits (see [`reuse`]), else the lint's own clippy; returns the
/// summary's clippy part.
fn run_clippy(
    cx: &mut TaskContext<'_>,
    members: &[&Member],
    settings: &LintSettings,
    level: LintLevel,
) -> Result<String, TaskError> {
    let lints: Vec<String> = match &settings.clippy_lints {
        Some(lints) => lints.clone(),
        None => CLIPPY_LINTS.iter().map(|l| (*l).to_owned()).collect(),
    };
    let source = reuse::choose(
        cx.finished_tasks(),
        cx.workspace(),
        &cx.project.cargo,
        members,
    );
    let (spec, keep, reused) = match source {
        reuse::Source::Reuse { task, spec } => match reuse::perf_group(cx.workspace()) {
            Some(mut keep) => {
                keep.extend(lints.iter().cloned());
                (spec, Some(keep), Ok(task))
            }
            None => {
                let why =
                    format!("clippy's perf group could not be listed to read task `{task}`'s");
                (own_command(cx, members, &lints), None, Err(Some(why)))
            }
        },
        // clippy's other default lints fire in its own run too: keep the
        // same lints a replay keeps.
        reuse::Source::Own { why } => {
            let keep = reuse::perf_group(cx.workspace()).map(|mut keep| {
                keep.extend(lints.iter().cloned());
                keep
            });
            (own_command(cx, members, &lints), keep, Err(why))
        }
    };
    cx.step(&spec.display());
    let out = clippy::run(cx, &spec)?;
    cx.metric(Metric::new(
        name().seg("clippy").seg("checked-crates"),
        out.checked as f64,
        Unit::Count,
    ));
    let count = match report_clippy(cx, &spec, out, keep.as_ref(), level) {
        Some(count) => format!("{count} clippy lint{}", plural(count)),
        None => "clippy failed".to_owned(),
    };
    Ok(match reused {
        Ok(task) => format!(
            "{count} (reused the diagnostics of task `{task}`; lints outside clippy's defaults count only where its flags or `[lints.clippy]` turn them on)"
        ),
        Err(Some(why)) => format!("{count} (own clippy run: {why})"),
        Err(None) => format!("{count} (own clippy run)"),
    })
}

/// The lint's own `cargo clippy`, with the perf group and `lints`.
fn own_command(cx: &TaskContext<'_>, members: &[&Member], lints: &[String]) -> CommandSpec {
    let cargo = cx.project.cargo.over(&PolicyCargo::default());
    clippy::command(cx.workspace(), members, &cargo, lints)
}

/// Reports what clippy said: its lints (of `keep` only, when given) as
/// findings; `None` when it failed (reported as a finding).
fn report_clippy(
    cx: &mut TaskContext<'_>,
    spec: &CommandSpec,
    out: clippy::ClippyOutput,
    keep: Option<&BTreeSet<String>>,
    level: LintLevel,
) -> Option<usize> {
    if !out.success {
        let said = out
            .first_error
            .clone()
            .unwrap_or_else(|| out.stderr_tail.join("\n"));
        let first = said.lines().next().unwrap_or("").to_owned();
        cx.finding(
            Finding::error(
                LintCode::ClippyFailed,
                format!("`{}` {}: {first}", spec.display(), out.status),
            )
            .help("fix the compile error so clippy can run, or set `[lint] clippy = false` (or pass `--no-clippy`)"),
        );
        cx.log_tail(said.lines().map(str::to_owned).collect());
        return None;
    }
    let mut count = 0;
    for lint in out.lints {
        if keep.is_some_and(|keep| !keep.contains(&lint.name)) {
            continue;
        }
        count += 1;
        let help = lint.help.unwrap_or_else(|| {
            format!(
                "see https://rust-lang.github.io/rust-clippy/master/#{}",
                lint.name
            )
        });
        cx.finding(
            Finding::new(
                severity(level),
                LintCode::Clippy,
                format!("clippy::{}: {}", lint.name, lint.message),
            )
            .file(lint.file)
            .line(lint.line)
            .column(lint.column)
            .help(help),
        );
    }
    Some(count)
}

fn name() -> MetricName {
    MetricName::task("lint")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests;
