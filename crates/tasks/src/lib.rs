//! Built-in tasks of cargo-perf, custom command tasks, and [`Session`]: the
//! API the `cargo-perf` binary and a project's own xtask use to run them.
//!
//! ```no_run
//! use cargo_perf_tasks::{OpenOptions, Session};
//! use cargo_perf_engine::progress::{self, Verbosity};
//!
//! let session = Session::open(&OpenOptions::default()).expect("workspace and perf.toml");
//! let plan = session.plan(&["check".to_owned()]).expect("known tasks");
//! let report = session.run("check", &plan, session.run_options(), &*progress::for_stderr(Verbosity::Normal));
//! std::process::exit(i32::from(report.exit_code));
//! ```

mod builtin;
mod command;
mod gitignore;
pub mod init;
mod session;

pub use cargo_perf_engine as engine;
pub use cargo_perf_policy as policy;
pub use command::CommandTask;
pub use gitignore::{GitignoreOptions, GitignoreTask};
pub use session::{DEFAULT_CHECK, OpenError, OpenOptions, Session};
