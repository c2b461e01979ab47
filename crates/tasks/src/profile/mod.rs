//! The `profile` task: `cargo perf profile` builds a target with debug info,
//! checks that perf can sample, records, symbolizes with progress, folds and
//! draws a flamegraph with inferno, and summarises the hot functions and how
//! trustworthy the stacks are. `--diff` compares against a baseline,
//! `--callgrind` records deterministic instruction counts instead, and
//! `--memory` heap allocations (valgrind's DHAT).

mod baseline;
mod build;
mod callgrind;
pub(crate) mod codes;
mod fold;
mod inline;
mod kallsyms;
mod manifest;
mod memory;
mod options;
mod perfdata;
mod preflight;
mod record;
mod render;
mod summary;

use crate::dhat;

use std::path::{Path, PathBuf};

use cargo_perf_engine::fsutil::write_atomic;
use cargo_perf_engine::outputs::{Origin, check_output_dir};
use cargo_perf_engine::{
    ChangeScope, Finding, Metric, MetricName, Project, Task, TaskContext, TaskError, Unit, Verdict,
    Written,
};
use cargo_perf_policy::Choice as _;
use serde_json::json;

pub use options::{CallGraph, ProfileOptions, Target};
pub use render::Style;
pub use summary::Summary;

use codes::ProfileCode;
use fold::Folded;
use options::Resolved;
use record::Recording;

pub(crate) const FOLDED: &str = "stacks.folded";
/// The stacks per compiled function, inlined calls merged into their callers
/// (written when inlined frames were added).
pub(crate) const FUNCTIONS_FOLDED: &str = "functions.folded";

const SVG: &str = "flamegraph.svg";
const DIFF_SVG: &str = "diff.svg";
const MANIFEST: &str = "manifest.json";
const TOP: usize = 5;
/// Above this share of bad stacks, the summary explains how to get better ones.
const UNWIND_ADVICE_PERCENT: f64 = 10.0;
/// Above this share of cost in stacks with unnamed frames, the program is taken for stripped.
const UNNAMED_ADVICE_SHARE: f64 = 0.10;

/// Folds `perf script` text and renders it: the step the benchmark compares with inferno's binaries.
pub fn fold_and_render(script: impl std::io::Read, style: &Style) -> std::io::Result<Vec<u8>> {
    let folded = fold::fold(script)?;
    render::flamegraph(&folded, style)
}

/// The `profile` task, configured from command-line flags or `[profile]`.
#[derive(Debug, Clone, Default)]
pub struct ProfileTask {
    options: ProfileOptions,
}

impl ProfileTask {
    pub fn new(options: ProfileOptions) -> Self {
        Self { options }
    }
}

/// The run's cargo flags, with `-p` naming one member by name (a profile is of one target).
fn one_package(cx: &TaskContext<'_>) -> Result<cargo_perf_engine::CargoOptions, TaskError> {
    let mut cargo = cx.project.cargo.clone();
    let members = cargo.packages(cx.workspace())?.unwrap_or_default();
    if let [_, second, ..] = members.as_slice() {
        return Err(TaskError::new(format!(
            "a profile is of one target, but `-p` names {} packages",
            members.len()
        ))
        .hint(format!("give one `-p`, e.g. `-p {}`", second.name)));
    }
    cargo.packages = members.iter().map(|m| m.name.clone()).collect();
    Ok(cargo)
}

/// One recorded and folded profile.
struct Profile {
    folded: Folded,
    recording: Recording,
    program: build::Program,
    recorder: serde_json::Value,
    /// `--memory`: what DHAT saw.
    heap: Option<dhat::Heap>,
}

impl Task for ProfileTask {
    /// Never beside another cargo task: it runs cargo.
    fn exclusive(&self) -> Option<&str> {
        Some(cargo_perf_engine::task::CARGO)
    }

    fn name(&self) -> &str {
        "profile"
    }

