//! The house's rules, checked by reading the sources (rust-analyzer's
//! `tidy.rs` pattern): which crate and module may use which (the arrows of
//! the design notes), no import cycle between the binary's files, a `//!`
//! atop every module, no function over 100 lines. A rule that holds by
//! discipline only slips; this makes each one fail the build, naming the
//! file, the line and the rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest function allowed outside tests, in lines.
const MAX_FUNCTION_LINES: usize = 100;

/// The modules of `crates/tasks/src` that are tasks: none may use another.
const TASK_MODULES: &[&str] = &[
    "bench",
    "build",
    "clean",
    "command",
    "gitignore",
    "hook",
    "init",
    "profile",
    "report",
];

/// Our crates, by package name, with the ones each may depend on.
const CRATE_EDGES: &[(&str, &str, &[&str])] = &[
    ("crates/policy", "cargo-perf-policy", &[]),
    ("crates/engine", "cargo-perf-engine", &["cargo-perf-policy"]),
    (
        "crates/tasks",
        "cargo-perf-tasks",
        &["cargo-perf-engine", "cargo-perf-policy"],
    ),
    ("crates/report", "cargo-perf-report", &["cargo-perf-engine"]),
    (
        "crates/progress",
        "cargo-perf-progress",
        &["cargo-perf-engine", "cargo-perf-report"],
    ),
];

/// One broken rule, shown as `file:line: rule`.
struct Violation {
    file: PathBuf,
    line: usize,
    rule: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, sorted, as paths relative to the repository root.
fn rust_files(dir: &str) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            return;
        };
        for entry in entries.flatten() {
            let path = dir.join(entry.file_name());
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && entry.file_name() != "target" {
                walk(root, &path, out);
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root(), Path::new(dir), &mut out);
    out.sort();
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(root().join(path))
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// `source` with comments and the contents of string and char literals
/// blanked out (newlines kept), so a scan sees code only and line numbers hold.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && matches!(next, Some('"' | '#')) && !ident_before(&chars, i) {
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            out.push_str("r\"");
            out.extend(std::iter::repeat_n(' ', hashes));
            i = j + 1;
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                    out.push('"');
                    out.extend(std::iter::repeat_n(' ', hashes));
                    i += 1 + hashes;
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push('"');
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            let end = (i + 1..chars.len())
                .find(|&j| chars[j] == '\'' && (chars[j - 1] != '\\' || chars[j - 2] == '\\'))
                .unwrap_or(i);
            out.push_str("''");
            out.extend(std::iter::repeat_n(' ', end - i - 1));
            i = end + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// Whether the `'` at `i` opens a char literal rather than a lifetime.
fn is_char_literal(chars: &[char], i: usize) -> bool {
    matches!(
        (chars.get(i + 1), chars.get(i + 2)),
        (Some('\\'), _) | (Some(_), Some('\''))
    )
}

/// The 1-based line of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count() + 1
}

/// Every path that starts with `prefix` (e.g. `crate::` or
/// `cargo_perf_engine::`) in `code`, as the segment that follows it, with its
/// line: `use cargo_perf_engine::{model::X, RunReport}` gives `model` and
/// `RunReport`.
fn segments_after(code: &str, prefix: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + prefix.len()..];
        let line = line_of(code, at);
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                    _ if depth == 0 => item.push(c),
                    _ => {}
                }
            }
            items.push(item);
            for item in items {
                let first = first_ident(item.trim());
                if !first.is_empty() {
                    out.push((first, line));
                }
            }
        } else {
            let first = first_ident(rest);
            if !first.is_empty() {
                out.push((first, line));
            }
        }
    }
    out
}

