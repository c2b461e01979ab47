//! Every finding code of the profile task, in one enum (docs/profile.md
//! lists them with their fix).

cargo_perf_engine::finding_codes! {
    /// The profile task's findings.
    pub enum ProfileCode for "profile" {
        Debuginfo => "profile-debuginfo" (Info, "how the profiled program got its debug info"),
        PerfParanoid => "profile-perf-paranoid" (Info, "the kernel lets perf sample user-space frames only"),
        KptrRestrict => "profile-kptr-restrict" (Info, "the kernel hides its symbols, so kernel frames show as [unknown]"),
        DurationCap => "profile-duration-cap" (Info, "`--duration` stopped the program"),
        ProgramFailed => "profile-program-failed" (Warning, "the profiled program failed"),
        UnknownFrames => "profile-unknown-frames" (Warning, "many samples have frames without symbols"),
        TruncatedStacks => "profile-truncated-stacks" (Warning, "many samples have stacks that stop short of main"),
        RunsPruned => "profile-runs-pruned" (Info, "old profile runs were removed under `[profile] keep`"),
        RunNotPruned => "profile-run-not-pruned" (Warning, "an old profile run could not be removed"),
        HeapSite => "profile-heap-site" (Info, "an allocation site among the top by bytes at the heap's peak or by count (`--memory`)"),
        NoSymbols => "profile-no-symbols" (Warning, "the profiled program has no symbols (stripped), so its frames are bare addresses"),
        OpenFailed => "profile-open-failed" (Warning, "`--open` could not start a viewer"),
    }
}
