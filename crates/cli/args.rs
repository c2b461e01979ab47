//! The command line, declared with clap. Every subcommand's `--help` ends with examples.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "cargo-perf",
    bin_name = "cargo perf",
    version,
    about = "One performance policy (perf.toml), one check before every push",
    after_help = "Examples:\n  cargo perf check            run the `check` pipeline of perf.toml\n  cargo perf run clippy test  run named tasks or pipelines\n  cargo perf list             show every task and pipeline\n  cargo perf init             write a perf.toml tuned to this workspace\n\nExit codes: 0 passed, 1 a check failed, 2 usage/configuration/environment error, 130 interrupted."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Path to the workspace's Cargo.toml (default: search from the current directory)
    #[arg(long, global = true, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Policy file to use instead of the workspace's perf.toml (or .config/perf.toml) [env: CARGO_PERF_CONFIG]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format of the report [default: human] [env: CARGO_PERF_FORMAT]
    #[arg(long, global = true, value_enum, alias = "message-format")]
    pub format: Option<OutputFormat>,
    /// When to use colors [default: auto; honours CARGO_TERM_COLOR and NO_COLOR]
    #[arg(long, global = true, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
    /// Print nothing but problems
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Show every line of every command's output, and each task's steps
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// `CARGO_PERF_JOBS`, for the subcommands whose `--jobs` is not given.
    #[arg(skip)]
    pub env_jobs: Option<u16>,
}

