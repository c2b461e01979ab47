//! Which clock a command benchmark is judged on. With `clock = "auto"` (the
//! default) a command that keeps exactly one CPU busy while it runs is
//! judged on its CPU time (user plus system, from `wait4`): other work on
//! the machine delays such a command but hardly changes the CPU time it
//! needs, so the CPU clock is steadier and still moves with every change of
//! the work the command does. Anything that waits (on disk, the network, a
//! child, a sleep) or runs in parallel is judged on wall time, which is
//! what its user waits for. Both sides of a comparison must qualify, so a
//! change that makes a command wait shows up on the wall clock.

use cargo_perf_policy::BenchClock;
use serde::{Deserialize, Serialize};

use super::history::BenchRecord;

/// The clock a comparison is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Clock {
    Wall,
    Cpu,
}

impl Clock {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Clock::Wall => "wall",
            Clock::Cpu => "cpu",
        }
    }
}

/// CPU time over wall time within which a command's least disturbed run
/// counts as one busy CPU.
const ONE_CPU: std::ops::RangeInclusive<f64> = 0.75..=1.10;

/// The clock `policy` asks for; for `auto`, decided from the runs seen so
/// far of every side (warm-up runs or a stored baseline).
pub(crate) fn resolve(policy: BenchClock, sides: &[&BenchRecord]) -> Clock {
    match policy {
        BenchClock::Wall => Clock::Wall,
        BenchClock::Cpu => Clock::Cpu,
        BenchClock::Auto if !sides.is_empty() && sides.iter().all(|r| one_busy_cpu(r)) => {
            Clock::Cpu
        }
        BenchClock::Auto => Clock::Wall,
    }
}

/// Whether the record's runs kept one CPU busy: the least disturbed run (the
/// highest CPU share: on a busy machine a CPU-bound command also waits for
/// a CPU) is within the range, and the typical run does not use more than
/// one CPU.
fn one_busy_cpu(record: &BenchRecord) -> bool {
    let n = record.samples.len();
    if n == 0 || record.user_ns.len() != n || record.sys_ns.len() != n {
        return false;
    }
    let mut shares: Vec<f64> = (0..n)
        .filter(|&i| record.samples[i] > 0.0)
        .map(|i| (record.user_ns[i] + record.sys_ns[i]) / record.samples[i])
        .collect();
    if shares.is_empty() {
        return false;
    }
    shares.sort_by(f64::total_cmp);
    let (typical, best) = (shares[shares.len() / 2], shares[shares.len() - 1]);
    ONE_CPU.contains(&best) && typical <= *ONE_CPU.end()
}

/// The samples a record is judged on: wall time, or CPU time when the
/// record has it.
pub(crate) fn samples(record: &BenchRecord, clock: Clock) -> Vec<f64> {
    let n = record.samples.len();
    if clock == Clock::Cpu && record.user_ns.len() == n && record.sys_ns.len() == n {
        record
            .user_ns
            .iter()
            .zip(&record.sys_ns)
            .map(|(u, s)| u + s)
            .collect()
    } else {
        record.samples.clone()
    }
}

/// The record's calibration samples on `clock`.
pub(crate) fn calibration(record: &BenchRecord, clock: Clock) -> &[f64] {
    match clock {
        Clock::Wall => &record.calibration_wall_ns,
        Clock::Cpu => &record.calibration_cpu_ns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(wall: f64, cpu: f64) -> BenchRecord {
        let mut r = BenchRecord::new("x", "ns");
        r.samples = vec![wall; 3];
        r.user_ns = vec![cpu * 0.9; 3];
        r.sys_ns = vec![cpu * 0.1; 3];
        r
    }

    #[test]
    fn auto_picks_cpu_only_for_one_busy_cpu_on_every_side() {
        let busy = record(100.0, 98.0);
        let waits = record(100.0, 40.0);
        let parallel = record(100.0, 190.0);
        assert_eq!(resolve(BenchClock::Auto, &[&busy]), Clock::Cpu);
        assert_eq!(resolve(BenchClock::Auto, &[&busy, &waits]), Clock::Wall);
        assert_eq!(resolve(BenchClock::Auto, &[&parallel]), Clock::Wall);
        assert_eq!(resolve(BenchClock::Auto, &[]), Clock::Wall);
        assert_eq!(resolve(BenchClock::Cpu, &[&waits]), Clock::Cpu);
        assert_eq!(samples(&busy, Clock::Cpu), vec![98.0; 3]);
        assert_eq!(samples(&busy, Clock::Wall), vec![100.0; 3]);
    }
}
