//! `cargo perf bench --memory`: command benchmarks measured once under
//! valgrind's DHAT, compared exactly with the baseline, with budgets on the
//! heap's figures, through the real binary.

use crate::bench::{bench, codes, finding, metric, task};
use crate::util::Dir;

/// A program that makes as many 8-byte boxes as `n.txt` says, all live at the end.
const ALLOC: &str = r#"
fn main() {
    let n: usize = std::fs::read_to_string("n.txt").unwrap().trim().parse().unwrap();
    let mut boxes = Vec::with_capacity(n);
    for i in 0..n {
        boxes.push(std::hint::black_box(Box::new(i as u64)));
    }
    println!("{}", boxes.len());
}
"#;

fn valgrind_missing() -> bool {
    let missing = std::process::Command::new("valgrind")
        .arg("--version")
        .output()
        .is_err();
    if missing {
        eprintln!("valgrind is not installed; skipping the --memory test");
    }
    missing
}

/// A workspace whose benchmark `alloc` builds and runs the program (`extra` is appended to perf.toml).
fn project(n: u32, extra: &str) -> Dir {
    let dir = Dir::with_package("demo");
    dir.create("alloc.rs", ALLOC);
    dir.create("n.txt", n.to_string());
    dir.policy(&format!(
        "[bench.commands.alloc]\nsetup = \"rustc --edition 2021 -O alloc.rs -o alloc-bin\"\nrun = \"./alloc-bin\"\n{extra}"
    ));
    dir
}

fn value(task: &serde_json::Value, name: &str) -> f64 {
    metric(task, name)["value"].as_f64().expect("a number")
}

#[test]
fn heap_figures_are_exact_and_twice_the_allocations_is_a_regression() {
    if valgrind_missing() {
        return;
    }
    let dir = project(1000, "");
    let first = task(&bench(&dir, &["--memory"]).expect_success());
    let allocations = value(&first, "bench.alloc.allocations");
    assert!((1000.0..1100.0).contains(&allocations), "{first:#}");
    assert_eq!(metric(&first, "bench.alloc.allocations")["unit"], "count");
    assert_eq!(metric(&first, "bench.alloc.peak-heap")["unit"], "bytes");
    // 1,000 boxes of 8 bytes and the vector of 1,000 pointers are live at the peak.
    assert!(
        value(&first, "bench.alloc.peak-heap") >= 16_000.0,
        "{first:#}"
    );
    assert!(value(&first, "bench.alloc.allocated") >= value(&first, "bench.alloc.peak-heap"));
    // Memory mode neither times nor reports percentiles.
    let names = first["metrics"].to_string();
    assert!(!names.contains("bench.alloc.p95"), "{first:#}");

    // The same program again: the same counts, unchanged (never inconclusive).
    let again = task(&bench(&dir, &["--memory"]).expect_success());
    assert_eq!(value(&again, "bench.alloc.allocations"), allocations);
    for figure in ["peak-heap", "allocated", "allocations"] {
        let m = metric(&again, &format!("bench.alloc.{figure}"));
        assert_eq!(m["verdict"], "unchanged", "{again:#}");
        assert_eq!(
            m["baseline"],
            metric(&first, &format!("bench.alloc.{figure}"))["value"]
        );
    }

    // Twice the boxes: twice the allocations, a regression that fails the run.
    dir.create("n.txt", "2000");
    let run = bench(&dir, &["--memory"]).expect_code(1);
    let doubled = task(&run);
    assert_eq!(
        metric(&doubled, "bench.alloc.allocations")["verdict"],
        "regressed"
    );
    let ratio = metric(&doubled, "bench.alloc.allocations")["change"]["ratio"]
        .as_f64()
        .unwrap();
    assert!((1.9..=2.0).contains(&ratio), "{doubled:#}");
    let messages: Vec<&str> = doubled["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "bench-regressed")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("`alloc` allocations regressed: +")
                && m.ends_with("(heap counts are exact)")),
        "{doubled:#}"
    );

    // A time run is not compared with a memory run, nor the other way round;
    // `[bench] mode` asks for memory as the flag does.
    dir.policy("[bench.commands.alloc]\nrun = \"./alloc-bin\"\nruns = 3\n");
    let timed = task(&bench(&dir, &[]).expect_success());
    assert!(
        metric(&timed, "bench.alloc")["verdict"].is_null(),
        "{timed:#}"
    );
    dir.policy("[bench]\nmode = \"memory\"\n\n[bench.commands.alloc]\nrun = \"./alloc-bin\"\n");
    let by_policy = task(&bench(&dir, &[]).expect_success());
    let m = metric(&by_policy, "bench.alloc.allocations");
    assert_eq!(m["verdict"], "unchanged", "{by_policy:#}");
    assert_eq!(
        m["value"],
        metric(&doubled, "bench.alloc.allocations")["value"]
    );
}

#[test]
fn heap_budgets_pass_and_fail_by_figure() {
    if valgrind_missing() {
        return;
    }
    let dir = project(
        1000,
        "\n[bench.budgets]\nalloc = { allocations = 100, peak-heap = \"1 GiB\", allocated = \"1 GiB\" }\n",
    );
    let run = bench(&dir, &["--memory"]).expect_code(1);
    let task = task(&run);
    let over = finding(&task, "bench-over-budget");
    let message = over["message"].as_str().unwrap();
    assert!(
        message.starts_with("`alloc` allocations is 10")
            && message.ends_with("over its budget of 100"),
        "{task:#}"
    );
    assert_eq!(
        codes(&task)
            .iter()
            .filter(|c| *c == "bench-over-budget")
            .count(),
        1
    );
    let allocations = metric(&task, "bench.alloc.allocations");
    assert_eq!(
        (
            allocations["budget"].as_f64(),
            allocations["verdict"].as_str()
        ),
        (Some(100.0), Some("fail"))
    );
    let peak = metric(&task, "bench.alloc.peak-heap");
    assert_eq!(
        (peak["budget"].as_f64(), peak["verdict"].as_str()),
        (Some(1073741824.0), Some("pass"))
    );
}

#[test]
fn memory_mode_without_valgrind_is_an_environment_error() {
    let dir = Dir::with_package("demo");
    dir.policy("[bench.commands.alloc]\nrun = \"./alloc-bin\"\n");
    // A PATH without valgrind; cargo is found through $CARGO.
    let empty = Dir::new();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let run = bench(&dir, &["--memory"])
        .env("PATH", empty.path())
        .env("CARGO", cargo)
        .expect_code(2);
    let text = format!("{}{}", run.stdout(), run.stderr());
    assert!(text.contains("install valgrind"), "{}", run.context());
    // The two modes are one or the other.
    dir.command(["bench", "--memory", "--instructions"])
        .expect_code(2)
        .stderr_has("cannot be used with");
}
