//! The perf.toml policy: a typed schema with documented defaults, loaded with
//! diagnostics that point at `perf.toml:LINE:COL`, quote the line and say how
//! to fix it. Every section is optional; a missing file means all defaults.
//!
//! Parsing happens in two steps, as in cargo-deny: the TOML parser produces a
//! tree that keeps spans, then each section module validates its table. All
//! problems are collected, so a user fixes their file in one pass.

mod choice;
mod command;
mod diagnostic;
pub mod escape;
mod glob;
mod locate;
mod names;
mod paths;
mod reader;
pub mod sections;
mod source;
mod table;
pub mod units;

use std::fmt;
use std::path::Path;

use toml::de::DeTable;

pub use choice::Choice;
pub use command::{CommandLine, shell_quote};
pub use diagnostic::{Diagnostic, suggest};
pub use glob::{Glob, GlobError};
pub use locate::{LOOKUP, locate, present};
pub use names::WorkspaceNames;
pub use reader::Located;
pub use sections::bench::{
    BenchBudget, BenchClock, BenchEstimator, BenchInterleave, BenchMode, BenchSettings,
    CommandBench, Runs,
};
pub use sections::build::{BuildSettings, BuildTarget, CargoCommand};
pub use sections::gitignore::Gitignore;
pub use sections::hooks::Hooks;
pub use sections::lint::{LintLevel, LintSettings};
pub use sections::pipelines::Pipeline;
pub use sections::settings::Settings;
pub use sections::tasks::CustomTask;
pub use source::{Location, SourceFile};
pub use units::{ByteSize, Percent};

use reader::Reader;
use table::{Key, key};

/// The file name looked up at the workspace root (then in `.config/`: [`LOOKUP`]).
pub const FILE_NAME: &str = "perf.toml";

/// Files larger than this are refused before parsing.
pub const MAX_FILE_SIZE: u64 = 1 << 20;

/// The commented template `cargo perf init` starts from.
pub const TEMPLATE: &str = include_str!("../template.toml");

/// A top-level section: its name, the `Policy` field it fills, the module that reads it.
macro_rules! section {
    ($name:literal, $field:ident, $module:ident) => {
        key($name, |r, policy, k, v| {
            if let Some(table) = r.table(k, v) {
                policy.$field = sections::$module::read(r, table);
            }
        })
    };
}

/// The top-level sections, each with the reader of its table.
const SECTIONS: &[Key<Policy>] = &[
    section!("settings", settings, settings),
    section!("tasks", tasks, tasks),
    section!("pipelines", pipelines, pipelines),
    section!("hooks", hooks, hooks),
    section!("build", build, build),
    section!("gitignore", gitignore, gitignore),
    section!("profile", profile, profile),
    section!("clean", clean, clean),
    section!("bench", bench, bench),
    section!("lint", lint, lint),
];

/// A validated policy.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The file it came from; `None` when built-in defaults are in use.
    pub source: Option<SourceFile>,
    pub settings: Settings,
    pub tasks: Vec<CustomTask>,
    pub pipelines: Vec<Pipeline>,
    pub hooks: Hooks,
    pub build: BuildSettings,
    pub gitignore: Gitignore,
    pub profile: sections::profile::ProfileSettings,
    pub clean: sections::clean::Clean,
    pub bench: BenchSettings,
    pub lint: LintSettings,
}

impl Policy {
    pub fn task(&self, name: &str) -> Option<&CustomTask> {
        self.tasks.iter().find(|t| t.name.value == name)
    }

    pub fn pipeline(&self, name: &str) -> Option<&Pipeline> {
        self.pipelines.iter().find(|p| p.name.value == name)
    }

    /// Renders a diagnostic about this policy's file; one that points nowhere
    /// in it (such as a bad command-line name) is a plain message.
    pub fn render(&self, diagnostic: &Diagnostic) -> String {
        match (&self.source, &diagnostic.span) {
            (Some(source), Some(_)) => diagnostic.render(source).to_string(),
            _ => {
                let mut text = format!("error: {}\n", escape::escape_lines(&diagnostic.message));
                if let Some(help) = &diagnostic.help {
                    text.push_str(&format!("  = help: {}\n", escape::escape_lines(help)));
                }
                text
            }
        }
    }
}

