//! What Cargo says the workspace is: root, members, their targets, the target
//! dir. Asked once per run with `cargo metadata --no-deps`, the cheapest
//! question that still answers all of it (the full dependency graph, which
//! needs cargo's resolve, is asked for only where needed: see [`crate::resolve`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use cargo_metadata::{MetadataCommand, TargetKind as CargoTargetKind};

use crate::cargo::{CargoCall, CargoOptions};
use crate::metacache::{self, MetadataCache};

/// The tool's own state directory (benchmark history, baselines), relative to
/// the workspace root. It lives outside the target dir so `cargo clean` keeps it.
pub const STATE_DIR: &str = ".cargo-perf";

/// A Cargo workspace as discovered from a directory or a manifest path.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub root_manifest: PathBuf,
    pub target_dir: PathBuf,
    pub members: Vec<Member>,
    /// The cargo binary to run (`$CARGO` when cargo started us).
    pub cargo: OsString,
    /// The `cargo metadata` command line that discovered it, as shown with `-v`.
    pub metadata_command: String,
    /// The cache file the answer came from, when it was not asked of cargo.
    pub metadata_cache: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub version: String,
    /// Cargo's package id (`path+file:///...#name@version`).
    pub id: String,
    pub manifest_path: PathBuf,
    /// The directory holding the member's Cargo.toml.
    pub dir: PathBuf,
    pub targets: Vec<Target>,
    /// Names of other workspace members this one depends on (any kind of
    /// dependency: by path, or by a version a `[patch]` may point at a member).
    pub workspace_dependencies: Vec<String>,
    /// Whether the lock file also holds this name and version from a
    /// registry or git: the published copy of this very release, which a
    /// dev-dependency can pull in (criterion → serde_json → itoa).
    pub released_twin: bool,
}

impl Member {
    /// The package spec cargo cannot find ambiguous: `name@version`, even
    /// when another version of the package is among the dependencies; cargo's
    /// full package id when the published copy of the same release is too.
    pub fn spec(&self) -> String {
        self.spec_given(self.released_twin)
    }

    /// The same, by the lock file `lock` as it is now (the lock file the
    /// workspace was discovered with may not have existed yet).
    pub fn spec_in(&self, lock: &str) -> String {
        self.spec_given(locked_from_a_source(lock, &self.name, &self.version))
    }

    fn spec_given(&self, released_twin: bool) -> String {
        if released_twin && self.id.contains('#') {
            return self.id.clone();
        }
        format!("{}@{}", self.name, self.version)
    }
}

/// Whether `lock` (a `Cargo.lock`) holds `name` at `version` from a source
/// (registry or git): path packages have no `source` line.
fn locked_from_a_source(lock: &str, name: &str, version: &str) -> bool {
    lock.split("[[package]]").any(|block| {
        let field = |key: &str| {
            block.lines().find_map(|line| {
                let value = line.trim().strip_prefix(key)?.trim_start();
                value.strip_prefix('=').map(|v| v.trim().trim_matches('"'))
            })
        };
        field("name") == Some(name)
            && field("version") == Some(version)
            && field("source").is_some()
    })
}

#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    pub src_path: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Lib,
    Bin,
    Test,
    Bench,
    Example,
    BuildScript,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Lib => "lib",
            TargetKind::Bin => "bin",
            TargetKind::Test => "test",
            TargetKind::Bench => "bench",
            TargetKind::Example => "example",
            TargetKind::BuildScript => "build-script",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(
        "{dir} is not inside a Cargo project (no Cargo.toml found here or in any parent directory)"
    )]
    NotACargoProject { dir: PathBuf },
    #[error("cannot run `cargo metadata`: `{}` is not installed or not on PATH", .cargo.to_string_lossy())]
    CargoMissing { cargo: OsString },
    #[error("cannot run `cargo metadata` (`{}` in {}): {source}", .cargo.to_string_lossy(), .dir.display())]
    CargoStart {
        cargo: OsString,
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("`cargo metadata` failed:\n{0}")]
    Metadata(String),
}

