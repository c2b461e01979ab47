//! The command-line side of git hooks and change-scoped checks:
//! `cargo perf hook install | uninstall | status`, and what `check --hook`
//! and `check --changed` add to a run (the pipeline from `[hooks]`, the scope).

use std::io::{IsTerminal, Read};

use console::style;

use cargo_perf_engine::Plan;
use cargo_perf_engine::exit;
use cargo_perf_policy::{Diagnostic, Located};
use cargo_perf_tasks::Session;
use cargo_perf_tasks::changes::ChangeSource;
use cargo_perf_tasks::hook::{HookKind, Hooks, Installed, Removed, State};

use crate::args::{CheckArgs, GlobalArgs, HookAction, HookName, HookSelection};
use crate::commands::{finish_output, open};
use crate::output::print_error;

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
                    eprintln!("{:>12} {}", style("Scope").cyan().bold(), scope.headline());
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
        HookAction::Status => status(&session, &hooks),
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
                    saved.display()
                ),
            ),
            Ok(Installed::Updated) => ("Updated", String::new()),
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
                path.display(),
                pipeline(session, kind).value,
            );
        }
    }
    exit::SUCCESS
}

fn uninstall(global: &GlobalArgs, hooks: &Hooks, selection: &HookSelection) -> u8 {
    for kind in selected(selection, &HookKind::ALL) {
        let paths = hooks.paths(kind);
        let line = match hooks.uninstall(kind) {
            Ok(Removed::Restored) => format!(
                "{:>12} {} hook at {} (put back the hook it replaced)",
                style("Restored").green().bold(),
                kind.name(),
                paths.hook.display()
            ),
            Ok(Removed::Removed) => format!(
                "{:>12} {} hook at {}",
                style("Removed").green().bold(),
                kind.name(),
                paths.hook.display()
            ),
            Ok(Removed::NotOurs) => format!(
                "{:>12} {}: not installed by cargo-perf, left alone",
                style("Skipped").yellow().bold(),
                paths.hook.display()
            ),
            Ok(Removed::NotInstalled) => continue,
            Err(err) => {
                print_error(&err.to_string(), Some(&err.hint()));
                return exit::ERROR;
            }
        };
        if !global.quiet {
            eprintln!("{line}");
        }
    }
    exit::SUCCESS
}

fn status(session: &Session, hooks: &Hooks) -> u8 {
    let strict = session.project.policy.hooks.strict;
    let mut out = format!("hooks directory: {}\n", hooks.dir.display());
    for kind in HookKind::ALL {
        let paths = hooks.paths(kind);
        let line = match hooks.state(kind, strict) {
            Ok(State::NotInstalled) => "not installed".to_owned(),
            Ok(State::Foreign) => {
                "another tool's hook (cargo-perf does not run; `cargo perf hook install` keeps it and runs it first)".to_owned()
            }
            Ok(State::Ours {
                strict: baked,
                current,
                keeps_previous,
            }) => {
                let mut line = format!(
                    "installed, runs `{}`; strict = {baked} (baked in at install time)",
                    pipeline(session, kind).value
                );
                if keeps_previous {
                    line.push_str(&format!(
                        "; runs the earlier hook {} first",
                        paths.saved.display()
                    ));
                }
                if !current {
                    line.push_str(
                        "\n    out of date with perf.toml or this cargo-perf: run `cargo perf hook install` again",
                    );
                }
                line
            }
            Err(err) => {
                print_error(&err.to_string(), Some(&err.hint()));
                return exit::ERROR;
            }
        };
        out.push_str(&format!("{}: {line}\n", kind.name()));
    }
    finish_output(&out, exit::SUCCESS)
}
