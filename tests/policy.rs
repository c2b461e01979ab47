//! perf.toml through the real binary: each error in a bad file names the
//! file, line and column, quotes the line, says how to fix it, and exits 2;
//! and the kinds of value every section shares (commands, globs, choices,
//! names of the workspace) mean the same in every section.

use crate::util::Dir;

fn check_with(policy: &str) -> crate::util::Run {
    let dir = Dir::with_package("demo");
    dir.policy(policy);
    dir.command(["check"]).expect_code(2)
}

#[test]
fn unknown_key_suggests_the_closest_with_location() {
    let run = check_with("[tasks.fmt]\ndescription = \"x\"\nrn = \"cargo fmt\"\n");
    run.stderr_has("error: unknown key `rn` in [tasks.fmt]")
        .stderr_has("--> perf.toml:3:1")
        .stderr_has("3 | rn = \"cargo fmt\"")
        .stderr_has("did you mean `run`?");
    check_with("[setings]\njobs = 1\n").stderr_has("did you mean `settings`?");
}

#[test]
fn wrong_types_say_what_was_expected() {
    check_with("[settings]\njobs = \"two\"\n")
        .stderr_has("wrong type for `jobs`: expected an integer, found a string")
        .stderr_has("perf.toml:2:8");
    check_with("[settings]\njobs = 0\n").stderr_has("expected an integer from 1 to 1024");
    check_with("[tasks.x]\nrun = 5\n").stderr_has("expected a string or an array of strings");
    check_with("tasks = 3\n").stderr_has("wrong type for `tasks`: expected a table");
}

#[test]
fn bad_durations_have_the_same_quality() {
    check_with("[tasks.x]\nrun = \"true\"\ntimeout = \"5 parsecs\"\n")
        .stderr_has("invalid value for `timeout`: unknown duration unit `parsecs`")
        .stderr_has("perf.toml:3:11")
        .stderr_has("e.g. \"90s\"");
    check_with("[tasks.x]\nrun = \"true\"\ntimeout = 90\n").stderr_has("expected a duration");
}

#[test]
fn every_problem_is_reported_at_once() {
    check_with("[settings]\njobs = \"x\"\nfail-fast = \"yes\"\n\n[tasks.a]\nrn = \"true\"\n")
        .stderr_has("wrong type for `jobs`")
        .stderr_has("wrong type for `fail-fast`")
        .stderr_has("unknown key `rn`")
        .stderr_has("task `a` has no `run` command")
        .stderr_has("perf.toml has 4 problems");
}

#[test]
fn empty_binary_huge_and_broken_files() {
    check_with("")
        .stderr_has("perf.toml is empty")
        .stderr_has("cargo perf init --force");
    check_with("[tasks.x\nrun = 1")
        .stderr_has("invalid TOML")
        .stderr_has("perf.toml:1:");

    let dir = Dir::with_package("demo");
    dir.create("perf.toml", b"[tasks.x]\nrun = \"\xff\xfe\"\n");
    dir.command(["check"])
        .expect_code(2)
        .stderr_has("perf.toml is not valid UTF-8")
        .stderr_has("perf.toml:2:8");

    dir.create("perf.toml", format!("# {}\n", "x".repeat(2 << 20)));
    dir.command(["check"])
        .expect_code(2)
        .stderr_has("more than a policy file can be");
}

#[test]
fn config_flag_reads_another_file() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.from-default]\nrun = \"true\"\n");
    dir.create("ci/perf-ci.toml", "[tasks.from-ci]\nrun = \"true\"\n");
    dir.command(["list", "--config", "ci/perf-ci.toml"])
        .expect_success()
        .stdout_has("from-ci")
        .stdout_lacks("from-default");
    dir.command(["list", "--config", "nope.toml"])
        .expect_code(2)
        .stderr_has("cannot read nope.toml");
    dir.create("ci/bad.toml", "[tasks.x]\nrun = \"true\"\nbogus = 1\n");
    dir.command(["list", "--config", "ci/bad.toml"])
        .expect_code(2)
        .stderr_has("--> ci/bad.toml:3:1");
}

