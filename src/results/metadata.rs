//! `metadata.json`: the machine (CPU, cores, kernel, governor, turbo), the energy source with its
//! domains, units, ranges, idle power and read cost, the versions (wasmtime, rustc, Nebula's git
//! commit, the functions' build profile), the full config and its hash, times and status; the
//! provenance of what was measured (the functions folder, each module file's SHA-256 and what it
//! was compiled for, the model's coefficients), every idle baseline measured, and the warnings the run printed.

use super::build::BuildTarget;
use super::call::{DEFAULT_RUNTIMES, NATIVE};
use crate::energy::model::{Model, CCF_AWS_MAX_WATTS_PER_VCPU, CCF_AWS_MIN_WATTS_PER_VCPU};
use crate::energy::window::Meter;
use crate::energy::SourceInfo;
use crate::stats::adjust::PAdjust;
use crate::suite::FunctionSpec;
use anyhow::{Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The contents of a run's `metadata.json`: what ran, where, with which energy source and versions,
/// and how far it got.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Metadata {
    /// The run id `<name>-<YYYYMMDD-HHMMSS>-<6 hex>` (the run folder's name).
    pub run_id: String,
    /// The config's `name`.
    pub name: String,
    /// Where the run stands (`complete` only once every planned window is measured).
    pub status: Status,
    /// When the run started.
    pub started: Timestamp,
    /// When the run last ended; `None` while it runs, or when it was killed outright.
    pub ended: Option<Timestamp>,
    /// When each `--resume` of the run started, in order.
    pub resumed: Vec<Timestamp>,
    /// The machine measured on.
    pub machine: Machine,
    /// The energy source, its domains, idle baseline and reading cost.
    pub energy: EnergyMeta,
    /// Nebula's, wasmtime's and rustc's versions and the functions' build profile.
    pub versions: Versions,
    /// Hex SHA-256 of `config_toml`.
    pub config_sha256: String,
    /// The run's config, in full, as TOML text.
    pub config_toml: String,
    /// Cells of the experiment matrix (function x input x runtime x concurrency).
    pub cells: usize,
    /// Windows the run plans: cells x repetitions.
    pub windows_planned: usize,
    /// Windows measured and recorded so far.
    pub windows_done: usize,
    /// Outputs that differed between runtimes in the reference calls, one message each (e.g.
    /// `fib(30): wasm output differs from the reference`).
    pub digest_mismatches: Vec<String>,
    /// The functions folder the run used, absolute.
    #[serde(default)]
    pub functions_dir: String,
    /// Every module file the run loaded, with its SHA-256 (a file changed by a resume appears
    /// twice, with the time each hash was taken).
    #[serde(default)]
    pub modules: Vec<ModuleFile>,
    /// Why `modules` is empty, where it is (an HTTP run against a server elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modules_note: Option<String>,
    /// Every warning the run printed about its data (baseline drift on resume, CPU steal,
    /// modules changed between sessions), in order.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// What each function's input is, from the suite manifest the run used, so that the run's
    /// charts label their input axes wherever the folder is read (empty in older runs).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub inputs: std::collections::BTreeMap<String, InputMeta>,
    /// The definitions of the run's functions of one's own (builds absolute, as run), by name;
    /// their builds' SHA-256 are in `modules`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub functions: std::collections::BTreeMap<String, FunctionSpec>,
    /// What the kernel markers add to every kernel span, by runtime: the median `kernel_ns` of
    /// a null kernel (markers around nothing), measured before the run's first window.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub marker_overhead_ns: std::collections::BTreeMap<String, u64>,
    /// What still differs between each function's builds besides the runtime, or why nothing
    /// does, by function: the suite manifest's `build_note`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub build_notes: std::collections::BTreeMap<String, String>,
    /// The folder the config's relative paths start from, when it has any (its own functions
    /// or suite file): `--resume` reads them from there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_dir: Option<String>,
    /// The settings of each wasmtime engine the run's wasm runtimes use (compiler, opt level,
    /// target, wasmtime version) with those runtimes; empty in older runs, in runs of `native`
    /// alone and in HTTP runs against a server elsewhere (its engines are its own).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub engines: Vec<EngineSettings>,
    /// The run's runtimes defined by a command template (`[[runtime]]`): each one's template,
    /// the program found, its version and whether kernel time was measured on it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command_runtimes: Vec<CommandRecord>,
    /// The part of a study's cells this run measured (`nebula run --shard I/N`); absent for a
    /// whole run. A merged run lists the shards it holds in `merged`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The runs a merged run was made of (`nebula merge`); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<MergedPart>,
}

