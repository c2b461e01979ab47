//! The integration-test harness: [`Dir`] is a temporary workspace a test
//! builds file by file; [`TestCommand`] runs the real `cargo-perf` binary in
//! it and, when an expectation fails, prints the command, the directory, its
//! listing, stdout and stderr so the failure explains itself.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temporary directory holding a test's workspace; removed on drop.
pub struct Dir {
    temp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        let temp = tempfile::Builder::new()
            .prefix("cargo-perf-test-")
            .tempdir()
            .expect("create temp dir");
        Dir { temp }
    }

    /// A directory holding a minimal library package named `name`.
    pub fn with_package(name: &str) -> Dir {
        let dir = Dir::new();
        dir.package(".", name);
        dir
    }

    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path().join(rel)
    }

    /// Writes `contents` to `rel`, creating parent directories.
    pub fn create(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dirs");
        }
        std::fs::write(&path, contents).expect("write file");
        path
    }

    pub fn read(&self, rel: impl AsRef<Path>) -> String {
        std::fs::read_to_string(self.join(rel)).expect("read file")
    }

    /// A library package `name` in `rel` (no dependencies, one function).
    pub fn package(&self, rel: &str, name: &str) {
        self.create(
            Path::new(rel).join("Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n"),
        );
        self.create(
            Path::new(rel).join("src/lib.rs"),
            "pub fn answer() -> u32 { 42 }\n",
        );
    }

    /// A virtual workspace with the given members under `crates/`.
    pub fn workspace(&self, members: &[&str]) {
        let list = members
            .iter()
            .map(|m| format!("\"crates/{m}\""))
            .collect::<Vec<_>>()
            .join(", ");
        self.create(
            "Cargo.toml",
            format!("[workspace]\nmembers = [{list}]\nresolver = \"2\"\n"),
        );
        for member in members {
            self.package(&format!("crates/{member}"), member);
        }
    }

    pub fn policy(&self, text: &str) {
        self.create("perf.toml", text);
    }

    /// Runs git in this directory and returns its stdout; panics if it fails.
    pub fn git<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let output = git_command(self.path())
            .args(args)
            .output()
            .expect("run git");
        assert!(
            output.status.success(),
            "git failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// `git init` plus a first commit of everything present.
    pub fn git_init(&self) {
        self.git(["init", "-q", "-b", "main"]);
        self.git(["add", "-A"]);
        self.git(["commit", "-q", "-m", "initial", "--allow-empty"]);
    }

    /// A `cargo-perf` command with `args`, run in this directory.
    pub fn command<I, S>(&self, args: I) -> TestCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        TestCommand::new(self.path()).args(args)
    }

    /// Every path below the directory (but `target/` and `.git/`), for failure output.
    pub fn listing(&self) -> String {
        let mut out = String::new();
        for entry in walk(self.path()) {
            let _ = writeln!(
                out,
                "  {}",
                entry.strip_prefix(self.path()).unwrap_or(&entry).display()
            );
        }
        out
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap_or_default();
        if name == "target" || name == ".git" {
            out.push(path);
            continue;
        }
        out.push(path.clone());
        if path.is_dir() && !path.is_symlink() {
            out.extend(walk(&path));
        }
    }
    out
}

/// git with a fixed identity and no user or system configuration.
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com");
    command
}

/// The `cargo-perf` binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cargo-perf"))
}

/// The target dir all test workspaces share, so real cargo builds in tests
/// compile each dependency once instead of once per test.
pub fn shared_target_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("test-workspaces");
    std::fs::create_dir_all(&dir).expect("create shared target dir");
    dir
}

/// A command under test and the context to print when it disappoints.
pub struct TestCommand {
    command: Command,
    dir: PathBuf,
    stdin: Option<Vec<u8>>,
}

impl TestCommand {
    pub fn new(dir: &Path) -> TestCommand {
        let mut command = Command::new(binary());
        command
            .current_dir(dir)
            .env_remove("CARGO_TERM_COLOR")
            .env_remove("NO_COLOR")
            .env_remove("CARGO_PERF_SKIP")
            .env_remove("CARGO_PERF_CONFIG")
            .env_remove("CARGO_PERF_FORMAT")
            .env_remove("CARGO_PERF_JOBS")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com");
        TestCommand {
            command,
            dir: dir.to_owned(),
            stdin: None,
        }
    }

