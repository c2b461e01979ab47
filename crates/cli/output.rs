//! Terminal concerns of the binary: colour choice, writing to stdout without
//! dying on a closed pipe (`cargo perf list | head`), and printing errors with hints.

use std::io::{self, Write};

use console::style;

use crate::args::ColorChoice;

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

/// Prints `error: message` and, when given, `= help: hint` to stderr.
pub fn print_error(message: &str, hint: Option<&str>) {
    let mut text = format!("{} {message}\n", style("error:").red().bold());
    if let Some(hint) = hint {
        text.push_str(&format!("  {} {hint}\n", style("= help:").cyan()));
    }
    eprint!("{text}");
}

/// Prints `warning: message` and, when given, `= help: hint` to stderr.
pub fn print_warning(message: &str, hint: Option<&str>) {
    let mut text = format!("{} {message}\n", style("warning:").yellow().bold());
    if let Some(hint) = hint {
        text.push_str(&format!("  {} {hint}\n", style("= help:").cyan()));
    }
    eprint!("{text}");
}
