//! Where the binary's output goes: colour choice, writing to stdout without
//! dying on a closed pipe (`cargo perf list | head`), printing errors with
//! hints, and appending the Markdown summary to GitHub's job summary file.
//! Text that is not ours (paths, git's messages) is escaped for the terminal
//! here, as in the report's renderers.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use console::style;

use cargo_perf_engine::{RunReport, exit};
use cargo_perf_policy::escape::{escape, escape_lines};

use crate::args::ColorChoice;

/// The environment variable GitHub Actions sets to the job summary file.
pub const STEP_SUMMARY_ENV: &str = "GITHUB_STEP_SUMMARY";

/// Applies `--color`, then `CARGO_TERM_COLOR`, then `NO_COLOR`; otherwise colours follow the terminal.
pub fn configure_colors(flag: Option<ColorChoice>) {
    let from_env = || match std::env::var("CARGO_TERM_COLOR").ok().as_deref() {
        Some("always") => Some(ColorChoice::Always),
        Some("never") => Some(ColorChoice::Never),
        _ => None,
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let enabled = match flag.or_else(from_env) {
        Some(ColorChoice::Always) => Some(true),
        Some(ColorChoice::Never) => Some(false),
        _ if no_color => Some(false),
        _ => None,
    };
    if let Some(enabled) = enabled {
        console::set_colors_enabled(enabled);
        console::set_colors_enabled_stderr(enabled);
    }
}

/// Writes to stdout; a closed pipe is not an error.
pub fn print_stdout(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Prints a command line the tool runs (with `-v`), as cargo does: `Running \`cmd\``.
pub fn print_command(command: &str) {
    eprintln!(
        "{:>12} `{}`",
        style("Running").green().bold(),
        escape(command)
    );
}

/// With `-v`: the answer of `command` was taken from the cache `file`.
pub fn print_cached(command: &str, file: &Path) {
    eprintln!(
        "{:>12} `{}` (answer cached in {}, its inputs unchanged)",
        style("Fresh").green().bold(),
        escape(command),
        escape(&file.display().to_string())
    );
}

/// Prints `error: message` and, when given, `= help: hint` to stderr.
pub fn print_error(message: &str, hint: Option<&str>) {
    print_labelled(style("error:").red().bold(), message, hint);
}

/// Prints `warning: message` and, when given, `= help: hint` to stderr.
pub fn print_warning(message: &str, hint: Option<&str>) {
    print_labelled(style("warning:").yellow().bold(), message, hint);
}

/// One message with its label and hint, written in one call so it is never
/// split by another thread's line.
fn print_labelled(label: console::StyledObject<&str>, message: &str, hint: Option<&str>) {
    let mut text = format!("{label} {}\n", escape_lines(message));
    if let Some(hint) = hint {
        text.push_str(&format!(
            "  {} {}\n",
            style("= help:").cyan(),
            escape_lines(hint)
        ));
    }
    eprint!("{text}");
}

/// Writes a command's result to stdout and returns `code`, or the error
/// code when stdout cannot be written.
pub fn finish_output(text: &str, code: u8) -> u8 {
    match print_stdout(text) {
        Ok(()) => code,
        Err(err) => {
            print_error(&format!("cannot write to stdout: {err}"), None);
            exit::ERROR
        }
    }
}

/// A path for a human message: on one line, with control characters escaped.
pub fn shown_path(path: &Path) -> String {
    escape(&path.to_string_lossy()).into_owned()
}

/// Appends the Markdown summary to `$GITHUB_STEP_SUMMARY` when it is set,
/// returning the file written.
pub fn append_step_summary(report: &RunReport) -> io::Result<Option<PathBuf>> {
    let Some(path) = std::env::var_os(STEP_SUMMARY_ENV).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let path = PathBuf::from(path);
    let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
    file.write_all(cargo_perf_report::render_markdown(report).as_bytes())?;
    file.write_all(b"\n")?;
    Ok(Some(path))
}
