//! Symbolization and folding: `perf script` output, which can be gigabytes, is
//! streamed straight from the pipe into inferno's perf folder while a
//! progress line shows how much has been read. Nothing holds the whole text.

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use cargo_perf_engine::{TaskContext, TaskError};
use cargo_perf_policy::ByteSize;
use inferno::collapse::Collapse;
use inferno::collapse::perf::{Folder, Options};

use super::inline::{Inliner, Symbols};
use super::kallsyms;

const FIELDS: &str = "comm,pid,tid,time,event,ip,sym,dso";

/// Runs `perf script --no-inline` on `data` and returns the folded stacks,
/// with inlined frames added in process unless `no_inline`, and the kernel's
/// symbols read from the `kallsyms` copy when there is one.
///
/// `perf script` stays in our process group (it is not registered with the
/// engine's Ctrl-C handling): it must still run after a Ctrl-C stopped the
/// recording, and a Ctrl-C at the terminal while it runs reaches it directly.
pub(crate) fn perf_script(
    cx: &TaskContext<'_>,
    data: &Path,
    no_inline: bool,
    kallsyms: Option<&kallsyms::Copy>,
) -> Result<(Folded, String), TaskError> {
    let mut command = Command::new("perf");
    // No `period` field: every sample then counts once, so the folded counts are samples.
    command
        .args(["script", "--fields", FIELDS, "--input"])
        .arg(data)
        .arg("--no-inline");
    if let Some(copy) = kallsyms {
        command.arg("--kallsyms").arg(copy.path());
    }
    // The copy is gone afterwards; without it perf reads the same table.
    let shown = format!(
        "perf script --fields {FIELDS} --input {} --no-inline",
        data.display(),
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
    let symbols = Symbols::default();
    let inline = (!no_inline).then_some((&symbols, data));
    let folded = fold_with(reader, inline);
    let status = child.wait();
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    let folded =
        folded.map_err(|err| TaskError::new(format!("cannot fold `{shown}` output: {err}")))?;
    match status {
        Ok(status) if status.success() => Ok((folded, shown)),
        _ if !folded.stacks.is_empty() => Ok((folded, shown)),
        _ => Err(
            TaskError::new(format!("`{shown}` failed: {}", stderr.trim())).hint(
                "check that the recording is complete; run the command above to see its output",
            ),
        ),
    }
}

/// Bytes of `perf script` text folded as one piece of work.
const CHUNK: usize = 4 << 20;

/// Folded stacks, and with inlined frames added, the same stacks at the
/// level of the functions as compiled (each inlined call merged into the
/// function it was inlined into): what "self" and the diff's verdicts count.
pub(crate) struct Folded {
    pub stacks: Vec<u8>,
    pub functions: Option<Vec<u8>>,
}

impl Folded {
    /// Stacks that have no inlined frames are their own function-level stacks.
    pub fn plain(stacks: Vec<u8>) -> Self {
        Folded {
            stacks,
            functions: None,
        }
    }

    /// The stacks per compiled function.
    pub fn functions(&self) -> &[u8] {
        self.functions.as_deref().unwrap_or(&self.stacks)
    }
}

/// Counts per folded stack, with inline frames and per compiled function.
#[derive(Default)]
struct Counts {
    stacks: HashMap<String, u64>,
    functions: HashMap<String, u64>,
}

/// Folds `perf script` text into sorted `stack count` lines. The text is read
/// in chunks cut at sample boundaries and folded on every core while reading
/// goes on, so memory stays at a few chunks however long the text is.
pub fn fold(reader: impl Read) -> io::Result<Vec<u8>> {
    Ok(fold_with(reader, None)?.stacks)
}

/// [`fold`], adding the frames inlined at each address of
/// `perf script --no-inline` text when given the `symbols` to read them
/// from, and the recording whose binaries to start loading at once.
fn fold_with(reader: impl Read, inline: Option<(&Symbols, &Path)>) -> io::Result<Folded> {
    let symbols = inline.map(|(symbols, _)| symbols);
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 8);
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<u8>>(workers);
    // Owned by the workers only: if they all end early, sending fails, and
    // reading stops instead of waiting for them.
    let receive = Arc::new(Mutex::new(receive));
    let totals = std::thread::scope(|scope| -> io::Result<Counts> {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let receive = Arc::clone(&receive);
                scope.spawn(move || fold_chunks(&receive, symbols))
            })
            .collect();
        drop(receive);
        let _stop_loading = inline.map(|(symbols, data)| symbols.prefetch(scope, data));
        let read = split_chunks(reader, |chunk| send.send(chunk).is_ok());
        drop(send);
        let mut totals = Counts::default();
        for handle in handles {
            let counts = handle
                .join()
                .map_err(|_| io::Error::other("a folding thread panicked"))??;
            merge(&mut totals.stacks, counts.stacks);
            merge(&mut totals.functions, counts.functions);
        }
        read?;
        Ok(totals)
    })?;
    Ok(Folded {
        stacks: sorted_lines(totals.stacks),
        functions: inline.map(|_| sorted_lines(totals.functions)),
    })
}

/// One folding thread: takes chunks until there are no more.
fn fold_chunks(
    receive: &Mutex<mpsc::Receiver<Vec<u8>>>,
    symbols: Option<&Symbols>,
) -> io::Result<Counts> {
    let mut inliner = symbols.map(Inliner::new);
    let mut counts = Counts::default();
    let mut out = Vec::new();
    loop {
        let chunk = match receive.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => break,
        };
        let Ok(chunk) = chunk else { break };
        if let Some(inliner) = &mut inliner {
            collapse(&chunk, &mut out)?;
            add_lines(&mut counts.functions, &out);
            collapse(&inliner.expand(&chunk), &mut out)?;
        } else {
            collapse(&chunk, &mut out)?;
        }
        add_lines(&mut counts.stacks, &out);
    }
    Ok(counts)
}

fn collapse(text: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    out.clear();
    let mut options = Options::default();
    options.nthreads = 1;
    Folder::from(options).collapse(text, out)
}

fn merge(totals: &mut HashMap<String, u64>, counts: HashMap<String, u64>) {
    for (stack, count) in counts {
        *totals.entry(stack).or_insert(0) += count;
    }
}

fn sorted_lines(counts: HashMap<String, u64>) -> Vec<u8> {
    let mut stacks: Vec<_> = counts.into_iter().collect();
    stacks.sort_unstable();
    let mut out = Vec::with_capacity(stacks.iter().map(|(s, _)| s.len() + 12).sum());
    for (stack, count) in stacks {
        out.extend_from_slice(stack.as_bytes());
        out.push(b' ');
        out.extend_from_slice(count.to_string().as_bytes());
        out.push(b'\n');
    }
    out
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
