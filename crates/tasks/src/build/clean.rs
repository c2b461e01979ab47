//! Clean-build time (`--clean`): a full build into a target dir of our own
//! (`<target>/cargo-perf/clean-build`, so the user's build is never wiped),
//! with `--timings`. Stable cargo writes its timings only as an HTML report;
//! the slowest units come from the `UNIT_DATA` JSON array embedded in it.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where the clean build goes, inside the workspace's target dir.
pub(crate) fn target_dir(target: &Path) -> PathBuf {
    crate::tool_output::root(target).join(crate::tool_output::CLEAN_BUILD)
}

/// Empties our clean-build dir. A symlink in its place is removed, never
/// followed; a symlinked `cargo-perf` dir above it is refused.
pub(crate) fn reset(dir: &Path) -> std::io::Result<()> {
    if let Some(parent) = dir.parent()
        && fs::symlink_metadata(parent).is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(std::io::Error::other(format!(
            "{} is a symbolic link; cargo perf does not delete through links",
            parent.display()
        )));
    }
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(dir)?,
        Ok(_) => fs::remove_file(dir)?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }
    fs::create_dir_all(dir)
}

/// Removes the clean build's outputs but keeps its timings report.
pub(crate) fn discard_outputs(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name() == crate::tool_output::CLEAN_BUILD_REPORT {
            continue;
        }
        let path = entry.path();
        let _ = match entry.file_type() {
            Ok(t) if t.is_dir() => fs::remove_dir_all(&path),
            _ => fs::remove_file(&path),
        };
    }
}

/// The timings report of the build in `dir`.
pub(crate) fn report_path(dir: &Path) -> PathBuf {
    dir.join(crate::tool_output::CLEAN_BUILD_REPORT)
        .join("cargo-timing.html")
}

/// One unit of the timings report.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct TimedUnit {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub target: String,
    pub duration: f64,
}

impl TimedUnit {
    pub(crate) fn describe(&self) -> String {
        let target = self.target.trim();
        if target.is_empty() {
            format!("{} v{}", self.name, self.version)
        } else {
            format!("{} v{} ({target})", self.name, self.version)
        }
    }
}

/// The units of a cargo timings HTML report, slowest first.
pub(crate) fn slowest_units(html: &str) -> Option<Vec<TimedUnit>> {
    let start = html.find("const UNIT_DATA = ")? + "const UNIT_DATA = ".len();
    let mut stream =
        serde_json::Deserializer::from_str(&html[start..]).into_iter::<Vec<TimedUnit>>();
    let mut units = stream.next()?.ok()?;
    units.sort_by(|a, b| b.duration.total_cmp(&a.duration));
    Some(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_never_deletes_through_a_link() {
        let root = std::env::temp_dir().join(format!("cargo-perf-reset-{}", std::process::id()));
        let elsewhere = root.join("elsewhere");
        fs::create_dir_all(elsewhere.join("clean-build")).unwrap();
        fs::write(elsewhere.join("clean-build/precious"), "x").unwrap();
        let target = root.join("target");
        fs::create_dir_all(&target).unwrap();
        std::os::unix::fs::symlink(&elsewhere, target.join("cargo-perf")).unwrap();
        assert!(reset(&target_dir(&target)).is_err());
        assert!(elsewhere.join("clean-build/precious").exists());
        fs::remove_file(target.join("cargo-perf")).unwrap();
        fs::create_dir_all(target.join("cargo-perf")).unwrap();
        std::os::unix::fs::symlink(elsewhere.join("clean-build"), target_dir(&target)).unwrap();
        reset(&target_dir(&target)).unwrap();
        assert!(elsewhere.join("clean-build/precious").exists());
        assert!(!target_dir(&target).is_symlink());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn reads_unit_data_from_the_html_report() {
        let html = r#"<script>
const UNIT_DATA = [
  {"i": 1, "name": "a", "version": "0.1.0", "mode": "todo", "target": " build-script", "start": 0.05, "duration": 0.08, "unblocked_units": [2]},
  {"i": 2, "name": "b", "version": "0.2.0", "mode": "todo", "target": "", "start": 0.1, "duration": 1.5}
];
const CONCURRENCY_DATA = [];
</script>"#;
        let units = slowest_units(html).unwrap();
        assert_eq!(units[0].describe(), "b v0.2.0");
        assert_eq!(units[1].describe(), "a v0.1.0 (build-script)");
        assert!(slowest_units("<html></html>").is_none());
    }
}
