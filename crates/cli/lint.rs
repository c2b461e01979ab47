//! `cargo perf lint --list`: every own rule with its default level, what it
//! finds, an example and the fix, then the clippy lints the task adds to
//! clippy's `perf` group. Human text, or JSON with `--format json`.

use cargo_perf_engine::exit;
use cargo_perf_policy::Choice;
use serde_json::json;

use crate::args::{GlobalArgs, OutputFormat};
use crate::output::finish_output;

pub fn list(global: &GlobalArgs) -> u8 {
    let rules = cargo_perf_tasks::lint::rules();
    let clippy = cargo_perf_tasks::lint::CLIPPY_LINTS;
    let text = match global.format() {
        OutputFormat::Json => {
            let rules: Vec<_> = rules
                .iter()
                .map(|r| {
                    json!({
                        "rule": r.name,
                        "code": r.code,
                        "level": r.level.as_str(),
                        "summary": r.summary,
                        "example": r.example,
                        "help": r.help,
                    })
                })
                .collect();
            let doc = json!({ "rules": rules, "clippy": { "groups": ["perf"], "lints": clippy } });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
        }
        _ => {
            let mut text = String::new();
            for r in &rules {
                text.push_str(&format!(
                    "{:<26} {:<5} {}\n",
                    r.name,
                    r.level.as_str(),
                    r.summary
                ));
                text.push_str(&format!("{:<32} e.g. {}\n", "", r.example));
                text.push_str(&format!("{:<32} fix: {}\n", "", r.help));
            }
            text.push_str(&format!(
                "{:<26} {:<5} clippy::perf and {}\n",
                "clippy",
                "warn",
                clippy.join(", ")
            ));
            text
        }
    };
    finish_output(&text, exit::SUCCESS)
}
