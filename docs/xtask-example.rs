//! An xtask that runs cargo-perf's tasks through the library: `cargo xtask
//! check` (or any task or pipeline name) runs exactly what `cargo perf check`
//! runs, with the same policy, progress output, report and exit code. It
//! depends on `cargo-perf-tasks` and, for the progress view, `cargo-perf-progress`.

use std::process::ExitCode;

use cargo_perf_progress::{self as progress, Verbosity};
use cargo_perf_report as report;
use cargo_perf_tasks::{OpenOptions, Session};

fn main() -> ExitCode {
    let name = std::env::args().nth(1).unwrap_or_else(|| "check".to_owned());
    let session = match Session::open(&OpenOptions::default()) {
        Ok(session) => session,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let plan = match session.plan(std::slice::from_ref(&name)) {
        Ok(plan) => plan,
        Err(err) => {
            eprint!("{}", session.render(&err.0));
            return ExitCode::from(2);
        }
    };
    let progress = progress::for_stderr(Verbosity::Normal);
    let result = session.run(&name, &plan, session.run_options(), &*progress);
    print!("{}", report::render(&result, report::Format::Human, false));
    ExitCode::from(result.exit_code)
}
