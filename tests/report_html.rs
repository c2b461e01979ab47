//! `cargo perf report`: the page and its Markdown twin, drawn from a real
//! history (command benchmarks, a check with build health, a profile when
//! perf works) in temporary workspaces; the empty-data page; and the page
//! in headless Chromium (console errors, chart sizes, one point per run,
//! a screenshot).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Dir, shared_target_dir};

/// A git workspace with two command benchmarks (one with a budget) and
/// build health in its check pipeline.
fn project() -> Dir {
    let dir = Dir::with_package("demo");
    dir.create(".gitignore", "/target\n/.cargo-perf\nperf.data*\n");
    dir.policy(
        "[bench]\nthreshold = \"50%\"\n\n[bench.commands.nap]\nrun = \"sleep 0.01\"\nwarmup = 1\nruns = 6\n\n[bench.commands.\"parse.fast\"]\nrun = \"true\"\nruns = 6\n\n[bench.budgets]\nnap = \"2s\"\n\n[pipelines]\ncheck = [\"gitignore\", \"build\"]\n",
    );
    dir.git_init();
    dir
}

/// `runs` bench runs and one check, through the real binary.
fn history(dir: &Dir, runs: usize) {
    for _ in 0..runs {
        // A noisy machine may judge a run a regression (exit 1): it is
        // stored all the same, which is all the report needs.
        let run = dir.command(["bench", "-q"]).output();
        let code = run.output.status.code();
        assert!(matches!(code, Some(0 | 1)), "{}", run.context());
    }
    dir.command(["check", "-q"]).expect_success();
}

fn report(dir: &Dir, args: &[&str]) -> PathBuf {
    let run = dir.command(["report"]).args(args).expect_success();
    let path = PathBuf::from(run.stdout().trim());
    assert!(
        path.is_file(),
        "report printed {path:?}, which is not a file\n{}",
        run.context()
    );
    path
}

#[test]
fn a_fresh_workspace_gets_a_page_that_says_what_fills_each_section() {
    let dir = Dir::with_package("demo");
    dir.git_init();
    let page = std::fs::read_to_string(report(&dir, &[])).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    for hint in [
        "No bench history at",
        "run <code>cargo perf bench</code>",
        "No profile yet: run <code>cargo perf profile",
        "No build-health data",
        "No check recorded yet: run <code>cargo perf check</code>",
    ] {
        assert!(page.contains(hint), "no {hint:?} in the empty page");
    }
    assert_eq!(page.matches("<svg class=\"chart trend\"").count(), 0);
    let md = std::fs::read_to_string(report(&dir, &["--format", "markdown"])).unwrap();
    assert!(
        md.contains("No bench history yet: run `cargo perf bench`."),
        "{md}"
    );
    assert!(md.contains("| benchmarks | ⚪ no data |"), "{md}");
}

#[test]
fn the_page_is_self_contained_and_has_a_trend_per_benchmark_with_a_point_per_run() {
    let dir = project();
    history(&dir, 3);
    let out = dir.join("out/perf.html");
    let path = report(&dir, &["--output", "out/perf.html"]);
    assert_eq!(path, out);
    let page = std::fs::read_to_string(&path).unwrap();
    for id in ["nap", "parse.fast"] {
        let at = page
            .find(&format!(
                "data-benchmark=\"{id}\" data-runs=\"3\" data-points=\"3\""
            ))
            .unwrap_or_else(|| panic!("no trend of {id} with 3 runs"));
        let svg = &page[at..at + page[at..].find("</svg>").unwrap()];
        assert_eq!(svg.matches("class=\"pt").count(), 3, "{svg}");
    }
    // The budget of `nap` is a line on its chart and a column of its verdict.
    assert!(
        page.contains("budget 2.000 s (far above)"),
        "a budget 100x the data is named, not drawn"
    );
    assert!(page.contains("<td class=\"num\">2.000 s</td>"));
    // Build health from the stored check; nothing fetched from the network.
    assert!(page.contains("Edit-rebuild time per member"));
    assert!(page.contains("🟢 passed"));
    for remote in ["http://", "https://", "src=\"//"] {
        let outside = page.replace("http://www.w3.org/2000/svg", "");
        assert!(!outside.contains(remote), "the page refers to {remote}");
    }
}

