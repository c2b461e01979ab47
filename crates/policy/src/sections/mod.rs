//! One module per top-level section of perf.toml. Each reads its table with the
//! shared [`Reader`](crate::reader::Reader) and returns its typed settings.

pub mod bench;
pub mod build;
pub mod clean;
pub mod gitignore;
pub mod hooks;
pub mod pipelines;
pub mod profile;
pub mod settings;
pub mod tasks;
