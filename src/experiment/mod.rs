//! Experiments: a TOML config (`config.rs`) expands into a matrix of cells run in a seeded,
//! interleaved order (`matrix.rs`) by the orchestrator (`runner.rs`), which writes per-call and
//! per-window CSVs as it goes (`output.rs`) and a metadata record (`metadata.rs`)
//! into a run folder it creates and locks (`rundir.rs`).

pub mod config;
pub mod finish;
pub mod http;
pub mod matrix;
pub mod metadata;
pub mod output;
pub mod rundir;
pub mod runner;
