//! `nebula bench --runtimes`: the per-call cost of every runtime a config can name. Each of
//! wasmtime's engines, warm and cold, next to a bare wasmtime loop; and each command runtime
//! whose program is on PATH, next to a bare spawn-and-wait loop of the very command it runs
//! (the same argv, stdin and stdout pipe): the difference is what Nebula adds to a call there.

use super::{floor, line, time_calls, Line};
use crate::runtime::command::{search_path, CommandFunction};
use crate::runtime::{self, CallInput, HostConfig, Limits, RuntimeKind, WasmHost};
use crate::suite::Suite;
use anyhow::{Context, Result};

/// The lines for `functions`: `n` calls per warm engine, `n / 20` (at least 5) per cold one,
/// `n / 100` (at least 10) per command runtime and its floor. Command runtimes whose program
/// is missing are left out, with a note on stderr.
pub fn run(suite: &Suite, functions: &[String], n: usize) -> Result<Vec<Line>> {
    let tmp = std::env::temp_dir().join(format!("nebula-bench-rt-cache-{}", std::process::id()));
    let mut cfg = HostConfig::new(Limits::default());
    cfg.cache_dir = tmp.clone();
    let host = WasmHost::new(cfg)?;
    let mut out = Vec::new();
    let commands: Vec<_> = suite
        .runtimes
        .iter()
        .filter(|d| match d.find_program(&search_path()) {
            Ok(_) => true,
            Err((problem, fix)) => {
                crate::errln!("nebula: left out: {problem} ({fix})");
                false
            }
        })
        .collect();
    for f in functions {
        let spec = suite.get(f)?;
        let input = CallInput {
            stdin: spec.example.clone().into_bytes(),
            ..CallInput::default()
        };
        let wasm = suite.build_for(f, RuntimeKind::Wasm.build())?;
        let bytes = std::fs::read(&wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
        out.push(line(
            f,
            "bare wasmtime loop (floor)",
            floor::bare_wasmtime(&wasm, &input.stdin, n)?,
        ));
        for kind in RuntimeKind::ALL
            .into_iter()
            .filter(|k| k.engine().is_some() && k.build() == RuntimeKind::Wasm.build())
            .filter(|k| k.unsupported_here().is_none())
        {
            let rt = runtime::prepare_wasm(kind, &host, f, &bytes)?;
            let calls = if kind.is_cold() { (n / 20).max(5) } else { n };
            time_calls(rt.as_ref(), &input, calls / 10 + 1)?;
            let what = match kind.is_cold() {
                true => format!("{kind} (compile every call)"),
                false => format!("{kind} (warm)"),
            };
            out.push(line(f, &what, time_calls(rt.as_ref(), &input, calls)?));
        }
        for def in &commands {
            let kind = crate::runtime::command::intern(def);
            let Ok(build) = suite.build_for(f, kind.build()) else {
                continue;
            };
            let RuntimeKind::Command(c) = kind else {
                continue;
            };
            let rt = CommandFunction::new(c, &build, Limits::default())?;
            let calls = (n / 100).max(10);
            let call_input = runtime::input_for(spec, &spec.example, kind.is_wasm());
            let (args, mut env) = rt.argv(&call_input);
            env.push(("PATH".into(), search_path()));
            let program = def
                .find_program(&search_path())
                .map_err(|(p, fix)| anyhow::anyhow!("{p}. Fix: {fix}"))?;
            out.push(line(
                f,
                &format!("bare spawn of {}'s command (floor)", def.name),
                floor::bare_spawn(&program, &args, &env, &call_input.stdin, calls)?,
            ));
            time_calls(&rt, &call_input, 2)?;
            out.push(line(f, &def.name, time_calls(&rt, &call_input, calls)?));
        }
    }
    std::fs::remove_dir_all(&tmp).ok();
    Ok(out)
}
