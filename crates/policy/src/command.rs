//! Commands in perf.toml (`[tasks.NAME] run`, `[bench.commands.NAME] run`
//! and `setup`), with one meaning everywhere: a string is a shell command
//! line, run as `sh -c` runs it; an array is a program and its arguments, run
//! directly without a shell.
//!
//! A string that uses no shell syntax and starts with no shell builtin means
//! the same with or without the shell, so it runs directly (GNU make does the
//! same): no shell is started, and a missing program is reported as one.

use std::fmt;

use toml::de::DeValue;

use crate::diagnostic::Diagnostic;
use crate::reader::{Located, Reader, Value};

/// A command as perf.toml wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    /// A string: a shell command line (`"cargo test | tee log"`).
    Shell(String),
    /// An array: the program and its arguments, no shell involved.
    Argv(Vec<String>),
}

/// Characters that make a string mean something only a shell can do
/// (pipes, redirections, expansions, globs, comments, grouping).
const SHELL_SYNTAX: &[char] = &[
    '|', '&', ';', '<', '>', '(', ')', '$', '`', '\\', '*', '?', '[', ']', '#', '~', '{', '}', '!',
    '\n', '\r',
];

/// Words `sh` runs itself (keywords, and builtins that have no program or
/// whose program may behave differently, such as `echo`): a string starting
/// with one needs the shell. (`true` and `false` mean the same either way.)
const SHELL_WORDS: &[&str] = &[
    "!", ".", ":", "[", "[[", "alias", "bg", "break", "case", "cd", "command", "continue", "do",
    "done", "echo", "elif", "else", "esac", "eval", "exec", "exit", "export", "fc", "fg", "fi",
    "for", "function", "getopts", "hash", "if", "in", "jobs", "kill", "local", "newgrp", "printf",
    "pwd", "read", "readonly", "return", "select", "set", "shift", "source", "test", "then",
    "time", "times", "trap", "type", "ulimit", "umask", "unalias", "unset", "until", "wait",
    "while", "{", "}",
];

impl CommandLine {
    /// The program and arguments to execute: an array as written; a string
    /// split into words when the shell would only have split it, else
    /// `sh -c STRING`.
    pub fn argv(&self) -> Vec<String> {
        match self {
            CommandLine::Argv(words) => words.clone(),
            CommandLine::Shell(line) => match plain_words(line) {
                Some(words) => words,
                None => vec!["sh".to_owned(), "-c".to_owned(), line.clone()],
            },
        }
    }

    /// The name of the program the command starts (without its directory):
    /// an array's first word; a shell line's first word after any leading
    /// `NAME=value` assignments. `None` when it cannot be told.
    pub fn program(&self) -> Option<&str> {
        let first = match self {
            CommandLine::Argv(words) => words.first().map(String::as_str),
            CommandLine::Shell(line) => line.split_whitespace().find(|word| !is_assignment(word)),
        }?;
        Some(first.rsplit('/').next().unwrap_or(first))
    }
}

/// `NAME=value` at the start of a shell line: an environment assignment.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The words of `line` when running them directly means what `sh -c line` means.
fn plain_words(line: &str) -> Option<Vec<String>> {
    if line.contains(SHELL_SYNTAX) {
        return None;
    }
    let words = shell_words::split(line).ok()?;
    let program = words.first()?;
    if SHELL_WORDS.contains(&program.as_str()) || program.contains('=') {
        return None;
    }
    Some(words)
}

impl fmt::Display for CommandLine {
    /// The command as the user wrote it (an array shell-quoted), to show and to copy.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandLine::Shell(line) => f.write_str(line),
            CommandLine::Argv(words) => {
                let quoted: Vec<String> = words.iter().map(|w| shell_quote(w)).collect();
                f.write_str(&quoted.join(" "))
            }
        }
    }
}

/// `word` as a POSIX shell would need it typed: as is when that is safe, else
/// single-quoted. The one quoter of the tool (commands shown to the user, an
/// array command of perf.toml, the hook script; the engine re-exports it).
/// Hand-written rather than `shell_words::quote`, which leaves `{`, `!` and
/// non-ASCII characters bare: this lists what is safe instead.
pub fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

impl Reader {
    /// A command: a non-empty string whose quotes close, or a non-empty array of strings.
    pub fn command(&mut self, key: &str, value: &Value<'_>) -> Option<Located<CommandLine>> {
        let command = match value.get_ref() {
            DeValue::String(line) if line.trim().is_empty() => None,
            DeValue::String(line) => {
                if shell_words::split(line).is_err() {
                    self.report(
                        Diagnostic::new(format!("cannot read `{key}`: a quote is not closed"))
                            .at(value.span())
                            .label("unbalanced quotes")
                            .help(format!("close the quote, or write `{key}` as an array: `{key} = [\"prog\", \"arg one\"]`")),
                    );
                    return None;
                }
                Some(CommandLine::Shell(line.to_string()))
            }
            DeValue::Array(_) => {
                let words: Vec<String> = self
                    .string_list(key, value)?
                    .into_iter()
                    .map(|w| w.value)
                    .collect();
                words
                    .first()
                    .is_some_and(|program| !program.is_empty())
                    .then_some(CommandLine::Argv(words))
            }
            _ => {
                self.type_error(
                    key,
                    value,
                    "a string or an array of strings",
                    &format!("`{key} = \"cargo test\"` or `{key} = [\"cargo\", \"test\"]`"),
                );
                return None;
            }
        };
        if command.is_none() {
            self.report(
                Diagnostic::new(format!("`{key}` is empty"))
                    .at(value.span())
                    .label("no program to run")
                    .help(format!(
                        "name the program and its arguments, e.g. `{key} = \"cargo test\"`"
                    )),
            );
        }
        command.map(|c| Located::new(c, value.span()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<String> {
        CommandLine::Shell(line.to_owned()).argv()
    }

    #[test]
    fn plain_strings_run_directly_and_the_rest_under_sh() {
        assert_eq!(
            argv("cargo test -- --test-threads=1"),
            ["cargo", "test", "--", "--test-threads=1"]
        );
        assert_eq!(argv("grep 'a b' file"), ["grep", "a b", "file"]);
        for shell in [
            "cargo test | tee log",
            "sleep $(cat delay.txt)",
            "echo hi",
            "exit 3",
            "RUST_LOG=debug app",
            "ls *.rs",
            "a && b",
            "test ! -e x",
            "make # comment",
        ] {
            assert_eq!(argv(shell), ["sh", "-c", shell], "{shell}");
        }
        let array = CommandLine::Argv(vec!["echo".into(), "a b".into()]);
        assert_eq!(array.program(), Some("echo"));
        assert_eq!(array.argv(), ["echo", "a b"]);
        assert_eq!(array.to_string(), "echo 'a b'");
    }

    #[test]
    fn the_program_is_the_first_word_past_assignments() {
        let program = |line: &str| {
            CommandLine::Shell(line.to_owned())
                .program()
                .map(str::to_owned)
        };
        assert_eq!(program("cargo test --workspace").as_deref(), Some("cargo"));
        assert_eq!(
            program("RUST_LOG=debug cargo test | tee log").as_deref(),
            Some("cargo")
        );
        assert_eq!(program("/usr/bin/cargo bench").as_deref(), Some("cargo"));
        assert_eq!(program("make cargo").as_deref(), Some("make"));
        assert_eq!(program("  ").as_deref(), None);
    }
}
