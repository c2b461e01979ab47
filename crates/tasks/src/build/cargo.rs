//! Running one cargo build and reading what it says: the JSON messages on
//! stdout (`--message-format=json`: which units were rebuilt, build-script
//! runs, compiler errors) and the `-v` lines on stderr (`Dirty <pkg>: <reason>`,
//! build scripts being re-run), which carry reasons the JSON does not.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cargo_metadata::Message;
use cargo_metadata::diagnostic::DiagnosticLevel;
use cargo_perf_engine::process::{self, CommandSpec, Stream};
use cargo_perf_engine::tail::OutputTail;
use cargo_perf_engine::{CargoCall, CargoOptions, TaskContext, TaskError, Workspace};
use cargo_perf_policy::{BuildSettings, Choice};
use serde::Deserialize;

/// The cargo invocation every build of the task uses.
#[derive(Debug, Clone)]
pub(crate) struct BuildCommand {
    spec: CommandSpec,
}

impl BuildCommand {
    /// The build of every member (less `--exclude`), with `cargo`'s flags
    /// (already merged with `[build]`'s) and `[build] args` last.
    pub(crate) fn new(
        workspace: &Workspace,
        settings: &BuildSettings,
        cargo: &CargoOptions,
    ) -> Self {
        let mut spec = CommandSpec::new(&workspace.cargo)
            .arg(settings.command.as_str())
            .arg("--workspace");
        for member in workspace.members.iter().filter(|m| cargo.excludes(m)) {
            spec = spec.args(["--exclude", &member.spec()]);
        }
        let spec = cargo
            .apply(spec, CargoCall::Compile)
            .args(super::targets::cargo_args(workspace, &settings.targets))
            .args(["--message-format=json", "-v"])
            .args(&settings.args)
            .cwd(&workspace.root)
            .env("CARGO_TERM_COLOR", "never");
        Self { spec }
    }

    /// The same build with extra arguments (e.g. `--timings`, `--target-dir`).
    pub(crate) fn with_args<I, S>(&self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        Self {
            spec: self.spec.clone().args(args),
        }
    }

    pub(crate) fn display(&self) -> String {
        self.spec.display()
    }

    /// Runs the build, parsing its output as it arrives.
    pub(crate) fn run(&self, cx: &TaskContext<'_>) -> Result<BuildOutput, TaskError> {
        let mut out = BuildOutput::default();
        let mut tail = OutputTail::new();
        let finished = process::run_split(&self.spec, |stream, line| match stream {
            Stream::Stdout => out.read_message(line),
            Stream::Stderr => {
                if let Some(step) = out.read_stderr(line) {
                    cx.step(&step);
                }
                tail.push(line);
            }
        })?;
        if cargo_perf_engine::interrupt::is_interrupted() {
            return Err(TaskError::new("interrupted by Ctrl-C"));
        }
        out.success = finished.success();
        out.status = finished.describe();
        out.duration = finished.duration;
        out.stderr_tail = tail.into_lines();
        Ok(out)
    }
}

/// One unit cargo compiled (or found fresh).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unit {
    pub package: String,
    pub manifest_path: PathBuf,
    pub target: String,
    pub kind: String,
    /// A `--test` build of the target.
    pub test: bool,
    pub fresh: bool,
}

impl Unit {
    /// `lib \`a\``, `test \`it\` (test)`, `build script`.
    pub(crate) fn describe(&self) -> String {
        match self.kind.as_str() {
            "custom-build" => "build script (compile)".to_owned(),
            kind if self.test && kind != "test" => format!("{kind} `{}` (test)", self.target),
            kind => format!("{kind} `{}`", self.target),
        }
    }
}

/// A `Dirty <package> v<version> (<path>): <reason>` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dirty {
    pub package: String,
    pub reason: String,
}

/// A build script cargo reported (fresh or run), with its output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Script {
    pub package: String,
    pub out_dir: PathBuf,
}

/// The first compiler error of a failed build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompileError {
    pub rendered: String,
    /// As rustc names it: relative to the directory cargo ran it in.
    pub file: Option<PathBuf>,
    pub line: Option<u32>,
    pub manifest_dir: Option<PathBuf>,
}

impl CompileError {
    /// The file of the error: cargo runs rustc from the workspace root for
    /// members and from the package directory for other packages.
    pub(crate) fn resolve_file(&self, workspace_root: &Path) -> Option<PathBuf> {
        let file = self.file.as_ref()?;
        if file.is_absolute() {
            return Some(file.clone());
        }
        let from_root = workspace_root.join(file);
        match &self.manifest_dir {
            Some(dir) if !from_root.exists() => Some(dir.join(file)),
            _ => Some(from_root),
        }
    }
}

