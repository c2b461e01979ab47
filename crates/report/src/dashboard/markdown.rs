//! The report as Markdown, for a pull-request comment or a CI step summary:
//! the same sections as the page, tables instead of the page's widgets, and
//! the charts as SVG files the caller writes beside it (Markdown cannot
//! hold them inline). The summary part stands alone for
//! `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;

use cargo_perf_engine::model::dashboard::Dashboard;
use cargo_perf_engine::model::format_bytes;

use super::chart;
use super::lights::areas;
use super::page::status_text;
use super::text::{NOTES_SHOWN, date, metric, percent_change, reclaim_sentence, short, value};

/// The Markdown text and the chart files it links to.
pub struct MarkdownReport {
    /// The summary (lights and the verdict table): what a step summary shows.
    pub summary: String,
    /// The whole document, the summary first.
    pub document: String,
    /// (file name inside the charts dir, SVG text).
    pub charts: Vec<(String, String)>,
}

/// A cell's text: pipes and line breaks would break the table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A file name for a benchmark's chart: its id with anything unusual as `_`.
fn slug(id: &str, index: usize) -> String {
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    format!("trend-{index:03}-{clean}.svg")
}

pub(super) fn render(d: &Dashboard, charts_dir: &str) -> MarkdownReport {
    let summary = summary(d);
    let mut doc = summary.clone();
    let mut charts = Vec::new();
    doc.push_str("\n## Benchmark trends\n\n");
    if d.bench.trends.is_empty() {
        doc.push_str("No bench history yet: run `cargo perf bench`.\n");
    }
    for (i, t) in d.bench.trends.iter().enumerate() {
        let name = slug(&t.id, i);
        let _ = writeln!(doc, "![{}]({charts_dir}/{name})", cell(&t.id));
        charts.push((name, chart::trend(t, true)));
    }
    profiles(&mut doc, d);
    rest(&mut doc, d, charts_dir, &mut charts);
    MarkdownReport {
        summary,
        document: doc,
        charts,
    }
}

fn summary(d: &Dashboard) -> String {
    let mut out = format!("# cargo perf report: {}\n\n", cell(&d.workspace));
    let s = &d.source;
    let _ = writeln!(
        out,
        "Data from commit `{}` on branch `{}`, {}; machine: {}.\n",
        s.commit.as_deref().map_or("-".to_owned(), short),
        s.branch.as_deref().unwrap_or("-"),
        s.time.map_or("no run yet".to_owned(), date),
        s.machine.as_deref().unwrap_or("unknown")
    );
    out.push_str("| area | status | why |\n|---|---|---|\n");
    for a in areas(d) {
        let _ = writeln!(
            out,
            "| {} | {} {} | {} |",
            a.name,
            a.light.emoji(),
            a.light.word(),
            cell(&a.reason)
        );
    }
    match &d.last_check {
        None => out.push_str("\nNo check recorded yet: run `cargo perf check`.\n"),
        Some(c) => {
            let _ = writeln!(
                out,
                "\nLast check: {}.",
                if c.passed {
                    "🟢 passed"
                } else {
                    "🔴 failed"
                }
            );
        }
    }
    if !d.bench.trends.is_empty() {
        out.push_str("\n## Latest verdicts\n\n| benchmark | P50 | P95 | P99 | 95% interval | change | target | status |\n|---|--:|--:|--:|--:|--:|--:|---|\n");
        for t in &d.bench.trends {
            let (l, u) = (&t.latest, t.unit);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&t.id),
                value(l.p50, u),
                value(l.p95, u),
                value(l.p99, u),
                t.points.last().map_or("-".into(), |p| format!(
                    "{} – {}",
                    value(p.low, u),
                    value(p.high, u)
                )),
                l.change.map_or("-".into(), percent_change),
                t.budget.map_or("-".into(), |b| value(b, u)),
                status_text(l.status)
            );
        }
    }
    out
}

fn profiles(doc: &mut String, d: &Dashboard) {
    doc.push_str("\n## Profiles\n\n");
    if d.profiles.is_empty() {
        doc.push_str("No profile yet: run `cargo perf profile`.\n");
    }
    for p in &d.profiles {
        let _ = writeln!(
            doc,
            "### {}\n\nFlamegraph: `{}/flamegraph.svg`\n",
            cell(&p.target),
            p.dir.display()
        );
        if !p.top_self.is_empty() {
            doc.push_str("| self % | function |\n|--:|---|\n");
            for (f, s) in &p.top_self {
                let _ = writeln!(doc, "| {s:.1} | `{}` |", cell(f));
            }
        }
    }
}

