//! The rules that read a block's statements in order: a `Vec::new()`
//! filled by the `for` loop after it, and a std lock guard still alive when a
//! later statement `.await`s.

use syn::visit::{self, Visit};
use syn::{Block, Expr, Pat, Stmt};

use super::checks;
use super::rules::Rule;
use super::visit::{Scanner, at};

pub(crate) fn check(scanner: &mut Scanner<'_>, block: &Block) {
    for (i, stmt) in block.stmts.iter().enumerate() {
        let Stmt::Local(local) = stmt else {
            continue;
        };
        let Some(init) = &local.init else {
            continue;
        };
        let Some(ident) = plain_ident(&local.pat) else {
            continue;
        };
        let rest = &block.stmts[i + 1..];
        if checks::is_empty_vec(&init.expr) {
            vec_then_push(scanner, ident, rest);
        }
        if scanner.in_async() && checks::is_sync_guard(&init.expr) {
            guard_across_await(scanner, ident, rest);
        }
    }
}

fn plain_ident(pat: &Pat) -> Option<&syn::Ident> {
    match pat {
        Pat::Ident(p) if p.subpat.is_none() => Some(&p.ident),
        Pat::Type(t) => plain_ident(&t.pat),
        _ => None,
    }
}

/// `let mut v = Vec::new();` then, before any other use of `v`, a `for`
/// loop whose body pushes to `v` unconditionally, uses `v` in no other
/// statement, and never leaves early: a `map` + `collect` in disguise.
fn vec_then_push(scanner: &mut Scanner<'_>, ident: &syn::Ident, rest: &[Stmt]) {
    let name = ident.to_string();
    for stmt in rest {
        let Stmt::Expr(Expr::ForLoop(for_loop), _) = stmt else {
            if mentions(stmt, &name) {
                return;
            }
            continue;
        };
        if checks::iterates_once(&for_loop.expr) || leaves_early(&for_loop.body) {
            return;
        }
        let pushes = for_loop.body.stmts.iter().any(|s| match s {
            Stmt::Expr(Expr::MethodCall(call), _) => {
                call.method == "push" && checks::ident_of(&call.receiver).as_deref() == Some(&name)
            }
            _ => false,
        });
        let others = for_loop
            .body
            .stmts
            .iter()
            .filter(|s| mentions(s, &name))
            .count();
        if pushes && others == 1 {
            scanner.hit(
                Rule::VecPushNoCapacity,
                ident.span(),
                format!("`{name}` starts as `Vec::new()` and the `for` loop below pushes once per item, growing it by reallocation"),
            );
        }
        return;
    }
}

/// A std guard bound by `let`, alive at a later `.await` of the same block.
fn guard_across_await(scanner: &mut Scanner<'_>, ident: &syn::Ident, rest: &[Stmt]) {
    let name = ident.to_string();
    if name == "_" {
        return;
    }
    for stmt in rest {
        if drops(stmt, &name) {
            return;
        }
        let mut awaits = Awaits(None);
        awaits.visit_stmt(stmt);
        if let Some(line) = awaits.0 {
            scanner.hit(
                Rule::LockAcrossAwait,
                ident.span(),
                format!("the lock guard `{name}` is still held at the `.await` on line {line}: other tasks on this thread block, or the future is not `Send`"),
            );
            return;
        }
    }
}

fn drops(stmt: &Stmt, name: &str) -> bool {
    let Stmt::Expr(Expr::Call(call), _) = stmt else {
        return false;
    };
    let is_drop = matches!(&*call.func, Expr::Path(p)
        if p.path.segments.last().is_some_and(|s| s.ident == "drop"));
    is_drop
        && call
            .args
            .iter()
            .any(|a| checks::ident_of(a).as_deref() == Some(name))
}

/// The line of the first `.await` of this code (not of closures or async blocks in it).
struct Awaits(Option<usize>);

impl<'ast> Visit<'ast> for Awaits {
    fn visit_expr_await(&mut self, expr: &'ast syn::ExprAwait) {
        if self.0.is_none() {
            self.0 = Some(at(expr.await_token.span).0);
        }
        visit::visit_expr_await(self, expr);
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Whether a loop body `.await`s (outside closures and async blocks in it).
pub(crate) fn awaits(body: &Block) -> bool {
    let mut awaits = Awaits(None);
    awaits.visit_block(body);
    awaits.0.is_some()
}

/// Whether the code names `name` anywhere (macro arguments included).
fn mentions(stmt: &Stmt, name: &str) -> bool {
    let mut finder = Mentions { name, found: false };
    finder.visit_stmt(stmt);
    finder.found
}

struct Mentions<'n> {
    name: &'n str,
    found: bool,
}

impl<'ast> Visit<'ast> for Mentions<'_> {
    fn visit_ident(&mut self, ident: &'ast syn::Ident) {
        self.found |= ident == self.name;
    }
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.found |= tokens_mention(mac.tokens.clone(), self.name);
        visit::visit_macro(self, mac);
    }
}

fn tokens_mention(tokens: proc_macro2::TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|tree| match tree {
        proc_macro2::TokenTree::Ident(ident) => ident == name,
        proc_macro2::TokenTree::Group(group) => tokens_mention(group.stream(), name),
        _ => false,
    })
}

/// A `break`, `continue` or `return` in the loop's own body.
fn leaves_early(body: &Block) -> bool {
    let mut finder = Leaves(false);
    finder.visit_block(body);
    finder.0
}

struct Leaves(bool);

impl<'ast> Visit<'ast> for Leaves {
    fn visit_expr_break(&mut self, _: &'ast syn::ExprBreak) {
        self.0 = true;
    }
    fn visit_expr_continue(&mut self, _: &'ast syn::ExprContinue) {
        self.0 = true;
    }
    fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
        self.0 = true;
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}