    fn description(&self) -> &str {
        "records a CPU or heap profile and draws a flamegraph (perf, callgrind or DHAT)"
    }

    /// A profile is asked for by name, of a program the caller chose: a
    /// change scope never makes it pointless.
    fn unaffected(&self, _: &ChangeScope, _: &Project) -> Option<String> {
        None
    }

    fn writes(&self, project: &Project) -> Vec<Written> {
        let options = self
            .options
            .resolve(&project.policy.profile, &project.cargo);
        let (dir, what) = match &options.output {
            Some(dir) => (project.workspace.root.join(dir), output_what(&options)),
            None => (default_output_parent(&project.workspace), "profiles"),
        };
        vec![Written::new(dir, what)]
    }

    fn run(&self, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
        let options = self
            .options
            .resolve(&cx.policy().profile, &one_package(cx)?);
        let repo = cx.project.git().ok().flatten().cloned();
        // Facts for the manifest, asked while the real work goes on.
        let facts = std::thread::spawn(move || {
            (manifest::commit(repo.as_ref()), manifest::rustc_version())
        });
        let perf = if options.callgrind || options.memory {
            preflight::valgrind(
                cx,
                if options.memory {
                    "--memory"
                } else {
                    "--callgrind"
                },
            )?;
            None
        } else {
            Some(preflight::perf(cx)?)
        };
        // A bad baseline fails now, not after a long recording.
        let baseline = diff_baseline(cx, &options)?;
        let dir = output_dir(cx, &options)?;
        if options.output.is_none() {
            prune_runs(cx, &dir);
        }

        let workspace = cx.workspace();
        let program = build::build(cx, workspace, &workspace.root, &options)?;
        if let Some(note) = &program.debuginfo_note {
            cx.finding(Finding::info(ProfileCode::Debuginfo, note.clone()));
        }
        let profile = record_and_fold(cx, &options, perf.as_ref(), program, &dir)?;
        let drawn = draw(cx, &options, &profile, &dir)?;
        report_program_exit(cx, &profile.recording, &profile.program);
        report_symbols(cx, &profile);
        report_summary(cx, &drawn.summary, &options);
        let diff = match baseline {
            Some(baseline) => diff(
                cx,
                &options,
                perf.as_ref(),
                baseline,
                &profile,
                &drawn,
                &dir,
            )?,
            None => serde_json::Value::Null,
        };
        let heap = match &profile.heap {
            Some(heap) => {
                let max_rss = profile.recording.finished.usage.max_rss_bytes;
                let baseline_peak = diff["baseline_samples"].as_u64();
                draw_allocations(cx, heap, max_rss, baseline_peak, &drawn.style, &dir)?
            }
            None => serde_json::Value::Null,
        };

        let (commit, rustc) = facts.join().unwrap_or_default();
        let count_note = match &profile.heap {
            Some(_) => format!(
                " (by allocation count: {})",
                shown(cx, &dir.join(memory::COUNT_SVG))
            ),
            None => String::new(),
        };
        let diff_note = match diff.is_null() {
            true => String::new(),
            false => format!(
                "; differential flamegraph at {}",
                shown(cx, &dir.join(DIFF_SVG))
            ),
        };
        let mut manifest = manifest_json(&options, &profile, &drawn.summary, diff, commit, rustc);
        manifest["heap"] = heap;
        write(&dir.join(MANIFEST), &manifest::to_bytes(&manifest))?;
        if options.open {
            open(cx, &drawn.svg_path);
        }
        let measured = match (&profile.heap, options.callgrind, drawn.summary.total) {
            (Some(heap), _, _) => format!(
                "{} at the heap's peak, {} allocations ({}) in all",
                memory::bytes(heap.peak_bytes),
                heap.allocations,
                memory::bytes(heap.allocated_bytes)
            ),
            (None, true, 1) => "1 instruction".to_owned(),
            (None, true, n) => format!("{n} instructions"),
            (None, false, 1) => "1 sample".to_owned(),
            (None, false, n) => format!("{n} samples"),
        };
        cx.summary(format!(
            "{measured} of {}; flamegraph at {}{count_note}{diff_note}",
            options.target.describe(),
            shown(cx, &drawn.svg_path)
        ));
        Ok(())
    }
}

