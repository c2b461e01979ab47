//! Inlined frames, resolved in process. perf 6.1 without libbfd resolves them
//! by talking to one external `addr2line` per binary: half of `perf script`'s
//! time on a small program, three quarters of the whole profile on ripgrep.
//! Here `perf script --no-inline` names the compiled functions, and the DWARF
//! of each binary (or its separate debug file) is read once, lazily, with
//! every address looked up once.
//!
//! The output is `perf script`'s text with inline frames: before a frame's
//! line, one `<ip> <function> (inlined)` line per call inlined at that
//! address, innermost first, so each sits below its caller in the flamegraph
//! (perf's own order varies with what its `addr2line` answers first).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::Scope;

use addr2line::Loader;

use super::perfdata;
use object::{Object, ObjectSection, ObjectSegment};

/// The binaries of one recording, each loaded once: a system library's
/// separate debug file can take a tenth of a second to decompress, so the
/// first binaries the recording maps are loaded ahead on spare threads while
/// `perf script` starts, until folding ends.
#[derive(Default)]
pub(crate) struct Symbols {
    binaries: Mutex<HashMap<Vec<u8>, Arc<Slot>>>,
    /// Set when folding is done: loading ahead starts no other binary.
    done: AtomicBool,
}

type Slot = OnceLock<Option<Mutex<Binary>>>;

/// Binaries loaded ahead, in the order the program mapped them: the
/// executable, the dynamic loader and the first libraries (libc among them
/// for a Rust program). The rest, often never sampled, wait until a frame
/// names them.
const AHEAD: usize = 4;
/// Threads that load them.
const AHEAD_THREADS: usize = 2;

/// One binary's load segments and debug info.
struct Binary {
    /// `(file offset, size, address)` of each loaded segment: perf prints
    /// offsets into the file, DWARF speaks of addresses.
    segments: Vec<(u64, u64, u64)>,
    debug: Loader,
}

/// Stops loading ahead when dropped, however folding ends.
pub(crate) struct StopLoading<'a>(&'a Symbols);

impl Drop for StopLoading<'_> {
    fn drop(&mut self) {
        self.0.done.store(true, Ordering::Relaxed);
    }
}

impl Symbols {
    /// Reads the binaries the recording `data` maps (see [`perfdata`]) and
    /// loads the first [`AHEAD`] on [`AHEAD_THREADS`] threads, until the
    /// returned guard is dropped. A binary not loaded ahead is loaded when
    /// first looked up.
    pub fn prefetch<'scope>(
        &'scope self,
        scope: &'scope Scope<'scope, '_>,
        data: &'scope Path,
    ) -> StopLoading<'scope> {
        scope.spawn(move || {
            let mut binaries = perfdata::mapped_binaries(data);
            binaries.truncate(AHEAD);
            let binaries = Arc::new(binaries);
            let next = Arc::new(AtomicUsize::new(0));
            for _ in 1..AHEAD_THREADS {
                let (binaries, next) = (Arc::clone(&binaries), Arc::clone(&next));
                scope.spawn(move || self.load_ahead(&binaries, &next));
            }
            self.load_ahead(&binaries, &next);
        });
        StopLoading(self)
    }

    fn load_ahead(&self, binaries: &[Vec<u8>], next: &AtomicUsize) {
        while !self.done.load(Ordering::Relaxed)
            && let Some(path) = binaries.get(next.fetch_add(1, Ordering::Relaxed))
        {
            if let (slot, true) = self.slot(path) {
                load(&slot, path);
            }
        }
    }

    /// The slot of `path`, and whether it is new.
    fn slot(&self, path: &[u8]) -> (Arc<Slot>, bool) {
        let mut binaries = self.binaries.lock().unwrap_or_else(|e| e.into_inner());
        match binaries.get(path) {
            Some(slot) => (Arc::clone(slot), false),
            None => {
                let slot = Arc::new(Slot::new());
                binaries.insert(path.to_vec(), Arc::clone(&slot));
                (slot, true)
            }
        }
    }
}

/// perf prints a binary's path as the bytes the kernel gave it.
fn path_of(binary: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(binary))
}

