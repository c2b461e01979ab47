//! The corpus's closing table: per entry and step, the exit code, the time,
//! the finding codes, and whether that ending was expected (and why).

use std::time::Duration;

use super::corpus::Entry;
use super::step::Outcome;

/// What one entry's steps gave.
pub struct EntryResult<'a> {
    pub entry: &'a Entry,
    pub outcomes: Vec<Outcome>,
    pub duration: Duration,
}

/// Whether a step ended as it may.
enum Verdict {
    Ok,
    /// A policy failure that is true of the crate: the allow-list's reason.
    Allowed(&'static str),
    Unexpected(String),
}

fn verdict(entry: &Entry, outcome: &Outcome) -> Verdict {
    if outcome.panicked {
        return Verdict::Unexpected("panicked".to_owned());
    }
    match outcome.code {
        Some(0) => Verdict::Ok,
        Some(1) => match entry.allowed(&outcome.step) {
            Some((Some(code), _)) if !outcome.findings.contains_key(code) => {
                Verdict::Unexpected(format!("exit 1 without the expected `{code}`"))
            }
            Some((_, reason)) => Verdict::Allowed(reason),
            None => Verdict::Unexpected("exit 1 not on the allow-list".to_owned()),
        },
        Some(2) => Verdict::Unexpected("tool error".to_owned()),
        Some(101) => Verdict::Unexpected("panic".to_owned()),
        Some(code) => Verdict::Unexpected(format!("exit {code}")),
        None => Verdict::Unexpected("killed by a signal".to_owned()),
    }
}

/// Prints the table to stderr and returns how many steps ended unexpectedly.
pub fn print(results: &[EntryResult<'_>], total: Duration) -> usize {
    let mut failures = 0;
    eprintln!("\nreal-world corpus ({:.0?} in all)", total);
    eprintln!(
        "{:<11} {:<10} {:>4} {:>7}  {:<52} verdict",
        "entry", "step", "exit", "time", "findings"
    );
    for result in results {
        let versions: Vec<String> = result
            .entry
            .crates
            .iter()
            .map(|(n, v)| format!("{n} {v}"))
            .collect();
        eprintln!(
            "-- {} ({}; {}; {:.0?})",
            result.entry.name,
            versions.join(", "),
            result.entry.shape,
            result.duration
        );
        for outcome in &result.outcomes {
            let verdict = match verdict(result.entry, outcome) {
                Verdict::Ok => "ok".to_owned(),
                Verdict::Allowed(reason) => format!("expected: {reason}"),
                Verdict::Unexpected(why) => {
                    failures += 1;
                    format!("UNEXPECTED: {why} (log: {})", outcome.log.display())
                }
            };
            eprintln!(
                "{:<11} {:<10} {:>4} {:>6.1}s  {:<52} {verdict}",
                result.entry.name,
                outcome.step,
                outcome.code.map_or("sig".to_owned(), |c| c.to_string()),
                outcome.duration.as_secs_f64(),
                findings(outcome),
            );
        }
    }
    failures
}

fn findings(outcome: &Outcome) -> String {
    if outcome.findings.is_empty() {
        return "-".to_owned();
    }
    outcome
        .findings
        .iter()
        .map(|(code, n)| {
            if *n > 1 {
                format!("{code}×{n}")
            } else {
                code.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
