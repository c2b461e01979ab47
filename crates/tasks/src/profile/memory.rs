//! `--memory`: the program runs under valgrind's DHAT, which sees every heap
//! allocation with no change to the code; from its JSON come the heap's
//! figures (bytes at the peak, bytes and blocks allocated), the stacks the
//! flamegraphs are drawn from, and the allocation sites worth a look, with
//! advice where the pattern is plain. Counts are deterministic: the same
//! program and input allocate the same blocks every run.

use std::path::Path;

use cargo_perf_engine::{Finding, Metric, TaskContext, TaskError, Unit, Verdict};
use serde_json::json;

use super::codes::ProfileCode;
use super::dhat::{Heap, Site};
use super::fold::Folded;
use super::options::Resolved;
use super::{Profile, build, metric_name, record};

/// The folded stacks weighted by allocation count, beside `stacks.folded` (bytes at the peak).
pub(crate) const COUNT_FOLDED: &str = "allocations.folded";
pub(crate) const COUNT_SVG: &str = "allocations.svg";
const OUT: &str = "dhat.json";
/// Sites listed in the manifest, per ranking.
const TOP_SITES: usize = 5;
/// Sites reported as findings, per ranking, when they hold at least `FINDING_PERCENT`.
const TOP_FINDINGS: usize = 3;
const FINDING_PERCENT: f64 = 1.0;
/// A site with at least this many blocks, this small on average, is "many small allocations".
const MANY_BLOCKS: u64 = 1000;
const SMALL_BYTES: u64 = 64;

/// Runs the program under DHAT and reads what it wrote.
pub(crate) fn record(
    cx: &TaskContext<'_>,
    options: &Resolved,
    program: build::Program,
    dir: &Path,
) -> Result<Profile, TaskError> {
    let out = dir.join(OUT);
    let recording = record::dhat(cx, &program, options, &out)?;
    let bytes = std::fs::read(&out).map_err(|err| {
        TaskError::new(format!(
            "DHAT wrote no profile ({err}): the program {}",
            recording.outcome
        ))
        .hint(format!("run `{}` to see what happened", recording.command))
    })?;
    cx.step("reading the DHAT profile");
    let heap = super::dhat::parse(&bytes, &super::comm(&program))
        .map_err(|err| TaskError::new(format!("cannot read {}: {err}", out.display())))?;
    Ok(Profile {
        folded: Folded::plain(heap.folded_peak.clone()),
        recorder: json!({ "tool": "dhat", "weight": "bytes at the heap's peak" }),
        recording,
        program,
        heap: Some(heap),
    })
}

/// The heap's metrics and its top sites as findings; returns the
/// manifest's `heap` entry.
/// With `--diff`, the peak is compared with the baseline's.
pub(crate) fn report(
    cx: &mut TaskContext<'_>,
    heap: &Heap,
    max_rss: u64,
    baseline_peak: Option<u64>,
) -> serde_json::Value {
    let mut peak = Metric::new(
        metric_name("peak-heap"),
        heap.peak_bytes as f64,
        Unit::Bytes,
    );
    if let Some(before) = baseline_peak {
        peak = peak
            .baseline(before as f64)
            .verdict(peak_verdict(before, heap.peak_bytes));
    }
    cx.metric(peak);
    cx.metric(Metric::new(
        metric_name("allocated"),
        heap.allocated_bytes as f64,
        Unit::Bytes,
    ));
    cx.metric(Metric::new(
        metric_name("allocations"),
        heap.allocations as f64,
        Unit::Count,
    ));
    cx.metric(Metric::new(
        metric_name("max-rss"),
        max_rss as f64,
        Unit::Bytes,
    ));
    let by_peak = top(heap, |s| s.peak_bytes);
    let by_count = top(heap, |s| s.blocks);
    let worth = |part: u64, whole: u64| percent(part, whole) >= FINDING_PERCENT;
    let peak_findings: Vec<&Site> = by_peak
        .iter()
        .filter(|s| worth(s.peak_bytes, heap.peak_bytes))
        .take(TOP_FINDINGS)
        .collect();
    for site in &peak_findings {
        cx.finding(peak_finding(heap, site));
    }
    for site in by_count
        .iter()
        .filter(|s| worth(s.blocks, heap.allocations))
        .filter(|s| !peak_findings.iter().any(|p| same(p, s)))
        .take(TOP_FINDINGS)
    {
        cx.finding(count_finding(heap, site));
    }
    json!({
        "peak_bytes": heap.peak_bytes,
        "allocated_bytes": heap.allocated_bytes,
        "allocations": heap.allocations,
        "max_rss_bytes_under_valgrind": max_rss,
        "top_by_peak": by_peak.iter().map(site_json).collect::<Vec<_>>(),
        "top_by_count": by_count.iter().map(site_json).collect::<Vec<_>>(),
        "files": { "allocations_folded": COUNT_FOLDED, "allocations_svg": COUNT_SVG, "dhat": OUT },
    })
}

