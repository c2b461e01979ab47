//! divan's table output. Rows are a tree drawn with `├─`/`╰─`; columns are
//! fastest, slowest, median, mean, samples, iters, separated by `│`. Only the
//! summary is printed, so a benchmark gives its median and the half-range
//! between fastest and slowest as its spread.

use super::Parsed;

pub(crate) fn parse(output: &str) -> Vec<Parsed> {
    let mut out = Vec::new();
    // (depth, name) of the groups above the current row.
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut in_table = false;
    for line in output.lines() {
        if line.contains("fastest") && line.contains("slowest") && line.contains("median") {
            in_table = true;
            path.clear();
            if let Some(root) = line.split_whitespace().next().filter(|w| *w != "fastest") {
                path.push((0, root.to_owned()));
            }
            continue;
        }
        if !in_table {
            continue;
        }
        if line.trim().is_empty() {
            in_table = false;
            continue;
        }
        let Some(marker) = line.find(['├', '╰']) else {
            continue;
        };
        let depth = line[..marker].chars().count() / 3 + 1;
        let mut cells = line[marker..].split('│');
        let head = cells.next().unwrap_or_default();
        let name_and_fastest = head.trim_start_matches(['├', '╰', '─', ' ']);
        let columns: Vec<&str> = cells.map(str::trim).collect();
        let (name, fastest) = split_name(name_and_fastest);
        path.retain(|(d, _)| *d < depth);
        let full = path
            .iter()
            .map(|(_, n)| n.as_str())
            .chain([name.as_str()])
            .collect::<Vec<_>>()
            .join("/");
        match (
            fastest.and_then(time_ns),
            columns.first().and_then(|c| time_ns(c)),
            columns.get(1).and_then(|c| time_ns(c)),
        ) {
            (Some(fastest), Some(slowest), Some(median)) => out.push(Parsed {
                id: full,
                unit: "ns",
                samples: vec![median],
                spread: Some((slowest - fastest) / 2.0),
                standard_error: columns
                    .get(3)
                    .and_then(|c| c.parse::<f64>().ok())
                    .map(|n| median_standard_error(fastest, median, n)),
            }),
            _ => path.push((depth, name)),
        }
    }
    out
}

/// The standard error of divan's median from its fastest sample: the
/// slowest is useless (one preempted sample makes it milliseconds), but the
/// fastest of n roughly normal samples lies about z(1 - 0.5/n) standard
/// deviations below the median, and the median of n samples has a
/// standard error of 1.2533 σ / √n.
fn median_standard_error(fastest: f64, median: f64, samples: f64) -> f64 {
    let n = samples.max(2.0);
    let reach = super::super::stats::normal_quantile(1.0 - 0.5 / n);
    let sigma = (median - fastest).max(0.0) / reach;
    1.2533 * sigma / n.sqrt()
}

/// `add   1.1 ns` into the name and the fastest time (absent on group rows).
fn split_name(text: &str) -> (String, Option<&str>) {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() >= 3 && time_ns(&words[words.len() - 2..].join(" ")).is_some() {
        let name_end = text.rfind(words[words.len() - 2]).unwrap_or(text.len());
        (
            text[..name_end].trim().to_owned(),
            Some(text[name_end..].trim()),
        )
    } else {
        (text.trim().to_owned(), None)
    }
}

fn time_ns(text: &str) -> Option<f64> {
    let mut words = text.split_whitespace();
    let value: f64 = words.next()?.parse().ok()?;
    let factor = match words.next()? {
        "ps" => 1e-3,
        "ns" => 1.0,
        "µs" | "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return None,
    };
    Some(value * factor)
}