/// What `--diff` compares with, checked before anything is recorded: a
/// saved profile's folded stacks (read now), or a revision that exists.
enum DiffBaseline {
    Saved(Folded),
    Revision(String),
}

fn diff_baseline(
    cx: &TaskContext<'_>,
    options: &Resolved,
) -> Result<Option<DiffBaseline>, TaskError> {
    let Some(spec) = options.diff.as_deref() else {
        return Ok(None);
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| cx.workspace().root.clone());
    match baseline::source(spec, &cwd) {
        baseline::Source::Saved(path) => {
            baseline::check_kind(&path, options.memory)?;
            Ok(Some(DiffBaseline::Saved(baseline::read_saved(cx, &path)?)))
        }
        baseline::Source::Revision(rev) => {
            let repo = cx.project.git()?.ok_or_else(|| {
                TaskError::new(format!(
                    "`{rev}` is not a saved profile directory, and the workspace is not in a git repository"
                ))
                .hint("pass the directory of an earlier profile (it holds stacks.folded)")
            })?;
            baseline::verify_revision(repo, &rev)?;
            Ok(Some(DiffBaseline::Revision(rev)))
        }
    }
}

/// The flamegraph drawn from a profile, and the summary it was titled with.
struct Drawn {
    summary: Summary,
    style: Style,
    svg_path: PathBuf,
}

/// Writes the folded stacks and draws the flamegraph; no samples is an error.
fn draw(
    cx: &mut TaskContext<'_>,
    options: &Resolved,
    profile: &Profile,
    dir: &Path,
) -> Result<Drawn, TaskError> {
    for path in write_folded(&profile.folded, dir)? {
        cx.artifact(&path);
    }
    let summary = Summary::from_folded(&String::from_utf8_lossy(profile.folded.functions()));
    if summary.total == 0 && profile.heap.is_some() {
        return Err(TaskError::new(format!(
            "nothing was live on the heap at its peak: the program {} and allocated nothing DHAT saw",
            profile.recording.outcome
        ))
        .hint("profile a run that allocates (pass its inputs after `--`)"));
    }
    if summary.total == 0 {
        return Err(TaskError::new(format!(
            "no samples were recorded: the program {} after {:.2}s",
            profile.recording.outcome,
            profile.recording.finished.duration.as_secs_f64()
        ))
        .hint("profile a longer run (pass larger inputs after `--`), or raise --freq"));
    }
    let style = style(options, &profile.program, &summary);
    cx.step("rendering the flamegraph");
    let svg = render::flamegraph(&profile.folded.stacks, &style)
        .map_err(|err| TaskError::new(format!("cannot render the flamegraph: {err}")))?;
    let svg_path = dir.join(SVG);
    write(&svg_path, &svg)?;
    cx.artifact(&svg_path);
    Ok(Drawn {
        summary,
        style,
        svg_path,
    })
}

