//! Reading the files: each is parsed with syn and walked by the rules, on
//! as many threads as the machine has, and its hits that are allowed inline
//! are dropped. Files are independent, so the order of the results is the
//! order of the files whatever thread read them.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use syn::visit::Visit;

use super::imports::Imports;
use super::suppress::{Suppressions, Unknown};
use super::visit::{Hit, Scanner};

/// What the rules found in one file.
#[derive(Debug)]
pub(crate) struct Scanned {
    pub path: PathBuf,
    pub outcome: Result<FileHits, String>,
}

#[derive(Debug, Default)]
pub(crate) struct FileHits {
    pub hits: Vec<Hit>,
    pub unknown: Vec<Unknown>,
}

/// The hits of one source text, suppressions applied.
pub(crate) fn scan_text(text: &str) -> Result<FileHits, String> {
    let file = syn::parse_file(text).map_err(|err| {
        let at = err.span().start();
        format!("{err} (line {}, column {})", at.line, at.column + 1)
    })?;
    let imports = Imports::of(&file);
    let mut scanner = Scanner::new(&imports);
    scanner.visit_file(&file);
    let suppressions = Suppressions::collect(&file, text);
    let lines: Vec<&str> = text.lines().collect();
    let mut hits: Vec<Hit> = scanner
        .hits
        .into_iter()
        .filter(|hit| !suppressions.allows(&lines, hit.rule, hit.line))
        .collect();
    hits.sort_by_key(|h| (h.line, h.column, h.rule));
    hits.dedup_by_key(|h| (h.line, h.column, h.rule));
    Ok(FileHits {
        hits,
        unknown: suppressions.unknown,
    })
}

fn scan_path(path: &Path) -> Result<FileHits, String> {
    let text = std::fs::read_to_string(path).map_err(|err| format!("cannot read it: {err}"))?;
    scan_text(&text)
}

/// Scans every file, in parallel; results in the order of `files`.
pub(crate) fn scan_all(files: &[PathBuf]) -> Vec<Scanned> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(files.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Scanned)>> = Mutex::new(Vec::with_capacity(files.len()));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else {
                        break;
                    };
                    mine.push((
                        i,
                        Scanned {
                            path: path.clone(),
                            outcome: scan_path(path),
                        },
                    ));
                }
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(mine);
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, s)| s).collect()
}
