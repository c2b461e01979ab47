//! The binaries a `perf.data` recording maps, read from its `MMAP`/`MMAP2`
//! records without perf: the symbolizer starts reading their debug info
//! while `perf script` is still starting up. Anything unexpected in the
//! file ends the scan early; the symbolizer then loads what it meets.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::Path;

const MAGIC: &[u8; 8] = b"PERFILE2";
const RECORD_MMAP: u32 = 1;
const RECORD_MMAP2: u32 = 10;
const MISC_MMAP_DATA: u16 = 1 << 13;
/// `pid`, `tid`, `addr`, `len`, `pgoff`.
const MMAP_FIELDS: usize = 4 + 4 + 8 + 8 + 8;
/// `MMAP2` adds the device and inode (or build id), `prot` and `flags`.
const MMAP2_EXTRA: usize = 24 + 4 + 4;

/// The absolute paths of the executable mappings in the recording at `path`,
/// each once, in the order they were mapped; empty if the file is not a perf
/// recording this code knows.
pub(crate) fn mapped_binaries(path: &Path) -> Vec<Vec<u8>> {
    let mut binaries = Vec::new();
    let _ = scan(path, &mut binaries);
    binaries
}

fn scan(path: &Path, binaries: &mut Vec<Vec<u8>>) -> io::Result<()> {
    let mut seen = HashSet::new();
    let mut file = BufReader::with_capacity(64 << 10, File::open(path)?);
    let mut header = [0u8; 72];
    file.read_exact(&mut header)?;
    if &header[..8] != MAGIC {
        return Ok(());
    }
    let data_offset = u64_at(&header, 40);
    let data_size = u64_at(&header, 48);
    file.seek(io::SeekFrom::Start(data_offset))?;
    let mut read = 0;
    let mut body = Vec::new();
    while read + 8 <= data_size {
        let mut record = [0u8; 8];
        file.read_exact(&mut record)?;
        let kind = u32::from_le_bytes(record[..4].try_into().expect("4 bytes"));
        let misc = u16::from_le_bytes([record[4], record[5]]);
        let size = u64::from(u16::from_le_bytes([record[6], record[7]]));
        if size < 8 {
            return Ok(());
        }
        let name_at = match kind {
            RECORD_MMAP => Some(MMAP_FIELDS),
            RECORD_MMAP2 => Some(MMAP_FIELDS + MMAP2_EXTRA),
            _ => None,
        };
        match name_at {
            Some(name_at) if misc & MISC_MMAP_DATA == 0 => {
                body.resize(size as usize - 8, 0);
                file.read_exact(&mut body)?;
                if let Some(name) = body.get(name_at..) {
                    let name = name.split(|b| *b == 0).next().unwrap_or_default();
                    if name.first() == Some(&b'/') && seen.insert(name.to_vec()) {
                        binaries.push(name.to_vec());
                    }
                }
            }
            _ => file.seek_relative(size as i64 - 8)?,
        }
        read += size;
    }
    Ok(())
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u32, misc: u16, name: &str) -> Vec<u8> {
        let fields = if kind == RECORD_MMAP2 {
            MMAP_FIELDS + MMAP2_EXTRA
        } else {
            MMAP_FIELDS
        };
        let mut body = vec![0u8; fields];
        body.extend_from_slice(name.as_bytes());
        body.resize(body.len().next_multiple_of(8) + 8, 0);
        let mut out = kind.to_le_bytes().to_vec();
        out.extend_from_slice(&misc.to_le_bytes());
        out.extend_from_slice(&((body.len() + 8) as u16).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    fn recording(records: &[Vec<u8>]) -> tempfile::NamedTempFile {
        let data: Vec<u8> = records.concat();
        let mut bytes = MAGIC.to_vec();
        bytes.resize(104, 0);
        bytes[40..48].copy_from_slice(&104u64.to_le_bytes());
        bytes[48..56].copy_from_slice(&(data.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&data);
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        file
    }

    #[test]
    fn executable_mappings_are_listed_once_and_data_mappings_left_out() {
        let sample = {
            let mut r = 9u32.to_le_bytes().to_vec();
            r.extend_from_slice(&[0, 0]);
            r.extend_from_slice(&40u16.to_le_bytes());
            r.resize(40, 7);
            r
        };
        let file = recording(&[
            record(RECORD_MMAP2, 0, "/usr/lib/libc.so.6"),
            sample.clone(),
            record(RECORD_MMAP, 0, "/srv/app"),
            record(RECORD_MMAP2, MISC_MMAP_DATA, "/tmp/data.bin"),
            record(RECORD_MMAP2, 0, "[vdso]"),
            sample,
            record(RECORD_MMAP2, 0, "/usr/lib/libc.so.6"),
        ]);
        assert_eq!(
            mapped_binaries(file.path()),
            vec![b"/usr/lib/libc.so.6".to_vec(), b"/srv/app".to_vec()]
        );
    }

    /// The format as this machine's perf writes it (CI installs perf).
    #[test]
    fn a_real_recording_lists_the_program_and_its_libraries() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("perf.data");
        let program = std::fs::canonicalize("/bin/sh").unwrap();
        let recorded = std::process::Command::new("perf")
            .args(["record", "-q", "--no-buildid", "--no-bpf-event", "-o"])
            .arg(&data)
            .arg("--")
            .arg(&program)
            .args(["-c", ":"])
            .output();
        let Ok(recorded) = recorded else {
            panic!("perf is not installed: this test reads its format");
        };
        assert!(recorded.status.success(), "{recorded:?}");
        let binaries = mapped_binaries(&data);
        let listed = |suffix: &str| binaries.iter().any(|b| b.ends_with(suffix.as_bytes()));
        assert!(
            listed(&program.to_string_lossy()),
            "{:?}",
            binaries
                .iter()
                .map(|b| String::from_utf8_lossy(b))
                .collect::<Vec<_>>()
        );
        assert!(binaries.iter().any(|b| b.windows(5).any(|w| w == b"libc.")));
    }

    #[test]
    fn a_file_that_is_not_a_recording_lists_nothing() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            file.path(),
            b"not a perf file at all, but long enough to hold a header: 0123456789",
        )
        .unwrap();
        assert!(mapped_binaries(file.path()).is_empty());
        assert!(mapped_binaries(Path::new("/nonexistent/perf.data")).is_empty());
    }
}
