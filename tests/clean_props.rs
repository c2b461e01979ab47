//! A property test of `cargo perf clean`: seeded random workspaces and
//! target dirs (build units with symlinks to files and directories inside
//! and outside, hard links, incremental caches, tracked build output, nested
//! repositories, extra files tracked and not) under random `[clean]`
//! policies. After each run nothing outside the workspace and target dir has
//! changed, no tracked file has changed, the dry run changed nothing, and
//! what went is exactly what the dry run listed. A failing case names its
//! seed; `CLEAN_PROPS_SEED=<n>` runs that case alone.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::clean::{age_tree, clean, fake_unit, removals, set_age, set_link_age, snapshot};
use crate::util::Dir;

const CASES: u64 = 16;

/// xorshift64*: small, seeded, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// A generated build unit: the path clean lists it by, and every path of it.
struct GenUnit {
    listed_as: String,
    paths: Vec<String>,
}

fn symlink(target: &Path, link: &Path) {
    if fs::symlink_metadata(link).is_ok() {
        return;
    }
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// What lies outside the workspace, for links to point at.
fn outside_tree() -> Dir {
    let outside = Dir::new();
    for name in [
        "lib-x",
        "bin-x",
        "test-lib-x",
        "output-lib-x",
        "build-script-build-script-build",
    ] {
        outside.create(format!("fingerprint/{name}"), "0123456789abcdef");
    }
    outside.create(
        "fingerprint/lib-x.json",
        "{\"rustc\":1,\"features\":\"[]\"}",
    );
    outside.create("tree/a/b.txt", "outside");
    outside.create("tree/x.profraw", vec![3u8; 4096]);
    outside.create("file.rlib", vec![5u8; 4096]);
    age_tree(outside.path(), 100);
    outside
}

fn random_policy(rng: &mut Rng) -> String {
    let mut policy = String::from("[clean]\n");
    if rng.chance(70) {
        policy.push_str(&format!(
            "max-age = \"{}\"\n",
            rng.pick(&["30d", "3d", "60d"])
        ));
    }
    if rng.chance(30) {
        policy.push_str(&format!(
            "max-size = \"{}\"\n",
            rng.pick(&["1 B", "100 KiB", "1 MiB"])
        ));
    }
    let globs = [
        "**/*.profraw",
        "*",
        "vendor/**",
        "**",
        "deep",
        "[!z]*",
        "?*/**",
    ];
    for _ in 0..rng.below(3) {
        policy.push_str(&format!(
            "\n[[clean.extra]]\nglob = \"{}\"\n",
            rng.pick(&globs)
        ));
        if rng.chance(30) {
            policy.push_str("larger-than = \"1 KiB\"\n");
        }
        if rng.chance(30) {
            policy.push_str("older-than = \"7d\"\n");
        }
    }
    policy
}

/// Files in the workspace; some become tracked (those made before the first commit).
fn workspace_files(rng: &mut Rng, dir: &Dir, outside: &Dir) {
    let paths = [
        "a.profraw",
        "deep/b.profraw",
        "deep/er/c.profraw",
        "vendor/v.profraw",
        "vendor/lib/x.rs",
        "notes.txt",
        "zeta/z.profraw",
        "empty/.keep",
    ];
    for _ in 0..rng.below(6) {
        let path = dir.create(rng.pick(&paths), vec![1u8; rng.pick(&[10, 5000])]);
        set_age(&path, rng.pick(&[0, 10, 40]));
    }
    if rng.chance(40) {
        symlink(&outside.join("tree"), &dir.join("linkdir"));
    }
    if rng.chance(40) {
        symlink(&outside.join("file.rlib"), &dir.join("deep/link.profraw"));
    }
    if rng.chance(20) {
        symlink(&dir.join("nowhere"), &dir.join("dangling.profraw"));
    }
}

fn nested_repo(dir: &Dir) {
    dir.create(
        "vendor/nested/kept.profraw",
        "tracked by the nested repository",
    );
    dir.create("vendor/nested/src/main.rs", "fn main() {}");
    let nested = dir.join("vendor/nested");
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &["commit", "-q", "-m", "n"],
    ] {
        let ok = crate::util::git_command(&nested)
            .args(args)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "git {args:?} in the nested repository");
    }
    dir.create("vendor/nested/loose.profraw", vec![2u8; 5000]);
}

