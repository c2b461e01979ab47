//! The hook script `cargo perf hook install` writes: small POSIX sh that runs
//! a hook kept from before, then `cargo-perf check --hook <kind>`, with git's
//! arguments and stdin passed to both. Its second line marks it as ours, so
//! `status` and `uninstall` never touch a hook someone else wrote; its third
//! carries a checksum of the rest, so an edit made after install is told
//! apart from a script an older cargo-perf wrote, and is never thrown away.

use std::path::Path;

use cargo_perf_engine::process::shell_quote_path;

use super::HookKind;

/// Starts the second line of every script we write.
pub(crate) const MARKER: &str = "# cargo-perf hook:";

/// Starts the third line: the checksum of every other line.
const CHECKSUM: &str = "# cargo-perf checksum:";

/// The suffix of a kept hook, next to ours: `pre-push.cargo-perf-saved`.
pub const SAVED_SUFFIX: &str = ".cargo-perf-saved";

/// The suffix of a user's edited copy of our hook, set aside by `install` or
/// `uninstall`: `pre-push.cargo-perf-edited`.
pub const EDITED_SUFFIX: &str = ".cargo-perf-edited";

/// The script for `kind`. `strict` is baked in (the hook must decide without
/// cargo-perf, so it cannot read perf.toml); `workspace_dir` is the workspace
/// root relative to the repository's top level, where git runs hooks (any
/// bytes: a name that is not UTF-8 is spelled by its bytes, never lossily).
pub(crate) fn render(kind: HookKind, strict: bool, workspace_dir: &Path) -> String {
    let name = kind.name();
    let cd = if workspace_dir.as_os_str().is_empty() {
        String::new()
    } else {
        format!("cd {} || exit 1\n", shell_quote_path(workspace_dir))
    };
    let body = format!(
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
# GUI git clients often run hooks without the shell's PATH: then the binary
# `cargo install` put in cargo's own bin dir is used.
bin=$(command -v cargo-perf 2>/dev/null) || bin=
installed="${{CARGO_HOME:-$HOME/.cargo}}/bin/cargo-perf"
if [ -z "$bin" ] && [ -x "$installed" ]; then bin=$installed; fi
if [ -z "$bin" ]; then
  if [ "$strict" = 1 ]; then
    echo "cargo-perf: error: cargo-perf is not on PATH (nor at $installed) and [hooks] strict = true, so the $hook is blocked (install cargo-perf, or set CARGO_PERF_SKIP=1 once)" >&2
    exit 1
  fi
  echo "cargo-perf: warning: cargo-perf is not on PATH (nor at $installed); skipping the $hook check" >&2
  exit 0
fi
verbose=
if [ "${{CARGO_PERF_VERBOSE:-}}" = 1 ]; then
  verbose=--verbose
  echo "cargo-perf: the $hook hook runs $bin" >&2
fi
{cd}"$bin" check $verbose --hook "$hook" -- "$@" <"$input"
"#,
        strict_word = if strict { "true" } else { "false" },
        strict_flag = u8::from(strict),
    );
    let (head, rest) = split_after_marker(&body);
    format!(
        "{head}{CHECKSUM} {:016x} (of the other lines: `cargo perf hook status` reports an edit)\n{rest}",
        fnv1a([head.as_bytes(), rest.as_bytes()])
    )
}

/// Whether one of our scripts is as cargo-perf wrote it (any version): its
/// checksum line is there and matches the other lines.
pub(crate) fn is_pristine(bytes: &[u8]) -> bool {
    let Some((head, line, rest)) = checksum_line(bytes) else {
        return false;
    };
    let recorded = line
        .strip_prefix(CHECKSUM.as_bytes())
        .and_then(|tail| tail.get(1..17))
        .and_then(|hex| std::str::from_utf8(hex).ok())
        .and_then(|hex| u64::from_str_radix(hex, 16).ok());
    recorded == Some(fnv1a([head, rest]))
}

/// The script's first two lines (with their newlines) and the rest.
fn split_after_marker(text: &str) -> (&str, &str) {
    let end = text
        .match_indices('\n')
        .nth(1)
        .map_or(text.len(), |(i, _)| i + 1);
    text.split_at(end)
}

/// Splits `bytes` around its third line when that line is a checksum:
/// (lines before, the line without its newline, lines after).
fn checksum_line(bytes: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let mut newlines = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i);
    let start = newlines.nth(1)? + 1;
    let end = newlines.next()?;
    let line = &bytes[start..end];
    line.starts_with(CHECKSUM.as_bytes())
        .then(|| (&bytes[..start], line, &bytes[end + 1..]))
}

/// 64-bit FNV-1a: a stable checksum (not a defence against an attacker, who
/// could write any hook anyway) that needs no dependency.
fn fnv1a<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.into_iter().flatten() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
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
        let script = render(HookKind::PrePush, true, Path::new(""));
        assert!(is_ours(script.as_bytes()));
        assert!(baked_strict(script.as_bytes()));
        assert!(!baked_strict(
            render(HookKind::PrePush, false, Path::new("")).as_bytes()
        ));
        assert!(!is_ours(b"#!/bin/sh\necho mine\n"));
    }

    #[test]
    fn an_edit_anywhere_breaks_the_checksum() {
        let script = render(HookKind::PrePush, false, Path::new("sub"));
        assert!(is_pristine(script.as_bytes()), "{script}");
        assert!(script.lines().nth(2).unwrap().starts_with(CHECKSUM));
        let edited = script.replace("exit 0\nfi\n", "exit 0\nfi\necho mine\n");
        assert_ne!(edited, script);
        assert!(is_ours(edited.as_bytes()));
        assert!(!is_pristine(edited.as_bytes()));
        let first_line = script.replacen("#!/bin/sh", "#!/bin/bash", 1);
        assert!(!is_pristine(first_line.as_bytes()));
        assert!(!is_pristine(
            b"#!/bin/sh\n# cargo-perf hook: pre-push.\necho old\n"
        ));
    }

    #[test]
    fn workspace_dir_is_quoted() {
        let script = render(HookKind::PreCommit, false, Path::new("it's here"));
        assert!(script.contains(r"cd 'it'\''s here' || exit 1"), "{script}");
        let script = render(HookKind::PreCommit, false, Path::new("crates/app"));
        assert!(script.contains("\ncd crates/app || exit 1\n"), "{script}");
        use std::os::unix::ffi::OsStrExt;
        let not_utf8 = Path::new(std::ffi::OsStr::from_bytes(b"caf\xe9"));
        let script = render(HookKind::PreCommit, false, not_utf8);
        assert!(
            script.contains(r#"cd "$(printf 'caf\351')" || exit 1"#),
            "{script}"
        );
    }
}
