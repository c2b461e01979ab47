//! Opening the workspace and its policy for a subcommand. Every subcommand
//! that needs a session comes here, so a bad perf.toml or a missing workspace
//! is reported the same way everywhere (and `commands` and `hook` need not
//! import each other).

use cargo_perf_engine::exit;
use cargo_perf_tasks::{OpenError, OpenOptions, Session};

use crate::args::GlobalArgs;
use crate::output::print_error;

/// The session for `global`'s workspace and policy; on failure the error is
/// printed and the exit code returned.
pub(crate) fn open(global: &GlobalArgs) -> Result<Session, u8> {
    Session::open(&OpenOptions {
        dir: None,
        manifest_path: global.manifest_path.clone(),
        config: global.config.clone(),
    })
    .map_err(|err| {
        match &err {
            OpenError::Policy(policy) => eprint!("{policy}"),
            other => print_error(&other.to_string(), other.hint()),
        }
        exit::ERROR
    })
}