fn first_ident(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Each line of `code` (1-based) that holds `needle` as a whole path or word.
fn lines_with(code: &str, needle: &str) -> Vec<usize> {
    code.match_indices(needle)
        .filter(|(at, _)| {
            let before = code[..*at].chars().next_back();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .map(|(at, _)| line_of(code, at))
        .collect()
}

fn check_crate_edges(out: &mut Vec<Violation>) {
    for (dir, name, allowed) in CRATE_EDGES {
        let manifest = Path::new(dir).join("Cargo.toml");
        let text = read(&manifest);
        for (index, line) in text.lines().enumerate() {
            let key = line
                .split(['.', '=', ' '])
                .next()
                .unwrap_or_default()
                .trim();
            if key.starts_with("cargo-perf") && key != *name && !allowed.contains(&key) {
                out.push(Violation {
                    file: manifest.clone(),
                    line: index + 1,
                    rule: format!("{name} may depend on {allowed:?} of ours only, not `{key}`"),
                });
            }
        }
    }
}

/// No file of `dir` names any of `forbidden` (crate paths such as `cargo_perf_tasks::`).
fn check_forbidden(out: &mut Vec<Violation>, dir: &str, forbidden: &[&str], rule: &str) {
    for file in rust_files(dir) {
        let code = code_only(&read(&file));
        for needle in forbidden {
            for line in lines_with(&code, needle) {
                out.push(Violation {
                    file: file.clone(),
                    line,
                    rule: format!("{rule} (uses `{needle}`)"),
                });
            }
        }
    }
}

/// The task module a file of `crates/tasks/src` belongs to, if any.
fn task_module_of(file: &Path) -> Option<&'static str> {
    let inside = file.strip_prefix("crates/tasks/src").ok()?;
    let first = inside.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    TASK_MODULES.iter().copied().find(|task| *task == name)
}

fn check_tasks(out: &mut Vec<Violation>) {
    for file in rust_files("crates/tasks/src") {
        let Some(task) = task_module_of(&file) else {
            continue;
        };
        let code = code_only(&read(&file));
        for (segment, line) in segments_after(&code, "crate::") {
            if segment != task && TASK_MODULES.contains(&segment.as_str()) {
                out.push(Violation {
                    file: file.clone(),
                    line,
                    rule: format!(
                        "the `{task}` task uses the `{segment}` task's module: move the shared \
                         piece to the engine or a shared module of the tasks crate"
                    ),
                });
            }
        }
    }
    check_forbidden(
        out,
        "crates/tasks/src",
        &["cargo_perf_report", "cargo_perf_progress"],
        "a task reports through its context only: no renderer, no progress view",
    );
    for dir in ["crates/tasks/src", "crates/engine/src"] {
        check_forbidden(
            out,
            dir,
            &[
                "println!",
                "eprintln!",
                "print!",
                "eprint!",
                "dbg!",
                "stdout()",
                "stderr()",
            ],
            "tasks and the engine never print: they report through the context and progress events",
        );
    }
    check_task_structs(out);
}

/// A task struct keeps its configuration private: it is built from an
/// options type (`BenchTask::new(BenchOptions { .. })`), resolved in `run`.
fn check_task_structs(out: &mut Vec<Violation>) {
    for file in rust_files("crates/tasks/src") {
        let code = code_only(&read(&file));
        let lines: Vec<&str> = code.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            let Some(rest) = line.trim_start().strip_prefix("pub struct ") else {
                continue;
            };
            let name = first_ident(rest);
            if !name.ends_with("Task") || !rest.trim_end().ends_with('{') {
                continue;
            }
            for (offset, field) in lines[index + 1..].iter().enumerate() {
                if field.trim_start().starts_with('}') {
                    break;
                }
                if field.trim_start().starts_with("pub") {
                    out.push(Violation {
                        file: file.clone(),
                        line: index + offset + 2,
                        rule: format!(
                            "`{name}` has a public field: give the task an options type and a \
                             `resolve` step instead"
                        ),
                    });
                }
            }
        }
    }
}

/// The names the engine re-exports at its root from `model`.
fn model_reexports() -> BTreeSet<String> {
    let lib = code_only(&read(Path::new("crates/engine/src/lib.rs")));
    let mut names = BTreeSet::new();
    for (at, _) in lib.match_indices("pub use model::") {
        let rest = &lib[at + "pub use model::".len()..];
        let group = match rest.strip_prefix('{') {
            Some(group) => &group[..group.find('}').unwrap_or(group.len())],
            None => &rest[..rest.find(';').unwrap_or(rest.len())],
        };
        names.extend(group.split(',').map(|n| first_ident(n.trim())));
    }
    names.remove("");
    names
}

/// `dir` uses of the engine go through `allowed` modules (or the root's
/// re-exports of the model) only.
fn check_engine_paths(out: &mut Vec<Violation>, dir: &str, allowed: &[&str], rule: &str) {
    let reexports = model_reexports();
    for file in rust_files(dir) {
        let code = code_only(&read(&file));
        for (segment, line) in segments_after(&code, "cargo_perf_engine::") {
            if !allowed.contains(&segment.as_str()) && !reexports.contains(&segment) {
                out.push(Violation {
                    file: file.clone(),
                    line,
                    rule: format!("{rule} (uses `cargo_perf_engine::{segment}`)"),
                });
            }
        }
    }
}

fn check_report_and_progress(out: &mut Vec<Violation>) {
    let report_rule = "report renders the engine's result model only";
    // `finding_codes!` is the model's macro (model/code.rs); `#[macro_export]`
    // puts it at the engine's root.
    check_engine_paths(
        out,
        "crates/report/src",
        &["model", "finding_codes"],
        report_rule,
    );
    check_forbidden(
        out,
        "crates/report/src",
        &[
            "cargo_perf_policy",
            "cargo_perf_tasks",
            "std::fs",
            "File::create",
            "OpenOptions",
            "std::process",
        ],
        "report sees data only: no policy, registry, process or file I/O",
    );
    check_engine_paths(
        out,
        "crates/progress/src",
        &["model", "progress"],
        "the progress views use the engine's model and progress events only",
    );
    check_forbidden(
        out,
        "crates/progress/src",
        &["cargo_perf_policy", "cargo_perf_tasks"],
        "the progress views use the engine's model and progress events and the report only",
    );
}

/// The `use crate::x` graph of the binary's files must have no cycle.
fn check_binary_cycles(out: &mut Vec<Violation>) {
    let mut edges: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for file in rust_files("crates/cli") {
        let module = file.file_stem().unwrap().to_string_lossy().into_owned();
        let code = code_only(&read(&file));
        let uses = edges.entry(module.clone()).or_default();
        for (segment, line) in segments_after(&code, "crate::") {
            if segment != module {
                uses.entry(segment).or_insert(line);
            }
        }
    }
    let mut reported = BTreeSet::new();
    for start in edges.keys() {
        if let Some(cycle) = cycle_from(&edges, start)
            && reported.insert(cycle.iter().cloned().collect::<BTreeSet<_>>())
        {
            let line = edges[&cycle[0]][&cycle[1]];
            out.push(Violation {
                file: PathBuf::from(format!("crates/cli/{}.rs", cycle[0])),
                line,
                rule: format!(
                    "the binary's files import each other: {}",
                    cycle.join(" -> ")
                ),
            });
        }
    }
}

/// A path `start -> ... -> start` in `edges`, if there is one.
fn cycle_from(
    edges: &BTreeMap<String, BTreeMap<String, usize>>,
    start: &str,
) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in edges.get(&node).into_iter().flat_map(|e| e.keys()) {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.to_owned());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

fn check_module_docs(out: &mut Vec<Violation>) {
    for file in rust_files("crates").into_iter().chain(rust_files("xtask")) {
        let text = read(&file);
        let first = text.lines().position(|l| !l.trim().is_empty());
        let opens = first.is_some_and(|i| text.lines().nth(i).unwrap().starts_with("//!"));
        if !opens {
            out.push(Violation {
                file,
                line: first.map_or(1, |i| i + 1),
                rule: "a module opens with a `//!` comment that says why it exists".to_owned(),
            });
        }
    }
}

/// Whether `line` (code only, trimmed) starts a function item: `fn name`
/// after any of `pub(...)`, `const`, `async`, `unsafe`, `extern "C"`.
fn starts_fn(line: &str) -> Option<String> {
    let mut rest = line.trim_start();
    loop {
        let before = rest;
        for word in ["pub", "const", "async", "unsafe", "default"] {
            if let Some(after) = rest.strip_prefix(word)
                && after.starts_with([' ', '('])
            {
                rest = after.trim_start();
            }
        }
        if let Some(after) = rest.strip_prefix('(') {
            rest = after[after.find(')').map_or(0, |i| i + 1)..].trim_start();
        }
        if let Some(after) = rest.strip_prefix("extern") {
            rest = after.trim_start().trim_start_matches("\"\"").trim_start();
        }
        if rest == before {
            break;
        }
    }
    let name = first_ident(rest.strip_prefix("fn ")?.trim_start());
    (!name.is_empty()).then_some(name)
}

fn check_function_lengths(out: &mut Vec<Violation>) {
    for file in rust_files("crates") {
        if file.components().any(|c| c.as_os_str() == "tests") {
            continue;
        }
        let code = code_only(&read(&file));
        let mut lines: Vec<&str> = code.lines().collect();
        if let Some(tests) = lines.iter().position(|l| l.trim() == "#[cfg(test)]") {
            lines.truncate(tests);
        }
        let mut i = 0;
        while i < lines.len() {
            let Some(name) = starts_fn(lines[i]) else {
                i += 1;
                continue;
            };
            let (mut depth, mut opened, mut j) = (0i32, false, i);
            while j < lines.len() {
                for c in lines[j].chars() {
                    match c {
                        '{' => (depth, opened) = (depth + 1, true),
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                if (opened && depth <= 0) || (!opened && lines[j].trim_end().ends_with(';')) {
                    break;
                }
                j += 1;
            }
            let length = j - i + 1;
            if opened && length > MAX_FUNCTION_LINES {
                out.push(Violation {
                    file: file.clone(),
                    line: i + 1,
                    rule: format!(
                        "`{name}` is {length} lines, over {MAX_FUNCTION_LINES}: split it into \
                         phases that take and return data"
                    ),
                });
            }
            i = if opened { j + 1 } else { i + 1 };
        }
    }
}

fn assert_none(violations: Vec<Violation>) {
    let shown: Vec<String> = violations
        .iter()
        .map(|v| format!("{}:{}: {}", v.file.display(), v.line, v.rule))
        .collect();
    assert!(shown.is_empty(), "\n{}\n", shown.join("\n"));
}

#[test]
fn crates_depend_only_along_the_allowed_arrows() {
    let mut out = Vec::new();
    check_crate_edges(&mut out);
    check_forbidden(
        &mut out,
        "crates/policy/src",
        &[
            "cargo_perf_engine",
            "cargo_perf_tasks",
            "cargo_perf_report",
            "cargo_perf_progress",
        ],
        "policy is a leaf: it uses nothing of ours",
    );
    check_forbidden(
        &mut out,
        "crates/engine/src",
        &[
            "cargo_perf_tasks",
            "cargo_perf_report",
            "cargo_perf_progress",
        ],
        "the engine knows no concrete task and draws nothing",
    );
    check_tasks(&mut out);
    check_report_and_progress(&mut out);
    assert_none(out);
}

#[test]
fn the_binarys_files_do_not_import_each_other_in_a_cycle() {
    let mut out = Vec::new();
    check_binary_cycles(&mut out);
    assert_none(out);
}

#[test]
fn every_module_opens_with_a_doc_comment() {
    let mut out = Vec::new();
    check_module_docs(&mut out);
    assert_none(out);
}

#[test]
fn no_function_is_over_a_hundred_lines() {
    let mut out = Vec::new();
    check_function_lengths(&mut out);
    assert_none(out);
}

#[test]
fn the_scanner_sees_code_only_and_finds_what_it_must() {
    let code =
        code_only("let s = \"crate::bench::x\"; // crate::clean\nuse crate::{bench, clean::X};\n");
    let found: Vec<_> = segments_after(&code, "crate::");
    assert_eq!(
        found,
        vec![("bench".to_owned(), 2), ("clean".to_owned(), 2)]
    );
    assert_eq!(
        starts_fn("    pub(crate) async fn run(&self) {"),
        Some("run".to_owned())
    );
    assert_eq!(starts_fn("let f = fn_name();"), None);
    let mut edges = BTreeMap::new();
    edges.insert("a".to_owned(), BTreeMap::from([("b".to_owned(), 1)]));
    edges.insert("b".to_owned(), BTreeMap::from([("a".to_owned(), 3)]));
    assert_eq!(
        cycle_from(&edges, "a"),
        Some(vec!["a".to_owned(), "b".to_owned(), "a".to_owned()])
    );
    let lifetimes = code_only("fn f<'a>(x: &'a str) -> char { '{' }");
    assert_eq!(lifetimes.matches('{').count(), 1, "{lifetimes}");
}
