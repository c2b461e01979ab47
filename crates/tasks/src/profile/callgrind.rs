//! Folded stacks from a callgrind profile. Callgrind records self costs per
//! function and inclusive costs per call edge (caller → callee), not whole
//! stacks, so the stacks here are an approximation in the manner of gprof: a
//! function's cost is split among the paths that reach it in proportion to
//! the cost of each incoming call, and a call back into a function already on
//! the path counts as that function's own cost. Self costs per function are
//! exact; the shape of deep stacks is an estimate. The counts are instructions
//! (`Ir`), identical from run to run.

use std::collections::{BTreeMap, HashMap};

/// Paths worth less than this share of all instructions are not split further.
const MIN_SHARE: f64 = 1e-5;
const MAX_DEPTH: usize = 200;

#[derive(Debug, Default)]
struct Graph {
    names: Vec<String>,
    ids: HashMap<String, usize>,
    self_cost: Vec<u64>,
    /// Inclusive cost of each call edge, per caller.
    calls: Vec<BTreeMap<usize, u64>>,
    called: Vec<bool>,
}

impl Graph {
    /// The function called `name`, known by `key` (its compressed id, as
    /// distinct functions may share a name, e.g. `(below main)`).
    fn function(&mut self, key: &str, name: &str) -> usize {
        if let Some(id) = self.ids.get(key) {
            return *id;
        }
        let id = self.names.len();
        self.names.push(name.to_owned());
        self.ids.insert(key.to_owned(), id);
        self.self_cost.push(0);
        self.calls.push(BTreeMap::new());
        self.called.push(false);
        id
    }

    fn inclusive(&self, f: usize) -> u64 {
        self.self_cost[f] + self.calls[f].values().sum::<u64>()
    }
}

/// Parses a `callgrind.out` file and folds it into `comm;root;..;leaf count` lines.
pub fn fold(text: &str, comm: &str) -> Result<Vec<u8>, String> {
    let graph = parse(text)?;
    let mut stacks: BTreeMap<String, f64> = BTreeMap::new();
    let total: u64 = (0..graph.names.len()).map(|f| graph.self_cost[f]).sum();
    let floor = total as f64 * MIN_SHARE;
    let mut path = Vec::new();
    for root in 0..graph.names.len() {
        if graph.called[root] {
            continue;
        }
        let amount = graph.inclusive(root) as f64;
        if amount > 0.0 {
            walk(&graph, root, amount, floor, &mut path, &mut stacks);
        }
    }
    let mut out = String::new();
    for (stack, count) in stacks {
        let count = count.round() as u64;
        if count > 0 {
            out.push_str(comm);
            out.push(';');
            out.push_str(&stack);
            out.push(' ');
            out.push_str(&count.to_string());
            out.push('\n');
        }
    }
    Ok(out.into_bytes())
}

fn walk(
    graph: &Graph,
    f: usize,
    amount: f64,
    floor: f64,
    path: &mut Vec<usize>,
    stacks: &mut BTreeMap<String, f64>,
) {
    path.push(f);
    let inclusive = graph.inclusive(f) as f64;
    let scale = if inclusive > 0.0 {
        amount / inclusive
    } else {
        0.0
    };
    let mut own = graph.self_cost[f] as f64 * scale;
    for (&callee, &cost) in &graph.calls[f] {
        let share = cost as f64 * scale;
        if path.contains(&callee) || path.len() >= MAX_DEPTH || share < floor {
            own += share;
        } else {
            walk(graph, callee, share, floor, path, stacks);
        }
    }
    if own > 0.0 {
        let key = path
            .iter()
            .map(|&id| graph.names[id].as_str())
            .collect::<Vec<_>>()
            .join(";");
        *stacks.entry(key).or_default() += own;
    }
    path.pop();
}

fn parse(text: &str) -> Result<Graph, String> {
    let mut graph = Graph::default();
    let mut compressed: HashMap<String, String> = HashMap::new();
    let mut positions = 1;
    let mut current: Option<usize> = None;
    let mut callee: Option<usize> = None;
    let mut pending_call = false;
    let mut saw_events = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(spec) = line.strip_prefix("positions:") {
            positions = spec.split_whitespace().count().max(1);
        } else if line.starts_with("events:") {
            saw_events = true;
        } else if let Some(name) = line.strip_prefix("fn=") {
            let (key, name) = expand(name, &mut compressed);
            current = Some(graph.function(&key, &name));
        } else if let Some(name) = line.strip_prefix("cfn=") {
            let (key, name) = expand(name, &mut compressed);
            callee = Some(graph.function(&key, &name));
        } else if line.starts_with("calls=") {
            pending_call = true;
        } else if line.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '*')) {
            let cost: u64 = line
                .split_whitespace()
                .nth(positions)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let Some(caller) = current else {
                continue;
            };
            if pending_call {
                pending_call = false;
                if let Some(target) = callee {
                    *graph.calls[caller].entry(target).or_default() += cost;
                    if target != caller {
                        graph.called[target] = true;
                    }
                }
            } else {
                graph.self_cost[caller] += cost;
            }
        }
    }
    if !saw_events {
        return Err("not a callgrind profile (no `events:` line)".to_owned());
    }
    Ok(graph)
}

/// `(12) name` defines id 12; `(12)` refers to it; a plain name is itself.
/// Returns the function's key and its name.
fn expand(spec: &str, compressed: &mut HashMap<String, String>) -> (String, String) {
    let spec = spec.trim();
    if let Some(rest) = spec.strip_prefix('(')
        && let Some((id, name)) = rest.split_once(')')
    {
        let key = format!("({id})");
        let name = name.trim();
        if name.is_empty() {
            let name = compressed.get(id).cloned().unwrap_or_else(|| key.clone());
            return (key, name);
        }
        compressed.insert(id.to_owned(), name.to_owned());
        return (key, name.to_owned());
    }
    (spec.to_owned(), spec.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_callee_costs_by_caller() {
        let text = "events: Ir\nfn=(1) main\n1 10\ncfn=(2) a\ncalls=1 1\n1 60\ncfn=(3) b\ncalls=1 1\n1 30\nfn=(2)\n1 40\ncfn=(3)\ncalls=1 1\n1 20\nfn=(3)\n1 50\n";
        let folded = String::from_utf8(fold(text, "app").unwrap()).unwrap();
        assert_eq!(
            folded,
            "app;main 10\napp;main;a 40\napp;main;a;b 20\napp;main;b 30\n"
        );
    }

    #[test]
    fn rejects_other_files() {
        assert!(fold("hello\n", "app").is_err());
    }
}
