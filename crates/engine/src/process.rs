//! Running the commands tasks are made of: each in its own process group (so
//! Ctrl-C and timeouts stop the whole tree), with output read line by line as
//! it arrives, and failures to start turned into errors that say what to install.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::interrupt::{self, GroupGuard};

/// A command to run.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(OsString, OsString)>,
    pub timeout: Option<Duration>,
}

impl CommandSpec {
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Self {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            timeout: None,
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

    /// The command line as a user would type it.
    pub fn display(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|word| shell_quote(&word.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn spawn(&self, stdout: Stdio, stderr: Stdio) -> Result<Child, ProcessError> {
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
        let child = command.spawn().map_err(|source| self.error(source));
        // Our copies of the pipe's write ends close with `command`, so the
        // reader sees end-of-file when the child's tree is done writing.
        drop(command);
        child
    }

    fn error(&self, source: std::io::Error) -> ProcessError {
        ProcessError {
            program: self.program.to_string_lossy().into_owned(),
            cwd: self.cwd.clone(),
            source,
        }
    }
}

/// `word` as a POSIX shell would need it typed: as is when that is safe, else
/// single-quoted. The one quoter of the tool (commands shown to the user, the
/// hook script). Hand-written rather than `shell_words::quote`, which leaves
/// `{`, `!` and non-ASCII characters bare: this lists what is safe instead.
pub fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
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
#[derive(Debug, Clone, Copy)]
pub struct Finished {
    pub status: ExitStatus,
    pub timed_out: Option<Duration>,
    pub duration: Duration,
}

impl Finished {
    pub fn success(&self) -> bool {
        self.status.success() && self.timed_out.is_none()
    }

    /// "exited with status 1", "was killed by signal 9", "timed out after 5s".
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
    let started = Instant::now();
    let (reader, writer) = std::io::pipe().map_err(|source| spec.error(source))?;
    let writer_for_stderr = writer.try_clone().map_err(|source| spec.error(source))?;
    let mut child = spec.spawn(Stdio::from(writer), Stdio::from(writer_for_stderr))?;
    let running = Running::watch(&child, spec.timeout);
    let mut reader = BufReader::new(reader);
    let mut buffer = Vec::new();
    while matches!(reader.read_until(b'\n', &mut buffer), Ok(n) if n > 0) {
        let line = String::from_utf8_lossy(&buffer);
        on_line(line.trim_end_matches(['\n', '\r']));
        buffer.clear();
    }
    Ok(running.wait(&mut child, started))
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
    let started = Instant::now();
    let mut child = spec.spawn(Stdio::piped(), Stdio::piped())?;
    let running = Running::watch(&child, spec.timeout);
    let (tx, rx) = mpsc::channel();
    let pipes: [(Stream, Option<Box<dyn Read + Send>>); 2] = [
        (
            Stream::Stdout,
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
        (
            Stream::Stderr,
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
    ];
    let readers: Vec<_> = pipes
        .into_iter()
        .filter_map(|(stream, pipe)| pipe.map(|pipe| (stream, pipe)))
        .map(|(stream, pipe)| {
            let tx = tx.clone();
            thread::spawn(move || {
                let mut reader = BufReader::new(pipe);
                let mut buffer = Vec::new();
                while matches!(reader.read_until(b'\n', &mut buffer), Ok(n) if n > 0) {
                    let line = String::from_utf8_lossy(&buffer)
                        .trim_end_matches(['\n', '\r'])
                        .to_owned();
                    if tx.send((stream, line)).is_err() {
                        break;
                    }
                    buffer.clear();
                }
            })
        })
        .collect();
    drop(tx);
    for (stream, line) in rx {
        on_line(stream, &line);
    }
    for reader in readers {
        let _ = reader.join();
    }
    Ok(running.wait(&mut child, started))
}

/// Runs `spec` to completion and returns its whole stdout and stderr.
pub fn run_captured(spec: &CommandSpec) -> Result<(Finished, Vec<u8>, Vec<u8>), ProcessError> {
    let started = Instant::now();
    let mut child = spec.spawn(Stdio::piped(), Stdio::piped())?;
    let running = Running::watch(&child, spec.timeout);
    let stderr = child.stderr.take().map(|mut pipe| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    });
    let mut stdout = Vec::new();
    if let Some(mut pipe) = child.stdout.take() {
        let _ = pipe.read_to_end(&mut stdout);
    }
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    Ok((running.wait(&mut child, started), stdout, stderr))
}

/// A started child's registration for Ctrl-C and its timeout watchdog.
struct Running {
    _group: GroupGuard,
    watchdog: Option<(mpsc::Sender<()>, Arc<AtomicBool>, Duration)>,
}

impl Running {
    fn watch(child: &Child, timeout: Option<Duration>) -> Self {
        let group = child.id() as i32;
        let guard = GroupGuard::register(group);
        let watchdog = timeout.map(|limit| {
            let (stop, stopped) = mpsc::channel::<()>();
            let fired = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&fired);
            thread::spawn(move || {
                if stopped.recv_timeout(limit) == Err(mpsc::RecvTimeoutError::Timeout) {
                    flag.store(true, Ordering::SeqCst);
                    interrupt::signal_group(group, libc::SIGKILL);
                }
            });
            (stop, fired, limit)
        });
        Running {
            _group: guard,
            watchdog,
        }
    }

    fn wait(self, child: &mut Child, started: Instant) -> Finished {
        let status = child
            .wait()
            .unwrap_or_else(|_| ExitStatus::from_raw(1 << 8));
        let timed_out = self.watchdog.and_then(|(stop, fired, limit)| {
            drop(stop);
            fired.load(Ordering::SeqCst).then_some(limit)
        });
        Finished {
            status,
            timed_out,
            duration: started.elapsed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
