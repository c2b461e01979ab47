//! The rules of `[clean]`, applied in order: units built by a toolchain that
//! is no longer installed, units not used for longer than `max-age`, then the
//! least recently used units until the target dir fits in `max-size`. Units
//! holding a git-tracked file are kept, whatever the rules say.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cargo_perf_policy::ByteSize;
use cargo_perf_policy::sections::clean::{Clean, Toolchains};

use super::plan::Rule;
use super::safety::Tracked;
use super::scan::{Scan, Unit};
use super::toolchains::Installed;

/// A unit a rule selected, with why.
#[derive(Debug, Clone)]
pub(crate) struct Selected {
    pub unit: usize,
    pub rule: Rule,
    pub reason: String,
}

#[derive(Debug, Default)]
pub(crate) struct Selection {
    pub units: Vec<Selected>,
    /// Units a rule selected but that hold a tracked file.
    pub kept_tracked: Vec<usize>,
    /// Bytes the target dir would still take after removal, when over `max-size`.
    pub over_budget: Option<u64>,
}

/// What the rules need to know besides the scan.
pub(crate) struct Inputs<'a> {
    pub policy: &'a Clean,
    pub now: i64,
    pub installed: Option<&'a Installed>,
    /// Each unit's rustc hash (by index), read when the toolchain rule is on.
    pub rustc: &'a [Option<u64>],
    pub tracked: &'a Tracked,
    /// Profiles whose build lock is held by a running build: nothing there is selected.
    pub busy: &'a [usize],
    /// Paths the scan could not read: a unit with one of them is not selected.
    pub unreadable: &'a [PathBuf],
}

pub(crate) fn select(scan: &Scan, inputs: &Inputs<'_>) -> Selection {
    let mut selection = Selection::default();
    let mut chosen = vec![false; scan.units.len()];
    let mut blocked = vec![false; scan.units.len()];
    for (index, unit) in scan.units.iter().enumerate() {
        if inputs.busy.contains(&unit.profile) || is_unreadable(unit, inputs.unreadable) {
            blocked[index] = true;
            continue;
        }
        let Some((rule, reason)) = rule_reason(index, unit, inputs) else {
            continue;
        };
        if holds_tracked(unit, inputs.tracked) {
            blocked[index] = true;
            selection.kept_tracked.push(index);
        } else {
            chosen[index] = true;
            selection.units.push(Selected {
                unit: index,
                rule,
                reason,
            });
        }
    }
    if let Some(budget) = inputs.policy.max_size {
        let removed: u64 = selection
            .units
            .iter()
            .map(|s| scan.units[s.unit].bytes)
            .sum();
        let mut remaining = scan.total.saturating_sub(removed);
        let mut lru: Vec<usize> = (0..scan.units.len())
            .filter(|i| !chosen[*i] && !blocked[*i])
            .collect();
        lru.sort_by_key(|i| (scan.units[*i].last_use, *i));
        for index in lru {
            if remaining <= budget.0 {
                break;
            }
            let unit = &scan.units[index];
            if holds_tracked(unit, inputs.tracked) {
                selection.kept_tracked.push(index);
                continue;
            }
            remaining = remaining.saturating_sub(unit.bytes);
            selection.units.push(Selected {
                unit: index,
                rule: Rule::MaxSize,
                reason: format!(
                    "least recently used (last used {} ago) while the target dir is over max-size {}",
                    days(age(inputs.now, unit.last_use)),
                    ByteSize(budget.0)
                ),
            });
        }
        if remaining > budget.0 {
            selection.over_budget = Some(remaining);
        }
    }
    selection.units.sort_by_key(|s| s.unit);
    selection.kept_tracked.sort();
    selection
}

fn rule_reason(index: usize, unit: &Unit, inputs: &Inputs<'_>) -> Option<(Rule, String)> {
    if let (Toolchains::Installed, Some(installed)) = (inputs.policy.toolchains, inputs.installed) {
        // A hash of 0 (old build-script fingerprints) names no toolchain: keep.
        if let Some(hash) = inputs
            .rustc
            .get(index)
            .copied()
            .flatten()
            .filter(|h| *h != 0)
            && hash != installed.current
            && !installed.hashes.contains_key(&hash)
        {
            return Some((
                Rule::Toolchains,
                format!("built by a toolchain that is no longer installed (rustc hash {hash})"),
            ));
        }
    }
    let max_age = inputs.policy.max_age?;
    let age = age(inputs.now, unit.last_use);
    (age > max_age).then(|| {
        (
            Rule::MaxAge,
            format!("not used for {} (max-age {})", days(age), days(max_age)),
        )
    })
}

fn is_unreadable(unit: &Unit, unreadable: &[PathBuf]) -> bool {
    !unreadable.is_empty()
        && unit
            .fingerprint
            .iter()
            .chain(&unit.entries)
            .any(|p| unreadable.iter().any(|u| u.starts_with(p)))
}

fn holds_tracked(unit: &Unit, tracked: &Tracked) -> bool {
    !tracked.is_empty()
        && unit
            .fingerprint
            .iter()
            .chain(&unit.entries)
            .any(|p| tracked.covers(p))
}

fn age(now: i64, then: i64) -> Duration {
    Duration::from_secs(now.saturating_sub(then).max(0) as u64)
}

/// A duration in the largest whole unit that fits: `45d`, `3h`, `12m`, `9s`.
pub(crate) fn days(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        s if s >= 86_400 => format!("{}d", s / 86_400),
        s if s >= 3600 => format!("{}h", s / 3600),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Every path of a unit in removal order: the fingerprint first.
pub(crate) fn unit_paths(unit: &Unit) -> Vec<&Path> {
    unit.fingerprint
        .iter()
        .chain(&unit.entries)
        .map(PathBuf::as_path)
        .collect()
}
