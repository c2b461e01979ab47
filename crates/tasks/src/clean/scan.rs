//! One parallel pass over the target dir: every entry is stat-ed once (never
//! following a symlink) and its disk usage is added to its profile and kind,
//! and to the build unit it belongs to, together with the unit's last use.
//! Worker threads share a queue of directories; each keeps its own totals,
//! merged at the end, so the hot loop takes no lock and allocates little.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use super::layout::{self, Kind, Profile, UNIT_DIRS, UnitKey};

/// A build unit: every entry named `<name>-<hash>` in one profile's unit dirs.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    pub profile: usize,
    pub key: UnitKey,
    pub name: String,
    /// `.fingerprint/<name>-<hash>`, removed first.
    pub fingerprint: Option<PathBuf>,
    /// Its other entries: files in deps/ and examples/, dirs in build/ and incremental/.
    pub entries: Vec<PathBuf>,
    pub bytes: u64,
    /// Seconds since the epoch: the newest use (or modification) of any of its files.
    pub last_use: i64,
}

/// What the scan found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub profiles: Vec<Profile>,
    pub units: Vec<Unit>,
    /// Bytes by profile (`None`: outside every profile) and kind.
    pub usage: BTreeMap<(Option<usize>, Kind), u64>,
    pub total: u64,
    /// Directories that could not be read.
    pub errors: Vec<(PathBuf, io::Error)>,
}

enum Job {
    /// A directory whose entries each belong to a unit (`deps`, `build`, ...).
    UnitDir {
        dir: PathBuf,
        profile: usize,
        name: &'static str,
        kind: Kind,
    },
    /// A directory counted as a whole for `owner`.
    Tree { dir: PathBuf, owner: Owner },
}

#[derive(Clone)]
struct Owner {
    profile: Option<usize>,
    kind: Kind,
    unit: Option<UnitKey>,
}

#[derive(Default)]
struct UnitAcc {
    name: Option<String>,
    fingerprint: Option<PathBuf>,
    entries: Vec<PathBuf>,
    bytes: u64,
    newest: i64,
}

#[derive(Default)]
struct Acc {
    /// By profile index, then unit.
    units: Vec<HashMap<UnitKey, UnitAcc>>,
    usage: HashMap<(Option<usize>, Kind), u64>,
    errors: Vec<(PathBuf, io::Error)>,
}

/// Directories left to walk; workers sleep on the condvar while it is
/// empty but other workers may still add to it.
struct Queue {
    state: Mutex<QueueState>,
    ready: Condvar,
}

struct QueueState {
    jobs: Vec<Job>,
    /// Jobs queued or running; the walk is over when it reaches zero.
    pending: usize,
}

impl Queue {
    fn push(&self, job: Job) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.pending += 1;
        state.jobs.push(job);
        self.ready.notify_one();
    }

    /// The next job, or `None` when every job is done.
    fn next(&self) -> Option<Job> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(job) = state.jobs.pop() {
                return Some(job);
            }
            if state.pending == 0 {
                return None;
            }
            state = self.ready.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn done(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.pending -= 1;
        if state.pending == 0 {
            self.ready.notify_all();
        }
    }
}

