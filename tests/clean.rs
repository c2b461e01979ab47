//! `cargo perf clean`: the rules of `[clean]`, dry-run against real runs,
//! each safety rule (tracked files, symlinks, cargo's build lock, files that
//! cannot be removed), and `cargo build` after a clean.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::{self, File, FileTimes};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::util::{Dir, TestCommand};

pub(crate) const DAY: u64 = 86_400;

/// Sets the access and modification times of `path` to `days` ago.
pub(crate) fn set_age(path: &Path, days: u64) {
    let time = SystemTime::now() - Duration::from_secs(days * DAY);
    let file = File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    file.set_times(FileTimes::new().set_accessed(time).set_modified(time))
        .unwrap_or_else(|e| panic!("set times of {}: {e}", path.display()));
}

/// Ages every entry below `path` (and `path`), never following symlinks.
pub(crate) fn age_tree(path: &Path, days: u64) {
    let meta = fs::symlink_metadata(path).expect("stat");
    if meta.file_type().is_symlink() {
        return;
    }
    if meta.is_dir() {
        for entry in fs::read_dir(path).expect("read dir").flatten() {
            age_tree(&entry.path(), days);
        }
    }
    set_age(path, days);
}

/// A unit in cargo's layout under `profile` (e.g. `target/debug`), built
/// `days` ago by the toolchain whose fingerprint hash is `rustc`.
pub(crate) fn fake_unit(
    dir: &Dir,
    profile: &str,
    name: &str,
    hash: &str,
    rustc: u64,
    days: u64,
    rlib: usize,
) {
    let p = Path::new(profile);
    let crate_name = name.replace('-', "_");
    let fingerprint = p.join(".fingerprint").join(format!("{name}-{hash}"));
    dir.create(
        fingerprint.join(format!("lib-{crate_name}")),
        "0123456789abcdef",
    );
    dir.create(
        fingerprint.join(format!("lib-{crate_name}.json")),
        format!("{{\"rustc\":{rustc},\"features\":\"[]\",\"deps\":[]}}"),
    );
    dir.create(fingerprint.join(format!("dep-lib-{crate_name}")), "dep");
    let deps = p.join("deps");
    dir.create(
        deps.join(format!("lib{crate_name}-{hash}.rlib")),
        vec![7u8; rlib],
    );
    dir.create(deps.join(format!("lib{crate_name}-{hash}.rmeta")), "rmeta");
    dir.create(deps.join(format!("{crate_name}-{hash}.d")), "deps");
    for path in [
        fingerprint,
        deps.join(format!("lib{crate_name}-{hash}.rlib")),
        deps.join(format!("lib{crate_name}-{hash}.rmeta")),
        deps.join(format!("{crate_name}-{hash}.d")),
    ] {
        age_tree(&dir.join(path), days);
    }
}

