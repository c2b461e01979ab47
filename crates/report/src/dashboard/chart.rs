//! The report's charts, as hand-written SVG: a trend per benchmark (median
//! line, confidence band, baseline and budget lines, marked regressions and
//! improvements) and horizontal bars (build times, disk usage). Colours come
//! from classes the page styles (Okabe-Ito, safe for colour-blind readers,
//! with shapes as well as colours for the marks), so the light and dark
//! themes apply; a standalone chart carries the same style inside it.

use std::fmt::Write as _;

use cargo_perf_engine::model::Unit;
use cargo_perf_engine::model::dashboard::{Mark, Trend, TrendPoint};

use super::text::{esc, scale, value};

/// The most points a trend draws. Longer histories keep their newest
/// [`RECENT`] runs as they are and merge the older ones into equal buckets
/// (a bucket's median of medians, its widest interval).
pub(super) const MAX_POINTS: usize = 240;
const RECENT: usize = 160;

const WIDTH: f64 = 380.0;
const HEIGHT: f64 = 210.0;
const LEFT: f64 = 58.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 40.0;
/// A budget more than this many times the highest value is not drawn to scale.
const FAR: f64 = 3.0;

/// The style of the charts, shared by the page and standalone SVG files.
pub(super) const STYLE: &str = "\
svg.chart{font:11px system-ui,sans-serif;--fg:#222;--grid:#ddd;--line:#0072B2;--band:#56B4E9;\
--reg:#D55E00;--imp:#009E73;--budget:#E69F00;--base:#777}\
@media (prefers-color-scheme:dark){svg.chart{--fg:#ddd;--grid:#444;--line:#56B4E9;--band:#0072B2;\
--base:#aaa}}\
svg.chart text{fill:var(--fg)}svg.chart .grid{stroke:var(--grid);stroke-width:1}\
svg.chart .axis{stroke:var(--fg);stroke-width:1}\
svg.chart .band{fill:var(--band);opacity:.3;stroke:none}\
svg.chart .line{fill:none;stroke:var(--line);stroke-width:1.5}\
svg.chart .pt{fill:var(--line)}svg.chart .pt.reg{fill:var(--reg)}svg.chart .pt.imp{fill:var(--imp)}\
svg.chart .budget{stroke:var(--budget);stroke-width:1.5;stroke-dasharray:6 3}\
svg.chart .base{stroke:var(--base);stroke-width:1.2;stroke-dasharray:2 2}\
svg.chart .bar{fill:var(--line)}svg.chart .bar.over{fill:var(--reg)}";

/// One drawn point: the runs it stands for and its values.
struct Drawn {
    first: u64,
    last: u64,
    merged: usize,
    median: f64,
    low: f64,
    high: f64,
    mark: Mark,
}

/// The points a trend draws, oldest first (see [`MAX_POINTS`]).
fn downsample(points: &[TrendPoint]) -> Vec<Drawn> {
    let one = |p: &TrendPoint| Drawn {
        first: p.run,
        last: p.run,
        merged: 1,
        median: p.median,
        low: p.low,
        high: p.high,
        mark: p.mark,
    };
    if points.len() <= MAX_POINTS {
        return points.iter().map(one).collect();
    }
    let (old, recent) = points.split_at(points.len() - RECENT);
    let buckets = MAX_POINTS - RECENT;
    let size = old.len().div_ceil(buckets);
    let mut out: Vec<Drawn> = old
        .chunks(size)
        .map(|chunk| {
            let mut medians: Vec<f64> = chunk.iter().map(|p| p.median).collect();
            medians.sort_by(f64::total_cmp);
            Drawn {
                first: chunk[0].run,
                last: chunk[chunk.len() - 1].run,
                merged: chunk.len(),
                median: medians[medians.len() / 2],
                low: chunk.iter().map(|p| p.low).fold(f64::INFINITY, f64::min),
                high: chunk
                    .iter()
                    .map(|p| p.high)
                    .fold(f64::NEG_INFINITY, f64::max),
                mark: Mark::Steady,
            }
        })
        .collect();
    out.extend(recent.iter().map(one));
    out
}

/// Round tick values covering `[low, high]`, about `count` of them.
fn ticks(low: f64, high: f64, count: usize) -> Vec<f64> {
    let span = (high - low).max(f64::EPSILON);
    let raw = span / count as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let mut t = (low / step).floor() * step;
    let mut out = Vec::new();
    while t <= high + step * 1e-9 {
        if t >= low - step * 1e-9 {
            out.push(t);
        }
        t += step;
    }
    out
}

