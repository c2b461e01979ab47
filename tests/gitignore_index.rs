//! `cargo perf gitignore` reads the index itself and matches ignore rules in
//! process before it asks git: its answers must stay git's, exactly, for
//! every kind of pattern, every index format, stale stat data, submodules
//! and files deleted from the work tree. Each test compares with
//! `git ls-files -ci --exclude-standard` and with the sizes on disk.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::util::Dir;

/// The required ignores, so only the findings under test show.
const REQUIRED: &str = "/target/\n/.cargo-perf/\nperf.data*\n";

/// A committed one-package workspace with a 500-byte size limit.
fn repo(ignore: &str) -> Dir {
    let dir = Dir::with_package("demo");
    dir.create(".gitignore", format!("{REQUIRED}{ignore}"));
    dir.policy("[gitignore]\nmax-file-size = \"500 B\"\n");
    dir.git_init();
    dir
}

/// Adds `files` (with `git add -f`, so ignored ones too) and commits.
fn commit(dir: &Dir, files: &[(&str, usize)]) {
    for (path, size) in files {
        dir.create(path, vec![b'x'; *size]);
        dir.git(["add", "-f", "--", path]);
    }
    dir.git(["commit", "-qm", "files"]);
}

/// The report's tracked-but-ignored files and large-file messages.
fn answers(dir: &Dir) -> (BTreeSet<String>, BTreeSet<String>) {
    let run = dir
        .command(["gitignore", "--format", "json"])
        .expect_code_in(&[0, 1]);
    let doc = run.json();
    let task = doc["tasks"]
        .as_array()
        .and_then(|tasks| tasks.iter().find(|t| t["name"] == "gitignore"))
        .cloned()
        .unwrap_or_else(|| panic!("no gitignore task\n{}", run.context()));
    let of = |code: &str, field: &str| -> BTreeSet<String> {
        task["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["code"] == code)
            .filter_map(|f| f[field].as_str().map(str::to_owned))
            .collect()
    };
    let unexpected: Vec<&Value> = task["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["code"] != "gitignore-tracked-ignored" && f["code"] != "gitignore-large-file")
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}\n{}", run.context());
    (
        of("gitignore-tracked-ignored", "file"),
        of("gitignore-large-file", "message"),
    )
}

/// What git itself calls tracked and ignored.
fn git_ignored(dir: &Dir) -> BTreeSet<String> {
    dir.git([
        "ls-files",
        "-z",
        "--cached",
        "--ignored",
        "--exclude-standard",
    ])
    .split('\0')
    .filter(|p| !p.is_empty())
    .map(str::to_owned)
    .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn large(items: &[(&str, usize)]) -> BTreeSet<String> {
    items
        .iter()
        .map(|(path, size)| format!("tracked file {path} is {size} B, over the 500 B limit"))
        .collect()
}

#[test]
fn every_kind_of_pattern_gives_gits_answer() {
    let dir = repo(concat!(
        "*.log\n!keep.log\n/anchored.txt\nbuild/\ndocs/**/*.tmp\n[Tt]emp?.dat\n",
        "\\#hash\ntrailing\\ \nspaced   \ncrlf.txt\r\nvendor/*\n!vendor/kept/\n",
        "**/gen/out\n/only/*.o\n",
    ));
    dir.create("sub/.gitignore", "*.gen\n!important.gen\n/local\n");
    // Not tracked, but git reads it all the same.
    dir.create("deep/a/.gitignore", "secret*\n");
    dir.create(".git/info/exclude", "*.excl\n");
    let global = dir.create("global-ignore", "*.glob\n");
    dir.git(["config", "core.excludesFile", global.to_str().unwrap()]);
    commit(
        &dir,
        &[
            ("a.log", 1),
            ("keep.log", 1),
            ("sub/keep.log", 1),
            ("UPPER.LOG", 1),
            ("anchored.txt", 1),
            ("sub/anchored.txt", 1),
            ("build/x.rs", 1),
            ("src/build", 1),
            ("docs/a/b/c.tmp", 1),
            ("docs/c.tmp", 1),
            ("temp1.dat", 1),
            ("Temp2.dat", 1),
            ("tempxx.dat", 1),
            ("#hash", 1),
            ("trailing ", 1),
            ("spaced", 1),
            ("crlf.txt", 1),
            ("vendor/a.rs", 1),
            ("vendor/kept/b.rs", 1),
            ("sub/x.gen", 1),
            ("sub/important.gen", 1),
            ("sub/local", 1),
            ("sub/deeper/local", 1),
            ("deep/a/secret.txt", 1),
            ("deep/secret.txt", 1),
            ("x/gen/out", 1),
            ("gen/out", 1),
            ("only/a.o", 1),
            ("only/b/a.o", 1),
            ("z.excl", 1),
            ("z.glob", 1),
            ("normal.rs", 1),
        ],
    );
    let git = git_ignored(&dir);
    for path in [
        "a.log",
        "sub/local",
        "build/x.rs",
        "vendor/a.rs",
        "z.glob",
        "z.excl",
    ] {
        assert!(git.contains(path), "git should ignore {path}: {git:?}");
    }
    for path in [
        "keep.log",
        "sub/keep.log",
        "src/build",
        "sub/deeper/local",
        "vendor/kept/b.rs",
    ] {
        assert!(!git.contains(path), "git should not ignore {path}: {git:?}");
    }
    let (ignored, large_files) = answers(&dir);
    assert_eq!(ignored, git);
    assert!(large_files.is_empty(), "{large_files:?}");
}

#[test]
fn sizes_are_the_sizes_on_disk_not_the_cached_ones() {
    let dir = repo("");
    commit(
        &dir,
        &[
            ("grows.bin", 10),
            ("shrinks.bin", 700),
            ("big.bin", 800),
            ("gone.bin", 900),
        ],
    );
    // Changed in the second the index was written (racily clean), and changed
    // later with the old mtime put back: the cached size is wrong for both.
    dir.create("grows.bin", vec![b'y'; 600]);
    dir.create("shrinks.bin", vec![b'y'; 10]);
    let big = dir.join("big.bin");
    let mtime = std::fs::metadata(&big).unwrap().modified().unwrap();
    dir.create("big.bin", vec![b'y'; 650]);
    std::fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    std::fs::remove_file(dir.join("gone.bin")).unwrap();
    let (ignored, large_files) = answers(&dir);
    assert!(ignored.is_empty(), "{ignored:?}");
    assert_eq!(large_files, large(&[("grows.bin", 600), ("big.bin", 650)]));
}

/// Tracked-but-ignored and large files, in a tree deep enough to matter.
fn populated() -> Dir {
    let dir = repo("*.log\nbuild/\n");
    commit(
        &dir,
        &[
            ("a/run.log", 1),
            ("a/b/c/run.log", 1),
            ("build/out.txt", 1),
            ("a/big.bin", 600),
            ("a/b/ok.txt", 10),
            ("src/main.txt", 700),
        ],
    );
    dir
}

fn expected_ignored() -> BTreeSet<String> {
    set(&["a/run.log", "a/b/c/run.log", "build/out.txt"])
}

#[test]
fn every_index_format_gives_the_same_answers() {
    let dir = populated();
    let expected_large = large(&[("a/big.bin", 600), ("src/main.txt", 700)]);
    for (what, args) in [
        ("index v4", &["update-index", "--index-version", "4"][..]),
        (
            "index v3, skip-worktree",
            &["update-index", "--index-version", "3"][..],
        ),
        ("split index", &["update-index", "--split-index"][..]),
    ] {
        dir.git(args);
        if what.contains("skip-worktree") {
            dir.git(["update-index", "--skip-worktree", "a/b/ok.txt"]);
        }
        assert_eq!(git_ignored(&dir), expected_ignored(), "{what}");
        let (ignored, large_files) = answers(&dir);
        assert_eq!(ignored, expected_ignored(), "{what}");
        assert_eq!(large_files, expected_large, "{what}");
    }
}

#[test]
fn a_sparse_index_gives_gits_answers() {
    let dir = populated();
    dir.git(["sparse-checkout", "set", "--cone", "--sparse-index", "src"]);
    assert!(!dir.join("a").exists(), "sparse checkout left a/ on disk");
    let (ignored, large_files) = answers(&dir);
    assert_eq!(ignored, git_ignored(&dir));
    assert_eq!(large_files, large(&[("src/main.txt", 700)]));
}

#[test]
fn submodules_and_deleted_files_give_gits_answers() {
    let dir = populated();
    let head = dir.git(["rev-parse", "HEAD"]);
    for sub in ["sub", "gone-sub", "kept"] {
        let info = format!("160000,{},{sub}", head.trim());
        dir.git(["update-index", "--add", "--cacheinfo", info.as_str()]);
    }
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    dir.create(
        ".gitignore",
        format!("{REQUIRED}*.log\nbuild/\nsub/\ngone-sub/\n"),
    );
    std::fs::remove_file(dir.join("a/run.log")).unwrap();
    std::fs::remove_file(dir.join("a/big.bin")).unwrap();
    let git = git_ignored(&dir);
    assert!(git.contains("sub") && git.contains("a/run.log"), "{git:?}");
    let (ignored, large_files) = answers(&dir);
    assert_eq!(ignored, git);
    assert_eq!(large_files, large(&[("src/main.txt", 700)]));
}

#[test]
fn rules_of_a_skip_worktree_gitignore_still_count() {
    let dir = populated();
    dir.create("a/.gitignore", "*.bin\n");
    dir.git(["add", "a/.gitignore"]);
    dir.git(["commit", "-qm", "ignore"]);
    dir.git(["update-index", "--skip-worktree", "a/.gitignore"]);
    std::fs::remove_file(dir.join("a/.gitignore")).unwrap();
    let git = git_ignored(&dir);
    assert!(git.contains("a/big.bin"), "{git:?}");
    let (ignored, _) = answers(&dir);
    assert_eq!(ignored, git);
}

#[test]
fn a_tracked_file_that_is_a_directory_on_disk_now_gives_gits_answer() {
    let dir = populated();
    commit(&dir, &[("out", 1), ("logs", 1)]);
    dir.create(
        ".gitignore",
        format!("{REQUIRED}*.log\nbuild/\nout/\nlogs\n"),
    );
    std::fs::remove_file(dir.join("out")).unwrap();
    dir.create("out/inner.txt", "x");
    // Whether `out/` matches depends on how the entry is typed: git's answer counts.
    let git = git_ignored(&dir);
    assert!(git.contains("logs"), "{git:?}");
    let (ignored, _) = answers(&dir);
    assert_eq!(ignored, git);
}

#[test]
fn a_name_starting_with_a_colon_gives_gits_answer() {
    let dir = repo(":*\n");
    for path in [":colon", "sub/:inner", "plain.txt"] {
        dir.create(path, "x");
        // `./`: git reads a leading `:` of a pathspec as magic.
        dir.git(["add", "-f", "--", &format!("./{path}")]);
    }
    dir.git(["commit", "-qm", "files"]);
    let git = git_ignored(&dir);
    assert!(git.contains(":colon"), "{git:?}");
    let (ignored, _) = answers(&dir);
    assert_eq!(ignored, git);
}

#[test]
fn git_index_file_is_the_index_read() {
    let dir = populated();
    let alternate = dir.join(".git/alternate-index");
    std::fs::copy(dir.join(".git/index"), &alternate).unwrap();
    dir.create("extra.log", "x");
    let listed = crate::util::git_command(dir.path())
        .env("GIT_INDEX_FILE", &alternate)
        .args(["add", "-f", "extra.log"])
        .status()
        .unwrap();
    assert!(listed.success());
    let run = dir
        .command(["gitignore", "--format", "json"])
        .env("GIT_INDEX_FILE", &alternate)
        .expect_code(1);
    let files: BTreeSet<String> = run.json()["tasks"][0]["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["code"] == "gitignore-tracked-ignored")
        .filter_map(|f| f["file"].as_str().map(str::to_owned))
        .collect();
    let mut expected = expected_ignored();
    expected.insert("extra.log".into());
    assert_eq!(files, expected, "{}", run.context());
    assert_eq!(answers(&dir).0, expected_ignored());
}
