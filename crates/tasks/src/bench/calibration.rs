//! A fixed piece of CPU work timed beside every benchmark run, so a verdict
//! can tell "the code got slower" from "the machine got slower". Between
//! two runs measured minutes apart, another build, a browser tab or the CPU
//! clocking down moves every benchmark; the calibration loop moves with
//! them, and when it moved by more than half the threshold the comparison
//! cannot be trusted either way, and says so. It runs with as many threads
//! as the benchmark keeps busy, and is timed on both clocks, so it is
//! disturbed the way the benchmark is. Its length is a twentieth of the
//! benchmark's run (between 0.3 ms and 10 ms): a shorter loop's own jitter
//! would hide the machine's.

use std::hint::black_box;
use std::time::Instant;

use rustix::time::{ClockId, clock_gettime};

/// Dependent multiply-adds per thread at the least: about 0.3 ms on a current CPU.
pub(crate) const MIN_STEPS: u64 = 300_000;
/// At the most: about 10 ms.
const MAX_STEPS: u64 = 10_000_000;
/// The share of a benchmark's run its calibration loop takes.
const SHARE: f64 = 0.05;

/// One calibration measurement, per million steps of the loop (so runs
/// whose loops had different lengths compare).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Calibration {
    pub(crate) wall_ns: f64,
    /// Summed over the threads.
    pub(crate) cpu_ns: f64,
}

/// The loop's length for a benchmark whose run takes `run_ns`: a twentieth
/// of it, from one timing of the shortest loop.
pub(crate) fn steps_for(run_ns: f64) -> u64 {
    let per_step = measure(1, MIN_STEPS).wall_ns.max(1.0) / 1e6;
    let steps = run_ns * SHARE / per_step;
    (steps as u64).clamp(MIN_STEPS, MAX_STEPS)
}

/// Times `steps` of the loop on `threads` threads at once (at least one).
pub(crate) fn measure(threads: usize, steps: u64) -> Calibration {
    let started = Instant::now();
    let cpu_ns = if threads <= 1 {
        timed_loop(steps)
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| scope.spawn(move || timed_loop(steps)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
        })
    };
    let per_million = 1e6 / steps.max(1) as f64;
    Calibration {
        wall_ns: started.elapsed().as_nanos() as f64 * per_million,
        cpu_ns: cpu_ns * per_million,
    }
}

/// The loop, returning the CPU time this thread spent in it.
fn timed_loop(steps: u64) -> f64 {
    let before = thread_cpu_ns();
    let mut x = 0u64;
    for i in 0..steps {
        x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
    }
    black_box(x);
    thread_cpu_ns() - before
}

fn thread_cpu_ns() -> f64 {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    t.tv_sec as f64 * 1e9 + t.tv_nsec as f64
}

/// How many CPUs a command keeps busy: its CPU time over its wall time,
/// rounded, between 1 and the CPUs this process may use.
pub(crate) fn threads_for(cpu_ns: f64, wall_ns: f64) -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    if wall_ns <= 0.0 {
        return 1;
    }
    ((cpu_ns / wall_ns).round() as usize).clamp(1, cpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loop_takes_time_on_both_clocks() {
        let one = measure(1, MIN_STEPS);
        assert!(one.wall_ns > 0.0 && one.cpu_ns > 0.0);
        let two = measure(2, MIN_STEPS);
        assert!(two.cpu_ns > 0.0);
        assert_eq!(threads_for(0.0, 0.0), 1);
        assert_eq!(threads_for(1.0, 1.0), 1);
        assert_eq!(steps_for(0.0), MIN_STEPS);
        assert!(steps_for(1e12) <= MAX_STEPS);
    }
}
