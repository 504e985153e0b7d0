//! Validation: a deserialized config checked key by key (ranges, names, combinations) and
//! against the suite, into the typed plan that the runner uses.

use super::blame::{At, Blame};
use super::schema::{Config, EnergyConfig};
use super::{expand, ConfigError, Plan};
use crate::energy::auto::{Choice, EnergyOptions};
use crate::energy::model::{check_watts, Model};
use crate::runtime::{command, Limits, RuntimeKind};
use crate::server::sched::SchedPolicy;
use crate::stats::adjust::PAdjust;
use crate::suite::{runtimes, Build, Suite};
use crate::units::{parse_bytes, parse_duration};
use clap::ValueEnum;
use std::path::Path;

/// Check a deserialized config (whose TOML after overrides is `toml`) against the suite and make
/// its plan.
pub(super) fn validate(
    config: Config,
    toml: String,
    suite: &Suite,
    blame: &Blame,
    base: &Path,
) -> Result<Plan, ConfigError> {
    let dur = |key: &str, v: &str| {
        parse_duration(v).map_err(|p| blame.error(At::Key(key), p, "use e.g. \"100ms\", \"2s\""))
    };
    let min_window = dur("min_window", &config.min_window)?;
    let cooldown = dur("cooldown", &config.cooldown)?;
    let idle_baseline = dur("idle_baseline", &config.idle_baseline)?;
    let timeout = dur("timeout", &config.timeout)?;
    let memory = parse_bytes(&config.memory)
        .map_err(|p| blame.error(At::Key("memory"), p, "use e.g. \"512MiB\" or \"2GiB\""))?;
    if config.name.trim().is_empty() || config.name.contains(['/', '\\']) {
        return Err(blame.error(
            At::Key("name"),
            format!("'{}' is not a usable run name", config.name),
            "use letters, digits and dashes",
        ));
    }
    if config.repetitions == 0 || config.repetitions > 100_000 {
        return Err(blame.error(
            At::Key("repetitions"),
            format!("{} is out of range", config.repetitions),
            "use 1 to 100000",
        ));
    }
    if config.warmup > 10_000 {
        return Err(blame.error(
            At::Key("warmup"),
            format!("{} is out of range", config.warmup),
            "use 0 to 10000",
        ));
    }
    if config.window_calls == Some(0) {
        return Err(blame.error(
            At::Key("window_calls"),
            "must be at least 1".into(),
            "use 1 or more, or leave it out",
        ));
    }
    if timeout.is_zero() {
        return Err(blame.error(
            At::Key("timeout"),
            "must be longer than zero".into(),
            "use e.g. \"30s\"",
        ));
    }
    if memory < 1 << 16 {
        return Err(blame.error(
            At::Key("memory"),
            format!("{memory} bytes is less than one wasm page"),
            "use e.g. \"512MiB\"",
        ));
    }
    if config.concurrency.is_empty() || config.concurrency.iter().any(|&c| c == 0 || c > 1024) {
        return Err(blame.error(
            At::Key("concurrency"),
            format!("{:?} is not a list of 1..1024", config.concurrency),
            "use e.g. [1, 2, 4]",
        ));
    }
    if let Some(c) = first_repeat(&config.concurrency) {
        return Err(blame.error(
            At::Key("concurrency"),
            format!("level {c} appears twice in {:?}", config.concurrency),
            "list each concurrency level once",
        ));
    }
    if let Some(r) = first_repeat(&config.runtimes) {
        return Err(blame.error(
            At::Key("runtimes"),
            format!("runtime '{r}' appears twice"),
            "list each runtime once",
        ));
    }
    if config.max_suite_sizes == Some(0) {
        return Err(blame.error(
            At::Key("max_suite_sizes"),
            "0 keeps none of the suite's sizes".into(),
            "use 1 or more, or leave it out to keep them all",
        ));
    }
    let suite = own_suite(&config, suite, blame, base)?;
    let runtimes = runtimes(&config, &suite, blame)?;
    if runtimes.is_empty() {
        return Err(blame.error(
            At::Key("runtimes"),
            "the list is empty".into(),
            "use e.g. [\"wasm\", \"native\"]",
        ));
    }
    let http = match config.target.as_str() {
        "local" => false,
        "http" => true,
        t => {
            return Err(blame.error(
                At::Key("target"),
                format!("unknown target '{t}'"),
                "use \"local\" or \"http\"",
            ))
        }
    };
    // The server runs warm `wasm` on its default engine and `native`, nothing else.
    if let Some(rt) = runtimes
        .iter()
        .find(|rt| http && !matches!(rt, RuntimeKind::Wasm | RuntimeKind::Native))
    {
        return Err(blame.error(
            At::Key("runtimes"),
            format!(
                "{rt} cannot be driven over HTTP (the server serves the plain wasm build, warm, on \
                 its default engine)"
            ),
            "use \"wasm\" and/or \"native\" with target = \"http\"",
        ));
    }
    if let Some(u) = &config.url {
        if !http || !u.starts_with("http://") {
            return Err(blame.error(
                At::Key("url"),
                format!("'{u}' needs target = \"http\" and an http:// URL"),
                "e.g. url = \"http://127.0.0.1:8080\"",
            ));
        }
    }
    let server_sched = match &config.server_sched {
        None => SchedPolicy::default(),
        Some(_) if !http || config.url.is_some() => {
            return Err(blame.error(
                At::Key("server_sched"),
                "only a server that the run starts has a policy to set".into(),
                "use it with target = \"http\" and no url (a given url's server keeps its own --sched)",
            ))
        }
        Some(p) => SchedPolicy::from_str(p, true).map_err(|_| {
            blame.error(
                At::Key("server_sched"),
                format!("unknown policy '{p}'"),
                "use \"batch\" (the default) or \"normal\"",
            )
        })?,
    };
    if let Some(p) = config
        .p_adjust
        .as_deref()
        .filter(|p| p.parse::<PAdjust>().is_err())
    {
        return Err(blame.error(
            At::Key("p_adjust"),
            format!("unknown p-value adjustment '{p}'"),
            "use \"holm\" (the default: the family-wise error rate) or \"bh\" (Benjamini-Hochberg: the false discovery rate)",
        ));
    }
    let functions = expand::functions(&config, &suite, blame)?;
    for (name, _) in functions.iter().filter(|_| config.url.is_none()) {
        let own = suite.get(name).is_ok_and(|f| f.is_own());
        let usable: Vec<RuntimeKind> = runtimes
            .iter()
            .copied()
            .filter(|rt| suite.has_build(name, rt.build()))
            .collect();
        if usable.is_empty() {
            let names: Vec<&str> = runtimes.iter().map(|r| r.as_str()).collect();
            return Err(blame.error(
                At::Function { name, key: "name" },
                format!(
                    "function '{name}' has no build for any of the run's runtimes ({})",
                    names.join(", ")
                ),
                "give it a `wasm` build for wasm, wasm-cold and wasm-simd128, or a `native` one for native",
            ));
        }
        for rt in usable {
            let spec = suite.get(name).ok();
            if let (Some(def), Some(f)) = (rt.command().filter(|d| d.runs_wasm()), spec) {
                let lacks = match (
                    f.env.is_empty() || def.passes_env(),
                    f.dirs.is_empty() || def.passes_dirs(),
                ) {
                    (false, _) => Some(("env", "{env}")),
                    (_, false) => Some(("dirs", "{dirs}")),
                    _ => None,
                };
                if let Some((key, placeholder)) = lacks {
                    return Err(blame.error(
                        At::Function { name, key },
                        format!("runtime '{rt}' has no {placeholder} in its command, so the module would not get the function's {key}"),
                        &format!("add \"{placeholder}\" to the runtime's command (and shape each item with its `{}` key), or leave '{rt}' out", &key[..3]),
                    ));
                }
            }
            if let Err(e) = suite.build_for(name, rt.build()) {
                let key = match (own, rt.build()) {
                    (true, Build::Wasm) => "wasm",
                    (true, Build::WasmSimd128) => "wasm_simd128",
                    (true, Build::Native) => "native",
                    (false, _) => "name",
                };
                return Err(match e.downcast_ref::<crate::suite::BuildError>() {
                    Some(b) => blame.error(At::Function { name, key }, b.problem.clone(), &b.fix),
                    None => blame.error(
                        At::Function { name, key },
                        format!("{e:#}"),
                        "build the suite first: scripts/build-functions.sh",
                    ),
                });
            }
        }
    }
    let energy = energy_options(&config.energy, blame)?;
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
        suite,
        base: base.to_path_buf(),
        shard: None,
    })
}

