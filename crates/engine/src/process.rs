//! Running the commands tasks are made of: each in its own process group (so
//! Ctrl-C and timeouts stop the whole tree), with output read line by line as
//! it arrives, and failures to start turned into errors that say what to install.
//! Every command of every task (custom commands, cargo, benchmarks, valgrind)
//! runs through here, so all get the same interrupt, timeout and leftover handling.

mod leftover;
mod supervise;

use std::ffi::{OsStr, OsString};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub use leftover::Leftover;
use supervise::Pipe;

/// A command to run.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(OsString, OsString)>,
    pub timeout: Option<Duration>,
    /// Send stdout to /dev/null instead of reading it (benchmarks: writing
    /// to a pipe we read would be part of what is timed).
    pub discard_stdout: bool,
}

impl CommandSpec {
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Self {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            timeout: None,
            discard_stdout: false,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn discard_stdout(mut self) -> Self {
        self.discard_stdout = true;
        self
    }

    /// The command line as a user would type it.
    pub fn display(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|word| shell_quote_path(std::path::Path::new(word)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Starts the command; returns it with the instant just before the
    /// spawn (what a benchmark's wall clock starts from).
    fn spawn(&self, stdout: Stdio, stderr: Stdio) -> Result<(Child, Instant), ProcessError> {
        let stdout = if self.discard_stdout {
            Stdio::null()
        } else {
            stdout
        };
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0);
        if let Some(dir) = &self.cwd {
            command.current_dir(dir);
        }
        let started = Instant::now();
        let child = command.spawn().map_err(|source| self.error(source));
        // Our copies of the pipe's write ends close with `command`, so the
        // reader sees end-of-file when the child's tree is done writing.
        drop(command);
        Ok((child?, started))
    }

    fn error(&self, source: std::io::Error) -> ProcessError {
        ProcessError {
            program: self.program.to_string_lossy().into_owned(),
            cwd: self.cwd.clone(),
            source,
        }
    }
}

/// The one shell quoter of the tool, kept in the policy crate (a leaf the
/// engine builds on) so perf.toml commands are shown the same way.
pub use cargo_perf_policy::shell_quote;

/// `path` as a POSIX shell would need it typed, whatever its bytes: a name
/// that is not UTF-8 (git allows any bytes but NUL) is spelled with
/// `printf`'s octal escapes, `"$(printf 'caf\351.o')"`, so a command shown
/// to the user names the very file, never a lossy look-alike.
pub fn shell_quote_path(path: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    if let Some(text) = path.to_str() {
        return shell_quote(text);
    }
    let mut escaped = String::new();
    for byte in path.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-_./=:,+@".contains(byte) {
            escaped.push(char::from(*byte));
        } else {
            escaped.push_str(&format!("\\{byte:03o}"));
        }
    }
    // The command substitution would drop trailing newlines: none survive
    // the escaping, so the name comes back whole.
    format!("\"$(printf '{escaped}')\"")
}

/// A command that could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot run `{program}`: {source}")]
pub struct ProcessError {
    pub program: String,
    pub cwd: Option<PathBuf>,
    #[source]
    pub source: std::io::Error,
}

impl ProcessError {
    pub fn hint(&self) -> String {
        match self.source.kind() {
            std::io::ErrorKind::NotFound if self.cwd.as_deref().is_some_and(|d| !d.is_dir()) => {
                format!(
                    "the working directory {} does not exist",
                    self.cwd.as_deref().unwrap_or(Path::new("")).display()
                )
            }
            std::io::ErrorKind::NotFound => format!("is `{}` installed and on PATH?", self.program),
            std::io::ErrorKind::PermissionDenied => format!("`{}` is not executable", self.program),
            _ => "check the command and try again".to_owned(),
        }
    }
}

/// How a command ended.
#[derive(Debug, Clone)]
pub struct Finished {
    pub status: ExitStatus,
    pub timed_out: Option<Duration>,
    /// From just before the start to the reaping of the command itself.
    pub duration: Duration,
    /// What the command and the descendants it waited for used.
    pub usage: Usage,
    /// Processes the command left running when it exited, if any: they were
    /// not waited for, and their later output was not read.
    pub leftover: Option<Leftover>,
}

/// The resources a command used (`wait4`'s rusage).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub user: Duration,
    pub system: Duration,
    pub max_rss_bytes: u64,
}

impl Finished {
    pub fn success(&self) -> bool {
        self.status.success() && self.timed_out.is_none()
    }