#[test]
fn markdown_links_its_charts_and_github_fills_the_step_summary() {
    let dir = project();
    history(&dir, 2);
    let summary = dir.join("step-summary.md");
    let path = dir
        .command(["report", "--format", "github", "--output", "pr/report.md"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .expect_success()
        .stdout();
    assert_eq!(PathBuf::from(path.trim()), dir.join("pr/report.md"));
    let md = dir.read("pr/report.md");
    assert!(
        md.contains("| benchmark | P50 | P95 | P99 | 95% interval | change | target | status |"),
        "{md}"
    );
    for line in md.lines().filter(|l| l.starts_with("![")) {
        let link = &line[line.find("](").unwrap() + 2..line.len() - 1];
        let svg = dir.read(Path::new("pr").join(link));
        assert!(
            svg.starts_with("<?xml") && svg.contains("<style>"),
            "{link}"
        );
    }
    assert!(md.contains("](report-charts/trend-000-nap.svg)"), "{md}");
    let step = std::fs::read_to_string(&summary).unwrap();
    assert!(
        step.contains("| area | status | why |") && step.contains("| nap |"),
        "{step}"
    );
    assert!(
        !step.contains("## Profiles"),
        "the step summary holds the summary only"
    );
}

#[test]
fn an_unwritable_output_is_an_error_with_a_hint() {
    let dir = Dir::with_package("demo");
    dir.git_init();
    dir.create("taken", "a file, not a directory");
    dir.command(["report", "--output", "taken/report.html"])
        .expect_code(2)
        .stderr_has("cannot create")
        .stderr_has("--output");
}

/// Chromium, when it is installed (`.ci/run` installs it).
fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let ok = Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success());
            ok.then(|| PathBuf::from(name))
        })
}

/// Runs headless Chromium on `page` with `args`; returns (stdout, stderr).
fn headless(browser: &Path, page: &Path, args: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args([
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
        ])
        .args(args)
        .arg(page)
        .output()
        .expect("chromium runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The console messages Chromium logged (it logs every level, uncaught
/// errors included, as `CONSOLE` lines): the page logs nothing when all is well.
fn console_errors(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

/// Appended to a copy of the page: measures every chart and the
/// flamegraphs, and writes the result where `--dump-dom` shows it.
const PROBE: &str = r#"<script>
window.addEventListener('load', function () {
  var out = {trends: [], bars: [], flames: []};
  document.querySelectorAll('svg.chart.trend').forEach(function (s) {
    var r = s.getBoundingClientRect();
    out.trends.push({id: s.dataset.benchmark, runs: +s.dataset.runs, points: s.querySelectorAll('.pt').length, w: r.width, h: r.height});
  });
  document.querySelectorAll('svg.chart.bars').forEach(function (s) {
    var r = s.getBoundingClientRect(); out.bars.push({w: r.width, h: r.height});
  });
  document.querySelectorAll('object.flame').forEach(function (o) {
    var r = o.getBoundingClientRect(); out.flames.push({w: r.width, h: r.height});
  });
  var pre = document.createElement('pre'); pre.id = 'probe';
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>"#;

#[test]
fn the_page_renders_in_headless_chromium_without_errors() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CARGO_PERF_TEST_CHROMIUM").is_none_or(|v| v != "required"),
            "chromium is required here (CARGO_PERF_TEST_CHROMIUM=required) but not installed"
        );
        eprintln!(
            "SKIPPED: chromium is not installed (`apt-get install -y chromium`; .ci/run installs it)"
        );
        return;
    };
    // The detection itself must work: a page that logs an error is caught.
    let scratch = Dir::new();
    let bad = scratch.create(
        "bad.html",
        "<!DOCTYPE html><script>console.error('probe error'); undefined_fn();</script>",
    );
    let (_, stderr) = headless(&browser, &bad, &["--dump-dom"]);
    assert_eq!(
        console_errors(&stderr).len(),
        2,
        "console errors are not detected:\n{stderr}"
    );

    let dir = project();
    history(&dir, 4);
    let profile = dir
        .command([
            "profile",
            "-q",
            "--cmd",
            "--",
            "sh",
            "-c",
            "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done",
        ])
        .output();
    let profiled = profile.output.status.success();
    if !profiled {
        eprintln!(
            "note: `cargo perf profile` did not work here (perf missing or not permitted); the page has no flamegraph\n{}",
            profile.context()
        );
    }
    let page = report(&dir, &[]);
    let (_, stderr) = headless(&browser, &page, &["--dump-dom"]);
    assert_eq!(
        console_errors(&stderr),
        Vec::<&str>::new(),
        "console errors:\n{stderr}"
    );

    let probed = page.with_file_name("probed.html");
    std::fs::write(
        &probed,
        std::fs::read_to_string(&page)
            .unwrap()
            .replace("</body>", &format!("{PROBE}</body>")),
    )
    .unwrap();
    let (dom, _) = headless(
        &browser,
        &probed,
        &["--window-size=1280,2000", "--dump-dom"],
    );
    let json = dom
        .split("<pre id=\"probe\">")
        .nth(1)
        .and_then(|r| r.split("</pre>").next())
        .unwrap_or_else(|| panic!("no probe result in the DOM:\n{dom}"));
    let probe: serde_json::Value = serde_json::from_str(&json.replace("&quot;", "\"")).unwrap();
    let trends = probe["trends"].as_array().unwrap();
    assert_eq!(trends.len(), 2, "{probe}");
    for t in trends {
        assert_eq!(t["runs"], 4, "{t}");
        assert_eq!(t["points"], 4, "a point per run: {t}");
        assert!(
            t["w"].as_f64().unwrap() > 100.0 && t["h"].as_f64().unwrap() > 50.0,
            "{t}"
        );
    }
    let bars = probe["bars"].as_array().unwrap();
    assert!(
        bars.len() >= 2
            && bars
                .iter()
                .all(|b| b["w"].as_f64().unwrap() > 0.0 && b["h"].as_f64().unwrap() > 0.0),
        "{probe}"
    );
    let flames = probe["flames"].as_array().unwrap();
    assert_eq!(flames.len(), usize::from(profiled), "{probe}");
    assert!(
        flames
            .iter()
            .all(|f| f["w"].as_f64().unwrap() > 100.0 && f["h"].as_f64().unwrap() > 50.0),
        "{probe}"
    );

    let shot = shared_target_dir().join("report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    headless(
        &browser,
        &page,
        &[
            "--window-size=1280,2600",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let size = std::fs::metadata(&shot).map_or(0, |m| m.len());
    assert!(size > 10_000, "no screenshot at {}", shot.display());
    eprintln!("screenshot: {}", shot.display());
}

#[test]
fn a_pipeline_can_end_with_the_report_task() {
    let dir = project();
    dir.create(
        "perf.toml",
        format!(
            "{}nightly = [\"bench\", \"report\"]\n",
            dir.read("perf.toml")
        ),
    );
    let run = dir.command(["run", "nightly", "--format", "json"]).output();
    let doc = run.json();
    let report = doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "report")
        .unwrap_or_else(|| panic!("no report task in {doc:#}"));
    assert_eq!(report["status"], "passed", "{report:#}");
    let page = PathBuf::from(report["artifacts"][0].as_str().unwrap());
    let page = dir.join(page);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("data-benchmark=\"nap\" data-runs=\"1\""),
        "{}",
        run.context()
    );
}

#[test]
fn open_hands_the_page_to_the_desktop_opener_and_json_prints_the_data() {
    let dir = Dir::with_package("demo");
    dir.git_init();
    let bin = dir.join("fake-bin");
    let opener = dir.create(
        "fake-bin/xdg-open",
        format!(
            "#!/bin/sh\necho \"$1\" > {}\n",
            dir.join("opened").display()
        ),
    );
    std::fs::set_permissions(&opener, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin];
    paths.extend(std::env::split_paths(&path));
    let page = dir
        .command(["report", "--open"])
        .env("PATH", std::env::join_paths(paths).unwrap())
        .expect_success()
        .stdout();
    // The opener runs detached: give it a moment.
    let opened = (0..50)
        .find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            std::fs::read_to_string(dir.join("opened")).ok()
        })
        .expect("xdg-open was not run");
    assert_eq!(opened.trim(), page.trim());

    let doc = dir
        .command(["report", "--format", "json"])
        .expect_success()
        .json();
    assert_eq!(doc["bench"]["runs"], 0, "{doc:#}");
    assert_eq!(doc["last_check"], serde_json::Value::Null, "{doc:#}");
}

