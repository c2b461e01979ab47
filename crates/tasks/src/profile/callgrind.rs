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
        id
    }

    /// Self cost plus the calls to other functions (a call to itself is
    /// already in its self cost).
    fn inclusive(&self, f: usize) -> u64 {
        self.self_cost[f]
            + self.calls[f]
                .iter()
                .filter(|(callee, _)| **callee != f)
                .map(|(_, cost)| cost)
                .sum::<u64>()
    }

    /// Each function's caller whose calls to it cost the most.
    fn costliest_callers(&self) -> Vec<Option<usize>> {
        let mut best: Vec<Option<(usize, u64)>> = vec![None; self.names.len()];
        for (caller, calls) in self.calls.iter().enumerate() {
            for (&callee, &cost) in calls {
                if callee != caller && best[callee].is_none_or(|(_, c)| cost > c) {
                    best[callee] = Some((caller, cost));
                }
            }
        }
        best.into_iter()
            .map(|b| b.map(|(caller, _)| caller))
            .collect()
    }

    /// What each function's callers' calls to it cost.
    fn incoming(&self) -> Vec<u64> {
        let mut incoming = vec![0; self.names.len()];
        for (caller, calls) in self.calls.iter().enumerate() {
            for (&callee, &cost) in calls {
                if callee != caller {
                    incoming[callee] += cost;
                }
            }
        }
        incoming
    }
}