#[test]
fn a_perf_toml_link_that_cannot_be_followed_is_an_error_not_the_defaults() {
    let dir = Dir::with_package("demo");
    let link = dir.join("perf.toml");
    std::os::unix::fs::symlink("policies/missing.toml", &link).unwrap();
    for args in [&["check"][..], &["list"], &["run", "gitignore"]] {
        dir.command(args)
            .expect_code(2)
            .stderr_has("cannot read perf.toml: it is a symbolic link to policies/missing.toml, which cannot be followed")
            .stderr_has("fix or remove the link");
    }
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink("perf.toml", &link).unwrap();
    dir.command(["check"])
        .expect_code(2)
        .stderr_has("it is a symbolic link to perf.toml");

    // A link that leads to a policy is that policy.
    std::fs::remove_file(&link).unwrap();
    dir.create("policies/real.toml", "[tasks.linked]\nrun = \"true\"\n");
    std::os::unix::fs::symlink("policies/real.toml", &link).unwrap();
    dir.command(["list"]).expect_success().stdout_has("linked");
}

#[test]
fn every_section_parses_percentages_the_same_way() {
    for (policy, location) in [
        ("[profile]\nmin-width = \"5%%\"\n", "perf.toml:2:13"),
        ("[bench]\nthreshold = \"5%%\"\n", "perf.toml:2:13"),
        ("[bench]\nconfidence = \"95%%\"\n", "perf.toml:2:14"),
    ] {
        check_with(policy)
            .stderr_has("` is not a percentage")
            .stderr_has(location)
            .stderr_has("write a number followed by `%`");
    }
    check_with("[profile]\nmin-width = \"0.5\"\n").stderr_has("does not end with `%`");
    check_with("[profile]\nmin-width = \"200%\"\n")
        .stderr_has("`min-width` must be from 0% to 100%");
    let dir = Dir::with_package("demo");
    dir.command(["profile", "--min-width", "5%%", "--cmd", "--", "true"])
        .expect_code(2)
        .stderr_has("is not a percentage");
}

#[test]
fn output_locations_in_perf_toml_stay_inside_the_workspace() {
    for (section, key) in [("bench", "history"), ("profile", "output-dir")] {
        let column = key.len() + 4;
        for (value, message) in [
            ("", "is empty"),
            ("   ", "is empty"),
            ("../elsewhere", "leaves the workspace through `..`"),
            ("out/../..", "leaves the workspace through `..`"),
            ("/tmp/outputs", "is an absolute path"),
            ("~/outputs", "is an absolute path"),
            (".git", "is inside `.git`"),
            ("sub/.git/hooks", "is inside `.git`"),
            (".", "names the workspace root itself"),
        ] {
            check_with(&format!("[{section}]\n{key} = \"{value}\"\n"))
                .stderr_has(&format!("error: `{key}` {message}"))
                .stderr_has(&format!("perf.toml:2:{column}"))
                .stderr_has("name a directory inside the workspace");
        }
    }
}

#[test]
fn names_that_clash_are_rejected() {
    check_with("[tasks.x]\nrun = \"true\"\n[pipelines]\nx = [\"x\"]\n")
        .stderr_has("`x` is both a task and a pipeline");
    check_with("[tasks.\"bad name\"]\nrun = \"true\"\n").stderr_has("invalid task name `bad name`");
    check_with("[tasks.x]\nrun = \"echo 'unclosed\"\n").stderr_has("a quote is not closed");
}

#[test]
fn diagnostic_snapshot() {
    let run = check_with(
        "[settings]\njobs = 2\n\n[tasks.fmt]\nrn = \"cargo fmt\"\ntimeout = \"3 fortnights\"\n",
    );
    assert_eq!(
        run.stderr(),
        r#"error: unknown key `rn` in [tasks.fmt]
 --> perf.toml:5:1
  |
5 | rn = "cargo fmt"
  | ^^ unknown key
  = help: did you mean `run`?

error: invalid value for `timeout`: unknown duration unit `fortnights`
 --> perf.toml:6:11
  |
6 | timeout = "3 fortnights"
  |           ^^^^^^^^^^^^^^ cannot parse this
  = help: write a number and a unit, e.g. "90s", "10m", "1h30m" or "30d" (units: ms, s, m, h, d, w)

error: task `fmt` has no `run` command
 --> perf.toml:4:1
  |
4 | [tasks.fmt]
  | ^^^^^^^^^^^ this task needs `run`
  = help: add the command to run, e.g. `run = "cargo test --workspace"`

error: perf.toml has 3 problems
"#
    );
}

