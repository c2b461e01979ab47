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
    /// Policy file to use instead of perf.toml at the workspace root
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format of the report
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Human, alias = "message-format")]
    pub format: OutputFormat,
    /// When to use colors [default: auto; honours CARGO_TERM_COLOR and NO_COLOR]
    #[arg(long, global = true, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
    /// Print nothing but problems
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Show every line of every command's output, and each task's steps
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
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
        after_help = "Examples:\n  cargo perf check\n  cargo perf check --fail-fast --jobs 1\n  cargo perf check --format json > report.json"
    )]
    Check(ExecArgs),
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
    /// Check that git ignores what it must and tracks no ignored or oversized files
    #[command(
        after_help = "Examples:\n  cargo perf gitignore                  report missing ignores, tracked ignored files, large files\n  cargo perf gitignore --fix            append the missing patterns to the root .gitignore\n  cargo perf gitignore --untrack        stop tracking ignored files (they stay on disk)\n  cargo perf gitignore --staged         pre-commit: check only what is staged\n\nSettings: [gitignore] require, max-file-size, allow-large in perf.toml."
    )]
    Gitignore(GitignoreArgs),
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  cargo perf completions bash > ~/.local/share/bash-completion/completions/cargo-perf\n  cargo perf completions zsh > ~/.zfunc/_cargo-perf\n  cargo perf completions fish > ~/.config/fish/completions/cargo-perf.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// How a plan runs; these override `[settings]` in perf.toml.
#[derive(Debug, Args, Default)]
pub struct ExecArgs {
    /// How many tasks may run at once [default: one per CPU]
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Start no new task after the first failure
    #[arg(long, overrides_with = "no_fail_fast")]
    pub fail_fast: bool,
    /// Run every task whose dependencies passed, even after a failure (the default)
    #[arg(long, overrides_with = "fail_fast")]
    pub no_fail_fast: bool,
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
