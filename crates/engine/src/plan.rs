//! Turning requested names into an ordered plan: pipelines are expanded,
//! `depends-on` edges pulled in, and the graph ordered so every task comes
//! after what it depends on. Cycles and unknown names are errors that point
//! at the policy line that caused them. [`validate`] checks every task and
//! pipeline of a registry the same way, so a command that plans nothing
//! (`list`) rejects the policy that `check` would.
//!
//! Both run in time linear in the number of tasks, pipelines and edges.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use cargo_perf_policy::{Diagnostic, Located, suggest};

use crate::graph::{Event, walk};
use crate::registry::Registry;
use crate::task::Task;

/// A task in a plan, with the indices of the plan entries it depends on.
#[derive(Clone)]
pub struct PlannedTask {
    pub task: Arc<dyn Task>,
    pub deps: Vec<usize>,
    /// Entries it starts after without depending on them (see
    /// [`Task::runs_after`]): their failure does not skip it.
    pub after: Vec<usize>,
}

impl PlannedTask {
    pub fn new(task: Arc<dyn Task>, deps: Vec<usize>) -> Self {
        Self {
            task,
            deps,
            after: Vec::new(),
        }
    }
}

/// Tasks in an order where dependencies come first.
#[derive(Clone, Default)]
pub struct Plan {
    pub tasks: Vec<PlannedTask>,
    /// Every task of the registry the plan came from, planned or not: what
    /// they write is what a running task such as gitignore asks about.
    pub registered: Vec<Arc<dyn Task>>,
}

/// Why a plan could not be made, as a diagnostic about the policy.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .0.message)]
pub struct PlanError(pub Diagnostic);

/// At most this many cycles are reported by [`validate`]; a graph can have
/// far more, and the first ones are enough to start fixing it.
const MAX_CYCLES: usize = 10;

impl Plan {
    /// Plans `requested` task or pipeline names given on the command line.
    pub fn build(registry: &Registry, requested: &[Located<String>]) -> Result<Plan, PlanError> {
        Self::build_from(registry, requested, "on the command line")
    }

    /// Plans `requested` names; `origin` says where they came from in errors
    /// (e.g. "in [hooks] pre-push").
    pub fn build_from(
        registry: &Registry,
        requested: &[Located<String>],
        origin: &str,
    ) -> Result<Plan, PlanError> {
        let names = expand(registry, requested, origin)?;
        let mut plan = order(registry, &names)?;
        order_after(&mut plan);
        plan.registered = registry.tasks().to_vec();
        Ok(plan)
    }

    pub fn names(&self) -> Vec<&str> {
        self.tasks.iter().map(|t| t.task.name()).collect()
    }
}

/// Every problem in the registry's pipelines and `depends-on` edges: unknown
/// names, pipelines named in `depends-on`, and cycles, in file order.
pub fn validate(registry: &Registry) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for pipeline in registry.pipelines() {
        let context = pipeline_context(&pipeline.name.value);
        for step in &pipeline.steps {
            if registry.pipeline(&step.value).is_none() && registry.task(&step.value).is_none() {
                out.push(unknown(registry, step, &context).0);
            }
        }
    }
    for task in registry.tasks() {
        for dep in task.depends_on() {
            if let Err(err) = check_dependency(registry, task.name(), dep) {
                out.push(err.0);
            }
        }
    }
    let mut cycles = Vec::new();
    let _ = walk::<()>(
        registry.pipelines().iter().map(|p| p.name.value.as_str()),
        |name| Ok(pipeline_steps(registry, name)),
        |event| {
            if let Event::Cycle(path, step) = event
                && cycles.len() < MAX_CYCLES
            {
                cycles.push(pipeline_cycle(&path, step).0);
            }
            Ok(())
        },
    );
    let pipeline_cycles = cycles.len();
    let _ = walk::<()>(
        registry.tasks().iter().map(|t| t.name()),
        |name| Ok(known_dependencies(registry, name)),
        |event| {
            if let Event::Cycle(path, dep) = event
                && cycles.len() < pipeline_cycles + MAX_CYCLES
            {
                cycles.push(task_cycle(&path, dep).0);
            }
            Ok(())
        },
    );
    out.extend(cycles);
    out.sort_by_key(|d| d.span.as_ref().map(|s| s.start));
    out
}

