//! The history store: one JSON document per run in `runs/NNNNNN.json` and one
//! per named baseline in `baselines/NAME.json`. Files are only ever created
//! (runs) or atomically replaced (baselines) under an exclusive lock on
//! `lock`, so concurrent or killed runs never leave a torn file. A file that
//! does not parse as ours is reported and left exactly as it is.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use cargo_perf_engine::fsutil::write_atomic;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::fingerprint::Fingerprint;

/// The `format` field of every document we write.
pub(crate) const FORMAT: &str = "cargo-perf-bench/1";

/// One stored run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RunRecord {
    pub(crate) format: String,
    pub(crate) id: u64,
    pub(crate) fingerprint: Fingerprint,
    pub(crate) benchmarks: Vec<BenchRecord>,
}

/// One benchmark's samples in a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BenchRecord {
    pub(crate) id: String,
    /// `ns` (wall time per run or iteration), `instructions` or `memory`.
    pub(crate) unit: String,
    pub(crate) samples: Vec<f64>,
    /// For harnesses that print a summary only (libtest, divan): the spread
    /// they report around their single value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) spread: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) user_ns: Vec<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) sys_ns: Vec<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) max_rss_bytes: Vec<f64>,
    /// For summary-only harnesses: the standard error of the value they
    /// report, estimated from their spread (see `harness`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) standard_error: Option<f64>,
    /// The calibration loop timed beside the runs (see `calibration`), on
    /// the wall clock and in CPU time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) calibration_wall_ns: Vec<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) calibration_cpu_ns: Vec<f64>,
    /// How a command benchmark's runs were taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sampling: Option<SamplingRecord>,
    /// Memory mode (unit `memory`): the heap's figures from valgrind's DHAT
    /// (`samples` then holds the peak, for views of the history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) heap: Option<HeapRecord>,
    /// A cargo bench result measured again in pairs with the baseline's
    /// tree (see `harness::pairs`); `samples` keep this run's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pairs: Option<PairsRecord>,
}

/// Runs of a harness in pairs with another tree's: one value per run of
/// the harness (the location of its samples), the baseline's and this
/// tree's of pair i next to each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PairsRecord {
    pub(crate) baseline: Vec<f64>,
    pub(crate) current: Vec<f64>,
    pub(crate) stop: super::sampling::Stop,
    pub(crate) looks: u32,
    /// The wall time all the runs of the pairs took.
    pub(crate) seconds: f64,
}

/// What one run of a command benchmark did with the heap, summed over its
/// processes. Counts of the same program on the same input are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HeapRecord {
    /// Bytes live when the heap peaked.
    pub(crate) peak_bytes: u64,
    /// Bytes allocated in all.
    pub(crate) allocated_bytes: u64,
    /// Blocks allocated.
    pub(crate) allocations: u64,
}

/// How sampling went: the clock judged, why it stopped, how many looks at
/// the comparison the stopping rule took (the verdict's level is divided by
/// them).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct SamplingRecord {
    pub(crate) clock: super::clock::Clock,
    pub(crate) stop: super::sampling::Stop,
    pub(crate) looks: u32,
}

