//! Experiments: a TOML config (`config/`) expands into a matrix of cells run in a seeded,
//! interleaved order (`matrix.rs`) by the orchestrator (`runner.rs`), which gives each call of a
//! window its energy (`attribute.rs`) and writes the run's records through `crate::results` as
//! it goes, into a run folder it creates and locks (`rundir.rs`). The run's one idle baseline
//! (`baseline.rs`), the hashes of the files it measured (`provenance.rs`) with what each was
//! compiled for (`targets.rs`) and the CPU steal and
//! load around each window (`contention.rs`) are recorded with it; `finish.rs` writes the
//! summaries, charts and report at its end, and `http.rs` drives a server for HTTP runs.

pub mod attribute;
pub mod baseline;
pub mod config;
pub mod contention;
pub mod finish;
pub mod http;
pub mod matrix;
pub mod merge;
pub mod provenance;
pub mod rundir;
pub mod runner;
pub mod targets;
