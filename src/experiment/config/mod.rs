//! Experiment configs: the TOML schema, `--set key=value` overrides, and validation that
//! refuses a bad config before anything runs, naming the file, the line, the key and the fix.
//!
//! The public face is here ([`load`], [`parse`], [`Plan`], [`ConfigError`]); each concern has
//! its file: the serde structs (`schema.rs`), overrides (`set.rs`), lines and keys from the
//! toml crate's spans (`spans.rs`), where a validation error is blamed (`blame.rs`), the checks
//! (`validate.rs`), function expansion (`expand.rs`) and when two inputs are the same
//! (`inputs.rs`).

mod blame;
mod expand;
mod inputs;
mod schema;
mod set;
mod spans;
mod validate;

pub use schema::{Config, EnergyConfig, FunctionConfig, Geometric, Range};

use crate::energy::auto::EnergyOptions;
use crate::runtime::{Limits, RuntimeKind};
use crate::server::sched::SchedPolicy;
use crate::suite::Suite;
use blame::Blame;
use spans::Spans;
use std::path::Path;
use std::time::Duration;

/// A config checked against the suite, with typed values: what the runner uses.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The config as deserialized (after `--set` overrides).
    pub config: Config,
    /// The config as TOML after overrides (recorded in metadata.json and used by --resume).
    pub toml: String,
    /// The runtimes of the run, in config order.
    pub runtimes: Vec<RuntimeKind>,
    /// Every function and its inputs, in config order.
    pub functions: Vec<(String, Vec<String>)>,
    /// The shortest measurement window.
    pub min_window: Duration,
    /// The pause between windows.
    pub cooldown: Duration,
    /// How long idle power is measured first (zero: not measured).
    pub idle_baseline: Duration,
    /// The limits of every call: timeout, memory cap, output cap.
    pub limits: Limits,
    /// How the energy source is chosen.
    pub energy: EnergyOptions,
    /// Whether the run drives `nebula serve` over HTTP (`target = "http"`).
    pub http: bool,
    /// The started server's scheduling policy (`target = "http"` without `url`).
    pub server_sched: SchedPolicy,
    /// The functions the run may call: the suite, a suite file of the config's, and the
    /// functions its `[[function]]` tables define.
    pub suite: Suite,
    /// The folder the config's relative paths start from (the config file's).
    pub base: std::path::PathBuf,
    /// The part of the cells this run measures (`nebula run --shard I/N`); `None`: all.
    /// Not a config key, so that every shard of a study has the same config hash.
    pub shard: Option<crate::results::metadata::Shard>,
}

/// A config error: where, which key, what is wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("{file}{line}: {key}: {problem}. Fix: {fix}")]
pub struct ConfigError {
    /// The config file (or `metadata.json` of a resumed run).
    pub file: String,
    /// `:LINE` where the key is, or empty when no line is known.
    pub line: String,
    /// The key at fault, e.g. `repetitions` or `function.sizes`.
    pub key: String,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
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
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
    parse_in(&file, &text, overrides, suite, &base)
}

/// Parse config text (as if from `file`), apply overrides and validate; relative paths start
/// from the current folder.
pub fn parse(file: &str, text: &str, overrides: &[String], suite: &Suite) -> Result<Plan, ConfigError> {
    parse_in(file, text, overrides, suite, Path::new("."))
}

/// [`parse`], with the config's relative paths (its functions' builds, its suite file)
/// starting from `base`.
pub fn parse_in(
    file: &str,
    text: &str,
    overrides: &[String],
    suite: &Suite,
    base: &Path,
) -> Result<Plan, ConfigError> {
    // Deserialize the text itself first: its errors carry a span, so the line and the key.
    let direct: Result<Config, toml::de::Error> = toml::from_str(text);
    if let Err(e) = &direct {
        let span = e.span();
        let line = span.as_ref().map(|s| spans::line_of(text, s.start));
        let key = match (span, Spans::parse(text)) {
            (Some(s), Some(spans)) => spans.error_key(&s),
            // Text that is not TOML has no spans of keys: the key its line assigns, if any.
            _ => line.and_then(|l| spans::key_on_line(text, l)),
        }
        // A line such as `= 5` names no key: say it is a syntax error, not an empty key.
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| "(syntax)".into());
        return Err(ConfigError {
            file: file.to_string(),
            line: line.map(|l| format!(":{l}")).unwrap_or_default(),
            key,
            problem: toml_problem(e.message()),
            fix: "see experiments/README.md for every key, its type and its default".into(),
        });
    }
    let mut value: toml::Table = toml::from_str(text).unwrap_or_default();
    for o in overrides {
        set::apply(&mut value, o).map_err(|p| set::error(o, p))?;
    }
    let after = toml::to_string(&value).unwrap_or_default();
    let config: Config = match (direct, overrides.is_empty()) {
        (Ok(c), true) => c,
        _ => toml::Value::Table(value)
            .try_into()
            .map_err(|e: toml::de::Error| set::error(&overrides.join(" "), toml_problem(e.message())))?,
    };
    let blame = Blame {
        file,
        overrides,
        spans: Spans::parse(text),
    };
    validate::validate(config, after, suite, &blame, base)
}

/// The TOML parser's message on one line; it can be empty (e.g. for `name = `).
fn toml_problem(m: &str) -> String {
    match m.trim() {
        "" => "a value is missing or is not valid TOML".into(),
        t => t.replace('\n', " "),
    }
}