/// The config's runtimes: built-in ones by name, the others from their definitions (which the
/// suite holds), each able to run here; its reference must be one of them.
fn runtimes(config: &Config, suite: &Suite, blame: &Blame) -> Result<Vec<RuntimeKind>, ConfigError> {
    let mut runtimes = Vec::new();
    for r in &config.runtimes {
        if let Some(k) = RuntimeKind::parse(r) {
            if let Some((problem, fix)) = k.unsupported_here() {
                return Err(blame.error(At::Key("runtimes"), problem, &fix));
            }
            runtimes.push(k);
            continue;
        }
        let Some(def) = suite.runtimes.iter().find(|d| d.name == *r) else {
            let defined: Vec<String> = suite.runtimes.iter().map(|d| format!("\"{}\"", d.name)).collect();
            return Err(blame.error(
                At::Key("runtimes"),
                format!("unknown runtime '{r}'"),
                &format!(
                    "use {}; or one defined by a command template: {} (or a [[runtime]] table of your own; see docs/runtimes.md)",
                    RuntimeKind::names("\"", "and/or"),
                    defined.join(", ")
                ),
            ));
        };
        if let Err((problem, fix)) = def.find_program(&command::search_path()) {
            return Err(blame.error(At::Key("runtimes"), problem, &fix));
        }
        runtimes.push(command::intern(def));
    }
    if let Some(r) = config.reference.as_ref().filter(|r| !config.runtimes.contains(r)) {
        return Err(blame.error(
            At::Key("reference"),
            format!(
                "the reference runtime '{r}' is not one of the run's runtimes {:?}",
                config.runtimes
            ),
            "name one of `runtimes`, or add it to them",
        ));
    }
    Ok(runtimes)
}