/// Expands pipelines into task names, keeping first occurrences in order.
fn expand<'a>(
    registry: &'a Registry,
    requested: &'a [Located<String>],
    origin: &str,
) -> Result<Vec<&'a str>, PlanError> {
    for name in requested {
        if registry.pipeline(&name.value).is_none() && registry.task(&name.value).is_none() {
            return Err(unknown(registry, name, origin));
        }
    }
    let mut names = Vec::new();
    let mut seen = HashSet::new();
    walk(
        requested.iter().map(|n| n.value.as_str()),
        |name| match registry.pipeline(name) {
            Some(pipeline) => {
                let context = pipeline_context(name);
                for step in &pipeline.steps {
                    if registry.pipeline(&step.value).is_none()
                        && registry.task(&step.value).is_none()
                    {
                        return Err(unknown(registry, step, &context));
                    }
                }
                Ok(pipeline.steps.iter().collect())
            }
            None => Ok(Vec::new()),
        },
        |event| match event {
            Event::Enter(name) if registry.pipeline(name).is_none() => {
                if seen.insert(name) {
                    names.push(name);
                }
                Ok(())
            }
            Event::Cycle(path, step) => Err(pipeline_cycle(&path, step)),
            _ => Ok(()),
        },
    )?;
    Ok(names)
}

/// Orders `names` and what they depend on so dependencies come first.
fn order(registry: &Registry, names: &[&str]) -> Result<Plan, PlanError> {
    let mut plan = Plan::default();
    let mut index: HashMap<&str, usize> = HashMap::new();
    walk(
        names.iter().copied(),
        |name| {
            let task = registry.task(name).expect("expanded names are tasks");
            let deps = task.depends_on();
            for dep in deps {
                check_dependency(registry, name, dep)?;
            }
            Ok(deps.iter().collect())
        },
        |event| match event {
            Event::Leave(name) => {
                let task = registry.task(name).expect("walked names are tasks");
                let deps = task
                    .depends_on()
                    .iter()
                    .map(|d| index[d.value.as_str()])
                    .collect();
                index.insert(name, plan.tasks.len());
                plan.tasks.push(PlannedTask::new(Arc::clone(task), deps));
                Ok(())
            }
            Event::Cycle(path, dep) => Err(task_cycle(&path, dep)),
            Event::Enter(_) => Ok(()),
        },
    )?;
    Ok(plan)
}

/// Adds the order-only edges tasks ask for ([`Task::runs_after`]); an edge
/// that would close a cycle with the edges so far is left out, so a
/// `depends-on` always wins over a wish to run later.
fn order_after(plan: &mut Plan) {
    let tasks: Vec<Arc<dyn Task>> = plan.tasks.iter().map(|p| Arc::clone(&p.task)).collect();
    let others: Vec<&dyn Task> = tasks.iter().map(|t| t.as_ref()).collect();
    for (index, task) in tasks.iter().enumerate() {
        for earlier in task.runs_after(&others) {
            if earlier != index && earlier < tasks.len() && !reaches(plan, earlier, index) {
                plan.tasks[index].after.push(earlier);
            }
        }
    }
}

/// Whether entry `from` waits, through any chain of edges, for entry `to`.
fn reaches(plan: &Plan, from: usize, to: usize) -> bool {
    let mut seen = vec![false; plan.tasks.len()];
    let mut stack = vec![from];
    while let Some(at) = stack.pop() {
        if at == to {
            return true;
        }
        if std::mem::replace(&mut seen[at], true) {
            continue;
        }
        let planned = &plan.tasks[at];
        stack.extend(planned.deps.iter().chain(&planned.after));
    }
    false
}

/// A `depends-on` entry must name a task (not a pipeline, not nothing).
fn check_dependency(
    registry: &Registry,
    task: &str,
    dep: &Located<String>,
) -> Result<(), PlanError> {
    if registry.task(&dep.value).is_some() {
        return Ok(());
    }
    if registry.pipeline(&dep.value).is_some() {
        return Err(PlanError(located(
            Diagnostic::new(format!(
                "`{}` is a pipeline; `depends-on` takes task names",
                dep.value
            ))
            .label("a pipeline")
            .help("list the pipeline's tasks instead"),
            dep,
        )));
    }
    Err(unknown(
        registry,
        dep,
        &format!("in `depends-on` of task `{task}`"),
    ))
}

fn known_dependencies<'a>(registry: &'a Registry, name: &str) -> Vec<&'a Located<String>> {
    registry.task(name).map_or_else(Vec::new, |task| {
        task.depends_on()
            .iter()
            .filter(|d| registry.task(&d.value).is_some())
            .collect()
    })
}

fn pipeline_steps<'a>(registry: &'a Registry, name: &str) -> Vec<&'a Located<String>> {
    registry.pipeline(name).map_or_else(Vec::new, |pipeline| {
        pipeline
            .steps
            .iter()
            .filter(|s| registry.pipeline(&s.value).is_some())
            .collect()
    })
}

fn pipeline_context(name: &str) -> String {
    format!("in pipeline `{name}`")
}

