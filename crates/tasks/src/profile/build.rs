//! Finding and building the program to profile: the cargo invocation for the
//! chosen target, with debug info switched on through the environment (never
//! by editing Cargo.toml), and the executable path read from cargo's JSON.

use std::path::{Path, PathBuf};

use cargo_metadata::{Message, TargetKind as ArtifactKind};
use cargo_perf_engine::process::{self, CommandSpec, Stream};
use cargo_perf_engine::tail::OutputTail;
use cargo_perf_engine::workspace::TargetKind;
use cargo_perf_engine::{CargoCall, TaskContext, TaskError, Workspace};

use super::options::{CallGraph, Resolved, Target};

/// A program ready to run under the profiler.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    pub executable: PathBuf,
    pub args: Vec<String>,
    /// The cargo profile it was built with; `None` for `--cmd`.
    pub cargo_profile: Option<String>,
    /// How debug info was ensured, to tell the user.
    pub debuginfo_note: Option<String>,
}

/// Builds the target of `options` in the workspace at `root` (the user's, or a baseline worktree).
pub(crate) fn build(
    cx: &TaskContext<'_>,
    workspace: &Workspace,
    root: &Path,
    options: &Resolved,
) -> Result<Program, TaskError> {
    build_in(cx, workspace, root, options, None)
}

/// [`build`], into `target_dir` when given (the baseline of `--diff REV`).
pub(crate) fn build_in(
    cx: &TaskContext<'_>,
    workspace: &Workspace,
    root: &Path,
    options: &Resolved,
    target_dir: Option<&Path>,
) -> Result<Program, TaskError> {
    if options.target == Target::Command {
        return command_program(options, root);
    }
    check_target_exists(workspace, options)?;
    let build = cargo_build(workspace, root, options, target_dir);
    cx.step(&format!(
        "building {} ({}): {}",
        options.target.describe(),
        build.cargo_profile,
        build.spec.display()
    ));
    let executables = run_build(cx, &build.spec, options)?;
    Ok(Program {
        executable: one_executable(executables, options)?,
        args: program_args(options),
        cargo_profile: Some(build.cargo_profile),
        debuginfo_note: Some(build.debuginfo_note),
    })
}

/// `--cmd`: the program after `--`, found on disk or on PATH, run as given.
fn command_program(options: &Resolved, root: &Path) -> Result<Program, TaskError> {
    let (program, args) = options.args.split_first().ok_or_else(|| {
        TaskError::new("--cmd needs a command to profile")
            .hint("put it after `--`, e.g. `cargo perf profile --cmd -- ./target/release/app --input big.txt`")
    })?;
    let executable = resolve_program(
        program,
        &std::env::current_dir().unwrap_or_else(|_| root.to_owned()),
    )
    .ok_or_else(|| {
        TaskError::new(format!("cannot find the program `{program}` to profile")).hint(
            "give a path to an executable file (e.g. `./target/release/app`) or a program on PATH",
        )
    })?;
    Ok(Program {
        executable,
        args: args.to_vec(),
        cargo_profile: None,
        debuginfo_note: None,
    })
}

/// The cargo invocation that builds the target, and what it ensures.
struct CargoBuild {
    spec: CommandSpec,
    cargo_profile: String,
    debuginfo_note: String,
}

