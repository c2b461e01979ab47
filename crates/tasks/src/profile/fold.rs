//! Symbolization and folding: `perf script` output, which can be gigabytes, is
//! streamed straight from the pipe into inferno's perf folder while a
//! progress line shows how much has been read. Nothing holds the whole text.

use std::io::{self, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cargo_perf_engine::{TaskContext, TaskError};
use cargo_perf_policy::ByteSize;
use inferno::collapse::Collapse;
use inferno::collapse::perf::{Folder, Options};

const FIELDS: &str = "comm,pid,tid,time,event,ip,sym,dso";

/// Runs `perf script` on `data` and returns the folded stacks.
///
/// `perf script` stays in our process group (it is not registered with the
/// engine's Ctrl-C handling): it must still run after a Ctrl-C stopped the
/// recording, and a Ctrl-C at the terminal while it runs reaches it directly.
pub(crate) fn perf_script(
    cx: &TaskContext<'_>,
    data: &Path,
    no_inline: bool,
) -> Result<(Vec<u8>, String), TaskError> {
    let mut command = Command::new("perf");
    // No `period` field: every sample then counts once, so the folded counts are samples.
    command
        .args(["script", "--fields", FIELDS, "--input"])
        .arg(data);
    if no_inline {
        command.arg("--no-inline");
    }
    let shown = format!(
        "perf script --fields {FIELDS} --input {}{}",
        data.display(),
        if no_inline { " --no-inline" } else { "" }
    );
    cx.step("symbolizing with perf script");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| {
            TaskError::new(format!("cannot run `perf script`: {err}"))
                .hint("is `perf` installed and on PATH?")
        })?;
    let stderr = child.stderr.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    });
    let stdout = child.stdout.take().expect("stdout is piped");
    let reader = Progress::new(stdout, |bytes, samples, elapsed| {
        cx.step(&format!(
            "symbolizing with perf script: {samples} samples ({}) in {:.0}s",
            ByteSize(bytes),
            elapsed.as_secs_f64()
        ))
    });
    let folded = fold(reader);
    let status = child.wait();
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    let folded =
        folded.map_err(|err| TaskError::new(format!("cannot fold `{shown}` output: {err}")))?;
    match status {
        Ok(status) if status.success() => Ok((folded, shown)),
        _ if !folded.is_empty() => Ok((folded, shown)),
        _ => Err(
            TaskError::new(format!("`{shown}` failed: {}", stderr.trim())).hint(
                "check that the recording is complete; run the command above to see its output",
            ),
        ),
    }
}

/// Folds `perf script` text into `stack count` lines (one thread: streaming).
pub fn fold(reader: impl Read) -> io::Result<Vec<u8>> {
    let mut options = Options::default();
    options.nthreads = 1;
    let mut folder = Folder::from(options);
    let mut out = Vec::new();
    folder.collapse(BufReader::with_capacity(1 << 18, reader), &mut out)?;
    Ok(out)
}

/// A reader that reports how many bytes and samples (blank-line separated
/// records) went through, a few times a second.
struct Progress<R, F> {
    inner: R,
    bytes: u64,
    samples: u64,
    last_byte: u8,
    started: Instant,
    last: Instant,
    report: F,
}

impl<R: Read, F: FnMut(u64, u64, Duration)> Progress<R, F> {
    fn new(inner: R, report: F) -> Self {
        let now = Instant::now();
        Self {
            inner,
            bytes: 0,
            samples: 0,
            last_byte: 0,
            started: now,
            last: now,
            report,
        }
    }
}

impl<R: Read, F: FnMut(u64, u64, Duration)> Read for Progress<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        for &byte in &buf[..n] {
            if byte == b'\n' && self.last_byte == b'\n' {
                self.samples += 1;
            }
            self.last_byte = byte;
        }
        if self.last.elapsed() >= Duration::from_millis(250) {
            self.last = Instant::now();
            (self.report)(self.bytes, self.samples, self.started.elapsed());
        }
        Ok(n)
    }
}
