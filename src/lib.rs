//! Nebula: measures the time and energy footprint of functions compiled to WebAssembly (WASI)
//! and run by wasmtime, side by side with the same functions built natively, and serves them over HTTP.
//!
//! Layout: `runtime/` (wasm, wasm-cold, native behind one trait), `energy/` (powercap, perf, model
//! behind one trait), `experiment/` (configs and the orchestrator), `export/` (CSV and JSON files),
//! `stats/` (summaries, bootstrap intervals, comparisons), `plot/` and `report/` (charts and the HTML
//! report), `server/` (the FaaS server), `cluster/` (a study split across the nodes of a Slurm cluster),
//! `cli/` (the command line).

pub mod bench;
pub mod cli;
pub mod client;
pub mod clock;
pub mod cluster;
pub mod digest;
pub mod energy;
pub mod experiment;
pub mod export;
pub mod numfmt;
pub mod plot;
pub mod report;
pub mod results;
pub mod runtime;
pub mod server;
pub mod stats;
pub mod stdout;
pub mod suite;
pub mod units;
