//! The hook script `cargo perf hook install` writes: small POSIX sh that runs
//! a hook kept from before, then `cargo-perf check --hook <kind>`, with git's
//! arguments and stdin passed to both. Its second line marks it as ours, so
//! `status` and `uninstall` never touch a hook someone else wrote.

use cargo_perf_engine::process::shell_quote;

use super::HookKind;

/// Starts the second line of every script we write.
pub(crate) const MARKER: &str = "# cargo-perf hook:";

/// The suffix of a kept hook, next to ours: `pre-push.cargo-perf-saved`.
pub const SAVED_SUFFIX: &str = ".cargo-perf-saved";

/// The script for `kind`. `strict` is baked in (the hook must decide without
/// cargo-perf, so it cannot read perf.toml); `workspace_dir` is the workspace
/// root relative to the repository's top level, where git runs hooks.
pub(crate) fn render(kind: HookKind, strict: bool, workspace_dir: &str) -> String {
    let name = kind.name();
    let cd = if workspace_dir.is_empty() {
        String::new()
    } else {
        format!("cd {} || exit 1\n", shell_quote(workspace_dir))
    };
    format!(
        r#"#!/bin/sh
{MARKER} {name}. Installed by `cargo perf hook install`; `cargo perf hook uninstall` removes it.
# Runs the hook kept from before (if any), then `cargo-perf check --hook {name}`.
# CARGO_PERF_SKIP=1 skips the check (not the kept hook). strict={strict_word}: baked in at install time from [hooks] strict.
hook={name}
strict={strict_flag}
input=$(mktemp "${{TMPDIR:-/tmp}}/cargo-perf-$hook.XXXXXX") || exit 1
trap 'rm -f "$input"' EXIT
trap 'rm -f "$input"; exit 130' INT TERM
if [ ! -t 0 ]; then cat >"$input" || exit 1; fi
saved="$0{SAVED_SUFFIX}"
if [ -x "$saved" ]; then
  "$saved" "$@" <"$input" || exit $?
fi
if [ "${{CARGO_PERF_SKIP:-}}" = 1 ]; then
  echo "cargo-perf: CARGO_PERF_SKIP=1, skipping the $hook check" >&2
  exit 0
fi
if ! command -v cargo-perf >/dev/null 2>&1; then
  if [ "$strict" = 1 ]; then
    echo "cargo-perf: error: cargo-perf is not on PATH and [hooks] strict = true, so the $hook is blocked (install cargo-perf, or set CARGO_PERF_SKIP=1 once)" >&2
    exit 1
  fi
  echo "cargo-perf: warning: cargo-perf is not on PATH; skipping the $hook check" >&2
  exit 0
fi
{cd}cargo-perf check --hook "$hook" -- "$@" <"$input"
"#,
        strict_word = if strict { "true" } else { "false" },
        strict_flag = u8::from(strict),
    )
}

/// Whether `bytes` is a script we wrote.
pub(crate) fn is_ours(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| text.lines().nth(1))
        .is_some_and(|line| line.starts_with(MARKER))
}

/// The `strict` value baked into one of our scripts.
pub(crate) fn baked_strict(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes)
        .lines()
        .any(|line| line == "strict=1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_and_strict_is_readable_back() {
        let script = render(HookKind::PrePush, true, "");
        assert!(is_ours(script.as_bytes()));
        assert!(baked_strict(script.as_bytes()));
        assert!(!baked_strict(
            render(HookKind::PrePush, false, "").as_bytes()
        ));
        assert!(!is_ours(b"#!/bin/sh\necho mine\n"));
    }

    #[test]
    fn workspace_dir_is_quoted() {
        let script = render(HookKind::PreCommit, false, "it's here");
        assert!(script.contains(r"cd 'it'\''s here' || exit 1"), "{script}");
        let script = render(HookKind::PreCommit, false, "crates/app");
        assert!(script.contains("\ncd crates/app || exit 1\n"), "{script}");
    }
}
