//! The report phase: one finding per planned removal saying what became of
//! it (`clean-remove` when it went, or would in a dry run; `clean-remove-failed`,
//! `clean-outside-workspace` or `clean-not-removed` when it did not), the notes of
//! the plan, the metrics and the summary. An interrupted run says so with an
//! error, so its task does not pass.

use cargo_perf_engine::{Finding, Metric, MetricName, TaskContext, Unit, interrupt};
use cargo_perf_policy::ByteSize;
use cargo_perf_policy::sections::clean::{Clean, Toolchains};

use super::Anchors;
use super::act::{Done, Why};
use super::atime::LastUse;
use super::codes::CleanCode;
use super::plan::{Plan, Planned, What};
use super::remove::Failure;
use super::scan::Scan;

pub(super) struct Inputs<'a> {
    pub anchors: &'a Anchors,
    pub scan: &'a Scan,
    pub plan: &'a Plan,
    /// What the real run did, by item; `None` in a dry run.
    pub done: Option<&'a [Done]>,
    pub policy: &'a Clean,
    pub last_use: LastUse,
}

/// What the run amounted to.
#[derive(Default)]
struct Tally {
    units: usize,
    extras: usize,
    tool_outputs: usize,
    bytes: u64,
    target_bytes: u64,
    failed: usize,
    interrupted: usize,
}

pub(super) fn report(cx: &mut TaskContext<'_>, inputs: &Inputs<'_>) {
    for note in &inputs.plan.notes {
        cx.finding(note.clone());
    }
    let tally = match inputs.done {
        None => {
            for item in &inputs.plan.items {
                cx.finding(
                    Finding::info(item.what.code(), item.message.clone()).file(item.shown.clone()),
                );
            }
            tally(inputs.plan.items.iter().map(|item| (item, &Done::Removed)))
        }
        Some(done) => {
            for (item, done) in inputs.plan.items.iter().zip(done) {
                for finding in outcome_findings(inputs.anchors, item, done) {
                    cx.finding(finding);
                }
            }
            tally(inputs.plan.items.iter().zip(done))
        }
    };
    // Ctrl-C after the last removal (or in a dry run) still cancels the task.
    if tally.interrupted > 0 || interrupt::is_interrupted() {
        cx.finding(
            Finding::error(
                CleanCode::Interrupted,
                format!(
                    "interrupted by Ctrl-C: {} of {} removals were not done",
                    tally.interrupted,
                    inputs.plan.items.len()
                ),
            )
            .help("run `cargo perf clean` again to remove the rest"),
        );
    }
    metrics(cx, inputs, &tally);
    let summary = summary(inputs, &tally);
    cx.summary(summary);
}

/// An interrupt before anything was looked at: nothing was removed.
pub(super) fn interrupted_early(cx: &mut TaskContext<'_>) {
    cx.finding(
        Finding::error(
            CleanCode::Interrupted,
            "interrupted by Ctrl-C before anything was removed",
        )
        .help("run `cargo perf clean` again"),
    );
    cx.summary("interrupted: nothing removed");
}

fn outcome_findings(anchors: &Anchors, item: &Planned, done: &Done) -> Vec<Finding> {
    match done {
        Done::Removed => {
            vec![Finding::info(item.what.code(), item.message.clone()).file(item.shown.clone())]
        }
        Done::NotRemoved(why) => {
            let because = match why {
                Why::Interrupted => "the run was interrupted before it",
                Why::NotEmpty => "something in it was not removed",
            };
            vec![
                Finding::info(
                    CleanCode::NotRemoved,
                    format!("{}; not removed: {because}", item.message),
                )
                .file(item.shown.clone()),
            ]
        }
        Done::Failed(failures) => failures.iter().map(|f| failure(anchors, item, f)).collect(),
    }
}

fn failure(anchors: &Anchors, item: &Planned, failure: &Failure) -> Finding {
    let finding = if failure.is_refusal() {
        Finding::error(
            CleanCode::OutsideWorkspace,
            format!("refused to remove it ({}): {}", item.message, failure.error),
        )
        .help("a directory on its path was replaced by a symlink or a file; nothing behind it is touched: look at it, and remove it by hand if it should go")
    } else {
        Finding::error(
            CleanCode::RemoveFailed,
            format!("cannot remove it ({}): {}", item.message, failure.error),
        )
        .help("check its permissions and attributes (`ls -ld`, `lsattr -d`), then run `cargo perf clean` again")
    };
    finding.file(anchors.shown(&failure.path))
}