/// A tick label without float noise (`0.25`, `12`, `1500`).
fn tick_label(v: f64) -> String {
    let text = format!("{v:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// The axis name for a benchmark's unit.
fn quantity(unit: Unit) -> &'static str {
    match unit {
        Unit::Instructions | Unit::Count => "median",
        _ => "median time",
    }
}

/// The trend chart of one benchmark; `standalone` adds the XML header and style.
pub(super) fn trend(trend: &Trend, standalone: bool) -> String {
    let drawn = downsample(&trend.points);
    let mut lo = drawn.iter().map(|d| d.low).fold(f64::INFINITY, f64::min);
    let mut hi = drawn
        .iter()
        .map(|d| d.high)
        .fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    // A budget far above the data would flatten it: it is then named, not drawn.
    let budget = trend.budget.filter(|b| *b <= hi * FAR);
    for extra in [budget, trend.latest.baseline].into_iter().flatten() {
        lo = lo.min(extra);
        hi = hi.max(extra);
    }
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.02).max(f64::EPSILON);
    let (lo, hi) = ((lo - pad).max(0.0), hi + pad);
    let (div, unit_label) = scale(hi, trend.unit);
    let y_ticks = ticks(lo / div, hi / div, 4);
    let (lo, hi) = (
        lo.min(y_ticks.first().copied().unwrap_or(lo / div) * div),
        hi.max(y_ticks.last().copied().unwrap_or(hi / div) * div),
    );
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = drawn.len();
    let x = |i: usize| {
        LEFT + if n <= 1 {
            plot_w / 2.0
        } else {
            plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| TOP + plot_h * (1.0 - (v - lo) / (hi - lo));
    let mut svg = header(trend, standalone, drawn.len());
    axes(&mut svg, &y_ticks, div, &y, unit_label, trend.unit);
    x_axis(&mut svg, &drawn, &x);
    band_and_line(&mut svg, &drawn, &x, &y);
    for (value, class, name) in [
        (trend.latest.baseline, "base", "baseline"),
        (budget, "budget", "budget"),
    ] {
        if let Some(v) = value {
            let _ = write!(
                svg,
                "<line class=\"{class}\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"><title>{name}: {}</title></line>",
                WIDTH - RIGHT,
                y(v),
                y(v),
                esc(&value_of(v, trend.unit))
            );
        }
    }
    points(&mut svg, &drawn, &x, &y, trend.unit);
    if let Some(b) = trend.budget.filter(|_| budget.is_none()) {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">budget {} (far above) ↑</text>",
            WIDTH - RIGHT,
            TOP + 10.0,
            esc(&value_of(b, trend.unit))
        );
    }
    svg.push_str("</svg>");
    svg
}

fn value_of(v: f64, unit: Unit) -> String {
    value(v, unit)
}

fn header(trend: &Trend, standalone: bool, drawn: usize) -> String {
    let mut svg = String::new();
    if standalone {
        svg.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart trend\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" data-benchmark=\"{}\" data-runs=\"{}\" data-points=\"{drawn}\"><title>{}: median per run</title>",
        esc(&trend.id),
        trend.points.len(),
        esc(&trend.id)
    );
    if standalone {
        let _ = write!(svg, "<style>{STYLE}</style>");
    }
    svg
}

fn axes(svg: &mut String, ticks: &[f64], div: f64, y: &dyn Fn(f64) -> f64, unit: &str, kind: Unit) {
    for t in ticks {
        let py = y(t * div);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{py:.1}\" y2=\"{py:.1}\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 4.0,
            py + 3.5,
            tick_label(*t)
        );
    }
    let mid = TOP + (HEIGHT - TOP - BOTTOM) / 2.0;
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{:.1}\"/><text x=\"12\" y=\"{mid:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {mid:.1})\">{} ({})</text>",
        HEIGHT - BOTTOM,
        quantity(kind),
        esc(unit)
    );
}

