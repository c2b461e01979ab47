//! A depth-first walk over named nodes (tasks by `depends-on`, pipelines by
//! their steps) that planning and validation share. It keeps its own stack
//! instead of recursing, so a 10,000-long `depends-on` chain neither
//! overflows the thread's stack nor costs more than one visit per node and
//! one look at each edge.

use std::collections::HashMap;

use cargo_perf_policy::Located;

/// What the walk meets, in depth-first order.
pub(crate) enum Event<'a> {
    /// A node is reached for the first time (pre-order).
    Enter(&'a str),
    /// Every node below it has been left (post-order: dependencies first).
    Leave(&'a str),
    /// `edge` leads back to a node still being walked: `path` is the cycle
    /// from that node to the one whose edge closes it.
    Cycle(Vec<&'a str>, &'a Located<String>),
}

enum Mark {
    /// On the stack, at this depth.
    Open(usize),
    Done,
}

struct Frame<'a> {
    name: &'a str,
    edges: Vec<&'a Located<String>>,
    next: usize,
}

/// Walks from each of `roots` in order, skipping nodes already walked.
/// `edges` gives a node's outgoing edges; an error from it or from `visit`
/// ends the walk.
pub(crate) fn walk<'a, E>(
    roots: impl IntoIterator<Item = &'a str>,
    edges: impl Fn(&'a str) -> Result<Vec<&'a Located<String>>, E>,
    mut visit: impl FnMut(Event<'a>) -> Result<(), E>,
) -> Result<(), E> {
    let mut marks: HashMap<&'a str, Mark> = HashMap::new();
    let mut stack: Vec<Frame<'a>> = Vec::new();
    for root in roots {
        if marks.contains_key(root) {
            continue;
        }
        marks.insert(root, Mark::Open(0));
        visit(Event::Enter(root))?;
        stack.push(Frame {
            name: root,
            edges: edges(root)?,
            next: 0,
        });
        while let Some(frame) = stack.last_mut() {
            let Some(&edge) = frame.edges.get(frame.next) else {
                let name = frame.name;
                stack.pop();
                marks.insert(name, Mark::Done);
                visit(Event::Leave(name))?;
                continue;
            };
            frame.next += 1;
            let target = edge.value.as_str();
            match marks.get(target) {
                Some(Mark::Done) => {}
                Some(Mark::Open(depth)) => {
                    let path = stack[*depth..].iter().map(|f| f.name).collect();
                    visit(Event::Cycle(path, edge))?;
                }
                None => {
                    marks.insert(target, Mark::Open(stack.len()));
                    visit(Event::Enter(target))?;
                    stack.push(Frame {
                        name: target,
                        edges: edges(target)?,
                        next: 0,
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(n: usize) -> Vec<Vec<Located<String>>> {
        (0..n)
            .map(|i| {
                (i > 0)
                    .then(|| Located::builtin(format!("{}", i - 1)))
                    .into_iter()
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_long_chain_is_walked_once_per_node_and_edge() {
        let n = 100_000;
        let nodes = graph(n);
        let names: Vec<String> = (0..n).map(|i| i.to_string()).collect();
        let calls = std::cell::Cell::new(0usize);
        let mut left = Vec::new();
        walk::<()>(
            names.iter().rev().map(String::as_str),
            |name| {
                calls.set(calls.get() + 1);
                Ok(nodes[name.parse::<usize>().unwrap()].iter().collect())
            },
            |event| {
                if let Event::Leave(name) = event {
                    left.push(name);
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(calls.get(), n, "each node's edges are asked for once");
        assert_eq!(left.len(), n);
        assert_eq!(left[0], "0", "dependencies are left first");
        assert_eq!(left[n - 1], (n - 1).to_string());
    }

    #[test]
    fn a_back_edge_reports_the_cycle_path() {
        let edges: HashMap<&str, Vec<Located<String>>> = [
            ("a", vec![Located::builtin("b".to_owned())]),
            ("b", vec![Located::builtin("a".to_owned())]),
        ]
        .into_iter()
        .collect();
        let mut cycles = Vec::new();
        walk::<()>(
            ["a"],
            |name| Ok(edges[name].iter().collect()),
            |event| {
                if let Event::Cycle(path, edge) = event {
                    cycles.push((path, edge.value.clone()));
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(cycles, [(vec!["a", "b"], "a".to_owned())]);
    }
}
