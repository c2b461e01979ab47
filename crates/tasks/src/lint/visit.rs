//! The walk over one file's syntax tree: it keeps what the rules need to
//! know about where an expression sits (inside which loops, in async code or
//! not, which names are bound to heap values or files and at which loop
//! depth) and asks the checks at each call. Closures, async blocks and
//! nested functions start afresh: their bodies do not run per iteration of
//! the loop around them, so a rule that is unsure stays silent.

use proc_macro2::Span;
use syn::visit::{self, Visit};
use syn::{Expr, ExprMethodCall, Pat};

use super::checks;
use super::imports::{Imports, segments};
use super::rules::Rule;

/// One rule matched at a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub rule: Rule,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    is_for: bool,
    /// A `for` over a range: a fixed count, such as a pool of workers.
    ranged: bool,
    once: bool,
    /// The body `.await`s: taking a lock per iteration is how to not hold it across.
    awaits: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Heap,
    File,
    /// `io::stdin()` and friends: locked where needed, not a shared lock.
    Stdio,
    Other,
}

#[derive(Debug, Clone)]
struct Binding {
    name: String,
    kind: Kind,
    depth: usize,
}

/// Where the walk is; saved and reset at every function, closure and async block.
#[derive(Debug, Clone, Default)]
struct Place {
    loops: Vec<Frame>,
    in_async: bool,
}

pub(crate) struct Scanner<'a> {
    pub(crate) imports: &'a Imports,
    pub(crate) hits: Vec<Hit>,
    place: Place,
    bindings: Vec<Binding>,
    /// `.collect()` calls whose Vec is needed (`.rev()` after it), by position.
    needed_collects: Vec<(usize, usize)>,
}

pub(crate) fn at(span: Span) -> (usize, usize) {
    let start = span.start();
    (start.line, start.column + 1)
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(imports: &'a Imports) -> Self {
        Self {
            imports,
            hits: Vec::new(),
            place: Place::default(),
            bindings: Vec::new(),
            needed_collects: Vec::new(),
        }
    }

    pub(crate) fn hit(&mut self, rule: Rule, span: Span, message: String) {
        let (line, column) = at(span);
        self.hits.push(Hit {
            rule,
            line,
            column,
            message,
        });
    }

    pub(crate) fn in_async(&self) -> bool {
        self.place.in_async
    }

    /// Inside a loop that runs more than once.
    fn in_loop(&self) -> bool {
        self.place.loops.iter().any(|f| !f.once)
    }

    /// Inside a `for` loop that runs more than once and does not `.await`.
    fn in_for(&self) -> bool {
        self.place
            .loops
            .iter()
            .any(|f| f.is_for && !f.once && !f.awaits)
    }

    /// Inside a `for` over a collection (not a range), innermost.
    fn in_for_over_items(&self) -> bool {
        self.place
            .loops
            .iter()
            .rev()
            .find(|f| !f.once)
            .is_some_and(|f| f.is_for && !f.ranged)
    }

    fn depth(&self) -> usize {
        self.place.loops.len()
    }

    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.bindings.iter().rev().find(|b| b.name == name)
    }

    /// `name` is bound to a value of `kind` outside the innermost loop.
    fn bound_outside(&self, name: &str, kind: Kind) -> bool {
        self.lookup(name)
            .is_some_and(|b| b.kind == kind && b.depth < self.depth())
    }

    pub(crate) fn bind(&mut self, pat: &Pat, kind: Kind) {
        match pat {
            Pat::Ident(p) => {
                let depth = self.depth();
                self.bindings.push(Binding {
                    name: p.ident.to_string(),
                    kind,
                    depth,
                });
            }
            Pat::Type(t) => {
                let kind = if kind == Kind::Other && checks::is_heap_type(&t.ty) {
                    Kind::Heap
                } else {
                    kind
                };
                self.bind(&t.pat, kind);
            }
            other => {
                let mut names = PatNames(Vec::new());
                names.visit_pat(other);
                for name in names.0 {
                    let depth = self.depth();
                    self.bindings.push(Binding {
                        name,
                        kind: Kind::Other,
                        depth,
                    });
                }
            }
        }
    }

    /// Runs `f` in a fresh place (a function, closure or async block body).
    fn fresh(&mut self, in_async: bool, f: impl FnOnce(&mut Self)) {
        let saved = std::mem::replace(
            &mut self.place,
            Place {
                loops: Vec::new(),
                in_async,
            },
        );
        let mark = self.bindings.len();
        f(self);
        self.bindings.truncate(mark);
        self.place = saved;
    }

    fn in_frame(&mut self, frame: Frame, f: impl FnOnce(&mut Self)) {
        let mark = self.bindings.len();
        self.place.loops.push(frame);
        f(self);
        self.place.loops.pop();
        self.bindings.truncate(mark);
    }

    fn params<'p>(&mut self, inputs: impl Iterator<Item = &'p syn::FnArg>) {
        for input in inputs {
            if let syn::FnArg::Typed(typed) = input {
                let kind = if checks::is_heap_type(&typed.ty) {
                    Kind::Heap
                } else {
                    Kind::Other
                };
                self.bind(&typed.pat, kind);
            }
        }
    }
}