/// The cargo command for the target, with debug info and frame pointers
/// asked for through the environment (never by editing Cargo.toml).
fn cargo_build(
    workspace: &Workspace,
    root: &Path,
    options: &Resolved,
    target_dir: Option<&Path>,
) -> CargoBuild {
    let cargo_profile = options.cargo.profile.clone().unwrap_or_else(|| {
        match options.target {
            Target::Bench(_) => "bench",
            _ => "release",
        }
        .to_owned()
    });
    let env_profile = cargo_profile.to_ascii_uppercase().replace('-', "_");
    let debug_var = format!("CARGO_PROFILE_{env_profile}_DEBUG");
    let strip_var = format!("CARGO_PROFILE_{env_profile}_STRIP");
    let mut spec = CommandSpec::new(&workspace.cargo).cwd(root);
    let (subcommand, selector): (&str, Vec<String>) = match &options.target {
        Target::Bin(name) => ("build", vec!["--bin".into(), name.clone()]),
        Target::Example(name) => ("build", vec!["--example".into(), name.clone()]),
        Target::Test(name) => ("build", vec!["--test".into(), name.clone()]),
        Target::Bench(name) => ("build", vec!["--bench".into(), name.clone()]),
        Target::UnitTest(_) => ("test", vec!["--lib".into(), "--no-run".into()]),
        Target::Default | Target::Command => ("build", vec!["--bins".into()]),
    };
    spec = spec
        .arg(subcommand)
        .args(&selector)
        .args(["--message-format", "json-render-diagnostics"]);
    if let Some(package) = &options.package {
        let spec_of = workspace.member(package).map(|m| m.spec());
        spec = spec.args(["--package", spec_of.as_deref().unwrap_or(package)]);
    }
    let mut cargo = options.cargo.clone();
    cargo.profile = Some(cargo_profile.clone());
    if let Some(dir) = target_dir {
        cargo = cargo.with_target_dir(dir);
    }
    spec = cargo.apply(spec, CargoCall::Compile);
    let mut debuginfo_note = if std::env::var_os(&debug_var).is_some() {
        format!("debug info as set by {debug_var} in your environment")
    } else {
        spec = spec.env(&debug_var, "line-tables-only");
        format!("built with {debug_var}=line-tables-only (Cargo.toml untouched)")
    };
    spec = spec.env(&strip_var, "none");
    if options.call_graph == CallGraph::FramePointers {
        let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
        if !flags.contains("force-frame-pointers") {
            flags.push_str(" -C force-frame-pointers=yes");
        }
        spec = spec.env("RUSTFLAGS", flags.trim());
        debuginfo_note.push_str(", with frame pointers (RUSTFLAGS=-C force-frame-pointers=yes)");
    }
    CargoBuild {
        spec,
        cargo_profile,
        debuginfo_note,
    }
}

/// Runs the build; returns the executables cargo reported for the target.
fn run_build(
    cx: &TaskContext<'_>,
    spec: &CommandSpec,
    options: &Resolved,
) -> Result<Vec<PathBuf>, TaskError> {
    let mut executables = Vec::new();
    let mut tail = OutputTail::new();
    let finished = process::run_split(spec, |stream, line| match stream {
        Stream::Stdout => {
            if let Some(exe) = executable_of(line, &options.target) {
                executables.push(exe);
            }
        }
        Stream::Stderr => {
            let trimmed = line.trim();
            if trimmed.starts_with("Compiling") {
                cx.step(trimmed);
            }
            tail.push(line);
        }
    })?;
    if !finished.success() {
        return Err(TaskError::new(format!(
            "building {} failed: `{}` {}\n{}",
            options.target.describe(),
            spec.display(),
            finished.describe(),
            tail.into_lines().join("\n")
        ))
        .hint("fix the build error above, then run cargo perf profile again"));
    }
    Ok(executables)
}

