//! `cargo perf lint`: the own rules on a fixture crate with each pattern and
//! its near-miss, inline suppression in both forms, `[lint]` levels and
//! excludes, bad `[lint]` values located, the SARIF and GitHub outputs,
//! `--list`, and the clippy source on a real (tiny) clippy run.

use serde_json::Value;

use crate::util::{Dir, Run, TestCommand};

/// Every pattern, one per function. A line ending in `// TP <rule>` must
/// carry that rule's finding; a line ending in `// NM` must carry none.
const PATTERNS: &str = r#"use std::fs::File;
use std::io::Write;
use std::sync::Mutex;

pub fn format_in_loop(xs: &[u32]) -> String {
    let mut out = String::new();
    for x in xs {
        out.push_str(&format!("{x},")); // TP format-in-loop
    }
    out.push_str(&format!("{}", xs.len())); // NM
    out
}

pub fn clone_in_loop(xs: &[u32]) -> usize {
    let names = vec![1u32, 2];
    let copy = names.clone(); // NM
    let mut n = 0;
    for x in xs {
        if names.clone().contains(x) { // TP clone-in-loop
            n += 1;
        }
    }
    n + copy.len()
}

pub fn vec_push(xs: &[u32]) -> Vec<u32> {
    let mut v = Vec::new(); // TP vec-push-no-capacity
    for x in xs {
        v.push(x + 1);
    }
    let mut w = Vec::with_capacity(xs.len()); // NM
    for x in xs {
        w.push(x + 1);
    }
    v.extend(w);
    v
}

pub fn lock_in_loop(xs: &[u32], total: &Mutex<u32>, each: &[Mutex<u32>]) {
    for x in xs {
        *total.lock().unwrap() += x; // TP lock-in-loop
    }
    for m in each {
        *m.lock().unwrap() += 1; // NM
    }
}

pub fn collect_then_iterate(xs: &[u32]) -> u32 {
    xs.iter().map(|x| x * 2).collect::<Vec<_>>().into_iter().sum() // TP collect-then-iterate
}

pub fn regex_in_loop(lines: &[&str], patterns: &[&str]) {
    for line in lines {
        let re = regex::Regex::new("a+b").unwrap(); // TP regex-in-loop
        let _ = re.is_match(line);
    }
    for p in patterns {
        let _ = regex::Regex::new(p); // NM
    }
    for _ in 0..1 {
        let _ = regex::Regex::new("once"); // NM
    }
}

pub async fn blocking_in_async() -> String {
    let text = std::fs::read_to_string("a.txt").unwrap(); // TP blocking-in-async
    let more = tokio::fs::read_to_string("b.txt").await.unwrap(); // NM
    text + &more
}

pub fn blocking_outside_async() -> String {
    std::fs::read_to_string("a.txt").unwrap() // NM
}

pub async fn lock_across_await(m: &Mutex<Vec<u32>>) {
    let guard = m.lock().unwrap(); // TP lock-across-await
    tokio::task::yield_now().await;
    drop(guard);
    let len = m.lock().unwrap().len(); // NM
    tokio::task::yield_now().await;
    let _ = len;
}

pub fn channels(jobs: &[u32]) {
    for _ in jobs {
        let (_tx, _rx) = tokio::sync::mpsc::unbounded_channel::<u32>(); // TP unbounded-channel-in-loop
        let (_btx, _brx) = tokio::sync::mpsc::channel::<u32>(8); // NM
    }
}

pub async fn spawns(urls: Vec<String>, workers: usize) {
    for url in urls {
        tokio::spawn(async move { url.len() }); // TP spawn-in-loop
    }
    for i in 0..workers {
        tokio::spawn(async move { i }); // NM
    }
}

pub fn unbuffered(lines: &[&str]) -> std::io::Result<()> {
    let mut f = File::create("out.txt")?;
    for l in lines {
        writeln!(f, "{l}")?; // TP unbuffered-write-in-loop
    }
    let mut b = std::io::BufWriter::new(File::create("out2.txt")?);
    for l in lines {
        writeln!(b, "{l}")?; // NM
    }
    Ok(())
}

pub async fn queries(ids: &[i64], db: &sqlx::PgPool) {
    for id in ids {
        let _ = sqlx::query("select 1 where $1 > 0").bind(id).fetch_one(db).await; // TP query-in-loop
    }
    let _ = sqlx::query("select 1").fetch_all(db).await; // NM
}
"#;

/// `cargo perf lint --no-clippy ARGS` on `dir`.
fn lint(dir: &Dir, args: &[&str]) -> TestCommand {
    dir.command(["lint", "--no-clippy"]).args(args)
}

