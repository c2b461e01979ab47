//! The `gitignore` task: checks the repository against the policy's ignore
//! rules (required ignores, tracked files that should be ignored, large
//! tracked files) and, when asked, fixes what is safe to fix. Each check lives
//! in its own module; this one runs them, concurrently where they are
//! independent, and turns their answers into findings.

pub(crate) mod codes;
mod fix;
mod git;
mod index;
mod large;
mod layout;
mod prefilter;
mod required;
mod seed;
mod tracked;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use cargo_perf_engine::git::GitRepo;
use cargo_perf_engine::process::shell_quote_path;
use cargo_perf_engine::{
    ChangeScope, Finding, FindingCode, Metric, MetricName, Project, Task, TaskContext, TaskError,
    Unit, Written,
};
use cargo_perf_policy::{ByteSize, Gitignore};

use codes::GitignoreCode;
use layout::Layout;
use required::{Requirement, Status};
use tracked::TrackedIgnored;

pub use seed::{AddedIgnores, add_required_ignores};

/// How the task runs, from `cargo perf gitignore`'s flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GitignoreOptions {
    /// Append missing required patterns to the root `.gitignore`.
    pub fix: bool,
    /// `git rm --cached` tracked files that an ignore rule matches.
    pub untrack: bool,
    /// Pre-commit mode: check only staged changes (and the staged sizes).
    pub staged: bool,
}

/// The flags over `[gitignore]`: everything one run reads.
struct Settings<'p> {
    fix: bool,
    untrack: bool,
    staged: bool,
    policy: &'p Gitignore,
}

impl GitignoreOptions {
    /// No flag overrides a `[gitignore]` key today; the step exists so one
    /// that does has its one place, as in every task.
    fn resolve<'p>(&self, policy: &'p Gitignore) -> Settings<'p> {
        Settings {
            fix: self.fix,
            untrack: self.untrack,
            staged: self.staged,
            policy,
        }
    }
}

pub struct GitignoreTask {
    options: GitignoreOptions,
}

impl GitignoreTask {
    pub fn new(options: GitignoreOptions) -> Self {
        Self { options }
    }
}

impl Task for GitignoreTask {
    fn name(&self) -> &str {
        "gitignore"
    }

    fn description(&self) -> &str {
        "git ignores what it must, and tracks no ignored or oversized files"
    }

    /// A change scope narrows which tracked files are checked (in `run`),
    /// never the whole task: the required ignores hold for every change.
    fn unaffected(&self, _: &ChangeScope, _: &Project) -> Option<String> {
        None
    }

    fn run(&self, cx: &mut TaskContext<'_>) -> Result<(), TaskError> {
        let project = cx.project;
        let settings = self.options.resolve(&project.policy.gitignore);
        let Some(repo) = project.git()? else {
            not_a_repository(cx);
            return Ok(());
        };
        let layout = Layout::new(&repo.toplevel, &project.workspace.root);
        let scoped = project
            .scope
            .as_ref()
            .map(|scope| layout.scoped_files(scope).into_iter().collect());
        cx.step("listing tracked files and probing required ignores");
        let staged = if settings.staged {
            Some(large::staged_paths(&layout.ws_root)?.into_iter().collect())
        } else {
            None
        };
        let filter = Filter { scoped, staged };
        let writes = cx.declared_writes();
        let survey = survey(project, &settings, &writes, repo, &layout, &filter)?;

        let mut statuses = survey.statuses;
        if settings.fix {
            statuses = self.fix(cx, &layout, &survey.requirements, statuses)?;
        }
        let missing = report_requirements(cx, &layout, &survey.requirements, &statuses);
        let still_ignored = self.report_tracked(cx, &layout, survey.ignored, settings.untrack)?;
        let policy = settings.policy;
        report_large(
            cx,
            &survey.large,
            policy.max_file_size,
            filter.staged.is_some(),
        );
        report_counts(
            cx,
            &filter,
            Counts {
                checked: survey.checked,
                required: survey.requirements.len(),
                missing,
                still_ignored,
                large: survey.large.len(),
            },
        );
        Ok(())
    }
}