fn x_axis(svg: &mut String, drawn: &[Drawn], x: &dyn Fn(usize) -> f64) {
    let base = HEIGHT - BOTTOM;
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{base}\" y2=\"{base}\"/>",
        WIDTH - RIGHT
    );
    let n = drawn.len();
    let wanted = 5.min(n);
    let mut shown: Vec<usize> = (0..wanted)
        .map(|k| {
            if wanted <= 1 {
                n.saturating_sub(1)
            } else {
                k * (n - 1) / (wanted - 1)
            }
        })
        .collect();
    shown.dedup();
    for i in shown {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">#{}</text>",
            x(i),
            base + 14.0,
            drawn[i].last
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">run</text>",
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        HEIGHT - 6.0
    );
}

fn band_and_line(
    svg: &mut String,
    drawn: &[Drawn],
    x: &dyn Fn(usize) -> f64,
    y: &dyn Fn(f64) -> f64,
) {
    if drawn.len() > 1 {
        svg.push_str("<polygon class=\"band\" points=\"");
        for (i, d) in drawn.iter().enumerate() {
            let _ = write!(svg, "{:.1},{:.1} ", x(i), y(d.high));
        }
        for (i, d) in drawn.iter().enumerate().rev() {
            let _ = write!(svg, "{:.1},{:.1} ", x(i), y(d.low));
        }
        svg.push_str("\"/><polyline class=\"line\" points=\"");
        for (i, d) in drawn.iter().enumerate() {
            let _ = write!(svg, "{:.1},{:.1} ", x(i), y(d.median));
        }
        svg.push_str("\"/>");
    } else if let Some(d) = drawn.first() {
        let _ = write!(
            svg,
            "<line class=\"band\" style=\"stroke:var(--band);stroke-width:8;opacity:.4\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
            x(0),
            x(0),
            y(d.low),
            y(d.high)
        );
    }
}

fn points(
    svg: &mut String,
    drawn: &[Drawn],
    x: &dyn Fn(usize) -> f64,
    y: &dyn Fn(f64) -> f64,
    unit: Unit,
) {
    for (i, d) in drawn.iter().enumerate() {
        let (px, py) = (x(i), y(d.median));
        let runs = if d.merged > 1 {
            format!("runs #{}–#{} ({} merged)", d.first, d.last, d.merged)
        } else {
            format!("run #{}", d.last)
        };
        let title = format!(
            "{runs}: {} [{} – {}]{}",
            value(d.median, unit),
            value(d.low, unit),
            value(d.high, unit),
            match d.mark {
                Mark::Regression => ", regression",
                Mark::Improvement => ", improvement",
                Mark::Steady => "",
            }
        );
        let title = esc(&title);
        match d.mark {
            Mark::Steady => {
                let r = if drawn.len() > 60 { 1.5 } else { 3.0 };
                let _ = write!(
                    svg,
                    "<circle class=\"pt\" cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"{r}\"><title>{title}</title></circle>"
                );
            }
            Mark::Regression => {
                let _ = write!(
                    svg,
                    "<path class=\"pt reg\" d=\"M{px:.1} {:.1}l5 9h-10z\"><title>{title}</title></path>",
                    py - 6.0
                );
            }
            Mark::Improvement => {
                let _ = write!(
                    svg,
                    "<path class=\"pt imp\" d=\"M{px:.1} {:.1}l5 -9h-10z\"><title>{title}</title></path>",
                    py + 6.0
                );
            }
        }
    }
}

/// One bar of [`bars`]: label, value, budget.
pub(super) struct Bar {
    pub(super) label: String,
    pub(super) value: f64,
    pub(super) budget: Option<f64>,
}