/// The suite the config's functions come from: the given one, the functions of the config's
/// `suite` file, and those its `[[function]]` tables define (paths relative to `base`); and
/// its runtimes with the config's `[[runtime]]` tables added.
fn own_suite(config: &Config, suite: &Suite, blame: &Blame, base: &Path) -> Result<Suite, ConfigError> {
    let mut out = suite.clone();
    if let Some(file) = &config.suite {
        out.add_file(&base.join(file)).map_err(|e| {
            blame.error(
                At::Key("suite"),
                format!("{e:#}"),
                "fix the suite file, or the path (relative to the config file)",
            )
        })?;
    }
    for f in config.functions.iter().filter(|f| f.defines()) {
        let at = |key| At::Function { name: &f.name, key };
        if suite.get(&f.name).is_ok() {
            return Err(blame.error(
                at("name"),
                format!("'{}' is a suite function: its builds are the suite's", f.name),
                "give your function another name, or drop its wasm/native/args/stdin/env/dirs/output keys",
            ));
        }
        let mut spec = f.spec();
        if let Some((key, problem, fix)) = spec.problem() {
            return Err(blame.error(at(key), problem, &fix));
        }
        spec.resolve_paths(base);
        out.add(spec)
            .map_err(|e| blame.error(at("name"), format!("{e:#}"), "give each function one name"))?;
    }
    let defs = runtimes::set_here(config.command_runtimes.clone(), blame.file, base).map_err(|e| {
        blame.error(
            At::Key("runtime"),
            format!("{e:#}"),
            "see docs/runtimes.md for the keys and placeholders of a [[runtime]] table",
        )
    })?;
    runtimes::overlay(&mut out.runtimes, defs);
    if let Some(d) = out
        .runtimes
        .iter()
        .find(|d| RuntimeKind::parse(&d.name).is_some())
    {
        return Err(blame.error(
            At::Key("runtime"),
            format!(
                "runtime '{}' is built into Nebula: a [[runtime]] table cannot define it",
                d.name
            ),
            "give your runtime another name, e.g. \"my-wasmtime\"",
        ));
    }
    Ok(out)
}

fn energy_options(e: &EnergyConfig, blame: &Blame) -> Result<EnergyOptions, ConfigError> {
    let choice = match &e.source {
        None => Choice::Auto,
        Some(s) => s.parse::<Choice>().map_err(|_| {
            blame.error(
                At::Key("energy.source"),
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
                blame.error(
                    At::Key(key),
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

/// The first value of `list` that an earlier one repeats.
fn first_repeat<T: PartialEq>(list: &[T]) -> Option<&T> {
    list.iter()
        .enumerate()
        .find(|(i, v)| list[..*i].contains(v))
        .map(|(_, v)| v)
}
