//! The config's schema: the serde structs of `experiments/NAME.toml`, their defaults, and the
//! keys each table must have.

use crate::suite::runtimes::CommandSpec;
use crate::suite::{FunctionSpec, NativeCommand, OutputCheck};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A config as written in `experiments/NAME.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The run's name: the first part of its results folder's name.
    pub name: String,
    /// What the experiment asks, in a sentence (recorded with the run).
    #[serde(default)]
    pub description: String,
    /// The seed of the window order and of the bootstrap resampling.
    #[serde(default = "defaults::seed")]
    pub seed: u64,
    /// The runtimes every function runs on: `wasm`, `wasm-cold`, `native`, `wasm-simd128`, the
    /// other engines' (`wasm-opt-none`, `wasm-opt-size`, `wasm-winch`, `wasm-pulley`, each
    /// also `-cold`), and runtimes defined by a command template (the shipped ones in
    /// `runtimes/runtimes.toml`, a suite file's, the config's `[[runtime]]` tables).
    #[serde(default = "defaults::runtimes")]
    pub runtimes: Vec<String>,
    /// The runtime every other one is compared against (default `native`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The concurrency levels: calls in flight at once in a window.
    #[serde(default = "defaults::concurrency")]
    pub concurrency: Vec<u32>,
    /// Measured windows per cell.
    #[serde(default = "defaults::repetitions")]
    pub repetitions: u32,
    /// Unrecorded calls per cell before its first window.
    #[serde(default = "defaults::warmup")]
    pub warmup: u32,
    /// Minimum length of a measurement window (calls repeat until it is reached).
    #[serde(default = "defaults::min_window")]
    pub min_window: String,
    /// End a window after this many calls even if `min_window` has not passed.
    #[serde(default)]
    pub window_calls: Option<u32>,
    /// Pause between cells.
    #[serde(default = "defaults::cooldown")]
    pub cooldown: String,
    /// Idle-power measurement before the first cell ("0s" to skip).
    #[serde(default = "defaults::idle_baseline")]
    pub idle_baseline: String,
    /// Wall-clock limit of one call, e.g. "30s".
    #[serde(default = "defaults::timeout")]
    pub timeout: String,
    /// Memory cap of one call (wasm linear memory), e.g. "1GiB".
    #[serde(default = "defaults::memory")]
    pub memory: String,
    /// The folder the run's results folder is made in.
    #[serde(default = "defaults::output_dir")]
    pub output_dir: String,
    /// `local` (call the runtimes in this process) or `http` (drive `nebula serve`).
    #[serde(default = "defaults::target")]
    pub target: String,
    /// With `target = "http"`: the server to drive; without it, one is started on a loopback port.
    #[serde(default)]
    pub url: Option<String>,
    /// With `target = "http"` and no `url`: the scheduling policy of the started server's call
    /// pool and I/O workers, `batch` (the server's default) or `normal` (see `nebula serve --sched`).
    #[serde(default)]
    pub server_sched: Option<String>,
    /// Add every suite function not listed under [[function]], with its suite sizes.
    #[serde(default)]
    pub all_functions: bool,
    /// With suite sizes, keep only the first N of them.
    #[serde(default)]
    pub max_suite_sizes: Option<usize>,
    /// How `comparison.csv` adjusts its p-values for being many: `holm` (the default; the
    /// family-wise error rate) or `bh` (Benjamini-Hochberg; the false discovery rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_adjust: Option<String>,
    /// A suite file of one's own whose functions the config may name, relative to the config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<PathBuf>,
    /// How energy is measured (`[energy]`).
    #[serde(default)]
    pub energy: EnergyConfig,
    /// The functions and their inputs (`[[function]]` tables).
    #[serde(default, rename = "function")]
    pub functions: Vec<FunctionConfig>,
    /// Runtimes defined by a command template (`[[runtime]]` tables).
    #[serde(default, rename = "runtime", skip_serializing_if = "Vec::is_empty")]
    pub command_runtimes: Vec<CommandSpec>,
}

/// The `[energy]` table: the energy source and the model's coefficients.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnergyConfig {
    /// auto, powercap, perf or model.
    #[serde(default)]
    pub source: Option<String>,
    /// Another powercap sysfs root (fake trees in tests, or a mounted one).
    #[serde(default)]
    pub powercap_root: Option<PathBuf>,
    /// The model's idle power in watts (0 to 10000).
    #[serde(default)]
    pub idle_watts: Option<f64>,
    /// The model's power per busy core in watts (0 to 10000).
    #[serde(default)]
    pub active_watts_per_core: Option<f64>,
}

/// One function and its inputs: a list, a range or geometric steps (or the suite's sizes).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionConfig {
    /// The function's name: a suite function, or one this table or the suite file defines.
    pub name: String,
    /// The inputs, numbers or strings (absent: the suite's sizes).
    #[serde(default)]
    pub sizes: Option<Vec<toml::Value>>,
    /// The inputs `from..=to` in steps of `step`.
    #[serde(default)]
    pub range: Option<Range>,
    /// The inputs `from`, `from x factor`, ... up to `to`.
    #[serde(default)]
    pub geometric: Option<Geometric>,
    /// A function of one's own: its WASI command module, relative to the config file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm: Option<PathBuf>,
    /// A function of one's own: its module built with `simd128`, for `wasm-simd128`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm_simd128: Option<PathBuf>,
    /// A function of one's own: its native program, or a command list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native: Option<NativeCommand>,
    /// Arguments after the program name; `{input}` is replaced by the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    /// What the program reads on stdin (default: the input, unless `args` take it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// Environment variables of each call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, String>>,
    /// Directories `HOST::GUEST` the program may read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dirs: Option<Vec<String>>,
    /// `digest` (outputs must agree across runtimes, the default) or `ignore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputCheck>,
}

