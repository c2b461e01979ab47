//! The command line itself: both invocation forms, help with examples for
//! every subcommand, completions, colours, workspace discovery and its errors.

use crate::util::{Dir, TestCommand};

const SUBCOMMANDS: &[&str] = &["check", "run", "list", "init", "completions"];

#[test]
fn version_and_cargo_plugin_form() {
    let dir = Dir::with_package("demo");
    dir.command(["--version"])
        .expect_success()
        .stdout_has(concat!("cargo-perf ", env!("CARGO_PKG_VERSION")));
    // cargo runs external subcommands as `cargo-perf perf <args>`.
    dir.command(["perf", "list"])
        .expect_success()
        .stdout_has("Pipelines");
}

#[test]
fn every_subcommand_has_help_with_examples() {
    let dir = Dir::new();
    for sub in SUBCOMMANDS {
        dir.command(["help", sub])
            .expect_success()
            .stdout_has("Examples:");
        dir.command([sub, "--help"])
            .expect_success()
            .stdout_has("Examples:");
    }
    dir.command(["--help"])
        .expect_success()
        .stdout_has("Exit codes:");
}

#[test]
fn completions_for_each_shell() {
    let dir = Dir::new();
    for shell in ["bash", "zsh", "fish"] {
        let run = dir.command(["completions", shell]).expect_success();
        run.stdout_has("cargo-perf");
        run.stdout_has("check");
    }
    dir.command(["completions", "tcsh"])
        .expect_code(2)
        .stderr_has("invalid value 'tcsh'");
}

#[test]
fn usage_errors_exit_2() {
    let dir = Dir::with_package("demo");
    dir.command(["check", "--no-such-flag"])
        .expect_code(2)
        .stderr_has("unexpected argument '--no-such-flag'");
    dir.command(["frobnicate"])
        .expect_code(2)
        .stderr_has("unrecognized subcommand 'frobnicate'");
    dir.command(["run"]).expect_code(2).stderr_has("<NAME>...");
    dir.command(["check", "--jobs", "0"])
        .expect_code(2)
        .stderr_has("--jobs");
}

#[test]
fn single_task_subcommands_take_no_run_options() {
    let dir = Dir::with_package("demo");
    for args in [
        ["build", "--jobs", "2"],
        ["build", "-j", "2"],
        ["bench", "--fail-fast", "x"],
        ["bench", "--no-fail-fast", "x"],
    ] {
        dir.command(args)
            .expect_code(2)
            .stderr_has(&format!("unexpected argument '{}'", args[1]));
    }
    // The subcommands that run a plan keep them.
    dir.policy("[tasks.ok]\nrun = \"true\"\n");
    dir.command(["run", "ok", "--jobs", "2", "--fail-fast"])
        .expect_success();
}

#[test]
fn outside_a_cargo_project_says_so() {
    let dir = Dir::new();
    dir.command(["check"])
        .expect_code(2)
        .stderr_has("is not inside a Cargo project")
        .stderr_has("--manifest-path");
}

#[test]
fn works_from_a_subdirectory_and_with_manifest_path() {
    let dir = Dir::new();
    dir.workspace(&["alpha", "beta"]);
    dir.policy("[tasks.where]\nrun = [\"sh\", \"-c\", \"pwd > where.txt\"]\n[pipelines]\ncheck = [\"where\"]\n");
    let root = dir.path().canonicalize().unwrap();

    dir.command(["check"])
        .current_dir(dir.join("crates/beta/src"))
        .expect_success();
    assert_eq!(
        dir.read("where.txt").trim(),
        root.to_str().unwrap(),
        "tasks run from the workspace root"
    );

    std::fs::remove_file(dir.join("where.txt")).unwrap();
    let elsewhere = Dir::new();
    TestCommand::new(elsewhere.path())
        .args(["check", "--manifest-path"])
        .args([dir.join("Cargo.toml")])
        .expect_success();
    assert!(dir.join("where.txt").exists());
}

