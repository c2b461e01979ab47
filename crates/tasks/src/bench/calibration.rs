//! A fixed piece of CPU work timed beside every benchmark run, so a verdict
//! can tell "the code got slower" from "the machine got slower". Between
//! two runs measured minutes apart, another build, a browser tab or the CPU
//! clocking down moves every benchmark; the calibration loop moves with
//! them, and when it moved by more than half the threshold the comparison
//! cannot be trusted either way, and says so. It runs with as many threads
//! as the benchmark keeps busy, and is timed on both clocks, so it is
//! disturbed the way the benchmark is.

use std::hint::black_box;
use std::time::Instant;

use rustix::time::{ClockId, clock_gettime};

/// Dependent multiply-adds per thread: about 0.3 ms on a current CPU.
const STEPS: u64 = 300_000;

/// One calibration measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Calibration {
    pub(crate) wall_ns: f64,
    /// Summed over the threads.
    pub(crate) cpu_ns: f64,
}

/// Times the loop on `threads` threads at once (at least one).
pub(crate) fn measure(threads: usize) -> Calibration {
    let started = Instant::now();
    let cpu_ns = if threads <= 1 {
        timed_loop()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads).map(|_| scope.spawn(timed_loop)).collect();
            handles.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
        })
    };
    Calibration {
        wall_ns: started.elapsed().as_nanos() as f64,
        cpu_ns,
    }
}

/// The loop, returning the CPU time this thread spent in it.
fn timed_loop() -> f64 {
    let before = thread_cpu_ns();
    let mut x = 0u64;
    for i in 0..STEPS {
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
        let one = measure(1);
        assert!(one.wall_ns > 0.0 && one.cpu_ns > 0.0);
        let two = measure(2);
        assert!(two.cpu_ns > 0.0);
        assert_eq!(threads_for(0.0, 0.0), 1);
        assert_eq!(threads_for(1.0, 1.0), 1);
    }
}
