//! `cargo xtask bench hook` (issue 7): what the pre-push hook costs. Two
//! clones of this repository (its committed HEAD), each with its own local
//! bare remote; one has `cargo perf hook install`ed. Every timed run makes an
//! empty commit and pushes it, so nothing relevant changed and the check must
//! finish at once. Also timed: `cargo metadata --no-deps` in the clone, the
//! no-op work the hook cannot avoid. Goal: the hook adds under 0.1 s (issue 18).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use xshell::Shell;

use super::{Contender, Results, compare, release_binary, settle, temp_dir};

pub fn run(sh: &Shell, rounds: usize) -> Result<()> {
    let binary = release_binary(sh)?;
    println!(
        "clones of this repository, empty commits pushed to local bare remotes, {rounds} interleaved rounds:"
    );
    let results = measure(&binary, rounds)?;
    results.print(0);
    println!(
        "ratio with hook / without: {:.2}x; the hook adds {:.0} ms (goal < 100 ms), cargo metadata alone is {:.0} ms",
        results.ratio(1, 0),
        added(&results).as_secs_f64() * 1000.0,
        results.medians[2].as_secs_f64() * 1000.0
    );
    Ok(())
}

/// What the hook adds to a push: the difference of the first two medians.
pub fn added(results: &Results) -> Duration {
    results.medians[1].saturating_sub(results.medians[0])
}

/// Medians of a commit and push without the hook, with it, and of `cargo
/// metadata --no-deps` in the clone, in that order.
pub fn measure(binary: &Path, rounds: usize) -> Result<Results> {
    let bin_dir = binary.parent().context("release binary has no parent")?;
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let dir = temp_dir("cargo-perf-bench-hook")?;
    let root = crate::project_root();
    let with = dir.path().join("with-hook");
    let without = dir.path().join("without-hook");
    for clone in [&with, &without] {
        let remote = clone.with_extension("git");
        git(
            dir.path(),
            &[
                "init",
                "-q",
                "--bare",
                "-b",
                "main",
                &remote.to_string_lossy(),
            ],
        )?;
        git(
            dir.path(),
            &[
                "clone",
                "-q",
                "--no-hardlinks",
                &root.to_string_lossy(),
                &clone.to_string_lossy(),
            ],
        )?;
        git(
            clone,
            &["remote", "set-url", "origin", &remote.to_string_lossy()],
        )?;
        git(clone, &["push", "-q", "origin", "HEAD:refs/heads/main"])?;
    }
    // As in a developer's clone: built once (the metadata cache lives in the
    // target dir), its files older than the cache's racy window.
    std::fs::create_dir_all(with.join("target"))?;
    std::fs::create_dir_all(without.join("target"))?;
    settle();
    let install = Command::new(binary)
        .args(["hook", "install", "--quiet"])
        .current_dir(&with)
        .env("PATH", &path)
        .status()?;
    if !install.success() {
        bail!("`cargo-perf hook install` failed in {}", with.display());
    }

    let push = |clone: &Path| {
        let mut sh = Command::new("sh");
        sh.args([
            "-c",
            "git commit -q --allow-empty -m bench && git push -q origin HEAD:refs/heads/main",
        ])
        .current_dir(clone)
        .env("PATH", &path);
        for (key, value) in GIT_ENV {
            sh.env(key, value);
        }
        sh
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut metadata = Command::new(&cargo);
    metadata
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(&with);

    let mut contenders = [
        Contender::new("commit + git push, no hook", push(&without)),
        Contender::new("commit + git push, cargo-perf pre-push hook", push(&with)),
        Contender::new("cargo metadata --no-deps (floor)", metadata),
    ];
    let results = compare(&mut contenders, rounds)?;
    let proof = push(&with).output()?;
    let said = String::from_utf8_lossy(&proof.stderr);
    if !said.contains("nothing changed") {
        bail!("the hook did not run its check during the push:\n{said}");
    }
    Ok(results)
}

/// git with a fixed identity and no user or system configuration.
const GIT_ENV: &[(&str, &str)] = &[
    ("GIT_CONFIG_NOSYSTEM", "1"),
    ("GIT_CONFIG_GLOBAL", "/dev/null"),
    ("GIT_AUTHOR_NAME", "bench"),
    ("GIT_AUTHOR_EMAIL", "bench@example.com"),
    ("GIT_COMMITTER_NAME", "bench"),
    ("GIT_COMMITTER_EMAIL", "bench@example.com"),
];

fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.current_dir(dir).envs(GIT_ENV.iter().copied());
    command
}

fn git(dir: &Path, args: &[&str]) -> Result<()> {
    let output = git_command(dir).args(args).output()?;
    if !output.status.success() {
        bail!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
