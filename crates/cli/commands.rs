//! One function per subcommand: each opens what it needs through the library,
//! renders the result, and returns the exit code.

use std::sync::Arc;

use cargo_perf_engine::{RunOptions, Task, exit};
use cargo_perf_policy::escape::escape_lines;
use cargo_perf_progress::{self as progress, Verbosity};
use cargo_perf_report::Format;
use cargo_perf_tasks::{GitignoreOptions, GitignoreTask};
use clap::CommandFactory;

use crate::args::{
    BenchAction, CallGraphArg, CargoArgs, CheckArgs, Cli, Command, ExecArgs, GlobalArgs,
    OutputFormat, ProfileArgs,
};
use crate::hook::Scoped;
use crate::output::{append_step_summary, finish_output, print_error, print_warning};
use crate::session::{open, open_with};
use cargo_perf_engine::metacache::MetadataCache;

pub fn dispatch(cli: Cli) -> u8 {
    let global = &cli.global;
    match cli.command {
        Command::Check(args) => check(global, &args),
        Command::Run { names, exec, cargo } => {
            run(global, &cargo, &names.join(" "), &names, &exec, None)
        }
        Command::Build {
            clean,
            no_incremental,
            targets,
            cargo,
        } => run_builtin(
            global,
            &cargo,
            Arc::new(cargo_perf_tasks::BuildTask::new(
                cargo_perf_tasks::BuildOptions {
                    clean,
                    no_incremental,
                    targets: (!targets.is_empty()).then(|| {
                        let mut kinds: Vec<_> = targets.into_iter().flat_map(|t| t.0).collect();
                        kinds.sort();
                        kinds.dedup();
                        kinds
                    }),
                },
            )),
        ),
        Command::Bench {
            action: Some(BenchAction::History { id }),
            ..
        } => bench_history(global, id.as_deref()),
        Command::Bench {
            action: None,
            filter,
            save_baseline,
            baseline,
            baseline_rev,
            bench,
            instructions,
            memory,
            cargo,
        } => run_builtin(
            global,
            &cargo,
            Arc::new(cargo_perf_tasks::BenchTask::new(
                cargo_perf_tasks::BenchOptions {
                    filter,
                    save_baseline,
                    baseline,
                    baseline_rev,
                    benches: bench,
                    instructions,
                    memory,
                },
            )),
        ),
        Command::Lint { list: true, .. } => crate::lint::list(global),
        Command::Lint {
            no_clippy, cargo, ..
        } => run_builtin(
            global,
            &cargo,
            Arc::new(cargo_perf_tasks::LintTask::new(
                cargo_perf_tasks::LintOptions {
                    clippy: no_clippy.then_some(false),
                },
            )),
        ),
        Command::List => list(global),
        Command::Init { force } => init(global, force),
        Command::Profile(args) => profile(global, *args),
        Command::Hook { action } => crate::hook::hook(global, &action),
        Command::Gitignore(args) => run_builtin(
            global,
            &CargoArgs::default(),
            Arc::new(GitignoreTask::new(GitignoreOptions {
                fix: args.fix,
                untrack: args.untrack,
                staged: args.staged,
            })),
        ),
        Command::Clean { dry_run, wait } => run_builtin(
            global,
            &CargoArgs::default(),
            Arc::new(cargo_perf_tasks::CleanTask::new(
                cargo_perf_tasks::CleanOptions { dry_run, wait },
            )),
        ),
        Command::Report { output, open } => crate::report::report(global, output.as_deref(), open),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "cargo-perf", &mut out);
            finish_output(&String::from_utf8_lossy(&out), exit::SUCCESS)
        }
    }
}

/// Runs one built-in task configured from its own subcommand's flags
/// (e.g. `cargo perf gitignore --fix`), in place of its default configuration.
/// One task has nothing to run in parallel or stop after, so these
/// subcommands take no `--jobs` or `--fail-fast`.
fn run_builtin(global: &GlobalArgs, cargo: &CargoArgs, task: Arc<dyn Task>) -> u8 {
    let name = task.name().to_owned();
    run(
        global,
        cargo,
        &name,
        std::slice::from_ref(&name),
        &ExecArgs::default(),
        Some(task),
    )
}

fn check(global: &GlobalArgs, args: &CheckArgs) -> u8 {
    let scoped = Scoped::from_args(args);
    run_scoped(
        global,
        &args.cargo,
        "check",
        &["check".to_owned()],
        &args.exec,
        None,
        scoped,
    )
}

fn run(
    global: &GlobalArgs,
    cargo: &CargoArgs,
    command: &str,
    names: &[String],
    exec: &ExecArgs,
    task: Option<Arc<dyn Task>>,
) -> u8 {
    run_scoped(global, cargo, command, names, exec, task, None)
}

