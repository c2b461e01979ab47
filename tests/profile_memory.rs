//! `cargo perf profile --memory` (valgrind's DHAT) on a small crate that
//! allocates known amounts in known functions, and `--callgrind` on a
//! multi-threaded and a stripped program, through the real binary.

use std::path::Path;

use crate::profile::{artifact, codes, folded_total, manifest, metric, task, value};
use crate::util::Dir;

/// 64 MiB in `big_buffer`, held while `small_boxes` makes 1,000 boxes of 8
/// bytes (into a vector sized in `main`); `ABORT` aborts after the work,
/// `FOREVER` spins after the work until stopped, `THREADS` does the CPU work on three threads instead, each allocating
/// 1 MiB in `worker_buffer`.
const SOURCE: &str = r#"
#[inline(never)]
fn big_buffer() -> Vec<u8> {
    let mib = if std::env::var_os("BIGGER").is_some() { 96 } else { 64 };
    std::hint::black_box(vec![7u8; mib << 20])
}

#[inline(never)]
fn small_boxes(out: &mut Vec<Box<u64>>) {
    for i in 0..1000 {
        out.push(std::hint::black_box(Box::new(i)));
    }
}

#[inline(never)]
fn worker_buffer() -> Vec<u8> {
    std::hint::black_box(vec![1u8; 1 << 20])
}

