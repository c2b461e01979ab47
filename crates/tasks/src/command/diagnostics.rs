//! Compiler diagnostics in a custom command's output, read line by line as
//! the command runs: rustc's and clippy's human format (`error[E0308]: ...`
//! then ` --> src/lib.rs:12:5`) and `cargo fmt --check`'s `Diff in
//! /path/src/lib.rs:12:`. Each becomes a finding with its file, line and
//! column, as clippy's own GitHub problem matcher would give, so CI shows an
//! annotation on the line and not one for the whole task.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use cargo_perf_engine::{Finding, Severity};

use super::CommandCode;

/// How many diagnostics one run keeps; the rest are counted, not kept.
pub(crate) const MAX_DIAGNOSTICS: usize = 200;

/// How many lines after a diagnostic's header its ` --> ` location may come.
const LOCATION_WITHIN: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Error,
    Warning,
    FmtDiff,
}

/// One diagnostic with its place in the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Diagnostic {
    kind: Kind,
    /// `E0308`, `clippy::needless_return`, `unused_variables`: what rustc names.
    code: Option<String>,
    message: String,
    file: PathBuf,
    line: u32,
    column: Option<u32>,
}

/// A header seen (`error[E0308]: mismatched types`), waiting for its location.
struct Pending {
    kind: Kind,
    code: Option<String>,
    message: String,
    lines_since: usize,
}

/// The line parser: fed every line of output (escape sequences removed).
pub(crate) struct Diagnostics {
    root: PathBuf,
    cwd: PathBuf,
    pending: Option<Pending>,
    found: Vec<Diagnostic>,
    seen: HashSet<Diagnostic>,
    /// Diagnostics past [`MAX_DIAGNOSTICS`], counted only.
    dropped: usize,
}

impl Diagnostics {
    /// Paths are made relative to `root`; a relative path rustc printed is
    /// looked up under `root` (cargo's way), then under the command's `cwd`.
    pub(crate) fn new(root: &Path, cwd: &Path) -> Self {
        Self {
            root: root.to_owned(),
            cwd: cwd.to_owned(),
            pending: None,
            found: Vec::new(),
            seen: HashSet::new(),
            dropped: 0,
        }
    }

    pub(crate) fn push(&mut self, line: &str) {
        if let Some(header) = header(line) {
            self.pending = Some(header);
            return;
        }
        if let Some((path, line_no)) = fmt_diff(line) {
            self.pending = None;
            self.keep(
                Kind::FmtDiff,
                None,
                "not formatted as rustfmt formats it".into(),
                path,
                line_no,
                None,
            );
            return;
        }
        let Some(pending) = self.pending.as_mut() else {
            return;
        };
        if let Some((path, line_no, column)) = location(line) {
            let pending = self.pending.take().expect("checked above");
            self.keep(
                pending.kind,
                pending.code,
                pending.message,
                path,
                line_no,
                column,
            );
            return;
        }
        pending.lines_since += 1;
        if pending.lines_since > LOCATION_WITHIN {
            self.pending = None;
        }
    }

    fn keep(
        &mut self,
        kind: Kind,
        code: Option<String>,
        message: String,
        path: &str,
        line: u32,
        column: Option<u32>,
    ) {
        let Some(file) = self.relative(Path::new(path)) else {
            return;
        };
        let diagnostic = Diagnostic {
            kind,
            code,
            message,
            file,
            line,
            column,
        };
        if self.seen.contains(&diagnostic) {
            return;
        }
        // What is remembered for deduplication is bounded too.
        if self.seen.len() < 4 * MAX_DIAGNOSTICS {
            self.seen.insert(diagnostic.clone());
        }
        if self.found.len() == MAX_DIAGNOSTICS {
            self.dropped += 1;
            return;
        }
        self.found.push(diagnostic);
    }

    /// `path` relative to the workspace root; `None` for a file outside it
    /// (a registry crate's source): no annotation can point there.
    fn relative(&self, path: &Path) -> Option<PathBuf> {
        let absolute = if path.is_absolute() {
            path.to_owned()
        } else if self.root.join(path).exists() || !self.cwd.join(path).exists() {
            self.root.join(path)
        } else {
            self.cwd.join(path)
        };
        let relative = normalize(absolute.strip_prefix(&self.root).ok()?)?;
        Some(relative)
    }