impl GlobalArgs {
    pub fn format(&self) -> OutputFormat {
        self.format.unwrap_or(OutputFormat::Human)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
    /// GitHub Actions annotations, and the Markdown summary in $GITHUB_STEP_SUMMARY
    Github,
    /// A Markdown summary, e.g. for a pull-request comment
    Markdown,
    /// SARIF 2.1.0, for GitHub code scanning (run reports; other commands print their human text)
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the `check` pipeline: what to run before every push
    #[command(
        after_help = "Examples:\n  cargo perf check\n  cargo perf check --fail-fast --jobs 1\n  cargo perf check --format json > report.json\n  cargo perf check --changed origin/main --format github   # in CI\n  cargo perf check --changed          # what changed since the upstream branch"
    )]
    Check(CheckArgs),
    /// Run tasks or pipelines by name
    #[command(
        after_help = "Examples:\n  cargo perf run clippy\n  cargo perf run fmt test --fail-fast\n  cargo perf run nightly"
    )]
    Run {
        /// Task or pipeline names (see `cargo perf list`)
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
        #[command(flatten)]
        exec: ExecArgs,
        #[command(flatten)]
        cargo: CargoArgs,
    },
    /// List every task and pipeline
    #[command(after_help = "Examples:\n  cargo perf list\n  cargo perf list --format json")]
    List,
    /// Write a commented perf.toml tuned to this workspace
    #[command(
        after_help = "Examples:\n  cargo perf init\n  cargo perf init --force   # replace an existing perf.toml"
    )]
    Init {
        /// Replace an existing perf.toml
        #[arg(long)]
        force: bool,
    },
    /// Install, remove or show the git hooks that run `cargo perf check`
    #[command(
        after_help = "Examples:\n  cargo perf hook install                 # pre-push\n  cargo perf hook install --pre-commit\n  cargo perf hook status\n  cargo perf hook uninstall\n\nSkip a hook once: CARGO_PERF_SKIP=1 git push"
    )]
    Hook {
        #[command(subcommand)]
        action: HookAction,
    },
    /// Check incremental build health: no-op freshness, build scripts, edit-rebuild time
    #[command(
        after_help = "Examples:\n  cargo perf build                   no-op check, audit, edit-rebuild time of each member\n  cargo perf build -p core -p cli    time edits of these members only\n  cargo perf build --no-incremental  only the no-op freshness check and the audit\n  cargo perf build --clean           also time a clean build (in target/cargo-perf/clean-build)\n  cargo perf build --targets all     also build the benches (default: what cargo build and cargo test build)"
    )]
    Build {
        /// Also time a clean build, in a separate target dir (yours is never wiped)
        #[arg(long)]
        clean: bool,
        /// Skip the edit-rebuild timings: only check no-op freshness and audit build scripts
        #[arg(long)]
        no_incremental: bool,
        /// Kinds of targets to build, comma separated: lib, bins, tests, benches, examples, or all [default: `[build] targets`, or lib,bins,tests,examples]
        #[arg(long, value_name = "KINDS", value_delimiter = ',', value_parser = parse_targets)]
        targets: Vec<TargetsArg>,
        #[command(flatten)]
        cargo: CargoArgs,
    },
    /// Run the benchmarks, record them in the history and compare with a baseline
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  cargo perf bench                        compare with the previous run on this branch\n  cargo perf bench --save-baseline main   also store this run as baseline `main`\n  cargo perf bench --baseline main        compare with baseline `main`\n  cargo perf bench startup                only benchmarks whose name contains `startup`\n  cargo perf bench --bench parse -p core  one cargo bench target\n  cargo perf bench --instructions         instruction counts under callgrind\n  cargo perf bench --memory               heap peak, bytes and allocations under DHAT\n  cargo perf bench --baseline-rev main    measure `main` and your tree interleaved\n  cargo perf bench history                list past runs\n  cargo perf bench history startup        one benchmark's series"
    )]
    Bench {
        #[command(subcommand)]
        action: Option<BenchAction>,
        /// Only benchmarks whose name contains this
        #[arg(value_name = "FILTER")]
        filter: Option<String>,
        /// Store this run as the named baseline (replacing an older one of that name)
        #[arg(long, value_name = "NAME")]
        save_baseline: Option<String>,
        /// Compare with the named baseline [default: the previous run on this branch]
        #[arg(long, value_name = "NAME")]
        baseline: Option<String>,
        /// Build and measure this git revision in a temporary worktree, interleaved with yours
        #[arg(long, value_name = "REV", conflicts_with = "baseline")]
        baseline_rev: Option<String>,
        /// Run only this cargo bench target (repeatable) [default: `[bench] targets`, or all]
        #[arg(long = "bench", value_name = "TARGET")]
        bench: Vec<String>,
        /// Count instructions under valgrind's callgrind instead of timing (command benchmarks)
        #[arg(long)]
        instructions: bool,
        /// Measure the heap under valgrind's DHAT instead of timing: peak, bytes and allocations (command benchmarks)
        #[arg(long, conflicts_with = "instructions")]
        memory: bool,
        #[command(flatten)]
        cargo: CargoArgs,
    },
    /// Check that git ignores what it must and tracks no ignored or oversized files
    #[command(
        after_help = "Examples:\n  cargo perf gitignore                  report missing ignores, tracked ignored files, large files\n  cargo perf gitignore --fix            append the missing patterns to the root .gitignore\n  cargo perf gitignore --untrack        stop tracking ignored files (they stay on disk)\n  cargo perf gitignore --staged         pre-commit: check only what is staged\n\nSettings: [gitignore] require, max-file-size, allow-large in perf.toml."
    )]
    Gitignore(GitignoreArgs),
    /// Find performance anti-patterns in the source: own syntax rules and clippy's perf lints
    #[command(
        after_help = "Examples:\n  cargo perf lint                     own rules and clippy's perf lints\n  cargo perf lint --no-clippy         only the own rules (fast: no build)\n  cargo perf lint --list              every rule, its default level and an example\n  cargo perf lint --format sarif > perf.sarif   for GitHub code scanning\n\nSettings: [lint] exclude, clippy, clippy-lints and [lint.rules] in perf.toml.\nAllow inline with `// cargo-perf: allow(lint-clone-in-loop)` on the line before."
    )]
    Lint {
        /// List every rule with its default level and an example, and run nothing
        #[arg(long)]
        list: bool,
        /// Run only the own rules, not `cargo clippy`
        #[arg(long)]
        no_clippy: bool,
        #[command(flatten)]
        cargo: CargoArgs,
    },
    /// Record a CPU or heap profile and draw a flamegraph (perf, callgrind or DHAT)
    #[command(
        after_help = "Examples:\n  cargo perf profile --bin app -- --input big.txt\n  cargo perf profile --bench parse --freq 4999 --duration 20s\n  cargo perf profile --unit-test tokenizer::tests::long_input\n  cargo perf profile --bin app --diff main          # differential flamegraph against main\n  cargo perf profile --bin app --diff target/cargo-perf/profile/1763900000\n  cargo perf profile --bin app --callgrind          # deterministic instruction counts\n  cargo perf profile --bin app --memory             # heap: peak, allocations, top sites\n  cargo perf profile --cmd -- ./target/release/app serve\n\nOutputs go to <target dir>/cargo-perf/profile/<run>/ (or --output): flamegraph.svg, stacks.folded, manifest.json, perf.data."
    )]
    Profile(Box<ProfileArgs>),
    /// Remove stale build units and extra files as [clean] in perf.toml says
    #[command(
        after_help = "Examples:\n  cargo perf clean --dry-run          list what would go, with sizes and reasons\n  cargo perf clean                    remove it\n  cargo perf clean --wait             wait for a running build instead of skipping its profile\n  cargo perf clean --dry-run --format json\n\nRules live in perf.toml, e.g.:\n  [clean]\n  max-age = \"30d\"\n  toolchains = \"installed\"\n  max-size = \"10 GiB\""
    )]
    Clean {
        /// List what would be removed (each unit or path, its size and reason); remove nothing
        #[arg(long, short = 'n')]
        dry_run: bool,
        /// Wait for cargo's build lock on a profile dir instead of skipping it
        #[arg(long)]
        wait: bool,
    },
    /// Write one HTML page (or Markdown) of what the tasks recorded: trends, profiles, build health, disk, findings
    #[command(
        after_help = "Examples:\n  cargo perf report                     <target>/cargo-perf/report/report.html\n  cargo perf report --open\n  cargo perf report --output perf.html\n  cargo perf report --format markdown   report.md and its charts beside it\n  cargo perf report --format github     the same, and the summary in $GITHUB_STEP_SUMMARY"
    )]
    Report {
        /// The file to write (default: report.html or report.md under <target>/cargo-perf/report/)
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Open the page in the browser once written
        #[arg(long)]
        open: bool,
    },
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  cargo perf completions bash > ~/.local/share/bash-completion/completions/cargo-perf\n  cargo perf completions zsh > ~/.zfunc/_cargo-perf\n  cargo perf completions fish > ~/.config/fish/completions/cargo-perf.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Cargo's own flags, the same on every subcommand that runs cargo, passed on
/// to every cargo command the tasks run (`cargo metadata` included).
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Cargo options")]
pub struct CargoArgs {
    /// Package to work on: `name` or `name@version` (repeatable) [default: `[build] members`, `[profile] package`, or every member]
    #[arg(short, long = "package", value_name = "SPEC")]
    pub package: Vec<String>,
    /// Every member of the workspace (the default without `-p`)
    #[arg(long, conflicts_with = "package")]
    pub workspace: bool,
    /// Leave out this member (repeatable)
    #[arg(long, value_name = "SPEC")]
    pub exclude: Vec<String>,
    /// Features to enable, comma or space separated [default: the task's `features` in perf.toml]
    #[arg(short = 'F', long, value_name = "FEATURES")]
    pub features: Vec<String>,
    /// Enable every feature of the selected packages
    #[arg(long)]
    pub all_features: bool,
    /// Do not enable the `default` feature
    #[arg(long)]
    pub no_default_features: bool,
    /// Build for this target triple [default: `[build] target`, or the host]
    #[arg(long, value_name = "TRIPLE")]
    pub target: Option<String>,
    /// Build with the release profile (`--profile release`)
    #[arg(short, long, conflicts_with = "profile")]
    pub release: bool,
    /// Build with this cargo profile [default: the task's `profile` in perf.toml]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Directory for all generated artifacts [default: cargo's]
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    /// Require Cargo.lock to be up to date
    #[arg(long)]
    pub locked: bool,
    /// Run without accessing the network
    #[arg(long)]
    pub offline: bool,
    /// Both --locked and --offline
    #[arg(long)]
    pub frozen: bool,
}