/// Which tracked files a run checks: all of them, or those of the change
/// scope, or the staged ones (pre-commit), or both.
struct Filter {
    scoped: Option<HashSet<PathBuf>>,
    staged: Option<HashSet<PathBuf>>,
}

impl Filter {
    fn keeps(&self, path: &Path) -> bool {
        self.scoped.as_ref().is_none_or(|s| s.contains(path))
            && self.staged.as_ref().is_none_or(|s| s.contains(path))
    }

    fn is_active(&self) -> bool {
        self.scoped.is_some() || self.staged.is_some()
    }
}

/// What the checks found, before anything is fixed.
struct Survey {
    requirements: Vec<Requirement>,
    statuses: Vec<Status>,
    /// How many tracked files were checked (after the filter).
    checked: usize,
    ignored: Vec<TrackedIgnored>,
    large: Vec<large::LargeFile>,
}

/// Lists the tracked files and runs the checks that only read, each git
/// call overlapping the `lstat`s: ignored tracked files and the probe of
/// what must be ignored (on threads of their own), and large files. The index is read in process when [`index`] can; git lists it
/// otherwise.
fn survey(
    project: &Project,
    settings: &Settings<'_>,
    writes: &[Written],
    repo: &GitRepo,
    layout: &Layout,
    filter: &Filter,
) -> Result<Survey, cargo_perf_engine::git::GitError> {
    let policy = settings.policy;
    let ws_root = layout.ws_root.as_path();
    let limit = policy.max_file_size.0;
    let keep = |path: &Path| filter.keeps(path);
    let keep = filter
        .is_active()
        .then_some(&keep as &(dyn Fn(&Path) -> bool + Sync));
    let listing = index::read(&repo.git_dir, &layout.ws_prefix)
        .ok()
        .filter(|listing| !listing.skip_worktree_gitignore);
    std::thread::scope(|scope| {
        let ignored = scope.spawn(|| match &listing {
            Some(listing) => tracked::find_in(layout, repo, listing, keep),
            None => tracked::find(ws_root, keep),
        });
        let listed;
        let (tracked, all_cores) = match &listing {
            Some(listing) => (listing.ws_paths(), true),
            None => {
                listed = git::run(ws_root, &["ls-files", "-z", "--cached"], None, &[0])?;
                (git::nul_path_refs(&listed), false)
            }
        };
        let requirements =
            required::requirements(layout, &project.workspace, policy, writes, &tracked);
        let probed = scope.spawn(move || {
            required::evaluate(layout, &requirements).map(|statuses| (requirements, statuses))
        });
        let filtered: Vec<&Path>;
        let checked = match keep {
            Some(keep) => {
                filtered = tracked.iter().copied().filter(|p| keep(p)).collect();
                &filtered
            }
            None => &tracked,
        };
        let large = if filter.staged.is_some() {
            large::over_limit_staged(ws_root, checked, limit)?
        } else {
            large::over_limit_on_disk(ws_root, checked, limit, all_cores)
        };
        let large: Vec<_> = large
            .into_iter()
            .filter(|f| !large::allowed(&f.path, &policy.allow_large))
            .collect();
        let has_attributes =
            !large.is_empty() && attributes_exist(layout, &repo.common_dir, &tracked);
        let large = large::without_lfs(ws_root, large, has_attributes)?;
        let (requirements, statuses) = probed
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let ignored = ignored
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        Ok(Survey {
            requirements,
            statuses,
            checked: checked.len(),
            ignored,
            large,
        })
    })
}

fn not_a_repository(cx: &mut TaskContext<'_>) {
    let root = cx.workspace().root.display().to_string();
    cx.finding(
        Finding::warning(
            GitignoreCode::NotARepository,
            format!("{root} is not in a git repository, so there is nothing to check"),
        )
        .help("run `git init` at the project's root, then `cargo perf gitignore --fix`"),
    );
    cx.summary("not a git repository: nothing checked");
}

/// The numbers of a run, after any fix.
struct Counts {
    checked: usize,
    required: usize,
    missing: usize,
    still_ignored: usize,
    large: usize,
}

