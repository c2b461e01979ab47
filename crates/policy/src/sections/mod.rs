//! One module per top-level section of perf.toml. Each reads its table with the
//! shared [`Reader`](crate::reader::Reader) and returns its typed settings.

pub mod bench;
mod bench_budgets;
pub mod build;
pub mod clean;
pub mod gitignore;
pub mod hooks;
pub mod lint;
pub mod pipelines;
pub mod profile;
pub mod settings;
pub mod tasks;

#[cfg(test)]
mod tests {
    use crate::table::{Key, assert_unique, names};

    const POLICY: &str = include_str!("../../../../docs/policy.md");
    const HOOKS: &str = include_str!("../../../../docs/hooks.md");
    const BUILD: &str = include_str!("../../../../docs/build.md");
    const GITIGNORE: &str = include_str!("../../../../docs/gitignore.md");
    const PROFILE: &str = include_str!("../../../../docs/profile.md");
    const CLEAN: &str = include_str!("../../../../docs/clean.md");
    const BENCH: &str = include_str!("../../../../docs/bench.md");
    const LINT: &str = include_str!("../../../../docs/lint.md");

    /// Every table of keys, with the docs that document its keys.
    fn tables() -> Vec<(&'static str, Vec<&'static str>, String)> {
        fn entry<S>(
            context: &'static str,
            keys: &[Key<S>],
            doc: &str,
        ) -> (&'static str, Vec<&'static str>, String) {
            assert_unique(context, keys);
            (context, names(keys), doc.to_owned())
        }
        let all = [POLICY, HOOKS, BUILD, GITIGNORE, PROFILE, CLEAN, BENCH, LINT].concat();
        vec![
            entry("perf.toml", crate::SECTIONS, &all),
            entry("[settings]", super::settings::KEYS, POLICY),
            entry("[tasks.NAME]", super::tasks::KEYS, POLICY),
            entry("[hooks]", super::hooks::KEYS, HOOKS),
            entry("[build]", super::build::KEYS, BUILD),
            entry("[gitignore]", super::gitignore::KEYS, GITIGNORE),
            entry("[profile]", super::profile::KEYS, PROFILE),
            entry("[clean]", super::clean::KEYS, CLEAN),
            entry("[[clean.extra]]", super::clean::EXTRA_KEYS, CLEAN),
            entry("[bench]", super::bench::KEYS, BENCH),
            entry("[bench.commands.NAME]", super::bench::COMMAND_KEYS, BENCH),
            entry(
                "[bench.budgets] NAME",
                super::bench_budgets::BUDGET_KEYS,
                BENCH,
            ),
            entry("[lint]", super::lint::KEYS, LINT),
        ]
    }

    #[test]
    fn every_key_has_one_parser_and_a_documentation() {
        for (context, keys, doc) in tables() {
            for key in keys {
                let in_example = doc.lines().any(|line| {
                    let line = line.trim_start().trim_start_matches("# ");
                    line.starts_with(&format!("{key} = ")) || line.starts_with(&format!("[{key}"))
                });
                assert!(
                    in_example
                        || doc.contains(&format!("`{key}`"))
                        || doc.contains(&format!("`[{key}"))
                        || doc.contains(&format!(".{key}]"))
                        || doc.contains(&format!(".{key}.")),
                    "{context} `{key}` is not documented in its docs page"
                );
            }
        }
    }
}