pub(crate) fn clean(dir: &Dir) -> TestCommand {
    dir.command(["clean"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
}

pub(crate) fn task(json: &Value) -> &Value {
    &json["tasks"][0]
}

/// The `remove` findings: (file, message), in report order.
pub(crate) fn removals(json: &Value) -> Vec<(String, String)> {
    findings(json, "clean-remove")
        .into_iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or("").to_owned(),
                f["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

pub(crate) fn findings<'a>(json: &'a Value, code: &str) -> Vec<&'a Value> {
    task(json)["findings"]
        .as_array()
        .map(|all| all.iter().filter(|f| f["code"] == code).collect())
        .unwrap_or_default()
}

pub(crate) fn metric(json: &Value, name: &str) -> Option<f64> {
    task(json)["metrics"]
        .as_array()?
        .iter()
        .find(|m| m["name"] == name)?["value"]
        .as_f64()
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

#[test]
fn dry_run_lists_what_a_real_run_removes_and_cargo_build_still_works() {
    let dir = Dir::with_package("tiny");
    dir.create(".gitignore", "/target\n");
    dir.policy("[clean]\nmax-age = \"30d\"\n");
    dir.git_init();
    let build = |dir: &Dir| {
        let status = cargo()
            .args(["build", "--quiet", "--offline"])
            .current_dir(dir.path())
            .env("CARGO_TARGET_DIR", dir.join("target"))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build failed\n{}", dir.listing());
    };
    build(&dir);
    age_tree(&dir.join("target"), 40);
    // One unit was used yesterday: it stays.
    fake_unit(&dir, "target/debug", "fresh", "00000000000000aa", 1, 1, 10);

    let dry = clean(&dir)
        .args(["--dry-run", "--format", "json"])
        .expect_success()
        .json();
    let listed = removals(&dry);
    assert!(
        listed.iter().any(
            |(file, message)| file.starts_with("target/debug/.fingerprint/tiny-")
                && message.contains("not used for 40d (max-age 30d)")
        ),
        "{listed:#?}"
    );
    assert!(
        listed.iter().all(|(_, m)| !m.contains("fresh-")),
        "{listed:#?}"
    );
    let reclaimable = metric(&dry, "clean.reclaimable").unwrap();
    assert!(reclaimable > 0.0);
    let before = metric(&dry, "clean.target.before").unwrap();
    assert_eq!(
        metric(&dry, "clean.target.after"),
        Some(before - reclaimable)
    );
    for usage in [
        "clean.usage.debug.deps",
        "clean.usage.debug.incremental",
        "clean.usage.debug.other",
        "clean.usage.other",
    ] {
        assert!(
            metric(&dry, usage).is_some(),
            "no metric {usage}: {:#}",
            task(&dry)["metrics"]
        );
    }
    assert!(
        task(&dry)["summary"]
            .as_str()
            .unwrap()
            .contains("would remove")
    );
    // Nothing was removed by the dry run.
    assert_eq!(
        removals(
            &clean(&dir)
                .args(["--dry-run", "--format", "json"])
                .expect_success()
                .json()
        ),
        listed
    );

    let real = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    assert_eq!(removals(&real), listed, "the real run removed another list");
    assert_eq!(metric(&real, "clean.reclaimed"), Some(reclaimable));
    for (file, _) in &listed {
        assert!(
            fs::symlink_metadata(dir.join(file)).is_err(),
            "{file} is still there"
        );
    }
    assert!(
        dir.join("target/debug/.fingerprint/fresh-00000000000000aa")
            .exists()
    );
    let human = clean(&dir).args(["--dry-run"]).expect_success();
    human.stdout_has("would remove 0 units");

    build(&dir);
    // The rebuilt units are fresh: nothing more to remove.
    let after = clean(&dir)
        .args(["--dry-run", "--format", "json"])
        .expect_success()
        .json();
    assert_eq!(removals(&after), Vec::<(String, String)>::new());
}

#[test]
fn a_unit_goes_whole_across_its_directories_and_cross_targets_count() {
    let dir = Dir::with_package("tiny");
    dir.policy("[clean]\nmax-age = \"30d\"\n");
    fake_unit(&dir, "target/debug", "old", "0123456789abcdef", 1, 45, 100);
    dir.create(
        "target/debug/build/old-0123456789abcdef/out/generated.rs",
        "// out",
    );
    age_tree(&dir.join("target/debug/build/old-0123456789abcdef"), 45);
    fake_unit(
        &dir,
        "target/wasm32-unknown-unknown/release",
        "cross",
        "fedcba9876543210",
        1,
        45,
        10,
    );
    fake_unit(&dir, "target/debug", "recent", "1111111111111111", 1, 2, 10);
    dir.create(
        "target/debug/deps/rmetaXYZ/tmp",
        "rustc's temporary dir is not a unit",
    );
    age_tree(&dir.join("target/debug/deps/rmetaXYZ"), 90);

    let run = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    let listed = removals(&run);
    assert_eq!(listed.len(), 2, "{listed:#?}");
    assert!(listed[0].1.contains("(debug, "), "{listed:#?}");
    assert!(
        listed[1].1.contains("(wasm32-unknown-unknown/release, "),
        "{listed:#?}"
    );
    for gone in [
        "target/debug/.fingerprint/old-0123456789abcdef",
        "target/debug/deps/libold-0123456789abcdef.rlib",
        "target/debug/deps/libold-0123456789abcdef.rmeta",
        "target/debug/deps/old-0123456789abcdef.d",
        "target/debug/build/old-0123456789abcdef",
        "target/wasm32-unknown-unknown/release/deps/libcross-fedcba9876543210.rlib",
    ] {
        assert!(!dir.join(gone).exists(), "{gone} is still there");
    }
    for kept in [
        "target/debug/deps/librecent-1111111111111111.rlib",
        "target/debug/.fingerprint/recent-1111111111111111/lib-recent",
        "target/debug/deps/rmetaXYZ/tmp",
    ] {
        assert!(dir.join(kept).exists(), "{kept} was removed");
    }
    assert!(metric(&run, "clean.usage.wasm32-unknown-unknown/release.deps").is_some());
}

#[test]
fn max_size_removes_the_least_recently_used_units_first() {
    let dir = Dir::with_package("tiny");
    dir.policy("[clean]\nmax-size = \"300 KiB\"\n");
    fake_unit(
        &dir,
        "target/debug",
        "oldest",
        "000000000000000a",
        1,
        30,
        100 << 10,
    );
    fake_unit(
        &dir,
        "target/debug",
        "middle",
        "000000000000000b",
        1,
        20,
        100 << 10,
    );
    fake_unit(
        &dir,
        "target/debug",
        "newest",
        "000000000000000c",
        1,
        10,
        100 << 10,
    );

    let run = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    let listed = removals(&run);
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert!(
        listed[0].1.contains("unit `oldest-000000000000000a`"),
        "{listed:#?}"
    );
    assert!(
        listed[0]
            .1
            .contains("least recently used (last used 30d ago)"),
        "{listed:#?}"
    );
    assert!(metric(&run, "clean.target.after").unwrap() <= 300.0 * 1024.0);
    assert!(
        dir.join("target/debug/deps/libmiddle-000000000000000b.rlib")
            .exists()
    );

    // A budget nothing can meet removes every unit and says what is left.
    dir.policy("[clean]\nmax-size = \"1 B\"\n");
    let run = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    assert_eq!(removals(&run).len(), 2);
    assert_eq!(findings(&run, "clean-over-budget").len(), 1, "{run:#}");
}

#[test]
fn toolchain_rule_removes_units_of_toolchains_no_longer_installed_only() {
    let dir = Dir::with_package("tiny");
    dir.policy("[clean]\ntoolchains = \"installed\"\n");
    let status = cargo()
        .args(["build", "--quiet", "--offline"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .status()
        .expect("run cargo build");
    assert!(status.success());
    // A unit left behind by a toolchain that was uninstalled since.
    fake_unit(
        &dir,
        "target/debug",
        "gone",
        "00000000000000ee",
        12345,
        0,
        10,
    );

    let run = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    let listed = removals(&run);
    assert_eq!(
        listed.len(),
        1,
        "units of the current toolchain were selected: {listed:#?}"
    );
    assert!(
        listed[0]
            .1
            .contains("built by a toolchain that is no longer installed (rustc hash 12345)")
    );
    assert!(
        !dir.join("target/debug/deps/libgone-00000000000000ee.rlib")
            .exists()
    );
    assert!(dir.join("target/debug/libtiny.rlib").exists());
}

#[test]
fn never_removes_a_file_git_tracks() {
    let dir = Dir::with_package("tiny");
    dir.policy("[clean]\nmax-age = \"1d\"\n\n[[clean.extra]]\nglob = \"**/*.profraw\"\n");
    fake_unit(
        &dir,
        "target/debug",
        "committed",
        "00000000000000c0",
        1,
        10,
        10,
    );
    fake_unit(&dir, "target/debug", "loose", "00000000000000c1", 1, 10, 10);
    dir.create("default.profraw", "tracked profile");
    dir.create(".gitignore", "/target\n");
    dir.git_init();
    dir.git([
        "add",
        "-f",
        "target/debug/deps/libcommitted-00000000000000c0.rlib",
    ]);
    dir.git(["commit", "-q", "-m", "oops"]);
    // git read the file, which counts as a use: make it old again.
    set_age(
        &dir.join("target/debug/deps/libcommitted-00000000000000c0.rlib"),
        10,
    );
    dir.create("new.profraw", "untracked profile");

    let run = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    let files: Vec<String> = removals(&run).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        files,
        [
            "target/debug/.fingerprint/loose-00000000000000c1",
            "new.profraw"
        ],
        "{run:#}"
    );
    let kept = findings(&run, "clean-tracked-kept");
    assert_eq!(kept.len(), 2, "{run:#}");
    assert!(
        dir.join("target/debug/deps/libcommitted-00000000000000c0.rlib")
            .exists()
    );
    assert!(
        dir.join("target/debug/.fingerprint/committed-00000000000000c0/lib-committed")
            .exists()
    );
    assert!(dir.join("default.profraw").exists());
    assert!(!dir.join("new.profraw").exists());
}

#[test]
fn a_tracked_file_whose_name_is_not_utf8_is_kept() {
    use std::os::unix::ffi::OsStrExt;
    let tracked = std::path::Path::new(std::ffi::OsStr::from_bytes(b"caf\xe9.profraw"));
    let loose = std::path::Path::new(std::ffi::OsStr::from_bytes(b"na\xefve.profraw"));
    let dir = Dir::with_package("tiny");
    dir.policy("[[clean.extra]]\nglob = \"**/*.profraw\"\n");
    dir.create(".gitignore", "/target\n");
    dir.create(tracked, "tracked profile");
    dir.git_init();
    dir.create(loose, "untracked profile");

    let run = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    let files: Vec<String> = removals(&run).into_iter().map(|(f, _)| f).collect();
    assert_eq!(files, ["na\u{fffd}ve.profraw"], "{run:#}");
    let kept = findings(&run, "clean-tracked-kept");
    assert_eq!(kept.len(), 1, "{run:#}");
    assert_eq!(kept[0]["file"], "caf\u{fffd}.profraw", "{run:#}");
    assert!(dir.join(tracked).exists());
    assert!(!dir.join(loose).exists());
}

/// `target/cargo-perf/` as runs of cargo perf leave it: `runs` profile runs
/// (each with a recording and a flamegraph), a clean-build dir an
/// interrupted build left, and a private baseline target dir.
pub(crate) fn tool_outputs(dir: &Dir, runs: u64) {
    for n in 1..=runs {
        let run = format!("target/cargo-perf/profile/{}", 1_700_000_000 + n);
        dir.create(format!("{run}/perf.data"), "recording");
        dir.create(format!("{run}/flamegraph.svg"), "<svg/>");
    }
    dir.create(
        "target/cargo-perf/profile/mine/perf.data",
        "not a run of ours",
    );
    dir.create(
        "target/cargo-perf/clean-build/debug/deps/libx.rlib",
        "left over",
    );
    dir.create(
        "target/cargo-perf/clean-build/cargo-timings/cargo-timing.html",
        "report",
    );
    dir.create("target/cargo-perf/baseline-target/release/.cargo-lock", "");
    dir.create(
        "target/cargo-perf/baseline-target/release/deps/liby.rlib",
        "cache",
    );
}

#[test]
fn clean_removes_the_tools_own_old_outputs_and_nothing_beside_them() {
    let dir = Dir::with_package("tiny");
    dir.policy("[profile]\nkeep = 3\n");
    tool_outputs(&dir, 5);
    // A run reached through a link is never entered.
    let elsewhere = Dir::new();
    elsewhere.create("perf.data", "not ours");
    std::os::unix::fs::symlink(
        elsewhere.path(),
        dir.join("target/cargo-perf/profile/1600000000"),
    )
    .unwrap();
    dir.create("target/cargo-perf-notes.txt", "beside, not inside");

    let dry = clean(&dir)
        .args(["--dry-run", "--format", "json"])
        .expect_success()
        .json();
    let listed: Vec<String> = findings(&dry, "clean-tool-output")
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        listed,
        [
            "target/cargo-perf/profile/1700000001",
            "target/cargo-perf/profile/1700000002",
            "target/cargo-perf/profile/1700000003/perf.data",
            "target/cargo-perf/profile/1700000004/perf.data",
            "target/cargo-perf/clean-build/debug",
            "target/cargo-perf/baseline-target",
        ],
        "{dry:#}"
    );
    assert!(removals(&dry).is_empty(), "{dry:#}");
    assert!(dir.join("target/cargo-perf/profile/1700000001").exists());

    let run = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    assert_eq!(findings(&run, "clean-tool-output").len(), 6, "{run:#}");
    assert!(
        task(&run)["summary"]
            .as_str()
            .unwrap()
            .contains("and 6 old outputs of cargo perf"),
        "{run:#}"
    );
    for gone in [
        "target/cargo-perf/profile/1700000001",
        "target/cargo-perf/profile/1700000002",
        "target/cargo-perf/profile/1700000003/perf.data",
        "target/cargo-perf/profile/1700000004/perf.data",
        "target/cargo-perf/clean-build/debug",
        "target/cargo-perf/baseline-target",
    ] {
        assert!(!dir.join(gone).exists(), "{gone} is still there");
    }
    for kept in [
        "target/cargo-perf/profile/1700000003/flamegraph.svg",
        "target/cargo-perf/profile/1700000005/perf.data",
        "target/cargo-perf/profile/mine/perf.data",
        "target/cargo-perf/clean-build/cargo-timings/cargo-timing.html",
        "target/cargo-perf-notes.txt",
    ] {
        assert!(dir.join(kept).exists(), "{kept} was removed");
    }
    assert!(
        dir.join("target/cargo-perf/profile/1600000000")
            .is_symlink()
    );
    assert!(elsewhere.join("perf.data").exists());

    // Again: nothing more to do.
    let again = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    assert!(
        findings(&again, "clean-tool-output").is_empty(),
        "{again:#}"
    );
}

#[test]
fn a_private_target_dir_a_build_holds_is_skipped_and_tracked_outputs_stay() {
    let dir = Dir::with_package("tiny");
    tool_outputs(&dir, 1);
    dir.create(".gitignore", "/target\n");
    dir.git_init();
    dir.git([
        "add",
        "-f",
        "target/cargo-perf/clean-build/debug/deps/libx.rlib",
    ]);
    dir.git(["commit", "-q", "-m", "oops"]);
    let lock =
        std::fs::File::open(dir.join("target/cargo-perf/baseline-target/release/.cargo-lock"))
            .unwrap();
    lock.lock().unwrap();
    let run = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    assert!(findings(&run, "clean-tool-output").is_empty(), "{run:#}");
    let locked = findings(&run, "clean-build-locked");
    assert_eq!(locked.len(), 1, "{run:#}");
    assert_eq!(locked[0]["file"], "target/cargo-perf/baseline-target");
    let kept = findings(&run, "clean-tracked-kept");
    assert_eq!(kept.len(), 1, "{run:#}");
    assert_eq!(kept[0]["file"], "target/cargo-perf/clean-build/debug");
    assert!(
        dir.join("target/cargo-perf/baseline-target/release/deps/liby.rlib")
            .exists()
    );
    assert!(
        dir.join("target/cargo-perf/clean-build/debug/deps/libx.rlib")
            .exists()
    );
    drop(lock);
    let run = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    assert_eq!(findings(&run, "clean-tool-output").len(), 1, "{run:#}");
    assert!(!dir.join("target/cargo-perf/baseline-target").exists());
}

#[test]
fn a_symlink_is_removed_as_a_link_and_its_target_is_untouched() {
    let dir = Dir::with_package("tiny");
    let outside = Dir::new();
    outside.create("precious/data.txt", "keep me");
    outside.create("lib.rlib", "keep me too");
    dir.policy("[clean]\nmax-age = \"1d\"\n");
    fake_unit(
        &dir,
        "target/debug",
        "linked",
        "00000000000000d0",
        1,
        10,
        10,
    );
    let build = dir.join("target/debug/build");
    fs::create_dir_all(&build).unwrap();
    std::os::unix::fs::symlink(
        outside.join("precious"),
        build.join("linked-00000000000000d0"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.join("lib.rlib"),
        dir.join("target/debug/deps/liblinked-00000000000000d0.so"),
    )
    .unwrap();
    // A whole unit dir that is a link to the outside is not walked either.
    std::os::unix::fs::symlink(outside.path(), dir.join("target/debug/incremental")).unwrap();

    clean(&dir).expect_success();
    assert!(fs::symlink_metadata(build.join("linked-00000000000000d0")).is_err());
    assert!(
        fs::symlink_metadata(dir.join("target/debug/deps/liblinked-00000000000000d0.so")).is_err()
    );
    assert_eq!(outside.read("precious/data.txt"), "keep me");
    assert_eq!(outside.read("lib.rlib"), "keep me too");
    assert!(fs::symlink_metadata(dir.join("target/debug/incremental")).is_ok());
}

/// Holds cargo's build lock on `lock` with flock(1) until dropped.
pub(crate) struct LockHolder {
    flock: Child,
    sleeper: String,
}

impl LockHolder {
    pub(crate) fn hold(lock: &Path) -> Option<LockHolder> {
        let mut flock = Command::new("flock")
            .args(["-o", "-x"])
            .arg(lock)
            .args(["sh", "-c", "echo $$; exec sleep 60"])
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let mut line = String::new();
        BufReader::new(flock.stdout.take()?)
            .read_line(&mut line)
            .ok()?;
        Some(LockHolder {
            flock,
            sleeper: line.trim().to_owned(),
        })
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        let _ = self.flock.kill();
        let _ = self.flock.wait();
        let _ = Command::new("kill").arg(&self.sleeper).status();
    }
}

/// A `max-age` policy over a `busy` unit in the debug profile and an `idle`
/// one in release, with debug's build lock held as a running build holds it
/// (`None` when flock(1) is not installed).
pub(crate) fn locked_debug_profile(dir: &Dir) -> Option<LockHolder> {
    dir.policy("[clean]\nmax-age = \"1d\"\n");
    fake_unit(dir, "target/debug", "busy", "00000000000000b0", 1, 10, 10);
    fake_unit(dir, "target/release", "idle", "00000000000000b1", 1, 10, 10);
    dir.create("target/debug/.cargo-lock", "");
    LockHolder::hold(&dir.join("target/debug/.cargo-lock"))
}

#[test]
fn a_profile_locked_by_a_running_build_is_skipped_or_waited_for() {
    let dir = Dir::with_package("tiny");
    let Some(holder) = locked_debug_profile(&dir) else {
        eprintln!("skipped: flock(1) from util-linux is not installed");
        return;
    };

    let run = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    let locked = findings(&run, "clean-build-locked");
    assert_eq!(locked.len(), 1, "{run:#}");
    assert_eq!(locked[0]["file"], "target/debug");
    assert!(
        dir.join("target/debug/deps/libbusy-00000000000000b0.rlib")
            .exists()
    );
    assert!(
        !dir.join("target/release/deps/libidle-00000000000000b1.rlib")
            .exists()
    );

    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        drop(holder);
    });
    let run = clean(&dir)
        .args(["--wait", "--format", "json"])
        .expect_success()
        .json();
    release.join().unwrap();
    assert!(findings(&run, "clean-build-locked").is_empty(), "{run:#}");
    assert!(
        !dir.join("target/debug/deps/libbusy-00000000000000b0.rlib")
            .exists()
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Makes `path` impossible to remove: immutable as root, a read-only parent otherwise.
fn make_unremovable(path: &Path) -> Option<Box<dyn FnOnce()>> {
    use std::os::unix::fs::PermissionsExt;
    if is_root() {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return None;
        }
        let path = path.to_owned();
        Some(Box::new(move || {
            let _ = Command::new("chattr").arg("-i").arg(&path).status();
        }))
    } else {
        let parent: PathBuf = path.parent()?.to_owned();
        fs::set_permissions(&parent, fs::Permissions::from_mode(0o555)).ok()?;
        Some(Box::new(move || {
            let _ = fs::set_permissions(&parent, fs::Permissions::from_mode(0o755));
        }))
    }
}

#[test]
fn a_file_that_cannot_be_removed_is_an_error_and_exit_code_1() {
    let dir = Dir::with_package("tiny");
    dir.policy("[clean]\nmax-age = \"1d\"\n");
    fake_unit(&dir, "target/debug", "stuck", "00000000000000f0", 1, 10, 10);
    fake_unit(&dir, "target/debug", "fine", "00000000000000f1", 1, 10, 10);
    let stuck = dir.join("target/debug/deps/libstuck-00000000000000f0.rlib");
    let Some(undo) = make_unremovable(&stuck) else {
        eprintln!(
            "skipped: running as root where `chattr +i` is not permitted, so no file is unremovable here"
        );
        return;
    };
    let run = clean(&dir).args(["--format", "json"]).expect_code(1);
    undo();
    let json = run.json();
    let failed = findings(&json, "clean-remove-failed");
    assert_eq!(failed.len(), 1, "{json:#}");
    // What could not be removed is not listed as removed.
    assert_eq!(
        files(&json),
        ["target/debug/.fingerprint/fine-00000000000000f1"],
        "{json:#}"
    );
    assert!(
        failed[0]["message"]
            .as_str()
            .unwrap()
            .contains("unit `stuck-00000000000000f0`"),
        "{json:#}"
    );
    assert_eq!(
        failed[0]["file"],
        "target/debug/deps/libstuck-00000000000000f0.rlib"
    );
    assert_eq!(failed[0]["severity"], "error");
    assert_eq!(json["exit_code"], 1);
    assert!(stuck.exists());
    // The unit's fingerprint went first: cargo will rebuild it, never use half of it.
    assert!(
        !dir.join("target/debug/.fingerprint/stuck-00000000000000f0")
            .exists()
    );
    assert!(
        !dir.join("target/debug/deps/libfine-00000000000000f1.rlib")
            .exists()
    );
    clean(&dir).args(["--format", "json"]).expect_success();
}

#[test]
fn extra_files_are_matched_by_glob_size_and_age() {
    let dir = Dir::with_package("tiny");
    dir.policy(
        "[[clean.extra]]\nglob = \"**/*.profraw\"\nlarger-than = \"1 KiB\"\n\n[[clean.extra]]\nglob = \"perf.data*\"\nolder-than = \"7d\"\n",
    );
    dir.create("big.profraw", vec![0u8; 4096]);
    dir.create("deep/er/big.profraw", vec![0u8; 4096]);
    dir.create("small.profraw", "tiny");
    dir.create("perf.data", "old");
    set_age(&dir.join("perf.data"), 10);
    dir.create("perf.data.old", "new");
    dir.create(".cargo-perf/keep.profraw", vec![0u8; 4096]);

    let dry = clean(&dir)
        .args(["--dry-run", "--format", "json"])
        .expect_success()
        .json();
    let files: Vec<String> = removals(&dry).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        files,
        ["big.profraw", "deep/er/big.profraw", "perf.data"],
        "{dry:#}"
    );
    assert!(removals(&dry)[2].1.contains("older than 7d"));
    let real = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    assert_eq!(removals(&real), removals(&dry));
    assert!(!dir.join("big.profraw").exists());
    assert!(dir.join("small.profraw").exists());
    assert!(dir.join("perf.data.old").exists());
    assert!(dir.join(".cargo-perf/keep.profraw").exists());
}

#[test]
fn bad_policy_values_point_at_perf_toml_lines() {
    let dir = Dir::with_package("tiny");
    dir.policy("[clean]\nmax-age = \"3 fortnights\"\nmax-size = \"lots\"\ntoolchains = \"old\"\n\n[[clean.extra]]\nglob = \"[\"\n");
    let run = clean(&dir).args(["--dry-run"]).expect_code(2);
    run.stderr_has("perf.toml:2:11")
        .stderr_has("unknown duration unit `fortnights`")
        .stderr_has("perf.toml:3:12")
        .stderr_has("invalid value for `max-size`")
        .stderr_has("perf.toml:4:14")
        .stderr_has("perf.toml:7:8")
        .stderr_has("invalid glob");
}

#[test]
fn without_rules_nothing_is_removed_and_it_says_so() {
    let dir = Dir::with_package("tiny");
    fake_unit(&dir, "target/debug", "old", "0000000000000001", 1, 400, 10);
    let run = clean(&dir).expect_success();
    run.stdout_has("nothing to remove: no rule is set in [clean]");
    assert!(
        dir.join("target/debug/deps/libold-0000000000000001.rlib")
            .exists()
    );
    // It is no part of `check`.
    dir.command(["check"])
        .expect_success()
        .stdout_lacks("clean");
}

#[test]
fn a_target_dir_outside_the_workspace_is_cleaned_too() {
    let dir = Dir::with_package("tiny");
    let elsewhere = Dir::new();
    dir.policy("[clean]\nmax-age = \"1d\"\n");
    fake_unit(&elsewhere, "debug", "far", "00000000000000fa", 1, 10, 10);
    fake_unit(&elsewhere, "debug", "near", "00000000000000fb", 1, 0, 10);
    let run = dir
        .command(["clean", "--format", "json"])
        .env("CARGO_TARGET_DIR", elsewhere.path())
        .expect_success()
        .json();
    let listed = removals(&run);
    assert_eq!(listed.len(), 1, "{run:#}");
    assert!(
        listed[0]
            .0
            .ends_with("debug/.fingerprint/far-00000000000000fa"),
        "{listed:#?}"
    );
    assert!(
        !elsewhere
            .join("debug/deps/libfar-00000000000000fa.rlib")
            .exists()
    );
    assert!(
        elsewhere
            .join("debug/deps/libnear-00000000000000fb.rlib")
            .exists()
    );
}

/// Every path below `root` with what it is, never following a symlink: a
/// link's target, a file's size and content hash, or `dir`. Reading a file
/// leaves its access time as it was, so units keep their age.
pub(crate) fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let meta = fs::symlink_metadata(&path).expect("stat");
            let what = if meta.file_type().is_symlink() {
                format!(
                    "link to {}",
                    fs::read_link(&path).expect("readlink").display()
                )
            } else if meta.is_dir() {
                walk(&path, out);
                "dir".to_owned()
            } else {
                let bytes = fs::read(&path).unwrap_or_default();
                let times = FileTimes::new()
                    .set_accessed(meta.accessed().expect("atime"))
                    .set_modified(meta.modified().expect("mtime"));
                if let Ok(file) = File::options().write(true).open(&path) {
                    let _ = file.set_times(times);
                }
                let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                    (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
                });
                format!("file of {} bytes, hash {hash:x}", bytes.len())
            };
            out.insert(path, what);
        }
    }
    let mut out = BTreeMap::new();
    walk(root, &mut out);
    out
}

