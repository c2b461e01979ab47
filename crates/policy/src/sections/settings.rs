//! `[settings]`: how the engine runs a plan (parallelism, fail-fast).

use toml::de::DeTable;

use crate::reader::Reader;
use crate::table::{Key, key};

/// Engine settings. Command-line flags override them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Tasks run at once; `None` means one per CPU.
    pub jobs: Option<usize>,
    /// Stop starting new tasks after the first failure.
    pub fail_fast: bool,
}

pub(crate) const KEYS: &[Key<Settings>] = &[
    key("jobs", |r, s, k, v| {
        s.jobs = r.integer(k, v, 1, 1024).map(|n| n as usize)
    }),
    key("fail-fast", |r, s, k, v| {
        s.fail_fast = r.bool(k, v).unwrap_or_default()
    }),
];

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> Settings {
    let mut settings = Settings::default();
    r.section(table, "[settings]", KEYS, &mut settings);
    settings
}