fn report_counts(cx: &mut TaskContext<'_>, filter: &Filter, counts: Counts) {
    let Counts {
        checked,
        required,
        missing,
        still_ignored,
        large,
    } = counts;
    let name = |segment| MetricName::task("gitignore").seg(segment);
    cx.metric(Metric::new(
        name("tracked-files"),
        checked as f64,
        Unit::Count,
    ));
    cx.metric(Metric::new(
        name("missing-ignores"),
        missing as f64,
        Unit::Count,
    ));
    cx.metric(Metric::new(
        name("tracked-ignored"),
        still_ignored as f64,
        Unit::Count,
    ));
    cx.metric(Metric::new(name("large-files"), large as f64, Unit::Count));
    let what = match (filter.staged.is_some(), filter.scoped.is_some()) {
        (true, _) => "staged files",
        (false, true) => "changed files",
        (false, false) => "tracked files",
    };
    cx.summary(format!(
        "{checked} {what}, {} of {required} required ignores in place, {still_ignored} ignored and {large} large files tracked",
        required - missing,
    ));
}

impl GitignoreTask {
    /// Appends what is missing (or ignored only locally) and probes again.
    fn fix(
        &self,
        cx: &mut TaskContext<'_>,
        layout: &Layout,
        requirements: &[Requirement],
        statuses: Vec<Status>,
    ) -> Result<Vec<Status>, TaskError> {
        let patterns = required::to_add(requirements, &statuses);
        if patterns.is_empty() {
            return Ok(statuses);
        }
        cx.step("writing .gitignore");
        let gitignore = layout.root_gitignore();
        let added = fix::append(&gitignore, &patterns, fix::HEADER)?;
        let shown = layout.shown(Path::new(".gitignore"));
        for (pattern, line) in &added.lines {
            cx.finding(
                Finding::info(
                    GitignoreCode::Added,
                    format!("added `{pattern}` to .gitignore"),
                )
                .file(&shown)
                .line(*line),
            );
        }
        Ok(required::evaluate(layout, requirements)?)
    }

    /// Reports (or, with `--untrack`, untracks) tracked files that are ignored;
    /// returns how many are still tracked.
    fn report_tracked(
        &self,
        cx: &mut TaskContext<'_>,
        layout: &Layout,
        ignored: Vec<TrackedIgnored>,
        untrack: bool,
    ) -> Result<usize, TaskError> {
        if untrack && !ignored.is_empty() {
            cx.step("untracking ignored files");
            let paths: Vec<PathBuf> = ignored
                .iter()
                .map(|t| layout.in_workspace(&t.path))
                .collect();
            match tracked::untrack(&layout.toplevel, &paths) {
                Ok(()) => {
                    for file in &ignored {
                        cx.finding(
                            Finding::info(
                                GitignoreCode::Untracked,
                                format!(
                                    "untracked {} (the file stays on disk; commit to record the removal)",
                                    file.path.display()
                                ),
                            )
                            .file(&file.path),
                        );
                    }
                    return Ok(0);
                }
                Err(err) => cx.finding(
                    Finding::error(GitignoreCode::UntrackFailed, format!("nothing was untracked: {err}"))
                        .help("fix what git reports (e.g. commit or unstage the files' changes), then run `cargo perf gitignore --untrack` again"),
                ),
            }
        }
        for file in &ignored {
            let path = file.path.display();
            let (why, fix) = match &file.rule {
                Some(rule) => (
                    format!(
                        " by `{}` ({}:{})",
                        rule.pattern,
                        layout.shown(&rule.source).display(),
                        rule.line
                    ),
                    format!(
                        " or remove the pattern `{}` if the file belongs in git",
                        rule.pattern
                    ),
                ),
                None => (String::new(), String::new()),
            };
            cx.finding(
                Finding::error(GitignoreCode::TrackedIgnored, format!("{path} is tracked but ignored{why}"))
                    .file(&file.path)
                    .help(format!(
                        "stop tracking it and keep the file with `git rm --cached -- {}` (or `cargo perf gitignore --untrack`){fix}",
                        shell_quote_path(&file.path)
                    )),
            );
        }
        Ok(ignored.len())
    }
}

