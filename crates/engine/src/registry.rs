//! The set of tasks and pipelines a run can name: built-in tasks, the user's
//! custom tasks, default pipelines and the policy's own pipelines.

use std::collections::HashMap;
use std::sync::Arc;

use cargo_perf_policy::{Diagnostic, Located};

use crate::model::{ListedPipeline, ListedTask, Listing};
use crate::task::Task;

/// A named list of task or pipeline names.
#[derive(Debug, Clone)]
pub struct PipelineDef {
    pub name: Located<String>,
    pub steps: Vec<Located<String>>,
    pub description: String,
}

/// Tasks and pipelines in the order they were added, with an index by name
/// so a lookup costs the same for ten names as for ten thousand.
#[derive(Default, Clone)]
pub struct Registry {
    tasks: Vec<Arc<dyn Task>>,
    pipelines: Vec<PipelineDef>,
    task_index: HashMap<String, usize>,
    pipeline_index: HashMap<String, usize>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a task; a task of the same name is replaced (so a caller can
    /// swap in a built-in configured from command-line flags).
    pub fn add_task(&mut self, task: Arc<dyn Task>) {
        match self.task_index.get(task.name()) {
            Some(&index) => self.tasks[index] = task,
            None => self.push_task(task),
        }
    }

    fn push_task(&mut self, task: Arc<dyn Task>) {
        self.task_index
            .insert(task.name().to_owned(), self.tasks.len());
        self.tasks.push(task);
    }

    /// Adds a custom task from the policy; it may not shadow a built-in.
    pub fn add_custom_task(
        &mut self,
        task: Arc<dyn Task>,
        name_span: Option<std::ops::Range<usize>>,
    ) -> Result<(), Diagnostic> {
        if self.task(task.name()).is_some() {
            let mut diagnostic = Diagnostic::new(format!("task `{}` is already a built-in task", task.name()))
                .label("built-in name")
                .help("pick another name for the custom task; built-in tasks are listed by `cargo perf list`");
            if let Some(span) = name_span {
                diagnostic = diagnostic.at(span);
            }
            return Err(diagnostic);
        }
        self.push_task(task);
        Ok(())
    }

    /// Adds a pipeline, replacing one of the same name (policy pipelines override defaults).
    pub fn add_pipeline(&mut self, pipeline: PipelineDef) {
        match self.pipeline_index.get(&pipeline.name.value) {
            Some(&index) => self.pipelines[index] = pipeline,
            None => {
                self.pipeline_index
                    .insert(pipeline.name.value.clone(), self.pipelines.len());
                self.pipelines.push(pipeline);
            }
        }
    }

    pub fn task(&self, name: &str) -> Option<&Arc<dyn Task>> {
        self.task_index.get(name).map(|&index| &self.tasks[index])
    }

    pub fn pipeline(&self, name: &str) -> Option<&PipelineDef> {
        self.pipeline_index
            .get(name)
            .map(|&index| &self.pipelines[index])
    }

    pub fn tasks(&self) -> &[Arc<dyn Task>] {
        &self.tasks
    }

    /// What every task declares it writes in `project` (see [`Task::writes`]).
    pub fn writes(&self, project: &crate::task::Project) -> Vec<crate::task::Written> {
        crate::task::declared_writes(&self.tasks, project)
    }

    pub fn pipelines(&self) -> &[PipelineDef] {
        &self.pipelines
    }

    /// Every name that `cargo perf run` accepts.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tasks
            .iter()
            .map(|t| t.name())
            .chain(self.pipelines.iter().map(|p| p.name.value.as_str()))
    }

    /// The tasks and pipelines as data, for `cargo perf list`.
    pub fn listing(&self) -> Listing {
        let names = |list: &[Located<String>]| list.iter().map(|l| l.value.clone()).collect();
        Listing {
            tasks: self
                .tasks
                .iter()
                .map(|t| ListedTask {
                    name: t.name().to_owned(),
                    kind: t.kind(),
                    description: t.description().to_owned(),
                    depends_on: names(t.depends_on()),
                })
                .collect(),
            pipelines: self
                .pipelines
                .iter()
                .map(|p| ListedPipeline {
                    name: p.name.value.clone(),
                    steps: names(&p.steps),
                    from_policy: p.name.span.is_some(),
                })
                .collect(),
        }
    }
}
