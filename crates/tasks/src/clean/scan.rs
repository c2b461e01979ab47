//! One parallel pass over the target dir: every entry is stat-ed once (never
//! following a symlink) and its disk usage is added to its profile and kind,
//! and to the build unit it belongs to, together with the unit's last use.
//! Worker threads share a queue of directories; each keeps its own totals,
//! merged at the end, so the hot loop takes no lock and allocates little.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{CString, OsStr};
use std::fs::{self, Metadata};
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use super::layout::{self, Kind, Profile, UNIT_DIRS, UnitKey};
use super::rawdir::{self, Entries, Stat};

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
    /// The directory `name` inside `parent`, counted as a whole for `owner`.
    Tree {
        parent: Arc<OwnedFd>,
        name: CString,
        path: PathBuf,
        owner: Owner,
    },
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
    units: Vec<FastMap<UnitKey, UnitAcc>>,
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

    // One worker per core, and at least two: a stat often waits on the kernel.
    let workers = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .clamp(2, 16);
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
        Job::Tree {
            parent,
            name,
            path,
            owner,
        } => match rawdir::open_dir(Some(parent.as_raw_fd()), &name).and_then(Entries::take) {
            Ok(entries) => tree(entries, &path, &owner, acc, use_atime),
            Err(err) => acc.errors.push((path, err)),
        },
        Job::UnitDir {
            dir,
            profile,
            name,
            kind,
        } => {
            if let Err(err) = unit_dir(&dir, profile, name, kind, queue, acc, use_atime) {
                acc.errors.push((dir, err));
            }
        }
    }
}

fn unit_dir(
    dir: &Path,
    profile: usize,
    dir_name: &'static str,
    kind: Kind,
    queue: &Queue,
    acc: &mut Acc,
    use_atime: bool,
) -> io::Result<()> {
    let fd = Arc::new(rawdir::open_path(dir)?);
    let mut entries = Entries::new(&fd)?;
    let mut usage = 0;
    while let Some(name) = entries.next_name() {
        let Ok(stat) = rawdir::stat_at(fd.as_raw_fd(), name) else {
            continue;
        };
        usage += stat.bytes;
        let unit = name
            .to_str()
            .ok()
            .and_then(|text| layout::unit_of(dir_name, text));
        let path = dir.join(OsStr::from_bytes(name.to_bytes()));
        let key = match unit {
            Some((key, unit_name)) => {
                if acc.units.len() <= profile {
                    acc.units.resize_with(profile + 1, FastMap::default);
                }
                let unit = acc.units[profile].entry(key.clone()).or_default();
                unit.bytes += stat.bytes;
                if !stat.is_symlink {
                    unit.newest = unit.newest.max(last_use(&stat, use_atime));
                }
                if dir_name == ".fingerprint" {
                    unit.fingerprint = Some(path.clone());
                    unit.name = Some(unit_name.render());
                } else {
                    unit.entries.push(path.clone());
                    if unit.name.is_none() {
                        unit.name = Some(unit_name.render());
                    }
                }
                Some(key)
            }
            None => None,
        };
        if stat.is_dir {
            queue.push(Job::Tree {
                parent: Arc::clone(&fd),
                name: name.to_owned(),
                path,
                owner: Owner {
                    profile: Some(profile),
                    kind,
                    unit: key,
                },
            });
        }
    }
    *acc.usage.entry((Some(profile), kind)).or_default() += usage;
    Ok(())
}

/// Counts a path of unknown type: a file (or link) directly, a directory as a tree job.
fn count_path(path: &Path, owner: &Owner, queue: &Queue, acc: &mut Acc, use_atime: bool) {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let opened = rawdir::open_path(parent).and_then(|fd| {
        let name = CString::new(name.as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let stat = rawdir::stat_at(fd.as_raw_fd(), &name)?;
        Ok((fd, name, stat))
    });
    match opened {
        Ok((fd, name, stat)) => {
            add(acc, owner, &stat, use_atime);
            if stat.is_dir {
                queue.push(Job::Tree {
                    parent: Arc::new(fd),
                    name,
                    path: path.to_owned(),
                    owner: owner.clone(),
                });
            }
        }
        Err(err) => acc.errors.push((path.to_owned(), err)),
    }
}

/// Sums a whole tree locally, then adds it to its owner once.
fn tree(entries: Entries, path: &Path, owner: &Owner, acc: &mut Acc, use_atime: bool) {
    let mut sum = Sum::default();
    sum_tree(entries, path, &mut sum, &mut acc.errors, use_atime);
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

fn sum_tree(
    mut entries: Entries,
    path: &Path,
    sum: &mut Sum,
    errors: &mut Vec<(PathBuf, io::Error)>,
    use_atime: bool,
) {
    let fd = entries.fd();
    while let Some(name) = entries.next_name() {
        let Ok(stat) = rawdir::stat_at(fd, name) else {
            continue;
        };
        sum.bytes += stat.bytes;
        if !stat.is_symlink {
            sum.newest = sum.newest.max(last_use(&stat, use_atime));
        }
        if stat.is_dir {
            let child = path.join(OsStr::from_bytes(name.to_bytes()));
            match rawdir::open_dir(Some(fd), name).and_then(Entries::take) {
                Ok(child_entries) => sum_tree(child_entries, &child, sum, errors, use_atime),
                Err(err) => errors.push((child, err)),
            }
        }
    }
}

fn last_use(stat: &Stat, use_atime: bool) -> i64 {
    if use_atime && !stat.is_dir {
        stat.atime.max(stat.mtime)
    } else {
        stat.mtime
    }
}

fn unit_acc<'a>(acc: &'a mut Acc, profile: usize, key: &UnitKey) -> &'a mut UnitAcc {
    if acc.units.len() <= profile {
        acc.units.resize_with(profile + 1, FastMap::default);
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

fn add(acc: &mut Acc, owner: &Owner, stat: &Stat, use_atime: bool) {
    *acc.usage.entry((owner.profile, owner.kind)).or_default() += stat.bytes;
    if let (Some(profile), Some(key)) = (owner.profile, &owner.unit) {
        let unit = unit_acc(acc, profile, key);
        unit.bytes += stat.bytes;
        // A link's own times say when the link was made, not when its unit was used.
        if !stat.is_symlink {
            unit.newest = unit.newest.max(last_use(stat, use_atime));
        }
    }
}

/// A HashMap with a cheap multiply-rotate hash: the keys are our own unit
/// names and hashes, not attacker-controlled, and hashing is in the hot loop.
type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

#[derive(Default)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

fn merge(profiles: Vec<Profile>, accs: Vec<Acc>) -> Scan {
    let mut units: FastMap<(usize, UnitKey), UnitAcc> = FastMap::default();
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
            acc.entries.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
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
