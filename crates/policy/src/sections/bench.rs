//! `[bench]`: the `bench` task's command benchmarks, history location,
//! verdict thresholds and absolute budgets.

use std::time::Duration;

use toml::de::DeTable;

use crate::choice::Choice;
use crate::command::CommandLine;
use crate::diagnostic::Diagnostic;
use crate::reader::{Located, Reader, Value};
use crate::table::{Key, key};

pub use super::bench_budgets::BenchBudget;
use super::bench_budgets::read_budgets;

/// What command benchmarks measure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BenchMode {
    /// Wall, user and system time and peak memory over many runs.
    #[default]
    Time,
    /// Instructions counted by valgrind's callgrind, one run each.
    Instructions,
    /// Heap figures (peak, bytes and blocks allocated) from valgrind's DHAT, one run each.
    Memory,
}

/// Which clock command benchmarks are judged by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BenchClock {
    /// CPU time for a command that keeps one CPU busy the whole time it
    /// runs (its user plus system time is within a few percent of its wall
    /// time, on both sides of the comparison); wall time otherwise.
    #[default]
    Auto,
    /// Elapsed time, what a user waits for.
    Wall,
    /// User plus system CPU time of the command's processes: less sensitive
    /// to other work competing for the machine.
    Cpu,
}

/// What summarises a benchmark's samples for a verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BenchEstimator {
    /// The mean of the middle 60% of the samples.
    #[default]
    TrimmedMean,
    /// The median, with a bootstrap interval.
    Median,
}

/// Whether a comparison with a stored baseline that does not decide
/// measures the baseline's commit again, interleaved with the working tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BenchInterleave {
    /// When the baseline is a run of a clean commit git still has, and a
    /// command benchmark came out anything but `unchanged` against it.
    #[default]
    Auto,
    /// Judge by the stored runs only.
    Never,
}

impl Choice for BenchInterleave {
    const WHAT: &'static str = "bench interleave";
    const VALUES: &'static [(&'static str, Self)] = &[
        ("auto", BenchInterleave::Auto),
        ("never", BenchInterleave::Never),
    ];
}

impl Choice for BenchEstimator {
    const WHAT: &'static str = "bench estimator";
    const VALUES: &'static [(&'static str, Self)] = &[
        ("trimmed-mean", BenchEstimator::TrimmedMean),
        ("median", BenchEstimator::Median),
    ];
}

/// Settings of the `bench` task. Command-line flags override some of them.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchSettings {
    pub mode: BenchMode,
    pub clock: BenchClock,
    pub estimator: BenchEstimator,
    /// Time a calibration loop beside every run, so a comparison can tell
    /// a slower machine from slower code (default true).
    pub calibrate: bool,
    /// Re-measure the baseline's commit interleaved when the comparison
    /// with its stored runs does not decide (default auto).
    pub interleave: BenchInterleave,
    /// Where runs are stored, relative to the workspace root; `None` is `.cargo-perf/bench`.
    pub history: Option<String>,
    /// The smallest change (a fraction, `0.05` is 5%) that counts as a regression.
    pub threshold: f64,
    /// Confidence level of the intervals (default 0.95).
    pub confidence: f64,
    /// Whether an inconclusive verdict fails the task (default false).
    pub fail_on_inconclusive: bool,
    /// Re-measure suspect benchmarks once before failing (default false).
    pub confirm: bool,
    /// Absolute budgets of named benchmarks, on any of their figures.
    pub budgets: Vec<(Located<String>, BenchBudget)>,
    /// Bench targets `cargo perf bench` runs when no `--bench` is given; empty is all.
    pub targets: Vec<Located<String>>,
    /// Command benchmarks, in declaration order.
    pub commands: Vec<CommandBench>,
    /// How many runs the history keeps (the oldest go first, never one a
    /// saved baseline is a copy of); `None` keeps them all.
    pub keep_runs: Option<u32>,
}

impl Default for BenchSettings {
    fn default() -> Self {
        Self {
            mode: BenchMode::Time,
            clock: BenchClock::Auto,
            estimator: BenchEstimator::TrimmedMean,
            calibrate: true,
            interleave: BenchInterleave::Auto,
            history: None,
            threshold: 0.05,
            confidence: 0.95,
            fail_on_inconclusive: false,
            confirm: false,
            budgets: Vec::new(),
            targets: Vec::new(),
            commands: Vec::new(),
            keep_runs: None,
        }
    }
}

/// `[bench.commands.NAME]`: a command timed by cargo-perf itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandBench {
    pub name: Located<String>,
    /// Run from the workspace root (see [`CommandLine`] for how a string and an array run).
    pub run: CommandLine,
    /// Run once before the warm-up, not timed.
    pub setup: Option<CommandLine>,
    /// Untimed runs before the measured ones (default 1).
    pub warmup: u32,
    pub runs: Runs,
    pub env: Vec<(String, String)>,
}

