//! What a file's `use` items make of a short path: `fs::read` is
//! `std::fs::read` after `use std::fs;` and `tokio::fs::read` after `use
//! tokio::fs;`. The rules match full paths only, so a name the file does not
//! import from a known place is never blamed (precision over recall).

use std::collections::HashMap;

use syn::visit::Visit;
use syn::{File, UseTree};

/// The file's imports: a local name and the full path it stands for.
#[derive(Debug, Default)]
pub(crate) struct Imports {
    names: HashMap<String, Vec<String>>,
    /// The first segment of every `use`, globs included.
    crates: Vec<String>,
}

impl Imports {
    pub(crate) fn of(file: &File) -> Self {
        let mut imports = Imports::default();
        imports.visit_file(file);
        imports
    }

    /// The full path of `segments`, through an import of its first segment;
    /// a path that starts at a crate (`std::`, `tokio::`) is kept as it is.
    pub(crate) fn resolve(&self, segments: &[String]) -> Vec<String> {
        let Some(first) = segments.first() else {
            return Vec::new();
        };
        match self.names.get(first) {
            Some(full) => full.iter().chain(&segments[1..]).cloned().collect(),
            None => segments.to_vec(),
        }
    }

    /// Whether any import comes from the crate `name` (e.g. `sqlx`).
    pub(crate) fn uses_crate(&self, name: &str) -> bool {
        self.crates.iter().any(|c| c == name)
    }

    fn add(&mut self, prefix: &[String], tree: &UseTree) {
        match tree {
            UseTree::Path(path) => {
                let mut next = prefix.to_vec();
                next.push(path.ident.to_string());
                self.add(&next, &path.tree);
            }
            UseTree::Name(name) => {
                let ident = name.ident.to_string();
                let mut full = prefix.to_vec();
                if ident == "self" {
                    if let Some(last) = prefix.last() {
                        self.names.insert(last.clone(), full);
                    }
                    return;
                }
                full.push(ident.clone());
                self.names.insert(ident, full);
            }
            UseTree::Rename(rename) => {
                let mut full = prefix.to_vec();
                full.push(rename.ident.to_string());
                self.names.insert(rename.rename.to_string(), full);
            }
            UseTree::Glob(_) => {}
            UseTree::Group(group) => {
                for tree in &group.items {
                    self.add(prefix, tree);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Imports {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        if let UseTree::Path(path) = &item.tree {
            self.crates.push(path.ident.to_string());
        }
        self.add(&[], &item.tree);
    }
}

/// The identifiers of a path, `::` dropped.
pub(crate) fn segments(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(path: &str) -> Vec<String> {
        path.split("::").map(str::to_owned).collect()
    }

    #[test]
    fn resolves_through_nested_groups_and_renames() {
        let file =
            syn::parse_file("use std::{fs, thread::{self, sleep as nap}};\nuse tokio::fs::File;\n")
                .unwrap();
        let imports = Imports::of(&file);
        assert_eq!(
            imports.resolve(&strings("fs::read")),
            strings("std::fs::read")
        );
        assert_eq!(
            imports.resolve(&strings("thread::spawn")),
            strings("std::thread::spawn")
        );
        assert_eq!(
            imports.resolve(&strings("nap")),
            strings("std::thread::sleep")
        );
        assert_eq!(
            imports.resolve(&strings("File::open")),
            strings("tokio::fs::File::open")
        );
        assert_eq!(imports.resolve(&strings("x::y")), strings("x::y"));
        assert!(imports.uses_crate("tokio"));
        assert!(!imports.uses_crate("sqlx"));
    }
}
