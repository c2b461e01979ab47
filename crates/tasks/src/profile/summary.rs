//! What a person reads first: the functions that take the most samples (by
//! self and by inclusive share) and how much to trust the stacks, i.e. the
//! share of samples with `[unknown]` frames or stacks cut short of `main`.

use std::collections::{HashMap, HashSet};

/// Frames a complete user-space stack starts from.
const ENTRY_FRAMES: &[&str] = &[
    "_start",
    "_dl_start_user",
    "_dl_start",
    "__libc_start_main",
    "__libc_start_call_main",
    "__libc_start_main_impl",
    "start_thread",
    "clone",
    "clone3",
    "__clone",
    "__clone3",
    "main",
    "(below main)",
];

/// Totals of one profile's folded stacks.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub total: u64,
    pub self_counts: HashMap<String, u64>,
    pub inclusive_counts: HashMap<String, u64>,
    pub unknown: u64,
    pub truncated: u64,
}

impl Summary {
    /// Reads `stack count` lines; the first frame of each stack is the process name.
    pub fn from_folded(folded: &str) -> Summary {
        let mut summary = Summary::default();
        for line in folded.lines() {
            let Some((stack, count)) = line.trim_end().rsplit_once(' ') else {
                continue;
            };
            let Ok(count) = count.parse::<u64>() else {
                continue;
            };
            let frames: Vec<&str> = stack.split(';').skip(1).collect();
            summary.total += count;
            if frames.iter().any(|f| f.contains("[unknown]")) {
                summary.unknown += count;
            }
            match frames.first() {
                Some(root) if ENTRY_FRAMES.contains(&strip_annotation(root)) => {}
                _ => summary.truncated += count,
            }
            if let Some(leaf) = frames.last() {
                *summary.self_counts.entry((*leaf).to_owned()).or_default() += count;
            }
            let mut seen = HashSet::new();
            for frame in frames {
                if seen.insert(frame) {
                    *summary
                        .inclusive_counts
                        .entry(frame.to_owned())
                        .or_default() += count;
                }
            }
        }
        summary
    }

    /// Percent of all samples.
    pub fn share(&self, count: u64) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            count as f64 * 100.0 / self.total as f64
        }
    }

    pub fn top_self(&self, n: usize) -> Vec<(String, f64)> {
        self.top(&self.self_counts, n)
    }

    /// Top inclusive shares, leaving out the start-up frames every stack shares.
    pub fn top_inclusive(&self, n: usize) -> Vec<(String, f64)> {
        let interesting: HashMap<String, u64> = self
            .inclusive_counts
            .iter()
            .filter(|(name, _)| !is_runtime_frame(name))
            .map(|(name, count)| (name.clone(), *count))
            .collect();
        self.top(&interesting, n)
    }

    fn top(&self, counts: &HashMap<String, u64>, n: usize) -> Vec<(String, f64)> {
        let mut entries: Vec<_> = counts
            .iter()
            .filter(|(name, _)| !name.contains("[unknown]"))
            .collect();
        entries.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        entries
            .into_iter()
            .take(n)
            .map(|(name, count)| (name.clone(), self.share(*count)))
            .collect()
    }

    /// Functions whose self share changed most from `baseline` to `self`:
    /// `(name, baseline %, current %)`, largest change first.
    pub fn changes(&self, baseline: &Summary, n: usize) -> Vec<(String, f64, f64)> {
        let names: HashSet<&String> = self
            .self_counts
            .keys()
            .chain(baseline.self_counts.keys())
            .collect();
        let mut changes: Vec<(String, f64, f64)> = names
            .into_iter()
            .filter(|name| !name.contains("[unknown]"))
            .map(|name| {
                let before = baseline.share(baseline.self_counts.get(name).copied().unwrap_or(0));
                let after = self.share(self.self_counts.get(name).copied().unwrap_or(0));
                (name.clone(), before, after)
            })
            .collect();
        changes.sort_by(|a, b| {
            (b.2 - b.1)
                .abs()
                .total_cmp(&(a.2 - a.1).abs())
                .then_with(|| a.0.cmp(&b.0))
        });
        changes.truncate(n);
        changes
    }
}