/// Scans `target`; `use_atime` says whether access times count as uses.
pub(crate) fn scan(target: &Path, use_atime: bool) -> io::Result<Scan> {
    let top = layout::top_level(target)?;
    let queue = Queue {
        state: Mutex::new(QueueState {
            jobs: Vec::new(),
            pending: 0,
        }),
        ready: Condvar::new(),
    };
    let mut seed = Acc::default();
    for (path, kind) in &top.loose {
        let owner = Owner {
            profile: None,
            kind: *kind,
            unit: None,
        };
        count_path(path, &owner, &queue, &mut seed, use_atime);
    }
    for (index, profile) in top.profiles.iter().enumerate() {
        let entries = match fs::read_dir(&profile.dir) {
            Ok(entries) => entries,
            Err(err) => {
                seed.errors.push((profile.dir.clone(), err));
                continue;
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let unit_dir = UNIT_DIRS
                .iter()
                .find(|(dir, _)| name.as_encoded_bytes() == dir.as_bytes());
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            match unit_dir {
                Some((dir_name, kind)) if is_dir => {
                    if let Ok(meta) = entry.metadata() {
                        *seed.usage.entry((Some(index), *kind)).or_default() += bytes(&meta);
                    }
                    queue.push(Job::UnitDir {
                        dir: entry.path(),
                        profile: index,
                        name: dir_name,
                        kind: *kind,
                    });
                }
                _ => {
                    let owner = Owner {
                        profile: Some(index),
                        kind: Kind::Other,
                        unit: None,
                    };
                    // Files cargo uplifts to the profile dir are hard links
                    // to files in deps/: their blocks are counted there.
                    match entry.metadata() {
                        Ok(meta) if !meta.is_dir() && meta.nlink() > 1 => {}
                        _ => count_path(&entry.path(), &owner, &queue, &mut seed, use_atime),
                    }
                }
            }
        }
    }

    let workers = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .clamp(1, 8);
    let mut accs: Vec<Acc> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| scope.spawn(|| work(&queue, use_atime)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    accs.push(seed);
    Ok(merge(top.profiles, accs))
}

fn work(queue: &Queue, use_atime: bool) -> Acc {
    let mut acc = Acc::default();
    while let Some(job) = queue.next() {
        run_job(job, queue, &mut acc, use_atime);
        queue.done();
    }
    acc
}

fn run_job(job: Job, queue: &Queue, acc: &mut Acc, use_atime: bool) {
    match job {
        Job::Tree { dir, owner } => tree(&dir, &owner, acc, use_atime),
        Job::UnitDir {
            dir,
            profile,
            name,
            kind,
        } => {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(err) => return acc.errors.push((dir, err)),
            };
            for entry in entries.flatten() {
                let Ok(meta) = entry.metadata() else { continue };
                let file_name = entry.file_name();
                let unit = layout::unit_of(name, &file_name.to_string_lossy());
                let owner = Owner {
                    profile: Some(profile),
                    kind,
                    unit: unit.as_ref().map(|(key, _)| key.clone()),
                };
                add(acc, &owner, &meta, use_atime);
                if let Some((key, unit_name)) = unit {
                    let unit = unit_acc(acc, profile, &key);
                    if name == ".fingerprint" {
                        unit.fingerprint = Some(entry.path());
                        unit.name = Some(unit_name);
                    } else {
                        unit.entries.push(entry.path());
                        unit.name.get_or_insert(unit_name);
                    }
                }
                if meta.is_dir() {
                    queue.push(Job::Tree {
                        dir: entry.path(),
                        owner,
                    });
                }
            }
        }
    }
}

/// Counts a path of unknown type: a file (or link) directly, a directory as a tree job.
fn count_path(path: &Path, owner: &Owner, queue: &Queue, acc: &mut Acc, use_atime: bool) {
    match fs::symlink_metadata(path) {
        Ok(meta) => {
            add(acc, owner, &meta, use_atime);
            if meta.is_dir() {
                queue.push(Job::Tree {
                    dir: path.to_owned(),
                    owner: owner.clone(),
                });
            }
        }
        Err(err) => acc.errors.push((path.to_owned(), err)),
    }
}

/// Sums a whole tree locally, then adds it to its owner once.
fn tree(dir: &Path, owner: &Owner, acc: &mut Acc, use_atime: bool) {
    let mut sum = Sum::default();
    sum_tree(dir, &mut sum, &mut acc.errors, use_atime);
    *acc.usage.entry((owner.profile, owner.kind)).or_default() += sum.bytes;
    if let (Some(profile), Some(key)) = (owner.profile, &owner.unit) {
        let unit = unit_acc(acc, profile, key);
        unit.bytes += sum.bytes;
        unit.newest = unit.newest.max(sum.newest);
    }
}

#[derive(Default)]
struct Sum {
    bytes: u64,
    newest: i64,
}

fn sum_tree(dir: &Path, sum: &mut Sum, errors: &mut Vec<(PathBuf, io::Error)>, use_atime: bool) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => return errors.push((dir.to_owned(), err)),
    };
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        sum.bytes += bytes(&meta);
        if !meta.file_type().is_symlink() {
            sum.newest = sum.newest.max(last_use(&meta, use_atime));
        }
        if meta.is_dir() {
            sum_tree(&entry.path(), sum, errors, use_atime);
        }
    }
}

fn last_use(meta: &Metadata, use_atime: bool) -> i64 {
    if use_atime && !meta.is_dir() {
        meta.atime().max(meta.mtime())
    } else {
        meta.mtime()
    }
}

fn unit_acc<'a>(acc: &'a mut Acc, profile: usize, key: &UnitKey) -> &'a mut UnitAcc {
    if acc.units.len() <= profile {
        acc.units.resize_with(profile + 1, HashMap::new);
    }
    let units = &mut acc.units[profile];
    // Look up before inserting, so the key is cloned only for a new unit.
    if !units.contains_key(key) {
        units.insert(key.clone(), UnitAcc::default());
    }
    units.get_mut(key).expect("inserted above")
}

fn bytes(meta: &Metadata) -> u64 {
    meta.blocks() * 512
}

fn add(acc: &mut Acc, owner: &Owner, meta: &Metadata, use_atime: bool) {
    let size = bytes(meta);
    *acc.usage.entry((owner.profile, owner.kind)).or_default() += size;
    if let (Some(profile), Some(key)) = (owner.profile, &owner.unit) {
        let time = last_use(meta, use_atime);
        let unit = unit_acc(acc, profile, key);
        unit.bytes += size;
        // A link's own times say when the link was made, not when its unit was used.
        if !meta.file_type().is_symlink() {
            unit.newest = unit.newest.max(time);
        }
    }
}

fn merge(profiles: Vec<Profile>, accs: Vec<Acc>) -> Scan {
    let mut units: HashMap<(usize, UnitKey), UnitAcc> = HashMap::new();
    let mut scan = Scan {
        profiles,
        ..Scan::default()
    };
    for acc in accs {
        for (key, value) in acc.usage {
            *scan.usage.entry(key).or_default() += value;
            scan.total += value;
        }
        scan.errors.extend(acc.errors);
        let parts = acc
            .units
            .into_iter()
            .enumerate()
            .flat_map(|(profile, units)| {
                units
                    .into_iter()
                    .map(move |(key, part)| ((profile, key), part))
            });
        for (key, part) in parts {
            let unit = units.entry(key).or_default();
            unit.bytes += part.bytes;
            unit.newest = unit.newest.max(part.newest);
            unit.entries.extend(part.entries);
            if part.fingerprint.is_some() {
                unit.fingerprint = part.fingerprint;
                unit.name = part.name;
            } else if unit.name.is_none() {
                unit.name = part.name;
            }
        }
    }
    scan.units = units
        .into_iter()
        .map(|((profile, key), mut acc)| {
            acc.entries.sort();
            Unit {
                profile,
                name: acc.name.unwrap_or_default(),
                key,
                fingerprint: acc.fingerprint,
                entries: acc.entries,
                bytes: acc.bytes,
                last_use: acc.newest,
            }
        })
        .collect();
    scan.units
        .sort_by(|a, b| (a.profile, &a.name, &a.key).cmp(&(b.profile, &b.name, &b.key)));
    scan
}
