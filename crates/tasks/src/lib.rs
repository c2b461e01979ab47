//! Built-in tasks of cargo-perf, custom command tasks, and [`Session`]: the
//! API the `cargo-perf` binary and a project's own xtask use to run them.
//!
//! docs/xtask-example.rs in the repository is a complete xtask built on it
//! (and tested as one).

mod bench;
mod build;
mod builtin;
pub mod changes;
mod clean;
pub mod codes;
mod command;
mod dhat;
mod gitignore;
pub mod hook;
pub mod init;
pub mod lint;
pub mod profile;
pub mod report;
mod session;
mod tool_output;
mod worktree;

pub use bench::{BenchOptions, BenchTask, history as bench_history};
pub use build::{BuildOptions, BuildTask};
pub use builtin::DEFAULT_CHECK;
pub use cargo_perf_engine as engine;
pub use cargo_perf_policy as policy;
pub(crate) use clean::reclaimable as clean_reclaimable;
pub use clean::{CleanOptions, CleanTask};
pub use command::CommandTask;
pub use gitignore::{AddedIgnores, GitignoreOptions, GitignoreTask, add_required_ignores};
pub use lint::{LintOptions, LintTask};
pub use session::{OpenError, OpenOptions, Session};