/// `--memory`'s second flamegraph, by allocation count: the peak graph shows
/// what holds memory, this one what keeps the allocator busy (an
/// allocation's cost is mostly per call, not per byte). Returns the
/// manifest's `heap` entry, with the metrics and top sites reported.
fn draw_allocations(
    cx: &mut TaskContext<'_>,
    heap: &dhat::Heap,
    max_rss: u64,
    baseline_peak: Option<u64>,
    style: &Style,
    dir: &Path,
) -> Result<serde_json::Value, TaskError> {
    let folded_path = dir.join(memory::COUNT_FOLDED);
    write(&folded_path, &heap.folded_count)?;
    cx.artifact(&folded_path);
    let mut count_style = style.clone();
    count_style.title = format!("{} (allocation count)", style.title);
    count_style.subtitle = Some(format!("{} allocations (DHAT)", heap.allocations));
    count_style.count_name = "allocations".to_owned();
    let svg = render::flamegraph(&heap.folded_count, &count_style).map_err(|err| {
        TaskError::new(format!(
            "cannot render the allocation-count flamegraph: {err}"
        ))
    })?;
    let svg_path = dir.join(memory::COUNT_SVG);
    write(&svg_path, &svg)?;
    cx.artifact(&svg_path);
    Ok(memory::report(cx, heap, max_rss, baseline_peak))
}

/// `--diff`: the differential flamegraph and the functions whose share
/// changed most, as metrics; returns the manifest's `diff` entry.
fn diff(
    cx: &mut TaskContext<'_>,
    options: &Resolved,
    perf: Option<&preflight::Perf>,
    baseline: DiffBaseline,
    profile: &Profile,
    drawn: &Drawn,
    dir: &Path,
) -> Result<serde_json::Value, TaskError> {
    let before = match baseline {
        DiffBaseline::Saved(saved) => saved,
        DiffBaseline::Revision(rev) => profile_revision(cx, options, perf, &rev, dir)?,
    };
    let (base, current) = same_level(&before, &profile.folded);
    let mut diff_style = drawn.style.clone();
    diff_style.title = format!(
        "{} (differential: red grew, blue shrank)",
        drawn.style.title
    );
    // A `--no-inline` run has no inlined frames: the baseline's are merged too.
    let before_stacks = match profile.folded.functions {
        Some(_) => &before.stacks,
        None => before.functions(),
    };
    let diff_svg = render::differential(before_stacks, &profile.folded.stacks, &diff_style)
        .map_err(|err| {
            TaskError::new(format!("cannot render the differential flamegraph: {err}"))
        })?;
    let diff_path = dir.join(DIFF_SVG);
    write(&diff_path, &diff_svg)?;
    cx.artifact(&diff_path);
    let changes = current
        .as_ref()
        .unwrap_or(&drawn.summary)
        .changes(&base, TOP);
    report_changes(cx, &changes);
    Ok(json!({
        "baseline": options.diff,
        "baseline_samples": base.total,
        "svg": DIFF_SVG,
        "changes": changes.iter().map(|(n, b, a)| json!({"function": n, "before_percent": manifest::round(*b), "after_percent": manifest::round(*a)})).collect::<Vec<_>>(),
    }))
}

/// One metric per changed function: its share now, against the baseline's.
fn report_changes(cx: &mut TaskContext<'_>, changes: &[(String, f64, f64)]) {
    for (name, before, after) in changes {
        let verdict = if after - before >= 1.0 {
            Verdict::Regressed
        } else if before - after >= 1.0 {
            Verdict::Improved
        } else {
            Verdict::Unchanged
        };
        cx.metric(
            Metric::new(
                metric_name("changed").seg(short(name)),
                manifest::round(*after),
                Unit::Percent,
            )
            .baseline(manifest::round(*before))
            .verdict(verdict),
        );
    }
}

