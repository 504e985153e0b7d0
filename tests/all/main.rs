//! Nebula's integration tests, one binary (one link against wasmtime): one module per area,
//! the shared support code as modules (`common`, `hostile_support`, `server_support`, `fixture_run`).
//! Run one area with `cargo test --release --test all -- AREA::`. Tests unwrap freely: a failed
//! unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

// Support code shared by the areas.
mod common;
mod fixture_run;
mod hostile_support;
mod server_support;

// The areas.
mod build_targets;
mod cli_flags;
mod columns_doc;
mod command_runtimes;
mod comparison_table;
mod crash_interrupt;
mod energy_powercap;
mod energy_sensors;
mod engines;
mod experiment_config;
mod experiment_run;
mod fuzz_inputs;
mod hostile_guests;
mod hostile_http;
mod invoke_cli;
mod marker_spans;
mod own_functions;
mod parquet_copy;
mod plot_charts;
mod reference_runtime;
mod report_browser;
mod report_compare;
mod report_html;
mod results_scale;
mod run_files;
mod run_provenance;
mod runtime_native_env;
mod runtime_wasm;
mod server_browser;
mod server_cli;
mod server_http;
mod shards;
mod slurm_cluster;
mod soak_server;
mod stats_export;
mod stats_props;
mod suite_outputs;
