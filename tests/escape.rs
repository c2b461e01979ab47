//! Text that is not the tool's own (perf.toml values, file names, command
//! output) never reaches the terminal raw: a cloned repository must not be
//! able to send escape sequences to whoever runs `list`, `check` or the hook.

use crate::util::{Dir, Run};

/// Fails when `run` printed an escape, a carriage return or a NUL anywhere.
fn assert_no_control_bytes(run: &Run) {
    for (stream, bytes) in [
        ("stdout", &run.output.stdout),
        ("stderr", &run.output.stderr),
    ] {
        for (byte, name) in [(0x1b, "ESC"), (b'\r', "CR"), (0, "NUL"), (0x07, "BEL")] {
            assert!(
                !bytes.contains(&byte),
                "{stream} holds a raw {name} byte\n{}",
                run.context()
            );
        }
    }
}

/// A workspace whose perf.toml puts escape sequences in a task's description,
/// its command and its output.
fn hostile_policy() -> Dir {
    let dir = Dir::with_package("demo");
    dir.create(".gitignore", "/target/\n/.cargo-perf/\nperf.data*\n");
    dir.policy(concat!(
        "[tasks.shout]\n",
        "description = \"\\u001b[31mred\\u001b]52;c;aGk=\\u0007 \\r\\u0000 \\u009b2J\"\n",
        "run = [\"printf\", \"\\u001b[2J\\u001b]0;title\\u0007wiped\\r\\n\"]\n",
        "\n",
        "[tasks.fails]\n",
        "run = [\"sh\", \"-c\", \"printf 'oops\\\\033[31m\\\\007x\\\\r\\\\n'; exit 3\"]\n",
        "\n",
        "[pipelines]\n",
        "check = [\"shout\", \"fails\"]\n",
    ));
    dir.git_init();
    dir
}

#[test]
fn a_description_with_escape_sequences_is_listed_escaped() {
    let dir = hostile_policy();
    let run = dir.command(["list", "--color", "never"]).expect_success();
    assert_no_control_bytes(&run);
    run.stdout_has(r"\u{1b}[31mred\u{1b}]52;c;aGk=\u{7} \r\0 \u{9b}2J");
}

#[test]
fn check_prints_commands_and_their_output_escaped_in_every_format() {
    let dir = hostile_policy();
    for format in ["human", "markdown", "github"] {
        for verbosity in ["--verbose", "--jobs=1"] {
            let run = dir
                .command(["check", "--color", "never", verbosity, "--format", format])
                .expect_code(1);
            assert_no_control_bytes(&run);
        }
    }
    let run = dir.command(["check", "--color", "never"]).expect_code(1);
    run.stdout_has(r"printf '\u{1b}[2J\u{1b}]0;title\u{7}wiped\r\n'")
        // The output tail drops colour codes and other control characters.
        .stdout_has("│ oopsx");
}

#[test]
fn a_tracked_file_name_with_a_newline_and_an_escape_is_reported_escaped() {
    let dir = Dir::with_package("demo");
    dir.create(".gitignore", "/target/\n/.cargo-perf/\nperf.data*\n*.o\n");
    dir.git_init();
    let name = "evil\n\u{1b}[31mname\r.o";
    dir.create(name, "x");
    dir.git(["add", "-f", "--", name]);
    dir.git(["commit", "-q", "-m", "evil"]);
    for format in ["human", "markdown", "github"] {
        let run = dir
            .command(["gitignore", "--color", "never", "--format", format])
            .expect_code(1);
        assert_no_control_bytes(&run);
    }
    let run = dir
        .command(["gitignore", "--color", "never"])
        .expect_code(1);
    assert_no_control_bytes(&run);
    run.stdout_has(r"--> evil\n\u{1b}[31mname\r.o").stdout_has(
        r"error[gitignore-tracked-ignored] gitignore: evil\n\u{1b}[31mname\r.o is tracked but ignored",
    );
    // The JSON report keeps the real name.
    let run = dir
        .command(["gitignore", "--format", "json"])
        .expect_code(1);
    let findings = run.json()["tasks"][0]["findings"].clone();
    assert!(
        findings
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["file"] == name),
        "{findings:#}"
    );
}

#[test]
fn raw_control_characters_in_perf_toml_are_escaped_in_error_snippets() {
    let dir = Dir::with_package("demo");
    dir.create("perf.toml", b"[tasks.x]\nrun = \"a\rb\0c\"\n");
    let run = dir.command(["list", "--color", "never"]).expect_code(2);
    assert_no_control_bytes(&run);
    run.stderr_has("perf.toml:2:")
        .stderr_has(r#"2 | run = "a\rb\0c""#);

    // An escape in a key reaches the message.
    dir.create("perf.toml", "[tasks.\"a\\u001b[2Jb\"]\nrun = \"true\"\n");
    let run = dir.command(["list", "--color", "never"]).expect_code(2);
    assert_no_control_bytes(&run);
    run.stderr_has(r"invalid task name `a\u{1b}[2Jb`")
        .stderr_has(r#"1 | [tasks."a\u001b[2Jb"]"#);

    // A raw ESC outside a string: the caret sits under the escaped text.
    dir.create("perf.toml", "[tasks.x]\nrun = \"ab\"\u{1b}[2J\n");
    let run = dir.command(["list", "--color", "never"]).expect_code(2);
    assert_no_control_bytes(&run);
    run.stderr_has("2 | run = \"ab\"\\u{1b}[2J\n  |           ^");
}

#[test]
fn the_later_lines_of_a_task_error_are_shown_as_its_output() {
    let dir = Dir::new();
    dir.create(
        "Cargo.toml",
        "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    dir.create("src/main.rs", "fn main() { let x: u32 = \"no\"; }\n");
    let run = dir
        .command(["profile", "--callgrind", "--color", "never"])
        .env("CARGO_TARGET_DIR", crate::util::shared_target_dir())
        .expect_code(2);
    assert_no_control_bytes(&run);
    let stdout = run.stdout();
    let finding = stdout
        .lines()
        .find(|l| l.starts_with("error[engine-task-error] profile: building"))
        .unwrap_or_else(|| panic!("no task-error finding\n{}", run.context()));
    assert!(
        finding.contains("exited with status 101"),
        "{}",
        run.context()
    );
    run.stdout_has("lines of output:").stdout_has("│ error");
    let json = dir
        .command(["profile", "--callgrind", "--format", "json"])
        .env("CARGO_TARGET_DIR", crate::util::shared_target_dir())
        .expect_code(2)
        .json();
    let task = &json["tasks"][0];
    assert!(
        !task["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains('\n'),
        "{task:#}"
    );
    assert!(
        task["log_tail"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("mismatched types")),
        "{task:#}"
    );
}