/// Share (0..=1) of the folded weight in stacks with a frame valgrind could
/// not name (`0x000000000010a3c0`, `???`): a stripped program. The root
/// frame does not count: the loader's unnamed entry point is the root of
/// every stack of a program with symbols too.
pub(crate) fn unnamed_share(folded: &str) -> f64 {
    let (mut total, mut unnamed) = (0u64, 0u64);
    for line in folded.lines() {
        let Some((stack, count)) = line.trim_end().rsplit_once(' ') else {
            continue;
        };
        let Ok(count) = count.parse::<u64>() else {
            continue;
        };
        total += count;
        if stack
            .split(';')
            .skip(2)
            .any(|f| f == "???" || f.starts_with("0x"))
        {
            unnamed += count;
        }
    }
    if total == 0 {
        0.0
    } else {
        unnamed as f64 / total as f64
    }
}

/// Frames of the C and Rust start-up code, which hold (nearly) every sample.
fn is_runtime_frame(name: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "std::rt::",
        "std::panicking::",
        "std::panic::",
        "std::sys::",
        "std::thread::",
        "<alloc::boxed::Box<F,A> as core::ops::function::FnOnce",
        "<alloc::boxed::Box<F, A> as core::ops::function::FnOnce",
        "__rust_try",
        "{closure#",
        "{{closure}}",
        "core::ops::function::",
        "<&dyn core::ops::function::Fn",
        "__rust_begin_short_backtrace",
        "__libc_start",
        "catch_unwind",
        "do_call",
        "lang_start",
        "call_once",
    ];
    ENTRY_FRAMES.contains(&strip_annotation(name))
        || PREFIXES.iter().any(|p| name.starts_with(p))
        || name.ends_with("::thread_start")
}

/// `foo_[k]` (inferno's kernel/JIT annotations) is `foo`.
fn strip_annotation(frame: &str) -> &str {
    frame
        .strip_suffix("_[k]")
        .or_else(|| frame.strip_suffix("_[j]"))
        .unwrap_or(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_inclusive_and_unwind_quality() {
        let summary = Summary::from_folded(
            "app;_start;main;app::run;app::hot 6\napp;_start;main;app::run 2\napp;[unknown];app::hot 2\n",
        );
        assert_eq!(summary.total, 10);
        assert_eq!(summary.top_self(1), [("app::hot".to_owned(), 80.0)]);
        assert_eq!(summary.inclusive_counts["app::run"], 8);
        assert_eq!(summary.unknown, 2);
        assert_eq!(summary.truncated, 2);
    }

    #[test]
    fn thread_start_plumbing_is_left_out_of_the_inclusive_list() {
        let summary = Summary::from_folded(
            "app;clone3;start_thread;std::sys::pal::unix::thread::Thread::new::thread_start;<alloc::boxed::Box<F,A> as core::ops::function::FnOnce<Args>>::call_once;std::thread::Builder::spawn_unchecked_::{{closure}};app::work 9\napp;_start;main;app::main 1\n",
        );
        let top: Vec<String> = summary
            .top_inclusive(3)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(top, ["app::work", "app::main"]);
    }

    #[test]
    fn an_unnamed_root_is_not_a_stripped_program() {
        assert_eq!(unnamed_share("app;0x1ab70;main;app::run 9\n"), 0.0);
        assert_eq!(
            unnamed_share("app;0x1ab70;0x2c;memset 3\napp;0x1ab70;main 1\n"),
            0.75
        );
    }

    #[test]
    fn recursion_counts_once_inclusively() {
        let summary = Summary::from_folded("app;main;f;f;f 3\n");
        assert_eq!(summary.inclusive_counts["f"], 3);
        assert_eq!(summary.self_counts["f"], 3);
    }
}