/// A policy file that could not be loaded, with every problem found in it.
#[derive(Debug)]
pub struct PolicyError {
    pub source: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
}

impl std::error::Error for PolicyError {}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", diagnostic.render(&self.source))?;
        }
        if self.diagnostics.len() > 1 {
            writeln!(
                f,
                "\nerror: {} has {} problems",
                escape::escape(&self.source.path().to_string_lossy()),
                self.diagnostics.len()
            )?;
        }
        Ok(())
    }
}

impl PolicyError {
    fn whole_file(path: &Path, text: String, diagnostic: Diagnostic) -> Self {
        Self {
            source: SourceFile::new(path, text),
            diagnostics: vec![diagnostic],
        }
    }
}

/// Reads and validates the policy at `path`. `shown_as` is the path printed in diagnostics.
pub fn load(path: &Path, shown_as: &Path) -> Result<Policy, PolicyError> {
    let fail = |message: String, help: &str| {
        PolicyError::whole_file(shown_as, String::new(), Diagnostic::new(message).help(help))
    };
    let metadata = std::fs::metadata(path).map_err(|err| match std::fs::read_link(path) {
        Ok(target) => fail(
            format!(
                "cannot read {}: it is a symbolic link to {}, which cannot be followed ({err})",
                shown_as.display(),
                target.display()
            ),
            "fix or remove the link (without a policy file cargo perf uses its built-in defaults), or pass another file with `--config`",
        ),
        Err(_) => fail(
            format!("cannot read {}: {err}", shown_as.display()),
            "check that the file exists and is readable, or pass another file with `--config`",
        ),
    })?;
    if !metadata.is_file() {
        return Err(fail(
            format!("{} is not a file", shown_as.display()),
            "point `--config` at a TOML file",
        ));
    }
    if metadata.len() > MAX_FILE_SIZE {
        return Err(fail(
            format!(
                "{} is {} long, more than a policy file can be ({})",
                shown_as.display(),
                ByteSize(metadata.len()),
                ByteSize(MAX_FILE_SIZE)
            ),
            "a policy is a short TOML file; check that the path names the right file",
        ));
    }
    let bytes = std::fs::read(path).map_err(|err| {
        fail(
            format!("cannot read {}: {err}", shown_as.display()),
            "check the file's permissions",
        )
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let valid_up_to = err.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(err.as_bytes()).into_owned();
            return Err(PolicyError::whole_file(
                shown_as,
                lossy,
                Diagnostic::new(format!("{} is not valid UTF-8", shown_as.display()))
                    .at(valid_up_to..valid_up_to + 1)
                    .label("invalid byte here")
                    .help("save the file as UTF-8 text"),
            ));
        }
    };
    parse(SourceFile::new(shown_as, text))
}

/// Validates policy text.
pub fn parse(source: SourceFile) -> Result<Policy, PolicyError> {
    if source.text().trim().is_empty() {
        let message = format!("{} is empty", source.path().display());
        return Err(PolicyError {
            source,
            diagnostics: vec![Diagnostic::new(message).help(
                "delete it to use the built-in defaults, or run `cargo perf init --force` to write a commented policy",
            )],
        });
    }
    let root = match DeTable::parse(source.text()) {
        Ok(root) => root,
        Err(err) => {
            let message = err.message().trim_end().to_owned();
            let mut diagnostic = Diagnostic::new(format!("invalid TOML: {message}"))
                .help("fix the TOML syntax at this place (see https://toml.io)");
            if let Some(span) = err.span() {
                diagnostic = diagnostic.at(span).label("TOML syntax error");
            }
            return Err(PolicyError {
                source,
                diagnostics: vec![diagnostic],
            });
        }
    };
    let mut reader = Reader::default();
    let mut policy = Policy::default();
    reader.section(root.get_ref(), "perf.toml", SECTIONS, &mut policy);
    check_names_are_unique(&mut reader, &policy);
    if reader.diagnostics.is_empty() {
        policy.source = Some(source);
        Ok(policy)
    } else {
        Err(PolicyError {
            source,
            diagnostics: reader.diagnostics,
        })
    }
}

