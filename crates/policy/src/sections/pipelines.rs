//! `[pipelines]`: named lists of tasks (and other pipelines) run together.

use toml::de::DeTable;

use crate::diagnostic::Diagnostic;
use crate::reader::{Located, Reader};
use crate::sections::tasks::is_valid_name;

/// A named set of tasks; `check` is the one `cargo perf check` runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    pub name: Located<String>,
    /// Task or pipeline names, in the order given.
    pub steps: Vec<Located<String>>,
}

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> Vec<Pipeline> {
    let mut pipelines = Vec::with_capacity(table.len());
    for (name, value) in table {
        let name = Located::new(name.get_ref().to_string(), name.span());
        if !is_valid_name(&name.value) {
            r.report(
                Diagnostic::new(format!("invalid pipeline name `{}`", name.value))
                    .at(name.span.clone().unwrap_or_default())
                    .label("not a valid name")
                    .help("pipeline names use letters, digits, `-`, `_` and `:` (e.g. `pre-push`)"),
            );
            continue;
        }
        if let Some(steps) = r.string_list(&name.value, value) {
            pipelines.push(Pipeline { name, steps });
        }
    }
    pipelines
}