fn tally<'a>(outcomes: impl Iterator<Item = (&'a Planned, &'a Done)>) -> Tally {
    let mut tally = Tally::default();
    for (item, done) in outcomes {
        match done {
            Done::Removed => {
                match item.what {
                    What::Unit(_) => {
                        tally.units += 1;
                        tally.target_bytes += item.bytes;
                    }
                    What::ToolOutput(_) => {
                        tally.tool_outputs += 1;
                        tally.target_bytes += item.bytes;
                    }
                    What::ExtraFile(_) | What::ExtraDir(_) => tally.extras += 1,
                }
                tally.bytes += item.bytes;
            }
            Done::Failed(_) | Done::NotRemoved(Why::NotEmpty) => tally.failed += 1,
            Done::NotRemoved(Why::Interrupted) => tally.interrupted += 1,
        }
    }
    tally
}

fn metrics(cx: &mut TaskContext<'_>, inputs: &Inputs<'_>, tally: &Tally) {
    let scan = inputs.scan;
    let reclaimable: u64 = inputs.plan.items.iter().map(|p| p.bytes).sum();
    cx.metric(Metric::new(
        name().seg("reclaimable"),
        reclaimable as f64,
        Unit::Bytes,
    ));
    if inputs.done.is_some() {
        cx.metric(Metric::new(
            name().seg("reclaimed"),
            tally.bytes as f64,
            Unit::Bytes,
        ));
    }
    let before = scan.total;
    let after = before.saturating_sub(tally.target_bytes);
    cx.metric(Metric::new(
        name().seg("target").seg("before"),
        before as f64,
        Unit::Bytes,
    ));
    cx.metric(Metric::new(
        name().seg("target").seg("after"),
        after as f64,
        Unit::Bytes,
    ));
    cx.metric(Metric::new(
        name().seg("units"),
        scan.units.len() as f64,
        Unit::Count,
    ));
    cx.metric(Metric::new(
        name().seg("removals"),
        inputs.plan.items.len() as f64,
        Unit::Count,
    ));
    for ((profile, kind), bytes) in &scan.usage {
        if *bytes == 0 {
            continue;
        }
        let usage = name().seg("usage");
        let name = match profile {
            Some(index) => usage.seg(&scan.profiles[*index].name).seg(kind.as_str()),
            None => usage.seg(kind.as_str()),
        };
        cx.metric(Metric::new(name, *bytes as f64, Unit::Bytes));
    }
}

fn name() -> MetricName {
    MetricName::task("clean")
}

fn summary(inputs: &Inputs<'_>, tally: &Tally) -> String {
    let policy = inputs.policy;
    let before = inputs.scan.total;
    let after = before.saturating_sub(tally.target_bytes);
    let mut what = format!(
        "{} unit{} and {} extra path{}",
        tally.units,
        plural(tally.units),
        tally.extras,
        plural(tally.extras)
    );
    if tally.tool_outputs > 0 {
        what.push_str(&format!(
            " and {} old output{} of cargo perf",
            tally.tool_outputs,
            plural(tally.tool_outputs)
        ));
    }
    let failed = if tally.failed > 0 {
        format!(" ({} failed)", tally.failed)
    } else {
        String::new()
    };
    if inputs.plan.items.is_empty() && no_rules(policy) {
        "nothing to remove: no rule is set in [clean] of perf.toml (see docs/clean.md)".to_owned()
    } else if inputs.done.is_none() {
        format!(
            "would remove {what} ({}); target dir {} -> {}; {}",
            ByteSize(tally.bytes),
            ByteSize(before),
            ByteSize(after),
            inputs.last_use.describe()
        )
    } else if tally.interrupted > 0 {
        format!(
            "interrupted: removed {what}{failed} ({} reclaimed); {} of {} removals not done",
            ByteSize(tally.bytes),
            tally.interrupted,
            inputs.plan.items.len()
        )
    } else {
        format!(
            "removed {what}{failed}: {} reclaimed; target dir {} -> {}; {}",
            ByteSize(tally.bytes),
            ByteSize(before),
            ByteSize(after),
            inputs.last_use.describe()
        )
    }
}

/// Whether `[clean]` sets no rule (then only old outputs of cargo perf go).
pub(super) fn no_rules(policy: &Clean) -> bool {
    policy.max_age.is_none()
        && policy.max_size.is_none()
        && policy.toolchains == Toolchains::Any
        && policy.extra.is_empty()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
