//! `cargo xtask real-world [ENTRY...]`: the proof on published crates. Each
//! pinned corpus entry (see [`corpus`]) is fetched through cargo, laid out as
//! a git repository in a temporary directory, and put through what a new
//! user does: `init`, `check`, `gitignore`, `clean --dry-run`, `build
//! --no-incremental`, `bench`, `profile`, `hook install` and a real `git
//! push` to a bare remote. A tool error (exit 2), a panic, or a policy
//! failure (exit 1) not on the entry's allow-list fails the xtask; a table of
//! every step's exit code and findings ends the run either way.

mod corpus;
pub(crate) mod fetch;
mod step;
mod table;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

use corpus::{CORPUS, Entry};
use step::{Env, Outcome};

pub fn run(sh: &Shell, args: &[String]) -> Result<()> {
    let entries = select(args)?;
    for (key, value) in [
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_CONFIG_GLOBAL", "/dev/null"),
        ("GIT_AUTHOR_NAME", "Corpus"),
        ("GIT_AUTHOR_EMAIL", "corpus@example.com"),
        ("GIT_COMMITTER_NAME", "Corpus"),
        ("GIT_COMMITTER_EMAIL", "corpus@example.com"),
    ] {
        sh.set_var(key, value);
    }
    let started = Instant::now();
    let work = crate::project_root().join("target/real-world");
    let env = Env {
        binary: build_tool(sh)?,
        target_dir: work.join("target"),
        logs: work.join("logs"),
    };
    std::fs::create_dir_all(&env.logs)?;
    let scratch = tempfile::Builder::new()
        .prefix("real-world-fetch-")
        .tempdir()?;
    let sources = fetch::fetch(sh, scratch.path(), &entries)?;
    let mut results = Vec::new();
    for entry in &entries {
        let entry_started = Instant::now();
        let outcomes = run_entry(sh, &env, entry, &sources)?;
        results.push(table::EntryResult {
            entry,
            outcomes,
            duration: entry_started.elapsed(),
        });
    }
    let failures = table::print(&results, started.elapsed());
    if failures > 0 {
        bail!(
            "{failures} step(s) of the corpus ended unexpectedly (logs in {})",
            env.logs.display()
        );
    }
    Ok(())
}

/// The entries named on the command line, or all of them.
fn select(args: &[String]) -> Result<Vec<&'static Entry>> {
    if args.is_empty() {
        return Ok(CORPUS.iter().collect());
    }
    args.iter()
        .map(|name| {
            CORPUS.iter().find(|e| e.name == name).with_context(|| {
                let names: Vec<&str> = CORPUS.iter().map(|e| e.name).collect();
                format!(
                    "no corpus entry `{name}`; the entries are: {}",
                    names.join(", ")
                )
            })
        })
        .collect()
}

/// Builds this checkout's `cargo-perf` and returns where cargo put it.
fn build_tool(sh: &Shell) -> Result<PathBuf> {
    let messages = cmd!(
        sh,
        "cargo build --quiet --bin cargo-perf --message-format json"
    )
    .read()?;
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "cargo-perf")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .context("cargo build named no cargo-perf executable")
}

/// Every step on one entry, in the order a new user takes them.
fn run_entry(
    sh: &Shell,
    env: &Env,
    entry: &Entry,
    sources: &fetch::Sources,
) -> Result<Vec<Outcome>> {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("real-world-{}-", entry.name))
        .tempdir()?;
    let repo = tmp.path().join(entry.name);
    fetch::lay_out(sh, entry, sources, &repo)?;
    let name = entry.name;
    let json = |step: &str, args: &[&str]| -> Result<Outcome> {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        env.tool(&repo, name, step, &all)
    };
    let mut out = vec![json("init", &["init"])?];
    // What init wrote is committed, as a user would before pushing.
    commit(sh, &repo, "cargo perf init")?;
    out.push(json("check", &["check"])?);
    out.push(json("gitignore", &["gitignore"])?);
    out.push(json("clean", &["clean", "--dry-run"])?);
    out.push(json("build", &["build", "--no-incremental"])?);
    if entry.benches {
        out.push(json("bench", &["bench"])?);
    }
    if let Some((bin, args)) = entry.profile {
        let input = tmp.path().join("input.bin");
        std::fs::write(&input, pseudo_random_bytes(1 << 20))?;
        let input = input.to_string_lossy();
        let mut argv = vec!["profile", "--bin", bin, "--format", "json", "--"];
        argv.extend(args.iter().map(|a| if *a == "INPUT" { &*input } else { a }));
        out.push(env.tool(&repo, name, "profile", &argv)?);
    }
    out.push(env.tool(&repo, name, "hook", &["hook", "install"])?);
    out.push(push(env, &repo, tmp.path(), name)?);
    Ok(out)
}

/// `git push` to a new bare remote: the installed pre-push hook runs the check.
fn push(env: &Env, repo: &Path, tmp: &Path, name: &str) -> Result<Outcome> {
    let remote = tmp.join("remote.git");
    let remote = remote.to_string_lossy();
    let setup = env.program(
        repo,
        name,
        "remote",
        &["git", "init", "--quiet", "--bare", &remote],
    )?;
    if setup.code != Some(0) {
        bail!("git init --bare failed (see {})", setup.log.display());
    }
    env.program(
        repo,
        name,
        "push",
        &["git", "push", "--quiet", &remote, "main"],
    )
}

fn commit(sh: &Shell, repo: &Path, message: &str) -> Result<()> {
    let _dir = sh.push_dir(repo);
    cmd!(sh, "git add --all").run()?;
    cmd!(sh, "git commit --quiet --allow-empty --message {message}").run()?;
    Ok(())
}

/// Bytes that look like a binary file (xorshift), for a binary to chew on.
fn pseudo_random_bytes(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}