/// The `manifest.json` written next to the flamegraph.
fn manifest_json(
    options: &Resolved,
    profile: &Profile,
    summary: &Summary,
    diff: serde_json::Value,
    commit: Option<String>,
    rustc: Option<String>,
) -> serde_json::Value {
    json!({
        "version": 1,
        "created_unix": manifest::now(),
        "commit": commit,
        "rustc": rustc,
        "target": options.target.describe(),
        "profile": profile.program.cargo_profile,
        "command": std::iter::once(profile.program.executable.display().to_string()).chain(profile.program.args.iter().cloned()).collect::<Vec<_>>(),
        "recorder": profile.recorder,
        "record_command": profile.recording.command,
        "program_exit": profile.recording.outcome,
        "sample_count": summary.total,
        "recorded_samples": profile.recording.recorded_samples,
        "lost_samples": profile.recording.lost,
        "unwind": (!options.callgrind && !options.memory).then(|| json!({
            "unknown_percent": manifest::round(summary.share(summary.unknown)),
            "truncated_percent": manifest::round(summary.share(summary.truncated)),
        })),
        "top_self": manifest::top_list(&summary.top_self(20)),
        "top_inclusive": manifest::top_list(&summary.top_inclusive(20)),
        "diff": diff,
        "files": {
            "folded": FOLDED,
            "functions": profile.folded.functions.as_ref().map(|_| FUNCTIONS_FOLDED),
            "svg": SVG,
        },
    })
}

/// Records the program and folds its stacks, with perf or callgrind.
fn record_and_fold(
    cx: &TaskContext<'_>,
    options: &Resolved,
    perf: Option<&preflight::Perf>,
    program: build::Program,
    dir: &Path,
) -> Result<Profile, TaskError> {
    if options.memory {
        return memory::record(cx, options, program, dir);
    }
    match perf {
        None => {
            let out = dir.join("callgrind.out");
            let recording = record::callgrind(cx, &program, options, &out)?;
            let text = std::fs::read_to_string(&out).map_err(|err| {
                TaskError::new(format!(
                    "callgrind wrote no profile ({err}): the program {}",
                    recording.outcome
                ))
                .hint(format!("run `{}` to see what happened", recording.command))
            })?;
            let comm = comm(&program);
            cx.step("folding the callgrind profile");
            let folded = callgrind::fold(&text, &comm)
                .map_err(|err| TaskError::new(format!("cannot read {}: {err}", out.display())))?;
            Ok(Profile {
                folded: Folded::plain(folded),
                recorder: json!({ "tool": "callgrind", "event": "Ir" }),
                recording,
                program,
                heap: None,
            })
        }
        Some(perf) => {
            let data = dir.join("perf.data");
            let kallsyms = kallsyms::Snapshot::start(dir);
            let recording = record::perf(cx, &program, options, &perf.event, &data)?;
            let kallsyms = kallsyms.finish();
            if !data.is_file() {
                return Err(TaskError::new(format!(
                    "perf wrote no recording: `{}` {}\n{}",
                    recording.command,
                    recording.finished.describe(),
                    recording.tail.join("\n")
                ))
                .hint("check the program path and the perf output above"));
            }
            let (folded, script_command) =
                match fold::perf_script(cx, &data, options.no_inline, kallsyms.as_ref()) {
                    Ok(folded) => folded,
                    Err(err) if !recording.finished.success() => {
                        return Err(TaskError::new(format!(
                            "`{}` {} and left no usable recording ({})\n{}",
                            recording.command,
                            recording.outcome,
                            err.message,
                            recording.tail.join("\n")
                        ))
                        .hint("check the program and its arguments; the perf output is above"));
                    }
                    Err(err) => return Err(err),
                };
            let inline_frames = match folded.functions {
                Some(_) => "added by cargo perf from DWARF",
                None => "none (--no-inline)",
            };
            Ok(Profile {
                folded,
                recorder: json!({
                    "tool": "perf",
                    "version": perf.version,
                    "event": perf.event,
                    "frequency": options.frequency,
                    "call_graph": options.call_graph.as_str(),
                    "script_command": script_command,
                    "inline_frames": inline_frames,
                }),
                recording,
                program,
                heap: None,
            })
        }
    }
}

/// The process name a folded stack starts with: the executable's file name.
fn comm(program: &build::Program) -> String {
    program
        .executable
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "program".to_owned())
}

