//! Ctrl-C handling. Every command a task starts runs in its own process group,
//! registered here; on the first Ctrl-C the groups get SIGINT (as a terminal
//! would send), and whatever still runs three seconds later gets SIGKILL. A
//! second Ctrl-C kills everything at once and exits with 130. (Once a group's
//! leader has exited after Ctrl-C, the process layer kills the rest of the
//! group at once: nothing would wait for it.)

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
static INSTALL: Once = Once::new();

const GRACE: Duration = Duration::from_secs(3);

/// Installs the Ctrl-C (and SIGTERM) handler once per process. Calling it
/// again, or from a program that already has a handler, does nothing.
pub fn install() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                signal_all(libc::SIGKILL);
                std::process::exit(i32::from(crate::exit::INTERRUPTED));
            }
            signal_all(libc::SIGINT);
            std::thread::spawn(|| {
                std::thread::sleep(GRACE);
                signal_all(libc::SIGKILL);
            });
        });
    });
}

/// Whether Ctrl-C was pressed during this run.
pub fn is_interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

fn signal_all(signal: i32) {
    let groups = GROUPS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for group in groups {
        signal_group(group, signal);
    }
}

pub(crate) fn signal_group(group: i32, signal: i32) {
    // SAFETY: killpg only sends a signal; an already-exited group gives ESRCH, which is fine.
    unsafe {
        libc::killpg(group, signal);
    }
}

/// Keeps a process group registered for Ctrl-C while it lives.
pub(crate) struct GroupGuard(i32);

impl GroupGuard {
    pub(crate) fn register(group: i32) -> Self {
        GROUPS.lock().unwrap_or_else(|e| e.into_inner()).push(group);
        if is_interrupted() {
            signal_group(group, libc::SIGINT);
        }
        GroupGuard(group)
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let mut groups = GROUPS.lock().unwrap_or_else(|e| e.into_inner());
        groups.retain(|g| *g != self.0);
    }
}
