//! `cargo xtask bench speed` (also `cargo xtask bench` alone), issue 18: every
//! ratio of the pre-push path against the tool it replaces, from one run, in
//! one table with its goal and a pass/fail mark, so a change that slows one
//! shows at once. The measurements are those of the single benches
//! (gitignore, check, clean, hook), taken from their `measure` functions.

use std::time::Duration;

use anyhow::Result;
use xshell::Shell;

use super::{Results, check, clean, gitignore, hook, release_binary};

/// What a row must meet.
enum Goal {
    /// Ours over the floor, at most this.
    Ratio(f64),
    /// Ours minus the floor, under this.
    Added(Duration),
    /// Shown for information.
    None,
}

struct Row {
    work: String,
    ours: (String, Duration),
    floor: (String, Duration),
    goal: Goal,
}

impl Row {
    fn new(work: &str, results: &Results, ours: usize, floor: usize, goal: Goal) -> Row {
        let pick = |i: usize| (results.labels[i].clone(), results.medians[i]);
        Row {
            work: work.to_owned(),
            ours: pick(ours),
            floor: pick(floor),
            goal,
        }
    }

    fn ratio(&self) -> f64 {
        self.ours.1.as_secs_f64() / self.floor.1.as_secs_f64()
    }

    /// The goal as text and whether it was met (`None`: no goal).
    fn verdict(&self) -> (String, Option<bool>) {
        match self.goal {
            Goal::Ratio(max) => (format!("<= {max:.2}x"), Some(self.ratio() <= max)),
            Goal::Added(max) => {
                let added = self.ours.1.saturating_sub(self.floor.1);
                (format!("adds < {} ms", max.as_millis()), Some(added < max))
            }
            Goal::None => ("-".to_owned(), None),
        }
    }
}

pub fn run(sh: &Shell, rounds: usize) -> Result<()> {
    let binary = release_binary(sh)?;
    println!("== gitignore");
    let gitignore = gitignore::measure(&binary, rounds)?;
    println!("== check");
    let check = check::measure(&binary, rounds)?;
    println!("== clean");
    let clean = clean::measure(&binary, None, rounds)?;
    println!("== hook");
    let hook = hook::measure(&binary, rounds)?;
    let rows = [
        Row::new(
            "gitignore, 100k tracked files",
            &gitignore,
            1,
            0,
            Goal::Ratio(1.0),
        ),
        Row::new(
            "check, one trivial task, through cargo",
            &check,
            check::VIA_CARGO,
            check::FLOOR,
            Goal::Ratio(1.2),
        ),
        Row::new(
            "check, one trivial task, called directly",
            &check,
            check::DIRECT,
            check::FLOOR,
            Goal::None,
        ),
        Row::new(
            "clean --dry-run, 200k-entry target dir",
            &clean,
            1,
            0,
            Goal::Ratio(0.7),
        ),
        Row::new(
            "pre-push hook, unchanged repository",
            &hook,
            1,
            0,
            Goal::Added(Duration::from_millis(100)),
        ),
    ];
    println!("\n{rounds} interleaved rounds each, medians:\n");
    print_table(&rows);
    let failed = rows
        .iter()
        .filter(|row| row.verdict().1 == Some(false))
        .count();
    println!(
        "\n{} of {} goals met",
        rows.iter()
            .filter(|row| row.verdict().1 == Some(true))
            .count(),
        rows.len() - rows.iter().filter(|row| row.verdict().1.is_none()).count()
    );
    if failed > 0 {
        anyhow::bail!("{failed} goal(s) missed");
    }
    Ok(())
}

fn print_table(rows: &[Row]) {
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!("| work | cargo perf | floor or peer | ratio | goal | |");
    println!("|---|---|---|---|---|---|");
    for row in rows {
        let (goal, met) = row.verdict();
        let mark = match met {
            Some(true) => "pass",
            Some(false) => "FAIL",
            None => "-",
        };
        println!(
            "| {} | `{}` {} | `{}` {} | {:.2}x | {goal} | {mark} |",
            row.work,
            row.ours.0,
            ms(row.ours.1),
            row.floor.0,
            ms(row.floor.1),
            row.ratio()
        );
    }
}