/// Sets the times of a symlink itself (`touch -h`) to `days` ago.
pub(crate) fn set_link_age(path: &Path, days: u64) {
    let then = SystemTime::now() - Duration::from_secs(days * DAY);
    let secs = then
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let status = Command::new("touch")
        .args(["-h", "-d", &format!("@{secs}")])
        .arg(path)
        .status()
        .expect("run touch");
    assert!(status.success(), "touch -h {}", path.display());
}

fn files(json: &Value) -> Vec<String> {
    removals(json).into_iter().map(|(file, _)| file).collect()
}

#[test]
fn a_symlinked_fingerprint_dir_is_never_followed() {
    let dir = Dir::with_package("tiny");
    let outside = Dir::new();
    for name in [
        "lib-linked",
        "bin-linked",
        "test-lib-linked",
        "output-lib-linked",
        "build-script-build-script-build",
        "dep-lib-linked",
    ] {
        outside.create(format!("fingerprint/{name}"), "0123456789abcdef");
    }
    outside.create(
        "fingerprint/lib-linked.json",
        "{\"rustc\":12345,\"features\":\"[]\",\"deps\":[]}",
    );
    age_tree(&outside.join("fingerprint"), 40);
    // A unit whose fingerprint dir is a link to the outside, with old files of its own ...
    fake_unit(
        &dir,
        "target/debug",
        "linked",
        "00000000000000e1",
        1,
        40,
        10,
    );
    let linked = dir.join("target/debug/.fingerprint/linked-00000000000000e1");
    fs::remove_dir_all(&linked).unwrap();
    std::os::unix::fs::symlink(outside.join("fingerprint"), &linked).unwrap();
    set_link_age(&linked, 40);
    // ... and one that is nothing but such a link, as old as what it points to.
    let lone = dir.join("target/debug/.fingerprint/lone-00000000000000e2");
    std::os::unix::fs::symlink(outside.join("fingerprint"), &lone).unwrap();
    set_link_age(&lone, 40);
    dir.policy("[clean]\nmax-age = \"30d\"\n");
    let before = snapshot(outside.path());

    let dry = clean(&dir)
        .args(["--dry-run", "--format", "json"])
        .expect_success()
        .json();
    assert_eq!(
        snapshot(outside.path()),
        before,
        "the dry run changed the outside"
    );
    let real = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    assert_eq!(
        snapshot(outside.path()),
        before,
        "clean changed files outside the target dir: {real:#}"
    );
    assert_eq!(removals(&real), removals(&dry));
    assert_eq!(
        files(&real),
        [
            "target/debug/.fingerprint/linked-00000000000000e1",
            "target/debug/.fingerprint/lone-00000000000000e2"
        ],
        "{real:#}"
    );
    // The links went, as links, with the unit's own files.
    assert!(fs::symlink_metadata(&linked).is_err());
    assert!(fs::symlink_metadata(&lone).is_err());
    assert!(
        !dir.join("target/debug/deps/liblinked-00000000000000e1.rlib")
            .exists()
    );

    // The toolchain rule reads no rustc hash through such a link either.
    let again = dir.join("target/debug/.fingerprint/again-00000000000000e3");
    std::os::unix::fs::symlink(outside.join("fingerprint"), &again).unwrap();
    dir.policy("[clean]\ntoolchains = \"installed\"\n");
    let run = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    assert_eq!(files(&run), Vec::<String>::new(), "{run:#}");
    assert_eq!(snapshot(outside.path()), before);
    assert!(fs::symlink_metadata(&again).is_ok());
}