#[inline(never)]
fn spin(n: u64) -> u64 {
    let mut x = 1u64;
    for i in 0..n {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    x
}

fn main() {
    if std::env::var_os("THREADS").is_some() {
        let workers: Vec<_> = (0..3)
            .map(|_| std::thread::spawn(|| spin(2_000_000) ^ worker_buffer().len() as u64))
            .collect();
        let mut x = spin(10_000);
        for worker in workers {
            x ^= worker.join().unwrap();
        }
        println!("threads done {x}");
        return;
    }
    let big = big_buffer();
    let mut boxes = Vec::with_capacity(1000);
    small_boxes(&mut boxes);
    println!("allocated {} and {}", big.len(), boxes.len());
    if std::env::var_os("ABORT").is_some() {
        std::process::abort();
    }
    if std::env::var_os("FOREVER").is_some() {
        spin(u64::MAX);
    }
}
"#;

const TRUE_PEAK: f64 = (64u64 << 20) as f64 + 8000.0 + 8000.0;

fn program(name: &str) -> Dir {
    let dir = Dir::new();
    dir.create(
        "Cargo.toml",
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n"),
    );
    dir.create("src/main.rs", SOURCE);
    dir
}

fn svg(task: &serde_json::Value, file: &str) -> String {
    std::fs::read_to_string(artifact(task, file)).expect("read the svg")
}

#[test]
fn memory_profile_names_the_allocating_functions_with_exact_counts() {
    let dir = program("memprog");
    let mut counts = Vec::new();
    for _ in 0..2 {
        let run = dir
            .command([
                "profile", "--bin", "memprog", "--memory", "--format", "json",
            ])
            .expect_success();
        let task = task(&run);
        let peak = value(&task, "profile.peak-heap");
        assert!(
            (peak - TRUE_PEAK).abs() <= TRUE_PEAK * 0.10,
            "peak {peak} vs {TRUE_PEAK}"
        );
        assert!(value(&task, "profile.allocated") >= TRUE_PEAK * 0.9);
        assert!(value(&task, "profile.max-rss") > 0.0);
        assert!(svg(&task, "flamegraph.svg").contains("memprog::big_buffer"));
        assert!(svg(&task, "allocations.svg").contains("memprog::small_boxes"));
        let folded = artifact(&task, "stacks.folded");
        assert_eq!(folded_total(&folded) as f64, peak);
        let manifest = manifest(folded.parent().unwrap());
        assert_eq!(manifest["recorder"]["tool"], "dhat");
        let by_count = manifest["heap"]["top_by_count"].as_array().unwrap();
        let boxes = by_count
            .iter()
            .find(|s| s["function"] == "memprog::small_boxes")
            .unwrap_or_else(|| panic!("{manifest:#}"));
        assert_eq!(boxes["allocations"], 1000);
        assert_eq!(boxes["bytes"], 8000);
        assert!(boxes["location"].as_str().unwrap().starts_with("main.rs:"));
        assert_eq!(
            manifest["heap"]["top_by_peak"][0]["function"],
            "memprog::big_buffer"
        );
        counts.push(value(&task, "profile.allocations"));
        run.stdout_has("in `memprog::small_boxes`")
            .stdout_has("many small allocations from one place");
    }
    assert_eq!(counts[0], counts[1]);

    // The human summary says what the heap did; the program's output passes through.
    dir.command(["profile", "--bin", "memprog", "--memory"])
        .expect_success()
        .stderr_has("allocated 67108864 and 1000\n")
        .stdout_lacks("allocated 67108864")
        .stdout_has("64.0 MiB at the heap's peak")
        .stdout_has("profile.peak-heap")
        .stdout_has("allocations.svg");
}

#[test]
fn memory_diff_against_a_saved_profile_compares_the_peak() {
    let dir = program("memdiff");
    dir.command([
        "profile", "--bin", "memdiff", "--memory", "--output", "base",
    ])
    .expect_success();
    let run = dir
        .command([
            "profile", "--bin", "memdiff", "--memory", "--diff", "base", "--format", "json",
        ])
        .env("BIGGER", "1")
        .expect_success();
    let task = task(&run);
    let peak = metric(&task, "profile.peak-heap");
    assert_eq!(peak["verdict"], "regressed", "{task:#}");
    assert!(peak["value"].as_f64().unwrap() > peak["baseline"].as_f64().unwrap() * 1.4);
    let svg = svg(&task, "diff.svg");
    assert!(svg.contains("memdiff::big_buffer"));
    assert!(task["summary"].as_str().unwrap().contains("diff.svg"));

    // A heap profile is no baseline for a CPU profile: refused before recording.
    dir.command([
        "profile",
        "--bin",
        "memdiff",
        "--callgrind",
        "--diff",
        "base",
    ])
    .expect_code(2)
    .stdout_has("is a heap profile (--memory), and this run records a CPU profile")
    .stdout_has("add --memory");
}

#[test]
fn memory_profile_of_an_integration_test_target() {
    let dir = program("memtest");
    dir.create(
        "tests/heavy.rs",
        "#[inline(never)]\nfn test_boxes() -> Vec<Box<u32>> {\n    (0..500).map(|i| std::hint::black_box(Box::new(i))).collect()\n}\n\n#[test]\nfn heavy() {\n    assert_eq!(test_boxes().len(), 500);\n}\n",
    );
    let run = dir
        .command([
            "profile",
            "--test",
            "heavy",
            "--memory",
            "--format",
            "json",
            "--",
            "--test-threads=1",
        ])
        .expect_success();
    let task = task(&run);
    let manifest = manifest(artifact(&task, "stacks.folded").parent().unwrap());
    let sites = manifest["heap"]["top_by_count"].to_string();
    assert!(
        sites.contains("\"heavy::test_boxes::{closure#0}\""),
        "{sites}"
    );
    assert!(sites.contains("\"allocations\":500"), "{sites}");
    assert!(svg(&task, "allocations.svg").contains("heavy::test_boxes"));
}

#[test]
fn memory_profile_of_a_crashing_program_keeps_what_it_saw() {
    let dir = program("crashprog");
    let run = dir
        .command([
            "profile",
            "--bin",
            "crashprog",
            "--memory",
            "--format",
            "json",
        ])
        .env("ABORT", "1")
        .expect_success();
    let task = task(&run);
    assert!(
        codes(&task).contains(&"profile-program-failed".to_owned()),
        "{task:#}"
    );
    assert!(value(&task, "profile.peak-heap") >= (64u64 << 20) as f64);
    assert!(svg(&task, "flamegraph.svg").contains("crashprog::big_buffer"));
    run.stdout_has("signal 6");
}

#[test]
fn duration_stops_the_program_not_a_wrapper_under_valgrind() {
    let dir = program("capprog");
    for mode in ["--memory", "--callgrind"] {
        let run = dir
            .command([
                "profile",
                "--bin",
                "capprog",
                mode,
                "--duration",
                "10s",
                "--format",
                "json",
            ])
            .env("FOREVER", "1")
            .expect_success();
        let task = task(&run);
        assert!(
            codes(&task).contains(&"profile-duration-cap".to_owned()),
            "{task:#}"
        );
        let folded = std::fs::read_to_string(artifact(&task, "stacks.folded")).unwrap();
        // Under callgrind the 64 MiB fill alone takes seconds: the cap stops it there.
        assert!(folded.contains("capprog::big_buffer"), "{mode}: {folded}");
        assert!(
            !codes(&task).contains(&"profile-no-symbols".to_owned()),
            "{task:#}"
        );
    }
}

#[test]
fn memory_profile_without_valgrind_is_an_environment_error() {
    let dir = program("novalgrind");
    // A PATH without valgrind; cargo is found through $CARGO.
    let empty = Dir::new();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    dir.command(["profile", "--bin", "novalgrind", "--memory"])
        .env("PATH", empty.path())
        .env("CARGO", cargo)
        .expect_code(2)
        .stdout_has("`valgrind` is not installed (or not on PATH); --memory needs it")
        .stdout_has("sudo apt-get install valgrind");
    assert!(
        !dir.join("target/release").exists(),
        "built before the check"
    );
}

/// The total of callgrind's own `totals:` line in a profile directory.
fn callgrind_totals(dir: &Path) -> u64 {
    let text = std::fs::read_to_string(dir.join("callgrind.out")).expect("callgrind.out");
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|t| t.trim().parse().ok())
        .expect("a totals line")
}