#[test]
fn a_check_before_the_first_build_creates_no_target_dir() {
    let dir = Dir::with_package("demo");
    dir.create(".gitignore", "/target\n/.cargo-perf\nperf.data*\n");
    dir.git_init();
    dir.command(["check", "-q"]).expect_success();
    assert!(!dir.join("target").exists(), "{}", dir.listing());
    let page = std::fs::read_to_string(report(&dir, &[])).unwrap();
    assert!(page.contains("No check recorded yet"));
}

#[test]
fn runs_with_fields_this_version_does_not_know_still_make_a_trend() {
    let dir = project();
    for id in 1..=2 {
        dir.create(
            format!(".cargo-perf/bench/runs/{id:06}.json"),
            format!(
                r#"{{"format": "cargo-perf-bench/1", "id": {id}, "estimator": "a newer one",
                  "fingerprint": {{"commit": null, "dirty": false, "branch": "main", "rustc": null, "target": null,
                    "cpu": "a cpu", "cores": 4, "os": "linux-x86_64", "cargo_lock": null, "time": {}, "extra": 1}},
                  "benchmarks": [{{"id": "future", "unit": "ns", "samples": [10.0, 11.0, 12.0],
                    "calibration": [1.0, 2.0], "estimator": "mean"}}]}}"#,
                1_790_000_000 + id
            ),
        );
    }
    let page = std::fs::read_to_string(report(&dir, &[])).unwrap();
    assert!(
        page.contains("data-benchmark=\"future\" data-runs=\"2\""),
        "{page}"
    );
    assert!(page.contains("a cpu, 4 cores"));
}