/// How a plan runs; these override `[settings]` in perf.toml.
#[derive(Debug, Args, Default)]
pub struct ExecArgs {
    /// How many tasks may run at once [default: one per CPU] [env: CARGO_PERF_JOBS]
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Start no new task after the first failure
    #[arg(long, overrides_with = "no_fail_fast")]
    pub fail_fast: bool,
    /// Run every task whose dependencies passed, even after a failure (the default)
    #[arg(long, overrides_with = "fail_fast")]
    pub no_fail_fast: bool,
}

/// `cargo perf check`: the plan flags, and what to limit the check to.
#[derive(Debug, Args, Default)]
pub struct CheckArgs {
    #[command(flatten)]
    pub exec: ExecArgs,
    #[command(flatten)]
    pub cargo: CargoArgs,
    /// Check only what changed since BASE (default: the merge-base with the upstream branch)
    #[arg(long, value_name = "BASE", num_args = 0..=1, conflicts_with = "hook")]
    pub changed: Option<Option<String>>,
    /// Run as the installed git hook: the pipeline of `[hooks]`, scoped to what git hands the hook
    #[arg(long, value_enum, value_name = "HOOK")]
    pub hook: Option<HookName>,
    /// git's arguments to the hook (remote name and URL for pre-push)
    #[arg(last = true, hide = true, requires = "hook")]
    pub hook_args: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HookName {
    PrePush,
    PreCommit,
}

#[derive(Debug, Subcommand)]
pub enum BenchAction {
    /// List past runs, or show one run (a number) or one benchmark's series (a name)
    #[command(
        after_help = "Examples:\n  cargo perf bench history\n  cargo perf bench history 12\n  cargo perf bench history startup"
    )]
    History {
        /// A run number or a benchmark name
        id: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum HookAction {
    /// Install the hooks (pre-push unless told otherwise); an existing hook is kept and runs first
    #[command(
        after_help = "Examples:\n  cargo perf hook install\n  cargo perf hook install --pre-push --pre-commit\n\nThe pipelines come from [hooks] in perf.toml; `strict` is baked in: install again after changing it."
    )]
    Install(HookSelection),
    /// Remove our hooks and put back the ones they replaced, byte for byte
    #[command(
        after_help = "Examples:\n  cargo perf hook uninstall                 # every hook cargo-perf installed\n  cargo perf hook uninstall --pre-commit\n  cargo perf hook uninstall --force         # also when you edited it: discard the edits"
    )]
    Uninstall(UninstallArgs),
    /// Show which hooks are installed, where, and what they run
    #[command(
        after_help = "Examples:\n  cargo perf hook status\n  cargo perf hook status --format json"
    )]
    Status,
}