/// Every identifier a pattern binds.
struct PatNames(Vec<String>);

impl<'ast> Visit<'ast> for PatNames {
    fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
        self.0.push(p.ident.to_string());
        visit::visit_pat_ident(self, p);
    }
}

/// `#[test]`, `#[tokio::test]` and the like, or `#[cfg(test)]`: not shipped code.
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let path = attr.path();
        if path.segments.last().is_some_and(|s| s.ident == "test") {
            return true;
        }
        path.is_ident("cfg")
            && matches!(&attr.meta, syn::Meta::List(list) if list.tokens.to_string() == "test")
    })
}

impl<'ast> Visit<'ast> for Scanner<'_> {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if !is_test(&item.attrs) {
            visit::visit_item_mod(self, item);
        }
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        if !is_test(&item.attrs) {
            visit::visit_item_impl(self, item);
        }
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if is_test(&item.attrs) {
            return;
        }
        self.fresh(item.sig.asyncness.is_some(), |s| {
            s.params(item.sig.inputs.iter());
            s.visit_block(&item.block);
        });
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.fresh(item.sig.asyncness.is_some(), |s| {
            s.params(item.sig.inputs.iter());
            s.visit_block(&item.block);
        });
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(block) = &item.default {
            self.fresh(item.sig.asyncness.is_some(), |s| {
                s.params(item.sig.inputs.iter());
                s.visit_block(block);
            });
        }
    }

    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        self.fresh(closure.asyncness.is_some(), |s| {
            for input in &closure.inputs {
                s.bind(input, Kind::Other);
            }
            s.visit_expr(&closure.body);
        });
    }

    fn visit_expr_async(&mut self, block: &'ast syn::ExprAsync) {
        self.fresh(true, |s| s.visit_block(&block.block));
    }

    fn visit_expr_for_loop(&mut self, expr: &'ast syn::ExprForLoop) {
        self.collect_then_iterate(&expr.expr);
        self.visit_expr(&expr.expr);
        let frame = Frame {
            is_for: true,
            ranged: checks::is_range(&expr.expr) || matches!(&*expr.expr, Expr::Array(_)),
            once: checks::iterates_once(&expr.expr),
            awaits: super::blocks::awaits(&expr.body),
        };
        self.in_frame(frame, |s| {
            s.bind(&expr.pat, Kind::Other);
            s.visit_block(&expr.body);
        });
    }

    fn visit_expr_while(&mut self, expr: &'ast syn::ExprWhile) {
        let frame = Frame {
            is_for: false,
            ranged: false,
            once: false,
            awaits: false,
        };
        self.in_frame(frame, |s| {
            s.visit_expr(&expr.cond);
            s.visit_block(&expr.body);
        });
    }

    fn visit_expr_loop(&mut self, expr: &'ast syn::ExprLoop) {
        let frame = Frame {
            is_for: false,
            ranged: false,
            once: checks::ends_unconditionally(&expr.body),
            awaits: false,
        };
        self.in_frame(frame, |s| s.visit_block(&expr.body));
    }

    fn visit_expr_let(&mut self, expr: &'ast syn::ExprLet) {
        self.visit_expr(&expr.expr);
        self.bind(&expr.pat, Kind::Other);
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        let mark = self.bindings.len();
        super::blocks::check(self, block);
        visit::visit_block(self, block);
        self.bindings.truncate(mark);
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        let kind = match &local.init {
            Some(init) => {
                self.visit_expr(&init.expr);
                if let Some((_, diverge)) = &init.diverge {
                    self.visit_expr(diverge);
                }
                if checks::is_std_file_init(self.imports, &init.expr) {
                    Kind::File
                } else if checks::is_heap_init(&init.expr) {
                    Kind::Heap
                } else if checks::is_stdio(&init.expr) {
                    Kind::Stdio
                } else {
                    Kind::Other
                }
            }
            None => Kind::Other,
        };
        self.bind(&local.pat, kind);
    }

    fn visit_expr_method_call(&mut self, call: &'ast ExprMethodCall) {
        self.method_call(call);
        visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        self.call(call);
        visit::visit_expr_call(self, call);
    }

    fn visit_expr_reference(&mut self, expr: &'ast syn::ExprReference) {
        if let Some(name) = checks::cloned_ident(&expr.expr) {
            self.wasted_clone(&name, &expr.expr);
        }
        visit::visit_expr_reference(self, expr);
    }

    fn visit_expr_binary(&mut self, expr: &'ast syn::ExprBinary) {
        if self.in_loop()
            && matches!(expr.op, syn::BinOp::AddAssign(_))
            && checks::is_temporary_format(&expr.right)
            && let Some(name) = checks::ident_of(&expr.left)
        {
            self.format_hit(&name, &expr.right, "`+= &format!(..)`");
        }
        visit::visit_expr_binary(self, expr);
    }

    fn visit_expr_assign(&mut self, expr: &'ast syn::ExprAssign) {
        if self.in_loop()
            && let Some(name) = checks::ident_of(&expr.left)
            && checks::is_concat_onto(&expr.right, &name)
            && let Expr::Path(p) = &*expr.left
        {
            let span = p.path.segments[0].ident.span();
            self.hit(
                Rule::FormatInLoop,
                span,
                format!("`{name} = {name} + ..` inside a loop copies the whole string on every iteration"),
            );
        }
        visit::visit_expr_assign(self, expr);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.macro_call(mac);
        visit::visit_macro(self, mac);
    }
}