fn load<'a>(slot: &'a Slot, path: &[u8]) -> &'a Option<Mutex<Binary>> {
    slot.get_or_init(|| Binary::open(&path_of(path)).map(Mutex::new))
}

/// Adds inlined frames to `perf script --no-inline` text, a chunk of whole
/// samples at a time; one per folding thread, with its own memo of answers.
pub(crate) struct Inliner<'a> {
    symbols: &'a Symbols,
    /// Per binary: its slot, and the `(inlined)` lines at each looked-up offset.
    memo: HashMap<Vec<u8>, (Arc<Slot>, Answers)>,
}

/// The `(inlined)` lines at each file offset of one binary, for a leaf
/// frame or a return address.
type Answers = HashMap<(u64, bool), Vec<u8>>;

impl<'a> Inliner<'a> {
    pub fn new(symbols: &'a Symbols) -> Self {
        Self {
            symbols,
            memo: HashMap::new(),
        }
    }

    /// `text` (whole samples) with, before each frame line
    /// (`\t<ip> <symbol> (<binary>)`), the frames inlined at its address.
    pub fn expand(&mut self, text: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        let mut leaf = true;
        for line in text.split_inclusive(|b| *b == b'\n') {
            if line.first() != Some(&b'\t') {
                leaf = true;
            } else {
                if let Some((ip, path)) = parse_frame(line) {
                    out.extend_from_slice(self.inlined_at(path, ip, leaf));
                }
                leaf = false;
            }
            out.extend_from_slice(line);
        }
        out
    }

    /// The sample's first frame (`leaf`) is where it was taken; the others
    /// are return addresses, looked up one byte back so that the call, not
    /// the instruction after it, is named (perf's dwarf unwinder may have
    /// taken the byte off already: a call is longer than two bytes, so the
    /// probe stays inside it).
    fn inlined_at(&mut self, path: &[u8], ip: u64, leaf: bool) -> &[u8] {
        let probe = if leaf { ip } else { ip.saturating_sub(1) };
        if !self.memo.contains_key(path) {
            let (slot, _) = self.symbols.slot(path);
            self.memo.insert(path.to_vec(), (slot, HashMap::new()));
        }
        let (slot, answers) = self.memo.get_mut(path).expect("inserted above");
        answers
            .entry((ip, leaf))
            .or_insert_with(|| match load(slot, path) {
                Some(binary) => {
                    let binary = binary.lock().unwrap_or_else(|e| e.into_inner());
                    inlined_lines(&binary.debug, &binary.segments, probe, ip)
                }
                None => Vec::new(),
            })
    }
}

/// The address and the binary of a frame line; `None` for the kernel's and
/// other pseudo binaries (`[kernel.kallsyms]`, `[unknown]`, `[vdso]`) and for
/// frames already marked inlined.
fn parse_frame(line: &[u8]) -> Option<(u64, &[u8])> {
    let text = line.trim_ascii();
    let (ip, rest) = text.split_at(text.iter().position(|b| *b == b' ')?);
    let ip = u64::from_str_radix(std::str::from_utf8(ip).ok()?, 16).ok()?;
    // Symbols have parentheses (`<impl Fn(A,)>`) but no " (/"; paths may have both.
    let open = rest.windows(3).position(|w| w == b" (/")?;
    let binary = rest[open + 2..].strip_suffix(b")")?;
    // Unlinked since it was mapped: what now has its name is another binary.
    (!binary.ends_with(b" (deleted)")).then_some((ip, binary))
}

impl Binary {
    fn open(path: &Path) -> Option<Binary> {
        // A FIFO or a device at the recorded path would block or mislead.
        if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            return None;
        }
        let file = object::ReadCache::new(File::open(path).ok()?);
        let object = object::File::parse(&file).ok()?;
        let segments = object
            .segments()
            .map(|segment| {
                let (offset, size) = segment.file_range();
                (offset, size, segment.address())
            })
            .collect();
        let debug = if has_dwarf(&object) {
            path.to_path_buf()
        } else {
            separate_debug_file(path, &object)?
        };
        Some(Binary {
            segments,
            debug: Loader::new(debug).ok()?,
        })
    }
}