/// One build unit with random twists; returns it and whether its rlib should be tracked.
fn unit(rng: &mut Rng, dir: &Dir, outside: &Dir, index: usize) -> (GenUnit, Option<String>) {
    let profile = rng.pick(&["target/debug", "target/release"]);
    let name = format!("u{index}");
    let hash = format!("{:016x}", rng.next());
    let days = rng.pick(&[0, 5, 40, 100]);
    fake_unit(
        dir,
        profile,
        &name,
        &hash,
        1,
        days,
        rng.pick(&[10, 5000, 70_000]),
    );
    let fingerprint = format!("{profile}/.fingerprint/{name}-{hash}");
    let rlib = format!("{profile}/deps/lib{name}-{hash}.rlib");
    let mut paths = vec![
        fingerprint.clone(),
        rlib.clone(),
        format!("{profile}/deps/lib{name}-{hash}.rmeta"),
        format!("{profile}/deps/{name}-{hash}.d"),
    ];
    if rng.chance(20) {
        fs::remove_dir_all(dir.join(&fingerprint)).unwrap();
        symlink(&outside.join("fingerprint"), &dir.join(&fingerprint));
        set_link_age(&dir.join(&fingerprint), days);
    }
    if rng.chance(20) {
        let link = format!("{profile}/deps/lib{name}-{hash}.so");
        symlink(&outside.join("file.rlib"), &dir.join(&link));
        set_link_age(&dir.join(&link), days);
        paths.push(link);
    }
    let build = format!("{profile}/build/{name}-{hash}");
    match rng.below(4) {
        0 => {
            dir.create(format!("{build}/out/gen.rs"), "// generated");
            age_tree(&dir.join(&build), days);
            paths.push(build);
        }
        1 => {
            symlink(&outside.join("tree"), &dir.join(&build));
            paths.push(build);
        }
        _ => {}
    }
    if rng.chance(20) {
        fs::hard_link(
            dir.join(&rlib),
            dir.join(format!("{profile}/lib{name}.rlib")),
        )
        .unwrap();
    }
    let tracked = rng.chance(10).then_some(rlib);
    (
        GenUnit {
            listed_as: fingerprint,
            paths,
        },
        tracked,
    )
}

/// The target dir: units, maybe an incremental cache (or a link where it would be), loose entries.
fn target_dir(rng: &mut Rng, dir: &Dir, outside: &Dir) -> (Vec<GenUnit>, Vec<String>) {
    let mut units = Vec::new();
    let mut tracked = Vec::new();
    for index in 0..1 + rng.below(6) {
        let (unit, track) = unit(rng, dir, outside, index);
        units.push(unit);
        tracked.extend(track);
    }
    if rng.chance(30) {
        let cache = "target/debug/incremental/u0-1a2b3c4d5e6f7";
        dir.create(format!("{cache}/s-abc/query-cache.bin"), vec![4u8; 3000]);
        age_tree(&dir.join(cache), rng.pick(&[1, 40]));
        units.push(GenUnit {
            listed_as: cache.to_owned(),
            paths: vec![cache.to_owned()],
        });
    } else if rng.chance(15) {
        fs::create_dir_all(dir.join("target/debug")).unwrap();
        symlink(&outside.join("tree"), &dir.join("target/debug/incremental"));
    }
    if rng.chance(30) {
        symlink(&outside.join("tree"), &dir.join("target/debug/link-out"));
    }
    dir.create(
        "target/CACHEDIR.TAG",
        "Signature: 8a477f597d28d172789f06886806bc55",
    );
    (units, tracked)
}

fn tracked_contents(dir: &Dir) -> BTreeMap<String, Vec<u8>> {
    dir.git(["ls-files"])
        .lines()
        .chain(["vendor/nested/kept.profraw", "vendor/nested/src/main.rs"])
        .map(|file| {
            (
                file.to_owned(),
                fs::read(dir.join(file)).unwrap_or_default(),
            )
        })
        .collect()
}