fn findings(run: &Run) -> Vec<Value> {
    run.json()["tasks"][0]["findings"]
        .as_array()
        .unwrap()
        .clone()
}

/// The rules that are `allow` by default (their corpus sample was mostly wrong).
const OFF_BY_DEFAULT: &[&str] = &[
    "lock-in-loop",
    "collect-then-iterate",
    "unbounded-channel-in-loop",
    "spawn-in-loop",
];

/// The fixture crate, with the rules that are `allow` by default turned on.
fn fixture() -> Dir {
    let dir = Dir::with_package("fixture");
    dir.create("src/lib.rs", "pub mod patterns;\n");
    dir.create("src/patterns.rs", PATTERNS);
    let on: String = OFF_BY_DEFAULT
        .iter()
        .map(|rule| format!("{rule} = \"warn\"\n"))
        .collect();
    dir.policy(&format!("[lint.rules]\n{on}"));
    dir
}

#[test]
fn every_rule_finds_its_pattern_and_leaves_the_near_misses() {
    let dir = fixture();
    let run = lint(&dir, &["--format", "json"]).expect_code(1);
    let found = findings(&run);
    for (i, line) in PATTERNS.lines().enumerate() {
        let number = i as u64 + 1;
        let here: Vec<&Value> = found.iter().filter(|f| f["line"] == number).collect();
        if let Some(rule) = line.split("// TP ").nth(1) {
            let code = format!("lint-{rule}");
            let hit = here.iter().find(|f| f["code"] == code.as_str());
            let hit = hit.unwrap_or_else(|| panic!("no {code} on line {number}: {found:#?}"));
            assert_eq!(hit["file"], "src/patterns.rs");
            assert!(hit["column"].as_u64().unwrap() > 1, "{hit}");
            assert!(hit["help"].as_str().is_some_and(|h| !h.is_empty()), "{hit}");
        } else if line.ends_with("// NM") {
            assert!(here.is_empty(), "line {number} is a near-miss: {here:#?}");
        }
    }
    let expected = PATTERNS.matches("// TP ").count();
    assert_eq!(found.len(), expected, "{found:#?}");
    let guard = found
        .iter()
        .find(|f| f["code"] == "lint-lock-across-await")
        .unwrap();
    assert_eq!(guard["severity"], "error", "deny by default: {guard}");
    let clone = found
        .iter()
        .find(|f| f["code"] == "lint-clone-in-loop")
        .unwrap();
    assert_eq!(clone["severity"], "warning");
    assert!(
        clone["message"]
            .as_str()
            .unwrap()
            .contains("`names.clone()`")
    );
}

#[test]
fn clean_code_passes_with_exit_zero() {
    let dir = Dir::with_package("clean");
    dir.create(
        "src/lib.rs",
        "pub fn sum(xs: &[u32]) -> u32 {\n    xs.iter().sum()\n}\n",
    );
    let run = lint(&dir, &["--format", "json"]).expect_success();
    assert!(findings(&run).is_empty());
    assert_eq!(run.json()["tasks"][0]["status"], "passed");
    lint(&dir, &[])
        .expect_success()
        .stdout_has("0 own-rule findings in 1 file");
}

const SUPPRESSED: &str = r#"pub fn by_comment(xs: &[u32]) -> Vec<u32> {
    // measured: the input is tiny
    // cargo-perf: allow(lint-vec-push-no-capacity)
    let mut v = Vec::new();
    for x in xs {
        v.push(*x);
    }
    v
}

#[cfg_attr(any(), cargo_perf::allow(vec_push_no_capacity, format_in_loop))]
pub fn by_attribute(xs: &[u32]) -> (Vec<u32>, String) {
    let mut v = Vec::new();
    let mut s = String::new();
    for x in xs {
        v.push(*x);
    }
    for x in xs {
        s.push_str(&format!("{x}"));
    }
    (v, s)
}

pub fn not_suppressed(xs: &[u32]) -> Vec<u32> {
    // cargo-perf: allow(lint-clone-in-loop)
    let mut v = Vec::new();
    for x in xs {
        v.push(*x);
    }
    v
}
"#;

#[test]
fn comments_and_attributes_allow_a_rule_inline() {
    let dir = Dir::with_package("quiet");
    dir.create("src/lib.rs", SUPPRESSED);
    let run = lint(&dir, &["--format", "json"]).expect_success();
    let found = findings(&run);
    assert_eq!(
        found.len(),
        1,
        "only the rule not allowed is left: {found:#?}"
    );
    assert_eq!(found[0]["code"], "lint-vec-push-no-capacity");
    assert_eq!(found[0]["line"], 26);
}