    /// The findings: with their own severity when the command failed; a
    /// passing command's warnings as information only, and its errors (text
    /// a test printed, say) not at all.
    pub(crate) fn into_findings(self, failed: bool) -> Vec<Finding> {
        let mut findings: Vec<Finding> = self
            .found
            .into_iter()
            .filter_map(|d| finding(d, failed))
            .collect();
        if self.dropped > 0 {
            findings.push(Finding::info(
                CommandCode::DiagnosticsTruncated,
                format!(
                    "{} more compiler diagnostics are not shown (the first {MAX_DIAGNOSTICS} are)",
                    self.dropped
                ),
            ));
        }
        findings
    }
}

fn finding(d: Diagnostic, failed: bool) -> Option<Finding> {
    let (severity, code) = match (d.kind, failed) {
        (Kind::Error, true) => (Severity::Error, CommandCode::RustcError),
        (Kind::Warning, true) => (Severity::Warning, CommandCode::RustcWarning),
        (Kind::Warning, false) => (Severity::Info, CommandCode::RustcWarning),
        (Kind::FmtDiff, true) => (Severity::Error, CommandCode::FmtDiff),
        (Kind::Error | Kind::FmtDiff, false) => return None,
    };
    let message = match &d.code {
        Some(name) => format!("{} [{name}]", d.message),
        None => d.message,
    };
    let mut finding = Finding::new(severity, code, message)
        .file(d.file)
        .line(d.line);
    if let Some(column) = d.column {
        finding = finding.column(column);
    }
    Some(finding.help(help(d.kind, d.code.as_deref())))
}

fn help(kind: Kind, code: Option<&str>) -> String {
    match (kind, code) {
        (Kind::FmtDiff, _) => "run `cargo fmt` to format it".to_owned(),
        (_, Some(code)) if code.starts_with('E') => format!("see `rustc --explain {code}`"),
        (_, Some(lint)) if lint.starts_with("clippy::") => format!(
            "see https://rust-lang.github.io/rust-clippy/master/index.html#{}",
            &lint["clippy::".len()..]
        ),
        _ => "the command's output has the whole diagnostic".to_owned(),
    }
}

/// `error[E0308]: mismatched types`, `warning: unused variable: `x``; not
/// cargo's own summaries (`error: could not compile ...`), which have no
/// location anyway.
fn header(line: &str) -> Option<Pending> {
    let (kind, rest) = if let Some(rest) = line.strip_prefix("error") {
        (Kind::Error, rest)
    } else if let Some(rest) = line.strip_prefix("warning") {
        (Kind::Warning, rest)
    } else {
        return None;
    };
    let (code, rest) = match rest.strip_prefix('[') {
        Some(bracketed) => {
            let (code, after) = bracketed.split_once(']')?;
            if code.is_empty() || code.contains(char::is_whitespace) {
                return None;
            }
            (Some(code.to_owned()), after)
        }
        None => (None, rest),
    };
    let message = rest.strip_prefix(": ")?.trim();
    if message.is_empty() {
        return None;
    }
    Some(Pending {
        kind,
        code,
        message: message.to_owned(),
        lines_since: 0,
    })
}

/// ` --> src/lib.rs:12:5` (also `::: path` of a secondary span is not taken).
fn location(line: &str) -> Option<(&str, u32, Option<u32>)> {
    let rest = line.trim_start().strip_prefix("--> ")?.trim_end();
    let (rest, last) = rest.rsplit_once(':')?;
    let last: u32 = last.parse().ok()?;
    match rest.rsplit_once(':') {
        Some((path, line_no)) if line_no.parse::<u32>().is_ok() => {
            Some((path, line_no.parse().ok()?, Some(last)))
        }
        _ => Some((rest, last, None)),
    }
}

/// `Diff in /abs/src/lib.rs:12:` (rustfmt 1.5 on) or `Diff in /abs/src/lib.rs at line 12:`.
fn fmt_diff(line: &str) -> Option<(&str, u32)> {
    let rest = line
        .strip_prefix("Diff in ")?
        .trim_end()
        .strip_suffix(':')?;
    if let Some((path, line_no)) = rest.rsplit_once(" at line ") {
        return Some((path, line_no.parse().ok()?));
    }
    let (path, line_no) = rest.rsplit_once(':')?;
    Some((path, line_no.parse().ok()?))
}

