//! Each own rule on small sources: the pattern it must find, and the
//! near-misses it must leave alone.

use super::rules::Rule;
use super::scan::scan_text;

fn rules(source: &str) -> Vec<(Rule, usize)> {
    scan_text(source)
        .unwrap()
        .hits
        .into_iter()
        .map(|h| (h.rule, h.line))
        .collect()
}

fn finds(rule: Rule, source: &str) {
    let found = rules(source);
    assert!(
        found.iter().any(|(r, _)| *r == rule),
        "{rule:?} not found in:\n{source}\n{found:?}"
    );
}

fn not(rule: Rule, source: &str) {
    let found = rules(source);
    assert!(
        !found.iter().any(|(r, _)| *r == rule),
        "{rule:?} found in:\n{source}\n{found:?}"
    );
}

fn silent(source: &str) {
    let found = rules(source);
    assert!(
        found.is_empty(),
        "expected nothing in:\n{source}\nfound {found:?}"
    );
}

#[test]
fn format_in_loop() {
    finds(
        Rule::FormatInLoop,
        "fn f(xs: &[u8]) { let mut s = String::new(); for x in xs { s.push_str(&format!(\"{x},\")); } }",
    );
    finds(
        Rule::FormatInLoop,
        "fn f(xs: &[u8]) { let mut s = String::new(); for x in xs { s += &format!(\"{x}\"); } }",
    );
    finds(
        Rule::FormatInLoop,
        "fn f(xs: &[u8]) { let mut s = String::new(); while go() { s = s + \"x\"; } }",
    );
    silent(
        "fn f(xs: &[u8]) { let mut s = String::new(); s.push_str(&format!(\"{}\", 1)); for x in xs { println!(\"{}\", format!(\"{x}\")); } }",
    );
    silent("fn f() { let mut n = 0; for x in 0..3 { n = n + x; } }");
    silent("fn f() { let mut s = String::new(); for x in [1] { s.push_str(&format!(\"{x}\")); } }");
}

#[test]
fn clone_in_loop() {
    finds(
        Rule::CloneInLoop,
        "fn f(xs: &[u8]) { let names = vec![1u8]; for x in xs { if names.clone().contains(x) {} } }",
    );
    finds(
        Rule::CloneInLoop,
        "fn f(xs: &[u8], names: Vec<u8>) { for x in xs { g(&names.clone()); } }",
    );
    silent(
        "fn f(xs: &[u8]) { let names = vec![1u8]; let c = names.clone(); for x in xs { out.push(names.clone()); } }",
    );
    silent("fn f(xs: &[String]) { for x in xs { let y = x.clone(); g(&y.clone()); } }");
    silent("fn f(xs: &[u8], a: std::sync::Arc<u8>) { for x in xs { g(&a.clone()); } }");
    not(
        Rule::CloneInLoop,
        "fn f(xs: &[u8]) { let names = vec![1u8]; for x in xs { std::thread::spawn(move || names.clone().len()); } }",
    );
}

#[test]
fn vec_push_no_capacity() {
    finds(
        Rule::VecPushNoCapacity,
        "fn f(xs: &[u8]) -> Vec<u8> { let mut v = Vec::new(); for x in xs { v.push(*x); } v }",
    );
    silent(
        "fn f(xs: &[u8]) -> Vec<u8> { let mut v = Vec::with_capacity(xs.len()); for x in xs { v.push(*x); } v }",
    );
    silent(
        "fn f(xs: &[u8]) -> Vec<u8> { let mut v = Vec::new(); for x in xs { if *x > 1 { v.push(*x); } } v }",
    );
    silent(
        "fn f(xs: &[u8]) -> Vec<u8> { let mut v = Vec::new(); for x in xs { if *x > 1 { continue; } v.push(*x); } v }",
    );
    silent(
        "fn f(xs: &[u8]) -> Vec<u8> { let mut v = Vec::new(); v.reserve(9); for x in xs { v.push(*x); } v }",
    );
}

#[test]
fn lock_in_loop() {
    finds(
        Rule::LockInLoop,
        "fn f(xs: &[u8], total: &std::sync::Mutex<u32>) { for x in xs { *total.lock().unwrap() += 1; } }",
    );
    finds(
        Rule::LockInLoop,
        "impl A { fn f(&self, xs: &[u8]) { for x in xs { self.m.lock().unwrap().push(*x); } } }",
    );
    silent("fn f(ms: &[std::sync::Mutex<u8>]) { for m in ms { *m.lock().unwrap() += 1; } }");
    silent(
        "async fn f(xs: &[u8], m: &std::sync::Mutex<Vec<u8>>) { for x in xs { { m.lock().unwrap().push(*x); } tokio::task::yield_now().await; } }",
    );
    silent("fn f(q: &std::sync::Mutex<Vec<u8>>) { loop { let job = q.lock().unwrap().pop(); } }");
    silent("fn f(xs: &[u8]) { for x in xs { let out = std::io::stdout().lock(); } }");
    silent(
        "fn f(xs: &[u8]) { let stdin = std::io::stdin(); for x in xs { let r = stdin.lock(); } }",
    );
    silent(
        "fn f(total: &std::sync::Mutex<u32>) { let mut t = total.lock().unwrap(); for x in 0..9 { *t += x; } }",
    );
}