impl FunctionConfig {
    /// Whether the table gives any key that defines a function of one's own.
    pub fn defines(&self) -> bool {
        self.wasm.is_some()
            || self.wasm_simd128.is_some()
            || self.native.is_some()
            || self.args.is_some()
            || self.stdin.is_some()
            || self.env.is_some()
            || self.dirs.is_some()
            || self.output.is_some()
    }

    /// The definition this table gives (paths as written).
    pub fn spec(&self) -> FunctionSpec {
        FunctionSpec {
            name: self.name.clone(),
            wasm: self.wasm.clone(),
            wasm_simd128: self.wasm_simd128.clone(),
            native: self.native.clone(),
            args: self.args.clone().unwrap_or_default(),
            stdin: self.stdin.clone(),
            env: self.env.clone().unwrap_or_default(),
            dirs: self.dirs.clone().unwrap_or_default(),
            output: self.output.unwrap_or_default(),
            ..FunctionSpec::default()
        }
    }
}

/// `range`: inputs from `from` to `to` (inclusive) in steps of `step`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// The first input.
    pub from: u64,
    /// The last input at most.
    pub to: u64,
    /// The step between inputs (at least 1).
    pub step: u64,
}

/// `geometric`: inputs from `from`, multiplied by `factor`, up to `to`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geometric {
    /// The first input.
    pub from: u64,
    /// The last input at most.
    pub to: u64,
    /// The factor between inputs (at least 2).
    pub factor: u64,
}

mod defaults {
    pub fn seed() -> u64 {
        42
    }
    pub fn runtimes() -> Vec<String> {
        crate::results::call::DEFAULT_RUNTIMES
            .iter()
            .map(|r| r.to_string())
            .collect()
    }
    pub fn concurrency() -> Vec<u32> {
        vec![1]
    }
    pub fn repetitions() -> u32 {
        10
    }
    pub fn warmup() -> u32 {
        2
    }
    pub fn min_window() -> String {
        "100ms".into()
    }
    pub fn cooldown() -> String {
        "20ms".into()
    }
    pub fn idle_baseline() -> String {
        "2s".into()
    }
    pub fn timeout() -> String {
        "30s".into()
    }
    pub fn memory() -> String {
        "1GiB".into()
    }
    pub fn target() -> String {
        "local".into()
    }
    pub fn output_dir() -> String {
        "results".into()
    }
}

/// The keys that a table of the schema must have, in the order that serde checks them (the
/// order of its struct's fields). The table is named by its keys from the file's top, an array's
/// element with `[]`: `[]` the file itself, `["function[]"]` a `[[function]]` table,
/// `["function[]", "range"]` its range.
pub(super) fn required(table: &[&str]) -> &'static [&'static str] {
    match table {
        [] | ["function[]"] => &["name"],
        ["runtime[]"] => &["name", "command"],
        ["function[]", "range"] => &["from", "to", "step"],
        ["function[]", "geometric"] => &["from", "to", "factor"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The config with `table` (a table's keys from the top) holding exactly `keys` (set to 1,
    /// or "f" for a name) and the tables above it the least they need.
    fn config_with(table: &[&str], keys: &[&str]) -> String {
        let body: String = keys
            .iter()
            .map(|k| match *k {
                "name" => "name = \"f\"\n".to_string(),
                k => format!("{k} = 1\n"),
            })
            .collect();
        match table {
            [] => body,
            ["function[]"] => format!("name = \"t\"\n[[function]]\n{body}"),
            ["runtime[]"] => format!(
                "name = \"t\"\n[[runtime]]\n{}",
                body.replace("command = 1", "command = []")
            ),
            [_, sub] => format!("name = \"t\"\n[[function]]\nname = \"f\"\n[function.{sub}]\n{body}"),
            _ => unreachable!(),
        }
    }

    /// `required` says what serde's derive requires: with all of a table's required keys the
    /// config deserializes; with only those before one of them, serde names that one.
    #[test]
    fn the_required_keys_are_the_ones_serde_requires() {
        for table in [
            &[][..],
            &["function[]"],
            &["function[]", "range"],
            &["function[]", "geometric"],
            &["runtime[]"],
        ] {
            let keys = required(table);
            let all = config_with(table, keys);
            assert!(toml::from_str::<Config>(&all).is_ok(), "{all}");
            for first in 0..keys.len() {
                let text = config_with(table, &keys[..first]);
                let e = toml::from_str::<Config>(&text).expect_err(&text);
                let named = format!("missing field `{}`", keys[first]);
                assert!(e.message().contains(&named), "{text}: {}", e.message());
            }
        }
        assert!(required(&["energy"]).is_empty() && required(&["function"]).is_empty());
    }
}