/// `path` without `.` and `..` parts; `None` when `..` would leave the root.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cargo_perf_engine::FindingCode;

    fn parse(root: &Path, text: &str, failed: bool) -> Vec<Finding> {
        let mut diagnostics = Diagnostics::new(root, root);
        text.lines().for_each(|line| diagnostics.push(line));
        diagnostics.into_findings(failed)
    }

    #[test]
    fn rustc_errors_and_warnings_with_their_places() {
        let root = Path::new("/ws");
        let text = "\
   Compiling demo v0.1.0 (/ws)
warning: unused variable: `x`
 --> crates/a/src/lib.rs:2:9
  |
error[E0308]: mismatched types
  --> src/main.rs:13:5
error: could not compile `demo` (lib) due to 1 previous error
warning: `demo` (lib) generated 1 warning
error: this `return` is needless
   --> /ws/src/lib.rs:100:12
error[clippy::needless_return]: x
 --> /elsewhere/registry/src/lib.rs:1:1
";
        let found = parse(root, text, true);
        let places: Vec<_> = found
            .iter()
            .map(|f| {
                (
                    f.severity,
                    f.code.as_str(),
                    f.file.clone().unwrap(),
                    f.line,
                    f.column,
                )
            })
            .collect();
        assert_eq!(
            places,
            [
                (
                    Severity::Warning,
                    CommandCode::RustcWarning.as_str(),
                    "crates/a/src/lib.rs".into(),
                    Some(2),
                    Some(9)
                ),
                (
                    Severity::Error,
                    CommandCode::RustcError.as_str(),
                    "src/main.rs".into(),
                    Some(13),
                    Some(5)
                ),
                (
                    Severity::Error,
                    CommandCode::RustcError.as_str(),
                    "src/lib.rs".into(),
                    Some(100),
                    Some(12)
                ),
            ]
        );
        assert_eq!(found[1].message, "mismatched types [E0308]");
        assert_eq!(
            found[1].help.as_deref(),
            Some("see `rustc --explain E0308`")
        );
    }

    #[test]
    fn a_passing_command_gives_its_warnings_as_information() {
        let text = "warning: unused import\n --> src/lib.rs:1:5\nerror: printed by a test\n --> src/lib.rs:3:1\n";
        let found = parse(Path::new("/ws"), text, false);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Info);
    }

    #[test]
    fn fmt_diffs_in_both_spellings() {
        let text =
            "Diff in /ws/src/lib.rs:12:\nDiff in /ws/b.rs at line 3:\nDiff in /other/c.rs:1:\n";
        let found = parse(Path::new("/ws"), text, true);
        let places: Vec<_> = found
            .iter()
            .map(|f| (f.file.clone().unwrap(), f.line))
            .collect();
        assert_eq!(
            places,
            [("src/lib.rs".into(), Some(12)), ("b.rs".into(), Some(3))]
        );
        assert!(
            found
                .iter()
                .all(|f| f.code == CommandCode::FmtDiff.as_str())
        );
    }

    #[test]
    fn a_location_far_from_its_header_or_escaping_the_root_is_not_taken() {
        let text = "error: x\na\nb\nc\nd\n --> src/lib.rs:1:1\nerror: y\n --> ../up.rs:1:1\n";
        assert!(parse(Path::new("/ws"), text, true).is_empty());
    }

    #[test]
    fn bounded_and_deduplicated() {
        let mut text = String::new();
        for n in 0..MAX_DIAGNOSTICS + 5 {
            text.push_str(&format!("warning: w\n --> src/lib.rs:{}:1\n", n + 1));
            text.push_str(&format!("warning: w\n --> src/lib.rs:{}:1\n", n + 1));
        }
        let found = parse(Path::new("/ws"), &text, true);
        assert_eq!(found.len(), MAX_DIAGNOSTICS + 1);
        assert_eq!(
            found[MAX_DIAGNOSTICS].code,
            CommandCode::DiagnosticsTruncated.as_str()
        );
        assert!(found[MAX_DIAGNOSTICS].message.starts_with("5 more"));
    }
}