/// Builds and profiles `rev` in a temporary worktree with the same options; returns its folded stacks.
fn profile_revision(
    cx: &TaskContext<'_>,
    options: &Resolved,
    perf: Option<&preflight::Perf>,
    rev: &str,
    dir: &Path,
) -> Result<Folded, TaskError> {
    let workspace = cx.workspace();
    let repo = cx
        .project
        .git()?
        .ok_or_else(|| TaskError::new("the workspace is not in a git repository"))?;
    let tree = crate::worktree::Worktree::add(repo, &workspace.target_dir, "baseline", rev)?;
    let root = tree.workspace_root(&workspace.root);
    if tree.adopt_lock_file(&workspace.root) {
        cx.step(&format!(
            "`{rev}` has no Cargo.lock; it is built with the working tree's dependency versions"
        ));
    }
    // The other revision's own members: their versions name them to cargo.
    let base_workspace = cargo_perf_engine::Workspace::discover(&root, None, &cx.project.cargo)
        .map_err(|err| {
            TaskError::new(format!("cannot read the workspace at `{rev}`: {err}")).hint(err.hint())
        })?;
    cx.step(&format!("building the baseline at `{rev}`"));
    let mut spec_options = options.clone();
    spec_options.output = None;
    // The baseline builds into its own target dir so the user's binaries stay as they are.
    let program = build::build_in(
        cx,
        &base_workspace,
        &root,
        &spec_options,
        Some(
            &crate::tool_output::root(&workspace.target_dir)
                .join(crate::tool_output::PROFILE_BASELINE_TARGET),
        ),
    )?;
    let base_dir = dir.join("baseline");
    std::fs::create_dir_all(&base_dir).map_err(|err| io_error(&base_dir, err))?;
    let profile = record_and_fold(cx, &spec_options, perf, program, &base_dir)?;
    write_folded(&profile.folded, &base_dir)?;
    drop(tree);
    Ok(profile.folded)
}

/// The baseline's summary at the level this run's summary counts (per
/// compiled function), or, for a baseline without `functions.folded` (saved
/// before it existed, or a folded file named alone), both sides' summaries
/// of the stacks as folded.
fn same_level(before: &Folded, now: &Folded) -> (Summary, Option<Summary>) {
    let summary = |folded: &[u8]| Summary::from_folded(&String::from_utf8_lossy(folded));
    match (&before.functions, &now.functions) {
        (None, Some(_)) => (summary(&before.stacks), Some(summary(&now.stacks))),
        _ => (summary(before.functions()), None),
    }
}

/// Writes `stacks.folded` (and `functions.folded` when there is one) into
/// `dir`; returns the paths written.
fn write_folded(folded: &Folded, dir: &Path) -> Result<Vec<PathBuf>, TaskError> {
    let mut written = vec![dir.join(FOLDED)];
    write(&written[0], &folded.stacks)?;
    if let Some(functions) = &folded.functions {
        written.push(dir.join(FUNCTIONS_FOLDED));
        write(&written[1], functions)?;
    }
    Ok(written)
}

/// Who named the output directory, as messages name it.
fn output_what(options: &Resolved) -> &'static str {
    match options.output_origin {
        Origin::User => "--output",
        Origin::Policy => "`[profile] output-dir`",
    }
}

/// Where each run gets its own directory when no output dir is named.
fn default_output_parent(workspace: &cargo_perf_engine::Workspace) -> PathBuf {
    crate::tool_output::profile_runs(&workspace.target_dir)
}

