//! `[bench.budgets]` entries for cargo bench results (`TARGET/NAME`). Which
//! results a harness reports is known only once it ran, so after a target ran
//! unfiltered, a budget that names none of its results is an error at its
//! perf.toml place. (Budgets of command benchmarks, and the target part of
//! the others, are checked when the policy is loaded.)

use cargo_perf_engine::{Finding, TaskContext};
use cargo_perf_policy::suggest;

use super::codes::BenchCode;
use super::history::BenchRecord;

/// Reports the budgets of targets that ran but reported no result of that name.
pub(crate) fn check_unmatched(
    cx: &mut TaskContext<'_>,
    measured: &[BenchRecord],
    filter: Option<&str>,
) {
    if filter.is_some() {
        return; // a filtered target reports only some of its results
    }
    let policy = cx.policy();
    for (name, _) in &policy.bench.budgets {
        let Some((target, _)) = name.value.split_once('/') else {
            continue;
        };
        if policy
            .bench
            .commands
            .iter()
            .any(|c| c.name.value == name.value)
        {
            continue;
        }
        let prefix = format!("{target}/");
        let reported: Vec<&str> = measured
            .iter()
            .map(|b| b.id.as_str())
            .filter(|id| id.starts_with(&prefix))
            .collect();
        if reported.is_empty() || reported.contains(&name.value.as_str()) {
            continue;
        }
        let help = match suggest(&name.value, reported.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("`{target}` reported: {}", reported.join(", ")),
        };
        let mut finding = Finding::error(
            BenchCode::UnknownBudget,
            format!(
                "`[bench.budgets]` names `{}`, a result bench target `{target}` did not report",
                name.value
            ),
        )
        .help(help);
        if let (Some(source), Some(span)) = (&policy.source, &name.span) {
            let at = source.locate(span);
            finding = finding.file(source.path()).line(at.line as u32);
        }
        cx.finding(finding);
    }
}