    /// "exited with status 1", "was killed by signal 9", "timed out after 5s":
    /// the one wording of how a command ended, used by every task.
    pub fn describe(&self) -> String {
        if let Some(limit) = self.timed_out {
            return format!(
                "timed out after {}",
                cargo_perf_policy::units::format_duration(limit)
            );
        }
        match (self.status.code(), self.status.signal()) {
            (Some(code), _) => format!("exited with status {code}"),
            (None, Some(signal)) => format!("was killed by signal {signal}"),
            (None, None) => "ended".to_owned(),
        }
    }
}

/// Runs `spec`, calling `on_line` on this thread for each line of output as it
/// arrives. stdout and stderr share one pipe, as they share a terminal, so the
/// lines keep the order the program wrote them in.
pub fn run_streaming(
    spec: &CommandSpec,
    mut on_line: impl FnMut(&str),
) -> Result<Finished, ProcessError> {
    let (reader, writer) = std::io::pipe().map_err(|source| spec.error(source))?;
    let writer_for_stderr = writer.try_clone().map_err(|source| spec.error(source))?;
    let (child, started) = spec.spawn(Stdio::from(writer), Stdio::from(writer_for_stderr))?;
    let pipes = vec![Pipe::new(Stream::Stdout, reader)];
    Ok(supervise::watch(spec, child, pipes, started, |_, bytes| {
        on_line(&line_of(bytes));
    }))
}

/// Which stream a line came from, for [`run_split`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Runs `spec` with stdout and stderr on separate pipes, calling `on_line` on
/// this thread for each line as it arrives, with the stream it came from. For
/// programs that speak two languages at once, such as cargo's JSON messages on
/// stdout and its human log on stderr.
pub fn run_split(
    spec: &CommandSpec,
    mut on_line: impl FnMut(Stream, &str),
) -> Result<Finished, ProcessError> {
    let (mut child, started) = spec.spawn(Stdio::piped(), Stdio::piped())?;
    let pipes = child_pipes(&mut child);
    Ok(supervise::watch(
        spec,
        child,
        pipes,
        started,
        |stream, bytes| {
            on_line(stream, &line_of(bytes));
        },
    ))
}

/// Runs `spec` to completion and returns its whole stdout and stderr.
pub fn run_captured(spec: &CommandSpec) -> Result<(Finished, Vec<u8>, Vec<u8>), ProcessError> {
    let (mut child, started) = spec.spawn(Stdio::piped(), Stdio::piped())?;
    let pipes = child_pipes(&mut child);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let finished = supervise::watch(spec, child, pipes, started, |stream, bytes| match stream {
        Stream::Stdout => stdout.extend_from_slice(bytes),
        Stream::Stderr => stderr.extend_from_slice(bytes),
    });
    Ok((finished, stdout, stderr))
}

fn child_pipes(child: &mut Child) -> Vec<Pipe> {
    let mut pipes = Vec::new();
    if let Some(out) = child.stdout.take() {
        pipes.push(Pipe::new(Stream::Stdout, out));
    }
    if let Some(err) = child.stderr.take() {
        pipes.push(Pipe::new(Stream::Stderr, err));
    }
    pipes
}

