//! `[profile]`: the defaults of the `profile` task (what to profile, how often
//! to sample, where to write), so `cargo perf profile` and pipelines need no flags.

use std::time::Duration;

use toml::de::DeTable;

use crate::choice::Choice;
use crate::diagnostic::Diagnostic;
use crate::reader::{Reader, Value};
use crate::table::{Key, key};

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
    pub call_graph: CallGraph,
    pub duration: Option<Duration>,
    /// Where profile runs go, relative to the workspace root (default: under the target dir).
    pub output_dir: Option<String>,
    pub min_width: f64,
    pub no_inline: bool,
    /// How many runs stay under the default output dir
    /// (`<target>/cargo-perf/profile/`): older ones are removed after a run.
    pub keep: u32,
}

/// How many profile runs stay when perf.toml does not say.
pub const DEFAULT_KEEP: u32 = 10;

impl Default for ProfileSettings {
    fn default() -> Self {
        Self {
            target: None,
            package: None,
            features: Vec::new(),
            cargo_profile: None,
            args: Vec::new(),
            frequency: DEFAULT_FREQUENCY,
            call_graph: CallGraph::Dwarf,
            duration: None,
            output_dir: None,
            min_width: 0.01,
            no_inline: false,
            keep: DEFAULT_KEEP,
        }
    }
}

/// How perf unwinds stacks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CallGraph {
    /// DWARF unwinding: works without frame pointers, larger recordings.
    #[default]
    Dwarf,
    /// Frame pointers: small and fast, needs code built with them.
    FramePointers,
}

impl Choice for CallGraph {
    const WHAT: &'static str = "call-graph mode";
    const VALUES: &'static [(&'static str, Self)] = &[
        ("dwarf", CallGraph::Dwarf),
        ("fp", CallGraph::FramePointers),
    ];
}

/// `[profile]` being read, and how many targets it named so far.
#[derive(Default)]
pub(crate) struct Draft {
    settings: ProfileSettings,
    targets: usize,
}

pub(crate) const KEYS: &[Key<Draft>] = &[
    key("bin", read_target),
    key("example", read_target),
    key("test", read_target),
    key("bench", read_target),
    key("package", |r, d, k, v| {
        d.settings.package = r.non_empty(k, v, "my-crate").map(|s| s.value)
    }),
    key("features", |r, d, k, v| {
        d.settings.features = r.strings(k, v)
    }),
    key("cargo-profile", |r, d, k, v| {
        d.settings.cargo_profile = r.non_empty(k, v, "release").map(|s| s.value)
    }),
    key("args", |r, d, k, v| d.settings.args = r.strings(k, v)),
    key("frequency", |r, d, k, v| {
        if let Some(n) = r.integer(k, v, 1, 100_000) {
            d.settings.frequency = n as u32;
        }
    }),
    key("call-graph", |r, d, k, v| {
        if let Some(mode) = r.choice(k, v) {
            d.settings.call_graph = mode;
        }
    }),
    key("duration", |r, d, k, v| {
        d.settings.duration = r.duration(k, v)
    }),
    key("output-dir", |r, d, k, v| {
        d.settings.output_dir = r.output_dir(k, v, "target/profiles")
    }),
    key("min-width", read_min_width),
    key("no-inline", |r, d, k, v| {
        d.settings.no_inline = r.bool(k, v).unwrap_or_default()
    }),
    key("keep", |r, d, k, v| {
        if let Some(n) = r.integer(k, v, 1, 100_000) {
            d.settings.keep = n as u32;
        }
    }),
];

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> ProfileSettings {
    let mut draft = Draft::default();
    r.section(table, "[profile]", KEYS, &mut draft);
    draft.settings
}

fn read_target(r: &mut Reader, draft: &mut Draft, key: &str, value: &Value<'_>) {
    draft.targets += 1;
    if draft.targets > 1 {
        r.report(
            Diagnostic::new("[profile] names more than one target")
                .at(value.span())
                .label("second target")
                .help("keep one of `bin`, `example`, `test` or `bench`"),
        );
        return;
    }
    let Some(name) = r.non_empty(key, value, "my-app").map(|s| s.value) else {
        return;
    };
    draft.settings.target = Some(match key {
        "bin" => ProfileTarget::Bin(name),
        "example" => ProfileTarget::Example(name),
        "test" => ProfileTarget::Test(name),
        _ => ProfileTarget::Bench(name),
    });
}

fn read_min_width(r: &mut Reader, draft: &mut Draft, key: &str, value: &Value<'_>) {
    match r.percent_points(key, value) {
        Some(width) if width <= 100.0 => draft.settings.min_width = width,
        Some(_) => r.report(
            Diagnostic::new("`min-width` must be from 0% to 100%")
                .at(value.span())
                .label("a percentage of the image width")
                .help("write it as `min-width = \"0.1%\"`"),
        ),
        None => {}
    }
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
        assert_eq!(p.call_graph, CallGraph::FramePointers);
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
