//! The act phase: carries out a plan in order, each removal through the
//! handle of the directory it lies in, and says for each what happened.
//! Ctrl-C is checked between removals; what was not reached stays and is
//! reported as such.

use std::path::Path;

use cargo_perf_engine::{TaskContext, interrupt};

use super::Anchors;
use super::plan::{Planned, What};
use super::remove::{Failure, Remover};
use super::scan::Scan;

/// What became of one planned removal.
pub(super) enum Done {
    Removed,
    /// Some or all of it could not be removed.
    Failed(Vec<Failure>),
    NotRemoved(Why),
}

/// Why a planned removal was not tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Why {
    /// Ctrl-C stopped the run first.
    Interrupted,
    /// A directory that something inside it was not removed from.
    NotEmpty,
}

pub(super) fn act(
    cx: &TaskContext<'_>,
    anchors: &Anchors,
    scan: &Scan,
    items: &[Planned],
) -> Vec<Done> {
    let mut root = Remover::new(&anchors.root);
    let mut target = anchors.target.as_ref().map(Remover::new);
    let mut stayed: Vec<&Path> = Vec::new();
    let mut done = Vec::with_capacity(items.len());
    for item in items {
        if interrupt::is_interrupted() {
            done.push(Done::NotRemoved(Why::Interrupted));
            continue;
        }
        cx.step(&format!("removing {}", item.shown.display()));
        let failures = match &item.what {
            What::Unit(index) => {
                let unit = &scan.units[*index];
                match target.as_mut() {
                    Some(target) => target.unit(unit.fingerprint.as_deref(), &unit.entries),
                    None => Vec::new(),
                }
            }
            What::ExtraFile(path) => root.file(path),
            What::ExtraDir(path) if stayed.iter().any(|s| s.starts_with(path)) => {
                stayed.push(path);
                done.push(Done::NotRemoved(Why::NotEmpty));
                continue;
            }
            What::ExtraDir(path) => root.empty_dir(path),
            What::ToolOutput(path) => match target.as_mut() {
                Some(target) => target.tree(path),
                None => Vec::new(),
            },
        };
        if failures.is_empty() {
            done.push(Done::Removed);
        } else {
            if let What::ExtraFile(path) | What::ExtraDir(path) = &item.what {
                stayed.push(path);
            }
            done.push(Done::Failed(failures));
        }
    }
    done
}
