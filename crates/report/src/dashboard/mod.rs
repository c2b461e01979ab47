//! `cargo perf report`: the [`Dashboard`] data as one self-contained HTML
//! page (CSS, SVG and the flamegraphs inline: it opens from disk with no
//! network) or as Markdown with its charts as separate SVG files. Charts are
//! hand-written SVG (see `chart`): a few hundred lines do what the page needs,
//! styled by the page's CSS so the dark theme and the colour-blind-safe
//! palette apply, where a plotting crate would bring its own fonts and styles.

mod chart;
mod lights;
mod markdown;
mod page;
mod text;

use cargo_perf_engine::model::dashboard::Dashboard;

pub use markdown::MarkdownReport;

/// The HTML page.
pub fn render_dashboard_html(dashboard: &Dashboard) -> String {
    page::render(dashboard)
}

/// The Markdown twin; its charts link to `charts_dir` (relative to the
/// Markdown file), where the caller writes [`MarkdownReport::charts`].
pub fn render_dashboard_markdown(dashboard: &Dashboard, charts_dir: &str) -> MarkdownReport {
    markdown::render(dashboard, charts_dir)
}

/// The most points a trend chart draws (see `chart::downsample`).
pub const MAX_TREND_POINTS: usize = chart::MAX_POINTS;

#[cfg(test)]
mod tests {
    use cargo_perf_engine::model::Unit;
    use cargo_perf_engine::model::dashboard::{
        BenchData, Latest, LatestStatus, Mark, Trend, TrendPoint,
    };

    use super::*;

    /// 1,000 runs of 50 benchmarks, with a step and marks now and then.
    fn big() -> Dashboard {
        let trends = (0..50)
            .map(|b| {
                let points: Vec<TrendPoint> = (1..=1000u64)
                    .map(|run| {
                        let median =
                            1e6 * (1.0 + b as f64 / 10.0) * if run > 700 { 1.2 } else { 1.0 }
                                + (run % 17) as f64 * 1e3;
                        TrendPoint {
                            run,
                            time: 1_790_000_000 + run * 3600,
                            median,
                            low: median * 0.98,
                            high: median * 1.02,
                            mark: if run == 701 {
                                Mark::Regression
                            } else {
                                Mark::Steady
                            },
                        }
                    })
                    .collect();
                Trend {
                    id: format!("group{}/bench_{b}", b % 5),
                    unit: Unit::Nanoseconds,
                    budget: Some(3e6),
                    latest: Latest {
                        samples: 30,
                        p50: points[999].median,
                        p95: points[999].high,
                        p99: points[999].high,
                        baseline: Some(points[998].median),
                        change: Some(0.0),
                        status: LatestStatus::Pass,
                    },
                    points,
                }
            })
            .collect();
        Dashboard {
            workspace: "big".into(),
            bench: BenchData {
                store: ".cargo-perf/bench".into(),
                runs: 1000,
                threshold: 0.05,
                trends,
            },
            ..Dashboard::default()
        }
    }

    #[test]
    fn a_thousand_runs_of_fifty_benchmarks_stay_under_five_megabytes() {
        let dashboard = big();
        let start = std::time::Instant::now();
        let page = render_dashboard_html(&dashboard);
        let elapsed = start.elapsed();
        println!(
            "1000 runs x 50 benchmarks: {} bytes in {elapsed:?}",
            page.len()
        );
        assert!(page.len() < 5_000_000, "{} bytes", page.len());
        assert_eq!(page.matches("data-runs=\"1000\"").count(), 50);
        let drawn: Vec<usize> = page
            .split("data-points=\"")
            .skip(1)
            .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
            .collect();
        assert_eq!(drawn.len(), 50);
        assert!(
            drawn.iter().all(|n| (200..=MAX_TREND_POINTS).contains(n)),
            "{drawn:?}"
        );
        let md = render_dashboard_markdown(&dashboard, "charts");
        let total: usize =
            md.charts.iter().map(|(_, svg)| svg.len()).sum::<usize>() + md.document.len();
        assert!(total < 5_000_000, "{total} bytes of Markdown and charts");
        assert_eq!(md.charts.len(), 50);
    }
}
