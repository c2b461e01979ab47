//! Every finding code cargo-perf can report, from every task's one enum and
//! the engine's, so a test can check them all against the docs.

use cargo_perf_engine::model::{CodeInfo, EngineCode, catalogue};

pub use crate::bench::codes::BenchCode;
pub use crate::build::codes::BuildCode;
pub use crate::clean::codes::CleanCode;
pub use crate::command::CommandCode;
pub use crate::gitignore::codes::GitignoreCode;
pub use crate::lint::codes::LintCode;
pub use crate::profile::codes::ProfileCode;

/// Every code, grouped by task: the engine's, each built-in's, then the
/// custom command tasks'.
pub fn all() -> Vec<CodeInfo> {
    [
        catalogue::<EngineCode>(),
        catalogue::<GitignoreCode>(),
        catalogue::<CleanCode>(),
        catalogue::<BuildCode>(),
        catalogue::<BenchCode>(),
        catalogue::<ProfileCode>(),
        catalogue::<LintCode>(),
        catalogue::<CommandCode>(),
    ]
    .concat()
}
