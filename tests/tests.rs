//! One integration-test binary (linked once) that drives the real
//! `cargo-perf` binary against temporary workspaces. One module per feature.

mod util;

mod bench;
mod bench_memory;
mod bench_pairs;
mod bench_sampling;
mod bench_verdicts;
mod build;
mod cargo_flags;
mod changed;
mod ci_formats;
mod clean;
mod clean_guards;
mod clean_props;
mod cli;
mod codes;
mod diagnostics;
mod engine;
mod escape;
mod gitignore;
mod gitignore_index;
mod hooks;
mod init;
mod interrupt;
mod library;
mod lint;
mod metacache;
mod policy;
mod profile;
mod profile_memory;
mod report_disk;
mod report_html;
mod tidy;
