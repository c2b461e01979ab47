//! A copy of the kernel's symbol table, taken while the program runs.
//! `perf script` reads `/proc/kallsyms` before it prints anything, and the
//! kernel writes that text out slowly (about 0.1 s for 120,000 symbols); read
//! from a copy, the same names come out at once. The copy is made on a spare
//! moment of the run and deleted with the recording's scratch files.

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use tempfile::TempPath;

const KALLSYMS: &str = "/proc/kallsyms";
/// perf record reads the table itself as it starts: the copy waits until then.
const AFTER_START: Duration = Duration::from_millis(400);

/// The copy being made; [`Snapshot::finish`] waits for it.
pub(crate) struct Snapshot {
    recording_ended: mpsc::Sender<()>,
    copy: JoinHandle<Option<TempPath>>,
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
    pub fn finish(self) -> Option<TempPath> {
        let _ = self.recording_ended.send(());
        self.copy.join().ok().flatten()
    }
}

fn copy_into(dir: &Path) -> Option<TempPath> {
    let table = std::fs::read(KALLSYMS).ok()?;
    if !shows_addresses(&table) {
        return None;
    }
    let mut file = tempfile::Builder::new()
        .prefix(".kallsyms")
        .tempfile_in(dir)
        .ok()?;
    std::io::Write::write_all(&mut file, &table).ok()?;
    Some(file.into_temp_path())
}

/// A table read without the right to see addresses lists every symbol at 0.
fn shows_addresses(table: &[u8]) -> bool {
    table
        .split(|b| *b == b'\n')
        .next()
        .and_then(|line| line.split(|b| *b == b' ').next())
        .is_some_and(|address| !address.is_empty() && address.iter().any(|b| *b != b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restricted_table_is_not_used() {
        assert!(shows_addresses(b"ffffffff81000000 T _stext\n"));
        assert!(!shows_addresses(b"0000000000000000 T _stext\n"));
        assert!(!shows_addresses(b""));
    }

    #[test]
    fn the_copy_lives_in_the_run_directory_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let Some(copy) = Snapshot::start(dir.path()).finish() else {
            return; // this machine hides kernel addresses from us
        };
        assert_eq!(copy.parent(), Some(dir.path()));
        assert_eq!(
            std::fs::read(&copy).unwrap(),
            std::fs::read(KALLSYMS).unwrap()
        );
        let path = copy.to_path_buf();
        drop(copy);
        assert!(!path.exists());
    }
}