/// Everything one build said.
#[derive(Debug, Default)]
pub(crate) struct BuildOutput {
    pub success: bool,
    pub status: String,
    pub duration: Duration,
    pub units: Vec<Unit>,
    pub dirty: Vec<Dirty>,
    pub scripts: Vec<Script>,
    /// Packages whose build script cargo ran (from the `-v` `Running` lines).
    pub scripts_run: Vec<String>,
    pub first_error: Option<CompileError>,
    pub stderr_tail: Vec<String>,
}

/// The one field of a `compiler-message` that `cargo_metadata` leaves out:
/// the package's manifest, whose directory rustc's relative paths of
/// non-member packages start from.
#[derive(Deserialize)]
struct ManifestPath {
    manifest_path: Option<PathBuf>,
}

impl BuildOutput {
    fn read_message(&mut self, line: &str) {
        let Ok(message) = serde_json::from_str::<Message>(line) else {
            return;
        };
        match message {
            Message::CompilerArtifact(artifact) => self.units.push(Unit {
                package: package_name(&artifact.package_id.repr),
                manifest_path: artifact.manifest_path.into_std_path_buf(),
                kind: artifact
                    .target
                    .kind
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                target: artifact.target.name,
                test: artifact.profile.test,
                fresh: artifact.fresh,
            }),
            Message::BuildScriptExecuted(script) if !script.out_dir.as_str().is_empty() => {
                self.scripts.push(Script {
                    package: package_name(&script.package_id.repr),
                    out_dir: script.out_dir.into_std_path_buf(),
                });
            }
            Message::CompilerMessage(compiler)
                if self.first_error.is_none()
                    && compiler.message.level == DiagnosticLevel::Error =>
            {
                let diagnostic = compiler.message;
                let primary = diagnostic.spans.iter().find(|s| s.is_primary);
                let manifest_dir = serde_json::from_str::<ManifestPath>(line)
                    .ok()
                    .and_then(|m| m.manifest_path)
                    .and_then(|path| path.parent().map(Path::to_owned));
                self.first_error = Some(CompileError {
                    file: primary.map(|s| PathBuf::from(&s.file_name)),
                    line: primary.and_then(|s| u32::try_from(s.line_start).ok()),
                    rendered: diagnostic.rendered.unwrap_or_default(),
                    manifest_dir,
                });
            }
            _ => {}
        }
    }

    /// Records a `-v` stderr line; returns a progress step worth showing.
    fn read_stderr(&mut self, line: &str) -> Option<String> {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("Dirty ") {
            if let Some(dirty) = parse_dirty(rest) {
                self.dirty.push(dirty);
            }
            return None;
        }
        if let Some(rest) = trimmed.strip_prefix("Running `") {
            if let Some(package) = script_package(rest) {
                self.scripts_run.push(package);
            }
            return None;
        }
        trimmed
            .strip_prefix("Compiling ")
            .map(|rest| format!("compiling {rest}"))
    }

    /// Units cargo compiled again.
    pub(crate) fn rebuilt(&self) -> impl Iterator<Item = &Unit> {
        self.units.iter().filter(|u| !u.fresh)
    }

    /// Rebuilt units plus build-script runs: everything cargo did.
    pub(crate) fn work_count(&self) -> usize {
        self.rebuilt().count() + self.scripts_run.len()
    }

    /// Names of the packages cargo did any work for.
    pub(crate) fn rebuilt_packages(&self) -> std::collections::BTreeSet<String> {
        self.rebuilt()
            .map(|u| u.package.clone())
            .chain(self.scripts_run.iter().cloned())
            .collect()
    }
}

/// The package name in a package id: `path+file:///ws/a#0.1.0` (the name is the
/// directory), `path+file:///ws/x#b@0.1.0`, `registry+https://...#serde@1.0.0`,
/// or the old `name version (source)` form.
pub(crate) fn package_name(id: &str) -> String {
    match id.rsplit_once('#') {
        Some((url, fragment)) => match fragment.split_once('@') {
            Some((name, _)) => name.to_owned(),
            None => url
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or(url)
                .to_owned(),
        },
        None => id.split(' ').next().unwrap_or(id).to_owned(),
    }
}

/// `b v0.1.0 (/ws/b): the file `b/x` is missing`, or `serde v1.0.0: reason`.
fn parse_dirty(rest: &str) -> Option<Dirty> {
    let (package, after_name) = rest.split_once(' ')?;
    let reason = if let Some(at) = after_name.find("): ") {
        &after_name[at + 3..]
    } else {
        after_name.split_once(": ")?.1
    };
    Some(Dirty {
        package: package.to_owned(),
        reason: reason.trim().to_owned(),
    })
}

