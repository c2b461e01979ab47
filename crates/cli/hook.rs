//! The command-line side of git hooks and change-scoped checks:
//! `cargo perf hook install | uninstall | status`, and what `check --hook`
//! and `check --changed` add to a run (the pipeline from `[hooks]`, the scope).

use std::io::{IsTerminal, Read};

use console::style;
use serde_json::json;

use cargo_perf_engine::Plan;
use cargo_perf_engine::exit;
use cargo_perf_policy::escape::escape;
use cargo_perf_policy::{Diagnostic, Located};
use cargo_perf_tasks::Session;
use cargo_perf_tasks::changes::ChangeSource;
use cargo_perf_tasks::hook::{HookKind, Hooks, Installed, Removed, State};

use crate::args::{
    CheckArgs, GlobalArgs, HookAction, HookName, HookSelection, OutputFormat, UninstallArgs,
};
use crate::output::{finish_output, print_error, shown_path};
use crate::session::open;

/// A change-scoped `check`: `--changed [BASE]` or `--hook <kind>`.
pub(crate) struct Scoped {
    hook: Option<HookKind>,
    base: Option<String>,
    remote: Option<String>,
}

impl Scoped {
    pub(crate) fn from_args(args: &CheckArgs) -> Option<Scoped> {
        let hook = args.hook.map(|name| match name {
            HookName::PrePush => HookKind::PrePush,
            HookName::PreCommit => HookKind::PreCommit,
        });
        if hook.is_none() && args.changed.is_none() {
            return None;
        }
        Some(Scoped {
            hook,
            base: args.changed.clone().flatten(),
            remote: args.hook_args.first().cloned(),
        })
    }

    /// Sets the session's scope and returns what to run; prints what changed.
    pub(crate) fn apply(
        self,
        session: &mut Session,
        quiet: bool,
    ) -> Result<Vec<Located<String>>, u8> {
        let hooks = &session.project.policy.hooks;
        let (names, source) = match self.hook {
            Some(HookKind::PrePush) => {
                let updates = read_stdin().map_err(|err| {
                    print_error(&format!("cannot read git's pre-push input: {err}"), None);
                    exit::ERROR
                })?;
                (
                    hooks.pre_push.clone(),
                    ChangeSource::PrePush {
                        remote: self.remote,
                        updates,
                    },
                )
            }
            Some(HookKind::PreCommit) => (hooks.pre_commit.clone(), ChangeSource::PreCommit),
            None => (
                Located::builtin("check".to_owned()),
                ChangeSource::Base(self.base),
            ),
        };
        if let Err(diagnostic) = self.hook.map_or(Ok(()), |kind| known(session, kind)) {
            eprint!("{}", session.render(&diagnostic));
            return Err(exit::ERROR);
        }
        match session.scope_to(&source) {
            Ok(scope) => {
                if !quiet {
                    eprintln!(
                        "{:>12} {}",
                        style("Scope").cyan().bold(),
                        escape(&scope.headline())
                    );
                }
                Ok(vec![names])
            }
            Err(err) => {
                print_error(&err.to_string(), Some(&err.hint()));
                Err(exit::ERROR)
            }
        }
    }
}

/// git's input to the hook; nothing when run by hand from a terminal.
fn read_stdin() -> std::io::Result<String> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(String::new());
    }
    let mut text = String::new();
    stdin.read_to_string(&mut text)?;
    Ok(text)
}

pub(crate) fn hook(global: &GlobalArgs, action: &HookAction) -> u8 {
    let session = match open(global) {
        Ok(session) => session,
        Err(code) => return code,
    };
    let hooks = match session
        .project
        .git()
        .map_err(|err| (err.message, err.hint.unwrap_or_default()))
        .and_then(|repo| {
            Hooks::locate(repo, &session.project.workspace.root)
                .map_err(|err| (err.to_string(), err.hint()))
        }) {
        Ok(hooks) => hooks,
        Err((message, hint)) => {
            print_error(&message, Some(&hint));
            return exit::ERROR;
        }
    };
    match action {
        HookAction::Install(selection) => install(global, &session, &hooks, selection),
        HookAction::Uninstall(selection) => uninstall(global, &hooks, selection),
        HookAction::Status => status(global, &session, &hooks),
    }
}

