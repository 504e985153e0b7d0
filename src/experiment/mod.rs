//! Experiments: a TOML config (`config/`) expands into a matrix of cells run in a seeded,
//! interleaved order (`matrix.rs`) by the orchestrator (`runner.rs`), which writes per-call and
//! per-window CSVs as it goes (`output.rs`) and a metadata record (`metadata.rs`)
//! into a run folder it creates and locks (`rundir.rs`). The run's one idle baseline
//! (`baseline.rs`), the hashes of the files it measured (`provenance.rs`) and the CPU steal and
//! load around each window (`contention.rs`) are recorded with it.

pub mod baseline;
pub mod config;
pub mod contention;
pub mod finish;
pub mod http;
pub mod matrix;
pub mod metadata;
pub mod output;
pub mod provenance;
pub mod rundir;
pub mod runner;