/// Parses a `callgrind.out` file and folds it into `comm;root;..;leaf count` lines.
///
/// Every thread's cost is counted: a function whose inclusive cost is more
/// than its callers' calls account for (a thread's `clone`, whose child side
/// runs the whole thread while the parent's call costs a few instructions)
/// is also a root for the rest. Each function's self cost is then spread over
/// the stacks that end in it, so the folded total is callgrind's `totals:`.
pub fn fold(text: &str, comm: &str) -> Result<Vec<u8>, String> {
    let graph = parse(text)?;
    let mut stacks: BTreeMap<String, (usize, f64)> = BTreeMap::new();
    let total: u64 = graph.self_cost.iter().sum();
    let floor = total as f64 * MIN_SHARE;
    let mut path = Vec::new();
    for (root, incoming) in graph.incoming().into_iter().enumerate() {
        let amount = graph.inclusive(root).saturating_sub(incoming) as f64;
        if amount > 0.0 {
            walk(&graph, root, amount, floor, &mut path, &mut stacks);
        }
    }
    let mut out = String::new();
    for (stack, count) in exact_self_costs(&graph, stacks) {
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

/// Scales the walked stacks so each function's stacks sum to its exact self
/// cost (largest remainder for the rounding); a function no walk reached
/// (too cheap to split down to) goes under its costliest caller.
fn exact_self_costs(graph: &Graph, stacks: BTreeMap<String, (usize, f64)>) -> Vec<(String, u64)> {
    let mut by_leaf: Vec<Vec<(String, f64)>> = vec![Vec::new(); graph.names.len()];
    for (stack, (leaf, amount)) in stacks {
        by_leaf[leaf].push((stack, amount));
    }
    let heaviest: Vec<Option<String>> = by_leaf
        .iter()
        .map(|entries| {
            entries
                .iter()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(stack, _)| stack.clone())
        })
        .collect();
    let callers = graph.costliest_callers();
    let mut out = Vec::new();
    for (f, mut entries) in by_leaf.into_iter().enumerate() {
        let cost = graph.self_cost[f];
        let walked: f64 = entries.iter().map(|(_, a)| a).sum();
        if walked <= 0.0 {
            if cost > 0 {
                out.push((unreached_stack(graph, f, &heaviest, &callers), cost));
            }
            continue;
        }
        let scale = cost as f64 / walked;
        let mut counts: Vec<(u64, f64)> = entries
            .iter()
            .map(|(_, a)| {
                let exact = a * scale;
                (exact.floor() as u64, exact - exact.floor())
            })
            .collect();
        let mut left = cost.saturating_sub(counts.iter().map(|c| c.0).sum());
        let mut order: Vec<usize> = (0..counts.len()).collect();
        order.sort_by(|&a, &b| counts[b].1.total_cmp(&counts[a].1).then(a.cmp(&b)));
        for &i in order.iter().cycle().take(order.len() * 2) {
            if left == 0 {
                break;
            }
            counts[i].0 += 1;
            left -= 1;
        }
        for ((stack, _), (count, _)) in entries.drain(..).zip(counts) {
            out.push((stack, count));
        }
    }
    out.sort();
    out
}

/// `f`'s stack: its chain of costliest callers, up to the first one a walk
/// reached, under that one's heaviest stack.
fn unreached_stack(
    graph: &Graph,
    f: usize,
    heaviest: &[Option<String>],
    callers: &[Option<usize>],
) -> String {
    let mut chain = vec![f];
    let mut above = String::new();
    while let Some(caller) = callers[*chain.last().unwrap_or(&f)] {
        if let Some(stack) = &heaviest[caller] {
            above = format!("{stack};");
            break;
        }
        if chain.contains(&caller) || chain.len() >= MAX_DEPTH {
            break;
        }
        chain.push(caller);
    }
    let below: Vec<&str> = chain
        .iter()
        .rev()
        .map(|&g| graph.names[g].as_str())
        .collect();
    format!("{above}{}", below.join(";"))
}

fn walk(
    graph: &Graph,
    f: usize,
    amount: f64,
    floor: f64,
    path: &mut Vec<usize>,
    stacks: &mut BTreeMap<String, (usize, f64)>,
) {
    path.push(f);
    let inclusive = graph.inclusive(f) as f64;
    let scale = if inclusive > 0.0 {
        amount / inclusive
    } else {
        0.0
    };
    let mut own = graph.self_cost[f] as f64 * scale;
    for (&callee, &cost) in graph.calls[f].iter().filter(|(callee, _)| **callee != f) {
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
        stacks.entry(key).or_insert((f, 0.0)).1 += own;
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
    fn a_threads_cost_counts_though_its_clone_call_is_cheap() {
        // main calls clone (3 instructions on the parent's side); clone's
        // child side runs the worker's 1000.
        let text = "events: Ir\nfn=(1) main\n1 10\ncfn=(2) clone\ncalls=1 1\n1 3\nfn=(2)\n1 3\ncfn=(3) worker\ncalls=1 1\n1 1000\nfn=(3)\n1 1000\n";
        let folded = String::from_utf8(fold(text, "app").unwrap()).unwrap();
        let total: u64 = folded
            .lines()
            .map(|l| l.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap())
            .sum();
        assert_eq!(total, 1013, "{folded}");
        assert!(folded.contains("app;clone;worker 997\n"), "{folded}");
    }

    #[test]
    fn recursion_keeps_the_exact_self_costs() {
        let text = "events: Ir\nfn=(1) main\n1 5\ncfn=(2) f\ncalls=1 1\n1 100\nfn=(2)\n1 100\ncfn=(2)\ncalls=1 1\n1 60\n";
        let folded = String::from_utf8(fold(text, "app").unwrap()).unwrap();
        assert_eq!(folded, "app;main 5\napp;main;f 100\n");
    }

    #[test]
    fn a_function_too_cheap_to_split_to_goes_under_its_caller() {
        // `tiny` costs 1 of ~10 M: below the split floor, but still drawn under main.
        let text =
            "events: Ir\nfn=(1) main\n1 10000000\ncfn=(2) tiny\ncalls=1 1\n1 1\nfn=(2)\n1 1\n";
        let folded = String::from_utf8(fold(text, "app").unwrap()).unwrap();
        assert_eq!(folded, "app;main 10000000\napp;main;tiny 1\n");
    }

    #[test]
    fn rejects_other_files() {
        assert!(fold("hello\n", "app").is_err());
    }
}
