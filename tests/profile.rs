//! `cargo perf profile`: real perf and valgrind on small temporary crates with
//! a CPU-bound hot function (no dependencies, so each build takes a second).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{Dir, Run};

/// A package `name` whose binary spends its time in `hot_loop` and `grows`,
/// each run the number of million iterations given as arguments; it panics
/// when `PANIC` is set, after the work.
fn program(name: &str) -> Dir {
    let dir = Dir::new();
    dir.create(
        "Cargo.toml",
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n"),
    );
    dir.create("src/main.rs", SOURCE);
    dir
}

const SOURCE: &str = r#"
#[inline(never)]
fn hot_loop(n: u64) -> u64 {
    let mut x = 1u64;
    for i in 0..n {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    x
}

#[inline(never)]
fn grows(n: u64) -> u64 {
    let mut x = 3u64;
    for i in 0..n {
        x = std::hint::black_box(x.rotate_left(7) ^ i);
    }
    x
}

fn main() {
    let arg = |i: usize, default: u64| -> u64 {
        std::env::args().nth(i).and_then(|a| a.parse().ok()).unwrap_or(default) * 1_000_000
    };
    let (hot, grow) = (arg(1, 60), arg(2, 0));
    println!("{} {}", hot_loop(hot), grows(grow));
    if std::env::var_os("PANIC").is_some() {
        panic!("boom");
    }
}
"#;

pub(crate) fn task(run: &Run) -> Value {
    run.json()["tasks"][0].clone()
}

pub(crate) fn artifact(task: &Value, file: &str) -> PathBuf {
    task["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .map(|a| PathBuf::from(a.as_str().expect("path")))
        .find(|p| p.file_name().is_some_and(|n| n == file))
        .unwrap_or_else(|| panic!("no {file} among the artifacts: {task:#}"))
}

/// The value of the metric `name`, a number.
pub(crate) fn value(task: &Value, name: &str) -> f64 {
    metric(task, name)["value"].as_f64().expect("a number")
}

pub(crate) fn metric<'t>(task: &'t Value, name: &str) -> &'t Value {
    task["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no metric {name:?}: {task:#}"))
}

pub(crate) fn codes(task: &Value) -> Vec<String> {
    task["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub(crate) fn folded_total(path: &Path) -> u64 {
    std::fs::read_to_string(path)
        .expect("read folded stacks")
        .lines()
        .map(|l| {
            l.rsplit_once(' ')
                .expect("count")
                .1
                .parse::<u64>()
                .expect("number")
        })
        .sum()
}

pub(crate) fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest"))
        .expect("manifest JSON")
}

#[test]
fn flamegraph_shows_the_demangled_hot_function_and_the_manifest_agrees() {
    let dir = program("hotprog");
    let run = dir
        .command([
            "profile", "--bin", "hotprog", "--freq", "4999", "--format", "json", "--", "150",
        ])
        .expect_success();
    let task = task(&run);
    let svg = artifact(&task, "flamegraph.svg");
    let folded = artifact(&task, "stacks.folded");
    let out = svg.parent().expect("output dir");
    assert!(
        out.starts_with(dir.join("target/cargo-perf/profile")),
        "{}",
        out.display()
    );
    assert!(out.join("perf.data").is_file());
    assert!(
        !dir.join("perf.data").exists(),
        "perf.data in the working directory"
    );
    assert!(
        std::fs::read_to_string(&svg)
            .unwrap()
            .contains("hotprog::hot_loop")
    );
    assert!(
        std::fs::read_to_string(&folded)
            .unwrap()
            .contains(";hotprog::hot_loop")
    );

    let manifest = manifest(out);
    let total = folded_total(&folded);
    assert!(total > 50, "too few samples: {total}");
    assert_eq!(manifest["sample_count"], total);
    assert_eq!(metric(&task, "profile.samples")["value"], total as f64);
    assert_eq!(manifest["recorder"]["tool"], "perf");
    assert_eq!(manifest["recorder"]["frequency"], 4999);
    assert_eq!(manifest["profile"], "release");
    assert!(manifest["rustc"].as_str().unwrap().starts_with("rustc "));
    assert!(
        manifest["recorder"]["event"] == "cycles" || manifest["recorder"]["event"] == "cpu-clock"
    );
    let share = value(&task, "profile.inclusive.hotprog::hot_loop");
    assert!(share > 50.0, "hot_loop has only {share}%");
    assert!(codes(&task).contains(&"profile-debuginfo".to_owned()));
    assert!(
        metric(&task, "profile.unwind.unknown-frames")["value"]
            .as_f64()
            .is_some()
    );
    run.stdout_lacks("\"profile-program-failed\"");

    // The human summary names the hot function and where the SVG is.
    dir.command([
        "profile",
        "--bin",
        "hotprog",
        "--freq",
        "2999",
        "--no-inline",
        "--",
        "60",
    ])
    .expect_success()
    .stdout_has("profile.self.hotprog::hot_loop")
    .stdout_has("flamegraph.svg");

    // A panicking program still yields a flamegraph, with a warning.
    let run = dir
        .command([
            "profile", "--bin", "hotprog", "--freq", "2999", "--format", "json", "--", "60",
        ])
        .env("PANIC", "1")
        .expect_success();
    let task = self::task(&run);
    assert!(artifact(&task, "flamegraph.svg").is_file());
    assert!(
        codes(&task).contains(&"profile-program-failed".to_owned()),
        "{task:#}"
    );
    run.stdout_has("exited with status 101");
}

