//! Which clock a command benchmark is judged on. With `clock = "auto"` (the
//! default) a command that keeps exactly one CPU busy while it runs may be
//! judged on its CPU time (user plus system, from `wait4`): other work on
//! the machine delays such a command but hardly changes the CPU time it
//! needs. But CPU time is not always the steadier clock: where the kernel
//! accounts it in scheduler ticks, a 30 ms run's CPU time is known only to
//! a few milliseconds, while its wall time on a quiet machine is steady to
//! a fraction of that. So `auto` picks the CPU clock only when it is the
//! steadier of the two on the stored baseline's runs (which have both), and
//! the command qualifies on every side; otherwise wall time, which is what
//! its user waits for. Both sides must qualify, so a change that makes a
//! command wait shows up on the wall clock.

use cargo_perf_policy::BenchClock;
use serde::{Deserialize, Serialize};

use super::history::BenchRecord;
use super::robust::Trimmed;

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

/// The clock `policy` asks for; for `auto`, decided from this run's
/// warm-up and the stored baseline it is compared with (none: wall time).
pub(crate) fn resolve(
    policy: BenchClock,
    warmup: &BenchRecord,
    baseline: Option<&BenchRecord>,
) -> Clock {
    match (policy, baseline) {
        (BenchClock::Wall, _) => Clock::Wall,
        (BenchClock::Cpu, _) => Clock::Cpu,
        (BenchClock::Auto, Some(baseline))
            if one_busy_cpu(warmup) && one_busy_cpu(baseline) && steadier_on_cpu(baseline) =>
        {
            Clock::Cpu
        }
        (BenchClock::Auto, _) => Clock::Wall,
    }
}

/// Whether the record's CPU times vary less, relative to their size, than
/// its wall times.
fn steadier_on_cpu(record: &BenchRecord) -> bool {
    let spread = |samples: &[f64]| {
        Trimmed::of(samples).map_or(f64::INFINITY, |t| t.variance.sqrt() / t.mean)
    };
    spread(&samples(record, Clock::Cpu)) < spread(&record.samples)
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
    fn auto_picks_cpu_only_for_one_busy_cpu_that_is_steadier() {
        let mut busy = record(100.0, 98.0);
        busy.samples = vec![90.0, 100.0, 110.0];
        let waits = record(100.0, 40.0);
        let parallel = record(100.0, 190.0);
        assert_eq!(resolve(BenchClock::Auto, &busy, Some(&busy)), Clock::Cpu);
        assert_eq!(resolve(BenchClock::Auto, &busy, None), Clock::Wall);
        assert_eq!(resolve(BenchClock::Auto, &waits, Some(&busy)), Clock::Wall);
        assert_eq!(
            resolve(BenchClock::Auto, &parallel, Some(&parallel)),
            Clock::Wall
        );
        // Steadier on the wall clock: wall.
        let mut ticks = record(100.0, 98.0);
        ticks.user_ns = vec![80.0, 98.0, 110.0];
        assert_eq!(resolve(BenchClock::Auto, &ticks, Some(&ticks)), Clock::Wall);
        assert_eq!(resolve(BenchClock::Cpu, &waits, None), Clock::Cpu);
        assert_eq!(samples(&busy, Clock::Cpu), vec![98.0; 3]);
    }
}
