//! `[bench.budgets]`: absolute limits on a benchmark's figures. A plain
//! duration (`startup = "20 ms"`) limits the median; a table limits any of
//! the figures a run reports (`startup = { p95 = "25 ms", max-rss = "50 MiB" }`).
//! Each figure's key is read through a key table, so a misspelled figure is a
//! located error with the closest one, like any unknown key.

use std::time::Duration;

use toml::de::DeValue;

use crate::diagnostic::Diagnostic;
use crate::reader::{Located, Reader, Value};
use crate::table::{Key, key, names};
use crate::units::ByteSize;

/// The limits set on one benchmark; `None` sets no limit on that figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BenchBudget {
    /// The median, on the clock the benchmark's verdict is judged by.
    pub median: Option<Duration>,
    /// Tail latency: percentiles of the wall times of the runs (or iterations).
    pub p95: Option<Duration>,
    pub p99: Option<Duration>,
    /// Peak resident memory of a command benchmark (its median over the runs).
    pub max_rss: Option<ByteSize>,
    /// Memory mode (`--memory`): bytes live at the heap's peak.
    pub peak_heap: Option<ByteSize>,
    /// Memory mode: bytes allocated in all.
    pub allocated: Option<ByteSize>,
    /// Memory mode: the number of allocations.
    pub allocations: Option<u64>,
}

impl BenchBudget {
    /// A budget on the median alone, the plain form.
    pub fn median(limit: Duration) -> Self {
        Self {
            median: Some(limit),
            ..Self::default()
        }
    }
}

/// The figures a budget table may limit, each with its parser.
pub(crate) const BUDGET_KEYS: &[Key<BenchBudget>] = &[
    key("median", |r, b, k, v| b.median = r.duration(k, v)),
    key("p95", |r, b, k, v| b.p95 = r.duration(k, v)),
    key("p99", |r, b, k, v| b.p99 = r.duration(k, v)),
    key("max-rss", |r, b, k, v| b.max_rss = r.size(k, v)),
    key("peak-heap", |r, b, k, v| b.peak_heap = r.size(k, v)),
    key("allocated", |r, b, k, v| b.allocated = r.size(k, v)),
    key("allocations", |r, b, k, v| {
        b.allocations = r.integer(k, v, 0, i64::MAX).map(|n| n as u64)
    }),
];

/// Reads `[bench.budgets]`; every bad entry is a located diagnostic and is left out.
pub(crate) fn read_budgets(
    r: &mut Reader,
    value: &Value<'_>,
) -> Vec<(Located<String>, BenchBudget)> {
    let Some(table) = r.table("budgets", value) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, item) in table {
        let id = name.get_ref().to_string();
        let budget = match item.get_ref() {
            DeValue::Table(entry) => {
                let mut budget = BenchBudget::default();
                let context = format!("the budget of `{id}`");
                r.section(entry, &context, BUDGET_KEYS, &mut budget);
                if entry.is_empty() {
                    r.report(
                        Diagnostic::new(format!("the budget of `{id}` limits nothing"))
                            .at(item.span())
                            .label("an empty table")
                            .help(format!(
                                "name a figure and its limit, e.g. `{id} = {{ p95 = \"5 ms\" }}`; the figures are {}",
                                crate::reader::backticked(&names(BUDGET_KEYS))
                            )),
                    );
                }
                Some(budget)
            }
            DeValue::String(_) => r.duration(&id, item).map(BenchBudget::median),
            _ => {
                r.type_error(
                    &id,
                    item,
                    "a duration or a table of figures",
                    &format!("`{id} = \"2 ms\"` or `{id} = {{ p95 = \"5 ms\" }}`"),
                );
                None
            }
        };
        if let Some(budget) = budget {
            out.push((Located::new(id, name.span()), budget));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SourceFile, parse};

    fn budgets(text: &str) -> Result<Vec<(String, BenchBudget)>, String> {
        let policy = parse(SourceFile::new("perf.toml", text)).map_err(|e| e.to_string())?;
        Ok(policy
            .bench
            .budgets
            .into_iter()
            .map(|(name, budget)| (name.value, budget))
            .collect())
    }

    #[test]
    fn both_forms_read_every_figure() {
        let read = budgets(
            "[bench.budgets]\nplain = \"2 ms\"\nall = { median = \"2 ms\", p95 = \"5 ms\", p99 = \"9 ms\", max-rss = \"50 MiB\", peak-heap = \"40 MiB\", allocated = 1000, allocations = 10_000 }\n",
        )
        .unwrap();
        assert_eq!(
            read[0],
            (
                "plain".into(),
                BenchBudget::median(Duration::from_millis(2))
            )
        );
        let all = read[1].1;
        assert_eq!(all.median, Some(Duration::from_millis(2)));
        assert_eq!(all.p95, Some(Duration::from_millis(5)));
        assert_eq!(all.p99, Some(Duration::from_millis(9)));
        assert_eq!(all.max_rss, Some(ByteSize(50 << 20)));
        assert_eq!(all.peak_heap, Some(ByteSize(40 << 20)));
        assert_eq!(all.allocated, Some(ByteSize(1000)));
        assert_eq!(all.allocations, Some(10_000));
    }

    #[test]
    fn bad_values_and_unknown_figures_are_located() {
        let text = budgets(
            "[bench.budgets]\na = { p95 = \"5 parsecs\" }\nb = { p96 = \"5 ms\" }\nc = { allocations = \"many\" }\nd = {}\ne = 5\n",
        )
        .unwrap_err();
        assert!(text.contains("unknown duration unit `parsecs`"), "{text}");
        assert!(text.contains("perf.toml:2:13"), "{text}");
        assert!(
            text.contains("unknown key `p96` in the budget of `b`"),
            "{text}"
        );
        assert!(text.contains("did you mean `p95`?"), "{text}");
        assert!(text.contains("perf.toml:3:7"), "{text}");
        assert!(text.contains("wrong type for `allocations`"), "{text}");
        assert!(text.contains("perf.toml:4:21"), "{text}");
        assert!(text.contains("the budget of `d` limits nothing"), "{text}");
        assert!(text.contains("wrong type for `e`"), "{text}");
        assert!(text.contains("has 5 problems"), "{text}");
    }
}
