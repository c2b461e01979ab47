//! Cargo's own flags (`--locked`, `-p`, `--features`, `--target`, ...), given
//! once on the command line and carried by the project, so every cargo
//! invocation of every task gets the same ones. Each kind of invocation takes
//! what cargo accepts there: `cargo metadata` only the lock-file, network and
//! feature flags; the compiling commands (`build`, `check`, `bench`, `test`)
//! the rest too. Package selection (`-p`, `--exclude`) is resolved against the
//! workspace's members here, so a spec that names no member fails up front and
//! cargo is only ever handed specs that cannot be ambiguous (`name@version`).

use std::ffi::OsString;
use std::path::PathBuf;

use crate::process::CommandSpec;
use crate::workspace::{Member, Workspace};

/// The cargo flags of one run, as the user gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CargoOptions {
    /// `--locked`: Cargo.lock must not change.
    pub locked: bool,
    /// `--offline`: no network.
    pub offline: bool,
    /// `--frozen`: both.
    pub frozen: bool,
    /// `-p`: package specs (`name` or `name@version`), members of the workspace.
    pub packages: Vec<String>,
    /// `--workspace`: every member (what the tasks do when no `-p` is given).
    pub workspace: bool,
    /// `--exclude`: members left out.
    pub exclude: Vec<String>,
    /// `--features`.
    pub features: Vec<String>,
    /// `--all-features`.
    pub all_features: bool,
    /// `--no-default-features`.
    pub no_default_features: bool,
    /// `--target`: a target triple.
    pub target: Option<String>,
    /// `--profile` (`--release` is `release`).
    pub profile: Option<String>,
    /// `--target-dir`, absolute.
    pub target_dir: Option<PathBuf>,
}

/// What a cargo invocation is, for the flags it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CargoCall {
    /// `cargo metadata --no-deps`: lock-file and network flags.
    Discover,
    /// `cargo metadata` with the resolve: lock-file, network and feature flags.
    Metadata,
    /// `cargo build`, `check`, `bench`, `test`: every flag but the package selection,
    /// which each task spells out itself.
    Compile,
}

/// The policy's values of the keys a flag can override, for one task.
#[derive(Debug, Clone, Default)]
pub struct PolicyCargo {
    pub features: Vec<String>,
    pub profile: Option<String>,
    pub target: Option<String>,
}

impl CargoOptions {
    /// These flags over the task's policy values: a flag that is given wins.
    pub fn over(&self, policy: &PolicyCargo) -> CargoOptions {
        let mut merged = self.clone();
        if merged.features.is_empty() {
            merged.features = policy.features.clone();
        }
        if merged.profile.is_none() {
            merged.profile = policy.profile.clone();
        }
        if merged.target.is_none() {
            merged.target = policy.target.clone();
        }
        merged
    }

    /// The same flags building into `dir` instead.
    pub fn with_target_dir(&self, dir: impl Into<PathBuf>) -> CargoOptions {
        CargoOptions {
            target_dir: Some(dir.into()),
            ..self.clone()
        }
    }

    /// The flags of `call`, in cargo's spelling.
    pub fn args(&self, call: CargoCall) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        let mut flag = |on: bool, name: &str| {
            if on {
                args.push(name.into());
            }
        };
        flag(self.locked, "--locked");
        flag(self.offline, "--offline");
        flag(self.frozen, "--frozen");
        if call == CargoCall::Discover {
            return args;
        }
        flag(self.all_features, "--all-features");
        flag(self.no_default_features, "--no-default-features");
        if !self.features.is_empty() {
            args.push("--features".into());
            args.push(self.features.join(",").into());
        }
        if call == CargoCall::Metadata {
            if let Some(target) = &self.target {
                args.extend(["--filter-platform".into(), target.into()]);
            }
            return args;
        }
        if let Some(target) = &self.target {
            args.extend(["--target".into(), target.into()]);
        }
        if let Some(profile) = &self.profile {
            args.extend(["--profile".into(), profile.into()]);
        }
        if let Some(dir) = &self.target_dir {
            args.extend(["--target-dir".into(), dir.into()]);
        }
        args
    }

    /// `spec` with the flags of `call` appended.
    pub fn apply(&self, spec: CommandSpec, call: CargoCall) -> CommandSpec {
        spec.args(self.args(call))
    }

    /// The members `-p` names, in the order given; `None` when `-p` was not given.
    pub fn packages<'w>(
        &self,
        workspace: &'w Workspace,
    ) -> Result<Option<Vec<&'w Member>>, PackageError> {
        if self.packages.is_empty() {
            return Ok(None);
        }
        let mut members: Vec<&Member> = Vec::new();
        for spec in &self.packages {
            let member = find(workspace, spec, "-p")?;
            if !members.iter().any(|m| m.name == member.name) {
                members.push(member);
            }
        }
        Ok(Some(members))
    }

    /// Whether `--exclude` leaves `member` out.
    pub fn excludes(&self, member: &Member) -> bool {
        self.exclude.iter().any(|spec| matches(member, spec))
    }

    /// Checks every `-p` and `--exclude` spec against the members.
    pub fn validate(&self, workspace: &Workspace) -> Result<(), PackageError> {
        self.packages(workspace)?;
        for spec in &self.exclude {
            find(workspace, spec, "--exclude")?;
        }
        Ok(())
    }
}

