//! Finding codes as types (cargo-deny's pattern): each task declares its codes
//! in one enum with [`finding_codes!`](crate::finding_codes), so every code
//! knows its stable string, its severity and a one-line summary, a finding
//! cannot be made from a free string, and a test can list every code against
//! the docs. The strings are the JSON contract: `<task>-<kebab-name>`.

use std::fmt;
use std::ops::Deref;

use serde::{Serialize, Serializer};

use super::Severity;

/// A task's enum of finding codes; implemented by [`finding_codes!`](crate::finding_codes).
pub trait FindingCode: Copy + 'static {
    /// The task the codes belong to: every code starts with `<TASK>-`.
    const TASK: &'static str;
    /// Every code of the enum, in declaration order.
    const ALL: &'static [Self];

    /// The stable kebab-case string, e.g. `clean-remove-failed`.
    fn as_str(self) -> &'static str;
    /// The severity the code is reported with (a few are raised or lowered by
    /// a setting; their docs say so).
    fn severity(self) -> Severity;
    /// One line on what the finding means.
    fn summary(self) -> &'static str;

    /// The code as a finding stores it.
    fn code(self) -> Code {
        Code(self.as_str())
    }

    /// Everything known about the code, for listings and tests.
    fn describe(self) -> CodeInfo {
        CodeInfo {
            task: Self::TASK,
            code: self.as_str(),
            severity: self.severity(),
            summary: self.summary(),
        }
    }
}

/// Every code of the enum `C`, described.
pub fn catalogue<C: FindingCode>() -> Vec<CodeInfo> {
    C::ALL.iter().map(|c| c.describe()).collect()
}

/// One declared code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    pub task: &'static str,
    pub code: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
}

/// The code of a [`Finding`](super::Finding): only made from a [`FindingCode`],
/// serialised as its string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(&'static str);

impl Code {
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl Deref for Code {
    type Target = str;

    fn deref(&self) -> &str {
        self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Whether `code` is `<task>-<name>`: checked when an enum is declared, so a
/// code without its task's prefix does not compile.
#[doc(hidden)]
pub const fn has_prefix(code: &str, task: &str) -> bool {
    let (code, task) = (code.as_bytes(), task.as_bytes());
    if code.len() <= task.len() + 1 || code[task.len()] != b'-' {
        return false;
    }
    let mut i = 0;
    while i < task.len() {
        if code[i] != task[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Declares a task's finding codes:
///
/// ```
/// cargo_perf_engine::finding_codes! {
///     /// The findings of the example task.
///     pub enum ExampleCode for "example" {
///         /// The example went wrong.
///         Failed => "example-failed" (Error, "the example failed"),
///     }
/// }
/// use cargo_perf_engine::model::FindingCode;
/// assert_eq!(ExampleCode::Failed.as_str(), "example-failed");
/// ```
#[macro_export]
macro_rules! finding_codes {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident for $task:literal {
            $(
                $(#[$vmeta:meta])*
                $variant:ident => $code:literal ($severity:ident, $summary:literal)
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        const _: () = {
            $( assert!(
                $crate::model::code::has_prefix($code, $task),
                concat!("finding code `", $code, "` does not start with `", $task, "-`")
            ); )*
        };

        impl $crate::model::FindingCode for $name {
            const TASK: &'static str = $task;
            const ALL: &'static [Self] = &[$( Self::$variant, )*];

            fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $code, )*
                }
            }

            fn severity(self) -> $crate::model::Severity {
                match self {
                    $( Self::$variant => $crate::model::Severity::$severity, )*
                }
            }

            fn summary(self) -> &'static str {
                match self {
                    $( Self::$variant => $summary, )*
                }
            }
        }
    };
}

crate::finding_codes! {
    /// The engine's own findings, about running a task rather than its checks.
    pub enum EngineCode for "engine" {
        /// The task could not run: a configuration or environment problem.
        TaskError => "engine-task-error" (Error, "the task could not run"),
        /// The task panicked.
        TaskPanicked => "engine-task-panicked" (Error, "the task panicked: a bug in cargo-perf"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert!(has_prefix("clean-remove", "clean"));
        assert!(!has_prefix("clean-", "clean"));
        assert!(!has_prefix("cleanremove", "clean"));
        assert!(!has_prefix("build-x", "clean"));
        assert!(!has_prefix("clean", "clean"));
    }

    #[test]
    fn engine_codes() {
        let all = catalogue::<EngineCode>();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].code, "engine-task-error");
        assert_eq!(all[0].task, "engine");
        assert_eq!(EngineCode::TaskPanicked.code(), "engine-task-panicked");
        assert_eq!(
            serde_json::to_string(&EngineCode::TaskError.code()).unwrap(),
            "\"engine-task-error\""
        );
    }
}
