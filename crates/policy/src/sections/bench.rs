//! `[bench]`: the `bench` task's command benchmarks, history location,
//! verdict thresholds and absolute budgets.

use std::time::Duration;

use toml::de::DeTable;

use crate::diagnostic::Diagnostic;
use crate::reader::{Located, Reader, Value};

/// What command benchmarks measure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BenchMode {
    /// Wall, user and system time and peak memory over many runs.
    #[default]
    Time,
    /// Instructions counted by valgrind's callgrind, one run each.
    Instructions,
}

/// Which clock command benchmarks are judged by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BenchClock {
    /// Elapsed time, what a user waits for.
    #[default]
    Wall,
    /// User plus system CPU time of the command's processes: less sensitive
    /// to other work competing for the machine.
    Cpu,
}

/// Settings of the `bench` task. Command-line flags override some of them.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchSettings {
    pub mode: BenchMode,
    pub clock: BenchClock,
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
    /// Absolute budgets of named benchmarks (median wall time).
    pub budgets: Vec<(Located<String>, Duration)>,
    /// Bench targets `cargo perf bench` runs when no `--bench` is given; empty is all.
    pub targets: Vec<Located<String>>,
    /// Command benchmarks, in declaration order.
    pub commands: Vec<CommandBench>,
}

impl Default for BenchSettings {
    fn default() -> Self {
        Self {
            mode: BenchMode::Time,
            clock: BenchClock::Wall,
            history: None,
            threshold: 0.05,
            confidence: 0.95,
            fail_on_inconclusive: false,
            confirm: false,
            budgets: Vec::new(),
            targets: Vec::new(),
            commands: Vec::new(),
        }
    }
}

/// `[bench.commands.NAME]`: a shell command timed by cargo-perf itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandBench {
    pub name: Located<String>,
    /// Run with `sh -c` from the workspace root.
    pub run: String,
    /// Run once before every measured run, not timed.
    pub setup: Option<String>,
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

const KEYS: &[&str] = &[
    "mode",
    "clock",
    "history",
    "threshold",
    "confidence",
    "fail-on-inconclusive",
    "confirm",
    "budgets",
    "targets",
    "commands",
];

const COMMAND_KEYS: &[&str] = &[
    "run", "setup", "warmup", "runs", "min-runs", "max-runs", "max-time", "env",
];

pub(crate) fn read(r: &mut Reader, table: &DeTable<'_>) -> BenchSettings {
    let mut bench = BenchSettings::default();
    r.fields(table, "[bench]", KEYS, |r, key, value| match key {
        "mode" => {
            if let Some(mode) = r.string(key, value) {
                match mode.value.as_str() {
                    "time" => bench.mode = BenchMode::Time,
                    "instructions" => bench.mode = BenchMode::Instructions,
                    other => r.report(
                        Diagnostic::new(format!("unknown bench mode `{other}`"))
                            .at(value.span())
                            .label("expected `time` or `instructions`")
                            .help("write `mode = \"time\"` (the default) or `mode = \"instructions\"`"),
                    ),
                }
            }
        }
        "clock" => {
            if let Some(clock) = r.string(key, value) {
                match clock.value.as_str() {
                    "wall" => bench.clock = BenchClock::Wall,
                    "cpu" => bench.clock = BenchClock::Cpu,
                    other => r.report(
                        Diagnostic::new(format!("unknown bench clock `{other}`"))
                            .at(value.span())
                            .label("expected `wall` or `cpu`")
                            .help("write `clock = \"wall\"` (the default) or `clock = \"cpu\"`"),
                    ),
                }
            }
        }
        "history" => {
            if let Some(path) = r.output_dir(key, value, ".cargo-perf/bench") {
                bench.history = Some(path);
            }
        }
        "threshold" => {
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
        "confidence" => {
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
        "fail-on-inconclusive" => bench.fail_on_inconclusive = r.bool(key, value).unwrap_or(false),
        "confirm" => bench.confirm = r.bool(key, value).unwrap_or(false),
        "budgets" => bench.budgets = read_budgets(r, value),
        "targets" => bench.targets = r.string_list(key, value).unwrap_or_default(),
        _ => bench.commands = read_commands(r, value),
    });
    bench
}

fn read_budgets(r: &mut Reader, value: &Value<'_>) -> Vec<(Located<String>, Duration)> {
    let Some(table) = r.table("budgets", value) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, item) in table {
        if let Some(budget) = r.duration(name.get_ref(), item) {
            out.push((
                Located::new(name.get_ref().to_string(), name.span()),
                budget,
            ));
        }
    }
    out
}

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
        let mut run = None;
        let mut bench = CommandBench {
            name,
            run: String::new(),
            setup: None,
            warmup: 1,
            runs: Runs::default(),
            env: Vec::new(),
        };
        let mut sampling = SamplingKeys::default();
        r.fields(body, &context, COMMAND_KEYS, |r, key, value| match key {
            "run" => run = command_line(r, key, value),
            "setup" => bench.setup = command_line(r, key, value),
            "warmup" => bench.warmup = r.integer(key, value, 0, 1000).map_or(1, |n| n as u32),
            "runs" => sampling.runs = located_count(r, key, value),
            "min-runs" => sampling.min = located_count(r, key, value),
            "max-runs" => sampling.max = located_count(r, key, value),
            "max-time" => {
                sampling.max_time = r
                    .duration(key, value)
                    .map(|d| Located::new(d, value.span()));
            }
            _ => bench.env = r.string_map(key, value).unwrap_or_default(),
        });
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

fn command_line(r: &mut Reader, key: &str, value: &Value<'_>) -> Option<String> {
    let text = r.string(key, value)?;
    if text.value.trim().is_empty() {
        r.report(
            Diagnostic::new(format!("`{key}` is empty"))
                .at(value.span())
                .label("no command")
                .help(format!(
                    "write a shell command, e.g. `{key} = \"sleep 0.01\"`"
                )),
        );
        return None;
    }
    Some(text.value)
}