impl WorkspaceError {
    pub fn hint(&self) -> &'static str {
        match self {
            WorkspaceError::NotACargoProject { .. } => {
                "run cargo perf inside a Cargo workspace, or pass `--manifest-path path/to/Cargo.toml`"
            }
            WorkspaceError::CargoMissing { .. } => {
                "install Rust with rustup (https://rustup.rs) so `cargo` is on PATH (or point $CARGO at it)"
            }
            WorkspaceError::CargoStart { .. } => {
                "cargo is there but could not be started: check its permissions and that the directory exists and is readable"
            }
            WorkspaceError::Metadata(_) => {
                "fix the Cargo.toml error above; `cargo metadata --no-deps` must succeed"
            }
        }
    }
}

/// Runs `command` and returns cargo's JSON line, or why there is none.
fn ask(command: &MetadataCommand, cargo: &OsString, dir: &Path) -> Result<String, WorkspaceError> {
    let output = command
        .cargo_command()
        .output()
        .map_err(|io| start_error(cargo, dir, io))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(if stderr.contains("could not find `Cargo.toml`") {
            WorkspaceError::NotACargoProject {
                dir: dir.to_owned(),
            }
        } else {
            WorkspaceError::Metadata(stderr.trim_end().to_owned())
        });
    }
    let stdout = String::from_utf8(output.stdout)
        .map_err(|err| WorkspaceError::Metadata(err.to_string()))?;
    stdout
        .lines()
        .find(|line| line.starts_with('{'))
        .map(str::to_owned)
        .ok_or_else(|| WorkspaceError::Metadata("`cargo metadata` printed no JSON".to_owned()))
}

/// Why `cargo metadata` did not start. Only "no such file" for the binary
/// is "cargo is missing": a directory that is gone, a permission denied or
/// an exec format error is said as it is.
pub(crate) fn start_error(cargo: &OsString, dir: &Path, source: std::io::Error) -> WorkspaceError {
    if source.kind() == std::io::ErrorKind::NotFound && dir.is_dir() {
        WorkspaceError::CargoMissing {
            cargo: cargo.clone(),
        }
    } else {
        WorkspaceError::CargoStart {
            cargo: cargo.clone(),
            dir: dir.to_owned(),
            source,
        }
    }
}

impl Workspace {
    /// Asks cargo about the workspace containing `dir` (or the one
    /// `manifest_path` names), with the lock-file and network flags of `options`.
    pub fn discover(
        dir: &Path,
        manifest_path: Option<&Path>,
        options: &CargoOptions,
    ) -> Result<Self, WorkspaceError> {
        Self::discover_with(dir, manifest_path, options, MetadataCache::Off)
    }

    /// [`Workspace::discover`], taking cargo's earlier answer from the
    /// [`crate::metacache`] when none of its inputs changed.
    pub fn discover_with(
        dir: &Path,
        manifest_path: Option<&Path>,
        options: &CargoOptions,
        cache: MetadataCache,
    ) -> Result<Self, WorkspaceError> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = MetadataCommand::new();
        command.cargo_path(&cargo).no_deps().current_dir(dir);
        if let Some(manifest) = manifest_path {
            command.manifest_path(manifest);
        }
        command.other_options(
            options
                .args(CargoCall::Discover)
                .into_iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>(),
        );
        if let Some(target_dir) = &options.target_dir {
            command.env("CARGO_TARGET_DIR", target_dir);
        }
        let metadata_command = crate::cargo::metadata_display(&command);
        let request = (cache != MetadataCache::Off)
            .then(|| {
                metacache::Request::new(
                    &cargo,
                    dir,
                    manifest_path,
                    &metadata_command,
                    options.target_dir.as_deref(),
                )
            })
            .flatten();
        let cached = request
            .as_ref()
            .and_then(metacache::lookup)
            .and_then(|(path, json)| Some((path, MetadataCommand::parse(json).ok()?)));
        let (metadata, metadata_cache) = match cached {
            Some((path, metadata)) => (metadata, Some(path)),
            None => {
                let asked = std::time::SystemTime::now();
                let json = ask(&command, &cargo, dir)?;
                let metadata = MetadataCommand::parse(&json)
                    .map_err(|err| WorkspaceError::Metadata(err.to_string()))?;
                if let Some(request) = request
                    .as_ref()
                    .filter(|_| cache == MetadataCache::ReadWrite)
                {
                    metacache::store(request, asked, &json, &metadata);
                }
                (metadata, None)
            }
        };
        let mut workspace = Self::from_metadata(&metadata, cargo);
        workspace.metadata_command = metadata_command;
        workspace.metadata_cache = metadata_cache;
        Ok(workspace)
    }

    fn from_metadata(metadata: &cargo_metadata::Metadata, cargo: OsString) -> Self {
        let packages = metadata.workspace_packages();
        let root = PathBuf::from(&metadata.workspace_root);
        let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
        let members = packages
            .iter()
            .map(|package| {
                let manifest_path = PathBuf::from(&package.manifest_path);
                Member {
                    name: package.name.to_string(),
                    version: package.version.to_string(),
                    id: package.id.repr.clone(),
                    dir: manifest_path
                        .parent()
                        .map(Path::to_owned)
                        .unwrap_or_default(),
                    manifest_path,
                    targets: package.targets.iter().filter_map(convert_target).collect(),
                    workspace_dependencies: member_dependencies(package, &packages),
                    released_twin: locked_from_a_source(
                        &lock,
                        &package.name,
                        &package.version.to_string(),
                    ),
                }
            })
            .collect();
        Workspace {
            root_manifest: root.join("Cargo.toml"),
            root,
            target_dir: PathBuf::from(&metadata.target_directory),
            members,
            cargo,
            metadata_command: String::new(),
            metadata_cache: None,
        }
    }

    /// Where the tool keeps state that must survive `cargo clean`.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// `path` relative to the workspace root, when it lies inside it.
    pub fn relative<'p>(&self, path: &'p Path) -> &'p Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }
}