fn check_names_are_unique(reader: &mut Reader, policy: &Policy) {
    let tasks: std::collections::HashSet<&str> =
        policy.tasks.iter().map(|t| t.name.value.as_str()).collect();
    for pipeline in &policy.pipelines {
        if tasks.contains(pipeline.name.value.as_str()) {
            reader.report(
                Diagnostic::new(format!(
                    "`{}` is both a task and a pipeline",
                    pipeline.name.value
                ))
                .at(pipeline.name.span.clone().unwrap_or_default())
                .label("also defined in [tasks]")
                .help(
                    "rename the task or the pipeline so `cargo perf run` knows which one you mean",
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> String {
        parse(SourceFile::new("perf.toml", text))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_tasks_pipelines_and_settings() {
        let policy = parse(SourceFile::new(
            "perf.toml",
            r#"
[settings]
jobs = 2
fail-fast = true

[tasks.fmt]
description = "formatting"
run = "cargo fmt --all -- --check"
env = { RUSTFLAGS = "-D warnings" }
timeout = "5m"

[tasks.test]
run = ["cargo", "test", "--workspace"]
depends-on = ["fmt"]

[pipelines]
check = ["fmt", "test"]
"#,
        ))
        .unwrap();
        assert_eq!(
            policy.settings,
            Settings {
                jobs: Some(2),
                fail_fast: true
            }
        );
        let fmt = policy.task("fmt").unwrap();
        assert_eq!(
            fmt.run.value,
            CommandLine::Shell("cargo fmt --all -- --check".into())
        );
        assert_eq!(
            fmt.run.value.argv(),
            ["cargo", "fmt", "--all", "--", "--check"]
        );
        assert_eq!(
            fmt.env,
            [("RUSTFLAGS".to_owned(), "-D warnings".to_owned())]
        );
        assert_eq!(fmt.timeout, Some(std::time::Duration::from_secs(300)));
        assert_eq!(policy.task("test").unwrap().depends_on[0].value, "fmt");
        assert_eq!(policy.pipeline("check").unwrap().steps.len(), 2);
    }

    #[test]
    fn unknown_key_names_the_closest_one_with_its_line() {
        let text = errors("[tasks.fmt]\nrn = \"cargo fmt\"\n");
        assert!(text.contains("unknown key `rn` in [tasks.fmt]"), "{text}");
        assert!(text.contains("perf.toml:2:1"), "{text}");
        assert!(text.contains("did you mean `run`?"), "{text}");
    }

    #[test]
    fn collects_every_problem() {
        let text =
            errors("[settings]\njobs = \"many\"\nfail-fast = 1\n[tasks.x]\nrun = \"a 'b\"\n");
        assert!(
            text.contains("expected an integer, found a string"),
            "{text}"
        );
        assert!(
            text.contains("expected a boolean, found an integer"),
            "{text}"
        );
        assert!(text.contains("a quote is not closed"), "{text}");
        assert!(text.contains("has 3 problems"), "{text}");
    }

    #[test]
    fn bad_durations_point_at_the_value() {
        let text = errors("[tasks.x]\nrun = \"true\"\ntimeout = \"3 fortnights\"\n");
        assert!(text.contains("perf.toml:3:11"), "{text}");
        assert!(
            text.contains("unknown duration unit `fortnights`"),
            "{text}"
        );
    }

    #[test]
    fn empty_and_syntax_errors_are_explained() {
        assert!(errors("  \n").contains("perf.toml is empty"));
        let text = errors("[tasks\n");
        assert!(text.contains("invalid TOML"), "{text}");
        assert!(text.contains("perf.toml:1:"), "{text}");
    }

    #[test]
    fn task_without_run_and_name_clash() {
        assert!(
            errors("[tasks.x]\ndescription = \"d\"\n").contains("task `x` has no `run` command")
        );
        assert!(
            errors("[tasks.x]\nrun = \"true\"\n[pipelines]\nx = [\"x\"]\n")
                .contains("both a task and a pipeline")
        );
    }

    #[test]
    fn the_template_is_a_valid_policy() {
        parse(SourceFile::new("template.toml", TEMPLATE)).unwrap();
    }
}
