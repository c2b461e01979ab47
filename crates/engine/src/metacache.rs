//! A cache of cargo's answer to `cargo metadata --no-deps`, kept in
//! `<target>/cargo-perf/workspace-metadata.json`. Asking cargo costs a
//! process and cargo's own start-up on every run, most of `cargo perf
//! check`'s time when the check itself is quick (a pre-push hook on an
//! unchanged tree), while the answer only changes when one of its inputs
//! does. So the answer is stored with a key: the request (cargo binary,
//! command line, directory, the `CARGO*`/`RUSTUP*` environment) and the
//! stamp of every file and directory cargo reads for it ([`inputs`]). A run
//! whose request and stamps all match takes the stored answer; any
//! difference, a missing, unreadable or corrupt file, asks cargo again. A
//! stale answer must never be taken, so the cache stays off where its key
//! cannot be complete: `$CARGO` unset (a rustup proxy picks the toolchain),
//! a `**` members glob, or an input changed within [`stamp::RACY`] of the
//! question (stored only once things are still).

mod inputs;
mod stamp;

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use cargo_metadata::Metadata;
use serde::{Deserialize, Serialize};

use stamp::{Depth, Stamp};

/// The cache file, inside `<target>/cargo-perf/`.
pub const FILE: &str = "workspace-metadata.json";
const VERSION: u32 = 1;

/// Whether a discovery may use the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetadataCache {
    /// Always ask cargo.
    Off,
    /// Take a valid stored answer, store a new one.
    #[default]
    ReadWrite,
}

/// Everything about one question to cargo but the files.
pub(crate) struct Request {
    key: String,
    /// The target dirs where a stored answer is looked for.
    candidates: Vec<PathBuf>,
    around: Vec<inputs::Input>,
}

/// The stored key, first line of the file; the answer follows.
#[derive(Serialize, Deserialize)]
struct Header {
    version: u32,
    request: String,
    inputs: Vec<(PathBuf, Depth, Stamp)>,
}

impl Request {
    /// `None` when no key can be complete: cargo not named by an absolute path.
    pub(crate) fn new(
        cargo: &OsStr,
        dir: &Path,
        manifest_path: Option<&Path>,
        command_line: &str,
        target_dir: Option<&Path>,
    ) -> Option<Request> {
        let cargo = Path::new(cargo);
        if !cargo.is_absolute() || !dir.is_absolute() {
            return None;
        }
        let env: Vec<(String, String)> = environment();
        let start = manifest_path.map_or_else(
            || dir.to_owned(),
            |m| {
                dir.join(m)
                    .parent()
                    .map_or_else(|| dir.to_owned(), Path::to_owned)
            },
        );
        let var = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        // Without either, cargo finds its home in the password database,
        // whose config this key could not name.
        let cargo_home = var("CARGO_HOME")
            .map(|h| dir.join(h))
            .or_else(|| var("HOME").map(|h| Path::new(h).join(".cargo")))?;
        let fixed = target_dir
            .map(Path::to_owned)
            .or_else(|| var("CARGO_TARGET_DIR").map(|d| dir.join(d)))
            .or_else(|| var("CARGO_BUILD_TARGET_DIR").map(|d| dir.join(d)));
        let candidates = match fixed {
            Some(target) => vec![target],
            None => start.ancestors().map(|a| a.join("target")).collect(),
        };
        let key = format!(
            "{command_line}\n{}\n{:?}\n{:?}\n{env:?}",
            dir.display(),
            manifest_path,
            target_dir
        );
        let around = inputs::around(cargo, dir, &start, &cargo_home);
        Some(Request {
            key,
            candidates,
            around,
        })
    }
}

/// The environment that may change cargo's answer, sorted.
fn environment() -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .filter(|(k, _)| {
            k.starts_with("CARGO")
                || k.starts_with("RUSTUP")
                || k.starts_with("__CARGO")
                || k == "HOME"
        })
        .collect();
    env.sort();
    env
}

/// A stored answer to `request` whose key still holds: the cache file and
/// cargo's JSON. A stale, corrupt or unreadable file is a miss.
pub(crate) fn lookup(request: &Request) -> Option<(PathBuf, String)> {
    for target in &request.candidates {
        let path = target.join("cargo-perf").join(FILE);
        let mut text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(_) => return None,
        };
        let split = text.find('\n')?;
        let header: Header = serde_json::from_str(&text[..split]).ok()?;
        let valid = header.version == VERSION
            && header.request == request.key
            && header
                .inputs
                .iter()
                .all(|(path, depth, stamp)| Stamp::of(path, *depth) == *stamp);
        if !valid {
            return None;
        }
        let json = text.split_off(split + 1);
        return Some((path, json));
    }
    None
}

/// Stores cargo's answer `json` (parsed: `metadata`), asked at `asked`, when
/// its key can be trusted and a later run would find it. Failures are
/// silent: the cache only ever saves time.
pub(crate) fn store(request: &Request, asked: SystemTime, json: &str, metadata: &Metadata) {
    let target = PathBuf::from(&metadata.target_directory);
    if !request.candidates.contains(&target) || !target.is_dir() {
        return;
    }
    if request
        .around
        .iter()
        .any(|(path, _)| inputs::includes_other_files(path))
    {
        return;
    }
    let Some(answer_inputs) = inputs::of_answer(metadata) else {
        return;
    };
    let mut stamped = Vec::with_capacity(request.around.len() + answer_inputs.len());
    for (path, depth) in request.around.iter().cloned().chain(answer_inputs) {
        let stamp = Stamp::of(&path, depth);
        if !stamp.trusted(asked) {
            return;
        }
        stamped.push((path, depth, stamp));
    }
    stamped.sort_by(|a, b| a.0.cmp(&b.0));
    stamped.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let header = Header {
        version: VERSION,
        request: request.key.clone(),
        inputs: stamped,
    };
    let _ = write(&target.join("cargo-perf"), &header, json);
}

/// Writes the file atomically: a temp file beside it, renamed over it.
fn write(dir: &Path, header: &Header, json: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut file, header)?;
    file.write_all(b"\n")?;
    file.write_all(json.as_bytes())?;
    file.persist(dir.join(FILE)).map_err(|err| err.error)?;
    Ok(())
}