/// Removes the oldest runs beside `current` (just created) beyond
/// `[profile] keep`, counting `current`. A run that cannot be removed stays,
/// with a warning: a profile is never failed for it.
fn prune_runs(cx: &mut TaskContext<'_>, current: &Path) {
    let keep = cx.policy().profile.keep as usize;
    let Some(parent) = current.parent() else {
        return;
    };
    let runs = crate::tool_output::list_runs(parent);
    let old = runs.len().saturating_sub(keep);
    let mut removed = 0;
    for run in runs.iter().take(old).filter(|run| *run != current) {
        match std::fs::remove_dir_all(run) {
            Ok(()) => removed += 1,
            Err(err) => cx.finding(
                Finding::warning(
                    ProfileCode::RunNotPruned,
                    format!("cannot remove the old profile run {}: {err}", run.display()),
                )
                .help("remove it by hand, or run `cargo perf clean`"),
            ),
        }
    }
    if removed > 0 {
        cx.finding(Finding::info(
            ProfileCode::RunsPruned,
            format!(
                "removed {removed} old profile run(s) from {}, as `[profile] keep = {keep}` says",
                shown(cx, parent)
            ),
        ));
    }
}

/// `<target>/cargo-perf/profile/<n>`, or `--output`; a fresh directory per run.
fn output_dir(cx: &TaskContext<'_>, options: &Resolved) -> Result<PathBuf, TaskError> {
    let workspace = cx.workspace();
    if let Some(dir) = &options.output {
        let dir = workspace.root.join(dir);
        check_output_dir(
            cx.project,
            &dir,
            options.output_origin,
            output_what(options),
        )?;
        std::fs::create_dir_all(&dir).map_err(|err| io_error(&dir, err))?;
        return Ok(dir);
    }
    let parent = default_output_parent(workspace);
    std::fs::create_dir_all(&parent).map_err(|err| io_error(&parent, err))?;
    let stamp = manifest::now();
    for n in 0..1000 {
        let name = if n == 0 {
            format!("{stamp}")
        } else {
            format!("{stamp}-{n}")
        };
        let dir = parent.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(io_error(&dir, err)),
        }
    }
    Err(TaskError::new(format!(
        "cannot create a new directory under {}",
        parent.display()
    )))
}

fn style(options: &Resolved, program: &build::Program, summary: &Summary) -> Style {
    let name = program
        .executable
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let unit = if options.memory {
        "bytes"
    } else if options.callgrind {
        "instructions"
    } else {
        "samples"
    };
    Style {
        title: options
            .title
            .clone()
            .unwrap_or_else(|| match options.memory {
                true => format!("{name} heap at its peak"),
                false => format!("{name} flamegraph"),
            }),
        subtitle: Some(if options.memory {
            format!(
                "{} live at the heap's peak, by allocation stack (DHAT)",
                memory::bytes(summary.total)
            )
        } else if options.callgrind {
            format!("{} instructions (callgrind)", summary.total)
        } else {
            format!("{} samples at {} Hz", summary.total, options.frequency)
        }),
        reverse: options.reverse,
        flamechart: options.flamechart,
        min_width: options.min_width,
        count_name: unit.to_owned(),
    }
}

fn report_program_exit(cx: &mut TaskContext<'_>, recording: &Recording, program: &build::Program) {
    if recording.stopped_by_duration {
        cx.finding(Finding::info(
            ProfileCode::DurationCap,
            "the program was stopped by --duration; the profile covers the run until then",
        ));
    } else if !recording.finished.status.success() {
        cx.finding(
            Finding::warning(
                ProfileCode::ProgramFailed,
                format!(
                    "the profiled program {}; the flamegraph shows what ran until then",
                    recording.outcome
                ),
            )
            .help(format!(
                "its output is above (on stderr); run `{}` to try it without the profiler",
                cargo_perf_engine::process::CommandSpec::new(&program.executable)
                    .args(&program.args)
                    .display()
            )),
        );
    }
}

/// A stripped program's frames are bare addresses: say so, with the fix.
fn report_symbols(cx: &mut TaskContext<'_>, profile: &Profile) {
    let share = match &profile.heap {
        Some(heap) => heap.unnamed_share,
        None => summary::unnamed_share(&String::from_utf8_lossy(&profile.folded.stacks)),
    };
    if share > UNNAMED_ADVICE_SHARE {
        cx.finding(
            Finding::warning(
                ProfileCode::NoSymbols,
                format!(
                    "{:.0}% of the profile is in frames without a name: `{}` looks stripped",
                    share * 100.0,
                    profile.program.executable.display()
                ),
            )
            .help("build it with debug info and without stripping (`[profile.release] debug = \"line-tables-only\"`, `strip = false`), or profile the target through cargo (`--bin NAME`), which does both"),
        );
    }
}

