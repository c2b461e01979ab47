//! Every finding code of the clean task, in one enum (docs/clean.md lists
//! them with their fix).

cargo_perf_engine::finding_codes! {
    /// The clean task's findings.
    pub enum CleanCode for "clean" {
        Remove => "clean-remove" (Info, "a path was removed (or would be, in a dry run)"),
        ToolOutput => "clean-tool-output" (Info, "an old output of cargo perf itself was removed (or would be, in a dry run)"),
        NotRemoved => "clean-not-removed" (Info, "a planned removal was not done"),
        RemoveFailed => "clean-remove-failed" (Error, "a path could not be removed"),
        OutsideWorkspace => "clean-outside-workspace" (Error, "a removal was refused: its path leads out of the directory it was found in"),
        Interrupted => "clean-interrupted" (Error, "Ctrl-C stopped the run before every removal was done"),
        OverBudget => "clean-over-budget" (Warning, "the target dir is still over `max-size` after every allowed removal"),
        BuildLocked => "clean-build-locked" (Warning, "a profile directory is locked by a running cargo build"),
        Unreadable => "clean-unreadable" (Warning, "a path could not be read, so it is kept"),
        ToolchainBroken => "clean-toolchain-broken" (Warning, "an installed toolchain cannot report its fingerprint"),
        TrackedKept => "clean-tracked-kept" (Warning, "something that would be removed holds a tracked file, so it is kept"),
        RepositoryKept => "clean-repository-kept" (Warning, "an extra glob matches a nested git repository, which is not entered"),
    }
}
