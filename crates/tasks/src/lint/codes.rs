//! Every finding code of the lint task, in one enum (docs/lint.md lists
//! them with their fix). A rule's code is `lint-<rule>`; its severity is the
//! rule's default level (`[lint.rules]` raises or lowers it).

cargo_perf_engine::finding_codes! {
    /// The lint task's findings.
    pub enum LintCode for "lint" {
        FormatInLoop => "lint-format-in-loop" (Warning, "a string is grown with `format!` or `+` inside a loop"),
        CloneInLoop => "lint-clone-in-loop" (Warning, "a heap value from outside a loop is cloned on every iteration only to be borrowed"),
        VecPushNoCapacity => "lint-vec-push-no-capacity" (Warning, "a `Vec::new()` is filled by one `push` per iteration without a capacity"),
        LockInLoop => "lint-lock-in-loop" (Warning, "a lock is taken on every iteration of a `for` loop"),
        CollectThenIterate => "lint-collect-then-iterate" (Warning, "an iterator is collected only to be iterated again at once"),
        RegexInLoop => "lint-regex-in-loop" (Warning, "a regex (or similar expensive value) is built inside a loop"),
        BlockingInAsync => "lint-blocking-in-async" (Warning, "a blocking std call (fs, sleep, net) inside async code"),
        LockAcrossAwait => "lint-lock-across-await" (Error, "a std lock guard is held across an `.await`"),
        UnboundedChannelInLoop => "lint-unbounded-channel-in-loop" (Warning, "an unbounded channel is created inside a loop"),
        SpawnInLoop => "lint-spawn-in-loop" (Warning, "a task or thread is spawned per item of a collection, without a bound"),
        UnbufferedWriteInLoop => "lint-unbuffered-write-in-loop" (Warning, "an unbuffered `File` is written inside a loop"),
        QueryInLoop => "lint-query-in-loop" (Warning, "a database query (sqlx, diesel, sea-orm) is issued once per iteration"),
        Clippy => "lint-clippy" (Warning, "a clippy lint of the performance selection (the message names it)"),
        ParseFailed => "lint-parse-failed" (Warning, "a source file could not be parsed, so the own rules skipped it"),
        UnknownSuppression => "lint-unknown-suppression" (Warning, "a `cargo-perf: allow(...)` names no rule"),
        ClippyFailed => "lint-clippy-failed" (Error, "`cargo clippy` failed, so its lints are unknown"),
    }
}