fn run_scoped(
    global: &GlobalArgs,
    cargo: &CargoArgs,
    command: &str,
    names: &[String],
    exec: &ExecArgs,
    task: Option<Arc<dyn Task>>,
    scoped: Option<Scoped>,
) -> u8 {
    // `clean` deletes in the target dir cargo names: it always asks cargo,
    // never a stored answer, and its dry run writes nothing.
    let metadata_cache = if command == "clean" {
        MetadataCache::Off
    } else {
        MetadataCache::ReadWrite
    };
    let mut session = match open_with(global, cargo, metadata_cache) {
        Ok(session) => session,
        Err(code) => return code,
    };
    // The `report` task of a pipeline draws the page with our renderer.
    session.override_task(Arc::new(cargo_perf_tasks::report::ReportTask::new(
        cargo_perf_tasks::report::ReportOptions {
            render: Some(cargo_perf_report::render_dashboard_html),
        },
    )));
    if let Some(task) = task {
        session.override_task(task);
    }
    let names = match scoped {
        Some(scoped) => match scoped.apply(&mut session, global.quiet) {
            Ok(names) => names,
            Err(code) => return code,
        },
        None => names
            .iter()
            .cloned()
            .map(cargo_perf_policy::Located::builtin)
            .collect(),
    };
    let plan = match session.plan_located(&names) {
        Ok(plan) => plan,
        Err(err) => {
            eprint!("{}", session.render(&err.0));
            return exit::ERROR;
        }
    };
    let options = run_options(session.run_options(), global, exec);
    let verbosity = match (global.quiet, global.verbose) {
        (true, _) => Verbosity::Quiet,
        (_, true) => Verbosity::Verbose,
        _ => Verbosity::Normal,
    };
    let sink = progress::for_stderr(verbosity);
    let report = session.run(command, &plan, options, &*sink);
    render_run(global, command, &session, &report)
}

/// Jobs and fail-fast: flags over the environment over the policy.
fn run_options(defaults: RunOptions, global: &GlobalArgs, exec: &ExecArgs) -> RunOptions {
    RunOptions {
        jobs: exec
            .jobs
            .or(global.env_jobs)
            .map_or(defaults.jobs, usize::from),
        fail_fast: if exec.fail_fast {
            true
        } else if exec.no_fail_fast {
            false
        } else {
            defaults.fail_fast
        },
    }
}

/// Prints the run's report in the chosen format (keeping a check's JSON
/// for `cargo perf report`) and returns its exit code.
fn render_run(
    global: &GlobalArgs,
    command: &str,
    session: &cargo_perf_tasks::Session,
    report: &cargo_perf_engine::RunReport,
) -> u8 {
    let format = match global.format() {
        OutputFormat::Human => Format::Human,
        OutputFormat::Json => Format::Json,
        OutputFormat::Github => Format::Github,
        OutputFormat::Markdown => Format::Markdown,
        OutputFormat::Sarif => {
            let codes = cargo_perf_tasks::codes::all();
            return finish_output(
                &cargo_perf_report::render_sarif(report, &codes),
                report.exit_code,
            );
        }
    };
    if command == "check"
        && let Err(err) = cargo_perf_tasks::report::store_last_check(
            &session.project,
            &cargo_perf_report::render_json(report),
        )
    {
        print_warning(
            &format!("cannot keep this check's result for `cargo perf report`: {err}"),
            Some("check that the target dir is writable"),
        );
    }
    let summary = match format {
        Format::Github => append_step_summary(report).err(),
        _ => None,
    };
    if let Some(err) = summary {
        print_error(
            &format!(
                "cannot append to ${}: {err}",
                crate::output::STEP_SUMMARY_ENV
            ),
            Some("check that the file it names is writable"),
        );
    }
    finish_output(
        &cargo_perf_report::render(report, format, global.quiet),
        report.exit_code,
    )
}

fn list(global: &GlobalArgs) -> u8 {
    let session = match open(global) {
        Ok(session) => session,
        Err(code) => return code,
    };
    let text = match global.format() {
        OutputFormat::Json => cargo_perf_report::render_listing_json(&session.registry.listing()),
        _ => cargo_perf_report::render_listing(&session.registry.listing()),
    };
    finish_output(&text, exit::SUCCESS)
}

fn bench_history(global: &GlobalArgs, id: Option<&str>) -> u8 {
    let session = match open(global) {
        Ok(session) => session,
        Err(code) => return code,
    };
    match cargo_perf_tasks::bench_history(&session.project, id) {
        Ok(history) => {
            for skipped in &history.skipped {
                print_warning(
                    &format!(
                        "skipped {}: {}",
                        crate::output::shown_path(&skipped.path),
                        escape_lines(&skipped.reason)
                    ),
                    Some(
                        "cargo-perf left it untouched; move it away if it is not a run of this workspace",
                    ),
                );
            }
            let text = match global.format() {
                OutputFormat::Json => cargo_perf_report::render_history_json(&history),
                _ => escape_lines(&cargo_perf_report::render_history(&history)).into_owned(),
            };
            finish_output(&text, exit::SUCCESS)
        }
        Err(err) => {
            print_error(&err.message, err.hint.as_deref());
            exit::ERROR
        }
    }
}