/// Counts are deterministic, so a 1% change is a change.
fn peak_verdict(before: u64, after: u64) -> Verdict {
    let (before, after) = (before as f64, after as f64);
    if after > before * 1.01 {
        Verdict::Regressed
    } else if after < before * 0.99 {
        Verdict::Improved
    } else {
        Verdict::Unchanged
    }
}

fn top(heap: &Heap, key: impl Fn(&Site) -> u64) -> Vec<Site> {
    let mut sites: Vec<&Site> = heap.sites.iter().filter(|s| key(s) > 0).collect();
    sites.sort_by(|a, b| {
        key(b)
            .cmp(&key(a))
            .then_with(|| a.function.cmp(&b.function))
    });
    sites.into_iter().take(TOP_SITES).cloned().collect()
}

fn same(a: &Site, b: &Site) -> bool {
    a.function == b.function && a.location == b.location
}

fn site_json(site: &Site) -> serde_json::Value {
    json!({
        "function": site.function,
        "location": site.location,
        "peak_bytes": site.peak_bytes,
        "bytes": site.bytes,
        "allocations": site.blocks,
    })
}

fn named(site: &Site) -> String {
    match &site.location {
        Some(at) => format!("`{}` ({at})", site.function),
        None => format!("`{}`", site.function),
    }
}

fn peak_finding(heap: &Heap, site: &Site) -> Finding {
    let finding = Finding::info(
        ProfileCode::HeapSite,
        format!(
            "{} live at the heap's peak ({:.1}%) allocated in {}; {}, {} in all",
            bytes(site.peak_bytes),
            percent(site.peak_bytes, heap.peak_bytes),
            named(site),
            allocations(site.blocks),
            bytes(site.bytes)
        ),
    );
    with_advice(finding, site)
}

fn count_finding(heap: &Heap, site: &Site) -> Finding {
    let finding = Finding::info(
        ProfileCode::HeapSite,
        format!(
            "{} ({:.1}% of all) in {}, {} on average",
            allocations(site.blocks),
            percent(site.blocks, heap.allocations),
            named(site),
            bytes(site.bytes / site.blocks.max(1))
        ),
    );
    with_advice(finding, site)
}

/// Advice for the patterns plain from the figures alone.
fn with_advice(finding: Finding, site: &Site) -> Finding {
    if site.blocks >= MANY_BLOCKS && site.bytes / site.blocks.max(1) <= SMALL_BYTES {
        finding.help("many small allocations from one place: keep the values inline (a `Vec<T>` instead of `Vec<Box<T>>`), reuse one buffer across iterations, or use an arena")
    } else if site.grows && site.blocks > 4 {
        finding.help("a buffer grown step by step (each growth copies it): size it up front with `Vec::with_capacity` / `String::with_capacity` or `reserve`")
    } else {
        finding
    }
}

fn allocations(n: u64) -> String {
    match n {
        1 => "1 allocation".to_owned(),
        n => format!("{n} allocations"),
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// `64.0 MiB`, `7.8 KiB`, `512 B`.
pub(crate) fn bytes(n: u64) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if f >= KIB * KIB * KIB {
        format!("{:.1} GiB", f / (KIB * KIB * KIB))
    } else if f >= KIB * KIB {
        format!("{:.1} MiB", f / (KIB * KIB))
    } else if f >= KIB {
        format!("{:.1} KiB", f / KIB)
    } else {
        format!("{n} B")
    }
}
