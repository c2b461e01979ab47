//! Library use from a project's own xtask: a real xtask crate, built against
//! this repository's crates by path, runs the same tasks as `cargo perf check`.

use std::process::Command;

use crate::util::{Dir, shared_target_dir};

#[test]
fn an_xtask_runs_the_check_pipeline_through_the_library() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = Dir::with_package("app");
    dir.create("Cargo.toml", "[workspace]\nmembers = [\".\", \"xtask\"]\n\n[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n");
    dir.policy("[tasks.marker]\nrun = \"touch marker.txt\"\n\n[tasks.broken]\nrun = \"false\"\n\n[pipelines]\ncheck = [\"marker\"]\n");
    std::fs::copy(repo.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    dir.create(
        "xtask/Cargo.toml",
        format!(
            "[package]\nname = \"xtask\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\ncargo-perf-progress = {{ path = {:?} }}\ncargo-perf-report = {{ path = {:?} }}\ncargo-perf-tasks = {{ path = {:?} }}\n",
            repo.join("crates/progress"),
            repo.join("crates/report"),
            repo.join("crates/tasks")
        ),
    );
    dir.create(
        "xtask/src/main.rs",
        include_str!("../docs/xtask-example.rs"),
    );

    let run = |pipeline: &str| {
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["run", "--quiet", "-p", "xtask", "--", pipeline])
            .current_dir(dir.path())
            .env(
                "CARGO_TARGET_DIR",
                shared_target_dir().join("xtask-library"),
            )
            .output()
            .unwrap()
    };
    let ok = run("check");
    assert!(
        ok.status.success(),
        "xtask failed:\n{}\n{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(dir.join("marker.txt").exists(), "the task ran");
    assert!(String::from_utf8_lossy(&ok.stdout).contains("1 task passed"));

    let failed = run("broken");
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
}
