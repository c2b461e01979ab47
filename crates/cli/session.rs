//! Opening the workspace and its policy for a subcommand. Every subcommand
//! that needs a session comes here, so a bad perf.toml or a missing workspace
//! is reported the same way everywhere (and `commands` and `hook` need not
//! import each other).

use cargo_perf_engine::exit;
use cargo_perf_engine::metacache::MetadataCache;
use cargo_perf_tasks::{OpenError, OpenOptions, Session};

use crate::args::{CargoArgs, GlobalArgs};
use crate::output::print_error;

/// The session for `global`'s workspace and policy; on failure the error is
/// printed and the exit code returned.
pub(crate) fn open(global: &GlobalArgs) -> Result<Session, u8> {
    open_with(global, &CargoArgs::default(), MetadataCache::ReadWrite)
}

/// [`open`], with cargo's flags for every cargo command of the run. With
/// `-v`, the `cargo metadata` command line that found the workspace is shown
/// (or the cache file its answer came from).
pub(crate) fn open_with(
    global: &GlobalArgs,
    cargo: &CargoArgs,
    metadata_cache: MetadataCache,
) -> Result<Session, u8> {
    let session = Session::open(&OpenOptions {
        dir: None,
        manifest_path: global.manifest_path.clone(),
        config: global.config.clone(),
        cargo: cargo.options(),
        metadata_cache,
    });
    if let Ok(session) = &session
        && global.verbose
    {
        let workspace = &session.project.workspace;
        match &workspace.metadata_cache {
            Some(file) => crate::output::print_cached(&workspace.metadata_command, file),
            None => crate::output::print_command(&workspace.metadata_command),
        }
    }
    session.map_err(|err| {
        match &err {
            OpenError::Policy(policy) => eprint!("{policy}"),
            other => print_error(&other.to_string(), other.hint()),
        }
        exit::ERROR
    })
}
