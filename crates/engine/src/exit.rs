//! The exit codes users and scripts rely on. Documented in the README; keep stable.

/// Everything passed.
pub const SUCCESS: u8 = 0;
/// A policy check failed: a budget, a regression, a rule, a failing task.
pub const CHECK_FAILED: u8 = 1;
/// A usage, configuration or environment error (bad perf.toml, a missing tool).
pub const ERROR: u8 = 2;
/// Stopped by Ctrl-C (128 + SIGINT).
pub const INTERRUPTED: u8 = 130;