    pub fn args<I, S>(mut self, args: I) -> TestCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> TestCommand {
        self.command.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> TestCommand {
        self.command.env_remove(key);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> TestCommand {
        self.dir = dir.as_ref().to_owned();
        self.command.current_dir(dir);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> TestCommand {
        self.stdin = Some(input.into());
        self
    }

    /// Runs `program args...` instead of cargo-perf, with this command's directory and environment.
    pub fn inner_program<I, S>(mut self, program: &str, args: I) -> TestCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new(program);
        command.args(args).current_dir(&self.dir);
        for (key, value) in self.command.get_envs() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        self.command = command;
        self
    }

    pub fn inner(&mut self) -> &mut Command {
        &mut self.command
    }

    /// Runs the command and returns its output, whatever the exit code.
    pub fn output(&mut self) -> Run {
        use std::io::Write;
        self.command
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("spawn cargo-perf");
        if let Some(input) = self.stdin.take() {
            let mut pipe = child.stdin.take().expect("stdin");
            pipe.write_all(&input).expect("write stdin");
        }
        let output = child.wait_with_output().expect("wait for cargo-perf");
        Run {
            description: format!("{:?}", self.command),
            dir: self.dir.clone(),
            output,
        }
    }

    /// Runs and expects exit code `code`; panics with the whole context otherwise.
    pub fn expect_code(&mut self, code: i32) -> Run {
        let run = self.output();
        if run.output.status.code() != Some(code) {
            panic!(
                "expected exit code {code}, got {:?}\n{}",
                run.output.status.code(),
                run.context()
            );
        }
        run
    }

    pub fn expect_success(&mut self) -> Run {
        self.expect_code(0)
    }

    /// Runs and expects one of `codes` (a verdict: 0 passes, 1 fails).
    pub fn expect_code_in(&mut self, codes: &[i32]) -> Run {
        let run = self.output();
        if !run.output.status.code().is_some_and(|c| codes.contains(&c)) {
            panic!(
                "expected an exit code in {codes:?}, got {:?}\n{}",
                run.output.status.code(),
                run.context()
            );
        }
        run
    }
}

/// What a finished command printed.
pub struct Run {
    pub description: String,
    pub dir: PathBuf,
    pub output: Output,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// The JSON document on stdout; every metric name and finding code in it
    /// is checked against its grammar (docs/json.md), so every JSON test checks them.
    pub fn json(&self) -> serde_json::Value {
        let doc: serde_json::Value = serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err})\n{}", self.context()));
        if let Err(err) = check_metric_names(&doc).and_then(|()| check_codes(&doc)) {
            panic!("{err}\n{}", self.context());
        }
        doc
    }

    /// Everything needed to understand a failure.
    pub fn context(&self) -> String {
        format!(
            "command: {}\ndir: {}\nexit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.description,
            self.dir.display(),
            self.output.status.code(),
            self.stdout(),
            self.stderr()
        )
    }

    /// Asserts that stdout contains `needle`.
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout().contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.context()
        );
        self
    }

    /// Asserts that stderr contains `needle`.
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr().contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.context()
        );
        self
    }

    pub fn stdout_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stdout().contains(needle),
            "stdout has {needle:?}\n{}",
            self.context()
        );
        self
    }

    pub fn stderr_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stderr().contains(needle),
            "stderr has {needle:?}\n{}",
            self.context()
        );
        self
    }
}

/// Every `tasks[].metrics[].name` follows `<task>.<segment>(.<segment>)*`:
/// its first segment is its task's name (`command` for a custom task), no
/// segment is empty, and `\` only escapes `\` or `.` (docs/json.md).
/// Written apart from the engine's parser, so the two check each other.
pub fn check_metric_names(doc: &serde_json::Value) -> Result<(), String> {
    let tasks = doc["tasks"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    for task in tasks {
        let owner = match task["kind"].as_str() {
            Some("custom") => "command",
            _ => task["name"].as_str().unwrap_or_default(),
        };
        let metrics = task["metrics"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        for metric in metrics {
            let name = metric["name"].as_str().unwrap_or_default();
            let segments = metric_segments(name)
                .ok_or_else(|| format!("metric name `{name}` breaks the grammar"))?;
            if segments.len() < 2 || segments[0] != owner {
                return Err(format!(
                    "metric name `{name}` does not start with `{owner}.` and a segment"
                ));
            }
        }
    }
    Ok(())
}

/// `name` split on each `.` not escaped, unescaped; `None` on an empty
/// segment or a `\` that escapes anything else.
pub fn metric_segments(name: &str) -> Option<Vec<String>> {
    let mut segments = vec![String::new()];
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                e @ ('\\' | '.') => segments.last_mut()?.push(e),
                _ => return None,
            },
            '.' => segments.push(String::new()),
            c => segments.last_mut()?.push(c),
        }
    }
    segments.iter().all(|s| !s.is_empty()).then_some(segments)
}

/// Every finding code is `<task>-<name>` (`command-` for a custom task) or
/// the engine's `engine-<name>`.
pub fn check_codes(doc: &serde_json::Value) -> Result<(), String> {
    let tasks = doc["tasks"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    for task in tasks {
        let owner = match task["kind"].as_str() {
            Some("custom") => "command",
            _ => task["name"].as_str().unwrap_or_default(),
        };
        let findings = task["findings"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for finding in findings {
            let code = finding["code"].as_str().unwrap_or_default();
            let named = |prefix: &str| {
                code.strip_prefix(prefix)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|rest| !rest.is_empty())
            };
            if !named(owner) && !named("engine") {
                return Err(format!(
                    "finding code `{code}` does not start with `{owner}-` or `engine-`"
                ));
            }
        }
    }
    Ok(())
}