fn selected(selection: &HookSelection, default: &[HookKind]) -> Vec<HookKind> {
    let picked: Vec<HookKind> = HookKind::ALL
        .into_iter()
        .filter(|kind| match kind {
            HookKind::PrePush => selection.pre_push,
            HookKind::PreCommit => selection.pre_commit,
        })
        .collect();
    if picked.is_empty() {
        default.to_vec()
    } else {
        picked
    }
}

fn pipeline(session: &Session, kind: HookKind) -> &Located<String> {
    match kind {
        HookKind::PrePush => &session.project.policy.hooks.pre_push,
        HookKind::PreCommit => &session.project.policy.hooks.pre_commit,
    }
}

/// The hook's `[hooks]` pipeline must name a task or pipeline that plans.
pub(crate) fn known(session: &Session, kind: HookKind) -> Result<(), Diagnostic> {
    let origin = format!("in [hooks] {}", kind.name());
    Plan::build_from(
        &session.registry,
        std::slice::from_ref(pipeline(session, kind)),
        &origin,
    )
    .map(drop)
    .map_err(|err| err.0)
}

/// The second line of a message about a user's edits set aside.
fn kept_edits(edited: Option<&std::path::Path>, discarded_by: &str) -> String {
    edited.map_or_else(String::new, |path| {
        format!(
            "\n{:>12} your edited version of it as {} ({discarded_by})",
            style("Kept").green().bold(),
            shown_path(path)
        )
    })
}

fn install(global: &GlobalArgs, session: &Session, hooks: &Hooks, selection: &HookSelection) -> u8 {
    let strict = session.project.policy.hooks.strict;
    let kinds = selected(selection, &[HookKind::PrePush]);
    for &kind in &kinds {
        if let Err(diagnostic) = known(session, kind) {
            eprint!("{}", session.render(&diagnostic));
            return exit::ERROR;
        }
    }
    for kind in kinds {
        let path = hooks.paths(kind).hook;
        let (verb, extra) = match hooks.install(kind, strict) {
            Ok(Installed::Wrote { kept: None }) => ("Installed", String::new()),
            Ok(Installed::Wrote { kept: Some(saved) }) => (
                "Installed",
                format!(
                    "\n{:>12} the existing {} hook as {}; it still runs first",
                    style("Kept").green().bold(),
                    kind.name(),
                    shown_path(&saved)
                ),
            ),
            Ok(Installed::Updated { edited }) => (
                "Updated",
                kept_edits(
                    edited.as_deref(),
                    "it no longer runs: move your changes into perf.toml or a hook of your own",
                ),
            ),
            Ok(Installed::Unchanged) => ("Unchanged", String::new()),
            Err(err) => {
                print_error(&err.to_string(), Some(&err.hint()));
                return exit::ERROR;
            }
        };
        if !global.quiet {
            eprintln!(
                "{:>12} {} hook at {} (runs `{}`; strict = {strict}){extra}",
                style(verb).green().bold(),
                kind.name(),
                shown_path(&path),
                escape(&pipeline(session, kind).value),
            );
        }
    }
    exit::SUCCESS
}

fn uninstall(global: &GlobalArgs, hooks: &Hooks, args: &UninstallArgs) -> u8 {
    for kind in selected(&args.selection, &HookKind::ALL) {
        let paths = hooks.paths(kind);
        let (verb, what, edited) = match hooks.uninstall(kind, args.force) {
            Ok(Removed::Restored { edited }) => {
                ("Restored", " (put back the hook it replaced)", edited)
            }
            Ok(Removed::Removed { edited }) => ("Removed", "", edited),
            Ok(Removed::NotOurs) => {
                if !global.quiet {
                    eprintln!(
                        "{:>12} {}: not installed by cargo-perf, left alone",
                        style("Skipped").yellow().bold(),
                        shown_path(&paths.hook)
                    );
                }
                continue;
            }
            Ok(Removed::NotInstalled) => continue,
            Err(err) => {
                print_error(&err.to_string(), Some(&err.hint()));
                return exit::ERROR;
            }
        };
        if !global.quiet {
            eprintln!(
                "{:>12} {} hook at {}{what}{}",
                style(verb).green().bold(),
                kind.name(),
                shown_path(&paths.hook),
                kept_edits(edited.as_deref(), "`--force` discards such edits")
            );
        }
    }
    exit::SUCCESS
}

