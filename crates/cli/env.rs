//! Environment overrides for flags not given on the command line:
//! `CARGO_PERF_CONFIG` (`--config`), `CARGO_PERF_FORMAT` (`--format`) and
//! `CARGO_PERF_JOBS` (`--jobs`), so a CI job or a shell sets them once for
//! every command. A flag wins over its variable; an empty variable is unset.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::ValueEnum;

use crate::args::{GlobalArgs, OutputFormat};

pub const CONFIG: &str = "CARGO_PERF_CONFIG";
pub const FORMAT: &str = "CARGO_PERF_FORMAT";
pub const JOBS: &str = "CARGO_PERF_JOBS";

/// A variable whose value is not one its flag accepts.
#[derive(Debug)]
pub struct BadValue {
    pub message: String,
    pub hint: String,
}

/// Fills the flags `global` lacks from the environment.
pub fn apply(global: &mut GlobalArgs) -> Result<(), BadValue> {
    apply_from(global, |name| std::env::var_os(name))
}

fn apply_from(
    global: &mut GlobalArgs,
    var: impl Fn(&str) -> Option<OsString>,
) -> Result<(), BadValue> {
    let set = |name: &str| var(name).filter(|value| !value.is_empty());
    if global.config.is_none() {
        global.config = set(CONFIG).map(PathBuf::from);
    }
    if global.format.is_none()
        && let Some(value) = set(FORMAT)
    {
        global.format = Some(format(&value.to_string_lossy())?);
    }
    if let Some(value) = set(JOBS) {
        global.env_jobs = Some(jobs(&value.to_string_lossy())?);
    }
    Ok(())
}

fn format(value: &str) -> Result<OutputFormat, BadValue> {
    OutputFormat::from_str(value.trim(), true).map_err(|_| {
        let names: Vec<String> = OutputFormat::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|v| v.get_name().to_owned())
            .collect();
        BadValue {
            message: format!("{FORMAT}={value} is not an output format"),
            hint: format!(
                "set it to one of {}, or unset it (`--format` wins over it)",
                names.join(", ")
            ),
        }
    })
}

fn jobs(value: &str) -> Result<u16, BadValue> {
    match value.trim().parse::<u16>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(BadValue {
            message: format!("{JOBS}={value} is not a number of tasks"),
            hint: "set it to a whole number from 1 to 65535, or unset it (`--jobs` wins over it)"
                .to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global() -> GlobalArgs {
        GlobalArgs {
            manifest_path: None,
            config: None,
            format: None,
            color: None,
            quiet: false,
            verbose: false,
            env_jobs: None,
        }
    }

    fn with(vars: &[(&str, &str)]) -> Result<GlobalArgs, BadValue> {
        let mut global = global();
        apply_from(&mut global, |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| OsString::from(v))
        })?;
        Ok(global)
    }

    #[test]
    fn empty_is_unset_and_values_are_checked() {
        let g = with(&[(FORMAT, ""), (JOBS, ""), (CONFIG, "")]).unwrap();
        assert!(g.format.is_none() && g.env_jobs.is_none() && g.config.is_none());
        let g = with(&[(FORMAT, "JSON"), (JOBS, "3")]).unwrap();
        assert_eq!(g.format, Some(OutputFormat::Json));
        assert_eq!(g.env_jobs, Some(3));
        assert!(
            with(&[(JOBS, "0")])
                .unwrap_err()
                .message
                .contains("CARGO_PERF_JOBS=0")
        );
        let err = with(&[(FORMAT, "xml")]).unwrap_err();
        assert!(
            err.hint.contains("human, json, github, markdown"),
            "{}",
            err.hint
        );
    }
}
