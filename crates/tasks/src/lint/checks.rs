//! Pure questions about one expression that the rules ask: is this a call
//! of a known path, a heap value, a lock, a fresh `format!`? Each answers
//! from the syntax alone and says no when unsure.

use syn::{Expr, ExprMethodCall, GenericArgument, Lit, Type};

use super::imports::{Imports, segments};

/// Owned heap types whose clone copies their contents.
const HEAP_TYPES: &[&str] = &[
    "Vec", "String", "HashMap", "HashSet", "BTreeMap", "BTreeSet", "VecDeque", "PathBuf",
];

/// Functions that block the thread, as full paths.
const BLOCKING: &[&str] = &[
    "std::fs::read",
    "std::fs::read_to_string",
    "std::fs::write",
    "std::fs::read_dir",
    "std::fs::copy",
    "std::fs::create_dir",
    "std::fs::create_dir_all",
    "std::fs::remove_file",
    "std::fs::remove_dir",
    "std::fs::remove_dir_all",
    "std::fs::rename",
    "std::fs::metadata",
    "std::fs::canonicalize",
    "std::fs::File::open",
    "std::fs::File::create",
    "std::thread::sleep",
    "std::net::TcpStream::connect",
    "std::net::TcpListener::bind",
    "reqwest::blocking::get",
    "reqwest::blocking::Client::new",
];

/// Constructors worth building once, as their last two path segments.
const EXPENSIVE: &[(&str, &str)] = &[
    ("Regex", "new"),
    ("RegexSet", "new"),
    ("RegexBuilder", "new"),
    ("AhoCorasick", "new"),
    ("Runtime", "new"),
];

/// Unbounded channel constructors, as full paths.
const UNBOUNDED: &[&str] = &[
    "tokio::sync::mpsc::unbounded_channel",
    "std::sync::mpsc::channel",
    "crossbeam_channel::unbounded",
    "crossbeam::channel::unbounded",
    "flume::unbounded",
    "async_channel::unbounded",
    "futures::channel::mpsc::unbounded",
];

/// Task and thread spawns, as full paths.
const SPAWNS: &[&str] = &[
    "tokio::spawn",
    "tokio::task::spawn",
    "tokio::task::spawn_blocking",
    "std::thread::spawn",
    "async_std::task::spawn",
    "smol::spawn",
];

/// sqlx's query builders and macros, by their last segment.
const SQLX: &[&str] = &[
    "query",
    "query_as",
    "query_scalar",
    "query_with",
    "query_as_with",
    "query_file",
    "query_file_as",
];

/// Methods that only read their receiver: a clone used by one of them is wasted.
const BORROWING: &[&str] = &[
    "iter",
    "len",
    "is_empty",
    "contains",
    "contains_key",
    "get",
    "as_str",
    "as_slice",
    "starts_with",
    "ends_with",
    "first",
    "last",
    "keys",
    "values",
    "join",
    "as_path",
];

fn joined(path: &[String]) -> String {
    path.join("::")
}

/// The resolved path of a call's function, e.g. `std::fs::read`.
pub(crate) fn call_path(imports: &Imports, func: &Expr) -> Option<Vec<String>> {
    match func {
        Expr::Path(path) => Some(imports.resolve(&segments(&path.path))),
        _ => None,
    }
}

pub(crate) fn is_blocking(path: &[String]) -> bool {
    BLOCKING.contains(&joined(path).as_str())
}

pub(crate) fn is_unbounded_channel(path: &[String]) -> bool {
    UNBOUNDED.contains(&joined(path).as_str())
}

pub(crate) fn is_spawn(path: &[String]) -> bool {
    SPAWNS.contains(&joined(path).as_str())
}

/// `Regex::new("...")` and friends with arguments that are the same on every
/// iteration (literals and constants): those can be built once.
pub(crate) fn is_invariant_expensive(path: &[String], args: &[&Expr]) -> bool {
    let [.., ty, f] = path else {
        return false;
    };
    EXPENSIVE.iter().any(|(t, n)| t == ty && n == f) && args.iter().all(|a| is_invariant(a))
}

