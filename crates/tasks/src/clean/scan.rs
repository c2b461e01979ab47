//! One parallel pass over the target dir: every entry is stat-ed once (never
//! following a symlink) and its disk usage is added to its profile and kind,
//! and to the build unit it belongs to, together with the unit's last use.
//! A hard-linked inode is counted once, as `du` counts it.
//! Worker threads share a queue of directories; each keeps its own totals,
//! merged at the end, so the hot loop takes no lock and allocates little.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{CStr, CString, OsStr};
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use cargo_perf_engine::interrupt;

use super::layout::{self, Kind, Profile, TopLevel, UNIT_DIRS, UnitKey};
use super::nofollow::{Listing, Stat, fstat, open_dir, os_name, stat};

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
    /// What removing it frees: a block shared with a file outside the unit is not counted.
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
    /// Disk usage of the whole target dir, each inode counted once (as `du` does).
    pub total: u64,
    /// Directories that could not be read.
    pub errors: Vec<(PathBuf, io::Error)>,
}

enum Job {
    /// A directory whose entries each belong to a unit (`deps`, `build`, ...).
    UnitDir {
        parent: Arc<OwnedFd>,
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
    /// The newest symlink among its entries: its last use when it holds nothing else.
    newest_link: i64,
}

/// A name of an inode with more than one (cargo hard-links uplifted files
/// and build scripts): its blocks are counted once, when all names are known.
struct Link {
    dev: u64,
    ino: u64,
    nlink: u64,
    bytes: u64,
    usage: (Option<usize>, Kind),
    unit: Option<(usize, UnitKey)>,
}

#[derive(Default)]
struct Acc {
    /// By profile index, then unit.
    units: Vec<FastMap<UnitKey, UnitAcc>>,
    usage: HashMap<(Option<usize>, Kind), u64>,
    links: Vec<Link>,
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

/// Scans the target dir whose top level is `top`; `use_atime` says whether
/// access times count as uses.
pub(crate) fn scan(top: TopLevel, use_atime: bool) -> Scan {
    let queue = Queue {
        state: Mutex::new(QueueState {
            jobs: Vec::new(),
            pending: 0,
        }),
        ready: Condvar::new(),
    };
    let mut seed = Acc::default();
    *seed.usage.entry((None, Kind::Other)).or_default() += top.triple_dirs_bytes;
    for loose in &top.loose {
        let owner = Owner {
            profile: None,
            kind: loose.kind,
            unit: None,
        };
        count(
            &loose.parent,
            &loose.name,
            &loose.path,
            &owner,
            &queue,
            &mut seed,
            use_atime,
        );
    }
    for (index, profile) in top.profiles.iter().enumerate() {
        if let Err(err) = profile_dir(index, profile, &queue, &mut seed, use_atime) {
            seed.errors.push((profile.dir.clone(), err));
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
    merge(top.profiles, accs)
}

/// Queues a profile's unit dirs, and counts the rest of it as `other`.
fn profile_dir(
    index: usize,
    profile: &Profile,
    queue: &Queue,
    acc: &mut Acc,
    use_atime: bool,
) -> io::Result<()> {
    *acc.usage.entry((Some(index), Kind::Other)).or_default() += fstat(profile.fd.as_fd())?.bytes;
    let mut listing = Listing::new(profile.fd.as_fd())?;
    while let Some(entry) = listing.next_entry() {
        if interrupt::is_interrupted() {
            break;
        }
        let entry = entry?;
        let name = entry.file_name();
        let unit_dir = UNIT_DIRS
            .iter()
            .find(|(dir, _)| name.to_bytes() == dir.as_bytes());
        let path = profile.dir.join(os_name(name));
        match (unit_dir, stat(profile.fd.as_fd(), name)) {
            (Some((dir_name, kind)), Ok(st)) if st.is_dir() => {
                *acc.usage.entry((Some(index), *kind)).or_default() += st.bytes;
                queue.push(Job::UnitDir {
                    parent: Arc::clone(&profile.fd),
                    dir: path,
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
                count(&profile.fd, name, &path, &owner, queue, acc, use_atime);
            }
        }
    }
    Ok(())
}

fn work(queue: &Queue, use_atime: bool) -> Acc {
    let mut acc = Acc::default();
    while let Some(job) = queue.next() {
        // After Ctrl-C the queue is only drained: the scan is not used.
        if !interrupt::is_interrupted() {
            run_job(job, queue, &mut acc, use_atime);
        }
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
        } => match open_dir(parent.as_fd(), &name) {
            Ok(fd) => tree(fd, &path, &owner, acc, use_atime),
            Err(err) => acc.errors.push((path, err)),
        },
        Job::UnitDir {
            parent,
            dir,
            profile,
            name,
            kind,
        } => {
            let unit_dir = UnitDir {
                dir: &dir,
                profile,
                name,
                kind,
            };
            if let Err(err) = unit_dir.scan(&parent, queue, acc, use_atime) {
                acc.errors.push((dir, err));
            }
        }
    }
}

struct UnitDir<'a> {
    dir: &'a Path,
    profile: usize,
    name: &'static str,
    kind: Kind,
}

impl UnitDir<'_> {
    fn scan(
        &self,
        parent: &OwnedFd,
        queue: &Queue,
        acc: &mut Acc,
        use_atime: bool,
    ) -> io::Result<()> {
        let c_dir =
            CString::new(self.name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        let fd = Arc::new(open_dir(parent.as_fd(), &c_dir)?);
        let mut listing = Listing::new(fd.as_fd())?;
        let mut usage = 0;
        while let Some(entry) = listing.next_entry() {
            if interrupt::is_interrupted() {
                break;
            }
            let entry = entry?;
            let name = entry.file_name();
            let Ok(st) = stat(fd.as_fd(), name) else {
                continue;
            };
            let path = self.dir.join(os_name(name));
            let key = self.record(name, &path, &st, acc, use_atime);
            if st.is_shared() {
                acc.links.push(Link {
                    dev: st.dev,
                    ino: st.ino,
                    nlink: st.nlink,
                    bytes: st.bytes,
                    usage: (Some(self.profile), self.kind),
                    unit: key.clone().map(|k| (self.profile, k)),
                });
            } else {
                usage += st.bytes;
            }
            if st.is_dir() {
                queue.push(Job::Tree {
                    parent: Arc::clone(&fd),
                    name: name.to_owned(),
                    path,
                    owner: Owner {
                        profile: Some(self.profile),
                        kind: self.kind,
                        unit: key,
                    },
                });
            }
        }
        *acc.usage
            .entry((Some(self.profile), self.kind))
            .or_default() += usage;
        Ok(())
    }

    /// Adds the entry (and its blocks, unless shared) to the unit it belongs
    /// to, if any, and returns that unit.
    fn record(
        &self,
        name: &CStr,
        path: &Path,
        st: &Stat,
        acc: &mut Acc,
        use_atime: bool,
    ) -> Option<UnitKey> {
        let text = name.to_str().ok()?;
        let (key, unit_name) = layout::unit_of(self.name, text)?;
        let unit = unit_acc(acc, self.profile, &key);
        if !st.is_shared() {
            unit.bytes += st.bytes;
        }
        if st.is_symlink() {
            unit.newest_link = unit.newest_link.max(st.mtime);
        } else {
            unit.newest = unit.newest.max(last_use(st, use_atime));
        }
        if self.name == ".fingerprint" {
            unit.fingerprint = Some(path.to_owned());
            unit.name = Some(unit_name.render());
        } else {
            unit.entries.push(path.to_owned());
            if unit.name.is_none() {
                unit.name = Some(unit_name.render());
            }
        }
        Some(key)
    }
}

/// Counts an entry of unknown type: a file (or link) directly, a directory as a tree job.
fn count(
    parent: &Arc<OwnedFd>,
    name: &CStr,
    path: &Path,
    owner: &Owner,
    queue: &Queue,
    acc: &mut Acc,
    use_atime: bool,
) {
    match stat(parent.as_fd(), name) {
        Ok(st) => {
            add(acc, owner, &st, use_atime);
            if st.is_dir() {
                queue.push(Job::Tree {
                    parent: Arc::clone(parent),
                    name: name.to_owned(),
                    path: path.to_owned(),
                    owner: owner.clone(),
                });
            }
        }
        Err(err) => acc.errors.push((path.to_owned(), err)),
    }
}

/// Sums a whole tree locally, then adds it to its owner once.
fn tree(fd: OwnedFd, path: &Path, owner: &Owner, acc: &mut Acc, use_atime: bool) {
    let mut sum = Sum {
        owner,
        use_atime,
        bytes: 0,
        newest: 0,
        links: &mut acc.links,
        errors: &mut acc.errors,
    };
    if let Err(err) = sum.dir(fd, path) {
        sum.errors.push((path.to_owned(), err));
    }
    let (bytes, newest) = (sum.bytes, sum.newest);
    *acc.usage.entry((owner.profile, owner.kind)).or_default() += bytes;
    if let (Some(profile), Some(key)) = (owner.profile, &owner.unit) {
        let unit = unit_acc(acc, profile, key);
        unit.bytes += bytes;
        unit.newest = unit.newest.max(newest);
    }
}

struct Sum<'a> {
    owner: &'a Owner,
    use_atime: bool,
    bytes: u64,
    newest: i64,
    links: &'a mut Vec<Link>,
    errors: &'a mut Vec<(PathBuf, io::Error)>,
}

impl Sum<'_> {
    fn dir(&mut self, fd: OwnedFd, path: &Path) -> io::Result<()> {
        let fingerprint = path
            .parent()
            .is_some_and(|p| p.file_name() == Some(OsStr::new(".fingerprint")));
        let mut listing = Listing::take(fd)?;
        while let Some(entry) = listing.next_entry() {
            let entry = entry?;
            let name = entry.file_name();
            let fd = listing.fd()?;
            let Ok(st) = stat(fd, name) else {
                continue;
            };
            if st.is_shared() {
                self.links.push(link(&st, self.owner));
            } else {
                self.bytes += st.bytes;
            }
            // We read a fingerprint's hash files (`toolchains = "installed"`):
            // their access time may be ours, not a use of the unit.
            if !st.is_symlink() {
                let hash_file = fingerprint && name.to_bytes().ends_with(b".json");
                self.newest = self.newest.max(last_use(&st, self.use_atime && !hash_file));
            }
            if st.is_dir() {
                let child = path.join(os_name(name));
                if let Err(err) = open_dir(fd, name).and_then(|child_fd| self.dir(child_fd, &child))
                {
                    self.errors.push((child, err));
                }
            }
        }
        Ok(())
    }
}

fn link(st: &Stat, owner: &Owner) -> Link {
    Link {
        dev: st.dev,
        ino: st.ino,
        nlink: st.nlink,
        bytes: st.bytes,
        usage: (owner.profile, owner.kind),
        unit: owner.profile.zip(owner.unit.clone()),
    }
}

fn last_use(stat: &Stat, use_atime: bool) -> i64 {
    if use_atime && !stat.is_dir() {
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

fn add(acc: &mut Acc, owner: &Owner, stat: &Stat, use_atime: bool) {
    if stat.is_shared() {
        acc.links.push(link(stat, owner));
    } else {
        *acc.usage.entry((owner.profile, owner.kind)).or_default() += stat.bytes;
    }
    if let (Some(profile), Some(key)) = (owner.profile, &owner.unit) {
        let unit = unit_acc(acc, profile, key);
        if !stat.is_shared() {
            unit.bytes += stat.bytes;
        }
        // A link's own times say when the link was made, not when its unit was used.
        if !stat.is_symlink() {
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
    let mut links = Vec::new();
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
        links.extend(acc.links);
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
            unit.newest_link = unit.newest_link.max(part.newest_link);
            unit.entries.extend(part.entries);
            if part.fingerprint.is_some() {
                unit.fingerprint = part.fingerprint;
                unit.name = part.name;
            } else if unit.name.is_none() {
                unit.name = part.name;
            }
        }
    }
    count_links_once(&mut scan, &mut units, links);
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
                last_use: if acc.newest > 0 {
                    acc.newest
                } else {
                    acc.newest_link
                },
            }
        })
        .collect();
    scan.units
        .sort_by(|a, b| (a.profile, &a.name, &a.key).cmp(&(b.profile, &b.name, &b.key)));
    scan
}

/// Counts each hard-linked inode once, as `du` does: in the usage of the
/// first of its names (a unit's name before any other), and in a unit's
/// size only when every name of it belongs to that unit, since removing the
/// unit frees it only then.
fn count_links_once(
    scan: &mut Scan,
    units: &mut FastMap<(usize, UnitKey), UnitAcc>,
    mut links: Vec<Link>,
) {
    links.sort_by(|a, b| {
        (a.dev, a.ino, a.unit.is_none(), a.usage).cmp(&(b.dev, b.ino, b.unit.is_none(), b.usage))
    });
    for names in links.chunk_by(|a, b| (a.dev, a.ino) == (b.dev, b.ino)) {
        let first = &names[0];
        *scan.usage.entry(first.usage).or_default() += first.bytes;
        scan.total += first.bytes;
        let all_seen = names.len() as u64 >= first.nlink;
        if let Some(unit) = &first.unit
            && all_seen
            && names.iter().all(|name| name.unit.as_ref() == Some(unit))
        {
            units.entry(unit.clone()).or_default().bytes += first.bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(ino: u64, nlink: u64, usage: (Option<usize>, Kind), unit: Option<u64>) -> Link {
        Link {
            dev: 1,
            ino,
            nlink,
            bytes: 4096,
            usage,
            unit: unit.map(|hash| (0, UnitKey::Hash(hash))),
        }
    }

    #[test]
    fn a_hard_linked_inode_counts_once_and_in_a_unit_only_when_all_its_names_are_there() {
        let deps = (Some(0), Kind::Deps);
        let other = (Some(0), Kind::Other);
        let links = vec![
            // Two names in unit 1: it frees the blocks.
            name(10, 2, deps, Some(1)),
            name(10, 2, deps, Some(1)),
            // One in unit 2, one uplifted to the profile dir: unit 2 does not.
            name(11, 2, other, None),
            name(11, 2, deps, Some(2)),
            // A name outside the target dir: unit 3 does not either.
            name(12, 2, deps, Some(3)),
        ];
        let mut scan = Scan::default();
        let mut units = FastMap::default();
        count_links_once(&mut scan, &mut units, links);
        assert_eq!(scan.total, 3 * 4096);
        assert_eq!(scan.usage.get(&deps), Some(&(3 * 4096)));
        assert_eq!(scan.usage.get(&other), None);
        let bytes = |hash| {
            units
                .get(&(0, UnitKey::Hash(hash)))
                .map_or(0, |u: &UnitAcc| u.bytes)
        };
        assert_eq!((bytes(1), bytes(2), bytes(3)), (4096, 0, 0));
    }
}