/// How many timed runs a command benchmark gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// Exactly this many (`runs = N`).
    Fixed(u32),
    /// At least `min`, then more until the median is known precisely enough
    /// to judge it against the threshold, but at most `max` runs and no new
    /// run once `max_time` of timed runs has passed.
    Adaptive {
        min: u32,
        max: u32,
        max_time: Duration,
    },
}

impl Runs {
    pub const DEFAULT_MIN: u32 = 10;
    pub const DEFAULT_MAX: u32 = 1000;
    pub const DEFAULT_MAX_TIME: Duration = Duration::from_secs(10);
}

impl Default for Runs {
    fn default() -> Self {
        Runs::Adaptive {
            min: Self::DEFAULT_MIN,
            max: Self::DEFAULT_MAX,
            max_time: Self::DEFAULT_MAX_TIME,
        }
    }
}

impl Choice for BenchMode {
    const WHAT: &'static str = "bench mode";
    const VALUES: &'static [(&'static str, Self)] = &[
        ("time", BenchMode::Time),
        ("instructions", BenchMode::Instructions),
        ("memory", BenchMode::Memory),
    ];
}

impl Choice for BenchClock {
    const WHAT: &'static str = "bench clock";
    const VALUES: &'static [(&'static str, Self)] = &[
        ("auto", BenchClock::Auto),
        ("wall", BenchClock::Wall),
        ("cpu", BenchClock::Cpu),
    ];
}

pub(crate) const KEYS: &[Key<BenchSettings>] = &[
    key("mode", |r, b, k, v| {
        if let Some(mode) = r.choice(k, v) {
            b.mode = mode;
        }
    }),
    key("clock", |r, b, k, v| {
        if let Some(clock) = r.choice(k, v) {
            b.clock = clock;
        }
    }),
    key("estimator", |r, b, k, v| {
        if let Some(estimator) = r.choice(k, v) {
            b.estimator = estimator;
        }
    }),
    key("calibrate", |r, b, k, v| {
        b.calibrate = r.bool(k, v).unwrap_or(true)
    }),
    key("interleave", |r, b, k, v| {
        if let Some(interleave) = r.choice(k, v) {
            b.interleave = interleave;
        }
    }),
    key("history", read_history),
    key("threshold", read_threshold),
    key("confidence", read_confidence),
    key("fail-on-inconclusive", |r, b, k, v| {
        b.fail_on_inconclusive = r.bool(k, v).unwrap_or(false)
    }),
    key("confirm", |r, b, k, v| {
        b.confirm = r.bool(k, v).unwrap_or(false)
    }),
    key("budgets", |r, b, _, v| b.budgets = read_budgets(r, v)),
    key("targets", |r, b, k, v| {
        b.targets = r.string_list(k, v).unwrap_or_default()
    }),
    key("commands", |r, b, _, v| b.commands = read_commands(r, v)),
    key("keep-runs", |r, b, k, v| {
        if let Some(n) = r.integer(k, v, 1, 1_000_000) {
            b.keep_runs = Some(n as u32);
        }
    }),
];

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> BenchSettings {
    let mut bench = BenchSettings::default();
    r.section(table, "[bench]", KEYS, &mut bench);
    bench
}

fn read_history(r: &mut Reader, bench: &mut BenchSettings, key: &str, value: &Value<'_>) {
    if let Some(path) = r.output_dir(key, value, ".cargo-perf/bench") {
        bench.history = Some(path);
    }
}

fn read_threshold(r: &mut Reader, bench: &mut BenchSettings, key: &str, value: &Value<'_>) {
    if let Some(p) = r.percent(key, value) {
        if p.0 <= 0.0 || p.0 >= 1.0 {
            r.report(
                Diagnostic::new("`threshold` must be above 0% and below 100%")
                    .at(value.span())
                    .label("out of range")
                    .help("a typical threshold is `threshold = \"5%\"`"),
            );
        } else {
            bench.threshold = p.0;
        }
    }
}

fn read_confidence(r: &mut Reader, bench: &mut BenchSettings, key: &str, value: &Value<'_>) {
    if let Some(p) = r.percent(key, value) {
        if !(0.5..1.0).contains(&p.0) {
            r.report(
                Diagnostic::new("`confidence` must be at least 50% and below 100%")
                    .at(value.span())
                    .label("out of range")
                    .help("write e.g. `confidence = \"95%\"`"),
            );
        } else {
            bench.confidence = p.0;
        }
    }
}

/// A `[bench.commands.NAME]` table being read.
pub(crate) struct Draft {
    bench: CommandBench,
    run: Option<CommandLine>,
    sampling: SamplingKeys,
}

