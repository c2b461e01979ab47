//! A copy of the kernel's symbol table, taken while the program runs.
//! `perf script` reads `/proc/kallsyms` before it prints anything, and the
//! kernel writes that text out slowly (about 0.1 s for 120,000 symbols); read
//! from a copy, the same names come out at once. The copy is a file without a
//! name (unlinked as it is made), so no run, however it ends, leaves it behind;
//! `perf script` opens it through `/proc/<pid>/fd/<n>`.

use std::fs::File;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

const KALLSYMS: &str = "/proc/kallsyms";
/// perf record reads the table itself as it starts: the copy waits until then.
const AFTER_START: Duration = Duration::from_millis(400);

/// The copy being made; [`Snapshot::finish`] waits for it.
pub(crate) struct Snapshot {
    recording_ended: mpsc::Sender<()>,
    copy: JoinHandle<Option<Copy>>,
}

/// The copy, open; it is gone when this is dropped.
pub(crate) struct Copy {
    file: File,
}

impl Copy {
    /// A path `perf script` can open while this process holds the copy.
    pub fn path(&self) -> PathBuf {
        use std::os::fd::AsRawFd;
        PathBuf::from(format!(
            "/proc/{}/fd/{}",
            std::process::id(),
            self.file.as_raw_fd()
        ))
    }
}

impl Snapshot {
    /// Starts copying the table into `dir`, once perf has started or the
    /// recording has ended, whichever comes first.
    pub fn start(dir: &Path) -> Snapshot {
        let (recording_ended, ended) = mpsc::channel();
        let dir = dir.to_path_buf();
        let copy = std::thread::spawn(move || {
            let _ = ended.recv_timeout(AFTER_START);
            copy_into(&dir)
        });
        Snapshot {
            recording_ended,
            copy,
        }
    }

    /// The copy, or `None` when the table could not be read or shows no
    /// addresses (`kptr_restrict`): perf then reads the kernel's own.
    pub fn finish(self) -> Option<Copy> {
        let _ = self.recording_ended.send(());
        self.copy.join().ok().flatten()
    }
}

fn copy_into(dir: &Path) -> Option<Copy> {
    let table = std::fs::read(KALLSYMS).ok()?;
    if !shows_addresses(&table) {
        return None;
    }
    let mut file = tempfile::tempfile_in(dir).ok()?;
    file.write_all(&table).ok()?;
    file.rewind().ok()?;
    Some(Copy { file })
}

/// A table read without the right to see addresses lists every symbol at 0;
/// a readable one may still start with per-cpu symbols at 0.
fn shows_addresses(table: &[u8]) -> bool {
    table.split(|b| *b == b'\n').any(|line| {
        let address = line.split(|b| *b == b' ').next().unwrap_or_default();
        !address.is_empty() && address.iter().any(|b| *b != b'0')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restricted_table_is_not_used() {
        assert!(shows_addresses(b"ffffffff81000000 T _stext\n"));
        assert!(shows_addresses(
            b"0000000000000000 A fixed_percpu_data\nffffffff81000000 T _stext\n"
        ));
        assert!(!shows_addresses(
            b"0000000000000000 T _stext\n0000000000000000 T _text\n"
        ));
        assert!(!shows_addresses(b""));
    }

    #[test]
    fn the_copy_has_no_name_and_reads_back_through_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let Some(copy) = Snapshot::start(dir.path()).finish() else {
            assert!(!shows_addresses(&std::fs::read(KALLSYMS).unwrap()));
            return;
        };
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let text = std::fs::read(copy.path()).unwrap();
        assert!(shows_addresses(&text), "{} bytes", text.len());
    }
}
