//! `[profile]`: the defaults of the `profile` task (what to profile, how often
//! to sample, where to write), so `cargo perf profile` and pipelines need no flags.

use std::time::Duration;

use toml::de::DeTable;

use crate::diagnostic::Diagnostic;
use crate::reader::Reader;

/// The sampling frequency when nothing sets one, in Hz.
pub const DEFAULT_FREQUENCY: u32 = 997;

/// Which target `[profile]` names by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileTarget {
    Bin(String),
    Example(String),
    Test(String),
    Bench(String),
}

/// Defaults of the `profile` task. Command-line flags override them.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileSettings {
    pub target: Option<ProfileTarget>,
    pub package: Option<String>,
    pub features: Vec<String>,
    /// The cargo profile to build with (`release`, or `bench` for benches, when unset).
    pub cargo_profile: Option<String>,
    pub args: Vec<String>,
    pub frequency: u32,
    /// `dwarf` or `fp`.
    pub call_graph: String,
    pub duration: Option<Duration>,
    /// Where profile runs go, relative to the workspace root (default: under the target dir).
    pub output_dir: Option<String>,
    pub min_width: f64,
    pub no_inline: bool,
}

impl Default for ProfileSettings {
    fn default() -> Self {
        Self {
            target: None,
            package: None,
            features: Vec::new(),
            cargo_profile: None,
            args: Vec::new(),
            frequency: DEFAULT_FREQUENCY,
            call_graph: "dwarf".to_owned(),
            duration: None,
            output_dir: None,
            min_width: 0.01,
            no_inline: false,
        }
    }
}

const KEYS: &[&str] = &[
    "bin",
    "example",
    "test",
    "bench",
    "package",
    "features",
    "cargo-profile",
    "args",
    "frequency",
    "call-graph",
    "duration",
    "output-dir",
    "min-width",
    "no-inline",
];

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> ProfileSettings {
    let mut settings = ProfileSettings::default();
    let mut targets = 0;
    r.fields(table, "[profile]", KEYS, |r, key, value| match key {
        "bin" | "example" | "test" | "bench" => {
            targets += 1;
            if targets > 1 {
                r.report(
                    Diagnostic::new("[profile] names more than one target")
                        .at(value.span())
                        .label("second target")
                        .help("keep one of `bin`, `example`, `test` or `bench`"),
                );
                return;
            }
            let Some(name) = r.string(key, value).map(|s| s.value) else {
                return;
            };
            settings.target = Some(match key {
                "bin" => ProfileTarget::Bin(name),
                "example" => ProfileTarget::Example(name),
                "test" => ProfileTarget::Test(name),
                _ => ProfileTarget::Bench(name),
            });
        }
        "package" => settings.package = r.string(key, value).map(|s| s.value),
        "features" => {
            settings.features = r
                .string_list(key, value)
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.value)
                .collect()
        }
        "cargo-profile" => settings.cargo_profile = r.string(key, value).map(|s| s.value),
        "args" => {
            settings.args = r
                .string_list(key, value)
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.value)
                .collect()
        }
        "frequency" => {
            if let Some(n) = r.integer(key, value, 1, 100_000) {
                settings.frequency = n as u32;
            }
        }
        "call-graph" => {
            if let Some(mode) = r.string(key, value) {
                if mode.value == "dwarf" || mode.value == "fp" {
                    settings.call_graph = mode.value;
                } else {
                    r.report(
                        Diagnostic::new(format!("unknown call-graph mode `{}`", mode.value))
                            .at(value.span())
                            .label("expected `dwarf` or `fp`")
                            .help("write `call-graph = \"dwarf\"` (default) or `call-graph = \"fp\"` (frame pointers)"),
                    );
                }
            }
        }
        "duration" => settings.duration = r.duration(key, value),
        "output-dir" => settings.output_dir = r.output_dir(key, value, "target/profiles"),
        "min-width" => match r.percent_points(key, value) {
            Some(width) if width <= 100.0 => settings.min_width = width,
            Some(_) => r.report(
                Diagnostic::new("`min-width` must be from 0% to 100%")
                    .at(value.span())
                    .label("a percentage of the image width")
                    .help("write it as `min-width = \"0.1%\"`"),
            ),
            None => {}
        },
        _ => settings.no_inline = r.bool(key, value).unwrap_or_default(),
    });
    settings
}

#[cfg(test)]
mod tests {
    use crate::{SourceFile, parse};

    use super::*;

    #[test]
    fn reads_every_key() {
        let policy = parse(SourceFile::new(
            "perf.toml",
            "[profile]\nbench = \"parse\"\npackage = \"app\"\nfeatures = [\"simd\"]\ncargo-profile = \"profiling\"\nargs = [\"-n\", \"3\"]\nfrequency = 4999\ncall-graph = \"fp\"\nduration = \"30s\"\noutput-dir = \"profiles\"\nmin-width = \"0.5%\"\nno-inline = true\n",
        ))
        .unwrap();
        let p = policy.profile;
        assert_eq!(p.target, Some(ProfileTarget::Bench("parse".into())));
        assert_eq!(p.package.as_deref(), Some("app"));
        assert_eq!(p.features, ["simd"]);
        assert_eq!(p.cargo_profile.as_deref(), Some("profiling"));
        assert_eq!(p.args, ["-n", "3"]);
        assert_eq!(p.frequency, 4999);
        assert_eq!(p.call_graph, "fp");
        assert_eq!(p.duration, Some(Duration::from_secs(30)));
        assert_eq!(p.output_dir.as_deref(), Some("profiles"));
        assert_eq!(p.min_width, 0.5);
        assert!(p.no_inline);
    }

    #[test]
    fn bad_values_are_located() {
        let err = parse(SourceFile::new(
            "perf.toml",
            "[profile]\nbin = \"a\"\nexample = \"b\"\nfrequency = 0\nmin-width = \"wide\"\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("more than one target"), "{err}");
        assert!(err.contains("perf.toml:3:11"), "{err}");
        assert!(err.contains("`frequency` is out of range"), "{err}");
        assert!(err.contains("invalid value for `min-width`"), "{err}");
    }
}