#[test]
fn a_misspelt_suppression_is_reported_with_a_suggestion() {
    let dir = Dir::with_package("typo");
    dir.create(
        "src/lib.rs",
        "pub fn f(xs: &[u32]) -> Vec<u32> {\n    // cargo-perf: allow(lint-vec-push-no-capacit)\n    let mut v = Vec::new();\n    for x in xs {\n        v.push(*x);\n    }\n    v\n}\n",
    );
    let run = lint(&dir, &["--format", "json"]).expect_success();
    let found = findings(&run);
    let typo = found
        .iter()
        .find(|f| f["code"] == "lint-unknown-suppression")
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert_eq!(typo["line"], 2);
    assert!(
        typo["help"]
            .as_str()
            .unwrap()
            .contains("vec-push-no-capacity"),
        "{typo}"
    );
    assert!(
        found
            .iter()
            .any(|f| f["code"] == "lint-vec-push-no-capacity")
    );
}

#[test]
fn policy_levels_and_excludes_apply() {
    let dir = fixture();
    dir.create("src/generated/big.rs", PATTERNS);
    dir.create("src/patterns/tests.rs", PATTERNS);
    dir.create("tests/it.rs", PATTERNS);
    dir.policy(
        "[lint]\nexclude = [\"src/generated/**\"]\n\n[lint.rules]\nlock-across-await = \"allow\"\nclone-in-loop = \"deny\"\nformat-in-loop = \"allow\"\n",
    );
    let run = lint(&dir, &["--format", "json"]).expect_code(1);
    let found = findings(&run);
    assert!(
        found.iter().all(|f| f["file"] == "src/patterns.rs"),
        "{found:#?}"
    );
    assert!(!found.iter().any(|f| f["code"] == "lint-lock-across-await"));
    assert!(!found.iter().any(|f| f["code"] == "lint-format-in-loop"));
    for allowed in ["lint-spawn-in-loop", "lint-unbounded-channel-in-loop"] {
        assert!(
            !found.iter().any(|f| f["code"] == allowed),
            "{allowed} is allow by default"
        );
    }
    assert!(
        found
            .iter()
            .any(|f| f["code"] == "lint-vec-push-no-capacity")
    );
    let clone = found
        .iter()
        .find(|f| f["code"] == "lint-clone-in-loop")
        .unwrap();
    assert_eq!(clone["severity"], "error");
    assert_eq!(
        run.json()["tasks"][0]["metrics"][0]["value"],
        2.0,
        "two files read"
    );
}

#[test]
fn bad_lint_policy_values_are_located_with_suggestions() {
    let dir = fixture();
    dir.policy(
        "[lint]\nclippy = \"yes\"\nexclude = [\"a[\"]\n\n[lint.rules]\nclone-in-lop = \"deny\"\nformat-in-loop = \"forbid\"\n",
    );
    let run = lint(&dir, &[]).expect_code(2);
    run.stderr_has("perf.toml:6:1")
        .stderr_has("unknown key `clone-in-lop` in [lint.rules]")
        .stderr_has("did you mean `clone-in-loop`?")
        .stderr_has("perf.toml:7:18")
        .stderr_has("unknown lint level `forbid`")
        .stderr_has("perf.toml:2:10")
        .stderr_has("invalid glob");
}

#[test]
fn sarif_has_the_required_fields() {
    let dir = fixture();
    let run = lint(&dir, &["--format", "sarif"]).expect_code(1);
    let log: Value =
        serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}\n{}", run.context()));
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let driver = &log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "cargo-perf");
    let rules = driver["rules"].as_array().unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), PATTERNS.matches("// TP ").count());
    for result in results {
        let id = result["ruleId"].as_str().unwrap();
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id);
        assert!(rules[index]["shortDescription"]["text"].is_string());
        assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
        assert!(
            result["message"]["text"]
                .as_str()
                .unwrap()
                .contains("help: ")
        );
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "src/patterns.rs");
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(location["region"]["startColumn"].as_u64().unwrap() >= 1);
    }
    let guard = results
        .iter()
        .find(|r| r["ruleId"] == "lint-lock-across-await")
        .unwrap();
    assert_eq!(guard["level"], "error");
}

#[test]
fn github_annotations_and_markdown_carry_the_findings() {
    let dir = fixture();
    lint(&dir, &["--format", "github"])
        .expect_code(1)
        .stdout_has("::error file=src/patterns.rs,line=")
        .stdout_has("title=lint-lock-across-await::")
        .stdout_has("::warning file=src/patterns.rs,line=");
    lint(&dir, &["--format", "markdown"])
        .expect_code(1)
        .stdout_has("lint-clone-in-loop")
        .stdout_has("src/patterns.rs");
}