/// A shard of a study: `index` of `count` (1-based), and the study it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which part, 1..=count.
    pub index: u32,
    /// Into how many parts the study's cells are split.
    pub count: u32,
    /// The study's id, the same in all its shards (`--study`, else derived from the config).
    pub study: String,
}

impl Shard {
    /// `I/N` (1 <= I <= N) with the study's id.
    pub fn parse(text: &str, study: String) -> Result<Shard, String> {
        let bad = || {
            format!("'{text}' is not I/N with 1 <= I <= N: use e.g. --shard 1/4 (the first of four parts)")
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count, study })
    }
}

/// One run of a merged run: its folder, run id, shard and machine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MergedPart {
    /// The folder it was read from.
    pub dir: String,
    /// Its run id.
    pub run_id: String,
    /// Its shard; `None` for a whole run.
    pub shard: Option<Shard>,
    /// The machine it ran on.
    pub machine: Machine,
    /// Its energy source and label.
    pub energy: String,
}

/// A function's input as its suite manifest describes it (`input_label`, `input_unit`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputMeta {
    /// What the charts call the input on their input axes, e.g.
    /// `n (index of the Fibonacci number)`; `None` for the generic "Input n".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `B`, `KiB`, `MiB` or `GiB`: n is a size in bytes in that unit; `None` when n is no size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl Metadata {
    /// For a run that is not complete: how much of it was measured, e.g. "7 of 50 windows
    /// measured" (its `status` says why it is partial).
    pub fn partial(&self) -> Option<String> {
        (self.status != Status::Complete).then(|| {
            format!(
                "{} of {} windows measured",
                self.windows_done, self.windows_planned
            )
        })
    }

    /// The run's random seed from its config (42 when absent), as `finish` uses it.
    pub fn seed(&self) -> u64 {
        self.config_table()
            .and_then(|t| t.get("seed").and_then(|v| v.as_integer()))
            .map(|s| s as u64)
            .unwrap_or(42)
    }

    /// How the run's comparison adjusts its p-values (its config's `p_adjust`; Holm when it
    /// names none or the recorded config does not parse).
    pub fn p_adjust(&self) -> PAdjust {
        self.config_table()
            .and_then(|t| t.get("p_adjust").and_then(|v| v.as_str()?.parse().ok()))
            .unwrap_or_default()
    }

    /// The runtime the run compares every other one against (its config's `reference`; `native`
    /// when it names none, as every run did before the key existed, or when the recorded config
    /// does not parse).
    pub fn reference(&self) -> String {
        self.config_table()
            .and_then(|t| t.get("reference").and_then(|v| v.as_str().map(str::to_string)))
            .unwrap_or_else(|| NATIVE.to_string())
    }

    /// The runtimes the run's config names (the default ones when it names none); `None` when
    /// the recorded config does not parse.
    pub fn runtimes(&self) -> Option<Vec<String>> {
        let t = self.config_table()?;
        match t.get("runtimes") {
            None => Some(DEFAULT_RUNTIMES.iter().map(|r| r.to_string()).collect()),
            Some(v) => v
                .as_array()?
                .iter()
                .map(|r| r.as_str().map(str::to_string))
                .collect(),
        }
    }

    fn config_table(&self) -> Option<toml::Table> {
        toml::from_str::<toml::Table>(&self.config_toml).ok()
    }

    /// Print a warning about the run's data and keep it in `warnings`.
    pub fn warn(&mut self, w: String) {
        crate::errln!("nebula: warning: {w}");
        self.warnings.push(w);
    }
}

