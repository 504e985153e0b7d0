//! Experiment configs: the TOML schema, `--set key=value` overrides, and validation that
//! refuses a bad config before anything runs, naming the file, the line, the key and the fix.

use crate::energy::auto::{Choice, EnergyOptions};
use crate::energy::model::{check_watts, Model};
use crate::runtime::{Limits, RuntimeKind};
use crate::server::sched::SchedPolicy;
use crate::suite::Suite;
use crate::units::{parse_bytes, parse_duration};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A config as written in `experiments/NAME.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "defaults::seed")]
    pub seed: u64,
    #[serde(default = "defaults::runtimes")]
    pub runtimes: Vec<String>,
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
    #[serde(default = "defaults::timeout")]
    pub timeout: String,
    #[serde(default = "defaults::memory")]
    pub memory: String,
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
    #[serde(default)]
    pub energy: EnergyConfig,
    #[serde(default, rename = "function")]
    pub functions: Vec<FunctionConfig>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnergyConfig {
    /// auto, powercap, perf or model.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub powercap_root: Option<PathBuf>,
    #[serde(default)]
    pub idle_watts: Option<f64>,
    #[serde(default)]
    pub active_watts_per_core: Option<f64>,
}

/// One function and its inputs: a list, a range or geometric steps (or the suite's sizes).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionConfig {
    pub name: String,
    #[serde(default)]
    pub sizes: Option<Vec<toml::Value>>,
    #[serde(default)]
    pub range: Option<Range>,
    #[serde(default)]
    pub geometric: Option<Geometric>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub from: u64,
    pub to: u64,
    pub step: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geometric {
    pub from: u64,
    pub to: u64,
    pub factor: u64,
}

mod defaults {
    pub fn seed() -> u64 {
        42
    }
    pub fn runtimes() -> Vec<String> {
        vec!["wasm".into(), "native".into()]
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

/// A config checked against the suite, with typed values: what the runner uses.
#[derive(Debug, Clone)]
pub struct Plan {
    pub config: Config,
    /// The config as TOML after overrides (recorded in metadata.json and used by --resume).
    pub toml: String,
    pub runtimes: Vec<RuntimeKind>,
    pub functions: Vec<(String, Vec<String>)>,
    pub min_window: Duration,
    pub cooldown: Duration,
    pub idle_baseline: Duration,
    pub limits: Limits,
    pub energy: EnergyOptions,
    pub http: bool,
    /// The started server's scheduling policy (`target = "http"` without `url`).
    pub server_sched: SchedPolicy,
}

/// A config error: where, which key, what is wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("{file}{line}: {key}: {problem}. Fix: {fix}")]
pub struct ConfigError {
    pub file: String,
    pub line: String,
    pub key: String,
    pub problem: String,
    pub fix: String,
}

/// The largest config file read (a config is a few KiB).
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Read, override and validate a config file.
pub fn load(path: &Path, overrides: &[String], suite: &Suite) -> Result<Plan, ConfigError> {
    let file = path.display().to_string();
    let refuse = |problem: String, fix: &str| ConfigError {
        file: file.clone(),
        line: String::new(),
        key: "(file)".into(),
        problem,
        fix: fix.into(),
    };
    // A FIFO would block the read and a device such as /dev/zero would never end it: only a
    // regular file of a config's size is read.
    if let Ok(m) = std::fs::metadata(path) {
        if !m.is_file() && !m.is_dir() {
            return Err(refuse(
                "it is not a regular file (a pipe, socket or device)".into(),
                "give the path of a .toml file; the shipped configs are in experiments/",
            ));
        }
        if m.len() > MAX_CONFIG_BYTES {
            return Err(refuse(
                format!("it is {} bytes, more than a config's {MAX_CONFIG_BYTES}", m.len()),
                "is it the config, not a results or data file? the shipped configs are in experiments/",
            ));
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        let (problem, fix) = match e.kind() {
            std::io::ErrorKind::InvalidData => (
                "it is not UTF-8 text".to_string(),
                "save it as UTF-8 (TOML files are UTF-8); is it the config, not a binary or results file?",
            ),
            std::io::ErrorKind::IsADirectory => (
                "it is a directory".to_string(),
                "give the path of a .toml file; the shipped configs are in experiments/",
            ),
            _ => (
                format!("cannot read it ({e})"),
                "check the path; the shipped configs are in experiments/",
            ),
        };
        refuse(problem, fix)
    })?;
    parse(&file, &text, overrides, suite)
}

/// Parse config text (as if from `file`), apply overrides and validate.
pub fn parse(file: &str, text: &str, overrides: &[String], suite: &Suite) -> Result<Plan, ConfigError> {
    // A key given with --set is blamed on the --set, not on the file's line for that key.
    let overridden = |k: &str| {
        overrides
            .iter()
            .rev()
            .find(|o| o.split_once('=').is_some_and(|(key, _)| key.trim() == k))
    };
    // `key` may carry the offending value as `key@value`, to find the right line.
    let err = |key: &str, problem: String, fix: &str| {
        let (k, hint) = key.split_once('@').unwrap_or((key, ""));
        if let Some(o) = overridden(k) {
            return ConfigError {
                file: "--set".into(),
                line: String::new(),
                key: o.trim().to_string(),
                problem,
                fix: fix.to_string(),
            };
        }
        ConfigError {
            file: file.to_string(),
            line: locate(text, k, hint).map(|l| format!(":{l}")).unwrap_or_default(),
            key: k.to_string(),
            problem,
            fix: fix.to_string(),
        }
    };
    // Deserialize the text itself first: its errors carry a span, so the line and key.
    let direct: Result<Config, toml::de::Error> = toml::from_str(text);
    if let Err(e) = &direct {
        let span_line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        let line_text = span_line.and_then(|l| text.lines().nth(l - 1)).unwrap_or("");
        let m = e.message();
        let about_a_key = ["unknown field", "missing field", "duplicate key"]
            .iter()
            .any(|p| m.contains(p));
        let named = if about_a_key { offending_key(m) } else { None };
        // An unknown key's span is its whole table: find the key's own line instead.
        let line = named.as_deref().and_then(|k| locate(text, k, "")).or(span_line);
        let key = named
            .or_else(|| line_text.split_once('=').map(|(k, _)| k.trim().to_string()))
            // A line such as `= 5` names no key: say it is a syntax error, not an empty key.
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| "(syntax)".into());
        return Err(ConfigError {
            file: file.to_string(),
            line: line.map(|l| format!(":{l}")).unwrap_or_default(),
            key,
            problem: toml_problem(m),
            fix: "see experiments/README.md for every key, its type and its default".into(),
        });
    }
    let mut value: toml::Table = toml::from_str(text).unwrap_or_default();
    for o in overrides {
        apply_override(&mut value, o).map_err(|p| set_error(o, p))?;
    }
    let after = toml::to_string(&value).unwrap_or_default();
    let config: Config = match (direct, overrides.is_empty()) {
        (Ok(c), true) => c,
        _ => toml::Value::Table(value)
            .try_into()
            .map_err(|e: toml::de::Error| set_error(&overrides.join(" "), toml_problem(e.message())))?,
    };
    validate(config, after, suite, &err)
}

type ErrFn<'a> = dyn Fn(&str, String, &str) -> ConfigError + 'a;

fn validate(config: Config, toml: String, suite: &Suite, err: &ErrFn) -> Result<Plan, ConfigError> {
    let dur = |key: &str, v: &str| parse_duration(v).map_err(|p| err(key, p, "use e.g. \"100ms\", \"2s\""));
    let min_window = dur("min_window", &config.min_window)?;
    let cooldown = dur("cooldown", &config.cooldown)?;
    let idle_baseline = dur("idle_baseline", &config.idle_baseline)?;
    let timeout = dur("timeout", &config.timeout)?;
    let memory =
        parse_bytes(&config.memory).map_err(|p| err("memory", p, "use e.g. \"512MiB\" or \"2GiB\""))?;
    if config.name.trim().is_empty() || config.name.contains(['/', '\\']) {
        return Err(err(
            "name",
            format!("'{}' is not a usable run name", config.name),
            "use letters, digits and dashes",
        ));
    }
    if config.repetitions == 0 || config.repetitions > 100_000 {
        return Err(err(
            "repetitions",
            format!("{} is out of range", config.repetitions),
            "use 1 to 100000",
        ));
    }
    if config.warmup > 10_000 {
        return Err(err(
            "warmup",
            format!("{} is out of range", config.warmup),
            "use 0 to 10000",
        ));
    }
    if config.window_calls == Some(0) {
        return Err(err(
            "window_calls",
            "must be at least 1".into(),
            "use 1 or more, or leave it out",
        ));
    }
    if timeout.is_zero() {
        return Err(err(
            "timeout",
            "must be longer than zero".into(),
            "use e.g. \"30s\"",
        ));
    }
    if memory < 1 << 16 {
        return Err(err(
            "memory",
            format!("{memory} bytes is less than one wasm page"),
            "use e.g. \"512MiB\"",
        ));
    }
    if config.concurrency.is_empty() || config.concurrency.iter().any(|&c| c == 0 || c > 1024) {
        return Err(err(
            "concurrency",
            format!("{:?} is not a list of 1..1024", config.concurrency),
            "use e.g. [1, 2, 4]",
        ));
    }
    if let Some(c) = first_repeat(&config.concurrency) {
        return Err(err(
            "concurrency",
            format!("level {c} appears twice in {:?}", config.concurrency),
            "list each concurrency level once",
        ));
    }
    if let Some(r) = first_repeat(&config.runtimes) {
        return Err(err(
            "runtimes",
            format!("runtime '{r}' appears twice"),
            "list each runtime once",
        ));
    }
    if config.max_suite_sizes == Some(0) {
        return Err(err(
            "max_suite_sizes",
            "0 keeps none of the suite's sizes".into(),
            "use 1 or more, or leave it out to keep them all",
        ));
    }
    let mut runtimes = Vec::new();
    for r in &config.runtimes {
        match RuntimeKind::parse(r) {
            Some(k) => runtimes.push(k),
            None => {
                return Err(err(
                    "runtimes",
                    format!("unknown runtime '{r}'"),
                    "use \"wasm\", \"wasm-cold\" and/or \"native\"",
                ))
            }
        }
    }
    if runtimes.is_empty() {
        return Err(err(
            "runtimes",
            "the list is empty".into(),
            "use e.g. [\"wasm\", \"native\"]",
        ));
    }
    let http = match config.target.as_str() {
        "local" => false,
        "http" => true,
        t => {
            return Err(err(
                "target",
                format!("unknown target '{t}'"),
                "use \"local\" or \"http\"",
            ))
        }
    };
    if http && runtimes.contains(&RuntimeKind::WasmCold) {
        return Err(err(
            "runtimes",
            "wasm-cold cannot be driven over HTTP".into(),
            "use \"wasm\" and/or \"native\" with target = \"http\"",
        ));
    }
    if let Some(u) = &config.url {
        if !http || !u.starts_with("http://") {
            return Err(err(
                "url",
                format!("'{u}' needs target = \"http\" and an http:// URL"),
                "e.g. url = \"http://127.0.0.1:8080\"",
            ));
        }
    }
    let server_sched = match &config.server_sched {
        None => SchedPolicy::default(),
        Some(_) if !http || config.url.is_some() => {
            return Err(err(
                "server_sched",
                "only a server that the run starts has a policy to set".into(),
                "use it with target = \"http\" and no url (a given url's server keeps its own --sched)",
            ))
        }
        Some(p) => SchedPolicy::from_str(p, true).map_err(|_| {
            err(
                "server_sched",
                format!("unknown policy '{p}'"),
                "use \"batch\" (the default) or \"normal\"",
            )
        })?,
    };
    let functions = expand_functions(&config, suite, err)?;
    for (name, _) in functions.iter().filter(|_| config.url.is_none()) {
        for &rt in &runtimes {
            if let Err(e) = suite.build_for(name, rt.is_wasm()) {
                return Err(err(
                    &format!("name@\"{name}\""),
                    format!("{e:#}"),
                    "build the suite first: scripts/build-functions.sh",
                ));
            }
        }
    }
    let energy = energy_options(&config.energy, err)?;
    Ok(Plan {
        limits: Limits {
            timeout,
            memory_bytes: memory,
            output_bytes: 64 << 20,
        },
        config,
        toml,
        runtimes,
        functions,
        min_window,
        cooldown,
        idle_baseline,
        energy,
        http,
        server_sched,
    })
}

fn energy_options(e: &EnergyConfig, err: &ErrFn) -> Result<EnergyOptions, ConfigError> {
    let choice = match &e.source {
        None => Choice::Auto,
        Some(s) => s.parse::<Choice>().map_err(|_| {
            err(
                "energy.source",
                format!("unknown energy source '{s}'"),
                "use auto, powercap, perf or model",
            )
        })?,
    };
    let mut model = Model::default();
    for (key, v, slot) in [
        ("energy.idle_watts", e.idle_watts, &mut model.idle_watts),
        (
            "energy.active_watts_per_core",
            e.active_watts_per_core,
            &mut model.active_watts_per_core,
        ),
    ] {
        if let Some(w) = v {
            *slot = check_watts(w).map_err(|_| {
                err(
                    key,
                    format!("{w} W is out of range"),
                    "use a power in watts from 0 to 10000",
                )
            })?;
        }
    }
    Ok(EnergyOptions {
        choice,
        powercap_root: e.powercap_root.clone(),
        model,
        ..EnergyOptions::default()
    })
}

/// The most inputs one function may have.
const MAX_INPUTS: usize = 10_000;

/// Every (function, inputs) pair the config asks for, in config order.
fn expand_functions(
    config: &Config,
    suite: &Suite,
    err: &ErrFn,
) -> Result<Vec<(String, Vec<String>)>, ConfigError> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let suite_sizes = |name: &str| -> Vec<String> {
        let sizes = suite.get(name).map(|f| f.sizes.clone()).unwrap_or_default();
        match config.max_suite_sizes {
            Some(n) => sizes.into_iter().take(n).collect(),
            None => sizes,
        }
    };
    for (i, f) in config.functions.iter().enumerate() {
        if config.functions[..i].iter().any(|g| g.name == f.name) {
            return Err(err(
                &format!("name@\"{}\"", f.name),
                format!("function '{}' has two [[function]] tables", f.name),
                "give each function one table and list all its inputs there",
            ));
        }
        if suite.get(&f.name).is_err() {
            return Err(err(
                &format!("name@\"{}\"", f.name),
                format!("unknown function '{}'", f.name),
                &format!("use one of: {}", suite.names().join(", ")),
            ));
        }
        let given = [f.sizes.is_some(), f.range.is_some(), f.geometric.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if given > 1 {
            return Err(err(
                "sizes",
                format!(
                    "function '{}' gives more than one of sizes, range, geometric",
                    f.name
                ),
                "keep one",
            ));
        }
        let sizes = if let Some(list) = &f.sizes {
            let list = list
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) => Ok(s.clone()),
                    toml::Value::Integer(i) => Ok(i.to_string()),
                    toml::Value::Float(x) => Ok(x.to_string()),
                    other => Err(err(
                        "sizes",
                        format!("{other} is not an input"),
                        "write inputs as numbers or strings",
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(repeat) = repeated_input(&list) {
                return Err(err(
                    "sizes",
                    format!("sizes of '{}': {repeat}", f.name),
                    "list each input once",
                ));
            }
            list
        } else if let Some(r) = &f.range {
            if r.step == 0 || r.from > r.to {
                return Err(err(
                    "range",
                    format!("{}..={} step {} is empty", r.from, r.to, r.step),
                    "use from <= to and step >= 1",
                ));
            }
            // Counted before the inputs are made: a range of 10^12 values would otherwise be
            // allocated (and abort the process) before the limit below refuses it.
            let count = ((r.to - r.from) / r.step).saturating_add(1);
            if count > MAX_INPUTS as u64 {
                return Err(err(
                    "range",
                    format!(
                        "function '{}': {}..={} step {} gives {count} inputs",
                        f.name, r.from, r.to, r.step
                    ),
                    &format!("use at most {MAX_INPUTS} inputs: raise step, or use geometric"),
                ));
            }
            (r.from..=r.to)
                .step_by(usize::try_from(r.step).unwrap_or(usize::MAX))
                .map(|v| v.to_string())
                .collect()
        } else if let Some(g) = &f.geometric {
            if g.factor < 2 || g.from == 0 || g.from > g.to {
                return Err(err(
                    "geometric",
                    "needs 1 <= from <= to and factor >= 2".into(),
                    "e.g. { from = 1, to = 1024, factor = 2 }",
                ));
            }
            std::iter::successors(Some(g.from), |v| v.checked_mul(g.factor).filter(|n| *n <= g.to))
                .map(|v| v.to_string())
                .collect()
        } else {
            suite_sizes(&f.name)
        };
        if sizes.is_empty() {
            return Err(err(
                "sizes",
                format!("function '{}' has no inputs", f.name),
                "give sizes = [...]",
            ));
        }
        if sizes.len() > MAX_INPUTS {
            return Err(err(
                "sizes",
                format!("function '{}' has {} inputs", f.name, sizes.len()),
                &format!("use at most {MAX_INPUTS}"),
            ));
        }
        out.push((f.name.clone(), sizes));
    }
    if config.all_functions {
        for spec in &suite.functions {
            if !out.iter().any(|(n, _)| n == &spec.name) {
                out.push((spec.name.clone(), suite_sizes(&spec.name)));
            }
        }
    }
    if out.is_empty() {
        return Err(err(
            "function",
            "no functions to run".into(),
            "add [[function]] tables or all_functions = true",
        ));
    }
    Ok(out)
}

/// The first value of `list` that an earlier one repeats.
fn first_repeat<T: PartialEq>(list: &[T]) -> Option<&T> {
    list.iter()
        .enumerate()
        .find(|(i, v)| list[..*i].contains(v))
        .map(|(_, v)| v)
}

/// How an input compares with the others: inputs are the same when they are equal once
/// trimmed, or when both are the same number (`10`, `010`, `10.0`, `1e1`).
#[derive(PartialEq)]
enum InputKey<'a> {
    Integer(i128),
    Float(u64),
    Text(&'a str),
}

fn input_key(s: &str) -> InputKey<'_> {
    let t = s.trim();
    if let Ok(i) = t.parse::<i128>() {
        return InputKey::Integer(i);
    }
    match t.parse::<f64>() {
        // Integral values within f64's exact range compare with the integers.
        Ok(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 => InputKey::Integer(x as i128),
        Ok(x) if x.is_finite() => InputKey::Float((x + 0.0).to_bits()),
        _ => InputKey::Text(t),
    }
}

/// An input that `list` gives more than once, said as "input '10' appears 3 times (also as
/// '010')": the first form, how often, and the other forms it takes.
fn repeated_input(list: &[String]) -> Option<String> {
    let key = list
        .iter()
        .enumerate()
        .map(|(i, v)| (i, input_key(v)))
        .find(|(i, k)| list[..*i].iter().any(|u| input_key(u) == *k))?
        .1;
    let same: Vec<&str> = list
        .iter()
        .filter(|u| input_key(u) == key)
        .map(String::as_str)
        .collect();
    let first = same.first()?;
    let times = match same.len() {
        2 => "twice".to_string(),
        n => format!("{n} times"),
    };
    let mut others: Vec<String> = Vec::new();
    for form in same.iter().filter(|f| *f != first) {
        let quoted = format!("'{form}'");
        if !others.contains(&quoted) {
            others.push(quoted);
        }
    }
    let also = if others.is_empty() {
        String::new()
    } else {
        format!(" (also as {})", others.join(", "))
    };
    Some(format!("input '{first}' appears {times}{also}"))
}

/// The TOML parser's message on one line; it can be empty (e.g. for `name = `).
fn toml_problem(m: &str) -> String {
    match m.trim() {
        "" => "a value is missing or is not valid TOML".into(),
        t => t.replace('\n', " "),
    }
}

fn set_error(o: &str, problem: String) -> ConfigError {
    ConfigError {
        file: "--set".into(),
        line: String::new(),
        key: o.to_string(),
        problem,
        fix: "write --set key=value, e.g. --set repetitions=5 or --set energy.source=model".into(),
    }
}

/// Apply `a.b=value` to the table; the value is TOML (`5`, `[1,2]`, `"x"`) or else a bare string.
fn apply_override(table: &mut toml::Table, o: &str) -> Result<(), String> {
    let (key, raw) = o
        .split_once('=')
        .ok_or_else(|| format!("'{o}' is not key=value"))?;
    let key = key.trim();
    if key.is_empty() || key.split('.').any(|p| p.trim().is_empty()) {
        return Err(format!("'{key}' is not a key"));
    }
    let parsed: toml::Value = match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.trim().to_string()),
    };
    let parts: Vec<&str> = key.split('.').map(str::trim).collect();
    let (last, path) = parts
        .split_last()
        .ok_or_else(|| format!("'{key}' is not a key"))?;
    let mut cur = table;
    for p in path {
        let entry = cur
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = entry
            .as_table_mut()
            .ok_or_else(|| format!("'{p}' is not a table"))?;
    }
    cur.insert(last.to_string(), parsed);
    Ok(())
}

/// The key serde complained about, from messages like "unknown field `repetitons`".
fn offending_key(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let end = start + msg[start..].find('`')?;
    Some(msg[start..end].to_string())
}

/// The first line where `key` is assigned (`key =`, containing `hint`) or is a table header.
fn locate(text: &str, key: &str, hint: &str) -> Option<usize> {
    let last = key.rsplit('.').next().unwrap_or(key);
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            (t.strip_prefix(last)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
                && t.contains(hint))
                || t.starts_with(&format!("[{last}]"))
                || t.starts_with(&format!("[[{last}]]"))
        })
        .map(|i| i + 1)
}
