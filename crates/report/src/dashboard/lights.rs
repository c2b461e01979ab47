//! The summary's traffic lights: one per area, with the one-line reason
//! and, when there is no data, the command that gathers it. The rules are
//! documented in docs/report.md.

use cargo_perf_engine::model::dashboard::{CheckedTask, Dashboard, LatestStatus};
use cargo_perf_engine::model::format_bytes;

/// How an area is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Light {
    Good,
    Warn,
    Bad,
    /// Nothing recorded yet.
    Unknown,
}

impl Light {
    pub(super) fn emoji(self) -> &'static str {
        match self {
            Light::Good => "🟢",
            Light::Warn => "🟡",
            Light::Bad => "🔴",
            Light::Unknown => "⚪",
        }
    }

    pub(super) fn word(self) -> &'static str {
        match self {
            Light::Good => "good",
            Light::Warn => "needs improvement",
            Light::Bad => "critical",
            Light::Unknown => "no data",
        }
    }
}

/// One row of the summary.
pub(super) struct Area {
    pub(super) name: &'static str,
    pub(super) light: Light,
    pub(super) reason: String,
}

/// A target dir above this size is worth a `cargo perf clean`.
const DISK_WARN: u64 = 20 * 1024 * 1024 * 1024;
/// Above this share of stacks without a frame, the flamegraph misleads.
const UNWIND_WARN: f64 = 10.0;

pub(super) fn areas(d: &Dashboard) -> Vec<Area> {
    vec![
        from_check(
            d,
            "gitignore",
            "gitignore",
            "run `cargo perf check` (the gitignore task)",
        ),
        disk(d),
        from_check(
            d,
            "build health",
            "build",
            "run `cargo perf build`, or add `build` to the check pipeline and run `cargo perf check`",
        ),
        benchmarks(d),
        profiles(d),
    ]
}

fn task<'d>(d: &'d Dashboard, name: &str) -> Option<&'d CheckedTask> {
    d.last_check.as_ref()?.tasks.iter().find(|t| t.name == name)
}

fn from_check(d: &Dashboard, area: &'static str, name: &str, fill: &str) -> Area {
    let Some(t) = task(d, name) else {
        return Area {
            name: area,
            light: Light::Unknown,
            reason: format!("not in the last check: {fill}"),
        };
    };
    let warned = t.findings.iter().any(|f| f.severity == "warning");
    let light = match t.status.as_str() {
        "passed" if warned => Light::Warn,
        "passed" => Light::Good,
        "skipped" | "cancelled" => Light::Unknown,
        _ => Light::Bad,
    };
    let reason = t
        .findings
        .iter()
        .find(|f| f.severity == "error")
        .or(t.findings.first())
        .map(|f| f.message.clone())
        .or(t.summary.clone())
        .unwrap_or_else(|| t.status.clone());
    Area {
        name: area,
        light,
        reason,
    }
}

fn disk(d: &Dashboard) -> Area {
    let name = "disk / cache";
    match &d.disk {
        None => Area {
            name,
            light: Light::Unknown,
            reason: "no target dir yet: run `cargo build`".into(),
        },
        Some(disk) => {
            let largest = disk
                .entries
                .first()
                .map(|(p, k, b)| format!("; largest {p}/{k} at {}", format_bytes(*b)))
                .unwrap_or_default();
            let light = if disk.total > DISK_WARN {
                Light::Warn
            } else {
                Light::Good
            };
            let advice = match &d.reclaim {
                Some(r) if r.bytes > 0 => {
                    format!(
                        "; `cargo perf clean` would reclaim {}",
                        format_bytes(r.bytes)
                    )
                }
                _ if light == Light::Warn => "; `cargo perf clean` reclaims old artifacts".into(),
                _ => String::new(),
            };
            Area {
                name,
                light,
                reason: format!(
                    "target dir holds {}{largest}{advice}",
                    format_bytes(disk.total)
                ),
            }
        }
    }
}

fn benchmarks(d: &Dashboard) -> Area {
    let name = "benchmarks";
    let trends = &d.bench.trends;
    if trends.is_empty() {
        return Area {
            name,
            light: Light::Unknown,
            reason: "no bench history: run `cargo perf bench`".into(),
        };
    }
    let count = |s: LatestStatus| trends.iter().filter(|t| t.latest.status == s).count();
    let (over, regressed, new) = (
        count(LatestStatus::OverBudget),
        count(LatestStatus::Regressed),
        count(LatestStatus::New),
    );
    let (light, reason) = if over + regressed > 0 {
        (
            Light::Bad,
            format!(
                "{regressed} regressed and {over} over budget in the latest run, of {}",
                trends.len()
            ),
        )
    } else if new == trends.len() {
        (
            Light::Warn,
            format!(
                "{} benchmark(s) measured once: run `cargo perf bench` again to see a trend",
                trends.len()
            ),
        )
    } else {
        (
            Light::Good,
            format!(
                "{} benchmark(s) within budget, no regression in the latest run",
                trends.len()
            ),
        )
    };
    Area {
        name,
        light,
        reason,
    }
}

fn profiles(d: &Dashboard) -> Area {
    let name = "profiles";
    if d.profiles.is_empty() {
        return Area {
            name,
            light: Light::Unknown,
            reason: "no profile yet: run `cargo perf profile`".into(),
        };
    }
    let poor: Vec<&str> = d
        .profiles
        .iter()
        .filter(|p| {
            p.unknown_percent.unwrap_or(0.0) + p.truncated_percent.unwrap_or(0.0) > UNWIND_WARN
        })
        .map(|p| p.target.as_str())
        .collect();
    if poor.is_empty() {
        Area {
            name,
            light: Light::Good,
            reason: format!(
                "{} profiled target(s), stacks unwound well",
                d.profiles.len()
            ),
        }
    } else {
        Area {
            name,
            light: Light::Warn,
            reason: format!(
                "poor unwinding (over {UNWIND_WARN}% unknown or truncated stacks) in {}",
                poor.join(", ")
            ),
        }
    }
}