/// Horizontal bars with the value at each bar's end; a bar over its budget
/// is drawn in the regression colour and hatched by its budget tick.
pub(super) fn bars(title: &str, rows: &[Bar], unit: Unit, standalone: bool) -> String {
    const LABEL: f64 = 200.0;
    const ROW: f64 = 22.0;
    const W: f64 = 640.0;
    let height = TOP + ROW * rows.len() as f64 + 34.0;
    let max = rows
        .iter()
        .flat_map(|r| [Some(r.value), r.budget])
        .flatten()
        .fold(0.0, f64::max)
        .max(f64::EPSILON);
    let (div, unit_label) = scale(max, unit);
    let plot = W - LABEL - 90.0;
    let x = |v: f64| LABEL + plot * v / max;
    let mut svg = String::new();
    if standalone {
        svg.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart bars\" viewBox=\"0 0 {W} {height}\" width=\"{W}\" height=\"{height}\" role=\"img\"><title>{}</title>",
        esc(title)
    );
    if standalone {
        let _ = write!(svg, "<style>{STYLE}</style>");
    }
    for (i, row) in rows.iter().enumerate() {
        let top = TOP + ROW * i as f64;
        let over = row.budget.is_some_and(|b| row.value > b);
        let label: String = if row.label.chars().count() > 30 {
            row.label.chars().take(29).chain(['…']).collect()
        } else {
            row.label.clone()
        };
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect class=\"bar{}\" x=\"{LABEL}\" y=\"{:.1}\" width=\"{:.1}\" height=\"14\"><title>{}: {}</title></rect><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            LABEL - 6.0,
            top + 11.0,
            esc(&label),
            if over { " over" } else { "" },
            top,
            (x(row.value) - LABEL).max(1.0),
            esc(&row.label),
            esc(&value(row.value, unit)),
            x(row.value) + 4.0,
            top + 11.0,
            esc(&value(row.value, unit))
        );
        if let Some(b) = row.budget {
            let _ = write!(
                svg,
                "<line class=\"budget\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"><title>budget: {}</title></line>",
                x(b),
                x(b),
                top - 3.0,
                top + 17.0,
                esc(&value(b, unit))
            );
        }
    }
    let base = TOP + ROW * rows.len() as f64;
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LABEL}\" x2=\"{:.1}\" y1=\"{base:.1}\" y2=\"{base:.1}\"/>",
        LABEL + plot
    );
    for t in ticks(0.0, max / div, 4) {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x(t * div),
            base + 14.0,
            tick_label(t)
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text></svg>",
        LABEL + plot / 2.0,
        base + 30.0,
        esc(unit_label)
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(ticks(0.0, 10.0, 4), vec![0.0, 2.5, 5.0, 7.5, 10.0]);
        assert_eq!(tick_label(0.30000000000000004), "0.3");
        assert_eq!(tick_label(1500.0), "1500");
    }

    #[test]
    fn marks_baseline_and_budget_are_drawn() {
        use cargo_perf_engine::model::dashboard::{Latest, LatestStatus};
        let point = |run: u64, median: f64, mark| TrendPoint {
            run,
            time: run,
            median,
            low: median * 0.9,
            high: median * 1.1,
            mark,
        };
        let mut trend = Trend {
            id: "a<b".into(),
            unit: Unit::Nanoseconds,
            budget: Some(2.5e6),
            points: vec![
                point(1, 1e6, Mark::Steady),
                point(2, 2e6, Mark::Regression),
                point(3, 1e6, Mark::Improvement),
            ],
            latest: Latest {
                samples: 5,
                p50: 1e6,
                p95: 1e6,
                p99: 1e6,
                baseline: Some(2e6),
                change: Some(-0.5),
                status: LatestStatus::Improved,
            },
        };
        let svg = super::trend(&trend, true);
        assert!(svg.starts_with("<?xml") && svg.contains("<style>"));
        assert_eq!(svg.matches("class=\"pt").count(), 3);
        assert!(svg.contains("class=\"pt reg\"") && svg.contains("class=\"pt imp\""));
        assert!(svg.contains("<title>budget: 2.500 ms</title>"));
        assert!(svg.contains("<title>baseline: 2.000 ms</title>"));
        assert!(svg.contains("data-benchmark=\"a&lt;b\""));
        assert!(svg.contains("median time (ms)") && svg.contains(">run</text>"));
        trend.budget = Some(1e9);
        let svg = super::trend(&trend, false);
        assert!(!svg.contains("<title>budget") && svg.contains("budget 1.000 s (far above)"));
    }

    #[test]
    fn long_histories_are_downsampled_to_the_cap_keeping_recent_runs() {
        let points: Vec<TrendPoint> = (1..=1000)
            .map(|run| TrendPoint {
                run,
                time: run,
                median: run as f64,
                low: run as f64 - 1.0,
                high: run as f64 + 1.0,
                mark: Mark::Steady,
            })
            .collect();
        let drawn = downsample(&points);
        assert!(drawn.len() <= MAX_POINTS);
        assert_eq!(drawn.iter().map(|d| d.merged).sum::<usize>(), 1000);
        assert_eq!(drawn.last().map(|d| d.last), Some(1000));
        assert!(drawn[drawn.len() - RECENT..].iter().all(|d| d.merged == 1));
        assert_eq!(downsample(&points[..10]).len(), 10);
    }
}
