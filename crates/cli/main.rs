//! The `cargo-perf` binary: parse the command line, call the library, render,
//! and map the outcome to a documented exit code. Nothing else lives here.

mod args;
mod commands;
mod env;
mod hook;
mod lint;
mod output;
mod report;
mod session;

use std::process::ExitCode;

use clap::Parser;

use cargo_perf_engine::exit;

fn main() -> ExitCode {
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `cargo perf ...` runs us as `cargo-perf perf ...`.
    if argv.get(1).is_some_and(|a| a == "perf") {
        argv.remove(1);
    }
    let mut cli = match args::Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit::ERROR
            } else {
                exit::SUCCESS
            });
        }
    };
    output::configure_colors(cli.global.color);
    if let Err(bad) = env::apply(&mut cli.global) {
        output::print_error(&bad.message, Some(&bad.hint));
        return ExitCode::from(exit::ERROR);
    }
    ExitCode::from(commands::dispatch(cli))
}