fn init(global: &GlobalArgs, force: bool) -> u8 {
    let workspace = match cargo_perf_engine::Workspace::discover(
        &std::env::current_dir().unwrap_or_default(),
        global.manifest_path.as_deref(),
        &cargo_perf_engine::CargoOptions::default(),
    ) {
        Ok(workspace) => workspace,
        Err(err) => {
            print_error(&err.to_string(), Some(err.hint()));
            return exit::ERROR;
        }
    };
    let written = match cargo_perf_tasks::init::write(&workspace, force) {
        Ok(written) => written,
        Err(err) => {
            print_error(&err.to_string(), Some(err.hint()));
            return exit::ERROR;
        }
    };
    let status = |verb: &str, text: String| {
        if !global.quiet {
            eprintln!("{:>12} {text}", console::style(verb).green().bold());
        }
    };
    status(
        if written.replaced {
            "Replaced"
        } else {
            "Wrote"
        },
        format!(
            "{} (edit it, then run `cargo perf check`)",
            crate::output::shown_path(&written.path)
        ),
    );
    if !written.ran.is_empty() {
        let ran: Vec<String> = written.ran.iter().map(|c| format!("`{c}`")).collect();
        status(
            "Checked",
            format!("by running {}", escape_lines(&ran.join(", "))),
        );
    }
    for (task, reason) in &written.left_out {
        if !global.quiet {
            eprintln!(
                "{:>12} `{task}` (commented out in perf.toml): {}",
                console::style("Left out").yellow().bold(),
                escape_lines(reason)
            );
        }
    }
    let session = match open(global) {
        Ok(session) => session,
        Err(code) => return code,
    };
    let added = match cargo_perf_tasks::add_required_ignores(&session.project, &session.registry) {
        Ok(added) => added.map(|added| added.lines).unwrap_or_default(),
        Err(err) => {
            print_error(
                &format!(
                    "{} (perf.toml was written, .gitignore was not changed)",
                    err.message
                ),
                err.hint.as_deref(),
            );
            return exit::ERROR;
        }
    };
    if !added.is_empty() {
        let patterns: Vec<String> = added.iter().map(|(p, _)| format!("`{p}`")).collect();
        status(
            "Added",
            format!(
                "{} to .gitignore (what builds, profiles and benchmarks write must never be committed)",
                escape_lines(&patterns.join(", "))
            ),
        );
    }
    match global.format() {
        OutputFormat::Json => finish_output(
            &cargo_perf_report::render_init_json(&cargo_perf_report::InitSummary {
                path: &written.path,
                replaced: written.replaced,
                tasks: &written.tasks,
                check: &written.check,
                left_out: &written.left_out,
                ran: &written.ran,
            }),
            exit::SUCCESS,
        ),
        _ => exit::SUCCESS,
    }
}

fn profile(global: &GlobalArgs, args: ProfileArgs) -> u8 {
    use cargo_perf_tasks::profile::{CallGraph, ProfileOptions, ProfileTask, Target};
    let target = if let Some(name) = args.bin {
        Some(Target::Bin(name))
    } else if let Some(name) = args.example {
        Some(Target::Example(name))
    } else if let Some(name) = args.test {
        Some(Target::Test(name))
    } else if let Some(name) = args.bench {
        Some(Target::Bench(name))
    } else if let Some(filter) = args.unit_test {
        Some(Target::UnitTest(Some(filter).filter(|f| !f.is_empty())))
    } else if args.cmd {
        Some(Target::Command)
    } else {
        None
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let options = ProfileOptions {
        target,
        frequency: args.freq,
        call_graph: args.call_graph.map(|mode| match mode {
            CallGraphArg::Dwarf => CallGraph::Dwarf,
            CallGraphArg::Fp => CallGraph::FramePointers,
        }),
        duration: args.duration,
        title: args.title,
        reverse: args.reverse,
        flamechart: args.flamechart,
        min_width: args.min_width,
        no_inline: args.no_inline,
        output: args.output.map(|dir| cwd.join(dir)),
        open: args.open,
        diff: args.diff,
        callgrind: args.callgrind,
        memory: args.memory,
        args: (!args.args.is_empty()).then_some(args.args),
    };
    run_builtin(global, &args.cargo, Arc::new(ProfileTask::new(options)))
}