/// A literal, a constant (`UPPER_CASE`), or a borrow of one.
fn is_invariant(expr: &Expr) -> bool {
    match expr {
        Expr::Lit(_) => true,
        Expr::Reference(r) => is_invariant(&r.expr),
        Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            name.chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        }),
        _ => false,
    }
}

/// `sqlx::query(..)`, or `query(..)` imported from sqlx.
pub(crate) fn is_sqlx_query(path: &[String]) -> bool {
    path.len() >= 2 && path[0] == "sqlx" && SQLX.contains(&path[path.len() - 1].as_str())
}

/// A `sqlx::query!`-style macro, named with the crate or in a file that imports sqlx.
pub(crate) fn is_sqlx_macro(imports: &Imports, mac: &syn::Macro) -> bool {
    let path = imports.resolve(&segments(&mac.path));
    let last = path.last().map(String::as_str).unwrap_or("");
    SQLX.contains(&last) && (path[0] == "sqlx" || imports.uses_crate("sqlx"))
}

/// A diesel or sea-orm call that runs a query on its one argument, the connection.
pub(crate) fn is_orm_query(imports: &Imports, call: &ExprMethodCall) -> bool {
    if call.args.len() != 1 {
        return false;
    }
    let method = call.method.to_string();
    let diesel = imports.uses_crate("diesel")
        && ["load", "get_result", "get_results", "first", "execute"].contains(&method.as_str());
    let sea = imports.uses_crate("sea_orm") && ["one", "all"].contains(&method.as_str());
    diesel || sea
}

/// The name of a plain one-identifier path (`x`).
pub(crate) fn ident_of(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            Some(p.path.segments[0].ident.to_string())
        }
        Expr::Paren(p) => ident_of(&p.expr),
        _ => None,
    }
}

/// `x.clone()`: the name of `x`.
pub(crate) fn cloned_ident(expr: &Expr) -> Option<String> {
    match expr {
        Expr::MethodCall(call) if call.method == "clone" && call.args.is_empty() => {
            ident_of(&call.receiver)
        }
        Expr::Paren(p) => cloned_ident(&p.expr),
        _ => None,
    }
}

pub(crate) fn is_borrowing_method(call: &ExprMethodCall) -> bool {
    BORROWING.contains(&call.method.to_string().as_str())
}

/// Whether a type is an owned heap type or a reference to one.
pub(crate) fn is_heap_type(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => is_heap_type(&r.elem),
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| HEAP_TYPES.contains(&s.ident.to_string().as_str())),
        _ => false,
    }
}

/// Whether an initializer makes an owned heap value (`Vec::new()`, `vec![..]`,
/// `String::from(..)`, `.to_string()`, `.collect::<Vec<_>>()`).
pub(crate) fn is_heap_init(expr: &Expr) -> bool {
    match expr {
        Expr::Call(call) => match &*call.func {
            Expr::Path(p) => {
                let s = segments(&p.path);
                matches!(s.as_slice(), [.., ty, _] if HEAP_TYPES.contains(&ty.as_str()))
            }
            _ => false,
        },
        Expr::Macro(m) => m.mac.path.is_ident("vec") || m.mac.path.is_ident("format"),
        Expr::MethodCall(call) => {
            let method = call.method.to_string();
            match method.as_str() {
                "to_string" | "to_owned" | "to_vec" => call.args.is_empty(),
                "collect" => call
                    .turbofish
                    .as_ref()
                    .and_then(|t| t.args.first())
                    .is_some_and(|a| matches!(a, GenericArgument::Type(ty) if is_heap_type(ty))),
                _ => false,
            }
        }
        Expr::Try(t) => is_heap_init(&t.expr),
        _ => false,
    }
}

