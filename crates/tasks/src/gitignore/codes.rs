//! Every finding code of the gitignore task, in one enum (docs/gitignore.md
//! lists them with their fix).

cargo_perf_engine::finding_codes! {
    /// The gitignore task's findings.
    pub enum GitignoreCode for "gitignore" {
        NotARepository => "gitignore-not-a-repository" (Warning, "the workspace is not in a git repository"),
        MissingIgnore => "gitignore-missing-ignore" (Error, "a path that must be ignored is not"),
        MissingIgnoreAbsent => "gitignore-missing-ignore-absent" (Warning, "a path that must be ignored is not, but nothing is there yet"),
        NotShared => "gitignore-not-shared" (Warning, "a required ignore is only in an uncommitted exclude file"),
        TrackedIgnored => "gitignore-tracked-ignored" (Error, "a tracked file is ignored"),
        LargeFile => "gitignore-large-file" (Error, "a tracked or staged file is over the size limit"),
        Added => "gitignore-added" (Info, "`--fix` added a pattern to .gitignore"),
        Untracked => "gitignore-untracked" (Info, "`--untrack` stopped tracking an ignored file"),
        UntrackFailed => "gitignore-untrack-failed" (Error, "`--untrack` could not untrack the files"),
    }
}