fn pipeline_cycle(path: &[&str], step: &Located<String>) -> PlanError {
    let cycle = cycle_text(path, &step.value);
    PlanError(located(
        Diagnostic::new(format!("pipelines include each other in a cycle: {cycle}"))
            .label("this step closes the cycle")
            .help("remove one of these steps so no pipeline includes itself"),
        step,
    ))
}

fn task_cycle(path: &[&str], dep: &Located<String>) -> PlanError {
    let cycle = cycle_text(path, &dep.value);
    PlanError(located(
        Diagnostic::new(format!("tasks depend on each other in a cycle: {cycle}"))
            .label("this dependency closes the cycle")
            .help("remove one of these `depends-on` entries"),
        dep,
    ))
}

fn unknown(registry: &Registry, name: &Located<String>, context: &str) -> PlanError {
    let help = match suggest(&name.value, registry.names()) {
        Some(close) => {
            format!("did you mean `{close}`? (`cargo perf list` shows every task and pipeline)")
        }
        None => "`cargo perf list` shows every task and pipeline".to_owned(),
    };
    PlanError(located(
        Diagnostic::new(format!(
            "unknown task or pipeline `{}` {context}",
            name.value
        ))
        .label("not a task or pipeline")
        .help(help),
        name,
    ))
}

fn located(diagnostic: Diagnostic, name: &Located<String>) -> Diagnostic {
    match &name.span {
        Some(span) => diagnostic.at(span.clone()),
        None => diagnostic,
    }
}