/// Runs git in `dir` (which need not be a test workspace's root).
fn git_in(dir: &Path, args: &[&str]) {
    let output = crate::util::git_command(dir)
        .args(args)
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Contents of every file git (and each submodule) tracks.
fn tracked_contents(dir: &Dir) -> BTreeMap<String, Vec<u8>> {
    dir.git(["ls-files", "--recurse-submodules"])
        .lines()
        .map(|file| {
            (
                file.to_owned(),
                fs::read(dir.join(file)).unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn extra_globs_never_enter_a_nested_repository_or_a_submodule() {
    let upstream = Dir::new();
    upstream.create("sub.profraw", "tracked by the submodule");
    upstream.create("lib.rs", "// code");
    upstream.git_init();
    let file_protocol = ["-c", "protocol.file.allow=always", "submodule", "add", "-q"];
    for glob in ["**", "*", "?*/**", "[!z]*", "vendor/**", "**/*.profraw"] {
        let dir = Dir::with_package("tiny");
        dir.create(".gitignore", "/target\n");
        dir.policy(&format!("[[clean.extra]]\nglob = \"{glob}\"\n"));
        dir.git_init();
        // A nested repository, with tracked and untracked files of its own.
        dir.create(
            "vendor/nested/kept.profraw",
            "tracked by the nested repository",
        );
        dir.create("vendor/nested/src/main.rs", "fn main() {}");
        let nested = dir.join("vendor/nested");
        git_in(&nested, &["init", "-q"]);
        git_in(&nested, &["add", "-A"]);
        git_in(&nested, &["commit", "-q", "-m", "nested"]);
        dir.create(
            "vendor/nested/loose.profraw",
            "untracked in the nested repository",
        );
        // A registered submodule, and one whose `.git` file is gone.
        for at in ["modules/sub", "modules/lost"] {
            let mut args: Vec<&OsStr> = file_protocol.iter().map(OsStr::new).collect();
            args.extend([upstream.path().as_os_str(), OsStr::new(at)]);
            dir.git(args);
        }
        dir.git(["commit", "-q", "-m", "submodules"]);
        fs::remove_file(dir.join("modules/lost/.git")).unwrap();
        dir.create("modules/sub/loose.profraw", "untracked in the submodule");
        dir.create("modules/lost/loose.profraw", "untracked in the submodule");
        // What the glob is there for.
        dir.create("vendor/junk.profraw", "junk");
        let repos = ["vendor/nested", "modules/sub", "modules/lost"];
        let before: Vec<_> = repos.iter().map(|r| snapshot(&dir.join(r))).collect();
        let tracked = tracked_contents(&dir);

        let dry = clean(&dir)
            .args(["--dry-run", "--format", "json"])
            .expect_success()
            .json();
        let real = clean(&dir)
            .args(["--format", "json"])
            .expect_success()
            .json();
        assert_eq!(removals(&real), removals(&dry), "glob `{glob}`");
        for (repo, before) in repos.iter().zip(&before) {
            assert_eq!(
                &snapshot(&dir.join(repo)),
                before,
                "glob `{glob}` changed {repo}: {real:#}"
            );
        }
        assert!(dir.join("vendor/nested/.git/HEAD").is_file());
        assert!(dir.join("modules/sub/.git").is_file());
        assert_eq!(tracked_contents(&dir), tracked, "glob `{glob}`: {real:#}");
        assert!(
            !dir.join("vendor/junk.profraw").exists(),
            "glob `{glob}` kept vendor/junk.profraw: {real:#}"
        );
        for file in files(&real) {
            assert!(
                !dir.join(&file).exists(),
                "glob `{glob}`: {file} is still there"
            );
            assert!(
                !repos.iter().any(|r| Path::new(&file).starts_with(r)),
                "glob `{glob}` listed {file}"
            );
        }
    }
}

#[test]
fn sizes_count_a_hard_linked_file_once() {
    let dir = Dir::with_package("tiny");
    // A build script: two names of one binary, both in its unit.
    fake_unit(
        &dir,
        "target/debug",
        "script",
        "00000000000000a1",
        1,
        40,
        10,
    );
    let script = dir.create(
        "target/debug/build/script-00000000000000a1/build_script_build-00000000000000a1",
        vec![1u8; 256 << 10],
    );
    fs::hard_link(
        &script,
        dir.join("target/debug/build/script-00000000000000a1/build-script-build"),
    )
    .unwrap();
    age_tree(&dir.join("target/debug/build/script-00000000000000a1"), 40);
    // A library cargo uplifted into the profile dir: removing its unit frees nothing of it.
    fake_unit(
        &dir,
        "target/debug",
        "uplifted",
        "00000000000000a2",
        1,
        40,
        256 << 10,
    );
    fs::hard_link(
        dir.join("target/debug/deps/libuplifted-00000000000000a2.rlib"),
        dir.join("target/debug/libuplifted.rlib"),
    )
    .unwrap();
    fake_unit(&dir, "target/debug", "fresh", "00000000000000a3", 1, 1, 10);
    let du = || {
        use std::os::unix::fs::MetadataExt;
        let mut seen = std::collections::HashSet::new();
        snapshot(&dir.join("target"))
            .keys()
            .map(|path| fs::symlink_metadata(path).unwrap())
            .filter(|meta| seen.insert((meta.dev(), meta.ino())))
            .map(|meta| meta.blocks() * 512)
            .sum::<u64>()
    };
    let usage = du();

    // Exactly at the budget: counted once, nothing needs to go.
    dir.policy(&format!("[clean]\nmax-size = \"{usage} B\"\n"));
    let run = clean(&dir)
        .args(["--dry-run", "--format", "json"])
        .expect_success()
        .json();
    assert_eq!(
        metric(&run, "clean.target.before"),
        Some(usage as f64),
        "{run:#}"
    );
    assert_eq!(files(&run), Vec::<String>::new(), "{run:#}");
    assert!(findings(&run, "clean-over-budget").is_empty(), "{run:#}");

    dir.policy("[clean]\nmax-age = \"30d\"\n");
    let run = clean(&dir)
        .args(["--format", "json"])
        .expect_success()
        .json();
    assert_eq!(files(&run).len(), 2, "{run:#}");
    let freed = usage - du();
    assert_eq!(
        metric(&run, "clean.reclaimed"),
        Some(freed as f64),
        "{run:#}"
    );
    assert_eq!(
        metric(&run, "clean.target.after"),
        Some(du() as f64),
        "{run:#}"
    );
    assert!(dir.join("target/debug/libuplifted.rlib").exists());
}

/// Starts a real clean of `units` old one-file units in `dir` and sends it
/// Ctrl-C once the first is gone; returns its exit code, its JSON report
/// and whether some units are still there.
fn interrupt_clean(dir: &Dir, units: usize) -> (Option<i32>, Value, bool) {
    let rlib = |i: usize| dir.join(format!("target/debug/deps/libu{i:05}-{i:016x}.rlib"));
    for i in 0..units {
        fs::write(rlib(i), "rlib").unwrap();
        set_age(&rlib(i), 40);
    }
    set_age(&dir.join("target/debug/deps"), 40);
    let mut command = clean(dir).args(["--format", "json"]);
    let child = command
        .inner()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cargo-perf");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while rlib(0).exists() && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    // It may have ended already; then the next try takes more units.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let output = child.wait_with_output().expect("wait for cargo-perf");
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let stopped = (0..units).any(|i| rlib(i).exists());
    (output.status.code(), json, stopped)
}

#[test]
fn an_interrupted_clean_says_what_it_removed_and_does_not_pass() {
    let dir = Dir::with_package("tiny");
    dir.policy("[clean]\nmax-age = \"30d\"\n");
    fs::create_dir_all(dir.join("target/debug/deps")).unwrap();
    // More units on each try, until Ctrl-C lands while removals are under way.
    let mut tries = [500, 2000, 8000]
        .into_iter()
        .map(|units| (units, interrupt_clean(&dir, units)));
    let (units, (code, json, _)) = tries
        .find(|(_, (_, _, stopped))| *stopped)
        .expect("Ctrl-C never came while clean was removing");
    let removed = files(&json);
    let left: Vec<String> = findings(&json, "clean-not-removed")
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(code, Some(130), "{json:#}");
    assert!(!removed.is_empty(), "{json:#}");
    assert_eq!(removed.len() + left.len(), units);
    for file in &removed {
        assert!(
            !dir.join(file).exists(),
            "listed as removed, still there: {file}"
        );
    }
    for file in &left {
        assert!(
            dir.join(file).exists(),
            "listed as not removed, gone: {file}"
        );
    }
    assert_ne!(task(&json)["status"], "passed", "{:#}", task(&json));
    let interrupted = findings(&json, "clean-interrupted");
    assert_eq!(interrupted.len(), 1, "{:#}", task(&json));
    assert_eq!(interrupted[0]["severity"], "error");
    let summary = task(&json)["summary"].as_str().unwrap();
    // Ctrl-C may land right after the first removal: "1 unit".
    let plural = if removed.len() == 1 { "" } else { "s" };
    assert!(
        summary.starts_with(&format!(
            "interrupted: removed {} unit{plural} ",
            removed.len()
        )),
        "{summary}"
    );
}

#[test]
fn ctrl_c_while_waiting_for_the_build_lock_removes_nothing_and_does_not_pass() {
    let dir = Dir::with_package("tiny");
    dir.policy("[clean]\nmax-age = \"1d\"\n");
    fake_unit(&dir, "target/debug", "busy", "00000000000000b0", 1, 10, 10);
    dir.create("target/debug/.cargo-lock", "");
    let Some(_holder) = LockHolder::hold(&dir.join("target/debug/.cargo-lock")) else {
        eprintln!("skipped: flock(1) from util-linux is not installed");
        return;
    };
    let mut command = clean(&dir).args(["--wait", "--format", "json"]);
    let child = command
        .inner()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cargo-perf");
    std::thread::sleep(Duration::from_millis(1500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait for cargo-perf");
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(output.status.code(), Some(130), "{json:#}");
    assert_ne!(task(&json)["status"], "passed", "{json:#}");
    assert_eq!(findings(&json, "clean-interrupted").len(), 1, "{json:#}");
    assert!(files(&json).is_empty(), "{json:#}");
    assert!(
        dir.join("target/debug/deps/libbusy-00000000000000b0.rlib")
            .exists()
    );
}
