//! What a run was measured on: commit, toolchain, machine and lock file. Two
//! runs compare fairly only when these match, so a comparison names the
//! fields that differ.

use std::path::Path;
use std::process::Command;

use cargo_perf_engine::Project;
use serde::{Deserialize, Serialize};

use super::stats::fnv1a;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Fingerprint {
    pub(crate) commit: Option<String>,
    pub(crate) dirty: bool,
    pub(crate) branch: Option<String>,
    pub(crate) rustc: Option<String>,
    pub(crate) target: Option<String>,
    pub(crate) cpu: Option<String>,
    pub(crate) cores: usize,
    pub(crate) os: String,
    pub(crate) cargo_lock: Option<String>,
    /// Seconds since the Unix epoch.
    pub(crate) time: u64,
}

impl Fingerprint {
    pub(crate) fn collect(project: &Project) -> Fingerprint {
        let root = &project.workspace.root;
        let git = project.git().ok().flatten();
        let git_line = |args: &[&str]| {
            git.and_then(|g| g.run(args).ok())
                .map(|out| String::from_utf8_lossy(&out).trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let rustc = output("rustc", &["-vV"], root);
        let target = rustc.as_deref().and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("host: "))
                .map(str::to_owned)
        });
        Fingerprint {
            commit: git.and_then(|g| g.head_commit()),
            dirty: git.is_some_and(|g| g.is_dirty()),
            branch: git_line(&["symbolic-ref", "--short", "-q", "HEAD"]),
            rustc: rustc.map(|t| t.lines().next().unwrap_or_default().to_owned()),
            target,
            cpu: cpu_model(),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            os: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
            cargo_lock: std::fs::read(root.join("Cargo.lock"))
                .ok()
                .map(|bytes| format!("{:016x}", fnv1a(&bytes))),
            time: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    /// The names of the machine and toolchain fields that differ.
    pub(crate) fn differences(&self, other: &Fingerprint) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.rustc != other.rustc {
            out.push("rustc");
        }
        if self.target != other.target {
            out.push("target");
        }
        if self.cpu != other.cpu {
            out.push("cpu");
        }
        if self.cores != other.cores {
            out.push("cores");
        }
        if self.os != other.os {
            out.push("os");
        }
        if self.cargo_lock != other.cargo_lock {
            out.push("Cargo.lock");
        }
        out
    }
}

fn output(program: &str, args: &[&str], cwd: &Path) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim() == "model name")
        .map(|(_, v)| v.trim().to_owned())
}