#[test]
fn collect_then_iterate() {
    finds(
        Rule::CollectThenIterate,
        "fn f(xs: &[u8]) -> u32 { xs.iter().map(|x| *x as u32).collect::<Vec<_>>().into_iter().sum() }",
    );
    silent("fn f(xs: &[u8]) -> Vec<u8> { xs.iter().copied().collect::<Vec<_>>() }");
    silent(
        "fn f(xs: &[u8]) { for x in xs.iter().collect::<std::collections::BTreeSet<_>>().into_iter() {} }",
    );
    silent(
        "struct W { it: std::vec::IntoIter<u8> } fn f(xs: &[u8]) -> W { W { it: xs.iter().copied().collect::<Vec<_>>().into_iter() } }",
    );
    finds(
        Rule::CollectThenIterate,
        "fn f(xs: &[u8]) { for x in xs.iter().collect::<Vec<_>>().into_iter() {} }",
    );
    silent("fn f(s: &str) { for x in s.split(',').collect::<Vec<_>>().into_iter().rev() {} }");
}

#[test]
fn regex_in_loop() {
    finds(
        Rule::RegexInLoop,
        "fn f(ls: &[&str]) { for l in ls { let re = regex::Regex::new(\"a+\").unwrap(); re.is_match(l); } }",
    );
    finds(
        Rule::RegexInLoop,
        "const P: &str = \"a\"; fn f(ls: &[&str]) { for l in ls { Regex::new(P); } }",
    );
    silent(
        "fn f(ls: &[&str]) { let re = Regex::new(\"a+\").unwrap(); for l in ls { re.is_match(l); } }",
    );
    silent("fn f(ps: &[&str]) { for p in ps { let re = Regex::new(p).unwrap(); } }");
    silent("fn f() { loop { let re = Regex::new(\"a\"); break; } }");
}

#[test]
fn blocking_in_async() {
    finds(
        Rule::BlockingInAsync,
        "async fn f() { let t = std::fs::read_to_string(\"a\"); }",
    );
    finds(
        Rule::BlockingInAsync,
        "use std::thread; async fn f() { thread::sleep(D); }",
    );
    finds(
        Rule::BlockingInAsync,
        "use std::fs::File; fn g() { let f = async { File::open(\"a\") }; }",
    );
    finds(
        Rule::BlockingInAsync,
        "use std::process::Command; async fn f() { Command::new(\"ls\").output(); }",
    );
    silent("use tokio::fs; async fn f() { fs::read_to_string(\"a\").await; }");
    silent("fn f() { std::fs::read_to_string(\"a\"); std::thread::sleep(D); }");
    silent("async fn f() { tokio::task::spawn_blocking(|| std::fs::read(\"a\")).await; }");
    silent("use tokio::fs::File; async fn f() { File::open(\"a\").await; }");
}

#[test]
fn lock_across_await() {
    finds(
        Rule::LockAcrossAwait,
        "async fn f(m: &std::sync::Mutex<u8>) { let g = m.lock().unwrap(); fetch().await; }",
    );
    silent("async fn f(m: &tokio::sync::Mutex<u8>) { let g = m.lock().await; fetch().await; }");
    silent(
        "async fn f(m: &std::sync::Mutex<u8>) { let g = m.lock().unwrap(); drop(g); fetch().await; }",
    );
    silent(
        "async fn f(m: &std::sync::Mutex<u8>) { { let g = m.lock().unwrap(); } fetch().await; }",
    );
    silent(
        "async fn f(m: &std::sync::Mutex<u8>) { let v = m.lock().unwrap().clone(); fetch().await; }",
    );
    silent("fn f(m: &std::sync::Mutex<u8>) { let g = m.lock().unwrap(); block_on(fetch()); }");
}

#[test]
fn unbounded_channel_in_loop() {
    finds(
        Rule::UnboundedChannelInLoop,
        "fn f(js: &[u8]) { for j in js { let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<u8>(); } }",
    );
    finds(
        Rule::UnboundedChannelInLoop,
        "use std::sync::mpsc; fn f(js: &[u8]) { for j in js { let (tx, rx) = mpsc::channel::<u8>(); } }",
    );
    silent(
        "fn f(js: &[u8]) { let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<u8>(); for j in js {} }",
    );
    silent(
        "fn f(js: &[u8]) { for j in js { let (tx, rx) = tokio::sync::mpsc::channel::<u8>(1); } }",
    );
}

