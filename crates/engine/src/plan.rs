//! Turning requested names into an ordered plan: pipelines are expanded,
//! `depends-on` edges pulled in, and the graph ordered so every task comes
//! after what it depends on. Cycles and unknown names are errors that point
//! at the policy line that caused them.

use std::sync::Arc;

use cargo_perf_policy::{Diagnostic, Located, suggest};

use crate::registry::Registry;
use crate::task::Task;

/// A task in a plan, with the indices of the plan entries it depends on.
#[derive(Clone)]
pub struct PlannedTask {
    pub task: Arc<dyn Task>,
    pub deps: Vec<usize>,
}

/// Tasks in an order where dependencies come first.
#[derive(Clone, Default)]
pub struct Plan {
    pub tasks: Vec<PlannedTask>,
}

/// Why a plan could not be made, as a diagnostic about the policy.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .0.message)]
pub struct PlanError(pub Diagnostic);

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
        let mut names = Vec::new();
        for name in requested {
            expand(registry, name, origin, &mut Vec::new(), &mut names)?;
        }
        let mut planner = Planner {
            registry,
            plan: Plan::default(),
            visiting: Vec::new(),
        };
        for name in &names {
            planner.visit(name, "")?;
        }
        Ok(planner.plan)
    }

    pub fn names(&self) -> Vec<&str> {
        self.tasks.iter().map(|t| t.task.name()).collect()
    }
}

/// Expands pipelines recursively into task names, keeping first occurrences.
fn expand(
    registry: &Registry,
    name: &Located<String>,
    context: &str,
    stack: &mut Vec<String>,
    out: &mut Vec<Located<String>>,
) -> Result<(), PlanError> {
    if let Some(pipeline) = registry.pipeline(&name.value) {
        if let Some(start) = stack.iter().position(|p| *p == name.value) {
            let cycle = cycle_text(&stack[start..], &name.value);
            return Err(PlanError(located(
                Diagnostic::new(format!("pipelines include each other in a cycle: {cycle}"))
                    .label("this step closes the cycle")
                    .help("remove one of these steps so no pipeline includes itself"),
                name,
            )));
        }
        stack.push(name.value.clone());
        let context = format!("in pipeline `{}`", name.value);
        for step in &pipeline.steps {
            expand(registry, step, &context, stack, out)?;
        }
        stack.pop();
        return Ok(());
    }
    if registry.task(&name.value).is_none() {
        return Err(unknown(registry, name, context));
    }
    if !out.iter().any(|n| n.value == name.value) {
        out.push(name.clone());
    }
    Ok(())
}

struct Planner<'r> {
    registry: &'r Registry,
    plan: Plan,
    visiting: Vec<String>,
}

impl Planner<'_> {
    /// Adds `name` after its dependencies (depth-first), returning its index.
    fn visit(&mut self, name: &Located<String>, context: &str) -> Result<usize, PlanError> {
        if let Some(index) = self
            .plan
            .tasks
            .iter()
            .position(|t| t.task.name() == name.value)
        {
            return Ok(index);
        }
        if let Some(start) = self.visiting.iter().position(|v| *v == name.value) {
            let cycle = cycle_text(&self.visiting[start..], &name.value);
            return Err(PlanError(located(
                Diagnostic::new(format!("tasks depend on each other in a cycle: {cycle}"))
                    .label("this dependency closes the cycle")
                    .help("remove one of these `depends-on` entries"),
                name,
            )));
        }
        let task = match self.registry.task(&name.value) {
            Some(task) => Arc::clone(task),
            None => return Err(unknown(self.registry, name, context)),
        };
        self.visiting.push(name.value.clone());
        let context = format!("in `depends-on` of task `{}`", name.value);
        let mut deps = Vec::new();
        for dep in task.depends_on() {
            if self.registry.task(&dep.value).is_none()
                && self.registry.pipeline(&dep.value).is_some()
            {
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
            deps.push(self.visit(dep, &context)?);
        }
        self.visiting.pop();
        self.plan.tasks.push(PlannedTask { task, deps });
        Ok(self.plan.tasks.len() - 1)
    }
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

fn cycle_text(path: &[String], closing: &str) -> String {
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

    struct Fake(String, Vec<Located<String>>);

    impl Task for Fake {
        fn name(&self) -> &str {
            &self.0
        }
        fn description(&self) -> &str {
            "fake"
        }
        fn depends_on(&self) -> &[Located<String>] {
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
}