/// Where a run stands: being set up, measuring, or ended with every window (`complete`) or
/// before (`interrupted`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Set up: the metadata is written, no window measured yet.
    #[default]
    Starting,
    /// Measuring windows (a run killed outright is left so).
    Running,
    /// Ended with every planned window measured.
    Complete,
    /// Ended before every planned window was measured; `--resume` finishes it.
    Interrupted,
}

impl Status {
    /// The status as `metadata.json` spells it (`starting`, `running`, `complete`, `interrupted`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Starting => "starting",
            Status::Running => "running",
            Status::Complete => "complete",
            Status::Interrupted => "interrupted",
        }
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Status, String> {
        [
            Status::Starting,
            Status::Running,
            Status::Complete,
            Status::Interrupted,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
        .ok_or_else(|| format!("`{s}` is not a run status (starting, running, complete, interrupted)"))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A time in metadata.json: UTC, written as RFC 3339 with milliseconds
/// (`2026-12-04T20:17:14.123Z`); any RFC 3339 time reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// The current time.
    pub fn now() -> Timestamp {
        Timestamp(Utc::now())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl FromStr for Timestamp {
    type Err = chrono::ParseError;
    fn from_str(s: &str) -> Result<Timestamp, chrono::ParseError> {
        DateTime::parse_from_rfc3339(s).map(|t| Timestamp(t.with_timezone(&Utc)))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|e| serde::de::Error::custom(format!("`{text}` is not an RFC 3339 time: {e}")))
    }
}

/// The machine a run measured on, probed from `/proc` and `/sys` when it starts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Machine {
    /// The CPU's model name from `/proc/cpuinfo` (`unknown` when absent).
    pub cpu_model: String,
    /// Logical cores available to Nebula.
    pub logical_cores: usize,
    /// The kernel release (`/proc/sys/kernel/osrelease`).
    pub kernel: String,
    /// The machine's hostname; empty when unreadable.
    pub hostname: String,
    /// The CPU frequency governor of cpu0 (e.g. `performance`); `None` when unreadable.
    pub governor: Option<String>,
    /// Turbo boost, `on` or `off`; `None` when the machine does not say.
    pub turbo: Option<String>,
    /// Whether the CPU reports running under a hypervisor; `None` when unknown.
    pub virtualized: Option<bool>,
    /// The CPU's vector, bit and crypto extensions a native build or a crate choosing at run
    /// time can use (`sse2`, `avx2`, `sha_ni`, ...: those of [`super::build::HOST_FEATURES`]
    /// that `/proc/cpuinfo` lists); empty in older runs.
    #[serde(default)]
    pub cpu_features: Vec<String>,
    /// The machine's stable id, as the `machine` column of calls.csv and windows.csv holds it
    /// ([`machine_id`]); empty in older runs.
    #[serde(default)]
    pub id: String,
}

/// The energy source a run used, as `metadata.json` records it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EnergyMeta {
    /// The source's name: `powercap`, `perf` or `model`.
    pub source: String,
    /// `measured` for a hardware counter, `estimated` for the model.
    pub label: String,
    /// Why this source was chosen (or the model fallen back to).
    pub why: String,
    /// The sources tried and not used, each with the reason.
    pub rejected: Vec<(String, String)>,
    /// The energy domains summed, e.g. `package-0`, `dram-0`.
    pub domains: Vec<String>,
    /// Each domain's unit and range, e.g. `uJ, wraps at 262143328850`.
    pub details: Vec<String>,
    /// The idle baseline net energy uses (see `baselines`).
    pub idle_watts: Option<f64>,
    /// Median wall time of one reading of the source, nanoseconds.
    pub read_cost_ns: u64,
    /// Every idle measurement of the run: the one in use, and the checks made by resumes.
    #[serde(default)]
    pub baselines: Vec<Baseline>,
    /// The model's coefficients, when the source is the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelCoefficients>,
}