#[test]
fn spawn_in_loop() {
    finds(
        Rule::SpawnInLoop,
        "async fn f(us: Vec<String>) { for u in us { tokio::spawn(get(u)); } }",
    );
    finds(
        Rule::SpawnInLoop,
        "use std::thread; fn f(us: Vec<String>) { for u in us { thread::spawn(move || u); } }",
    );
    silent("fn f(n: usize) { for i in 0..n { std::thread::spawn(move || i); } }");
    silent("fn f() { for (a, b) in [(1, 2), (3, 4)] { std::thread::spawn(move || a + b); } }");
    silent(
        "async fn f(us: Vec<String>) { tokio::spawn(async move { for u in us { get(u).await; } }); }",
    );
}

#[test]
fn unbuffered_write_in_loop() {
    finds(
        Rule::UnbufferedWriteInLoop,
        "use std::fs::File; fn f(ls: &[&str]) -> std::io::Result<()> { let mut f = File::create(\"o\")?; for l in ls { writeln!(f, \"{l}\")?; } Ok(()) }",
    );
    finds(
        Rule::UnbufferedWriteInLoop,
        "fn f(ls: &[&str]) { let mut f = std::fs::File::create(\"o\").unwrap(); for l in ls { f.write_all(l.as_bytes()).unwrap(); } }",
    );
    silent(
        "use std::fs::File; fn f(ls: &[&str]) -> std::io::Result<()> { let mut f = BufWriter::new(File::create(\"o\")?); for l in ls { writeln!(f, \"{l}\")?; } Ok(()) }",
    );
    silent(
        "use std::fs::File; fn f() -> std::io::Result<()> { let mut f = File::create(\"o\")?; writeln!(f, \"x\")?; Ok(()) }",
    );
}

#[test]
fn query_in_loop() {
    finds(
        Rule::QueryInLoop,
        "async fn f(ids: &[i64], db: &Pool) { for id in ids { sqlx::query(\"select 1\").bind(id).fetch_one(db).await; } }",
    );
    finds(
        Rule::QueryInLoop,
        "use sqlx::query_as; async fn f(ids: &[i64]) { for id in ids { let r = query_as!(R, \"select\").fetch_one(db).await; } }",
    );
    finds(
        Rule::QueryInLoop,
        "use diesel::prelude::*; fn f(ids: &[i64], c: &mut C) { for id in ids { users.find(id).first::<U>(c); } }",
    );
    silent(
        "async fn f(ids: &[i64], db: &Pool) { sqlx::query(\"select 1\").fetch_all(db).await; for id in ids {} }",
    );
    silent("fn f(xs: &[Vec<u8>]) { for x in xs { x.first(); } }");
    silent("fn f(xs: &[Vec<u8>]) { for x in xs { x.iter().all(|b| *b > 1); } }");
}

#[test]
fn test_code_is_not_read() {
    silent(
        "#[cfg(test)] mod tests { fn f(xs: &[u8]) -> Vec<u8> { let mut v = Vec::new(); for x in xs { v.push(*x); } v } }",
    );
    silent("#[tokio::test] async fn t() { std::fs::read(\"a\"); }");
    silent("#[test] fn t() { for x in [1, 2] { let re = Regex::new(\"a\"); } }");
    finds(
        Rule::BlockingInAsync,
        "#[tokio::main] async fn main() { std::fs::read(\"a\"); }",
    );
}

#[test]
fn suppression_by_comment_and_attribute() {
    let source = "fn f(xs: &[u8]) -> Vec<u8> {\n    // why: measured\n    // cargo-perf: allow(lint-vec-push-no-capacity)\n    let mut v = Vec::new();\n    for x in xs { v.push(*x); }\n    v\n}\n#[cfg_attr(any(), cargo_perf::allow(vec_push_no_capacity, lock_in_loop))]\nfn g(xs: &[u8]) -> Vec<u8> {\n    let mut v = Vec::new();\n    for x in xs { v.push(*x); }\n    v\n}\n";
    let hits = scan_text(source).unwrap();
    assert!(hits.hits.is_empty(), "{:?}", hits.hits);
    assert!(hits.unknown.is_empty());
    let other = "// cargo-perf: allow(lint-clone-in-lop)\nfn f() {}\n";
    let hits = scan_text(other).unwrap();
    assert_eq!(hits.unknown.len(), 1);
    assert_eq!(hits.unknown[0].name, "lint-clone-in-lop");
}

#[test]
fn positions_are_one_based() {
    let hits = scan_text(
        "fn f(xs: &[u8]) {\n    let mut v = Vec::new();\n    for x in xs { v.push(*x); }\n}\n",
    )
    .unwrap();
    assert_eq!((hits.hits[0].line, hits.hits[0].column), (2, 13));
}
