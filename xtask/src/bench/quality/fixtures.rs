//! The fixture classes of the verdict-quality experiment: each a small
//! workspace whose benchmark reads a factor on its work from `SLOWDOWN` or,
//! without it, from the committed file `slowdown` (so a commit holds the
//! baseline's factor and cargo perf can measure it again), and a perf.toml
//! that benchmarks it with the default settings.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// A dependent multiply-add loop, `N` steps times the factor, on `THREADS`
/// threads (default 1).
const BUSY: &str = r#"use std::hint::black_box;
fn main() {
    let factor: f64 = std::env::var("SLOWDOWN").or_else(|_| std::fs::read_to_string("slowdown")).map_or(1.0, |s| s.trim().parse().expect("SLOWDOWN"));
    let steps: f64 = std::env::var("STEPS").map_or(20_000_000.0, |s| s.parse().expect("STEPS"));
    let threads: usize = std::env::var("THREADS").map_or(1, |s| s.parse().expect("THREADS"));
    let n = (steps * factor) as u64;
    let work = move || {
        let mut x = 0u64;
        for i in 0..n {
            x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
        }
        black_box(x);
    };
    let handles: Vec<_> = (0..threads).map(|_| std::thread::spawn(work)).collect();
    for h in handles {
        h.join().unwrap();
    }
}
"#;

/// Reads every file under `data/`, then (factor - 1) of them again.
const FILES: &str = r#"use std::io::Read;
fn main() {
    let factor: f64 = std::env::var("SLOWDOWN").or_else(|_| std::fs::read_to_string("slowdown")).map_or(1.0, |s| s.trim().parse().expect("SLOWDOWN"));
    let mut paths: Vec<_> = std::fs::read_dir("data").unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    let extra = ((factor - 1.0) * paths.len() as f64).round() as usize;
    let mut sum = 0u64;
    let mut buf = Vec::new();
    for p in paths.iter().chain(paths.iter().take(extra)) {
        buf.clear();
        std::fs::File::open(p).unwrap().read_to_end(&mut buf).unwrap();
        sum = sum.wrapping_add(buf.iter().map(|b| u64::from(*b)).sum::<u64>());
    }
    std::hint::black_box(sum);
}
"#;

/// An interpreter's start-up, then a loop of about 0.2 s.
const PYTHON: &str = r#"import os
factor = os.environ.get("SLOWDOWN") or open("slowdown").read()
n = int(400_000 * float(factor))
s = 0
for i in range(n):
    s += i * i
"#;

const LIB_RS: &str = r#"use std::hint::black_box;
use std::sync::OnceLock;

/// `n` dependent multiply-adds, times the factor (read once).
pub fn busy(n: u64) -> u64 {
    static FACTOR: OnceLock<f64> = OnceLock::new();
    let factor = *FACTOR.get_or_init(|| {
        std::env::var("SLOWDOWN").or_else(|_| std::fs::read_to_string("slowdown")).map_or(1.0, |s| s.trim().parse().expect("SLOWDOWN"))
    });
    let n = (n as f64 * factor) as u64;
    let mut x = 0u64;
    for i in 0..n {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
    }
    x
}
"#;

const CRITERION_BENCH: &str = r#"use criterion::{criterion_group, criterion_main, Criterion};
fn work(c: &mut Criterion) {
    c.bench_function("work", |b| b.iter(|| fixture::busy(std::hint::black_box(900_000))));
}
criterion_group!(benches, work);
criterion_main!(benches);
"#;

const DIVAN_BENCH: &str = r#"fn main() {
    divan::main();
}
#[divan::bench]
fn work() -> u64 {
    fixture::busy(divan::black_box(100_000))
}
"#;

const LIBTEST_BENCH: &str = r#"#![feature(test)]
extern crate test;
#[bench]
fn work(b: &mut test::Bencher) {
    b.iter(|| fixture::busy(test::black_box(100_000)));
}
"#;

/// The committed file the benchmarks read their factor from.
pub const SLOWDOWN_FILE: &str = "slowdown";

/// Builds the two programs where they are missing.
const SETUP: &str =
    "test -x busy && test -x files || { rustc -O -o busy busy.rs && rustc -O -o files files.rs; }";

/// What a class benchmarks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `[bench.commands.work]` command.
    Command {
        run: &'static str,
        env: &'static str,
    },
    Criterion,
    Divan,
    Libtest,
}

/// The fixture of `kind` in `root`, built and ready to benchmark.
pub fn create(root: &Path, kind: Kind) -> Result<()> {
    std::fs::create_dir_all(root.join("src"))?;
    std::fs::write(root.join("src/lib.rs"), LIB_RS)?;
    std::fs::write(
        root.join(".gitignore"),
        "/target\n/.cargo-perf\n/busy\n/files\n",
    )?;
    std::fs::write(root.join(SLOWDOWN_FILE), "1\n")?;
    let mut policy = "[bench]\nthreshold = \"5%\"\n".to_owned();
    let mut cargo_toml =
        "[package]\nname = \"fixture\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lib]\nbench = false\n"
            .to_owned();
    match kind {
        Kind::Command { run, env } => {
            std::fs::write(root.join("busy.rs"), BUSY)?;
            std::fs::write(root.join("files.rs"), FILES)?;
            std::fs::write(root.join("work.py"), PYTHON)?;
            compile(root, "busy")?;
            compile(root, "files")?;
            write_data(root)?;
            // The setup builds the programs in a tree that lacks them: a
            // worktree of the baseline's commit.
            policy.push_str(&format!(
                "\n[bench.commands.work]\nsetup = \"{SETUP}\"\nrun = \"{run}\"\nwarmup = 3\nenv = {{ {env} }}\n"
            ));
        }
        Kind::Criterion | Kind::Divan | Kind::Libtest => {
            let (dep, bench, harness) = match kind {
                Kind::Criterion => (
                    "criterion = { version = \"0.8\", default-features = false }",
                    CRITERION_BENCH,
                    "harness = false\n",
                ),
                Kind::Divan => ("divan = \"0.1\"", DIVAN_BENCH, "harness = false\n"),
                _ => ("", LIBTEST_BENCH, ""),
            };
            cargo_toml.push_str(&format!(
                "\n[dev-dependencies]\n{dep}\n\n[[bench]]\nname = \"work\"\n{harness}"
            ));
            std::fs::create_dir_all(root.join("benches"))?;
            std::fs::write(root.join("benches/work.rs"), bench)?;
        }
    }
    std::fs::write(root.join("Cargo.toml"), cargo_toml)?;
    std::fs::write(root.join("perf.toml"), policy)?;
    Ok(())
}

fn compile(root: &Path, name: &str) -> Result<()> {
    let status = Command::new("rustc")
        .args(["-O", "-o", name, &format!("{name}.rs")])
        .current_dir(root)
        .status()
        .context("running rustc")?;
    if !status.success() {
        bail!("rustc {name}.rs failed");
    }
    Ok(())
}

/// 3,000 files of 1 to 4 KiB.
fn write_data(root: &Path) -> Result<()> {
    let data = root.join("data");
    std::fs::create_dir_all(&data)?;
    for i in 0..3000u32 {
        let len = 1024 + (i as usize * 7919) % 3072;
        std::fs::write(
            data.join(format!("{i:05}.txt")),
            vec![b'a' + (i % 26) as u8; len],
        )?;
    }
    Ok(())
}
