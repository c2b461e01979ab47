//! Inline suppression, in two forms that compile on stable Rust: a comment
//! on the line(s) before, `// cargo-perf: allow(lint-clone-in-loop)`, or an
//! attribute on an item (or `let`) that the compiler drops unseen,
//! `#[cfg_attr(any(), cargo_perf::allow(clone_in_loop))]`: `any()` is never
//! true, so no tool registration is needed. Names that match no rule are
//! reported, so a typo does not silently suppress nothing.

use syn::visit::{self, Visit};
use syn::{Attribute, Meta};

use super::rules::Rule;
use super::visit::at;

const COMMENT: &str = "cargo-perf: allow(";

/// A suppression name that is no rule, where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unknown {
    pub line: usize,
    pub column: usize,
    pub name: String,
}

#[derive(Debug, Default)]
pub(crate) struct Suppressions {
    /// Lines `start..=end` of an item with an allow attribute, and its rules.
    ranges: Vec<(usize, usize, Vec<Rule>)>,
    /// Comment allows by the line they are on.
    comments: Vec<(usize, Vec<Rule>)>,
    pub unknown: Vec<Unknown>,
}

impl Suppressions {
    pub(crate) fn collect(file: &syn::File, text: &str) -> Self {
        let mut found = Suppressions::default();
        for (i, line) in text.lines().enumerate() {
            let Some(at) = line.find(COMMENT) else {
                continue;
            };
            if line[..at].trim() != "//" {
                continue;
            }
            let list = &line[at + COMMENT.len()..];
            let list = list.split(')').next().unwrap_or("");
            let rules = found.names(list, i + 1, at + COMMENT.len() + 1);
            found.comments.push((i + 1, rules));
        }
        let mut items = Items(&mut found);
        items.visit_file(file);
        found
    }

    /// Rules of a comma-separated list; names that are none go to `unknown`.
    fn names(&mut self, list: &str, line: usize, column: usize) -> Vec<Rule> {
        let mut rules = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let kebab = name.replace('_', "-");
            match Rule::from_name(&kebab) {
                Some(rule) => rules.push(rule),
                None => self.unknown.push(Unknown {
                    line,
                    column,
                    name: name.to_owned(),
                }),
            }
        }
        rules
    }

    /// Whether `rule` at `line` is allowed: by a comment on the comment
    /// lines right above it, or by an attribute of an item around it.
    pub(crate) fn allows(&self, lines: &[&str], rule: Rule, line: usize) -> bool {
        let by_item = self
            .ranges
            .iter()
            .any(|(start, end, rules)| (*start..=*end).contains(&line) && rules.contains(&rule));
        if by_item {
            return true;
        }
        let mut above = line.saturating_sub(1);
        while above >= 1
            && lines
                .get(above - 1)
                .is_some_and(|l| l.trim_start().starts_with("//"))
        {
            if self
                .comments
                .iter()
                .any(|(at, rules)| *at == above && rules.contains(&rule))
            {
                return true;
            }
            above -= 1;
        }
        false
    }

    fn attributes(&mut self, attrs: &[Attribute], end: usize) {
        for attr in attrs {
            if let Some(list) = allow_list(attr) {
                let (line, column) = at(attr.pound_token.span);
                let rules = self.names(&list, line, column);
                self.ranges.push((line, end, rules));
            }
        }
    }
}

/// `cfg_attr(any(), cargo_perf::allow(a, b))`: `a, b`.
fn allow_list(attr: &Attribute) -> Option<String> {
    if !attr.path().is_ident("cfg_attr") {
        return None;
    }
    let Meta::List(list) = &attr.meta else {
        return None;
    };
    let text: String = list
        .tokens
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let rest = text.strip_prefix("any(),cargo_perf::allow(")?;
    Some(rest.strip_suffix(')')?.to_owned())
}

struct Items<'s>(&'s mut Suppressions);

fn end_line(span: proc_macro2::Span) -> usize {
    span.end().line
}

impl<'ast> Visit<'ast> for Items<'_> {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.0
            .attributes(&item.attrs, end_line(item.block.brace_token.span.close()));
        visit::visit_item_fn(self, item);
    }
    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.0
            .attributes(&item.attrs, end_line(item.block.brace_token.span.close()));
        visit::visit_impl_item_fn(self, item);
    }
    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        self.0
            .attributes(&item.attrs, end_line(item.brace_token.span.close()));
        visit::visit_item_impl(self, item);
    }
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if let Some((brace, _)) = &item.content {
            self.0.attributes(&item.attrs, end_line(brace.span.close()));
        }
        visit::visit_item_mod(self, item);
    }
    fn visit_local(&mut self, local: &'ast syn::Local) {
        self.0
            .attributes(&local.attrs, end_line(local.semi_token.span));
        visit::visit_local(self, local);
    }
}