/// Findings for required ignores; returns how many are missing.
fn report_requirements(
    cx: &mut TaskContext<'_>,
    layout: &Layout,
    requirements: &[Requirement],
    statuses: &[Status],
) -> usize {
    let gitignore = layout.shown(Path::new(".gitignore"));
    let mut missing = 0;
    for (requirement, status) in requirements.iter().zip(statuses) {
        let pattern = &requirement.pattern;
        match status {
            Status::Ignored => {}
            Status::NotShared(rule) => cx.finding(
                Finding::warning(
                    GitignoreCode::NotShared,
                    format!(
                        "{} ({}) is ignored only by `{}` in {}, which is not committed, so other clones will track it",
                        pattern, requirement.what, rule.pattern, rule.source.display()
                    ),
                )
                .file(&gitignore)
                .help(format!("add the line `{pattern}` to .gitignore, or run `cargo perf gitignore --fix`")),
            ),
            Status::Missing { probe, rule } => {
                missing += 1;
                let path = required::probed_path(layout, probe);
                let mut finding = match rule {
                    Some(rule) => Finding::error(
                        GitignoreCode::MissingIgnore,
                        format!(
                            "{path} ({}) is not ignored: `{}` re-includes it",
                            requirement.what,
                            rule.pattern
                        ),
                    )
                    .file(layout.shown(&rule.source))
                    .line(rule.line)
                    .help(format!(
                        "remove `{}`, or add `{pattern}` after it",
                        rule.pattern
                    )),
                    None => Finding::error(
                        GitignoreCode::MissingIgnore,
                        format!("{path} ({}) is not ignored by git", requirement.what),
                    )
                    .file(&gitignore)
                    .help(format!(
                        "add the line `{pattern}` to .gitignore, or run `cargo perf gitignore --fix`"
                    )),
                };
                if rule.is_none() && !layout.ws_prefix.as_os_str().is_empty() {
                    finding = finding.help(format!(
                        "add the line `{pattern}` to the repository's root .gitignore ({}), or run `cargo perf gitignore --fix`",
                        gitignore.display()
                    ));
                }
                if !requirement.enforced {
                    finding = not_there_yet(finding);
                }
                cx.finding(finding);
            }
        }
    }
    missing
}

/// A missing ignore for a path nothing has created yet: nothing can be
/// committed by mistake, so it warns; it is an error once the path exists,
/// and a push is checked after that.
fn not_there_yet(mut finding: Finding) -> Finding {
    finding.severity = cargo_perf_engine::Severity::Warning;
    finding.code = GitignoreCode::MissingIgnoreAbsent.code();
    finding.message.push_str(
        "; nothing is there yet, so this warns until something creates it, then it is an error",
    );
    finding
}

fn report_large(
    cx: &mut TaskContext<'_>,
    large: &[large::LargeFile],
    limit: ByteSize,
    staged: bool,
) {
    let mut large: Vec<_> = large.iter().collect();
    large.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
    for file in large {
        let what = if staged {
            format!("the staged version of {}", file.path.display())
        } else {
            format!("tracked file {}", file.path.display())
        };
        cx.finding(
            Finding::error(
                GitignoreCode::LargeFile,
                format!("{what} is {}, over the {limit} limit", ByteSize(file.size)),
            )
            .file(&file.path)
            .help(format!(
                "keep it out of git (`git rm --cached -- {}` and ignore it), store it with Git LFS (`git lfs track`), or allow it in perf.toml: `[gitignore] allow-large = [\"{}\"]`",
                shell_quote_path(&file.path),
                file.path.display()
            )),
        );
    }
}

/// Whether any gitattributes file could apply to the workspace's files: a
/// tracked one below the workspace root, one in a directory above it up to
/// the top level, or the repository's `info/attributes`.
fn attributes_exist(layout: &Layout, common_dir: &Path, tracked: &[&Path]) -> bool {
    const NAME: &str = ".gitattributes";
    tracked
        .iter()
        .any(|p| p.file_name().is_some_and(|n| n == NAME))
        || layout
            .ws_root
            .ancestors()
            .take_while(|dir| dir.starts_with(&layout.toplevel))
            .any(|dir| dir.join(NAME).exists())
        || common_dir.join("info/attributes").exists()
}