pub(crate) const COMMAND_KEYS: &[Key<Draft>] = &[
    key("run", |r, d, k, v| d.run = r.command(k, v).map(|c| c.value)),
    key("setup", |r, d, k, v| {
        d.bench.setup = r.command(k, v).map(|c| c.value)
    }),
    key("warmup", |r, d, k, v| {
        d.bench.warmup = r.integer(k, v, 0, 1000).map_or(1, |n| n as u32)
    }),
    key("runs", |r, d, k, v| {
        d.sampling.runs = located_count(r, k, v)
    }),
    key("min-runs", |r, d, k, v| {
        d.sampling.min = located_count(r, k, v)
    }),
    key("max-runs", |r, d, k, v| {
        d.sampling.max = located_count(r, k, v)
    }),
    key("max-time", |r, d, k, v| {
        d.sampling.max_time = r.duration(k, v).map(|t| Located::new(t, v.span()))
    }),
    key("env", |r, d, k, v| {
        d.bench.env = r.string_map(k, v).unwrap_or_default()
    }),
];

fn read_commands(r: &mut Reader, value: &Value<'_>) -> Vec<CommandBench> {
    let Some(table) = r.table("commands", value) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, item) in table {
        let name = Located::new(name.get_ref().to_string(), name.span());
        let Some(body) = r.table(&format!("bench.commands.{}", name.value), item) else {
            continue;
        };
        let context = format!("[bench.commands.{}]", name.value);
        let mut draft = Draft {
            bench: CommandBench {
                name,
                run: CommandLine::Argv(Vec::new()),
                setup: None,
                warmup: 1,
                runs: Runs::default(),
                env: Vec::new(),
            },
            run: None,
            sampling: SamplingKeys::default(),
        };
        r.section(body, &context, COMMAND_KEYS, &mut draft);
        let Draft {
            mut bench,
            run,
            sampling,
        } = draft;
        bench.runs = sampling.resolve(r);
        match run {
            Some(run) => {
                bench.run = run;
                out.push(bench);
            }
            None if !body.contains_key("run") => r.report(
                Diagnostic::new(format!(
                    "benchmark `{}` has no `run` command",
                    bench.name.value
                ))
                .at(item.span())
                .label("this benchmark needs `run`")
                .help("add the command to time, e.g. `run = \"./target/release/app input.txt\"`"),
            ),
            None => {}
        }
    }
    out
}

/// The run-count keys of one command benchmark, with where each was written.
#[derive(Default)]
struct SamplingKeys {
    runs: Option<Located<u32>>,
    min: Option<Located<u32>>,
    max: Option<Located<u32>>,
    max_time: Option<Located<Duration>>,
}

impl SamplingKeys {
    fn resolve(self, r: &mut Reader) -> Runs {
        if let Some(runs) = self.runs {
            let adaptive = [
                self.min
                    .as_ref()
                    .and_then(|l| Some(("min-runs", l.span.clone()?))),
                self.max
                    .as_ref()
                    .and_then(|l| Some(("max-runs", l.span.clone()?))),
                self.max_time
                    .as_ref()
                    .and_then(|l| Some(("max-time", l.span.clone()?))),
            ];
            for (key, span) in adaptive.into_iter().flatten() {
                r.report(
                    Diagnostic::new(format!("`{key}` cannot be combined with `runs`"))
                        .at(span)
                        .label("`runs` already fixes the number of runs")
                        .help(format!(
                            "remove `runs` to sample until the result is precise (bounded by `{key}`), or remove `{key}`"
                        )),
                );
            }
            return Runs::Fixed(runs.value);
        }
        let min = self.min.as_ref().map_or(Runs::DEFAULT_MIN, |l| l.value);
        let max = self.max.as_ref().map_or(Runs::DEFAULT_MAX, |l| l.value);
        if min > max {
            let span = self
                .max
                .as_ref()
                .or(self.min.as_ref())
                .and_then(|l| l.span.clone());
            if let Some(span) = span {
                r.report(
                    Diagnostic::new(format!("`min-runs` ({min}) is above `max-runs` ({max})"))
                        .at(span)
                        .label("no number of runs satisfies both")
                        .help("make `max-runs` at least `min-runs`"),
                );
            }
        }
        Runs::Adaptive {
            min,
            max: max.max(min),
            max_time: self.max_time.map_or(Runs::DEFAULT_MAX_TIME, |l| l.value),
        }
    }
}

fn located_count(r: &mut Reader, key: &str, value: &Value<'_>) -> Option<Located<u32>> {
    r.integer(key, value, 2, 10_000)
        .map(|n| Located::new(n as u32, value.span()))
}
