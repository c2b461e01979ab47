//! Every finding code of the build task, in one enum (docs/build.md lists
//! them with their fix).

cargo_perf_engine::finding_codes! {
    /// The build task's findings.
    pub enum BuildCode for "build" {
        NotFresh => "build-not-fresh" (Error, "a second identical build rebuilt a package"),
        VolatileEnv => "build-volatile-env" (Error, "a watched environment variable changed between two identical builds"),
        EnvChanged => "build-env-changed" (Warning, "a watched environment variable changed since the last build"),
        NoRerunIf => "build-no-rerun-if" (Warning, "a build script prints no `rerun-if-*` line"),
        RerunIfChangedMissing => "build-rerun-if-changed-missing" (Error, "a build script watches a path that does not exist"),
        WritesSource => "build-writes-source" (Error, "the build created or modified a file in the source tree"),
        FutureMtime => "build-future-mtime" (Error, "a source file is dated in the future"),
        OverBudget => "build-over-budget" (Error, "an edit-rebuild cycle is over its budget"),
        UnexpectedRebuild => "build-unexpected-rebuild" (Warning, "an edit rebuilt a package that does not depend on the edited member"),
        NoRootFile => "build-no-root-file" (Info, "a member has no library or binary target to time"),
        RootOutsideWorkspace => "build-root-outside-workspace" (Warning, "a member's root file is outside the workspace, so it is not timed"),
        SlowUnit => "build-slow-unit" (Info, "one of the slowest units of the clean build"),
        NoTimings => "build-no-timings" (Warning, "cargo wrote no readable `--timings` report"),
        Failed => "build-failed" (Error, "a build failed"),
        NightlyOnly => "build-nightly-only" (Error, "a target needs a nightly toolchain"),
    }
}