#[test]
fn callgrind_counts_every_threads_instructions() {
    let dir = program("mtprog");
    let run = dir
        .command([
            "profile",
            "--bin",
            "mtprog",
            "--callgrind",
            "--format",
            "json",
        ])
        .env("THREADS", "1")
        .expect_success();
    run.stderr_has("threads done");
    let task = task(&run);
    let folded = artifact(&task, "stacks.folded");
    let total = folded_total(&folded);
    assert_eq!(total, callgrind_totals(folded.parent().unwrap()));
    assert_eq!(value(&task, "profile.instructions") as u64, total);
    // Three workers of 2 M iterations against 10 k on the main thread.
    assert!(value(&task, "profile.self.mtprog::spin") > 90.0, "{task:#}");
    let top = manifest(folded.parent().unwrap())["top_inclusive"].to_string();
    assert!(
        !top.contains("thread_start") && !top.contains("start_thread"),
        "{top}"
    );
}

#[test]
fn memory_profile_counts_every_threads_allocations() {
    let dir = program("mtheap");
    let run = dir
        .command(["profile", "--bin", "mtheap", "--memory", "--format", "json"])
        .env("THREADS", "1")
        .expect_success();
    let task = task(&run);
    let manifest = manifest(artifact(&task, "stacks.folded").parent().unwrap());
    let sites = manifest["heap"]["top_by_count"]
        .as_array()
        .unwrap()
        .iter()
        .chain(manifest["heap"]["top_by_peak"].as_array().unwrap())
        .find(|s| s["function"] == "mtheap::worker_buffer")
        .cloned()
        .unwrap_or_else(|| panic!("{manifest:#}"));
    assert_eq!(sites["allocations"], 3);
    assert_eq!(sites["bytes"], 3 << 20);
    assert!(value(&task, "profile.allocated") >= (3u64 << 20) as f64);
}

#[test]
fn a_stripped_program_is_a_warning_with_the_fix() {
    let dir = program("stripprog");
    let built = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args(["build", "--release", "--quiet"])
        .current_dir(dir.path())
        .env("CARGO_PROFILE_RELEASE_STRIP", "symbols")
        .env("CARGO_TARGET_DIR", dir.join("stripped-target"))
        .status()
        .expect("run cargo");
    assert!(built.success());
    let exe = dir.join("stripped-target/release/stripprog");
    for mode in ["--callgrind", "--memory"] {
        let run = dir
            .command(["profile", "--cmd", mode, "--format", "json", "--"])
            .args([exe.to_str().unwrap()])
            .expect_success();
        let task = task(&run);
        assert!(
            codes(&task).contains(&"profile-no-symbols".to_owned()),
            "{mode}: {task:#}"
        );
        run.stdout_has("looks stripped").stdout_has("strip = false");
    }
    // The same program with its symbols gives no such warning.
    let run = dir
        .command([
            "profile",
            "--bin",
            "stripprog",
            "--memory",
            "--format",
            "json",
        ])
        .expect_success();
    assert!(!codes(&task(&run)).contains(&"profile-no-symbols".to_owned()));
}
