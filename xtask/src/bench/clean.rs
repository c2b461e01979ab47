//! `cargo xtask bench clean` (issue 3): `cargo-perf clean --dry-run` on a
//! generated target dir of about 200,000 entries in cargo's layout (a third
//! of its units 60 days old, the policy `max-age = "30d"`), against the floor
//! `du -s target` (one stat per entry; goal: at most 0.7x, issue 18) and against
//! `cargo sweep --dry-run --time 30` (goal: faster). The tree is generated
//! once and kept in the system temp dir; cargo-sweep is installed with
//! `cargo install` when missing (never under CI).

use std::fs::{self, File, FileTimes};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use xshell::{Shell, cmd};

use super::{Contender, Results, compare, release_binary};

const UNITS_PER_PROFILE: usize = 5_000;
const PROFILES: &[&str] = &["debug", "release"];
/// Bump when the generated layout changes, so a stale cache is not reused.
const LAYOUT_VERSION: u32 = 1;

pub fn run(sh: &Shell, rounds: usize) -> Result<()> {
    let binary = release_binary(sh)?;
    let sweep = cargo_sweep(sh);
    let results = measure(&binary, sweep.as_deref(), rounds)?;
    results.print(0);
    println!(
        "ratio cargo-perf clean --dry-run / du -s: {:.2}x (goal <= 0.70x)",
        results.ratio(1, 0)
    );
    if results.medians.len() > 2 {
        println!(
            "ratio cargo-perf clean --dry-run / cargo sweep: {:.2}x (goal < 1.00x)",
            results.ratio(1, 2)
        );
    } else {
        println!("cargo-sweep is not installed: that comparison was left out");
    }
    Ok(())
}

/// Medians of `du -s target`, `cargo-perf clean --dry-run` and, when
/// `sweep` is given, `cargo sweep --dry-run --time 30`, in that order.
pub fn measure(binary: &Path, sweep: Option<&Path>, rounds: usize) -> Result<Results> {
    let root = generate()?;
    let entries = count_entries(&root.join("target"));
    let mut du = Command::new("du");
    du.args(["-s", "target"]).current_dir(&root);
    let mut ours = Command::new(binary);
    ours.args(["clean", "--dry-run", "--quiet"])
        .current_dir(&root)
        .env_remove("CARGO_TARGET_DIR");
    let mut contenders = vec![
        Contender::new("du -s target", du),
        Contender::new("cargo-perf clean --dry-run", ours),
    ];
    if let Some(sweep) = sweep {
        let mut command = Command::new(sweep);
        command
            .args(["sweep", "--dry-run", "--time", "30"])
            .current_dir(&root)
            .env_remove("CARGO_TARGET_DIR");
        contenders.push(Contender::new("cargo sweep --dry-run --time 30", command));
    }
    println!(
        "target dir of {entries} entries ({} units), {rounds} interleaved rounds:",
        UNITS_PER_PROFILE * PROFILES.len()
    );
    compare(&mut contenders, rounds)
}

/// The `cargo-sweep` binary, installed with `cargo install` if missing (not under CI).
fn cargo_sweep(sh: &Shell) -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let path = home.join("bin/cargo-sweep");
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        return None;
    }
    println!("installing cargo-sweep (once) with `cargo install cargo-sweep --locked`");
    cmd!(sh, "cargo install cargo-sweep --locked --quiet")
        .run()
        .ok()?;
    path.exists().then_some(path)
}

/// The generated workspace, built once and reused while its marker exists.
fn generate() -> Result<PathBuf> {
    let root = std::env::temp_dir().join(format!("cargo-perf-bench-clean-v{LAYOUT_VERSION}"));
    let marker = root.join(".complete");
    if marker.exists() {
        return Ok(root);
    }
    println!("generating {} (once)...", root.display());
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(root.join("src"))?;
    fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"bench-clean\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )?;
    fs::write(root.join("src/lib.rs"), "")?;
    fs::write(root.join("perf.toml"), "[clean]\nmax-age = \"30d\"\n")?;
    let target = root.join("target");
    fs::write(
        target_file(&target, "CACHEDIR.TAG")?,
        "Signature: 8a477f597d28d172789f06886806bc55\n",
    )?;
    let old = SystemTime::now() - Duration::from_secs(60 * 86_400);
    for profile in PROFILES {
        let dir = target.join(profile);
        for sub in [".fingerprint", "deps", "build", "incremental", "examples"] {
            fs::create_dir_all(dir.join(sub))?;
        }
        fs::write(dir.join(".cargo-lock"), "")?;
        for unit in 0..UNITS_PER_PROFILE {
            let paths = write_unit(&dir, unit)?;
            if unit.is_multiple_of(3) {
                for path in paths {
                    File::open(&path)
                        .and_then(|f| {
                            f.set_times(FileTimes::new().set_accessed(old).set_modified(old))
                        })
                        .with_context(|| format!("setting the times of {}", path.display()))?;
                }
            }
        }
    }
    fs::write(&marker, "")?;
    Ok(root)
}

fn target_file(target: &Path, name: &str) -> Result<PathBuf> {
    fs::create_dir_all(target)?;
    Ok(target.join(name))
}

/// Writes one unit (about 20 entries) and returns every path it wrote, dirs last.
fn write_unit(profile: &Path, unit: usize) -> Result<Vec<PathBuf>> {
    let name = format!("crate{unit:05}");
    let hash = format!(
        "{:016x}",
        (unit as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    );
    let mut files = Vec::with_capacity(24);
    let mut dirs = Vec::with_capacity(4);
    let mut file = |path: PathBuf, contents: &[u8]| -> Result<()> {
        fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
        files.push(path);
        Ok(())
    };
    let fingerprint = profile.join(".fingerprint").join(format!("{name}-{hash}"));
    fs::create_dir_all(&fingerprint)?;
    file(fingerprint.join(format!("lib-{name}")), hash.as_bytes())?;
    file(
        fingerprint.join(format!("lib-{name}.json")),
        format!("{{\"rustc\":1234,\"features\":\"[]\",\"target\":{unit},\"deps\":[]}}").as_bytes(),
    )?;
    file(fingerprint.join(format!("dep-lib-{name}")), b"")?;
    file(fingerprint.join("invoked.timestamp"), b"")?;
    let deps = profile.join("deps");
    file(deps.join(format!("lib{name}-{hash}.rlib")), &[0u8; 512])?;
    file(deps.join(format!("lib{name}-{hash}.rmeta")), b"")?;
    file(deps.join(format!("{name}-{hash}.d")), b"")?;
    let incremental = profile
        .join("incremental")
        .join(format!("{name}-{}", base36(unit as u64 * 7919 + 13)));
    let session = incremental.join(format!("s-{}-working", base36(unit as u64)));
    fs::create_dir_all(&session)?;
    file(
        incremental.join(format!("s-{}.lock", base36(unit as u64))),
        b"",
    )?;
    for part in 0..8 {
        file(session.join(format!("part{part}.o")), b"")?;
    }
    dirs.push(session);
    dirs.push(incremental);
    if unit.is_multiple_of(10) {
        let out = profile
            .join("build")
            .join(format!("{name}-{hash}"))
            .join("out");
        fs::create_dir_all(&out)?;
        for part in 0..6 {
            file(out.join(format!("generated{part}.rs")), b"")?;
        }
        dirs.push(out.parent().map(Path::to_owned).unwrap_or_default());
        dirs.push(out);
    }
    dirs.push(fingerprint);
    files.extend(dirs);
    Ok(files)
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn count_entries(dir: &Path) -> usize {
    let mut count = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            count += 1;
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(entry.path());
            }
        }
    }
    count
}