/// perf's `(inlined)` lines for the calls inlined at `probe` (a file offset),
/// printed with the frame's own `ip`.
fn inlined_lines(debug: &Loader, segments: &[(u64, u64, u64)], probe: u64, ip: u64) -> Vec<u8> {
    let Some(address) = segments
        .iter()
        .find(|(offset, size, _)| (*offset..offset + size).contains(&probe))
        .map(|(offset, _, address)| probe - offset + address)
    else {
        return Vec::new();
    };
    let Ok(mut frames) = debug.find_frames(address) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    loop {
        match frames.next() {
            Ok(Some(frame)) => names.push(
                frame
                    .function
                    .as_ref()
                    .and_then(|name| name.demangle().ok())
                    .map(|name| name.into_owned()),
            ),
            Ok(None) => break,
            // Which frame is the outermost is unknown now: add none.
            Err(_) => return Vec::new(),
        }
    }
    // The last frame is the function the code was inlined into: perf names it.
    names.pop();
    let mut lines = Vec::new();
    // A call whose function has no name here (its DWARF in a supplementary
    // file) is left out rather than shown as a frame without a name.
    for name in names.into_iter().flatten() {
        lines.extend_from_slice(format!("\t{ip:>16x} {name} (inlined)\n").as_bytes());
    }
    lines
}

type ElfFile<'a> = object::File<'a, &'a object::ReadCache<File>>;

fn has_dwarf(object: &ElfFile<'_>) -> bool {
    [".debug_info", ".zdebug_info"]
        .iter()
        .any(|name| object.section_by_name(name).is_some_and(|s| s.size() > 0))
}

/// Where distributions put a binary's debug info: by build id, or by the
/// `.gnu_debuglink` name beside it or under `/usr/lib/debug` (gdb's and
/// perf's search order).
fn separate_debug_file(path: &Path, object: &ElfFile<'_>) -> Option<PathBuf> {
    let root = Path::new("/usr/lib/debug");
    let mut candidates = Vec::new();
    if let Ok(Some(id)) = object.build_id()
        && let Some((first, rest)) = id.split_first()
    {
        let rest: String = rest.iter().map(|b| format!("{b:02x}")).collect();
        candidates.push(root.join(format!(".build-id/{first:02x}/{rest}.debug")));
    }
    if let Ok(Some((name, _crc))) = object.gnu_debuglink()
        && let Ok(name) = std::str::from_utf8(name)
        && let Some(dir) = path.parent()
    {
        let name = Path::new(name);
        candidates.push(dir.join(name));
        candidates.push(dir.join(".debug").join(name));
        candidates.push(root.join(dir.strip_prefix("/").unwrap_or(dir)).join(name));
    }
    candidates.into_iter().find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_lines_give_their_offset_and_binary() {
        let line = b"\t           1340c hot::hot_loop (/opt/hot/bin/hot)\n";
        assert_eq!(parse_frame(line), Some((0x1340c, &b"/opt/hot/bin/hot"[..])));
        let spaced = b"\t  27249 <T as core::ops::Fn<(A,)>>::call (/opt/my app/bin)\n";
        assert_eq!(
            parse_frame(spaced).map(|f| f.1),
            Some(&b"/opt/my app/bin"[..])
        );
        for pseudo in [
            &b"\tffffffff8100 entry_SYSCALL_64 ([kernel.kallsyms])\n"[..],
            b"\t0 [unknown] ([unknown])\n",
            b"\t1340c core::hint::black_box (inlined)\n",
            b"\t1340c gone (/tmp/app (deleted))\n",
            b"\tnot-hex name (/bin/app)\n",
        ] {
            assert_eq!(
                parse_frame(pseudo),
                None,
                "{}",
                String::from_utf8_lossy(pseudo)
            );
        }
    }

    #[test]
    fn a_missing_binary_leaves_the_text_alone() {
        let symbols = Symbols::default();
        let text = b"app 1/1 1.0: cpu-clock:\n\t1340c hot::hot_loop (/nonexistent/binary)\n\n";
        assert_eq!(Inliner::new(&symbols).expand(text), text);
    }
}