fn cycle_text(path: &[&str], closing: &str) -> String {
    path.iter()
        .map(|s| format!("`{s}`"))
        .chain(std::iter::once(format!("`{closing}`")))
        .collect::<Vec<_>>()
        .join(" -> ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::PipelineDef;
    use crate::task::{TaskContext, TaskError};
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Fake(String, Vec<Located<String>>, Option<Arc<AtomicUsize>>);

    impl Task for Fake {
        fn name(&self) -> &str {
            &self.0
        }
        fn description(&self) -> &str {
            "fake"
        }
        fn depends_on(&self) -> &[Located<String>] {
            if let Some(calls) = &self.2 {
                calls.fetch_add(1, Ordering::Relaxed);
            }
            &self.1
        }
        fn run(&self, _: &mut TaskContext<'_>) -> Result<(), TaskError> {
            Ok(())
        }
    }

    fn name(s: &str) -> Located<String> {
        Located::builtin(s.to_owned())
    }

    fn registry(edges: &[(&str, &[&str])]) -> Registry {
        let mut registry = Registry::new();
        for (task, deps) in edges {
            registry.add_task(Arc::new(Fake(
                task.to_string(),
                deps.iter().map(|d| name(d)).collect(),
                None,
            )));
        }
        registry
    }

    #[test]
    fn dependencies_come_first() {
        let r = registry(&[("test", &["build"]), ("build", &["fmt"]), ("fmt", &[])]);
        let plan = Plan::build(&r, &[name("test")]).unwrap();
        assert_eq!(plan.names(), ["fmt", "build", "test"]);
        assert_eq!(plan.tasks[2].deps, [1]);
    }

    #[test]
    fn cycles_are_named() {
        let r = registry(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"])]);
        let err = Plan::build(&r, &[name("a")]).err().unwrap();
        assert_eq!(
            err.0.message,
            "tasks depend on each other in a cycle: `a` -> `b` -> `c` -> `a`"
        );
    }

    #[test]
    fn pipelines_expand_and_unknown_names_get_suggestions() {
        let mut r = registry(&[("fmt", &[]), ("clippy", &[])]);
        r.add_pipeline(PipelineDef {
            name: name("check"),
            steps: vec![name("fmt"), name("clipy")],
            description: String::new(),
        });
        let err = Plan::build(&r, &[name("check")]).err().unwrap();
        assert!(
            err.0
                .message
                .contains("unknown task or pipeline `clipy` in pipeline `check`")
        );
        assert!(err.0.help.unwrap().contains("did you mean `clippy`?"));
    }

    #[test]
    fn pipeline_cycles_are_named() {
        let mut r = registry(&[("fmt", &[])]);
        for (p, step) in [("a", "b"), ("b", "a")] {
            r.add_pipeline(PipelineDef {
                name: name(p),
                steps: vec![name(step)],
                description: String::new(),
            });
        }
        let err = Plan::build(&r, &[name("a")]).err().unwrap();
        assert!(
            err.0.message.contains("`a` -> `b` -> `a`"),
            "{}",
            err.0.message
        );
    }

    /// Starts after every task whose name begins with its prefix.
    struct Later(&'static str, &'static str, Vec<Located<String>>);

    impl Task for Later {
        fn name(&self) -> &str {
            self.0
        }
        fn description(&self) -> &str {
            "later"
        }
        fn depends_on(&self) -> &[Located<String>] {
            &self.2
        }
        fn runs_after(&self, plan: &[&dyn Task]) -> Vec<usize> {
            (0..plan.len())
                .filter(|&i| plan[i].name().starts_with(self.1))
                .collect()
        }
        fn run(&self, _: &mut TaskContext<'_>) -> Result<(), TaskError> {
            Ok(())
        }
    }

    #[test]
    fn order_only_edges_are_kept_unless_they_close_a_cycle() {
        let mut r = Registry::new();
        r.add_task(Arc::new(Later("lint", "clip", Vec::new())));
        r.add_task(Arc::new(Later("clippy", "none", Vec::new())));
        let plan = Plan::build(&r, &[name("lint"), name("clippy")]).unwrap();
        assert_eq!(plan.names(), ["lint", "clippy"]);
        assert_eq!(plan.tasks[0].after, [1]);
        assert!(plan.tasks[0].deps.is_empty());
        assert!(plan.tasks[1].after.is_empty());

        // `clippy` depends on `lint`: the wish to run after it gives way.
        let mut r = Registry::new();
        r.add_task(Arc::new(Later("lint", "clip", Vec::new())));
        r.add_task(Arc::new(Later("clippy", "none", vec![name("lint")])));
        let plan = Plan::build(&r, &[name("clippy")]).unwrap();
        assert_eq!(plan.names(), ["lint", "clippy"]);
        assert!(plan.tasks[0].after.is_empty());

        // Two tasks that each want to run after the other: only the first wish holds.
        let mut r = Registry::new();
        r.add_task(Arc::new(Later("a", "b", Vec::new())));
        r.add_task(Arc::new(Later("b", "a", Vec::new())));
        let plan = Plan::build(&r, &[name("a"), name("b")]).unwrap();
        assert_eq!(plan.tasks[0].after, [1]);
        assert!(plan.tasks[1].after.is_empty());
    }

    #[test]
    fn a_ten_thousand_task_chain_is_planned_in_linear_work() {
        let n = 10_000;
        let calls = Arc::new(AtomicUsize::new(0));
        let mut r = Registry::new();
        for i in 0..n {
            let deps = (i > 0).then(|| name(&format!("t{}", i - 1)));
            r.add_task(Arc::new(Fake(
                format!("t{i}"),
                deps.into_iter().collect(),
                Some(Arc::clone(&calls)),
            )));
        }
        assert!(validate(&r).is_empty());
        let plan = Plan::build(&r, &[name(&format!("t{}", n - 1))]).unwrap();
        assert_eq!(plan.tasks.len(), n);
        assert_eq!(plan.names()[0], "t0");
        assert_eq!(plan.tasks[n - 1].deps, [n - 2]);
        // validate: one pass over the edges plus one walk; the plan: one
        // look when a task is reached and one when it is placed.
        assert!(
            calls.load(Ordering::Relaxed) <= 4 * n,
            "{} calls of depends_on for {n} tasks",
            calls.load(Ordering::Relaxed)
        );
    }

    #[test]
    fn validate_reports_every_problem_of_the_registry() {
        let mut r = registry(&[
            ("a", &["b"]),
            ("b", &["a"]),
            ("c", &["nope"]),
            ("d", &["p"]),
        ]);
        for (p, step) in [("p", "q"), ("q", "p"), ("r", "missing")] {
            r.add_pipeline(PipelineDef {
                name: name(p),
                steps: vec![name(step)],
                description: String::new(),
            });
        }
        let messages: Vec<String> = validate(&r).into_iter().map(|d| d.message).collect();
        let expected = [
            "unknown task or pipeline `missing` in pipeline `r`",
            "unknown task or pipeline `nope` in `depends-on` of task `c`",
            "`p` is a pipeline; `depends-on` takes task names",
            "pipelines include each other in a cycle: `p` -> `q` -> `p`",
            "tasks depend on each other in a cycle: `a` -> `b` -> `a`",
        ];
        assert_eq!(messages, expected);
    }

    #[test]
    fn shared_sub_pipelines_expand_once() {
        // Each level names the next twice: expanding naively doubles per level.
        let mut r = registry(&[("t", &[])]);
        for level in 0..64 {
            let next = if level == 63 {
                "t".to_owned()
            } else {
                format!("p{}", level + 1)
            };
            r.add_pipeline(PipelineDef {
                name: name(&format!("p{level}")),
                steps: vec![name(&next), name(&next)],
                description: String::new(),
            });
        }
        assert_eq!(Plan::build(&r, &[name("p0")]).unwrap().names(), ["t"]);
    }
}
