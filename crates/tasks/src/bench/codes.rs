//! Every finding code of the bench task, in one enum (docs/bench.md lists
//! them with their fix).

cargo_perf_engine::finding_codes! {
    /// The bench task's findings.
    pub enum BenchCode for "bench" {
        Regressed => "bench-regressed" (Error, "a benchmark is slower than its baseline"),
        Inconclusive => "bench-inconclusive" (Warning, "the data cannot tell whether a benchmark regressed (an error with `fail-on-inconclusive`)"),
        Improved => "bench-improved" (Info, "a benchmark is faster than its baseline"),
        Unchanged => "bench-unchanged" (Info, "a benchmark is as fast as its baseline"),
        HistoryPruned => "bench-history-pruned" (Info, "old runs were removed from the history under `[bench] keep-runs`"),
        OverBudget => "bench-over-budget" (Error, "a benchmark is over its budget"),
        UnknownBudget => "bench-unknown-budget" (Error, "a `[bench.budgets]` name matches no result its bench target reported"),
        CommandFailed => "bench-command-failed" (Error, "a command benchmark failed"),
        LeftoverProcesses => "bench-leftover-processes" (Warning, "a command benchmark left processes running"),
        Imprecise => "bench-imprecise" (Warning, "a command benchmark's median is still too imprecise for a verdict when its limit ran out"),
        TargetFailed => "bench-target-failed" (Error, "a cargo bench target failed"),
        CriterionUnreadable => "bench-criterion-unreadable" (Warning, "criterion's results could not be read"),
        NoResults => "bench-no-results" (Warning, "a bench target ran but reported no result cargo perf can read"),
        HistoryCorrupt => "bench-history-corrupt" (Warning, "a file of the history store is not a readable run"),
        Remeasured => "bench-remeasured" (Info, "the stored baseline's commit was measured again, interleaved, because its stored runs could not decide"),
        RemeasureFailed => "bench-remeasure-failed" (Warning, "the stored baseline's commit could not be measured again; the comparison with its stored runs stands"),
        FingerprintDiffers => "bench-fingerprint-differs" (Warning, "the baseline was measured on another machine or toolchain"),
    }
}
