//! `cargo xtask ci`: the checks every change must pass, in the order that fails fastest.

use anyhow::Result;
use xshell::{Shell, cmd};

pub fn run(sh: &Shell) -> Result<()> {
    cmd!(sh, "cargo fmt --all -- --check").run()?;
    cmd!(sh, "cargo clippy --workspace --all-targets -- -D warnings").run()?;
    cmd!(sh, "cargo test --workspace").run()?;
    Ok(())
}
