//! What `cargo perf clean` would reclaim now, for `cargo perf report`: the
//! plan of a dry run ([`survey`]: the same code, so the same list and
//! bytes as `cargo perf clean --dry-run`), summed by the rule that planned
//! each removal. Like a dry run it removes nothing, and it never waits for
//! a build: a profile a running build holds is left out, and said so.

use cargo_perf_engine::dashboard::{Reclaim, ReclaimPart};
use cargo_perf_engine::task::Written;
use cargo_perf_engine::{Project, TaskError};

use super::plan::{Plan, Rule};
use super::survey::survey;
use super::{CleanOptions, report};

/// What clean would remove in `project` under its `[clean]`; `writes` are
/// the paths every registered task declares (as `clean` itself is given).
pub fn reclaimable(project: &Project, writes: &[Written]) -> Result<Reclaim, TaskError> {
    let options = CleanOptions {
        dry_run: true,
        wait: false,
    };
    let settings = options.resolve(&project.policy.clean);
    let surveyed = survey(project, writes, &settings, &|_| {})?;
    let Some(found) = surveyed else {
        return Err(TaskError::new(
            "interrupted before what clean would reclaim was worked out",
        ));
    };
    Ok(summed(&found.plan, !report::no_rules(settings.policy)))
}

fn summed(plan: &Plan, rules_set: bool) -> Reclaim {
    let by_rule = Rule::ALL
        .iter()
        .filter_map(|rule| {
            let items = plan.items.iter().filter(|item| item.rule == *rule);
            let (entries, bytes) = items.fold((0, 0), |(n, b), item| (n + 1, b + item.bytes));
            (entries > 0).then(|| ReclaimPart {
                rule: rule.key().to_owned(),
                what: rule.what().to_owned(),
                entries,
                bytes,
            })
        })
        .collect();
    Reclaim {
        bytes: plan.items.iter().map(|item| item.bytes).sum(),
        entries: plan.items.len(),
        by_rule,
        rules_set,
        notes: plan
            .notes
            .iter()
            .map(|note| match &note.file {
                Some(file) => format!("{}: {}", file.display(), note.message),
                None => note.message.clone(),
            })
            .collect(),
    }
}
