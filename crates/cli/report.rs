//! `cargo perf report`: gathers the recorded data through the library,
//! renders it (HTML by default, Markdown with `--format markdown|github`),
//! writes the file(s) and prints where; `--open` hands the page to the
//! desktop's opener.

use std::path::{Path, PathBuf};

use cargo_perf_engine::exit;
use cargo_perf_engine::fsutil::write_atomic;

use crate::args::{GlobalArgs, OutputFormat};
use crate::output::{STEP_SUMMARY_ENV, finish_output, print_error, print_warning, shown_path};
use crate::session::open;

/// The charts of `report.md` go to `report-charts/` beside it.
const CHARTS_SUFFIX: &str = "-charts";

pub(crate) fn report(global: &GlobalArgs, output: Option<&Path>, open_page: bool) -> u8 {
    let session = match open(global) {
        Ok(session) => session,
        Err(code) => return code,
    };
    let project = &session.project;
    let writes = session.registry.writes(project);
    let dashboard = match cargo_perf_tasks::report::gather(project, &writes) {
        Ok(d) => d,
        Err(err) => {
            print_error(&err.message, err.hint.as_deref());
            return exit::ERROR;
        }
    };
    let format = global.format();
    if format == OutputFormat::Json {
        let text = serde_json::to_string_pretty(&dashboard).unwrap_or_default() + "\n";
        return finish_output(&text, exit::SUCCESS);
    }
    let markdown = matches!(format, OutputFormat::Markdown | OutputFormat::Github);
    let file = output.map_or_else(
        || {
            cargo_perf_tasks::report::default_dir(project).join(if markdown {
                "report.md"
            } else {
                "report.html"
            })
        },
        |o| std::env::current_dir().map_or(o.to_owned(), |cwd| cwd.join(o)),
    );
    let written = if markdown {
        write_markdown(&dashboard, &file, format == OutputFormat::Github)
    } else {
        write(
            &file,
            cargo_perf_report::render_dashboard_html(&dashboard).as_bytes(),
        )
    };
    if let Err(message) = written {
        print_error(
            &message,
            Some("check that the directory is writable, or name another file with --output"),
        );
        return exit::ERROR;
    }
    if open_page {
        open_in_browser(&file);
    }
    let code = finish_output(&format!("{}\n", shown_path(&file)), exit::SUCCESS);
    for note in &dashboard.notes {
        print_warning(note, None);
    }
    code
}

fn write(file: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", shown_path(parent)))?;
    }
    write_atomic(file, bytes).map_err(|e| format!("cannot write {}: {e}", shown_path(file)))
}

/// `report.md` and its charts in `report-charts/`; with `github`, the
/// summary is appended to `$GITHUB_STEP_SUMMARY` too.
fn write_markdown(
    dashboard: &cargo_perf_engine::dashboard::Dashboard,
    file: &Path,
    github: bool,
) -> Result<(), String> {
    let stem = file
        .file_stem()
        .map_or("report".into(), |s| s.to_string_lossy());
    let charts_name = format!("{stem}{CHARTS_SUFFIX}");
    let charts_dir: PathBuf = file.with_file_name(&charts_name);
    let md = cargo_perf_report::render_dashboard_markdown(dashboard, &charts_name);
    for (name, svg) in &md.charts {
        write(&charts_dir.join(name), svg.as_bytes())?;
    }
    write(file, md.document.as_bytes())?;
    if github && let Some(summary) = std::env::var_os(STEP_SUMMARY_ENV).filter(|v| !v.is_empty()) {
        use std::io::Write as _;
        let path = PathBuf::from(summary);
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(format!("{}\n", md.summary).as_bytes()))
            .map_err(|e| {
                format!(
                    "cannot append to ${STEP_SUMMARY_ENV} ({}): {e}",
                    shown_path(&path)
                )
            })?;
    }
    Ok(())
}

/// Hands `file` to the desktop's opener; a failure is a warning, the page is written.
fn open_in_browser(file: &Path) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(file)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(err) = spawned {
        print_warning(
            &format!("cannot open the page with `{opener}`: {err}"),
            Some("open the file printed below in a browser"),
        );
    }
}
