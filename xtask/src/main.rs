//! This repository's own workflow, run as `cargo xtask <command>`:
//! - `ci`: what CI runs (fmt check, clippy with `-D warnings`, the tests);
//! - `bench <name>`: speed comparisons against the tools users would otherwise run;
//! - `real-world [entry...]`: the tool on a pinned corpus of published crates.

mod bench;
mod ci;
mod real_world;

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sh = xshell::Shell::new()?;
    sh.change_dir(project_root());
    match args.first().map(String::as_str) {
        Some("ci") => ci::run(&sh),
        Some("bench") => bench::run(&sh, &args[1..]),
        Some("fold-render") => bench::fold_render(&args[1..]),
        Some("real-world") => real_world::run(&sh, &args[1..]),
        _ => bail!(
            "usage: cargo xtask <ci | real-world [entry...] | bench <{}>>",
            bench::NAMES.join(" | ")
        ),
    }
}

/// The repository root (the parent of this crate's directory).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default()
}
