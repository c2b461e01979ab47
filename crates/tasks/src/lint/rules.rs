//! The own rules: each one's name (its `[lint.rules]` key and, with
//! `lint-`, its finding code), default level, the fix, and an example for
//! `cargo perf lint --list` and docs/lint.md.

use cargo_perf_policy::LintLevel;

use super::codes::LintCode;

/// One own rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    FormatInLoop,
    CloneInLoop,
    VecPushNoCapacity,
    LockInLoop,
    CollectThenIterate,
    RegexInLoop,
    BlockingInAsync,
    LockAcrossAwait,
    UnboundedChannelInLoop,
    SpawnInLoop,
    UnbufferedWriteInLoop,
    QueryInLoop,
}

/// What `--list` and the docs show of a rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    pub name: &'static str,
    pub code: &'static str,
    pub level: LintLevel,
    pub summary: &'static str,
    pub example: &'static str,
    pub help: &'static str,
}

impl Rule {
    pub const ALL: &'static [Rule] = &[
        Rule::FormatInLoop,
        Rule::CloneInLoop,
        Rule::VecPushNoCapacity,
        Rule::LockInLoop,
        Rule::CollectThenIterate,
        Rule::RegexInLoop,
        Rule::BlockingInAsync,
        Rule::LockAcrossAwait,
        Rule::UnboundedChannelInLoop,
        Rule::SpawnInLoop,
        Rule::UnbufferedWriteInLoop,
        Rule::QueryInLoop,
    ];

    pub fn code(self) -> LintCode {
        match self {
            Rule::FormatInLoop => LintCode::FormatInLoop,
            Rule::CloneInLoop => LintCode::CloneInLoop,
            Rule::VecPushNoCapacity => LintCode::VecPushNoCapacity,
            Rule::LockInLoop => LintCode::LockInLoop,
            Rule::CollectThenIterate => LintCode::CollectThenIterate,
            Rule::RegexInLoop => LintCode::RegexInLoop,
            Rule::BlockingInAsync => LintCode::BlockingInAsync,
            Rule::LockAcrossAwait => LintCode::LockAcrossAwait,
            Rule::UnboundedChannelInLoop => LintCode::UnboundedChannelInLoop,
            Rule::SpawnInLoop => LintCode::SpawnInLoop,
            Rule::UnbufferedWriteInLoop => LintCode::UnbufferedWriteInLoop,
            Rule::QueryInLoop => LintCode::QueryInLoop,
        }
    }

    /// The `[lint.rules]` key: the code without `lint-`.
    pub fn name(self) -> &'static str {
        use cargo_perf_engine::model::FindingCode;
        &self.code().as_str()["lint-".len()..]
    }

    pub fn from_name(name: &str) -> Option<Rule> {
        let name = name.strip_prefix("lint-").unwrap_or(name);
        Rule::ALL.iter().copied().find(|r| r.name() == name)
    }

    /// The level a rule has when perf.toml does not set it: the code's
    /// severity, but `allow` for the rules whose hand-checked sample on the
    /// real-crate corpus was mostly wrong (docs/lint.md has the table).
    pub fn default_level(self) -> LintLevel {
        use cargo_perf_engine::Severity;
        use cargo_perf_engine::model::FindingCode;
        if matches!(
            self,
            Rule::UnboundedChannelInLoop
                | Rule::SpawnInLoop
                | Rule::LockInLoop
                | Rule::CollectThenIterate
        ) {
            return LintLevel::Allow;
        }
        match self.code().severity() {
            Severity::Error => LintLevel::Deny,
            _ => LintLevel::Warn,
        }
    }

    pub fn info(self) -> RuleInfo {
        use cargo_perf_engine::model::FindingCode;
        let (example, help) = self.text();
        RuleInfo {
            name: self.name(),
            code: self.code().as_str(),
            level: self.default_level(),
            summary: self.code().summary(),
            example,
            help,
        }
    }

    /// The rule's example and its fix.
    fn text(self) -> (&'static str, &'static str) {
        match self {
            Rule::FormatInLoop => (
                "for x in xs { out.push_str(&format!(\"{x},\")); }",
                "write into the string with `write!(out, ...)` (std::fmt::Write): no temporary String per iteration",
            ),
            Rule::CloneInLoop => (
                "for x in xs { if names.clone().contains(x) { .. } }",
                "borrow the value (`&names`) instead of cloning it on every iteration, or clone it once before the loop",
            ),
            Rule::VecPushNoCapacity => (
                "let mut v = Vec::new(); for x in xs { v.push(f(x)); }",
                "collect instead (`xs.iter().map(f).collect()`), or start from `Vec::with_capacity(n)`",
            ),
            Rule::LockInLoop => (
                "for x in xs { total.lock().unwrap().add(x); }",
                "take the lock once before the loop, or gather the work and lock once after it",
            ),
            Rule::CollectThenIterate => (
                "xs.iter().map(f).collect::<Vec<_>>().into_iter().sum()",
                "drop the `.collect()` and keep iterating: the Vec is built only to be taken apart",
            ),
            Rule::RegexInLoop => (
                "for line in lines { let re = Regex::new(\"a+\")?; .. }",
                "build it once outside the loop (or in a `static` with `LazyLock`) and reuse it",
            ),
            Rule::BlockingInAsync => (
                "async fn load() { std::fs::read_to_string(\"a\") }",
                "use the async equivalent (`tokio::fs`, `tokio::time::sleep`) or move the call into `spawn_blocking`",
            ),
            Rule::LockAcrossAwait => (
                "let g = m.lock().unwrap(); fetch().await; g.push(1);",
                "drop the guard before the `.await` (scope it in a block), or use an async mutex (`tokio::sync::Mutex`)",
            ),
            Rule::UnboundedChannelInLoop => (
                "for job in jobs { let (tx, rx) = mpsc::unbounded_channel(); .. }",
                "create the channel once outside the loop, or use a bounded (or oneshot) channel",
            ),
            Rule::SpawnInLoop => (
                "for url in urls { tokio::spawn(fetch(url)); }",
                "bound the concurrency: a fixed pool of workers, a `Semaphore`, or `stream::iter(..).buffer_unordered(n)`",
            ),
            Rule::UnbufferedWriteInLoop => (
                "let mut f = File::create(p)?; for l in lines { writeln!(f, \"{l}\")?; }",
                "wrap the file in `BufWriter::new(f)` (and flush it at the end): one system call per write otherwise",
            ),
            Rule::QueryInLoop => (
                "for id in ids { sqlx::query(\"..\").bind(id).fetch_one(&db).await?; }",
                "query once for all items (`WHERE id = ANY($1)`, `IN (...)`, a join) instead of once per item",
            ),
        }
    }
}

/// Every own rule, described.
pub fn catalogue() -> Vec<RuleInfo> {
    Rule::ALL.iter().map(|r| r.info()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_knows_exactly_these_rules() {
        let mut names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
        names.push("clippy");
        assert_eq!(names, cargo_perf_policy::sections::lint::RULES);
        for rule in Rule::ALL {
            assert_eq!(Rule::from_name(rule.name()), Some(*rule));
        }
    }
}