#[test]
fn list_shows_every_rule_with_its_level_and_an_example() {
    let dir = Dir::with_package("listed");
    let run = dir.command(["lint", "--list"]).expect_success();
    for rule in cargo_perf_tasks::lint::rules() {
        run.stdout_has(rule.name).stdout_has(rule.example);
    }
    run.stdout_has("lock-across-await          deny")
        .stdout_has("clone-in-loop              warn")
        .stdout_has("spawn-in-loop              allow")
        .stdout_has("needless_collect");
    let json = dir
        .command(["lint", "--list", "--format", "json"])
        .expect_success()
        .json();
    assert_eq!(
        json["rules"].as_array().unwrap().len(),
        cargo_perf_tasks::lint::rules().len()
    );
}

#[test]
fn a_file_that_does_not_parse_is_reported_and_the_rest_is_read() {
    let dir = fixture();
    dir.create("src/broken.rs", "pub fn broken( {\n");
    let run = lint(&dir, &["--format", "json"]).expect_code(1);
    let found = findings(&run);
    let broken = found
        .iter()
        .find(|f| f["code"] == "lint-parse-failed")
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert_eq!(broken["file"], "src/broken.rs");
    assert!(found.iter().any(|f| f["code"] == "lint-clone-in-loop"));
}

/// A crate clippy's perf group warns about, with a suppression attribute
/// that must compile on stable.
const CLIPPY_FIXTURE: &str = r#"#[cfg_attr(any(), cargo_perf::allow(vec_push_no_capacity))]
pub fn message(x: Option<u32>, name: &str) -> u32 {
    x.expect(&format!("no value for {name}"))
}

// clippy::needless_return: on by default, but style, not performance.
pub fn two() -> u32 {
    return 2;
}
"#;