fn rest(doc: &mut String, d: &Dashboard, charts_dir: &str, charts: &mut Vec<(String, String)>) {
    doc.push_str("\n## Build health\n\n");
    match d
        .last_check
        .as_ref()
        .and_then(|c| c.tasks.iter().find(|t| t.name == "build"))
    {
        None => doc.push_str(
            "No build-health data: add `build` to the check pipeline and run `cargo perf check`.\n",
        ),
        Some(t) => {
            doc.push_str("| metric | value | budget |\n|---|--:|--:|\n");
            for m in &t.metrics {
                let _ = writeln!(
                    doc,
                    "| `{}` | {} | {} |",
                    cell(&m.name),
                    metric(m.value, &m.unit),
                    m.budget.map_or("-".into(), |b| metric(b, &m.unit))
                );
            }
        }
    }
    disk(doc, charts, d, charts_dir);
    doc.push_str("\n## Findings\n\n");
    let Some(check) = &d.last_check else {
        doc.push_str("No check recorded yet: run `cargo perf check`.\n");
        return;
    };
    for t in check.tasks.iter().filter(|t| !t.findings.is_empty()) {
        let _ = writeln!(
            doc,
            "### {}\n\n| severity | code | message | where | help |\n|---|---|---|---|---|",
            cell(&t.name)
        );
        for f in &t.findings {
            let _ = writeln!(
                doc,
                "| {} | `{}` | {} | {} | {} |",
                f.severity,
                cell(&f.code),
                cell(&f.message),
                cell(f.location.as_deref().unwrap_or("")),
                cell(f.help.as_deref().unwrap_or(""))
            );
        }
    }
    if check.tasks.iter().all(|t| t.findings.is_empty()) {
        doc.push_str("The last check found nothing to act on.\n");
    }
}

fn disk(doc: &mut String, charts: &mut Vec<(String, String)>, d: &Dashboard, charts_dir: &str) {
    doc.push_str("\n## Disk\n\n");
    match &d.disk {
        None => doc.push_str("No target dir yet: run `cargo build`.\n"),
        Some(disk) => {
            let _ = writeln!(doc, "The target dir holds {}.\n", format_bytes(disk.total));
            let rows: Vec<chart::Bar> = disk
                .entries
                .iter()
                .filter(|e| e.2 > 0)
                .take(15)
                .map(|(p, k, b)| chart::Bar {
                    label: format!("{p}/{k}"),
                    value: *b as f64,
                    budget: None,
                })
                .collect();
            if !rows.is_empty() {
                charts.push((
                    "disk.svg".into(),
                    chart::bars(
                        "target dir usage",
                        &rows,
                        cargo_perf_engine::model::Unit::Bytes,
                        true,
                    ),
                ));
                let _ = writeln!(doc, "![target dir usage]({charts_dir}/disk.svg)");
            }
        }
    }
    reclaim(doc, d);
}

/// What `cargo perf clean` would reclaim, by the rule that plans it.
fn reclaim(doc: &mut String, d: &Dashboard) {
    let Some(r) = &d.reclaim else {
        doc.push_str("\nWhat `cargo perf clean` would reclaim was not worked out: `cargo perf clean --dry-run` says why.\n");
        return;
    };
    if r.entries == 0 && d.disk.is_none() {
        return;
    }
    let _ = writeln!(doc, "\n{}", reclaim_sentence(r, "`", "`"));
    if r.entries > 0 {
        doc.push_str("\n| rule | removes | entries | size |\n|---|---|--:|--:|\n");
        for part in &r.by_rule {
            let _ = writeln!(
                doc,
                "| `{}` | {} | {} | {} |",
                cell(&part.rule),
                cell(&part.what),
                part.entries,
                format_bytes(part.bytes)
            );
        }
        let _ = writeln!(
            doc,
            "| **total** | | {} | {} |",
            r.entries,
            format_bytes(r.bytes)
        );
    }
    if !r.notes.is_empty() {
        doc.push_str("\nNot counted:\n\n");
        for note in r.notes.iter().take(NOTES_SHOWN) {
            let _ = writeln!(doc, "- {}", cell(note));
        }
        if r.notes.len() > NOTES_SHOWN {
            let _ = writeln!(
                doc,
                "- and {} more (`cargo perf clean --dry-run` lists them)",
                r.notes.len() - NOTES_SHOWN
            );
        }
    }
}