/// The hot loop runs 40 calls deep, through a function that is always inlined.
const DEEP_SOURCE: &str = r#"
#[inline(always)]
fn inlined_mix(x: u64, i: u64) -> u64 {
    std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i))
}

#[inline(never)]
fn descend(depth: u32, n: u64) -> u64 {
    let pad = std::hint::black_box([depth as u8; 96]);
    if depth == 0 {
        let mut x = 1u64;
        for i in 0..n {
            x = inlined_mix(x, i);
        }
        return x;
    }
    std::hint::black_box(descend(depth - 1, n)) ^ u64::from(pad[5])
}

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(60) * 1_000_000;
    println!("{}", descend(40, n));
}
"#;

#[test]
fn inlined_frames_and_deep_stacks_survive_recording_and_symbolization() {
    let dir = Dir::new();
    dir.create(
        "Cargo.toml",
        "[package]\nname = \"deepprog\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n",
    );
    dir.create("src/main.rs", DEEP_SOURCE);
    let run = dir
        .command([
            "profile", "--bin", "deepprog", "--freq", "4999", "--format", "json", "--", "150",
        ])
        .expect_success();
    let task = task(&run);
    let folded = std::fs::read_to_string(artifact(&task, "stacks.folded")).unwrap();
    let hot: Vec<&str> = folded
        .lines()
        .filter(|l| l.contains("inlined_mix"))
        .collect();
    assert!(
        !hot.is_empty(),
        "the inlined function is not in the folded stacks:\n{folded}"
    );
    assert!(
        hot.iter()
            .any(|l| l.matches("deepprog::descend").count() > 40),
        "the recursion is cut short:\n{folded}"
    );
    let truncated = value(&task, "profile.unwind.truncated-stacks");
    let unknown = value(&task, "profile.unwind.unknown-frames");
    assert!(truncated < 10.0, "{truncated}% truncated stacks: {task:#}");
    assert!(unknown < 10.0, "{unknown}% unknown frames: {task:#}");
    // The recording skips perf's build-id pass and BPF side band (see docs/profile.md).
    let manifest = manifest(artifact(&task, "flamegraph.svg").parent().unwrap());
    assert!(
        manifest["record_command"]
            .as_str()
            .unwrap()
            .contains("perf record --no-buildid --no-bpf-event "),
        "{manifest:#}"
    );
    assert_inlined_frames_resolved_in_process(&task, &folded, &manifest);
}

