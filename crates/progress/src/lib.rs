//! The terminal views of a run's progress events, for the `cargo-perf`
//! binary and for a project's own xtask. On a terminal: a live view with one
//! line per running task that collapses to a ✓/✗ line when it ends.
//! Elsewhere (CI logs, pipes): plain lines with no escape codes. Each line is
//! written with one call under stderr's lock, so concurrent tasks never
//! interleave mid-line. Names, messages and command output are escaped for
//! the terminal, in the live view and the plain lines alike. The engine only sends the events; drawing them is
//! the face's job, and this crate is the part of the face a library user
//! shares with the binary.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use console::style;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use cargo_perf_engine::model::{TaskReport, TaskStatus, escape, format_duration};
use cargo_perf_engine::progress::{ProgressSink, Silent};
use cargo_perf_report::status_mark;

/// How much progress to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    /// Also every line of every command's output.
    Verbose,
}

/// Picks the live view on a terminal and plain lines elsewhere.
pub fn for_stderr(verbosity: Verbosity) -> Box<dyn ProgressSink> {
    match verbosity {
        Verbosity::Quiet => Box::new(Silent),
        _ if console::user_attended_stderr() => Box::new(LiveProgress::new(verbosity)),
        _ => Box::new(LineProgress { verbosity }),
    }
}

/// Line-oriented progress for logs.
struct LineProgress {
    verbosity: Verbosity,
}

impl ProgressSink for LineProgress {
    fn started(&self, task: &str) {
        eprintln!("{:>12} {}", style("Running").green().bold(), escape(task));
    }

    fn step(&self, task: &str, message: &str) {
        if self.verbosity == Verbosity::Verbose {
            eprintln!(
                "{:>12} {}: {}",
                style("Step").cyan(),
                escape(task),
                escape(message)
            );
        }
    }

    fn output(&self, task: &str, line: &str) {
        if self.verbosity == Verbosity::Verbose {
            eprintln!("{}", output_line(task, line));
        }
    }

    fn program_output(&self, _: &str, line: &str) {
        eprintln!("{}", escape(line));
    }

    fn finished(&self, report: &TaskReport) {
        eprintln!("{}", finished_line(report, true));
    }
}

/// The live terminal view.
struct LiveProgress {
    verbosity: Verbosity,
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl LiveProgress {
    fn new(verbosity: Verbosity) -> Self {
        Self {
            verbosity,
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn println(&self, line: String) {
        if self.multi.println(&line).is_err() {
            eprintln!("{line}");
        }
    }
}

impl ProgressSink for LiveProgress {
    fn started(&self, task: &str) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner:.cyan} {prefix:.bold} {elapsed:>4} {wide_msg:.dim}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(escape(task).into_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        self.bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(task.to_owned(), bar);
    }

    fn step(&self, task: &str, message: &str) {
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(task)
        {
            bar.set_message(escape(message).into_owned());
        }
    }

    fn output(&self, task: &str, line: &str) {
        if self.verbosity == Verbosity::Verbose {
            self.println(output_line(task, line));
        } else {
            self.step(task, line);
        }
    }

    fn program_output(&self, _: &str, line: &str) {
        self.println(escape(line).into_owned());
    }

    fn finished(&self, report: &TaskReport) {
        if let Some(bar) = self
            .bars
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&report.name)
        {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        self.println(finished_line(report, false));
    }
}

fn output_line(task: &str, line: &str) -> String {
    format!(
        "{} {}",
        style(format!("[{}]", escape(task))).dim(),
        escape(line)
    )
}

fn finished_line(report: &TaskReport, plain: bool) -> String {
    let (glyph, word, colour) = status_mark(report.status);
    let detail = report
        .summary
        .as_deref()
        .or_else(|| report.reason.as_deref().and_then(|r| r.lines().next()))
        .map(|s| format!("  {}", style(escape(s)).dim()))
        .unwrap_or_default();
    let timing = match report.status {
        TaskStatus::Skipped | TaskStatus::Cancelled if report.duration.is_zero() => String::new(),
        _ => format!(" ({})", format_duration(report.duration)),
    };
    if plain {
        let verb = format!("{}{}", word[..1].to_uppercase(), &word[1..]);
        format!(
            "{:>12} {}{timing}{detail}",
            colour.apply_to(verb),
            escape(&report.name)
        )
    } else {
        format!(
            "{} {}{timing}{detail}",
            colour.apply_to(glyph),
            style(escape(&report.name)).bold()
        )
    }
}
