//! Command benchmarks (`[bench.commands.NAME]`): selection by name filter and
//! measurement: setup once, untimed warmup runs, then the timed runs.

use cargo_perf_engine::interrupt::is_interrupted;
use cargo_perf_engine::{TaskContext, TaskError};
use cargo_perf_policy::CommandBench;

use super::history::BenchRecord;
use super::timing::{RunError, run_once};

/// The declared benchmarks whose name contains `filter`, in policy order.
pub(crate) fn select(
    declared: &[CommandBench],
    filter: Option<&str>,
) -> Result<Vec<CommandBench>, TaskError> {
    if declared.is_empty() {
        return Err(TaskError::new("no benchmarks are declared").hint(
            "declare one in perf.toml:\n  [bench.commands.startup]\n  run = \"./target/release/app --version\"",
        ));
    }
    let selected: Vec<CommandBench> = declared
        .iter()
        .filter(|b| filter.is_none_or(|f| b.name.value.contains(f)))
        .cloned()
        .collect();
    if selected.is_empty() {
        let names: Vec<&str> = declared.iter().map(|b| b.name.value.as_str()).collect();
        return Err(TaskError::new(format!(
            "no benchmark matches `{}`",
            filter.unwrap_or_default()
        ))
        .hint(format!("declared benchmarks: {}", names.join(", "))));
    }
    Ok(selected)
}

/// Measures every benchmark; a failing command ends the task with its error.
pub(crate) fn measure_all(
    cx: &mut TaskContext<'_>,
    benches: &[CommandBench],
) -> Result<Vec<BenchRecord>, TaskError> {
    let total = benches.len();
    let mut out = Vec::with_capacity(total);
    for (index, bench) in benches.iter().enumerate() {
        let name = &bench.name.value;
        let root = cx.workspace().root.clone();
        let step = |cx: &TaskContext<'_>, what: &str| {
            cx.step(&format!("[{}/{total}] {name}: {what}", index + 1));
        };
        let fail = |err: RunError, what: &str| {
            let mut error = TaskError::new(format!("benchmark `{name}`: {what} {err}"));
            if let RunError::Failed { stderr_tail, .. } = &err {
                let shown = stderr_tail.join("\n");
                error = error.hint(if shown.is_empty() {
                    "the command printed nothing on stderr; run it by hand to see what failed".to_owned()
                } else {
                    format!("its last lines on stderr:\n{shown}")
                });
            }
            error
        };
        if let Some(setup) = &bench.setup {
            step(cx, "setup");
            run_once(setup, &root, &bench.env).map_err(|e| fail(e, "`setup`"))?;
        }
        for i in 0..bench.warmup {
            check_interrupt()?;
            step(cx, &format!("warmup {}/{}", i + 1, bench.warmup));
            run_once(&bench.run, &root, &bench.env).map_err(|e| fail(e, "`run`"))?;
        }
        let mut record = BenchRecord {
            id: name.clone(),
            unit: "ns".into(),
            samples: Vec::new(),
            user_ns: Vec::new(),
            sys_ns: Vec::new(),
            max_rss_bytes: Vec::new(),
        };
        for i in 0..bench.runs {
            check_interrupt()?;
            step(cx, &format!("run {}/{}", i + 1, bench.runs));
            let sample = run_once(&bench.run, &root, &bench.env).map_err(|e| fail(e, "`run`"))?;
            record.samples.push(sample.wall_ns);
            record.user_ns.push(sample.user_ns);
            record.sys_ns.push(sample.sys_ns);
            record.max_rss_bytes.push(sample.max_rss_bytes);
        }
        out.push(record);
    }
    Ok(out)
}

fn check_interrupt() -> Result<(), TaskError> {
    if is_interrupted() {
        Err(TaskError::new("interrupted; the history was not changed"))
    } else {
        Ok(())
    }
}