#[test]
fn broken_manifest_is_an_environment_error() {
    let dir = Dir::new();
    dir.create("Cargo.toml", "[package]\nname = \"x\"\nversion = \n");
    dir.command(["list"])
        .expect_code(2)
        .stderr_has("`cargo metadata` failed");
}

#[test]
fn only_a_cargo_that_does_not_exist_is_called_missing() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::with_package("demo");
    dir.command(["list"])
        .env("CARGO", dir.join("no/such/cargo"))
        .expect_code(2)
        .stderr_has("is not installed or not on PATH")
        .stderr_has("install Rust with rustup");

    // A cargo that is there but cannot be run says why.
    let not_executable = dir.create("bin/cargo", "#!/bin/sh\nexit 0\n");
    std::fs::set_permissions(&not_executable, std::fs::Permissions::from_mode(0o644)).unwrap();
    dir.command(["list"])
        .env("CARGO", &not_executable)
        .expect_code(2)
        .stderr_has("Permission denied")
        .stderr_lacks("not installed")
        .stderr_lacks("install Rust with rustup")
        .stderr_has("could not be started");
}

#[test]
fn colours_follow_flag_then_cargo_term_color_then_no_color() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.ok]\nrun = \"true\"\n[pipelines]\ncheck = [\"ok\"]\n");
    let has_escape =
        |run: &crate::util::Run| run.stdout().contains('\u{1b}') || run.stderr().contains('\u{1b}');

    assert!(
        !has_escape(&dir.command(["check"]).expect_success()),
        "no colours when not a terminal"
    );
    assert!(has_escape(
        &dir.command(["check", "--color", "always"]).expect_success()
    ));
    assert!(has_escape(
        &dir.command(["check"])
            .env("CARGO_TERM_COLOR", "always")
            .expect_success()
    ));
    let run = dir
        .command(["check", "--color", "never"])
        .env("CARGO_TERM_COLOR", "always")
        .expect_success();
    assert!(!has_escape(&run), "--color wins over CARGO_TERM_COLOR");
    let run = dir.command(["check"]).env("NO_COLOR", "1").expect_success();
    assert!(!has_escape(&run));
}

#[test]
fn plain_progress_lines_when_not_a_terminal() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.ok]\nrun = \"true\"\n[pipelines]\ncheck = [\"ok\"]\n");
    let run = dir.command(["check"]).expect_success();
    run.stderr_has("Running ok").stderr_has("Passed ok");
    let quiet = dir.command(["check", "--quiet"]).expect_success();
    assert_eq!(
        quiet.stderr(),
        "",
        "--quiet prints nothing when all is well"
    );
    assert_eq!(quiet.stdout(), "");
}

#[test]
fn live_progress_on_a_terminal() {
    // `script` runs the command under a pseudo-terminal, as a user's shell would.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.wait]\nrun = \"sleep 0.5\"\n[pipelines]\ncheck = [\"wait\"]\n");
    let command = format!("{} check", crate::util::binary().display());
    let run = TestCommand::new(dir.path())
        .env("TERM", "xterm")
        .inner_program("script", ["-qec", &command, "/dev/null"])
        .expect_success();
    let raw = run.stdout();
    assert!(
        raw.contains("\u{1b}[2K"),
        "a terminal gets the live view, redrawn in place\n{}",
        run.context()
    );
    let screen = strip_escapes(&raw);
    assert!(
        screen.contains("wait   0s"),
        "a live line with the elapsed time\n{}",
        run.context()
    );
    assert!(
        screen.contains("✓ wait ("),
        "the finished task collapses to a ✓ line\n{}",
        run.context()
    );
    assert!(
        !screen.contains("Running wait"),
        "no plain log lines on a terminal\n{}",
        run.context()
    );
}

fn strip_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn an_array_command_is_shown_quoted_as_a_shell_would_need_it() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.greet]\nrun = [\"echo\", \"{a,b}\", \"!x\", \"it's\", \"plain\"]\n");
    // The one quoter: braces and `!` are quoted too, so the line copies safely.
    dir.command(["list"])
        .expect_success()
        .stdout_has(r"runs `echo '{a,b}' '!x' 'it'\''s' plain`");
}