fn report_summary(cx: &mut TaskContext<'_>, summary: &Summary, options: &Resolved) {
    let callgrind = options.callgrind;
    if !options.memory {
        let unit = if callgrind {
            Unit::Instructions
        } else {
            Unit::Count
        };
        cx.metric(Metric::new(
            metric_name(if callgrind { "instructions" } else { "samples" }),
            summary.total as f64,
            unit,
        ));
    }
    for (name, share) in summary.top_self(TOP) {
        cx.metric(Metric::new(
            metric_name("self").seg(short(&name)),
            manifest::round(share),
            Unit::Percent,
        ));
    }
    for (name, share) in summary.top_inclusive(TOP) {
        cx.metric(Metric::new(
            metric_name("inclusive").seg(short(&name)),
            manifest::round(share),
            Unit::Percent,
        ));
    }
    if callgrind || options.memory {
        // Valgrind's stacks are rebuilt from its call graph: there is no unwinding to judge.
        return;
    }
    let unknown = summary.share(summary.unknown);
    let truncated = summary.share(summary.truncated);
    cx.metric(Metric::new(
        metric_name("unwind").seg("unknown-frames"),
        manifest::round(unknown),
        Unit::Percent,
    ));
    cx.metric(Metric::new(
        metric_name("unwind").seg("truncated-stacks"),
        manifest::round(truncated),
        Unit::Percent,
    ));
    if unknown > UNWIND_ADVICE_PERCENT {
        cx.finding(
            Finding::warning(
                ProfileCode::UnknownFrames,
                format!("{unknown:.1}% of samples have [unknown] frames"),
            )
            .help("frames without symbols: build with debug info (the default here), avoid `strip`, and for system libraries install their debug symbols; `--call-graph fp` helps when the code has frame pointers"),
        );
    }
    if truncated > UNWIND_ADVICE_PERCENT {
        cx.finding(
            Finding::warning(
                ProfileCode::TruncatedStacks,
                format!("{truncated:.1}% of samples have stacks that stop short of main"),
            )
            .help(format!(
                "deep stacks overflow the {} KiB dwarf stack copy; try `--call-graph fp` (builds with frame pointers), or profile a shorter call chain",
                record::DWARF_STACK_SIZE / 1024
            )),
        );
    }
}

fn open(cx: &mut TaskContext<'_>, svg: &Path) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(svg)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(err) = spawned {
        cx.finding(
            Finding::warning(
                ProfileCode::OpenFailed,
                format!("cannot run `{opener}`: {err}"),
            )
            .help(format!("open {} in a browser", svg.display())),
        );
    }
}

/// `profile.<segment>`.
fn metric_name(segment: &str) -> MetricName {
    MetricName::task("profile").seg(segment)
}

/// A function name cut to fit a terminal line (the manifest keeps it whole).
fn short(name: &str) -> String {
    const MAX: usize = 72;
    if name.chars().count() <= MAX {
        name.to_owned()
    } else {
        let cut: String = name.chars().take(MAX - 1).collect();
        format!("{cut}…")
    }
}

fn shown(cx: &TaskContext<'_>, path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .or_else(|_| path.strip_prefix(&cx.workspace().root))
        .unwrap_or(path)
        .display()
        .to_string()
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), TaskError> {
    write_atomic(path, bytes).map_err(|err| io_error(path, err))
}

fn io_error(path: &Path, err: std::io::Error) -> TaskError {
    TaskError::new(format!("cannot write {}: {err}", path.display()))
        .hint("check that the target directory is writable")
}
