//! Keys that name something of the workspace (a member, a bench target, a
//! benchmark) are checked against it once the workspace is known, so a
//! misspelled name is a located error with a did-you-mean, never a budget
//! that silently applies to nothing. The policy stays a leaf: the caller
//! hands over the names, not the workspace.

use crate::diagnostic::{Diagnostic, suggest};
use crate::reader::Located;
use crate::{Policy, PolicyError};

/// The names a workspace defines that perf.toml may refer to.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceNames {
    /// Package names of the workspace members.
    pub members: Vec<String>,
    /// Names of the members' bench targets (`benches/NAME.rs`).
    pub bench_targets: Vec<String>,
}

impl Policy {
    /// Checks every key that names a member, a bench target or a benchmark;
    /// all problems are reported together, at their perf.toml places.
    ///
    /// A budget for a cargo bench result (`TARGET/NAME`) is checked here only
    /// as far as its target: the results a harness reports are known once it
    /// ran, and the bench task checks the rest then.
    pub fn check_names(&self, names: &WorkspaceNames) -> Result<(), PolicyError> {
        let Some(source) = &self.source else {
            return Ok(());
        };
        let members: Vec<&str> = names.members.iter().map(String::as_str).collect();
        let targets: Vec<&str> = names.bench_targets.iter().map(String::as_str).collect();
        let mut diagnostics = Vec::new();
        let build = &self.build;
        let budgeted = build.per_member_budget.iter().map(|(name, _)| name);
        for (name, key) in build
            .members
            .iter()
            .map(|m| (m, "[build] members"))
            .chain(budgeted.map(|m| (m, "[build] incremental-budget")))
        {
            if !members.contains(&name.value.as_str()) {
                diagnostics.push(unknown(name, key, "a member of this workspace").help(
                    closest(&name.value, &members).unwrap_or_else(|| {
                        format!("the workspace members are: {}", members.join(", "))
                    }),
                ));
            }
        }
        for name in &self.bench.targets {
            if !targets.contains(&name.value.as_str()) {
                diagnostics.push(
                    unknown(name, "[bench] targets", "a bench target of this workspace").help(
                        closest(&name.value, &targets).unwrap_or_else(|| no_such_target(&targets)),
                    ),
                );
            }
        }
        diagnostics.extend(self.check_budgets(&targets));
        if diagnostics.is_empty() {
            Ok(())
        } else {
            Err(PolicyError {
                source: source.clone(),
                diagnostics,
            })
        }
    }

    /// `[bench.budgets]`: each names a command benchmark, or `TARGET/NAME` of a bench target.
    fn check_budgets(&self, targets: &[&str]) -> Vec<Diagnostic> {
        let commands: Vec<&str> = self
            .bench
            .commands
            .iter()
            .map(|c| c.name.value.as_str())
            .collect();
        let mut diagnostics = Vec::new();
        for (name, _) in &self.bench.budgets {
            let id = name.value.as_str();
            let target = id.split_once('/').map(|(target, _)| target);
            if commands.contains(&id) || target.is_some_and(|t| targets.contains(&t)) {
                continue;
            }
            let close = suggest(id, commands.iter().copied())
                .map(str::to_owned)
                .or_else(|| {
                    let (target, rest) = id.split_once('/')?;
                    let close = suggest(target, targets.iter().copied())?;
                    Some(format!("{close}/{rest}"))
                });
            let help = match close {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!(
                    "a budget names a `[bench.commands]` benchmark ({}) or a cargo bench result as `TARGET/NAME` ({})",
                    listed(&commands, "none declared"),
                    listed(targets, "no bench targets")
                ),
            };
            diagnostics
                .push(unknown(name, "[bench.budgets]", "a benchmark of this workspace").help(help));
        }
        diagnostics
    }
}

fn unknown(name: &Located<String>, key: &str, what: &str) -> Diagnostic {
    Diagnostic::new(format!(
        "`{key}` names `{}`, which is not {what}",
        name.value
    ))
    .at(name.span.clone().unwrap_or_default())
    .label("unknown name")
}

fn closest(name: &str, known: &[&str]) -> Option<String> {
    suggest(name, known.iter().copied()).map(|close| format!("did you mean `{close}`?"))
}

fn no_such_target(targets: &[&str]) -> String {
    if targets.is_empty() {
        "the workspace has no bench targets (`benches/*.rs`)".to_owned()
    } else {
        format!("the workspace's bench targets: {}", targets.join(", "))
    }
}

fn listed(names: &[&str], none: &str) -> String {
    if names.is_empty() {
        none.to_owned()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use crate::{SourceFile, WorkspaceNames, parse};

    fn check(text: &str) -> Result<(), String> {
        let names = WorkspaceNames {
            members: vec!["alpha".into(), "beta".into()],
            bench_targets: vec!["parse".into()],
        };
        parse(SourceFile::new("perf.toml", text))
            .unwrap()
            .check_names(&names)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn known_names_pass() {
        check("[build]\nmembers = [\"alpha\"]\nincremental-budget = { beta = \"1s\" }\n[bench]\ntargets = [\"parse\"]\n[bench.budgets]\nnap = \"1s\"\n\"parse/small\" = \"2ms\"\n[bench.commands.nap]\nrun = \"true\"\n").unwrap();
    }

    #[test]
    fn unknown_names_are_located_with_the_closest() {
        let text = check("[build]\nmembers = [\"alpah\"]\nincremental-budget = { gamma = \"1s\" }\n[bench]\ntargets = [\"prase\"]\n[bench.budgets]\nnpa = \"1s\"\n\"pars/small\" = \"2ms\"\nzzz = \"1s\"\n[bench.commands.nap]\nrun = \"true\"\n").unwrap_err();
        assert!(text.contains("`[build] members` names `alpah`"), "{text}");
        assert!(text.contains("perf.toml:2:12"), "{text}");
        assert!(text.contains("did you mean `alpha`?"), "{text}");
        assert!(
            text.contains("`[build] incremental-budget` names `gamma`"),
            "{text}"
        );
        assert!(
            text.contains("the workspace members are: alpha, beta"),
            "{text}"
        );
        assert!(text.contains("did you mean `parse`?"), "{text}");
        assert!(text.contains("`[bench.budgets]` names `npa`"), "{text}");
        assert!(text.contains("did you mean `nap`?"), "{text}");
        assert!(text.contains("did you mean `parse/small`?"), "{text}");
        assert!(text.contains("`TARGET/NAME` (`parse`)"), "{text}");
        assert!(text.contains("has 6 problems"), "{text}");
    }
}