#[derive(Debug, Args)]
pub struct HookSelection {
    /// The pre-push hook (the default for install)
    #[arg(long)]
    pub pre_push: bool,
    /// The pre-commit hook
    #[arg(long)]
    pub pre_commit: bool,
}

/// Flags of `cargo perf hook uninstall`.
#[derive(Debug, Args)]
pub struct UninstallArgs {
    #[command(flatten)]
    pub selection: HookSelection,
    /// Discard edits made to an installed cargo-perf hook (by default they are kept beside it, as <hook>.cargo-perf-edited)
    #[arg(long)]
    pub force: bool,
}

/// Flags of `cargo perf gitignore`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Gitignore options")]
pub struct GitignoreArgs {
    /// Append missing required patterns to the root .gitignore
    #[arg(long)]
    pub fix: bool,
    /// Stop tracking files an ignore rule matches (`git rm --cached`; files stay on disk)
    #[arg(long)]
    pub untrack: bool,
    /// Check only staged changes, and the sizes of their staged versions (for pre-commit)
    #[arg(long)]
    pub staged: bool,
}

/// `cargo perf profile`: what to profile and how to draw it; unset flags come from `[profile]`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("program").args(["bin", "example", "test", "bench", "unit_test", "cmd"])))]
pub struct ProfileArgs {
    /// Profile this binary target
    #[arg(long, value_name = "NAME")]
    pub bin: Option<String>,
    /// Profile this example
    #[arg(long, value_name = "NAME")]
    pub example: Option<String>,
    /// Profile this integration test
    #[arg(long, value_name = "NAME")]
    pub test: Option<String>,
    /// Profile this benchmark (built with the bench profile, run with --bench)
    #[arg(long, value_name = "NAME")]
    pub bench: Option<String>,
    /// Profile the library's unit tests matching FILTER, run single-threaded
    #[arg(long, value_name = "FILTER", num_args = 0..=1, default_missing_value = "")]
    pub unit_test: Option<String>,
    /// Profile an already built program: the command follows `--`
    #[arg(long)]
    pub cmd: bool,
    /// Sampling frequency in Hz [default: 997]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub freq: Option<u32>,
    /// How perf unwinds stacks [default: dwarf]
    #[arg(long, value_enum, value_name = "MODE")]
    pub call_graph: Option<CallGraphArg>,
    /// Stop the program after this long (e.g. 30s, 2m)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,
    /// Title of the flamegraph
    #[arg(long)]
    pub title: Option<String>,
    /// Draw an icicle graph (roots at the top, reversed stacks)
    #[arg(long)]
    pub reverse: bool,
    /// Keep samples in time order (a flame chart)
    #[arg(long)]
    pub flamechart: bool,
    /// Leave out frames narrower than this percentage of the width [default: 0.01, as inferno]
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub min_width: Option<f64>,
    /// Do not resolve inlined frames (much faster symbolization)
    #[arg(long)]
    pub no_inline: bool,
    /// Directory for this profile's files [default: <target dir>/cargo-perf/profile/<run>]
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Open the flamegraph when done
    #[arg(long)]
    pub open: bool,
    /// Compare with a saved profile directory or a git revision (differential flamegraph)
    #[arg(long, value_name = "DIR|REV")]
    pub diff: Option<String>,
    /// Record instruction counts with valgrind's callgrind instead of perf (deterministic)
    #[arg(long, conflicts_with_all = ["freq", "call_graph", "no_inline"])]
    pub callgrind: bool,
    /// Profile heap allocations under valgrind's DHAT: flamegraphs by bytes at the peak and by count
    #[arg(long, conflicts_with_all = ["freq", "call_graph", "no_inline", "callgrind"])]
    pub memory: bool,
    /// Arguments for the program (with --cmd: the program and its arguments)
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
    #[command(flatten)]
    pub cargo: CargoArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CallGraphArg {
    Dwarf,
    Fp,
}

/// One `--targets` entry: a kind, or `all`.
#[derive(Debug, Clone)]
pub struct TargetsArg(pub Vec<cargo_perf_policy::BuildTarget>);

impl CargoArgs {
    /// The engine's form: features split, `--release` as the `release` profile.
    pub fn options(&self) -> cargo_perf_engine::CargoOptions {
        cargo_perf_engine::CargoOptions {
            locked: self.locked,
            offline: self.offline,
            frozen: self.frozen,
            packages: self.package.clone(),
            workspace: self.workspace,
            exclude: self.exclude.clone(),
            features: self
                .features
                .iter()
                .flat_map(|f| f.split([',', ' ']))
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect(),
            all_features: self.all_features,
            no_default_features: self.no_default_features,
            target: self.target.clone(),
            profile: self
                .profile
                .clone()
                .or_else(|| self.release.then(|| "release".to_owned())),
            target_dir: self.target_dir.clone(),
        }
    }
}

fn parse_targets(text: &str) -> Result<TargetsArg, String> {
    cargo_perf_policy::BuildTarget::parse(text.trim())
        .map(TargetsArg)
        .map_err(|help| format!("unknown target kind ({help})"))
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    cargo_perf_policy::units::parse_duration(text)
        .map_err(|err| format!("{} ({})", err.reason, err.help))
}

fn parse_percent(text: &str) -> Result<f64, String> {
    use cargo_perf_policy::units::{PercentSign, parse_percent};
    match parse_percent(text, PercentSign::Optional) {
        Ok(value) if value <= 100.0 => Ok(value),
        Ok(_) => Err("expected a percentage from 0 to 100, e.g. 0.5".to_owned()),
        Err(err) => Err(format!("{} ({})", err.reason, err.help)),
    }
}
