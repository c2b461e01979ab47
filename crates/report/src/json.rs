//! The JSON document (`--format json`): the [`RunReport`] as serialized by
//! serde, with its `version` field. The schema is documented in docs/json.md.

use cargo_perf_engine::RunReport;

pub fn render_json(report: &RunReport) -> String {
    let mut text = serde_json::to_string_pretty(report)
        .unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
    text.push('\n');
    text
}