/// The estimate's coefficients as numbers: `energy_j = idle_watts x wall_s +
/// active_watts_per_core x cpu_s`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCoefficients {
    /// The model's formula in words.
    pub formula: String,
    /// Idle power of the machine, watts.
    pub idle_watts: f64,
    /// Power added per busy core, watts (times CPU seconds gives joules).
    pub active_watts_per_core: f64,
    /// The defaults these come from unless the config set them: watts per vCPU at idle and busy
    /// (Cloud Carbon Footprint AWS averages).
    pub default_idle_watts_per_vcpu: f64,
    /// The default watts per vCPU when busy (Cloud Carbon Footprint AWS average).
    pub default_busy_watts_per_vcpu: f64,
}

impl ModelCoefficients {
    /// The coefficients of `model`, with the defaults they come from.
    pub fn of(model: &Model) -> ModelCoefficients {
        ModelCoefficients {
            formula: "energy_j = idle_watts * wall_s + active_watts_per_core * cpu_s".into(),
            idle_watts: model.idle_watts.value(),
            active_watts_per_core: model.active_watts_per_core.value(),
            default_idle_watts_per_vcpu: CCF_AWS_MIN_WATTS_PER_VCPU,
            default_busy_watts_per_vcpu: CCF_AWS_MAX_WATTS_PER_VCPU,
        }
    }
}

/// One idle measurement of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// When it was measured.
    pub measured_at: Timestamp,
    /// Average power over the measurement.
    pub watts: f64,
    /// How long it was measured, in seconds.
    pub duration_s: f64,
    /// `run` (before the first window) or `resume` (a check when the run was resumed).
    pub session: String,
    /// Whether net energy uses this one (exactly one baseline of a run is in use).
    pub in_use: bool,
}

/// One module file of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleFile {
    /// The function this file builds.
    pub function: String,
    /// `wasm`, `wasm-simd128` or `native`: the build this file is.
    pub build: String,
    /// The runtimes of the run that load this file.
    pub runtimes: Vec<String>,
    /// Absolute path.
    pub path: String,
    /// Size of the file, bytes.
    pub bytes: u64,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// When it was hashed: the run's start, or the resume that found it changed.
    pub hashed_at: Timestamp,
    /// What the file was compiled for (target, features, SIMD); `None` in older runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<BuildTarget>,
}

/// The versions of what measured and what was measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Versions {
    /// Nebula's crate version.
    pub nebula: String,
    /// The git commit Nebula was built from.
    pub nebula_git_commit: String,
    /// The wasmtime version Nebula embeds.
    pub wasmtime: String,
    /// The rustc version Nebula was built with.
    pub rustc: String,
    /// The functions' `[profile.release]` settings, one line (`default release profile` when the
    /// manifest sets none).
    pub functions_profile: String,
}

fn read_trim(p: &str) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl Machine {
    /// The machine Nebula runs on now.
    pub fn probe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |name: &str| {
            cpuinfo
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        };
        let turbo = read_trim("/sys/devices/system/cpu/intel_pstate/no_turbo")
            .map(|v| {
                if v == "0" {
                    "on".to_string()
                } else {
                    "off".to_string()
                }
            })
            .or_else(|| {
                read_trim("/sys/devices/system/cpu/cpufreq/boost").map(|v| {
                    if v == "1" {
                        "on".to_string()
                    } else {
                        "off".to_string()
                    }
                })
            });
        Machine {
            cpu_model: field("model name").unwrap_or_else(|| "unknown".into()),
            logical_cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            kernel: read_trim("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into()),
            hostname: read_trim("/proc/sys/kernel/hostname").unwrap_or_default(),
            governor: read_trim("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
            turbo,
            virtualized: field("flags").map(|f| f.split_whitespace().any(|x| x == "hypervisor")),
            cpu_features: super::build::host_features(&cpuinfo),
            id: machine_id().to_string(),
        }
    }
}

/// The variable that sets this machine's id (tests; or a name of one's choosing).
pub const MACHINE_ID_ENV: &str = "NEBULA_MACHINE_ID";

/// This machine's stable id, the `machine` column of every row it writes: `$NEBULA_MACHINE_ID`,
/// else the short hostname and 8 hex digits of the SHA-256 of `/etc/machine-id` (of the
/// hostname where there is none), e.g. `node07-3fa2b1c4`: stable across runs and reboots, and
/// apart for two hosts of one name.
pub fn machine_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        if let Some(id) = std::env::var(MACHINE_ID_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            return id.trim().to_string();
        }
        let host = read_trim("/proc/sys/kernel/hostname").unwrap_or_else(|| "host".into());
        let short = host.split('.').next().unwrap_or("host").to_string();
        let seed = read_trim("/etc/machine-id").unwrap_or_else(|| host.clone());
        let hash = crate::digest::sha256_hex(seed.as_bytes());
        format!("{short}-{}", &hash[..8])
    })
}

