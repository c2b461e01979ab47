//! `--format github`: findings as GitHub Actions workflow commands
//! (`::error file=..,line=..,title=..::message`), which GitHub turns into
//! annotations on the pull request. The binary appends the Markdown summary
//! to the job summary file named by `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;

use cargo_perf_engine::model::escape;
use cargo_perf_engine::{RunReport, Severity};

/// One workflow command per finding, in task order.
pub fn render_github(report: &RunReport) -> String {
    let mut out = String::new();
    for task in &report.tasks {
        for finding in &task.findings {
            let command = match finding.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let mut properties = Vec::new();
            if let Some(file) = &finding.file {
                properties.push(format!("file={}", property(&file.to_string_lossy())));
                if let Some(line) = finding.line {
                    properties.push(format!("line={line}"));
                    if let Some(column) = finding.column {
                        properties.push(format!("col={column}"));
                    }
                }
            }
            properties.push(format!(
                "title={}",
                property(&crate::finding_title(task, finding))
            ));
            let mut message = finding.message.clone();
            if let Some(help) = &finding.help {
                let _ = write!(message, "\nhelp: {help}");
            }
            let _ = writeln!(
                out,
                "::{command} {}::{}",
                properties.join(","),
                data(&message)
            );
        }
    }
    out
}

/// Escapes a workflow command's message: GitHub's own escapes for `%` and
/// line ends, and the terminal escapes for other control characters (the
/// log viewer would otherwise act on an escape sequence).
fn data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            _ => out.push_str(&escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    out
}

/// Escapes a workflow command's property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    use cargo_perf_engine::{Finding, TaskKind, TaskReport};

    cargo_perf_engine::finding_codes! {
        enum TestCode for "gitignore" {
            Artifact => "gitignore-untracked-artifact" (Error, "an artifact is tracked"),
            Careful => "gitignore-w" (Warning, "a warning"),
            Fyi => "gitignore-i" (Info, "a note"),
        }
    }

    #[test]
    fn every_severity_with_file_and_line() {
        let mut task = TaskReport::new("gitignore", TaskKind::Builtin);
        task.findings = vec![
            Finding::error(TestCode::Artifact, "big file")
                .file("dir,x/a:b.bin")
                .line(3)
                .column(7)
                .help("ignore it"),
            Finding::warning(TestCode::Careful, "careful").file("b.rs"),
            Finding::info(TestCode::Fyi, "fyi"),
        ];
        let report = RunReport::new(
            "check".into(),
            "/ws".into(),
            None,
            vec![task],
            std::time::Duration::ZERO,
            false,
        );
        assert_eq!(
            render_github(&report),
            "::error file=dir%2Cx/a%3Ab.bin,line=3,col=7,title=gitignore-untracked-artifact::big file%0Ahelp: ignore it\n\
             ::warning file=b.rs,title=gitignore-w::careful\n\
             ::notice title=gitignore-i::fyi\n"
        );
    }

    #[test]
    fn escapes_per_github_rules() {
        assert_eq!(data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(data("\u{1b}[31mred\0"), "\\u{1b}[31mred\\0");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
