//! `LOAD=N` for the verdict-quality experiments: N threads that compete for
//! the CPU on and off, in bursts of random length (0.3 to 3 s busy, then 0.3
//! to 3 s idle), so the machine's speed changes between runs and during them,
//! as on a shared CI runner.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

pub struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Load {
    /// Starts the load `LOAD` asks for, if any; it stops when dropped.
    pub fn from_env() -> Option<Load> {
        let threads: usize = std::env::var("LOAD").ok()?.parse().ok()?;
        if threads == 0 {
            return None;
        }
        println!("LOAD={threads}: {threads} thread(s) busy and idle in random bursts of 0.3-3 s");
        let stop = Arc::new(AtomicBool::new(false));
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        let threads = (0..threads as u64)
            .map(|i| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || bursts(&stop, seed ^ (i + 1).wrapping_mul(0x9E37_79B9)))
            })
            .collect();
        Some(Load { stop, threads })
    }
}

fn bursts(stop: &AtomicBool, mut state: u64) {
    let mut next_length = || {
        // xorshift64: any spread of burst lengths will do.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        Duration::from_millis(300 + state % 2700)
    };
    let mut x = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let busy_until = Instant::now() + next_length();
        while Instant::now() < busy_until && !stop.load(Ordering::Relaxed) {
            for i in 0..10_000u64 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
            }
        }
        let idle_until = Instant::now() + next_length();
        while Instant::now() < idle_until && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