fn with_policy(policy: &str) -> Dir {
    let dir = Dir::with_package("demo");
    dir.policy(policy);
    dir
}

#[test]
fn choices_name_the_closest_word_at_their_place() {
    check_with("[build]\ncommand = \"chek\"\n")
        .stderr_has("unknown build command `chek`")
        .stderr_has("--> perf.toml:2:11")
        .stderr_has("expected `build` or `check`")
        .stderr_has("did you mean `command = \"check\"`?");
    check_with("[profile]\ncall-graph = \"dwraf\"\n")
        .stderr_has("unknown call-graph mode `dwraf`")
        .stderr_has("--> perf.toml:2:14")
        .stderr_has("did you mean `call-graph = \"dwarf\"`?");
    check_with("[clean]\ntoolchains = \"instaled\"\n")
        .stderr_has("unknown `toolchains` value `instaled`")
        .stderr_has("did you mean `toolchains = \"installed\"`?");
    check_with("[bench]\nmode = \"cycles\"\n")
        .stderr_has("unknown bench mode `cycles`")
        .stderr_has("write `mode = \"time\"` (the default) or `mode = \"instructions\"`");
}

#[test]
fn names_must_not_be_empty() {
    check_with("[profile]\npackage = \"\"\n")
        .stderr_has("`package` is empty")
        .stderr_has("--> perf.toml:2:11")
        .stderr_has("remove `package` to use its default");
    check_with("[build]\ntarget = \" \"\n")
        .stderr_has("`target` is empty")
        .stderr_has("--> perf.toml:2:10");
    check_with("[profile]\nbin = \"\"\n").stderr_has("`bin` is empty");
}

#[test]
fn a_command_is_a_string_for_sh_or_an_argv_array_everywhere() {
    // A string with shell syntax runs under `sh -c`, in a task as in a benchmark.
    let dir = with_policy(
        "[tasks.piped]\nrun = \"echo hello | tr h j > piped.txt\"\n\n[tasks.quits]\nrun = \"exit 3\"\n\n[bench.commands.array]\nrun = [\"sh\", \"-c\", \"echo run >> array.log\"]\nsetup = [\"touch\", \"setup ran\"]\nruns = 2\nwarmup = 0\n",
    );
    dir.command(["run", "piped"]).expect_success();
    assert_eq!(dir.read("piped.txt"), "jello\n");
    dir.command(["run", "quits"])
        .expect_code(1)
        .stdout_has("exited with status 3");
    // An array is an argv in `[bench.commands]` too, for `run` and `setup`.
    dir.command(["bench"]).expect_success();
    assert_eq!(dir.read("array.log"), "run\nrun\n");
    assert!(dir.join("setup ran").is_file());
}

#[test]
fn bad_commands_are_located_wherever_they_are() {
    check_with("[bench.commands.x]\nrun = \"echo 'unclosed\"\n")
        .stderr_has("cannot read `run`: a quote is not closed")
        .stderr_has("--> perf.toml:2:7");
    check_with("[bench.commands.x]\nrun = []\n")
        .stderr_has("`run` is empty")
        .stderr_has("--> perf.toml:2:7");
    check_with("[bench.commands.x]\nrun = \"true\"\nsetup = 3\n")
        .stderr_has("wrong type for `setup`: expected a string or an array of strings")
        .stderr_has("--> perf.toml:3:9");
    check_with("[tasks.x]\nrun = [\"\"]\n").stderr_has("`run` is empty");
}

