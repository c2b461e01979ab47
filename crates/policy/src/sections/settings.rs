//! `[settings]`: how the engine runs a plan (parallelism, fail-fast).

use toml::de::DeTable;

use crate::reader::Reader;

/// Engine settings. Command-line flags override them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Tasks run at once; `None` means one per CPU.
    pub jobs: Option<usize>,
    /// Stop starting new tasks after the first failure.
    pub fail_fast: bool,
}

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> Settings {
    let mut settings = Settings::default();
    r.fields(
        table,
        "[settings]",
        &["jobs", "fail-fast"],
        |r, key, value| match key {
            "jobs" => settings.jobs = r.integer(key, value, 1, 1024).map(|n| n as usize),
            _ => settings.fail_fast = r.bool(key, value).unwrap_or_default(),
        },
    );
    settings
}
