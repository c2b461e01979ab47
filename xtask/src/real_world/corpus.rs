//! The pinned corpus: which published crates, in which shapes, what the tool
//! is asked to do on each, and which policy failures (exit 1) are true of
//! that crate, each with the reason a person checked.

/// One corpus entry: a crate (or a family of sibling crates joined into one
/// workspace) laid out as a git repository of its own.
pub struct Entry {
    /// The entry's name (its directory, and what `cargo xtask real-world NAME` picks).
    pub name: &'static str,
    /// What shape of workspace it stands for.
    pub shape: &'static str,
    /// The published crates, `(name, exact version)`; more than one become
    /// the members of a workspace joined by `[patch.crates-io]` path overrides.
    pub crates: &'static [(&'static str, &'static str)],
    /// Whether its published package ships bench targets (`bench` runs).
    pub benches: bool,
    /// A binary of it doing real work, for `profile`: `(bin, args)`, where
    /// `INPUT` in the arguments is a 1 MiB file of bytes made for the run.
    pub profile: Option<(&'static str, &'static [&'static str])>,
    /// Policy failures that are true of this crate: `(step, finding code,
    /// reason)`. A `push` fails when the `check` its pre-push hook runs
    /// does, so it takes `check`'s entry.
    pub allowed: &'static [Allowed],
}

/// An exit 1 that is true of the crate: the step, the finding code it must
/// report, and why that finding is right (checked by hand).
pub type Allowed = (&'static str, &'static str, &'static str);

/// Every entry, cheapest first.
pub const CORPUS: &[Entry] = &[
    Entry {
        name: "itoa",
        shape: "libtest #[bench] benches that need nightly",
        crates: &[("itoa", "1.0.9")],
        benches: true,
        profile: None,
        allowed: &[(
            "bench",
            "bench-target-failed",
            "benches/bench.rs starts with #![feature(test)]: stable rustc refuses it (E0554)",
        )],
    },
    Entry {
        name: "num-traits",
        shape: "a build script (autocfg probes), features",
        crates: &[("num-traits", "0.2.19")],
        benches: false,
        profile: None,
        allowed: &[],
    },
    Entry {
        name: "semver",
        shape: "criterion benches, features",
        crates: &[("semver", "1.0.28")],
        benches: true,
        profile: None,
        allowed: &[],
    },
    Entry {
        name: "grep",
        shape: "a workspace of sibling crates joined with [patch.crates-io]",
        crates: &[("grep-matcher", "0.1.9"), ("grep-regex", "0.1.14")],
        benches: false,
        profile: None,
        allowed: &[],
    },
    Entry {
        name: "hexyl",
        shape: "a binary crate",
        crates: &[("hexyl", "0.16.0")],
        benches: false,
        profile: Some(("hexyl", &["INPUT"])),
        allowed: &[],
    },
];

impl Entry {
    /// The finding code a policy failure of `step` must report (`None` for
    /// a push, which has no report of its own), and why it is expected.
    pub fn allowed(&self, step: &str) -> Option<(Option<&'static str>, &'static str)> {
        let (looked_up, push) = match step {
            "push" => ("check", true),
            other => (other, false),
        };
        self.allowed
            .iter()
            .find(|(s, _, _)| *s == looked_up)
            .map(|(_, code, reason)| ((!push).then_some(*code), *reason))
    }
}
