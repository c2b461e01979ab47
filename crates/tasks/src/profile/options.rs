//! What one profile run is asked to do, merged from command-line flags and
//! `[profile]` defaults, so every later step reads one plain struct.

use std::path::PathBuf;
use std::time::Duration;

use cargo_perf_engine::outputs::Origin;
use cargo_perf_engine::{CargoOptions, PolicyCargo};
use cargo_perf_policy::sections::profile::{ProfileSettings, ProfileTarget};

/// The program to profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Bin(String),
    Example(String),
    Test(String),
    Bench(String),
    /// The library's own unit-test binary, run single-threaded on a filter.
    UnitTest(Option<String>),
    /// An already built program: the first argument is the program.
    Command,
    /// Nothing named: the package's only binary.
    Default,
}

impl Target {
    pub(crate) fn describe(&self) -> String {
        match self {
            Target::Bin(name) => format!("bin `{name}`"),
            Target::Example(name) => format!("example `{name}`"),
            Target::Test(name) => format!("test `{name}`"),
            Target::Bench(name) => format!("bench `{name}`"),
            Target::UnitTest(_) => "the library's unit tests".to_owned(),
            Target::Command => "a command".to_owned(),
            Target::Default => "the default binary".to_owned(),
        }
    }
}

pub use cargo_perf_policy::sections::profile::CallGraph;

/// Everything a profile run needs; `Default` is "use `[profile]` from perf.toml".
/// The package, features and cargo profile come from the project's cargo
/// flags (`-p`, `--features`, `--profile`), over `[profile]`.
#[derive(Debug, Clone, Default)]
pub struct ProfileOptions {
    pub target: Option<Target>,
    pub frequency: Option<u32>,
    pub call_graph: Option<CallGraph>,
    pub duration: Option<Duration>,
    pub title: Option<String>,
    pub reverse: bool,
    pub flamechart: bool,
    pub min_width: Option<f64>,
    pub no_inline: bool,
    pub output: Option<PathBuf>,
    pub open: bool,
    /// A saved profile directory or a git revision to compare against.
    pub diff: Option<String>,
    pub callgrind: bool,
    /// Record heap allocations with valgrind's DHAT instead of CPU time.
    pub memory: bool,
    /// The program's arguments (with `--cmd`, the program and its arguments).
    pub args: Option<Vec<String>>,
}

/// Options with every default filled in.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub target: Target,
    /// The member the target is in, by name.
    pub package: Option<String>,
    /// Cargo's flags over `[profile]`'s `features` and `cargo-profile`.
    pub cargo: CargoOptions,
    pub frequency: u32,
    pub call_graph: CallGraph,
    pub duration: Option<Duration>,
    pub title: Option<String>,
    pub reverse: bool,
    pub flamechart: bool,
    pub min_width: f64,
    pub no_inline: bool,
    pub output: Option<PathBuf>,
    /// Who named `output`: the caller may name any place, perf.toml only
    /// one inside the workspace.
    pub output_origin: Origin,
    pub open: bool,
    pub diff: Option<String>,
    pub callgrind: bool,
    pub memory: bool,
    pub args: Vec<String>,
}

impl ProfileOptions {
    pub(crate) fn resolve(&self, policy: &ProfileSettings, cargo: &CargoOptions) -> Resolved {
        let target = self.target.clone().unwrap_or_else(|| match &policy.target {
            Some(ProfileTarget::Bin(n)) => Target::Bin(n.clone()),
            Some(ProfileTarget::Example(n)) => Target::Example(n.clone()),
            Some(ProfileTarget::Test(n)) => Target::Test(n.clone()),
            Some(ProfileTarget::Bench(n)) => Target::Bench(n.clone()),
            None => Target::Default,
        });
        Resolved {
            target,
            package: cargo
                .packages
                .first()
                .cloned()
                .or_else(|| policy.package.clone()),
            cargo: cargo.over(&PolicyCargo {
                features: policy.features.clone(),
                profile: policy.cargo_profile.clone(),
                target: None,
            }),
            frequency: self.frequency.unwrap_or(policy.frequency),
            call_graph: self.call_graph.unwrap_or(policy.call_graph),
            duration: self.duration.or(policy.duration),
            title: self.title.clone(),
            reverse: self.reverse,
            flamechart: self.flamechart,
            min_width: self.min_width.unwrap_or(policy.min_width),
            no_inline: self.no_inline || policy.no_inline,
            output: self
                .output
                .clone()
                .or_else(|| policy.output_dir.as_ref().map(PathBuf::from)),
            output_origin: if self.output.is_some() {
                Origin::User
            } else {
                Origin::Policy
            },
            open: self.open,
            diff: self.diff.clone(),
            callgrind: self.callgrind,
            memory: self.memory,
            args: self.args.clone().unwrap_or_else(|| policy.args.clone()),
        }
    }
}