#[test]
fn globs_match_like_gitignore_in_clean() {
    let dir = with_policy(
        "[[clean.extra]]\nglob = \"perf.data*\"\n\n[[clean.extra]]\nglob = \"/trace.json\"\n",
    );
    dir.create("perf.data", "x");
    dir.create("sub/perf.data.old", "x");
    dir.create("trace.json", "x");
    dir.create("sub/trace.json", "x");
    dir.command(["clean"])
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .expect_success();
    // Without `/`: any depth. With a leading `/`: the workspace root only.
    assert!(!dir.join("perf.data").exists());
    assert!(!dir.join("sub/perf.data.old").exists());
    assert!(!dir.join("trace.json").exists());
    assert!(dir.join("sub/trace.json").exists());
}

#[test]
fn globs_match_like_gitignore_in_allow_large() {
    let dir = with_policy("[gitignore]\nmax-file-size = \"100 B\"\nallow-large = [\"/*.bin\"]\n");
    dir.create(".gitignore", "/target/\n/.cargo-perf/\nperf.data*\n");
    dir.create("root.bin", vec![1u8; 3000]);
    dir.create("sub/deep.bin", vec![1u8; 3000]);
    dir.git_init();
    let run = dir.command(["gitignore"]).expect_code(1);
    run.stdout_has("sub/deep.bin").stdout_lacks("root.bin");
}

#[test]
fn bad_globs_are_located_with_the_rule() {
    check_with("[gitignore]\nallow-large = [\"assets/\"]\n")
        .stderr_has("invalid glob in `allow-large`: a glob cannot end with `/`")
        .stderr_has("--> perf.toml:2:16")
        .stderr_has("a glob without `/` matches a name at any depth");
    check_with("[[clean.extra]]\nglob = \"a/../../x\"\n")
        .stderr_has("invalid glob in `glob`: the glob must stay inside the workspace")
        .stderr_has("--> perf.toml:2:8");
}

#[test]
fn names_are_checked_against_the_workspace() {
    let dir = with_policy(
        "[bench.commands.nap]\nrun = \"true\"\n\n[bench.budgets]\nnpa = \"1s\"\n\n[build]\nmembers = [\"dmeo\"]\n",
    );
    let run = dir.command(["bench"]).expect_code(2);
    run.stderr_has("`[bench.budgets]` names `npa`, which is not a benchmark of this workspace")
        .stderr_has("--> perf.toml:5:1")
        .stderr_has("did you mean `nap`?")
        .stderr_has("`[build] members` names `dmeo`, which is not a member of this workspace")
        .stderr_has("--> perf.toml:8:12")
        .stderr_has("did you mean `demo`?")
        .stderr_has("perf.toml has 2 problems");
    // A budget for a bench target the workspace lacks is caught before any run.
    dir.policy("[bench.budgets]\n\"parse/small\" = \"1ms\"\n");
    dir.command(["check"])
        .expect_code(2)
        .stderr_has("`[bench.budgets]` names `parse/small`")
        .stderr_has("(no bench targets)");
}

#[test]
fn the_policy_may_live_in_dot_config() {
    let dir = Dir::with_package("demo");
    dir.create(
        ".config/perf.toml",
        "[tasks.from-config-dir]\nrun = \"true\"\n",
    );
    dir.command(["list"])
        .expect_success()
        .stdout_has("from-config-dir");
    dir.create(
        ".config/perf.toml",
        "[tasks.x]\nrun = \"true\"\nbogus = 1\n",
    );
    dir.command(["list"])
        .expect_code(2)
        .stderr_has("--> .config/perf.toml:3:1");
    // init refuses to write a second policy next to it, and --force replaces that one.
    dir.command(["init"])
        .expect_code(2)
        .stderr_has(".config/perf.toml already exists");
    dir.command(["init", "--force"]).expect_success();
    assert!(dir.read(".config/perf.toml").contains("[tasks.clippy]"));
    assert!(!dir.join("perf.toml").exists());
}