/// The other members `package` depends on, as far as `--no-deps` metadata
/// tells: a dependency of a member's name that is a path to it, or whose
/// version requirement the member meets (a `[patch]` may point it there).
/// The build task asks cargo's resolve for the exact graph.
fn member_dependencies(
    package: &cargo_metadata::Package,
    members: &[&cargo_metadata::Package],
) -> Vec<String> {
    let mut names: Vec<String> = package
        .dependencies
        .iter()
        .filter(|dep| {
            members.iter().any(|m| {
                m.id != package.id
                    && m.name.as_str() == dep.name
                    && (dep.path.is_some() || dep.req.matches(&m.version))
            })
        })
        .map(|dep| dep.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn convert_target(target: &cargo_metadata::Target) -> Option<Target> {
    let kind = target.kind.iter().find_map(|kind| match kind {
        CargoTargetKind::Lib
        | CargoTargetKind::RLib
        | CargoTargetKind::DyLib
        | CargoTargetKind::CDyLib
        | CargoTargetKind::StaticLib
        | CargoTargetKind::ProcMacro => Some(TargetKind::Lib),
        CargoTargetKind::Bin => Some(TargetKind::Bin),
        CargoTargetKind::Test => Some(TargetKind::Test),
        CargoTargetKind::Bench => Some(TargetKind::Bench),
        CargoTargetKind::Example => Some(TargetKind::Example),
        CargoTargetKind::CustomBuild => Some(TargetKind::BuildScript),
        _ => None,
    })?;
    Some(Target {
        name: target.name.clone(),
        kind,
        src_path: PathBuf::from(&target.src_path),
    })
}

#[cfg(test)]
mod tests {
    use super::locked_from_a_source;

    /// itoa 1.0.19 at home, and the registry's 1.0.19 that criterion's
    /// serde_json pulls in: only the second has a `source`.
    #[test]
    fn a_registry_copy_of_the_same_release_is_found_in_the_lock() {
        let lock = "version = 4\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.19\"\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.19\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"ab\"\n\n[[package]]\nname = \"serde_json\"\nversion = \"1.0.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\n \"itoa 1.0.19 (registry+https://github.com/rust-lang/crates.io-index)\",\n]\n";
        assert!(locked_from_a_source(lock, "itoa", "1.0.19"));
        assert!(!locked_from_a_source(lock, "itoa", "1.0.18"));
        assert!(!locked_from_a_source(lock, "serde", "1.0.1"));
        let home_only = "[[package]]\nname = \"itoa\"\nversion = \"1.0.19\"\n";
        assert!(!locked_from_a_source(home_only, "itoa", "1.0.19"));
        assert!(!locked_from_a_source("", "itoa", "1.0.19"));
    }
}