/// perf names the compiled functions (`--no-inline`); the frames inlined into
/// them are added below them, innermost last, and "self" counts the compiled
/// function, from `functions.folded`. The kernel-symbol copy is gone.
fn assert_inlined_frames_resolved_in_process(
    task: &serde_json::Value,
    folded: &str,
    manifest: &serde_json::Value,
) {
    let script = manifest["recorder"]["script_command"].as_str().unwrap();
    assert!(script.ends_with("--no-inline"), "{manifest:#}");
    for line in folded.lines().filter(|l| l.contains("inlined_mix")) {
        let caller = line
            .rfind("deepprog::descend")
            .expect("inlined into descend");
        assert!(
            line.find("inlined_mix").unwrap() > caller,
            "the inlined frame is not below its caller: {line}"
        );
    }
    assert_eq!(
        manifest["files"]["functions"], "functions.folded",
        "{manifest:#}"
    );
    let run_dir = artifact(task, "stacks.folded").parent().unwrap().to_owned();
    let functions = std::fs::read_to_string(run_dir.join("functions.folded")).unwrap();
    assert!(!functions.contains("inlined_mix"), "{functions}");
    let descend = value(task, "profile.self.deepprog::descend");
    assert!(descend > 50.0, "{task:#}");
    let leftovers: Vec<_> = std::fs::read_dir(&run_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".kallsyms"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn diff_against_a_saved_profile_marks_the_function_that_grew() {
    let dir = program("diffprog");
    dir.command([
        "profile", "--bin", "diffprog", "--freq", "4999", "--output", "base", "--", "60", "20",
    ])
    .expect_success();
    assert!(dir.join("base/stacks.folded").is_file());
    let run = dir
        .command([
            "profile", "--bin", "diffprog", "--freq", "4999", "--diff", "base", "--format", "json",
            "--", "60", "200",
        ])
        .expect_success();
    let task = task(&run);
    let grew = metric(&task, "profile.changed.diffprog::grows");
    assert_eq!(grew["verdict"], "regressed", "{task:#}");
    assert!(grew["value"].as_f64().unwrap() > grew["baseline"].as_f64().unwrap());
    let shrank = metric(&task, "profile.changed.diffprog::hot_loop");
    assert_eq!(shrank["verdict"], "improved", "{task:#}");
    let svg = std::fs::read_to_string(artifact(&task, "diff.svg")).unwrap();
    assert!(svg.contains("diffprog::grows"));
    // A directory saved before functions.folded existed: both sides are
    // compared as folded. Counted per function on one side and per inlined
    // frame on the other, the loop that shrank would come out grown.
    std::fs::remove_file(dir.join("base/functions.folded")).unwrap();
    let old_base = self::task(
        &dir.command([
            "profile", "--bin", "diffprog", "--freq", "4999", "--diff", "base", "--format", "json",
            "--", "60", "200",
        ])
        .expect_success(),
    );
    let changed: Vec<&Value> = old_base["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["name"].as_str().unwrap().starts_with("profile.changed."))
        .collect();
    assert!(
        changed.iter().any(|m| m["verdict"] == "regressed"),
        "{old_base:#}"
    );
    assert!(
        !changed
            .iter()
            .any(|m| m["name"] == "profile.changed.diffprog::hot_loop"
                && m["verdict"] == "regressed"),
        "{old_base:#}"
    );
    let manifest = manifest(artifact(&task, "diff.svg").parent().unwrap());
    assert_eq!(manifest["diff"]["baseline"], "base");
    let summary = task["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("differential flamegraph at") && summary.contains("diff.svg"),
        "{summary}"
    );

    // A missing baseline is neither a directory nor a revision.
    dir.command([
        "profile",
        "--bin",
        "diffprog",
        "--diff",
        "no-such-dir",
        "--",
        "1",
    ])
    .expect_code(2)
    .stdout_has("no-such-dir");
}

#[test]
fn diff_against_a_git_revision_profiles_it_in_a_temporary_worktree() {
    let dir = program("revprog");
    dir.create(".gitignore", "target\n");
    dir.git_init();
    // A baseline worktree left by a run that was killed (its process is gone) is cleaned up.
    dir.git([
        "worktree",
        "add",
        "--detach",
        "target/cargo-perf/baseline-worktree-4190000",
        "HEAD",
    ]);
    // The new version does ten times the work in `grows` for the same arguments.
    dir.create("src/main.rs", SOURCE.replace("arg(2, 0)", "arg(2, 0) * 10"));
    let run = dir
        .command([
            "profile", "--bin", "revprog", "--freq", "4999", "--diff", "HEAD", "--format", "json",
            "--", "40", "4",
        ])
        .expect_success();
    let task = task(&run);
    assert_eq!(
        metric(&task, "profile.changed.revprog::grows")["verdict"],
        "regressed",
        "{task:#}"
    );
    assert!(artifact(&task, "diff.svg").is_file());
    let worktrees = dir.git(["worktree", "list"]);
    assert_eq!(
        worktrees.lines().count(),
        1,
        "the baseline worktree was left behind:\n{worktrees}"
    );
    // The user's own binary is the new version, not the baseline.
    assert!(dir.read("src/main.rs").contains("* 10"));
    // `-p` reaches the baseline's build by the baseline's own version.
    dir.create(
        "Cargo.toml",
        "[package]\nname = \"revprog\"\nversion = \"0.2.0\"\nedition = \"2021\"\n",
    );
    dir.command([
        "-v", "profile", "-p", "revprog", "--bin", "revprog", "--diff", "HEAD", "--", "4", "1",
    ])
    .expect_success()
    .stderr_has("--package revprog@0.1.0")
    .stderr_has("--package revprog@0.2.0");

    dir.command([
        "profile",
        "--bin",
        "revprog",
        "--diff",
        "no-such-rev",
        "--",
        "1",
    ])
    .expect_code(2)
    .stdout_has("no-such-rev");
    assert_eq!(dir.git(["worktree", "list"]).lines().count(), 1);
}

#[test]
fn callgrind_gives_identical_folded_counts_on_two_runs() {
    let dir = program("cgprog");
    let mut folded = Vec::new();
    for _ in 0..2 {
        let run = dir
            .command([
                "profile",
                "--bin",
                "cgprog",
                "--callgrind",
                "--format",
                "json",
                "--",
                "2",
            ])
            .expect_success();
        let task = task(&run);
        let path = artifact(&task, "stacks.folded");
        assert!(artifact(&task, "flamegraph.svg").is_file());
        let manifest = manifest(path.parent().unwrap());
        assert_eq!(manifest["recorder"]["tool"], "callgrind");
        assert_eq!(manifest["sample_count"], folded_total(&path));
        assert!(
            value(&task, "profile.self.cgprog::hot_loop") > 50.0,
            "{task:#}"
        );
        folded.push(std::fs::read_to_string(path).unwrap());
    }
    assert!(
        folded[0].contains(";cgprog::main;cgprog::hot_loop "),
        "{}",
        folded[0]
    );
    assert_eq!(folded[0], folded[1]);
}

#[test]
fn profile_runs_beyond_keep_are_removed_oldest_first() {
    let dir = program("keepprog");
    dir.policy("[profile]\nkeep = 2\n");
    let mut runs = Vec::new();
    for _ in 0..3 {
        let run = dir
            .command([
                "profile",
                "--bin",
                "keepprog",
                "--callgrind",
                "--format",
                "json",
                "--",
                "0",
            ])
            .expect_success();
        let task = task(&run);
        runs.push((
            artifact(&task, "flamegraph.svg")
                .parent()
                .unwrap()
                .to_owned(),
            task,
        ));
    }
    let parent = runs[0].0.parent().unwrap().to_owned();
    std::fs::create_dir_all(parent.join("mine")).unwrap();
    assert!(!runs[0].0.exists(), "the oldest run is still there");
    assert!(runs[1].0.exists() && runs[2].0.exists());
    assert!(!codes(&runs[1].1).contains(&"profile-runs-pruned".to_owned()));
    assert!(
        codes(&runs[2].1).contains(&"profile-runs-pruned".to_owned()),
        "{:#}",
        runs[2].1
    );
    // A directory that is not one of our runs is never counted nor removed.
    dir.command([
        "profile",
        "--bin",
        "keepprog",
        "--callgrind",
        "--format",
        "json",
        "--",
        "0",
    ])
    .expect_success();
    assert!(parent.join("mine").exists());
    assert!(!runs[1].0.exists());
    assert!(runs[2].0.exists());
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = program("badprog");
    dir.command(["profile", "--bin", "hotprogg"])
        .expect_code(2)
        .stdout_has("no bin target named `hotprogg`")
        .stdout_has("available: badprog");

    dir.command(["profile", "--frobnicate"])
        .expect_code(2)
        .stderr_has("unexpected argument '--frobnicate'");

    dir.command(["profile", "--cmd"])
        .expect_code(2)
        .stdout_has("--cmd needs a command");

    dir.command(["profile", "--cmd", "--", "./no-such-program"])
        .expect_code(2)
        .stdout_has("cannot find the program `./no-such-program`");

    dir.command(["profile", "--bin", "badprog", "--freq", "0"])
        .expect_code(2)
        .stderr_has("--freq");

    // perf missing: a PATH without it; cargo is found through $CARGO.
    let empty = Dir::new();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    dir.command(["profile", "--bin", "badprog"])
        .env("PATH", empty.path())
        .env("CARGO", cargo)
        .expect_code(2)
        .stdout_has("`perf` is not installed")
        .stdout_has("apt-get install linux-perf");

    // Several binaries and none named: said before anything is built.
    dir.create("src/bin/other.rs", "fn main() {}\n");
    dir.command(["profile"])
        .expect_code(2)
        .stdout_has("2 binaries could be profiled: ")
        .stdout_has("other")
        .stdout_has("cargo perf profile --bin ");
    assert!(
        !dir.join("target/release").exists(),
        "built before saying so"
    );
    std::fs::remove_file(dir.join("src/bin/other.rs")).unwrap();

    dir.policy("[profile]\nbin = \"badprog\"\nfreqency = 99\ncall-graph = \"lbr\"\n");
    dir.command(["profile"])
        .expect_code(2)
        .stderr_has("unknown key `freqency` in [profile]")
        .stderr_has("did you mean `frequency`?")
        .stderr_has("perf.toml:3:1")
        .stderr_has("unknown call-graph mode `lbr`");
}

#[test]
fn outputs_never_replace_tracked_files_nor_leave_the_workspace() {
    let dir = program("trackprog");
    dir.create("out/flamegraph.svg", "mine\n");
    dir.create("out/manifest.json", "{}\n");
    dir.policy("[profile]\nbin = \"trackprog\"\nargs = [\"1\"]\noutput-dir = \"out\"\n");
    dir.git_init();
    dir.command(["profile"])
        .expect_code(2)
        .stdout_has(
            "`[profile] output-dir` out holds files tracked by git (flamegraph.svg, manifest.json)",
        )
        .stdout_has("choose a directory of its own");
    dir.command(["profile", "--output", "."])
        .expect_code(2)
        .stdout_has("--output . holds files tracked by git");
    assert_eq!(dir.read("out/flamegraph.svg"), "mine\n");
    assert_eq!(dir.read("out/manifest.json"), "{}\n");
    assert_eq!(dir.git(["status", "--porcelain"]), "");

    // perf.toml may not lead outside through a link; the command line may.
    let outside = Dir::new();
    std::os::unix::fs::symlink(outside.path(), dir.join("linked")).unwrap();
    dir.policy("[profile]\nbin = \"trackprog\"\nargs = [\"1\"]\noutput-dir = \"linked/run\"\n");
    dir.command(["profile"])
        .expect_code(2)
        .stdout_has("outside the workspace and its target dir");
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    let chosen = outside.join("chosen");
    dir.command(["profile", "--output"])
        .args([&chosen])
        .expect_success();
    assert!(chosen.join("flamegraph.svg").is_file());
}

#[test]
fn policy_defaults_drive_a_pipeline_run() {
    let dir = program("polprog");
    dir.policy(
        "[profile]\nbin = \"polprog\"\nfrequency = 1999\nargs = [\"40\"]\noutput-dir = \"profiles/nightly\"\n\n[pipelines]\nnightly = [\"profile\"]\n",
    );
    dir.command(["run", "nightly"]).expect_success();
    let manifest = manifest(&dir.join("profiles/nightly"));
    assert_eq!(manifest["recorder"]["frequency"], 1999);
    assert!(manifest["command"][1] == "40", "{manifest:#}");
    assert!(dir.join("profiles/nightly/stacks.folded").is_file());
}

#[test]
fn ctrl_c_stops_the_program_and_still_draws_what_was_recorded() {
    let dir = program("intprog");
    let mut command = dir.command([
        "profile",
        "--bin",
        "intprog",
        "--format",
        "json",
        "--",
        "1000000000",
    ]);
    let child = command
        .inner()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn cargo-perf");
    let profiles = dir.join("target/cargo-perf/profile");
    let started = std::time::Instant::now();
    let recording = loop {
        let found = std::fs::read_dir(&profiles)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("perf.data"))
            .find(|p| p.is_file());
        if let Some(found) = found {
            break found;
        }
        assert!(
            started.elapsed().as_secs() < 120,
            "perf record never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(130),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(report["outcome"], "interrupted");
    let out = recording.parent().unwrap();
    assert!(out.join("flamegraph.svg").is_file(), "{report:#}");
    assert!(folded_total(&out.join("stacks.folded")) > 0);
    assert!(
        std::fs::read_to_string(out.join("stacks.folded"))
            .unwrap()
            .contains("intprog::hot_loop")
    );
}

#[test]
fn unit_tests_integration_tests_and_benches_are_targets_too() {
    let dir = Dir::new();
    dir.create(
        "Cargo.toml",
        "[package]\nname = \"kinds\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n\n[[bench]]\nname = \"speed\"\nharness = false\n",
    );
    let spin = |name: &str| {
        format!(
            "#[inline(never)]\npub fn {name}() -> u64 {{\n    let mut x = 1u64;\n    for i in 0..std::hint::black_box(80_000_000u64) {{\n        x = std::hint::black_box(x.wrapping_mul(31) ^ i);\n    }}\n    x\n}}\n"
        )
    };
    dir.create(
        "src/lib.rs",
        format!(
            "{}\n#[cfg(test)]\nmod tests {{\n    #[test]\n    fn long_input() {{\n        assert_ne!(super::unit_spin(), 0);\n    }}\n    #[test]\n    fn other() {{}}\n}}\n",
            spin("unit_spin")
        ),
    );
    dir.create(
        "tests/integration.rs",
        format!(
            "{}\n#[test]\nfn heavy() {{\n    assert_ne!(test_spin(), 0);\n}}\n",
            spin("test_spin")
        ),
    );
    dir.create(
        "benches/speed.rs",
        format!("{}\nfn main() {{\n    assert_eq!(std::env::args().nth(1).as_deref(), Some(\"--bench\"));\n    println!(\"{{}}\", bench_spin());\n}}\n", spin("bench_spin")),
    );
    for (flags, hot, profile) in [
        (
            &["--unit-test", "long_input"][..],
            "kinds::unit_spin",
            "release",
        ),
        (
            &["--test", "integration"][..],
            "integration::test_spin",
            "release",
        ),
        (&["--bench", "speed"][..], "speed::bench_spin", "bench"),
    ] {
        let run = dir
            .command(["profile", "--freq", "4999", "--format", "json"])
            .args(flags)
            .expect_success();
        let task = task(&run);
        let folded = std::fs::read_to_string(artifact(&task, "stacks.folded")).unwrap();
        assert!(folded.contains(hot), "{flags:?}: no {hot} in\n{folded}");
        let manifest = manifest(artifact(&task, "stacks.folded").parent().unwrap());
        assert_eq!(manifest["profile"], profile, "{flags:?}");
        if flags[0] == "--unit-test" {
            assert_eq!(manifest["command"][1], "long_input");
            assert_eq!(manifest["command"][2], "--test-threads=1");
        }
    }
}