#[test]
fn clippy_lints_join_the_same_list() {
    let dir = Dir::with_package("linted");
    dir.create("src/lib.rs", CLIPPY_FIXTURE);
    let run = dir
        .command(["lint", "--format", "json"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .expect_success();
    let found = findings(&run);
    let lint = found
        .iter()
        .find(|f| f["code"] == "lint-clippy")
        .unwrap_or_else(|| panic!("{found:#?}\n{}", run.context()));
    assert!(
        lint["message"]
            .as_str()
            .unwrap()
            .starts_with("clippy::expect_fun_call: "),
        "{lint}"
    );
    assert_eq!(lint["file"], "src/lib.rs");
    assert_eq!(lint["line"], 3);
    assert_eq!(lint["severity"], "warning");

    dir.policy("[lint.rules]\nclippy = \"deny\"\n");
    let run = dir
        .command(["lint", "--format", "json"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .expect_code(1);
    assert!(
        findings(&run)
            .iter()
            .any(|f| f["code"] == "lint-clippy" && f["severity"] == "error")
    );
}

#[test]
fn a_crate_clippy_cannot_build_is_a_located_failure() {
    let dir = Dir::with_package("broken");
    dir.create("src/lib.rs", "pub fn f() -> u32 { \"no\" }\n");
    let run = dir
        .command(["lint", "--format", "json"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .expect_code(1);
    let found = findings(&run);
    let failed = found
        .iter()
        .find(|f| f["code"] == "lint-clippy-failed")
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("mismatched types"),
        "{failed}"
    );
}

#[test]
fn package_flags_choose_the_members_read_and_checked() {
    let dir = Dir::new();
    dir.workspace(&["quiet", "noisy"]);
    dir.create("crates/noisy/src/lib.rs", SUPPRESSED);
    let run = lint(&dir, &["-p", "quiet", "--format", "json"]).expect_success();
    assert!(findings(&run).is_empty());
    assert_eq!(run.json()["tasks"][0]["metrics"][0]["value"], 1.0);
    let run = lint(&dir, &["--exclude", "quiet", "--format", "json"]).expect_success();
    let found = findings(&run);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["file"], "crates/noisy/src/lib.rs");
    let run = lint(&dir, &["-p", "nosiy"]).expect_code(2);
    run.stderr_has("nosiy");
    dir.command(["lint", "-p", "quiet", "-v"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .expect_success()
        .stderr_has("cargo clippy -p quiet");
}

/// The lint's task in a `--format json` document, by name.
fn task<'d>(doc: &'d Value, name: &str) -> &'d Value {
    doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no task `{name}` in {doc:#}"))
}

fn metric(task: &Value, name: &str) -> f64 {
    task["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .and_then(|m| m["value"].as_f64())
        .unwrap_or_else(|| panic!("no metric `{name}` in {task:#}"))
}

/// A clippy task of the run (listed after the lint, which still waits for
/// it) is replayed: the lint reports the clippy finding, and cargo checked
/// no crate again. Without the task, the lint checks the crate itself.
#[test]
fn a_clippy_task_of_the_run_is_replayed_not_built_again() {
    let dir = Dir::with_package("linted");
    dir.create("src/lib.rs", CLIPPY_FIXTURE);
    dir.policy(
        "[tasks.clippy]\nrun = \"cargo clippy --workspace --all-targets\"\n\n\
         [pipelines]\nboth = [\"lint\", \"clippy\"]\n",
    );
    let run = dir
        .command(["run", "both", "--format", "json"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .expect_success();
    let doc = run.json();
    let lint = task(&doc, "lint");
    let clippy = lint["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "lint-clippy")
        .unwrap_or_else(|| panic!("{lint:#}\n{}", run.context()));
    assert!(
        clippy["message"]
            .as_str()
            .unwrap()
            .starts_with("clippy::expect_fun_call: ")
    );
    assert_eq!(clippy["line"], 3);
    assert_eq!(metric(lint, "lint.clippy.checked-crates"), 0.0, "{lint:#}");
    let summary = lint["summary"].as_str().unwrap();
    assert!(
        summary.contains("reused the diagnostics of task `clippy`"),
        "{summary}"
    );

    // Only the lint: its own clippy flags differ, so cargo checks the crate.
    let run = dir
        .command(["lint", "--format", "json"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .expect_success();
    let doc = run.json();
    let lint = task(&doc, "lint");
    assert_eq!(metric(lint, "lint.clippy.checked-crates"), 1.0, "{lint:#}");
    assert!(
        lint["summary"]
            .as_str()
            .unwrap()
            .ends_with("1 clippy lint (own clippy run)"),
        "{lint:#}"
    );
}

/// A clippy task that failed cached nothing to replay: the lint runs its
/// own clippy, says why, and still reports the lint.
#[test]
fn a_failed_clippy_task_is_not_reused() {
    let dir = Dir::with_package("linted");
    dir.create("src/lib.rs", CLIPPY_FIXTURE);
    dir.policy(
        "[tasks.clippy]\nrun = \"cargo clippy -- -D warnings\"\n\n\
         [pipelines]\nboth = [\"clippy\", \"lint\"]\n",
    );
    let run = dir
        .command(["run", "both", "--format", "json"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .expect_code(1);
    let doc = run.json();
    assert_eq!(task(&doc, "clippy")["status"], "failed");
    let lint = task(&doc, "lint");
    assert_eq!(lint["status"], "passed", "{lint:#}");
    assert!(
        lint["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "lint-clippy"),
        "{lint:#}"
    );
    let summary = lint["summary"].as_str().unwrap();
    assert!(
        summary.contains("own clippy run: task `clippy` failed"),
        "{summary}"
    );
    assert_eq!(metric(lint, "lint.clippy.checked-crates"), 1.0, "{lint:#}");
}

/// A clippy task that checks fewer packages than the lint reads, or that
/// was skipped, stands in for nothing: the lint runs its own clippy, says
/// why, and finds the lint in the package the task left out.
#[test]
fn a_clippy_task_over_other_packages_or_skipped_is_not_reused() {
    let dir = Dir::new();
    dir.workspace(&["quiet", "noisy"]);
    dir.create("crates/noisy/src/lib.rs", CLIPPY_FIXTURE);
    dir.policy(
        "[tasks.clippy]\nrun = \"cargo clippy -p quiet\"\n\n\
         [tasks.fails]\nrun = \"false\"\n\n\
         [tasks.late-clippy]\nrun = \"cargo clippy --workspace\"\ndepends-on = [\"fails\"]\n\n\
         [pipelines]\nboth = [\"lint\", \"clippy\", \"fails\", \"late-clippy\"]\n",
    );
    let run = dir
        .command(["run", "both", "--format", "json"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .expect_code(1);
    let doc = run.json();
    assert_eq!(task(&doc, "late-clippy")["status"], "skipped");
    let lint = task(&doc, "lint");
    let summary = lint["summary"].as_str().unwrap();
    assert!(
        summary.contains("own clippy run: task `clippy` does not check package `noisy`"),
        "{summary}"
    );
    let clippy = lint["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "lint-clippy")
        .unwrap_or_else(|| panic!("{lint:#}"));
    assert_eq!(clippy["file"], "crates/noisy/src/lib.rs");
    assert!(
        metric(lint, "lint.clippy.checked-crates") >= 1.0,
        "{lint:#}"
    );
}
