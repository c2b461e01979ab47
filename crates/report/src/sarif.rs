//! SARIF 2.1.0 (`--format sarif`), the format GitHub code scanning uploads:
//! one run of the `cargo-perf` tool, a rule per finding code (described from
//! the code catalogue it is handed), and a result per finding. GitHub needs
//! a location on every result, so a finding about no file is placed on the
//! workspace's `Cargo.toml`, line 1.

use std::collections::BTreeMap;

use cargo_perf_engine::model::CodeInfo;
use cargo_perf_engine::{Finding, RunReport, Severity};
use serde_json::{Value, json};

/// The SARIF version written, and its schema.
pub const SARIF_VERSION: &str = "2.1.0";
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The file as a SARIF URI relative to the source root: every byte but
/// the unreserved ones and `/` percent-encoded, so `a:b.rs` is no scheme.
fn uri(finding: &Finding) -> String {
    let path = finding.file.as_ref().map_or("Cargo.toml".to_owned(), |f| {
        f.to_string_lossy().replace('\\', "/")
    });
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn location(finding: &Finding) -> Value {
    let mut region = json!({ "startLine": finding.line.unwrap_or(1).max(1) });
    if let Some(column) = finding.column {
        region["startColumn"] = json!(column.max(1));
    }
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(finding), "uriBaseId": "%SRCROOT%" },
            "region": region,
        }
    })
}

fn rule(code: &str, info: Option<&CodeInfo>, first: &Finding) -> Value {
    let summary = info.map_or(first.message.as_str(), |i| i.summary);
    let default = info.map_or(first.severity, |i| i.severity);
    let mut rule = json!({
        "id": code,
        "name": code,
        "shortDescription": { "text": summary },
        "defaultConfiguration": { "level": level(default) },
    });
    if let Some(help) = &first.help {
        rule["help"] = json!({ "text": help });
    }
    rule
}

/// The report as a SARIF log; `codes` describes the rules (every code the
/// tool knows; a code missing from it is described by its first finding).
pub fn render_sarif(report: &RunReport, codes: &[CodeInfo]) -> String {
    let findings: Vec<&Finding> = report.tasks.iter().flat_map(|t| &t.findings).collect();
    let mut first: BTreeMap<&str, &Finding> = BTreeMap::new();
    for finding in &findings {
        first.entry(finding.code.as_str()).or_insert(finding);
    }
    let index: BTreeMap<&str, usize> = first.keys().enumerate().map(|(i, c)| (*c, i)).collect();
    let rules: Vec<Value> = first
        .iter()
        .map(|(code, finding)| rule(code, codes.iter().find(|c| c.code == *code), finding))
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|finding| {
            let mut message = finding.message.clone();
            if let Some(help) = &finding.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            json!({
                "ruleId": finding.code.as_str(),
                "ruleIndex": index[finding.code.as_str()],
                "level": level(finding.severity),
                "message": { "text": message },
                "locations": [location(finding)],
            })
        })
        .collect();
    let log = json!({
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {
                "driver": {
                    "name": "cargo-perf",
                    "version": report.tool_version,
                    "rules": rules,
                }
            },
            "results": results,
        }]
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}