impl BenchRecord {
    /// An empty record of `id`, measured in `unit`.
    pub(crate) fn new(id: impl Into<String>, unit: &str) -> Self {
        Self {
            id: id.into(),
            unit: unit.to_owned(),
            samples: Vec::new(),
            spread: None,
            user_ns: Vec::new(),
            sys_ns: Vec::new(),
            max_rss_bytes: Vec::new(),
            standard_error: None,
            calibration_wall_ns: Vec::new(),
            calibration_cpu_ns: Vec::new(),
            sampling: None,
            heap: None,
            pairs: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum HistoryError {
    #[error("cannot use the bench history at {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} is not a cargo-perf bench history file: {reason}")]
    Foreign { path: PathBuf, reason: String },
    #[error("no baseline named `{name}`; known baselines: {known}")]
    UnknownBaseline { name: String, known: String },
}

impl HistoryError {
    pub(crate) fn hint(&self) -> String {
        match self {
            HistoryError::Io { .. } => {
                "check the permissions of the directory, or set `[bench] history` in perf.toml"
                    .into()
            }
            HistoryError::Foreign { path, .. } => format!(
                "cargo-perf leaves the file untouched; move {} away if it is not needed",
                path.display()
            ),
            HistoryError::UnknownBaseline { .. } => {
                "save one with `cargo perf bench --save-baseline NAME`".into()
            }
        }
    }
}

/// A problem with one stored file that does not stop the run.
pub(crate) struct Skipped {
    pub(crate) path: PathBuf,
    pub(crate) reason: String,
}

pub(crate) struct History {
    root: PathBuf,
    /// The workspace root: no directory between it and the store may be a link.
    workspace: PathBuf,
}

/// Holds the store's exclusive lock until dropped.
pub(crate) struct Lock {
    _file: File,
}

impl History {
    pub(crate) fn new(root: PathBuf, workspace: PathBuf) -> History {
        History { root, workspace }
    }

    /// Refuses a store reached through a symbolic link inside the workspace,
    /// which could point anywhere.
    fn check_links(&self) -> Result<(), HistoryError> {
        let inside = self
            .root
            .strip_prefix(&self.workspace)
            .unwrap_or(Path::new(""));
        let mut path = self.workspace.clone();
        let below = ["runs", "baselines", "lock"];
        let parts = inside
            .components()
            .map(|c| c.as_os_str().to_owned())
            .collect::<Vec<_>>();
        for part in parts
            .iter()
            .map(PathBuf::from)
            .chain(std::iter::once(PathBuf::new()))
        {
            path.push(&part);
            let mut checks = vec![path.clone()];
            if path == self.root {
                checks.extend(below.iter().map(|b| self.root.join(b)));
            }
            for check in checks {
                if fs::symlink_metadata(&check).is_ok_and(|m| m.file_type().is_symlink()) {
                    return Err(HistoryError::Foreign {
                        path: check,
                        reason:
                            "it is a symbolic link, and cargo-perf does not write through links"
                                .into(),
                    });
                }
            }
        }
        Ok(())
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    fn io(&self, path: &Path) -> impl Fn(io::Error) -> HistoryError {
        let path = path.to_owned();
        move |source| HistoryError::Io {
            path: path.clone(),
            source,
        }
    }

    /// The store's directories (itself, `runs/`, `baselines/`).
    fn dirs(&self) -> [PathBuf; 3] {
        [
            self.root.clone(),
            self.root.join("runs"),
            self.root.join("baselines"),
        ]
    }

    /// Refuses a store that [`History::lock`] would refuse, without creating
    /// anything: run before measuring, so a bad `[bench] history` costs no run.
    pub(crate) fn check(&self) -> Result<(), HistoryError> {
        self.check_links()?;
        for dir in self.dirs() {
            if dir.exists() && !dir.is_dir() {
                return Err(HistoryError::Foreign {
                    path: dir,
                    reason: "expected a directory, found a file".into(),
                });
            }
        }
        Ok(())
    }

    /// Creates the store if needed and takes its exclusive lock (blocking).
    pub(crate) fn lock(&self) -> Result<Lock, HistoryError> {
        self.check()?;
        for dir in self.dirs() {
            fs::create_dir_all(&dir).map_err(self.io(&dir))?;
        }
        let path = self.root.join("lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(self.io(&path))?;
        file.lock().map_err(self.io(&path))?;
        Ok(Lock { _file: file })
    }

    /// Every readable run, oldest first, and the files that were not; read
    /// as `R`: the whole [`RunRecord`], or the [`RunOutline`] a listing needs.
    /// Files are parsed on every core: a long history is mostly JSON numbers.
    pub(crate) fn runs<R: StoredRun>(
        &self,
        _lock: &Lock,
    ) -> Result<(Vec<R>, Vec<Skipped>), HistoryError> {
        let dir = self.root.join("runs");
        let mut files = Vec::new();
        for entry in fs::read_dir(&dir).map_err(self.io(&dir))? {
            let path = entry.map_err(self.io(&dir))?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            // `.cargo-perf-*`: an interrupted atomic write's temporary file.
            if !name.starts_with(".cargo-perf-") {
                files.push(path);
            }
        }
        let mut runs = Vec::new();
        let mut skipped = Vec::new();
        for (path, read) in files.iter().zip(read_in_parallel::<R>(&files)) {
            match read {
                Ok(run) => runs.push(run),
                Err(reason) => skipped.push(Skipped {
                    path: path.clone(),
                    reason,
                }),
            }
        }
        runs.sort_by_key(|r| r.id());
        Ok((runs, skipped))
    }

    /// Stores `run` under the next free id and returns it.
    pub(crate) fn append(
        &self,
        lock: &Lock,
        mut run: RunRecord,
    ) -> Result<RunRecord, HistoryError> {
        let (runs, _) = self.runs::<RunRecord>(lock)?;
        let next = runs
            .iter()
            .map(|r| r.id)
            .chain(self.taken_ids()?)
            .max()
            .unwrap_or(0)
            + 1;
        run.id = next;
        let path = self.root.join("runs").join(format!("{next:06}.json"));
        let json = serde_json::to_vec_pretty(&run).expect("a run serializes");
        write_atomic(&path, &json).map_err(self.io(&path))?;
        Ok(run)
    }

    /// Ids used by file names, readable or not, so a corrupt file is never overwritten.
    fn taken_ids(&self) -> Result<Vec<u64>, HistoryError> {
        let dir = self.root.join("runs");
        Ok(fs::read_dir(&dir)
            .map_err(self.io(&dir))?
            .filter_map(Result::ok)
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".json")?
                    .parse::<u64>()
                    .ok()
            })
            .collect())
    }

    /// Removes the oldest runs beyond the newest `keep`, but never a run a
    /// saved baseline is a copy of, nor a file that is not one of our runs.
    /// Returns the ids removed, oldest first.
    pub(crate) fn prune(&self, lock: &Lock, keep: usize) -> Result<Vec<u64>, HistoryError> {
        let (runs, _) = self.runs::<RunRecord>(lock)?;
        let saved: Vec<u64> = self
            .baseline_names()
            .iter()
            .filter_map(|name| self.baseline(lock, name).ok())
            .map(|baseline| baseline.id)
            .collect();
        let old = runs.len().saturating_sub(keep);
        let mut removed = Vec::new();
        for run in &runs[..old] {
            if saved.contains(&run.id) {
                continue;
            }
            let path = self.root.join("runs").join(format!("{:06}.json", run.id));
            fs::remove_file(&path).map_err(self.io(&path))?;
            removed.push(run.id);
        }
        Ok(removed)
    }

    pub(crate) fn baseline_names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.root.join("baselines"))
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".json")
                    .filter(|n| !n.starts_with(".cargo-perf-"))
                    .map(str::to_owned)
            })
            .collect();
        names.sort();
        names
    }

    pub(crate) fn baseline(&self, _lock: &Lock, name: &str) -> Result<RunRecord, HistoryError> {
        let path = self.root.join("baselines").join(format!("{name}.json"));
        if !path.is_file() {
            let known = self.baseline_names();
            return Err(HistoryError::UnknownBaseline {
                name: name.to_owned(),
                known: if known.is_empty() {
                    "none yet".into()
                } else {
                    known.join(", ")
                },
            });
        }
        read_record(&path).map_err(|reason| HistoryError::Foreign { path, reason })
    }

    pub(crate) fn save_baseline(
        &self,
        _lock: &Lock,
        name: &str,
        run: &RunRecord,
    ) -> Result<PathBuf, HistoryError> {
        let path = self.root.join("baselines").join(format!("{name}.json"));
        if path.exists() {
            // Replacing is fine; replacing something that is not ours is not.
            read_record::<RunRecord>(&path).map_err(|reason| HistoryError::Foreign {
                path: path.clone(),
                reason,
            })?;
        }
        let json = serde_json::to_vec_pretty(run).expect("a run serializes");
        write_atomic(&path, &json).map_err(self.io(&path))?;
        Ok(path)
    }
}

