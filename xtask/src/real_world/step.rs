//! Runs one step of the corpus (a `cargo-perf` command, or `git push` through
//! the installed hook) in a corpus repository, with the environment a user's
//! shell would give it, and keeps what it said: the exit code, the finding
//! codes of its JSON document, the time it took, and its output in a log file.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// Where and how the steps of one run go.
pub struct Env {
    /// The `cargo-perf` built from this checkout.
    pub binary: PathBuf,
    /// The target dir every corpus crate shares.
    pub target_dir: PathBuf,
    /// Where each step's stdout and stderr are kept.
    pub logs: PathBuf,
}

/// How one step ended.
pub struct Outcome {
    pub step: String,
    /// `None`: killed by a signal.
    pub code: Option<i32>,
    /// Finding codes and how often each came.
    pub findings: BTreeMap<String, usize>,
    pub duration: Duration,
    pub panicked: bool,
    /// The step's stderr log, to point at.
    pub log: PathBuf,
}

impl Env {
    /// `cargo-perf ARGS` in `dir`.
    pub fn tool(&self, dir: &Path, entry: &str, step: &str, args: &[&str]) -> Result<Outcome> {
        let mut command = self.command(&self.binary, dir);
        command.args(args);
        self.run(command, entry, step)
    }

    /// Any program in `dir` (git, for the push the hook guards).
    pub fn program(&self, dir: &Path, entry: &str, step: &str, argv: &[&str]) -> Result<Outcome> {
        let mut command = self.command(Path::new(argv[0]), dir);
        command.args(&argv[1..]);
        self.run(command, entry, step)
    }

    /// A command with the environment of a user's shell: the tool on PATH,
    /// no git configuration of this machine's, none of the variables cargo
    /// set for this xtask, and the shared target dir.
    fn command(&self, program: &Path, dir: &Path) -> Command {
        let mut command = Command::new(program);
        command.current_dir(dir);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            let from_cargo_run = [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_PRIMARY_",
                "CARGO_PERF_",
            ]
            .iter()
            .any(|prefix| key.starts_with(prefix));
            if from_cargo_run || key == "CARGO_TERM_COLOR" {
                command.env_remove(key.as_ref());
            }
        }
        command
            .env("PATH", self.path())
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Corpus")
            .env("GIT_AUTHOR_EMAIL", "corpus@example.com")
            .env("GIT_COMMITTER_NAME", "Corpus")
            .env("GIT_COMMITTER_EMAIL", "corpus@example.com");
        command
    }

    /// PATH with the tool's directory first, so `cargo perf` and the hook find it.
    fn path(&self) -> OsString {
        let mut dirs: Vec<PathBuf> = self
            .binary
            .parent()
            .map(Path::to_owned)
            .into_iter()
            .collect();
        dirs.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        std::env::join_paths(dirs).unwrap_or_default()
    }

    fn run(&self, mut command: Command, entry: &str, step: &str) -> Result<Outcome> {
        eprintln!("real-world: {entry}: {step}");
        let started = Instant::now();
        let output = command
            .output()
            .with_context(|| format!("start {command:?}"))?;
        let duration = started.elapsed();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let log = self.logs.join(format!("{entry}-{step}.log"));
        std::fs::write(
            &log,
            format!("$ {command:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"),
        )?;
        Ok(Outcome {
            step: step.to_owned(),
            code: output.status.code(),
            findings: finding_codes(&stdout),
            duration,
            panicked: stderr.contains("panicked at"),
            log,
        })
    }
}

/// The codes of every finding in a JSON document (none when it is not one).
fn finding_codes(stdout: &str) -> BTreeMap<String, usize> {
    let mut codes = BTreeMap::new();
    if let Ok(doc) = serde_json::from_str::<serde_json::Value>(stdout) {
        collect(&doc, &mut codes);
    }
    codes
}

fn collect(value: &serde_json::Value, codes: &mut BTreeMap<String, usize>) {
    match value {
        serde_json::Value::Object(map) => {
            if let (Some(code), true) = (
                map.get("code").and_then(|c| c.as_str()),
                map.contains_key("severity"),
            ) {
                *codes.entry(code.to_owned()).or_default() += 1;
            }
            map.values().for_each(|v| collect(v, codes));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, codes)),
        _ => {}
    }
}