#[test]
fn a_policy_in_both_places_is_an_error_naming_both() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.root]\nrun = \"true\"\n");
    dir.create(".config/perf.toml", "[tasks.nested]\nrun = \"true\"\n");
    dir.command(["check"])
        .expect_code(2)
        .stderr_has("there is a policy in both perf.toml and .config/perf.toml")
        .stderr_has("--config");
    std::fs::create_dir_all(dir.join("src/deep")).unwrap();
    dir.command(["list"])
        .current_dir(dir.join("src/deep"))
        .expect_code(2)
        .stderr_has(&format!(
            "{} and {}",
            dir.join("perf.toml").display(),
            dir.join(".config/perf.toml").display()
        ));
    // Naming one of them settles it.
    dir.command(["list", "--config", ".config/perf.toml"])
        .expect_success()
        .stdout_has("nested")
        .stdout_lacks("root");
}

#[test]
fn environment_overrides_and_flags_win_over_them() {
    let dir = Dir::with_package("demo");
    dir.policy("[tasks.from-default]\nrun = \"true\"\n");
    dir.create("ci/perf-ci.toml", "[tasks.from-ci]\nrun = \"true\"\n");
    dir.create("ci/other.toml", "[tasks.from-other]\nrun = \"true\"\n");
    dir.command(["list"])
        .env("CARGO_PERF_CONFIG", "ci/perf-ci.toml")
        .expect_success()
        .stdout_has("from-ci")
        .stdout_lacks("from-default");
    dir.command(["list", "--config", "ci/other.toml"])
        .env("CARGO_PERF_CONFIG", "ci/perf-ci.toml")
        .expect_success()
        .stdout_has("from-other")
        .stdout_lacks("from-ci");
    dir.command(["list"])
        .env("CARGO_PERF_CONFIG", "")
        .expect_success()
        .stdout_has("from-default");

    let run = dir
        .command(["list"])
        .env("CARGO_PERF_FORMAT", "json")
        .expect_success();
    assert!(run.json()["tasks"].is_array(), "{}", run.context());
    dir.command(["list", "--format", "human"])
        .env("CARGO_PERF_FORMAT", "json")
        .expect_success()
        .stdout_has("Tasks");
    dir.command(["list"])
        .env("CARGO_PERF_FORMAT", "xml")
        .expect_code(2)
        .stderr_has("CARGO_PERF_FORMAT=xml is not an output format")
        .stderr_has("human, json, github, markdown");

    // Each task waits (up to 2 s) for the other to start: only two at once pass.
    let task = |me: &str, other: &str| {
        format!(
            "[tasks.{me}]\nrun = [\"sh\", \"-c\", \"touch {me}.started; i=0; while [ ! -e {other}.started ]; do i=$((i+1)); [ $i -gt 200 ] && exit 9; sleep 0.01; done\"]\n"
        )
    };
    dir.policy(&format!(
        "{}{}[pipelines]\npair = [\"left\", \"right\"]\n",
        task("left", "right"),
        task("right", "left")
    ));
    let clear = || {
        for name in ["left.started", "right.started"] {
            let _ = std::fs::remove_file(dir.join(name));
        }
    };
    dir.command(["run", "pair"])
        .env("CARGO_PERF_JOBS", "1")
        .expect_code(1);
    clear();
    dir.command(["run", "pair", "--jobs", "2"])
        .env("CARGO_PERF_JOBS", "1")
        .expect_success();
    clear();
    dir.command(["run", "pair"])
        .env("CARGO_PERF_JOBS", "0")
        .expect_code(2)
        .stderr_has("CARGO_PERF_JOBS=0 is not a number of tasks");
}

#[test]
fn keep_settings_are_checked_with_their_place() {
    check_with("[profile]\nkeep = 0\n")
        .stderr_has("`keep` is out of range")
        .stderr_has("perf.toml:2:8")
        .stderr_has("expected an integer from 1 to 100000");
    check_with("[bench]\nkeep-runs = \"all\"\n")
        .stderr_has("wrong type for `keep-runs`: expected an integer, found a string")
        .stderr_has("perf.toml:2:13");
    check_with("[bench]\nkeep-runs = -1\n").stderr_has("`keep-runs` is out of range");
}