/// The command line of a `cargo metadata` call, as the user could type it.
pub fn metadata_display(command: &cargo_metadata::MetadataCommand) -> String {
    let command = command.cargo_command();
    CommandSpec::new(command.get_program())
        .args(command.get_args())
        .display()
}

/// A `-p` or `--exclude` spec that names no member.
#[derive(Debug, Clone, thiserror::Error)]
#[error("`{flag}` names `{spec}`, which is not a member of this workspace")]
pub struct PackageError {
    pub flag: &'static str,
    pub spec: String,
    hint: String,
}

impl PackageError {
    pub fn hint(&self) -> &str {
        &self.hint
    }
}

/// The member `spec` (`name`, `name@version`, `name@major.minor`) names.
pub fn find<'w>(
    workspace: &'w Workspace,
    spec: &str,
    flag: &'static str,
) -> Result<&'w Member, PackageError> {
    if let Some(member) = workspace.members.iter().find(|m| matches(m, spec)) {
        return Ok(member);
    }
    let known: Vec<String> = workspace.members.iter().map(Member::spec).collect();
    let name = spec.split_once('@').map_or(spec, |(name, _)| name);
    let names = workspace.members.iter().map(|m| m.name.as_str());
    let hint = match cargo_perf_policy::suggest(name, names) {
        Some(close) if close != name => format!(
            "did you mean `{close}`? the workspace members are: {}",
            known.join(", ")
        ),
        _ => format!("the workspace members are: {}", known.join(", ")),
    };
    Err(PackageError {
        flag,
        spec: spec.to_owned(),
        hint,
    })
}

/// Whether `spec` names `member`: its name, with an optional full or partial version.
fn matches(member: &Member, spec: &str) -> bool {
    match spec.split_once('@') {
        None => member.name == spec,
        Some((name, version)) => {
            member.name == name
                && (member.version == version || member.version.starts_with(&format!("{version}.")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> Workspace {
        let member = |name: &str, version: &str| Member {
            name: name.into(),
            version: version.into(),
            id: format!("path+file:///ws/{name}#{version}"),
            manifest_path: PathBuf::new(),
            dir: PathBuf::new(),
            targets: Vec::new(),
            workspace_dependencies: Vec::new(),
            released_twin: false,
        };
        Workspace {
            root: PathBuf::new(),
            root_manifest: PathBuf::new(),
            target_dir: PathBuf::new(),
            members: vec![member("core", "0.2.1"), member("cli", "1.0.0")],
            cargo: "cargo".into(),
            metadata_command: String::new(),
            metadata_cache: None,
        }
    }

    #[test]
    fn specs_name_members_by_name_or_version() {
        let ws = workspace();
        let options = |p: &[&str]| CargoOptions {
            packages: p.iter().map(|s| s.to_string()).collect(),
            ..CargoOptions::default()
        };
        let names = |o: CargoOptions| -> Vec<String> {
            o.packages(&ws)
                .unwrap()
                .unwrap()
                .iter()
                .map(|m| m.spec())
                .collect()
        };
        assert_eq!(
            names(options(&["core", "cli@1.0.0"])),
            ["core@0.2.1", "cli@1.0.0"]
        );
        assert_eq!(names(options(&["core@0.2", "core"])), ["core@0.2.1"]);
        let err = options(&["core@0.3"]).packages(&ws).unwrap_err();
        assert_eq!(
            err.hint(),
            "the workspace members are: core@0.2.1, cli@1.0.0"
        );
        let err = options(&["cor"]).packages(&ws).unwrap_err();
        assert!(
            err.hint().starts_with("did you mean `core`?"),
            "{}",
            err.hint()
        );
        assert!(CargoOptions::default().packages(&ws).unwrap().is_none());
    }

    #[test]
    fn each_call_gets_the_flags_cargo_takes_there() {
        let options = CargoOptions {
            locked: true,
            features: vec!["a".into(), "b".into()],
            target: Some("x86_64-unknown-linux-gnu".into()),
            profile: Some("release".into()),
            target_dir: Some("/t".into()),
            ..CargoOptions::default()
        };
        let words = |call| {
            options
                .args(call)
                .into_iter()
                .map(|a| a.into_string().unwrap())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(words(CargoCall::Discover), "--locked");
        assert_eq!(
            words(CargoCall::Metadata),
            "--locked --features a,b --filter-platform x86_64-unknown-linux-gnu"
        );
        assert_eq!(
            words(CargoCall::Compile),
            "--locked --features a,b --target x86_64-unknown-linux-gnu --profile release --target-dir /t"
        );
    }

    #[test]
    fn flags_win_over_the_policy() {
        let policy = PolicyCargo {
            features: vec!["p".into()],
            profile: Some("dev".into()),
            target: None,
        };
        let merged = CargoOptions::default().over(&policy);
        assert_eq!(merged.features, ["p"]);
        assert_eq!(merged.profile.as_deref(), Some("dev"));
        let flags = CargoOptions {
            features: vec!["f".into()],
            profile: Some("release".into()),
            ..CargoOptions::default()
        };
        let merged = flags.over(&policy);
        assert_eq!(merged.features, ["f"]);
        assert_eq!(merged.profile.as_deref(), Some("release"));
    }
}