/// Whether `name` can be a baseline file name.
pub(crate) fn valid_baseline_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A document of the store read as one run: its id and `format` field.
pub(crate) trait StoredRun: DeserializeOwned + Send {
    fn id(&self) -> u64;
    fn format(&self) -> &str;
}

impl StoredRun for RunRecord {
    fn id(&self) -> u64 {
        self.id
    }
    fn format(&self) -> &str {
        &self.format
    }
}

/// What a listing of the history reads of a run: the other series of a
/// benchmark (CPU times, RSS, calibration) are skipped, not parsed.
#[derive(Debug, Deserialize)]
pub(crate) struct RunOutline {
    pub(crate) format: String,
    pub(crate) id: u64,
    pub(crate) fingerprint: Fingerprint,
    pub(crate) benchmarks: Vec<BenchOutline>,
}

/// One benchmark of a [`RunOutline`].
#[derive(Debug, Deserialize)]
pub(crate) struct BenchOutline {
    pub(crate) id: String,
    pub(crate) unit: String,
    pub(crate) samples: Vec<f64>,
}

impl StoredRun for RunOutline {
    fn id(&self) -> u64 {
        self.id
    }
    fn format(&self) -> &str {
        &self.format
    }
}

/// Each of `files` read as a run named after its id, in order, on every core.
fn read_in_parallel<R: StoredRun>(files: &[PathBuf]) -> Vec<Result<R, String>> {
    let read = |path: &PathBuf| {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        read_record::<R>(path).and_then(|run| named_after_its_id(name, run))
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = files.len().div_ceil(workers).max(16);
    if files.len() <= chunk {
        return files.iter().map(read).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(read).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(read) => read,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// A run's file is named after its id (`000042.json`); a copy under another
/// name would list the run twice, so it is skipped and reported.
fn named_after_its_id<R: StoredRun>(name: &str, run: R) -> Result<R, String> {
    match name.strip_suffix(".json").map(str::parse::<u64>) {
        Some(Ok(id)) if id == run.id() => Ok(run),
        Some(Ok(id)) => Err(format!(
            "it holds run #{} but is named as run #{id}",
            run.id()
        )),
        _ => Err(format!(
            "holds run #{} but its name is not a run number (runs are named like {:06}.json)",
            run.id(),
            run.id()
        )),
    }
}

fn read_record<R: StoredRun>(path: &Path) -> Result<R, String> {
    let bytes = fs::read(path).map_err(|e| e.to_string())?;
    // One parse for a run of ours; the slow path only explains a foreign file.
    if let Ok(run) = serde_json::from_slice::<R>(&bytes)
        && run.format() == FORMAT
    {
        return Ok(run);
    }
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("not valid JSON ({e})"))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(format!("no `\"format\": \"{FORMAT}\"` field"));
    }
    serde_json::from_value(value).map_err(|e| format!("unexpected content ({e})"))
}