/// `/t/debug/build/b-94e0f63dfa897306/build-script-build` names package `b`
/// (with `-vv`, cargo prints the script's environment before it).
fn script_package(command: &str) -> Option<String> {
    let program = command
        .split('`')
        .next()?
        .split(' ')
        .find(|word| word.ends_with("/build-script-build"))?;
    let path = Path::new(program);
    let dir = path.parent()?.file_name()?.to_str()?;
    let (name, hash) = dir.rsplit_once('-')?;
    hash.chars()
        .all(|c| c.is_ascii_hexdigit())
        .then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dirty_lines_of_cargo_1_95() {
        let mut out = BuildOutput::default();
        out.read_stderr(
            "       Dirty b v0.1.0 (/ws/b): the file `b/does-not-exist.txt` is missing",
        );
        out.read_stderr("       Dirty serde v1.0.0: the env variable MY_STAMP changed");
        out.read_stderr(
            "     Running `/ws/target/debug/build/my-pkg-94e0f63dfa897306/build-script-build`",
        );
        out.read_stderr("     Running `/bin/rustc --crate-name b`");
        out.read_stderr("     Running `CARGO=/bin/cargo OUT_DIR=/t/out /t/debug/build/c-0a1b/build-script-build`");
        assert_eq!(
            out.dirty,
            [
                Dirty {
                    package: "b".into(),
                    reason: "the file `b/does-not-exist.txt` is missing".into()
                },
                Dirty {
                    package: "serde".into(),
                    reason: "the env variable MY_STAMP changed".into()
                }
            ]
        );
        assert_eq!(out.scripts_run, ["my-pkg", "c"]);
    }

    #[test]
    fn package_names_from_ids() {
        assert_eq!(package_name("path+file:///ws/crates/a#0.1.0"), "a");
        assert_eq!(package_name("path+file:///ws/x#b-c@0.1.0"), "b-c");
        assert_eq!(
            package_name("registry+https://github.com/rust-lang/crates.io-index#serde@1.0.0"),
            "serde"
        );
    }

    #[test]
    fn reads_artifacts_and_the_first_error() {
        let mut out = BuildOutput::default();
        // As cargo 1.95 prints them (the error's long explanation cut).
        out.read_message(r#"{"reason":"compiler-artifact","package_id":"path+file:///ws/a#0.1.0","manifest_path":"/ws/a/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"a","src_path":"/ws/a/src/lib.rs","edition":"2024","doc":true,"doctest":true,"test":true},"profile":{"opt_level":"0","debuginfo":2,"debug_assertions":true,"overflow_checks":true,"test":true},"features":[],"filenames":["/ws/target/debug/deps/a-1903ca8c37965016"],"executable":"/ws/target/debug/deps/a-1903ca8c37965016","fresh":false}"#);
        out.read_message(r#"{"reason":"build-script-executed","package_id":"path+file:///ws/b#0.1.0","linked_libs":[],"linked_paths":[],"cfgs":[],"env":[],"out_dir":"/ws/target/debug/build/b-5f4d3c2b1a098765/out"}"#);
        out.read_message(r#"{"reason":"compiler-message","package_id":"path+file:///ws/a#0.1.0","manifest_path":"/ws/a/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"a","src_path":"/ws/a/src/lib.rs","edition":"2024","doc":true,"doctest":true,"test":true},"message":{"rendered":"error[E0425]: nope\n","$message_type":"diagnostic","children":[],"level":"error","message":"cannot find value `nope` in this scope","spans":[{"byte_end":24,"byte_start":20,"column_end":25,"column_start":21,"expansion":null,"file_name":"src/lib.rs","is_primary":true,"label":"not found in this scope","line_end":3,"line_start":3,"suggested_replacement":null,"suggestion_applicability":null,"text":[{"highlight_end":25,"highlight_start":21,"text":"pub fn f() -> u32 { nope }"}]}],"code":{"code":"E0425","explanation":"An unresolved name was used."}}}"#);
        out.read_message(r#"{"reason":"compiler-message","package_id":"path+file:///ws/x#0.1.0","manifest_path":"/ws/x/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"x","src_path":"/ws/x/src/lib.rs","edition":"2024","doc":true,"doctest":true,"test":true},"message":{"rendered":"second","$message_type":"diagnostic","children":[],"level":"error","message":"second","spans":[],"code":null}}"#);
        out.read_message("not json: a line some build script printed");
        assert_eq!(out.units[0].describe(), "lib `a` (test)");
        assert_eq!(out.rebuilt().count(), 1);
        let error = out.first_error.unwrap();
        assert_eq!(error.rendered, "error[E0425]: nope\n");
        assert_eq!(
            error.resolve_file(Path::new("/no-such-ws")).unwrap(),
            Path::new("/ws/a/src/lib.rs")
        );
        assert_eq!(error.line, Some(3));
        assert_eq!(
            out.scripts,
            [Script {
                package: "b".into(),
                out_dir: "/ws/target/debug/build/b-5f4d3c2b1a098765/out".into()
            }]
        );
    }
}