impl EnergyMeta {
    /// The source's description; `model` gives the coefficients when the source is the model.
    pub fn new(meter: &Meter, why: &str, rejected: &[(&'static str, String)], model: &Model) -> EnergyMeta {
        let SourceInfo {
            name,
            quality,
            domains,
            details,
            ..
        } = meter.source.info();
        EnergyMeta {
            source: name.to_string(),
            label: quality.as_str().to_string(),
            why: why.to_string(),
            rejected: rejected.iter().map(|(n, r)| (n.to_string(), r.clone())).collect(),
            domains,
            details,
            idle_watts: meter.idle.map(|w| w.value()),
            read_cost_ns: crate::units::ns(meter.read_cost),
            baselines: Vec::new(),
            model: (name == crate::energy::model::NAME).then(|| ModelCoefficients::of(model)),
        }
    }
}

impl Versions {
    /// The versions of this Nebula and of the functions under `functions_root` (its `Cargo.toml`).
    pub fn current(functions_root: &Path) -> Versions {
        let manifest = std::fs::read_to_string(functions_root.join("Cargo.toml")).unwrap_or_default();
        let profile = manifest
            .split("[profile.release]")
            .nth(1)
            .map(|s| s.split("\n[").next().unwrap_or("").trim().replace('\n', "; "))
            .unwrap_or_else(|| "default release profile".into());
        Versions {
            nebula: env!("CARGO_PKG_VERSION").to_string(),
            nebula_git_commit: env!("NEBULA_GIT_COMMIT").to_string(),
            wasmtime: env!("NEBULA_WASMTIME_VERSION").to_string(),
            rustc: env!("NEBULA_RUSTC_VERSION").to_string(),
            functions_profile: profile,
        }
    }
}

/// Hex SHA-256 of a config's TOML text (`config_sha256`).
pub fn config_hash(toml: &str) -> String {
    crate::digest::sha256_hex(toml.as_bytes())
}

/// Write metadata.json atomically.
pub fn write(dir: &Path, m: &Metadata) -> Result<()> {
    let tmp = dir.join("metadata.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(m)?)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join("metadata.json")).context("cannot replace metadata.json")?;
    Ok(())
}

/// Reads `metadata.json` from the run folder `dir`.
pub fn read(dir: &Path) -> Result<Metadata> {
    let p = dir.join("metadata.json");
    let text = std::fs::read_to_string(&p).with_context(|| {
        format!(
            "cannot read {}: is {} a Nebula results directory?",
            p.display(),
            dir.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid Nebula metadata", p.display()))
}

/// One engine's settings as metadata.json records them (`engines`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineSettings {
    /// The run's runtimes that used the engine, e.g. `["wasm", "wasm-cold"]`.
    pub runtimes: Vec<String>,
    /// The compiler: `cranelift` or `winch`.
    pub strategy: String,
    /// Cranelift's opt level (`none`, `speed`, `speed-and-size`); absent for Winch.
    pub opt_level: Option<String>,
    /// The compilation target: the host's triple, or `pulley64` (wasmtime's interpreter).
    pub target: String,
    /// The wasmtime version.
    pub wasmtime: String,
}

/// What metadata.json records of a command runtime.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CommandRecord {
    /// The runtime's name.
    pub name: String,
    /// What it is.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The template, as defined.
    pub command: Vec<String>,
    /// The program that ran, found on PATH.
    pub program: String,
    /// The first line its version command printed, or why there is none.
    pub version: String,
    /// How the marker imports were met: `report`, `provided` or `strip`.
    pub markers: String,
    /// Whether kernel time was measured on it.
    pub kernel_time: bool,
    /// Its install line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install: Option<String>,
}