fn everything(dir: &Dir, outside: &Dir) -> BTreeMap<PathBuf, String> {
    let mut all = snapshot(dir.path());
    all.extend(snapshot(outside.path()));
    all
}

/// The paths the listing says go: every path of each listed unit or extra path, and all below them.
fn expected_gone(
    listed: &[(String, String)],
    units: &[GenUnit],
    dir: &Dir,
    before: &BTreeMap<PathBuf, String>,
) -> BTreeSet<PathBuf> {
    let mut roots = Vec::new();
    for (file, message) in listed {
        match units.iter().find(|u| u.listed_as == *file) {
            Some(unit) => roots.extend(unit.paths.iter().map(|p| dir.join(p))),
            None if message.contains("[[clean.extra]]") => roots.push(dir.join(file)),
            None => {
                panic!("listed something no unit or extra rule accounts for: {file}: {message}")
            }
        }
    }
    before
        .keys()
        .filter(|path| roots.iter().any(|root| path.starts_with(root)))
        .cloned()
        .collect()
}

fn run_case(seed: u64) {
    let mut rng = Rng::new(seed);
    let outside = outside_tree();
    let dir = Dir::with_package("tiny");
    dir.create(".gitignore", "/target\n");
    dir.policy(&random_policy(&mut rng));
    workspace_files(&mut rng, &dir, &outside);
    let (units, tracked_output) = target_dir(&mut rng, &dir, &outside);
    dir.git_init();
    if !tracked_output.is_empty() {
        let mut args = vec!["add", "-f"];
        args.extend(tracked_output.iter().map(String::as_str));
        dir.git(args);
        dir.git(["commit", "-q", "-m", "build output"]);
    }
    if rng.chance(50) {
        nested_repo(&dir);
    }
    // Untracked files made after the commit.
    workspace_files(&mut rng, &dir, &outside);
    // git read what it committed: make the build output as old as it was.
    age_tree(&dir.join("target"), 100);
    for unit in &units {
        let days = rng.pick(&[1, 40]);
        for path in &unit.paths {
            age_tree(&dir.join(path), days);
        }
    }
    let tracked = tracked_contents(&dir);
    let before = everything(&dir, &outside);
    let policy = dir.read("perf.toml");
    let context = |what: &str| format!("seed {seed}: {what}\npolicy:\n{policy}\n{}", dir.listing());

    let dry = clean(&dir)
        .args(["--dry-run", "--format", "json"])
        .expect_success()
        .json();
    assert_eq!(
        everything(&dir, &outside),
        before,
        "{}",
        context("the dry run changed something")
    );
    let listed = removals(&dry);
    let real = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    assert_eq!(
        removals(&real),
        listed,
        "{}",
        context("the real run listed another list")
    );
    let after = everything(&dir, &outside);
    for (path, what) in &after {
        assert_eq!(
            before.get(path),
            Some(what),
            "{}",
            context(&format!("{} changed or appeared", path.display()))
        );
    }
    let gone: BTreeSet<PathBuf> = before
        .keys()
        .filter(|p| !after.contains_key(*p))
        .cloned()
        .collect();
    let expected = expected_gone(&listed, &units, &dir, &before);
    assert_eq!(
        gone,
        expected,
        "{}",
        context(&format!("what went is not what was listed: {real:#}"))
    );
    assert!(
        gone.iter().all(|p| p.starts_with(dir.path())),
        "{}",
        context("something outside the workspace went")
    );
    assert_eq!(
        tracked_contents(&dir),
        tracked,
        "{}",
        context("a tracked file changed")
    );
}

#[test]
fn clean_never_touches_more_than_it_lists() {
    let seeds: Vec<u64> = match std::env::var("CLEAN_PROPS_SEED") {
        Ok(seed) => vec![seed.parse().expect("CLEAN_PROPS_SEED is a number")],
        Err(_) => (1..=CASES).collect(),
    };
    for seed in seeds {
        run_case(seed);
    }
}