/// `Vec::new()`, `Vec::default()` or `vec![]`: an empty Vec without capacity.
pub(crate) fn is_empty_vec(expr: &Expr) -> bool {
    match expr {
        Expr::Call(call) if call.args.is_empty() => match &*call.func {
            Expr::Path(p) => {
                let s = segments(&p.path);
                matches!(s.as_slice(), [.., ty, f] if ty == "Vec" && (f == "new" || f == "default"))
            }
            _ => false,
        },
        Expr::Macro(m) => m.mac.path.is_ident("vec") && m.mac.tokens.is_empty(),
        _ => false,
    }
}

/// `File::create(..)?`, `File::open(..).unwrap()`, `OpenOptions::new()..open(..)?`
/// of std: an unbuffered file.
pub(crate) fn is_std_file_init(imports: &Imports, expr: &Expr) -> bool {
    match expr {
        Expr::Try(t) => is_std_file_init(imports, &t.expr),
        Expr::MethodCall(call)
            if ["unwrap", "expect"].contains(&call.method.to_string().as_str()) =>
        {
            is_std_file_init(imports, &call.receiver)
        }
        Expr::MethodCall(call) if call.method == "open" => {
            root_call(&call.receiver).is_some_and(|path| {
                let full = joined(&imports.resolve(&path));
                full == "std::fs::OpenOptions::new"
            })
        }
        Expr::Call(call) => call_path(imports, &call.func).is_some_and(|p| {
            let full = joined(&p);
            full == "std::fs::File::create" || full == "std::fs::File::open"
        }),
        _ => false,
    }
}

/// The path of the call a method chain starts from: `Command::new` in
/// `Command::new("x").arg("y").output()`.
pub(crate) fn root_call(expr: &Expr) -> Option<Vec<String>> {
    match expr {
        Expr::MethodCall(call) => root_call(&call.receiver),
        Expr::Call(call) => match &*call.func {
            Expr::Path(p) => Some(segments(&p.path)),
            _ => None,
        },
        Expr::Paren(p) => root_call(&p.expr),
        Expr::Reference(r) => root_call(&r.expr),
        _ => None,
    }
}

/// `&format!(..)` or `format!(..).as_str()`: a String made only to be appended.
pub(crate) fn is_temporary_format(expr: &Expr) -> bool {
    match expr {
        Expr::Reference(r) => is_format(&r.expr),
        Expr::MethodCall(call) if call.method == "as_str" => is_format(&call.receiver),
        _ => false,
    }
}

fn is_format(expr: &Expr) -> bool {
    matches!(expr, Expr::Macro(m) if m.mac.path.is_ident("format"))
}

/// `s + "..."` or `s + &format!(..)`: a string concatenation onto `s`.
pub(crate) fn is_concat_onto(expr: &Expr, target: &str) -> bool {
    let Expr::Binary(bin) = expr else {
        return false;
    };
    if !matches!(bin.op, syn::BinOp::Add(_)) {
        return false;
    }
    let onto = ident_of(&bin.left).as_deref() == Some(target)
        || cloned_ident(&bin.left).as_deref() == Some(target)
        || is_concat_onto(&bin.left, target);
    let stringy = matches!(&*bin.right, Expr::Lit(l) if matches!(l.lit, Lit::Str(_)))
        || is_temporary_format(&bin.right)
        || is_concat_onto(&bin.right, target);
    onto && stringy
}

/// A zero-argument `.lock()`, `.read()` or `.write()` on a value that is not
/// a fresh call (`io::stdout().lock()` is not a shared lock).
pub(crate) fn is_lock(call: &ExprMethodCall) -> bool {
    ["lock", "read", "write"].contains(&call.method.to_string().as_str())
        && call.args.is_empty()
        && !matches!(&*call.receiver, Expr::Call(_) | Expr::MethodCall(_))
}

/// The receiver a lock is taken on, when it lives beyond one iteration:
/// a named binding or a field of `self`.
pub(crate) enum LockTarget {
    Binding(String),
    SelfField,
    Other,
}