impl Scanner<'_> {
    fn method_call(&mut self, call: &ExprMethodCall) {
        let method = call.method.to_string();
        let span = call.method.span();
        if self.in_for() && checks::is_lock(call) {
            let outside = match checks::lock_target(&call.receiver) {
                checks::LockTarget::Binding(name) => self
                    .lookup(&name)
                    .is_some_and(|b| b.depth < self.depth() && b.kind != Kind::Stdio),
                checks::LockTarget::SelfField => true,
                checks::LockTarget::Other => false,
            };
            if outside {
                self.hit(
                    Rule::LockInLoop,
                    span,
                    format!(
                        "`.{method}()` inside a `for` loop takes the same lock on every iteration"
                    ),
                );
            }
        }
        if checks::is_borrowing_method(call)
            && let Some(name) = checks::cloned_ident(&call.receiver)
        {
            self.wasted_clone(&name, &call.receiver);
        }
        if method == "rev" {
            self.note_needed_collect(&call.receiver);
        }
        if method != "rev" {
            self.collect_then_iterate(&call.receiver);
        }
        if method == "push_str"
            && self.in_loop()
            && let [arg] = call.args.iter().collect::<Vec<_>>()[..]
            && checks::is_temporary_format(arg)
            && let Some(name) = checks::ident_of(&call.receiver)
        {
            self.format_hit(&name, arg, "`push_str(&format!(..))`");
        }
        self.file_write(call);
        if self.in_loop() && checks::is_orm_query(self.imports, call) {
            self.hit(
                Rule::QueryInLoop,
                span,
                format!("`.{method}(..)` runs a database query on every iteration of a loop"),
            );
        }
        if self.in_async()
            && ["output", "status"].contains(&method.as_str())
            && call.args.is_empty()
            && let Some(root) = checks::root_call(&call.receiver)
            && self.imports.resolve(&root).join("::") == "std::process::Command::new"
        {
            self.hit(
                Rule::BlockingInAsync,
                span,
                format!("`std::process::Command::{method}()` blocks the async executor's thread until the process ends"),
            );
        }
    }

    /// `.collect::<Vec<_>>().into_iter()` consumed at once by `consumer` (a
    /// method or a `for` loop); one that is stored or returned is left alone,
    /// as the Vec may be wanted (its type, eager evaluation, a borrow ended).
    fn collect_then_iterate(&mut self, consumed: &Expr) {
        let Expr::MethodCall(call) = consumed else {
            return;
        };
        let method = call.method.to_string();
        let span = call.method.span();
        if ["iter", "into_iter", "iter_mut"].contains(&method.as_str())
            && call.args.is_empty()
            && checks::is_vec_collect(&call.receiver)
            && !self.needed_collects.contains(&at(span))
        {
            self.hit(
                Rule::CollectThenIterate,
                span,
                format!("`.collect::<Vec<_>>().{method}()` builds a Vec only to iterate it"),
            );
        }
    }

    /// A `.rev()` whose receiver is `collect::<Vec<_>>().into_iter()`: the
    /// Vec is what makes the iterator reversible.
    fn note_needed_collect(&mut self, receiver: &Expr) {
        if let Expr::MethodCall(inner) = receiver
            && checks::is_vec_collect(&inner.receiver)
        {
            self.needed_collects.push(at(inner.method.span()));
        }
    }

    fn format_hit(&mut self, name: &str, arg: &Expr, what: &str) {
        let span = match arg {
            Expr::Reference(r) => match &*r.expr {
                Expr::Macro(m) => m.mac.path.segments[0].ident.span(),
                _ => return,
            },
            Expr::MethodCall(m) => m.method.span(),
            _ => return,
        };
        self.hit(
            Rule::FormatInLoop,
            span,
            format!(
                "{what} onto `{name}` inside a loop allocates a temporary String on every iteration"
            ),
        );
    }

    /// `x.clone()` only borrowed, in a loop, of a heap value bound outside it.
    fn wasted_clone(&mut self, name: &str, clone: &Expr) {
        if !self.in_loop() || !self.bound_outside(name, Kind::Heap) {
            return;
        }
        if let Expr::MethodCall(call) = clone {
            self.hit(
                Rule::CloneInLoop,
                call.method.span(),
                format!("`{name}.clone()` inside a loop copies a heap value on every iteration, only to borrow it"),
            );
        }
    }

    fn file_write(&mut self, call: &ExprMethodCall) {
        let method = call.method.to_string();
        if self.in_loop()
            && ["write_all", "write"].contains(&method.as_str())
            && call.args.len() == 1
            && let Some(name) = checks::ident_of(&call.receiver)
            && self.bound_outside(&name, Kind::File)
        {
            self.unbuffered(&name, call.method.span());
        }
    }

    fn unbuffered(&mut self, name: &str, span: Span) {
        self.hit(
            Rule::UnbufferedWriteInLoop,
            span,
            format!("a write to the unbuffered `File` `{name}` inside a loop is one system call per write"),
        );
    }

    fn call(&mut self, call: &syn::ExprCall) {
        let Some(path) = checks::call_path(self.imports, &call.func) else {
            return;
        };
        let Expr::Path(func) = &*call.func else {
            return;
        };
        let span = func.path.segments[0].ident.span();
        let shown = segments(&func.path).join("::");
        let args: Vec<&Expr> = call.args.iter().collect();
        if self.in_async() && checks::is_blocking(&path) {
            self.hit(
                Rule::BlockingInAsync,
                span,
                format!("`{shown}` is a blocking call (`{}`) inside async code: it stalls the executor's thread", path.join("::")),
            );
        }
        if self.in_loop() && checks::is_invariant_expensive(&path, &args) {
            self.hit(
                Rule::RegexInLoop,
                span,
                format!("`{shown}(..)` with the same arguments is built again on every iteration of a loop"),
            );
        }
        if self.in_loop() && checks::is_unbounded_channel(&path) {
            self.hit(
                Rule::UnboundedChannelInLoop,
                span,
                format!("`{shown}()` creates an unbounded channel on every iteration of a loop"),
            );
        }
        if self.in_for_over_items() && checks::is_spawn(&path) {
            self.hit(
                Rule::SpawnInLoop,
                span,
                format!("`{shown}` once per item of a `for` loop runs as many tasks at once as there are items"),
            );
        }
        if self.in_loop() && checks::is_sqlx_query(&path) {
            self.hit(
                Rule::QueryInLoop,
                span,
                format!("`{shown}(..)` runs a database query on every iteration of a loop"),
            );
        }
    }

    fn macro_call(&mut self, mac: &syn::Macro) {
        if !self.in_loop() {
            return;
        }
        let span = mac.path.segments[0].ident.span();
        let name = segments(&mac.path).join("::");
        if checks::is_sqlx_macro(self.imports, mac) {
            self.hit(
                Rule::QueryInLoop,
                span,
                format!("`{name}!` runs a database query on every iteration of a loop"),
            );
        }
        if (mac.path.is_ident("write") || mac.path.is_ident("writeln"))
            && let Some(proc_macro2::TokenTree::Ident(first)) =
                mac.tokens.clone().into_iter().next()
        {
            let target = first.to_string();
            if self.bound_outside(&target, Kind::File) {
                self.unbuffered(&target, span);
            }
        }
    }
}
