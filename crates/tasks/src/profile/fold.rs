//! Symbolization and folding: `perf script` output, which can be gigabytes, is
//! streamed straight from the pipe into inferno's perf folder while a
//! progress line shows how much has been read. Nothing holds the whole text.

use std::collections::HashMap;
use std::io::{self, Read};
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

/// Bytes of `perf script` text folded as one piece of work.
const CHUNK: usize = 4 << 20;

/// Folds `perf script` text into sorted `stack count` lines. The text is read
/// in chunks cut at sample boundaries and folded on every core while reading
/// goes on, so memory stays at a few chunks however long the text is.
pub fn fold(reader: impl Read) -> io::Result<Vec<u8>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 8);
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<u8>>(workers);
    let receive = std::sync::Mutex::new(receive);
    let totals = std::thread::scope(|scope| -> io::Result<HashMap<String, u64>> {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let receive = &receive;
                scope.spawn(move || -> io::Result<HashMap<String, u64>> {
                    let mut counts = HashMap::new();
                    let mut out = Vec::new();
                    loop {
                        let chunk = match receive.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => break,
                        };
                        let Ok(chunk) = chunk else { break };
                        out.clear();
                        let mut options = Options::default();
                        options.nthreads = 1;
                        Folder::from(options).collapse(&chunk[..], &mut out)?;
                        add_lines(&mut counts, &out);
                    }
                    Ok(counts)
                })
            })
            .collect();
        let read = split_chunks(reader, |chunk| send.send(chunk).is_ok());
        drop(send);
        let mut totals = HashMap::new();
        for handle in handles {
            let counts = handle
                .join()
                .map_err(|_| io::Error::other("a folding thread panicked"))??;
            for (stack, count) in counts {
                *totals.entry(stack).or_insert(0) += count;
            }
        }
        read?;
        Ok(totals)
    })?;
    let mut stacks: Vec<_> = totals.into_iter().collect();
    stacks.sort_unstable();
    let mut out = Vec::with_capacity(stacks.iter().map(|(s, _)| s.len() + 12).sum());
    for (stack, count) in stacks {
        out.extend_from_slice(stack.as_bytes());
        out.push(b' ');
        out.extend_from_slice(count.to_string().as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

/// Reads `reader` into chunks of about [`CHUNK`] bytes that end at a blank
/// line (the end of a sample), handing each to `sink` until it returns false.
fn split_chunks(mut reader: impl Read, mut sink: impl FnMut(Vec<u8>) -> bool) -> io::Result<()> {
    let mut buffer: Vec<u8> = Vec::with_capacity(CHUNK + (64 << 10));
    loop {
        let start = buffer.len();
        buffer.resize(start + (256 << 10), 0);
        let n = loop {
            match reader.read(&mut buffer[start..]) {
                Ok(n) => break n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        };
        buffer.truncate(start + n);
        if n == 0 {
            if !buffer.is_empty() {
                sink(buffer);
            }
            return Ok(());
        }
        if buffer.len() >= CHUNK
            && let Some(end) = buffer.windows(2).rposition(|w| w == b"\n\n")
        {
            let rest = buffer.split_off(end + 2);
            let full = std::mem::replace(&mut buffer, rest);
            buffer.reserve(CHUNK + (64 << 10));
            if !sink(full) {
                return Ok(());
            }
        }
    }
}

fn add_lines(counts: &mut HashMap<String, u64>, folded: &[u8]) {
    for line in folded.split(|b| *b == b'\n') {
        let Some(space) = line.iter().rposition(|b| *b == b' ') else {
            continue;
        };
        let Some(count) = std::str::from_utf8(&line[space + 1..])
            .ok()
            .and_then(|c| c.parse::<u64>().ok())
        else {
            continue;
        };
        let stack = String::from_utf8_lossy(&line[..space]);
        match counts.get_mut(stack.as_ref()) {
            Some(total) => *total += count,
            None => {
                counts.insert(stack.into_owned(), count);
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str =
        "app 1/1 1.0: cpu-clock:\n\t1 app::hot+0x1 (/app)\n\t2 main+0x2 (/app)\n\n";

    #[test]
    fn chunked_folding_counts_every_sample_once() {
        let text = SAMPLE.repeat(200_000);
        assert!(text.len() > 2 * CHUNK);
        let folded = String::from_utf8(fold(text.as_bytes()).unwrap()).unwrap();
        assert_eq!(folded, "app;main;app::hot 200000\n");
    }

    #[test]
    fn chunks_end_at_sample_boundaries() {
        let text = SAMPLE.repeat(100_000);
        let mut chunks = Vec::new();
        split_chunks(text.as_bytes(), |c| {
            chunks.push(c);
            true
        })
        .unwrap();
        assert!(chunks.len() > 1);
        assert!(chunks.iter().all(|c| c.starts_with(b"app ")));
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), text.len());
    }
}