/// One line as read, without its line ending.
fn line_of(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b'\n' | b'\r'))
        .map_or(0, |last| last + 1);
    String::from_utf8_lossy(&bytes[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_a_path_that_is_not_utf8_by_its_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let path = std::path::Path::new(std::ffi::OsStr::from_bytes(b"dir/caf\xe9 'x'%.o"));
        let quoted = shell_quote_path(path);
        assert_eq!(quoted, r#""$(printf 'dir/caf\351\040\047x\047\045.o')""#);
        let out = std::process::Command::new("sh")
            .args(["-c", &format!("printf '%s' {quoted}")])
            .output()
            .unwrap();
        assert_eq!(out.stdout, b"dir/caf\xe9 'x'%.o");
        assert_eq!(shell_quote_path(std::path::Path::new("a b")), "'a b'");
    }

    #[test]
    fn streams_both_outputs_in_the_order_written() {
        let spec =
            CommandSpec::new("sh").args(["-c", "echo one; echo two >&2; echo three; exit 3"]);
        let mut lines = Vec::new();
        let finished = run_streaming(&spec, |line| lines.push(line.to_owned())).unwrap();
        assert_eq!(lines, ["one", "two", "three"]);
        assert_eq!(finished.describe(), "exited with status 3");
    }

    #[test]
    fn long_output_arrives_whole_in_lines_and_a_last_unterminated_line_too() {
        let spec = CommandSpec::new("sh").args(["-c", "seq 1 50000; printf tail"]);
        let mut lines = Vec::new();
        let finished = run_streaming(&spec, |line| lines.push(line.to_owned())).unwrap();
        assert!(finished.success());
        assert_eq!(lines.len(), 50001);
        assert_eq!(lines[49999], "50000");
        assert_eq!(lines[50000], "tail");
        let (_, stdout, _) = run_captured(&spec).unwrap();
        assert_eq!(
            stdout.len(),
            lines.iter().map(|l| l.len() + 1).sum::<usize>() - 1
        );
    }

    #[test]
    fn split_streams_say_where_each_line_came_from() {
        let spec = CommandSpec::new("sh").args(["-c", "echo out; echo err >&2"]);
        let mut lines = Vec::new();
        run_split(&spec, |stream, line| lines.push((stream, line.to_owned()))).unwrap();
        lines.sort_by_key(|(stream, _)| *stream == Stream::Stderr);
        assert_eq!(
            lines,
            [
                (Stream::Stdout, "out".to_owned()),
                (Stream::Stderr, "err".to_owned())
            ]
        );
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let spec = CommandSpec::new("sh")
            .args(["-c", "sleep 30 & sleep 30"])
            .timeout(Some(Duration::from_millis(200)));
        let (finished, _, _) = run_captured(&spec).unwrap();
        assert!(!finished.success());
        assert!(finished.describe().starts_with("timed out after"));
        assert!(finished.duration < Duration::from_secs(10));
    }

    #[test]
    fn a_background_child_holding_the_output_is_reported_not_waited_for() {
        let spec = CommandSpec::new("sh")
            .args(["-c", "sleep 30 & echo $!; echo done"])
            .timeout(Some(Duration::from_secs(20)));
        let mut lines = Vec::new();
        let finished = run_streaming(&spec, |line| lines.push(line.to_owned())).unwrap();
        let pid: u32 = lines[0].parse().unwrap();
        unsafe_kill(pid);
        assert!(finished.success(), "{}", finished.describe());
        assert!(finished.duration < Duration::from_secs(10));
        assert_eq!(lines, [pid.to_string(), "done".to_owned()]);
        let left = finished.leftover.expect("the sleep is left over");
        assert!(left.holds_output);
        assert_eq!(left.processes, [(pid, "sleep".to_owned())]);
    }

    #[test]
    fn a_group_member_without_the_output_is_reported_too() {
        let spec = CommandSpec::new("sh").args(["-c", "sleep 30 >/dev/null 2>&1 & echo $!"]);
        let (finished, stdout, _) = run_captured(&spec).unwrap();
        let pid: u32 = String::from_utf8(stdout).unwrap().trim().parse().unwrap();
        unsafe_kill(pid);
        let left = finished.leftover.expect("the sleep is left over");
        assert!(!left.holds_output);
        assert_eq!(left.processes, [(pid, "sleep".to_owned())]);
    }

    #[test]
    fn a_command_that_waits_for_its_children_leaves_nothing() {
        let spec = CommandSpec::new("sh").args(["-c", "sleep 0.1 & wait; echo done"]);
        let (finished, stdout, _) = run_captured(&spec).unwrap();
        assert_eq!(stdout, b"done\n");
        assert_eq!(finished.leftover, None);
    }

    #[test]
    fn usage_counts_the_cpu_time_of_the_command() {
        let spec = CommandSpec::new("sh")
            .args(["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"])
            .discard_stdout();
        let (finished, _, _) = run_captured(&spec).unwrap();
        assert!(finished.success());
        assert!(finished.usage.user + finished.usage.system > Duration::ZERO);
        assert!(finished.usage.max_rss_bytes > 0);
    }

    fn unsafe_kill(pid: u32) {
        // SAFETY: kill only sends a signal, to a process this test started.
        unsafe {
            libc::kill(pid as i32, libc::SIGKILL);
        }
    }

    #[test]
    fn missing_program_is_a_clear_error() {
        let err = run_captured(&CommandSpec::new("definitely-not-a-program-xyz")).unwrap_err();
        assert!(err.hint().contains("installed and on PATH"));
    }

    #[test]
    fn display_quotes_words_with_spaces() {
        let spec = CommandSpec::new("echo").args(["a b", "it's", "plain"]);
        assert_eq!(spec.display(), r"echo 'a b' 'it'\''s' plain");
    }
}