pub(crate) fn lock_target(expr: &Expr) -> LockTarget {
    if let Some(name) = ident_of(expr) {
        return LockTarget::Binding(name);
    }
    match expr {
        Expr::Field(f) if matches!(&*f.base, Expr::Path(p) if p.path.is_ident("self")) => {
            LockTarget::SelfField
        }
        _ => LockTarget::Other,
    }
}

/// A std guard: `m.lock()`, `m.lock().unwrap()` or `.expect(..)` (not `.await`ed).
pub(crate) fn is_sync_guard(expr: &Expr) -> bool {
    match expr {
        Expr::MethodCall(call)
            if ["unwrap", "expect"].contains(&call.method.to_string().as_str()) =>
        {
            matches!(&*call.receiver, Expr::MethodCall(inner) if is_lock_call(inner))
        }
        Expr::MethodCall(call) => is_lock_call(call),
        _ => false,
    }
}

fn is_lock_call(call: &ExprMethodCall) -> bool {
    ["lock", "read", "write"].contains(&call.method.to_string().as_str()) && call.args.is_empty()
}

/// `.collect::<Vec<_>>()` (or VecDeque): a collection whose only use may be to iterate.
pub(crate) fn is_vec_collect(expr: &Expr) -> bool {
    let Expr::MethodCall(call) = expr else {
        return false;
    };
    call.method == "collect"
        && call.turbofish.as_ref().and_then(|t| t.args.first()).is_some_and(|a| {
            matches!(a, GenericArgument::Type(Type::Path(p))
                if p.path.segments.last().is_some_and(|s| s.ident == "Vec" || s.ident == "VecDeque"))
        })
}

/// A `for` loop's iterated expression is a range (`0..n`): a fixed count.
pub(crate) fn is_range(expr: &Expr) -> bool {
    match expr {
        Expr::Range(_) => true,
        Expr::Paren(p) => is_range(&p.expr),
        Expr::MethodCall(call) if call.method == "rev" || call.method == "step_by" => {
            is_range(&call.receiver)
        }
        _ => false,
    }
}

/// A `for` loop over one item: `0..1`, `[x]`, `Some(x)`, `std::iter::once(x)`.
pub(crate) fn iterates_once(expr: &Expr) -> bool {
    match expr {
        Expr::Paren(p) => iterates_once(&p.expr),
        Expr::Range(r) => match (&r.start, &r.end, &r.limits) {
            (Some(a), Some(b), syn::RangeLimits::HalfOpen(_)) => {
                int(a).zip(int(b)).is_some_and(|(a, b)| b <= a + 1)
            }
            (Some(a), Some(b), syn::RangeLimits::Closed(_)) => {
                int(a).zip(int(b)).is_some_and(|(a, b)| b <= a)
            }
            _ => false,
        },
        Expr::Array(a) => a.elems.len() <= 1,
        Expr::Reference(r) => iterates_once(&r.expr),
        Expr::Call(call) => match &*call.func {
            Expr::Path(p) => {
                let s = segments(&p.path);
                matches!(s.last().map(String::as_str), Some("Some" | "once"))
            }
            _ => false,
        },
        _ => false,
    }
}

fn int(expr: &Expr) -> Option<u128> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse().ok(),
        _ => None,
    }
}

/// The body of a `loop` ends with an unconditional `break` or `return`: it runs once.
pub(crate) fn ends_unconditionally(block: &syn::Block) -> bool {
    matches!(
        block.stmts.last(),
        Some(syn::Stmt::Expr(Expr::Break(_) | Expr::Return(_), _))
    )
}

/// `io::stdin()`, `std::io::stdout()`, `stderr()`.
pub(crate) fn is_stdio(expr: &Expr) -> bool {
    let Expr::Call(call) = expr else {
        return false;
    };
    matches!(&*call.func, Expr::Path(p)
        if p.path.segments.last().is_some_and(|s| ["stdin", "stdout", "stderr"].contains(&s.ident.to_string().as_str())))
}