/// What `hook status` found for one hook.
struct HookStatus<'a> {
    kind: HookKind,
    path: std::path::PathBuf,
    saved: std::path::PathBuf,
    pipeline: &'a str,
    state: State,
}

fn status(global: &GlobalArgs, session: &Session, hooks: &Hooks) -> u8 {
    let strict = session.project.policy.hooks.strict;
    let mut found = Vec::new();
    for kind in HookKind::ALL {
        let paths = hooks.paths(kind);
        match hooks.state(kind, strict) {
            Ok(state) => found.push(HookStatus {
                kind,
                path: paths.hook,
                saved: paths.saved,
                pipeline: &pipeline(session, kind).value,
                state,
            }),
            Err(err) => {
                print_error(&err.to_string(), Some(&err.hint()));
                return exit::ERROR;
            }
        }
    }
    let text = match global.format() {
        OutputFormat::Json => status_json(hooks, &found),
        _ => status_human(hooks, &found),
    };
    finish_output(&text, exit::SUCCESS)
}

fn status_human(hooks: &Hooks, found: &[HookStatus<'_>]) -> String {
    let mut out = format!("hooks directory: {}\n", shown_path(&hooks.dir));
    for hook in found {
        let line = match &hook.state {
            State::NotInstalled => "not installed".to_owned(),
            State::Foreign => {
                "another tool's hook (cargo-perf does not run; `cargo perf hook install` keeps it and runs it first)".to_owned()
            }
            State::Ours {
                strict: baked,
                current,
                modified,
                keeps_previous,
            } => {
                let mut line = format!(
                    "installed, runs `{}`; strict = {baked} (baked in at install time)",
                    escape(hook.pipeline)
                );
                if *keeps_previous {
                    line.push_str(&format!(
                        "; runs the earlier hook {} first",
                        shown_path(&hook.saved)
                    ));
                }
                if *modified {
                    line.push_str(&format!(
                        "\n    modified: edited since cargo perf wrote it; `install` and `uninstall` keep your version as {}{} (`--force` discards it)",
                        hook.kind.name(),
                        cargo_perf_tasks::hook::EDITED_SUFFIX
                    ));
                }
                if !current {
                    line.push_str(
                        "\n    out of date with perf.toml or this cargo-perf: run `cargo perf hook install` again",
                    );
                }
                line
            }
        };
        out.push_str(&format!("{}: {line}\n", hook.kind.name()));
    }
    out
}

/// `hook status --format json`: one document, described in docs/json.md.
fn status_json(hooks: &Hooks, found: &[HookStatus<'_>]) -> String {
    let entries: Vec<_> = found
        .iter()
        .map(|hook| {
            let (state, strict, current, modified, previous) = match &hook.state {
                State::NotInstalled => ("not-installed", None, None, None, None),
                State::Foreign => ("foreign", None, None, None, None),
                State::Ours {
                    strict,
                    current,
                    modified,
                    keeps_previous,
                } => (
                    "installed",
                    Some(*strict),
                    Some(*current),
                    Some(*modified),
                    keeps_previous.then(|| hook.saved.to_string_lossy().into_owned()),
                ),
            };
            json!({
                "name": hook.kind.name(),
                "path": hook.path.to_string_lossy(),
                "state": state,
                "pipeline": hook.pipeline,
                "strict": strict,
                "current": current,
                "modified": modified,
                "previous": previous,
            })
        })
        .collect();
    let document = json!({
        "version": cargo_perf_engine::model::REPORT_VERSION,
        "hooks_dir": hooks.dir.to_string_lossy(),
        "hooks": entries,
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&document).unwrap_or_default()
    )
}