/// The one executable to profile, or why there is none or more than one.
fn one_executable(mut executables: Vec<PathBuf>, options: &Resolved) -> Result<PathBuf, TaskError> {
    executables.dedup();
    match executables.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(TaskError::new(format!(
            "cargo built no executable for {}",
            options.target.describe()
        ))
        .hint("name a binary with --bin NAME (see `cargo perf profile --help`)")),
        many => Err(TaskError::new(format!(
            "the build produced {} executables: {}",
            many.len(),
            many.iter()
                .filter_map(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .hint("pick one with --bin NAME, or -p PACKAGE")),
    }
}

/// The program's arguments: the harness's own first (one test thread for a
/// unit test, `--bench` for a bench target), then the user's.
fn program_args(options: &Resolved) -> Vec<String> {
    let mut args = Vec::new();
    match &options.target {
        Target::UnitTest(filter) => {
            args.extend(filter.clone());
            args.push("--test-threads=1".to_owned());
        }
        Target::Bench(_) => args.push("--bench".to_owned()),
        _ => {}
    }
    args.extend(options.args.iter().cloned());
    args
}

/// A clear error before building, when the named target does not exist.
fn check_target_exists(workspace: &Workspace, options: &Resolved) -> Result<(), TaskError> {
    let (kind, name, flag) = match &options.target {
        Target::Bin(name) => (TargetKind::Bin, name, "--bin"),
        Target::Example(name) => (TargetKind::Example, name, "--example"),
        Target::Test(name) => (TargetKind::Test, name, "--test"),
        Target::Bench(name) => (TargetKind::Bench, name, "--bench"),
        Target::Default => return check_one_binary(workspace, options),
        _ => return Ok(()),
    };
    let members: Vec<_> = workspace
        .members
        .iter()
        .filter(|m| options.package.as_ref().is_none_or(|p| *p == m.name))
        .collect();
    if let Some(package) = &options.package
        && members.is_empty()
    {
        return Err(
            TaskError::new(format!("no package `{package}` in this workspace")).hint(format!(
                "packages here: {}",
                workspace
                    .members
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
    }
    let available: Vec<&str> = members
        .iter()
        .flat_map(|m| m.targets.iter())
        .filter(|t| t.kind == kind)
        .map(|t| t.name.as_str())
        .collect();
    if available.contains(&name.as_str()) {
        return Ok(());
    }
    let hint = if available.is_empty() {
        format!("this workspace has no {} targets", kind.as_str())
    } else {
        let close = cargo_perf_policy::suggest(name, available.iter().copied());
        match close {
            Some(close) => format!(
                "did you mean `{flag} {close}`? available: {}",
                available.join(", ")
            ),
            None => format!("available: {}", available.join(", ")),
        }
    };
    Err(TaskError::new(format!("no {} target named `{name}`", kind.as_str())).hint(hint))
}

/// No target named: the selected packages must have exactly one binary,
/// said before a build that could only end in "which one?".
fn check_one_binary(workspace: &Workspace, options: &Resolved) -> Result<(), TaskError> {
    let bins: Vec<&str> = workspace
        .members
        .iter()
        .filter(|m| options.package.as_ref().is_none_or(|p| *p == m.name))
        .flat_map(|m| m.targets.iter())
        .filter(|t| t.kind == TargetKind::Bin)
        .map(|t| t.name.as_str())
        .collect();
    match bins.as_slice() {
        [_, _, ..] => Err(TaskError::new(format!(
            "{} binaries could be profiled: {}",
            bins.len(),
            bins.join(", ")
        ))
        .hint(format!(
            "name one, e.g. `cargo perf profile --bin {}`, or set `[profile] target`",
            bins[0]
        ))),
        _ => Ok(()),
    }
}

/// The executable of a `compiler-artifact` message for the wanted target.
fn executable_of(line: &str, target: &Target) -> Option<PathBuf> {
    let Ok(Message::CompilerArtifact(artifact)) = serde_json::from_str::<Message>(line) else {
        return None;
    };
    let executable = artifact.executable?;
    let kinds = &artifact.target.kind;
    let wanted = match target {
        Target::Bin(_) | Target::Default => kinds.contains(&ArtifactKind::Bin),
        Target::Example(_) => kinds.contains(&ArtifactKind::Example),
        Target::Test(_) => kinds.contains(&ArtifactKind::Test),
        Target::Bench(_) => kinds.contains(&ArtifactKind::Bench),
        Target::UnitTest(_) => {
            artifact.profile.test && kinds.iter().any(|k| k.to_string().ends_with("lib"))
        }
        Target::Command => false,
    };
    wanted.then(|| executable.into_std_path_buf())
}

/// `--cmd` programs: a path with a slash is relative to the current directory; a bare name is looked up on PATH.
fn resolve_program(program: &str, cwd: &Path) -> Option<PathBuf> {
    if program.contains('/') {
        let path = cwd.join(program);
        return path.is_file().then_some(path);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}
